"""Run one escalation sweep: ``python manage.py escalate``.

For cron users and for debugging. It fires every ladder step that is due, prints what it
did and hands the email and chat deliveries to the Celery senders; with ``--send`` it
sends them itself, so a machine without a Celery worker still delivers.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone

from deals import notify, sweep
from deals.models import Channel, Delivery, DeliveryStatus


class Command(BaseCommand):
    help = "Fire the escalation steps that are due now and print what was done."

    def add_arguments(self, parser):
        parser.add_argument(
            "--send",
            action="store_true",
            help="Send due email and chat deliveries here instead of through Celery.",
        )

    def handle(self, *args, send: bool = False, **options):
        now = timezone.now()
        report = sweep.sweep(now, hand_over=None if send else sweep.enqueue_sends)
        self.stdout.write(
            f"Swept at {now:%Y-%m-%d %H:%M:%S %Z} in {report.seconds:.2f}s: "
            f"{report.asks} asks due, {report.nudges} nudges fired, "
            f"{report.in_app} in-app notifications, {report.to_send} email/chat deliveries "
            f"ready, {report.requeued} handed over again."
        )
        for code, count in sorted(report.by_step.items()):
            self.stdout.write(f"  {code}: {count}")
        if send:
            sent = failed = 0
            due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
                status=DeliveryStatus.SENDING, lease_until__lt=now
            )
            ids = list(
                Delivery.objects.filter(due)
                .exclude(channel=Channel.IN_APP)
                .values_list("pk", flat=True)
            )
            for start in range(0, len(ids), sweep.BATCH_SIZE):
                notify.send_deliveries(ids[start : start + sweep.BATCH_SIZE])
            if ids:
                outcome = Delivery.objects.filter(pk__in=ids)
                sent = outcome.filter(status=DeliveryStatus.SENT).count()
                failed = outcome.filter(status=DeliveryStatus.FAILED).count()
            self.stdout.write(
                f"Sent {sent} of {len(ids)} due deliveries; {failed} failed for good, "
                f"{len(ids) - sent - failed} wait for a retry."
            )
