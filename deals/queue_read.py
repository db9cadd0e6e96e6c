"""Reading a queue's asks fast: plain rows turned into small read-only objects.

A queue page ranks every ask in the queue, hundreds of them, and building a model
instance (with its deal, requester and ladder position) costs more than the database
takes to send the row: with model instances the read was a third of a cold page. So the
queue reads the columns it ranks and shows, and wraps them in the objects below, which
answer the attributes ranking (deals/ranking.py), the lifecycle rules
(deals/lifecycle.py) and the rows (deals/queue_rows.py) use, by the same names as the
models. Nothing here is ever saved: writes go through the services, which load the ask.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from stakeholders.models import Team

from .models import CLOSED_STATUSES, AskStatus, Milestone

_ASK_COLUMNS = (
    "id",
    "deal_id",
    "requester_id",
    "team_id",
    "assignee_id",
    "ask_type",
    "title",
    "audience",
    "status",
    "proposed_due_at",
    "counter_due_at",
    "agreed_due_at",
    "created_at",
    "responded_at",
    "waiting_since",
    "respond_by",
    "updated_at",
    "nudge_timer__escalation_level",
)
_DEAL_COLUMNS = (
    "deal__customer",
    "deal__title",
    "deal__amount",
    "deal__currency",
    "deal__stage",
    "deal__expected_close_date",
    "deal__reference_customer",
    "deal__follow_on_phases",
    "deal__demonstration_value",
)
_PERSON_COLUMNS = ("requester__username", "requester__first_name", "requester__last_name")
_ASSIGNEE_COLUMNS = ("assignee__username", "assignee__first_name", "assignee__last_name")


@dataclass(frozen=True, slots=True)
class Person:
    pk: int
    username: str
    first_name: str
    last_name: str

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_username(self) -> str:
        return self.username


@dataclass(frozen=True, slots=True)
class QueueDeal:
    pk: int
    customer: str
    title: str
    amount: object
    currency: str
    stage: str
    expected_close_date: object
    reference_customer: bool
    follow_on_phases: bool
    demonstration_value: bool

    def __str__(self) -> str:
        return f"{self.customer} · {self.title}"


@dataclass(frozen=True, slots=True)
class QueueMilestone:
    position: int
    label: str
    due_at: object
    delivered_at: object


class QueueAsk:
    """An ask as a queue reads it."""

    __slots__ = (
        "_prefetched_objects_cache",
        "agreed_due_at",
        "ask_type",
        "assignee",
        "assignee_id",
        "audience",
        "counter_due_at",
        "created_at",
        "deal",
        "deal_id",
        "escalation_level",
        "extra",
        "pk",
        "proposed_due_at",
        "requester",
        "requester_id",
        "respond_by",
        "responded_at",
        "status",
        "team",
        "team_id",
        "title",
        "updated_at",
        "waiting_since",
    )

    @property
    def id(self) -> int:
        return self.pk

    @property
    def due_at(self):
        """The same rule as Ask.due_at: the agreed deadline, else the one on the table."""
        if self.agreed_due_at is not None:
            return self.agreed_due_at
        if self.status == AskStatus.COUNTERED:
            return self.counter_due_at
        return self.proposed_due_at

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def __repr__(self) -> str:
        return f"<QueueAsk {self.pk}: {self.title}>"


def read_asks(
    asks, *, statuses, assignee=None, known_teams=(), assignees=False, extra=()
) -> list[QueueAsk]:
    """The asks of ``asks`` (a queryset) in ``statuses``, with their deals, requesters,
    undelivered milestones and teams: two queries, and a third for teams not in
    ``known_teams``. ``assignee`` is attached to the asks that are theirs; with
    ``assignees``, every ask's assignee is read too (a board of many people's asks).
    ``extra`` names annotations of ``asks`` to read into ``ask.extra``."""
    columns = (*_ASK_COLUMNS, *_DEAL_COLUMNS, *_PERSON_COLUMNS)
    if assignees:
        columns += _ASSIGNEE_COLUMNS
    columns += tuple(extra)
    tail = len(columns) - len(extra)
    rows = list(asks.filter(status__in=statuses).values_list(*columns))
    deals: dict = {}
    people: dict = {}
    result = []
    width = len(_ASK_COLUMNS)
    for row in rows:
        ask = QueueAsk()
        (
            ask.pk,
            ask.deal_id,
            ask.requester_id,
            ask.team_id,
            ask.assignee_id,
            ask.ask_type,
            ask.title,
            ask.audience,
            ask.status,
            ask.proposed_due_at,
            ask.counter_due_at,
            ask.agreed_due_at,
            ask.created_at,
            ask.responded_at,
            ask.waiting_since,
            ask.respond_by,
            ask.updated_at,
            level,
        ) = row[:width]
        ask.escalation_level = level or 0
        deal = deals.get(ask.deal_id)
        if deal is None:
            deal = deals[ask.deal_id] = QueueDeal(ask.deal_id, *row[width : width + 9])
        ask.deal = deal
        person = people.get(ask.requester_id)
        if person is None:
            person = people[ask.requester_id] = Person(
                ask.requester_id, *row[width + 9 : width + 12]
            )
        ask.requester = person
        if assignees and ask.assignee_id is not None:
            person = people.get(ask.assignee_id)
            if person is None:
                person = people[ask.assignee_id] = Person(
                    ask.assignee_id, *row[width + 12 : width + 15]
                )
            ask.assignee = person
        elif assignee is not None and ask.assignee_id == assignee.pk:
            ask.assignee = assignee
        else:
            ask.assignee = None
        ask._prefetched_objects_cache = {"milestones": []}
        ask.extra = dict(zip(extra, row[tail:], strict=True))
        result.append(ask)
    if result:
        by_id = {ask.pk: ask for ask in result}
        milestones = (
            with_ids(Milestone.objects.filter(delivered_at__isnull=True), "ask_id", list(by_id))
            .order_by("position")
            .values_list("ask_id", "position", "label", "due_at", "delivered_at")
        )
        for ask_id, *fields in milestones:
            by_id[ask_id]._prefetched_objects_cache["milestones"].append(QueueMilestone(*fields))
    teams = {team.pk: team for team in known_teams}
    missing = {ask.team_id for ask in result} - teams.keys()
    if missing:
        teams.update((team.pk, team) for team in Team.objects.filter(pk__in=missing))
    for ask in result:
        ask.team = teams[ask.team_id]
    return result


def with_ids(qs, column: str, ids: list[int]):
    """``qs`` narrowed to rows whose ``column`` is one of ``ids``. On PostgreSQL the ids
    go as one array parameter (``= ANY(%s)``): Django prepares an IN list value by value,
    which for a few hundred ids costs more than the query."""
    if connection.vendor != "postgresql":
        return qs.filter(**{f"{column}__in": ids})
    table = qs.model._meta.db_table
    return qs.extra(where=[f'"{table}"."{column}" = ANY(%s)'], params=[ids])  # noqa: S610
