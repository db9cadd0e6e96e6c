"""A person signs in, sees their work in Chinese, switches to English, opens a deal."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import AskStatus
from tests.factories import AskFactory, DealFactory, StakeholderFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rep_with_work(transactional_db):
    sales = TeamFactory(name="华东大客户部", function="sales")
    presales_team = TeamFactory(name="售前技术部", function="presales")
    rep = UserFactory(username="wanglei", first_name="王磊", team=sales)
    engineer = UserFactory(username="chenjing", first_name="陈静", team=presales_team)
    deal = DealFactory(
        owner=rep,
        customer="苏州恒力精密机械有限公司",
        title="二期产线 MES 升级",
        amount="3200000",
        reference_customer=True,
    )
    StakeholderFactory(deal=deal, user=engineer, role="presales")
    AskFactory(
        deal=deal,
        requester=rep,
        assignee=engineer,
        team=presales_team,
        title="技术方案 v1",
        status=AskStatus.IN_PROGRESS,
        agreed_due_at=timezone.now() - dt.timedelta(days=1, hours=2),
    )
    return rep


def test_sign_in_read_my_work_in_both_languages_and_open_a_deal(page, live_server, rep_with_work):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login/?next=/")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录 DealDesk")

    page.get_by_label("用户名").fill("wanglei")
    page.get_by_label("密码").fill("correct-horse-battery")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作")
    expect(page.get_by_text("技术方案 v1")).to_be_visible()
    expect(page.get_by_text("已逾期 1天2小时")).to_be_visible()
    expect(page.get_by_text("¥320万")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.get_by_text("¥3,200,000")).to_be_visible()

    page.get_by_role("link", name="苏州恒力精密机械有限公司", exact=True).click()
    expect(page.get_by_role("heading", name="Deal team")).to_be_visible()
    expect(page.get_by_text("Reference customer")).to_be_visible()

    # The saved choice outlives the session: sign out, sign in, still English.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username").fill("wanglei")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")


def test_pages_fit_a_phone_without_sideways_scrolling(page, live_server, rep_with_work):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("wanglei")
    page.get_by_label("密码").fill("correct-horse-battery")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工作")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
