"""A queue row's markup, made in Python once per row.

A queue can hold hundreds of asks, and the template engine pays for every variable,
filter, tag and translation it meets in a loop: a row built in a template partial cost a
third of a millisecond, most of a 300-row page. So a row is made here, with the words
looked up once per page and every piece of text escaped, and the template places the
finished rows (and renders the one thing a row cannot make cheaply: an open action's
form, through its ``action-form`` partial). The full page and the fragment an inline
action answers with both come from Row.html, so they cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from stakeholders.models import display_name

from . import queues
from .lifecycle import may
from .models import AskStatus, AskType

# One click, no input.
BUTTON_ACTIONS = ("claim", "agree", "start")
# These need words or a date: their form opens in the row (the first one open to the
# person is the row's main action when there is no button).
FORM_ACTIONS = ("deliver", "counter", "request_info", "assign", "decline")
QUEUE_ACTIONS = (*BUTTON_ACTIONS, *FORM_ACTIONS)


def action_labels() -> dict:
    """What each action's button says."""
    return {
        "claim": _("Take it"),
        "agree": _("Agree"),
        "start": _("Start"),
        "counter": _("Counter…"),
        "request_info": _("Ask a question…"),
        "deliver": _("Deliver…"),
        "decline": _("Decline…"),
        "assign": _("Assign…"),
    }


def submit_labels() -> dict:
    """What an open action form's submit button says."""
    return {
        "counter": _("Propose this deadline"),
        "request_info": _("Send the question"),
        "deliver": _("Deliver"),
        "decline": _("Decline the ask"),
        "assign": _("Assign"),
    }


@dataclass
class Row:
    pk: int
    url: str  # this row's action root: url + "agree/" is where Agree posts
    title: str
    html: SafeString


class RowMaker:
    """Makes the rows of one queue page (or one row after an action): everything that is
    the same for every row is looked up once here."""

    def __init__(self, *, user, which: str, page_url: str, next_url: str, now: dt.datetime):
        self.user = user
        self.which = which
        self.page_url = page_url
        self.next_suffix = "?next=" + _quote(next_url)
        self.now = now
        self.zone = timezone.get_current_timezone()
        self.labels = action_labels()
        self.submits = submit_labels()
        self.statuses = {value: str(label) for value, label in AskStatus.choices}
        self.types = {value: str(label) for value, label in AskType.choices}
        self.due_labels = {
            "agreed": _("Due"),
            "countered": _("Counter-proposed"),
            "proposed": _("Proposed"),
        }
        self.score_format = _("score %(score)s")
        # Weekday names in the reader's language, for "Tue 11-17 12:00".
        monday = dt.date(2026, 1, 5)
        self.weekdays = [date_format(monday + dt.timedelta(days=i), "D") for i in range(7)]
        self.ask_prefix = reverse("ask_detail", args=[0])[: -len("0/")]
        self._action_html: dict = {}
        self.why = escape(_("Why it is here"))

    def _due(self, ask) -> tuple[str, str, str]:
        due = ask.due_at
        if ask.agreed_due_at is not None:
            kind = "agreed"
        elif ask.status == AskStatus.COUNTERED:
            kind = "countered"
        else:
            kind = "proposed"
        local = due.astimezone(self.zone)
        text = f"{self.weekdays[local.weekday()]} {local:%m-%d %H:%M}"
        return self.due_labels[kind], local.isoformat(), text

    def _meta(self, ask) -> str:
        parts = [ask.deal.customer, self.types.get(ask.ask_type, ask.ask_type)]
        if self.which == "team" or ask.requester_id != self.user.pk:
            parts.append(display_name(ask.requester))
        meta = " · ".join(parts)
        if self.which != "mine" and ask.assignee_id is not None:
            meta += " → " + display_name(ask.assignee)
        return meta

    def _actions(self, ask, url: str, open_action: str) -> SafeString:
        user = self.user
        buttons = tuple(name for name in BUTTON_ACTIONS if may(ask, user, name))
        links = []
        for name in FORM_ACTIONS:
            if queues.can_assign(user, ask) if name == "assign" else may(ask, user, name):
                links.append(name)
        key = (buttons, tuple(links), open_action)
        html = self._action_html.get(key)
        if html is None:
            html = self._action_html[key] = self._action_markup(*key)
        # The markup is the same for every row offering the same actions; only the
        # row's address differs, and that is ours (digits and slashes).
        return SafeString(html.replace(_URL, url))

    def _action_markup(self, buttons: tuple, links: tuple, open_action: str) -> str:
        parts = []
        for i, name in enumerate(buttons):
            css = "button button-primary" if i == 0 else "button"
            parts.append(
                f'<button type="submit" form="queue-form" formaction="{_URL}{name}/"'
                f' hx-post="{_URL}{name}/" class="{css}" data-action="{name}">'
                f"{escape(self.labels[name])}</button>"
            )
        for name in links:
            css = "button-primary" if name == "deliver" and not buttons else "button-quiet"
            if name == open_action:
                css += " is-open"
            parts.append(
                f'<a href="{_URL}{name}/{escape(self.next_suffix)}" hx-get="{_URL}{name}/"'
                f' class="button {css}" data-action="{name}">{escape(self.labels[name])}</a>'
            )
        return "".join(parts)

    def action_root(self, pk: int) -> str:
        return f"{self.page_url}asks/{pk}/"

    def row(self, ranked, open_action: str = "", form_html: str = "") -> Row:
        """One row; ``form_html`` is an open action's form, rendered by the caller."""
        ask = ranked.ask
        pk = ask.pk
        url = self.action_root(pk)
        due_label, due_iso, due_text = self._due(ask)
        reasons = "".join(
            f'<li class="chip chip-{r.tone}" data-reason="{r.key}">{escape(r.label)}</li>'
            for r in ranked.reasons
        )
        if reasons:
            reasons = f'<ul class="reasons" aria-label="{self.why}">{reasons}</ul>'
        score = escape(self.score_format % {"score": f"{ranked.score:.0f}"})
        html = (
            f'<li id="ask-row-{pk}" class="q-item{" q-item--open" if open_action else ""}"'
            f' data-ask="{pk}"><div class="q-main">'
            f'<p class="q-title"><a href="{self.ask_prefix}{pk}/">{escape(ask.title)}</a></p>'
            f'<p class="q-meta muted small">{escape(self._meta(ask))}</p>{reasons}</div>'
            f'<div class="q-state"><span class="status status-{ask.status}">'
            f"{escape(self.statuses.get(ask.status, ask.status))}</span>"
            f'<span class="q-due small">{escape(due_label)} <time datetime="{due_iso}">'
            f"{escape(due_text)}</time></span>"
            f'<span class="q-score muted small">{score}</span></div>'
            f'<div class="q-actions">{self._actions(ask, url, open_action)}</div>'
            f"{form_html}</li>"
        )
        return Row(pk=pk, url=url, title=ask.title, html=SafeString(html))


# Where a row's address goes in the shared action markup.
_URL = "\x00url\x00"


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
