"""Celery adapters for the escalation engine: each loads what it needs and calls a
service. All are idempotent, so a task delivered twice (acks_late after a worker died)
does no harm: a sweep claims only what is due and not held by another sweep, and each
delivery is claimed by compare-and-swap before it is sent."""

from celery import shared_task
from django.conf import settings

from . import notify, sweep


def _call_helpers() -> None:
    """A backlog (the first batch was full): let the worker's other processes sweep
    too. SKIP LOCKED gives each sweeper different asks."""
    for _ in range(settings.DEALDESK_SWEEP_PARALLELISM - 1):
        escalation_sweep_helper.apply_async(retry=False, expires=60)


@shared_task(acks_late=True)
def escalation_sweep() -> dict:
    report = sweep.sweep(on_backlog=_call_helpers)
    return {"asks": report.asks, "nudges": report.nudges, "requeued": report.requeued}


@shared_task(acks_late=True)
def escalation_sweep_helper() -> dict:
    report = sweep.sweep()
    return {"asks": report.asks, "nudges": report.nudges, "requeued": report.requeued}


@shared_task(acks_late=True)
def send_deliveries(ids: list[int]) -> int:
    return notify.send_deliveries(ids)


@shared_task(acks_late=True)
def send_manager_digests() -> int:
    from . import digest

    return digest.send_digests()
