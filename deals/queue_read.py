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
        "pk",
        "proposed_due_at",
        "requester",
        "requester_id",
        "responded_at",
        "status",
        "team",
        "team_id",
        "title",
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


def read_asks(asks, *, statuses, assignee=None, known_teams=()) -> list[QueueAsk]:
    """The asks of ``asks`` (a queryset) in ``statuses``, with their deals, requesters,
    undelivered milestones and teams: two queries, and a third for teams not in
    ``known_teams``. ``assignee`` is attached to the asks that are theirs."""
    columns = (*_ASK_COLUMNS, *_DEAL_COLUMNS, *_PERSON_COLUMNS)
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
            level,
        ) = row[:width]
        ask.escalation_level = level or 0
        deal = deals.get(ask.deal_id)
        if deal is None:
            deal = deals[ask.deal_id] = QueueDeal(ask.deal_id, *row[width : width + 9])
        ask.deal = deal
        person = people.get(ask.requester_id)
        if person is None:
            person = people[ask.requester_id] = Person(ask.requester_id, *row[width + 9 :])
        ask.requester = person
        ask.assignee = assignee if assignee is not None and ask.assignee_id == assignee.pk else None
        ask._prefetched_objects_cache = {"milestones": []}
        result.append(ask)
    if result:
        by_id = {ask.pk: ask for ask in result}
        milestones = (
            Milestone.objects.filter(ask_id__in=by_id, delivered_at__isnull=True)
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
