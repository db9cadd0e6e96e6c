"""Every read of deals and asks that is more than a ``get()``.

Each selector takes the acting user and returns only what that user may see: this is
where object-level permission lives. Anything outside it is a 404 in the views, never
a 403 that would confirm the object exists.

Who sees a deal: its owner, anyone on its deal team (a stakeholder), anyone with an
ask on it assigned to them or to their team, and every manager above the owner in the
reporting chain, at any depth. Who sees an ask: whoever sees its deal, its requester
and assignee, the members of the team it is for, and every manager above its requester
or assignee.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Role, Stakeholder

from .models import (
    ASSIGNEE_TURN_STATUSES,
    CLOSED_STATUSES,
    OPEN_STAGES,
    OPEN_STATUSES,
    OVERDUE_STATUSES,
    REQUESTER_TURN_STATUSES,
    Ask,
    AskEvent,
    AskStatus,
    Deal,
    DealEvent,
    Thank,
)

S = AskStatus

# Everyone below a manager, at any depth. UNION (not UNION ALL) makes a bad loop in the
# data terminate instead of recursing forever. One query, on SQLite and PostgreSQL.
_SUBTREE_SQL = """
    WITH RECURSIVE subtree(user_id) AS (
        SELECT user_id FROM stakeholders_profile WHERE manager_id = %s
        UNION
        SELECT p.user_id FROM stakeholders_profile p
        JOIN subtree s ON p.manager_id = s.user_id
    )
    SELECT user_id FROM subtree
"""


def subtree_user_ids(user) -> RawSQL:
    """A subquery of the ids of everyone who reports to ``user``, directly or not."""
    return RawSQL(_SUBTREE_SQL, [user.pk])  # noqa: S611 - fixed SQL, parameterised


def _team_id(user) -> int | None:
    profile = getattr(user, "profile", None)
    return profile.team_id if profile else None


def deals_visible_to(user) -> QuerySet[Deal]:
    if not user.is_authenticated:
        return Deal.objects.none()
    on_team = Stakeholder.objects.filter(deal=OuterRef("pk"), user=user)
    assigned = Ask.objects.filter(deal=OuterRef("pk"), assignee=user)
    visible = (
        Q(owner=user) | Q(owner_id__in=subtree_user_ids(user)) | Exists(on_team) | Exists(assigned)
    )
    team_id = _team_id(user)
    if team_id is not None:
        # A department sees the deals it works on: the facts sit next to the ask.
        visible |= Exists(Ask.objects.filter(deal=OuterRef("pk"), team_id=team_id))
    return Deal.objects.filter(visible)


def deal_is_managed_by(deal: Deal, user) -> bool:
    """The owner and every manager above them may change the deal and its team."""
    if not user.is_authenticated:
        return False
    if deal.owner_id == user.pk:
        return True
    return Deal.objects.filter(pk=deal.pk, owner_id__in=subtree_user_ids(user)).exists()


def can_ask_on(deal: Deal, user) -> bool:
    """Who may log asks on a deal: those who manage it, and its deal team."""
    return deal_is_managed_by(deal, user) or deal.stakeholders.filter(user=user).exists()


def asks_visible_to(user) -> QuerySet[Ask]:
    if not user.is_authenticated:
        return Ask.objects.none()
    below = subtree_user_ids(user)
    visible = (
        Q(deal__in=deals_visible_to(user).values("pk"))
        | Q(requester=user)
        | Q(assignee=user)
        # A manager sees, and can intervene on, the work of everyone below them.
        | Q(assignee_id__in=below)
        | Q(requester_id__in=below)
    )
    team_id = _team_id(user)
    if team_id is not None:
        visible |= Q(team_id=team_id)
    return Ask.objects.filter(visible)


def _ask_list(qs: QuerySet[Ask]) -> QuerySet[Ask]:
    return qs.select_related("deal", "requester", "assignee", "team")


def _with_open_counts(qs: QuerySet[Deal]) -> QuerySet[Deal]:
    now = timezone.now()
    return qs.annotate(
        open_asks=Count("asks", filter=Q(asks__status__in=OPEN_STATUSES), distinct=True),
        overdue_asks=Count(
            "asks",
            filter=Q(asks__status__in=OVERDUE_STATUSES, asks__agreed_due_at__lt=now),
            distinct=True,
        ),
    )


# --- "my work" --------------------------------------------------------------------------


def my_open_deals(user) -> QuerySet[Deal]:
    """The deals a rep owns that are still in play, with their open and overdue asks."""
    return _with_open_counts(Deal.objects.filter(owner=user, stage__in=OPEN_STAGES)).order_by(
        "expected_close_date", "-amount", "id"
    )


def asks_waiting_on(user) -> QuerySet[Ask]:
    """Asks whose next move is this user's, as assignee or as requester."""
    return _ask_list(
        Ask.objects.filter(
            Q(assignee=user, status__in=ASSIGNEE_TURN_STATUSES)
            | Q(requester=user, status__in=REQUESTER_TURN_STATUSES)
        )
    ).order_by("agreed_due_at", "proposed_due_at", "id")


def asks_sent_open(user) -> QuerySet[Ask]:
    return _ask_list(Ask.objects.filter(requester=user, status__in=OPEN_STATUSES)).order_by(
        "agreed_due_at", "proposed_due_at", "id"
    )


def team_queue_unassigned(user) -> QuerySet[Ask]:
    """The open asks in the user's team's queue that nobody has taken yet."""
    team_id = _team_id(user)
    if team_id is None:
        return Ask.objects.none()
    return _ask_list(
        Ask.objects.filter(team_id=team_id, assignee__isnull=True, status__in=OPEN_STATUSES)
    ).order_by("proposed_due_at", "id")


def overdue_in_subtree(user) -> QuerySet[Ask]:
    """Overdue asks assigned to anyone who reports to this user, at any depth."""
    return _ask_list(
        Ask.objects.filter(
            assignee_id__in=subtree_user_ids(user),
            status__in=OVERDUE_STATUSES,
            agreed_due_at__lt=timezone.now(),
        )
    ).order_by("agreed_due_at", "id")


def thanks_to_my_people(user, limit: int = 10) -> QuerySet[Thank]:
    """Recent credit given to anyone who reports to this user: reps help colleagues show
    their value upward, so the manager sees it without asking."""
    return (
        Thank.objects.filter(thanked_id__in=subtree_user_ids(user))
        .select_related("thanked", "thanked_by", "ask")
        .order_by("-created_at", "-id")[:limit]
    )


# --- detail pages -------------------------------------------------------------------------


def deal_for_user(user, pk: int) -> Deal:
    deals = _with_open_counts(deals_visible_to(user)).select_related("owner", "owner__profile")
    return get_object_or_404(deals, pk=pk)


STATUS_GROUPS = (
    (_("Waiting on the assignee"), (S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED)),
    (_("Waiting on the requester"), (S.COUNTERED, S.WAITING, S.DELIVERED)),
    (_("Closed"), CLOSED_STATUSES),
)


def deal_page(user, pk: int) -> dict:
    """Everything the deal page shows, in a fixed number of queries."""
    deal = deal_for_user(user, pk)
    stakeholders = list(
        deal.stakeholders.select_related("user", "user__profile__team").order_by("role", "id")
    )
    asks = list(_ask_list(deal.asks.all()).order_by("agreed_due_at", "proposed_due_at", "id"))
    groups = [
        {"label": label, "asks": [a for a in asks if a.status in statuses]}
        for label, statuses in STATUS_GROUPS
    ]
    ask_events = list(
        AskEvent.objects.filter(ask__deal=deal)
        .select_related("actor", "ask")
        .order_by("-created_at", "-id")[:TIMELINE_LENGTH]
    )
    deal_events = list(
        DealEvent.objects.filter(deal=deal)
        .select_related("actor")
        .order_by("-created_at", "-id")[:TIMELINE_LENGTH]
    )
    timeline = sorted(ask_events + deal_events, key=lambda e: e.created_at, reverse=True)
    managed = deal_is_managed_by(deal, user)
    return {
        "deal": deal,
        "stakeholders": stakeholders,
        "asks": asks,
        "ask_groups": groups,
        "timeline": timeline[:TIMELINE_LENGTH],
        "can_manage": managed,
        "can_ask": managed or any(s.user_id == user.pk for s in stakeholders),
    }


TIMELINE_LENGTH = 40


def deals_for_list(user, *, q: str = "", stage: str = "", mine: bool = True) -> QuerySet[Deal]:
    """The deal list: my deals (or all I can see), searched and filtered by stage."""
    deals = Deal.objects.filter(owner=user) if mine else deals_visible_to(user)
    if q:
        deals = deals.filter(Q(customer__icontains=q) | Q(title__icontains=q))
    if stage == "open":
        deals = deals.filter(stage__in=OPEN_STAGES)
    elif stage:
        deals = deals.filter(stage=stage)
    return _with_open_counts(deals.select_related("owner")).order_by(
        "expected_close_date", "-amount", "id"
    )


def asks_sent(
    user, *, status: str = "", deal_id: int | None = None, overdue: bool = False
) -> QuerySet[Ask]:
    asks = Ask.objects.filter(requester=user)
    if status == "open":
        asks = asks.filter(status__in=OPEN_STATUSES)
    elif status:
        asks = asks.filter(status=status)
    if deal_id:
        asks = asks.filter(deal_id=deal_id)
    if overdue:
        asks = asks.filter(status__in=OVERDUE_STATUSES, agreed_due_at__lt=timezone.now())
    return _ask_list(asks).order_by("agreed_due_at", "proposed_due_at", "id")


def deals_with_asks_sent_by(user) -> QuerySet[Deal]:
    return Deal.objects.filter(asks__requester=user).distinct().order_by("customer", "title")


def ask_for_user(user, pk: int) -> Ask:
    asks = (
        _ask_list(asks_visible_to(user))
        .select_related("deal__owner", "nudge_timer")
        .prefetch_related(
            "milestones",
            Prefetch("events", queryset=AskEvent.objects.select_related("actor")),
            Prefetch("thanks", queryset=Thank.objects.select_related("thanked_by", "thanked")),
        )
    )
    return get_object_or_404(asks, pk=pk)


def can_intervene(ask: Ask, user) -> bool:
    """Managers may snooze or push an ask: anyone the assignee or requester reports to,
    the lead of the team doing the work, and the deal's manager stakeholders."""
    if not user.is_authenticated or user.pk in (ask.assignee_id, ask.requester_id):
        return False
    if ask.team.lead_id == user.pk:
        return True
    below = subtree_user_ids(user)
    return (
        Ask.objects.filter(pk=ask.pk)
        .filter(
            Q(assignee_id__in=below)
            | Q(requester_id__in=below)
            | Exists(
                Stakeholder.objects.filter(deal=OuterRef("deal_id"), user=user, role=Role.MANAGER)
            )
        )
        .exists()
    )
