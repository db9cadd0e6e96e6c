"""A presales engineer's morning in real Chromium: the header badge leads to the queue,
the overdue ask on the big deal for the customer's executives sits on top and says why;
agreeing a deadline and delivering happen inside the rows without a reload; the same
page in Chinese and at phone width; and the Agree button still works without JavaScript.
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import Ask, AskStatus, AskType, Audience
from tests.e2e.kit import EVERYDAY, sign_in
from tests.factories import AskFactory, DealFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(transactional_db):
    """杨帆's queue of six asks, timed from now on teams that work every hour of every day
    (so the result does not depend on when the test runs):

    - overdue by 30 hours on the ¥32,000,000 国网江苏电力 deal, for the customer's executives;
    - overdue by 2 hours on a small deal, for internal review (the one she delivers);
    - proposed for three days from now (the one she agrees);
    - three more, days away, on small deals.
    """
    sales = TeamFactory(name="华东大客户部", function="sales", **EVERYDAY)
    presales_team = TeamFactory(name="售前技术部", function="presales", **EVERYDAY)
    lead = UserFactory(username="zhoutao", first_name="周涛", team=presales_team)
    presales_team.lead = lead
    presales_team.save()
    rep = UserFactory(username="wanglei", first_name="王磊", team=sales)
    presales = UserFactory(username="yangfan", first_name="杨帆", team=presales_team, manager=lead)
    big = DealFactory(
        owner=rep, customer="国网江苏电力", title="配网自动化改造", amount=Decimal(32_000_000)
    )
    small = DealFactory(owner=rep, customer="苏州恒力精密", amount=Decimal(600_000))
    smaller = DealFactory(owner=rep, customer="无锡小微电子", amount=Decimal(150_000))
    now = timezone.now()

    def ask(title, deal, *, due, status=AskStatus.AGREED, audience=Audience.INTERNAL, **kw):
        agreed = status != AskStatus.PROPOSED
        return AskFactory(
            title=title,
            deal=deal,
            requester=rep,
            team=presales_team,
            assignee=presales,
            status=status,
            audience=audience,
            proposed_due_at=due,
            agreed_due_at=due if agreed else None,
            created_at=now - dt.timedelta(hours=1),
            responded_at=now - dt.timedelta(minutes=50) if agreed else None,
            **kw,
        )

    return {
        "presales": presales,
        "rep": rep,
        "overdue": ask(
            "配网终端方案 v2",
            big,
            due=now - dt.timedelta(hours=30),
            audience=Audience.CUSTOMER_EXECUTIVE,
        ),
        "deliver": ask(
            "夹具报价复核",
            small,
            due=now - dt.timedelta(hours=2),
            status=AskStatus.IN_PROGRESS,
            ask_type=AskType.QUOTE,
        ),
        "agree": ask(
            "二期产线演示",
            small,
            due=now + dt.timedelta(days=3),
            status=AskStatus.PROPOSED,
            ask_type=AskType.DEMO,
            audience=Audience.CUSTOMER_WORKING,
        ),
        "later": [
            ask("MES 接口说明", smaller, due=now + dt.timedelta(days=4)),
            ask(
                "投标技术参数表",
                smaller,
                due=now + dt.timedelta(days=6),
                status=AskStatus.PROPOSED,
                ask_type=AskType.BID_DOCUMENT,
            ),
            ask(
                "售后培训计划",
                smaller,
                due=now + dt.timedelta(days=5),
                status=AskStatus.IN_PROGRESS,
            ),
        ],
    }


def row(page, ask):
    return page.locator(f"#ask-row-{ask.pk}")


def test_the_presales_engineer_works_the_queue_without_leaving_the_page(
    page, live_server, queue, shoot
):
    sign_in(page, live_server, "yangfan")

    # 1. The badge says what is late; the queue puts the big overdue one first, and why.
    header_badge = page.locator("#queue-badge")
    expect(header_badge.locator(".qb-red")).to_have_text("2 overdue")
    header_badge.click()
    expect(page.locator("h1")).to_have_text("My queue")
    expect(page.locator("li.q-item")).to_have_count(6)
    top = page.locator("li.q-item").first
    expect(top.locator(".q-title")).to_have_text("配网终端方案 v2")
    expect(top.locator("[data-reason=urgency]")).to_have_text("overdue 1d 6h")
    expect(top.locator("[data-reason=urgency]")).to_have_class("chip chip-red")
    expect(top.locator("[data-reason=value]")).to_have_text("¥32,000,000 deal")
    expect(top.locator("[data-reason=audience]")).to_have_text("customer executives")
    expect(page.locator("#queue-counts")).to_contain_text("6 open")
    shoot("queue-en")

    # 2. Agree a deadline from its row: the row updates in place, no page load.
    page.evaluate("window.__marker = 1")
    agree_row = row(page, queue["agree"])
    expect(agree_row.locator(".status")).to_have_text("Proposed")
    agree_row.get_by_role("button", name="Agree").click()
    expect(agree_row.locator(".status")).to_have_text("Agreed")
    expect(page.locator("#queue-status")).to_have_text("Deadline agreed.")
    expect(agree_row.get_by_role("button", name="Agree")).to_have_count(0)
    assert page.evaluate("window.__marker") == 1
    assert Ask.objects.get(pk=queue["agree"].pk).status == AskStatus.AGREED

    # 3. Deliver another: the form opens in the row; an empty note is refused there.
    deliver_row = row(page, queue["deliver"])
    deliver_row.get_by_role("link", name="Deliver…").click()
    note = deliver_row.get_by_label("What you are delivering")
    expect(note).to_be_visible()
    deliver_row.get_by_role("button", name="Deliver", exact=True).click()
    expect(deliver_row.locator(".field-error")).to_have_text("This field is required.")
    shoot("queue-deliver-form")
    note = deliver_row.get_by_label("What you are delivering")
    note.fill("报价复核完成，毛利 18%，见附件")
    deliver_row.get_by_role("button", name="Deliver", exact=True).click()
    expect(deliver_row).to_contain_text("Delivered: it now waits for 王磊 to confirm.")
    expect(page.locator("#queue-counts")).to_contain_text("5 open")
    expect(page.locator("#queue-counts .qc-red")).to_have_text("1 overdue")
    expect(page.locator("#queue-badge .qb-red")).to_have_text("1 overdue")
    assert page.evaluate("window.__marker") == 1
    delivered = Ask.objects.get(pk=queue["deliver"].pk)
    assert (delivered.status, delivered.delivery_note) == (
        AskStatus.DELIVERED,
        "报价复核完成，毛利 18%，见附件",
    )


def test_the_queue_reads_in_chinese_and_fits_a_phone(page, live_server, queue, shoot):
    sign_in(page, live_server, "yangfan")
    page.locator("#queue-badge").click()
    expect(page.locator("h1")).to_have_text("My queue")

    # 4. The header's language button: the same queue, in Chinese.
    page.get_by_role("button", name="中文").click()
    expect(page.locator("h1")).to_have_text("我的队列")
    top = page.locator("li.q-item").first
    expect(top.locator(".q-title")).to_have_text("配网终端方案 v2")
    expect(top.locator("[data-reason=urgency]")).to_have_text(re.compile(r"^已逾期 1天"))
    expect(top.locator("[data-reason=value]")).to_have_text("¥3200万 商机")
    expect(top.locator("[data-reason=audience]")).to_have_text("客户高层")
    expect(page.locator("#queue-badge .qb-red")).to_have_text("2 项逾期")
    expect(row(page, queue["agree"]).get_by_role("button", name="同意")).to_be_visible()
    shoot("queue-zh")

    # 5. At phone width nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("h1")).to_have_text("我的队列")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390
    shoot("queue-phone")


def test_without_javascript_agree_is_a_plain_form_post(
    browser, browser_context_args, live_server, queue
):
    # 6. A browser with scripts off: the button submits the page's form, the page comes back.
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, "yangfan")
        page.goto(f"{live_server.url}/queue/")
        agree_row = row(page, queue["agree"])
        with page.expect_navigation():
            agree_row.get_by_role("button", name="Agree").click()
        expect(page.locator("h1")).to_have_text("My queue")
        expect(page.locator(".messages")).to_have_text("Deadline agreed.")
        expect(row(page, queue["agree"]).locator(".status")).to_have_text("Agreed")
        assert Ask.objects.get(pk=queue["agree"].pk).status == AskStatus.AGREED
    finally:
        context.close()
