"""The escalation engine: two clocks on every ask, a ladder of steps on each clock, and
the sweep that fires the steps that are due.

Clocks. The response clock runs from creation to ``respond_by`` (the team's response
time in business hours) until the assignee agrees, counters or declines. The delivery
clock runs to ``agreed_due_at``. Waiting on the requester stops both; the services move
the deadlines on by the working time that passed, so paused time never counts.

Ladder. Each clock has ordered steps (reminder, breach, escalations), the team's own or
the company default (``LadderStep`` rows, editable in the admin). A step fires at most
once per agreed deadline: ``ladder_cycle`` counts the deadlines, ``NudgeTimer.ladder_step`` how many
steps of the running ladder have fired, and the unique constraint on
``Nudge(ask, clock, cycle, step_code)`` makes a second send impossible.

Timing lives in the database. ``NudgeTimer.next_nudge_at`` says when an ask's next step
is due; ``plan()`` keeps it right after every change, and ``sweep()`` claims due asks with
``SELECT … FOR UPDATE SKIP LOCKED`` in batches, fires their steps, records one nudge per
step, one in-app delivery per recipient (the notification centre) and one pending
delivery per email or chat channel, moves ``next_nudge_at`` on, and hands the pending
deliveries to Celery after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from .calendar import (
    add_working_time,
    subtract_working_time,
    working_day_length,
    working_time_between,
)
from .models import (
    CLOSED_STATUSES,
    LADDER_STEP_FIELDS,
    OVERDUE_STATUSES,
    Anchor,
    Ask,
    AskStatus,
    Clock,
    LadderStep,
    NudgeTimer,
    RecipientRole,
    StepKind,
)

S = AskStatus


@dataclass(frozen=True)
class Step:
    code: str
    kind: str
    level: int
    anchor: str
    offset_days: Decimal = Decimal(0)
    fraction: Decimal | None = None
    notify_assignee: bool = False
    copy_requester: bool = False
    notify_assignee_manager: bool = False
    notify_requester_manager: bool = False
    notify_deal_managers: bool = False
    suggest_convene: bool = False

    @property
    def kind_label(self) -> str:
        return str(StepKind(self.kind).label)

    def audience(self) -> list[str]:
        """Who this step tells, in words."""
        roles = (
            (self.notify_assignee, RecipientRole.ASSIGNEE),
            (self.copy_requester, RecipientRole.REQUESTER),
            (self.notify_assignee_manager, RecipientRole.ASSIGNEE_MANAGER),
            (self.notify_requester_manager, RecipientRole.REQUESTER_MANAGER),
            (self.notify_deal_managers, RecipientRole.DEAL_MANAGER),
        )
        return [str(role.label) for wanted, role in roles if wanted]


# The company default, used until the admin edits it (a data migration writes it as
# LadderStep rows without a team).
DEFAULT_LADDER: dict[str, tuple[Step, ...]] = {
    Clock.RESPONSE: (
        Step(
            "response-breach",
            StepKind.BREACH,
            1,
            Anchor.AFTER_DUE,
            notify_assignee=True,
            copy_requester=True,
        ),
    ),
    Clock.DELIVERY: (
        Step(
            "reminder",
            StepKind.REMINDER,
            0,
            Anchor.BEFORE_DUE,
            Decimal(1),
            Decimal("0.80"),
            notify_assignee=True,
        ),
        Step(
            "breach",
            StepKind.BREACH,
            1,
            Anchor.AFTER_DUE,
            notify_assignee=True,
            copy_requester=True,
        ),
        Step(
            "escalate-manager",
            StepKind.ESCALATE,
            2,
            Anchor.AFTER_DUE,
            Decimal(1),
            notify_assignee_manager=True,
        ),
        Step(
            "escalate-deal",
            StepKind.ESCALATE,
            3,
            Anchor.AFTER_DUE,
            Decimal(2),
            notify_requester_manager=True,
            notify_deal_managers=True,
            suggest_convene=True,
        ),
    ),
}


def _order(steps) -> tuple[Step, ...]:
    """Reminders first (the furthest before the deadline first), then the steps after
    the deadline, nearest first: the order they fire in."""

    def key(step: Step):
        before = step.anchor == Anchor.BEFORE_DUE
        return (0 if before else 1, -step.offset_days if before else step.offset_days)

    return tuple(sorted(steps, key=key))


class Ladders:
    """Every ladder, read once: the company default and each team's own."""

    def __init__(self, rows=None):
        if rows is None:
            rows = LadderStep.objects.values("team_id", "clock", *LADDER_STEP_FIELDS)
        grouped: dict[tuple[int | None, str], list[Step]] = defaultdict(list)
        for row in rows:
            key = (row.pop("team_id"), row.pop("clock"))
            grouped[key].append(Step(**row))
        self._ladders = {key: _order(steps) for key, steps in grouped.items()}

    @classmethod
    def for_team(cls, team_id: int) -> Ladders:
        return cls(
            LadderStep.objects.filter(Q(team_id=team_id) | Q(team__isnull=True)).values(
                "team_id", "clock", *LADDER_STEP_FIELDS
            )
        )

    def steps(self, team_id: int, clock: str) -> tuple[Step, ...]:
        return (
            self._ladders.get((team_id, clock))
            or self._ladders.get((None, clock))
            or DEFAULT_LADDER[clock]
        )


# --- clocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningClock:
    clock: str
    due_at: dt.datetime


def running_clock(ask: Ask) -> RunningClock | None:
    """Which clock runs on the ask now, or None while it is paused, delivered or closed."""
    if ask.status in CLOSED_STATUSES or ask.status in (S.WAITING, S.DELIVERED):
        return None
    if ask.agreed_due_at is not None and ask.status in OVERDUE_STATUSES:
        return RunningClock(Clock.DELIVERY, ask.agreed_due_at)
    # Also after a counter-proposal the requester turned down, or an answer to the
    # assignee's question: the assignee owes an answer again.
    if ask.status == S.PROPOSED and ask.respond_by is not None:
        return RunningClock(Clock.RESPONSE, ask.respond_by)
    return None


def fire_at(step: Step, team, start: dt.datetime, due: dt.datetime) -> dt.datetime:
    """When ``step`` fires on a clock that started at ``start`` and is due at ``due``."""
    offset = working_day_length(team) * float(step.offset_days)
    if step.anchor == Anchor.AFTER_DUE:
        return add_working_time(team, due, offset) if offset else due
    moment = subtract_working_time(team, due, offset)
    if step.fraction is not None:
        share = working_time_between(team, start, due) * float(step.fraction)
        moment = max(moment, add_working_time(team, start, share))
    return min(max(moment, start), due)


def clock_start(ask: Ask, clock: str) -> dt.datetime:
    if clock == Clock.RESPONSE:
        return ask.created_at
    return ask.ladder_started_at or ask.created_at


def next_step_time(ask: Ask, steps: tuple[Step, ...], clock: RunningClock) -> dt.datetime | None:
    if ask.ladder_step >= len(steps):
        return None
    moment = fire_at(steps[ask.ladder_step], ask.team, clock_start(ask, clock.clock), clock.due_at)
    if ask.snoozed_until is not None and ask.snoozed_until > moment:
        return ask.snoozed_until
    return moment


PLAN_FIELDS = (
    "respond_by",
    "ladder_clock",
    "ladder_cycle",
    "ladder_started_at",
)


def save_timer(ask: Ask) -> None:
    """Store when the ask's next step fires (the sweep claims by it)."""
    NudgeTimer.objects.bulk_create(
        [
            NudgeTimer(
                ask_id=ask.pk,
                next_nudge_at=ask.next_nudge_at,
                ladder_step=ask.ladder_step,
                escalation_level=ask.escalation_level,
            )
        ],
        update_conflicts=True,
        unique_fields=["ask"],
        update_fields=["next_nudge_at", "ladder_step", "escalation_level"],
    )


def plan(ask: Ask, now: dt.datetime, *, restart: bool = False, ladders=None) -> list[str]:
    """Bring the ask's ladder in step with its status and deadlines; return the fields
    to save, and set ``ask.next_nudge_at`` for save_timer(). ``restart`` means both
    sides agreed a new deadline: a new ladder begins."""
    if ask.respond_by is None:  # an ask from before the engine existed
        ask.respond_by = initial_respond_by(ask.team, ask.created_at)
    clock = running_clock(ask)
    if clock is None:
        ask.ladder_clock = ""
        ask.next_nudge_at = None
        return list(PLAN_FIELDS)
    first_delivery = clock.clock == Clock.DELIVERY and ask.ladder_cycle == 0
    if restart or first_delivery:
        ask.ladder_cycle += 1
        ask.ladder_step = 0
        ask.ladder_started_at = now
        ask.escalation_level = 0
    ask.ladder_clock = clock.clock
    ladders = ladders or Ladders.for_team(ask.team_id)
    ask.next_nudge_at = next_step_time(ask, ladders.steps(ask.team_id, clock.clock), clock)
    return list(PLAN_FIELDS)


# --- services the people use ----------------------------------------------------------


def initial_respond_by(team, now: dt.datetime) -> dt.datetime:
    return add_working_time(team, now, dt.timedelta(hours=team.response_hours))


def ladder_due_steps(ask: Ask) -> list[tuple[Step, dt.datetime]]:
    """The running ladder's steps with their times, for the ask page."""
    clock = running_clock(ask)
    if clock is None:
        return []
    steps = Ladders.for_team(ask.team_id).steps(ask.team_id, clock.clock)
    start = clock_start(ask, clock.clock)
    return [(step, fire_at(step, ask.team, start, clock.due_at)) for step in steps]
