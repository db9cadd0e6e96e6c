"""Escalation as people meet it, in real Chromium: an overdue ask nudges the assignee
and copies the rep; the bell counts it; marking read updates the bell in place; the
assignee's lead snoozes escalation from the ask page; and the same in Chinese."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals import services, sweep
from deals.models import Ask, AskType, Audience, NudgeTimer
from stakeholders.models import Role, Stakeholder
from tests.e2e.kit import EVERYDAY, sign_in
from tests.factories import DealFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def overdue(transactional_db):
    """An agreed ask whose deadline passed two working days ago, swept: the assignee and
    the rep have their nudges, the managers their escalations."""
    sales = TeamFactory(name="华东大客户部", function="sales", **EVERYDAY)
    presales_team = TeamFactory(name="售前技术部", function="presales", **EVERYDAY)
    boss = UserFactory(username="lijianhua", first_name="李建华", team=sales)
    lead = UserFactory(username="zhoutao", first_name="周涛", team=presales_team)
    presales_team.lead = lead
    presales_team.save()
    rep = UserFactory(username="wanglei", first_name="王磊", team=sales, manager=boss)
    presales = UserFactory(username="yangfan", first_name="杨帆", team=presales_team, manager=lead)
    deal = DealFactory(owner=rep, customer="国网江苏电力", title="配网自动化改造")
    Stakeholder.objects.create(deal=deal, user=boss, role=Role.MANAGER)
    ask = services.ask_create(
        deal=deal,
        requester=rep,
        team=presales_team,
        assignee=presales,
        ask_type=AskType.SOLUTION,
        title="配网终端方案 v2",
        deliverable="Solution document",
        details="120 substations",
        purpose="Review board",
        audience=Audience.CUSTOMER_EXECUTIVE,
        proposed_due_at=timezone.now() + dt.timedelta(hours=1),
    )
    ask = services.ask_agree(ask=ask, actor=presales)
    # The deadline passed 30 hours ago: past the breach and the first escalation (one
    # 24-hour working day later), not yet the second.
    Ask.objects.filter(pk=ask.pk).update(
        agreed_due_at=timezone.now() - dt.timedelta(hours=30),
        ladder_started_at=timezone.now() - dt.timedelta(days=3),
    )
    NudgeTimer.objects.filter(ask=ask).update(
        ladder_step=1, next_nudge_at=timezone.now() - dt.timedelta(hours=30)
    )
    report = sweep.sweep(hand_over=None)
    assert report.nudges == 2
    return {"ask": Ask.objects.get(pk=ask.pk), "rep": rep, "presales": presales, "lead": lead}


def test_a_nudge_reaches_the_bell_and_reading_it_updates_the_bell_in_place(
    page, live_server, overdue, shoot
):
    sign_in(page, live_server, "yangfan")
    bell = page.locator("#notification-badge")
    expect(bell.locator(".badge")).to_have_text("1 unread")
    bell.click()
    expect(page.locator("h1")).to_have_text("Notifications")
    row = page.locator(".notice").first
    expect(row).to_contain_text("Overdue: “配网终端方案 v2”")
    expect(row).to_contain_text("Deliver, or propose a new one.")
    shoot("notifications-en")
    page.evaluate("window.__marker = 'no reload'")
    row.get_by_role("button", name="Mark read").click()
    expect(page.locator("#notification-badge .badge")).to_have_count(0)
    expect(row.get_by_role("button", name="Mark read")).to_have_count(0)
    assert page.evaluate("window.__marker") == "no reload"


def test_the_lead_sees_the_ladder_and_snoozes_escalation_from_the_ask_page(
    page, live_server, overdue, shoot
):
    ask = overdue["ask"]
    sign_in(page, live_server, "zhoutao")
    expect(page.locator("#notification-badge .badge")).to_have_text("1 unread")
    page.goto(f"{live_server.url}/asks/{ask.pk}/")
    panel = page.locator("section[aria-labelledby=h-escalation]")
    expect(panel).to_contain_text("level 2")
    expect(panel.locator(".ladder li")).to_have_count(4)
    expect(page.locator(".timeline")).to_contain_text("escalated")
    # Opening the ask read the escalation about it.
    expect(page.locator("#notification-badge .badge")).to_have_count(0)
    panel.get_by_text("Snooze escalation").click()
    until = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    panel.get_by_label("Hold escalation until").fill(until)
    panel.get_by_label("Why wait?").fill("客户方项目经理休假到周四")
    panel.get_by_role("button", name="Snooze").click()
    expect(page.get_by_text("Escalation snoozed: no nudges go out until then.")).to_be_visible()
    expect(page.locator("section[aria-labelledby=h-escalation]")).to_contain_text(
        "Escalation snoozed until"
    )
    expect(page.locator(".timeline")).to_contain_text("客户方项目经理休假到周四")
    shoot("ask-escalation-en")
    assert Ask.objects.get(pk=ask.pk).snoozed_until is not None


def test_the_rep_reads_the_copy_in_chinese(page, live_server, overdue, shoot):
    sign_in(page, live_server, "wanglei", english=False)
    page.locator("#notification-badge").click()
    expect(page.locator("h1")).to_have_text("通知")
    expect(page.locator(".notice").first).to_contain_text("逾期：“配网终端方案 v2”（抄送）")
    shoot("notifications-zh")
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
