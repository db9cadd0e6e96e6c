"""Reads for the work queues: my queue, my team's queue, the team's load and the header
badge. Each takes the acting user and returns only what that user may work on.

A queue is read in one query and then filtered and ranked in Python (deals/ranking.py):
the ranking needs business-time arithmetic the database cannot do, a queue holds a few
hundred asks at most, and the filter choices come from the same rows for free.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from stakeholders.models import Profile, display_name

from . import ranking
from .models import OPEN_STATUSES, Ask, AskStatus, Milestone
from .selectors import _ask_list, _team_id

DUE_WINDOWS = ("overdue", "today", "week", "later")
# What a queue holds: open work the assignee still owes. A delivered ask waits on the
# requester's confirmation and leaves the queue; a waiting one stays, its clock paused.
QUEUE_STATUSES = tuple(s for s in OPEN_STATUSES if s != AskStatus.DELIVERED)
# A paused clock is neither overdue nor due: the deadline moves on when it resumes.
PAUSED_STATUSES = (AskStatus.WAITING,)


@dataclass
class QueueFilters:
    status: str = ""
    ask_type: str = ""
    deal: int | None = None
    requester: int | None = None
    due: str = ""
    order: str = "rank"  # or "due"

    @property
    def active(self) -> bool:
        return bool(self.status or self.ask_type or self.deal or self.requester or self.due)


@dataclass
class Counts:
    total: int = 0
    overdue: int = 0
    due_today: int = 0


@dataclass
class Queue:
    rows: list[ranking.Ranked]
    counts: Counts
    deals: list = field(default_factory=list)  # (id, label) choices from the whole queue
    requesters: list = field(default_factory=list)

    # The figures a page shows above the rows are those of the whole queue, not of the
    # filtered view: "3 overdue" must not vanish because a filter hides them.
    @property
    def total(self) -> int:
        return self.counts.total

    @property
    def overdue(self) -> int:
        return self.counts.overdue

    @property
    def due_today(self) -> int:
        return self.counts.due_today


def _base():
    return (
        _ask_list(Ask.objects.filter(status__in=QUEUE_STATUSES))
        .select_related("nudge_timer")
        .defer(*_LONG_TEXT)
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("position")),
        )
    )


# The brief's long texts: a queue row never shows them.
_LONG_TEXT = ("deliverable", "details", "purpose", "basis", "links", "delivery_note")


def day_end(user, now: dt.datetime) -> dt.datetime:
    """Midnight at the end of the viewer's day, in their team's time zone: "due today"
    means the reader's today."""
    profile = getattr(user, "profile", None)
    team = profile.team if profile is not None and profile.team_id else None
    zone = ZoneInfo(team.time_zone) if team else timezone.get_current_timezone()
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start + dt.timedelta(days=1)


def window(ask, now: dt.datetime, end_of_day: dt.datetime) -> str:
    """Which due window an ask falls in; the SQL twin is _window_counts()."""
    due = ask.due_at
    if due is None or ask.status in PAUSED_STATUSES:
        return "later"
    if due <= now:
        return "overdue"
    if due < end_of_day:
        return "today"
    if due < end_of_day + dt.timedelta(days=6):
        return "week"
    return "later"


def _due_sql():
    """Ask.due_at in SQL: the agreed deadline, else the one on the table."""
    return Case(
        When(agreed_due_at__isnull=False, then=F("agreed_due_at")),
        When(status=AskStatus.COUNTERED, then=F("counter_due_at")),
        default=F("proposed_due_at"),
    )


def _window_counts(qs, now: dt.datetime, end_of_day: dt.datetime) -> Counts:
    running = ~Q(status__in=PAUSED_STATUSES)
    row = qs.annotate(due=_due_sql()).aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=running & Q(due__lte=now)),
        due_today=Count("pk", filter=running & Q(due__gt=now, due__lt=end_of_day)),
    )
    return Counts(**row)


def _keep(ask, filters: QueueFilters, now: dt.datetime, end_of_day: dt.datetime) -> bool:
    if filters.status and ask.status != filters.status:
        return False
    if filters.ask_type and ask.ask_type != filters.ask_type:
        return False
    if filters.deal and ask.deal_id != filters.deal:
        return False
    if filters.requester and ask.requester_id != filters.requester:
        return False
    return not (filters.due and window(ask, now, end_of_day) != filters.due)


def _build(asks: list[Ask], filters: QueueFilters, now: dt.datetime, end_of_day) -> Queue:
    windows = [window(a, now, end_of_day) for a in asks]
    deals = sorted({(a.deal_id, a.deal.customer) for a in asks}, key=lambda d: d[1])
    requesters = sorted(
        {(a.requester_id, display_name(a.requester)) for a in asks}, key=lambda r: r[1]
    )
    kept = [a for a in asks if _keep(a, filters, now, end_of_day)]
    if filters.order == "due":
        rows = [
            ranking.rank_one(a, now, level=a.escalation_level) for a in ranking.by_due_date(kept)
        ]
    else:
        rows = ranking.rank(kept, now)
    counts = Counts(len(asks), windows.count("overdue"), windows.count("today"))
    return Queue(rows=rows, counts=counts, deals=deals, requesters=requesters)


def _mine(user):
    return Ask.objects.filter(assignee=user, status__in=QUEUE_STATUSES)


def _team_unassigned(user):
    team_id = _team_id(user)
    if team_id is None:
        return Ask.objects.none()
    return Ask.objects.filter(team_id=team_id, assignee__isnull=True, status__in=QUEUE_STATUSES)


def my_queue(user, filters: QueueFilters | None = None, now: dt.datetime | None = None) -> Queue:
    """The open asks assigned to me, most important first."""
    now = now or timezone.now()
    asks = list(_base().filter(assignee=user))
    return _build(asks, filters or QueueFilters(), now, day_end(user, now))


def team_queue(user, filters: QueueFilters | None = None, now: dt.datetime | None = None) -> Queue:
    """My team's open asks that nobody has taken yet."""
    now = now or timezone.now()
    team_id = _team_id(user)
    asks = [] if team_id is None else list(_base().filter(team_id=team_id, assignee__isnull=True))
    return _build(asks, filters or QueueFilters(), now, day_end(user, now))


def teammate(user, member_id: int):
    """A member of my own team, whose queue I may look at; None for anyone else."""
    team_id = _team_id(user)
    if team_id is None:
        return None
    profile = (
        Profile.objects.filter(team_id=team_id, user_id=member_id, user__is_active=True)
        .select_related("user")
        .first()
    )
    return profile.user if profile else None


def member_queue(
    user, member, filters: QueueFilters | None = None, now: dt.datetime | None = None
) -> Queue:
    """A teammate's queue as the team sees it: their open asks for our team (the lead
    reassigns from here). ``member`` comes from teammate()."""
    now = now or timezone.now()
    asks = list(_base().filter(team_id=_team_id(user), assignee=member))
    return _build(asks, filters or QueueFilters(), now, day_end(user, now))


def my_counts(user, now: dt.datetime | None = None) -> Counts:
    """My queue's figures in one query, without reading its rows (after an inline action,
    and in the header badge)."""
    now = now or timezone.now()
    return _window_counts(_mine(user), now, day_end(user, now))


def team_counts(user, now: dt.datetime | None = None) -> Counts:
    now = now or timezone.now()
    return _window_counts(_team_unassigned(user), now, day_end(user, now))


def member_counts(user, member, now: dt.datetime | None = None) -> Counts:
    now = now or timezone.now()
    qs = Ask.objects.filter(team_id=_team_id(user), assignee=member, status__in=QUEUE_STATUSES)
    return _window_counts(qs, now, day_end(user, now))


def team_load(user, now: dt.datetime | None = None) -> list[dict]:
    """Each teammate's open count, what is due this week and what is overdue: one query.
    The same windows as the queue: "this week" is today and the next six days."""
    team_id = _team_id(user)
    if team_id is None:
        return []
    now = now or timezone.now()
    week_end = day_end(user, now) + dt.timedelta(days=6)
    asks = (
        Ask.objects.filter(assignee_id=OuterRef("user_id"), status__in=QUEUE_STATUSES)
        .annotate(due=_due_sql())
        .order_by()
        .values("assignee_id")
    )
    running = ~Q(status__in=PAUSED_STATUSES)

    def count(condition=None):
        qs = asks.filter(condition) if condition is not None else asks
        return Subquery(qs.annotate(n=Count("pk")).values("n"), output_field=IntegerField())

    rows = (
        Profile.objects.filter(team_id=team_id, user__is_active=True)
        .select_related("user")
        .annotate(
            open_count=Coalesce(count(), 0),
            due_week=Coalesce(count(running & Q(due__gt=now, due__lt=week_end)), 0),
            overdue=Coalesce(count(running & Q(due__lte=now)), 0),
        )
        .order_by("user__first_name", "user__username")
    )
    return [
        {"user": p.user, "open": p.open_count, "due_week": p.due_week, "overdue": p.overdue}
        for p in rows
    ]


def queue_badge(user, now: dt.datetime | None = None) -> dict:
    """For the header: how many of my asks are overdue, and how many are due today."""
    counts = my_counts(user, now)
    return {"overdue": counts.overdue, "today": counts.due_today}


def header_counts(user, now: dt.datetime | None = None) -> dict:
    """Everything every page's header counts, in one query: my queue's overdue and
    due-today asks, and my unread notifications."""
    from .inbox import unread

    now = now or timezone.now()
    end_of_day = day_end(user, now)
    running = ~Q(status__in=PAUSED_STATUSES)
    mine = _mine(user).annotate(due=_due_sql())

    def count(qs):
        return Coalesce(
            Subquery(
                qs.order_by()
                .annotate(one=Value(1))
                .values("one")
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    row = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(
            overdue=count(mine.filter(running & Q(due__lte=now))),
            today=count(mine.filter(running & Q(due__gt=now, due__lt=end_of_day))),
            unread=count(unread(user)),
        )
        .values("overdue", "today", "unread")
        .first()
    )
    return row or {"overdue": 0, "today": 0, "unread": 0}


def can_assign(user, ask) -> bool:
    """The lead of the ask's team assigns and reassigns."""
    return ask.team.lead_id == user.pk and ask.is_open
