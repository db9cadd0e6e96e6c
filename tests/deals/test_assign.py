"""The team lead gives an ask to a member of the team, or moves it to another: who may,
to whom, and what the ask keeps (its deadline and its escalation ladder)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from deals import services
from deals.models import Ask, AskEvent, AskStatus, AskType, Audience, EventKind
from deals.services import ActionNotAllowed
from stakeholders.models import Function
from tests.deals.kit import at
from tests.factories import AskFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 23, 10, 0)  # a Monday morning in Shanghai


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def english():
    """The refusals are read in English here; the Chinese ones are the catalogue's job."""
    with translation.override("en"):
        yield


@pytest.fixture
def teammate(org):
    return UserFactory(username="presales_b", first_name="周敏", team=org["team"])


def new_ask(org, *, assignee=None, audience=Audience.CUSTOMER_WORKING):
    return services.ask_create(
        deal=org["deal"],
        requester=org["rep"],
        team=org["team"],
        assignee=assignee,
        ask_type=AskType.SOLUTION,
        title="配网终端方案",
        deliverable="方案文档 v1",
        details="120 个变电站，兼容现有 S7-1500",
        purpose="下周三技术评审决定入围名单",
        audience=audience,
        proposed_due_at=at(2026, 11, 26, 15, 0),
    )


def snapshot(ask):
    """What a person would see change on an ask: who has it, its state and its timeline."""
    fresh = Ask.objects.get(pk=ask.pk)
    return (fresh.assignee_id, fresh.status, AskEvent.objects.filter(ask=fresh).count())


def timeline_text(client, viewer, ask):
    client.force_login(viewer)
    response = client.get(reverse("ask_detail", args=[ask.pk]), HTTP_ACCEPT_LANGUAGE="en")
    return response.content.decode()


def test_the_lead_gives_an_unassigned_ask_to_a_member_and_the_timeline_names_them(
    client, org, teammate
):
    ask = new_ask(org)
    assert ask.assignee is None

    services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate, note="周敏熟悉这个客户")

    ask.refresh_from_db()
    assert ask.assignee == teammate
    event = AskEvent.objects.get(ask=ask, kind=EventKind.ASSIGNED)
    assert event.actor == org["lead"]
    assert event.data["name"] == "周敏"
    assert "from_name" not in event.data
    page = timeline_text(client, org["rep"], ask)
    assert "assigned the ask → 周敏" in page
    assert "周敏熟悉这个客户" in page


def test_reassigning_records_who_it_moved_from_and_to(client, org, teammate):
    ask = new_ask(org, assignee=org["presales"])

    services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate)

    ask.refresh_from_db()
    assert ask.assignee == teammate
    event = AskEvent.objects.get(ask=ask, kind=EventKind.ASSIGNED)
    assert (event.data["from_name"], event.data["name"]) == ("陈静", "周敏")
    assert "assigned the ask: 陈静 → 周敏" in timeline_text(client, org["rep"], ask)


def test_the_new_assignee_finds_the_ask_in_their_queue_and_the_old_one_no_longer(org, teammate):
    from deals import queues

    ask = new_ask(org, assignee=org["presales"])
    services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate)
    assert [r.ask.pk for r in queues.my_queue(teammate).rows] == [ask.pk]
    assert queues.my_queue(org["presales"]).rows == []


# --- refused: nothing changes ------------------------------------------------------------


@pytest.fixture
def other_team_lead(db):
    legal = TeamFactory(name="法务部", function=Function.LEGAL)
    lead = UserFactory(username="legal_lead", first_name="吴律师", team=legal)
    legal.lead = lead
    legal.save()
    return lead


@pytest.mark.parametrize("who", ["member", "assignee", "rep", "other_team_lead"])
def test_only_the_lead_of_the_asks_team_may_assign(org, teammate, other_team_lead, who):
    ask = new_ask(org, assignee=org["presales"])
    actor = {
        "member": teammate,
        "assignee": org["presales"],
        "rep": org["rep"],
        "other_team_lead": other_team_lead,
    }[who]
    before = snapshot(ask)

    with pytest.raises(ActionNotAllowed, match="Only the lead of 售前技术部"):
        services.ask_assign(ask=ask, actor=actor, assignee=teammate)

    assert snapshot(ask) == before


def deliver(org, ask):
    services.ask_agree(ask=ask, actor=org["presales"])
    return services.ask_deliver(ask=ask, actor=org["presales"], note="方案 v1 已上传")


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("delivered", AskStatus.DELIVERED),
        ("done", AskStatus.DONE),
        ("cancelled", AskStatus.CANCELLED),
        ("declined", AskStatus.DECLINED),
    ],
)
def test_an_ask_that_is_delivered_or_closed_cannot_be_assigned(org, teammate, state, status):
    ask = new_ask(org, assignee=org["presales"])
    if state in ("delivered", "done"):
        deliver(org, ask)
    if state == "done":
        services.ask_confirm(ask=ask, actor=org["rep"])
    if state == "cancelled":
        services.ask_cancel(ask=ask, actor=org["rep"], reason="客户取消了评审")
    if state == "declined":
        services.ask_decline(ask=ask, actor=org["presales"], reason="不在我们的产品范围内")
    before = snapshot(ask)
    assert before[1] == status

    with pytest.raises(ActionNotAllowed, match="can't assign an ask that is"):
        services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate)

    assert snapshot(ask) == before


# --- the wrong person to give it to: a field error, nothing changes -----------------------


def test_someone_outside_the_team_cannot_be_given_the_ask(org, other_team_lead):
    ask = new_ask(org, assignee=org["presales"])
    before = snapshot(ask)
    with pytest.raises(ValidationError) as error:
        services.ask_assign(ask=ask, actor=org["lead"], assignee=other_team_lead)
    assert error.value.message_dict == {"assignee": ["Choose a member of 售前技术部."]}
    assert snapshot(ask) == before


def test_a_member_who_has_left_cannot_be_given_the_ask(org, teammate):
    teammate.is_active = False
    teammate.save()
    ask = new_ask(org)
    before = snapshot(ask)
    with pytest.raises(ValidationError) as error:
        services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate)
    assert list(error.value.message_dict) == ["assignee"]
    assert snapshot(ask) == before


def test_the_requester_cannot_be_given_their_own_ask(org, teammate):
    # A presales engineer asking their own team: the lead must not hand it back to them.
    ask = AskFactory(deal=org["deal"], requester=teammate, team=org["team"])
    before = snapshot(ask)
    with pytest.raises(ValidationError) as error:
        services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate)
    assert error.value.message_dict == {"assignee": ["周敏 made this ask; choose someone else."]}
    assert snapshot(ask) == before


def test_the_current_assignee_cannot_be_given_it_again(org):
    ask = new_ask(org, assignee=org["presales"])
    before = snapshot(ask)
    with pytest.raises(ValidationError) as error:
        services.ask_assign(ask=ask, actor=org["lead"], assignee=org["presales"])
    assert error.value.message_dict == {"assignee": ["陈静 already has this ask."]}
    assert snapshot(ask) == before


def test_the_lead_cannot_give_it_to_nobody(org):
    ask = new_ask(org, assignee=org["presales"])
    before = snapshot(ask)
    with pytest.raises(ValidationError) as error:
        services.ask_assign(ask=ask, actor=org["lead"], assignee=None)
    assert list(error.value.message_dict) == ["assignee"]
    assert snapshot(ask) == before


# --- the deadline and its ladder stay as they are ------------------------------------------


def test_reassigning_keeps_the_agreed_deadline_and_the_next_nudge(org, teammate, time_machine):
    ask = new_ask(org, assignee=org["presales"])
    services.ask_agree(ask=ask, actor=org["presales"])
    services.ask_start(ask=ask, actor=org["presales"])
    ask = Ask.objects.get(pk=ask.pk)
    agreed, next_nudge, cycle = ask.agreed_due_at, ask.next_nudge_at, ask.ladder_cycle
    assert next_nudge is not None

    # A day later the lead moves it: the work is owed on the same terms, by someone else.
    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    services.ask_assign(ask=ask, actor=org["lead"], assignee=teammate)

    ask = Ask.objects.get(pk=ask.pk)
    assert ask.assignee == teammate
    assert ask.status == AskStatus.IN_PROGRESS
    assert ask.agreed_due_at == agreed == at(2026, 11, 26, 15, 0)
    assert ask.next_nudge_at == next_nudge
    assert ask.ladder_cycle == cycle
