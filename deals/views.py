"""Thin views for "my work", deals and deal teams: parse, call a selector or service, render.

A view that serves htmx renders a partial of the same template, so the page and the
fragment never drift apart; every form also works as a plain POST without JavaScript.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders import services as team_services
from stakeholders.models import display_name

from . import selectors, services, updates
from .forms import DealFilterForm, DealForm, StakeholderForm
from .services import ActionNotAllowed

UNPROCESSABLE = 422


def add_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the form fields it names."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_GET
def home(request):
    """ "My work": what is waiting on me, what I am waiting for, my deals."""
    user = request.user
    context = {
        "waiting_on_me": selectors.asks_waiting_on(user),
        "sent_open": selectors.asks_sent_open(user),
        "my_deals": selectors.my_open_deals(user),
        "team_queue": selectors.team_queue_unassigned(user),
        "people_overdue": selectors.overdue_in_subtree(user),
        "people_thanked": selectors.thanks_to_my_people(user),
        "missing_updates": updates.my_missing_updates(user),
    }
    return render(request, "deals/home.html", context)


@require_GET
def deal_list(request):
    form = DealFilterForm(request.GET or None)
    form.is_valid()  # a bad value drops only its own filter: cleaned_data keeps the rest
    filters = getattr(form, "cleaned_data", {})
    deals = selectors.deals_for_list(
        request.user,
        q=filters.get("q", ""),
        stage=filters.get("stage", ""),
        mine=filters.get("scope", "mine") != "all",
    )
    page = Paginator(deals, 50).get_page(request.GET.get("page"))
    template = "deals/deal_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#deal-results"
    return render(request, template, {"form": form, "page": page, "query": request.GET})


@require_http_methods(["GET", "POST"])
def deal_create(request):
    form = DealForm(request.POST or None, initial={"stage": "opportunity"})
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Deal created. Now add its team and your first ask."))
            return redirect("deal_detail", pk=deal.pk)
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "deals/deal_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def deal_edit(request, pk: int):
    deal = selectors.deal_for_user(request.user, pk)
    if not selectors.deal_is_managed_by(deal, request.user):
        raise Http404
    form = DealForm(request.POST or None, instance=deal)
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(deal=deal, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Deal saved."))
            return redirect("deal_detail", pk=deal.pk)
    status = UNPROCESSABLE if form.is_bound else 200
    return render(request, "deals/deal_form.html", {"form": form, "deal": deal}, status=status)


@require_GET
def deal_detail(request, pk: int):
    context = selectors.deal_page(request.user, pk)
    context["team_form"] = StakeholderForm()
    return render(request, "deals/deal_detail.html", context)


def _team_response(request, pk: int, form, status: int = 200):
    """After a change to the deal team: the team panel for htmx, the page otherwise."""
    context = selectors.deal_page(request.user, pk)
    context["team_form"] = form
    template = "deals/deal_detail.html"
    if request.htmx:
        template += "#deal-team"
    return render(request, template, context, status=status)


@require_POST
def stakeholder_add(request, pk: int):
    deal = selectors.deal_for_user(request.user, pk)
    form = StakeholderForm(request.POST)
    if form.is_valid():
        try:
            holder = team_services.deal_add_stakeholder(
                deal=deal,
                user=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        except ActionNotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(person)s joined the deal team as %(role)s.")
                % {"person": display_name(holder.user), "role": holder.get_role_display()},
            )
            if not request.htmx:
                return redirect("deal_detail", pk=pk)
            return _team_response(request, pk, StakeholderForm())
    return _team_response(request, pk, form, status=UNPROCESSABLE)


@require_POST
def stakeholder_remove(request, pk: int, stakeholder_id: int):
    deal = selectors.deal_for_user(request.user, pk)
    holder = get_object_or_404(deal.stakeholders.select_related("user"), pk=stakeholder_id)
    try:
        team_services.deal_remove_stakeholder(stakeholder=holder, actor=request.user)
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(person)s left the deal team.") % {"person": display_name(holder.user)},
        )
    if not request.htmx:
        return redirect("deal_detail", pk=pk)
    return _team_response(request, pk, StakeholderForm())
