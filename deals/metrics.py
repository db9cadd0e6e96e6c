"""Team metrics: how each department and each person has served the deals lately.

A period is the last 4 or 12 weeks, ending now: it starts exactly ``weeks`` × 7 days
before now. Its weekly trend has one point per Monday-based week in the reader's time
zone, the current week last: the ``weeks`` weeks that end with this one all start inside
the period. An ask belongs to the department it was asked of (``Ask.team``) and to the
person it is assigned to (``Ask.assignee``); business hours are working time on the
ask's team's calendar (its hours, weekdays, China's statutory holidays and make-up
days: ``deals.calendar.working_time_between``).

The figures, for a department or a person:

- **On-time rate**: of the asks delivered in the period (``delivered_at`` in it) that
  have an agreed deadline, the share with ``delivered_at <= agreed_due_at``. The
  deadline is the one on the row now: one moved on after a pause, or agreed anew after a
  counter-proposal, is the one counted.
- **Median response time**: over the asks first answered in the period (``responded_at``
  in it: agreed, counter-proposed, questioned or declined), the median business hours
  from ``created_at`` to ``responded_at``.
- **Median turnaround**: over the asks delivered in the period, the median business
  hours from ``created_at`` to ``delivered_at`` (time waiting on the requester included:
  it is what the requester lived through).
- **Escalations by level**: the ladder's nudges of kind breach or escalate created in
  the period on the department's (the person's) asks, counted by their ``level``; level
  3 counts 3 and above. Reminders and nudges sent by hand are not escalations.
- **Thanks received**: thank-yous created in the period; a person's are those naming
  them (``Thank.thanked``), a department's those on its asks.
- **Overdue at the end of each week**: an ask counts at the moment T (the end of a week,
  Monday 00:00 of the next; for the current week, now) when its agreed deadline is
  before T, it was created before T, it was not delivered at or before T
  (``delivered_at``), not closed at or before T (``closed_at``: confirmed, declined or
  cancelled), and it is not waiting on its requester since T or earlier
  (``status = waiting`` and ``waiting_since <= T``: a paused clock is not overdue).
  Reconstructed from the ask's columns as they are now, so an ask that was delivered
  and then reopened counts as undelivered in the weeks before its reopening, and a
  waiting spell that has ended leaves no trace. The point for the current week is
  "overdue now", the same asks as ``Ask.is_overdue(now)``.

Cost: five queries whatever the size of the company or the period (the departments,
one query of the asks that matter to the period with only the columns needed, the
escalations and the thanks counted by the database, and the people shown). Business
hours, medians and the weekly counts are worked out in Python from those rows.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from stakeholders.models import Team

from .calendar import working_time_between
from .escalation_models import Nudge, StepKind
from .models import Ask, AskStatus, Thank
from .selectors import subtree_user_ids

WEEK_CHOICES = (4, 12)
DEFAULT_WEEKS = 4
LEVELS = (1, 2, 3)  # the columns shown; 3 holds every level above it too
ESCALATION_KINDS = (StepKind.BREACH, StepKind.ESCALATE)
HOUR = dt.timedelta(hours=1)


def parse_weeks(value) -> int:
    """4 or 12 from the query string; anything else is the default."""
    try:
        weeks = int(value)
    except (TypeError, ValueError):
        return DEFAULT_WEEKS
    return weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS


@dataclass(frozen=True)
class Week:
    starts: dt.date  # its Monday, in the reader's time zone
    ends_at: dt.datetime  # the moment it is counted at: the next Monday 00:00, or now
    current: bool


@dataclass(frozen=True)
class Period:
    weeks: int
    start: dt.datetime
    end: dt.datetime
    week_list: tuple[Week, ...]


def period_ending(now: dt.datetime, weeks: int, zone) -> Period:
    """The last ``weeks`` weeks up to ``now``, with their Monday-based weeks in ``zone``."""
    today = now.astimezone(zone).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    week_list = []
    for back in range(weeks - 1, -1, -1):
        monday = this_monday - dt.timedelta(weeks=back)
        ends = dt.datetime.combine(monday + dt.timedelta(weeks=1), dt.time(0), tzinfo=zone)
        week_list.append(Week(starts=monday, ends_at=now if back == 0 else ends, current=not back))
    return Period(
        weeks=weeks, start=now - dt.timedelta(weeks=weeks), end=now, week_list=tuple(week_list)
    )


@dataclass
class Figures:
    """One department's or one person's figures for a period."""

    weeks: int
    delivered: int = 0  # delivered in the period with an agreed deadline
    on_time: int = 0
    response_hours: list[float] = field(default_factory=list)
    turnaround_hours: list[float] = field(default_factory=list)
    escalations: dict[int, int] = field(default_factory=dict)
    thanks: int = 0
    overdue: list[int] = field(default_factory=list)  # one count per week

    def __post_init__(self):
        self.escalations = dict.fromkeys(LEVELS, 0) | self.escalations
        if not self.overdue:
            self.overdue = [0] * self.weeks

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.delivered if self.delivered else None

    @property
    def median_response(self) -> float | None:
        return statistics.median(self.response_hours) if self.response_hours else None

    @property
    def median_turnaround(self) -> float | None:
        return statistics.median(self.turnaround_hours) if self.turnaround_hours else None

    @property
    def escalation_total(self) -> int:
        return sum(self.escalations.values())

    @property
    def escalation_counts(self) -> list[int]:
        return [self.escalations[level] for level in LEVELS]

    @property
    def overdue_now(self) -> int:
        return self.overdue[-1] if self.overdue else 0

    @property
    def has_activity(self) -> bool:
        return bool(
            self.delivered
            or self.response_hours
            or self.turnaround_hours
            or self.escalation_total
            or self.thanks
            or any(self.overdue)
        )


@dataclass
class Metrics:
    period: Period
    total: Figures  # every department together
    departments: list[tuple[Team, Figures]]
    people: list[tuple[object, Figures]]  # (user, figures), in the order given

    def department(self, team_id: int) -> Figures | None:
        return next((f for team, f in self.departments if team.pk == team_id), None)


# --- who the reader may see ------------------------------------------------------------


def people_in_view(user) -> list:
    """The reader and everyone below them in the reporting chain, at any depth: the only
    people whose personal figures they see. One query."""
    users = (
        get_user_model()
        .objects.filter(Q(pk=user.pk) | Q(pk__in=subtree_user_ids(user)))
        .select_related("profile__team")
    )
    return sorted(users, key=lambda u: (u.pk != user.pk, _team_name(u), _name(u)))


def _team_name(user) -> str:
    profile = getattr(user, "profile", None)
    return profile.team.name if profile is not None and profile.team_id else "\uffff"


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()).strip()


# --- the computation ---------------------------------------------------------------------

_ASK_COLUMNS = (
    "team_id",
    "assignee_id",
    "status",
    "created_at",
    "responded_at",
    "delivered_at",
    "agreed_due_at",
    "closed_at",
    "waiting_since",
)


def _asks_for(period: Period):
    """The asks any figure of the period needs, as tuples of _ASK_COLUMNS: answered or
    delivered in it, or overdue at the end of one of its weeks."""
    start, end = period.start, period.end
    first_count = period.week_list[0].ends_at
    could_be_overdue = (
        Q(agreed_due_at__lt=end)
        & (Q(delivered_at__isnull=True) | Q(delivered_at__gt=first_count))
        & (Q(closed_at__isnull=True) | Q(closed_at__gt=first_count))
    )
    return (
        Ask.objects.filter(
            Q(delivered_at__range=(start, end))
            | Q(responded_at__range=(start, end))
            | could_be_overdue
        )
        .order_by()
        .values_list(*_ASK_COLUMNS)
    )


def overdue_at(moment: dt.datetime, ask: dict) -> bool:
    """Whether an ask (a dict of _ASK_COLUMNS) was overdue at ``moment``: the module
    docstring's definition."""
    due = ask["agreed_due_at"]
    if due is None or due >= moment or ask["created_at"] >= moment:
        return False
    if ask["delivered_at"] is not None and ask["delivered_at"] <= moment:
        return False
    if ask["closed_at"] is not None and ask["closed_at"] <= moment:
        return False
    return not (
        ask["status"] == AskStatus.WAITING
        and ask["waiting_since"] is not None
        and ask["waiting_since"] <= moment
    )


def _hours(team, start: dt.datetime, end: dt.datetime) -> float:
    return working_time_between(team, start, end) / HOUR


def _bucket(level: int) -> int:
    return min(max(level, LEVELS[0]), LEVELS[-1])


def compute(period: Period, people: list) -> Metrics:
    """Every department's figures, everyone's in ``people``, and the total, in four
    queries (plus the one that found ``people``)."""
    teams = list(Team.objects.order_by("name"))
    by_team = {team.pk: team for team in teams}
    person_ids = {person.pk for person in people}
    weeks = period.weeks
    total = Figures(weeks)
    team_figures = {team.pk: Figures(weeks) for team in teams}
    person_figures = {pk: Figures(weeks) for pk in person_ids}

    def targets(team_id, person_id):
        found = [total, team_figures[team_id]]
        if person_id in person_ids:
            found.append(person_figures[person_id])
        return found

    in_period = _in(period)
    for row in _asks_for(period):
        ask = dict(zip(_ASK_COLUMNS, row, strict=True))
        team = by_team[ask["team_id"]]
        into = targets(ask["team_id"], ask["assignee_id"])
        created, delivered, due = ask["created_at"], ask["delivered_at"], ask["agreed_due_at"]
        if in_period(ask["responded_at"]):
            hours = _hours(team, created, ask["responded_at"])
            for figures in into:
                figures.response_hours.append(hours)
        if in_period(delivered):
            hours = _hours(team, created, delivered)
            for figures in into:
                figures.turnaround_hours.append(hours)
                if due is not None:
                    figures.delivered += 1
                    figures.on_time += delivered <= due
        for index, week in enumerate(period.week_list):
            if overdue_at(week.ends_at, ask):
                for figures in into:
                    figures.overdue[index] += 1

    nudges = (
        Nudge.objects.filter(
            created_at__range=(period.start, period.end), kind__in=ESCALATION_KINDS
        )
        .order_by()
        .values_list("ask__team_id", "ask__assignee_id", "level")
        .annotate(n=Count("id"))
    )
    for team_id, person_id, level, n in nudges:
        for figures in targets(team_id, person_id):
            figures.escalations[_bucket(level)] += n

    thanks = (
        Thank.objects.filter(created_at__range=(period.start, period.end))
        .order_by()
        .values_list("ask__team_id", "thanked_id")
        .annotate(n=Count("id"))
    )
    for team_id, person_id, n in thanks:
        total.thanks += n
        team_figures[team_id].thanks += n
        if person_id in person_ids:
            person_figures[person_id].thanks += n

    return Metrics(
        period=period,
        total=total,
        departments=[(team, team_figures[team.pk]) for team in teams],
        people=[(person, person_figures[person.pk]) for person in people],
    )


def _in(period: Period):
    def check(moment) -> bool:
        return moment is not None and period.start <= moment <= period.end

    return check


# --- how figures read ---------------------------------------------------------------------


def format_percent(rate: float | None) -> str:
    """0.923 → "92%", in the reader's language; "—" when there is nothing to rate."""
    if rate is None:
        return "—"
    percent = Decimal(str(rate * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _("%(percent)s%%") % {"percent": number_format(percent, use_l10n=True)}


def format_hours(hours: float | None) -> str:
    """6.54 → "6.5 h" ("6.5 小时"); "—" when there is no median."""
    if hours is None:
        return "—"
    value = Decimal(str(hours)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return _("%(hours)s h") % {"hours": number_format(value, 1, use_l10n=True)}
