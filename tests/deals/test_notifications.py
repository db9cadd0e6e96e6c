"""The notification centre, the header badge, nudge texts in each language, email
rendering, snoozing from the ask page and chat webhook settings."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from deals import notify, services, sweep
from deals.models import (
    Ask,
    AskType,
    Audience,
    Channel,
    ChatWebhook,
    Delivery,
    DeliveryStatus,
    Provider,
)
from tests.deals.kit import at, give_email

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_chat_robots(settings):
    """The fake chat robots these tests post to listen on 127.0.0.1."""
    settings.DEALDESK_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def org(org):
    give_email(org["lead"], org["presales"], org["vp"], org["rep"], org["rep_manager"])
    return org


def overdue_ask(org, *, steps_at=None) -> Ask:
    with time_machine.travel(at(2026, 11, 23, 10, 0), tick=False):
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
            proposed_due_at=at(2026, 11, 24, 15, 0),
        )
        ask = services.ask_agree(ask=ask, actor=org["presales"])
    for moment in steps_at or [at(2026, 11, 24, 15, 0)]:
        with time_machine.travel(moment, tick=False):
            sweep.sweep(hand_over=None)
    return ask


def in_app(user, **filters):
    return Delivery.objects.filter(recipient=user, channel=Channel.IN_APP, **filters)


class TestNotificationCentre:
    def test_the_badge_counts_unread_notifications_on_every_page(self, client, org):
        overdue_ask(org)
        client.force_login(org["rep"])
        for url in (reverse("home"), reverse("deal_list"), reverse("notifications")):
            page = client.get(url).content.decode()
            assert 'id="notification-badge"' in page
            assert '<span class="badge">1<' in page, url

    def test_the_badge_fragment_refreshes_by_itself(self, client, org):
        overdue_ask(org)
        client.force_login(org["presales"])
        fragment = client.get(reverse("notification_badge"), headers={"HX-Request": "true"})
        body = fragment.content.decode()
        assert body.strip().startswith('<a id="notification-badge"')
        assert 'hx-trigger="every 30s' in body
        assert '<span class="badge">1<' in body

    def test_the_list_words_each_nudge_for_its_reader_in_their_language(self, client, org):
        overdue_ask(org)
        client.force_login(org["rep"])
        page = client.get(reverse("notifications"), headers={"Accept-Language": "en"})
        text = page.content.decode()
        assert "Overdue: “配网终端方案 v2” (copy)" in text
        assert "missed the agreed deadline" in text
        org["rep"].profile.language = "zh-hans"
        org["rep"].profile.save()
        client.force_login(org["rep"])
        assert "逾期" in client.get(reverse("notifications")).content.decode()

    def test_marking_one_read_updates_the_row_and_the_badge_in_place(self, client, org):
        overdue_ask(org)
        note = in_app(org["rep"]).get()
        client.force_login(org["rep"])
        response = client.post(
            reverse("notification_read", args=[note.pk]), headers={"HX-Request": "true"}
        )
        body = response.content.decode()
        assert f'id="notification-{note.pk}"' in body
        assert 'hx-swap-oob="true"' in body and 'class="badge"' not in body
        note.refresh_from_db()
        assert note.read_at is not None

    def test_nobody_can_read_or_mark_another_persons_notifications(self, client, org, other_rep):
        overdue_ask(org)
        note = in_app(org["rep"]).get()
        client.force_login(other_rep)
        assert client.post(reverse("notification_read", args=[note.pk])).status_code == 404
        assert "配网终端方案" not in client.get(reverse("notifications")).content.decode()
        note.refresh_from_db()
        assert note.read_at is None

    def test_mark_read_refuses_a_post_without_csrf(self, org):
        overdue_ask(org)
        note = in_app(org["rep"]).get()
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(org["rep"])
        assert strict.post(reverse("notification_read", args=[note.pk])).status_code == 403

    def test_opening_the_ask_reads_its_notifications(self, client, org):
        ask = overdue_ask(org)
        client.force_login(org["presales"])
        client.get(reverse("ask_detail", args=[ask.pk]))
        assert not in_app(org["presales"], read_at__isnull=True).exists()

    def test_mark_all_read(self, client, org):
        overdue_ask(org, steps_at=(at(2026, 11, 24, 15, 0), at(2026, 11, 26, 15, 0)))
        client.force_login(org["rep"])
        client.post(reverse("notifications_read_all"))
        assert not in_app(org["rep"], read_at__isnull=True).exists()

    @pytest.mark.parametrize("count", [1, 30])
    def test_the_list_costs_the_same_queries_for_1_or_30_notifications(
        self, client, org, count, django_assert_max_num_queries
    ):
        moments = [at(2026, 11, 24, 15, 0)]
        overdue_ask(org, steps_at=moments)
        Delivery.objects.filter(recipient=org["rep"], channel=Channel.EMAIL).update(
            status=DeliveryStatus.FAILED, last_error="550 mailbox unavailable"
        )
        for i in range(count - 1):
            extra = overdue_ask(org, steps_at=[at(2026, 11, 24, 15, 0) + dt.timedelta(minutes=i)])
            assert extra
        client.force_login(org["rep"])
        with django_assert_max_num_queries(9):
            response = client.get(reverse("notifications"))
        assert response.status_code == 200

    def test_failed_deliveries_are_shown_to_the_person_and_to_admins(self, client, org, admin_user):
        overdue_ask(org)
        email = Delivery.objects.get(recipient=org["rep"], channel=Channel.EMAIL)
        Delivery.objects.filter(pk=email.pk).update(
            status=DeliveryStatus.FAILED, attempts=6, last_error="550 5.1.1 mailbox unavailable"
        )
        client.force_login(org["rep"])
        page = client.get(reverse("notifications"), headers={"Accept-Language": "en"})
        text = page.content.decode()
        assert "Delivery problems" in text and "550 5.1.1 mailbox unavailable" in text
        client.force_login(admin_user)
        text = client.get(reverse("notifications"), headers={"Accept-Language": "en"}).content
        assert b"1 delivery failed across DealDesk" in text


class TestNudgeTexts:
    def test_each_role_reads_its_own_sentence_in_english_and_chinese(self, org):
        overdue_ask(
            org,
            steps_at=(at(2026, 11, 24, 15, 0), at(2026, 11, 25, 15, 0), at(2026, 11, 26, 15, 0)),
        )
        expected = {
            ("breach", "assignee"): ("Overdue: “配网终端方案 v2”", "逾期：“配网终端方案 v2”"),
            ("breach", "requester"): ("(copy)", "（抄送）"),
            ("escalate", "assignee_manager"): ("Escalation:", "升级："),
            ("escalate", "requester_manager"): ("Escalation:", "升级："),
        }
        deliveries = Delivery.objects.filter(channel=Channel.IN_APP).select_related(
            "nudge__ask__deal", "nudge__ask__team", "nudge__ask__assignee", "nudge__ask__requester"
        )
        seen = set()
        later = at(2026, 11, 26, 16, 0)
        for delivery in deliveries:
            key = (delivery.nudge.kind, delivery.role)
            if key not in expected:
                continue
            english, chinese = expected[key]
            with translation.override("en"):
                assert english in notify.describe(delivery, zone="Asia/Shanghai", now=later).subject
            with translation.override("zh-hans"):
                assert chinese in notify.describe(delivery, zone="Asia/Shanghai", now=later).subject
            seen.add(key)
        assert seen == set(expected)

    def test_the_last_rung_suggests_convening_the_people_involved(self, org):
        overdue_ask(org, steps_at=(at(2026, 11, 26, 15, 0),))
        top = Delivery.objects.get(
            channel=Channel.IN_APP, nudge__step_code="escalate-deal", role="requester_manager"
        )
        with translation.override("en"):
            text = notify.describe(top, zone="Asia/Shanghai")
        assert text.convene
        assert any("convening" in line for line in text.lines)


class TestEmail:
    def test_email_goes_out_in_the_recipients_language_with_text_html_and_link(self, org):
        org["presales"].profile.language = "en"
        org["presales"].profile.save()
        overdue_ask(org)
        ids = list(Delivery.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True))
        with time_machine.travel(at(2026, 11, 24, 15, 1), tick=False):
            assert notify.send_deliveries(ids) == 2
        by_to = {m.to[0]: m for m in mail.outbox}
        english = by_to["presales_a@example.com"]
        assert english.subject == "Overdue: “配网终端方案 v2”"
        assert "/asks/" in english.body
        html, mimetype = english.alternatives[0]
        assert mimetype == "text/html" and "Open the ask" in html
        assert english.extra_headers["Message-ID"].startswith("<dealdesk-delivery-")
        chinese = by_to["rep_a@example.com"]
        assert "逾期" in chinese.subject
        assert set(Delivery.objects.filter(pk__in=ids).values_list("status", "attempts")) == {
            (DeliveryStatus.SENT, 1)
        }

    def test_a_sent_delivery_is_never_sent_again(self, org):
        overdue_ask(org)
        ids = list(Delivery.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True))
        with time_machine.travel(at(2026, 11, 24, 15, 1), tick=False):
            notify.send_deliveries(ids)
            assert notify.send_deliveries(ids) == 0
        assert len(mail.outbox) == 2

    def test_no_email_for_someone_who_switched_it_off(self, org):
        org["rep"].profile.email_notifications = False
        org["rep"].profile.save()
        overdue_ask(org)
        assert not Delivery.objects.filter(recipient=org["rep"], channel=Channel.EMAIL).exists()
        assert in_app(org["rep"]).exists()

    def test_a_message_held_for_working_hours_is_dropped_once_the_ask_is_delivered(self, org):
        profile = org["rep"].profile
        profile.time_zone = "Europe/Berlin"  # 15:00 in Shanghai is 08:00 there
        profile.save()
        ask = overdue_ask(org)
        held = Delivery.objects.get(recipient=org["rep"], channel=Channel.EMAIL)
        assert held.next_attempt_at > at(2026, 11, 24, 15, 0)
        with time_machine.travel(at(2026, 11, 24, 15, 30), tick=False):
            services.ask_deliver(ask=ask, actor=org["presales"], note="Attached")
        with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):
            notify.send_deliveries([held.pk])
        held.refresh_from_db()
        assert held.status == DeliveryStatus.DROPPED
        assert mail.outbox == []

    def test_the_html_email_declares_the_recipients_language(self, org):
        org["presales"].profile.language = "en"
        org["presales"].profile.save()
        overdue_ask(org)
        ids = list(Delivery.objects.filter(channel=Channel.EMAIL).values_list("pk", flat=True))
        with time_machine.travel(at(2026, 11, 24, 15, 1), tick=False):
            notify.send_deliveries(ids)
        html = {m.to[0]: m.alternatives[0][0] for m in mail.outbox}
        assert '<html lang="en">' in html["presales_a@example.com"]
        assert '<html lang="zh-hans">' in html["rep_a@example.com"]


class TestSnoozeFromTheAskPage:
    def test_the_team_lead_snoozes_and_the_ask_page_says_so(self, client, org):
        ask = overdue_ask(org)
        client.force_login(org["lead"])
        with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):
            page = client.get(
                reverse("ask_detail", args=[ask.pk]), headers={"Accept-Language": "en"}
            )
            assert "Snooze escalation" in page.content.decode()
            response = client.post(
                reverse("ask_act", args=[ask.pk, "snooze"]),
                {"until": "2026-11-26T10:00", "reason": "Customer on leave"},
            )
        assert response.status_code == 302
        ask.refresh_from_db()
        assert ask.snoozed_until == at(2026, 11, 26, 10, 0)
        assert ask.next_nudge_at == at(2026, 11, 26, 10, 0)

    def test_the_lead_lifts_a_snooze_by_leaving_the_time_empty(self, client, org):
        ask = overdue_ask(org)
        client.force_login(org["lead"])
        with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):
            client.post(
                reverse("ask_act", args=[ask.pk, "snooze"]),
                {"until": "2026-11-26T10:00", "reason": "Customer on leave"},
            )
            client.post(
                reverse("ask_act", args=[ask.pk, "snooze"]),
                {"until": "", "reason": "Customer is back"},
            )
        ask.refresh_from_db()
        assert ask.snoozed_until is None
        # The next step is due again on its own time: one working day after the breach.
        assert ask.next_nudge_at == at(2026, 11, 25, 15, 0)

    def test_a_snooze_without_a_reason_changes_nothing(self, client, org):
        ask = overdue_ask(org)
        client.force_login(org["lead"])
        with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):
            response = client.post(
                reverse("ask_act", args=[ask.pk, "snooze"]), {"until": "2026-11-26T10:00"}
            )
        assert response.status_code == 422
        assert Ask.objects.get(pk=ask.pk).snoozed_until is None

    def test_the_rep_cannot_snooze_their_own_ask(self, client, org):
        ask = overdue_ask(org)
        client.force_login(org["rep"])
        with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):
            page = client.get(
                reverse("ask_detail", args=[ask.pk]), headers={"Accept-Language": "en"}
            )
            assert "Snooze escalation" not in page.content.decode()
            client.post(
                reverse("ask_act", args=[ask.pk, "snooze"]),
                {"until": "2026-11-26T10:00", "reason": "I'd rather not be chased"},
            )
        assert Ask.objects.get(pk=ask.pk).snoozed_until is None

    def test_the_timeline_shows_who_each_nudge_reached(self, client, org):
        ask = overdue_ask(org)
        client.force_login(org["rep"])
        text = client.get(
            reverse("ask_detail", args=[ask.pk]), headers={"Accept-Language": "en"}
        ).content.decode()
        assert "nudged about the missed deadline" in text
        # Swept with no Celery hand-over, so the email is still waiting to be sent.
        assert "(assignee): in DealDesk, Email waiting" in text


@pytest.fixture
def chat_server():
    """A local chat robot that answers DingTalk-style and records what it got."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/robot/send?access_token=t0k3n", received
    server.shutdown()


class TestChatWebhooks:
    def test_a_webhook_with_the_wrong_host_is_refused_with_a_clear_message(self, client, org):
        client.force_login(org["rep"])
        response = client.post(
            reverse("chat_webhooks"),
            {"provider": Provider.DINGTALK, "url": "https://example.com/robot/send"},
            headers={"Accept-Language": "en"},
        )
        assert response.status_code == 422
        assert "starts with https://oapi.dingtalk.com/" in response.content.decode()
        assert not ChatWebhook.objects.exists()

    def test_an_address_inside_the_network_is_refused_on_a_server(self, client, org, settings):
        settings.DEALDESK_WEBHOOK_ALLOW_PRIVATE = False
        client.force_login(org["rep"])
        for url in ("https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook"):
            response = client.post(
                reverse("chat_webhooks"),
                {"provider": Provider.GENERIC, "url": url},
                headers={"Accept-Language": "en"},
            )
            assert response.status_code == 422
            assert "private network" in response.content.decode()
        assert not ChatWebhook.objects.exists()

    def test_a_person_adds_a_dingtalk_webhook(self, client, org):
        client.force_login(org["rep"])
        response = client.post(
            reverse("chat_webhooks"),
            {
                "provider": Provider.DINGTALK,
                "url": "https://oapi.dingtalk.com/robot/send?access_token=abc",
                "secret": "SECabc",
                "label": "销售群",
            },
        )
        assert response.status_code == 302
        hook = ChatWebhook.objects.get()
        assert (hook.user, hook.team, hook.secret) == (org["rep"], None, "SECabc")

    def test_only_the_team_lead_can_add_a_team_webhook(self, client, org):
        client.force_login(org["presales"])
        client.post(
            reverse("chat_webhooks"),
            {
                "provider": Provider.SLACK,
                "url": "https://hooks.slack.com/services/T/B/x",
                "team": org["team"].pk,
            },
        )
        assert not ChatWebhook.objects.filter(team=org["team"]).exists()
        client.force_login(org["lead"])
        client.post(
            reverse("chat_webhooks"),
            {
                "provider": Provider.SLACK,
                "url": "https://hooks.slack.com/services/T/B/x",
                "team": org["team"].pk,
            },
        )
        assert ChatWebhook.objects.filter(team=org["team"]).exists()

    def test_the_test_button_posts_to_the_robot(self, client, org, chat_server):
        url, received = chat_server
        hook = ChatWebhook.objects.create(user=org["rep"], provider=Provider.DINGTALK, url=url)
        client.force_login(org["rep"])
        response = client.post(
            reverse("chat_webhook_act", args=[hook.pk, "test"]),
            follow=True,
            headers={"Accept-Language": "en"},
        )
        assert "Test message sent." in response.content.decode()
        assert len(received) == 1 and "DealDesk" in received[0].decode()

    def test_nobody_can_touch_another_persons_webhook(self, client, org, other_rep):
        hook = ChatWebhook.objects.create(
            user=org["rep"], provider=Provider.SLACK, url="https://hooks.slack.com/services/x"
        )
        client.force_login(other_rep)
        for action in ("delete", "disable", "test"):
            response = client.post(reverse("chat_webhook_act", args=[hook.pk, action]))
            assert response.status_code == 404
        assert ChatWebhook.objects.get(pk=hook.pk).enabled

    def test_a_team_webhook_receives_the_teams_nudges(self, org, chat_server):
        url, received = chat_server
        ChatWebhook.objects.create(team=org["team"], provider=Provider.DINGTALK, url=url)
        overdue_ask(org)
        ids = list(Delivery.objects.filter(channel=Channel.WEBHOOK).values_list("pk", flat=True))
        assert len(ids) == 1
        with time_machine.travel(at(2026, 11, 24, 15, 1), tick=False):
            notify.send_deliveries(ids)
        assert len(received) == 1 and "配网终端方案 v2" in received[0].decode()
        assert Delivery.objects.get(pk=ids[0]).status == DeliveryStatus.SENT


@pytest.mark.parametrize("sweeps", [1, 4])
def test_the_ask_page_costs_the_same_queries_however_many_nudges_it_has(
    client, org, sweeps, django_assert_max_num_queries
):
    moments = [at(2026, 11, 24, 15, 0) + dt.timedelta(days=d) for d in range(sweeps)]
    ask = overdue_ask(org, steps_at=moments)
    client.force_login(org["rep"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("ask_detail", args=[ask.pk]))
    assert response.status_code == 200


def test_admin_retries_failed_deliveries_but_never_one_being_sent(admin_client, org):
    overdue_ask(org)
    failed, sending = Delivery.objects.filter(channel=Channel.EMAIL).order_by("pk")
    Delivery.objects.filter(pk=failed.pk).update(status=DeliveryStatus.FAILED, attempts=6)
    Delivery.objects.filter(pk=sending.pk).update(status=DeliveryStatus.SENDING, attempts=1)
    admin_client.post(
        reverse("admin:deals_delivery_changelist"),
        {"action": "retry_now", "_selected_action": [failed.pk, sending.pk]},
    )
    failed.refresh_from_db()
    sending.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)
    assert (sending.status, sending.attempts) == (DeliveryStatus.SENDING, 1)
