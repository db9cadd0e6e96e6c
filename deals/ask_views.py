"""Thin views for asks: the new-ask form and its coach, the ask page and its actions,
and the list of asks I sent."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders.models import Role, display_name

from . import escalation, forms, inbox, selectors, services
from .briefs import coach_brief, template_for
from .calendar import suggest_deadline
from .lifecycle import allowed_actions
from .models import ASK_TYPE_FUNCTION, AskType
from .services import ActionNotAllowed, MilestonePlan, default_team_for
from .views import UNPROCESSABLE, add_errors

# --- new ask ----------------------------------------------------------------------------


def _suggested_assignee(deal, ask_type: str):
    """The deal's stakeholder in the role this type of ask needs, if it has one."""
    function = ASK_TYPE_FUNCTION.get(AskType(ask_type))
    if function is None:
        return None
    role = Role.MANAGER if function == "management" else function
    holder = (
        deal.stakeholders.filter(role=role).select_related("user__profile").order_by("id").first()
    )
    return holder.user if holder else None


def _initial(deal, ask_type: str) -> dict:
    template = template_for(ask_type)
    team = default_team_for(ask_type)
    assignee = _suggested_assignee(deal, ask_type)
    if assignee is not None and assignee.profile.team_id:
        team = assignee.profile.team
    return {
        "ask_type": ask_type,
        "title": "",
        "team": team,
        "assignee": assignee,
        "deliverable": template.deliverable,
        "details": template.details,
        "purpose": template.purpose,
        "audience": template.audience,
        "proposed_due_at": (
            suggest_deadline(team, timezone.now()).astimezone(timezone.get_current_timezone())
            if team
            else None
        ),
    }


def _report(form, deal_team=None):
    if form.is_bound:
        data = form.data
    else:
        # A fresh form: judge the prefilled template, so the coach speaks from the start.
        data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in form.initial.items()}
        if isinstance(data.get("proposed_due_at"), dt.datetime):
            local = timezone.localtime(data["proposed_due_at"])
            data["proposed_due_at"] = local.strftime(forms.DATETIME_FORMAT)
    due = None
    if "proposed_due_at" in form.fields:
        try:
            due = form.fields["proposed_due_at"].clean(data.get("proposed_due_at") or None)
        except ValidationError:
            due = None
    team = deal_team
    if team is None:
        try:
            team = form.fields["team"].clean(data.get("team") or None)
        except ValidationError:
            team = None
    ask_type = data.get("ask_type") or AskType.OTHER
    return coach_brief(
        ask_type=ask_type if ask_type in AskType.values else AskType.OTHER,
        title=data.get("title", ""),
        deliverable=data.get("deliverable", ""),
        details=data.get("details", ""),
        purpose=data.get("purpose", ""),
        audience=data.get("audience", ""),
        basis=data.get("basis", ""),
        basis_verified=bool(data.get("basis_verified")),
        proposed_due_at=due,
        now=timezone.now(),
        turnaround_hours=team.turnaround_hours if team else None,
    )


def _deal_for_asks(request, pk: int):
    deal = selectors.deal_for_user(request.user, pk)
    if not selectors.can_ask_on(deal, request.user):
        raise Http404
    return deal


@require_http_methods(["GET", "POST"])
def ask_create(request, pk: int):
    deal = _deal_for_asks(request, pk)
    ask_type = request.GET.get("type", "")
    if request.method == "POST":
        form = forms.AskForm(request.POST)
        milestones = forms.MilestoneFormSet(request.POST, prefix="m")
        ask_type = request.POST.get("ask_type", "")
        if form.is_valid() & milestones.is_valid():
            data = form.cleaned_data
            plans = [
                MilestonePlan(
                    m.cleaned_data["label"], m.cleaned_data["due_at"], m.cleaned_data["audience"]
                )
                for m in milestones
                if m.cleaned_data.get("label")
            ]
            try:
                ask = services.ask_create(
                    deal=deal,
                    requester=request.user,
                    ask_type=data["ask_type"],
                    title=data["title"],
                    team=data["team"],
                    assignee=data["assignee"],
                    deliverable=data["deliverable"],
                    details=data["details"],
                    purpose=data["purpose"],
                    audience=data["audience"],
                    proposed_due_at=data["proposed_due_at"],
                    basis=data["basis"],
                    basis_verified=data["basis_verified"],
                    links=data["links"],
                    milestones=plans,
                )
            except ValidationError as exc:
                if "milestones" in exc.message_dict:
                    milestones._non_form_errors = milestones.error_class(
                        exc.message_dict.pop("milestones")
                    )
                    exc = ValidationError(exc.message_dict) if exc.message_dict else None
                if exc is not None:
                    add_errors(form, exc)
            except ActionNotAllowed as exc:
                form.add_error(None, exc.message)
            else:
                who = display_name(ask.assignee) if ask.assignee else ask.team.name
                messages.success(
                    request,
                    _("Ask sent to %(who)s. They will agree the deadline or propose another.")
                    % {"who": who},
                )
                return redirect("ask_detail", pk=ask.pk)
        status = UNPROCESSABLE
    elif ask_type in AskType.values:
        form = forms.AskForm(initial=_initial(deal, ask_type))
        milestones = forms.MilestoneFormSet(prefix="m")
        status = 200
    else:
        form = milestones = None
        status = 200
    context = {
        "deal": deal,
        "form": form,
        "milestones": milestones,
        "ask_type": ask_type,
        "types": [
            (t.value, t.label, ASK_TYPE_FUNCTION[t].label if t in ASK_TYPE_FUNCTION else "")
            for t in AskType
        ],
        "report": _report(form) if form is not None else None,
    }
    template = "deals/ask_new.html"
    if request.htmx and request.method == "GET":
        template += "#ask-form"
    return render(request, template, context, status=status)


@require_POST
def ask_coach(request, pk: int):
    """The brief-quality coach, recomputed on the server as the rep types."""
    _deal_for_asks(request, pk)
    form = forms.AskForm(request.POST)
    return render(request, "deals/ask_new.html#coach", {"report": _report(form)})


# --- the ask page and its actions -------------------------------------------------------

ACTIONS = {
    # action: (form class, service call taking (ask, actor, cleaned data), success message)
    "claim": (forms.EmptyForm, lambda a, u, d: services.ask_claim(ask=a, actor=u)),
    "agree": (forms.EmptyForm, lambda a, u, d: services.ask_agree(ask=a, actor=u)),
    "counter": (
        forms.CounterForm,
        lambda a, u, d: services.ask_counter(ask=a, actor=u, due_at=d["due_at"], note=d["note"]),
    ),
    "start": (forms.EmptyForm, lambda a, u, d: services.ask_start(ask=a, actor=u)),
    "request_info": (
        forms.QuestionForm,
        lambda a, u, d: services.ask_request_info(ask=a, actor=u, question=d["question"]),
    ),
    "deliver": (
        forms.DeliverForm,
        lambda a, u, d: services.ask_deliver(ask=a, actor=u, note=d["note"], link=d["link"]),
    ),
    "decline": (
        forms.ReasonForm,
        lambda a, u, d: services.ask_decline(ask=a, actor=u, reason=d["reason"]),
    ),
    "accept_counter": (
        forms.EmptyForm,
        lambda a, u, d: services.ask_accept_counter(ask=a, actor=u),
    ),
    "reject_counter": (
        forms.EmptyForm,
        lambda a, u, d: services.ask_reject_counter(ask=a, actor=u),
    ),
    "provide_info": (
        forms.AnswerForm,
        lambda a, u, d: services.ask_provide_info(ask=a, actor=u, answer=d["answer"]),
    ),
    "confirm": (forms.EmptyForm, lambda a, u, d: services.ask_confirm(ask=a, actor=u)),
    "reopen": (
        forms.ReopenForm,
        lambda a, u, d: services.ask_reopen(ask=a, actor=u, reason=d["reason"], due_at=d["due_at"]),
    ),
    "cancel": (
        forms.OptionalReasonForm,
        lambda a, u, d: services.ask_cancel(ask=a, actor=u, reason=d["reason"]),
    ),
    "thank": (forms.NoteForm, lambda a, u, d: services.ask_thank(ask=a, actor=u, note=d["note"])),
    "comment": (
        forms.CommentForm,
        lambda a, u, d: services.ask_comment(ask=a, actor=u, text=d["text"]),
    ),
    "snooze": (
        forms.SnoozeForm,
        lambda a, u, d: services.ask_snooze(ask=a, actor=u, until=d["until"], reason=d["reason"]),
    ),
}


def _done_message(action: str) -> str:
    return {
        "claim": _("You took the ask."),
        "agree": _("Deadline agreed."),
        "counter": _("New deadline proposed; the requester will accept it or keep theirs."),
        "start": _("Marked as in progress."),
        "request_info": _("Question sent; the clock is paused until the requester answers."),
        "deliver": _("Delivered. The requester will confirm."),
        "decline": _("Ask declined."),
        "accept_counter": _("New deadline accepted."),
        "reject_counter": _("You kept your original deadline."),
        "provide_info": _("Answer sent; the clock runs again."),
        "confirm": _("Confirmed done. Don't forget to say thank you."),
        "reopen": _("Ask reopened."),
        "cancel": _("Ask cancelled."),
        "thank": _("Thank-you sent. It shows on their profile and to their manager."),
        "comment": _("Comment added."),
        "snooze": _("Escalation snoozed: no nudges go out until then."),
    }[action]


def _ask_context(request, ask, forms_by_action=None, open_action=None) -> dict:
    actions = allowed_actions(ask, request.user)
    if ask.thanks.all() and "thank" in actions:
        already = any(t.thanked_by_id == request.user.pk for t in ask.thanks.all())
        if already:
            actions.remove("thank")
    can_intervene = ask.is_open and selectors.can_intervene(ask, request.user)
    bound = forms_by_action or {}
    action_forms = {
        name: bound.get(name) or ACTIONS[name][0](auto_id=f"id_{name}_%s")
        for name in [*actions, "comment", *(["snooze"] if can_intervene else [])]
    }
    nudges = inbox.nudges_for_timeline(ask)
    fired = {
        n.step_code for n in nudges if n.cycle == ask.ladder_cycle and n.clock == ask.ladder_clock
    }
    # One timeline: what people did, and what DealDesk's ladder sent, in time order.
    timeline = sorted(
        [*(("event", e) for e in ask.events.all()), *(("nudge", n) for n in nudges)],
        key=lambda item: (item[1].created_at, item[0] == "nudge", item[1].pk),
    )
    ladder = [(step, when, step.code in fired) for step, when in escalation.ladder_due_steps(ask)]
    return {
        "ask": ask,
        "actions": actions,
        "action_forms": action_forms,
        "open_action": open_action,
        "can_intervene": can_intervene,
        "ladder": ladder,
        "nudges": nudges,
        "timeline": timeline,
        "now": timezone.now(),
    }


@require_GET
def ask_detail(request, pk: int):
    ask = selectors.ask_for_user(request.user, pk)
    context = _ask_context(request, ask)
    if context["nudges"]:
        inbox.notifications_read_for_ask(user=request.user, ask_id=ask.pk)
    return render(request, "deals/ask_detail.html", context)


@require_POST
def ask_act(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    ask = selectors.ask_for_user(request.user, pk)
    form_class, call = ACTIONS[action]
    form = form_class(request.POST, auto_id=f"id_{action}_%s")
    if form.is_valid():
        try:
            call(ask, request.user, form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except ActionNotAllowed as exc:
            # Said in the banner: the refused action's form may not be on this person's page.
            messages.error(request, exc.message)
        else:
            messages.success(request, _done_message(action))
            if not request.htmx:
                return redirect("ask_detail", pk=pk)
            ask = selectors.ask_for_user(request.user, pk)
            return render(request, "deals/ask_detail.html#ask-body", _ask_context(request, ask))
    context = _ask_context(request, ask, {action: form}, open_action=action)
    template = "deals/ask_detail.html" + ("#ask-body" if request.htmx else "")
    return render(request, template, context, status=UNPROCESSABLE)


@require_GET
def asks_sent(request):
    form = forms.SentFilterForm(request.GET or None)
    form.is_valid()  # a bad value drops only its own filter: cleaned_data keeps the rest
    filters = getattr(form, "cleaned_data", {})
    asks = selectors.asks_sent(
        request.user,
        status=filters.get("status", ""),
        deal_id=filters.get("deal"),
        overdue=filters.get("overdue", False),
    )
    page = Paginator(asks, 50).get_page(request.GET.get("page"))
    template = "deals/asks_sent.html"
    if request.htmx:
        template += "#sent-results"
    context = {
        "form": form,
        "page": page,
        "deals": selectors.deals_with_asks_sent_by(request.user),
        "query": request.GET,
    }
    return render(request, template, context)
