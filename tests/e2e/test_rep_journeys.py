"""The rep's two journeys in real Chromium, and a smoke run in Chinese."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import Ask, Thank
from tests.e2e.kit import PASSWORD, sign_in
from tests.factories import TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def company(transactional_db):
    sales = TeamFactory(name="华东大客户部", function="sales")
    presales_team = TeamFactory(name="售前技术部", function="presales")
    legal_team = TeamFactory(name="法务部", function="legal")
    boss = UserFactory(username="lijianhua", first_name="李建华", team=sales)
    return {
        "rep": UserFactory(username="wanglei", first_name="王磊", team=sales, manager=boss),
        "presales": UserFactory(username="yangfan", first_name="杨帆", team=presales_team),
        "legal": UserFactory(username="songjia", first_name="宋佳", team=legal_team),
        "boss": boss,
    }


def local_input(days: int, hour: int = 17) -> str:
    when = timezone.localtime() + dt.timedelta(days=days)
    return when.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def test_a_rep_creates_a_deal_builds_its_team_and_logs_a_coached_ask(
    page, live_server, company, shoot
):
    sign_in(page, live_server, "wanglei")
    page.get_by_role("link", name="Deals", exact=True).click()
    expect(page.get_by_text("No deals yet")).to_be_visible()
    page.get_by_role("link", name="New deal").click()
    page.get_by_label("Customer", exact=True).fill("常州天合储能科技有限公司")
    page.get_by_label("Title", exact=True).fill("储能工厂 PACK 线自动化")
    page.get_by_label("Amount", exact=True).fill("8600000")
    page.locator("#id_why_it_matters").fill("储能行业第一个样板客户，二期已立项")
    page.get_by_label("Reference customer", exact=True).check()
    shoot("deal-form")
    page.get_by_role("button", name="Create deal").click()
    expect(page.locator("h1")).to_have_text("常州天合储能科技有限公司")
    expect(page.get_by_text("Deal created.")).to_be_visible()

    for role, person in (("Legal", "宋佳"), ("Presales", "杨帆")):
        page.locator("#id_role").select_option(label=role)
        page.locator("#people-search").fill(person)
        expect(page.locator("#id_user option", has_text=person)).to_have_count(1)
        page.locator("#id_user").select_option(
            label=f"{person} · " + ("法务部" if role == "Legal" else "售前技术部")
        )
        page.get_by_role("button", name="Add to the team").click()
        expect(page.locator("#deal-team .people__row", has_text=person)).to_be_visible()
    expect(page.locator("#deal-team .people__row")).to_have_count(2)
    shoot("deal-page")

    page.get_by_role("link", name="New ask").click()
    page.get_by_role("link", name="Solution document").click()
    expect(page.locator("#id_assignee")).to_have_value(str(company["presales"].pk))
    page.get_by_label("Title", exact=True).fill("储能 PACK 线技术方案 v1")
    page.get_by_label("Deliverable", exact=True).fill("方案")
    expect(page.locator("#coach")).to_contain_text("Thin brief")
    expect(page.locator("#coach")).to_contain_text("Say exactly what you need delivered")
    shoot("ask-form-thin")

    page.get_by_label("Deliverable", exact=True).fill(
        "技术方案 v1（Word）：系统架构图、设备清单、节拍测算"
    )
    page.get_by_label("Key details", exact=True).fill(
        "两条 PACK 线，节拍 90 秒/包；兼容现有 MES；电芯 280Ah，共 4 种模组"
    )
    page.get_by_label("Why it matters to the deal", exact=True).fill(
        "下周三客户技术评审，决定是否进入短名单"
    )
    page.get_by_label("Customer's executives", exact=True).check()
    page.get_by_label("Proposed deadline", exact=True).fill(local_input(3))
    expect(page.locator("#coach")).to_contain_text("Strong brief")
    page.get_by_role("button", name="Send the ask").click()

    expect(page.get_by_text("Ask sent to 杨帆")).to_be_visible()
    ask = Ask.objects.get()
    page.get_by_role("link", name="常州天合储能科技有限公司").click()
    row = page.locator(".ask-list li", has_text="储能 PACK 线技术方案 v1")
    expect(row).to_contain_text("Proposed")
    expect(row).to_contain_text(timezone.localtime(ask.proposed_due_at).strftime("%m-%d 17:00"))
    shoot("deal-page-with-ask")


def test_counter_accept_deliver_confirm_and_thank_each_update_in_place(
    page, live_server, company, shoot
):
    from deals import services
    from stakeholders.services import deal_add_stakeholder

    rep, presales = company["rep"], company["presales"]
    deal = services.deal_create(
        owner=rep, customer="上海临港远航汽车", title="焊装 MES 二期", amount=12_800_000
    )
    deal_add_stakeholder(deal=deal, user=presales, role="presales", actor=rep)
    ask = services.ask_create(
        deal=deal,
        requester=rep,
        assignee=presales,
        ask_type="bid_document",
        title="标书技术部分",
        deliverable="标书技术部分（第 3–5 章）",
        details="按招标文件第 4 章 32 个评分项逐条响应",
        purpose="开标在下周五，技术分占 60%",
        audience="customer_executive",
        proposed_due_at=timezone.now() + dt.timedelta(days=2),
    )
    url = f"{live_server.url}/asks/{ask.pk}/"

    sign_in(page, live_server, "yangfan")
    page.goto(url)
    page.get_by_text("Propose another deadline").click()
    page.locator("#id_counter_due_at").fill(local_input(4))
    page.locator("#id_counter_note").fill("本周还有两个标")
    page.get_by_role("button", name="Propose", exact=True).click()
    expect(page.locator(".status-line")).to_contain_text("Counter-proposed")
    expect(page.get_by_text("New deadline proposed;")).to_be_visible()

    sign_in(page, live_server, "wanglei")
    page.goto(url)
    page.get_by_role("button", name="Accept the new deadline").click()
    expect(page.locator(".status-line")).to_contain_text("Agreed")
    expect(page.locator(".status-line")).to_be_focused()

    sign_in(page, live_server, "yangfan")
    page.goto(url)
    page.get_by_role("button", name="Start work").click()
    expect(page.locator(".status-line")).to_contain_text("In progress")
    page.locator("summary", has_text="Deliver").click()
    page.locator("#id_deliver_note").fill("标书技术部分已上传，评分项对照表在附录")
    page.locator("#id_deliver_link").fill("https://pan.example.com/bid-v1")
    page.get_by_role("button", name="Deliver", exact=True).click()
    expect(page.locator(".status-line")).to_contain_text("Delivered")

    sign_in(page, live_server, "wanglei")
    page.goto(url)
    page.get_by_role("button", name="Confirm done").click()
    expect(page.locator(".status-line")).to_contain_text("Done")
    page.locator("#id_thank_note").fill("技术分第一，谢谢杨帆！")
    page.get_by_role("button", name="Say thank you").click()
    expect(page.locator(".thanks")).to_contain_text("技术分第一，谢谢杨帆！")
    timeline = page.locator(".timeline")
    for step in (
        "logged the ask",
        "proposed another deadline",
        "accepted the new deadline",
        "started work",
        "delivered",
        "confirmed it is done",
        "said thank you",
    ):
        expect(timeline).to_contain_text(step)
    shoot("ask-page-done")

    page.get_by_role("link", name="杨帆").first.click()
    expect(page.locator("h1")).to_have_text("杨帆")
    expect(page.locator(".thanks-list")).to_contain_text("技术分第一，谢谢杨帆！")
    shoot("profile")
    assert Thank.objects.filter(thanked=presales).count() == 1


def test_smoke_in_chinese(page, live_server, company, shoot):
    sign_in(page, live_server, "wanglei", english=False)
    page.get_by_role("link", name="商机", exact=True).click()
    page.get_by_role("link", name="新建商机").click()
    page.get_by_label("客户", exact=True).fill("苏州恒力精密机械有限公司")
    page.get_by_label("标题", exact=True).fill("二期产线 MES 升级")
    page.get_by_label("金额", exact=True).fill("3200000")
    page.get_by_role("button", name="创建商机").click()
    expect(page.get_by_text("¥320万")).to_be_visible()
    page.get_by_role("link", name="新建请求").click()
    page.get_by_role("link", name="标书").click()
    expect(page.locator("#coach")).to_be_visible()
    shoot("zh-ask-form")


def test_the_ask_page_works_with_javascript_switched_off(browser, live_server, company, shoot):
    from deals import services

    rep, presales = company["rep"], company["presales"]
    deal = services.deal_create(
        owner=rep, customer="无锡锡能电池", title="模组线改造", amount=2_100_000
    )
    ask = services.ask_create(
        deal=deal,
        requester=rep,
        assignee=presales,
        ask_type="quote",
        title="技术报价",
        deliverable="技术报价单（Excel）：设备清单与单价",
        details="两条模组线，共 36 台伺服，含三年维保",
        purpose="客户周五比价，决定是否进入二轮",
        audience="customer_working",
        proposed_due_at=timezone.now() + dt.timedelta(days=2),
    )
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("yangfan")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("button.button-primary").click()
    page.goto(f"{live_server.url}/asks/{ask.pk}/")
    page.get_by_role("button", name="Agree to").click()
    expect(page.get_by_text("Deadline agreed.")).to_be_visible()
    expect(page.locator(".status-line")).to_contain_text("Agreed")
    page.locator("summary", has_text="Deliver").click()
    page.locator("#id_deliver_note").fill("")
    page.get_by_role("button", name="Deliver", exact=True).click()
    expect(page.locator("#id_deliver_note_error")).to_be_visible()
    page.locator("#id_deliver_note").fill("报价单已发邮件")
    page.get_by_role("button", name="Deliver", exact=True).click()
    expect(page.locator(".status-line")).to_contain_text("Delivered")
    context.close()
