"""Thin views for the work queues: my queue, my team's queue (and a teammate's), and the
actions taken from a queue row without leaving it.

A row's one-click actions (agree, start, claim) are buttons of one form per page; the
actions that need words or a date (counter, ask for information, deliver, decline,
assign) open their form inside the row with htmx, or on a page of its own without
JavaScript. After an action the row and the counts update in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from stakeholders.models import display_name

from . import forms, queues, selectors, services
from .ask_views import ACTIONS, _done_message
from .lifecycle import may
from .models import Ask, AskStatus
from .ranking import rank_one
from .services import ActionNotAllowed
from .views import UNPROCESSABLE, add_errors

# One click, no input.
BUTTON_ACTIONS = ("claim", "agree", "start")
# These need words or a date: their form opens in the row.
FORM_ACTIONS = ("deliver", "counter", "request_info", "assign", "decline")
QUEUE_ACTIONS = (*BUTTON_ACTIONS, *FORM_ACTIONS)

QUEUE_ACTION_FORMS = {
    **{name: ACTIONS[name][0] for name in QUEUE_ACTIONS if name != "assign"},
    "assign": forms.AssignForm,
}


def _labels() -> dict:
    """What each action's button says; looked up once per page, not once per row."""
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


def _submit_labels() -> dict:
    return {
        "counter": _("Propose this deadline"),
        "request_info": _("Send the question"),
        "deliver": _("Deliver"),
        "decline": _("Decline the ask"),
        "assign": _("Assign"),
    }


@dataclass
class Row:
    """One queue row as the template shows it: the ranked ask and what I may do to it."""

    ranked: object
    url: str  # this row's action root: url + "agree/" posts the action
    buttons: list
    links: list
    open_action: str = ""
    form: object = None

    @property
    def submit_label(self) -> str:
        return _submit_labels()[self.open_action] if self.open_action else ""


class View:
    """Which queue a page or an action is about: mine, my team's unassigned asks, or a
    teammate's."""

    def __init__(self, request, which: str, member_id: int | None = None):
        self.request = request
        self.user = request.user
        self.which = which
        self.member = None
        if which == "member":
            self.member = queues.teammate(self.user, member_id) if member_id else None
            if self.member is None:
                raise Http404
        self.lead = bool(
            getattr(getattr(self.user, "profile", None), "team", None)
            and self.user.profile.team.lead_id == self.user.pk
        )

    @property
    def page_url(self) -> str:
        if self.which == "mine":
            return reverse("my_queue")
        if self.which == "team":
            return reverse("team_queue")
        return reverse("member_queue", args=[self.member.pk])

    def holds(self, ask: Ask) -> bool:
        """Whether the ask still belongs in this queue after an action."""
        if ask.status not in queues.QUEUE_STATUSES:
            return False
        if self.which == "mine":
            return ask.assignee_id == self.user.pk
        if self.which == "team":
            return ask.assignee_id is None and ask.team_id == self.user.profile.team_id
        return ask.assignee_id == self.member.pk and ask.team_id == self.user.profile.team_id

    def read(self, filters: queues.QueueFilters, now) -> queues.Queue:
        if self.which == "mine":
            return queues.my_queue(self.user, filters, now)
        if self.which == "team":
            return queues.team_queue(self.user, filters, now)
        return queues.member_queue(self.user, self.member, filters, now)

    def counts(self, now) -> queues.Counts:
        if self.which == "mine":
            return queues.my_counts(self.user, now)
        if self.which == "team":
            return queues.team_counts(self.user, now)
        return queues.member_counts(self.user, self.member, now)

    def row(self, ranked, labels: dict, open_action: str = "", form=None) -> Row:
        ask = ranked.ask
        user = self.user
        buttons, links = [], []
        for name in BUTTON_ACTIONS:
            if may(ask, user, name):
                buttons.append((name, labels[name]))
        for name in FORM_ACTIONS:  # the first one open to me is the row's main action
            allowed = (
                queues.can_assign(user, ask) and ask.status != AskStatus.DELIVERED
                if name == "assign"
                else may(ask, user, name)
            )
            if allowed:
                links.append((name, labels[name]))
        return Row(ranked, self.action_root(ask.pk), buttons, links, open_action, form)

    def action_root(self, pk: int) -> str:
        return f"{self.page_url}asks/{pk}/"


def _filters(request, statuses) -> tuple[forms.QueueFilterForm, queues.QueueFilters]:
    form = forms.QueueFilterForm(request.GET or None, statuses=statuses)
    form.is_valid()  # a bad value drops only its own filter: cleaned_data keeps the rest
    filters = queues.QueueFilters(
        status=form.value("status", ""),
        ask_type=form.value("type", ""),
        deal=form.value("deal"),
        requester=form.value("requester"),
        due=form.value("due", ""),
        order=form.value("order", "rank"),
    )
    return form, filters


def _page(request, view: View):
    now = timezone.now()
    form, filters = _filters(request, queues.QUEUE_STATUSES)
    queue = view.read(filters, now)
    labels = _labels()
    rows = [view.row(ranked, labels) for ranked in queue.rows]
    context = {
        "view": view,
        "queue": queue,
        "rows": rows,
        "form": form,
        "filters": filters,
        "now": now,
        "next": request.get_full_path(),
        "load": queues.team_load(request.user, now) if view.which != "mine" else None,
        "team": getattr(getattr(request.user, "profile", None), "team", None),
    }
    template = "deals/queue.html"
    if request.htmx and not request.htmx.boosted and request.htmx.target == "queue-results":
        template += "#queue-results"
    return render(request, template, context)


@require_GET
def my_queue(request):
    return _page(request, View(request, "mine"))


@require_GET
def team_queue(request):
    return _page(request, View(request, "team"))


@require_GET
def member_queue(request, member_id: int):
    return _page(request, View(request, "member", member_id))


def _safe_next(request, view: View) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return view.page_url


def _action_form(action: str, ask: Ask, data=None):
    form_class = QUEUE_ACTION_FORMS[action]
    kwargs = {"auto_id": f"id_{action}_{ask.pk}_%s"}
    if action == "assign":
        kwargs["team"] = ask.team
    return form_class(data, **kwargs)


def _call(action: str, ask: Ask, user, data: dict) -> None:
    if action == "assign":
        services.ask_assign(ask=ask, actor=user, assignee=data["assignee"], note=data["note"])
    else:
        ACTIONS[action][1](ask, user, data)


def _row_response(request, view: View, ask: Ask, *, status=200, open_action="", form=None):
    """The row after (or instead of) an action, and the figures around it, for htmx."""
    now = timezone.now()
    labels = _labels()
    context = {
        "view": view,
        "now": now,
        "next": _safe_next(request, view),
        "oob": True,
    }
    if view.holds(ask):
        ranked = rank_one(ask, now, level=ask.escalation_level)
        context["row"] = view.row(ranked, labels, open_action, form)
    else:
        context["gone"] = ask
        context["gone_text"] = _gone_text(ask, view)
    if status == 200:
        context["counts"] = view.counts(now)
        context["badge"] = queues.queue_badge(request.user, now)
        if view.which != "mine":
            context["load"] = queues.team_load(request.user, now)
            context["team"] = request.user.profile.team
    return render(request, "deals/queue.html#queue-update", context, status=status)


def _gone_text(ask: Ask, view: View) -> str:
    """What became of an ask that left the queue."""
    if ask.status == AskStatus.DELIVERED:
        return _("Delivered: it now waits for %(name)s to confirm.") % {
            "name": display_name(ask.requester)
        }
    if ask.status == AskStatus.DECLINED:
        return _("Declined: %(name)s has been told why.") % {"name": display_name(ask.requester)}
    if ask.assignee_id == view.user.pk:
        return _("Taken: it is in your queue now.")
    if ask.assignee_id is not None:
        return _("Now with %(name)s.") % {"name": display_name(ask.assignee)}
    return _("This ask is no longer in this queue.")


def _load(request, pk: int) -> Ask:
    return selectors.ask_for_user(request.user, pk)


@require_http_methods(["GET", "POST"])
def queue_act(request, pk: int, action: str, which: str = "mine", member_id: int | None = None):
    """GET: an action's form, in the row (htmx) or on its own page. POST: do it."""
    if action not in QUEUE_ACTIONS and action != "row":
        raise Http404
    view = View(request, which, member_id)
    ask = _load(request, pk)
    if request.method == "GET":
        if action == "row" or action in BUTTON_ACTIONS:
            if request.htmx:  # "cancel" on an open form: the plain row again
                return _row_response(request, view, ask, status=200)
            return redirect(_safe_next(request, view))
        form = _action_form(action, ask)
        return _form_response(request, view, ask, action, form, status=200)

    form = _action_form(action, ask, request.POST)
    error = None
    if form.is_valid():
        try:
            _call(action, ask, request.user, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except ActionNotAllowed as exc:
            error = exc.message
        else:
            message = _assigned_message(ask, form) if action == "assign" else _done_message(action)
            if not request.htmx:
                messages.success(request, message)
                return redirect(_safe_next(request, view))
            ask = _load(request, pk)
            return _with_status(_row_response(request, view, ask), request, message)
    if error is not None:
        # Refused (someone else took it, the state moved on): say why, show it as it is now.
        if not request.htmx:
            messages.error(request, error)
            return redirect(_safe_next(request, view))
        ask = _load(request, pk)
        response = _row_response(request, view, ask, status=200)
        return _with_status(response, request, error, level="error")
    return _form_response(request, view, ask, action, form, status=UNPROCESSABLE)


def _assigned_message(ask: Ask, form) -> str:
    return _("Assigned to %(name)s.") % {"name": display_name(form.cleaned_data["assignee"])}


def _with_status(response, request, message: str, level: str = "success"):
    """Append the live-region message that says what happened (read out by screen
    readers, shown above the queue)."""
    response.content += render_to_string(
        "deals/queue.html#queue-status",
        {"status_message": message, "status_level": level, "oob": True},
        request=request,
    ).encode()
    return response


def _form_response(request, view: View, ask: Ask, action: str, form, *, status: int):
    if request.htmx:
        return _row_response(request, view, ask, status=status, open_action=action, form=form)
    now = timezone.now()
    context = {
        "view": view,
        "ask": ask,
        "action": action,
        "action_label": _labels()[action].rstrip("…"),
        "submit_label": _submit_labels()[action],
        "form": form,
        "now": now,
        "next": _safe_next(request, view),
        "url": view.action_root(ask.pk),
    }
    return render(request, "deals/queue_action.html", context, status=status)
