"""The database itself refuses rows that break the domain's invariants."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from deals.models import AskStatus
from stakeholders.models import Profile, Stakeholder
from tests.factories import AskFactory, DealFactory, StakeholderFactory, TeamFactory, UserFactory

S = AskStatus
NOW = timezone.now


def refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        AskFactory(**fields)


@pytest.mark.django_db
class TestAskInvariants:
    def test_an_agreed_ask_needs_an_agreed_deadline(self):
        for status in (S.AGREED, S.IN_PROGRESS, S.REOPENED):
            refused(status=status, agreed_due_at=None)

    def test_a_countered_ask_needs_the_counter_deadline_and_where_to_return(self):
        refused(status=S.COUNTERED, counter_due_at=None, resume_status=S.PROPOSED)
        refused(status=S.COUNTERED, counter_due_at=NOW(), resume_status="")

    def test_a_waiting_ask_needs_to_know_since_when(self):
        refused(status=S.WAITING, waiting_since=None, resume_status=S.PROPOSED)

    def test_a_declined_ask_needs_a_reason(self):
        refused(status=S.DECLINED, decline_reason="", closed_at=NOW())

    def test_a_delivered_ask_needs_its_delivery_time(self):
        refused(status=S.DELIVERED, agreed_due_at=NOW(), delivered_at=None)

    def test_closed_and_open_asks_agree_with_closed_at(self):
        refused(status=S.CANCELLED, closed_at=None)
        refused(status=S.PROPOSED, closed_at=NOW())

    def test_an_unknown_status_is_refused(self):
        refused(status="lost_in_space")

    def test_a_valid_declined_ask_is_accepted(self):
        ask = AskFactory(status=S.DECLINED, decline_reason="不在产品范围", closed_at=NOW())
        assert ask.pk


@pytest.mark.django_db
def test_a_deal_amount_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        DealFactory(amount=-1)


@pytest.mark.django_db
def test_a_person_has_one_role_of_each_kind_per_deal():
    holder = StakeholderFactory(role="legal")
    with pytest.raises(IntegrityError), transaction.atomic():
        Stakeholder.objects.create(deal=holder.deal, user=holder.user, role="legal")
    # The same person may hold a second, different role on the same deal.
    Stakeholder.objects.create(deal=holder.deal, user=holder.user, role="finance")


@pytest.mark.django_db
def test_nobody_manages_themselves():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Profile.objects.filter(user=user).update(manager=user)


@pytest.mark.django_db
def test_a_longer_reporting_loop_is_caught_by_validation():
    from django.core.exceptions import ValidationError

    boss = UserFactory()
    report = UserFactory(manager=boss)
    boss.profile.manager = report
    with pytest.raises(ValidationError):
        boss.profile.full_clean()


@pytest.mark.django_db
def test_a_team_day_must_end_after_it_starts():
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamFactory(workday_start=dt.time(18), workday_end=dt.time(9))


@pytest.mark.django_db
def test_every_user_gets_a_profile():
    assert Profile.objects.filter(user=UserFactory()).exists()
