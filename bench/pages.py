"""How fast the work-queue pages answer under load (``make bench-pages``).

The issue's goals, on PostgreSQL and these 2 cores, for "my queue" (``/queue/``) of a
presales engineer with 300 open asks among 1,000,000: p95 at most 50 ms, at least 300
requests/s, and at least half the requests/s of the bare view (one raw query, a minimal
template, the same middleware: the practical limit of this stack). Issue 6's, for the
manager board (``/board/``) of a sales director with 54 people in two levels below
them, 250 of whose 1,170 open asks are stalled: p95 at most 100 ms (its only goal).

Steps:
1. Create the database (BENCH_PAGES_DATABASE_URL, default ``dealdesk_bench_pages``) if
   missing and migrate it.
2. Seed it once in SQL (``INSERT … SELECT generate_series``), printing rows and rows/s:
   teams, 2,000 people, 50,000 deals, 1,000,000 asks with a nudge timer for each open
   one; the director's org chart and their people's closed asks (bench/pages_board.py).
   Later runs reuse the seed while its marker (COMMENT ON TABLE) and row counts match;
   BENCH_RESEED=1 seeds again from an empty database.
3. Before each run, place the presales engineer's 300 open asks around the current time
   (their deadlines must be "overdue", "due today" or "later" when the page is read):
   a mix of open statuses, deals, audiences, escalation levels 1-3 and milestones. Then
   the director's people's 1,170 open asks: 250 stalled (overdue, at risk, no first
   answer, waiting on the requester, counter-proposal unanswered, with offsets that
   hold in business time on any day) among 920 that are not; VACUUM ANALYZE.
4. collectstatic into a folder of the bench's own (DEBUG off reads the manifest), and
   a session for each page's reader (the engineer, the director) in the bench
   database: wrk sends its cookie.
5. Serve the project as the Procfile does (gunicorn, 2 sync workers, DEBUG off) on a
   free loopback port, with ``bench.pages_settings``: the product's settings and URLs
   plus the bare view at ``/bench/bare-queue/``.
6. Check each page once: 200 for its reader, with exactly the expected asks as rows
   (the engineer's 300 on the queue pages; on the board, the 250 placed stalled, each
   with the reason it was placed in); a redirect to the login page without the session.
7. Load each page from a second process with wrk (BENCH_CONNECTIONS connections,
   default 4, one thread): a warm-up, then BENCH_DURATION seconds (default 15).
   req/s, p50 and p95 come from wrk's own histogram (a Lua ``done()`` hook); every
   response must have been a 200 of the checked size (gunicorn's access log).
8. Print each page's figures and its goals (only those it has), PASS or MISS. Exit
   non-zero only when a page did not render correctly; a missed goal prints MISS.
9. When a page misses a goal (BENCH_PROFILE=1: every page, the bare view too), serve it
   in this process one request at a time: its time, its queries and their time, then
   cProfile's top entries (BENCH_PROFILE=0 never profiles).

Adding a page is one more ``Page`` in ``PAGES``: its URL name, its reader and the asks
it must show (placed before each run, like the queue's and the board's).
"""

from __future__ import annotations

import contextlib
import cProfile
import http.client
import json
import os
import pstats
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis
from psycopg2 import sql as pgsql

from bench import pages_board, seeding
from bench.output import cpu_check, heading, load, profile_entries, say, show_own_time
from bench.seeding import ASKS, DEALS, USERS

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_PAGES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dealdesk_bench_pages"
)
DURATION_S = int(os.environ.get("BENCH_DURATION", "15"))
# The cache the product keeps queue rows in (Redis in production): a database of its own,
# emptied before each page is loaded.
CACHE_URL = os.environ.get("BENCH_PAGES_REDIS_URL", "redis://127.0.0.1:6379/14")
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
PROFILE = os.environ.get("BENCH_PROFILE", "auto")
# Comma-separated page keys to run (default: all of PAGES).
ONLY = {key.strip() for key in os.environ.get("BENCH_PAGES", "").split(",") if key.strip()}
WARMUP_S = 3
WORKERS = 2

# The presales engineer whose queue is read: user 14 sits in the presales team (5),
# managed by its lead (user 5). Their open asks are the asks k * QUEUE_STRIDE for
# k = 1 … QUEUE_SIZE; nobody else's open work is ever assigned to them.
QUEUE_USER = 14
QUEUE_USERNAME = "presales"
PRESALES_TEAM = 5
QUEUE_SIZE = 300
QUEUE_STRIDE = ASKS // (QUEUE_SIZE + 1)
QUEUE_IDS = frozenset(k * QUEUE_STRIDE for k in range(1, QUEUE_SIZE + 1))
# The manager whose board is read, and what it must show (bench/pages_board.py).
BOARD_USER = pages_board.DIRECTOR
SEED_VERSION = (
    f"bench-pages seed v2: {ASKS} asks, {USERS} users, {DEALS} deals, "
    f"{QUEUE_SIZE} open asks for user {QUEUE_USER}, "
    f"{len(pages_board.BELOW)} people below user {BOARD_USER} with closed history"
)
# The board's asks are none of the queue's, nor the engineer's history.
assert pages_board.QUEUE_USER == QUEUE_USER
assert not any(pk in QUEUE_IDS or pk % QUEUE_STRIDE in (0, 1) for pk in pages_board.BOARD_IDS), (
    "the board's placed asks overlap the queue's"
)

SECRET_KEY = os.environ.get("SECRET_KEY") or "bench-pages-only-key-" + "0" * 50
# What the bench process and gunicorn both run with: production's shape (DEBUG off),
# plain HTTP on loopback.
DJANGO_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.pages_settings",
    "DATABASE_URL": DATABASE_URL,
    "DEBUG": "false",
    "SECRET_KEY": SECRET_KEY,
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "REDIS_URL": CACHE_URL,
}
RUN_DIR = BASE_DIR / "var" / "bench-pages"
LUA = Path(__file__).resolve().parent / "pages_latency.lua"


@dataclass(frozen=True)
class Goals:
    """A page's goals; a page is held only to those it has (the board: a p95 only)."""

    p95_ms: float | None = None
    rps: float | None = None
    share_of_bare: float | None = None  # of the bare view's req/s


@dataclass(frozen=True)
class Page:
    key: str  # for BENCH_PAGES
    name: str
    url_name: str  # reversed with bench.pages_urls, so a page the product lacks fails
    user_id: int  # who reads it (a session of theirs goes with every request)
    rows: frozenset[int]  # the asks it must show, one row each, and no others
    row_pattern: str  # a regex whose group 1 is the id of the ask a row shows
    goals: Goals | None = None
    # Why each row is there, when the page says so: a regex whose groups are the id of
    # the ask a row shows and its reason, and the reason each expected ask must have.
    reason_pattern: str = ""
    reasons: dict[int, str] | None = None
    is_bare: bool = False  # the reference the goals' ratio is taken against
    # Every request misses the queue's row cache (a fresh ?cold=N each time): what a
    # reader waits after a change to their queue, printed next to the steady state.
    cold: bool = False


PAGES = (
    Page(
        "bare",
        "bare view",
        "bench_bare_queue",
        QUEUE_USER,
        QUEUE_IDS,
        r'<tr id="ask-row-(\d+)"',
        is_bare=True,
    ),
    Page(
        "my-queue",
        "my queue",
        "my_queue",
        QUEUE_USER,
        QUEUE_IDS,
        r'<li id="ask-row-(\d+)"',
        goals=Goals(p95_ms=50, rps=300, share_of_bare=0.5),
    ),
    Page(
        # The floor of this stack for any signed-in page of ours: session, user, profile,
        # header counts and the base template, with no rows (the engineer sent no asks).
        "floor",
        "an empty page (asks I sent)",
        "asks_sent",
        QUEUE_USER,
        frozenset(),
        r'<tr id="ask-row-(\d+)"',
    ),
    Page(
        "my-queue-cold",
        "my queue, cold",
        "my_queue",
        QUEUE_USER,
        QUEUE_IDS,
        r'<li id="ask-row-(\d+)"',
        cold=True,
    ),
    Page(
        # The director's stalled-items board (issue 6): 250 stalled asks of 54 people
        # among their 1,170 open ones.
        "board",
        "manager board",
        "board",
        BOARD_USER,
        frozenset(pages_board.STALLED),
        r'<tr id="board-row-(\d+)"',
        goals=Goals(p95_ms=100),
        reason_pattern=r'<tr id="board-row-(\d+)"[^>]*\sdata-reason="([a-z_]+)"',
        reasons=pages_board.STALLED,
    ),
    Page(
        # The same board when every request misses its kept rows (right after a change).
        "board-cold",
        "manager board, cold",
        "board",
        BOARD_USER,
        frozenset(pages_board.STALLED),
        r'<tr id="board-row-(\d+)"',
        cold=True,
    ),
)


def setup_django() -> None:
    os.environ.update(DJANGO_ENV)
    import django

    django.setup()


# --- seeding ----------------------------------------------------------------------------

_AUDIENCES = "ARRAY['internal', 'customer_working', 'customer_executive']"

# Everyone's asks but the engineer's open ones (placed before each run, see _PLACE_QUEUE).
# The kinds (k = g mod 40, seeding.asks_sql): 0-1 proposed, 2-3 agreed, 4-5 in progress,
# 6 counter-proposed, 7 waiting on the requester, 8 delivered, 9-39 closed (done 80%,
# cancelled 15%, declined 5%). Agreed deadlines fall from a week ago to two weeks ahead.
# Nobody else's work goes to the engineer; their history: of the asks
# g ≡ 1 (mod QUEUE_STRIDE), the closed ones. The director's people have none of the
# skeleton's open asks (bench/pages_board.py), only a history: the closed asks
# g ≡ 3 (mod 20) are their sellers', the closed asks g ≡ 13 (mod 100) their presales
# team's.
_SEED_ASKS = seeding.asks_sql(
    workers=f"AND user_id <> {QUEUE_USER}",
    laterals=f"""CROSS JOIN LATERAL (
    SELECT mod(g, {QUEUE_STRIDE}) = 1 AND k > 8 AS history
) AS h
{pages_board.HISTORY_LATERAL}""",
    team=f"CASE WHEN h.history THEN {PRESALES_TEAM} {pages_board.HISTORY_TEAM} ELSE m.team_id END",
    requester=pages_board.HISTORY_REQUESTER,
    assignee=f"WHEN h.history THEN {QUEUE_USER} {pages_board.HISTORY_ASSIGNEE}",
    audience=f"({_AUDIENCES})[1 + mod(g / 3, 3)]",
    statuses="""WHEN k IN (0, 1) THEN 'proposed'
                WHEN k IN (2, 3) THEN 'agreed'
                WHEN k IN (4, 5) THEN 'in_progress'""",
    agreed="""WHEN k IN (2, 3, 4, 5, 6)
                THEN t + make_interval(mins => (mod(j, 30240) - 10080)::int)""",
    respond_by="c.created + interval '4 hours'",
    ladder_clock="""CASE WHEN k IN (0, 1) THEN 'response' WHEN k BETWEEN 2 AND 6 THEN 'delivery'
         ELSE '' END""",
)

# Chinese names, as the people on the pages have; the engineer signs in as "presales",
# the sales director as "director".
_SEED_USERS = (
    "INSERT INTO auth_user (id, password, is_superuser, username, first_name,"
    " last_name, email, is_staff, is_active, date_joined)"
    " SELECT g, '!', false,"
    " CASE WHEN g = %(queue_user)s THEN %(queue_username)s"
    " WHEN g = %(director)s THEN %(director_username)s ELSE 'bench' || g END,"
    " (ARRAY['伟', '芳', '娜', '敏', '静', '磊', '洋', '艳', '勇', '军'])"
    "[1 + mod(g, 10)] || g,"
    " (ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'])"
    "[1 + mod(g / 10, 10)],"
    " 'bench' || g || '@example.com', false, true, %(now)s"
    " FROM generate_series(1, %(users)s) AS g"
)

# Amounts from ¥1,000 to ¥900M (a log scale, as the ranking reads them), one deal in
# ten in USD, EUR or HKD, an expected close date on three in four.
_SEED_DEALS = (
    "INSERT INTO deals_deal (id, customer, title, amount, currency, stage,"
    " expected_close_date, why_it_matters, reference_customer, follow_on_phases,"
    " demonstration_value, created_at, updated_at, owner_id)"
    " SELECT g, 'Customer ' || mod(g, 5000), 'Deal ' || g,"
    " power(10, 3 + mod(g, 6))::numeric * (1 + mod(g / 6, 9)),"
    " (ARRAY['CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'CNY', 'USD', 'EUR',"
    " 'HKD'])[1 + mod(g / 7, 10)],"
    " (ARRAY['lead', 'opportunity', 'expectations', 'value', 'success', 'won',"
    " 'lost'])[1 + mod(g, 7)],"
    " CASE WHEN mod(g, 4) = 0 THEN NULL"
    " ELSE (%(now)s AT TIME ZONE 'Asia/Shanghai')::date + mod(g, 150) END,"
    " '', mod(g, 13) = 0, mod(g, 17) = 0, mod(g, 19) = 0,"
    " %(now)s - make_interval(days => mod(g, 900)::int),"
    " %(now)s - make_interval(days => mod(g, 30)::int), 10 + 5 * mod(g, 398)"
    " FROM generate_series(1, %(deals)s) AS g"
)

# Each open ask's nudge timer: when its next ladder step fires (none while it waits on
# the requester or is delivered).
_SEED_TIMERS = """
INSERT INTO deals_nudgetimer (ask_id, next_nudge_at, ladder_step, escalation_level)
SELECT id,
    CASE WHEN status = 'proposed' THEN respond_by
         WHEN status IN ('waiting', 'delivered') THEN NULL
         WHEN agreed_due_at > %(now)s THEN agreed_due_at - interval '1 day'
         ELSE agreed_due_at + interval '1 day' END,
    CASE WHEN status IN ('agreed', 'in_progress', 'countered') AND agreed_due_at <= %(now)s
         THEN 2 ELSE 0 END,
    CASE WHEN status IN ('agreed', 'in_progress', 'countered') AND agreed_due_at <= %(now)s
         THEN 1 ELSE 0 END
FROM deals_ask
WHERE status NOT IN ('done', 'cancelled', 'declined')
"""

# The engineer's queue, around NOW (run before every measurement; idempotent). Ask
# k * QUEUE_STRIDE is the k-th; with k = 20 b + s, s picks the status (4 proposed,
# 4 agreed, 5 in progress, 2 counter-proposed, 2 waiting, 3 reopened in every 20) and
# w = (b + 3 s) mod 10 the deadline, so each status meets each window: w 0-1 overdue
# (30 min to 5 days ago), 2 due later today (Shanghai), else 1 to 21 days ahead.
# Overdue work with an agreed deadline sits at escalation level 1, 2 or 3; one ask in
# four has three staged milestones.
_QUEUE_ROWS = f"""
WITH q0 AS (
    SELECT k, k * {QUEUE_STRIDE} AS id, %(now)s::timestamptz AS t,
        (ARRAY['proposed', 'proposed', 'proposed', 'proposed', 'agreed', 'agreed', 'agreed',
               'agreed', 'in_progress', 'in_progress', 'in_progress', 'in_progress',
               'in_progress', 'countered', 'countered', 'waiting', 'waiting', 'reopened',
               'reopened', 'reopened'])[1 + mod(k, 20)] AS status,
        mod(k / 20 + 3 * k, 10) AS w
    FROM generate_series(1, {QUEUE_SIZE}) AS k
), q1 AS (
    SELECT q0.*,
        CASE WHEN w IN (0, 1) THEN t - make_interval(mins => (30 + mod(k * 97, 7170))::int)
             WHEN w = 2 THEN t + ((date_trunc('day', t AT TIME ZONE 'Asia/Shanghai')
                                  + interval '1 day') AT TIME ZONE 'Asia/Shanghai' - t)
                                 * (0.2 + mod(k, 7) / 10.0)
             ELSE t + make_interval(hours => (24 + mod(k * 31, 480))::int) END AS due,
        -- A counter-proposal against an agreed deadline, or against the first proposal.
        status = 'countered' AND mod(k / 20, 2) = 1 AS counter_on_proposal
    FROM q0
), q AS (
    SELECT q1.*,
        CASE WHEN status = 'proposed'
             THEN least(due - interval '1 hour',
                        t - make_interval(hours => (1 + mod(k * 13, 100))::int))
             ELSE least(due, t) - make_interval(days => (2 + mod(k, 12))::int) END AS created,
        status IN ('agreed', 'in_progress', 'reopened', 'waiting')
            OR (status = 'countered' AND NOT counter_on_proposal) AS has_agreed,
        CASE WHEN w IN (0, 1) AND status IN ('agreed', 'in_progress', 'reopened', 'countered')
                  AND NOT counter_on_proposal
             THEN 1 + mod(k / 20, 3) ELSE 0 END AS level
    FROM q1
)
"""  # noqa: S608 (constants only; values go in as parameters)

_PLACE_QUEUE = (
    _QUEUE_ROWS
    + f"""
UPDATE deals_ask AS a SET
    deal_id = 1 + mod(q.k * 7919, {DEALS}),
    requester_id = 10 + 5 * mod(q.k * 13, 398),
    team_id = {PRESALES_TEAM},
    assignee_id = {QUEUE_USER},
    ask_type = (ARRAY['solution', 'bid_document', 'quote', 'demo'])[1 + mod(q.k, 4)],
    title = (ARRAY['Solution outline', 'Bid document', 'Technical quote', 'Demo'])
            [1 + mod(q.k, 4)] || ' ' || q.k,
    audience = ({_AUDIENCES})[1 + mod(q.k / 3, 3)],
    status = q.status,
    proposed_due_at = CASE WHEN q.status = 'proposed' THEN q.due
                           ELSE q.due - interval '1 day' END,
    counter_due_at = CASE WHEN q.status <> 'countered' THEN NULL
                          WHEN q.counter_on_proposal THEN q.due
                          ELSE q.due + interval '3 days' END,
    agreed_due_at = CASE WHEN q.has_agreed THEN q.due END,
    resume_status = CASE q.status WHEN 'waiting' THEN 'in_progress'
                    WHEN 'countered' THEN CASE WHEN q.counter_on_proposal THEN 'proposed'
                                               ELSE 'agreed' END
                    ELSE '' END,
    waiting_since = CASE WHEN q.status = 'waiting'
                         THEN q.t - make_interval(hours => (1 + mod(q.k, 48))::int) END,
    created_at = q.created,
    updated_at = q.t - interval '10 minutes',
    responded_at = CASE WHEN q.status <> 'proposed' THEN q.created + interval '1 hour' END,
    started_at = CASE WHEN q.status IN ('in_progress', 'waiting', 'reopened')
                      THEN q.created + interval '2 hours' END,
    delivered_at = CASE WHEN q.status = 'reopened' THEN q.created + interval '1 day' END,
    closed_at = NULL,
    decline_reason = '',
    respond_by = q.created + interval '4 hours',
    ladder_clock = CASE WHEN q.status = 'proposed' OR q.counter_on_proposal THEN 'response'
                        WHEN q.status = 'waiting' THEN '' ELSE 'delivery' END,
    ladder_cycle = CASE WHEN q.status = 'reopened' THEN 2 WHEN q.has_agreed THEN 1 ELSE 0 END,
    ladder_started_at = CASE WHEN q.has_agreed THEN q.created + interval '1 hour' END,
    snoozed_until = NULL
FROM q
WHERE a.id = q.id
"""  # noqa: S608 (constants only; values go in as parameters)
)

# Each step of the default delivery ladder fired so far: the level reached plus one
# (the reminder); the response ladder has one step.
_PLACE_TIMERS = (
    _QUEUE_ROWS
    + """
INSERT INTO deals_nudgetimer (ask_id, next_nudge_at, ladder_step, escalation_level)
SELECT q.id,
    CASE WHEN q.status = 'waiting' THEN NULL
         WHEN q.status = 'proposed' OR q.counter_on_proposal THEN
             CASE WHEN q.created + interval '4 hours' > q.t
                  THEN q.created + interval '4 hours' END
         WHEN q.level = 0 THEN CASE WHEN q.due - interval '1 day' > q.t
                                    THEN q.due - interval '1 day' ELSE q.due END
         WHEN q.level < 3 THEN q.due + make_interval(days => q.level)
         END,
    CASE WHEN q.status = 'proposed' OR q.counter_on_proposal THEN
             CASE WHEN q.created + interval '4 hours' > q.t THEN 0 ELSE 1 END
         WHEN q.level > 0 THEN q.level + 1
         WHEN q.status <> 'waiting' AND q.due - interval '1 day' <= q.t THEN 1
         ELSE 0 END,
    CASE WHEN (q.status = 'proposed' OR q.counter_on_proposal)
              AND q.created + interval '4 hours' <= q.t THEN 1
         ELSE q.level END
FROM q
ON CONFLICT (ask_id) DO UPDATE SET
    next_nudge_at = excluded.next_nudge_at,
    ladder_step = excluded.ladder_step,
    escalation_level = excluded.escalation_level
"""
)

_PLACE_MILESTONES = (
    _QUEUE_ROWS
    + """
INSERT INTO deals_milestone (ask_id, position, label, due_at, audience, delivered_at)
SELECT q.id, p.position, p.label, p.due_at, p.audience,
    CASE WHEN p.position = 1 AND p.due_at < q.t THEN p.due_at END
FROM q
CROSS JOIN LATERAL (VALUES
    (1, 'v1 internal', q.due - interval '2 days', 'internal'),
    (2, 'v2 working level', q.due - interval '1 day', 'customer_working'),
    (3, 'v3 executives', q.due, 'customer_executive')
) AS p (position, label, due_at, audience)
WHERE mod(q.k, 4) = 0
"""
)


def seed() -> None:
    """seeding.seed with this bench's people (the engineer among them, and the director's
    org chart), deals, asks and timers, around the current time."""
    seeding.seed(
        SEED_VERSION,
        _now(),
        users=_SEED_USERS,
        deals=_SEED_DEALS,
        asks=_SEED_ASKS,
        timers=_SEED_TIMERS,
        people=pages_board.ORG,
        params={
            "queue_user": QUEUE_USER,
            "queue_username": QUEUE_USERNAME,
            **pages_board.ORG_PARAMS,
        },
    )


def _now():
    from django.utils import timezone

    return timezone.now()


def place_queue() -> None:
    """The engineer's 300 open asks, their timers and milestones, around the current
    time; then a description of what the page will show."""
    from django.db import connection, transaction

    params = {"now": _now()}
    queue_ids = sorted(QUEUE_IDS)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(_PLACE_QUEUE, params)
        placed = cur.rowcount
        cur.execute(_PLACE_TIMERS, params)
        cur.execute("DELETE FROM deals_milestone WHERE ask_id = ANY(%s)", [queue_ids])
        cur.execute(_PLACE_MILESTONES, params)
    if placed != QUEUE_SIZE:
        sys.exit(f"Placed {placed} queue asks instead of {QUEUE_SIZE}; the seed is off.")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FILTER (WHERE status NOT IN ('done', 'declined', 'cancelled')),"
            " count(*) FROM deals_ask WHERE assignee_id = %s",
            [QUEUE_USER],
        )
        open_, everything = cur.fetchone()
        cur.execute(
            "SELECT status, count(*) FROM deals_ask WHERE id = ANY(%s) GROUP BY 1 ORDER BY 2 DESC",
            [queue_ids],
        )
        statuses = cur.fetchall()
        # The windows the page counts: a waiting ask's clock is paused, so it is in none.
        cur.execute(
            "SELECT count(*) FILTER (WHERE due <= %(now)s),"
            " count(*) FILTER (WHERE due > %(now)s AND (due AT TIME ZONE 'Asia/Shanghai')::date"
            "   = (%(now)s AT TIME ZONE 'Asia/Shanghai')::date),"
            " count(*) FILTER (WHERE (due AT TIME ZONE 'Asia/Shanghai')::date"
            "   > (%(now)s AT TIME ZONE 'Asia/Shanghai')::date)"
            " FROM (SELECT coalesce(agreed_due_at, CASE WHEN status = 'countered'"
            "   THEN counter_due_at END, proposed_due_at) AS due"
            "   FROM deals_ask WHERE id = ANY(%(ids)s) AND status <> 'waiting') AS d",
            {**params, "ids": queue_ids},
        )
        overdue, today, later = cur.fetchone()
        cur.execute(
            "SELECT escalation_level, count(*) FROM deals_nudgetimer WHERE ask_id = ANY(%s)"
            " GROUP BY 1 ORDER BY 1",
            [queue_ids],
        )
        levels = cur.fetchall()
        cur.execute(
            "SELECT count(DISTINCT a.deal_id), count(DISTINCT d.currency),"
            " count(DISTINCT a.requester_id), count(DISTINCT a.audience),"
            " count(*) FILTER (WHERE d.reference_customer OR d.follow_on_phases"
            "   OR d.demonstration_value),"
            " (SELECT count(DISTINCT ask_id) FROM deals_milestone WHERE ask_id = ANY(%(ids)s))"
            " FROM deals_ask a JOIN deals_deal d ON d.id = a.deal_id WHERE a.id = ANY(%(ids)s)",
            {"ids": queue_ids},
        )
        deals, currencies, requesters, audiences, flagged, with_milestones = cur.fetchone()
    say(
        f"  {QUEUE_USERNAME} (user {QUEUE_USER}, presales, Asia/Shanghai): {open_} open asks "
        f"assigned ({everything - open_} closed ones in their history)"
    )
    say("  statuses: " + ", ".join(f"{status} {n}" for status, n in statuses))
    say(
        f"  deadlines: {overdue} overdue, {today} due later today (Shanghai), {later} later; "
        f"{QUEUE_SIZE - overdue - today - later} waiting on the requester, clock paused"
    )
    say("  escalation levels: " + ", ".join(f"{level}: {n}" for level, n in levels))
    say(
        f"  {deals} deals in {currencies} currencies, {flagged} asks on strategic deals, "
        f"{requesters} requesters, {audiences} audiences, {with_milestones} asks with milestones"
    )


def vacuum_placed() -> None:
    """After placing the queue and the board: the tables they touched, vacuumed and
    analysed, as autovacuum would have them by the time readers come."""
    from django.db import connection

    tables = ("deals_ask", "deals_nudgetimer", "deals_milestone", "deals_askevent")
    started = time.perf_counter()
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(pgsql.SQL("VACUUM ANALYZE {}").format(pgsql.Identifier(table)))
    say(f"  VACUUM ANALYZE {', '.join(tables)} in {time.perf_counter() - started:.1f}s")


def describe_seed() -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE closed_at IS NULL),"
            " pg_size_pretty(pg_table_size('deals_ask')),"
            " (SELECT count(*) FROM deals_nudgetimer) FROM deals_ask"
        )
        total, open_, size, timers = cur.fetchone()
    say(
        f"  {total:,} asks ({open_:,} open, {timers:,} nudge timers); asks table {size}; "
        f"{USERS:,} people, {DEALS:,} deals"
    )


# --- serving ----------------------------------------------------------------------------


def collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def sign_in(user_id: int) -> str:
    """A session for the user, as the login view would make it; its key."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.get(pk=user_id)
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def sign_out(key: str) -> None:
    from importlib import import_module

    from django.conf import settings

    import_module(settings.SESSION_ENGINE).SessionStore(session_key=key).delete()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """gunicorn as the Procfile runs it, on a free loopback port; the access log (status,
    path, bytes) goes to a file the checks read."""

    def __init__(self) -> None:
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.access_log = RUN_DIR / "access.log"
        self.error_log = RUN_DIR / "gunicorn.log"
        self.access_log.write_text("")
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "dealdesk.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "30",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(s)s %(U)s %(B)s",
        ]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # A session of its own: Ctrl-C reaches the bench, which then stops gunicorn
        # cleanly (its workers finish their request) rather than both at once.
        with open(self.error_log, "w") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                self.command,
                cwd=BASE_DIR,
                env={**os.environ, **DJANGO_ENV},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            booted = self.error_log.read_text().count("Booting worker")
            if booted >= WORKERS and self._accepts():
                return
            time.sleep(0.2)
        sys.exit(f"gunicorn did not start within 30 s:\n{self.log_tail()}")

    def _accepts(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.error_log.read_text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def access_mark(self) -> int:
        return self.access_log.stat().st_size

    def responses_since(self, mark: int) -> list[tuple[str, str, int]]:
        """(status, path, bytes) of each request logged after ``mark``."""
        with open(self.access_log, encoding="utf-8") as log:
            log.seek(mark)
            rows = []
            for line in log:
                status, path, size = line.split()
                rows.append((status, path, int(size) if size.isdigit() else 0))
        return rows


# --- checking a page --------------------------------------------------------------------


def fetch(port: int, path: str, session: str | None) -> tuple[int, dict, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Cookie": f"sessionid={session}"} if session else {}
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, dict(response.getheaders()), body
    finally:
        conn.close()


def check_page(page: Page, path: str, port: int, session: str) -> int | None:
    """The page's size in bytes when it shows exactly its expected asks, one row each, and
    sends a visitor without a session to the login page; else None, having said why."""
    status, _headers, body = fetch(port, path, session)
    if status != 200:
        say(f"  {page.name} ({path}): HTTP {status}, expected 200")
        say("  " + body[:500].replace("\n", "\n  "))
        return None
    shown = [int(pk) for pk in re.findall(page.row_pattern, body)]
    missing = page.rows - set(shown)
    extra = set(shown) - page.rows
    duplicated = len(shown) - len(set(shown))
    if missing or extra or duplicated:
        say(
            f"  {page.name} ({path}): {len(set(shown))} of the {len(page.rows)} asks as rows "
            f"({len(missing)} missing, {len(extra)} unexpected, {duplicated} repeated; "
            f"rows matched by {page.row_pattern!r})"
        )
        for label, ids in (("missing", missing), ("unexpected", extra)):
            if ids:
                say(f"    {label}: {', '.join(map(str, sorted(ids)[:10]))}")
        return None
    if page.reasons is not None:
        shown_reasons = {int(pk): why for pk, why in re.findall(page.reason_pattern, body)}
        wrong = {
            pk: (page.reasons[pk], shown_reasons.get(pk))
            for pk in page.rows
            if shown_reasons.get(pk) != page.reasons[pk]
        }
        if wrong:
            say(
                f"  {page.name} ({path}): {len(wrong)} of the {len(page.rows)} asks shown with "
                f"another reason than the bench placed them in (rows read by "
                f"{page.reason_pattern!r}); e.g. (ask: placed, shown) "
                + ", ".join(f"{pk}: {a}, {b}" for pk, (a, b) in sorted(wrong.items())[:8])
            )
            return None
    status, headers, _ = fetch(port, path, None)
    if status != 302 or "/login/" not in headers.get("Location", ""):
        say(f"  {page.name} ({path}): without a session HTTP {status}, not a login redirect")
        return None
    size = len(body.encode())
    why = " (each for the reason it was placed in)" if page.reasons is not None else ""
    say(
        f"  {page.name} ({path}): 200, all {len(page.rows)} asks as rows{why} and no others, "
        f"{size:,} bytes; without a session: 302 to the login page"
    )
    return size


# --- loading a page ---------------------------------------------------------------------


@dataclass
class Result:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    requests: int
    errors: int
    text: str


def wrk_command(url: str, seconds: int, session: str) -> list[str]:
    return [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--latency",
        # A slow page is a figure, not an error: only gunicorn's own limit (30 s) fails it.
        "--timeout",
        "30s",
        "-s",
        str(LUA),
        "-H",
        f"Cookie: sessionid={session}",
        url,
    ]


def run_wrk(url: str, seconds: int, session: str, *, cold: bool = False) -> Result:
    done = subprocess.run(  # noqa: S603 (our own command line)
        wrk_command(url, seconds, session),
        capture_output=True,
        env={**os.environ, "BENCH_COLD": "1" if cold else "0"},
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH-PAGES "))
    figures = json.loads(line.removeprefix("BENCH-PAGES "))
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    text = "\n".join(ln for ln in done.stdout.splitlines() if not ln.startswith("BENCH-PAGES "))
    return Result(
        rps=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        mean_ms=figures["mean_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        requests=figures["requests"],
        errors=errors,
        text=text,
    )


def _same(logged: str, path: str) -> bool:
    return logged == path or logged.startswith(path + "?cold=")


def flush_cache() -> None:
    """Start each page with an empty cache: its warm-up fills it, as readers would."""
    try:
        redis.Redis.from_url(CACHE_URL).flushdb()
    except redis.RedisError as exc:
        say(f"  (the cache at {CACHE_URL} did not answer: {exc}; the product reads without it)")


def load_page(page: Page, path: str, server: Server, session: str, size: int) -> Result | None:
    url = f"http://127.0.0.1:{server.port}{path}"
    say(f"  {load()}")
    say(f"  warm-up: {WARMUP_S} s")
    flush_cache()
    run_wrk(url, WARMUP_S, session, cold=page.cold)
    mark = server.access_mark()
    say(f"  measuring: {DURATION_S} s, {CONNECTIONS} connections")
    result = run_wrk(url, DURATION_S, session, cold=page.cold)
    for line in result.text.splitlines():
        say("    " + line)
    logged = server.responses_since(mark)
    wrong = [(status, p, n) for status, p, n in logged if status != "200" or not _same(p, path)]
    sizes = [n for _, _, n in logged]
    # Rows carry relative times ("overdue 1d 3h"), so the size may drift by a few bytes.
    odd_size = [n for n in sizes if abs(n - size) > size // 20]
    say(
        f"  gunicorn logged {len(logged):,} responses: "
        f"{len(logged) - len(wrong):,} were 200 for {path}, sizes {min(sizes, default=0):,}"
        f"-{max(sizes, default=0):,} bytes"
    )
    if wrong or odd_size or result.errors or not logged:
        say(
            f"  FAILED under load: {len(wrong)} other responses, {len(odd_size)} of an "
            f"unexpected size, {result.errors} wrk errors"
        )
        for status, p, n in wrong[:5]:
            say(f"    {status} {p} {n} bytes")
        return None
    return result


# --- profiling one request --------------------------------------------------------------


class QueryLog:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def profile_page(page: Page, path: str, session: str, times: int = 20) -> None:
    """The page served in this process, one request at a time, through Django's full
    handler and middleware: its time, its queries, then where cProfile sees the time."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    for _ in range(3):  # templates compiled, connection open, calendars cached
        assert client.get(path).status_code == 200
    timings, queries = [], []
    for _ in range(times):
        log = QueryLog()
        with connection.execute_wrapper(log):
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        queries.append(log)
    sql_ms = statistics.median(q.seconds for q in queries) * 1000
    say(
        f"  {page.name}, one request at a time in this process ({times} requests): "
        f"median {statistics.median(timings):.1f} ms, min {min(timings):.1f} ms; "
        f"{queries[0].count} queries taking {sql_ms:.1f} ms"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(ct for (_, _, _, ct, _) in stats.stats.values())
    say(
        f"  cProfile, {times} requests ({total / times * 1000:.1f} ms each under the profiler, "
        "which slows Python down: the shares matter more than the milliseconds)"
    )
    say("  where the time goes (per request):")
    for label, path_end, name in _PHASES:
        # The outermost matching function: a name can be nested in itself (format).
        ct, nc = max(profile_entries(stats, path_end, name), default=(0.0, 0))
        say(
            f"    {label:<46} {ct / times * 1000:7.2f} ms {ct / total:6.1%} {nc // times:>7,} calls"
        )
    say("  our code by cumulative time (per request):")
    ours = sorted(
        (
            (ct, nc, path_, line, name)
            for (path_, line, name), (_, nc, _, ct, _) in stats.stats.items()
            if path_.startswith(str(BASE_DIR))
            and "/.venv/" not in path_
            and "/bench/" not in path_
            and "middleware" not in path_
        ),
        reverse=True,
    )
    for ct, nc, path_, line, name in ours[:15]:
        where = f"{Path(path_).relative_to(BASE_DIR)}:{line}({name})"
        say(f"    {ct / times * 1000:7.2f} ms {ct / total:6.1%} {nc // times:>7,} calls  {where}")
    say(f"  the 15 functions with the most time of their own ({times} requests):")
    show_own_time(profiler, "    ")


# Where a page's time goes, by the functions any page passes through (cumulative time of
# the outermost call, so nested ones are not counted twice).
_PHASES = (
    ("the view (after the middleware)", "django/core/handlers/base.py", "_get_response"),
    ("  database: psycopg2 execute", "~", "execute' of 'psycopg2"),
    ("  model instances (Model.from_db)", "django/db/models/base.py", "from_db"),
    ("  template rendering (the whole page)", "django/template/backends/django.py", "render"),
    ("    escaping (conditional_escape)", "django/utils/html.py", "conditional_escape"),
    ("reverse() ({% url %} and views)", "django/urls/base.py", "reverse"),
    ("gettext (translated strings)", "django/utils/translation/trans_real.py", "gettext"),
    ("date formatting", "django/utils/dateformat.py", "format"),
    ("number formatting", "django/utils/numberformat.py", "format"),
)


# --- main -------------------------------------------------------------------------------


def _product_serves(path: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(path, urlconf="dealdesk.urls")
    except Resolver404:
        return False
    return True


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _check_goals(goals: Goals | None, result: Result, bare: Result | None) -> list:
    """Print PASS or MISS for each goal the page has; (label, met) for each."""
    if goals is None:
        return []
    checks = []
    if goals.p95_ms is not None:
        checks.append((f"p95 ≤ {goals.p95_ms:.0f} ms", result.p95_ms <= goals.p95_ms, ""))
    if goals.rps is not None:
        checks.append((f"≥ {goals.rps:.0f} req/s", result.rps >= goals.rps, ""))
    if goals.share_of_bare is not None:
        label = f"≥ {goals.share_of_bare:.1f} × the bare view's req/s"
        if bare is None:
            say(f"    goal {label}: not measured (the bare view was not run)")
        else:
            share = result.rps / bare.rps
            met = share >= goals.share_of_bare
            checks.append((label, met, f"  (ratio {share:.2f})"))
    for label, met, note in checks:
        say(f"    goal {label:<28} {_verdict(met)}{note}")
    return [(label, met) for label, met, _ in checks]


def main() -> int:
    began = time.perf_counter()
    heading("Pages under load benchmark")
    pages = [p for p in PAGES if not ONLY or p.key in ONLY]
    seeded = seeding.prepare_database(DATABASE_URL, SEED_VERSION)
    setup_django()

    from django.urls import NoReverseMatch, reverse

    seeding.show_server(DATABASE_URL)
    say(f"  {cpu_check()}")
    seeding.migrate_and_seed(DATABASE_URL, seeded, seed)
    describe_seed()

    heading("The queue, placed around the current time")
    place_queue()
    heading("The manager's board, placed around the current time")
    pages_board.place_board(_now())
    vacuum_placed()

    paths = {}
    for page in pages:
        try:
            paths[page.name] = reverse(page.url_name)
        except NoReverseMatch:
            say(f"  {page.name}: the project has no URL named {page.url_name!r}")
    if len(paths) < len(pages):
        return 1
    for page in pages:
        if page.is_bare and _product_serves(paths[page.name]):
            say(f"  {page.name}: {paths[page.name]} is reachable from the product's own URLs")
            return 1
    collect_static()
    sessions = {user_id: sign_in(user_id) for user_id in {p.user_id for p in pages}}
    server = Server()
    results: dict[str, Result] = {}
    ok = True
    try:
        heading("Serving")
        server.start()
        say("  " + shlex.join(server.command))
        shown = {**DJANGO_ENV, "SECRET_KEY": "…"}
        say(f"  (cwd {BASE_DIR}; " + " ".join(f"{k}={v}" for k, v in shown.items()) + ")")
        say(f"  gunicorn {server.process.pid} on 127.0.0.1:{server.port}, {WORKERS} sync workers")
        command = wrk_command(f"http://127.0.0.1:{server.port}<page>", DURATION_S, "<session>")
        say("  " + shlex.join(command).replace("'<page>'", "<page>"))
        say(f"  (a warm-up of {WARMUP_S} s first; the cookie is a session of the page's reader)")

        heading("Each page renders its rows")
        sizes = {}
        for page in pages:
            size = check_page(page, paths[page.name], server.port, sessions[page.user_id])
            if size is None:
                ok = False
            else:
                sizes[page.name] = size

        for page in pages:
            if page.name not in sizes:
                continue
            heading(f"Load: {page.name} ({paths[page.name]})")
            result = load_page(
                page, paths[page.name], server, sessions[page.user_id], sizes[page.name]
            )
            if result is None:
                ok = False
            else:
                results[page.name] = result
    finally:
        server.stop()
        for key in sessions.values():
            sign_out(key)

    bare = next((results.get(p.name) for p in pages if p.is_bare), None)
    missed = []
    heading("Summary")
    say(f"  {WORKERS} gunicorn sync workers, wrk -t1 -c{CONNECTIONS} -d{DURATION_S}s; {load()}")
    width = max(len(p.name) for p in pages)
    for page in pages:
        result = results.get(page.name)
        if result is None:
            say(f"  {page.name:<{width}} did not render correctly: no figures")
            continue
        say(
            f"  {page.name:<{width}} {result.rps:8,.1f} req/s   p50 {result.p50_ms:6.1f} ms   "
            f"p95 {result.p95_ms:6.1f} ms   p99 {result.p99_ms:6.1f} ms   "
            f"({result.requests:,} requests)"
        )
        checks = _check_goals(page.goals, result, bare)
        if not all(met for _, met in checks):
            missed.append(page)

    to_profile = {"1": [p for p in pages if p.name in results], "0": []}.get(PROFILE, missed)
    for page in to_profile:
        heading(f"Profile: {page.name} ({paths[page.name]})")
        session = sign_in(page.user_id)
        try:
            profile_page(page, paths[page.name], session)
        finally:
            sign_out(session)

    say()
    say(f"  correctness checks: {'all passed' if ok else 'FAILED'}")
    say(f"  (the bench took {time.perf_counter() - began:.0f} s; {load()})")
    return 0 if ok else 1


def _interrupted(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    # A SIGTERM (timeout, a CI runner) stops the bench like Ctrl-C: gunicorn goes too.
    signal.signal(signal.SIGTERM, _interrupted)
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    say("Interrupted; gunicorn stopped.")
    sys.exit(130)
