"""What to do next, and why: the score that orders a work queue.

Each open ask scores points from eight factors, and every factor that matters says so
in a short reason ("overdue 1d 3h", "¥3.2M deal", "customer executives"). The factors
and their ranges, highest first:

==============================  =======  ==============================================
factor                          points   how
==============================  =======  ==============================================
urgency                         0–60     business time to the deadline that binds (the
                                         agreed one, else the one on the table). Overdue
                                         scores 40 plus up to 20 more as it reaches 3
                                         working days late; otherwise 40 at the deadline
                                         falling to 0 at 5 working days away. An ask
                                         waiting on its requester scores 0: its clock
                                         is paused.
deal value                      0–20     log scale: ¥10,000 scores 0, ¥100,000,000 20
                                         (other currencies at fixed reference rates).
escalation level                0–12     4 per level the ladder has reached.
audience                        0–10     customer executives 10, the customer's working
                                         level 5, internal 0.
nearest staged milestone        0–10     an undelivered milestone: overdue 10, else 8 at
                                         its due time falling to 0 at 5 working days.
waiting for a first answer      0–10     a new ask nobody has answered: 10 once it has
                                         waited twice the team's response time.
stage and expected close        0–10     stage (lead 0 … value or success 6) plus 4 if the
                                         deal closes within 30 days, 2 within 90.
strategic flags                 0–8      reference customer 3, follow-on phases 3,
                                         demonstration value 2.
==============================  =======  ==============================================

Ties break stably: the earlier deadline, then the older ask. Business time uses the
ask's team calendar (deals/calendar.py), so a Friday-evening deadline is not "far" just
because a weekend sits in between.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .calendar import add_working_time, horizon, working_day_length, working_time_between
from .models import AskStatus, Audience, Stage
from .templatetags.dealdesk import business_span, money

S = AskStatus

# Reference rates to compare deal sizes, not to account: a ranking needs the order of
# magnitude only.
CNY_PER = {"CNY": Decimal(1), "USD": Decimal("7.2"), "EUR": Decimal("7.8"), "HKD": Decimal("0.92")}

STAGE_POINTS = {
    Stage.LEAD: 0,
    Stage.OPPORTUNITY: 2,
    Stage.EXPECTATIONS: 4,
    Stage.VALUE: 6,
    Stage.SUCCESS: 6,
}
FLAG_POINTS = (("reference_customer", 3), ("follow_on_phases", 3), ("demonstration_value", 2))
# Lazy: each is translated when a chip shows it, in the reader's language.
FLAG_NAMES = {
    "reference_customer": gettext_lazy("reference customer"),
    "follow_on_phases": gettext_lazy("follow-on phases"),
    "demonstration_value": gettext_lazy("demonstration value"),
}
AUDIENCE_POINTS = {Audience.CUSTOMER_EXECUTIVE: 10, Audience.CUSTOMER_WORKING: 5}

URGENCY_HORIZON_DAYS = 5
OVERDUE_CAP_DAYS = 3
MILESTONE_HORIZON_DAYS = 5


@dataclass(frozen=True)
class Reason:
    key: str  # which factor: a stable name tests and CSS can use
    label: str  # what the chip says, in the reader's language
    points: float
    tone: str = "neutral"  # "red", "amber" or "neutral": the chip's colour, never alone


@dataclass(frozen=True)
class Ranked:
    ask: object
    score: float
    reasons: tuple[Reason, ...]


# --- the factors: each returns (points, reason or None) --------------------------------


def urgency(due: dt.datetime | None, team, now: dt.datetime):
    if due is None:
        return 0.0, None
    day = working_day_length(team)
    if due <= now:
        late = working_time_between(team, due, now)
        points = 40 + 20 * min(1.0, late / (day * OVERDUE_CAP_DAYS))
        # Past the deadline but no working time since (a Friday-evening deadline on
        # Monday at 08:00): overdue all the same, by less than a working minute.
        label = (
            _("overdue %(span)s") % {"span": business_span(late, team)} if late else _("overdue")
        )
        return points, Reason("urgency", label, points, "red")
    if due >= horizon(team, now, URGENCY_HORIZON_DAYS):
        return 0.0, None
    left = working_time_between(team, now, due)
    points = 40 * (1 - left / (day * URGENCY_HORIZON_DAYS))
    if left <= day:
        label = _("due in %(span)s") % {"span": business_span(left, team)}
        return points, Reason("urgency", label, points, "amber")
    return points, None


def deal_value(amount, currency: str):
    if amount is None or amount <= 0:
        return 0.0, None
    cny = Decimal(amount) * CNY_PER.get(currency, Decimal(1))
    points = 20 * min(1.0, max(0.0, (math.log10(float(cny)) - 4) / 4))
    if cny >= 1_000_000:
        label = _("%(amount)s deal") % {"amount": money(amount, currency)}
        return points, Reason("value", label, points)
    return points, None


def stage_and_close(stage: str, close: dt.date | None, today: dt.date):
    points = STAGE_POINTS.get(stage, 0)
    label = None
    if close is not None and close >= today:
        days = (close - today).days
        if days <= 30:
            points += 4
            label = _("closes in %(n)d days") % {"n": days} if days else _("closes today")
        elif days <= 90:
            points += 2
    if label is None:
        return float(points), None
    return float(points), Reason("close", label, float(points))


def strategic_flags(deal):
    points, labels = 0, []
    for flag, worth in FLAG_POINTS:
        if getattr(deal, flag):
            points += worth
            labels.append(FLAG_NAMES[flag])
    if not labels:
        return 0.0, None
    return float(points), Reason("flags", " · ".join(str(label) for label in labels), float(points))


def audience(value: str):
    points = AUDIENCE_POINTS.get(value, 0)
    if value == Audience.CUSTOMER_EXECUTIVE:
        return float(points), Reason("audience", _("customer executives"), float(points))
    if value == Audience.CUSTOMER_WORKING:
        return float(points), Reason("audience", _("customer's working level"), float(points))
    return 0.0, None


def nearest_milestone(milestones, team, now: dt.datetime):
    """``milestones``: the ask's milestones (any order); only undelivered ones count."""
    pending = [m for m in milestones if m.delivered_at is None]
    if not pending:
        return 0.0, None
    first = min(pending, key=lambda m: (m.due_at, m.position))
    day = working_day_length(team)
    if first.due_at <= now:
        label = _("%(label)s overdue") % {"label": first.label}
        return 10.0, Reason("milestone", label, 10.0, "red")
    if first.due_at >= horizon(team, now, MILESTONE_HORIZON_DAYS):
        return 0.0, None
    left = working_time_between(team, now, first.due_at)
    points = 8 * (1 - left / (day * MILESTONE_HORIZON_DAYS))
    label = _("%(label)s due in %(span)s") % {
        "label": first.label,
        "span": business_span(left, team),
    }
    return points, Reason("milestone", label, points, "amber" if left <= day else "neutral")


def escalation(level: int):
    if not level:
        return 0.0, None
    points = float(4 * min(level, 3))
    if level == 1:
        label = _("overdue nudge sent")
    elif level == 2:
        label = _("escalated to manager")
    else:
        label = _("escalated to the deal's leads")
    return points, Reason("escalation", label, points, "red" if level >= 2 else "amber")


def first_answer(ask, team, now: dt.datetime):
    if ask.status != S.PROPOSED or ask.responded_at is not None:
        return 0.0, None
    limit = dt.timedelta(hours=team.response_hours)
    cap = add_working_time(team, ask.created_at, limit * 2)
    waited = working_time_between(team, ask.created_at, min(now, cap))
    if not waited:
        return 0.0, None
    points = 10 * min(1.0, waited / (limit * 2))
    if waited < limit:
        return points, None
    if now > cap:  # the points stop growing at twice the response time; the label does not
        waited = working_time_between(team, ask.created_at, now)
    label = _("waiting %(span)s for an answer") % {"span": business_span(waited, team)}
    return points, Reason("first_answer", label, points, "amber")


# --- the score ------------------------------------------------------------------------


def binding_due(ask) -> dt.datetime | None:
    """The deadline the queue works to: the agreed one, else the one on the table."""
    return ask.due_at


def _milestones(ask):
    """The prefetched milestones as they are: ``ask.milestones.all()`` would build a new
    queryset per ask, which costs more than the rest of its score in a long queue."""
    prefetched = getattr(ask, "_prefetched_objects_cache", {})
    return prefetched["milestones"] if "milestones" in prefetched else ask.milestones.all()


def rank_one(ask, now: dt.datetime, *, level: int = 0) -> Ranked:
    """Score one ask. Needs ask.deal, ask.team and ask.milestones (prefetched)."""
    team = ask.team
    deal = ask.deal
    if ask.status == S.WAITING:
        # The clock is paused until the requester answers, and the deadline moves on by
        # the time it waited: nothing about it is urgent for the assignee.
        urgent = (0.0, Reason("urgency", _("waiting on the requester"), 0.0))
    else:
        urgent = urgency(binding_due(ask), team, now)
    parts = (
        urgent,
        deal_value(deal.amount, deal.currency),
        escalation(level),
        audience(ask.audience),
        nearest_milestone(_milestones(ask), team, now),
        first_answer(ask, team, now),
        stage_and_close(deal.stage, deal.expected_close_date, now.date()),
        strategic_flags(deal),
    )
    score = round(sum(points for points, _reason in parts), 2)
    reasons = tuple(reason for _points, reason in parts if reason is not None)
    return Ranked(ask, score, reasons)


def rank(asks, now: dt.datetime, *, levels=None) -> list[Ranked]:
    """The asks, most important first; ``levels`` maps ask id → escalation level."""
    levels = levels or {}
    ranked = [
        # Not levels.get(pk, a.escalation_level): that would read the level even when
        # the caller already knows it.
        rank_one(a, now, level=levels[a.pk] if a.pk in levels else a.escalation_level)  # noqa: SIM401
        for a in asks
    ]
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(ranked, key=lambda r: (-r.score, binding_due(r.ask) or far, r.ask.pk))


def by_due_date(asks) -> list:
    """Plain due-date order: the toggle for people who want it."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return sorted(asks, key=lambda a: (binding_due(a) or far, a.pk))
