"""The sweep: claims asks whose next ladder step is due and fires those steps.

Runs every 30 seconds from Celery beat (and from ``manage.py escalate``). Each batch of
up to BATCH_SIZE asks is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` through the
partial index ``nudgetimer_due``, so two sweeps at once never take the same ask. For each
fired step it writes one nudge (``INSERT … ON CONFLICT DO NOTHING`` against the unique
step-per-deadline constraint), a timeline event, an in-app delivery per recipient (the
notification centre: visible at once) and a pending delivery per email or chat channel,
due at the start of the recipient's working hours. It moves each ask's
``next_nudge_at`` on and, after the commit, hands the deliveries due now to the Celery
senders. Finally it hands over again any delivery that is due but that no sender holds.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
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
    RecipientRole,
    StepKind,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
HAND_OVER_SIZE = 2000


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
    "ladder_started_at",
    "snoozed_until",
)


class ClaimedAsk:
    """The columns of a claimed ask the ladder reads and writes: plain attributes, as a
    model instance per row would cost more than the rest of the batch's Python."""

    __slots__ = (
        *_CLAIM_FIELDS,
        "team",
        "next_nudge_at",
        "ladder_step",
        "escalation_level",
        "replanned",
    )

    def __init__(self, row, ladder_step: int, escalation_level: int):
        (
            self.id,
            self.deal_id,
            self.requester_id,
            self.team_id,
            self.assignee_id,
            self.status,
            self.agreed_due_at,
            self.respond_by,
            self.responded_at,
            self.created_at,
            self.ladder_clock,
            self.ladder_cycle,
            self.ladder_started_at,
            self.snoozed_until,
        ) = row
        self.next_nudge_at = None
        self.ladder_step = ladder_step
        self.escalation_level = escalation_level
        self.replanned = False

    @property
    def pk(self) -> int:
        return self.id


_CLAIM_SQL = (
    "SELECT ask_id, ladder_step, escalation_level FROM deals_nudgetimer "
    "WHERE next_nudge_at <= %s ORDER BY next_nudge_at LIMIT %s"
)


def _skip_locked(sql: str) -> str:
    # SQLite has no row locks: its one writer at a time serialises the sweeps instead.
    if connection.features.has_select_for_update_skip_locked:
        return sql + " FOR UPDATE SKIP LOCKED"
    return sql


def claim(now: dt.datetime, limit: int) -> list[tuple[int, int, int]]:
    """Lock up to ``limit`` due timers that no other sweep holds, until this batch
    commits: (ask id, ladder step, escalation level) each. Served by the partial index
    nudgetimer_due. A person changing one of these asks meanwhile waits for this batch
    to commit before replanning its timer (services lock the ask, then its timer); the
    sweep never waits on an ask, so the two cannot deadlock."""
    with connection.cursor() as cursor:
        cursor.execute(_skip_locked(_CLAIM_SQL), [_adapt(now), limit])
        return cursor.fetchall()


def _load(claimed: list[tuple[int, int, int]]) -> list[ClaimedAsk]:
    """The claimed asks' status, deadlines and ladder columns: read, never written here
    (except for an ask the sweep has to plan)."""
    position = {ask_id: (step, level) for ask_id, step, level in claimed}
    columns = ", ".join(_CLAIM_FIELDS)
    marks = ", ".join(["%s"] * len(position))
    sql = f"SELECT {columns} FROM deals_ask WHERE id IN ({marks})"  # noqa: S608 - fixed names
    with connection.cursor() as cursor:
        cursor.execute(sql, list(position))
        rows = cursor.fetchall()
    if connection.vendor != "postgresql":
        rows = [_from_sqlite(row) for row in rows]
    return [ClaimedAsk(row, *position[row[0]]) for row in rows]


_DATETIME_COLUMNS = {
    i
    for i, name in enumerate(_CLAIM_FIELDS)
    if name.endswith("_at") or name in ("respond_by", "snoozed_until")
}


def _from_sqlite(row: tuple) -> tuple:
    """SQLite hands datetimes back as text through a raw cursor."""
    return tuple(
        _aware(value) if i in _DATETIME_COLUMNS and value is not None else value
        for i, value in enumerate(row)
    )


def _advance(ask: Ask, now: dt.datetime, ladders: Ladders, teams) -> list[_Fired]:
    """Fire every step of the running ladder whose time has come, in order; a reminder
    whose deadline has already passed is skipped rather than sent late."""
    ask.team = teams[ask.team_id]
    clock = running_clock(ask)
    if clock is None or clock.clock != ask.ladder_clock:
        plan(ask, now, ladders=ladders)
        ask.replanned = True
        return []
    if ask.snoozed_until is not None and ask.snoozed_until > now:
        ask.next_nudge_at = ask.snoozed_until
        return []
    steps = ladders.steps(ask.team_id, clock.clock)
    start = clock_start(ask, clock.clock)
    fired = []
    moment = None
    while ask.ladder_step < len(steps):
        step = steps[ask.ladder_step]
        moment = fire_at(step, ask.team, start, clock.due_at)
        if moment > now:
            break
        moment = None
        ask.ladder_step += 1
        if step.kind == StepKind.REMINDER and now >= clock.due_at:
            continue
        fired.append(_Fired(ask, step, clock.clock, clock.due_at))
        ask.escalation_level = max(ask.escalation_level, step.level)
    if moment is not None and ask.snoozed_until is not None:
        moment = max(moment, ask.snoozed_until)
    # The loop already timed the next step when it stopped before one.
    ask.next_nudge_at = moment if moment is not None else next_step_time(ask, steps, clock)
    return fired


class _People:
    """Who is who for one batch: profiles, managers, deal managers and webhooks."""

    def __init__(self, fired: list[_Fired], teams, webhooks):
        self.teams = teams
        self._quiet: dict = {}
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
            .objects.filter(pk__in=ids)
            .values(
                "pk",
                "is_active",
                "email",
                "profile__team_id",
                "profile__manager_id",
                "profile__time_zone",
                "profile__email_notifications",
            )
        )
        return {
            row["pk"]: {
                "active": row["is_active"],
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
        # Nobody has taken the ask, or its assignee has left: the team lead stands in.
        present = ask.assignee_id and self.profiles.get(ask.assignee_id, {}).get("active")
        doer = ask.assignee_id if present else lead
        wanted: list[tuple[int | None, str]] = []
        if step.notify_assignee:
            role = RecipientRole.ASSIGNEE if present else RecipientRole.TEAM_LEAD
            wanted.append((doer, role))
        if step.copy_requester:
            wanted.append((ask.requester_id, RecipientRole.REQUESTER))
        if step.notify_assignee_manager:
            wanted.append(
                (self.manager_of(ask.assignee_id or lead), RecipientRole.ASSIGNEE_MANAGER)
            )
        if step.notify_requester_manager:
            wanted.append((self.manager_of(ask.requester_id), RecipientRole.REQUESTER_MANAGER))
        if step.notify_deal_managers:
            wanted.extend((m, RecipientRole.DEAL_MANAGER) for m in self.deal_managers[ask.deal_id])
        seen, result = set(), []
        for user_id, role in wanted:
            person = self.profiles.get(user_id)
            if user_id and user_id not in seen and person and person["active"]:
                seen.add(user_id)
                result.append((user_id, role))
        return result

    def quiet_until(self, user_id: int, now: dt.datetime) -> dt.datetime:
        """Now, in the person's working hours; else the start of their next one."""
        person = self.profiles[user_id]
        key = (person["team_id"], person["time_zone"])
        if key not in self._quiet:
            team = self.teams.get(person["team_id"])
            hours = hours_for_person(team, person["time_zone"])
            self._quiet[key] = next_working_moment(hours, now)
        return self._quiet[key]


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
            if connection.vendor == "postgresql":  # psycopg2 takes datetimes as they are
                params = [v for row in part for v in row]
            else:
                params = [_adapt(v) for row in part for v in row]
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(part))} {suffix}"  # noqa: S608
            cursor.execute(sql, params)
            if suffix:
                returned.extend(cursor.fetchall())
    return returned


_ASK_UPDATE = ("respond_by", "ladder_clock", "ladder_cycle", "ladder_started_at")


def _save_asks(asks: list[ClaimedAsk]) -> None:
    """Move each timer on (next step, steps fired, level reached). The ask row itself
    is written only for the few the sweep had to plan (asks from before the engine)."""
    if not asks:
        return
    planned = [a for a in asks if a.replanned]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE deals_nudgetimer AS t SET next_nudge_at = v.next,"  # noqa: S608
                " ladder_step = v.step, escalation_level = v.level FROM (VALUES "
                + ", ".join(["(%s, %s::timestamptz, %s, %s)"] * len(asks))
                + ") AS v(id, next, step, level) WHERE t.ask_id = v.id",
                [
                    v
                    for a in asks
                    for v in (a.pk, a.next_nudge_at, a.ladder_step, a.escalation_level)
                ],
            )
        else:
            cursor.executemany(
                "UPDATE deals_nudgetimer SET next_nudge_at = %s, ladder_step = %s,"
                " escalation_level = %s WHERE ask_id = %s",
                [[_adapt(a.next_nudge_at), a.ladder_step, a.escalation_level, a.pk] for a in asks],
            )
        if planned:
            sets = ", ".join(f"{c} = %s" for c in _ASK_UPDATE)
            cursor.executemany(
                f"UPDATE deals_ask SET {sets} WHERE id = %s",  # noqa: S608
                [[*(_adapt(getattr(a, c)) for c in _ASK_UPDATE), a.pk] for a in planned],
            )


def _hand_over_after_commit(ids: list[int], hand_over) -> None:
    if ids and hand_over is not None:
        transaction.on_commit(lambda: hand_over(ids))


def enqueue_sends(ids: list[int]) -> bool:
    """Hand deliveries to the Celery senders; False if the broker could not take them.
    A broker that is down loses nothing: the sweep hands over again whatever is still
    pending after a while (DEALDESK_REQUEUE_AFTER_SECONDS)."""
    from .tasks import send_deliveries

    # One message per batch: the sender claims and sends them a chunk at a time anyway.
    for i in range(0, len(ids), HAND_OVER_SIZE):
        try:
            send_deliveries.apply_async(args=[ids[i : i + HAND_OVER_SIZE]], retry=False)
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


_DELIVERY_COLUMNS = (
    "id",
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


def _record(fired: list[_Fired], people: _People, now: dt.datetime, report: SweepReport, hand_over):
    """Write the nudges and their deliveries for one batch. The ask page's timeline
    shows the nudges themselves, so no separate timeline row is written."""
    if not fired:
        return
    created = _insert_nudges(fired, now)
    by_key = {(f.ask.pk, f.clock, f.ask.ladder_cycle, f.step.code): f for f in fired}
    in_app, to_send = [], []
    for nudge_id, ask_id, clock, cycle, code in created:
        f = by_key[(ask_id, clock, cycle, code)]
        report.nudges += 1
        report.by_step[code] += 1
        for user_id, role in people.recipients(f):
            in_app.append((nudge_id, user_id, role))
            person = people.profiles[user_id]
            email = bool(person["email"] and person["email_on"])
            hooks = people.webhooks["user"].get(user_id, ())
            if email or hooks:
                when = people.quiet_until(user_id, now)
                if email:
                    to_send.append((nudge_id, user_id, None, Channel.EMAIL, role, when))
                for hook in hooks:
                    to_send.append((nudge_id, None, hook, Channel.WEBHOOK, role, when))
        if f.step.notify_assignee:
            team = people.teams[f.ask.team_id]
            for hook in people.webhooks["team"].get(f.ask.team_id, ()):
                when = next_working_moment(team, now)
                to_send.append((nudge_id, None, hook, Channel.WEBHOOK, RecipientRole.TEAM, when))
    report.in_app += len(in_app)
    ids = _new_ids("deals_delivery", len(in_app) + len(to_send))
    due_now = []
    pending = []
    for i, (n, u, w, c, r, when) in zip(ids[len(in_app) :], to_send, strict=True):
        ready = when <= now
        if ready:
            due_now.append(i)
        pending.append((i, n, u, w, c, r, when, now if ready else None))
    _copy_deliveries(zip(ids, in_app, strict=False), pending, now)
    report.to_send += len(due_now)
    _hand_over_after_commit(due_now, hand_over)


_NUDGE_COLUMNS = (
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
)


def _insert_nudges(fired: list[_Fired], now: dt.datetime) -> list[tuple]:
    """Write one nudge per fired step; returns (id, ask, clock, cycle, step) of those
    written. The unique constraint refuses a step already sent for this deadline: the
    fast path (COPY) then rolls back to its savepoint and the batch goes through
    INSERT … ON CONFLICT DO NOTHING, which writes only the new ones."""
    rows = [
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
    if connection.vendor == "postgresql":
        ids = _new_ids("deals_nudge", len(rows))
        stamp = now.isoformat()
        # Step codes are slugs and the rest are numbers, times and flags: nothing to escape.
        lines = [
            f"{i}\t{ask}\t{clock}\t{cycle}\t{code}\t{kind}\t{level}\t{due.isoformat()}"
            f"\t{'t' if convene else 'f'}\t\t{stamp}\n"
            for i, (ask, clock, cycle, code, kind, level, due, convene, _note, _at) in zip(
                ids, rows, strict=True
            )
        ]
        try:
            with transaction.atomic():
                _copy_lines("deals_nudge", ("id", *_NUDGE_COLUMNS), lines)
        except IntegrityError:
            logger.warning("A step fired twice for one deadline; keeping only the first.")
        else:
            return [(i, row[0], row[1], row[2], row[3]) for i, row in zip(ids, rows, strict=True)]
    return _insert(
        "deals_nudge",
        _NUDGE_COLUMNS,
        rows,
        "ON CONFLICT (ask_id, clock, cycle, step_code) DO NOTHING "
        "RETURNING id, ask_id, clock, cycle, step_code",
    )


def _new_ids(table: str, count: int) -> list[int]:
    """Primary keys for rows about to be copied in, taken from the table's sequence."""
    if not count:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite's AUTOINCREMENT remembers the highest id ever used, so an id freed by a
        # deletion is never handed out again (an email's Message-ID is made from it).
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0),"  # noqa: S608
            f" COALESCE((SELECT MAX(id) FROM {table}), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _copy_deliveries(in_app, pending: list[tuple], now: dt.datetime) -> None:
    """Load one batch's deliveries. Every column but a few is a constant, so on
    PostgreSQL each COPY line is one format string (the sweep's hottest loop)."""
    if connection.vendor != "postgresql":
        rows = [
            (
                i,
                n,
                u,
                None,
                Channel.IN_APP,
                r,
                DeliveryStatus.SENT,
                0,
                "",
                now,
                None,
                now,
                False,
                now,
            )
            for i, (n, u, r) in in_app
        ]
        rows += [
            (i, n, u, w, c, r, DeliveryStatus.PENDING, 0, "", when, queued, None, False, now)
            for i, n, u, w, c, r, when, queued in pending
        ]
        _insert("deals_delivery", _DELIVERY_COLUMNS, rows)
        return
    stamp = now.isoformat()
    lines = [
        f"{i}\t{n}\t{u}\t\\N\tin_app\t{r}\tsent\t0\t\t{stamp}\t\\N\t{stamp}\tf\t{stamp}\n"
        for i, (n, u, r) in in_app
    ]
    lines += [
        f"{i}\t{n}\t{'\\N' if u is None else u}\t{'\\N' if w is None else w}\t{c}\t{r}"
        f"\tpending\t0\t\t{when.isoformat()}\t{stamp if queued else '\\N'}\t\\N\tf\t{stamp}\n"
        for i, n, u, w, c, r, when, queued in pending
    ]
    _copy_lines("deals_delivery", _DELIVERY_COLUMNS, lines)


def _copy_lines(table: str, columns: tuple[str, ...], lines: list[str]) -> None:
    if not lines:
        return
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO("".join(lines))
        )


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
        if connection.vendor == "postgresql":
            # Losing a batch to a server crash is harmless: its timers roll back with it
            # and the next sweep fires the same steps (the unique constraint and the
            # senders' claims see to "once"). So the commit need not wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        started = time.perf_counter()
        ids = claim(now, BATCH_SIZE)
        report.claim_ms.append((time.perf_counter() - started) * 1000)
        if not ids:
            return 0
        asks = _load(ids)
        fired = []
        for ask in asks:
            fired.extend(_advance(ask, now, ladders, teams))
        _record(fired, _People(fired, teams, webhooks), now, report, hand_over)
        _save_asks(asks)
    report.batches += 1
    report.asks += len(asks)
    # What was claimed decides whether more may be waiting: an ask skipped because a
    # person holds it must not make a full batch look like the last one.
    return len(ids)


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


def sweep(
    now: dt.datetime | None = None, *, hand_over=enqueue_sends, on_backlog=None
) -> SweepReport:
    """Drain everything that is due, batch by batch, with no cap; then hand over lost
    deliveries. Safe to run in several processes at once. ``hand_over`` receives the ids
    of deliveries to send after each commit (None: leave them pending); ``on_backlog``
    is called once if the first batch came back full, to bring in more sweepers."""
    now = now or timezone.now()
    hand_over = _until_it_fails(hand_over)
    report = SweepReport()
    started = time.perf_counter()
    ladders = Ladders()
    teams = {team.pk: team for team in Team.objects.all()}
    webhooks = _webhooks()
    full = sweep_batch(now, ladders, teams, webhooks, report, hand_over) == BATCH_SIZE
    if full and on_backlog is not None:
        on_backlog()
    while full:
        full = sweep_batch(now, ladders, teams, webhooks, report, hand_over) == BATCH_SIZE
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
