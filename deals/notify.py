"""Nudges as people read them, and the senders that deliver them by email and chat.

Every channel says the same thing: ``describe()`` writes a nudge for one recipient in
their language and time zone; the notification centre, the email and the chat message
all use it.

Sending. ``send_deliveries(ids)`` claims each pending delivery by compare-and-swap
(pending and due, or sending with an expired lease → sending, with a lease and one more
attempt), so two workers, or a task delivered twice, never send one delivery twice at
once. A send that fails waits with exponential backoff and jitter, in the recipient's
working hours, and fails for good after ``DEALDESK_DELIVERY_MAX_ATTEMPTS`` attempts or
at once on an error that retrying cannot fix (a webhook that no longer exists).
A worker killed mid-send leaves its lease to expire; the sweep hands the delivery over
again. Email carries a Message-ID fixed per delivery, so a mail server that did receive
the first attempt recognises the second.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import smtplib
from collections import defaultdict
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from stakeholders.models import display_name

from . import webhooks
from .calendar import hours_for_person, next_working_moment, working_time_between
from .models import (
    CLOSED_STATUSES,
    AskStatus,
    Channel,
    ChatWebhook,
    Clock,
    Delivery,
    DeliveryStatus,
    RecipientRole,
    StepKind,
)
from .models import StepKind as K
from .templatetags.dealdesk import business_span, money

logger = logging.getLogger(__name__)
R = RecipientRole

BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)


def absolute_url(path: str) -> str:
    return settings.DEALDESK_BASE_URL.rstrip("/") + path


@dataclass(frozen=True)
class NudgeText:
    subject: str
    lines: tuple[str, ...]
    url: str
    convene: bool


def _intervention(nudge, values: dict, zone: str) -> tuple[str, list[str], str]:
    """A manager's intervention (deals/interventions.py), worded for this reader: the
    step code says which, and what it carries (a huddle's id) is read now, so times are
    in the reader's zone and words in their language."""
    from .manager_models import Huddle

    topic, _sep, rest = nudge.step_code.partition(":")
    ask = nudge.ask
    url = absolute_url(reverse("ask_detail", args=[ask.pk]))
    reason = nudge.note
    lines: list[str] = []

    def local(moment) -> str:
        with timezone.override(zone):
            return date_format(timezone.localtime(moment), "D Y-m-d H:i")

    if topic == "reassigned":
        subject = _("%(sender)s reassigned “%(title)s”") % values
        lines.append(_("It is now with %(doer)s.") % values)
    elif topic == "extended":
        subject = _("%(sender)s extended the deadline of “%(title)s”") % values
        lines.append(_("The new deadline is %(when)s.") % {"when": local(nudge.due_at)})
    elif topic == "snoozed":
        subject = _("%(sender)s changed the escalation of “%(title)s”") % values
        until = ask.snoozed_until
        if until is not None:
            lines.append(_("No nudges go out until %(when)s.") % {"when": local(until)})
        else:
            lines.append(_("Escalation runs again."))
    elif topic in ("convened", "outcome"):
        huddle_id = rest.split(":", 1)[0]
        huddle = (
            Huddle.objects.select_related("outcome_owner").filter(pk=huddle_id).first()
            if huddle_id.isdigit()
            else None
        )
        if huddle is not None:
            # Every participant may open the huddle; not every one may open this ask.
            url = absolute_url(reverse("huddle_detail", args=[huddle.pk]))
        if topic == "convened":
            subject = _("%(sender)s called a huddle on “%(title)s”") % values
            if huddle is not None:
                where = f" · {huddle.place}" if huddle.place else ""
                lines.append(
                    _("When: %(when)s%(where)s")
                    % {"when": local(huddle.scheduled_at), "where": where}
                )
            lines.append(_("The blocking point: %(agenda)s") % {"agenda": reason})
            reason = ""
        else:
            subject = _("Huddle outcome on “%(title)s”") % values
            if huddle is not None and huddle.outcome_owner is not None:
                lines.append(
                    _("Owned by %(owner)s.") % {"owner": display_name(huddle.outcome_owner)}
                )
    else:
        subject = _("%(sender)s nudged you about “%(title)s”") % values
    if reason:
        lines.append(reason)
    return subject, lines, url


def describe(delivery: Delivery, *, zone: str, now: dt.datetime | None = None) -> NudgeText:
    """What ``delivery``'s recipient reads, in the active language and in ``zone``."""
    nudge = delivery.nudge
    ask = nudge.ask
    now = now or timezone.now()
    with timezone.override(zone):
        when = date_format(timezone.localtime(nudge.due_at), "D Y-m-d H:i")
        created = date_format(timezone.localtime(ask.created_at), "D Y-m-d H:i")
    doer = display_name(ask.assignee) if ask.assignee else ask.team.name
    values = {
        "title": ask.title,
        "when": when,
        "created": created,
        "requester": display_name(ask.requester),
        "doer": doer,
        "team": ask.team.name,
        "late": business_span(working_time_between(ask.team, nudge.due_at, now), ask.team),
        "left": business_span(working_time_between(ask.team, now, nudge.due_at), ask.team),
        "sender": display_name(nudge.sent_by) if nudge.sent_by else _("DealDesk"),
    }
    role = delivery.role
    response = nudge.clock == Clock.RESPONSE
    unassigned = ask.assignee_id is None
    lines: list[str] = []
    if nudge.kind == K.MANUAL:
        subject, lines, url = _intervention(nudge, values, zone)
        lines.append(
            _("Deal: %(customer)s · %(deal)s · %(amount)s")
            % {
                "customer": ask.deal.customer,
                "deal": ask.deal.title,
                "amount": money(ask.deal.amount, ask.deal.currency),
            }
        )
        return NudgeText(subject, tuple(lines), url, False)
    if nudge.kind == K.REMINDER:
        subject = _("Reminder: “%(title)s” is due %(when)s") % values
        lines.append(_("Agreed with %(requester)s; %(left)s of working time left.") % values)
    elif response and role == R.REQUESTER:
        subject = _("No answer yet on “%(title)s”") % values
        lines.append(_("%(doer)s has been reminded to answer.") % values)
    elif response and unassigned:
        subject = _("Nobody has taken “%(title)s”") % values
        lines.append(
            _("It has waited in %(team)s's queue since %(created)s: assign it or take it.") % values
        )
    elif response:
        subject = _("Waiting for your answer: “%(title)s”") % values
        lines.append(
            _(
                "%(requester)s asked on %(created)s: agree the deadline, propose another, "
                "or decline."
            )
            % values
        )
    elif nudge.kind == K.BREACH and role == R.REQUESTER:
        subject = _("Overdue: “%(title)s” (copy)") % values
        lines.append(
            _("%(doer)s missed the agreed deadline, %(when)s, and has been nudged.") % values
        )
    elif nudge.kind == K.BREACH:
        subject = _("Overdue: “%(title)s”") % values
        lines.append(
            _("The deadline agreed with %(requester)s was %(when)s. Deliver, or propose a new one.")
            % values
        )
    else:
        subject = _("Escalation: “%(title)s” is %(late)s overdue") % values
        lines.append(
            _("%(doer)s has not delivered it to %(requester)s; the deadline was %(when)s.") % values
        )
    lines.append(
        _("Deal: %(customer)s · %(deal)s · %(amount)s")
        % {
            "customer": ask.deal.customer,
            "deal": ask.deal.title,
            "amount": money(ask.deal.amount, ask.deal.currency),
        }
    )
    convene = nudge.suggest_convene and role in (R.REQUESTER_MANAGER, R.DEAL_MANAGER)
    if convene:
        lines.append(
            _("Consider convening %(doer)s, %(requester)s and their leads to clear the blocker.")
            % values
        )
    url = absolute_url(reverse("ask_detail", args=[ask.pk]))
    return NudgeText(subject, tuple(lines), url, convene)


# --- sending --------------------------------------------------------------------------


def _claim(ids: list[int], now: dt.datetime) -> list[int]:
    claimable = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, lease_until__lt=now
    )
    with transaction.atomic():
        mine = list(
            Delivery.objects.filter(pk__in=ids)
            .filter(claimable)
            .exclude(channel=Channel.IN_APP)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Delivery.objects.filter(pk__in=mine).update(
            status=DeliveryStatus.SENDING,
            lease_until=now + dt.timedelta(seconds=settings.DEALDESK_DELIVERY_LEASE_SECONDS),
            attempts=F("attempts") + 1,
        )
    return mine


def _target(delivery: Delivery):
    """(language, time zone, working hours) of whoever reads this delivery."""
    if delivery.recipient_id:
        person = delivery.recipient
    elif delivery.webhook.user_id:
        person = delivery.webhook.user
    else:
        team = delivery.webhook.team
        lead = getattr(team.lead, "profile", None) if team.lead_id else None
        language = (lead.language if lead else "") or settings.LANGUAGE_CODE
        return language, team.time_zone, team
    profile = getattr(person, "profile", None)
    language = (profile.language if profile else "") or settings.LANGUAGE_CODE
    zone = profile.time_zone if profile else settings.TIME_ZONE
    return language, zone, hours_for_person(profile.team if profile else None, zone)


def _mine(delivery: Delivery):
    """The delivery as this sender claimed it: if its lease ran out and another sender
    claimed it since (one more attempt), this one may no longer write its outcome."""
    return Delivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, attempts=delivery.attempts
    )


def _sent(delivery: Delivery, now: dt.datetime, *, merged: bool = False) -> None:
    _mine(delivery).update(
        status=DeliveryStatus.SENT, sent_at=now, lease_until=None, last_error="", merged=merged
    )


def _failed(delivery: Delivery, now: dt.datetime, error: str, *, permanent: bool) -> None:
    attempts = delivery.attempts  # read after the claim, so it counts this attempt
    if permanent or attempts >= settings.DEALDESK_DELIVERY_MAX_ATTEMPTS:
        changes = {"status": DeliveryStatus.FAILED}
        logger.warning("Delivery %s failed for good: %s", delivery.pk, error)
    else:
        wait = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))
        wait *= random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security
        _, _, hours = _target(delivery)
        changes = {
            "status": DeliveryStatus.PENDING,
            "next_attempt_at": next_working_moment(hours, now + wait),
            "enqueued_at": None,
        }
    _mine(delivery).update(lease_until=None, last_error=error[:2000], **changes)


def _email(delivery: Delivery, now: dt.datetime) -> EmailMultiAlternatives:
    language, zone, _hours = _target(delivery)
    with translation.override(language):
        text = describe(delivery, zone=zone, now=now)
        context = {
            "text": text,
            "recipient": display_name(delivery.recipient),
            "LANGUAGE_CODE": language,
        }
        body = render_to_string("deals/email/nudge.txt", context)
        html = render_to_string("deals/email/nudge.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(text.subject.split()),  # a header holds one line
        body=body,
        to=[delivery.recipient.email],
        headers={"Message-ID": f"<dealdesk-delivery-{delivery.pk}@{DNS_NAME}>"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _send_emails(deliveries: list[Delivery], now: dt.datetime) -> None:
    if not deliveries:
        return
    connection = mailers.default
    try:
        connection.open()
    except Exception as exc:  # the server is down: every message waits for a retry
        for delivery in deliveries:
            _failed(delivery, now, f"{type(exc).__name__}: {exc}", permanent=False)
        return
    try:
        for delivery in deliveries:
            try:
                message = _email(delivery, now)
            except Exception as exc:  # the message cannot be built: retrying won't help
                _failed(delivery, now, f"{type(exc).__name__}: {exc}", permanent=True)
                continue
            try:
                connection.send_messages([message])
            except SoftTimeLimitExceeded:
                raise
            except Exception as exc:
                permanent = _smtp_permanent(exc)
                _failed(delivery, now, f"{type(exc).__name__}: {exc}", permanent=permanent)
            else:
                _sent(delivery, now)
    finally:
        try:
            connection.close()
        except Exception:
            logger.info("Closing the mail connection failed", exc_info=True)


def _chat_message(delivery: Delivery, now: dt.datetime) -> webhooks.ChatMessage:
    language, zone, _hours = _target(delivery)
    with translation.override(language):
        text = describe(delivery, zone=zone, now=now)
    nudge = delivery.nudge
    return webhooks.ChatMessage(
        title=text.subject,
        lines=text.lines,
        url=text.url,
        data={
            "kind": nudge.kind,
            "clock": nudge.clock,
            "level": nudge.level,
            "step": nudge.step_code,
            "ask_id": nudge.ask_id,
            "due_at": nudge.due_at.isoformat(),
            "role": delivery.role,
        },
    )


def _reserve(webhook_id: int, wanted: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """Take up to ``wanted`` messages from the webhook's rate allowance, under its row
    lock; returns how many were granted and, when none, when the next one frees up."""
    with transaction.atomic():
        hook = ChatWebhook.objects.select_for_update().get(pk=webhook_id)
        limit = webhooks.RATE_LIMITS.get(hook.provider)
        window = now - dt.timedelta(minutes=1)
        recent = sorted(t for t in hook.recent_sends if dt.datetime.fromisoformat(t) > window)
        granted = wanted if limit is None else max(0, min(wanted, limit - len(recent)))
        hook.recent_sends = recent + [now.isoformat()] * granted
        hook.save(update_fields=["recent_sends"])
    if granted:
        return granted, None
    return 0, dt.datetime.fromisoformat(recent[0]) + dt.timedelta(minutes=1)


def _timeouts() -> dict:
    return {
        "connect_timeout": settings.DEALDESK_WEBHOOK_CONNECT_TIMEOUT,
        "read_timeout": settings.DEALDESK_WEBHOOK_READ_TIMEOUT,
        "allow_private": settings.DEALDESK_WEBHOOK_ALLOW_PRIVATE,
    }


def _smtp_permanent(exc: Exception) -> bool:
    """A 5xx answer about this message (unknown mailbox, refused sender) will not change
    on retry; anything else (timeouts, 4xx, a dropped connection) may."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(exc, smtplib.SMTPResponseException) and code is not None and code >= 500


def _send_chat(hook: ChatWebhook, deliveries: list[Delivery], now: dt.datetime) -> None:
    if not hook.enabled:
        for delivery in deliveries:
            _failed(delivery, now, _("The webhook was switched off."), permanent=True)
        return
    granted, free_at = _reserve(hook.pk, len(deliveries), now)
    if not granted:
        # Over the provider's limit: wait for the window, without counting an attempt.
        Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
            status=DeliveryStatus.PENDING,
            attempts=F("attempts") - 1,
            lease_until=None,
            next_attempt_at=free_at,
            enqueued_at=None,
        )
        return
    singles = deliveries if granted >= len(deliveries) else deliveries[: granted - 1]
    merged = deliveries[len(singles) :]
    for delivery in singles:
        try:
            webhooks.post(
                hook.provider, hook.url, hook.secret, _chat_message(delivery, now), **_timeouts()
            )
        except webhooks.DeliveryError as exc:
            _failed(delivery, now, exc.message, permanent=exc.permanent)
        else:
            _sent(delivery, now)
    if not merged:
        return
    language, _zone, _hours = _target(merged[0])
    with translation.override(language):
        summary = webhooks.summary_message(
            [_chat_message(d, now) for d in merged],
            title=_("%(count)d DealDesk nudges") % {"count": len(merged)},
            url=absolute_url(reverse("notifications")),
        )
    try:
        webhooks.post(hook.provider, hook.url, hook.secret, summary, **_timeouts())
    except webhooks.DeliveryError as exc:
        for delivery in merged:
            _failed(delivery, now, exc.message, permanent=exc.permanent)
    else:
        for delivery in merged:
            _sent(delivery, now, merged=True)


# Claimed together, then sent one by one: small enough that the lease (2 minutes) outlasts
# a chunk in normal running, large enough that a burst to one chat robot is seen whole
# and merged into a summary. A sender that overruns its lease cannot overwrite the
# outcome of the sender that took over (see _mine).
SEND_CHUNK = 100


def send_deliveries(ids: list[int], now: dt.datetime | None = None) -> int:
    """Claim and send the given deliveries, a chunk at a time; returns how many this
    call claimed. ``now`` fixes the clock (tests); otherwise each chunk reads it."""
    total = 0
    for start in range(0, len(ids), SEND_CHUNK):
        total += _send_chunk(ids[start : start + SEND_CHUNK], now or timezone.now())
    return total


def _stale(delivery: Delivery, now: dt.datetime) -> bool:
    """A message held for working hours or a retry that no longer needs sending: the
    ask was delivered or closed, its ladder moved on to a new deadline, or a manager
    snoozed it meanwhile."""
    ask, nudge = delivery.nudge.ask, delivery.nudge
    if ask.status in CLOSED_STATUSES or ask.status == AskStatus.DELIVERED:
        return True
    if nudge.kind == StepKind.MANUAL:
        return False
    if ask.snoozed_until is not None and ask.snoozed_until > now:
        return True
    return nudge.clock != ask.ladder_clock or nudge.cycle != ask.ladder_cycle


def _send_chunk(ids: list[int], now: dt.datetime) -> int:
    mine = _claim(ids, now)
    if not mine:
        return 0
    deliveries = list(
        Delivery.objects.filter(pk__in=mine)
        .select_related(
            "nudge__ask__deal",
            "nudge__ask__team",
            "nudge__ask__assignee",
            "nudge__ask__requester",
            "nudge__sent_by",
            "recipient__profile__team",
            "webhook__user__profile__team",
            "webhook__team__lead__profile",
        )
        .order_by("pk")
    )
    live = []
    for delivery in deliveries:
        if _stale(delivery, now):
            _mine(delivery).update(status=DeliveryStatus.DROPPED, lease_until=None)
        else:
            live.append(delivery)
    deliveries = live
    _send_emails([d for d in deliveries if d.channel == Channel.EMAIL], now)
    by_hook: dict[int, list[Delivery]] = defaultdict(list)
    for delivery in deliveries:
        if delivery.channel == Channel.WEBHOOK:
            by_hook[delivery.webhook_id].append(delivery)
    for group in by_hook.values():
        _send_chat(group[0].webhook, group, now)
    return len(mine)
