"""The company's default escalation ladder, and a first plan for the asks already open.

The ladder is written out here rather than imported, so this migration keeps meaning the
same whatever later code does. Open asks get ``next_nudge_at = now``: the next sweep
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
    Ask.objects.exclude(status__in=["done", "declined", "cancelled"]).update(
        next_nudge_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_escalation")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
