"""What a manager does about a stalled ask: reassign it, extend its deadline, snooze its
escalation, nudge now, or convene the people it is stuck between (seed 002).

Each intervention needs a reason, lands on the ask's timeline, and tells the people
concerned through the escalation engine's channels: a hand-sent nudge (kind "manual")
with one delivery per person and channel, in the notification centre at once and by
email or chat in their working hours. Each works on one ask; the board applies it to
many, one ask at a time, so one refusal never undoes the others.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stakeholders.models import display_name

from . import services
from .calendar import hours_for_person, next_working_moment
from .escalation_models import (
    Channel,
    ChatWebhook,
    Clock,
    Delivery,
    DeliveryStatus,
    Nudge,
    RecipientRole,
    StepKind,
)
from .manager_models import Huddle
from .models import OVERDUE_STATUSES, Ask, AskStatus, EventKind
from .selectors import can_intervene
from .services import ActionNotAllowed, _locked, _record, _require_text, _save, require_future

S = AskStatus
R = RecipientRole

# What a hand-sent nudge is about: the first part of its step code, which the texts of
# notify.describe() read.
TOPICS = ("nudge", "reassigned", "extended", "snoozed", "convened", "outcome")


def _check(ask: Ask, actor) -> None:
    if not can_intervene(ask, actor):
        raise ActionNotAllowed(
            _("Only a manager of the people on this ask, or the team's lead, can do that.")
        )
    if not ask.is_open or ask.status == S.DELIVERED:
        raise ActionNotAllowed(
            _("This ask is %(status)s: there is nothing to unblock.")
            % {"status": ask.get_status_display().lower()}
        )


def _reason(reason: str) -> str:
    return _require_text(reason, "reason", _("Say why: it goes on the ask's timeline."))


# --- telling people ---------------------------------------------------------------------


def tell(
    ask: Ask, *, sender, topic: str, note: str, people: list[tuple[object, str]], about: str = ""
) -> Nudge:
    """A hand-sent nudge about ``ask`` to ``people`` ((user, role) pairs; each person once,
    the first role wins): in the notification centre now, by email and personal chat
    webhooks in the recipient's working hours. Handed to the senders after commit.

    ``note`` is the manager's own words; notify.describe() writes the rest for each
    reader, in their language and time zone. ``about`` names what the topic concerns
    (a huddle's id), carried in the step code."""
    assert topic in TOPICS
    now = timezone.now()
    nudge = Nudge.objects.create(
        ask=ask,
        clock=ask.ladder_clock or Clock.RESPONSE,
        cycle=ask.ladder_cycle,
        step_code=f"{topic}:{about}:{uuid.uuid4().hex[:12]}"
        if about
        else f"{topic}:{uuid.uuid4().hex[:12]}",
        kind=StepKind.MANUAL,
        level=ask.escalation_level,
        due_at=ask.due_at or now,
        sent_by=sender,
        note=note,
        created_at=now,
    )
    seen: set[int] = set()
    wanted = []
    for user, role in people:
        if user is None or user.pk in seen or user.pk == getattr(sender, "pk", None):
            continue
        if not user.is_active:
            continue
        seen.add(user.pk)
        wanted.append((user, role))
    if not wanted:
        return nudge
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(pk__in=[u.pk for u, _role in wanted])
        .select_related("profile__team")
    }
    hooks: dict[int, list[int]] = {}
    for hook_id, user_id in ChatWebhook.objects.filter(
        user_id__in=list(users), enabled=True
    ).values_list("pk", "user_id"):
        hooks.setdefault(user_id, []).append(hook_id)
    rows = []
    for user, role in wanted:
        person = users[user.pk]
        rows.append(
            Delivery(
                nudge=nudge,
                recipient=person,
                channel=Channel.IN_APP,
                role=role,
                status=DeliveryStatus.SENT,
                sent_at=now,
                next_attempt_at=now,
                created_at=now,
            )
        )
        profile = getattr(person, "profile", None)
        email_on = person.email and (profile is None or profile.email_notifications)
        if not (email_on or hooks.get(person.pk)):
            continue
        team = profile.team if profile is not None and profile.team_id else None
        when = next_working_moment(
            hours_for_person(team, profile.time_zone if profile else None), now
        )
        channels = [(Channel.EMAIL, person, None)] if email_on else []
        channels += [(Channel.WEBHOOK, None, hook) for hook in hooks.get(person.pk, ())]
        rows.extend(
            Delivery(
                nudge=nudge,
                recipient=recipient,
                webhook_id=hook,
                channel=channel,
                role=role,
                next_attempt_at=when,
                created_at=now,
            )
            for channel, recipient, hook in channels
        )
    created = Delivery.objects.bulk_create(rows)
    due = [d.pk for d in created if d.channel != Channel.IN_APP and d.next_attempt_at <= now]
    if due:
        from .sweep import enqueue_sends

        # Marked as handed over only once it really is: the sweep hands over again
        # whatever is still pending after a while.
        def hand_over():
            if enqueue_sends(due):
                Delivery.objects.filter(pk__in=due, enqueued_at__isnull=True).update(
                    enqueued_at=timezone.now()
                )

        transaction.on_commit(hand_over)
    return nudge


def _doer(ask: Ask):
    """Who owes the work: the assignee, or the team's lead while nobody has taken it."""
    if ask.assignee_id:
        return ask.assignee, R.ASSIGNEE
    return ask.team.lead, R.TEAM_LEAD


# --- the interventions ------------------------------------------------------------------


@transaction.atomic
def reassign(*, ask: Ask, actor, assignee, reason: str) -> Ask:
    """Move the ask to another member of its team; the deadline and ladder stay."""
    ask = _locked(ask)
    _check(ask, actor)
    reason = _reason(reason)
    previous = ask.assignee
    data = services.give_to(ask, assignee)
    _record(ask=ask, actor=actor, kind=EventKind.ASSIGNED, note=reason, data=data)
    tell(
        ask,
        sender=actor,
        topic="reassigned",
        note=reason,
        people=[(assignee, R.ASSIGNEE), (previous, R.ASSIGNEE), (ask.requester, R.REQUESTER)],
    )
    return ask


@transaction.atomic
def extend(*, ask: Ask, actor, due_at: dt.datetime, reason: str) -> Ask:
    """Give the agreed deadline more time. The new deadline starts a new ladder: the
    nudges already sent belong to the old one."""
    ask = _locked(ask)
    _check(ask, actor)
    reason = _reason(reason)
    if ask.status not in OVERDUE_STATUSES or ask.agreed_due_at is None:
        raise ActionNotAllowed(_("Only an agreed deadline can be extended; this ask has none yet."))
    now = timezone.now()
    require_future(due_at, "due_at", now)
    if due_at <= ask.agreed_due_at:
        raise ValidationError({"due_at": _("An extension ends after the current deadline.")})
    old = ask.agreed_due_at
    ask.agreed_due_at = due_at
    fields = ["agreed_due_at"]
    if ask.status == S.COUNTERED and ask.counter_due_at and ask.counter_due_at <= due_at:
        # The manager granted at least what the assignee asked for: settled.
        ask.status, ask.counter_due_at = ask.resume_status or S.AGREED, None
        ask.resume_status = ""
        fields += ["status", "counter_due_at", "resume_status"]
    # A new agreed deadline is a new ladder, whoever's move it is now.
    _save(ask, fields, restart_ladder=True)
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.EXTENDED,
        note=reason,
        data={"agreed_due_at": due_at.isoformat(), "from": old.isoformat()},
        at=now,
    )
    doer, role = _doer(ask)
    tell(
        ask,
        sender=actor,
        topic="extended",
        note=reason,
        people=[(doer, role), (ask.requester, R.REQUESTER)],
    )
    return ask


def snooze(*, ask: Ask, actor, until: dt.datetime | None, reason: str) -> Ask:
    """Hold escalation until ``until`` (services.ask_snooze), and say so to the people
    on the ask."""
    with transaction.atomic():
        _check(Ask.objects.select_related("team").get(pk=ask.pk), actor)
        ask = services.ask_snooze(ask=ask, actor=actor, until=until, reason=reason)
        doer, role = _doer(ask)
        tell(
            ask,
            sender=actor,
            topic="snoozed",
            note=reason.strip(),
            people=[(doer, role), (ask.requester, R.REQUESTER)],
        )
    return ask


@transaction.atomic
def nudge_now(*, ask: Ask, actor, reason: str) -> Nudge:
    """Nudge whoever owes the work, at once, in the manager's words."""
    ask = _locked(ask)
    _check(ask, actor)
    reason = _reason(reason)
    doer, role = _doer(ask)
    # The nudge itself is the timeline's entry (the ask page merges nudges into it).
    return tell(ask, sender=actor, topic="nudge", note=reason, people=[(doer, role)])


# --- huddles ----------------------------------------------------------------------------


@dataclass
class Outcome:
    done: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (ask, message)
    huddle: Huddle | None = None


def participants_for(asks: list[Ask], actor) -> list:
    """Who a huddle over ``asks`` invites: the assignees (or the team lead of an
    unassigned ask), the requesters, and each one's manager; and the manager calling it."""
    people: dict[int, object] = {}

    def add(user):
        if user is not None and user.is_active:
            people.setdefault(user.pk, user)

    add(actor)
    for ask in asks:
        doer, _role = _doer(ask)
        for user in (doer, ask.requester):
            add(user)
            profile = getattr(user, "profile", None) if user is not None else None
            if profile is not None and profile.manager_id:
                add(profile.manager)
    return list(people.values())


@transaction.atomic
def convene(*, asks: list[Ask], actor, agenda: str, scheduled_at: dt.datetime, place: str = ""):
    """Call a huddle over one or more stalled asks: on each ask's timeline, and every
    participant told. Asks the actor may not intervene on are refused, not convened."""
    agenda = _require_text(agenda, "agenda", _("Name the blocking point: it is the agenda."))
    now = timezone.now()
    require_future(scheduled_at, "scheduled_at", now)
    outcome = Outcome()
    allowed = []
    for ask in asks:
        ask = _locked(ask)
        try:
            _check(ask, actor)
        except ActionNotAllowed as exc:
            outcome.refused.append((ask, exc.message))
            continue
        allowed.append(ask)
    if not allowed:
        raise ActionNotAllowed(
            outcome.refused[0][1] if outcome.refused else _("Choose at least one ask.")
        )
    huddle = Huddle.objects.create(
        convened_by=actor, agenda=agenda, scheduled_at=scheduled_at, place=place.strip()
    )
    huddle.asks.set(allowed)
    people = participants_for(allowed, actor)
    huddle.participants.set(people)
    for ask in allowed:
        _record(
            ask=ask,
            actor=actor,
            kind=EventKind.CONVENED,
            note=agenda,
            data={"huddle": huddle.pk, "when": scheduled_at.isoformat(), "place": huddle.place},
            at=now,
        )
        outcome.done.append(ask)
    tell(
        allowed[0],
        sender=actor,
        topic="convened",
        about=str(huddle.pk),
        note=agenda,
        people=[(user, _role_on(allowed, user)) for user in people],
    )
    outcome.huddle = huddle
    return outcome


def _role_on(asks: list[Ask], user) -> str:
    for ask in asks:
        if ask.assignee_id == user.pk:
            return R.ASSIGNEE
        if ask.requester_id == user.pk:
            return R.REQUESTER
        if ask.assignee_id is None and ask.team.lead_id == user.pk:
            return R.TEAM_LEAD
    return R.ASSIGNEE_MANAGER


def can_record_outcome(huddle: Huddle, user) -> bool:
    """The manager who called it, or any participant who manages someone on its asks."""
    if huddle.convened_by_id == user.pk:
        return True
    return huddle.participants.filter(pk=user.pk).exists() and any(
        can_intervene(ask, user) for ask in huddle.asks.select_related("team")
    )


@transaction.atomic
def record_outcome(*, huddle: Huddle, actor, outcome: str, owner) -> Huddle:
    """What the huddle decided and who owns it: on the huddle, on each ask's timeline,
    and told to every participant."""
    huddle = Huddle.objects.select_for_update().get(pk=huddle.pk)
    if not can_record_outcome(huddle, actor):
        raise ActionNotAllowed(_("Only the manager who called the huddle can record its outcome."))
    outcome = _require_text(outcome, "outcome", _("Write down what was decided."))
    if owner is None:
        raise ValidationError({"owner": _("Name who owns the outcome.")})
    if not huddle.participants.filter(pk=owner.pk).exists():
        raise ValidationError({"owner": _("The owner must be one of the participants.")})
    now = timezone.now()
    huddle.outcome = outcome
    huddle.outcome_owner = owner
    huddle.outcome_recorded_at = now
    huddle.save(update_fields=["outcome", "outcome_owner", "outcome_recorded_at"])
    asks = list(huddle.asks.select_related("team", "requester", "assignee", "deal"))
    for ask in asks:
        _record(
            ask=ask,
            actor=actor,
            kind=EventKind.HUDDLE_OUTCOME,
            note=outcome,
            data={"huddle": huddle.pk, "owner": display_name(owner)},
            at=now,
        )
    if asks:
        people = list(huddle.participants.select_related("profile"))
        tell(
            asks[0],
            sender=actor,
            topic="outcome",
            about=str(huddle.pk),
            note=outcome,
            people=[(user, _role_on(asks, user)) for user in people],
        )
    return huddle
