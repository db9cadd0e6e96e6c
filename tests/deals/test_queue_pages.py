"""The work-queue pages as people use them: my queue ranked with its reasons, the team's
unassigned asks and its load, filters in the URL, the inline actions with and without
htmx, who may act on what, the header badge, and the same in Chinese."""

import datetime as dt
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from deals.models import Ask, AskEvent, AskStatus, AskType, Audience, Milestone, NudgeTimer
from stakeholders.models import Function, Profile
from tests.deals.kit import at
from tests.factories import AskFactory, DealFactory, TeamFactory, UserFactory
from tests.html import Node, dom, flash

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 23, 10, 0)  # a Monday morning in Shanghai
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true", **EN}


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


# --- reading a page: a small DOM, so assertions name what a person sees ------------------


def titles(page: Node) -> list[str]:
    return [li.one("p", "q-title").text for li in page.all("li", "q-item")]


def chips(row: Node) -> list[str]:
    return [chip.text for chip in row.all("li", "chip")]


def counts(page: Node) -> str:
    return page.by_id("queue-counts").text


def badge(page: Node) -> list[str]:
    return [span.text for span in page.by_id("queue-badge").all("span", "qb")]


def status_message(page: Node) -> str:
    return page.by_id("queue-status").text


# --- the desk: a presales engineer's queue on a Monday morning --------------------------


@pytest.fixture
def desk(org, other_rep):
    """陈静 (presales) owes five open asks: one overdue on a ¥32M deal for the customer's
    executives, one due today, one this week, one proposed for December and one paused
    waiting on the rep. A delivered and a closed ask, a teammate's, the team's unassigned
    one and the legal team's unassigned one are not hers to work on."""
    rep, me, team = org["rep"], org["presales"], org["team"]
    teammate = UserFactory(username="presales_b", first_name="周敏", team=team)
    legal = TeamFactory(name="法务部", function=Function.LEGAL)
    outsider = UserFactory(username="legal_a", first_name="吴律师", team=legal)
    big = DealFactory(owner=rep, customer="国网江苏电力", amount=Decimal(32_000_000))
    small = DealFactory(owner=other_rep, customer="苏州小厂", amount=Decimal(80_000))

    def ask(title, *, deal=big, requester=rep, assignee=me, due, status=AskStatus.AGREED, **kw):
        agreed = status != AskStatus.PROPOSED
        kw.setdefault("team", team)
        return AskFactory(
            title=title,
            deal=deal,
            requester=requester,
            assignee=assignee,
            status=status,
            proposed_due_at=due,
            agreed_due_at=due if agreed else None,
            created_at=at(2026, 11, 16, 10, 0),
            responded_at=at(2026, 11, 16, 11, 0) if agreed else None,
            **kw,
        )

    delivered = {"delivered_at": at(2026, 11, 20, 8, 0)}
    return {
        "me": me,
        "rep": rep,
        "other_rep": other_rep,
        "lead": org["lead"],
        "team": team,
        "teammate": teammate,
        "outsider": outsider,
        "big": big,
        "small": small,
        "overdue": ask(
            "Overdue exec deck",
            due=at(2026, 11, 20, 15, 0),
            audience=Audience.CUSTOMER_EXECUTIVE,
        ),
        "today": ask(
            "Small quote today",
            deal=small,
            requester=other_rep,
            due=at(2026, 11, 23, 16, 0),
            ask_type=AskType.QUOTE,
        ),
        "week": ask(
            "Demo this week",
            due=at(2026, 11, 26, 15, 0),
            ask_type=AskType.DEMO,
            status=AskStatus.IN_PROGRESS,
            started_at=at(2026, 11, 17, 9, 0),
        ),
        "proposed": ask(
            "Proposal for phase two", due=at(2026, 12, 10, 15, 0), status=AskStatus.PROPOSED
        ),
        "waiting": ask(
            "Waiting on the rep",
            due=at(2026, 11, 20, 9, 0),
            status=AskStatus.WAITING,
            waiting_since=at(2026, 11, 19, 9, 0),
            resume_status=AskStatus.IN_PROGRESS,
        ),
        "delivered": ask(
            "Delivered deck", due=at(2026, 11, 20, 9, 0), status=AskStatus.DELIVERED, **delivered
        ),
        "done": ask(
            "Closed one",
            due=at(2026, 11, 20, 9, 0),
            status=AskStatus.DONE,
            closed_at=at(2026, 11, 21, 8, 0),
            **delivered,
        ),
        "teammates": ask("Teammate's overdue one", assignee=teammate, due=at(2026, 11, 20, 9, 0)),
        "unassigned": ask(
            "Nobody has it", assignee=None, due=at(2026, 11, 25, 15, 0), status=AskStatus.PROPOSED
        ),
        "legal": ask(
            "Legal clause review",
            assignee=None,
            team=legal,
            due=at(2026, 11, 25, 15, 0),
            status=AskStatus.PROPOSED,
        ),
    }


MY_QUEUE = [
    "Overdue exec deck",
    "Small quote today",
    "Demo this week",
    "Proposal for phase two",
    "Waiting on the rep",
]


def queue_page(client, user, url="/queue/", **headers):
    client.force_login(user)
    response = client.get(url, **(headers or EN))
    assert response.status_code == 200
    return dom(response)


def state(ask) -> tuple:
    """What anyone would see change on an ask: who has it, its state, its deadlines and
    its timeline."""
    fresh = Ask.objects.get(pk=ask.pk)
    return (
        fresh.assignee_id,
        fresh.status,
        fresh.agreed_due_at,
        fresh.counter_due_at,
        AskEvent.objects.filter(ask=fresh).count(),
    )


# --- my queue ----------------------------------------------------------------------------


class TestMyQueue:
    def test_lists_my_open_asks_most_important_first_with_the_reasons(self, client, desk):
        page = queue_page(client, desk["me"])
        assert page.one("h1").text == "My queue"
        assert titles(page) == MY_QUEUE
        top = page.all("li", "q-item")[0]
        assert chips(top) == ["overdue 4h", "¥32,000,000 deal", "customer executives"]
        assert top.one("li", "chip", data_reason="urgency").attrs["class"] == "chip chip-red"
        assert top.one("span", "status").text == "Agreed"
        waiting = page.by_id(f"ask-row-{desk['waiting'].pk}")
        assert "waiting on the requester" in chips(waiting)
        assert counts(page) == "5 open 1 overdue 1 due today"

    def test_leaves_out_delivered_and_closed_asks_and_other_peoples(self, client, desk):
        shown = titles(queue_page(client, desk["me"]))
        for key in ("delivered", "done", "teammates", "unassigned", "legal"):
            assert desk[key].title not in shown

    def test_the_toggle_orders_by_due_date_and_says_so(self, client, desk):
        page = queue_page(client, desk["me"], "/queue/?order=due")
        assert titles(page) == [
            "Waiting on the rep",  # Fri 09:00, paused
            "Overdue exec deck",  # Fri 15:00
            "Small quote today",
            "Demo this week",
            "Proposal for phase two",
        ]
        assert page.one("input", name="order", value="due").attrs.get("checked") == ""
        assert "checked" not in page.one("input", name="order", value="rank").attrs

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("status=proposed", ["Proposal for phase two"]),
            ("status=waiting", ["Waiting on the rep"]),
            ("type=demo", ["Demo this week"]),
            ("deal={small}", ["Small quote today"]),
            ("requester={other_rep}", ["Small quote today"]),
            ("due=overdue", ["Overdue exec deck"]),
            ("due=today", ["Small quote today"]),
            ("due=week", ["Demo this week"]),
            ("due=later", ["Proposal for phase two", "Waiting on the rep"]),
            ("type=solution&due=later", ["Proposal for phase two", "Waiting on the rep"]),
            ("deal={big}&due=overdue", ["Overdue exec deck"]),
        ],
    )
    def test_each_filter_narrows_the_rows_and_stays_in_the_url(self, client, desk, query, expected):
        query = query.format(
            small=desk["small"].pk, big=desk["big"].pk, other_rep=desk["other_rep"].pk
        )
        page = queue_page(client, desk["me"], f"/queue/?{query}")
        assert titles(page) == expected
        # The figures above are the whole queue's; a line says how much the filter hides.
        assert counts(page) == "5 open 1 overdue 1 due today"
        assert f"Showing {len(expected)} of 5." in page.by_id("queue-results").text
        # The form shows what was chosen, and every row's action comes back to this view.
        form = page.one("form", "filters")
        for pair in query.split("&"):
            name, value = pair.split("=")
            select = form.one("select", name=name)
            assert [o.attrs["value"] for o in select.all("option") if "selected" in o.attrs] == [
                value
            ]
        link = page.all("li", "q-item")[0].all("a", "button")[0]
        assert link.attrs["href"].endswith("?next=" + quote(f"/queue/?{query}", safe=""))
        assert page.by_id("queue-form").one("input", name="next").attrs["value"] == (
            f"/queue/?{query}"
        )

    @pytest.mark.parametrize(
        "query",
        [
            "deal=abc",
            "due=soon",
            "status=cancelled",
            "type=poem",
            "requester=-1",
            "deal=99999999999999999999999",
            "order=sideways",
        ],
    )
    def test_a_bad_filter_value_is_ignored_without_an_error(self, client, desk, query):
        page = queue_page(client, desk["me"], f"/queue/?{query}")
        assert titles(page) == MY_QUEUE

    def test_a_bad_value_drops_only_its_own_filter(self, client, desk):
        page = queue_page(client, desk["me"], "/queue/?deal=abc&type=demo")
        assert titles(page) == ["Demo this week"]

    def test_a_filter_that_matches_nothing_says_how_to_get_back(self, client, desk):
        page = queue_page(client, desk["me"], "/queue/?status=reopened")
        assert titles(page) == []
        assert "No ask in this queue matches these filters." in page.by_id("queue-results").text

    def test_an_empty_queue_says_what_to_do_next(self, client, desk):
        page = queue_page(client, desk["lead"])
        assert "Your queue is clear." in page.by_id("queue-results").text
        assert page.by_id("queue-results").one("a").attrs["href"] == "/queue/team/"

    def test_htmx_filtering_returns_only_the_results(self, client, desk):
        client.force_login(desk["me"])
        response = client.get("/queue/?due=overdue", HTTP_HX_TARGET="queue-results", **HTMX)
        assert response.status_code == 200
        text = response.content.decode()
        assert text.lstrip().startswith('<div id="queue-results">')
        assert "<html" not in text and 'id="queue-badge"' not in text
        assert titles(dom(response)) == ["Overdue exec deck"]


# --- the team queue and a teammate's ---------------------------------------------------


def load_table(page: Node) -> dict[str, tuple[str, str, str]]:
    rows = page.by_id("team-load").one("tbody").all("tr")
    return {row.one("th").one("a").text: tuple(td.text for td in row.all("td")) for row in rows}


class TestTeamQueue:
    def test_holds_only_my_teams_unassigned_asks(self, client, desk):
        page = queue_page(client, desk["me"], "/queue/team/")
        assert page.one("h1").text == "售前技术部: waiting to be taken"
        assert titles(page) == ["Nobody has it"]
        assert counts(page) == "1 open 0 overdue 0 due today"

    def test_never_shows_another_teams_unassigned_asks(self, client, desk):
        legal_view = titles(queue_page(client, desk["outsider"], "/queue/team/"))
        assert legal_view == ["Legal clause review"]
        assert "Legal clause review" not in titles(queue_page(client, desk["me"], "/queue/team/"))

    def test_the_load_table_counts_each_teammates_open_due_this_week_and_overdue(
        self, client, desk
    ):
        page = queue_page(client, desk["me"], "/queue/team/")
        assert load_table(page) == {
            "周敏": ("1", "0", "1"),
            "周涛": ("0", "0", "0"),
            "陈静": ("5", "2", "1"),  # the paused ask is open but neither due nor overdue
        }

    def test_a_teammates_queue_shows_their_open_asks_for_the_team(self, client, desk):
        page = queue_page(client, desk["me"], f"/queue/team/{desk['teammate'].pk}/")
        assert page.one("h1").text == "周敏's queue"
        assert titles(page) == ["Teammate's overdue one"]
        assert counts(page) == "1 open 1 overdue 0 due today"
        assert page.by_id("team-load").one("tr", "is-current").one("a").text == "周敏"

    def test_someone_elses_team_member_or_an_unknown_id_is_not_found(self, client, desk):
        client.force_login(desk["me"])
        assert client.get(f"/queue/team/{desk['outsider'].pk}/").status_code == 404
        assert client.get("/queue/team/987654/").status_code == 404
        client.force_login(desk["outsider"])
        assert client.get(f"/queue/team/{desk['me'].pk}/").status_code == 404

    def test_someone_without_a_team_is_not_shown_a_heading_with_a_blank_team_name(
        self, client, desk
    ):
        # The header offers the team queue only to people in a team; the page itself,
        # reached by its address, says why it is empty.
        new_hire = UserFactory(username="new_hire", first_name="新同事")
        page = queue_page(client, new_hire, "/")
        assert not page.one("nav", "site-nav").all("a", href="/queue/team/")
        page = queue_page(client, new_hire, "/queue/team/")
        assert titles(page) == []
        assert page.one("h1").text == "Team queue"
        assert "not in a department" in page.one("p", "empty").text

    def test_an_empty_team_queue_says_everything_has_someone_on_it(self, client, desk):
        Ask.objects.filter(pk=desk["unassigned"].pk).update(assignee=desk["teammate"])
        page = queue_page(client, desk["me"], "/queue/team/")
        assert "every ask for your team has someone on it" in page.by_id("queue-results").text


# --- query counts: fixed, whatever the size of the queue -------------------------------


def add_asks(n, *, assignee, team, requester, deals, start=0):
    """``n`` realistic asks in bulk: across several deals, some proposed and some agreed,
    every third with a nudge timer part-way up its ladder, every fourth with staged
    milestones (v1 internal, v2 for the customer)."""
    statuses = [AskStatus.AGREED, AskStatus.IN_PROGRESS, AskStatus.PROPOSED, AskStatus.REOPENED]
    asks = []
    for i in range(start, start + n):
        status = statuses[i % len(statuses)]
        due = NOW + dt.timedelta(hours=(i % 240) - 48)
        asks.append(
            Ask(
                deal=deals[i % len(deals)],
                requester=requester,
                team=team,
                assignee=assignee,
                ask_type=AskType.values[i % len(AskType.values)],
                title=f"方案 {i}",
                deliverable="方案文档",
                details="参数见附件",
                purpose="技术评审",
                audience=Audience.values[i % len(Audience.values)],
                status=status,
                proposed_due_at=due,
                agreed_due_at=None if status == AskStatus.PROPOSED else due,
                created_at=NOW - dt.timedelta(days=3, minutes=i),
            )
        )
    asks = Ask.objects.bulk_create(asks)
    NudgeTimer.objects.bulk_create(
        NudgeTimer(
            ask=a, next_nudge_at=a.proposed_due_at, ladder_step=k % 3, escalation_level=k % 3
        )
        for k, a in enumerate(asks)
        if k % 3 == 0
    )
    Milestone.objects.bulk_create(
        Milestone(
            ask=a,
            position=p,
            label=f"v{p}",
            due_at=a.proposed_due_at - dt.timedelta(days=2 - p),
            audience=Audience.INTERNAL if p == 1 else Audience.CUSTOMER_WORKING,
        )
        for k, a in enumerate(asks)
        if k % 4 == 0
        for p in (1, 2)
    )


@pytest.mark.parametrize(
    ("whose", "url"),
    [("me", "/queue/"), (None, "/queue/team/"), ("teammate", "/queue/team/{teammate}/")],
)
def test_a_queue_page_reads_in_the_same_few_queries_with_5_or_500_asks(
    client, desk, django_assert_max_num_queries, whose, url
):
    Ask.objects.all().delete()
    deals = [
        DealFactory(owner=desk["rep"], amount=Decimal(10_000 * 10**k), customer=f"客户 {k}")
        for k in range(5)
    ]
    place = {
        "assignee": desk[whose] if whose else None,
        "team": desk["team"],
        "requester": desk["rep"],
        "deals": deals,
    }
    url = url.format(teammate=desk["teammate"].pk)
    client.force_login(desk["me"])

    add_asks(5, **place)
    with django_assert_max_num_queries(10) as few:
        response = client.get(url)
    assert len(dom(response).all("li", "q-item")) == 5

    add_asks(495, start=5, **place)
    with django_assert_max_num_queries(10) as many:
        response = client.get(url)
    assert len(dom(response).all("li", "q-item")) == 500
    assert len(many) == len(few)


# --- inline actions ----------------------------------------------------------------------


def act(client, ask, action, data=None, *, root="/queue/", htmx=False, next_url=None):
    payload = dict(data or {})
    if next_url is not None:
        payload["next"] = next_url
    headers = HTMX if htmx else EN
    return client.post(f"{root}asks/{ask.pk}/{action}/", payload, **headers)


def follow_flash(client, response) -> str:
    return flash(dom(client.get(response.url, **EN)))


def row(response, ask) -> Node:
    return dom(response).by_id(f"ask-row-{ask.pk}")


def assert_oob(page: Node, *ids):
    for id_ in ids:
        assert page.by_id(id_).attrs.get("hx-swap-oob") == "true", id_


class TestOneClickActions:
    def test_agree_without_javascript_comes_back_to_the_filtered_queue_with_a_message(
        self, client, desk
    ):
        client.force_login(desk["me"])
        response = act(client, desk["proposed"], "agree", next_url="/queue/?status=proposed")
        assert (response.status_code, response.url) == (302, "/queue/?status=proposed")
        assert follow_flash(client, response) == "Deadline agreed."
        ask = Ask.objects.get(pk=desk["proposed"].pk)
        assert (ask.status, ask.agreed_due_at) == (AskStatus.AGREED, at(2026, 12, 10, 15, 0))

    def test_agree_with_htmx_returns_the_updated_row_and_the_figures_around_it(self, client, desk):
        client.force_login(desk["me"])
        response = act(client, desk["proposed"], "agree", htmx=True, next_url="/queue/")
        assert response.status_code == 200
        page = dom(response)
        updated = row(response, desk["proposed"])
        assert updated.one("span", "status").text == "Agreed"
        assert "waiting 5d for an answer" not in chips(updated)
        # Agreed, it now offers to start or deliver instead.
        assert [b.attrs["data-action"] for b in updated.all("button")] == ["start"]
        assert_oob(page, "queue-counts", "queue-badge", "queue-status")
        assert counts(page) == "5 open 1 overdue 1 due today"
        assert badge(page) == ["1 overdue", "1 due today"]
        assert status_message(page) == "Deadline agreed."

    def test_start_both_ways(self, client, desk):
        client.force_login(desk["me"])
        response = act(client, desk["overdue"], "start", next_url="/queue/")
        assert (response.status_code, response.url) == (302, "/queue/")
        assert follow_flash(client, response) == "Marked as in progress."
        assert Ask.objects.get(pk=desk["overdue"].pk).status == AskStatus.IN_PROGRESS

        Ask.objects.filter(pk=desk["overdue"].pk).update(status=AskStatus.AGREED)
        response = act(client, desk["overdue"], "start", htmx=True)
        assert row(response, desk["overdue"]).one("span", "status").text == "In progress"
        assert status_message(dom(response)) == "Marked as in progress."
        assert counts(dom(response)) == "5 open 1 overdue 1 due today"

    def test_claim_from_the_team_queue_without_javascript(self, client, desk):
        client.force_login(desk["me"])
        response = act(client, desk["unassigned"], "claim", root="/queue/team/")
        assert (response.status_code, response.url) == (302, "/queue/team/")
        assert follow_flash(client, response) == "You took the ask."
        assert Ask.objects.get(pk=desk["unassigned"].pk).assignee == desk["me"]

    def test_claim_with_htmx_takes_the_row_out_of_the_team_queue(self, client, desk):
        client.force_login(desk["teammate"])
        response = act(client, desk["unassigned"], "claim", root="/queue/team/", htmx=True)
        page = dom(response)
        gone = row(response, desk["unassigned"])
        assert "q-item--gone" in gone.attrs["class"]
        assert "Taken: it is in your queue now." in gone.text
        assert counts(page) == "0 open 0 overdue 0 due today"
        assert status_message(page) == "You took the ask."
        assert load_table(page)["周敏"] == ("2", "1", "1")  # Wednesday's proposal is hers
        assert_oob(page, "queue-counts", "queue-badge", "queue-status", "team-load")
        assert Ask.objects.get(pk=desk["unassigned"].pk).assignee == desk["teammate"]
        assert "Nobody has it" in titles(queue_page(client, desk["teammate"]))


class TestFormActions:
    def test_the_deliver_form_opens_inside_the_row_with_htmx(self, client, desk):
        client.force_login(desk["me"])
        response = client.get(f"/queue/asks/{desk['week'].pk}/deliver/", **HTMX)
        assert response.status_code == 200
        opened = row(response, desk["week"])
        assert "q-item--open" in opened.attrs["class"]
        form = opened.one("form", "q-form")
        assert form.attrs["hx-post"] == f"/queue/asks/{desk['week'].pk}/deliver/"
        assert form.one("label", **{"for": f"id_deliver_{desk['week'].pk}_note"}).text == (
            "What you are delivering"
        )
        assert form.one("button", type="submit").text == "Deliver"
        assert form.one("a", hx_get=f"/queue/asks/{desk['week'].pk}/row/").text == "Cancel"

    def test_without_javascript_the_form_is_a_page_with_a_way_back(self, client, desk):
        client.force_login(desk["me"])
        back = "/queue/?due=week"
        response = client.get(
            f"/queue/asks/{desk['week'].pk}/deliver/?next={quote(back, safe='')}", **EN
        )
        assert response.status_code == 200
        page = dom(response)
        assert page.one("h1").text == "Deliver: Demo this week"
        assert [a.text for a in page.all("a", href=back)] == ["Back to the queue", "Cancel"]
        form = page.one("form", "q-form")
        assert form.attrs["action"] == f"/queue/asks/{desk['week'].pk}/deliver/"
        assert form.one("input", name="next").attrs["value"] == back
        assert form.one("textarea", name="note") is not None

    def test_cancelling_an_open_form_brings_the_plain_row_back(self, client, desk):
        client.force_login(desk["me"])
        response = client.get(f"/queue/asks/{desk['week'].pk}/row/", **HTMX)
        plain = row(response, desk["week"])
        assert "q-item--open" not in plain.attrs["class"]
        assert plain.all("form") == []

    def test_deliver_without_javascript(self, client, desk):
        client.force_login(desk["me"])
        response = act(
            client,
            desk["week"],
            "deliver",
            {"note": "演示环境已就绪"},
            next_url="/queue/?type=demo",
        )
        assert (response.status_code, response.url) == (302, "/queue/?type=demo")
        assert follow_flash(client, response) == "Delivered. The requester will confirm."
        ask = Ask.objects.get(pk=desk["week"].pk)
        assert (ask.status, ask.delivery_note) == (AskStatus.DELIVERED, "演示环境已就绪")

    def test_deliver_with_htmx_leaves_a_row_that_says_it_waits_for_the_requester(
        self, client, desk
    ):
        client.force_login(desk["me"])
        response = act(client, desk["week"], "deliver", {"note": "演示环境已就绪"}, htmx=True)
        page = dom(response)
        gone = row(response, desk["week"])
        assert "q-item--gone" in gone.attrs["class"]
        assert gone.text == "Demo this week · Delivered: it now waits for 王磊 to confirm."
        assert counts(page) == "4 open 1 overdue 1 due today"
        assert status_message(page) == "Delivered. The requester will confirm."
        assert "Demo this week" not in titles(queue_page(client, desk["me"]))

    def test_delivering_the_overdue_ask_clears_overdue_from_the_counts_and_the_badge(
        self, client, desk
    ):
        client.force_login(desk["me"])
        response = act(client, desk["overdue"], "deliver", {"note": "v1 已发"}, htmx=True)
        page = dom(response)
        assert counts(page) == "4 open 0 overdue 1 due today"
        assert badge(page) == ["1 due today"]

    def test_counter_both_ways(self, client, desk):
        client.force_login(desk["me"])
        data = {"due_at": "2026-12-15T15:00", "note": "需要等客户的图纸"}
        response = act(client, desk["proposed"], "counter", data, next_url="/queue/")
        assert response.url == "/queue/"
        assert follow_flash(client, response).startswith("New deadline proposed")
        ask = Ask.objects.get(pk=desk["proposed"].pk)
        assert (ask.status, ask.counter_due_at) == (AskStatus.COUNTERED, at(2026, 12, 15, 15, 0))

        data = {"due_at": "2026-12-01T17:00", "note": "还要三天"}
        response = act(client, desk["week"], "counter", data, htmx=True)
        updated = row(response, desk["week"])
        # The agreed deadline still binds while the rep considers the new one.
        assert updated.one("span", "status").text == "Counter-proposed"
        assert status_message(dom(response)).startswith("New deadline proposed")
        assert Ask.objects.get(pk=desk["week"].pk).counter_due_at == at(2026, 12, 1, 17, 0)

    def test_asking_a_question_pauses_the_clock_and_the_counts_say_so(self, client, desk):
        client.force_login(desk["me"])
        data = {"question": "客户高层是哪几位？"}
        response = act(client, desk["today"], "request_info", data, next_url="/queue/")
        assert follow_flash(client, response).startswith("Question sent")
        assert Ask.objects.get(pk=desk["today"].pk).status == AskStatus.WAITING

        response = act(client, desk["overdue"], "request_info", data, htmx=True)
        page = dom(response)
        assert row(response, desk["overdue"]).one("span", "status").text == "Waiting on requester"
        assert "waiting on the requester" in chips(row(response, desk["overdue"]))
        # Both paused now: nothing is overdue or due today, and the badge agrees.
        assert counts(page) == "5 open 0 overdue 0 due today"
        assert badge(page) == []

    def test_decline_both_ways(self, client, desk):
        client.force_login(desk["me"])
        data = {"reason": "不在我们的产品范围内"}
        response = act(client, desk["proposed"], "decline", data, next_url="/queue/")
        assert follow_flash(client, response) == "Ask declined."
        assert Ask.objects.get(pk=desk["proposed"].pk).status == AskStatus.DECLINED

        response = act(client, desk["today"], "decline", data, htmx=True)
        page = dom(response)
        assert row(response, desk["today"]).text.endswith("Declined: 李娜 has been told why.")
        assert counts(page) == "3 open 1 overdue 0 due today"
        assert badge(page) == ["1 overdue"]

    def test_an_empty_delivery_note_is_refused_next_to_the_field(self, client, desk):
        client.force_login(desk["me"])
        before = state(desk["week"])
        response = act(client, desk["week"], "deliver", {"note": "  "}, htmx=True)
        assert response.status_code == 422
        note = row(response, desk["week"]).by_id(f"id_deliver_{desk['week'].pk}_note").attrs
        error = row(response, desk["week"]).by_id(f"id_deliver_{desk['week'].pk}_note_error")
        assert error.text == "This field is required."
        assert note["name"] == "note"
        assert state(desk["week"]) == before

        response = act(client, desk["week"], "deliver", {"note": ""}, next_url="/queue/")
        assert response.status_code == 422
        page = dom(response)
        assert page.one("h1").text == "Deliver: Demo this week"
        assert page.by_id(f"id_deliver_{desk['week'].pk}_note_error").text == (
            "This field is required."
        )
        assert state(desk["week"]) == before

    def test_a_counter_date_in_the_past_is_refused_next_to_the_field(self, client, desk):
        client.force_login(desk["me"])
        before = state(desk["proposed"])
        data = {"due_at": "2026-11-20T15:00", "note": "上周五"}
        response = act(client, desk["proposed"], "counter", data, htmx=True)
        assert response.status_code == 422
        field_id = f"id_counter_{desk['proposed'].pk}_due_at"
        opened = row(response, desk["proposed"])
        assert opened.by_id(f"{field_id}_error").text
        assert opened.by_id(field_id).attrs["value"] == "2026-11-20T15:00"
        assert state(desk["proposed"]) == before


class TestAssign:
    @pytest.fixture
    def lead(self, client, desk):
        client.force_login(desk["lead"])
        return desk["lead"]

    def test_the_assign_form_offers_the_teams_members(self, client, desk, lead):
        response = client.get(f"/queue/team/asks/{desk['unassigned'].pk}/assign/", **HTMX)
        select = row(response, desk["unassigned"]).one("select", name="assignee")
        names = [o.text for o in select.all("option")]
        assert names == ["周敏 · 售前技术部", "周涛 · 售前技术部", "陈静 · 售前技术部"]

    def test_the_lead_assigns_without_javascript(self, client, desk, lead):
        data = {"assignee": desk["teammate"].pk, "note": "周敏熟悉国网"}
        response = act(client, desk["unassigned"], "assign", data, root="/queue/team/")
        assert (response.status_code, response.url) == (302, "/queue/team/")
        assert follow_flash(client, response) == "Assigned to 周敏."
        assert Ask.objects.get(pk=desk["unassigned"].pk).assignee == desk["teammate"]

    def test_the_lead_assigns_with_htmx_and_the_load_table_updates(self, client, desk, lead):
        data = {"assignee": desk["teammate"].pk}
        response = act(client, desk["unassigned"], "assign", data, root="/queue/team/", htmx=True)
        page = dom(response)
        assert row(response, desk["unassigned"]).text.endswith("Now with 周敏.")
        assert status_message(page) == "Assigned to 周敏."
        assert counts(page) == "0 open 0 overdue 0 due today"
        assert_oob(page, "team-load")
        assert load_table(page)["周敏"] == ("2", "1", "1")

    def test_the_lead_moves_an_ask_from_a_members_queue_to_another(self, client, desk, lead):
        root = f"/queue/team/{desk['me'].pk}/"
        data = {"assignee": desk["teammate"].pk}
        response = act(client, desk["overdue"], "assign", data, root=root, htmx=True)
        page = dom(response)
        assert row(response, desk["overdue"]).text.endswith("Now with 周敏.")
        assert counts(page) == "4 open 0 overdue 1 due today"
        assert load_table(page)["陈静"] == ("4", "2", "0")
        assert load_table(page)["周敏"] == ("2", "0", "2")

    def test_the_requester_and_the_current_holder_are_not_offered_nor_accepted(
        self, client, desk, lead
    ):
        # 周敏 asked her own team; 陈静 already has it.
        own = AskFactory(
            deal=desk["big"],
            requester=desk["teammate"],
            team=desk["team"],
            assignee=desk["me"],
            title="自己的请求",
        )
        root = f"/queue/team/{desk['me'].pk}/"
        response = client.get(f"{root}asks/{own.pk}/assign/", **HTMX)
        options = row(response, own).one("select", name="assignee").all("option")
        assert [o.text for o in options] == ["周涛 · 售前技术部"]
        before = state(own)
        for person in (desk["teammate"], desk["me"]):
            data = {"assignee": person.pk}
            response = act(client, own, "assign", data, root=root, htmx=True)
            assert response.status_code == 422
            assert row(response, own).by_id(f"id_assign_{own.pk}_assignee_error").text
            assert state(own) == before

    def test_someone_outside_the_team_is_not_a_choice(self, client, desk, lead):
        before = state(desk["unassigned"])
        data = {"assignee": desk["outsider"].pk}
        response = act(client, desk["unassigned"], "assign", data, root="/queue/team/", htmx=True)
        assert response.status_code == 422
        assert (
            row(response, desk["unassigned"])
            .by_id(f"id_assign_{desk['unassigned'].pk}_assignee_error")
            .text
        )
        assert state(desk["unassigned"]) == before


# --- where to go back to -----------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/queue/", "https:/evil.example/"]
)
def test_next_never_leads_off_site(client, desk, target):
    client.force_login(desk["me"])
    response = act(client, desk["proposed"], "agree", next_url=target)
    assert (response.status_code, response.url) == (302, "/queue/")
    response = act(client, desk["unassigned"], "claim", root="/queue/team/", next_url=target)
    assert (response.status_code, response.url) == (302, "/queue/team/")
    response = client.get(f"/queue/asks/{desk['week'].pk}/deliver/?next={quote(target)}", **EN)
    assert dom(response).one("p", "crumbs").one("a").attrs["href"] == "/queue/"


# --- who may act on what -------------------------------------------------------------------


class TestAccess:
    def test_a_teammate_cannot_agree_or_deliver_my_ask_by_posting_its_id(self, client, desk):
        client.force_login(desk["teammate"])
        for ask, action, data in (
            (desk["proposed"], "agree", {}),
            (desk["week"], "deliver", {"note": "抢先交付"}),
            (desk["overdue"], "start", {}),
        ):
            before = state(ask)
            response = act(client, ask, action, data, next_url="/queue/")
            assert (response.status_code, response.url) == (302, "/queue/")
            assert follow_flash(client, response) == "Only the assignee can do that."
            assert state(ask) == before
            response = act(client, ask, action, data, htmx=True)
            assert status_message(dom(response)) == "Only the assignee can do that."
            assert "message-error" in dom(response).by_id("queue-status").one("p").attrs["class"]
            assert state(ask) == before

    def test_another_team_cannot_take_my_teams_unassigned_ask(self, client, desk):
        client.force_login(desk["outsider"])
        before = state(desk["unassigned"])
        for root in ("/queue/team/", "/queue/"):
            response = act(client, desk["unassigned"], "claim", root=root)
            assert response.status_code in (302, 404)
            if response.status_code == 302:
                assert (
                    follow_flash(client, response)
                    == "Only members of 售前技术部 can take this ask."
                )
            assert state(desk["unassigned"]) == before

    def test_someone_who_cannot_see_the_ask_gets_not_found(self, client, desk):
        stranger = UserFactory(username="it_a", team=TeamFactory(name="IT 部", function="it"))
        client.force_login(stranger)
        before = state(desk["unassigned"])
        response = act(client, desk["unassigned"], "claim", root="/queue/team/")
        assert response.status_code == 404
        assert client.get(f"/queue/asks/{desk['week'].pk}/deliver/").status_code == 404
        assert state(desk["unassigned"]) == before

    def test_a_member_who_is_not_the_lead_cannot_assign(self, client, desk):
        client.force_login(desk["me"])
        before = state(desk["unassigned"])
        data = {"assignee": desk["teammate"].pk}
        response = act(client, desk["unassigned"], "assign", data, root="/queue/team/")
        assert response.status_code == 302
        assert follow_flash(client, response) == "Only the lead of 售前技术部 can assign its asks."
        assert state(desk["unassigned"]) == before
        response = act(client, desk["unassigned"], "assign", data, root="/queue/team/", htmx=True)
        assert state(desk["unassigned"]) == before
        # Nor does the row offer it to them.
        page = queue_page(client, desk["me"], "/queue/team/")
        row_ = page.by_id(f"ask-row-{desk['unassigned'].pk}")
        assert "assign" not in [a.attrs.get("data-action") for a in row_.all("a")]

    @pytest.mark.parametrize("action", ["cancel", "confirm", "thank", "reopen", "nonsense"])
    def test_an_action_a_queue_does_not_offer_is_not_found(self, client, desk, action):
        client.force_login(desk["rep"])  # the requester, who may cancel or confirm elsewhere
        ask = desk["delivered"] if action in ("confirm", "thank", "reopen") else desk["week"]
        before = state(ask)
        assert act(client, ask, action, {"reason": "x"}).status_code == 404
        assert client.get(f"/queue/asks/{ask.pk}/{action}/").status_code == 404
        assert state(ask) == before

    def test_posting_to_the_rows_own_address_is_refused_not_a_server_error(self, client, desk):
        client.raise_request_exception = False
        client.force_login(desk["me"])
        before = state(desk["week"])
        response = act(client, desk["week"], "row")
        assert response.status_code in (404, 405)
        assert state(desk["week"]) == before

    def test_a_one_click_action_by_get_only_goes_back_to_the_queue(self, client, desk):
        client.force_login(desk["me"])
        before = state(desk["proposed"])
        response = client.get(
            f"/queue/asks/{desk['proposed'].pk}/agree/?next=/queue/%3Fdue%3Dlater"
        )
        assert (response.status_code, response.url) == (302, "/queue/?due=later")
        assert state(desk["proposed"]) == before

    def test_a_post_without_the_csrf_token_is_rejected(self, desk):
        client = Client(enforce_csrf_checks=True)
        client.force_login(desk["me"])
        before = state(desk["proposed"])
        response = client.post(f"/queue/asks/{desk['proposed'].pk}/agree/", {"next": "/queue/"})
        assert response.status_code == 403
        response = client.post(
            f"/queue/asks/{desk['proposed'].pk}/agree/", {"next": "/queue/"}, HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 403
        assert state(desk["proposed"]) == before

    def test_the_token_on_the_page_is_the_one_that_works(self, desk):
        client = Client(enforce_csrf_checks=True)
        client.force_login(desk["me"])
        page = dom(client.get("/queue/", **EN))
        token = page.by_id("queue-form").one("input", name="csrfmiddlewaretoken").attrs["value"]
        response = client.post(
            f"/queue/asks/{desk['proposed'].pk}/agree/",
            {"csrfmiddlewaretoken": token, "next": "/queue/"},
        )
        assert response.status_code == 302
        assert Ask.objects.get(pk=desk["proposed"].pk).status == AskStatus.AGREED

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, desk):
        before = state(desk["proposed"])
        for url in ("/queue/", "/queue/team/", f"/queue/team/{desk['me'].pk}/"):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))
        response = client.post(f"/queue/asks/{desk['proposed'].pk}/agree/")
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        assert state(desk["proposed"]) == before


# --- the header badge --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/deals/", "/asks/sent/", "/queue/", "/queue/team/"])
def test_the_header_badge_says_in_words_what_is_overdue_and_due_today_on_every_page(
    client, desk, url
):
    page = queue_page(client, desk["me"], url)
    assert badge(page) == ["1 overdue", "1 due today"]
    assert page.by_id("queue-badge").attrs["href"] == "/queue/"
    queue = queue_page(client, desk["me"])
    assert counts(queue) == "5 open 1 overdue 1 due today"


def test_a_paused_ask_is_neither_overdue_nor_due_today(client, desk):
    # Everything else is done: what is left is paused, one past its date, one due today.
    Ask.objects.filter(pk__in=[desk[k].pk for k in ("overdue", "today", "week")]).delete()
    AskFactory(
        deal=desk["big"],
        team=desk["team"],
        assignee=desk["me"],
        title="Paused, due today",
        status=AskStatus.WAITING,
        proposed_due_at=at(2026, 11, 23, 15, 0),
        waiting_since=at(2026, 11, 23, 9, 0),
        resume_status=AskStatus.PROPOSED,
    )
    page = queue_page(client, desk["me"])
    assert badge(page) == []
    assert counts(page) == "3 open 0 overdue 0 due today"
    assert titles(queue_page(client, desk["me"], "/queue/?due=overdue")) == []
    assert titles(queue_page(client, desk["me"], "/queue/?due=today")) == []


def test_the_badge_counts_only_my_queue_not_my_teammates(client, desk):
    page = queue_page(client, desk["teammate"], "/")
    assert badge(page) == ["1 overdue"]
    page = queue_page(client, desk["lead"], "/")
    assert badge(page) == []


# --- in Chinese ----------------------------------------------------------------------------


def test_the_queue_reads_in_chinese(client, desk):
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
    page = queue_page(client, desk["me"], "/queue/", **zh)
    assert page.one("h1").text == "我的队列"
    top = page.all("li", "q-item")[0]
    assert chips(top) == ["已逾期 4小时", "¥3200万 商机", "客户高层"]
    assert top.one("span", "status").text == "已约定"
    assert counts(page) == "5 待办 1 已逾期 1 今天到期"
    assert badge(page) == ["1 项逾期", "1 项今天到期"]
    agree = page.by_id(f"ask-row-{desk['proposed'].pk}").one("button", data_action="agree")
    assert agree.text == "同意"

    team = queue_page(client, desk["me"], "/queue/team/", **zh)
    assert team.one("h1").text == "售前技术部：待领取"
    assert team.by_id("h-load").text == "售前技术部工作量"


def test_an_inline_action_answers_in_chinese(client, desk):
    # Her saved language beats the browser's English (act() sends Accept-Language: en).
    Profile.objects.filter(user=desk["me"]).update(language="zh-hans")
    client.force_login(desk["me"])
    response = act(client, desk["week"], "deliver", {"note": "演示环境已就绪"}, htmx=True)
    page = dom(response)
    assert row(response, desk["week"]).text.endswith("已交付：等待王磊确认。")
    assert counts(page) == "4 待办 1 已逾期 1 今天到期"


# --- the rows kept for a minute: never stale after a change to an ask -------------------


class TestKeptRows:
    def test_a_reload_within_the_minute_does_not_read_or_rank_the_queue_again(
        self, client, desk, django_assert_max_num_queries
    ):
        client.force_login(desk["me"])
        with django_assert_max_num_queries(10) as first:
            client.get("/queue/", **EN)
        with django_assert_max_num_queries(10) as second:
            page = dom(client.get("/queue/", **EN))
        assert titles(page)[0] == "Overdue exec deck"
        assert any("deals_milestone" in q["sql"] for q in first.captured_queries)
        assert not any("deals_milestone" in q["sql"] for q in second.captured_queries)
        assert len(second.captured_queries) < len(first.captured_queries)

    def test_a_colleagues_change_to_an_ask_shows_on_the_next_load(self, client, desk):
        from deals import services

        assert "Small quote today" in titles(queue_page(client, desk["me"]))
        services.ask_cancel(ask=desk["today"], actor=desk["other_rep"], reason="Customer withdrew")
        assert "Small quote today" not in titles(queue_page(client, desk["me"]))

    def test_an_ask_swapped_for_another_in_the_same_instant_still_shows(self, client, desk):
        # One leaves and one arrives: the count is the same, and the arriving ask's last
        # change is older than the newest in the queue.
        before = titles(queue_page(client, desk["me"]))
        Ask.objects.filter(pk=desk["today"].pk).update(assignee=desk["teammate"])
        Ask.objects.filter(pk=desk["teammates"].pk).update(assignee=desk["me"])
        after = titles(queue_page(client, desk["me"]))
        assert "Small quote today" in before and "Small quote today" not in after
        assert desk["teammates"].title in after

    def test_each_reader_and_each_language_gets_their_own_rows(self, client, desk):
        english = queue_page(client, desk["me"])
        chinese = queue_page(client, desk["me"], HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert chinese.one("h1").text == "我的队列" and english.one("h1").text == "My queue"
        assert chips(english.by_id(f"ask-row-{desk['overdue'].pk}"))[2] == "customer executives"
        assert chips(chinese.by_id(f"ask-row-{desk['overdue'].pk}"))[2] == "客户高层"
        assert titles(queue_page(client, desk["teammate"])) != titles(english)

    def test_the_page_works_when_the_cache_is_down(self, client, desk, settings):
        # Nothing listens on port 9: every cache call fails, and the page reads directly.
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:9/0",
            }
        }
        assert titles(queue_page(client, desk["me"]))[0] == "Overdue exec deck"
