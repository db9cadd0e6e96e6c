"""What a manager does about a stalled ask: extend, reassign, snooze, nudge now and
convene a huddle, each on the ask's timeline and told to the people concerned; the
/board/act/ page that applies one to several asks; huddle pages and outcomes; and the
texts people read about it.

Time is frozen on Monday 23 November 2026, 10:00 in Shanghai; the presales team works
09:00–18:00 on China's statutory calendar."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from deals import board, interventions, notify, services, sweep
from deals.models import (
    Ask,
    AskEvent,
    AskStatus,
    AskType,
    Audience,
    Channel,
    Delivery,
    EventKind,
    Huddle,
    Nudge,
    StepKind,
)
from deals.services import ActionNotAllowed
from stakeholders.models import Function
from tests.deals.kit import at, give_email
from tests.factories import DealFactory, TeamFactory, UserFactory
from tests.html import dom, flash

pytestmark = pytest.mark.django_db
S = AskStatus
NOW = at(2026, 11, 23, 10, 0)  # a Monday morning in Shanghai
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
REASON = "客户把评审推迟到周三"  # the customer moved the review to Wednesday


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def english():
    """Services called directly answer in the active language (the site's default is
    Chinese); the pages follow each request's Accept-Language."""
    with translation.override("en"):
        yield


@pytest.fixture
def crew(org, other_rep):
    """孙总 (the general manager) has 赵敏 (sales director) and 周涛 (presales lead)
    under him; 王磊 reports to 赵敏, 陈静 and 周敏 to 周涛. 钱总, a sibling manager,
    has 李娜 and the legal team's 吴律师. 陈静 and 王磊 have email addresses; 周敏
    has none."""
    gm = org["vp"]
    for person in (org["rep_manager"], org["lead"]):
        person.profile.manager = gm
        person.profile.save()
    teammate = UserFactory(
        username="presales_b", first_name="周敏", team=org["team"], manager=org["lead"]
    )
    sibling = UserFactory(username="gm_north", first_name="钱总", team=org["sales_team"])
    other_rep.profile.manager = sibling
    other_rep.profile.save()
    legal = TeamFactory(name="法务部", function=Function.LEGAL)
    lawyer = UserFactory(username="legal_a", first_name="吴律师", team=legal, manager=sibling)
    legal.lead = lawyer
    legal.save()
    give_email(org["presales"], org["rep"])
    return {
        **org,
        "gm": gm,
        "director": org["rep_manager"],
        "teammate": teammate,
        "sibling": sibling,
        "other_rep": other_rep,
        "legal": legal,
        "lawyer": lawyer,
        "other_deal": DealFactory(owner=other_rep, customer="苏州小厂", title="小改造"),
    }


LAST_MONDAY = at(2026, 11, 16, 10, 0)


def new_ask(crew, title="配网终端方案 v2", *, created=LAST_MONDAY, **kw) -> Ask:
    kw.setdefault("deal", crew["deal"])
    kw.setdefault("requester", crew["rep"])
    kw.setdefault("team", crew["team"])
    kw.setdefault("assignee", crew["presales"])
    kw.setdefault("proposed_due_at", at(2026, 11, 20, 15, 0))
    with time_machine.travel(created, tick=False):
        return services.ask_create(
            ask_type=AskType.SOLUTION,
            title=title,
            deliverable="Solution document",
            details="120 substations, IEC 104",
            purpose="The utility's review board decides the shortlist",
            audience=Audience.CUSTOMER_EXECUTIVE,
            **kw,
        )


def agreed_ask(crew, title="配网终端方案 v2", **kw) -> Ask:
    """Made and agreed last Monday; by default due last Friday 15:00, so overdue now."""
    ask = new_ask(crew, title, **kw)
    with time_machine.travel(at(2026, 11, 16, 10, 30), tick=False):
        return services.ask_agree(ask=ask, actor=ask.assignee)


def overdue_ask(crew, title="配网终端方案 v2", **kw) -> Ask:
    """Overdue since Friday 15:00, when the ladder's breach nudge went out."""
    ask = agreed_ask(crew, title, **kw)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        sweep.sweep(hand_over=None)
    return Ask.objects.get(pk=ask.pk)


def state(ask) -> tuple:
    """What anyone would see change: who has it, its state and deadline, its snooze, its
    ladder, its timeline and the notifications sent about it."""
    fresh = Ask.objects.get(pk=ask.pk)
    return (
        fresh.assignee_id,
        fresh.status,
        fresh.agreed_due_at,
        fresh.snoozed_until,
        fresh.ladder_cycle,
        AskEvent.objects.filter(ask=fresh).count(),
        Nudge.objects.filter(ask=fresh).count(),
    )


def manual(ask, topic: str) -> Nudge:
    return Nudge.objects.get(ask=ask, kind=StepKind.MANUAL, step_code__startswith=f"{topic}:")


def told(nudge: Nudge, channel=Channel.IN_APP) -> dict[str, str]:
    """Who a nudge reached on a channel, and as what."""
    return dict(
        Delivery.objects.filter(nudge=nudge, channel=channel).values_list(
            "recipient__username", "role"
        )
    )


def ask_page(client, user, ask):
    client.force_login(user)
    response = client.get(f"/asks/{ask.pk}/", **EN)
    assert response.status_code == 200
    return dom(response)


def timeline_lines(page) -> list[str]:
    return [li.text for li in page.one("ol", "timeline").all("li")]


# --- extend -------------------------------------------------------------------------------


class TestExtend:
    def test_moves_the_deadline_starts_a_new_ladder_and_tells_both_sides(self, client, crew):
        ask = overdue_ask(crew)
        assert (ask.ladder_cycle, ask.escalation_level) == (1, 1)
        new = at(2026, 11, 25, 15, 0)
        interventions.extend(ask=ask, actor=crew["lead"], due_at=new, reason=REASON)

        ask = Ask.objects.get(pk=ask.pk)
        assert ask.agreed_due_at == new
        # A new ladder from now: the reminder comes at the later of one working day
        # before (Tue 15:00) and 80% of the 23 working hours to the deadline (Wed 10:24).
        assert (ask.ladder_cycle, ask.escalation_level) == (2, 0)
        assert ask.next_nudge_at == at(2026, 11, 25, 10, 24)
        event = AskEvent.objects.get(ask=ask, kind=EventKind.EXTENDED)
        assert (event.actor, event.note) == (crew["lead"], REASON)
        moved = {key: dt.datetime.fromisoformat(value) for key, value in event.data.items()}
        assert moved == {"agreed_due_at": new, "from": at(2026, 11, 20, 15, 0)}
        nudge = manual(ask, "extended")
        assert nudge.sent_by == crew["lead"]
        assert nudge.note == REASON
        assert told(nudge) == {"presales_a": "assignee", "rep_a": "requester"}
        assert told(nudge, Channel.EMAIL) == {"presales_a": "assignee", "rep_a": "requester"}
        # Off the board: two working days away is neither overdue nor at risk.
        assert board.stalled(crew["lead"]).items == []
        page = ask_page(client, crew["lead"], ask)
        assert any(
            "周涛 extended the deadline" in line and REASON in line for line in timeline_lines(page)
        )

    def test_someone_with_email_turned_off_or_no_address_is_told_in_dealdesk_only(self, crew):
        crew["rep"].profile.email_notifications = False
        crew["rep"].profile.save()
        ask = overdue_ask(crew, assignee=crew["teammate"])
        interventions.extend(
            ask=ask, actor=crew["lead"], due_at=at(2026, 11, 25, 15, 0), reason=REASON
        )
        nudge = manual(ask, "extended")
        assert told(nudge) == {"presales_b": "assignee", "rep_a": "requester"}
        assert told(nudge, Channel.EMAIL) == {}

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_refused_without_a_reason(self, crew, reason):
        ask = overdue_ask(crew)
        before = state(ask)
        with pytest.raises(ValidationError) as refused:
            interventions.extend(
                ask=ask, actor=crew["lead"], due_at=at(2026, 11, 25, 15, 0), reason=reason
            )
        assert list(refused.value.message_dict) == ["reason"]
        assert state(ask) == before

    @pytest.mark.parametrize(
        ("due", "message"),
        [
            (at(2026, 11, 23, 9, 0), "The deadline must be in the future."),
            (at(2026, 11, 24, 15, 0), "An extension ends after the current deadline."),
            (at(2026, 11, 25, 15, 0), "An extension ends after the current deadline."),
        ],
    )
    def test_refused_for_a_date_in_the_past_or_not_after_the_current_deadline(
        self, crew, due, message
    ):
        ask = agreed_ask(crew, proposed_due_at=at(2026, 11, 25, 15, 0))
        before = state(ask)
        with pytest.raises(ValidationError) as refused:
            interventions.extend(ask=ask, actor=crew["lead"], due_at=due, reason=REASON)
        assert refused.value.message_dict == {"due_at": [message]}
        assert state(ask) == before

    def test_refused_on_a_proposed_ask_that_has_no_agreed_deadline(self, crew):
        ask = new_ask(crew, proposed_due_at=at(2026, 11, 27, 15, 0))
        before = state(ask)
        with pytest.raises(ActionNotAllowed) as refused:
            interventions.extend(
                ask=ask, actor=crew["lead"], due_at=at(2026, 12, 4, 15, 0), reason=REASON
            )
        assert refused.value.message == (
            "Only an agreed deadline can be extended; this ask has none yet."
        )
        assert state(ask) == before

    @pytest.mark.parametrize("outcome", ["delivered", "cancelled"])
    def test_refused_on_a_delivered_or_closed_ask(self, crew, outcome):
        ask = overdue_ask(crew)
        if outcome == "delivered":
            services.ask_deliver(ask=ask, actor=crew["presales"], note="Attached")
        else:
            services.ask_cancel(ask=ask, actor=crew["rep"], reason="Customer withdrew")
        before = state(ask)
        with pytest.raises(ActionNotAllowed) as refused:
            interventions.extend(
                ask=ask, actor=crew["lead"], due_at=at(2026, 11, 25, 15, 0), reason=REASON
            )
        assert refused.value.message == f"This ask is {outcome}: there is nothing to unblock."
        assert state(ask) == before

    @pytest.mark.parametrize("who", ["sibling", "other_rep", "presales", "rep", "teammate"])
    def test_refused_to_anyone_who_is_not_a_manager_or_the_lead(self, crew, who):
        ask = overdue_ask(crew)
        before = state(ask)
        with pytest.raises(ActionNotAllowed) as refused:
            interventions.extend(
                ask=ask, actor=crew[who], due_at=at(2026, 11, 25, 15, 0), reason=REASON
            )
        assert refused.value.message == (
            "Only a manager of the people on this ask, or the team's lead, can do that."
        )
        assert state(ask) == before

    @pytest.mark.parametrize("who", ["lead", "director", "gm"])
    def test_the_lead_and_every_manager_above_the_people_may_extend(self, crew, who):
        ask = overdue_ask(crew)
        interventions.extend(
            ask=ask, actor=crew[who], due_at=at(2026, 11, 25, 15, 0), reason=REASON
        )
        assert Ask.objects.get(pk=ask.pk).agreed_due_at == at(2026, 11, 25, 15, 0)

    def test_extending_a_renegotiated_ask_short_of_the_counter_still_starts_a_new_ladder(
        self, crew
    ):
        # Overdue and escalated, 陈静 proposed Friday the 4th; her lead grants Wednesday.
        ask = overdue_ask(crew)
        with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False):
            services.ask_counter(ask=ask, actor=crew["presales"], due_at=at(2026, 12, 4, 15, 0))
        interventions.extend(
            ask=ask, actor=crew["lead"], due_at=at(2026, 11, 25, 15, 0), reason=REASON
        )
        ask = Ask.objects.get(pk=ask.pk)
        assert ask.agreed_due_at == at(2026, 11, 25, 15, 0)
        assert ask.status == S.COUNTERED  # her counter-proposal still waits for the rep
        # "The new deadline starts a new ladder": a reminder and a breach for Wednesday,
        # and none of Friday's escalation carried over.
        assert (ask.ladder_cycle, ask.escalation_level) == (2, 0)
        assert ask.next_nudge_at == at(2026, 11, 25, 10, 24)

    def test_granting_at_least_the_counter_settles_it(self, crew):
        ask = overdue_ask(crew)
        with time_machine.travel(at(2026, 11, 23, 9, 30), tick=False):
            services.ask_counter(ask=ask, actor=crew["presales"], due_at=at(2026, 11, 25, 15, 0))
        interventions.extend(
            ask=ask, actor=crew["lead"], due_at=at(2026, 11, 26, 12, 0), reason=REASON
        )
        ask = Ask.objects.get(pk=ask.pk)
        assert (ask.status, ask.agreed_due_at, ask.counter_due_at) == (
            S.AGREED,
            at(2026, 11, 26, 12, 0),
            None,
        )
        assert (ask.ladder_cycle, ask.escalation_level) == (2, 0)


# --- reassign -----------------------------------------------------------------------------


class TestReassign:
    def test_moves_the_ask_within_its_team_and_tells_the_new_and_old_assignee_and_requester(
        self, client, crew
    ):
        crew["rep"].profile.email_notifications = False
        crew["rep"].profile.save()
        ask = overdue_ask(crew)
        interventions.reassign(
            ask=ask, actor=crew["lead"], assignee=crew["teammate"], reason="陈静 is on leave"
        )
        ask = Ask.objects.get(pk=ask.pk)
        assert ask.assignee == crew["teammate"]
        # The deadline and its ladder stay: the same work is owed, by someone else.
        assert (ask.agreed_due_at, ask.ladder_cycle) == (at(2026, 11, 20, 15, 0), 1)
        event = AskEvent.objects.get(ask=ask, kind=EventKind.ASSIGNED)
        assert (event.actor, event.note) == (crew["lead"], "陈静 is on leave")
        assert (event.data["from_name"], event.data["name"]) == ("陈静", "周敏")
        nudge = manual(ask, "reassigned")
        assert told(nudge) == {
            "presales_b": "assignee",
            "presales_a": "assignee",
            "rep_a": "requester",
        }
        # 周敏 has no address and 王磊 turned email off: only 陈静 gets an email.
        assert told(nudge, Channel.EMAIL) == {"presales_a": "assignee"}
        page = ask_page(client, crew["lead"], ask)
        assert any(
            "陈静 → 周敏" in line and "陈静 is on leave" in line for line in timeline_lines(page)
        )

    def test_refused_to_someone_outside_the_team(self, crew):
        ask = overdue_ask(crew)
        before = state(ask)
        with pytest.raises(ValidationError) as refused:
            interventions.reassign(ask=ask, actor=crew["lead"], assignee=crew["lawyer"], reason="x")
        assert refused.value.message_dict == {"assignee": ["Choose a member of 售前技术部."]}
        assert state(ask) == before

    def test_refused_to_the_requester(self, crew):
        # 周敏 asked her own team; 陈静 has it.
        deal = crew["deal"]
        deal.stakeholders.create(user=crew["teammate"], role="presales")
        ask = overdue_ask(crew, requester=crew["teammate"])
        before = state(ask)
        with pytest.raises(ValidationError) as refused:
            interventions.reassign(
                ask=ask, actor=crew["lead"], assignee=crew["teammate"], reason="x"
            )
        assert refused.value.message_dict == {
            "assignee": ["周敏 made this ask; choose someone else."]
        }
        assert state(ask) == before

    def test_refused_to_the_current_assignee(self, crew):
        ask = overdue_ask(crew)
        before = state(ask)
        with pytest.raises(ValidationError) as refused:
            interventions.reassign(
                ask=ask, actor=crew["lead"], assignee=crew["presales"], reason="x"
            )
        assert refused.value.message_dict == {"assignee": ["陈静 already has this ask."]}
        assert state(ask) == before

    def test_refused_to_a_manager_of_nobody_on_it(self, crew):
        ask = overdue_ask(crew)
        before = state(ask)
        with pytest.raises(ActionNotAllowed):
            interventions.reassign(
                ask=ask, actor=crew["sibling"], assignee=crew["teammate"], reason="x"
            )
        assert state(ask) == before


# --- snooze -------------------------------------------------------------------------------


class TestSnooze:
    def test_holds_escalation_says_why_and_tells_both_sides_and_lifting_it_works(
        self, client, crew
    ):
        ask = overdue_ask(crew)
        until = at(2026, 11, 25, 10, 0)
        interventions.snooze(ask=ask, actor=crew["lead"], until=until, reason=REASON)
        ask = Ask.objects.get(pk=ask.pk)
        assert ask.snoozed_until == until
        assert ask.next_nudge_at == until  # the next escalation waits for it
        event = AskEvent.objects.get(ask=ask, kind=EventKind.SNOOZED)
        assert (event.actor, event.note) == (crew["lead"], REASON)
        nudge = manual(ask, "snoozed")
        assert nudge.note == REASON
        assert told(nudge) == {"presales_a": "assignee", "rep_a": "requester"}
        page = ask_page(client, crew["lead"], ask)
        escalation = page.one("section", aria_labelledby="h-escalation")
        assert "Escalation snoozed until Wed 2026-11-25 10:00" in escalation.text

        interventions.snooze(ask=ask, actor=crew["lead"], until=None, reason="评审改回周一")
        ask = Ask.objects.get(pk=ask.pk)
        assert ask.snoozed_until is None
        assert AskEvent.objects.filter(ask=ask, kind=EventKind.SNOOZED).count() == 2
        lifted = Nudge.objects.filter(ask=ask, step_code__startswith="snoozed:").latest("id")
        assert lifted.note == "评审改回周一"
        assert told(lifted) == {"presales_a": "assignee", "rep_a": "requester"}

    def test_refused_without_a_reason_or_by_someone_who_is_not_their_manager(self, crew):
        ask = overdue_ask(crew)
        before = state(ask)
        with pytest.raises(ValidationError):
            interventions.snooze(
                ask=ask, actor=crew["lead"], until=at(2026, 11, 25, 10, 0), reason=" "
            )
        with pytest.raises(ActionNotAllowed):
            interventions.snooze(
                ask=ask, actor=crew["sibling"], until=at(2026, 11, 25, 10, 0), reason=REASON
            )
        assert state(ask) == before

    def test_a_delivered_ask_is_refused_like_every_other_intervention(self, crew):
        # Delivered, it waits on the requester's confirmation: there is no escalation to
        # hold, and extend, reassign and nudge all refuse it.
        ask = services.ask_deliver(ask=overdue_ask(crew), actor=crew["presales"], note="Attached")
        before = state(ask)
        with pytest.raises(ActionNotAllowed) as refused:
            interventions.snooze(
                ask=ask, actor=crew["lead"], until=at(2026, 11, 25, 10, 0), reason=REASON
            )
        assert refused.value.message == "This ask is delivered: there is nothing to unblock."
        assert state(ask) == before


# --- nudge now ----------------------------------------------------------------------------


class TestNudgeNow:
    def test_nudges_the_assignee_in_the_managers_words_once_on_the_timeline(self, client, crew):
        ask = overdue_ask(crew)
        events = AskEvent.objects.filter(ask=ask).count()
        message = "今天下班前能给出初稿吗？"
        nudge = interventions.nudge_now(ask=ask, actor=crew["lead"], reason=message)
        assert (nudge.kind, nudge.topic, nudge.note, nudge.sent_by) == (
            StepKind.MANUAL,
            "nudge",
            message,
            crew["lead"],
        )
        assert told(nudge) == {"presales_a": "assignee"}
        assert told(nudge, Channel.EMAIL) == {"presales_a": "assignee"}
        # The nudge is the timeline's line: no event besides it.
        assert AskEvent.objects.filter(ask=ask).count() == events
        lines = [
            line for line in timeline_lines(ask_page(client, crew["rep"], ask)) if message in line
        ]
        assert len(lines) == 1
        assert lines == [
            f"2026-11-23 10:00 周涛 sent a nudge: {message} → 陈静 (assignee): in DealDesk, "
            "Email waiting"
        ]

    def test_an_unassigned_ask_nudges_the_team_lead(self, crew):
        ask = new_ask(crew, assignee=None, proposed_due_at=at(2026, 11, 27, 15, 0))
        nudge = interventions.nudge_now(ask=ask, actor=crew["director"], reason="谁来接一下？")
        assert told(nudge) == {"presales_lead": "team_lead"}

    def test_refused_without_a_message_or_on_a_closed_ask(self, crew):
        ask = overdue_ask(crew)
        with pytest.raises(ValidationError):
            interventions.nudge_now(ask=ask, actor=crew["lead"], reason="")
        services.ask_cancel(ask=ask, actor=crew["rep"], reason="Customer withdrew")
        with pytest.raises(ActionNotAllowed):
            interventions.nudge_now(ask=ask, actor=crew["lead"], reason="还在吗？")
        assert not Nudge.objects.filter(ask=ask, kind=StepKind.MANUAL).exists()


# --- convene a huddle --------------------------------------------------------------------


@pytest.fixture
def huddle_asks(crew):
    """Two stalled asks 孙总 can act on: 王磊's, with 陈静; 李娜's, with 周敏."""
    first = overdue_ask(crew, "配网终端方案 v2")
    second = overdue_ask(
        crew,
        "小改造报价",
        deal=crew["other_deal"],
        requester=crew["other_rep"],
        assignee=crew["teammate"],
    )
    return first, second


def convene(crew, asks, actor="gm"):
    return interventions.convene(
        asks=list(asks),
        actor=crew[actor],
        agenda="PLC 型号未定，方案和报价都卡住了",
        scheduled_at=at(2026, 11, 24, 14, 0),
        place="3 楼会议室",
    )


PARTICIPANTS = {
    "vp_sales",  # 孙总, who called it
    "presales_a",  # 陈静, assignee of the first
    "presales_lead",  # 周涛, her manager (and 周敏's)
    "rep_a",  # 王磊, requester of the first
    "director",  # 赵敏, his manager
    "presales_b",  # 周敏, assignee of the second
    "rep_b",  # 李娜, requester of the second
    "gm_north",  # 钱总, her manager
}


class TestConvene:
    def test_one_huddle_over_both_asks_with_everyone_they_are_stuck_between(
        self, client, crew, huddle_asks
    ):
        outcome = convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        assert outcome.huddle == huddle
        assert set(huddle.asks.all()) == set(huddle_asks)
        assert set(huddle.participants.values_list("username", flat=True)) == PARTICIPANTS
        for ask in huddle_asks:
            event = AskEvent.objects.get(ask=ask, kind=EventKind.CONVENED)
            assert (event.actor, event.note) == (crew["gm"], "PLC 型号未定，方案和报价都卡住了")
            assert event.data["huddle"] == huddle.pk
        nudge = Nudge.objects.get(kind=StepKind.MANUAL, step_code__startswith="convened:")
        # Everyone but the manager who called it is told.
        assert set(told(nudge)) == PARTICIPANTS - {"vp_sales"}
        # Each ask's page links to the huddle.
        for ask in huddle_asks:
            page = ask_page(client, crew["gm"], ask)
            links = [a.attrs["href"] for a in page.one("ol", "timeline").all("a")]
            assert f"/huddles/{huddle.pk}/" in links

    def test_every_participant_can_open_what_their_notification_links_to(
        self, client, crew, huddle_asks
    ):
        convene(crew, huddle_asks)
        nudge = Nudge.objects.get(kind=StepKind.MANUAL, step_code__startswith="convened:")
        unreachable = []
        for delivery in Delivery.objects.filter(nudge=nudge, channel=Channel.IN_APP):
            text = notify.describe(delivery, zone="Asia/Shanghai")
            client.force_login(delivery.recipient)
            path = text.url.removeprefix(notify.absolute_url(""))
            if client.get(path, **EN).status_code != 200:
                unreachable.append(delivery.recipient.username)
        # 李娜 and 钱总 are in the huddle for the second ask only; the notification
        # must not send them to the first ask's page, which they may not open.
        assert unreachable == []

    def test_the_huddle_page_is_for_its_participants_only(self, client, crew, huddle_asks):
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        client.force_login(crew["rep"])
        page = dom(client.get(f"/huddles/{huddle.pk}/", **EN))
        assert "PLC 型号未定" in page.one("h1").text
        assert "3 楼会议室" in page.text
        agenda = page.one("section", aria_labelledby="h-agenda")
        assert {a.text for a in agenda.all("a")} == {"配网终端方案 v2", "小改造报价"}
        people = page.one("section", aria_labelledby="h-people")
        assert len(people.all("li")) == len(PARTICIPANTS)
        # 吴律师 is in another department; 周新 is a presales colleague who was not asked.
        colleague = UserFactory(username="presales_c", first_name="周新", team=crew["team"])
        for outsider in (crew["lawyer"], colleague):
            client.force_login(outsider)
            assert client.get(f"/huddles/{huddle.pk}/", **EN).status_code == 404
        client.force_login(crew["lawyer"])
        assert client.get("/huddles/987654/", **EN).status_code == 404

    def test_the_convener_records_the_outcome_and_it_shows_everywhere(
        self, client, crew, huddle_asks
    ):
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        client.force_login(crew["gm"])
        response = client.post(
            f"/huddles/{huddle.pk}/outcome/",
            {"outcome": "周三前确认 PLC 型号，周敏出报价", "owner": crew["lead"].pk},
            **EN,
        )
        assert (response.status_code, response.url) == (302, f"/huddles/{huddle.pk}/")
        page = follow(client, response)
        assert flash(page) == (
            "Outcome recorded; it shows on each ask, and everyone has been told."
        )
        assert "周三前确认 PLC 型号，周敏出报价" in page.text
        assert "Owned by 周涛" in page.text
        assert not page.all("form", action=f"/huddles/{huddle.pk}/outcome/")
        huddle.refresh_from_db()
        assert (huddle.outcome, huddle.outcome_owner) == (
            "周三前确认 PLC 型号，周敏出报价",
            crew["lead"],
        )
        for ask in huddle_asks:
            event = AskEvent.objects.get(ask=ask, kind=EventKind.HUDDLE_OUTCOME)
            assert (event.actor, event.note) == (crew["gm"], "周三前确认 PLC 型号，周敏出报价")
            line = [
                text
                for text in timeline_lines(ask_page(client, crew["gm"], ask))
                if "周三前确认" in text
            ]
            assert len(line) == 1 and "owned by 周涛" in line[0]
        nudge = Nudge.objects.get(kind=StepKind.MANUAL, step_code__startswith="outcome:")
        assert set(told(nudge)) == PARTICIPANTS - {"vp_sales"}

    def test_a_participant_who_manages_someone_on_it_may_record_the_outcome(
        self, crew, huddle_asks
    ):
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        interventions.record_outcome(
            huddle=huddle, actor=crew["lead"], outcome="周敏出报价", owner=crew["teammate"]
        )
        assert Huddle.objects.get().outcome_owner == crew["teammate"]

    def test_a_participant_who_manages_nobody_on_it_may_not(self, client, crew, huddle_asks):
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        with pytest.raises(ActionNotAllowed):
            interventions.record_outcome(
                huddle=huddle, actor=crew["rep"], outcome="我来定", owner=crew["rep"]
            )
        client.force_login(crew["rep"])
        page = dom(client.get(f"/huddles/{huddle.pk}/", **EN))
        assert not page.all("form", action=f"/huddles/{huddle.pk}/outcome/")
        assert "No outcome yet" in page.text
        response = client.post(
            f"/huddles/{huddle.pk}/outcome/", {"outcome": "我来定", "owner": crew["rep"].pk}, **EN
        )
        assert (response.status_code, response.url) == (302, f"/huddles/{huddle.pk}/")
        assert flash(follow(client, response)) == (
            "Only the manager who called the huddle can record its outcome."
        )
        assert Huddle.objects.get().outcome == ""
        assert not AskEvent.objects.filter(kind=EventKind.HUDDLE_OUTCOME).exists()

    def test_the_owner_must_be_a_participant(self, client, crew, huddle_asks):
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        with pytest.raises(ValidationError) as refused:
            interventions.record_outcome(
                huddle=huddle, actor=crew["gm"], outcome="法务跟进", owner=crew["lawyer"]
            )
        assert list(refused.value.message_dict) == ["owner"]
        client.force_login(crew["gm"])
        response = client.post(
            f"/huddles/{huddle.pk}/outcome/",
            {"outcome": "法务跟进", "owner": crew["lawyer"].pk},
            **EN,
        )
        assert response.status_code == 422
        assert dom(response).by_id("id_owner_error").text
        assert Huddle.objects.get().outcome == ""

    def test_an_outcome_needs_words(self, client, crew, huddle_asks):
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        with pytest.raises(ValidationError) as refused:
            interventions.record_outcome(
                huddle=huddle, actor=crew["gm"], outcome="  ", owner=crew["lead"]
            )
        assert list(refused.value.message_dict) == ["outcome"]

    def test_an_ask_the_convener_may_not_touch_is_left_out(self, crew, huddle_asks):
        # 周涛 manages 陈静 and 周敏, so both asks; 赵敏 manages only 王磊.
        outcome = convene(crew, huddle_asks, actor="director")
        assert outcome.done == [huddle_asks[0]]
        assert [ask.pk for ask, _message in outcome.refused] == [huddle_asks[1].pk]
        assert list(Huddle.objects.get().asks.all()) == [huddle_asks[0]]
        assert not AskEvent.objects.filter(ask=huddle_asks[1], kind=EventKind.CONVENED).exists()


# --- the /board/act/ page -----------------------------------------------------------------


def post_act(client, kind, asks, data=None, next_url="/board/", **headers):
    payload = {"kind": kind, "ask": [a.pk for a in asks], "next": next_url, **(data or {})}
    return client.post("/board/act/", payload, **(headers or EN))


def follow(client, response):
    return dom(client.get(response.url, **EN))


EXTEND = {"due_at": "2026-11-25T15:00", "reason": REASON}


class TestBoardActions:
    def test_get_shows_the_form_listing_the_asks(self, client, crew):
        first, second = overdue_ask(crew, "方案 A"), overdue_ask(crew, "方案 B")
        client.force_login(crew["lead"])
        response = client.get(
            f"/board/act/?kind=extend&ask={first.pk}&ask={second.pk}&next=/board/%3Freason%3Doverdue",
            **EN,
        )
        assert response.status_code == 200
        page = dom(response)
        assert page.one("h1").text == "Extend the deadline"
        assert [a.text for a in page.one("ul", "act-asks").all("a")] == ["方案 A", "方案 B"]
        form = page.one("form", "act-form")
        assert [i.attrs["value"] for i in form.all("input", name="ask")] == [
            str(first.pk),
            str(second.pk),
        ]
        assert form.one("input", name="next").attrs["value"] == "/board/?reason=overdue"
        assert form.one("input", name="due_at").attrs["type"] == "datetime-local"
        labels = [label.text for label in form.all("label")]
        assert labels == ["New deadline", "Reason"]

    def test_extend_on_two_asks_applies_to_both(self, client, crew):
        first, second = overdue_ask(crew, "方案 A"), overdue_ask(crew, "方案 B")
        client.force_login(crew["lead"])
        response = post_act(client, "extend", [first, second], EXTEND, "/board/?reason=overdue")
        assert (response.status_code, response.url) == (302, "/board/?reason=overdue")
        assert flash(follow(client, response)) == "Deadlines extended on 2 asks."
        for ask in (first, second):
            assert Ask.objects.get(pk=ask.pk).agreed_due_at == at(2026, 11, 25, 15, 0)
            assert AskEvent.objects.get(ask=ask, kind=EventKind.EXTENDED).note == REASON

    def test_an_ask_closed_in_the_meantime_is_reported_and_the_other_still_done(self, client, crew):
        first, second = overdue_ask(crew, "方案 A"), overdue_ask(crew, "方案 B")
        services.ask_cancel(ask=first, actor=crew["rep"], reason="Customer withdrew")
        before = state(first)
        client.force_login(crew["lead"])
        response = post_act(client, "extend", [first, second], EXTEND)
        assert (response.status_code, response.url) == (302, "/board/")
        assert flash(follow(client, response)) == (
            "Deadline extended on 1 ask. "
            "方案 A: This ask is cancelled: there is nothing to unblock."
        )
        assert state(first) == before
        assert Ask.objects.get(pk=second.pk).agreed_due_at == at(2026, 11, 25, 15, 0)

    def test_an_ask_the_new_date_does_not_extend_is_reported_and_the_others_still_done(
        self, client, crew
    ):
        # 方案 B is already due Friday the 27th: Wednesday would shorten it.
        first = overdue_ask(crew, "方案 A")
        second = agreed_ask(crew, "方案 B", proposed_due_at=at(2026, 11, 27, 15, 0))
        third = overdue_ask(crew, "方案 C")
        before = state(second)
        client.force_login(crew["lead"])
        response = post_act(client, "extend", [first, second, third], EXTEND)
        assert response.status_code == 302
        assert flash(follow(client, response)) == (
            "Deadlines extended on 2 asks. 方案 B: An extension ends after the current deadline."
        )
        assert state(second) == before
        for ask in (first, third):
            assert Ask.objects.get(pk=ask.pk).agreed_due_at == at(2026, 11, 25, 15, 0)

    def test_a_reassign_one_ask_refuses_is_reported_and_the_others_still_done(self, client, crew):
        first = overdue_ask(crew, "方案 A")
        second = overdue_ask(crew, "方案 B", assignee=crew["teammate"])
        third = overdue_ask(crew, "方案 C")
        client.force_login(crew["lead"])
        data = {"assignee": crew["teammate"].pk, "reason": "陈静 is on leave"}
        response = post_act(client, "reassign", [first, second, third], data)
        assert response.status_code == 302
        assert flash(follow(client, response)) == (
            "2 asks reassigned. 方案 B: 周敏 already has this ask."
        )
        assert [Ask.objects.get(pk=a.pk).assignee for a in (first, second, third)] == [
            crew["teammate"]
        ] * 3

    def test_a_date_in_the_past_is_shown_next_to_its_field_and_nothing_changes(self, client, crew):
        first, second = overdue_ask(crew, "方案 A"), overdue_ask(crew, "方案 B")
        before = [state(first), state(second)]
        client.force_login(crew["lead"])
        data = {"due_at": "2026-11-23T09:00", "reason": REASON}
        response = post_act(client, "extend", [first, second], data)
        assert response.status_code == 422
        assert dom(response).by_id("id_due_at_error").text == "The deadline must be in the future."
        assert [state(first), state(second)] == before

    def test_a_missing_reason_is_shown_next_to_its_field(self, client, crew):
        ask = overdue_ask(crew)
        before = state(ask)
        client.force_login(crew["lead"])
        response = post_act(client, "snooze", [ask], {"until": "2026-11-25T10:00", "reason": ""})
        assert response.status_code == 422
        assert dom(response).by_id("id_reason_error").text
        assert state(ask) == before

    def test_another_managers_peoples_ask_in_the_list_is_not_found_and_nothing_changes(
        self, client, crew
    ):
        mine = overdue_ask(crew, "方案 A")
        theirs = overdue_ask(
            crew,
            "合同条款",
            deal=crew["other_deal"],
            requester=crew["other_rep"],
            team=crew["legal"],
            assignee=crew["lawyer"],
        )
        before = [state(mine), state(theirs)]
        client.force_login(crew["lead"])
        assert post_act(client, "extend", [mine, theirs], EXTEND).status_code == 404
        assert post_act(client, "extend", [theirs], EXTEND).status_code == 404
        assert client.get(f"/board/act/?kind=extend&ask={theirs.pk}", **EN).status_code == 404
        assert [state(mine), state(theirs)] == before

    @pytest.mark.parametrize("kind", ["delete", "", "Extend"])
    def test_a_kind_not_offered_is_not_found(self, client, crew, kind):
        ask = overdue_ask(crew)
        before = state(ask)
        client.force_login(crew["lead"])
        assert post_act(client, kind, [ask], EXTEND).status_code == 404
        assert client.get(f"/board/act/?kind={kind}&ask={ask.pk}", **EN).status_code == 404
        assert state(ask) == before

    def test_an_ask_id_that_is_not_a_number_is_not_found(self, client, crew):
        client.force_login(crew["lead"])
        response = client.post("/board/act/", {"kind": "extend", "ask": "abc"}, **EN)
        assert response.status_code == 404

    def test_no_asks_ticked_goes_back_to_the_board_with_a_message(self, client, crew):
        client.force_login(crew["lead"])
        response = post_act(client, "extend", [], EXTEND, "/board/?group=person")
        assert (response.status_code, response.url) == (302, "/board/?group=person")
        assert flash(follow(client, response)) == "Tick at least one ask on the board first."

    def test_reassign_across_two_departments_is_refused_with_a_message(self, client, crew):
        presales = overdue_ask(crew, "方案 A")
        legal = overdue_ask(crew, "合同条款", team=crew["legal"], assignee=crew["lawyer"])
        before = [state(presales), state(legal)]
        client.force_login(crew["director"])  # both were made by his 王磊
        data = {"assignee": crew["teammate"].pk, "reason": "x"}
        response = post_act(client, "reassign", [presales, legal], data)
        assert (response.status_code, response.url) == (302, "/board/")
        assert flash(follow(client, response)) == ("Reassign the asks of one department at a time.")
        assert [state(presales), state(legal)] == before

    def test_convene_from_the_board_calls_one_huddle(self, client, crew, huddle_asks):
        client.force_login(crew["gm"])
        data = {
            "reason": "PLC 型号未定",
            "scheduled_at": "2026-11-24T14:00",
            "place": "3 楼会议室",
        }
        response = post_act(client, "convene", huddle_asks, data)
        assert response.status_code == 302
        assert flash(follow(client, response)) == (
            "Huddle called over 2 asks; everyone has been told."
        )
        huddle = Huddle.objects.get()
        assert huddle.scheduled_at == at(2026, 11, 24, 14, 0)
        assert set(huddle.asks.all()) == set(huddle_asks)
        # The board lists it until its outcome is recorded.
        board_page = dom(client.get("/board/", **EN))
        huddles = board_page.one("section", aria_labelledby="h-huddles")
        assert [a.attrs["href"] for a in huddles.all("a")] == [f"/huddles/{huddle.pk}/"]

    def test_every_post_needs_the_csrf_token(self, crew, huddle_asks):
        client = Client(enforce_csrf_checks=True)
        client.force_login(crew["gm"])
        before = [state(a) for a in huddle_asks]
        assert post_act(client, "extend", huddle_asks, EXTEND).status_code == 403
        assert post_act(client, "nudge", huddle_asks, {"reason": "?"}).status_code == 403
        assert [state(a) for a in huddle_asks] == before
        convene(crew, huddle_asks)
        huddle = Huddle.objects.get()
        response = client.post(
            f"/huddles/{huddle.pk}/outcome/", {"outcome": "x", "owner": crew["gm"].pk}
        )
        assert response.status_code == 403
        assert Huddle.objects.get().outcome == ""
        assert not AskEvent.objects.filter(kind=EventKind.HUDDLE_OUTCOME).exists()

    def test_the_token_on_the_form_is_the_one_that_works(self, crew):
        ask = overdue_ask(crew)
        client = Client(enforce_csrf_checks=True)
        client.force_login(crew["lead"])
        page = dom(client.get(f"/board/act/?kind=nudge&ask={ask.pk}", **EN))
        token = page.one("form", "act-form").one("input", name="csrfmiddlewaretoken")
        response = client.post(
            "/board/act/",
            {
                "csrfmiddlewaretoken": token.attrs["value"],
                "kind": "nudge",
                "ask": ask.pk,
                "reason": "进展如何？",
            },
        )
        assert response.status_code == 302
        assert manual(ask, "nudge").note == "进展如何？"

    @pytest.mark.parametrize(
        "target", ["https://evil.example/", "//evil.example/board/", "https:/evil.example/"]
    )
    def test_next_never_leads_off_site(self, client, crew, target):
        ask = overdue_ask(crew)
        client.force_login(crew["lead"])
        page = dom(client.get("/board/act/", {"kind": "nudge", "ask": ask.pk, "next": target}))
        assert page.one("p", "crumbs").one("a").attrs["href"] == "/board/"
        assert page.one("form", "act-form").one("input", name="next").attrs["value"] == "/board/"
        response = post_act(client, "nudge", [ask], {"reason": "进展如何？"}, target)
        assert (response.status_code, response.url) == (302, "/board/")
        response = post_act(client, "nudge", [], {"reason": "进展如何？"}, target)
        assert (response.status_code, response.url) == (302, "/board/")

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, crew):
        ask = overdue_ask(crew)
        before = state(ask)
        assert client.get("/board/").status_code == 302
        response = post_act(client, "extend", [ask], EXTEND)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
        assert state(ask) == before


# --- what people read ---------------------------------------------------------------------


@pytest.fixture
def every_topic(crew, huddle_asks):
    """One hand-sent nudge of each topic about 王磊's ask, as 陈静 or 王磊 reads it."""
    ask, _second = huddle_asks
    lead = crew["lead"]
    interventions.nudge_now(ask=ask, actor=lead, reason="今天能给初稿吗？")
    interventions.snooze(ask=ask, actor=lead, until=at(2026, 11, 25, 10, 0), reason=REASON)
    interventions.extend(ask=ask, actor=lead, due_at=at(2026, 11, 25, 15, 0), reason=REASON)
    convene(crew, [ask])
    huddle = Huddle.objects.get()
    interventions.record_outcome(huddle=huddle, actor=crew["gm"], outcome="周三交付", owner=lead)
    interventions.reassign(ask=ask, actor=lead, assignee=crew["teammate"], reason="陈静 is out")

    def delivery(topic: str) -> Delivery:
        # A nudge now goes to the assignee alone; the rest reach the requester too.
        reader = crew["presales"] if topic == "nudge" else crew["rep"]
        return Delivery.objects.get(
            nudge=manual(ask, topic), recipient=reader, channel=Channel.IN_APP
        )

    return delivery


# What the requester reads for each topic: the subject, then the lines before the deal's.
# The manager's own words come last; times are in the reader's zone.
TEXTS = {
    "nudge": ("周涛 nudged you about “配网终端方案 v2”", ["今天能给初稿吗？"]),
    "snoozed": (
        "周涛 changed the escalation of “配网终端方案 v2”",
        ["No nudges go out until Wed 2026-11-25 10:00.", REASON],
    ),
    "extended": (
        "周涛 extended the deadline of “配网终端方案 v2”",
        ["The new deadline is Wed 2026-11-25 15:00.", REASON],
    ),
    "convened": (
        "孙总 called a huddle on “配网终端方案 v2”",
        [
            "When: Tue 2026-11-24 14:00 · 3 楼会议室",
            "The blocking point: PLC 型号未定，方案和报价都卡住了",
        ],
    ),
    "outcome": ("Huddle outcome on “配网终端方案 v2”", ["Owned by 周涛.", "周三交付"]),
    "reassigned": ("周涛 reassigned “配网终端方案 v2”", ["It is now with 周敏.", "陈静 is out"]),
}


@pytest.mark.parametrize("topic", list(TEXTS))
def test_each_hand_sent_nudge_names_the_intervention_and_carries_the_note(every_topic, topic):
    delivery = every_topic(topic)
    with translation.override("en"):
        text = notify.describe(delivery, zone="Asia/Shanghai")
    subject, lines = TEXTS[topic]
    assert text.subject == subject
    assert list(text.lines[:-1]) == lines
    assert text.lines[-1].startswith("Deal: 国网江苏电力 · 配网自动化改造")
    if topic in ("convened", "outcome"):
        # Every participant may open the huddle; not every one may open this ask.
        huddle = Huddle.objects.get()
        assert text.url.endswith(f"/huddles/{huddle.pk}/")
    else:
        assert text.url.endswith(f"/asks/{delivery.nudge.ask_id}/")


WORDS = {
    "nudge": "今天能给初稿吗？",
    "snoozed": REASON,
    "extended": REASON,
    "convened": "PLC 型号未定，方案和报价都卡住了",
    "outcome": "周三交付",
    "reassigned": "陈静 is out",
}


@pytest.mark.parametrize("topic", list(TEXTS))
def test_each_hand_sent_nudge_reads_in_chinese(every_topic, topic):
    with translation.override("zh-hans"):
        text = notify.describe(every_topic(topic), zone="Asia/Shanghai")
    assert "“配网终端方案 v2”" in text.subject
    if topic != "outcome":
        assert text.subject.startswith("孙总" if topic == "convened" else "周涛")
    assert any(WORDS[topic] in line for line in text.lines)
    assert "国网江苏电力 · 配网自动化改造" in text.lines[-1]


def test_the_hand_sent_nudge_in_chinese_reads_as_a_chinese_sentence(every_topic):
    with translation.override("zh-hans"):
        text = notify.describe(every_topic("nudge"), zone="Asia/Shanghai")
    assert text.subject == "周涛 就“配网终端方案 v2”向你催办"


def test_a_requester_abroad_reads_the_new_deadline_in_their_own_time_zone(crew):
    # 王磊 works from Berlin this month: 15:00 in Shanghai is 08:00 there.
    ask = overdue_ask(crew)
    interventions.extend(ask=ask, actor=crew["lead"], due_at=at(2026, 11, 25, 15, 0), reason=REASON)
    delivery = Delivery.objects.get(
        nudge=manual(ask, "extended"), recipient=crew["rep"], channel=Channel.IN_APP
    )
    with translation.override("en"):
        text = notify.describe(delivery, zone="Europe/Berlin")
    assert "2026-11-25 08:00" in " ".join(text.lines)


def test_a_managers_nudge_does_not_take_the_place_of_the_ladders_next_step(crew):
    # Breached Friday 15:00; one working day later, Monday 15:00, the ladder escalates
    # to 陈静's manager whatever was sent by hand in between.
    ask = overdue_ask(crew)
    before = (ask.ladder_step, ask.next_nudge_at, ask.escalation_level)
    interventions.nudge_now(ask=ask, actor=crew["director"], reason="进展？")
    fresh = Ask.objects.get(pk=ask.pk)
    assert (fresh.ladder_step, fresh.next_nudge_at, fresh.escalation_level) == before
    assert fresh.next_nudge_at == at(2026, 11, 23, 15, 0)
    with time_machine.travel(at(2026, 11, 23, 15, 0), tick=False):
        sweep.sweep(hand_over=None)
    ladder = Nudge.objects.filter(ask=ask).exclude(kind=StepKind.MANUAL)
    assert list(ladder.order_by("id").values_list("step_code", flat=True)) == [
        "breach",
        "escalate-manager",
    ]
