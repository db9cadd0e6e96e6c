"""The benches' database: created, migrated and seeded once in SQL, then reused.

Both benches (``bench.sweep``, ``bench.pages``) seed the same skeleton: the 8 teams with
their leads, 2,000 people with profiles and managers, 50,000 deals with a manager on one
in ten, 1,000,000 asks and a nudge timer for each open one, all in SQL
(``INSERT … SELECT generate_series``), printing rows and rows/s. What the people, deals,
asks and timers look like is each bench's own: it passes those statements to ``seed``,
building its asks with ``asks_sql``. A database keeps its seed while the marker (COMMENT
ON TABLE deals_ask, the bench's SEED_VERSION) and the row counts match; BENCH_RESEED=1
seeds again from an empty database.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql as pgsql

from bench.output import heading, say

RESEED = os.environ.get("BENCH_RESEED") == "1"

ASKS = 1_000_000
USERS = 2_000
DEALS = 50_000
CHUNK = 100_000
# One ask per g; k = g mod KINDS picks its kind and j = g / KINDS varies it (asks_sql).
KINDS = 40

TEAMS = (
    (1, "Sales management", "management"),
    (2, "Sales", "sales"),
    (3, "Finance", "finance"),
    (4, "Legal", "legal"),
    (5, "Presales", "presales"),
    (6, "Production", "production"),
    (7, "Procurement", "procurement"),
    (8, "After-sales", "after_sales"),
)

ASK_TYPES = (
    "ARRAY['margin_review', 'contract_review', 'solution', 'bid_document', 'quote', 'demo',"
    " 'production_slot', 'approval', 'sourcing', 'other']"
)


class Progress:
    def __init__(self, label: str, total: int):
        self.label, self.total = label, total
        self.started = time.perf_counter()

    def show(self, done: int) -> None:
        seconds = time.perf_counter() - self.started
        say(
            f"  {self.label:<13} {done:>9,} / {self.total:<9,} "
            f"{done / max(seconds, 1e-9):>9,.0f} rows/s  {seconds:6.1f}s"
        )


# --- the database -----------------------------------------------------------------------


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _seed_state(url: str, version: str) -> str | None:
    """None when the database holds this seed; else why it does not."""
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('deals_ask') IS NOT NULL")
            if not cur.fetchone()[0]:
                return "empty"
            cur.execute("SELECT obj_description('deals_ask'::regclass, 'pg_class')")
            marker = cur.fetchone()[0]
            if marker != version:
                return f"seed marker is {marker!r}"
            cur.execute(
                "SELECT (SELECT count(*) FROM deals_ask), (SELECT count(*) FROM auth_user),"
                " (SELECT count(*) FROM deals_deal)"
            )
            counts = cur.fetchone()
            if counts != (ASKS, USERS, DEALS):
                return f"row counts are {counts}"
            return None
    finally:
        conn.close()


def prepare_database(url: str, version: str) -> bool:
    """Make sure the bench database exists; True when it already holds the seed
    ``version``."""
    name = database_name(url)
    admin = psycopg2.connect(_with_database(url, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            exists = cur.fetchone() is not None
            reason = _seed_state(url, version) if exists else "missing"
            if reason is None and not RESEED:
                return True
            if exists and (reason != "empty" or RESEED):
                say(f"Database {name}: {'BENCH_RESEED=1' if RESEED else reason}; recreating it.")
                cur.execute(
                    pgsql.SQL("DROP DATABASE {} WITH (FORCE)").format(pgsql.Identifier(name))
                )
                exists = False
            if not exists:
                say(f"Database {name}: creating it.")
                cur.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
    finally:
        admin.close()
    return False


def show_server(url: str) -> None:
    """Which PostgreSQL the bench runs on (Django set up on the bench database)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        buffers = cur.fetchone()[0]
    say(f"  PostgreSQL {version} (shared_buffers {buffers}) at {url}")


def migrate_and_seed(url: str, seeded: bool, seed: Callable[[], None]) -> None:
    """Migrate the bench database; call ``seed`` unless it holds the seed already
    (``seeded``, from prepare_database)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if seeded:
        heading("Seed")
        say(f"  reusing the seed in {database_name(url)} (BENCH_RESEED=1 seeds again)")
    else:
        seed()


# --- seeding ----------------------------------------------------------------------------

# The asks of one chunk, g from %(lo)s to %(hi)s, with t = %(now)s. Kinds k 0-5 are the
# bench's open asks; then 6 counter-proposed, 7 waiting on the requester, 8 delivered,
# 9-39 closed (done 80%, cancelled 15%, declined 5%). Requesters are sales reps; the work
# goes to the teams 3 (finance) … 8 (after-sales), one open ask in 25 still unassigned in
# its team's queue. Open asks were created 2 to 21 days before t, closed ones 30 to 1,029.
_ASKS = """
WITH members AS (
    SELECT team_id, array_agg(user_id ORDER BY user_id) AS ids
    FROM stakeholders_profile
    WHERE team_id >= 3 AND user_id > 8 {workers}
    GROUP BY team_id
)
INSERT INTO deals_ask (
    id, deal_id, requester_id, team_id, assignee_id, ask_type, title, deliverable, details,
    purpose, audience, basis, basis_verified, links, status, proposed_due_at, counter_due_at,
    agreed_due_at, resume_status, waiting_since, created_at, updated_at, responded_at,
    started_at, delivered_at, closed_at, delivery_note, delivery_link, decline_reason,
    respond_by, ladder_clock, ladder_cycle, ladder_started_at, snoozed_until
)
SELECT
    g,
    1 + mod(g * 7919, {deals}),
    {requester},
    {team},
    CASE {assignee}
         WHEN k <= 8 AND mod(j, 25) = 0 THEN NULL
         ELSE m.ids[1 + mod(g / 11, cardinality(m.ids))] END,
    ({ask_types})[1 + mod(g, 10)],
    'Ask ' || g,
    'The deliverable, as the requester wrote it.',
    'Key details: scope, figures, the customer''s constraints.',
    'Why it matters to the deal.',
    {audience}, '', false, '',
    s.status,
    c.created + interval '5 days',
    CASE WHEN s.status = 'countered' THEN d.agreed + interval '3 days' END,
    d.agreed,
    CASE s.status WHEN 'countered' THEN 'agreed' WHEN 'waiting' THEN 'in_progress' ELSE '' END,
    CASE WHEN s.status = 'waiting' THEN t - interval '1 hour' END,
    c.created,
    coalesce(d.closed, t - interval '1 hour'),
    CASE WHEN s.status NOT IN ('proposed', 'cancelled') THEN c.created + interval '1 hour' END,
    CASE WHEN s.status IN ('in_progress', 'waiting', 'delivered', 'done')
         THEN c.created + interval '2 hours' END,
    CASE WHEN s.status = 'delivered' THEN t - interval '2 hours'
         WHEN s.status = 'done' THEN c.created + interval '4 days' END,
    d.closed,
    '', '',
    CASE WHEN s.status = 'declined' THEN 'Outside our scope.' ELSE '' END,
    {respond_by},
    {ladder_clock},
    CASE WHEN d.agreed IS NULL THEN 0 ELSE 1 END,
    CASE WHEN d.agreed IS NOT NULL THEN c.created + interval '1 hour' END,
    NULL
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS g
CROSS JOIN LATERAL (
    SELECT mod(g, {kinds}) AS k, g / {kinds} AS j, %(now)s::timestamptz AS t
) AS x
CROSS JOIN LATERAL (
    SELECT CASE {statuses}
                WHEN k = 6 THEN 'countered'
                WHEN k = 7 THEN 'waiting'
                WHEN k = 8 THEN 'delivered'
                WHEN mod(j, 20) < 16 THEN 'done'
                WHEN mod(j, 20) < 19 THEN 'cancelled'
                ELSE 'declined' END AS status
) AS s
{laterals}
CROSS JOIN LATERAL (
    SELECT CASE {created}
                WHEN k <= 8 THEN t - make_interval(days => (2 + mod(j, 20))::int)
                ELSE t - make_interval(days => (30 + mod(j, 1000))::int) END AS created
) AS c
CROSS JOIN LATERAL (
    SELECT CASE {agreed}
                WHEN k = 7 THEN t + interval '3 days'
                WHEN k = 8 THEN t - interval '1 day'
                WHEN s.status = 'done' THEN c.created + interval '5 days' END AS agreed,
           CASE WHEN k > 8 THEN c.created + CASE s.status WHEN 'done' THEN interval '6 days'
                                                        WHEN 'cancelled' THEN interval '2 days'
                                                        ELSE interval '1 hour' END END AS closed
) AS d
JOIN members AS m ON m.team_id = 3 + mod(g / 7, 6)
"""


def asks_sql(
    *,
    statuses: str,
    agreed: str,
    audience: str,
    respond_by: str,
    ladder_clock: str,
    created: str = "",
    team: str = "m.team_id",
    requester: str = "10 + 5 * mod(g / 3, 398)",
    assignee: str = "",
    workers: str = "",
    laterals: str = "",
) -> str:
    """The statement that seeds one chunk of asks (above), with the bench's own parts:
    ``statuses``, the WHEN clauses giving kinds 0-5 their status (s.status); ``agreed``,
    the WHEN clauses giving the open kinds their agreed deadline (d.agreed; 7 and 8 are
    here); ``created``, WHEN clauses before the default creation times (c.created);
    ``audience``, ``respond_by``, ``ladder_clock``, ``team`` and ``requester``, those
    columns;
    ``assignee``, WHEN clauses before the default assignee; ``workers``, a condition
    (AND …) on who does the work; ``laterals``, more CROSS JOIN LATERAL after s's."""
    return _ASKS.format(
        deals=DEALS,
        kinds=KINDS,
        ask_types=ASK_TYPES,
        statuses=statuses,
        agreed=agreed,
        audience=audience,
        respond_by=respond_by,
        ladder_clock=ladder_clock,
        created=created,
        team=team,
        requester=requester,
        assignee=assignee,
        workers=workers,
        laterals=laterals,
    )


@contextlib.contextmanager
def bulk_session(cur) -> Iterator[None]:
    """The seeding connection: no wait for the WAL at each commit, and, as a superuser,
    no foreign-key checks; both reset after."""
    from django.db import DatabaseError

    cur.execute("SET synchronous_commit = off")
    replica = True
    try:
        # The rows are consistent by construction: as a superuser, skip the deferred
        # foreign-key checks (a commit per chunk would run 400,000 of them).
        cur.execute("SET session_replication_role = replica")
    except DatabaseError:
        replica = False
        say("  (not a superuser: foreign keys are checked while seeding, which is slower)")
    try:
        yield
    finally:
        cur.execute("RESET synchronous_commit")
        if replica:
            cur.execute("RESET session_replication_role")


def seed(
    version: str,
    now,
    *,
    users: str,
    deals: str,
    asks: str,
    timers: str,
    people: Sequence[str] = (),
    params: dict | None = None,
) -> None:
    """Teams with leads, people with profiles and managers, deals with a manager on one
    in ten, the asks and their nudge timers; all in SQL, in chunks, printing progress;
    then VACUUM ANALYZE and the seed's marker, ``version``.

    ``users`` (auth_user), ``deals`` (deals_deal), ``asks`` (one chunk, see asks_sql)
    and ``timers`` (deals_nudgetimer) are the bench's statements; ``people``, more of
    them run after the profiles (an org chart of the bench's own). Each is sent with
    now, users, deals (the counts) and ``params``; the asks with lo and hi too."""
    from django.db import connection

    heading(f"Seeding {ASKS:,} asks (once; later runs reuse them)")
    started = time.perf_counter()
    params = {"now": now, "users": USERS, "deals": DEALS, **(params or {})}
    with connection.cursor() as cur:
        with bulk_session(cur):
            progress = Progress("teams", len(TEAMS))
            for pk, name, function in TEAMS:
                cur.execute(
                    "INSERT INTO stakeholders_team (id, name, function, time_zone,"
                    " workday_start, workday_end, working_weekdays, statutory_calendar,"
                    " response_hours, turnaround_hours) VALUES"
                    " (%s, %s, %s, 'Asia/Shanghai', '09:00', '18:00', '12345', true, 4, 16)",
                    [pk, name, function],
                )
            progress.show(len(TEAMS))

            progress = Progress("users", USERS)
            cur.execute(users, params)
            # User t leads team t (1 heads them all).
            cur.execute("UPDATE stakeholders_team SET lead_id = id")
            progress.show(USERS)

            progress = Progress("profiles", USERS)
            # Sales reps (g mod 5 in 0, 1) ask; the other teams do the work. Each person
            # reports to their team's lead, the leads to user 1. One in ten turned email
            # off; 2% sit in Los Angeles, 2% in Berlin, the rest in Shanghai.
            cur.execute(
                "INSERT INTO stakeholders_profile (user_id, team_id, manager_id, job_title,"
                " time_zone, language, email_notifications)"
                " SELECT g, t.team_id,"
                " CASE WHEN g = 1 THEN NULL WHEN g <= 8 THEN 1 ELSE t.team_id END, '',"
                " CASE mod(g, 50) WHEN 7 THEN 'America/Los_Angeles'"
                " WHEN 9 THEN 'Europe/Berlin' ELSE 'Asia/Shanghai' END,"
                " '', mod(g, 10) <> 3"
                " FROM generate_series(1, %(users)s) AS g"
                " CROSS JOIN LATERAL (SELECT CASE WHEN g <= 8 THEN g"
                " WHEN mod(g, 5) IN (0, 1) THEN 2 ELSE 3 + mod(g, 6) END AS team_id) AS t",
                params,
            )
            for statement in people:
                cur.execute(statement, params)
            progress.show(USERS)

            progress = Progress("deals", DEALS)
            cur.execute(deals, params)
            progress.show(DEALS)

            progress = Progress("stakeholders", DEALS // 10)
            cur.execute(
                "INSERT INTO stakeholders_stakeholder (deal_id, user_id, role, note, added_at)"
                " SELECT g, CASE WHEN mod(g, 20) = 0 THEN 1 ELSE 2 END, 'manager', '',"
                " %(now)s FROM generate_series(10, %(deals)s, 10) AS g",
                params,
            )
            progress.show(DEALS // 10)

            # Building the ask indexes once after the load beats updating them per row.
            cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'deals_ask'"
                " AND indexname NOT IN (SELECT conname FROM pg_constraint"
                " WHERE conrelid = 'deals_ask'::regclass)"
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(pgsql.SQL("DROP INDEX {}").format(pgsql.Identifier(name)))
            progress = Progress("asks", ASKS)
            for lo in range(1, ASKS + 1, CHUNK):
                hi = min(ASKS, lo + CHUNK - 1)
                cur.execute(asks, {**params, "lo": lo, "hi": hi})
                progress.show(hi)
            step = time.perf_counter()
            cur.execute(timers, params)
            say(f"  {cur.rowcount:,} nudge timers in {time.perf_counter() - step:.1f}s")
            cur.execute("SET maintenance_work_mem = '256MB'")
            step = time.perf_counter()
            for _, definition in indexes:
                cur.execute(definition)
            say(
                f"  {len(indexes)} ask indexes built in {time.perf_counter() - step:.1f}s: "
                + ", ".join(name for name, _ in indexes)
            )
            cur.execute("RESET maintenance_work_mem")

            for table in ("auth_user", "stakeholders_team", "deals_deal", "deals_ask"):
                cur.execute(
                    pgsql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {}))"
                    ).format(pgsql.Identifier(table)),
                    [table],
                )
        say(
            f"  loaded in {time.perf_counter() - started:.1f}s; "
            "VACUUM ANALYZE (hint bits, visibility map) …"
        )
        for table in (
            "auth_user",
            "stakeholders_team",
            "stakeholders_profile",
            "stakeholders_stakeholder",
            "deals_deal",
            "deals_ask",
            "deals_nudgetimer",
        ):
            cur.execute(pgsql.SQL("VACUUM ANALYZE {}").format(pgsql.Identifier(table)))
        cur.execute("COMMENT ON TABLE deals_ask IS %s", [version])
    say(f"  seeded in {time.perf_counter() - started:.1f}s")
