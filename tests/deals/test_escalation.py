"""The escalation ladder on business time: each step fires once, in order, at the right
business moment, and pauses, renegotiations, snoozes and quiet hours move it correctly.

Time is frozen with time_machine and the sweep is called directly, one step at a time.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction

from deals import services, sweep
from deals.models import (
    Ask,
    AskEvent,
    AskStatus,
    AskType,
    Audience,
    Channel,
    Delivery,
    DeliveryStatus,
    EventKind,
    LadderStep,
    Nudge,
    NudgeTimer,
)
from tests.deals.kit import at, give_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(org):
    give_email(org["lead"], org["presales"], org["vp"], org["rep"], org["rep_manager"])
    return org


def make_ask(org, created, due, *, assignee="presales") -> Ask:
    with time_machine.travel(created, tick=False):
        return services.ask_create(
            deal=org["deal"],
            requester=org["rep"],
            team=org["team"],
            assignee=org[assignee] if assignee else None,
            ask_type=AskType.SOLUTION,
            title="配网终端方案 v2",
            deliverable="Solution document",
            details="120 substations, IEC 104",
            purpose="The utility's review board meets on the due date",
            audience=Audience.CUSTOMER_EXECUTIVE,
            proposed_due_at=due,
        )


def agreed_ask(org, created, due) -> Ask:
    ask = make_ask(org, created, due)
    with time_machine.travel(created + dt.timedelta(minutes=30), tick=False):
        return services.ask_agree(ask=ask, actor=org["presales"])


def sweep_at(when) -> sweep.SweepReport:
    with time_machine.travel(when, tick=False):
        return sweep.sweep(hand_over=None)


def fired(ask) -> list[str]:
    return list(Nudge.objects.filter(ask=ask).order_by("id").values_list("step_code", flat=True))


def told(ask, step: str) -> dict[str, str]:
    """Who got the in-app notification for a step, and as what."""
    return dict(
        Delivery.objects.filter(
            nudge__ask=ask, nudge__step_code=step, channel=Channel.IN_APP
        ).values_list("recipient__username", "role")
    )


def test_each_delivery_step_fires_once_in_order_at_its_business_moment(org):
    # Agreed Mon 10:30 for Fri 15:00. The reminder comes at the later of one working
    # day before (Thu 15:00) and 80% of the working time (32.4 of 40.5 h: Thu 15:54).
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 27, 15, 0))
    assert ask.ladder_clock == "delivery"
    assert ask.next_nudge_at == at(2026, 11, 26, 15, 54)

    moments = [
        (at(2026, 11, 26, 15, 53), []),
        (at(2026, 11, 26, 15, 54), ["reminder"]),
        (at(2026, 11, 26, 16, 30), ["reminder"]),
        (at(2026, 11, 27, 14, 59), ["reminder"]),
        (at(2026, 11, 27, 15, 0), ["reminder", "breach"]),
        # The weekend is not business time: one working day after Fri 15:00 is Mon 15:00.
        (at(2026, 11, 28, 15, 0), ["reminder", "breach"]),
        (at(2026, 11, 30, 14, 59), ["reminder", "breach"]),
        (at(2026, 11, 30, 15, 0), ["reminder", "breach", "escalate-manager"]),
        (at(2026, 12, 1, 15, 0), ["reminder", "breach", "escalate-manager", "escalate-deal"]),
        (at(2026, 12, 8, 15, 0), ["reminder", "breach", "escalate-manager", "escalate-deal"]),
    ]
    for moment, expected in moments:
        sweep_at(moment)
        sweep_at(moment)  # a second sweep at the same moment sends nothing new
        assert fired(ask) == expected, moment

    assert told(ask, "reminder") == {"presales_a": "assignee"}
    assert told(ask, "breach") == {"presales_a": "assignee", "rep_a": "requester"}
    assert told(ask, "escalate-manager") == {"presales_lead": "assignee_manager"}
    assert told(ask, "escalate-deal") == {
        "director": "requester_manager",
        "vp_sales": "deal_manager",
    }
    ask.refresh_from_db()
    assert ask.escalation_level == 3
    assert ask.next_nudge_at is None
    assert Nudge.objects.get(ask=ask, step_code="escalate-deal").suggest_convene
    kinds = list(Nudge.objects.filter(ask=ask).order_by("id").values_list("kind", "level"))
    assert kinds == [("reminder", 0), ("breach", 1), ("escalate", 2), ("escalate", 3)]


def test_the_ladder_skips_a_statutory_holiday(org):
    # Due Wed 30 Sep 2026; 1-7 October is the National Day holiday and the 3rd and 4th
    # are its weekend, so one working day after the breach is Thursday 8 October.
    ask = agreed_ask(org, at(2026, 9, 28, 10, 0), at(2026, 9, 30, 15, 0))
    sweep_at(at(2026, 9, 30, 15, 0))  # the reminder's moment passed unswept: skipped
    assert fired(ask) == ["breach"]
    for day in (1, 2, 5, 6, 7):
        sweep_at(at(2026, 10, day, 16, 0))
    assert fired(ask) == ["breach"]
    sweep_at(at(2026, 10, 8, 14, 59))
    assert fired(ask) == ["breach"]
    sweep_at(at(2026, 10, 8, 15, 0))
    assert fired(ask)[-1] == "escalate-manager"


def test_a_make_up_working_saturday_counts_as_a_business_day(org):
    # Saturday 10 October 2026 is a make-up working day (调休): the escalation one
    # working day after a Friday breach fires on it, the next one on Monday.
    ask = agreed_ask(org, at(2026, 10, 8, 10, 0), at(2026, 10, 9, 15, 0))
    sweep_at(at(2026, 10, 9, 15, 0))
    assert fired(ask)[-1] == "breach"
    sweep_at(at(2026, 10, 10, 15, 0))
    assert fired(ask)[-1] == "escalate-manager"
    sweep_at(at(2026, 10, 11, 15, 0))  # an ordinary Sunday
    assert fired(ask)[-1] == "escalate-manager"
    sweep_at(at(2026, 10, 12, 15, 0))
    assert fired(ask)[-1] == "escalate-deal"


def test_waiting_on_the_requester_pauses_the_ladder_and_resuming_moves_it_on(org):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 25, 15, 0))
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        ask = services.ask_request_info(ask=ask, actor=org["presales"], question="Which PLCs?")
    assert ask.next_nudge_at is None
    # The original deadline passes while the assignee waits: nothing fires.
    sweep_at(at(2026, 11, 25, 16, 0))
    assert fired(ask) == []
    # Answered one working day (9 h) later: the deadline moves on by exactly that.
    with time_machine.travel(at(2026, 11, 25, 10, 0), tick=False):
        ask = services.ask_provide_info(ask=ask, actor=org["rep"], answer="S7-1500")
    assert ask.agreed_due_at == at(2026, 11, 26, 15, 0)
    sweep_at(at(2026, 11, 26, 14, 59))
    assert "breach" not in fired(ask)
    sweep_at(at(2026, 11, 26, 15, 0))
    assert fired(ask)[-1] == "breach"


def test_a_renegotiated_deadline_starts_a_new_ladder(org):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_at(at(2026, 11, 24, 15, 0))
    assert fired(ask) == ["breach"]
    assert Ask.objects.get(pk=ask.pk).escalation_level == 1
    with time_machine.travel(at(2026, 11, 24, 16, 0), tick=False):
        ask = services.ask_counter(ask=ask, actor=org["presales"], due_at=at(2026, 11, 27, 12, 0))
    # A counter-proposal alone changes nothing: the agreed deadline still binds.
    sweep_at(at(2026, 11, 25, 15, 0))
    assert fired(ask)[-1] == "escalate-manager"
    with time_machine.travel(at(2026, 11, 25, 16, 0), tick=False):
        ask = services.ask_accept_counter(ask=ask, actor=org["rep"])
    assert ask.ladder_cycle == 2
    assert ask.escalation_level == 0
    sweep_at(at(2026, 11, 27, 10, 0))
    sweep_at(at(2026, 11, 27, 12, 0))
    cycles = list(Nudge.objects.filter(ask=ask).order_by("id").values_list("cycle", "step_code"))
    assert cycles == [
        (1, "breach"),
        (1, "escalate-manager"),
        (2, "reminder"),
        (2, "breach"),
    ]


def test_a_snoozed_ask_holds_its_escalation_until_the_snooze_ends(org):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_at(at(2026, 11, 24, 15, 0))
    with time_machine.travel(at(2026, 11, 24, 17, 0), tick=False):
        ask = services.ask_snooze(
            ask=ask, actor=org["lead"], until=at(2026, 11, 27, 10, 0), reason="Customer on leave"
        )
    assert ask.next_nudge_at == at(2026, 11, 27, 10, 0)
    sweep_at(at(2026, 11, 25, 15, 0))
    sweep_at(at(2026, 11, 26, 15, 0))
    assert fired(ask) == ["breach"]
    # When the snooze ends, the steps that fell due meanwhile fire, in order.
    sweep_at(at(2026, 11, 27, 10, 0))
    assert fired(ask) == ["breach", "escalate-manager", "escalate-deal"]
    event = AskEvent.objects.get(ask=ask, kind=EventKind.SNOOZED)
    assert event.actor == org["lead"] and event.note == "Customer on leave"


def test_only_a_manager_of_the_people_involved_can_snooze(org, other_rep):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    with time_machine.travel(at(2026, 11, 23, 12, 0), tick=False):
        for outsider in (other_rep, org["presales"], org["rep"]):
            with pytest.raises(services.ActionNotAllowed):
                services.ask_snooze(
                    ask=ask, actor=outsider, until=at(2026, 11, 25, 10, 0), reason="x"
                )
        services.ask_snooze(
            ask=ask, actor=org["rep_manager"], until=at(2026, 11, 25, 10, 0), reason="Board"
        )
    assert Ask.objects.get(pk=ask.pk).snoozed_until == at(2026, 11, 25, 10, 0)


def test_quiet_hours_hold_email_until_the_recipients_working_day_but_not_in_app(org):
    # The requester works from Berlin: 15:00 in Shanghai is 08:00 there in November.
    profile = org["rep"].profile
    profile.time_zone = "Europe/Berlin"
    profile.save()
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_at(at(2026, 11, 24, 15, 0))
    in_app = Delivery.objects.get(
        nudge__ask=ask, recipient=org["rep"], channel=Channel.IN_APP, nudge__step_code="breach"
    )
    assert in_app.status == DeliveryStatus.SENT
    email = Delivery.objects.get(
        nudge__ask=ask, recipient=org["rep"], channel=Channel.EMAIL, nudge__step_code="breach"
    )
    assert email.status == DeliveryStatus.PENDING
    assert email.next_attempt_at == dt.datetime(
        2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Europe/Berlin")
    )
    # The assignee is in Shanghai, in working hours: their email may go at once.
    now_email = Delivery.objects.get(
        nudge__ask=ask, recipient=org["presales"], channel=Channel.EMAIL, nudge__step_code="breach"
    )
    assert now_email.next_attempt_at == at(2026, 11, 24, 15, 0)


def test_an_answer_overdue_on_the_response_clock_gets_its_own_nudge(org):
    # The team answers new asks within 4 business hours: created Mon 16:00, the answer
    # is due Tue 11:00.
    ask = make_ask(org, at(2026, 11, 23, 16, 0), at(2026, 11, 27, 15, 0))
    assert ask.ladder_clock == "response"
    assert ask.respond_by == at(2026, 11, 24, 11, 0)
    sweep_at(at(2026, 11, 24, 10, 59))
    assert fired(ask) == []
    sweep_at(at(2026, 11, 24, 11, 0))
    assert fired(ask) == ["response-breach"]
    assert told(ask, "response-breach") == {"presales_a": "assignee", "rep_a": "requester"}
    # Agreeing stops the response clock and starts the delivery ladder.
    with time_machine.travel(at(2026, 11, 24, 11, 30), tick=False):
        ask = services.ask_agree(ask=ask, actor=org["presales"])
    assert (ask.ladder_clock, ask.ladder_cycle, ask.escalation_level) == ("delivery", 1, 0)


def test_an_unclaimed_ask_nudges_the_team_lead(org):
    ask = make_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 27, 15, 0), assignee=None)
    sweep_at(at(2026, 11, 23, 14, 0))
    assert told(ask, "response-breach") == {"presales_lead": "team_lead", "rep_a": "requester"}


def test_after_an_outage_the_steps_that_fell_due_fire_in_order_and_a_late_reminder_is_skipped(
    org,
):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_at(at(2026, 11, 27, 9, 0))
    assert fired(ask) == ["breach", "escalate-manager", "escalate-deal"]
    assert Ask.objects.get(pk=ask.pk).escalation_level == 3


def test_a_team_ladder_from_the_admin_replaces_the_default(org):
    LadderStep.objects.create(
        team=org["team"],
        clock="delivery",
        code="breach-lead",
        kind="breach",
        level=1,
        anchor="after_due",
        notify_assignee=True,
        notify_assignee_manager=True,
    )
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_at(at(2026, 11, 30, 15, 0))
    assert fired(ask) == ["breach-lead"]
    assert told(ask, "breach-lead") == {
        "presales_a": "assignee",
        "presales_lead": "assignee_manager",
    }


def test_the_database_refuses_a_second_nudge_for_the_same_step_and_deadline(org):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    sweep_at(at(2026, 11, 24, 15, 0))
    nudge = Nudge.objects.get(ask=ask, step_code="breach")
    with pytest.raises(IntegrityError), transaction.atomic():
        Nudge.objects.create(
            ask=ask,
            clock=nudge.clock,
            cycle=nudge.cycle,
            step_code="breach",
            kind=nudge.kind,
            level=nudge.level,
            due_at=nudge.due_at,
        )
    # Even a sweep whose bookkeeping was rewound sends nothing twice.
    NudgeTimer.objects.filter(ask=ask).update(ladder_step=0, next_nudge_at=at(2026, 11, 24, 15, 0))
    report = sweep_at(at(2026, 11, 24, 15, 1))
    assert report.nudges == 0
    assert fired(ask) == ["breach"]
    assert Delivery.objects.filter(nudge__ask=ask, channel=Channel.IN_APP).count() == 2


def test_closed_and_delivered_asks_leave_the_ladder(org):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        ask = services.ask_deliver(ask=ask, actor=org["presales"], note="Attached")
    assert ask.next_nudge_at is None
    sweep_at(at(2026, 11, 30, 15, 0))
    assert fired(ask) == []
    assert Ask.objects.get(pk=ask.pk).status == AskStatus.DELIVERED


def test_escalate_command_prints_what_it_did(org, capsys):
    agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    with time_machine.travel(at(2026, 11, 24, 15, 0), tick=False):
        call_command("escalate")
    out = capsys.readouterr().out
    assert "1 asks due, 1 nudges fired" in out
    assert "breach: 1" in out


def test_an_assignee_who_has_left_is_replaced_by_the_team_lead(org):
    ask = agreed_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 24, 15, 0))
    org["presales"].is_active = False
    org["presales"].save()
    sweep_at(at(2026, 11, 25, 15, 0))
    assert told(ask, "breach") == {"presales_lead": "team_lead", "rep_a": "requester"}
    # The escalation still finds the manager of the person who left.
    assert told(ask, "escalate-manager") == {"presales_lead": "assignee_manager"}


def test_a_turned_down_counter_proposal_restarts_the_response_clock(org):
    ask = make_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 27, 15, 0))
    with time_machine.travel(at(2026, 11, 23, 11, 0), tick=False):
        ask = services.ask_counter(ask=ask, actor=org["presales"], due_at=at(2026, 12, 4, 15, 0))
    assert ask.next_nudge_at is None  # the requester's move: nobody to chase
    with time_machine.travel(at(2026, 11, 24, 10, 0), tick=False):
        ask = services.ask_reject_counter(ask=ask, actor=org["rep"])
    # The assignee owes an answer again, within the team's 4 business hours.
    assert (ask.ladder_clock, ask.respond_by) == ("response", at(2026, 11, 24, 14, 0))
    sweep_at(at(2026, 11, 24, 14, 0))
    assert fired(ask) == ["response-breach"]


def test_an_answer_to_the_assignees_question_on_a_new_ask_restarts_its_response_clock(org):
    ask = make_ask(org, at(2026, 11, 23, 10, 0), at(2026, 11, 27, 15, 0))
    with time_machine.travel(at(2026, 11, 23, 11, 0), tick=False):
        ask = services.ask_request_info(ask=ask, actor=org["presales"], question="Which site?")
    with time_machine.travel(at(2026, 11, 24, 11, 0), tick=False):
        ask = services.ask_provide_info(ask=ask, actor=org["rep"], answer="Nanjing")
    # 9 working hours paused: the 14:00 answer is now due at 14:00 the next day.
    assert (ask.ladder_clock, ask.next_nudge_at) == ("response", at(2026, 11, 24, 14, 0))
