"""The queue reads: whose asks each queue holds, filters, the team's load and the header
badge counts (the pages come with the queue issue)."""

import datetime as dt
from decimal import Decimal

import pytest

from deals import queues
from deals.models import AskStatus, AskType, Audience
from tests.deals.kit import at
from tests.factories import AskFactory, DealFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 23, 10, 0)  # a Monday


@pytest.fixture
def desk(presales_team, presales, rep):
    teammate = UserFactory(username="presales_b", first_name="周敏", team=presales_team)
    big = DealFactory(owner=rep, customer="国网江苏电力", amount=Decimal(32_000_000))
    small = DealFactory(owner=rep, customer="苏州小厂", amount=Decimal(80_000))

    def ask(title, *, deal=big, assignee=presales, due, status=AskStatus.AGREED, **kw):
        return AskFactory(
            title=title,
            deal=deal,
            requester=rep,
            team=presales_team,
            assignee=assignee,
            status=status,
            proposed_due_at=due,
            agreed_due_at=due if status != AskStatus.PROPOSED else None,
            created_at=at(2026, 11, 16, 10, 0),
            responded_at=at(2026, 11, 16, 11, 0) if status != AskStatus.PROPOSED else None,
            **kw,
        )

    return {
        "teammate": teammate,
        "overdue_exec": ask(
            "Overdue exec deck", due=at(2026, 11, 20, 15, 0), audience=Audience.CUSTOMER_EXECUTIVE
        ),
        "today_small": ask("Small quote today", deal=small, due=at(2026, 11, 23, 16, 0)),
        "this_week": ask("Demo this week", due=at(2026, 11, 26, 15, 0), ask_type=AskType.DEMO),
        "unassigned": ask(
            "Nobody has it", assignee=None, due=at(2026, 11, 25, 15, 0), status=AskStatus.PROPOSED
        ),
        "teammates": ask("Teammate's", assignee=teammate, due=at(2026, 11, 20, 9, 0)),
        "done": ask(
            "Closed one",
            due=at(2026, 11, 20, 9, 0),
            status=AskStatus.DONE,
            closed_at=at(2026, 11, 21, 9, 0),
            delivered_at=at(2026, 11, 21, 9, 0),
        ),
    }


def titles(queue):
    return [row.ask.title for row in queue.rows]


def test_my_queue_holds_my_open_asks_most_important_first(presales, desk):
    queue = queues.my_queue(presales, now=NOW)
    assert titles(queue) == ["Overdue exec deck", "Small quote today", "Demo this week"]
    assert (queue.total, queue.overdue, queue.due_today) == (3, 1, 1)
    first = queue.rows[0].reasons[0]
    assert (first.key, first.tone) == ("urgency", "red")


def test_the_toggle_orders_by_due_date_alone(presales, desk):
    queue = queues.my_queue(presales, queues.QueueFilters(order="due"), now=NOW)
    assert titles(queue) == ["Overdue exec deck", "Small quote today", "Demo this week"]
    desk["this_week"].agreed_due_at = at(2026, 11, 19, 9, 0)
    desk["this_week"].save()
    queue = queues.my_queue(presales, queues.QueueFilters(order="due"), now=NOW)
    assert titles(queue)[0] == "Demo this week"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"due": "overdue"}, ["Overdue exec deck"]),
        ({"due": "today"}, ["Small quote today"]),
        ({"due": "week"}, ["Demo this week"]),
        ({"ask_type": AskType.DEMO}, ["Demo this week"]),
        ({"status": AskStatus.IN_PROGRESS}, []),
    ],
)
def test_filters_narrow_the_queue_and_keep_the_choices(presales, desk, filters, expected):
    queue = queues.my_queue(presales, queues.QueueFilters(**filters), now=NOW)
    assert titles(queue) == expected
    assert queue.total == 3 and len(queue.deals) == 2


def test_the_team_queue_holds_only_my_teams_unassigned_asks(presales, desk, rep):
    assert titles(queues.team_queue(presales, now=NOW)) == ["Nobody has it"]
    outsider = UserFactory(username="legal_a", team=TeamFactory(name="法务部", function="legal"))
    assert titles(queues.team_queue(outsider, now=NOW)) == []
    assert titles(queues.team_queue(UserFactory(username="no_team"), now=NOW)) == []


def test_the_team_load_counts_open_due_this_week_and_overdue(presales, desk):
    load = {row["user"].username: row for row in queues.team_load(presales, now=NOW)}
    assert (load["presales_a"]["open"], load["presales_a"]["overdue"]) == (3, 1)
    assert load["presales_a"]["due_week"] == 2  # today's and Thursday's
    assert (load["presales_b"]["open"], load["presales_b"]["overdue"]) == (1, 1)


def test_the_header_badge_counts_overdue_and_due_today(presales, desk):
    assert queues.queue_badge(presales, now=NOW) == {"overdue": 1, "today": 1}
    assert queues.queue_badge(desk["teammate"], now=NOW) == {"overdue": 1, "today": 0}


def test_only_the_team_lead_may_assign(presales, presales_team, desk):
    lead = desk["teammate"]
    presales_team.lead = lead
    presales_team.save()
    ask = desk["unassigned"]
    ask.refresh_from_db()
    assert queues.can_assign(lead, ask)
    assert not queues.can_assign(presales, ask)
    assert not queues.can_assign(lead, desk["done"])


def test_one_query_reads_a_queue_whatever_its_size(presales, desk, django_assert_num_queries):
    for i in range(20):
        AskFactory(
            title=f"Extra {i}",
            requester=desk["overdue_exec"].requester,
            team=desk["overdue_exec"].team,
            assignee=presales,
            status=AskStatus.AGREED,
            agreed_due_at=NOW + dt.timedelta(days=i + 1),
        )
    with django_assert_num_queries(2):  # the asks, and their milestones
        queue = queues.my_queue(presales, now=NOW)
    assert queue.total == 23
