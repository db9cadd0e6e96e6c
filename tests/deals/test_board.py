"""The manager's stalled board: who is on it (the whole subtree, never a sibling's
people), why each ask is stalled (in the team's business time, across weekends and
China's holidays), the order, the groups and filters in the URL, the htmx fragment, the
query count, the empty state, the header link, and the page in Chinese.

Time is frozen on a Monday morning in Shanghai; every team works 09:00–18:00 on China's
statutory calendar, so one business day is nine working hours."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from deals import board, interventions, services
from deals.models import Ask, AskStatus, AskType, Audience
from stakeholders.models import Function
from tests.deals.kit import at
from tests.factories import AskFactory, DealFactory, TeamFactory, UserFactory
from tests.html import Node, dom

pytestmark = pytest.mark.django_db
S = AskStatus
NOW = at(2026, 11, 23, 10, 0)  # a Monday morning in Shanghai
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


# --- reading a page: a small DOM, so assertions name what a person sees ------------------


# --- the region: a general manager, two layers below him, and a sibling's people ---------


@pytest.fixture
def region(org, other_rep):
    """孙总 runs the region: 赵敏 (sales director) and 周涛 (presales lead) report to him,
    王磊 (rep) to 赵敏, and 陈静 and 周敏 (presales) to 周涛. He leads the solutions
    centre himself. 钱总 is a sibling general manager: 李娜 (another rep) and the legal
    team's lead 吴律师 report to him."""
    gm = org["vp"]
    for person in (org["rep_manager"], org["lead"]):
        person.profile.manager = gm
        person.profile.save()
    team = org["team"]
    teammate = UserFactory(username="presales_b", first_name="周敏", team=team, manager=org["lead"])
    solutions = TeamFactory(name="解决方案中心", function=Function.PRESALES)
    solutions.lead = gm
    solutions.save()
    sibling = UserFactory(username="gm_north", first_name="钱总", team=org["sales_team"])
    other_rep.profile.manager = sibling
    other_rep.profile.save()
    legal = TeamFactory(name="法务部", function=Function.LEGAL)
    lawyer = UserFactory(username="legal_a", first_name="吴律师", team=legal, manager=sibling)
    legal.lead = lawyer
    legal.save()
    big = org["deal"]
    big.amount = Decimal(32_000_000)
    big.save()
    small = DealFactory(
        owner=other_rep, customer="苏州小厂", title="小改造", amount=Decimal(80_000)
    )
    return {
        **org,
        "gm": gm,
        "director": org["rep_manager"],
        "teammate": teammate,
        "solutions": solutions,
        "sibling": sibling,
        "other_rep": other_rep,
        "legal": legal,
        "lawyer": lawyer,
        "big": big,
        "small": small,
    }


def make(region, title, *, due, status=S.AGREED, deal="big", requester="rep", **kw) -> Ask:
    """An ask made last Monday, in the state given; ``due`` is the agreed deadline when
    there is one, else the proposed one."""
    kw.setdefault("team", region["team"])
    kw.setdefault("assignee", region["presales"])
    agreed = status not in (S.PROPOSED, S.COUNTERED) or kw.pop("agreed", False)
    kw.setdefault("respond_by", at(2026, 11, 16, 14, 0))
    return AskFactory(
        title=title,
        deal=region[deal],
        requester=region[requester],
        status=status,
        proposed_due_at=due,
        agreed_due_at=due if agreed else None,
        created_at=at(2026, 11, 16, 10, 0),
        responded_at=at(2026, 11, 16, 11, 0) if agreed else None,
        **kw,
    )


def overdue(region, title, **kw) -> Ask:
    kw.setdefault("due", at(2026, 11, 20, 15, 0))  # last Friday 15:00: 4 working hours late
    return make(region, title, **kw)


def shown(user, now=None, **filters) -> list[str]:
    return [item.ask.title for item in board.stalled(user, board.Filters(**filters), now).items]


def reasons(user, now=None) -> dict[str, str]:
    """Each stalled ask's reason and what its chip says."""
    return {
        item.ask.title: (item.reason, board.stalled_text(item))
        for item in board.stalled(user, now=now).items
    }


def board_page(client, user, url="/board/", **headers) -> Node:
    client.force_login(user)
    response = client.get(url, **(headers or EN))
    assert response.status_code == 200
    return dom(response)


def rows(page: Node) -> list[str]:
    return [tr.one("a", "row-title").text for tr in page.all("tr") if "data-ask" in tr.attrs]


def row(page: Node, ask) -> Node:
    return page.by_id(f"board-row-{ask.pk}")


def reason_counts(page: Node) -> dict[str, str]:
    nav = page.one("nav", "reason-counts")
    return {a.attrs.get("data-reason", "all"): a.one("strong").text for a in nav.all("a")}


def groups(page: Node) -> list[tuple[str, str]]:
    """Each group's heading and count, in order."""
    found = []
    for section in page.all("section", "b-group"):
        heading = section.one("h3")
        count = heading.one("span", "count").text
        found.append((heading.text.removesuffix(count).strip(), count))
    return found


# --- who is on a manager's board --------------------------------------------------------


@pytest.fixture
def scoped(region):
    """One overdue ask for each way an ask comes onto 孙总's board, and two of the
    sibling's people's that must never."""
    return {
        "grand_report_assigned": overdue(
            region, "Assigned to a grand-report", deal="small", requester="other_rep"
        ),
        "made_by_grand_report": overdue(
            region, "Made by a grand-report", team=region["legal"], assignee=region["lawyer"]
        ),
        "reports_team_queue": overdue(
            region, "In the presales queue", deal="small", requester="other_rep", assignee=None
        ),
        "own_team_queue": overdue(
            region,
            "In the solutions queue",
            deal="small",
            requester="other_rep",
            team=region["solutions"],
            assignee=None,
        ),
        "sibling_assigned": overdue(
            region,
            "Sibling's rep asks legal",
            deal="small",
            requester="other_rep",
            team=region["legal"],
            assignee=region["lawyer"],
        ),
        "sibling_queue": overdue(
            region,
            "In the legal queue",
            deal="small",
            requester="other_rep",
            team=region["legal"],
            assignee=None,
        ),
    }


ON_GM_BOARD = {
    "Assigned to a grand-report",
    "Made by a grand-report",
    "In the presales queue",
    "In the solutions queue",
}


class TestWhoIsOnTheBoard:
    def test_the_whole_subtree_at_any_depth_and_the_queues_it_leads(self, region, scoped):
        assert set(shown(region["gm"])) == ON_GM_BOARD

    def test_the_page_shows_the_same_asks(self, client, region, scoped):
        assert set(rows(board_page(client, region["gm"]))) == ON_GM_BOARD

    def test_never_a_sibling_managers_peoples_asks(self, client, region, scoped):
        titles = set(shown(region["gm"])) | set(rows(board_page(client, region["gm"])))
        assert "Sibling's rep asks legal" not in titles
        assert "In the legal queue" not in titles
        # The sibling, in turn, sees his own people's asks, and of 孙总's people's only
        # those his own people made or owe.
        assert set(shown(region["sibling"])) == {
            "Made by a grand-report",  # assigned to his 吴律师
            "Sibling's rep asks legal",
            "In the legal queue",
            "Assigned to a grand-report",  # made by his 李娜
            "In the presales queue",
            "In the solutions queue",
        }

    def test_a_middle_manager_sees_only_their_own_branch(self, region, scoped):
        assert set(shown(region["lead"])) == {
            "Assigned to a grand-report",
            "In the presales queue",
        }
        assert set(shown(region["director"])) == {"Made by a grand-report"}

    def test_a_rep_with_nobody_below_them_has_an_empty_board(self, region, scoped):
        assert shown(region["presales"]) == []


# --- why an ask is stalled, in business time --------------------------------------------


class TestReasons:
    def test_past_its_agreed_deadline_is_overdue_by_the_working_hours_since(self, region):
        # Friday 15:00 to Monday 10:00 is 66 hours on the clock, 4 of them working hours.
        overdue(region, "Exec deck")
        overdue(region, "Running and late", status=S.IN_PROGRESS, due=at(2026, 11, 19, 15, 0))
        assert reasons(region["gm"]) == {
            "Running and late": ("overdue", "overdue 1d 4h"),
            "Exec deck": ("overdue", "overdue 4h"),
        }

    def test_agreed_but_not_started_and_due_within_one_business_day_is_at_risk(self, region):
        make(region, "Due tomorrow first thing", due=at(2026, 11, 24, 9, 30))
        make(region, "Reopened, due tomorrow", status=S.REOPENED, due=at(2026, 11, 24, 10, 0))
        assert reasons(region["gm"]) == {
            "Due tomorrow first thing": ("at_risk", "due in 8h 30m, not started"),
            "Reopened, due tomorrow": ("at_risk", "due in 1d, not started"),
        }

    def test_an_ask_already_in_progress_is_not_at_risk(self, region):
        make(
            region,
            "Started, due tomorrow",
            status=S.IN_PROGRESS,
            due=at(2026, 11, 24, 9, 30),
            started_at=at(2026, 11, 17, 9, 0),
        )
        assert reasons(region["gm"]) == {}

    def test_two_business_days_away_is_not_at_risk(self, region):
        make(region, "Due Wednesday", due=at(2026, 11, 25, 10, 0))
        make(region, "Just over a day away", due=at(2026, 11, 24, 10, 1))
        assert reasons(region["gm"]) == {}

    def test_on_friday_at_five_a_monday_ten_oclock_deadline_is_at_risk(self, region, time_machine):
        friday = at(2026, 11, 20, 17, 0)
        time_machine.move_to(friday, tick=False)
        make(region, "Monday deadline", due=at(2026, 11, 23, 10, 0))
        # 65 hours away on the clock; two working hours (Fri 17–18, Mon 09–10).
        assert reasons(region["gm"], now=friday) == {
            "Monday deadline": ("at_risk", "due in 2h, not started")
        }

    def test_across_national_day_a_deadline_after_the_holiday_is_at_risk(
        self, region, time_machine
    ):
        # Wednesday 30 September 2026 at 17:00; 1–7 October is the National Day holiday.
        eve = at(2026, 9, 30, 17, 0)
        time_machine.move_to(eve, tick=False)
        make(region, "Due the Thursday after", due=at(2026, 10, 8, 10, 0))
        make(region, "Due the Friday after", due=at(2026, 10, 9, 11, 0))
        assert reasons(region["gm"], now=eve) == {
            "Due the Thursday after": ("at_risk", "due in 2h, not started")
        }

    def test_a_new_ask_past_its_response_window_is_unanswered(self, region):
        make(region, "Nobody answered", status=S.PROPOSED, due=at(2026, 11, 27, 15, 0))
        make(
            region,
            "Still within its window",
            status=S.PROPOSED,
            due=at(2026, 11, 27, 15, 0),
            respond_by=at(2026, 11, 23, 13, 0),
        )
        # Open since last Monday 10:00: exactly five working days (8 + 4 × 9 + 1 hours).
        assert reasons(region["gm"]) == {"Nobody answered": ("unanswered", "no answer for 5d")}

    def test_waiting_on_the_requester_for_a_business_day_or_more(self, region):
        def waiting(title, since):
            make(
                region,
                title,
                status=S.WAITING,
                due=at(2026, 11, 27, 15, 0),
                waiting_since=since,
                resume_status=S.IN_PROGRESS,
            )

        waiting("Since Thursday afternoon", at(2026, 11, 19, 16, 0))
        # 66 hours on the clock, but only 3 working hours: not yet a business day.
        waiting("Since Friday afternoon", at(2026, 11, 20, 16, 0))
        waiting("For two hours", at(2026, 11, 23, 8, 0))
        assert reasons(region["gm"]) == {
            "Since Thursday afternoon": ("waiting", "waiting on the requester for 1d 3h")
        }

    def test_waiting_across_national_day_counts_only_working_hours(self, region):
        make(
            region,
            "Asked before the holiday",
            status=S.WAITING,
            due=at(2026, 10, 16, 15, 0),
            waiting_since=at(2026, 9, 30, 16, 0),
            resume_status=S.AGREED,
        )
        # Eight days on the clock, two and a half working hours.
        assert reasons(region["gm"], now=at(2026, 10, 8, 9, 30)) == {}
        assert reasons(region["gm"], now=at(2026, 10, 9, 9, 0)) == {
            "Asked before the holiday": ("waiting", "waiting on the requester for 1d 2h")
        }

    def test_a_counter_proposal_the_requester_leaves_unanswered_a_business_day(self, region):
        countered_at(region, "Countered on Thursday", at(2026, 11, 19, 14, 0))
        countered_at(region, "Countered this morning", at(2026, 11, 23, 9, 0))
        assert reasons(region["gm"]) == {
            "Countered on Thursday": ("blocked", "counter-proposal unanswered for 1d 5h")
        }

    def test_the_counter_proposals_wait_counts_from_the_counter_not_the_last_edit(self, region):
        # Countered Thursday 14:00; the presales lead hands the ask to 周敏 this morning.
        # The requester has still not answered the counter-proposal: the board must
        # keep saying so, not start the day's wait over.
        ask = countered_at(region, "Countered on Thursday", at(2026, 11, 19, 14, 0))
        with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False):
            interventions.reassign(
                ask=ask, actor=region["lead"], assignee=region["teammate"], reason="陈静 is out"
            )
        assert reasons(region["gm"]) == {
            "Countered on Thursday": ("blocked", "counter-proposal unanswered for 1d 5h")
        }

    def test_closed_and_delivered_asks_never_appear(self, region):
        late = at(2026, 11, 19, 15, 0)
        delivered = {"delivered_at": at(2026, 11, 20, 8, 0)}
        make(region, "Delivered", status=S.DELIVERED, due=late, **delivered)
        closed = {"closed_at": at(2026, 11, 21, 8, 0)}
        make(region, "Done", status=S.DONE, due=late, **delivered, **closed)
        make(region, "Cancelled", status=S.CANCELLED, due=late, **closed)
        make(
            region,
            "Declined",
            status=S.DECLINED,
            due=late,
            decline_reason="Out of scope",
            **closed,
        )
        assert reasons(region["gm"]) == {}


def countered_at(region, title, when) -> Ask:
    """A new ask 陈静 answered with a later deadline at ``when``."""
    with time_machine.travel(when - dt.timedelta(hours=2), tick=False):
        ask = services.ask_create(
            deal=region["big"],
            requester=region["rep"],
            team=region["team"],
            assignee=region["presales"],
            ask_type=AskType.SOLUTION,
            title=title,
            deliverable="Solution document",
            details="120 substations, IEC 104",
            purpose="The utility's review board",
            audience=Audience.CUSTOMER_EXECUTIVE,
            proposed_due_at=at(2026, 11, 27, 15, 0),
        )
    with time_machine.travel(when, tick=False):
        return services.ask_counter(
            ask=ask, actor=region["presales"], due_at=at(2026, 12, 4, 15, 0)
        )


# --- order -----------------------------------------------------------------------------


class TestOrder:
    def test_the_most_overdue_ask_on_the_biggest_deal_comes_first(self, client, region):
        overdue(region, "Small deal, 2h late", deal="small", due=at(2026, 11, 20, 17, 0))
        overdue(region, "Big deal, 1d 4h late", due=at(2026, 11, 19, 15, 0))
        assert shown(region["gm"]) == ["Big deal, 1d 4h late", "Small deal, 2h late"]
        assert rows(board_page(client, region["gm"]))[0] == "Big deal, 1d 4h late"

    def test_a_big_deal_outranks_an_hour_more_lateness_on_a_small_one(self, client, region):
        overdue(region, "Small deal, 5h late", deal="small", due=at(2026, 11, 20, 14, 0))
        overdue(region, "Big deal, 4h late", due=at(2026, 11, 20, 15, 0))
        assert shown(region["gm"]) == ["Big deal, 4h late", "Small deal, 5h late"]
        assert rows(board_page(client, region["gm"]))[0] == "Big deal, 4h late"

    def test_overdue_before_at_risk_before_unanswered_whatever_the_deal(self, client, region):
        make(region, "Unanswered, big deal", status=S.PROPOSED, due=at(2026, 11, 27, 15, 0))
        make(region, "At risk, big deal", due=at(2026, 11, 24, 9, 30))
        overdue(region, "Overdue, small deal", deal="small")
        expected = ["Overdue, small deal", "At risk, big deal", "Unanswered, big deal"]
        assert shown(region["gm"]) == expected
        page = board_page(client, region["gm"])
        assert rows(page) == expected
        assert [tr.attrs["data-reason"] for tr in page.all("tr") if "data-ask" in tr.attrs] == [
            "overdue",
            "at_risk",
            "unanswered",
        ]


# --- the page: groups, filters, htmx ---------------------------------------------------


@pytest.fixture
def mixed(region):
    """A board with every reason: two overdue asks on 陈静, one at risk on 周敏, the
    solutions centre's unanswered ask, one waiting on the rep and one counter-proposal."""
    return {
        "overdue": overdue(region, "Overdue exec deck"),
        "overdue_small": overdue(
            region, "Overdue small quote", deal="small", requester="other_rep"
        ),
        "at_risk": make(
            region, "At risk demo", assignee=region["teammate"], due=at(2026, 11, 24, 9, 30)
        ),
        "unanswered": make(
            region,
            "Unanswered solution",
            status=S.PROPOSED,
            team=region["solutions"],
            assignee=None,
            due=at(2026, 11, 27, 15, 0),
        ),
        "waiting": make(
            region,
            "Waiting on the rep",
            status=S.WAITING,
            due=at(2026, 11, 27, 15, 0),
            waiting_since=at(2026, 11, 19, 9, 0),
            resume_status=S.IN_PROGRESS,
        ),
        "blocked": countered_at(region, "Counter unanswered", at(2026, 11, 19, 14, 0)),
    }


BOARD_ORDER = [
    "Overdue exec deck",
    "Overdue small quote",
    "At risk demo",
    "Unanswered solution",
    "Counter unanswered",
    "Waiting on the rep",
]
# The page groups by department: each group keeps the board's order, and the groups
# follow their most pressing ask.
ALL_ROWS = [
    "Overdue exec deck",
    "Overdue small quote",
    "At risk demo",
    "Counter unanswered",
    "Waiting on the rep",
    "Unanswered solution",
]
WHOLE_BOARD = {
    "all": "6",
    "overdue": "2",
    "at_risk": "1",
    "unanswered": "1",
    "waiting": "1",
    "blocked": "1",
}


class TestPage:
    def test_each_row_says_why_and_for_how_long_with_the_deal_and_the_people(
        self, client, region, mixed
    ):
        assert shown(region["gm"]) == BOARD_ORDER
        page = board_page(client, region["gm"])
        assert page.one("h1").text == "Stalled board"
        assert rows(page) == ALL_ROWS
        assert reason_counts(page) == WHOLE_BOARD
        top = row(page, mixed["overdue"])
        chip = top.one("span", "chip", data_reason="overdue")
        assert chip.text == "overdue 4h"
        assert "chip-red" in chip.attrs["class"]
        assert "国网江苏电力 · ¥32,000,000" in top.text
        assert "陈静 ← 王磊" in top.text
        queue = row(page, mixed["unanswered"])
        assert "解决方案中心 ← 王磊" in queue.text  # nobody has it yet: the team does
        assert "chip-amber" in queue.one("span", "chip", data_reason="unanswered").attrs["class"]

    def test_rows_are_grouped_by_department_by_default_with_counts(self, client, region, mixed):
        page = board_page(client, region["gm"])
        assert groups(page) == [("售前技术部", "5"), ("解决方案中心", "1")]

    def test_grouped_by_person_the_unassigned_ask_sits_with_its_team(self, client, region, mixed):
        page = board_page(client, region["gm"], "/board/?group=person")
        assert groups(page) == [
            ("陈静", "4"),
            ("周敏", "1"),
            ("Nobody yet, in 解决方案中心", "1"),
        ]

    def test_grouped_by_deal(self, client, region, mixed):
        page = board_page(client, region["gm"], "/board/?group=deal")
        assert groups(page) == [("国网江苏电力 · 配网自动化改造", "5"), ("苏州小厂 · 小改造", "1")]

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("reason=overdue", ["Overdue exec deck", "Overdue small quote"]),
            ("reason=waiting", ["Waiting on the rep"]),
            ("team={solutions}", ["Unanswered solution"]),
            ("person={teammate}", ["At risk demo"]),
            ("person={other_rep}", ["Overdue small quote"]),
            ("reason=overdue&person={other_rep}", ["Overdue small quote"]),
            ("team={team}&reason=at_risk&group=person", ["At risk demo"]),
        ],
    )
    def test_filters_in_the_url_narrow_the_rows_and_the_counts_stay_for_the_whole_board(
        self, client, region, mixed, query, expected
    ):
        query = query.format(
            solutions=region["solutions"].pk,
            teammate=region["teammate"].pk,
            other_rep=region["other_rep"].pk,
            team=region["team"].pk,
        )
        page = board_page(client, region["gm"], f"/board/?{query}")
        assert rows(page) == expected
        assert reason_counts(page) == WHOLE_BOARD
        assert f"Showing {len(expected)} of 6." in page.by_id("board-results").text
        form = page.one("form", "filters")
        for pair in query.split("&"):
            name, value = pair.split("=")
            chosen = [o.attrs["value"] for o in form.one("select", name=name).all("option")]
            selected = [
                o.attrs["value"]
                for o in form.one("select", name=name).all("option")
                if "selected" in o.attrs
            ]
            assert value in chosen
            assert selected == [value]

    @pytest.mark.parametrize(
        "query",
        [
            "reason=bogus",
            "team=abc",
            "person=-1",
            "group=sideways",
            "reason=",
        ],
    )
    def test_a_bad_filter_value_is_ignored(self, client, region, mixed, query):
        page = board_page(client, region["gm"], f"/board/?{query}")
        assert rows(page) == ALL_ROWS
        assert groups(page) == [("售前技术部", "5"), ("解决方案中心", "1")]

    def test_a_bad_value_drops_only_its_own_filter(self, client, region, mixed):
        page = board_page(client, region["gm"], "/board/?team=abc&reason=waiting")
        assert rows(page) == ["Waiting on the rep"]

    def test_a_filter_that_matches_nothing_says_how_to_get_back(self, client, region, mixed):
        page = board_page(client, region["gm"], f"/board/?person={region['lawyer'].pk}")
        assert rows(page) == []
        results = page.by_id("board-results")
        assert "Nothing on the board matches these filters." in results.text
        assert [a.attrs["href"] for a in results.all("a")] == ["/board/", "/board/"]

    def test_htmx_filtering_returns_only_the_results(self, client, region, mixed):
        client.force_login(region["gm"])
        response = client.get(
            "/board/?reason=overdue",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="board-results",
            **EN,
        )
        assert response.status_code == 200
        text = response.content.decode()
        assert text.lstrip().startswith('<div id="board-results">')
        assert "<html" not in text and "reason-counts" not in text
        assert rows(dom(response)) == ["Overdue exec deck", "Overdue small quote"]

    def test_each_row_offers_the_interventions_and_comes_back_to_this_view(
        self, client, region, mixed
    ):
        page = board_page(client, region["gm"], "/board/?reason=overdue")
        links = [a for a in row(page, mixed["overdue"]).all("a") if "data-action" in a.attrs]
        actions = {a.attrs["data-action"]: a.attrs["href"] for a in links}
        assert list(actions) == ["extend", "reassign", "snooze", "nudge", "convene"]
        assert actions["extend"] == (
            f"/board/act/?kind=extend&ask={mixed['overdue'].pk}&next=%2Fboard%2F%3Freason%3Doverdue"
        )
        bulk = page.by_id("board-bulk")
        assert bulk.one("input", name="next").attrs["value"] == "/board/?reason=overdue"
        assert [o.attrs["value"] for o in bulk.one("select", name="kind").all("option")] == [
            "extend",
            "reassign",
            "snooze",
            "nudge",
            "convene",
        ]


def test_a_title_cannot_inject_markup_into_a_row(client, region):
    ask = overdue(region, '<script>alert("x")</script> & co')
    client.force_login(region["gm"])
    text = client.get("/board/", **EN).content.decode()
    assert "<script>alert" not in text
    assert rows(dom(client.get("/board/", **EN))) == [ask.title]


# --- the query count: fixed, whatever the size of the board ---------------------------


def add_overdue(region, n, *, start=0):
    """``n`` overdue asks in bulk, across deals, people and the team queues."""
    deals = [region["big"], region["small"]]
    holders = [
        (region["team"], region["presales"]),
        (region["team"], region["teammate"]),
        (region["team"], None),
        (region["solutions"], None),
    ]
    asks = []
    for i in range(start, start + n):
        team, assignee = holders[i % len(holders)]
        due = NOW - dt.timedelta(hours=1 + i % 50)
        asks.append(
            Ask(
                deal=deals[i % 2],
                requester=region["rep"],
                team=team,
                assignee=assignee,
                ask_type=AskType.SOLUTION,
                title=f"方案 {i}",
                deliverable="方案文档",
                details="参数见附件",
                purpose="技术评审",
                audience=Audience.CUSTOMER_WORKING,
                status=S.AGREED,
                proposed_due_at=due,
                agreed_due_at=due,
                created_at=NOW - dt.timedelta(days=7, minutes=i),
            )
        )
    Ask.objects.bulk_create(asks)


@pytest.mark.parametrize("group", ["department", "person", "deal"])
def test_the_board_reads_in_the_same_few_queries_with_3_or_60_stalled_asks(
    client, region, django_assert_max_num_queries, group
):
    client.force_login(region["gm"])
    url = f"/board/?group={group}"
    add_overdue(region, 3)
    # Session, user, profile, header; the subtree, the board's stamp, the candidates'
    # ids, their rows, milestones and teams; the huddles panel. (A reload within the
    # minute skips the candidates, rows, milestones and teams.) And the week's missing
    # deal updates.
    with django_assert_max_num_queries(12) as few:
        response = client.get(url, **EN)
    assert len(rows(dom(response))) == 3
    add_overdue(region, 57, start=3)
    with django_assert_max_num_queries(12) as many:
        response = client.get(url, **EN)
    assert len(rows(dom(response))) == 60
    assert len(many) == len(few)


# --- the empty board, the header link, Chinese -----------------------------------------


def test_an_empty_board_says_what_it_is_for(client, region):
    make(region, "On track", due=at(2026, 11, 27, 15, 0))
    page = board_page(client, region["gm"])
    assert rows(page) == []
    assert page.one("p", "empty").text == (
        "Nothing is stalled below you: no ask is overdue, at risk, unanswered or waiting "
        "too long. Stalled asks of your people, and the asks they made, show up here."
    )
    assert reason_counts(page)["all"] == "0"


@pytest.mark.parametrize(
    ("who", "sees_it"),
    [("gm", True), ("director", True), ("lawyer", True), ("rep", False), ("presales", False)],
)
def test_the_header_links_the_board_for_managers_and_team_leads_not_reps(
    client, region, who, sees_it
):
    # 吴律师 leads the legal team but nobody reports to him.
    page = board_page(client, region[who], "/")
    links = page.one("nav", "site-nav").all("a", href="/board/")
    assert [a.text for a in links] == (["Board"] if sees_it else [])


def test_the_board_reads_in_chinese(client, region, mixed):
    page = board_page(client, region["gm"], **ZH)
    assert page.one("html").attrs["lang"] == "zh-Hans"
    assert len(page.all("h1")) == 1
    # The reason counts, the groups and the rows are all there, whatever is translated.
    assert set(reason_counts(page)) == {"all", *board.REASONS}
    assert reason_counts(page)["overdue"] == "2"
    assert page.one("nav", "reason-counts").one("a", data_reason="overdue").text == "2 逾期"
    assert groups(page) == [("售前技术部", "5"), ("解决方案中心", "1")]
    assert rows(page) == ALL_ROWS
    top = row(page, mixed["overdue"])
    assert top.one("span", "chip", data_reason="overdue").text == "已逾期 4小时"
    assert "¥3200万" in top.text
    headers = page.all("section", "b-group")[0].one("thead").all("th")
    assert len(headers) == 5


def test_the_board_flags_deal_updates_missing_this_week_until_they_are_written(client, region):
    from deals import updates

    page = board_page(client, region["gm"])
    panel = page.one("section", "panel--flag")
    assert panel.one("h2").text.startswith("Deal updates missing this week")
    assert "王磊 · 国网江苏电力" in panel.text  # the rep two levels below, on his big deal
    for deal in (region["big"], region["deal"]):
        updates.update_write(
            deal=deal, author=region["rep"], facts="进展", plan="计划", help_needed=""
        )
    page = board_page(client, region["gm"])
    assert "国网江苏电力" not in " ".join(s.text for s in page.all("section", "panel--flag"))
