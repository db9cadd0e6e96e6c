"""The company's default escalation ladder, and a first plan for the asks already open.

The ladder is written out here rather than imported, so this migration keeps meaning the
same whatever later code does. Open asks get a nudge timer due now: the next sweep
sees they have no plan yet and plans them (see escalation.plan)."""

from decimal import Decimal

from django.db import migrations
from django.utils import timezone

DEFAULT = [
    # clock, code, kind, level, anchor, offset days, fraction, who
    ("response", "response-breach", "breach", 1, "after_due", "0", None,
     {"notify_assignee", "copy_requester"}),
    ("delivery", "reminder", "reminder", 0, "before_due", "1", "0.80", {"notify_assignee"}),
    ("delivery", "breach", "breach", 1, "after_due", "0", None,
     {"notify_assignee", "copy_requester"}),
    ("delivery", "escalate-manager", "escalate", 2, "after_due", "1", None,
     {"notify_assignee_manager"}),
    ("delivery", "escalate-deal", "escalate", 3, "after_due", "2", None,
     {"notify_requester_manager", "notify_deal_managers", "suggest_convene"}),
]


def forwards(apps, schema_editor):
    LadderStep = apps.get_model("deals", "LadderStep")
    Ask = apps.get_model("deals", "Ask")
    NudgeTimer = apps.get_model("deals", "NudgeTimer")
    for clock, code, kind, level, anchor, offset, fraction, who in DEFAULT:
        LadderStep.objects.get_or_create(
            team=None,
            clock=clock,
            code=code,
            defaults={
                "kind": kind,
                "level": level,
                "anchor": anchor,
                "offset_days": Decimal(offset),
                "fraction": Decimal(fraction) if fraction else None,
                **{flag: True for flag in who},
            },
        )
    now = timezone.now()
    open_asks = Ask.objects.exclude(status__in=["done", "declined", "cancelled"])
    NudgeTimer.objects.bulk_create(
        (NudgeTimer(ask_id=pk, next_nudge_at=now) for pk in open_asks.values_list("pk", flat=True)),
        batch_size=1000,
        ignore_conflicts=True,
    )


def leave_room_for_in_place_updates(apps, schema_editor):
    """The sweep rewrites each due ask's ladder columns; with a tenth of each page free,
    PostgreSQL can do that in place (a HOT update) instead of re-indexing the row."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE deals_ask SET (fillfactor = 90)")


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_escalation")]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(leave_room_for_in_place_updates, migrations.RunPython.noop),
    ]
