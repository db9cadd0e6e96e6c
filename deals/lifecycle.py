"""Who may do what to an ask, and from which states: the one table the services enforce
and the ask page reads to show each person only the actions they can take.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .models import CLOSED_STATUSES, AskStatus

S = AskStatus
OPEN = frozenset(s for s in S if s not in CLOSED_STATUSES)


@dataclass(frozen=True)
class Rule:
    who: str  # "assignee", "requester" or "team" (a member of the ask's team)
    statuses: frozenset
    verb: object  # what the refusal message says the person tried to do


RULES: dict[str, Rule] = {
    "claim": Rule("team", OPEN, _("take")),
    "agree": Rule("assignee", frozenset({S.PROPOSED}), _("agree the deadline of")),
    "counter": Rule(
        "assignee",
        frozenset({S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED}),
        _("counter"),
    ),
    "start": Rule("assignee", frozenset({S.AGREED, S.REOPENED}), _("start")),
    "request_info": Rule(
        "assignee",
        frozenset({S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED}),
        _("ask for information on"),
    ),
    "deliver": Rule("assignee", frozenset({S.AGREED, S.IN_PROGRESS, S.REOPENED}), _("deliver")),
    "decline": Rule(
        "assignee",
        frozenset({S.PROPOSED, S.COUNTERED, S.AGREED, S.IN_PROGRESS, S.WAITING, S.REOPENED}),
        _("decline"),
    ),
    "accept_counter": Rule(
        "requester", frozenset({S.COUNTERED}), _("accept a counter-proposal on")
    ),
    "reject_counter": Rule(
        "requester", frozenset({S.COUNTERED}), _("turn down a counter-proposal on")
    ),
    "provide_info": Rule("requester", frozenset({S.WAITING}), _("answer")),
    "confirm": Rule("requester", frozenset({S.DELIVERED}), _("confirm")),
    "reopen": Rule("requester", frozenset({S.DELIVERED, S.DONE}), _("reopen")),
    "cancel": Rule("requester", OPEN, _("cancel")),
    "thank": Rule("requester", frozenset({S.DELIVERED, S.DONE}), _("thank for")),
}


def may(ask, user, action: str) -> bool:
    """True when ``user`` may take ``action`` on ``ask`` in its current state."""
    rule = RULES[action]
    if ask.status not in rule.statuses:
        return False
    if rule.who == "assignee":
        return ask.assignee_id is not None and ask.assignee_id == user.pk
    if rule.who == "requester":
        # Nobody thanks themselves, even when they made an ask to their own team.
        return ask.requester_id == user.pk and not (
            action == "thank" and ask.assignee_id == user.pk
        )
    profile = getattr(user, "profile", None)
    return (
        ask.assignee_id is None
        and ask.requester_id != user.pk
        and profile is not None
        and profile.team_id == ask.team_id
    )


def allowed_actions(ask, user) -> list[str]:
    return [action for action in RULES if may(ask, user, action)]
