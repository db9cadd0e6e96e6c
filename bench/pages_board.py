"""The manager's board in the pages bench: a sales director's reporting subtree (seeded
once) and the open asks of their people (placed around the current time before each
run, as the queue's are).

Who. User 11 ("director", sales director for East China, reporting to the head of sales
management, user 1) has two levels below them: three sales team leads (16, 21, 26) with
14 reps each (36 … 241), and a presales lead (31) with 8 presales engineers (246 … 281),
who make up a team of their own (9, "Presales, East China", led by 31). That is 54
people. They are all users g ≡ 1 (mod 5): the skeleton never makes those requesters
(its requesters are 10 + 5 m) nor gives them work (its workers are g mod 5 in 2-4), so
every open ask of theirs is one placed here, and the board's expected rows follow from
the plan below alone. Their history comes with the seed: the closed asks g ≡ 3 (mod 20)
were made by the 45 sellers, and the closed asks g ≡ 13 (mod 100) were done by the East
presales team.

What. BOARD_SIZE open asks, ids k * BOARD_STRIDE + 1, in the KINDS below: 250 stalled
(overdue, at risk, no first answer, waiting on the requester, counter-proposal
unanswered) among 920 that are not (fresh proposals, work in progress due soon or later,
agreed work due weeks ahead, fresh counter-proposals and pauses, deliveries awaiting
confirmation), which the board must read past. They reach the board four ways: made by
one of the sellers (to a finance, legal, presales, production, procurement or
after-sales worker, or still unassigned in that team), assigned to the East presales
team by a seller from elsewhere, both, or unassigned in the East presales team (which
the presales lead leads) from a seller elsewhere.

Business time (deals/calendar.py: 09:00-18:00 in Shanghai, China's statutory calendar)
decides "at risk", "waiting" and "counter-proposal unanswered". Each offset is chosen so
that the ask is in its reason, or in none, whatever the day: one business day is 9
hours, and any 12 calendar days held at least 27 business hours in 2024-2026, Spring
Festival and Golden Week included (checked hour by hour; 7 days can hold none: the
Spring Festival of 2024 ran from 10 to 17 February), so

- overdue: an agreed deadline 2 hours to 12 days past (any past deadline is overdue);
- at risk: agreed or reopened, not started, due in 30 minutes to 8 hours (at most 8
  business hours left); agreed work that is not at risk is due 12 to 40 days ahead;
- no first answer: proposed, its response window (respond_by) 1 hour to 6 days past;
- waiting / counter-proposal unanswered: paused, or countered, 12 to 26 days ago; the
  fresh ones 2 to 8 hours ago (under a business day, yet past the board's one-hour
  calendar bound, so the board reads them and must drop them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass

from psycopg2 import sql as pgsql

from bench.output import say
from bench.seeding import ASKS, DEALS, USERS

DIRECTOR = 11
DIRECTOR_USERNAME = "director"
SALES_LEADS = (16, 21, 26)
PRESALES_LEAD = 31
REPS = tuple(36 + 5 * i for i in range(42))
ENGINEERS = tuple(REPS[-1] + 5 + 5 * i for i in range(8))
EAST_TEAM = 9
SELLERS = (*SALES_LEADS, *REPS)  # the director's people who make asks
PRESALES = (PRESALES_LEAD, *ENGINEERS)  # the director's people who do the work
BELOW = frozenset((*SELLERS, *PRESALES))
QUEUE_USER = 14  # the pages bench's presales engineer: no work of the board goes to them

assert all(user % 5 == 1 and 8 < user <= USERS for user in (DIRECTOR, *BELOW))

# The org chart, run once by the seed after the skeleton's people and profiles.
ORG = (
    "INSERT INTO stakeholders_team (id, name, function, lead_id, time_zone, workday_start,"
    " workday_end, working_weekdays, statutory_calendar, response_hours, turnaround_hours)"
    " VALUES (%(east_team)s, 'Presales, East China', 'presales', %(presales_lead)s,"
    " 'Asia/Shanghai', '09:00', '18:00', '12345', true, 4, 16)",
    "UPDATE stakeholders_profile SET team_id = 1, manager_id = 1,"
    " job_title = 'Sales director, East China' WHERE user_id = %(director)s",
    "UPDATE stakeholders_profile SET team_id = 2, manager_id = %(director)s,"
    " job_title = 'Sales team lead' WHERE user_id = ANY(%(sales_leads)s)",
    "UPDATE stakeholders_profile SET team_id = %(east_team)s, manager_id = %(director)s,"
    " job_title = 'Presales lead, East China' WHERE user_id = %(presales_lead)s",
    # Rep i reports to sales lead i mod 3.
    "UPDATE stakeholders_profile AS p SET team_id = 2,"
    " manager_id = (%(sales_leads)s::int[])[1 + mod(r.i::int - 1, 3)],"
    " job_title = 'Account manager'"
    " FROM unnest(%(reps)s::int[]) WITH ORDINALITY AS r (user_id, i)"
    " WHERE p.user_id = r.user_id",
    "UPDATE stakeholders_profile SET team_id = %(east_team)s, manager_id = %(presales_lead)s,"
    " job_title = 'Presales engineer' WHERE user_id = ANY(%(engineers)s)",
)
ORG_PARAMS = {
    "director": DIRECTOR,
    "director_username": DIRECTOR_USERNAME,
    "east_team": EAST_TEAM,
    "presales_lead": PRESALES_LEAD,
    "sales_leads": list(SALES_LEADS),
    "reps": list(REPS),
    "engineers": list(ENGINEERS),
}

# The seed's history of these people (bench.pages' asks statement, kinds k > 8 closed).
HISTORY_LATERAL = """CROSS JOIN LATERAL (
    SELECT NOT h.history AND k > 8 AND mod(g, 20) = 3 AS sent,
           NOT h.history AND k > 8 AND mod(g, 100) = 13 AS east
) AS b"""
HISTORY_REQUESTER = (
    f"CASE WHEN b.sent THEN (ARRAY{list(SELLERS)})[1 + mod(g / 20, {len(SELLERS)})]"
    " ELSE 10 + 5 * mod(g / 3, 398) END"
)
HISTORY_TEAM = f"WHEN b.east THEN {EAST_TEAM}"
HISTORY_ASSIGNEE = f"WHEN b.east THEN (ARRAY{list(PRESALES)})[1 + mod(g / 100, {len(PRESALES)})]"


def is_history(g: int) -> bool:
    """Whether ask g may be one of the seed's closed asks of these people."""
    return g % 20 == 3 or g % 100 == 13


# --- the asks placed before each run -----------------------------------------------------

D, H, M = dt.timedelta(days=1), dt.timedelta(hours=1), dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Kind:
    name: str
    reason: str | None  # the board's reason (data-reason); None: not on the board
    status: str
    count: int
    what: str  # for the description


KINDS = (
    # Stalled: 250.
    Kind("overdue_agreed", "overdue", "agreed", 25, "agreed, not started"),
    Kind("overdue_in_progress", "overdue", "in_progress", 40, "in progress"),
    Kind("overdue_reopened", "overdue", "reopened", 10, "reopened"),
    Kind("overdue_countered", "overdue", "countered", 15, "a later deadline proposed"),
    Kind("at_risk_agreed", "at_risk", "agreed", 25, "agreed, due in 30 min-8 h"),
    Kind("at_risk_reopened", "at_risk", "reopened", 10, "reopened, due in 30 min-8 h"),
    Kind("unanswered", "unanswered", "proposed", 55, "proposed, window closed 1 h-6 days ago"),
    Kind("waiting", "waiting", "waiting", 40, "paused 12-26 days ago"),
    Kind(
        "blocked_on_agreed",
        "blocked",
        "countered",
        15,
        "countered 12-26 days ago against an agreed deadline",
    ),
    Kind(
        "blocked_on_proposal",
        "blocked",
        "countered",
        15,
        "countered 12-26 days ago against the first proposal",
    ),
    # Not stalled: 920.
    Kind("fresh_proposed", None, "proposed", 150, "proposed, response window open"),
    Kind("in_progress_soon", None, "in_progress", 200, "in progress, due in 1 h-9 days"),
    Kind("in_progress_later", None, "in_progress", 150, "in progress, due in 12-40 days"),
    Kind("agreed_later", None, "agreed", 150, "agreed, due in 12-40 days"),
    Kind("reopened_later", None, "reopened", 30, "reopened, due in 12-40 days"),
    Kind("countered_fresh", None, "countered", 60, "countered 2-8 h ago"),
    Kind("waiting_fresh", None, "waiting", 60, "paused 2-8 h ago"),
    Kind("waiting_new", None, "waiting", 20, "paused under an hour ago"),
    Kind("delivered", None, "delivered", 100, "delivered, awaiting confirmation"),
)
REASON_LABELS = {
    "overdue": "overdue",
    "at_risk": "at risk",
    "unanswered": "no first answer",
    "waiting": "waiting on the requester",
    "blocked": "counter-proposal unanswered",
}

BOARD_SIZE = sum(kind.count for kind in KINDS)
# A multiple of 20 (so no placed ask is one of the seed's history asks, g mod 20 in 3, 13).
BOARD_STRIDE = ASKS // (BOARD_SIZE + 1) // 20 * 20


def _spread_order() -> list[tuple[Kind, int]]:
    """(kind, j) for k = 1 … BOARD_SIZE: the kinds interleaved across the table, not in
    blocks of ids."""
    listed = [(kind, j) for kind in KINDS for j in range(kind.count)]
    step = 383
    while math.gcd(step, BOARD_SIZE) != 1:
        step += 1
    order: list = [None] * BOARD_SIZE
    for i, entry in enumerate(listed):
        order[i * step % BOARD_SIZE] = entry
    assert all(order)
    return order


_ORDER = _spread_order()
BOARD_IDS = tuple(k * BOARD_STRIDE + 1 for k in range(1, BOARD_SIZE + 1))
# What the board must show: the stalled ones, by id, with their reason.
STALLED = {pk: kind.reason for pk, (kind, _) in zip(BOARD_IDS, _ORDER, strict=True) if kind.reason}

assert len(set(BOARD_IDS)) == BOARD_SIZE and BOARD_IDS[-1] <= ASKS
assert not any(is_history(pk) for pk in BOARD_IDS)

# How each ask reaches the board: made by a seller of the director's (to a worker, or
# unassigned in that worker's team), assigned to their presales team, both, or
# unassigned in the team the presales lead leads. Only proposals are unassigned.
_PROPOSAL_PATHS = ("made", "made", "made_unassigned", "made", "assigned", "both", "team", "team")
_PATHS = ("made",) * 7 + ("assigned", "assigned", "both")
PATH_LABELS = {
    "made": "made by their people",
    "made_unassigned": "made by their people, not yet assigned",
    "assigned": "assigned to their people",
    "both": "made by and assigned to their people",
    "team": "unassigned in a team their presales lead leads",
}

# The skeleton's workers by team (3 finance … 8 after-sales), as seeding.seed makes them.
_WORKERS = {
    team: [
        g
        for g in range(9, USERS + 1)
        if g % 5 in (2, 3, 4) and 3 + g % 6 == team and g != QUEUE_USER
    ]
    for team in range(3, 9)
}
_TYPES = {
    3: ("margin_review", "quote", "approval"),
    4: ("contract_review",),
    5: ("solution", "bid_document", "demo"),
    6: ("production_slot",),
    7: ("sourcing",),
    8: ("other",),
    EAST_TEAM: ("solution", "bid_document", "demo"),
}
_TITLES = {
    "margin_review": "Margin review",
    "contract_review": "Contract clause review",
    "solution": "Solution outline",
    "bid_document": "Bid document",
    "quote": "Technical quote",
    "demo": "Demo",
    "production_slot": "Production slot",
    "approval": "Discount approval",
    "sourcing": "Supplier check",
    "other": "After-sales question",
}
_AUDIENCES = ("internal", "customer_working", "customer_executive")


def _spread(j: int, lo: dt.timedelta, hi: dt.timedelta) -> dt.timedelta:
    """An offset from lo to hi, evenly spread over j (the golden ratio's multiples)."""
    return dt.timedelta(seconds=round((lo + (hi - lo) * (j * 0.6180339887 % 1)).total_seconds()))


def path_of(kind: Kind, j: int) -> str:
    paths = _PROPOSAL_PATHS if kind.status == "proposed" else _PATHS
    return paths[j % len(paths)]


def _row(k: int, kind: Kind, j: int, now: dt.datetime) -> dict:
    """One placed ask (the deals_ask columns the bench sets, and its nudge timer)."""
    pk = BOARD_IDS[k - 1]
    status = kind.status
    name = kind.name
    agreed = counter_due = waiting_since = delivered = counter_at = None
    on_proposal = False
    level = step = 0
    if name.startswith("overdue"):
        agreed = now - _spread(j, 2 * H, 12 * D)
        level, step = 1 + j % 3, 2 + j % 3
        if status == "countered":
            counter_at = now - _spread(j + 7, 1 * H, 3 * D)
            counter_due = now + _spread(j, 2 * D, 10 * D)
    elif name.startswith("at_risk"):
        agreed = now + _spread(j, 30 * M, 8 * H)
        step = 1
    elif name in ("unanswered", "fresh_proposed"):
        pass
    elif name in ("waiting", "waiting_fresh", "waiting_new"):
        waiting_since = (
            now
            - {
                "waiting": _spread(j, 12 * D, 26 * D),
                "waiting_fresh": _spread(j, 2 * H, 8 * H),
                "waiting_new": _spread(j, 5 * M, 50 * M),
            }[name]
        )
        agreed = waiting_since + _spread(j + 3, 2 * D, 20 * D)
    elif name.startswith("blocked") or name == "countered_fresh":
        fresh = name == "countered_fresh"
        on_proposal = name == "blocked_on_proposal" or (fresh and j % 2 == 1)
        counter_at = now - (_spread(j, 2 * H, 8 * H) if fresh else _spread(j, 12 * D, 26 * D))
        if not on_proposal:
            agreed = now + _spread(j, 12 * D, 30 * D)
            counter_due = agreed + _spread(j + 1, 3 * D, 10 * D)
        if on_proposal:
            level, step = 1, 1
    elif name == "in_progress_soon":
        agreed = now + _spread(j, 1 * H, 9 * D)
    elif name in ("in_progress_later", "agreed_later", "reopened_later"):
        agreed = now + _spread(j, 12 * D, 40 * D)
    elif name == "delivered":
        delivered = now - _spread(j, 1 * H, 5 * D)
        agreed = delivered + _spread(j + 2, -1 * D, 3 * D)
    else:
        raise AssertionError(name)

    # When it was made: before anything that happened to it.
    if status == "proposed":
        if kind.reason:  # no first answer: the response window (4 h) is past
            respond_by = now - _spread(j, 1 * H, 6 * D)
            created = respond_by - 4 * H
        else:  # still open: made in the last few hours, a window over a weekend or not
            created = now - _spread(j, 10 * M, 3 * H)
            respond_by = now + _spread(j + 5, 1 * H, 3 * D)
    else:
        first = min(t for t in (now, agreed, waiting_since, counter_at, delivered) if t)
        created = first - _spread(j + 11, 1 * D, 14 * D)
        respond_by = created + 4 * H
    responded = None if status == "proposed" else created + 1 * H
    proposed_due = created + _spread(j + 13, 3 * D, 10 * D)
    if on_proposal:
        counter_due = proposed_due + _spread(j + 1, 2 * D, 5 * D)
    has_agreed = agreed is not None
    started = (
        responded + 1 * H if status in ("in_progress", "waiting", "delivered", "reopened") else None
    )

    path = path_of(kind, j)
    if path in ("made", "made_unassigned", "both"):
        requester = SELLERS[k * 7 % len(SELLERS)]
    else:
        requester = 10 + 5 * (k * 13 % 398)
    if path in ("made", "made_unassigned"):
        team = 3 + k % 6
        workers = _WORKERS[team]
        assignee = None if path == "made_unassigned" else workers[k * 11 % len(workers)]
    else:
        team = EAST_TEAM
        assignee = None if path == "team" else PRESALES[k % len(PRESALES)]
    types = _TYPES[team]
    ask_type = types[k % len(types)]

    if status == "waiting":
        resume = "in_progress"
    elif status == "countered":
        resume = "proposed" if on_proposal else "agreed"
    else:
        resume = ""
    if status in ("waiting", "delivered"):
        clock = ""
    elif status == "proposed" or on_proposal:
        clock = "response"
    else:
        clock = "delivery"
    if status in ("waiting", "delivered") or level >= 3:
        next_nudge = None
    elif status == "proposed":
        next_nudge = respond_by if respond_by > now else None
    elif on_proposal:
        next_nudge = None
    elif level:
        next_nudge = agreed + level * D
    else:
        next_nudge = agreed - D if agreed - D > now else agreed
    return {
        "id": pk,
        "deal_id": 1 + pk * 7919 % DEALS,
        "requester_id": requester,
        "team_id": team,
        "assignee_id": assignee,
        "ask_type": ask_type,
        "title": f"{_TITLES[ask_type]} {k}",
        "audience": _AUDIENCES[k // 3 % 3],
        "status": status,
        "proposed_due_at": proposed_due,
        "counter_due_at": counter_due,
        "agreed_due_at": agreed,
        "resume_status": resume,
        "waiting_since": waiting_since,
        "created_at": created,
        "updated_at": counter_at or now - 5 * M,
        "responded_at": responded,
        "started_at": started,
        "delivered_at": delivered,
        "respond_by": respond_by,
        "ladder_clock": clock,
        "ladder_cycle": 1 if has_agreed else 0,
        "ladder_started_at": responded if has_agreed else None,
        "next_nudge_at": next_nudge,
        "ladder_step": step,
        "escalation_level": level,
        "countered_at": counter_at,
        "from_status": resume,
        "path": path,
        "kind": kind.name,
    }


def plan(now: dt.datetime) -> list[dict]:
    return [_row(k, kind, j, now) for k, (kind, j) in enumerate(_ORDER, start=1)]


_COLUMNS = (
    ("id", "bigint"),
    ("deal_id", "bigint"),
    ("requester_id", "int"),
    ("team_id", "bigint"),
    ("assignee_id", "int"),
    ("ask_type", "text"),
    ("title", "text"),
    ("audience", "text"),
    ("status", "text"),
    ("proposed_due_at", "timestamptz"),
    ("counter_due_at", "timestamptz"),
    ("agreed_due_at", "timestamptz"),
    ("resume_status", "text"),
    ("waiting_since", "timestamptz"),
    ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("responded_at", "timestamptz"),
    ("started_at", "timestamptz"),
    ("delivered_at", "timestamptz"),
    ("respond_by", "timestamptz"),
    ("ladder_clock", "text"),
    ("ladder_cycle", "int"),
    ("ladder_started_at", "timestamptz"),
)
_SETS = ", ".join(f"{name} = v.{name}" for name, _ in _COLUMNS[1:])
_ARRAYS = ", ".join(f"%({name})s::{kind}[]" for name, kind in _COLUMNS)
_NAMES = ", ".join(name for name, _ in _COLUMNS)
_PLACE = f"""
UPDATE deals_ask AS a SET {_SETS}, closed_at = NULL, delivery_note = '', delivery_link = '',
    decline_reason = '', snoozed_until = NULL
FROM unnest({_ARRAYS}) AS v ({_NAMES})
WHERE a.id = v.id
"""  # noqa: S608 (constants only; values go in as parameters)
_PLACE_TIMERS = """
INSERT INTO deals_nudgetimer (ask_id, next_nudge_at, ladder_step, escalation_level)
SELECT * FROM unnest(%(id)s::bigint[], %(next_nudge_at)s::timestamptz[], %(ladder_step)s::int[],
                     %(escalation_level)s::int[])
ON CONFLICT (ask_id) DO UPDATE SET
    next_nudge_at = excluded.next_nudge_at,
    ladder_step = excluded.ladder_step,
    escalation_level = excluded.escalation_level
"""

# A counter-proposal's time is its "countered" event (by the assignee; the board reads
# the newest); the asks placed here have no other events.
_PLACE_EVENTS = """
INSERT INTO deals_askevent (kind, from_status, to_status, note, data, created_at, actor_id,
                            ask_id)
SELECT 'countered', v.from_status, 'countered', '', '{}', v.countered_at, v.assignee_id, v.id
FROM unnest(%(id)s::bigint[], %(countered_at)s::timestamptz[], %(from_status)s::text[],
            %(assignee_id)s::int[]) AS v (id, countered_at, from_status, assignee_id)
WHERE v.countered_at IS NOT NULL
"""

# The bench's own reading of the board's scope (independent of the product's): open asks
# made by or assigned to anyone below the director, at any depth, or unassigned in a
# team that they or anyone below them leads.
_SCOPE = """
WITH RECURSIVE below (user_id, depth) AS (
    SELECT user_id, 1 FROM stakeholders_profile WHERE manager_id = %(director)s
    UNION
    SELECT p.user_id, b.depth + 1 FROM stakeholders_profile p
    JOIN below b ON p.manager_id = b.user_id WHERE b.depth < 10
)
SELECT
    (SELECT array_agg(DISTINCT user_id) FROM below),
    (SELECT max(depth) FROM below),
    (SELECT array_agg(id) FROM deals_ask
     WHERE status NOT IN ('done', 'cancelled', 'declined')
       AND (requester_id IN (SELECT user_id FROM below)
            OR assignee_id IN (SELECT user_id FROM below)
            OR (assignee_id IS NULL AND team_id IN (
                SELECT id FROM stakeholders_team
                WHERE lead_id = %(director)s OR lead_id IN (SELECT user_id FROM below))))),
    (SELECT count(*) FROM deals_ask
     WHERE status IN ('done', 'cancelled', 'declined')
       AND requester_id IN (SELECT user_id FROM below)),
    (SELECT count(*) FROM deals_ask
     WHERE status IN ('done', 'cancelled', 'declined')
       AND assignee_id IN (SELECT user_id FROM below))
"""


def place_board(now: dt.datetime) -> None:
    """The director's people's open asks around ``now``, their timers and the events of
    their counter-proposals (and no milestones); then check that they are all the open
    asks the board's scope holds, and describe them."""
    import sys

    from django.db import connection, transaction

    rows = plan(now)
    columns = {name: [row[name] for row in rows] for name, _ in _COLUMNS}
    for name in ("next_nudge_at", "ladder_step", "escalation_level", "countered_at"):
        columns[name] = [row[name] for row in rows]
    columns["from_status"] = [row["from_status"] for row in rows]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_PLACE, columns)
        placed = cur.rowcount
        cur.execute(_PLACE_TIMERS, columns)
        for table in ("deals_milestone", "deals_askevent"):
            cur.execute(
                pgsql.SQL("DELETE FROM {} WHERE ask_id = ANY(%s)").format(pgsql.Identifier(table)),
                [list(BOARD_IDS)],
            )
        cur.execute(_PLACE_EVENTS, columns)
    if placed != BOARD_SIZE:
        sys.exit(f"Placed {placed} board asks instead of {BOARD_SIZE}; the seed is off.")
    with connection.cursor() as cur:
        cur.execute(_SCOPE, {"director": DIRECTOR})
        below, depth, in_scope, sent_history, done_history = cur.fetchone()
    if set(below or ()) != BELOW:
        sys.exit(
            f"{len(below or ())} people below the director instead of {len(BELOW)}; "
            "the seed's org chart is off (BENCH_RESEED=1)."
        )
    others = set(in_scope or ()) - set(BOARD_IDS)
    if others:
        sys.exit(
            f"{len(others)} open asks in the director's scope were not placed by the bench "
            f"(e.g. {sorted(others)[:5]}); the expected board would be wrong."
        )
    reasons = Counter(STALLED.values())
    kinds = Counter(row["kind"] for row in rows if not STALLED.get(row["id"]))
    paths = Counter(row["path"] for row in rows)
    on_board = Counter(row["path"] for row in rows if row["id"] in STALLED)
    levels = Counter(row["escalation_level"] for row in rows if row["id"] in STALLED)
    say(
        f"  {DIRECTOR_USERNAME} (user {DIRECTOR}, sales director, East China): {len(BELOW)} "
        f"people below, {depth} levels: {len(SALES_LEADS)} sales team leads with "
        f"{len(REPS)} reps, a presales lead (team {EAST_TEAM}) with {len(ENGINEERS)} engineers"
    )
    say(
        f"  their open asks: {BOARD_SIZE:,}, all placed; {sent_history:,} closed ones made by "
        f"their people, {done_history:,} done by them"
    )
    say(
        f"  stalled: {len(STALLED)}: "
        + "; ".join(
            f"{label} {reasons[reason]} ("
            + ", ".join(f"{k.what} {k.count}" for k in KINDS if k.reason == reason)
            + ")"
            for reason, label in REASON_LABELS.items()
        )
    )
    say(
        "  escalation levels on the board: "
        + ", ".join(f"{n}: {levels[n]}" for n in sorted(levels))
    )
    say(
        f"  not stalled, for the board to read past: {BOARD_SIZE - len(STALLED)} ("
        + ", ".join(f"{k.what} {kinds[k.name]}" for k in KINDS if not k.reason)
        + ")"
    )
    say(
        "  how they reach the board (stalled / all): "
        + ", ".join(f"{PATH_LABELS[p]} {on_board[p]} / {paths[p]}" for p in PATH_LABELS)
    )
