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

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from stakeholders.models import Profile, display_name

from . import ranking
from .models import OPEN_STATUSES, Ask, AskStatus
from .queue_read import read_asks
from .selectors import _team_id

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


@dataclass(frozen=True)
class Source:
    """Whose queue: the asks it may hold (any status; reads keep the queue's statuses),
    and whose asks they are when that is one person (attached, not joined)."""

    asks: object  # a QuerySet of Ask
    assignee: object = None


def mine(user) -> Source:
    return Source(Ask.objects.filter(assignee=user), assignee=user)


def team_unassigned(user) -> Source:
    team_id = _team_id(user)
    if team_id is None:
        return Source(Ask.objects.none())
    return Source(Ask.objects.filter(team_id=team_id, assignee__isnull=True))


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


def of_member(user, member) -> Source:
    """A teammate's queue as the team sees it: their open asks for our team (the lead
    reassigns from here). ``member`` comes from teammate()."""
    return Source(Ask.objects.filter(team_id=_team_id(user), assignee=member), assignee=member)


def read(
    source: Source, user, filters: QueueFilters | None = None, now: dt.datetime | None = None
) -> Queue:
    """The queue, filtered and ranked, most important first."""
    now = now or timezone.now()
    profile = getattr(user, "profile", None)
    known = [profile.team] if profile is not None and profile.team_id else []
    asks = read_asks(
        source.asks, statuses=QUEUE_STATUSES, assignee=source.assignee, known_teams=known
    )
    return _build(asks, filters or QueueFilters(), now, day_end(user, now))


def counts(source: Source, user, now: dt.datetime | None = None) -> Counts:
    """The queue's figures in one query, without reading its rows."""
    now = now or timezone.now()
    return _window_counts(source.asks.filter(status__in=QUEUE_STATUSES), now, day_end(user, now))


def stamp(source: Source) -> tuple:
    """What changes whenever an ask in the queue changes, in one cheap query: each write
    to an ask moves its updated_at, and one leaving changes the count. A deal's new
    amount and the sweep's next nudge do not change it; they show when the cached rows
    expire (deals/kept.py), so the stamp never joins other tables."""
    return stamp_of(source.asks.filter(status__in=QUEUE_STATUSES))


def stamp_of(asks) -> tuple:
    """Count, newest change and sum of ids of ``asks``: one ask swapped for another
    (same count, an older change) still moves the sum."""
    row = asks.order_by().aggregate(n=Count("pk"), asks=Max("updated_at"), ids=Sum("pk"))
    return (row["n"], row["asks"], row["ids"])


def my_queue(user, filters: QueueFilters | None = None, now: dt.datetime | None = None) -> Queue:
    """The open asks assigned to me, most important first."""
    return read(mine(user), user, filters, now)


def team_queue(user, filters: QueueFilters | None = None, now: dt.datetime | None = None) -> Queue:
    """My team's open asks that nobody has taken yet."""
    return read(team_unassigned(user), user, filters, now)


def member_queue(
    user, member, filters: QueueFilters | None = None, now: dt.datetime | None = None
) -> Queue:
    return read(of_member(user, member), user, filters, now)


def my_counts(user, now: dt.datetime | None = None) -> Counts:
    return counts(mine(user), user, now)


def team_counts(user, now: dt.datetime | None = None) -> Counts:
    return counts(team_unassigned(user), user, now)


def member_counts(user, member, now: dt.datetime | None = None) -> Counts:
    return counts(of_member(user, member), user, now)


def team_load(user, now: dt.datetime | None = None) -> list[dict]:
    """Each teammate's open count, what is due this week and what is overdue: one query.
    "Due this week" is the queue's "due today" and "later this week" windows together:
    not yet overdue, and due before the end of the sixth day after today."""
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


_HEADER_SQL = """
    SELECT
        COUNT(*) FILTER (WHERE status <> %s AND due <= %s),
        COUNT(*) FILTER (WHERE status <> %s AND due > %s AND due < %s),
        COUNT(*),
        (SELECT COUNT(*) FROM deals_delivery
         WHERE recipient_id = %s AND channel = %s AND read_at IS NULL),
        EXISTS (SELECT 1 FROM stakeholders_profile WHERE manager_id = %s)
            OR EXISTS (SELECT 1 FROM stakeholders_team WHERE lead_id = %s)
    FROM (
        SELECT status,
               COALESCE(agreed_due_at,
                        CASE WHEN status = %s THEN counter_due_at END,
                        proposed_due_at) AS due
        FROM deals_ask
        WHERE assignee_id = %s AND status IN ({statuses})
    ) mine
"""


def header_counts(user, now: dt.datetime | None = None) -> dict:
    """Everything every page's header counts, in one statement: my queue's overdue and
    due-today asks (the same windows as window() and counts()), its size, my unread
    notifications, and whether I manage anyone (the header then links my board).
    Written in SQL because it runs on every page: the ORM took longer to build the
    statement than the database took to answer it."""
    from .escalation_models import Channel

    now = now or timezone.now()
    end_of_day = day_end(user, now)
    when = connection.ops.adapt_datetimefield_value
    paused = PAUSED_STATUSES[0]
    sql = _HEADER_SQL.format(statuses=", ".join(["%s"] * len(QUEUE_STATUSES)))
    params = [
        paused,
        when(now),
        paused,
        when(now),
        when(end_of_day),
        user.pk,
        Channel.IN_APP.value,
        user.pk,
        user.pk,
        AskStatus.COUNTERED.value,
        user.pk,
        *[str(s) for s in QUEUE_STATUSES],
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        overdue, today, total, unread, manages = cursor.fetchone()
    return {
        "overdue": overdue,
        "today": today,
        "total": total,
        "unread": unread,
        "manages": bool(manages),
    }


def can_assign(user, ask) -> bool:
    """The lead of the ask's team assigns and reassigns what is still to be done."""
    return ask.team.lead_id == user.pk and ask.status in QUEUE_STATUSES
