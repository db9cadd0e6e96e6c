"""seed_demo: a believable company, the same rows however often it runs, logins only in DEBUG."""

import datetime as dt
import io
import random
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.db.models import CheckConstraint
from django.utils import timezone

from deals.management.commands.seed_demo import SEED, plan_company
from deals.models import (
    ASK_TYPE_FUNCTION,
    DEADLINE_STATUSES,
    OPEN_STATUSES,
    Ask,
    AskEvent,
    AskStatus,
    AskType,
    Deal,
    DealEvent,
    EventKind,
    Milestone,
    Stage,
    Thank,
)
from stakeholders.models import Function, Profile, Role, Stakeholder, Team

User = get_user_model()
DEMO_LOGINS = ("rep", "presales", "presales_lead", "finance", "legal", "production", "manager")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out, stderr=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = (User, Profile, Team, Deal, Stakeholder, Ask, AskEvent, Milestone, Thank, DealEvent)
    return {model.__name__: model.objects.count() for model in models}


def chain_above(user) -> list[str]:
    names = [user.username]
    while user.profile.manager is not None:
        user = user.profile.manager
        names.append(user.username)
    return names


@pytest.mark.django_db
def test_seed_demo_twice_leaves_the_same_rows():
    seed()
    first = row_counts()
    events_before = set(AskEvent.objects.values_list("pk", flat=True))

    seed()

    assert row_counts() == first
    assert set(AskEvent.objects.values_list("pk", flat=True)) == events_before


def test_the_plan_is_the_same_whatever_the_time_of_day_or_week():
    # Times are relative to now, but which rows exist must not be: else a second run,
    # later, would add asks instead of finding them.
    def shape(now):
        return [
            (
                plan.row.customer,
                plan.stakeholders,
                [(a.title, a.fields["status"], a.assignee, len(a.events)) for a in plan.asks],
                [len(a.milestones) for a in plan.asks],
            )
            for plan in plan_company(random.Random(SEED), now)
        ]

    now = timezone.now()
    expected = shape(now)
    for hours in (3, 9, 17, 50, 100, 24 * 6 + 5):
        assert shape(now + dt.timedelta(hours=hours)) == expected


@pytest.mark.django_db
def test_the_company_has_eight_teams_with_leads_and_people_with_chinese_names():
    seed()

    teams = Team.objects.all()
    assert teams.count() >= 8
    assert all(team.lead is not None for team in teams)
    assert {Function.SALES, Function.FINANCE, Function.LEGAL, Function.PRESALES} <= {
        team.function for team in teams
    }
    assert teams.filter(function=Function.SALES).count() == 2
    people = User.objects.filter(profile__team__isnull=False)
    assert people.count() >= 25
    for person in people:
        assert person.last_name == ""
        assert all("\u4e00" <= ch <= "\u9fff" for ch in person.first_name), person.first_name
        assert person.profile.job_title


@pytest.mark.django_db
def test_the_management_chain_is_at_least_three_levels_deep():
    seed()

    rep = User.objects.get(username="rep")
    assert chain_above(rep)[:3] == ["rep", "manager", "zhou.haifeng"]
    assert max(len(chain_above(user)) for user in User.objects.all()) >= 3
    assert User.objects.filter(profile__manager__username="manager").count() >= 3


@pytest.mark.django_db
def test_about_forty_deals_cover_every_stage_with_the_owners_manager_on_each_deal_team():
    seed()

    deals = Deal.objects.select_related("owner__profile")
    assert 35 <= deals.count() <= 45
    assert {deal.stage for deal in deals} == set(Stage.values)
    assert deals.filter(owner__username="rep").count() >= 6
    amounts = [deal.amount for deal in deals]
    assert min(amounts) >= 80_000
    assert max(amounts) <= 50_000_000
    for deal in deals:
        assert deal.owner.profile.team.function == Function.SALES
        assert 1 <= deal.stakeholders.count() <= 4
        assert deal.stakeholders.filter(role=Role.MANAGER, user=deal.owner.profile.manager).exists()


@pytest.mark.django_db
def test_asks_come_in_every_status_and_type_and_some_are_overdue():
    seed()

    asks = Ask.objects.all()
    assert asks.count() >= 190
    assert set(asks.values_list("status", flat=True)) == set(AskStatus.values)
    assert set(asks.values_list("ask_type", flat=True)) == set(AskType.values)
    overdue = asks.filter(status__in=DEADLINE_STATUSES, agreed_due_at__lt=timezone.now())
    assert overdue.count() >= 5
    assert Milestone.objects.values("ask").distinct().count() >= 10


@pytest.mark.django_db
def test_every_ask_satisfies_the_database_constraints():
    seed()

    for constraint in Ask._meta.constraints:
        if isinstance(constraint, CheckConstraint):
            assert not Ask.objects.exclude(constraint.condition).exists(), constraint.name


@pytest.mark.django_db
def test_every_ask_has_a_past_timeline_that_starts_with_its_creation_and_ends_in_its_status():
    seed()
    now = timezone.now()

    for ask in Ask.objects.prefetch_related("events"):
        events = list(ask.events.all())
        assert events, ask.title
        assert events[0].kind == EventKind.CREATED
        assert events[0].created_at == ask.created_at
        status = AskStatus.PROPOSED
        for event in events:
            assert event.created_at <= now
            assert event.actor_id in (ask.requester_id, ask.assignee_id)
            if event.to_status and event.kind != EventKind.CREATED:
                assert event.from_status == status, (ask.title, event.kind)
                status = event.to_status
        assert status == ask.status, ask.title


@pytest.mark.django_db
def test_asks_go_to_the_team_of_their_type_and_only_proposed_ones_wait_unassigned():
    seed()

    for ask in Ask.objects.select_related("team", "assignee__profile"):
        function = ASK_TYPE_FUNCTION.get(AskType(ask.ask_type))
        if function is not None:
            assert ask.team.function == function, ask.title
        if ask.assignee is None:
            assert ask.status == AskStatus.PROPOSED, ask.title
        else:
            assert ask.assignee.profile.team_id == ask.team_id, ask.title


@pytest.mark.django_db
def test_the_demo_rep_and_presales_have_work_waiting_for_them():
    seed()
    now = timezone.now()

    rep_statuses = Counter(
        Ask.objects.filter(requester__username="rep").values_list("status", flat=True)
    )
    assert rep_statuses[AskStatus.COUNTERED] and rep_statuses[AskStatus.DELIVERED]
    assert Ask.objects.filter(
        requester__username="rep", status__in=DEADLINE_STATUSES, agreed_due_at__lt=now
    ).exists()
    presales_open = Ask.objects.filter(assignee__username="presales", status__in=OPEN_STATUSES)
    assert 8 <= presales_open.count() <= 20
    assert presales_open.filter(status__in=DEADLINE_STATUSES, agreed_due_at__lt=now).exists()
    assert Ask.objects.filter(
        team__function=Function.PRESALES, assignee=None, status=AskStatus.PROPOSED
    ).exists()


@pytest.mark.django_db
def test_demo_logins_work_with_the_demo_password_when_debug_is_on(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = FAST_HASHERS

    output = seed()

    assert settings.DEMO_PASSWORD in output
    for username in DEMO_LOGINS:
        user = authenticate(username=username, password=settings.DEMO_PASSWORD)
        assert user is not None, username
        assert not user.is_staff
        assert user.profile.team is not None
    admin = authenticate(username="admin", password=settings.DEMO_PASSWORD)
    assert admin is not None and admin.is_superuser
    others = User.objects.exclude(username__in=(*DEMO_LOGINS, "admin"))
    assert not any(user.has_usable_password() for user in others)


@pytest.mark.django_db
def test_with_debug_off_no_seeded_user_has_a_usable_password(settings):
    settings.DEBUG = False

    output = seed()

    assert not any(user.has_usable_password() for user in User.objects.all())
    assert not User.objects.filter(username="admin").exists()
    assert "no demo logins were created" in output
    assert django_settings.DEMO_PASSWORD not in output


@pytest.mark.django_db
def test_a_run_with_debug_off_locks_the_logins_an_earlier_debug_run_made(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.DEBUG = True
    seed()

    settings.DEBUG = False
    seed()

    assert not any(user.has_usable_password() for user in User.objects.all())
    assert authenticate(username="rep", password=settings.DEMO_PASSWORD) is None


@pytest.mark.django_db
def test_finished_work_carries_thank_yous_that_show_on_profiles():
    seed()
    thanks = Thank.objects.select_related("ask")
    assert thanks.count() >= 20
    assert all(t.ask.status == AskStatus.DONE for t in thanks)
    assert all(t.thanked_id == t.ask.assignee_id for t in thanks)
    assert all(t.ask.events.filter(kind="thanked").count() == 1 for t in thanks)
    assert Thank.objects.filter(thanked__username="presales").exists()
    assert DealEvent.objects.filter(kind="created").count() == Deal.objects.count()
