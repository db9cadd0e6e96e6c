"""The weekly manager digest: Monday 09:00 in each manager's own time zone, once per
week, in their language, with what is stalled below them, the thanks their people
received, last week's deal updates and the deals that had none."""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse

from deals import digest, services, tasks, updates
from deals.manager_models import DigestSent
from deals.models import AskType, Audience, Thank
from deals.notify import absolute_url
from tests.factories import AskFactory, DealFactory, UserFactory

from .kit import at

pytestmark = pytest.mark.django_db

# Monday 2026-11-30; the digest covers the week of Monday 2026-11-23.
MONDAY_0910 = at(2026, 11, 30, 9, 10)


class BrokenMailer(BaseEmailBackend):
    """A mail server that drops every connection."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def week(org):
    """Last week below ``director``: an ask ``rep`` made that is now overdue, a thank-you
    ``rep`` received, an update on the main deal and an open deal with none."""
    org["rep_manager"].email = "director@example.com"
    org["rep_manager"].save()
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        ask = services.ask_create(
            deal=org["deal"],
            requester=org["rep"],
            team=org["team"],
            assignee=org["presales"],
            ask_type=AskType.SOLUTION,
            title="配网终端方案 v2",
            deliverable="Solution document",
            details="120 substations",
            purpose="Review board",
            audience=Audience.CUSTOMER_EXECUTIVE,
            proposed_due_at=at(2026, 11, 25, 15, 0),
        )
        services.ask_agree(ask=ask, actor=org["presales"])
        update = updates.update_write(
            deal=org["deal"],
            author=org["rep"],
            facts="客户技术部确认 120 个站点的范围",
            plan="周五前提交方案 v2",
            help_needed="请您出面约客户副总",
        )
        missing = DealFactory(owner=org["rep"], customer="南京地铁集团", title="四号线信号系统")
    helped = AskFactory(
        deal=org["deal"], requester=org["presales"], assignee=org["rep"], title="客户走访安排"
    )
    thank = Thank.objects.create(
        ask=helped,
        thanked_by=org["presales"],
        thanked=org["rep"],
        note="多谢协调客户时间",
        created_at=at(2026, 11, 27, 16, 0),
    )
    return {**org, "ask": ask, "update": update, "missing": missing, "thank": thank}


def run(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return digest.send_digests()


def speaks(user, language: str) -> None:
    user.profile.language = language
    user.profile.save()


class TestWhen:
    def test_a_shanghai_manager_gets_it_on_monday_at_nine_and_not_before(self, week):
        assert run(at(2026, 11, 30, 8, 50)) == 0
        assert mail.outbox == []
        assert run(MONDAY_0910) == 1
        assert [m.to for m in mail.outbox] == [["director@example.com"]]
        assert DigestSent.objects.get().week == dt.date(2026, 11, 30)

    def test_not_on_a_tuesday(self, week):
        assert run(at(2026, 12, 1, 9, 10)) == 0
        assert run(at(2026, 11, 30, 10, 0)) == 0
        assert mail.outbox == []
        assert not DigestSent.objects.exists()

    def test_a_berlin_manager_gets_theirs_at_nine_berlin_time(self, week, sales_team):
        boss = UserFactory(username="berlin_boss", first_name="Anna", email="anna@example.com")
        boss.profile.time_zone = "Europe/Berlin"
        boss.profile.save()
        UserFactory(username="berlin_rep", team=sales_team, manager=boss)
        # 09:10 in Shanghai is 02:10 in Berlin.
        assert run(MONDAY_0910) == 1
        assert [m.to for m in mail.outbox] == [["director@example.com"]]
        # 09:05 in Berlin (CET) is 16:05 in Shanghai.
        assert run(at(2026, 11, 30, 16, 5)) == 1
        assert [m.to for m in mail.outbox][-1] == ["anna@example.com"]
        assert run(at(2026, 11, 30, 17, 5)) == 0  # 10:05 in Berlin

    def test_a_second_run_in_the_same_hour_sends_nothing(self, week):
        assert run(MONDAY_0910) == 1
        assert run(at(2026, 11, 30, 9, 25)) == 0
        assert run(at(2026, 11, 30, 9, 55)) == 0
        assert len(mail.outbox) == 1
        assert DigestSent.objects.count() == 1

    def test_next_monday_brings_the_next_digest(self, week):
        assert run(MONDAY_0910) == 1
        assert run(at(2026, 12, 7, 9, 0)) == 1
        assert DigestSent.objects.count() == 2

    def test_a_manager_without_an_email_address_is_skipped(self, week):
        week["rep_manager"].email = ""
        week["rep_manager"].save()
        assert run(MONDAY_0910) == 0
        assert not DigestSent.objects.exists()

    def test_a_failed_send_leaves_no_record_so_the_next_tick_retries(self, week, settings):
        settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenMailer"}}
        assert run(MONDAY_0910) == 0
        assert not DigestSent.objects.exists()
        settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
        assert run(at(2026, 11, 30, 9, 25)) == 1
        assert len(mail.outbox) == 1
        assert DigestSent.objects.count() == 1


class TestWhatItSays:
    def test_it_has_a_stalled_ask_a_thanks_an_update_and_a_missing_update(self, week):
        speaks(week["rep_manager"], "en")
        run(MONDAY_0910)
        (message,) = mail.outbox
        assert message.subject == "DealDesk weekly: 1 stalled, 1 thanks, 1 update"
        html = message.alternatives[0][0]
        for body in (message.body, html):
            # Stalled below you: the reason, the ask, its deal, the people and the link.
            assert "Stalled below you" in body
            assert "overdue 2d 3h" in body
            assert "配网终端方案 v2" in body and "国网江苏电力" in body
            assert "陈静" in body and "王磊" in body
            assert absolute_url(reverse("ask_detail", args=[week["ask"].pk])) in body
            # Thanks your people received.
            assert "陈静 thanked 王磊 for “客户走访安排”" in body
            assert "多谢协调客户时间" in body
            # Deal updates: author, deal, the three parts, a link to the week.
            assert "客户技术部确认 120 个站点的范围" in body
            assert "周五前提交方案 v2" in body and "请您出面约客户副总" in body
            assert f"?week=2026-11-23#update-{week['update'].pk}" in body
            # Missing updates: the deal and its owner.
            assert "南京地铁集团 · 四号线信号系统" in body
        assert message.extra_headers["Message-ID"].startswith(
            f"<dealdesk-digest-{week['rep_manager'].pk}-20261123@"
        )

    def test_it_is_in_chinese_for_a_chinese_manager_and_english_for_an_english_one(
        self, week, sales_team
    ):
        speaks(week["rep_manager"], "zh-hans")
        boss = UserFactory(username="boss_en", first_name="Grace", email="grace@example.com")
        speaks(boss, "en")
        rep = UserFactory(username="rep_en", first_name="Tom", team=sales_team, manager=boss)
        with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
            DealFactory(owner=rep, customer="无锡先导智能", title="产线改造")
        assert run(MONDAY_0910) == 2
        by_to = {m.to[0]: m for m in mail.outbox}
        chinese = by_to["director@example.com"]
        assert "已逾期" in chinese.body and "overdue" not in chinese.body
        assert "¥120万" in chinese.body
        assert '<html lang="zh-hans">' in chinese.alternatives[0][0]
        english = by_to["grace@example.com"]
        assert "Missing updates" in english.body and "无锡先导智能" in english.body
        assert english.subject.startswith("DealDesk weekly:")
        assert '<html lang="en">' in english.alternatives[0][0]

    def test_empty_sections_say_so(self, sales_team):
        boss = UserFactory(username="quiet_boss", email="quiet@example.com")
        speaks(boss, "en")
        UserFactory(username="quiet_rep", team=sales_team, manager=boss)
        assert run(MONDAY_0910) == 1
        body = mail.outbox[0].body
        assert mail.outbox[0].subject == "DealDesk weekly: 0 stalled, 0 thanks, 0 updates"
        assert "Nothing is stalled below you." in body
        assert "Nobody below you was thanked this past week." in body
        assert "Your people wrote no deal updates that week." in body
        assert "Every open deal below you had its update." in body

    def test_thanks_older_than_a_week_and_other_managers_people_are_left_out(self, week, other_rep):
        speaks(week["rep_manager"], "en")
        Thank.objects.filter(pk=week["thank"].pk).update(created_at=at(2026, 11, 20, 16, 0))
        DealFactory(owner=other_rep, customer="别人的客户")
        run(MONDAY_0910)
        body = mail.outbox[0].body
        assert "客户走访安排" not in body
        assert "别人的客户" not in body


class TestSchedule:
    def test_beat_runs_the_task_every_quarter_hour(self):
        entry = django_settings.CELERY_BEAT_SCHEDULE["send-manager-digests"]
        assert entry["task"] == tasks.send_manager_digests.name
        assert entry["schedule"] == 15 * 60

    def test_the_task_sends_the_due_digests(self, week):
        with time_machine.travel(MONDAY_0910, tick=False):
            assert tasks.send_manager_digests.apply().get() == 1
        assert len(mail.outbox) == 1
