"""Every ask transition, valid and invalid, through the services."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from deals import services
from deals.models import AskEvent, AskStatus, Audience, EventKind
from deals.services import ActionNotAllowed, MilestonePlan

S = AskStatus


def later(days=3):
    return timezone.now() + dt.timedelta(days=days)


@pytest.fixture
def new_ask(deal, rep, presales, presales_team):
    def make(**overrides):
        fields = {
            "deal": deal,
            "requester": rep,
            "assignee": presales,
            "ask_type": "solution",
            "title": "技术方案 v1",
            "deliverable": "技术方案 v1（含系统架构图和设备清单）",
            "details": "产线节拍 45 秒/件，兼容现有 S7-1500 PLC",
            "purpose": "客户下周三技术评审，决定是否进入短名单",
            "audience": Audience.CUSTOMER_EXECUTIVE,
            "proposed_due_at": later(),
        }
        fields.update(overrides)
        return services.ask_create(**fields)

    return make


def drive_to(status, ask, rep, presales):
    """Take a fresh (proposed) ask to ``status`` the way users would."""
    steps = {
        S.PROPOSED: [],
        S.COUNTERED: [lambda a: services.ask_counter(ask=a, actor=presales, due_at=later(5))],
        S.AGREED: [lambda a: services.ask_agree(ask=a, actor=presales)],
        S.IN_PROGRESS: [
            lambda a: services.ask_agree(ask=a, actor=presales),
            lambda a: services.ask_start(ask=a, actor=presales),
        ],
        S.WAITING: [
            lambda a: services.ask_request_info(ask=a, actor=presales, question="哪个型号？")
        ],
        S.DELIVERED: [
            lambda a: services.ask_agree(ask=a, actor=presales),
            lambda a: services.ask_deliver(ask=a, actor=presales, note="见附件"),
        ],
        S.DONE: [
            lambda a: services.ask_agree(ask=a, actor=presales),
            lambda a: services.ask_deliver(ask=a, actor=presales, note="见附件"),
            lambda a: services.ask_confirm(ask=a, actor=rep),
        ],
        S.DECLINED: [lambda a: services.ask_decline(ask=a, actor=presales, reason="不在范围")],
        S.CANCELLED: [lambda a: services.ask_cancel(ask=a, actor=rep)],
        S.REOPENED: [
            lambda a: services.ask_agree(ask=a, actor=presales),
            lambda a: services.ask_deliver(ask=a, actor=presales, note="见附件"),
            lambda a: services.ask_reopen(ask=a, actor=rep, reason="缺设备清单"),
        ],
    }
    for step in steps[status]:
        ask = step(ask)
    assert ask.status == status
    return ask


# (action, who acts, states it is allowed from, the state it leads to; None = back to
# where the ask was before it paused or was countered)
ACTIONS = {
    "agree": ("assignee", {S.PROPOSED}, S.AGREED),
    "counter": ("assignee", {S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED}, S.COUNTERED),
    "start": ("assignee", {S.AGREED, S.REOPENED}, S.IN_PROGRESS),
    "request_info": ("assignee", {S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED}, S.WAITING),
    "deliver": ("assignee", {S.AGREED, S.IN_PROGRESS, S.REOPENED}, S.DELIVERED),
    "decline": (
        "assignee",
        {S.PROPOSED, S.COUNTERED, S.AGREED, S.IN_PROGRESS, S.WAITING, S.REOPENED},
        S.DECLINED,
    ),
    "accept_counter": ("requester", {S.COUNTERED}, S.AGREED),
    "reject_counter": ("requester", {S.COUNTERED}, S.PROPOSED),
    "provide_info": ("requester", {S.WAITING}, S.PROPOSED),
    "confirm": ("requester", {S.DELIVERED}, S.DONE),
    "reopen": ("requester", {S.DELIVERED, S.DONE}, S.REOPENED),
    "cancel": (
        "requester",
        {s for s in S if s not in (S.DONE, S.DECLINED, S.CANCELLED)},
        S.CANCELLED,
    ),
}


def perform(action, ask, actor):
    call = {
        "agree": lambda: services.ask_agree(ask=ask, actor=actor),
        "counter": lambda: services.ask_counter(ask=ask, actor=actor, due_at=later(9)),
        "start": lambda: services.ask_start(ask=ask, actor=actor),
        "request_info": lambda: services.ask_request_info(ask=ask, actor=actor, question="?"),
        "deliver": lambda: services.ask_deliver(ask=ask, actor=actor, note="done"),
        "decline": lambda: services.ask_decline(ask=ask, actor=actor, reason="no capacity"),
        "accept_counter": lambda: services.ask_accept_counter(ask=ask, actor=actor),
        "reject_counter": lambda: services.ask_reject_counter(ask=ask, actor=actor),
        "provide_info": lambda: services.ask_provide_info(ask=ask, actor=actor, answer="型号 A"),
        "confirm": lambda: services.ask_confirm(ask=ask, actor=actor),
        "reopen": lambda: services.ask_reopen(ask=ask, actor=actor, reason="missing part"),
        "cancel": lambda: services.ask_cancel(ask=ask, actor=actor),
    }
    return call[action]()


MATRIX = [(action, status) for action in ACTIONS for status in S]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), MATRIX)
def test_each_action_works_only_from_its_allowed_states(action, status, new_ask, rep, presales):
    who, allowed, target = ACTIONS[action]
    ask = drive_to(status, new_ask(), rep, presales)
    actor = presales if who == "assignee" else rep
    events_before = AskEvent.objects.filter(ask=ask).count()

    if status in allowed:
        ask = perform(action, ask, actor)
        ask.refresh_from_db()
        assert ask.status == target
        assert AskEvent.objects.filter(ask=ask).count() == events_before + 1
        event = AskEvent.objects.filter(ask=ask).last()
        assert event.actor == actor
        assert event.to_status == target
    else:
        snapshot = ask.__class__.objects.values().get(pk=ask.pk)
        with pytest.raises(ActionNotAllowed):
            perform(action, ask, actor)
        assert ask.__class__.objects.values().get(pk=ask.pk) == snapshot
        assert AskEvent.objects.filter(ask=ask).count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a, (who, _, _) in ACTIONS.items() if who == "assignee"])
def test_the_requester_cannot_make_the_assignees_moves(action, new_ask, rep, presales):
    allowed = ACTIONS[action][1]
    start = S.PROPOSED if S.PROPOSED in allowed else S.AGREED
    ask = drive_to(start, new_ask(), rep, presales)
    with translation.override("en"), pytest.raises(ActionNotAllowed, match="assignee"):
        perform(action, ask, rep)
    ask.refresh_from_db()
    assert ask.status == start


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a, (who, _, _) in ACTIONS.items() if who == "requester"])
def test_the_assignee_cannot_make_the_requesters_moves(action, new_ask, rep, presales):
    start = sorted(ACTIONS[action][1])[0]
    ask = drive_to(start, new_ask(), rep, presales)
    with translation.override("en"), pytest.raises(ActionNotAllowed, match="made the ask"):
        perform(action, ask, presales)
    ask.refresh_from_db()
    assert ask.status == start


@pytest.mark.django_db
def test_accepting_a_counter_makes_it_the_agreed_deadline(new_ask, rep, presales):
    ask = new_ask()
    counter = later(6)
    services.ask_counter(ask=ask, actor=presales, due_at=counter, note="排期冲突")
    ask = services.ask_accept_counter(ask=ask, actor=rep)
    assert ask.status == S.AGREED
    assert ask.agreed_due_at == counter
    assert ask.counter_due_at is None
    kinds = list(ask.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.COUNTERED, EventKind.COUNTER_ACCEPTED]


@pytest.mark.django_db
def test_renegotiating_a_running_ask_returns_it_to_work(new_ask, rep, presales):
    ask = drive_to(S.IN_PROGRESS, new_ask(), rep, presales)
    services.ask_counter(ask=ask, actor=presales, due_at=later(8))
    ask = services.ask_accept_counter(ask=ask, actor=rep)
    assert ask.status == S.IN_PROGRESS
    services.ask_counter(ask=ask, actor=presales, due_at=later(10))
    ask = services.ask_reject_counter(ask=ask, actor=rep)
    assert ask.status == S.IN_PROGRESS
    assert ask.agreed_due_at.date() == later(8).date()


SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.mark.django_db
def test_answering_resumes_the_ask_and_moves_its_deadlines_by_the_paused_working_time(
    new_ask, rep, presales, time_machine
):
    from deals.services import MilestonePlan

    tuesday_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
    time_machine.move_to(tuesday_10, tick=False)
    ask = new_ask(
        proposed_due_at=dt.datetime(2026, 11, 26, 18, 0, tzinfo=SHANGHAI),
        milestones=[
            MilestonePlan("v1", dt.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI), "internal")
        ],
    )
    ask = drive_to(S.IN_PROGRESS, ask, rep, presales)
    services.ask_request_info(ask=ask, actor=presales, question="现场电压是 380V 吗？")
    # Answered Wednesday 11:00: 8 working hours on Tuesday (10-18) + 2 on Wednesday = 10 h,
    # though 25 hours passed on the clock.
    time_machine.move_to(dt.datetime(2026, 11, 25, 11, 0, tzinfo=SHANGHAI), tick=False)
    ask = services.ask_provide_info(ask=ask, actor=rep, answer="是 380V")
    assert ask.status == S.IN_PROGRESS
    assert ask.waiting_since is None
    assert ask.events.last().data == {
        "paused_seconds": 25 * 3600,
        "paused_working_seconds": 10 * 3600,
    }
    # Thu 18:00 + 10 working hours → Mon 2026-11-30 10:00 (the weekend does not count).
    assert ask.agreed_due_at == dt.datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
    # Wed 12:00 + 10 working hours → Thu 13:00.
    assert ask.milestones.get().due_at == dt.datetime(2026, 11, 26, 13, 0, tzinfo=SHANGHAI)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "status", "field"),
    [
        ("decline", S.PROPOSED, "reason"),
        ("reopen", S.DELIVERED, "reason"),
        ("request_info", S.PROPOSED, "question"),
        ("deliver", S.AGREED, "note"),
        ("provide_info", S.WAITING, "answer"),
    ],
)
def test_actions_that_need_words_refuse_blank_ones(action, status, field, new_ask, rep, presales):
    ask = drive_to(status, new_ask(), rep, presales)
    who = ACTIONS[action][0]
    actor = presales if who == "assignee" else rep
    kwargs = {field: "   "}
    fn = getattr(services, f"ask_{action}")
    with pytest.raises(ValidationError) as excinfo:
        fn(ask=ask, actor=actor, **kwargs)
    assert field in excinfo.value.message_dict
    ask.refresh_from_db()
    assert ask.status == status


@pytest.mark.django_db
def test_a_counter_in_the_past_is_refused(new_ask, presales):
    ask = new_ask()
    with pytest.raises(ValidationError) as excinfo:
        services.ask_counter(ask=ask, actor=presales, due_at=timezone.now() - dt.timedelta(hours=1))
    assert "due_at" in excinfo.value.message_dict
    ask.refresh_from_db()
    assert ask.status == S.PROPOSED


@pytest.mark.django_db
def test_delivering_with_a_malformed_link_changes_nothing(new_ask, rep, presales):
    ask = drive_to(S.AGREED, new_ask(), rep, presales)
    with pytest.raises(ValidationError) as excinfo:
        services.ask_deliver(ask=ask, actor=presales, note="方案", link="not a link")
    assert "link" in excinfo.value.message_dict
    ask.refresh_from_db()
    assert ask.status == S.AGREED


@pytest.mark.django_db
def test_creating_an_ask_checks_every_required_field_at_once(deal, rep, presales):
    with pytest.raises(ValidationError) as excinfo:
        services.ask_create(
            deal=deal,
            requester=rep,
            assignee=presales,
            ask_type="solution",
            title="",
            deliverable="",
            details=" ",
            purpose="",
            audience="board",
            proposed_due_at=timezone.now() - dt.timedelta(days=1),
        )
    assert set(excinfo.value.message_dict) == {
        "title",
        "deliverable",
        "details",
        "purpose",
        "audience",
        "proposed_due_at",
    }
    assert deal.asks.count() == 0


@pytest.mark.django_db
def test_an_ask_without_assignee_goes_to_the_queue_of_the_team_its_type_needs(
    new_ask, presales_team
):
    ask = new_ask(assignee=None, ask_type="bid_document")
    assert ask.assignee is None
    assert ask.team == presales_team


@pytest.mark.django_db
def test_a_rep_cannot_make_an_ask_on_a_deal_they_cannot_see(new_ask, other_rep):
    with pytest.raises(ActionNotAllowed):
        new_ask(requester=other_rep)


@pytest.mark.django_db
def test_staged_milestones_are_stored_in_order(new_ask):
    ask = new_ask(
        proposed_due_at=later(10),
        milestones=[
            MilestonePlan("v1", later(2), Audience.INTERNAL),
            MilestonePlan("v2", later(5), Audience.CUSTOMER_WORKING),
            MilestonePlan("v3", later(9), Audience.CUSTOMER_EXECUTIVE),
        ],
    )
    assert [(m.position, m.label) for m in ask.milestones.all()] == [
        (1, "v1"),
        (2, "v2"),
        (3, "v3"),
    ]


@pytest.mark.django_db
def test_milestones_out_of_date_order_are_refused(new_ask, deal):
    with pytest.raises(ValidationError) as excinfo:
        new_ask(
            milestones=[
                MilestonePlan("v1", later(5), Audience.INTERNAL),
                MilestonePlan("v2", later(2), Audience.CUSTOMER_WORKING),
            ]
        )
    assert "milestones" in excinfo.value.message_dict
    assert deal.asks.count() == 0


@pytest.mark.django_db
def test_a_team_member_claims_an_unassigned_ask_once(new_ask, presales, presales_team):
    from tests.factories import UserFactory

    colleague = UserFactory(team=presales_team)
    ask = new_ask(assignee=None)
    services.ask_claim(ask=ask, actor=presales)
    with pytest.raises(ActionNotAllowed):
        services.ask_claim(ask=ask, actor=colleague)
    ask.refresh_from_db()
    assert ask.assignee == presales


@pytest.mark.django_db
def test_the_timeline_cannot_be_rewritten(new_ask):
    from deals.models import AppendOnlyError

    event = new_ask().events.get()
    event.note = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.django_db
def test_refusals_are_explained_in_the_users_language(new_ask, rep):
    ask = new_ask()
    with translation.override("zh-hans"), pytest.raises(ActionNotAllowed, match="只有负责人"):
        services.ask_agree(ask=ask, actor=rep)


@pytest.mark.django_db
def test_nobody_can_make_an_ask_to_themselves(new_ask, rep, sales_team):
    with pytest.raises(ValidationError) as excinfo:
        new_ask(requester=rep, assignee=rep, team=sales_team)
    assert "assignee" in excinfo.value.message_dict


@pytest.mark.django_db
def test_a_requester_cannot_take_their_own_ask_from_the_queue(new_ask, rep, sales_team):
    ask = new_ask(assignee=None, team=sales_team)
    with pytest.raises(ActionNotAllowed):
        services.ask_claim(ask=ask, actor=rep)


@pytest.mark.django_db
def test_agreeing_to_a_deadline_that_has_passed_is_refused(new_ask, presales, time_machine):
    ask = new_ask(proposed_due_at=later(1))
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))
    with translation.override("en"), pytest.raises(ActionNotAllowed, match="already passed"):
        services.ask_agree(ask=ask, actor=presales)
    ask.refresh_from_db()
    assert ask.status == S.PROPOSED


@pytest.mark.django_db
def test_keeping_a_deadline_that_has_passed_is_refused(new_ask, rep, presales, time_machine):
    ask = new_ask(proposed_due_at=later(1))
    services.ask_counter(ask=ask, actor=presales, due_at=later(6))
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))
    with pytest.raises(ActionNotAllowed):
        services.ask_reject_counter(ask=ask, actor=rep)
    ask.refresh_from_db()
    assert ask.status == S.COUNTERED


@pytest.mark.django_db
def test_reopening_starts_a_new_deadline_not_the_old_passed_one(
    new_ask, rep, presales, time_machine
):
    ask = drive_to(S.DONE, new_ask(proposed_due_at=later(1)), rep, presales)
    time_machine.move_to(timezone.now() + dt.timedelta(days=20))
    ask = services.ask_reopen(ask=ask, actor=rep, reason="缺设备清单")
    assert ask.agreed_due_at > timezone.now()
    assert not ask.is_overdue(timezone.now())
    chosen = timezone.now() + dt.timedelta(days=4)
    services.ask_deliver(ask=ask, actor=presales, note="补上了")
    ask = services.ask_reopen(ask=ask, actor=rep, reason="还缺报价", due_at=chosen)
    assert ask.agreed_due_at == chosen


@pytest.mark.django_db
def test_a_counter_proposal_does_not_hide_that_the_agreed_deadline_passed(
    new_ask, rep, presales, time_machine
):
    ask = drive_to(S.IN_PROGRESS, new_ask(proposed_due_at=later(1)), rep, presales)
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))
    assert ask.is_overdue(timezone.now())
    ask = services.ask_counter(ask=ask, actor=presales, due_at=later(3))
    assert ask.status == S.COUNTERED
    assert ask.is_overdue(timezone.now())


@pytest.mark.django_db
def test_a_milestone_after_the_asks_deadline_is_refused(new_ask, deal):
    with pytest.raises(ValidationError) as excinfo:
        new_ask(
            proposed_due_at=later(3),
            milestones=[MilestonePlan("v1", later(5), Audience.INTERNAL)],
        )
    assert "milestones" in excinfo.value.message_dict
    assert deal.asks.count() == 0
