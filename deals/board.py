"""The stalled-items board: what is stuck anywhere below a manager, and why.

It covers the manager's whole reporting subtree, at any depth: asks assigned to their
people, asks their people made, and the unassigned asks of teams their people (or they)
lead. An open ask is on the board when it is

- **overdue**: its agreed deadline has passed;
- **at risk**: due within one business day and not started;
- **unanswered**: nobody agreed, countered or declined it by the time the team's
  response window ended (the escalation engine's ``respond_by``);
- **waiting**: paused on its requester for a business day or more;
- **blocked**: a counter-proposal its requester has left unanswered for a business day
  or more.

Business time is the ask's team calendar (deals/calendar.py). The board reads
candidates with one indexed query (every condition above, loosened to calendar time)
and keeps the ones that really are stalled in business time.

Order: overdue first, then at risk, unanswered, blocked and waiting; within each, by
what is at stake, using three of the queue's factors (deals/ranking.py): urgency (how
late, in business time), the deal's value and the escalation level. So the most
overdue ask on the biggest deal is at the top. Groups (department, person or deal)
follow their most pressing ask.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, OuterRef, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stakeholders.models import display_name

from . import ranking
from .calendar import working_day_length, working_time_between
from .models import OVERDUE_STATUSES, Ask, AskEvent, AskStatus, EventKind
from .queue_read import read_asks, with_ids
from .queues import stamp_of
from .templatetags.dealdesk import business_span

S = AskStatus

REASONS = {
    "overdue": gettext_lazy("Overdue"),
    "at_risk": gettext_lazy("At risk"),
    "unanswered": gettext_lazy("No first answer"),
    "waiting": gettext_lazy("Waiting on the requester"),
    "blocked": gettext_lazy("Counter-proposal unanswered"),
}
GROUPINGS = {
    "department": gettext_lazy("Department"),
    "person": gettext_lazy("Person"),
    "deal": gettext_lazy("Deal"),
}
STALLABLE = (S.PROPOSED, S.COUNTERED, S.AGREED, S.IN_PROGRESS, S.WAITING, S.REOPENED)
NOT_STARTED = (S.AGREED, S.REOPENED)
# A calendar bound wide enough for one business day ahead across any holiday.
_AT_RISK_WINDOW = dt.timedelta(days=10)


ORDER = ("overdue", "at_risk", "unanswered", "blocked", "waiting")


@dataclass
class Item:
    ask: object
    reason: str
    stalled_for: dt.timedelta  # business time: late, left, or waiting, by reason
    open_for: dt.timedelta  # business time since the ask was made
    stake: float  # urgency + deal value + escalation points


def stake(ask, now: dt.datetime) -> float:
    deal = ask.deal
    return (
        ranking.urgency(ask.due_at, ask.team, now)[0]
        + ranking.deal_value(deal.amount, deal.currency)[0]
        + ranking.escalation(ask.escalation_level)[0]
    )


@dataclass
class Group:
    key: str
    label: str
    items: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass
class Filters:
    reason: str = ""
    team: int | None = None
    person: int | None = None
    group: str = "department"

    @property
    def active(self) -> bool:
        return bool(self.reason or self.team or self.person)


@dataclass
class Board:
    items: list
    groups: list
    counts: dict  # reason -> how many on the whole board, whatever the filters
    total: int
    teams: list  # (id, name) choices from the whole board
    people: list


def scope(user) -> Q:
    """Which asks a manager's board may show: their subtree's, and the unassigned asks
    of teams led by them or anyone below them.

    The people and teams are read first, in one small query, so the asks' query gets
    plain id lists its indexes can serve: with the subqueries inside its OR,
    PostgreSQL would scan every ask."""
    people, teams = _subtree_and_teams(user)
    return (
        Q(assignee_id__in=people)
        | Q(requester_id__in=people)
        | Q(assignee__isnull=True, team_id__in=teams)
    )


def _subtree_and_teams(user) -> tuple[list[int], list[int]]:
    """Everyone below ``user`` at any depth, and the teams led by them or by ``user``;
    read once per request (kept on the user object, which lives as long as it)."""
    cached = getattr(user, "_board_scope", None)
    if cached is None:
        cached = user._board_scope = _read_scope(user)
    return cached


def _read_scope(user) -> tuple[list[int], list[int]]:
    from django.db import connection

    sql = (
        "WITH RECURSIVE below(user_id) AS ("
        " SELECT user_id FROM stakeholders_profile WHERE manager_id = %s"
        " UNION SELECT p.user_id FROM stakeholders_profile p"
        " JOIN below b ON p.manager_id = b.user_id)"
        " SELECT 'u', user_id FROM below"
        " UNION ALL SELECT 't', id FROM stakeholders_team"
        " WHERE lead_id = %s OR lead_id IN (SELECT user_id FROM below)"
    )
    people, teams = [], []
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk, user.pk])
        for kind, pk in cursor.fetchall():
            (people if kind == "u" else teams).append(pk)
    return people, teams


def stamp(user) -> tuple:
    """What changes whenever an ask that could be on the board changes (queues.stamp
    says how), in one indexed query; the board's time-worded reasons may be up to a
    minute old."""
    return stamp_of(Ask.objects.filter(scope(user), status__in=STALLABLE))


def _candidates(user, now: dt.datetime) -> list[int]:
    """The ids of the asks that may be stalled: the scope's open asks, with every
    condition loosened to calendar time. The open statuses stand alone in the WHERE so
    the partial indexes of open asks serve it (a few milliseconds among a million)."""
    waiting_day = now - dt.timedelta(hours=1)
    candidates = Ask.objects.filter(scope(user), status__in=STALLABLE).filter(
        Q(status__in=OVERDUE_STATUSES, agreed_due_at__lte=now + _AT_RISK_WINDOW)
        | Q(status=S.PROPOSED, respond_by__lte=now)
        | Q(status=S.WAITING, waiting_since__lte=waiting_day)
        | Q(status=S.COUNTERED)
    )
    return list(candidates.order_by().values_list("pk", flat=True))


def _read(ids: list[int], known_teams) -> list:
    """The candidates' columns, read by id: a second query, so the database joins their
    deals and people by key instead of planning for the whole scope."""
    # When the counter-proposal now on the table was made: its newest "countered" event
    # (a later edit of the ask, a reassignment, must not restart the wait).
    countered = (
        AskEvent.objects.filter(ask_id=OuterRef("pk"), kind=EventKind.COUNTERED)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    asks = (
        with_ids(Ask.objects.all(), "id", ids)
        .order_by()
        .annotate(countered_at=Case(When(status=S.COUNTERED, then=Subquery(countered))))
    )
    return read_asks(
        asks, statuses=STALLABLE, known_teams=known_teams, assignees=True, extra=("countered_at",)
    )


def classify(ask, now: dt.datetime) -> tuple[str, dt.timedelta] | None:
    """Why ``ask`` is stalled, and for how long (or, at risk, how little time is left);
    None when it is not."""
    team = ask.team
    day = working_day_length(team)
    due = ask.agreed_due_at
    if ask.status == S.WAITING:
        if ask.waiting_since is None:
            return None
        waited = working_time_between(team, ask.waiting_since, now)
        return ("waiting", waited) if waited >= day else None
    if due is not None and ask.status in OVERDUE_STATUSES:
        if due <= now:
            return "overdue", working_time_between(team, due, now)
        if ask.status in NOT_STARTED:
            left = working_time_between(team, now, due)
            if left <= day:
                return "at_risk", left
    if ask.status == S.PROPOSED and ask.respond_by is not None and ask.respond_by <= now:
        return "unanswered", working_time_between(team, ask.created_at, now)
    if ask.status == S.COUNTERED:
        since = ask.extra.get("countered_at") or ask.updated_at
        waited = working_time_between(team, since, now)
        if waited >= day:
            return "blocked", waited
    return None


def _keep(item: Item, filters: Filters) -> bool:
    ask = item.ask
    if filters.reason and item.reason != filters.reason:
        return False
    if filters.team and ask.team_id != filters.team:
        return False
    return not (filters.person and filters.person not in (ask.assignee_id, ask.requester_id))


def _group(items: list[Item], how: str) -> list[Group]:
    groups: dict[str, Group] = {}
    for item in items:
        ask = item.ask
        if how == "person":
            if ask.assignee is not None:
                key, label = f"u{ask.assignee_id}", display_name(ask.assignee)
            else:
                key = f"t{ask.team_id}"
                label = _("Nobody yet, in %(team)s") % {"team": ask.team.name}
        elif how == "deal":
            key, label = f"d{ask.deal_id}", str(ask.deal)
        else:
            key, label = f"t{ask.team_id}", ask.team.name
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key, label)
        group.items.append(item)
    # Items are in board order already, so each group is too, and the groups follow
    # their most pressing item.
    return list(groups.values())


def stalled(user, filters: Filters | None = None, now: dt.datetime | None = None) -> Board:
    """The manager's board: everything stalled below them, ranked and grouped."""
    filters = filters or Filters()
    now = now or timezone.now()
    profile = getattr(user, "profile", None)
    known = [profile.team] if profile is not None and profile.team_id else []
    ids = _candidates(user, now)
    asks = _read(ids, known) if ids else []
    items = []
    for ask in asks:
        why = classify(ask, now)
        if why is not None:
            items.append(
                Item(
                    ask=ask,
                    reason=why[0],
                    stalled_for=why[1],
                    open_for=working_time_between(ask.team, ask.created_at, now),
                    stake=stake(ask, now),
                )
            )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    items.sort(key=lambda i: (ORDER.index(i.reason), -i.stake, i.ask.due_at or far, i.ask.pk))
    counts = defaultdict(int)
    teams, people = {}, {}
    for item in items:
        counts[item.reason] += 1
        ask = item.ask
        teams[ask.team_id] = ask.team.name
        for person in (ask.assignee, ask.requester):
            if person is not None:
                people[person.pk] = display_name(person)
    kept = [item for item in items if _keep(item, filters)]
    return Board(
        items=kept,
        groups=_group(kept, filters.group if filters.group in GROUPINGS else "department"),
        counts={key: counts.get(key, 0) for key in REASONS},
        total=len(items),
        teams=sorted(teams.items(), key=lambda t: t[1]),
        people=sorted(people.items(), key=lambda p: p[1]),
    )


def stalled_text(item: Item) -> str:
    """What the reason chip says: "overdue 1d 3h", "due in 5h, not started"."""
    span = business_span(item.stalled_for, item.ask.team)
    return {
        "overdue": _("overdue %(span)s"),
        "at_risk": _("due in %(span)s, not started"),
        "unanswered": _("no answer for %(span)s"),
        "waiting": _("waiting on the requester for %(span)s"),
        "blocked": _("counter-proposal unanswered for %(span)s"),
    }[item.reason] % {"span": span}
