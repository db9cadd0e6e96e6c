"""The demo plan: which asks exist, how each reached its state, and when (no database)."""

from __future__ import annotations

import datetime as dt
import random
import string
from dataclasses import dataclass, field
from typing import NamedTuple

from deals.demo.briefs import (
    ASSIGNEE_COMMENTS,
    CANCEL_REASONS,
    DOCUMENT_TYPES,
    FILLS,
    MILESTONE_SHARE,
    MILESTONES,
    REJECT_NOTES,
    REQUESTER_COMMENTS,
    TEMPLATES,
    TYPE_TEXTS,
)
from deals.demo.company import (
    ASKS_PER_STAGE,
    DEALS,
    EMAIL_DOMAIN,
    LOST_DEAL_STATUSES,
    OPEN_DEAL_STATUSES,
    OVERDUE_SHARE,
    PEOPLE,
    PRESALES_MUST_HAVE,
    REP_MUST_HAVE,
    SHANGHAI,
    STAKEHOLDER_ROLES,
    TEAMS,
    TYPE_WEIGHTS,
    WON_DEAL_STATUSES,
    DealRow,
    K,
    S,
)
from deals.models import (
    ASK_TYPE_FUNCTION,
    CLOSED_STATUSES,
    DEADLINE_STATUSES,
    Stage,
)
from stakeholders.models import Function, Role

# --- the asks: how each state is reached ----------------------------------------------


class Step(NamedTuple):
    kind: str
    from_status: str = ""
    to_status: str = ""
    actor: str = ""  # "requester" or "assignee"; empty: whoever normally does it


AGREE = Step(K.AGREED, S.PROPOSED, S.AGREED)
COUNTER = Step(K.COUNTERED, S.PROPOSED, S.COUNTERED)
ACCEPT = Step(K.COUNTER_ACCEPTED, S.COUNTERED, S.AGREED)
REJECT = Step(K.COUNTER_REJECTED, S.COUNTERED, S.PROPOSED)
START = Step(K.STARTED, S.AGREED, S.IN_PROGRESS)
ASK_INFO = Step(K.INFO_REQUESTED, S.IN_PROGRESS, S.WAITING)
ASK_INFO_FIRST = Step(K.INFO_REQUESTED, S.PROPOSED, S.WAITING)
ANSWER = Step(K.INFO_PROVIDED, S.WAITING, S.IN_PROGRESS)
RECOUNTER = Step(K.COUNTERED, S.IN_PROGRESS, S.COUNTERED)
DELIVER = Step(K.DELIVERED, S.IN_PROGRESS, S.DELIVERED)
CONFIRM = Step(K.CONFIRMED, S.DELIVERED, S.DONE)
REOPEN = Step(K.REOPENED, S.DELIVERED, S.REOPENED)
REOPEN_DONE = Step(K.REOPENED, S.DONE, S.REOPENED)
DECLINE = Step(K.DECLINED, S.PROPOSED, S.DECLINED)
DECLINE_RUNNING = Step(K.DECLINED, S.IN_PROGRESS, S.DECLINED)
CANCEL = Step(K.CANCELLED, S.PROPOSED, S.CANCELLED)
CANCEL_AGREED = Step(K.CANCELLED, S.AGREED, S.CANCELLED)
CANCEL_RUNNING = Step(K.CANCELLED, S.IN_PROGRESS, S.CANCELLED)

# The ways an ask reaches each state (after "created", and "claimed" for queue asks).
PATHS = {
    S.PROPOSED: [()],
    S.COUNTERED: [(COUNTER,), (COUNTER,), (AGREE, START, RECOUNTER)],
    S.AGREED: [(AGREE,), (AGREE,), (COUNTER, ACCEPT), (COUNTER, REJECT, AGREE)],
    S.IN_PROGRESS: [(AGREE, START), (AGREE, START), (AGREE, START, ASK_INFO, ANSWER),
                    (COUNTER, ACCEPT, START)],
    S.WAITING: [(ASK_INFO_FIRST,), (AGREE, START, ASK_INFO), (AGREE, START, ASK_INFO)],
    S.DELIVERED: [(AGREE, START, DELIVER), (AGREE, START, ASK_INFO, ANSWER, DELIVER)],
    S.DONE: [(AGREE, START, DELIVER, CONFIRM), (AGREE, START, DELIVER, CONFIRM),
             (COUNTER, ACCEPT, START, DELIVER, CONFIRM)],
    S.DECLINED: [(DECLINE,), (DECLINE,), (AGREE, START, DECLINE_RUNNING)],
    S.CANCELLED: [(CANCEL,), (AGREE, CANCEL_AGREED), (AGREE, START, CANCEL_RUNNING)],
    S.REOPENED: [(AGREE, START, DELIVER, REOPEN), (AGREE, START, DELIVER, CONFIRM, REOPEN_DONE)],
}  # fmt: skip

REQUESTER_KINDS = {
    K.CREATED, K.COUNTER_ACCEPTED, K.COUNTER_REJECTED, K.INFO_PROVIDED, K.CONFIRMED,
    K.REOPENED, K.CANCELLED,
}  # fmt: skip
# Hours from the previous event to this one (then moved into office hours).
STEP_HOURS = {
    K.CLAIMED: (0.5, 6), K.AGREED: (0.5, 8), K.COUNTERED: (1, 10), K.COUNTER_ACCEPTED: (1, 10),
    K.COUNTER_REJECTED: (1, 8), K.STARTED: (1, 20), K.INFO_REQUESTED: (4, 30),
    K.INFO_PROVIDED: (2, 30), K.DELIVERED: (20, 100), K.CONFIRMED: (2, 48),
    K.REOPENED: (4, 60), K.DECLINED: (2, 40), K.CANCELLED: (4, 72), K.COMMENTED: (1, 12),
}  # fmt: skip
# Days between an ask's last event and now, by its state (overdue ones sit longer).
QUIET_DAYS = {
    S.PROPOSED: (0.05, 2), S.COUNTERED: (0.1, 2), S.AGREED: (0.2, 3), S.IN_PROGRESS: (0.5, 4),
    S.WAITING: (0.5, 5), S.DELIVERED: (0.2, 3), S.DONE: (1, 30), S.DECLINED: (1, 30),
    S.CANCELLED: (1, 30), S.REOPENED: (0.5, 4),
}  # fmt: skip
OVERDUE_QUIET_DAYS = (3, 9)


# --- the plan (pure: no database) -----------------------------------------------------


@dataclass
class EventPlan:
    kind: str
    actor: str  # "requester" or "assignee"
    at: dt.datetime
    from_status: str = ""
    to_status: str = ""
    note: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class AskPlan:
    title: str
    ask_type: str
    team: str
    requester: str
    assignee: str | None
    fields: dict
    events: list[EventPlan]
    milestones: list[dict]


@dataclass
class DealPlan:
    row: DealRow
    created_at: dt.datetime
    stakeholders: list[tuple[str, str]]  # (username, role)
    asks: list[AskPlan]


PEOPLE_BY_USERNAME = {p.username: p for p in PEOPLE}
TEAM_BY_FUNCTION = {function: name for name, function, *_ in TEAMS if function != Function.SALES}


def _office(t: dt.datetime) -> dt.datetime:
    """A moment at or before ``t`` in Shanghai office hours (Monday to Friday, 09–19)."""
    local = t.astimezone(SHANGHAI)
    if local.hour < 9:
        local -= dt.timedelta(days=1)
    if local.weekday() >= 5:
        local -= dt.timedelta(days=2)
    if not 9 <= local.hour < 19:
        local = local.replace(hour=9 + local.hour % 10)
    return local


def _due(t: dt.datetime, *, after: dt.datetime, before: dt.datetime | None = None):
    """A deadline near ``t`` as people set them (a weekday, 12:00 or 18:00), within bounds."""
    local = t.astimezone(SHANGHAI)
    day = local.date()
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    hour = 12 if day == local.date() and local.hour < 12 else 18
    snapped = dt.datetime.combine(day, dt.time(hour), SHANGHAI)
    for candidate in (snapped, local.replace(second=0, microsecond=0)):
        if candidate > after and (before is None or candidate < before):
            return candidate
    return after + (before - after) / 2 if before else after + dt.timedelta(hours=4)


def _days(rng: random.Random, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(lo, hi))


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _team_members(team: str) -> dict[str, int]:
    return {p.username: p.load for p in PEOPLE if p.team == team and p.load}


def plan_company(rng: random.Random, now: dt.datetime) -> list[DealPlan]:
    pins = {"rep": list(REP_MUST_HAVE), "presales": list(PRESALES_MUST_HAVE)}
    return [plan_deal(row, rng, now, pins) for row in DEALS]


def plan_deal(row: DealRow, rng: random.Random, now: dt.datetime, pins: dict) -> DealPlan:
    manager = PEOPLE_BY_USERNAME[row.owner].manager
    stakeholders = [(manager, Role.MANAGER)]
    for role in rng.sample(list(STAKEHOLDER_ROLES), k=rng.randint(0, 3),
                           counts=list(STAKEHOLDER_ROLES.values())):  # fmt: skip
        if role in {r for _, r in stakeholders}:
            continue
        team = TEAM_BY_FUNCTION[Role(role).function]
        stakeholders.append((_weighted(rng, _team_members(team)), role))

    if row.stage == Stage.WON:
        weights = WON_DEAL_STATUSES
    elif row.stage == Stage.LOST:
        weights = LOST_DEAL_STATUSES
    else:
        weights = OPEN_DEAL_STATUSES
    used: set[int] = set()
    asks = []
    for _ in range(rng.randint(*ASKS_PER_STAGE[row.stage])):
        deal_open = row.stage not in (Stage.WON, Stage.LOST)
        if row.owner == "rep" and deal_open and pins["rep"]:
            status, overdue = pins["rep"].pop(0)
            presales_pins = []
        else:
            status = _weighted(rng, weights)
            overdue = status in DEADLINE_STATUSES and rng.random() < OVERDUE_SHARE
            presales_pins = pins["presales"] if deal_open else []
        asks.append(plan_ask(row, status, overdue, stakeholders, used, rng, now, presales_pins))

    first = min(a.fields["created_at"] for a in asks)
    created_at = _office(first - _days(rng, 5, 40))
    return DealPlan(row=row, created_at=created_at, stakeholders=stakeholders, asks=asks)


def _pick_template(rng: random.Random, used: set[int]) -> tuple[str, dict]:
    while True:
        ask_type = _weighted(rng, TYPE_WEIGHTS)
        fresh = [t for t in TEMPLATES[ask_type] if id(t) not in used]
        if fresh:
            template = rng.choice(fresh)
            used.add(id(template))
            return ask_type, template


def _pick_assignee(row, team, function, stakeholders, rng) -> str:
    if function == Function.SALES:
        return PEOPLE_BY_USERNAME[row.owner].manager
    on_deal = [u for u, _ in stakeholders if PEOPLE_BY_USERNAME[u].team == team]
    if on_deal and rng.random() < 0.7:
        return on_deal[0]
    return _weighted(rng, _team_members(team))


def plan_ask(row, status, overdue, stakeholders, used, rng, now, presales_pins) -> AskPlan:
    ask_type, template = _pick_template(rng, used)
    function = template.get("team") or ASK_TYPE_FUNCTION[ask_type]
    if function == Function.SALES:
        team = PEOPLE_BY_USERNAME[row.owner].team  # the owner's own manager helps
    else:
        team = TEAM_BY_FUNCTION[function]
    fill = {key: rng.choice(values) for key, values in FILLS.items()} | {"short": row.short}
    brief = {
        key: template[key].format(**fill) for key in ("deliverable", "details", "purpose", "basis")
    }
    assignee = _pick_assignee(row, team, function, stakeholders, rng)
    queued = status == S.PROPOSED and rng.random() < 0.5
    if function == Function.PRESALES and presales_pins:
        (status, overdue), assignee, queued = presales_pins.pop(0), "presales", False
    claimed = not queued and rng.random() < 0.3
    fields, events = plan_history(
        ask_type, status, overdue, claimed=claimed, comment=rng.random() < 0.25, rng=rng, now=now
    )
    fields |= brief
    fields |= {
        "audience": template["audience"],
        "basis_verified": rng.random() < 0.6,
        "links": f"https://pan.{EMAIL_DOMAIN}/s/{_token(rng)}" if rng.random() < 0.3 else "",
    }
    if fields["delivery_note"] and ask_type in DOCUMENT_TYPES:
        fields["delivery_link"] = f"https://pan.{EMAIL_DOMAIN}/s/{_token(rng)}"
        for event in events:
            if event.kind == K.DELIVERED:
                event.data = {"link": fields["delivery_link"]}
    milestones = []
    if rng.random() < MILESTONE_SHARE.get(ask_type, 0):
        milestones = plan_milestones(fields, now, rng)
    return AskPlan(
        title=template["title"].format(**fill),
        ask_type=ask_type,
        team=team,
        requester=row.owner,
        assignee=None if queued else assignee,
        fields=fields,
        events=events,
        milestones=milestones,
    )


def _token(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=10))


def _timeline(steps, rng: random.Random, now: dt.datetime, quiet_days) -> list[EventPlan]:
    """Lay the steps out backwards from the last one, in office hours, all in the past."""
    t = _office(now - _days(rng, *quiet_days))
    events = []
    for step in reversed(steps):
        actor = step.actor or ("requester" if step.kind in REQUESTER_KINDS else "assignee")
        events.append(EventPlan(step.kind, actor, t, step.from_status, step.to_status))
        t = _office(t - dt.timedelta(hours=rng.uniform(*STEP_HOURS[step.kind])))
    events.append(EventPlan(K.CREATED, "requester", t, to_status=S.PROPOSED))
    return events[::-1]


def _with_extras(path, *, claimed: bool, comment: bool, rng: random.Random) -> list[Step]:
    steps = list(path)
    if comment:
        at = rng.randint(0, len(steps))
        actor = "requester" if at == 0 or rng.random() < 0.5 else "assignee"
        steps.insert(at, Step(K.COMMENTED, actor=actor))
    if claimed:
        steps.insert(0, Step(K.CLAIMED))
    return steps


def plan_history(ask_type, status, overdue, *, claimed, comment, rng, now):
    """The ask's fields and timeline for a given end state."""
    path = rng.choice(PATHS[status])
    steps = _with_extras(path, claimed=claimed, comment=comment, rng=rng)
    quiet = OVERDUE_QUIET_DAYS if overdue else QUIET_DAYS[status]
    events = _timeline(steps, rng, now, quiet)
    at = {e.kind: e.at for e in events}
    due = _deadlines(status, overdue, at, rng, now)
    texts = TYPE_TEXTS[ask_type]
    fields = {
        "status": status,
        "created_at": events[0].at,
        "proposed_due_at": due["proposed"],
        "agreed_due_at": due.get("agreed"),
        "counter_due_at": due.get("counter") if status == S.COUNTERED else None,
        "resume_status": "",
        "waiting_since": None,
        "responded_at": None,
        "started_at": None,
        "delivered_at": None,
        "closed_at": None,
        "delivery_note": "",
        "delivery_link": "",
        "decline_reason": "",
    }
    for event in events:
        _apply(event, fields, due, texts, rng)
    return fields, events


def _deadlines(status, overdue, at, rng, now) -> dict:
    """Proposed, agreed and counter-proposed deadlines that fit the timeline."""
    created = at[K.CREATED]
    agreed_at = at.get(K.AGREED) or at.get(K.COUNTER_ACCEPTED)
    last = max(at.values())
    due = {}
    if agreed_at is not None:
        floor = agreed_at + dt.timedelta(hours=4)
        if K.DELIVERED in at:
            due["agreed"] = _due(at[K.DELIVERED] + _days(rng, -1.5, 2), after=floor)
        elif status in DEADLINE_STATUSES and overdue:
            gap = now - agreed_at
            target = agreed_at + gap * rng.uniform(0.3, 0.8)
            due["agreed"] = _due(target, after=agreed_at, before=now - dt.timedelta(hours=2))
        elif status in DEADLINE_STATUSES:
            due["agreed"] = _due(now + _days(rng, 0.5, 8), after=now)
        elif status in (S.COUNTERED, S.WAITING):
            due["agreed"] = _due(now + _days(rng, -1, 3), after=floor)
        else:  # cancelled or declined after agreeing
            due["agreed"] = _due(last + _days(rng, -1, 3), after=floor)

    if K.COUNTER_ACCEPTED in at:
        earlier = due["agreed"] - _days(rng, 1, 4)
        due["proposed"] = _due(earlier, after=created + dt.timedelta(hours=3),
                               before=due["agreed"])  # fmt: skip
        due["counter"] = due["agreed"]
    elif agreed_at is not None:
        due["proposed"] = due["agreed"]
    elif status == S.PROPOSED:
        due["proposed"] = _due(now + _days(rng, 0.5, 6), after=now)
    elif status == S.WAITING:
        due["proposed"] = _due(max(now + _days(rng, 0, 4), created + dt.timedelta(days=1)),
                               after=created)  # fmt: skip
    else:  # countered from proposed, declined, cancelled
        due["proposed"] = _due(created + _days(rng, 1, 4), after=created)

    if K.COUNTER_REJECTED in at:
        due["counter"] = _due(due["proposed"] + _days(rng, 2, 5), after=due["proposed"])
    elif status == S.COUNTERED:
        base = max(due.get("agreed") or due["proposed"], now)
        due["counter"] = _due(base + _days(rng, 2, 7), after=base)
    return due


def _apply(event: EventPlan, fields: dict, due: dict, texts: dict, rng: random.Random) -> None:
    """Play one event onto the ask's fields, and give the event its note and data."""
    kind, t = event.kind, event.at
    first_response = (K.AGREED, K.COUNTERED, K.INFO_REQUESTED, K.DECLINED)
    if kind in first_response and fields["responded_at"] is None:
        fields["responded_at"] = t
    if kind == K.CREATED:
        event.data = {"proposed_due_at": due["proposed"].isoformat()}
    elif kind in (K.AGREED, K.COUNTER_ACCEPTED):
        event.data = {"agreed_due_at": due["agreed"].isoformat()}
        fields["resume_status"] = ""
    elif kind == K.COUNTERED:
        event.note = texts["counter"]
        event.data = {"counter_due_at": due["counter"].isoformat()}
        fields["resume_status"] = event.from_status
    elif kind == K.COUNTER_REJECTED:
        event.note = rng.choice(REJECT_NOTES)
        fields["resume_status"] = ""
    elif kind == K.STARTED:
        fields["started_at"] = fields["started_at"] or t
    elif kind == K.INFO_REQUESTED:
        event.note = texts["question"]
        fields["resume_status"] = event.from_status
        fields["waiting_since"] = t
    elif kind == K.INFO_PROVIDED:
        event.note = texts["answer"]
        event.data = {"paused_seconds": int((t - fields["waiting_since"]).total_seconds())}
        fields["resume_status"] = ""
        fields["waiting_since"] = None
    elif kind == K.DELIVERED:
        event.note = fields["delivery_note"] = texts["delivered"]
        fields["delivered_at"] = t
    elif kind == K.CONFIRMED:
        fields["closed_at"] = t
    elif kind == K.REOPENED:
        event.note = texts["reopen"]
        fields["delivered_at"] = fields["closed_at"] = None
    elif kind == K.DECLINED:
        event.note = fields["decline_reason"] = texts["declined"]
        fields["closed_at"] = t
        fields["resume_status"] = ""
        fields["waiting_since"] = None
    elif kind == K.CANCELLED:
        event.note = rng.choice(CANCEL_REASONS)
        fields["closed_at"] = t
    elif kind == K.COMMENTED:
        pool = REQUESTER_COMMENTS if event.actor == "requester" else ASSIGNEE_COMMENTS
        event.note = rng.choice(pool)


def plan_milestones(fields: dict, now: dt.datetime, rng: random.Random) -> list[dict]:
    """v1 internal, v2 the customer's working level, v3 its executives, up to the deadline."""
    created = fields["created_at"]
    final = fields["agreed_due_at"] or fields["counter_due_at"] or fields["proposed_due_at"]
    delivered_at = fields["delivered_at"]
    working = fields["started_at"] is not None and fields["status"] not in CLOSED_STATUSES
    plans, previous = [], created
    for position, (label, audience, share) in enumerate(MILESTONES, start=1):
        # Drawn whatever happens below: what the rng yields must not depend on the clock,
        # or a later run would plan different asks.
        slack = dt.timedelta(hours=rng.uniform(1, 20))
        due = final if share == 1 else _due(created + (final - created) * share,
                                            after=previous, before=final)  # fmt: skip
        done_at = None
        if delivered_at is not None:
            done_at = delivered_at if share == 1 else min(due, delivered_at)
        elif working and share < 1 and due < now:
            done_at = due
        if done_at is not None and share < 1:
            done_at = max(done_at - slack, fields["started_at"] or created)
        plans.append(dict(position=position, label=label, audience=audience, due_at=due,
                          delivered_at=done_at))  # fmt: skip
        previous = due
    return plans
