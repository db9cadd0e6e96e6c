"""Team metrics: each figure worked out by hand for a small company and compared with
the page; who sees whose figures; the period switch; the charts; the query count."""

from __future__ import annotations

import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from deals import charts, metrics
from deals.models import Ask, AskStatus, Clock, Nudge, StepKind, Thank
from stakeholders.models import Function, Profile, Team
from tests.factories import AskFactory, DealFactory, TeamFactory, UserFactory

from .kit import at

S = AskStatus
# A Wednesday. Its 4 weeks start on Wed 03-25 15:00; their Mondays are 03-30, 04-06
# (Qingming, a statutory holiday), 04-13 and 04-20, counted at 04-06 00:00, 04-13 00:00,
# 04-20 00:00 and now. Its 12 weeks start on Wed 01-28 15:00.
NOW = at(2026, 4, 22, 15, 0)


class Tables(HTMLParser):
    """Every table of a page as rows of cell texts."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def table_headed(self, *headers: str) -> dict[str, dict[str, str]]:
        """The first table whose header row starts with ``headers``, as
        {first cell: {header: cell}}."""
        for table in self.tables:
            if table and tuple(table[0][: len(headers)]) == headers:
                head = table[0]
                return {row[0]: dict(zip(head, row, strict=False)) for row in table[1:]}
        raise AssertionError(f"no table headed {headers}")


def page(client, user, language="en", **query):
    client.force_login(user)
    response = client.get(reverse("metrics"), query, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def departments_table(html: str) -> dict:
    return Tables(html).table_headed("Department", "On time", "Delivered")


def people_table(html: str) -> dict:
    return Tables(html).table_headed("Person", "Department", "On time")


def ask(team, assignee, **fields):
    return AskFactory(team=team, assignee=assignee, proposed_due_at=fields["created_at"], **fields)


def nudge(on, when, kind, level, code):
    return Nudge.objects.create(
        ask=on,
        clock=Clock.DELIVERY,
        cycle=1,
        step_code=code,
        kind=kind,
        level=level,
        due_at=on.agreed_due_at or when,
        created_at=when,
    )


@pytest.fixture
def company(org, time_machine):
    """Presales (陈静, under the presales lead 周涛) and finance (马丽, under nobody
    the lead manages), with asks whose figures are worked out by hand in the tests."""
    time_machine.move_to(NOW, tick=False)
    presales, team = org["presales"], org["team"]
    finance_team = TeamFactory(name="财务部", function=Function.FINANCE)
    accountant = UserFactory(username="ma_li", first_name="马丽", team=finance_team)
    deal = org["deal"]

    def presales_ask(**fields):
        return ask(team, presales, deal=deal, requester=org["rep"], **fields)

    asks = {
        # Friday before Qingming → first answer on Tuesday 10:00: Fri 16–18 (2 h), the
        # weekend and Monday's holiday (0 h), Tue 9–10 (1 h) = 3 h. Delivered on time,
        # Thu 17:00: Fri 2 + Tue 9 + Wed 9 + Thu 8 = 28 h.
        "a1": presales_ask(
            status=S.DONE,
            created_at=at(2026, 4, 3, 16),
            responded_at=at(2026, 4, 7, 10),
            agreed_due_at=at(2026, 4, 9, 18),
            delivered_at=at(2026, 4, 9, 17),
            closed_at=at(2026, 4, 10, 10),
        ),
        # Answered in 5 h; due Wed, delivered late on Fri 12:00: 9+9+9+9+3 = 39 h.
        "a2": presales_ask(
            status=S.DELIVERED,
            created_at=at(2026, 4, 13, 9),
            responded_at=at(2026, 4, 13, 14),
            agreed_due_at=at(2026, 4, 15, 18),
            delivered_at=at(2026, 4, 17, 12),
        ),
        # Answered in 1 h, due Fri 04-17, still not delivered: overdue on 04-20 and now.
        "a3": presales_ask(
            status=S.IN_PROGRESS,
            created_at=at(2026, 4, 14, 10),
            responded_at=at(2026, 4, 14, 11),
            agreed_due_at=at(2026, 4, 17, 18),
        ),
        # Twelve weeks only: answered in 2 h, delivered on time after 9+9+3 = 21 h.
        "a4": presales_ask(
            status=S.DONE,
            created_at=at(2026, 2, 2, 9),
            responded_at=at(2026, 2, 2, 11),
            agreed_due_at=at(2026, 2, 4, 18),
            delivered_at=at(2026, 2, 4, 12),
            closed_at=at(2026, 2, 5, 9),
        ),
        # Answered in 1 h, due 04-01, cancelled 04-08: overdue on 04-06 only.
        "a5": presales_ask(
            status=S.CANCELLED,
            created_at=at(2026, 3, 30, 9),
            responded_at=at(2026, 3, 30, 10),
            agreed_due_at=at(2026, 4, 1, 18),
            closed_at=at(2026, 4, 8, 12),
        ),
        # Answered in half an hour, due 04-10, waiting on the requester since 04-16:
        # overdue on 04-13, paused (not overdue) on 04-20 and now.
        "a6": presales_ask(
            status=S.WAITING,
            resume_status=S.IN_PROGRESS,
            created_at=at(2026, 4, 7, 9),
            responded_at=at(2026, 4, 7, 9, 30),
            agreed_due_at=at(2026, 4, 10, 18),
            waiting_since=at(2026, 4, 16, 10),
        ),
        # Answered in 4 h, due 04-02, delivered late on 04-14 12:00: overdue on 04-06
        # and 04-13. Tue–Fri 4×9, Mon 04-06 off, Tue–Fri 4×9, Mon 9, Tue 3 = 84 h.
        "a7": presales_ask(
            status=S.DELIVERED,
            created_at=at(2026, 3, 31, 9),
            responded_at=at(2026, 3, 31, 13),
            agreed_due_at=at(2026, 4, 2, 18),
            delivered_at=at(2026, 4, 14, 12),
        ),
        # Finance: answered in 1 h, delivered on time (27 h), and one overdue only now.
        "f1": ask(
            finance_team,
            accountant,
            status=S.DELIVERED,
            created_at=at(2026, 4, 1, 9),
            responded_at=at(2026, 4, 1, 10),
            agreed_due_at=at(2026, 4, 3, 18),
            delivered_at=at(2026, 4, 3, 18),
        ),
        "f2": ask(
            finance_team,
            accountant,
            status=S.IN_PROGRESS,
            created_at=at(2026, 4, 20, 9),
            responded_at=at(2026, 4, 20, 9, 30),
            agreed_due_at=at(2026, 4, 21, 12),
        ),
    }
    a = asks
    # The ladder on a3 and a7 in the last 4 weeks, an old breach on a4, and what is not
    # an escalation: a reminder and a nudge by hand.
    nudge(a["a3"], at(2026, 4, 17, 18), StepKind.BREACH, 1, "breach")
    nudge(a["a3"], at(2026, 4, 20, 18), StepKind.ESCALATE, 2, "escalate")
    nudge(a["a3"], at(2026, 4, 21, 18), StepKind.ESCALATE, 3, "escalate_3")
    nudge(a["a3"], at(2026, 4, 16, 18), StepKind.REMINDER, 0, "reminder")
    nudge(a["a3"], at(2026, 4, 21, 10), StepKind.MANUAL, 2, "manual-1")
    nudge(a["a7"], at(2026, 4, 2, 18), StepKind.BREACH, 1, "breach")
    nudge(a["a7"], at(2026, 4, 3, 18), StepKind.ESCALATE, 2, "escalate")
    nudge(a["a4"], at(2026, 2, 4, 18, 30), StepKind.BREACH, 1, "breach")
    nudge(a["f2"], at(2026, 4, 21, 12), StepKind.BREACH, 1, "breach")
    Thank.objects.create(
        ask=a["a1"], thanked_by=org["rep"], thanked=presales, created_at=at(2026, 4, 10, 11)
    )
    Thank.objects.create(
        ask=a["a4"], thanked_by=org["rep"], thanked=presales, created_at=at(2026, 2, 5, 10)
    )
    Thank.objects.create(
        ask=a["f1"], thanked_by=org["rep"], thanked=accountant, created_at=at(2026, 4, 7, 10)
    )
    return {**org, "asks": asks, "finance_team": finance_team, "accountant": accountant}


def figures_for(weeks, people=()):
    period = metrics.period_ending(NOW, weeks, ZoneInfo("Asia/Shanghai"))
    return metrics.compute(period, list(people))


# --- the figures, by hand -------------------------------------------------------------


@pytest.mark.django_db
class TestFigures:
    def test_the_weeks_are_mondays_in_shanghai_and_the_last_one_is_counted_now(self, company):
        period = metrics.period_ending(NOW, 4, ZoneInfo("Asia/Shanghai"))
        assert period.start == at(2026, 3, 25, 15)
        assert [w.starts for w in period.week_list] == [
            dt.date(2026, 3, 30),
            dt.date(2026, 4, 6),
            dt.date(2026, 4, 13),
            dt.date(2026, 4, 20),
        ]
        assert [w.ends_at for w in period.week_list] == [
            at(2026, 4, 6),
            at(2026, 4, 13),
            at(2026, 4, 20),
            NOW,
        ]

    def test_a_reader_in_los_angeles_gets_their_own_mondays(self):
        # Monday 03:00 in Shanghai is still Sunday in Los Angeles: their week began 04-13.
        now = at(2026, 4, 20, 3)
        zone = ZoneInfo("America/Los_Angeles")
        period = metrics.period_ending(now, 4, zone)
        assert period.week_list[-1].starts == dt.date(2026, 4, 13)
        assert period.week_list[-2].ends_at == dt.datetime(2026, 4, 13, tzinfo=zone)

    def test_on_time_rate_counts_deliveries_by_their_agreed_deadline(self, company):
        presales = figures_for(4).department(company["team"].pk)
        # a1 on time; a2 and a7 late.
        assert (presales.on_time, presales.delivered) == (1, 3)
        assert metrics.format_percent(presales.on_time_rate) == "33%"
        finance = figures_for(4).department(company["finance_team"].pk)
        # Delivered exactly at the deadline counts as on time.
        assert (finance.on_time, finance.delivered) == (1, 1)

    def test_medians_are_in_business_hours_across_the_weekend_and_qingming(self, company):
        presales = figures_for(4).department(company["team"].pk)
        assert sorted(presales.response_hours) == [0.5, 1, 1, 3, 4, 5]
        assert presales.median_response == 2.0
        assert sorted(presales.turnaround_hours) == [28, 39, 84]
        assert presales.median_turnaround == 39
        with translation.override("en"):
            assert metrics.format_hours(presales.median_response) == "2.0 h"
            assert metrics.format_hours(6.54) == "6.5 h"
            assert metrics.format_percent(0.923) == "92%"
            assert metrics.format_hours(None) == "—"

    def test_escalations_are_the_ladders_breaches_and_escalations_by_level(self, company):
        result = figures_for(4)
        assert result.department(company["team"].pk).escalations == {1: 2, 2: 2, 3: 1}
        assert result.department(company["finance_team"].pk).escalations == {1: 1, 2: 0, 3: 0}
        assert figures_for(12).department(company["team"].pk).escalations == {1: 3, 2: 2, 3: 1}

    def test_thanks_are_counted_for_the_person_thanked_and_the_asks_department(self, company):
        result = figures_for(4, [company["presales"], company["accountant"]])
        people = dict(result.people)
        assert people[company["presales"]].thanks == 1
        assert people[company["accountant"]].thanks == 1
        assert result.department(company["team"].pk).thanks == 1
        assert dict(figures_for(12, [company["presales"]]).people)[company["presales"]].thanks == 2

    def test_the_weekly_overdue_trend_is_rebuilt_from_the_columns(self, company):
        result = figures_for(4)
        # 04-06: a5 (cancelled later) and a7 (delivered later); 04-13: a6 (not yet
        # waiting) and a7; 04-20: a3 (a6 is paused); now: a3.
        assert result.department(company["team"].pk).overdue == [2, 2, 1, 1]
        assert result.department(company["finance_team"].pk).overdue == [0, 0, 0, 1]
        assert result.total.overdue == [2, 2, 1, 2]

    def test_overdue_now_is_the_same_as_the_asks_own_rule(self, company):
        overdue_now = sum(a.is_overdue(NOW) for a in Ask.objects.all())
        assert figures_for(4).total.overdue_now == overdue_now == 2

    def test_the_page_shows_the_same_figures(self, client, company):
        html = page(client, company["lead"])
        row = departments_table(html)["售前技术部"]
        assert row["On time"] == "33%"
        assert row["Delivered"] == "3"
        assert row["Median response"] == "2.0 h"
        assert row["Median turnaround"] == "39.0 h"
        assert (row["L1"], row["L2"], row["L3"]) == ("2", "2", "1")
        assert row["Thanks received"] == "1"
        assert row["Overdue now"] == "1 overdue"
        trend = Tables(html).table_headed("Week starting", "Overdue at its end")
        assert [r["Overdue at its end"] for r in trend.values()] == ["2", "2", "1", "2"]


# --- the demo company --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_companys_presales_on_time_rate_matches_a_count_by_hand(client, time_machine):
    call_command("seed_demo", stdout=io.StringIO(), stderr=io.StringIO())
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    start = now - dt.timedelta(weeks=4)

    delivered = on_time = 0
    for row in Ask.objects.filter(team__name="售前技术部"):
        if row.delivered_at is None or row.agreed_due_at is None:
            continue
        if start <= row.delivered_at <= now:
            delivered += 1
            on_time += row.delivered_at <= row.agreed_due_at
    assert delivered, "the demo delivers some presales asks every month"
    percent = (Decimal(on_time) * 100 / delivered).quantize(Decimal(1), rounding=ROUND_HALF_UP)

    manager = Profile.objects.get(user__username="manager").user
    shown = departments_table(page(client, manager))["售前技术部"]
    assert shown["On time"] == f"{percent}%"
    assert shown["Delivered"] == str(delivered)


# --- who sees whose figures --------------------------------------------------------------


@pytest.mark.django_db
class TestAccess:
    def test_the_people_table_holds_the_reader_and_their_subtree_only(self, client, company):
        html = page(client, company["lead"])
        assert set(people_table(html)) == {"周涛 · you", "陈静"}
        assert "马丽" not in html
        # Every department's figures are there, though: they are not personal.
        assert {"售前技术部", "财务部"} <= set(departments_table(html))

    def test_someone_outside_the_subtree_is_a_404(self, client, company):
        client.force_login(company["lead"])
        url = reverse("metrics")
        assert client.get(url, {"person": company["accountant"].pk}).status_code == 404
        assert client.get(url, {"person": company["rep"].pk}).status_code == 404
        assert client.get(url, {"person": "nobody"}).status_code == 404

    def test_a_person_in_the_subtree_has_their_own_figures_and_trend(self, client, company):
        html = page(client, company["lead"], person=company["presales"].pk)
        assert "<h1>陈静</h1>" in html
        assert 'id="chart-overdue"' in html
        trend = Tables(html).table_headed("Week starting", "Overdue at its end")
        assert [r["Overdue at its end"] for r in trend.values()] == ["2", "2", "1", "1"]
        assert "33%" in html

    def test_a_rep_sees_only_their_own_personal_figures(self, client, company):
        html = page(client, company["rep"])
        assert set(people_table(html)) == {"王磊 · you"}
        client.force_login(company["rep"])
        response = client.get(reverse("metrics"), {"person": company["presales"].pk})
        assert response.status_code == 404

    def test_a_department_link_lists_its_people_within_the_subtree(self, client, company):
        html = page(client, company["lead"], team=company["team"].pk)
        assert set(people_table(html)) == {"周涛 · you", "陈静"}
        html = page(client, company["lead"], team=company["finance_team"].pk)
        assert "Nobody in 财务部 reports to you" in html
        assert "马丽" not in html
        client.force_login(company["lead"])
        assert client.get(reverse("metrics"), {"team": 999_999}).status_code == 404


# --- the period switch -------------------------------------------------------------------


@pytest.mark.django_db
class TestPeriod:
    def test_twelve_weeks_take_in_the_older_deliveries(self, client, company):
        four = departments_table(page(client, company["lead"], weeks=4))["售前技术部"]
        twelve = departments_table(page(client, company["lead"], weeks=12))["售前技术部"]
        assert (four["On time"], four["Delivered"]) == ("33%", "3")
        # a4 (February, on time) joins: 2 of 4.
        assert (twelve["On time"], twelve["Delivered"]) == ("50%", "4")
        assert twelve["Median turnaround"] == "33.5 h"
        assert twelve["Thanks received"] == "2"

    @pytest.mark.parametrize("bad", ["7", "0", "-4", "twelve", ""])
    def test_a_bad_weeks_value_falls_back_to_four(self, client, company, bad):
        html = page(client, company["lead"], weeks=bad)
        assert departments_table(html)["售前技术部"]["Delivered"] == "3"
        assert 'id="period-4" href="/metrics/?weeks=4" hx-get' in html
        assert 'aria-current="true">Last 4 weeks</a>' in html

    def test_htmx_gets_the_results_fragment_and_a_plain_request_the_page(self, client, company):
        client.force_login(company["lead"])
        fragment = client.get(
            reverse("metrics"),
            {"weeks": 12},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="metrics-results",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        body = fragment.content.decode()
        assert body.lstrip().startswith('<div id="metrics-results"')
        assert "<html" not in body
        assert departments_table(body)["售前技术部"]["Delivered"] == "4"
        assert "HX-Request" in fragment["Vary"]

        full = client.get(reverse("metrics"), {"weeks": 12}, HTTP_ACCEPT_LANGUAGE="en")
        html = full.content.decode()
        assert "<html" in html
        assert '<div id="metrics-results"' in html
        # The switch works with and without JavaScript: a link that htmx enhances.
        assert (
            '<a id="period-4" href="/metrics/?weeks=4" hx-get="/metrics/?weeks=4" '
            'hx-target="#metrics-results" hx-swap="outerHTML" hx-push-url="true">' in html
        )

    def test_the_switch_keeps_the_person_or_department_being_looked_at(self, client, company):
        pk = company["presales"].pk
        html = page(client, company["lead"], person=pk)
        assert f'href="/metrics/?weeks=12&amp;person={pk}"' in html

    def test_empty_periods_say_what_to_do(self, client, company):
        Ask.objects.all().delete()
        html = page(client, company["lead"])
        assert "No asks were delivered in the last 4 weeks." in html
        assert "Look at the last 12 weeks" in html
        assert "No ask was overdue at the end of any week in the last 4 weeks." in html
        assert "No ask was escalated in the last 4 weeks" in html


# --- the charts ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_department_name_cannot_inject_markup_into_the_svg(client, company):
    evil = TeamFactory(name='<script>alert("x")</script>', function=Function.IT)
    ask(
        evil,
        company["presales"],
        deal=company["deal"],
        status=S.DELIVERED,
        created_at=at(2026, 4, 20, 9),
        responded_at=at(2026, 4, 20, 10),
        agreed_due_at=at(2026, 4, 21, 18),
        delivered_at=at(2026, 4, 21, 12),
    )
    html = page(client, company["lead"])
    start = html.index('<svg class="chart" viewBox')
    svg = html[start : html.index("</svg>", start)]
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    assert "<script>alert" not in html


def test_every_chart_is_an_image_with_a_title_and_escapes_its_text():
    hostile = '"><script>x</script>'
    made = [
        charts.horizontal_bars(
            [charts.Bar(hostile, 0.5, hostile, "green")],
            chart_id="c1",
            title=hostile,
            description=hostile,
        ),
        charts.stacked_bars(
            [charts.Stack(hostile, (1, 2, 3), hostile)],
            [
                charts.Series(hostile, "amber"),
                charts.Series("b", "redlight"),
                charts.Series("c", "red"),
            ],
            chart_id="c2",
            title=hostile,
            description=hostile,
        ),
        charts.columns(
            [charts.Column(hostile, 3, hostile), charts.Column("04-20", 0, "0")],
            chart_id="c3",
            title=hostile,
            description=hostile,
        ),
    ]
    for svg in made:
        assert svg.startswith('<svg class="chart"')
        assert 'role="img"' in svg
        assert "aria-labelledby=" in svg
        assert "<title id=" in svg
        assert "<script" not in svg
        assert "&lt;script&gt;" in svg


def test_a_long_label_is_cut_to_fit_and_keeps_its_full_text_as_a_tooltip():
    name = "华东区域大客户与战略合作伙伴关系发展部"
    svg = charts.horizontal_bars(
        [charts.Bar(name, 1.0, "100%")], chart_id="c", title="t", description="d"
    )
    assert f"<title>{name}</title>" in svg
    assert charts.fit(name, 100) in svg
    assert charts.fit(name, 100).endswith("…")


def test_the_bars_are_as_long_as_their_share():
    svg = charts.horizontal_bars(
        [charts.Bar("a", 1.0, "100%"), charts.Bar("b", 0.25, "25%")],
        chart_id="c",
        title="t",
        description="d",
    )
    widths = [
        float(chunk.split('width="')[1].split('"')[0])
        for chunk in svg.split("<rect")[1:]
        if "chart__bar" in chunk
    ]
    assert widths[1] == pytest.approx(widths[0] / 4, abs=0.1)


# --- language -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_in_chinese_has_chinese_labels(client, company):
    html = page(client, company["lead"], language="zh-hans")
    assert '<html lang="zh-Hans">' in html
    assert "人员" in html  # Person
    assert "已交付" in html  # Delivered
    assert "收到的感谢" in html  # Thanks received
    assert ">Person<" not in html
    assert ">Thanks received<" not in html


# --- the query count -------------------------------------------------------------------------


def grow(company, n: int) -> None:
    """More departments, more people under the lead, more asks, nudges and thanks."""
    lead = company["lead"]
    for i in range(n):
        team = TeamFactory(name=f"部门{i}", function=Function.IT)
        person = UserFactory(username=f"p{i}", first_name=f"员工{i}", team=team, manager=lead)
        deal = DealFactory(owner=company["rep"])
        for day in range(1, 4):
            done = ask(
                team,
                person,
                deal=deal,
                status=S.DELIVERED,
                created_at=at(2026, 4, 13 + day, 9),
                responded_at=at(2026, 4, 13 + day, 10),
                agreed_due_at=at(2026, 4, 14 + day, 18),
                delivered_at=at(2026, 4, 15 + day, 12),
            )
            nudge(done, at(2026, 4, 14 + day, 18), StepKind.BREACH, 1, "breach")
            Thank.objects.create(
                ask=done, thanked_by=company["rep"], thanked=person, created_at=at(2026, 4, 20)
            )


@pytest.mark.django_db
def test_the_query_count_is_the_same_for_a_small_and_a_bigger_company(
    client, company, django_assert_max_num_queries
):
    # session, user, profile, the header's counts; then the departments, the asks, the
    # escalations, the thanks and the people shown.
    most = 9
    client.force_login(company["lead"])
    views = [{"weeks": 12}, {"team": company["team"].pk}, {"person": company["presales"].pk}]

    def counts():
        found = []
        for query in views:
            with django_assert_max_num_queries(most) as captured:
                assert client.get(reverse("metrics"), query).status_code == 200
            found.append(len(captured))
        return found

    small = counts()
    grow(company, 15)
    assert Team.objects.count() > 15
    assert counts() == small
