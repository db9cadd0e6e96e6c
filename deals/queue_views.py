"""Thin views for the work queues: my queue, my team's queue (and a teammate's), and the
actions taken from a queue row without leaving it.

A row's one-click actions (agree, start, claim) are buttons of one form per page; the
actions that need words or a date (counter, ask for information, deliver, decline,
assign) open their form inside the row with htmx, or on a page of its own without
JavaScript. After an action the row and the counts update in place.

The ranked rows of a queue page are kept for a minute (deals/kept.py); the counts above
the rows and in the header are always read afresh.
"""

from __future__ import annotations

from html import escape

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from stakeholders.models import display_name

from . import forms, queues, services
from .ask_views import ACTIONS, _done_message
from .kept import kept
from .models import Ask, AskStatus
from .queue_rows import BUTTON_ACTIONS, QUEUE_ACTIONS, RowMaker, action_labels, submit_labels
from .ranking import rank_one
from .selectors import ask_for_user
from .services import ActionNotAllowed
from .views import UNPROCESSABLE, add_errors

QUEUE_ACTION_FORMS = {
    **{name: ACTIONS[name][0] for name in QUEUE_ACTIONS if name != "assign"},
    "assign": forms.AssignForm,
}


class View:
    """Which queue a page or an action is about: mine, my team's unassigned asks, or a
    teammate's."""

    def __init__(self, request, which: str, member_id: int | None = None):
        self.user = request.user
        self.which = which
        self.member = None
        if which == "mine":
            self.source = queues.mine(self.user)
        elif which == "team":
            self.source = queues.team_unassigned(self.user)
        else:
            self.member = queues.teammate(self.user, member_id) if member_id else None
            if self.member is None:
                raise Http404
            self.source = queues.of_member(self.user, self.member)
        profile = getattr(self.user, "profile", None)
        self.team = profile.team if profile is not None and profile.team_id else None

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
        team_id = self.team.pk if self.team else None
        if self.which == "team":
            return ask.assignee_id is None and ask.team_id == team_id
        return ask.assignee_id == self.member.pk and ask.team_id == team_id

    def rows(self, next_url: str, now) -> RowMaker:
        return RowMaker(
            user=self.user, which=self.which, page_url=self.page_url, next_url=next_url, now=now
        )


def _filters(request) -> tuple[forms.QueueFilterForm, queues.QueueFilters]:
    form = forms.QueueFilterForm(request.GET or None, statuses=queues.QUEUE_STATUSES)
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


def _results(request, view: View, form, filters, now) -> dict:
    """The ranked rows and the filter form (whose choices come from them), rendered and
    kept for a minute (deals/kept.py)."""

    def build() -> dict:
        queue = queues.read(view.source, view.user, filters, now)
        maker = view.rows(request.get_full_path(), now)
        context = {
            "view": view,
            "queue": queue,
            "rows_html": SafeString("".join(maker.row(ranked).html for ranked in queue.rows)),
            "row_count": len(queue.rows),
            "filters": filters,
            "form": form,
            "team": view.team,
            # A few hundred options each: made in Python, not by a template loop.
            "deal_options": _options(queue.deals, filters.deal),
            "requester_options": _options(queue.requesters, filters.requester),
        }
        return {
            "html": render_to_string("deals/queue.html#queue-results", context, request=request),
            "filters": render_to_string("deals/queue.html#queue-filters", context, request=request),
        }

    member = view.member.pk if view.member else ""
    parts = (view.which, member, queues.stamp(view.source))
    return kept("queue-results:v1", request, now, parts, build)


def _options(choices, selected) -> SafeString:
    return SafeString(
        "".join(
            f'<option value="{pk}"{" selected" if pk == selected else ""}>{escape(label)}</option>'
            for pk, label in choices
        )
    )


def _figures(view: View, now) -> dict:
    """The counts above the rows, always read afresh. My own queue's are the header's
    (one statement for both); the header's lazy counts are then never read."""
    if view.which != "mine":
        return {"counts": queues.counts(view.source, view.user, now)}
    header = queues.header_counts(view.user, now)
    return {
        "counts": queues.Counts(header["total"], header["overdue"], header["today"]),
        "queue_badge": header,
        "unread_notifications": header["unread"],
    }


def _page(request, view: View):
    now = timezone.now()
    form, filters = _filters(request)
    results = _results(request, view, form, filters, now)
    if request.htmx and not request.htmx.boosted and request.htmx.target == "queue-results":
        return HttpResponse(results["html"])
    context = {
        "view": view,
        "results_html": mark_safe(results["html"]),  # noqa: S308 - rendered by our template
        "filters_html": mark_safe(results["filters"]),  # noqa: S308 - rendered by our template
        **_figures(view, now),
        "next": request.get_full_path(),
        "load": queues.team_load(view.user, now) if view.which != "mine" else None,
        "team": view.team,
    }
    return render(request, "deals/queue.html", context)


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
        kwargs["ask"] = ask
    return form_class(data, **kwargs)


def _call(action: str, ask: Ask, user, data: dict) -> None:
    if action == "assign":
        services.ask_assign(ask=ask, actor=user, assignee=data["assignee"], note=data["note"])
    else:
        ACTIONS[action][1](ask, user, data)


def _row_response(request, view: View, ask: Ask, *, status=200, open_action="", form=None):
    """The row after (or instead of) an action, and the figures around it, for htmx."""
    now = timezone.now()
    next_url = _safe_next(request, view)
    context = {"view": view, "next": next_url, "oob": True}
    if view.holds(ask):
        ranked = rank_one(ask, now, level=ask.escalation_level)
        maker = view.rows(next_url, now)
        form_html = ""
        if open_action:
            url = maker.action_root(ask.pk)
            form_html = render_to_string(
                "deals/queue.html#action-form",
                {
                    "action": open_action,
                    "form": form,
                    "url": url,
                    "next": next_url,
                    "submit_label": submit_labels()[open_action],
                    "form_title": ask.title,
                },
                request=request,
            )
        context["row"] = maker.row(ranked, open_action, form_html)
    else:
        context["gone"] = ask
        context["gone_text"] = _gone_text(ask, view)
    if status == 200:
        context["counts"] = queues.counts(view.source, view.user, now)
        context["badge"] = queues.queue_badge(view.user, now)
        if view.which != "mine":
            context["load"] = queues.team_load(view.user, now)
            context["team"] = view.team
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


@require_http_methods(["GET", "POST"])
def queue_act(request, pk: int, action: str, which: str = "mine", member_id: int | None = None):
    """GET: an action's form, in the row (htmx) or on its own page; "row" is the row
    itself (an open form's Cancel). POST: do it."""
    if action not in QUEUE_ACTIONS and not (action == "row" and request.method == "GET"):
        raise Http404
    view = View(request, which, member_id)
    ask = ask_for_user(request.user, pk)
    if request.method == "GET":
        if action == "row" or action in BUTTON_ACTIONS:
            if request.htmx:
                return _row_response(request, view, ask)
            return redirect(_safe_next(request, view))
        return _form_response(request, view, ask, action, _action_form(action, ask), status=200)

    form = _action_form(action, ask, request.POST)
    if form.is_valid():
        try:
            _call(action, ask, request.user, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except ActionNotAllowed as exc:
            # Refused (someone else took it, the state moved on): say why, show it as it is.
            if not request.htmx:
                messages.error(request, exc.message)
                return redirect(_safe_next(request, view))
            response = _row_response(request, view, ask_for_user(request.user, pk))
            return _with_status(response, request, exc.message, level="error")
        else:
            if action == "assign":
                name = display_name(form.cleaned_data["assignee"])
                message = _("Assigned to %(name)s.") % {"name": name}
            else:
                message = _done_message(action)
            if not request.htmx:
                messages.success(request, message)
                return redirect(_safe_next(request, view))
            response = _row_response(request, view, ask_for_user(request.user, pk))
            return _with_status(response, request, message)
    return _form_response(request, view, ask, action, form, status=UNPROCESSABLE)


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
    context = {
        "view": view,
        "ask": ask,
        "action": action,
        "action_label": action_labels()[action].rstrip("…"),
        "submit_label": submit_labels()[action],
        "form": form,
        "now": timezone.now(),
        "next": _safe_next(request, view),
        "url": view.rows("", timezone.now()).action_root(ask.pk),
    }
    return render(request, "deals/queue_action.html", context, status=status)
