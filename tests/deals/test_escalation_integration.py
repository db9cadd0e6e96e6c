"""The escalation engine against the real things around it: PostgreSQL under two sweeps
at once, a Celery worker and beat in their own processes, a mail server that refuses,
stalls or is reached through a broker that goes away, and chat webhooks that fail.

Outside servers are local fakes that really listen (tests/servers.py). Subprocesses are
pointed at the test database, so the tests that start them use ``transaction=True`` to
make their rows visible; they are killed, process group and all, when the test ends.
"""

import contextlib
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import time_machine
from django.core.mail import mailers
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from deals import notify, services, sweep
from deals.models import (
    Ask,
    AskStatus,
    AskType,
    Audience,
    Channel,
    ChatWebhook,
    Delivery,
    DeliveryStatus,
    Nudge,
    NudgeTimer,
)
from tests.deals.kit import at, give_email, work_around_the_clock
from tests.servers import FakeSMTP, FakeWebhook, RedisServer, wait_for

PROJECT = Path(__file__).resolve().parents[2]
BASE_URL = "https://dealdesk.example.test"
# Redis databases these tests own on the configured server (flushed before use), so no
# other worker on the machine can take their messages.
WORKER_AND_BEAT_DB = 13
KILLED_WORKER_DB = 14

pytestmark = pytest.mark.django_db
visible_to_other_processes = pytest.mark.django_db(transaction=True)


# --- people, asks and servers ------------------------------------------------------------


def make_ask(org, due, *, title="MES line upgrade: solution v2") -> Ask:
    return services.ask_create(
        deal=org["deal"],
        requester=org["rep"],
        team=org["team"],
        assignee=org["presales"],
        ask_type=AskType.SOLUTION,
        title=title,
        deliverable="Solution document",
        details="120 substations, IEC 104",
        purpose="The utility's review board meets on the due date",
        audience=Audience.CUSTOMER_EXECUTIVE,
        proposed_due_at=due,
    )


def agreed_ask(org, created, due, **kwargs) -> Ask:
    with time_machine.travel(created, tick=False):
        ask = make_ask(org, due, **kwargs)
    with time_machine.travel(created + dt.timedelta(minutes=1), tick=False):
        return services.ask_agree(ask=ask, actor=org["presales"])


def overdue_ask(org) -> Ask:
    """Agreed two hours ago, due an hour ago: its breach is due now, on the real clock."""
    now = timezone.now()
    return agreed_ask(org, now - dt.timedelta(hours=2), now - dt.timedelta(hours=1))


@pytest.fixture(autouse=True)
def local_chat_robots(settings):
    """The fake chat robots these tests post to listen on 127.0.0.1."""
    settings.DEALDESK_WEBHOOK_ALLOW_PRIVATE = True


@pytest.fixture
def smtp():
    server = FakeSMTP().start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    server = FakeWebhook().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_mailer(settings, smtp):
    """Email from this process to the local SMTP server. The test runner swaps every
    mailer for locmem, so this puts SMTP back deliberately."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": smtp.port, "timeout": 5},
        }
    }
    assert isinstance(mailers.default, SMTPBackend)
    return smtp


# --- other processes ---------------------------------------------------------------------


def database_url() -> str:
    """The test database, for processes started by the test."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def dedicated_broker(db_number: int) -> str:
    from django.conf import settings

    parts = urlsplit(settings.REDIS_URL)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{db_number}", "", ""))
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def celery_broker(monkeypatch):
    """Point this process's Celery app at another broker for one test. The environment
    variable wins over the app's configuration, so both change; connection pools made
    for the old broker are closed."""
    import kombu.pools

    from dealdesk.celery import app

    saved = app.conf.broker_url

    def forget_connections():
        kombu.pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    def point(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url = url
        forget_connections()

    yield point
    app.conf.broker_url = saved
    forget_connections()


def child_env(**extra) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEALDESK_BASE_URL": BASE_URL,
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "INFO",
    }
    env.update({name: str(value) for name, value in extra.items()})
    return env


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and anything it forked."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def children(tmp_path):
    """Start processes in their own process group; all are killed when the test ends,
    and their output is printed (pytest shows it when the test fails)."""
    started: list[Child] = []

    def start(name: str, *args: str, env: dict[str, str]) -> Child:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, *args],
                cwd=PROJECT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        child = Child(name, process, log)
        started.append(child)
        return child

    try:
        yield start
    finally:
        for child in started:
            child.kill()
        for child in started:
            print(f"----- {child.name} (exit {child.process.returncode}) -----")
            print(child.output()[-6000:])


def start_worker(children, name: str, env: dict[str, str]) -> Child:
    """A real worker in its own process (solo pool: the task runs in that process)."""
    return children(
        name,
        *("-m", "celery", "-A", "dealdesk", "worker", "--pool=solo", "--loglevel=INFO"),
        *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        *("-n", f"{name}-{os.getpid()}@%h"),
        env=env,
    )


def escalate(env: dict[str, str]) -> str:
    """Run ``manage.py escalate`` to the end; returns what it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", "escalate"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    print(done.stdout, done.stderr[-3000:])
    assert done.returncode == 0
    return done.stdout


# --- 1. two sweeps at once ----------------------------------------------------------------

SWEPT = re.compile(r"(\d+) asks due, (\d+) nudges fired, (\d+) in-app notifications")


@pytest.mark.needs_postgres
@visible_to_other_processes
def test_two_sweeps_at_once_fire_each_step_once_and_tell_each_person_once(org):
    # 2000 asks, agreed long ago and due 30 days ago; the reminder is behind them, so the
    # breach and both escalations are due: 6000 steps for two sweeps to share.
    now = timezone.now()
    template = agreed_ask(org, now - dt.timedelta(days=40), now - dt.timedelta(days=30))
    copy = {
        f.attname: getattr(template, f.attname)
        for f in Ask._meta.concrete_fields
        if not f.primary_key
    }
    Ask.objects.bulk_create([Ask(**copy) for _ in range(1999)], batch_size=500)
    due = template.agreed_due_at
    Ask.objects.update(
        agreed_due_at=due,
        ladder_clock="delivery",
        ladder_cycle=1,
    )
    NudgeTimer.objects.bulk_create(
        [
            NudgeTimer(ask_id=pk, next_nudge_at=due, ladder_step=1, escalation_level=0)
            for pk in Ask.objects.values_list("pk", flat=True)
        ],
        update_conflicts=True,
        unique_fields=["ask"],
        update_fields=["next_nudge_at", "ladder_step", "escalation_level"],
    )
    assert Ask.objects.filter(status=AskStatus.AGREED).count() == 2000

    env = child_env()
    command = [sys.executable, "manage.py", "escalate"]
    sweeps = [
        subprocess.Popen(
            command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for process in sweeps:
            out, err = process.communicate(timeout=60)
            outputs.append((process.returncode, out.decode(), err.decode()))
    finally:
        for process in sweeps:
            if process.poll() is None:
                process.kill()
    for number, (code, out, err) in enumerate(outputs, start=1):
        print(f"sweep {number} (exit {code}):\n{out}{err[-3000:]}")
    assert [code for code, _, _ in outputs] == [0, 0]

    # Every ask was claimed by exactly one of the two sweeps.
    reports = [tuple(map(int, SWEPT.search(out).groups())) for _, out, _ in outputs]
    assert sum(r[0] for r in reports) == 2000
    assert sum(r[1] for r in reports) == 6000
    assert sum(r[2] for r in reports) == 10000
    print("asks each sweep took:", [r[0] for r in reports])  # both, when they overlapped

    steps = Nudge.objects.values("ask_id", "step_code")
    assert steps.count() == 6000
    assert steps.distinct().count() == 6000
    per_step = dict(
        Nudge.objects.values_list("step_code").annotate(n=Count("id")).values_list("step_code", "n")
    )
    assert per_step == {"breach": 2000, "escalate-manager": 2000, "escalate-deal": 2000}

    in_app = Delivery.objects.filter(channel=Channel.IN_APP)
    assert in_app.count() == 10000
    assert in_app.values("nudge_id", "recipient_id").distinct().count() == 10000
    told = set(
        in_app.values_list("nudge__step_code", "recipient__username")
        .annotate(n=Count("id"))
        .values_list("nudge__step_code", "recipient__username", "n")
    )
    assert told == {
        ("breach", "presales_a", 2000),
        ("breach", "rep_a", 2000),
        ("escalate-manager", "presales_lead", 2000),
        ("escalate-deal", "director", 2000),
        ("escalate-deal", "vp_sales", 2000),
    }
    assert not Delivery.objects.exclude(channel=Channel.IN_APP).exists()  # nobody has email
    assert Nudge.objects.count() == 6000
    assert not NudgeTimer.objects.exclude(ladder_step=4).exists()
    assert not NudgeTimer.objects.exclude(escalation_level=3).exists()
    assert not NudgeTimer.objects.filter(next_nudge_at__isnull=False).exists()


# --- 2. a real worker and beat ---------------------------------------------------------------


@pytest.mark.needs_postgres
@pytest.mark.needs_redis
@visible_to_other_processes
def test_beat_and_a_worker_deliver_a_breach_in_app_and_by_email_within_a_minute(
    org, smtp, children, tmp_path
):
    work_around_the_clock(org["team"], org["sales_team"])
    give_email(org["presales"], org["rep"])
    for person, language in ((org["presales"], "en"), (org["rep"], "zh-hans")):
        person.profile.language = language
        person.profile.save()
    env = child_env(CELERY_BROKER_URL=dedicated_broker(WORKER_AND_BEAT_DB), EMAIL_URL=smtp.url)
    # Beat first: its first sweep comes 30 s after it starts.
    children(
        "beat",
        *("-m", "celery", "-A", "dealdesk", "beat", "--loglevel=INFO"),
        *("-s", str(tmp_path / "beat-schedule"), "--pidfile="),
        env=env,
    )
    start_worker(children, "worker", env)

    ask = make_ask(org, timezone.now() + dt.timedelta(seconds=6))
    ask = services.ask_agree(ask=ask, actor=org["presales"])
    due = ask.agreed_due_at

    def in_app_and_both_emails():
        notified = Delivery.objects.filter(
            nudge__ask=ask, recipient=org["presales"], channel=Channel.IN_APP
        ).first()
        return notified if notified and len(smtp.messages) >= 2 else None

    remaining = (due - timezone.now()).total_seconds() + 65
    in_app = wait_for(in_app_and_both_emails, timeout=remaining, interval=0.25)
    assert in_app is not None, f"nothing delivered; {len(smtp.messages)} emails"
    assert in_app.nudge.step_code == "breach"
    assert in_app.status == DeliveryStatus.SENT
    assert in_app.created_at - due <= dt.timedelta(seconds=60)
    assert len(smtp.messages) == 2
    for mail in smtp.messages:
        assert mail.at - due <= dt.timedelta(seconds=60)

    by_rcpt = {mail.recipients[0]: mail for mail in smtp.messages}
    link = f"{BASE_URL}/asks/{ask.pk}/"
    english = by_rcpt["presales_a@example.com"]
    assert english.subject == "Overdue: “MES line upgrade: solution v2”"
    assert "The deadline agreed with" in english.part("plain")
    assert link in english.part("plain")
    assert f'href="{link}"' in english.part("html")
    chinese = by_rcpt["rep_a@example.com"]
    words = chinese.subject.replace("MES line upgrade: solution v2", "")
    assert re.search(r"[\u4e00-\u9fff]", words), chinese.subject
    assert link in chinese.part("plain")
    assert f'href="{link}"' in chinese.part("html")

    emails = Delivery.objects.filter(nudge__ask=ask, channel=Channel.EMAIL)
    assert sorted(emails.values_list("status", "attempts")) == [("sent", 1), ("sent", 1)]


# --- 3. a worker killed mid-send -------------------------------------------------------------


@pytest.mark.needs_postgres
@pytest.mark.needs_redis
@visible_to_other_processes
def test_a_send_whose_worker_is_killed_is_sent_once_by_the_next_worker_after_the_lease(
    org, smtp, children, celery_broker
):
    work_around_the_clock(org["team"], org["sales_team"])
    give_email(org["presales"])
    ask = overdue_ask(org)
    broker = dedicated_broker(KILLED_WORKER_DB)
    env = child_env(
        CELERY_BROKER_URL=broker,
        EMAIL_URL=smtp.url,
        EMAIL_TIMEOUT=60,
        DEALDESK_DELIVERY_LEASE_SECONDS=2,
        DEALDESK_REQUEUE_AFTER_SECONDS=1,
    )
    smtp.stall()
    first = start_worker(children, "first-worker", env)
    celery_broker(broker)
    assert sweep.sweep().to_send == 1  # handed to the broker after the commit

    # The worker has claimed the email and waits for the server to answer its DATA.
    assert wait_for(lambda: smtp.data_commands == 1, timeout=40)
    delivery = Delivery.objects.get(nudge__ask=ask, channel=Channel.EMAIL)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENDING, 1)

    first.kill()
    assert wait_for(lambda: smtp.abandoned == 1, timeout=10)  # the server saw it hang up
    smtp.release()
    assert smtp.messages == []

    start_worker(children, "second-worker", env)
    # The sweep hands the email over again only once the dead worker's lease is over.
    assert wait_for(lambda: timezone.now() > delivery.lease_until, timeout=10)
    assert "1 handed over again" in escalate(env)

    assert wait_for(
        lambda: Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENT).exists(),
        timeout=40,
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.lease_until is None
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.recipients == ["presales_a@example.com"]
    assert mail.message["Message-ID"].startswith(f"<dealdesk-delivery-{delivery.pk}@")


# --- 4. mail servers and webhooks that fail --------------------------------------------------


def sweep_and_send(moment, capture) -> list[int]:
    """One sweep at ``moment`` whose hand-overs are sent at once, as a worker would;
    returns the ids it handed over."""
    handed: list[int] = []
    with time_machine.travel(moment, tick=False):
        with capture(execute=True):
            sweep.sweep(hand_over=handed.extend)
        if handed:
            notify.send_deliveries(handed)
    return handed


def retry_until_final(delivery: Delivery, first_try, capture) -> list[float]:
    """Let the sweep hand ``delivery`` over at each retry time until it is sent or
    failed; returns each wait in seconds. Checks nothing goes out before its time."""
    waits = []
    moment = first_try
    for _ in range(20):
        delivery.refresh_from_db()
        if delivery.status != DeliveryStatus.PENDING:
            return waits
        early = delivery.next_attempt_at - dt.timedelta(seconds=1)
        assert sweep_and_send(early, capture) == []
        waits.append((delivery.next_attempt_at - moment).total_seconds())
        moment = delivery.next_attempt_at
        assert sweep_and_send(moment, capture) == [delivery.pk]
    raise AssertionError("the delivery never became final")


def assert_backs_off(waits: list[float]) -> None:
    """Each wait is 30 s·2^(n-1), less up to half of it for jitter."""
    for number, wait in enumerate(waits, start=1):
        full = 30 * 2 ** (number - 1)
        assert full / 2 <= wait <= full, (number, wait)


def test_an_email_the_server_keeps_refusing_backs_off_and_fails_for_good_at_the_last_attempt(
    org, smtp_mailer, settings, django_capture_on_commit_callbacks
):
    give_email(org["presales"])
    smtp_mailer.refuse("451 4.3.0 Mailbox busy, try again later")
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    breach = at(2026, 11, 24, 15, 0)
    assert sweep_and_send(breach, django_capture_on_commit_callbacks)
    email = Delivery.objects.get(nudge__ask=ask, channel=Channel.EMAIL)
    assert (email.status, email.attempts) == (DeliveryStatus.PENDING, 1)
    assert "451" in email.last_error

    waits = retry_until_final(email, breach, django_capture_on_commit_callbacks)

    email.refresh_from_db()
    assert email.status == DeliveryStatus.FAILED
    assert email.attempts == settings.DEALDESK_DELIVERY_MAX_ATTEMPTS
    assert len(waits) == settings.DEALDESK_DELIVERY_MAX_ATTEMPTS - 1
    assert_backs_off(waits)
    assert "451" in email.last_error and "Mailbox busy" in email.last_error
    assert smtp_mailer.data_commands == settings.DEALDESK_DELIVERY_MAX_ATTEMPTS
    assert smtp_mailer.messages == []
    # Nothing hands it over again.
    assert sweep_and_send(at(2026, 11, 24, 17, 0), django_capture_on_commit_callbacks) == []


def test_an_email_the_server_rejects_with_a_permanent_5xx_fails_at_once(
    org, smtp_mailer, django_capture_on_commit_callbacks
):
    give_email(org["presales"])
    smtp_mailer.refuse("554 5.7.1 Message rejected as spam")
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_and_send(at(2026, 11, 24, 15, 0), django_capture_on_commit_callbacks)
    email = Delivery.objects.get(nudge__ask=ask, channel=Channel.EMAIL)
    assert (email.status, email.attempts) == (DeliveryStatus.FAILED, 1)
    assert "554" in email.last_error
    assert smtp_mailer.data_commands == 1


def test_an_email_refused_once_is_sent_on_the_retry(
    org, smtp_mailer, django_capture_on_commit_callbacks
):
    give_email(org["presales"])
    smtp_mailer.refuse("451 4.3.0 Try again later")
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_and_send(at(2026, 11, 24, 15, 0), django_capture_on_commit_callbacks)
    email = Delivery.objects.get(nudge__ask=ask, channel=Channel.EMAIL)
    smtp_mailer.refuse(None)
    retry_until_final(email, at(2026, 11, 24, 15, 0), django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == (DeliveryStatus.SENT, 2, "")
    assert [mail.recipients for mail in smtp_mailer.messages] == [["presales_a@example.com"]]


def test_a_webhook_answering_500_backs_off_and_fails_for_good_at_the_last_attempt(
    org, webhook, settings, django_capture_on_commit_callbacks
):
    webhook.answer(500, "upstream unavailable")
    ChatWebhook.objects.create(user=org["presales"], provider="generic", url=webhook.url())
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    breach = at(2026, 11, 24, 15, 0)
    sweep_and_send(breach, django_capture_on_commit_callbacks)
    chat = Delivery.objects.get(nudge__ask=ask, channel=Channel.WEBHOOK)
    assert (chat.status, chat.attempts) == (DeliveryStatus.PENDING, 1)

    waits = retry_until_final(chat, breach, django_capture_on_commit_callbacks)

    chat.refresh_from_db()
    assert chat.status == DeliveryStatus.FAILED
    assert chat.attempts == settings.DEALDESK_DELIVERY_MAX_ATTEMPTS
    assert_backs_off(waits)
    assert "HTTP 500" in chat.last_error
    assert len(webhook.posts) == settings.DEALDESK_DELIVERY_MAX_ATTEMPTS
    assert webhook.posts[0].json()["ask_id"] == ask.pk


def test_a_webhook_answering_404_fails_at_once(org, webhook, django_capture_on_commit_callbacks):
    webhook.answer(404, "no such hook")
    ChatWebhook.objects.create(user=org["presales"], provider="generic", url=webhook.url())
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_and_send(at(2026, 11, 24, 15, 0), django_capture_on_commit_callbacks)
    chat = Delivery.objects.get(nudge__ask=ask, channel=Channel.WEBHOOK)
    assert (chat.status, chat.attempts) == (DeliveryStatus.FAILED, 1)
    assert "HTTP 404" in chat.last_error
    assert len(webhook.posts) == 1


def test_a_dingtalk_burst_of_25_goes_out_as_19_messages_and_a_summary_of_the_other_6(
    org, webhook, django_capture_on_commit_callbacks
):
    webhook.answer(200, {"errcode": 0, "errmsg": "ok"})
    hook = ChatWebhook.objects.create(
        user=org["presales"], provider="dingtalk", url=webhook.url("/robot/send?access_token=t")
    )
    asks = [
        agreed_ask(
            org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0), title=f"Burst ask {n:02d}"
        )
        for n in range(25)
    ]
    handed = sweep_and_send(at(2026, 11, 24, 15, 0), django_capture_on_commit_callbacks)

    chats = Delivery.objects.filter(webhook=hook).order_by("pk")
    assert chats.count() == 25
    assert set(chats.values_list("pk", flat=True)) <= set(handed)  # one hand-over, at once
    assert len(webhook.posts) == 20
    assert set(chats.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    merged = [d.nudge.ask_id for d in chats if d.merged]
    assert len(merged) == 6
    titles = {ask.pk: ask.title for ask in asks}
    texts = [post.json()["markdown"]["text"] for post in webhook.posts]
    singles, summary = texts[:19], texts[19]
    for text, single in zip(singles, [d for d in chats if not d.merged], strict=True):
        assert titles[single.nudge.ask_id] in text
    for ask_id in merged:
        assert titles[ask_id] in summary
        assert f"/asks/{ask_id}/" in summary
    assert sum(title in summary for title in titles.values()) == 6
    assert "6" in webhook.posts[19].json()["markdown"]["title"]


# --- 5. the broker goes down ------------------------------------------------------------------


@pytest.mark.needs_postgres
@pytest.mark.needs_redis
@visible_to_other_processes
def test_with_the_broker_down_pages_and_in_app_work_and_the_email_goes_once_it_is_back(
    org, smtp, children, client, settings, celery_broker, caplog
):
    work_around_the_clock(org["team"], org["sales_team"])
    give_email(org["presales"])
    settings.DEALDESK_REQUEUE_AFTER_SECONDS = 1
    broker = RedisServer().start()
    try:
        celery_broker(broker.url())
        broker.stop()

        proposed = make_ask(org, timezone.now() + dt.timedelta(days=2), title="Proposal")
        overdue = overdue_ask(org)
        client.force_login(org["presales"])
        assert client.get(reverse("home")).status_code == 200
        assert client.get(reverse("ask_detail", args=[overdue.pk])).status_code == 200
        started = time.monotonic()
        response = client.post(reverse("ask_act", args=[proposed.pk, "agree"]))
        assert time.monotonic() - started < 10
        assert response.status_code == 302
        assert Ask.objects.get(pk=proposed.pk).status == AskStatus.AGREED

        # The sweep still writes the notification centre; the email waits.
        started = time.monotonic()
        report = sweep.sweep()
        enqueue_seconds = time.monotonic() - started
        print(f"sweep with the broker down took {enqueue_seconds:.2f}s")
        assert enqueue_seconds < 10
        assert report.to_send == 1
        in_app = Delivery.objects.get(
            nudge__ask=overdue, recipient=org["presales"], channel=Channel.IN_APP
        )
        assert in_app.status == DeliveryStatus.SENT
        email = Delivery.objects.get(nudge__ask=overdue, channel=Channel.EMAIL)
        assert (email.status, email.attempts) == (DeliveryStatus.PENDING, 0)
        assert "Could not enqueue 1 deliveries" in caplog.text

        broker.start()  # the same port: the broker is back
        env = child_env(
            CELERY_BROKER_URL=broker.url(), EMAIL_URL=smtp.url, DEALDESK_REQUEUE_AFTER_SECONDS=1
        )
        start_worker(children, "worker", env)  # it takes the hand-over once it is up
        email.refresh_from_db()
        later = max(timezone.now(), email.enqueued_at + dt.timedelta(seconds=1.001))
        report = sweep.sweep(later)
        assert report.requeued == 1

        assert wait_for(
            lambda: Delivery.objects.filter(pk=email.pk, status=DeliveryStatus.SENT).exists(),
            timeout=40,
        )
        email.refresh_from_db()
        assert email.attempts == 1
        assert [mail.recipients for mail in smtp.messages] == [["presales_a@example.com"]]
    finally:
        broker.stop()
