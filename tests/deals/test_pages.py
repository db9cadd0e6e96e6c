"""The pages render the right things, in both languages, with a fixed query count."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import AskStatus
from tests.factories import AskFactory, DealFactory, StakeholderFactory, UserFactory


def overdue_ask(**fields):
    past = timezone.now() - dt.timedelta(days=1, hours=3)
    return AskFactory(status=AskStatus.IN_PROGRESS, agreed_due_at=past, **fields)


@pytest.mark.django_db
class TestMyWork:
    def test_shows_what_waits_on_me_what_i_sent_and_my_deals(
        self, client, rep, presales, deal, presales_team
    ):
        sent = AskFactory(deal=deal, assignee=presales, team=presales_team, title="投标文件")
        countered = AskFactory(
            deal=deal,
            assignee=presales,
            team=presales_team,
            title="报价单复核",
            status=AskStatus.COUNTERED,
            counter_due_at=timezone.now() + dt.timedelta(days=4),
            resume_status=AskStatus.PROPOSED,
        )
        client.force_login(rep)
        page = client.get(reverse("home")).content.decode()
        assert sent.title in page
        assert countered.title in page
        assert deal.customer in page

    def test_an_assignee_sees_overdue_work_flagged_in_words(
        self, client, presales, deal, presales_team
    ):
        overdue_ask(deal=deal, assignee=presales, team=presales_team, title="演示环境搭建")
        client.force_login(presales)
        page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "演示环境搭建" in page
        assert "overdue 1d 3h" in page

    def test_empty_lists_say_what_to_do_next(self, client, other_rep):
        client.force_login(other_rep)
        page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Nothing is waiting on you" in page
        assert "You own no open deals" in page

    @pytest.mark.parametrize("count", [5, 60])
    def test_query_count_does_not_grow_with_the_work(
        self, client, rep, manager, presales, presales_team, django_assert_max_num_queries, count
    ):
        for i in range(count):
            deal = DealFactory(owner=rep)
            AskFactory(deal=deal, assignee=presales, team=presales_team)
            overdue_ask(deal=deal, assignee=presales, team=presales_team, requester=rep)
            if i % 3 == 0:
                StakeholderFactory(deal=deal, user=presales)
        client.force_login(manager)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("home")).status_code == 200
        client.force_login(rep)
        with django_assert_max_num_queries(12):
            assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
class TestDetailPages:
    @pytest.mark.parametrize("count", [5, 200])
    def test_deal_page_query_count_is_fixed(
        self, client, rep, deal, presales, presales_team, django_assert_max_num_queries, count
    ):
        for _ in range(count):
            AskFactory(deal=deal, assignee=presales, team=presales_team)
        StakeholderFactory(deal=deal, user=presales)
        client.force_login(rep)
        with django_assert_max_num_queries(12):
            response = client.get(reverse("deal_detail", args=[deal.pk]))
        assert response.status_code == 200
        assert response.content.decode().count("/asks/") >= count

    def test_ask_page_shows_the_brief_and_the_timeline(
        self, client, rep, deal, presales, django_assert_max_num_queries
    ):
        from deals import services

        ask = services.ask_create(
            deal=deal,
            requester=rep,
            assignee=presales,
            ask_type="bid_document",
            title="标书技术部分",
            deliverable="标书技术部分（第 3–5 章）",
            details="按招标文件第 4 章评分项逐条响应",
            purpose="开标在下周五，技术分占 60%",
            audience="customer_executive",
            proposed_due_at=timezone.now() + dt.timedelta(days=3),
        )
        services.ask_agree(ask=ask, actor=presales)
        client.force_login(rep)
        with django_assert_max_num_queries(10):
            response = client.get(reverse("ask_detail", args=[ask.pk]), HTTP_ACCEPT_LANGUAGE="en")
        page = response.content.decode()
        assert "按招标文件第 4 章评分项逐条响应" in page
        assert "agreed the deadline" in page
        assert "Customer&#x27;s executives" in page or "Customer's executives" in page


@pytest.mark.django_db
def test_waiting_on_me_names_the_other_party_not_myself(client, rep, presales, deal):
    AskFactory(
        deal=deal,
        requester=rep,
        assignee=presales,
        team=presales.profile.team,
        status=AskStatus.DELIVERED,
        agreed_due_at=timezone.now(),
        delivered_at=timezone.now(),
        title="标书技术部分",
    )
    client.force_login(rep)
    page = client.get(reverse("home")).content.decode()
    waiting = page.split('id="h-waiting"')[1].split("</section>")[0]
    assert "标书技术部分" in waiting
    assert "陈静" in waiting
    assert "王磊" not in waiting


@pytest.mark.django_db
class TestDeadlineChips:
    def render(self, ask):
        from django.utils import translation

        from deals.templatetags.dealdesk import due_chip

        with translation.override("en"):
            return str(due_chip(ask))

    def test_a_deadline_nobody_agreed_yet_says_proposed_not_on_track(self, time_machine):
        time_machine.move_to(timezone.now(), tick=False)
        chip = self.render(AskFactory(proposed_due_at=timezone.now() + dt.timedelta(days=3)))
        assert "proposed, in 3d" in chip
        assert "on track" not in chip

    def test_an_agreed_deadline_far_off_is_on_track_in_green(self):
        due = timezone.now() + dt.timedelta(days=3)
        chip = self.render(AskFactory(status=AskStatus.AGREED, agreed_due_at=due))
        assert "chip-green" in chip
        assert "on track" in chip

    def test_an_agreed_deadline_within_a_day_is_amber(self):
        due = timezone.now() + dt.timedelta(hours=5)
        chip = self.render(AskFactory(status=AskStatus.IN_PROGRESS, agreed_due_at=due))
        assert "chip-amber" in chip
        assert "due soon" in chip

    def test_a_paused_ask_is_grey_and_says_why(self):
        ask = AskFactory(
            status=AskStatus.WAITING,
            waiting_since=timezone.now(),
            resume_status=AskStatus.PROPOSED,
        )
        chip = self.render(ask)
        assert "chip-muted" in chip
        assert "paused" in chip

    def test_an_overdue_ask_is_red_with_how_long(self):
        chip = self.render(overdue_ask())
        assert "chip-red" in chip
        assert "overdue 1d 3h" in chip


@pytest.mark.django_db
def test_a_manager_sees_the_thanks_their_people_received(client, manager, rep, presales, deal):
    from deals.models import Thank

    # presales reports to the manager through a team lead: two levels down.
    team_lead = UserFactory(username="presales_lead", manager=manager)
    presales.profile.manager = team_lead
    presales.profile.save()
    ask = AskFactory(
        deal=deal,
        requester=rep,
        assignee=presales,
        team=presales.profile.team,
        status=AskStatus.DONE,
        agreed_due_at=timezone.now(),
        delivered_at=timezone.now(),
        closed_at=timezone.now(),
    )
    Thank.objects.create(ask=ask, thanked_by=rep, thanked=presales, note="方案帮我们进了短名单")
    client.force_login(manager)
    page = client.get(reverse("home")).content.decode()
    assert "方案帮我们进了短名单" in page
    client.force_login(UserFactory(username="other_manager"))
    assert "方案帮我们进了短名单" not in client.get(reverse("home")).content.decode()
