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

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from stakeholders.models import Profile

from . import ranking
from .models import OPEN_STATUSES, OVERDUE_STATUSES, Ask, Milestone
from .selectors import _ask_list, _team_id

DUE_WINDOWS = ("overdue", "today", "week", "later")


@dataclass
class QueueFilters:
    status: str = ""
    ask_type: str = ""
    deal: int | None = None
    requester: int | None = None
    due: str = ""
    order: str = "rank"  # or "due"


@dataclass
class Queue:
    rows: list[ranking.Ranked]
    total: int
    overdue: int
    due_today: int
    deals: list = field(default_factory=list)  # (id, label) choices from the whole queue
    requesters: list = field(default_factory=list)


def _base():
    return (
        _ask_list(Ask.objects.filter(status__in=OPEN_STATUSES))
        .select_related("nudge_timer")
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("position")),
        )
    )


def _local_day(now: dt.datetime, team) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(team.time_zone) if team else timezone.get_current_timezone()
    local = now.astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(days=1)


def _window(ask, now: dt.datetime) -> str:
    due = ask.due_at
    if due is None:
        return "later"
    if due <= now:
        return "overdue"
    _start, end = _local_day(now, ask.team)
    if due < end:
        return "today"
    if due < end + dt.timedelta(days=6):
        return "week"
    return "later"


def _keep(ask, filters: QueueFilters, now: dt.datetime) -> bool:
    if filters.status and ask.status != filters.status:
        return False
    if filters.ask_type and ask.ask_type != filters.ask_type:
        return False
    if filters.deal and ask.deal_id != filters.deal:
        return False
    if filters.requester and ask.requester_id != filters.requester:
        return False
    return not (filters.due and _window(ask, now) != filters.due)


def _build(asks: list[Ask], filters: QueueFilters, now: dt.datetime) -> Queue:
    windows = [_window(a, now) for a in asks]
    deals = sorted({(a.deal_id, str(a.deal)) for a in asks}, key=lambda d: d[1])
    requesters = sorted(
        {(a.requester_id, a.requester.get_full_name() or a.requester.username) for a in asks},
        key=lambda r: r[1],
    )
    kept = [a for a in asks if _keep(a, filters, now)]
    if filters.order == "due":
        rows = [
            ranking.rank_one(a, now, level=a.escalation_level) for a in ranking.by_due_date(kept)
        ]
    else:
        rows = ranking.rank(kept, now)
    return Queue(
        rows=rows,
        total=len(asks),
        overdue=windows.count("overdue"),
        due_today=windows.count("today"),
        deals=deals,
        requesters=requesters,
    )


def my_queue(user, filters: QueueFilters | None = None, now: dt.datetime | None = None) -> Queue:
    """The open asks assigned to me, most important first."""
    now = now or timezone.now()
    return _build(list(_base().filter(assignee=user)), filters or QueueFilters(), now)


def team_queue(user, filters: QueueFilters | None = None, now: dt.datetime | None = None) -> Queue:
    """My team's open asks that nobody has taken yet."""
    now = now or timezone.now()
    team_id = _team_id(user)
    asks = [] if team_id is None else list(_base().filter(team_id=team_id, assignee__isnull=True))
    return _build(asks, filters or QueueFilters(), now)


def team_load(user, now: dt.datetime | None = None) -> list[dict]:
    """Each teammate's open count, what is due this week and what is overdue: one query."""
    team_id = _team_id(user)
    if team_id is None:
        return []
    now = now or timezone.now()
    week_end = now + dt.timedelta(days=7)
    mine = Q(user__asks_assigned__status__in=OPEN_STATUSES)
    rows = (
        Profile.objects.filter(team_id=team_id, user__is_active=True)
        .select_related("user")
        .annotate(
            open_count=Count("user__asks_assigned", filter=mine),
            due_week=Count(
                "user__asks_assigned",
                filter=Q(
                    user__asks_assigned__status__in=OVERDUE_STATUSES,
                    user__asks_assigned__agreed_due_at__gte=now,
                    user__asks_assigned__agreed_due_at__lt=week_end,
                ),
            ),
            overdue=Count(
                "user__asks_assigned",
                filter=Q(
                    user__asks_assigned__status__in=OVERDUE_STATUSES,
                    user__asks_assigned__agreed_due_at__lt=now,
                ),
            ),
        )
        .order_by("user__first_name", "user__username")
    )
    return [
        {
            "user": p.user,
            "open": p.open_count,
            "due_week": p.due_week,
            "overdue": p.overdue,
        }
        for p in rows
    ]


def queue_badge(user, now: dt.datetime | None = None) -> dict:
    """For the header: how many of my asks are overdue, and how many are due today."""
    now = now or timezone.now()
    profile = getattr(user, "profile", None)
    team = profile.team if profile else None
    _start, end = _local_day(now, team)
    due = Q(agreed_due_at__isnull=False, status__in=OVERDUE_STATUSES)
    counts = Ask.objects.filter(assignee=user, status__in=OPEN_STATUSES).aggregate(
        overdue=Count("pk", filter=due & Q(agreed_due_at__lte=now)),
        today=Count("pk", filter=due & Q(agreed_due_at__gt=now, agreed_due_at__lt=end)),
    )
    return counts


def can_assign(user, ask) -> bool:
    """The lead of the ask's team assigns and reassigns."""
    return ask.team.lead_id == user.pk and ask.is_open
