"""Shared fixtures: people and teams, service checks, Chromium, a real Celery worker."""

import contextlib
import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

from stakeholders.models import Function

from .factories import DealFactory, TeamFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from
# the same thread (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("DEALDESK_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def _missing_service(item) -> str | None:
    if item.get_closest_marker("needs_postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL (set DATABASE_URL=postgres://…)"
    if item.get_closest_marker("needs_redis") and not settings.REDIS_URL:
        return "needs Redis (set REDIS_URL=redis://…)"
    if item.get_closest_marker("e2e") and not os.path.exists(CHROMIUM):
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason}; DEALDESK_REQUIRE_SERVICES=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


# --- Chromium through Playwright: Debian's package, never a downloaded browser ----------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Our users' browsers: Simplified Chinese, Shanghai time."""
    return {**browser_context_args, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


# --- the people most tests need ----------------------------------------------------------


@pytest.fixture
def presales_team(db):
    return TeamFactory(name="售前技术部", function=Function.PRESALES)


@pytest.fixture
def sales_team(db):
    return TeamFactory(name="华东大客户部", function=Function.SALES)


@pytest.fixture
def manager(sales_team):
    return UserFactory(username="director", first_name="赵敏", team=sales_team)


@pytest.fixture
def rep(sales_team, manager):
    return UserFactory(username="rep_a", first_name="王磊", team=sales_team, manager=manager)


@pytest.fixture
def other_rep(sales_team):
    """A rep on another manager's team: must never see ``rep``'s work."""
    return UserFactory(username="rep_b", first_name="李娜", team=sales_team)


@pytest.fixture
def presales(presales_team):
    return UserFactory(username="presales_a", first_name="陈静", team=presales_team)


@pytest.fixture
def deal(rep):
    return DealFactory(owner=rep, customer="苏州恒力精密机械有限公司", title="二期产线 MES 升级")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 is slow by design; tests make many users and check no hash strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- a real Celery worker on the configured broker ----------------------------------------


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A Celery worker thread consuming from the real broker (Redis in CI).

    On the filesystem broker the queue moves to a private folder, so a `make run` worker
    on the same machine cannot steal the test's messages.
    """
    from celery.contrib.testing.worker import start_worker

    from dealdesk.celery import app

    saved = dict(app.conf.broker_transport_options or {})
    if app.conf.broker_url.startswith("filesystem://"):
        queue = tmp_path / "broker"
        control = tmp_path / "control"
        queue.mkdir()
        control.mkdir()
        app.conf.broker_transport_options = {
            **saved,
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
        }
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield app
    finally:
        app.conf.broker_transport_options = saved


# --- the cache: each test starts with an empty one --------------------------------------


@pytest.fixture(autouse=True)
def _empty_cache():
    """Queue pages keep their rows in the cache (Redis when REDIS_URL is set, shared
    with the live server of browser tests): a test must never see another's."""
    from django.core.cache import cache
    from redis.exceptions import RedisError

    # A test that stops Redis must still start.
    with contextlib.suppress(RedisError, OSError):
        cache.clear()
    yield
