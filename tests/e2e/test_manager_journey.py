"""The manager's week in real Chromium: the board puts the most overdue ask on the biggest
deal on top; the manager extends it with a reason and convenes a huddle over another; the
rep sees both on the asks' timelines, writes a three-part deal update and turns "help
needed" into an ask the manager then finds in their queue. The board in Chinese, and at
phone width."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals import services
from deals.models import Ask, AskType, Audience
from tests.e2e.kit import EVERYDAY, sign_in
from tests.factories import DealFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def overdue_ask(*, deal, rep, presales, team, title, hours_late, audience):
    ask = services.ask_create(
        deal=deal,
        requester=rep,
        team=team,
        assignee=presales,
        ask_type=AskType.SOLUTION,
        title=title,
        deliverable="Solution document",
        details="120 substations",
        purpose="Review board",
        audience=audience,
        proposed_due_at=timezone.now() + dt.timedelta(hours=1),
    )
    services.ask_agree(ask=ask, actor=presales)
    Ask.objects.filter(pk=ask.pk).update(
        agreed_due_at=timezone.now() - dt.timedelta(hours=hours_late)
    )
    return Ask.objects.get(pk=ask.pk)


@pytest.fixture
def company(transactional_db):
    sales = TeamFactory(name="华东大客户部", function="sales", **EVERYDAY)
    presales_team = TeamFactory(name="售前技术部", function="presales", **EVERYDAY)
    boss = UserFactory(username="lijianhua", first_name="李建华", team=sales)
    sales.lead = boss
    sales.save()
    lead = UserFactory(username="zhoutao", first_name="周涛", team=presales_team)
    presales_team.lead = lead
    presales_team.save()
    rep = UserFactory(username="wanglei", first_name="王磊", team=sales, manager=boss)
    presales = UserFactory(username="yangfan", first_name="杨帆", team=presales_team, manager=lead)
    big = DealFactory(
        owner=rep, customer="国网江苏电力", title="配网自动化改造", amount=Decimal(32_000_000)
    )
    small = DealFactory(owner=rep, customer="苏州小厂", title="产线改造", amount=Decimal(800_000))
    top = overdue_ask(
        deal=big,
        rep=rep,
        presales=presales,
        team=presales_team,
        title="配网终端方案 v2",
        hours_late=50,
        audience=Audience.CUSTOMER_EXECUTIVE,
    )
    other = overdue_ask(
        deal=small,
        rep=rep,
        presales=presales,
        team=presales_team,
        title="产线报价",
        hours_late=30,
        audience=Audience.INTERNAL,
    )
    return {"boss": boss, "rep": rep, "top": top, "other": other, "big": big}


def local_input(delta: dt.timedelta) -> str:
    return (timezone.localtime() + delta).strftime("%Y-%m-%dT%H:%M")


def test_the_manager_unblocks_and_the_rep_asks_for_help(page, live_server, company, shoot):
    top, other = company["top"], company["other"]

    # The manager: the most overdue ask on the biggest deal is on top of the board.
    sign_in(page, live_server, "lijianhua")
    page.get_by_role("link", name="Board").click()
    expect(page.locator("h1")).to_have_text("Stalled board")
    first = page.locator("tr[data-ask]").first
    expect(first).to_have_attribute("data-ask", str(top.pk))
    expect(first).to_contain_text("配网终端方案 v2")
    expect(first).to_contain_text("¥32,000,000")
    expect(first.locator("[data-reason=overdue]")).to_contain_text("overdue")
    shoot("board-en")

    # Extend it, with a reason.
    first.locator("summary").click()
    first.locator("a[data-action=extend]").click()
    expect(page.locator("h1")).to_have_text("Extend the deadline")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(page.locator(".field-error").first).to_be_visible()
    page.get_by_label("New deadline").fill(local_input(dt.timedelta(days=3)))
    page.get_by_label("Reason").fill("客户评审推迟到下周")
    page.get_by_role("button", name="Extend the deadline").click()
    expect(page.get_by_text("Deadline extended on 1 ask.")).to_be_visible()
    expect(page.locator(f"tr[data-ask='{top.pk}']")).to_have_count(0)

    # Convene a huddle over the other one, from the bulk bar.
    page.locator(f"tr[data-ask='{other.pk}'] input[type=checkbox]").check()
    page.locator("#id_bulk_kind").select_option("convene")
    page.locator("#board-bulk").get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Convene a huddle")
    page.get_by_label("When").fill(local_input(dt.timedelta(days=1)))
    page.get_by_label("Where").fill("3F meeting room")
    page.get_by_label("The blocking point (the agenda)").fill("报价等方案，方案等报价")
    page.get_by_role("button", name="Convene a huddle").click()
    expect(page.get_by_text("Huddle called over 1 ask; everyone has been told.")).to_be_visible()
    expect(page.locator("#h-huddles")).to_be_visible()

    # The rep: both interventions are on the asks' timelines.
    sign_in(page, live_server, "wanglei")
    page.goto(f"{live_server.url}/asks/{top.pk}/")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("李建华 extended the deadline")
    expect(timeline).to_contain_text("客户评审推迟到下周")
    page.goto(f"{live_server.url}/asks/{other.pk}/")
    expect(page.locator(".timeline")).to_contain_text("李建华 called a huddle")
    expect(page.locator(".timeline")).to_contain_text("报价等方案，方案等报价")
    shoot("ask-convened-en")

    # The rep writes this week's three-part update and asks for help.
    page.get_by_role("link", name="Updates").click()
    expect(page.locator("h1")).to_have_text("Deal updates")
    page.get_by_role("link", name="Write it · 国网江苏电力").click()
    page.get_by_label("The facts").fill("客户高层周四看方案")
    page.get_by_label("My plan").fill("周三前完成 v2，周四演示")
    page.get_by_label("The help I need from you").fill("请协调售前本周优先处理")
    page.get_by_role("button", name="Save update").click()
    page.get_by_role("button", name="Ask 李建华 for this help").click()
    expect(page.locator("h1")).to_have_text("请协调售前本周优先处理")
    shoot("help-ask-en")

    # The manager finds it in their queue.
    sign_in(page, live_server, "lijianhua")
    page.locator("#queue-badge").click()
    expect(page.locator("li.q-item")).to_contain_text(["请协调售前本周优先处理"])


def test_the_board_reads_in_chinese_and_fits_a_phone(page, live_server, company, shoot):
    sign_in(page, live_server, "lijianhua", english=False)
    page.goto(f"{live_server.url}/board/")
    expect(page.locator("h1")).to_have_text("停滞看板")
    expect(page.locator("tr[data-ask]").first.locator("[data-reason=overdue]")).to_contain_text(
        "已逾期"
    )
    shoot("board-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot("board-phone")
