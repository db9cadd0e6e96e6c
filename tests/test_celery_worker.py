"""Background jobs run in a real Celery worker, through the configured broker."""

import datetime as dt
import time

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from stakeholders.tasks import clear_expired_sessions


def wait_until(condition, timeout=20.0):
    """Poll for work done by another process; gives up after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_worker_clears_expired_sessions_and_keeps_live_ones(celery_worker):
    live = SessionStore()
    live["who"] = "rep"
    live.create()
    expired = SessionStore()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - dt.timedelta(days=1)
    )

    clear_expired_sessions.delay()

    assert wait_until(lambda: not Session.objects.filter(session_key=expired.session_key).exists())
    assert Session.objects.filter(session_key=live.session_key).exists()


def test_the_periodic_schedule_names_only_tasks_the_worker_knows(celery_worker):
    from django.conf import settings

    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in celery_worker.tasks
