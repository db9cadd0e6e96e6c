"""Weekly deal updates (seed 003): the services that write them and the selectors that
read them.

Each week a rep writes one update per open deal they own, in three parts: the facts,
what they will do about them, and the help they need from their manager. The week is
the Monday of the current week in the rep's own time zone; writing again the same week
edits that week's update. "The help I need" turns into an ask to the rep's manager
with one click (``update_help_to_ask``); the update keeps a link to it, so a second
click finds the ask already made.

A manager reads the week's updates of everyone below them, at any depth, and sees
which open deals have none.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from stakeholders.models import Profile, display_name

from . import services
from .calendar import suggest_deadline
from .manager_models import DealUpdate
from .models import OPEN_STAGES, Ask, AskType, Audience, Deal
from .selectors import subtree_user_ids
from .services import ActionNotAllowed

# Shared with the form, so the page and the service say the same thing.
FACTS_REQUIRED = gettext_lazy("Write the facts: where the deal stands this week.")
PLAN_REQUIRED = gettext_lazy("Write your plan: what you will do next.")

# An ask's title is one line; the whole help text goes into its deliverable.
_ASK_TITLE_LENGTH = 120


# --- weeks ----------------------------------------------------------------------------


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def time_zone_of(user) -> ZoneInfo:
    profile = getattr(user, "profile", None)
    return ZoneInfo(profile.time_zone if profile else settings.TIME_ZONE)


def current_week(user, now: dt.datetime | None = None) -> dt.date:
    """The Monday of this week in ``user``'s own time zone."""
    now = now or timezone.now()
    return monday_of(now.astimezone(time_zone_of(user)).date())


def parse_week(value: str | None, default: dt.date) -> dt.date:
    """``?week=`` names any day (YYYY-MM-DD) and means its week; anything unreadable, or
    a week not begun yet, means ``default`` (this week)."""
    try:
        week = monday_of(dt.date.fromisoformat(value or ""))
    except ValueError:
        return default
    return min(week, default)


# --- services -------------------------------------------------------------------------


@transaction.atomic
def update_write(*, deal: Deal, author, facts: str, plan: str, help_needed: str = "") -> DealUpdate:
    """Write (or, the same week, rewrite) the author's update on one open deal they own."""
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if deal.owner_id != author.pk:
        raise ActionNotAllowed(_("Only the deal's owner writes its weekly update."))
    if not deal.is_open:
        raise ActionNotAllowed(
            _("This deal is %(stage)s: weekly updates are for open deals.")
            % {"stage": deal.get_stage_display().lower()}
        )
    errors = {}
    facts, plan = (facts or "").strip(), (plan or "").strip()
    if not facts:
        errors["facts"] = str(FACTS_REQUIRED)
    if not plan:
        errors["plan"] = str(PLAN_REQUIRED)
    if errors:
        raise ValidationError(errors)
    week = current_week(author)
    update = DealUpdate.objects.select_for_update().filter(deal=deal, week=week).first()
    if update is None:
        update = DealUpdate(deal=deal, week=week, author=author)
    update.author = author
    update.facts = facts
    update.plan = plan
    update.help_needed = (help_needed or "").strip()
    update.save()
    return update


@transaction.atomic
def update_help_to_ask(*, update: DealUpdate, actor) -> Ask:
    """Turn the update's "help I need" into an ask to the author's manager: an approval
    ask to them in their team, its brief taken from the update (the help is the
    deliverable, the facts the details, the plan the purpose), for internal eyes, due
    after the team's usual turnaround. The update's one-to-one link to the ask makes a
    second ask from the same help impossible."""
    update = (
        # Lock the update alone: PostgreSQL cannot lock the nullable side of the joins.
        DealUpdate.objects.select_for_update(of=("self",))
        .select_related("deal", "author__profile__manager__profile__team")
        .get(pk=update.pk)
    )
    if update.author_id != actor.pk:
        raise ActionNotAllowed(_("Only the update's author can ask for this help."))
    if update.help_ask_id is not None:
        raise ActionNotAllowed(_("You have already asked for this help."))
    help_needed = update.help_needed.strip()
    if not help_needed:
        raise ActionNotAllowed(
            _("This update asks for no help: write what you need from your manager first.")
        )
    profile = getattr(update.author, "profile", None)
    manager = profile.manager if profile else None
    if manager is None:
        raise ActionNotAllowed(
            _("You have no manager in DealDesk to ask; an admin can set who you report to.")
        )
    team = getattr(getattr(manager, "profile", None), "team", None)
    if team is None:
        raise ActionNotAllowed(
            _("%(person)s is in no team in DealDesk yet; an admin can set their team.")
            % {"person": display_name(manager)}
        )
    first_line = help_needed.splitlines()[0].strip()
    ask = services.ask_create(
        deal=update.deal,
        requester=actor,
        assignee=manager,
        team=team,
        ask_type=AskType.APPROVAL,
        title=Truncator(first_line).chars(_ASK_TITLE_LENGTH),
        deliverable=help_needed,
        details=update.facts,
        purpose=update.plan,
        audience=Audience.INTERNAL,
        proposed_due_at=suggest_deadline(team, timezone.now()),
    )
    update.help_ask = ask
    update.save(update_fields=["help_ask", "updated_at"])
    return ask


# --- selectors ------------------------------------------------------------------------


def _open_deals_without_update(week: dt.date) -> QuerySet[Deal]:
    written = DealUpdate.objects.filter(deal=OuterRef("pk"), week=week)
    return Deal.objects.filter(stage__in=OPEN_STAGES).exclude(Exists(written))


def manages_anyone(user) -> bool:
    return Profile.objects.filter(manager_id=user.pk).exists()


def updates_inbox(manager, week: dt.date) -> QuerySet[DealUpdate]:
    """The week's updates of everyone below ``manager``, at any depth, on the deals they
    own, newest first; deal, author and the ask made from the help come in one query."""
    below = subtree_user_ids(manager)
    return (
        DealUpdate.objects.filter(week=week, author_id__in=below, deal__owner_id__in=below)
        .select_related("deal", "author", "help_ask")
        .order_by("-updated_at", "-id")
    )


def missing_updates(manager, week: dt.date) -> list[tuple[Deal, object]]:
    """(deal, owner) for each open deal owned by someone below ``manager`` that has no
    update for ``week``, by owner then deal."""
    deals = (
        _open_deals_without_update(week)
        .filter(owner_id__in=subtree_user_ids(manager))
        .select_related("owner")
        .order_by("owner__first_name", "owner__last_name", "owner_id", "customer", "id")
    )
    return [(deal, deal.owner) for deal in deals]


def my_missing_updates(rep, week: dt.date | None = None) -> QuerySet[Deal]:
    """The rep's own open deals with no update for ``week`` (this week by default):
    what "My work" flags for them to write."""
    week = week or current_week(rep)
    return (
        _open_deals_without_update(week)
        .filter(owner=rep)
        .order_by("expected_close_date", "-amount", "id")
    )


def my_week(rep, week: dt.date) -> list[tuple[Deal, DealUpdate | None]]:
    """The rep's deals for ``week``: every open deal they own, and any deal closed since
    that has their update that week, each with its update or None; the missing first
    (they want doing), then by expected close and amount. Two queries."""
    updates = {
        u.deal_id: u
        for u in DealUpdate.objects.filter(week=week, deal__owner=rep).select_related("help_ask")
    }
    deals = Deal.objects.filter(owner=rep, stage__in=OPEN_STAGES) | Deal.objects.filter(
        pk__in=list(updates)
    )
    rows = [
        (deal, updates.get(deal.pk))
        for deal in deals.order_by("expected_close_date", "-amount", "id")
    ]
    return sorted(rows, key=lambda row: row[1] is not None)
