"""Celery adapters for the escalation engine: each loads what it needs and calls a
service. Both are idempotent, so a task delivered twice (acks_late after a worker
died) does no harm: the sweep re-claims nothing that is not due, and each delivery is
claimed by compare-and-swap before it is sent."""

from celery import shared_task

from . import notify, sweep


@shared_task(acks_late=True)
def escalation_sweep() -> dict:
    report = sweep.sweep()
    return {"asks": report.asks, "nudges": report.nudges, "requeued": report.requeued}


@shared_task(acks_late=True)
def send_deliveries(ids: list[int]) -> int:
    return notify.send_deliveries(ids)
