"""The sweep: claims asks whose next ladder step is due and fires those steps.

Runs every 30 seconds from Celery beat (and from ``manage.py escalate``). Each batch of
up to BATCH_SIZE asks is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` through the
partial index ``ask_nudge_due``, so two sweeps at once never take the same ask. For each
fired step it writes one nudge (``INSERT … ON CONFLICT DO NOTHING`` against the unique
step-per-deadline constraint), a timeline event, an in-app delivery per recipient (the
notification centre: visible at once) and a pending delivery per email or chat channel,
due at the start of the recipient's working hours. It moves each ask's
``next_nudge_at`` on and, after the commit, hands the deliveries due now to the Celery
senders. Finally it hands over again any delivery that is due but that no sender holds.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from stakeholders.models import Role, Stakeholder, Team

from .calendar import hours_for_person, next_working_moment
from .escalation import Ladders, Step, clock_start, fire_at, next_step_time, plan, running_clock
from .models import (
    Ask,
    Channel,
    ChatWebhook,
    Delivery,
    DeliveryStatus,
    EventKind,
    RecipientRole,
    StepKind,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


# --- the sweep ------------------------------------------------------------------------


@dataclass
class SweepReport:
    batches: int = 0
    asks: int = 0
    nudges: int = 0
    in_app: int = 0
    to_send: int = 0
    requeued: int = 0
    seconds: float = 0.0
    claim_ms: list[float] = field(default_factory=list)
    by_step: dict[str, int] = field(default_factory=lambda: defaultdict(int))


@dataclass
class _Fired:
    ask: Ask
    step: Step
    clock: str
    due_at: dt.datetime


_CLAIM_FIELDS = (
    "id",
    "deal_id",
    "requester_id",
    "team_id",
    "assignee_id",
    "status",
    "agreed_due_at",
    "respond_by",
    "responded_at",
    "created_at",
    "ladder_clock",
    "ladder_cycle",
    "ladder_step",
    "ladder_started_at",
    "next_nudge_at",
    "escalation_level",
    "snoozed_until",
)


def _claim(now: dt.datetime, limit: int) -> list[Ask]:
    """Due asks no other sweep holds, locked until this batch commits."""
    return list(
        Ask.objects.filter(next_nudge_at__lte=now)
        .order_by("next_nudge_at")
        .select_for_update(skip_locked=True)
        .only(*_CLAIM_FIELDS)[:limit]
    )


def _advance(ask: Ask, now: dt.datetime, ladders: Ladders, teams) -> list[_Fired]:
    """Fire every step of the running ladder whose time has come, in order; a reminder
    whose deadline has already passed is skipped rather than sent late."""
    ask.team = teams[ask.team_id]
    clock = running_clock(ask)
    if clock is None or clock.clock != ask.ladder_clock:
        plan(ask, now, ladders=ladders)
        return []
    if ask.snoozed_until is not None and ask.snoozed_until > now:
        ask.next_nudge_at = ask.snoozed_until
        return []
    steps = ladders.steps(ask.team_id, clock.clock)
    start = clock_start(ask, clock.clock)
    fired = []
    while ask.ladder_step < len(steps):
        step = steps[ask.ladder_step]
        if fire_at(step, ask.team, start, clock.due_at) > now:
            break
        ask.ladder_step += 1
        if step.kind == StepKind.REMINDER and now >= clock.due_at:
            continue
        fired.append(_Fired(ask, step, clock.clock, clock.due_at))
        ask.escalation_level = max(ask.escalation_level, step.level)
    ask.next_nudge_at = next_step_time(ask, steps, clock)
    return fired


class _People:
    """Who is who for one batch: profiles, managers, deal managers and webhooks."""

    def __init__(self, fired: list[_Fired], teams, webhooks):
        self.teams = teams
        ids = set()
        deal_ids = set()
        for item in fired:
            ask = item.ask
            ids.update(i for i in (ask.assignee_id, ask.requester_id) if i)
            lead = teams[ask.team_id].lead_id
            if lead:
                ids.add(lead)
            if item.step.notify_deal_managers:
                deal_ids.add(ask.deal_id)
        self.deal_managers: dict[int, list[int]] = defaultdict(list)
        if deal_ids:
            for deal_id, user_id in Stakeholder.objects.filter(
                deal_id__in=deal_ids, role=Role.MANAGER
            ).values_list("deal_id", "user_id"):
                self.deal_managers[deal_id].append(user_id)
                ids.add(user_id)
        self.profiles = self._load(ids)
        managers = {p["manager_id"] for p in self.profiles.values() if p["manager_id"]}
        self.profiles.update(self._load(managers - self.profiles.keys()))
        self.webhooks = webhooks

    @staticmethod
    def _load(ids) -> dict[int, dict]:
        if not ids:
            return {}
        rows = (
            get_user_model()
            .objects.filter(pk__in=ids, is_active=True)
            .values(
                "pk",
                "email",
                "profile__team_id",
                "profile__manager_id",
                "profile__time_zone",
                "profile__email_notifications",
            )
        )
        return {
            row["pk"]: {
                "email": row["email"],
                "team_id": row["profile__team_id"],
                "manager_id": row["profile__manager_id"],
                "time_zone": row["profile__time_zone"],
                "email_on": row["profile__email_notifications"] is not False,
            }
            for row in rows
        }

    def manager_of(self, user_id: int | None) -> int | None:
        person = self.profiles.get(user_id)
        return person["manager_id"] if person else None

    def recipients(self, item: _Fired) -> list[tuple[int, str]]:
        """(user id, role) for a fired step, each person once, the closest role first."""
        ask, step = item.ask, item.step
        lead = self.teams[ask.team_id].lead_id
        doer = ask.assignee_id or lead
        wanted: list[tuple[int | None, str]] = []
        if step.notify_assignee:
            role = RecipientRole.ASSIGNEE if ask.assignee_id else RecipientRole.TEAM_LEAD
            wanted.append((doer, role))
        if step.copy_requester:
            wanted.append((ask.requester_id, RecipientRole.REQUESTER))
        if step.notify_assignee_manager:
            wanted.append((self.manager_of(doer), RecipientRole.ASSIGNEE_MANAGER))
        if step.notify_requester_manager:
            wanted.append((self.manager_of(ask.requester_id), RecipientRole.REQUESTER_MANAGER))
        if step.notify_deal_managers:
            wanted.extend((m, RecipientRole.DEAL_MANAGER) for m in self.deal_managers[ask.deal_id])
        seen, result = set(), []
        for user_id, role in wanted:
            if user_id and user_id not in seen and user_id in self.profiles:
                seen.add(user_id)
                result.append((user_id, role))
        return result

    def quiet_until(self, user_id: int, now: dt.datetime) -> dt.datetime:
        """Now, in the person's working hours; else the start of their next one."""
        person = self.profiles[user_id]
        team = self.teams.get(person["team_id"])
        return next_working_moment(hours_for_person(team, person["time_zone"]), now)


def _adapt(value):
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple], suffix: str = ""):
    """One multi-row INSERT per chunk (the ORM's bulk_create costs more per row than the
    whole sweep may spend); returns the rows of a RETURNING suffix."""
    returned = []
    chunk = max(1, 30000 // len(columns))
    cols = ", ".join(columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), chunk):
            part = rows[i : i + chunk]
            params = [_adapt(v) for row in part for v in row]
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(part))} {suffix}"  # noqa: S608
            cursor.execute(sql, params)
            if suffix:
                returned.extend(cursor.fetchall())
    return returned


_ASK_UPDATE = (
    "respond_by",
    "ladder_clock",
    "ladder_cycle",
    "ladder_step",
    "ladder_started_at",
    "next_nudge_at",
    "escalation_level",
)


def _save_asks(asks: list[Ask]) -> None:
    if not asks:
        return
    if connection.vendor == "postgresql":
        one = "(%s, %s::timestamptz, %s, %s, %s, %s::timestamptz, %s::timestamptz, %s)"
        sets = ", ".join(f"{c} = v.{c}" for c in _ASK_UPDATE)
        sql = (
            f"UPDATE deals_ask AS a SET {sets} FROM (VALUES {', '.join([one] * len(asks))}) "  # noqa: S608
            f"AS v(id, {', '.join(_ASK_UPDATE)}) WHERE a.id = v.id"
        )
        params = [v for a in asks for v in (a.pk, *(getattr(a, c) for c in _ASK_UPDATE))]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    Ask.objects.bulk_update(asks, list(_ASK_UPDATE))


def _hand_over_after_commit(ids: list[int], hand_over) -> None:
    if ids and hand_over is not None:
        transaction.on_commit(lambda: hand_over(ids))


def enqueue_sends(ids: list[int]) -> bool:
    """Hand deliveries to the Celery senders; False if the broker could not take them.
    A broker that is down loses nothing: the sweep hands over again whatever is still
    pending after a while (DEALDESK_REQUEUE_AFTER_SECONDS)."""
    from .tasks import send_deliveries

    for i in range(0, len(ids), BATCH_SIZE):
        try:
            send_deliveries.apply_async(args=[ids[i : i + BATCH_SIZE]], retry=False)
        except Exception:
            logger.warning("Could not enqueue %d deliveries; the sweep will retry.", len(ids))
            return False
    return True


def _until_it_fails(hand_over):
    """While the broker is down each enqueue costs a connection timeout (seconds); after
    the first failure the rest of this sweep stops trying, so a long backlog still
    drains at full speed and the deliveries wait for a later sweep."""
    if hand_over is None:
        return None
    failed = False

    def guarded(ids):
        nonlocal failed
        if not failed:
            failed = hand_over(ids) is False

    return guarded


def _record(fired: list[_Fired], people: _People, now: dt.datetime, report: SweepReport, hand_over):
    """Write the nudges, their timeline events and deliveries for one batch."""
    if not fired:
        return
    nudge_rows = [
        (
            f.ask.pk,
            f.clock,
            f.ask.ladder_cycle,
            f.step.code,
            f.step.kind,
            f.step.level,
            f.due_at,
            f.step.suggest_convene,
            "",
            now,
        )
        for f in fired
    ]
    created = _insert(
        "deals_nudge",
        (
            "ask_id",
            "clock",
            "cycle",
            "step_code",
            "kind",
            "level",
            "due_at",
            "suggest_convene",
            "note",
            "created_at",
        ),
        nudge_rows,
        "ON CONFLICT (ask_id, clock, cycle, step_code) DO NOTHING "
        "RETURNING id, ask_id, clock, cycle, step_code",
    )
    by_key = {(f.ask.pk, f.clock, f.ask.ladder_cycle, f.step.code): f for f in fired}
    events, deliveries, to_send = [], [], []
    kind_event = {
        StepKind.REMINDER: EventKind.REMINDED,
        StepKind.BREACH: EventKind.NUDGED,
        StepKind.ESCALATE: EventKind.ESCALATED,
    }
    for nudge_id, ask_id, clock, cycle, code in created:
        f = by_key[(ask_id, clock, cycle, code)]
        recipients = people.recipients(f)
        report.nudges += 1
        report.by_step[code] += 1
        data = {
            "nudge": nudge_id,
            "step": code,
            "clock": clock,
            "level": f.step.level,
            "recipients": [[uid, role] for uid, role in recipients],
        }
        events.append((ask_id, None, "", json.dumps(data), now, kind_event[f.step.kind], "", ""))
        for user_id, role in recipients:
            deliveries.append(
                (nudge_id, user_id, None, Channel.IN_APP, role, DeliveryStatus.SENT, now, now)
            )
            report.in_app += 1
            person = people.profiles[user_id]
            hooks = people.webhooks["user"].get(user_id, ())
            if (person["email"] and person["email_on"]) or hooks:
                when = people.quiet_until(user_id, now)
                if person["email"] and person["email_on"]:
                    to_send.append((nudge_id, user_id, None, Channel.EMAIL, role, when))
                for hook in hooks:
                    to_send.append((nudge_id, None, hook, Channel.WEBHOOK, role, when))
        if f.step.notify_assignee:
            team = people.teams[f.ask.team_id]
            for hook in people.webhooks["team"].get(f.ask.team_id, ()):
                when = next_working_moment(team, now)
                to_send.append((nudge_id, None, hook, Channel.WEBHOOK, RecipientRole.TEAM, when))
    _insert(
        "deals_askevent",
        ("ask_id", "actor_id", "note", "data", "created_at", "kind", "from_status", "to_status"),
        events,
    )
    columns = (
        "nudge_id",
        "recipient_id",
        "webhook_id",
        "channel",
        "role",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "enqueued_at",
        "sent_at",
        "merged",
        "created_at",
    )
    rows = [
        (n, u, w, c, r, s, 0, "", t, None, t, False, t) for n, u, w, c, r, s, t, _ in deliveries
    ]
    rows += [
        (
            n,
            u,
            w,
            c,
            r,
            DeliveryStatus.PENDING,
            0,
            "",
            when,
            now if when <= now else None,
            None,
            False,
            now,
        )
        for n, u, w, c, r, when in to_send
    ]
    returned = _insert("deals_delivery", columns, rows, "RETURNING id, next_attempt_at, status")
    due_now = [
        i
        for i, when, status in returned
        if status == DeliveryStatus.PENDING and _aware(when) <= now
    ]
    report.to_send += len(due_now)
    _hand_over_after_commit(due_now, hand_over)


def _aware(value) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def _webhooks() -> dict[str, dict[int, list[int]]]:
    hooks: dict[str, dict[int, list[int]]] = {"user": defaultdict(list), "team": defaultdict(list)}
    for pk, user_id, team_id in ChatWebhook.objects.filter(enabled=True).values_list(
        "pk", "user_id", "team_id"
    ):
        if user_id:
            hooks["user"][user_id].append(pk)
        else:
            hooks["team"][team_id].append(pk)
    return hooks


def sweep_batch(
    now: dt.datetime, ladders: Ladders, teams, webhooks, report: SweepReport, hand_over
) -> int:
    """Claim up to BATCH_SIZE due asks and fire their steps, in one transaction."""
    with transaction.atomic():
        started = time.perf_counter()
        asks = _claim(now, BATCH_SIZE)
        report.claim_ms.append((time.perf_counter() - started) * 1000)
        if not asks:
            return 0
        fired = []
        for ask in asks:
            fired.extend(_advance(ask, now, ladders, teams))
        _record(fired, _People(fired, teams, webhooks), now, report, hand_over)
        _save_asks(asks)
    report.batches += 1
    report.asks += len(asks)
    return len(asks)


def requeue_lost(now: dt.datetime, report: SweepReport, hand_over) -> None:
    """Hand over again the deliveries that are due but that no sender holds: retries
    whose wait is over, enqueues lost on the way, and sends whose worker died."""
    lost = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & (
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=now - dt.timedelta(seconds=settings.DEALDESK_REQUEUE_AFTER_SECONDS))
    ) | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    while True:
        with transaction.atomic():
            ids = list(
                Delivery.objects.filter(lost)
                .select_for_update(skip_locked=True)
                .order_by("id")
                .values_list("id", flat=True)[:BATCH_SIZE]
            )
            if not ids:
                return
            Delivery.objects.filter(pk__in=ids).update(enqueued_at=now)
            _hand_over_after_commit(ids, hand_over)
        report.requeued += len(ids)
        if len(ids) < BATCH_SIZE:
            return


def sweep(now: dt.datetime | None = None, *, hand_over=enqueue_sends) -> SweepReport:
    """Drain everything that is due, batch by batch, with no cap; then hand over lost
    deliveries. Safe to run in several processes at once. ``hand_over`` receives the ids
    of deliveries to send after each commit (None: leave them pending)."""
    now = now or timezone.now()
    hand_over = _until_it_fails(hand_over)
    report = SweepReport()
    started = time.perf_counter()
    ladders = Ladders()
    teams = {team.pk: team for team in Team.objects.all()}
    webhooks = _webhooks()
    while sweep_batch(now, ladders, teams, webhooks, report, hand_over) == BATCH_SIZE:
        pass
    requeue_lost(now, report, hand_over)
    report.seconds = time.perf_counter() - started
    if report.nudges or report.requeued:
        logger.info(
            "Sweep: %d asks, %d nudges, %d in-app, %d to send, %d handed over again in %.2fs",
            report.asks,
            report.nudges,
            report.in_app,
            report.to_send,
            report.requeued,
            report.seconds,
        )
    return report
