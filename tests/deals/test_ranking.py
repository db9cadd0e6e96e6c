"""The queue's score, one factor at a time, then the order it produces."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from deals import ranking
from deals.models import Ask, AskStatus, Audience, Deal, Milestone, Stage
from stakeholders.models import Team
from tests.deals.kit import at

TEAM = Team(name="售前技术部", response_hours=4)  # 09:00–18:00, Monday to Friday
MONDAY_10 = at(2026, 11, 23, 10, 0)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


class TestUrgency:
    def test_overdue_comes_first_and_scores_more_the_later_it_is(self):
        just, day, week = (
            ranking.urgency(at(2026, 11, 23, 9, 30), TEAM, MONDAY_10),
            ranking.urgency(at(2026, 11, 20, 10, 0), TEAM, MONDAY_10),
            ranking.urgency(at(2026, 11, 13, 10, 0), TEAM, MONDAY_10),
        )
        assert 40 < just[0] < day[0] < week[0] == 60
        assert day[1].label == "overdue 1d"  # Friday 10:00 to Monday 10:00: one working day
        assert day[1].tone == "red"

    def test_a_deadline_today_is_urgent_and_says_how_long_is_left(self):
        points, reason = ranking.urgency(at(2026, 11, 23, 14, 0), TEAM, MONDAY_10)
        assert 35 < points < 40
        assert reason.label == "due in 4h"

    def test_a_weekend_does_not_make_a_deadline_feel_far(self):
        friday_17 = at(2026, 11, 27, 17, 0)
        monday_10 = at(2026, 11, 30, 10, 0)
        assert ranking.urgency(monday_10, TEAM, friday_17)[1].label == "due in 2h"

    def test_five_working_days_away_scores_nothing(self):
        assert ranking.urgency(at(2026, 12, 1, 10, 0), TEAM, MONDAY_10) == (0.0, None)
        assert ranking.urgency(None, TEAM, MONDAY_10) == (0.0, None)


class TestDealValue:
    def test_value_counts_on_a_log_scale(self):
        small = ranking.deal_value(Decimal(100_000), "CNY")[0]
        medium = ranking.deal_value(Decimal(1_000_000), "CNY")[0]
        large = ranking.deal_value(Decimal(10_000_000), "CNY")[0]
        assert medium - small == pytest.approx(large - medium)
        assert ranking.deal_value(Decimal(100_000_000), "CNY")[0] == 20
        assert ranking.deal_value(Decimal(5_000), "CNY")[0] == 0

    def test_a_large_deal_says_its_amount(self):
        assert ranking.deal_value(Decimal(3_200_000), "CNY")[1].label == "¥3,200,000 deal"
        assert ranking.deal_value(Decimal(800_000), "CNY")[1] is None

    def test_other_currencies_compare_at_reference_rates(self):
        usd = ranking.deal_value(Decimal(1_000_000), "USD")[0]
        cny = ranking.deal_value(Decimal(7_200_000), "CNY")[0]
        assert usd == pytest.approx(cny)


class TestStageAndClose:
    def test_later_stages_and_near_closes_score_more(self):
        today = dt.date(2026, 11, 23)
        assert ranking.stage_and_close(Stage.LEAD, None, today) == (0.0, None)
        assert ranking.stage_and_close(Stage.VALUE, None, today)[0] == 6
        points, reason = ranking.stage_and_close(Stage.VALUE, dt.date(2026, 12, 5), today)
        assert points == 10 and reason.label == "closes in 12 days"
        assert ranking.stage_and_close(Stage.OPPORTUNITY, dt.date(2027, 1, 20), today)[0] == 4

    def test_a_close_date_in_the_past_adds_nothing(self):
        today = dt.date(2026, 11, 23)
        assert ranking.stage_and_close(Stage.EXPECTATIONS, dt.date(2026, 11, 1), today)[0] == 4


class TestStrategicFlags:
    def test_each_flag_counts_and_all_are_named(self):
        deal = Deal(reference_customer=True, follow_on_phases=True, demonstration_value=True)
        points, reason = ranking.strategic_flags(deal)
        assert points == 8
        assert reason.label == "reference customer · follow-on phases · demonstration value"
        assert ranking.strategic_flags(Deal()) == (0.0, None)


class TestAudience:
    def test_executives_then_working_level_then_internal(self):
        executives = ranking.audience(Audience.CUSTOMER_EXECUTIVE)
        working = ranking.audience(Audience.CUSTOMER_WORKING)
        assert executives[0] > working[0] > ranking.audience(Audience.INTERNAL)[0] == 0
        assert executives[1].label == "customer executives"


class TestMilestone:
    def milestone(self, due, delivered=None, label="v2 working level", position=2):
        return Milestone(label=label, due_at=due, delivered_at=delivered, position=position)

    def test_an_overdue_milestone_scores_most(self):
        points, reason = ranking.nearest_milestone(
            [self.milestone(at(2026, 11, 20, 18, 0))], TEAM, MONDAY_10
        )
        assert points == 10 and reason.label == "v2 working level overdue"

    def test_the_nearest_undelivered_milestone_counts(self):
        done = self.milestone(
            at(2026, 11, 20, 18, 0), delivered=at(2026, 11, 20, 17, 0), label="v1"
        )
        soon = self.milestone(at(2026, 11, 23, 15, 0), label="v2")
        later = self.milestone(at(2026, 11, 26, 15, 0), label="v3", position=3)
        points, reason = ranking.nearest_milestone([later, done, soon], TEAM, MONDAY_10)
        assert 7 < points < 8
        assert reason.label == "v2 due in 5h"

    def test_no_milestones_no_points(self):
        assert ranking.nearest_milestone([], TEAM, MONDAY_10) == (0.0, None)


class TestEscalationLevel:
    def test_each_level_adds_and_says_how_far_it_went(self):
        assert ranking.escalation(0) == (0.0, None)
        assert ranking.escalation(1)[0] < ranking.escalation(2)[0] < ranking.escalation(3)[0]
        assert ranking.escalation(2)[1].label == "escalated to manager"


class TestFirstAnswer:
    def ask(self, created, status=AskStatus.PROPOSED, responded=None):
        return SimpleNamespace(status=status, created_at=created, responded_at=responded)

    def test_waiting_longer_than_the_response_time_shows(self):
        points, reason = ranking.first_answer(self.ask(at(2026, 11, 20, 16, 0)), TEAM, MONDAY_10)
        # Friday 16:00 to Monday 10:00 is 3 working hours: within the 4-hour response time.
        assert 0 < points < 5 and reason is None
        points, reason = ranking.first_answer(self.ask(at(2026, 11, 20, 10, 0)), TEAM, MONDAY_10)
        assert points == 10 and reason.label == "waiting 1d for an answer"

    def test_an_answered_ask_is_not_waiting(self):
        answered = self.ask(at(2026, 11, 20, 10, 0), AskStatus.AGREED, at(2026, 11, 20, 11, 0))
        assert ranking.first_answer(answered, TEAM, MONDAY_10) == (0.0, None)


class _Milestones(list):
    def all(self):
        return self


def make_ask(pk, *, due, amount=1_000_000, audience=Audience.INTERNAL, **deal):
    ask = Ask(
        pk=pk,
        status=AskStatus.AGREED,
        agreed_due_at=due,
        proposed_due_at=due,
        audience=audience,
        created_at=at(2026, 11, 16, 10, 0),
        responded_at=at(2026, 11, 16, 11, 0),
    )
    ask.team = TEAM
    ask.deal = Deal(amount=Decimal(amount), currency="CNY", stage=Stage.OPPORTUNITY, **deal)
    ask.__dict__["_prefetched_objects_cache"] = {"milestones": _Milestones()}
    return ask


class TestOrder:
    def test_an_overdue_executive_ask_on_a_large_deal_tops_the_queue_with_its_reasons(self):
        top = make_ask(
            3, due=at(2026, 11, 20, 15, 0), amount=32_000_000, audience=Audience.CUSTOMER_EXECUTIVE
        )
        later = make_ask(1, due=at(2026, 11, 25, 15, 0), amount=50_000_000)
        small = make_ask(2, due=at(2026, 11, 23, 9, 0), amount=200_000)
        ranked = ranking.rank([later, small, top], MONDAY_10, levels={1: 0, 2: 0, 3: 0})
        assert [r.ask.pk for r in ranked] == [3, 2, 1]
        labels = [reason.label for reason in ranked[0].reasons]
        # Friday 15:00 to Monday 10:00: three working hours on Friday, one on Monday.
        assert labels[:2] == ["overdue 4h", "¥32,000,000 deal"]
        assert "customer executives" in labels

    def test_ties_break_by_deadline_then_by_age(self):
        a = make_ask(7, due=at(2026, 12, 10, 15, 0))
        b = make_ask(5, due=at(2026, 12, 10, 15, 0))
        c = make_ask(6, due=at(2026, 12, 9, 15, 0))
        order = [r.ask.pk for r in ranking.rank([a, b, c], MONDAY_10, levels={5: 0, 6: 0, 7: 0})]
        assert order == [6, 5, 7]

    def test_due_date_order_ignores_the_score(self):
        big = make_ask(1, due=at(2026, 11, 30, 15, 0), amount=90_000_000)
        small = make_ask(2, due=at(2026, 11, 24, 15, 0), amount=20_000)
        assert [a.pk for a in ranking.by_due_date([big, small])] == [2, 1]
