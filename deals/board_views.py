"""Thin views for the manager's board, its interventions and huddles.

The board's rows are made in Python (see deals/queue_rows.py for why): a manager with a
large subtree can have hundreds of stalled asks on it.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders.models import display_name

from . import board, forms, interventions, updates
from .kept import kept
from .manager_models import Huddle
from .models import Ask
from .services import ActionNotAllowed
from .templatetags.dealdesk import business_span, money
from .views import UNPROCESSABLE, add_errors

# --- the board -----------------------------------------------------------------------------


def _board_filters(request) -> tuple[forms.BoardFilterForm, board.Filters]:
    form = forms.BoardFilterForm(
        request.GET or None,
        reasons=[(key, str(label)) for key, label in board.REASONS.items()],
        groupings=[(key, str(label)) for key, label in board.GROUPINGS.items()],
    )
    form.is_valid()  # a bad value drops only its own filter
    filters = board.Filters(
        reason=form.value("reason", ""),
        team=form.value("team"),
        person=form.value("person"),
        group=form.value("group", "department"),
    )
    return form, filters


class _Rows:
    """Row markup for one board page: words looked up once, every text escaped."""

    def __init__(self, next_url: str):
        self.reasons = {key: str(label) for key, label in board.REASONS.items()}
        self.act = reverse("board_act")
        self.ask_prefix = reverse("ask_detail", args=[0])[: -len("0/")]
        self.next = quote(next_url, safe="")
        self.labels = {
            "extend": _("Extend…"),
            "reassign": _("Reassign…"),
            "snooze": _("Snooze…"),
            "nudge": _("Nudge…"),
            "convene": _("Convene…"),
        }
        self.select = _("Select")
        self.intervene = _("Intervene")
        self.level = _("level %(n)s")
        self.open_for = _("open %(span)s")
        self.tones = {"overdue": "red", "at_risk": "amber", "unanswered": "amber"}

    def row(self, item: board.Item) -> str:
        ask = item.ask
        pk = ask.pk
        tone = self.tones.get(item.reason, "muted")
        people = display_name(ask.assignee) if ask.assignee else ask.team.name
        level = ask.escalation_level
        links = "".join(
            f'<li><a data-action="{kind}" href="{self.act}?kind={kind}&amp;ask={pk}'
            f'&amp;next={self.next}">{escape(label)}</a></li>'
            for kind, label in self.labels.items()
        )
        actions = (
            f'<details class="b-menu"><summary class="button button-quiet">'
            f"{escape(self.intervene)}</summary><ul>{links}</ul></details>"
        )
        level_chip = (
            f'<span class="chip chip-{"red" if level >= 2 else "amber"}">'
            f"{escape(self.level % {'n': level})}</span>"
            if level
            else ""
        )
        return (
            f'<tr id="board-row-{pk}" data-ask="{pk}" data-reason="{item.reason}">'
            f'<td class="b-pick"><input type="checkbox" form="board-bulk" name="ask" value="{pk}"'
            f' aria-label="{escape(self.select)}: {escape(ask.title)}"></td>'
            f'<td><a class="row-title" href="{self.ask_prefix}{pk}/">{escape(ask.title)}</a>'
            f'<div class="muted small">{escape(ask.deal.customer)} · '
            f"{escape(money(ask.deal.amount, ask.deal.currency))}</div></td>"
            f'<td><span class="chip chip-{tone}" data-reason="{item.reason}">'
            f"{escape(board.stalled_text(item))}</span> {level_chip}"
            f'<div class="muted small">'
            f"{escape(self.open_for % {'span': business_span(item.open_for, ask.team)})}</div></td>"
            f'<td>{escape(people)}<div class="muted small">← '
            f"{escape(display_name(ask.requester))}</div></td>"
            f'<td class="b-actions">{actions}</td></tr>'
        )


@require_GET
def board_page(request):
    form, filters = _board_filters(request)
    now = timezone.now()
    results = _results(request, filters, now)
    if request.htmx and not request.htmx.boosted and request.htmx.target == "board-results":
        return HttpResponse(results["html"])
    labels = {key: str(label) for key, label in board.REASONS.items()}
    context = {
        "summary": results,
        "results_html": mark_safe(results["html"]),  # noqa: S308 - rendered by our template
        "form": form,
        "filters": filters,
        "reasons": [(key, labels[key], results["counts"][key]) for key in board.REASONS],
        "kinds": list(forms.INTERVENTIONS.items()),
        "next": request.get_full_path(),
        "huddles": _my_huddles(request.user),
        "missing_updates": updates.missing_updates(
            request.user, updates.current_week(request.user, now)
        ),
    }
    return render(request, "deals/board.html", context)


def _results(request, filters, now) -> dict:
    """The board's rows, rendered, with its counts and filter choices, kept for a minute
    under the board's stamp (deals/kept.py)."""
    user = request.user

    def build() -> dict:
        found = board.stalled(user, filters, now)
        rows = _Rows(request.get_full_path())
        groups = [
            (group, SafeString("".join(rows.row(item) for item in group.items)))
            for group in found.groups
        ]
        context = {"board": found, "groups": groups, "filters": filters}
        return {
            "html": render_to_string("deals/board.html#board-results", context, request=request),
            "counts": found.counts,
            "total": found.total,
            "teams": found.teams,
            "people": found.people,
        }

    return kept("board-results:v1", request, now, (board.stamp(user),), build)


def _my_huddles(user):
    """Huddles I called or am in that have no outcome yet."""
    return (
        Huddle.objects.filter(participants=user)
        .filter(outcome="")
        .select_related("convened_by")
        .order_by("scheduled_at")[:10]
    )


# --- interventions ------------------------------------------------------------------------


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("board")


def _chosen_asks(request, data) -> list[Ask]:
    """The asks an intervention is about; any that is not on this manager's board (or
    not an ask at all) is a 404, never a hint that it exists."""
    try:
        ids = sorted({int(value) for value in data.getlist("ask")})
    except ValueError:
        raise Http404 from None
    if not ids:
        return []
    asks = list(
        Ask.objects.filter(board.scope(request.user), pk__in=ids)
        .select_related("deal", "team__lead", "requester__profile", "assignee__profile")
        .order_by("pk")
    )
    if len(asks) != len(ids):
        raise Http404
    return asks


def _kind(data) -> str:
    kind = data.get("kind", "")
    if kind not in forms.INTERVENTIONS:
        raise Http404
    return kind


def _team_for(asks):
    teams = {ask.team_id for ask in asks}
    return asks[0].team if len(teams) == 1 else None


def _apply(kind: str, ask: Ask, actor, data: dict):
    reason = data["reason"]
    if kind == "extend":
        return interventions.extend(ask=ask, actor=actor, due_at=data["due_at"], reason=reason)
    if kind == "reassign":
        return interventions.reassign(
            ask=ask, actor=actor, assignee=data["assignee"], reason=reason
        )
    if kind == "snooze":
        return interventions.snooze(ask=ask, actor=actor, until=data["until"], reason=reason)
    return interventions.nudge_now(ask=ask, actor=actor, reason=reason)


@require_http_methods(["GET", "POST"])
def board_act(request):
    data = request.POST if request.method == "POST" else request.GET
    kind = _kind(data)
    asks = _chosen_asks(request, data)
    next_url = _safe_next(request)
    if not asks:
        messages.error(request, _("Tick at least one ask on the board first."))
        return redirect(next_url)
    team = _team_for(asks)
    if kind == "reassign" and team is None:
        messages.error(request, _("Reassign the asks of one department at a time."))
        return redirect(next_url)
    form = forms.InterventionForm(data if request.method == "POST" else None, kind=kind, team=team)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            done, refused = _run(kind, asks, request.user, form)
            if done:
                messages.success(request, _summary(kind, done))
            for ask, message in refused:
                messages.error(request, f"{ask.title}: {message}")
            if done:
                return redirect(next_url)
        status = UNPROCESSABLE
    context = {
        "kind": kind,
        "kind_label": forms.INTERVENTIONS[kind],
        "asks": asks,
        "form": form,
        "next": next_url,
        "now": timezone.now(),
    }
    return render(request, "deals/board_act.html", context, status=status)


def _run(kind: str, asks: list[Ask], actor, form) -> tuple[list, list]:
    """Apply the intervention to each ask on its own: one refusal never undoes the rest.
    A field error (a deadline in the past) goes next to its field instead."""
    data = form.cleaned_data
    if kind == "convene":
        try:
            outcome = interventions.convene(
                asks=asks,
                actor=actor,
                agenda=data["reason"],
                scheduled_at=data["scheduled_at"],
                place=data.get("place", ""),
            )
        except ValidationError as exc:
            _field_errors(form, exc)
            return [], []
        except ActionNotAllowed as exc:
            return [], [(asks[0], exc.message)]
        return outcome.done, outcome.refused
    done, refused, field_errors = [], [], []
    for ask in asks:
        try:
            _apply(kind, ask, actor, data)
        except ValidationError as exc:
            # About this ask (its deadline is already later): reported, the rest go on.
            refused.append((ask, " ".join(exc.messages)))
            field_errors.append(exc)
        except ActionNotAllowed as exc:
            refused.append((ask, exc.message))
        else:
            done.append(ask)
    if not done and len(field_errors) == len(asks):
        # Nothing could be done, for the same kind of reason each time: say it next to
        # the field, where it can be fixed, instead of once per ask.
        _field_errors(form, field_errors[0])
        return [], []
    return done, refused


def _field_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        add_errors(form, exc)
    else:
        form.add_error(None, exc)


def _summary(kind: str, done: list) -> str:
    n = len(done)
    return {
        "extend": ngettext(
            "Deadline extended on %(n)d ask.", "Deadlines extended on %(n)d asks.", n
        ),
        "reassign": ngettext("%(n)d ask reassigned.", "%(n)d asks reassigned.", n),
        "snooze": ngettext(
            "Escalation snoozed on %(n)d ask.", "Escalation snoozed on %(n)d asks.", n
        ),
        "nudge": ngettext("Nudge sent on %(n)d ask.", "Nudges sent on %(n)d asks.", n),
        "convene": ngettext(
            "Huddle called over %(n)d ask; everyone has been told.",
            "Huddle called over %(n)d asks; everyone has been told.",
            n,
        ),
    }[kind] % {"n": n}


# --- huddles ------------------------------------------------------------------------------


def _huddle_for(user, pk: int) -> Huddle:
    """A huddle its participants can open; anyone else gets a 404."""
    return get_object_or_404(
        Huddle.objects.filter(participants=user).select_related("convened_by", "outcome_owner"),
        pk=pk,
    )


@require_GET
def huddle_detail(request, pk: int):
    huddle = _huddle_for(request.user, pk)
    return _huddle_page(request, huddle, forms.HuddleOutcomeForm(huddle=huddle))


def _huddle_page(request, huddle, form, status=200):
    context = {
        "huddle": huddle,
        "asks": huddle.asks.select_related("deal", "assignee", "requester", "team"),
        "participants": huddle.participants.select_related("profile__team"),
        "form": form,
        "can_record": interventions.can_record_outcome(huddle, request.user),
    }
    return render(request, "deals/huddle.html", context, status=status)


@require_POST
def huddle_outcome(request, pk: int):
    huddle = _huddle_for(request.user, pk)
    form = forms.HuddleOutcomeForm(request.POST, huddle=huddle)
    if form.is_valid():
        try:
            interventions.record_outcome(
                huddle=huddle,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                owner=form.cleaned_data["owner"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except ActionNotAllowed as exc:
            messages.error(request, exc.message)
            return redirect("huddle_detail", pk=pk)
        else:
            messages.success(
                request, _("Outcome recorded; it shows on each ask, and everyone has been told.")
            )
            return redirect("huddle_detail", pk=pk)
    return _huddle_page(request, huddle, form, status=UNPROCESSABLE)
