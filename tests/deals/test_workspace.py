"""The rep's workspace through its pages: deals, deal teams, asks and their actions."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deals.models import Ask, AskEvent, AskStatus, Deal, DealEvent, Thank
from stakeholders.models import Function, Stakeholder
from tests.factories import AskFactory, DealFactory, StakeholderFactory, TeamFactory, UserFactory

S = AskStatus
HTMX = {"HTTP_HX_REQUEST": "true"}


def local(days=3):
    return (timezone.localtime() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def rep_client(client, rep):
    client.force_login(rep)
    return client


@pytest.fixture
def legal_team(db):
    return TeamFactory(name="法务部", function=Function.LEGAL)


@pytest.fixture
def lawyer(legal_team):
    return UserFactory(username="lawyer", first_name="宋佳", team=legal_team)


def ask_post(**overrides):
    data = {
        "ask_type": "solution",
        "title": "技术方案 v1",
        "deliverable": "技术方案 v1（Word）：系统架构图、设备清单、实施计划",
        "details": "产线节拍 45 秒/件；兼容现有 S7-1500 PLC；三条焊装线共 120 台机器人",
        "purpose": "客户下周三技术评审，决定是否进入短名单",
        "audience": "customer_executive",
        "proposed_due_at": local(3),
        "m-TOTAL_FORMS": "3",
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "0",
        "m-MAX_NUM_FORMS": "5",
    }
    data.update(overrides)
    return data


# --- deals ---------------------------------------------------------------------------------


@pytest.mark.django_db
class TestDeals:
    def test_a_rep_creates_a_deal_and_the_timeline_says_so(self, rep_client, rep):
        response = rep_client.post(
            reverse("deal_create"),
            {
                "customer": "常州天合储能科技有限公司",
                "title": "储能工厂 PACK 线自动化",
                "amount": "8600000",
                "currency": "CNY",
                "stage": "opportunity",
                "expected_close_date": "2027-03-31",
                "why_it_matters": "储能行业第一个样板客户",
                "reference_customer": "on",
            },
        )
        deal = Deal.objects.get(customer="常州天合储能科技有限公司")
        assert response.status_code == 302
        assert response["Location"] == reverse("deal_detail", args=[deal.pk])
        assert deal.owner == rep
        assert deal.reference_customer is True
        assert DealEvent.objects.filter(deal=deal, kind="created").exists()

    def test_bad_deal_input_is_explained_next_to_the_field_and_saves_nothing(self, rep_client):
        response = rep_client.post(
            reverse("deal_create"),
            {"customer": "", "title": "x", "amount": "-5", "currency": "CNY", "stage": "lead"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 422
        page = response.content.decode()
        assert 'id="id_customer_error"' in page
        assert 'id="id_amount_error"' in page
        assert Deal.objects.count() == 0

    def test_only_the_owner_and_managers_may_edit(self, client, deal, rep, manager, presales):
        StakeholderFactory(deal=deal, user=presales)
        url = reverse("deal_edit", args=[deal.pk])
        for person, status in ((rep, 200), (manager, 200), (presales, 404)):
            client.force_login(person)
            assert client.get(url).status_code == status

    def test_moving_a_deal_to_a_new_stage_is_on_its_timeline(self, rep_client, deal):
        form = {
            "customer": deal.customer,
            "title": deal.title,
            "amount": "1200000",
            "currency": "CNY",
            "stage": "value",
        }
        rep_client.post(reverse("deal_edit", args=[deal.pk]), form)
        event = DealEvent.objects.get(deal=deal, kind="stage_changed")
        assert event.data == {"from": "opportunity", "to": "value"}

    def test_the_list_searches_and_filters_and_htmx_gets_only_the_results(self, rep_client, rep):
        DealFactory(owner=rep, customer="上海远航汽车", stage="value")
        DealFactory(owner=rep, customer="无锡锡能电池", stage="lead")
        page = rep_client.get(reverse("deal_list"), {"q": "远航"}).content.decode()
        assert "上海远航汽车" in page
        assert "无锡锡能电池" not in page
        fragment = rep_client.get(reverse("deal_list"), {"stage": "lead"}, **HTMX)
        body = fragment.content.decode()
        assert body.lstrip().startswith('<div id="deal-results">')
        assert "无锡锡能电池" in body
        assert "上海远航汽车" not in body

    @pytest.mark.parametrize("count", [5, 200])
    def test_the_deal_list_query_count_is_fixed(
        self, rep_client, rep, presales_team, django_assert_max_num_queries, count
    ):
        for _ in range(count):
            AskFactory(deal=DealFactory(owner=rep), team=presales_team)
        with django_assert_max_num_queries(8):
            assert rep_client.get(reverse("deal_list")).status_code == 200


# --- deal team -------------------------------------------------------------------------------


@pytest.mark.django_db
class TestDealTeam:
    def test_the_owner_adds_and_removes_a_stakeholder_in_place(self, rep_client, deal, lawyer):
        response = rep_client.post(
            reverse("stakeholder_add", args=[deal.pk]),
            {"role": "legal", "user": lawyer.pk},
            **HTMX,
        )
        assert response.status_code == 200
        assert 'id="deal-team"' in response.content.decode()
        assert "宋佳" in response.content.decode()
        holder = Stakeholder.objects.get(deal=deal, user=lawyer, role="legal")
        rep_client.post(reverse("stakeholder_remove", args=[deal.pk, holder.pk]), **HTMX)
        assert not Stakeholder.objects.filter(pk=holder.pk).exists()
        kinds = list(DealEvent.objects.filter(deal=deal).values_list("kind", flat=True))
        assert kinds == ["stakeholder_added", "stakeholder_removed"]

    def test_adding_the_same_person_in_the_same_role_twice_is_refused(
        self, rep_client, deal, lawyer
    ):
        StakeholderFactory(deal=deal, user=lawyer, role="legal")
        response = rep_client.post(
            reverse("stakeholder_add", args=[deal.pk]),
            {"role": "legal", "user": lawyer.pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert response.status_code == 422
        assert "already on this deal" in response.content.decode()
        assert Stakeholder.objects.filter(deal=deal).count() == 1

    def test_a_stakeholder_cannot_change_the_team(self, client, deal, presales, lawyer):
        StakeholderFactory(deal=deal, user=presales)
        client.force_login(presales)
        response = client.post(
            reverse("stakeholder_add", args=[deal.pk]), {"role": "legal", "user": lawyer.pk}
        )
        assert response.status_code == 422
        assert not Stakeholder.objects.filter(user=lawyer).exists()

    def test_another_reps_deal_team_is_a_404(self, client, deal, other_rep, lawyer):
        client.force_login(other_rep)
        response = client.post(
            reverse("stakeholder_add", args=[deal.pk]), {"role": "legal", "user": lawyer.pk}
        )
        assert response.status_code == 404

    def test_the_person_picker_filters_by_name_or_team(self, rep_client, lawyer, presales):
        options = rep_client.get(reverse("people_options"), {"q": "法务"}).content.decode()
        assert "宋佳" in options
        assert "陈静" not in options


# --- asks --------------------------------------------------------------------------------------


@pytest.mark.django_db
class TestNewAsk:
    def test_a_type_prefills_the_brief_and_suggests_the_deals_stakeholder(
        self, rep_client, deal, presales
    ):
        StakeholderFactory(deal=deal, user=presales, role="presales")
        page = rep_client.get(
            reverse("ask_create", args=[deal.pk]), {"type": "bid_document"}
        ).content.decode()
        assert f'<option value="{presales.pk}" selected>' in page
        assert 'name="proposed_due_at" value="' in page

    def test_a_well_formed_ask_goes_to_the_stakeholder_with_its_staged_plan(
        self, rep_client, deal, presales, presales_team
    ):
        StakeholderFactory(deal=deal, user=presales, role="presales")
        data = ask_post(
            team=presales_team.pk,
            assignee=presales.pk,
            **{
                "m-0-label": "v1 内部评审",
                "m-0-due_at": local(2),
                "m-0-audience": "internal",
                "m-1-label": "v2 客户工作层",
                "m-1-due_at": local(3),
                "m-1-audience": "customer_working",
            },
        )
        response = rep_client.post(reverse("ask_create", args=[deal.pk]), data)
        ask = Ask.objects.get(deal=deal)
        assert response.status_code == 302
        assert response["Location"] == reverse("ask_detail", args=[ask.pk])
        assert ask.assignee == presales
        assert [m.label for m in ask.milestones.all()] == ["v1 内部评审", "v2 客户工作层"]

    def test_a_deadline_in_the_past_and_a_missing_purpose_change_nothing(
        self, rep_client, deal, presales_team
    ):
        data = ask_post(team=presales_team.pk, purpose="", proposed_due_at=local(-1))
        response = rep_client.post(
            reverse("ask_create", args=[deal.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
        )
        page = response.content.decode()
        assert response.status_code == 422
        assert 'id="id_purpose_error"' in page
        assert "The deadline must be in the future." in page
        assert not Ask.objects.exists()

    def test_a_half_filled_milestone_is_refused(self, rep_client, deal, presales_team):
        data = ask_post(team=presales_team.pk, **{"m-0-label": "v1"})
        response = rep_client.post(reverse("ask_create", args=[deal.pk]), data)
        assert response.status_code == 422
        assert not Ask.objects.exists()

    def test_asks_on_another_reps_deal_are_a_404(self, client, deal, other_rep, presales_team):
        client.force_login(other_rep)
        url = reverse("ask_create", args=[deal.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, ask_post(team=presales_team.pk)).status_code == 404
        assert not Ask.objects.exists()

    def test_the_coach_reacts_to_a_thin_brief_and_praises_a_specific_one(
        self, rep_client, deal, presales_team
    ):
        url = reverse("ask_coach", args=[deal.pk])
        thin = rep_client.post(
            url,
            {"ask_type": "solution", "deliverable": "方案", "details": "", "purpose": ""},
            HTTP_ACCEPT_LANGUAGE="en",
            **HTMX,
        ).content.decode()
        assert "Thin brief" in thin
        assert "Who will read it" in thin or "Say who will read it" in thin
        strong = rep_client.post(
            url, ask_post(team=presales_team.pk), HTTP_ACCEPT_LANGUAGE="en", **HTMX
        ).content.decode()
        assert "Strong brief" in strong


@pytest.mark.django_db
class TestAskActions:
    @pytest.fixture
    def ask(self, deal, presales, presales_team):
        return AskFactory(deal=deal, assignee=presales, team=presales_team)

    def act(self, client, ask, action, data=None, **extra):
        return client.post(reverse("ask_act", args=[ask.pk, action]), data or {}, **extra)

    def test_the_assignee_sees_their_moves_and_the_requester_sees_none_of_them(
        self, client, ask, rep, presales
    ):
        client.force_login(presales)
        page = client.get(reverse("ask_detail", args=[ask.pk])).content.decode()
        assert reverse("ask_act", args=[ask.pk, "agree"]) in page
        assert reverse("ask_act", args=[ask.pk, "counter"]) in page
        client.force_login(rep)
        page = client.get(reverse("ask_detail", args=[ask.pk])).content.decode()
        assert reverse("ask_act", args=[ask.pk, "agree"]) not in page
        assert reverse("ask_act", args=[ask.pk, "cancel"]) in page

    def test_agreeing_with_htmx_returns_the_updated_body(self, client, ask, presales):
        client.force_login(presales)
        response = self.act(client, ask, "agree", **HTMX)
        assert response.status_code == 200
        assert response.content.decode().lstrip().startswith('<div id="ask-body">')
        ask.refresh_from_db()
        assert ask.status == S.AGREED

    def test_the_requester_posting_the_assignees_move_changes_nothing(self, client, ask, rep):
        client.force_login(rep)
        response = self.act(client, ask, "agree", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422
        assert "Only the assignee can do that." in response.content.decode()
        ask.refresh_from_db()
        assert ask.status == S.PROPOSED

    def test_acting_on_an_ask_by_id_that_is_not_yours_is_a_404(self, client, ask, other_rep):
        client.force_login(other_rep)
        for action in ("agree", "cancel", "comment", "thank"):
            assert self.act(client, ask, action, {"text": "hi"}).status_code == 404
        assert AskEvent.objects.filter(ask=ask).count() == 0

    def test_unknown_actions_and_gets_are_refused(self, client, ask, presales):
        client.force_login(presales)
        assert self.act(client, ask, "teleport").status_code == 404
        assert client.get(reverse("ask_act", args=[ask.pk, "agree"])).status_code == 405

    def test_declining_needs_a_reason_shown_next_to_the_field(self, client, ask, presales):
        client.force_login(presales)
        response = self.act(client, ask, "decline", {"reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 422
        assert 'id="id_decline_reason_error"' in response.content.decode()
        ask.refresh_from_db()
        assert ask.status == S.PROPOSED

    def test_actions_without_a_csrf_token_are_refused(self, ask, presales):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(presales)
        assert self.act(strict, ask, "agree").status_code == 403

    def test_the_whole_cycle_ends_in_a_thank_you_on_the_profile(
        self, client, ask, rep, presales, manager
    ):
        client.force_login(presales)
        self.act(client, ask, "counter", {"due_at": local(5), "note": "排期冲突"})
        client.force_login(rep)
        self.act(client, ask, "accept_counter")
        client.force_login(presales)
        self.act(client, ask, "start")
        self.act(
            client, ask, "deliver", {"note": "方案 v1 已上传", "link": "https://pan.example.com/x"}
        )
        client.force_login(rep)
        self.act(client, ask, "confirm")
        self.act(client, ask, "thank", {"note": "方案帮我们进了短名单"})
        ask.refresh_from_db()
        assert ask.status == S.DONE
        assert Thank.objects.get(ask=ask).thanked == presales
        kinds = list(ask.events.values_list("kind", flat=True))
        assert kinds == [
            "countered",
            "counter_accepted",
            "started",
            "delivered",
            "confirmed",
            "thanked",
        ]
        again = self.act(client, ask, "thank", {"note": "再谢"})
        assert again.status_code == 422
        assert Thank.objects.count() == 1
        client.force_login(manager)
        profile = client.get(reverse("profile", args=[presales.username])).content.decode()
        assert "方案帮我们进了短名单" in profile

    @pytest.mark.parametrize("count", [5, 200])
    def test_the_ask_page_query_count_is_fixed(
        self, client, ask, rep, presales, django_assert_max_num_queries, count
    ):
        client.force_login(rep)
        for i in range(count):
            self.act(client, ask, "comment", {"text": f"进展 {i}"})
        with django_assert_max_num_queries(10):
            page = client.get(reverse("ask_detail", args=[ask.pk])).content.decode()
        assert page.count("<q>进展") == count


@pytest.mark.django_db
class TestAsksSent:
    def test_filters_by_status_deal_and_overdue(self, rep_client, rep, deal, presales_team):
        other = DealFactory(owner=rep, customer="另一个客户")
        AskFactory(deal=deal, team=presales_team, title="按期的请求")
        AskFactory(
            deal=other,
            team=presales_team,
            title="逾期的请求",
            status=S.IN_PROGRESS,
            agreed_due_at=timezone.now() - dt.timedelta(hours=5),
        )
        url = reverse("asks_sent")
        overdue = rep_client.get(url, {"overdue": "on"}).content.decode()
        assert "逾期的请求" in overdue
        assert "按期的请求" not in overdue
        by_deal = rep_client.get(url, {"deal": deal.pk}).content.decode()
        assert "按期的请求" in by_deal
        assert "逾期的请求" not in by_deal
        by_status = rep_client.get(url, {"status": "in_progress"}).content.decode()
        assert "逾期的请求" in by_status
        assert "按期的请求" not in by_status

    @pytest.mark.parametrize("count", [5, 200])
    def test_the_query_count_is_fixed(
        self, rep_client, deal, presales_team, django_assert_max_num_queries, count
    ):
        for _ in range(count):
            AskFactory(deal=deal, team=presales_team)
        with django_assert_max_num_queries(8):
            assert rep_client.get(reverse("asks_sent")).status_code == 200


@pytest.mark.django_db
def test_a_person_sets_their_time_zone_and_language(rep_client, rep):
    response = rep_client.post(
        reverse("settings"), {"language": "en", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    rep.profile.refresh_from_db()
    assert (rep.profile.language, rep.profile.time_zone) == ("en", "Europe/Berlin")
    bad = rep_client.post(reverse("settings"), {"language": "en", "time_zone": "Mars/Base"})
    assert bad.status_code == 422
    rep.profile.refresh_from_db()
    assert rep.profile.time_zone == "Europe/Berlin"


@pytest.mark.django_db
@pytest.mark.parametrize("count", [5, 60])
def test_the_profile_page_query_count_is_fixed(
    client, rep, presales, presales_team, django_assert_max_num_queries, count
):
    for i in range(count):
        ask = AskFactory(
            requester=rep,
            assignee=presales,
            team=presales_team,
            status=S.DONE,
            agreed_due_at=timezone.now(),
            delivered_at=timezone.now(),
            closed_at=timezone.now(),
        )
        Thank.objects.create(ask=ask, thanked_by=rep, thanked=presales, note=f"谢谢 {i}")
    client.force_login(rep)
    with django_assert_max_num_queries(9):
        page = client.get(reverse("profile", args=[presales.username])).content.decode()
    assert page.count("<blockquote>谢谢") == min(count, 50)


@pytest.mark.django_db
def test_the_coach_judges_the_prefilled_template_before_any_typing(rep_client, deal):
    page = rep_client.get(
        reverse("ask_create", args=[deal.pk]), {"type": "margin_review"}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Thin brief" in page
    assert "Replace the template text of the key details" in page


@pytest.mark.django_db
class TestFiltersSurviveBadValues:
    def test_an_oversized_deal_id_is_ignored_not_a_crash(self, rep_client):
        response = rep_client.get(reverse("asks_sent"), {"deal": "9" * 30})
        assert response.status_code == 200

    def test_one_bad_value_keeps_the_other_filters(self, rep_client, deal, presales_team):
        AskFactory(
            deal=deal,
            team=presales_team,
            title="进行中的请求",
            status=S.IN_PROGRESS,
            agreed_due_at=timezone.now() + dt.timedelta(days=1),
        )
        AskFactory(deal=deal, team=presales_team, title="待确认的请求")
        page = rep_client.get(
            reverse("asks_sent"), {"deal": "abc", "status": "in_progress"}
        ).content.decode()
        assert "进行中的请求" in page
        assert "待确认的请求" not in page


@pytest.mark.django_db
def test_team_changes_read_in_the_readers_language(client, rep, deal, lawyer, manager):
    from stakeholders.services import deal_add_stakeholder

    deal_add_stakeholder(deal=deal, user=lawyer, role="legal", actor=rep)
    client.force_login(manager)
    english = client.get(reverse("deal_detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "宋佳 · Legal" in english.content.decode()
    chinese = client.get(reverse("deal_detail", args=[deal.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "宋佳 · 法务" in chinese.content.decode()


@pytest.mark.django_db
def test_the_reopen_form_offers_a_new_deadline(client, rep, presales, deal, presales_team):
    ask = AskFactory(
        deal=deal,
        assignee=presales,
        team=presales_team,
        status=S.DELIVERED,
        agreed_due_at=timezone.now(),
        delivered_at=timezone.now(),
    )
    client.force_login(rep)
    page = client.get(reverse("ask_detail", args=[ask.pk])).content.decode()
    assert 'id="id_reopen_due_at"' in page
    response = client.post(
        reverse("ask_act", args=[ask.pk, "reopen"]), {"reason": "缺附录", "due_at": local(4)}
    )
    assert response.status_code == 302
    ask.refresh_from_db()
    assert ask.status == S.REOPENED
    assert ask.agreed_due_at > timezone.now() + dt.timedelta(days=3)
