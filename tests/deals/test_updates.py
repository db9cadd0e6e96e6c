"""Weekly deal updates (seed 003): a rep writes the facts, the plan and the help needed
on each open deal once a week; the help becomes an ask to their manager in one click;
a manager reads the updates of everyone below them and sees which deals have none."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from deals import updates
from deals.calendar import suggest_deadline
from deals.manager_models import DealUpdate
from deals.models import Ask, AskStatus, AskType, Audience, Stage
from deals.services import ActionNotAllowed
from tests.factories import DealFactory, UserFactory

from .kit import at

pytestmark = pytest.mark.django_db

# A Wednesday; its week starts on Monday 2026-11-23.
WEDNESDAY = at(2026, 11, 25, 10, 0)
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def wednesday():
    # The services' messages are read in English here (the pages choose their language
    # per request; the Chinese page has its own test).
    with time_machine.travel(WEDNESDAY, tick=False), translation.override("en"):
        yield


@pytest.fixture
def other_manager(sales_team):
    return UserFactory(username="director_b", first_name="钱峰", team=sales_team)


@pytest.fixture
def other_rep(other_rep, other_manager):
    """A rep below another manager: their updates are none of ``director``'s business."""
    other_rep.profile.manager = other_manager
    other_rep.profile.save()
    return other_rep


def write(
    deal,
    author=None,
    *,
    facts="客户技术部确认了 120 个站点的范围",
    plan="周五前提交方案 v2",
    help_needed="",
):
    return updates.update_write(
        deal=deal, author=author or deal.owner, facts=facts, plan=plan, help_needed=help_needed
    )


def page(client, user, language="en", **query):
    client.force_login(user)
    response = client.get(reverse("updates"), query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


# --- writing --------------------------------------------------------------------------


class TestWriting:
    def test_a_rep_writes_this_weeks_update_and_writing_again_edits_it(self, org):
        first = write(org["deal"], help_needed="请孙总出面约客户副总")
        assert first.week == MONDAY
        assert first.author == org["rep"]
        with time_machine.travel(at(2026, 11, 27, 17, 0), tick=False):
            again = write(org["deal"], facts="招标公告已发布", plan="下周一递交标书")
        assert again.pk == first.pk
        assert DealUpdate.objects.count() == 1
        again.refresh_from_db()
        assert (again.facts, again.plan, again.help_needed) == (
            "招标公告已发布",
            "下周一递交标书",
            "",
        )

    def test_next_monday_starts_a_new_update(self, org):
        write(org["deal"])
        with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False):
            write(org["deal"])
        assert sorted(DealUpdate.objects.values_list("week", flat=True)) == [
            MONDAY,
            dt.date(2026, 11, 30),
        ]

    def test_the_week_is_the_monday_in_the_reps_own_time_zone(self, org):
        org["rep"].profile.time_zone = "Europe/Berlin"
        org["rep"].profile.save()
        # Monday 03:00 in Shanghai is still Sunday evening in Berlin.
        with time_machine.travel(at(2026, 11, 30, 3, 0), tick=False):
            update = write(org["deal"])
        assert update.week == MONDAY

    def test_facts_and_plan_are_required_with_clear_messages(self, org):
        with pytest.raises(ValidationError) as caught:
            write(org["deal"], facts="  ", plan="")
        assert set(caught.value.message_dict) == {"facts", "plan"}
        assert "facts" in caught.value.message_dict["facts"][0]
        assert DealUpdate.objects.count() == 0

    def test_only_the_owner_writes_the_update(self, org):
        for someone in (org["rep_manager"], org["vp"], org["presales"]):
            with pytest.raises(ActionNotAllowed):
                write(org["deal"], author=someone)
        assert DealUpdate.objects.count() == 0

    @pytest.mark.parametrize("stage", [Stage.WON, Stage.LOST])
    def test_a_closed_deal_takes_no_update(self, org, stage):
        org["deal"].stage = stage
        org["deal"].save()
        with pytest.raises(ActionNotAllowed, match="open deals"):
            write(org["deal"])


# --- help needed → an ask to the manager ------------------------------------------------


class TestHelpBecomesAnAsk:
    def test_the_help_becomes_an_approval_ask_to_the_reps_manager(self, org):
        update = write(
            org["deal"],
            facts="客户要求质保金从 5% 提到 10%",
            plan="周四与客户采购谈判，争取 8%",
            help_needed="请您批准 8% 的质保金底线\n并陪我参加周四的谈判",
        )
        ask = updates.update_help_to_ask(update=update, actor=org["rep"])
        assert ask.requester == org["rep"]
        assert ask.assignee == org["rep_manager"]
        assert ask.team == org["sales_team"]
        assert ask.ask_type == AskType.APPROVAL
        assert ask.audience == Audience.INTERNAL
        assert ask.status == AskStatus.PROPOSED
        assert ask.title == "请您批准 8% 的质保金底线"
        assert ask.deliverable == update.help_needed
        assert ask.details == update.facts
        assert ask.purpose == update.plan
        assert ask.proposed_due_at == suggest_deadline(org["sales_team"], WEDNESDAY)
        update.refresh_from_db()
        assert update.help_ask == ask

    def test_the_same_help_is_asked_only_once(self, org):
        update = write(org["deal"], help_needed="请协调售前资源")
        updates.update_help_to_ask(update=update, actor=org["rep"])
        with pytest.raises(ActionNotAllowed, match="already"):
            updates.update_help_to_ask(update=update, actor=org["rep"])
        assert Ask.objects.count() == 1

    def test_no_ask_without_help_text(self, org):
        update = write(org["deal"], help_needed="   ")
        with pytest.raises(ActionNotAllowed, match="no help"):
            updates.update_help_to_ask(update=update, actor=org["rep"])
        assert Ask.objects.count() == 0

    def test_no_ask_without_a_manager(self, org):
        update = write(org["deal"], help_needed="请协调售前资源")
        org["rep"].profile.manager = None
        org["rep"].profile.save()
        with pytest.raises(ActionNotAllowed, match="no manager"):
            updates.update_help_to_ask(update=update, actor=org["rep"])
        assert Ask.objects.count() == 0

    def test_only_the_author_can_ask(self, org):
        update = write(org["deal"], help_needed="请协调售前资源")
        for someone in (org["rep_manager"], org["vp"]):
            with pytest.raises(ActionNotAllowed):
                updates.update_help_to_ask(update=update, actor=someone)
        update.refresh_from_db()
        assert update.help_ask is None
        assert Ask.objects.count() == 0


# --- selectors ------------------------------------------------------------------------


class TestSelectors:
    def test_the_inbox_holds_the_weeks_updates_of_everyone_below_at_any_depth(self, org, other_rep):
        org["rep_manager"].profile.manager = org["vp"]
        org["rep_manager"].profile.save()
        mine = write(org["deal"])
        theirs = write(DealFactory(owner=other_rep))
        with time_machine.travel(at(2026, 11, 18, 10, 0), tick=False):
            last_week = write(DealFactory(owner=org["rep"]))
        assert list(updates.updates_inbox(org["rep_manager"], MONDAY)) == [mine]
        assert list(updates.updates_inbox(org["vp"], MONDAY)) == [mine]
        assert list(updates.updates_inbox(org["rep_manager"], dt.date(2026, 11, 16))) == [last_week]
        assert list(updates.updates_inbox(org["rep"], MONDAY)) == []
        assert theirs not in updates.updates_inbox(org["rep_manager"], MONDAY)

    def test_the_inbox_is_newest_first_in_one_query(self, org, django_assert_num_queries):
        older = write(org["deal"])
        with time_machine.travel(at(2026, 11, 25, 11, 0), tick=False):
            newer = write(DealFactory(owner=org["rep"]))
        with django_assert_num_queries(1):
            found = list(updates.updates_inbox(org["rep_manager"], MONDAY))
            assert [(u.deal.customer, u.author.username) for u in found]
        assert found == [newer, older]

    def test_missing_updates_are_the_open_deals_below_without_one(self, org, other_rep):
        write(org["deal"])
        waiting = DealFactory(owner=org["rep"], customer="南京地铁集团")
        DealFactory(owner=org["rep"], stage=Stage.WON)
        DealFactory(owner=other_rep)
        assert updates.missing_updates(org["rep_manager"], MONDAY) == [(waiting, org["rep"])]

    def test_my_missing_updates_are_the_reps_own_open_deals_without_one(self, org, other_rep):
        waiting = DealFactory(owner=org["rep"])
        DealFactory(owner=org["rep"], stage=Stage.LOST)
        DealFactory(owner=other_rep)
        assert list(updates.my_missing_updates(org["rep"])) == [org["deal"], waiting]
        write(org["deal"])
        assert list(updates.my_missing_updates(org["rep"])) == [waiting]
        last_week = dt.date(2026, 11, 16)
        assert list(updates.my_missing_updates(org["rep"], last_week)) == [org["deal"], waiting]


# --- the updates page -------------------------------------------------------------------


class TestUpdatesPage:
    def test_a_rep_sees_each_open_deal_with_its_update_or_a_prompt_to_write_it(self, client, org):
        write(org["deal"], facts="客户已确认预算", help_needed="请协调售前资源")
        waiting = DealFactory(owner=org["rep"], customer="南京地铁集团")
        DealFactory(owner=org["rep"], customer="已丢单客户", stage=Stage.LOST)
        html = page(client, org["rep"])
        assert "My deals this week" in html
        assert "客户已确认预算" in html
        assert "1 of 2 deals has no update" in html
        assert 'class="chip chip-amber">Missing this week<' in html
        assert reverse("update_write", args=[waiting.pk]) in html
        assert "已丢单客户" not in html
        assert "From your people" not in html
        # The help can become an ask to the manager from here.
        assert f"Ask {org['rep_manager'].first_name} for this help" in html

    def test_a_rep_with_no_open_deals_is_told_what_to_do(self, client, other_rep):
        html = page(client, other_rep)
        assert "You own no open deals" in html

    def test_a_manager_reads_their_peoples_updates_and_what_is_missing(
        self, client, org, other_rep
    ):
        write(org["deal"], facts="客户已确认预算", plan="周五提交方案", help_needed="请您出面")
        DealFactory(owner=org["rep"], customer="南京地铁集团")
        write(DealFactory(owner=other_rep, customer="别人的客户"), facts="别人的事实")
        html = page(client, org["rep_manager"])
        assert "From your people" in html
        assert "客户已确认预算" in html and "周五提交方案" in html and "请您出面" in html
        assert "Needs your help" in html
        assert "Missing this week" in html and "南京地铁集团" in html
        assert "别人的客户" not in html and "别人的事实" not in html

    def test_the_inbox_says_so_when_nobody_has_written(self, client, org):
        html = page(client, org["rep_manager"])
        assert "No updates from your people yet this week" in html
        assert org["deal"].customer in html  # missing

    def test_any_day_of_a_week_looks_back_at_that_week(self, client, org):
        with time_machine.travel(at(2026, 11, 18, 10, 0), tick=False):
            write(org["deal"], facts="上周的事实")
        write(org["deal"], facts="本周的事实")
        html = page(client, org["rep_manager"], week="2026-11-20")
        assert "上周的事实" in html and "本周的事实" not in html
        assert "Week of 2026-11-16 to 11-22" in html
        assert "?week=2026-11-09" in html and "?week=2026-11-23" in html
        waiting = DealFactory(owner=org["rep"])
        mine = page(client, org["rep"], week="2026-11-20")
        assert "上周的事实" in mine
        # A past week is read, not written.
        assert "No update was written that week." in mine
        assert reverse("update_write", args=[waiting.pk]) not in mine
        assert reverse("update_write", args=[org["deal"].pk]) not in mine

    def test_this_week_has_no_next_week_and_a_bad_week_means_this_week(self, client, org):
        for query in ({}, {"week": "nonsense"}, {"week": "2027-01-04"}):
            html = page(client, org["rep"], **query)
            assert "Week of 2026-11-23 to 11-29" in html
            assert "?week=2026-11-16" in html
            assert "?week=2026-11-30" not in html

    def test_the_page_is_in_chinese_for_a_chinese_reader(self, client, org):
        org["deal"].amount = 3_200_000
        org["deal"].save()
        html = page(client, org["rep"], language="zh-hans")
        assert "¥320万" in html
        assert 'lang="zh-Hans"' in html

    def test_the_query_count_is_the_same_for_3_or_30_deals(
        self, client, org, other_rep, django_assert_max_num_queries
    ):
        helper = UserFactory(username="rep_c", team=org["sales_team"], manager=org["rep_manager"])
        # The manager owns a deal too: their page then also shows "My deals".
        owners = [org["rep"], helper, org["rep_manager"]]

        def grow(deals):
            for i in range(deals):
                deal = DealFactory(owner=owners[i % 3])
                if i % 4:
                    update = write(deal, help_needed="请协调" if i % 2 else "")
                    if i % 4 == 1 and deal.owner != org["rep_manager"]:
                        updates.update_help_to_ask(update=update, actor=deal.owner)
                DealFactory(owner=other_rep)

        def counts():
            found = []
            for user in (org["rep"], org["rep_manager"]):
                client.force_login(user)
                # session, user, profile, the header's counts; whether I manage anyone;
                # my deals, their updates, my manager; the inbox, the missing deals.
                with django_assert_max_num_queries(10) as captured:
                    assert client.get(reverse("updates")).status_code == 200
                found.append(len(captured))
            return found

        grow(3)
        small = counts()
        grow(27)
        assert DealUpdate.objects.count() > 15
        assert counts() == small


# --- the three-part form ------------------------------------------------------------------


class TestUpdateForm:
    def test_the_owner_writes_the_update_and_lands_on_the_week(self, client, org):
        client.force_login(org["rep"])
        url = reverse("update_write", args=[org["deal"].pk])
        assert (
            "The help I need from you"
            in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        )
        response = client.post(
            url,
            {"facts": "客户已确认预算", "plan": "周五提交方案", "help_needed": "请您出面"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("updates") + f"#deal-{org['deal'].pk}"
        update = DealUpdate.objects.get()
        assert (update.deal, update.author, update.week) == (org["deal"], org["rep"], MONDAY)
        follow = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Update saved for" in follow

    def test_the_form_is_prefilled_with_this_weeks_update_and_saving_edits_it(self, client, org):
        write(org["deal"], facts="原来的事实", plan="原来的计划")
        client.force_login(org["rep"])
        url = reverse("update_write", args=[org["deal"].pk])
        html = client.get(url).content.decode()
        assert "原来的事实" in html and "原来的计划" in html
        client.post(url, {"facts": "新的事实", "plan": "新的计划", "help_needed": ""})
        update = DealUpdate.objects.get()
        assert (update.facts, update.plan) == ("新的事实", "新的计划")

    def test_missing_facts_and_plan_are_said_next_to_their_fields(self, client, org):
        client.force_login(org["rep"])
        response = client.post(
            reverse("update_write", args=[org["deal"].pk]),
            {"facts": "", "plan": " ", "help_needed": "请您出面"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert 'id="id_facts_error"' in html and 'id="id_plan_error"' in html
        assert str(updates.FACTS_REQUIRED) in html
        assert "请您出面" in html  # what was typed is kept
        assert DealUpdate.objects.count() == 0

    def test_anyone_but_the_owner_gets_a_404(self, client, org, other_rep):
        url = reverse("update_write", args=[org["deal"].pk])
        # The manager and the deal team can see the deal; the update is still not theirs.
        for someone in (org["rep_manager"], org["vp"], other_rep):
            client.force_login(someone)
            assert client.get(url).status_code == 404
            assert client.post(url, {"facts": "x", "plan": "y"}).status_code == 404
        assert DealUpdate.objects.count() == 0

    def test_a_closed_deal_refuses_the_update_with_a_reason(self, client, org):
        org["deal"].stage = Stage.WON
        org["deal"].save()
        client.force_login(org["rep"])
        response = client.post(
            reverse("update_write", args=[org["deal"].pk]),
            {"facts": "x", "plan": "y"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 422
        assert "weekly updates are for open deals" in response.content.decode()


# --- one click: the help becomes an ask ------------------------------------------------


class TestHelpAskButton:
    def test_the_author_turns_the_help_into_an_ask_and_lands_on_it(self, client, org):
        update = write(org["deal"], help_needed="请您出面约客户副总")
        client.force_login(org["rep"])
        response = client.post(
            reverse("update_help_ask", args=[update.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
        ask = Ask.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("ask_detail", args=[ask.pk])
        html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert f"You asked {org['rep_manager'].first_name} for help" in html
        # The week's page now links the ask instead of offering the button again.
        week = page(client, org["rep"])
        assert reverse("ask_detail", args=[ask.pk]) in week
        assert "for this help" not in week

    def test_a_second_click_changes_nothing_and_says_why(self, client, org):
        update = write(org["deal"], help_needed="请您出面")
        client.force_login(org["rep"])
        client.post(reverse("update_help_ask", args=[update.pk]))
        response = client.post(
            reverse("update_help_ask", args=[update.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert Ask.objects.count() == 1
        assert "already asked" in response.content.decode()

    def test_anyone_but_the_author_gets_a_404_and_changes_nothing(self, client, org, other_manager):
        update = write(org["deal"], help_needed="请您出面")
        for someone in (org["rep_manager"], other_manager, org["vp"]):
            client.force_login(someone)
            assert client.post(reverse("update_help_ask", args=[update.pk])).status_code == 404
        assert Ask.objects.count() == 0

    def test_it_takes_a_post_with_a_csrf_token(self, org):
        update = write(org["deal"], help_needed="请您出面")
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(org["rep"])
        url = reverse("update_help_ask", args=[update.pk])
        assert browser.get(url).status_code == 405
        assert browser.post(url).status_code == 403
        assert Ask.objects.count() == 0
