"""Every write to deals and asks that a user or a job can cause.

Each service is keyword-only, runs in one transaction, locks the row it changes,
checks the transition against the ask's current state, and records a timeline event.
An action that is not allowed raises ``ActionNotAllowed`` (or ``ValidationError`` for
bad field values) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from stakeholders.models import Team, display_name

from . import escalation
from .calendar import add_working_time, suggest_deadline, working_time_between
from .lifecycle import RULES
from .models import (
    ASK_TYPE_FUNCTION,
    DEAL_EDITABLE_FIELDS,
    Ask,
    AskEvent,
    AskStatus,
    AskType,
    Audience,
    Currency,
    Deal,
    DealEvent,
    DealEventKind,
    EventKind,
    Milestone,
    NudgeTimer,
    Stage,
    Thank,
)

S = AskStatus


class ActionNotAllowed(Exception):
    """The action does not fit the ask's state or the acting person's part in it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class MilestonePlan:
    label: str
    due_at: dt.datetime
    audience: str


# --- helpers --------------------------------------------------------------------------


def _record(
    *,
    ask: Ask,
    actor,
    kind: str,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    data: dict | None = None,
    at: dt.datetime | None = None,
) -> AskEvent:
    return AskEvent.objects.create(
        ask=ask,
        actor=actor,
        kind=kind,
        from_status=from_status if from_status != to_status else "",
        to_status=to_status if from_status != to_status else "",
        note=note,
        data=data or {},
        created_at=at or timezone.now(),
    )


def _locked(ask: Ask) -> Ask:
    """Re-read the ask under a row lock so two concurrent actions serialise, and its
    ladder position too: the sweep may be moving it on at this moment."""
    ask = Ask.objects.select_for_update().get(pk=ask.pk)
    timer = NudgeTimer.objects.select_for_update().filter(ask_id=ask.pk).first()
    ask._state.fields_cache["nudge_timer"] = timer
    return ask


def _check(ask: Ask, actor, action: str) -> None:
    """Refuse, with a reason the person can act on, what lifecycle.RULES does not allow."""
    rule = RULES[action]
    if rule.who == "assignee":
        if ask.assignee_id is None:
            raise ActionNotAllowed(_("Nobody has taken this ask yet: take it from the team queue."))
        if ask.assignee_id != actor.pk:
            raise ActionNotAllowed(_("Only the assignee can do that."))
    elif rule.who == "requester" and ask.requester_id != actor.pk:
        raise ActionNotAllowed(_("Only the person who made the ask can do that."))
    if ask.status not in rule.statuses:
        raise ActionNotAllowed(
            _("You can't %(action)s an ask that is %(status)s.")
            % {"action": rule.verb, "status": ask.get_status_display().lower()}
        )


def _require_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


def require_future(value: dt.datetime | None, field: str, now: dt.datetime) -> dt.datetime:
    if value is None:
        raise ValidationError({field: _("Give a date and time.")})
    if value <= now:
        raise ValidationError({field: _("The deadline must be in the future.")})
    return value


def _save(ask: Ask, fields: Iterable[str], *, restart_ladder: bool = False) -> None:
    """Save the changed fields and keep the escalation ladder in step with them;
    ``restart_ladder`` when both sides have just agreed a new deadline."""
    ladder = escalation.plan(ask, timezone.now(), restart=restart_ladder)
    ask.save(update_fields=[*fields, *ladder, "updated_at"])
    escalation.save_timer(ask)


# --- deals ----------------------------------------------------------------------------


def _clean_deal(deal: Deal) -> None:
    deal.customer = deal.customer.strip()
    deal.title = deal.title.strip()
    deal.why_it_matters = deal.why_it_matters.strip()
    deal.full_clean()


@transaction.atomic
def deal_create(
    *,
    owner,
    customer: str,
    title: str,
    amount: Decimal,
    currency: str = Currency.CNY,
    stage: str = Stage.LEAD,
    expected_close_date: dt.date | None = None,
    why_it_matters: str = "",
    reference_customer: bool = False,
    follow_on_phases: bool = False,
    demonstration_value: bool = False,
) -> Deal:
    deal = Deal(
        owner=owner,
        customer=customer,
        title=title,
        amount=amount,
        currency=currency,
        stage=stage,
        expected_close_date=expected_close_date,
        why_it_matters=why_it_matters,
        reference_customer=reference_customer,
        follow_on_phases=follow_on_phases,
        demonstration_value=demonstration_value,
    )
    _clean_deal(deal)
    deal.save()
    DealEvent.objects.create(deal=deal, actor=owner, kind=DealEventKind.CREATED)
    return deal


@transaction.atomic
def deal_update(*, deal: Deal, actor, **changes) -> Deal:
    """Change a deal's facts; the timeline records what changed (a stage move by name)."""
    from .selectors import deal_is_managed_by

    unknown = set(changes) - set(DEAL_EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"deal_update() got unknown fields: {sorted(unknown)}")
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if not deal_is_managed_by(deal, actor):
        raise ActionNotAllowed(_("Only the deal's owner or their managers can change it."))
    before = {name: getattr(deal, name) for name in DEAL_EDITABLE_FIELDS}
    for name, value in changes.items():
        setattr(deal, name, value)
    _clean_deal(deal)
    changed = [name for name in DEAL_EDITABLE_FIELDS if getattr(deal, name) != before[name]]
    if not changed:
        return deal
    deal.save()
    if "stage" in changed:
        DealEvent.objects.create(
            deal=deal,
            actor=actor,
            kind=DealEventKind.STAGE_CHANGED,
            data={"from": before["stage"], "to": deal.stage},
        )
    others = [name for name in changed if name != "stage"]
    if others:
        DealEvent.objects.create(
            deal=deal, actor=actor, kind=DealEventKind.UPDATED, data={"fields": others}
        )
    return deal


# --- asks: creation -------------------------------------------------------------------


def default_team_for(ask_type: str) -> Team | None:
    """The team an ask of this type goes to when the rep names nobody."""
    function = ASK_TYPE_FUNCTION.get(AskType(ask_type))
    if function is None:
        return None
    return Team.objects.filter(function=function).order_by("id").first()


@transaction.atomic
def ask_create(
    *,
    deal: Deal,
    requester,
    ask_type: str,
    title: str,
    deliverable: str,
    details: str,
    purpose: str,
    audience: str,
    proposed_due_at: dt.datetime,
    team: Team | None = None,
    assignee=None,
    basis: str = "",
    basis_verified: bool = False,
    links: str = "",
    milestones: Iterable[MilestonePlan] = (),
) -> Ask:
    from .selectors import can_ask_on

    now = timezone.now()
    if not can_ask_on(deal, requester):
        raise ActionNotAllowed(
            _("Only the deal's owner, its managers and its deal team can make asks on it.")
        )
    errors: dict[str, str] = {}
    if ask_type not in AskType.values:
        errors["ask_type"] = _("Choose a type of ask.")
    for field, value, message in (
        ("title", title, _("Give the ask a short title.")),
        ("deliverable", deliverable, _("Say what you need delivered.")),
        ("details", details, _("Give the key details: parameters, scope, figures.")),
        ("purpose", purpose, _("Say why it matters to the deal.")),
    ):
        if not (value or "").strip():
            errors[field] = message
    if audience not in Audience.values:
        errors["audience"] = _("Say who will see it.")
    try:
        require_future(proposed_due_at, "proposed_due_at", now)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if team is None and assignee is not None:
        team = getattr(getattr(assignee, "profile", None), "team", None)
    if team is None and ask_type in AskType.values:
        team = default_team_for(ask_type)
    if team is None:
        errors["team"] = _("Choose the team that should do this.")
    elif assignee is not None and assignee.pk == requester.pk:
        errors["assignee"] = _("Ask a colleague: you can't make an ask to yourself.")
    elif assignee is not None and getattr(assignee.profile, "team_id", None) != team.pk:
        errors["assignee"] = _("%(person)s is not in %(team)s.") % {
            "person": assignee.get_full_name() or assignee.get_username(),
            "team": team.name,
        }
    plans = list(milestones)
    for index, plan in enumerate(plans):
        if not plan.label.strip():
            errors["milestones"] = _("Each milestone needs a label.")
        elif plan.due_at is None or plan.due_at <= now:
            errors["milestones"] = _("Milestone “%(label)s” must be due in the future.") % {
                "label": plan.label
            }
        elif plan.audience not in Audience.values:
            errors["milestones"] = _("Say who will see milestone “%(label)s”.") % {
                "label": plan.label
            }
        elif index and plan.due_at < plans[index - 1].due_at:
            errors["milestones"] = _("Milestones must be in date order.")
        elif proposed_due_at and plan.due_at > proposed_due_at:
            errors["milestones"] = _(
                "Milestone “%(label)s” is due after the ask's deadline; move one of them."
            ) % {"label": plan.label}
    if errors:
        raise ValidationError(errors)

    ask = Ask(
        deal=deal,
        requester=requester,
        team=team,
        assignee=assignee,
        ask_type=ask_type,
        title=title.strip(),
        deliverable=deliverable.strip(),
        details=details.strip(),
        purpose=purpose.strip(),
        audience=audience,
        basis=basis.strip(),
        basis_verified=basis_verified,
        links=links.strip(),
        proposed_due_at=proposed_due_at,
        created_at=now,
        respond_by=escalation.initial_respond_by(team, now),
    )
    escalation.plan(ask, now)
    ask.save()
    escalation.save_timer(ask)
    Milestone.objects.bulk_create(
        Milestone(ask=ask, position=i, label=p.label.strip(), due_at=p.due_at, audience=p.audience)
        for i, p in enumerate(plans, start=1)
    )
    _record(
        ask=ask,
        actor=requester,
        kind=EventKind.CREATED,
        to_status=S.PROPOSED,
        data={"proposed_due_at": proposed_due_at.isoformat()},
        at=now,
    )
    return ask


# --- asks: the assignee's moves -------------------------------------------------------


@transaction.atomic
def ask_claim(*, ask: Ask, actor) -> Ask:
    """A member of the ask's team takes it from the team queue."""
    ask = _locked(ask)
    _check(ask, actor, "claim")
    if ask.requester_id == actor.pk:
        raise ActionNotAllowed(_("You made this ask: a colleague in the team should take it."))
    if ask.assignee_id is not None:
        raise ActionNotAllowed(_("Someone has already taken this ask."))
    if getattr(actor.profile, "team_id", None) != ask.team_id:
        raise ActionNotAllowed(
            _("Only members of %(team)s can take this ask.") % {"team": ask.team.name}
        )
    ask.assignee = actor
    _save(ask, ["assignee"])
    _record(ask=ask, actor=actor, kind=EventKind.CLAIMED)
    return ask


def give_to(ask: Ask, assignee) -> dict:
    """Move a locked, open ask to ``assignee``, a member of its team other than its
    requester and its current holder (the lead's assign, a manager's reassign); returns
    the timeline event's data. The deadline and its ladder stay as they are."""
    if assignee is None:
        raise ValidationError({"assignee": _("Choose who should do it.")})
    if not assignee.is_active or getattr(assignee.profile, "team_id", None) != ask.team_id:
        raise ValidationError(
            {"assignee": _("Choose a member of %(team)s.") % {"team": ask.team.name}}
        )
    if assignee.pk == ask.requester_id:
        raise ValidationError(
            {
                "assignee": _("%(name)s made this ask; choose someone else.")
                % {"name": display_name(assignee)}
            }
        )
    if assignee.pk == ask.assignee_id:
        raise ValidationError(
            {"assignee": _("%(name)s already has this ask.") % {"name": display_name(assignee)}}
        )
    previous = ask.assignee
    ask.assignee = assignee
    _save(ask, ["assignee"])
    data = {"assignee": assignee.pk, "name": display_name(assignee)}
    if previous is not None:
        data["from_name"] = display_name(previous)
    return data


@transaction.atomic
def ask_assign(*, ask: Ask, actor, assignee, note: str = "") -> Ask:
    """The team's lead gives an ask to a member of the team, or moves it to another.

    The deadline and its ladder stay as they are: the work is owed on the same terms,
    by someone else. The requester is never the assignee of their own ask.
    """
    ask = _locked(ask)
    if ask.team.lead_id != actor.pk:
        raise ActionNotAllowed(
            _("Only the lead of %(team)s can assign its asks.") % {"team": ask.team.name}
        )
    if not ask.is_open or ask.status == S.DELIVERED:
        raise ActionNotAllowed(
            _("You can't assign an ask that is %(status)s.")
            % {"status": ask.get_status_display().lower()}
        )
    data = give_to(ask, assignee)
    _record(ask=ask, actor=actor, kind=EventKind.ASSIGNED, note=note.strip(), data=data)
    return ask


@transaction.atomic
def ask_agree(*, ask: Ask, actor) -> Ask:
    """The assignee agrees the requester's proposed deadline."""
    ask = _locked(ask)
    _check(ask, actor, "agree")
    now = timezone.now()
    if ask.proposed_due_at <= now:
        raise ActionNotAllowed(
            _("The proposed deadline has already passed: propose another one instead.")
        )
    ask.status = S.AGREED
    ask.agreed_due_at = ask.proposed_due_at
    ask.responded_at = ask.responded_at or now
    _save(ask, ["status", "agreed_due_at", "responded_at"], restart_ladder=True)
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.AGREED,
        from_status=S.PROPOSED,
        to_status=S.AGREED,
        data={"agreed_due_at": ask.agreed_due_at.isoformat()},
        at=now,
    )
    return ask


@transaction.atomic
def ask_counter(*, ask: Ask, actor, due_at: dt.datetime, note: str = "") -> Ask:
    """The assignee proposes another deadline; the requester then accepts or keeps theirs.

    From an agreed or running ask this is a renegotiation: the work pauses nowhere, and
    if the requester keeps the old deadline the ask goes back to where it was.
    """
    ask = _locked(ask)
    _check(ask, actor, "counter")
    now = timezone.now()
    require_future(due_at, "due_at", now)
    if due_at == ask.due_at:
        raise ValidationError({"due_at": _("That is the deadline already on the table.")})
    before = ask.status
    ask.resume_status = before
    ask.status = S.COUNTERED
    ask.counter_due_at = due_at
    ask.responded_at = ask.responded_at or now
    _save(ask, ["status", "resume_status", "counter_due_at", "responded_at"])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.COUNTERED,
        from_status=before,
        to_status=S.COUNTERED,
        note=note.strip(),
        data={"counter_due_at": due_at.isoformat()},
        at=now,
    )
    return ask


@transaction.atomic
def ask_start(*, ask: Ask, actor) -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "start")
    before = ask.status
    ask.status = S.IN_PROGRESS
    ask.started_at = ask.started_at or timezone.now()
    _save(ask, ["status", "started_at"])
    _record(ask=ask, actor=actor, kind=EventKind.STARTED, from_status=before, to_status=ask.status)
    return ask


@transaction.atomic
def ask_request_info(*, ask: Ask, actor, question: str) -> Ask:
    """The assignee needs something from the requester; the clocks pause meanwhile."""
    ask = _locked(ask)
    _check(ask, actor, "request_info")
    question = _require_text(question, "question", _("Say what information you need."))
    now = timezone.now()
    before = ask.status
    ask.resume_status = before
    ask.status = S.WAITING
    ask.waiting_since = now
    ask.responded_at = ask.responded_at or now
    _save(ask, ["status", "resume_status", "waiting_since", "responded_at"])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.INFO_REQUESTED,
        from_status=before,
        to_status=S.WAITING,
        note=question,
        at=now,
    )
    return ask


@transaction.atomic
def ask_deliver(*, ask: Ask, actor, note: str, link: str = "") -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "deliver")
    note = _require_text(note, "note", _("Say what you are delivering."))
    link = (link or "").strip()
    if link:
        try:
            URLValidator(schemes=["http", "https"])(link)
        except ValidationError:
            raise ValidationError(
                {"link": _("Enter a full link, starting with https://")}
            ) from None
    now = timezone.now()
    before = ask.status
    ask.status = S.DELIVERED
    ask.delivered_at = now
    ask.delivery_note = note
    ask.delivery_link = link
    _save(ask, ["status", "delivered_at", "delivery_note", "delivery_link"])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.DELIVERED,
        from_status=before,
        to_status=S.DELIVERED,
        note=note,
        data={"link": ask.delivery_link} if ask.delivery_link else {},
        at=now,
    )
    return ask


@transaction.atomic
def ask_decline(*, ask: Ask, actor, reason: str) -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "decline")
    reason = _require_text(reason, "reason", _("Say why you are declining."))
    now = timezone.now()
    before = ask.status
    ask.status = S.DECLINED
    ask.decline_reason = reason
    ask.closed_at = now
    ask.responded_at = ask.responded_at or now
    ask.resume_status = ""
    ask.waiting_since = None
    _save(
        ask,
        ["status", "decline_reason", "closed_at", "responded_at", "resume_status", "waiting_since"],
    )
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.DECLINED,
        from_status=before,
        to_status=S.DECLINED,
        note=reason,
        at=now,
    )
    return ask


# --- asks: the requester's moves ------------------------------------------------------


@transaction.atomic
def ask_accept_counter(*, ask: Ask, actor) -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "accept_counter")
    back_to = S.AGREED if ask.resume_status == S.PROPOSED else ask.resume_status
    ask.status = back_to
    ask.agreed_due_at = ask.counter_due_at
    ask.counter_due_at = None
    ask.resume_status = ""
    _save(ask, ["status", "agreed_due_at", "counter_due_at", "resume_status"], restart_ladder=True)
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.COUNTER_ACCEPTED,
        from_status=S.COUNTERED,
        to_status=back_to,
        data={"agreed_due_at": ask.agreed_due_at.isoformat()},
    )
    return ask


@transaction.atomic
def ask_reject_counter(*, ask: Ask, actor, note: str = "") -> Ask:
    """The requester keeps the deadline they had; the ask returns to where it was."""
    ask = _locked(ask)
    _check(ask, actor, "reject_counter")
    kept = ask.agreed_due_at if ask.resume_status != S.PROPOSED else ask.proposed_due_at
    if kept is not None and kept <= timezone.now():
        raise ActionNotAllowed(
            _("Your deadline has already passed: accept the new one, or cancel the ask.")
        )
    back_to = ask.resume_status
    ask.status = back_to
    ask.counter_due_at = None
    ask.resume_status = ""
    if back_to == S.PROPOSED:
        # The assignee owes an answer again: a fresh response window, and a new ladder
        # so its steps can fire for it.
        ask.respond_by = escalation.initial_respond_by(ask.team, timezone.now())
        _save(ask, ["status", "counter_due_at", "resume_status", "respond_by"], restart_ladder=True)
    else:
        _save(ask, ["status", "counter_due_at", "resume_status"])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.COUNTER_REJECTED,
        from_status=S.COUNTERED,
        to_status=back_to,
        note=note.strip(),
    )
    return ask


@transaction.atomic
def ask_provide_info(*, ask: Ask, actor, answer: str) -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "provide_info")
    answer = _require_text(answer, "answer", _("Give the information that was asked for."))
    now = timezone.now()
    # The clock stood still while the assignee waited: every deadline moves on by the
    # working time that passed (nights, weekends and holidays never counted anyway).
    since = ask.waiting_since
    paused = working_time_between(ask.team, since, now)
    moved = _postpone_deadlines(ask, paused)
    back_to = ask.resume_status
    ask.status = back_to
    ask.resume_status = ""
    ask.waiting_since = None
    _save(ask, ["status", "resume_status", "waiting_since", *moved])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.INFO_PROVIDED,
        from_status=S.WAITING,
        to_status=back_to,
        note=answer,
        data={
            "paused_seconds": int((now - since).total_seconds()),
            "paused_working_seconds": int(paused.total_seconds()),
        },
        at=now,
    )
    return ask


def _postpone_deadlines(ask: Ask, paused: dt.timedelta) -> list[str]:
    """Move the ask's open deadlines and undelivered milestones on by ``paused`` working
    time; returns the ask fields it changed."""
    if not paused:
        return []
    moved = []
    for field in (
        "agreed_due_at",
        "proposed_due_at",
        "counter_due_at",
        "respond_by",
        "ladder_started_at",
        "snoozed_until",
    ):
        value = getattr(ask, field)
        if value is not None:
            setattr(ask, field, add_working_time(ask.team, value, paused))
            moved.append(field)
    milestones = list(ask.milestones.filter(delivered_at__isnull=True))
    for milestone in milestones:
        milestone.due_at = add_working_time(ask.team, milestone.due_at, paused)
    Milestone.objects.bulk_update(milestones, ["due_at"])
    return moved


@transaction.atomic
def ask_confirm(*, ask: Ask, actor) -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "confirm")
    ask.status = S.DONE
    ask.closed_at = timezone.now()
    _save(ask, ["status", "closed_at"])
    _record(
        ask=ask, actor=actor, kind=EventKind.CONFIRMED, from_status=S.DELIVERED, to_status=S.DONE
    )
    return ask


@transaction.atomic
def ask_reopen(*, ask: Ask, actor, reason: str, due_at: dt.datetime | None = None) -> Ask:
    """Something is missing: the work restarts against a new deadline (the one given, or
    the team's usual turnaround from now), not the old one that has likely passed."""
    ask = _locked(ask)
    _check(ask, actor, "reopen")
    reason = _require_text(reason, "reason", _("Say what is still missing."))
    now = timezone.now()
    if due_at is not None:
        require_future(due_at, "due_at", now)
    before = ask.status
    ask.status = S.REOPENED
    ask.closed_at = None
    ask.delivered_at = None
    ask.agreed_due_at = due_at or suggest_deadline(ask.team, now)
    _save(ask, ["status", "closed_at", "delivered_at", "agreed_due_at"], restart_ladder=True)
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.REOPENED,
        from_status=before,
        to_status=S.REOPENED,
        note=reason,
        data={"agreed_due_at": ask.agreed_due_at.isoformat()},
        at=now,
    )
    return ask


@transaction.atomic
def ask_cancel(*, ask: Ask, actor, reason: str = "") -> Ask:
    ask = _locked(ask)
    _check(ask, actor, "cancel")
    before = ask.status
    ask.status = S.CANCELLED
    ask.closed_at = timezone.now()
    ask.resume_status = ""
    ask.waiting_since = None
    _save(ask, ["status", "closed_at", "resume_status", "waiting_since"])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.CANCELLED,
        from_status=before,
        to_status=S.CANCELLED,
        note=reason.strip(),
    )
    return ask


@transaction.atomic
def ask_thank(*, ask: Ask, actor, note: str = "") -> Thank:
    """The requester credits the colleague who delivered; once per ask."""
    ask = _locked(ask)
    _check(ask, actor, "thank")
    if ask.assignee_id == actor.pk:
        raise ActionNotAllowed(_("You delivered this ask yourself: there is nobody to thank."))
    if Thank.objects.filter(ask=ask, thanked_by=actor, thanked_id=ask.assignee_id).exists():
        raise ActionNotAllowed(
            _("You have already thanked %(person)s for this ask.")
            % {"person": ask.assignee.get_full_name() or ask.assignee.get_username()}
        )
    thank = Thank.objects.create(
        ask=ask, thanked_by=actor, thanked_id=ask.assignee_id, note=note.strip()
    )
    _record(ask=ask, actor=actor, kind=EventKind.THANKED, note=thank.note)
    return thank


# --- asks: everyone -------------------------------------------------------------------


@transaction.atomic
def ask_comment(*, ask: Ask, actor: AbstractBaseUser, text: str) -> AskEvent:
    from .selectors import asks_visible_to

    if not asks_visible_to(actor).filter(pk=ask.pk).exists():
        raise ActionNotAllowed(_("You can only comment on asks you are involved in."))
    text = _require_text(text, "text", _("Write something first."))
    return _record(ask=ask, actor=actor, kind=EventKind.COMMENTED, note=text)


# --- asks: a manager's moves ----------------------------------------------------------

MAX_SNOOZE = dt.timedelta(days=30)


@transaction.atomic
def ask_snooze(*, ask: Ask, actor, until: dt.datetime | None, reason: str) -> Ask:
    """Hold the ask's escalation until ``until`` (None lifts a snooze); reminders and
    nudges that fall due meanwhile fire when it ends."""
    from .selectors import can_intervene

    ask = _locked(ask)
    if not can_intervene(ask, actor):
        raise ActionNotAllowed(
            _("Only a manager of the people on this ask, or the team's lead, can do that.")
        )
    if not ask.is_open:
        raise ActionNotAllowed(_("This ask is closed: there is nothing to escalate."))
    reason = _require_text(reason, "reason", _("Say why escalation should wait."))
    now = timezone.now()
    if until is not None:
        require_future(until, "until", now)
        if until - now > MAX_SNOOZE:
            raise ValidationError({"until": _("Snooze for at most 30 days.")})
    ask.snoozed_until = until
    _save(ask, ["snoozed_until"])
    _record(
        ask=ask,
        actor=actor,
        kind=EventKind.SNOOZED,
        note=reason,
        data={"snoozed_until": until.isoformat() if until else None},
        at=now,
    )
    return ask
