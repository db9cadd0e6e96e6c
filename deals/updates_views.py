"""Thin views for weekly deal updates: the week's page (a rep's own deals, a manager's
inbox), the three-part form, and turning "the help I need" into an ask."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders.models import display_name

from . import selectors, updates
from .manager_models import DealUpdate
from .services import ActionNotAllowed
from .views import UNPROCESSABLE, add_errors


class UpdateForm(forms.Form):
    facts = forms.CharField(
        label=gettext_lazy("The facts"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": updates.FACTS_REQUIRED},
        help_text=gettext_lazy(
            "Where the deal stands, as it is: who you met, what the customer said and did, "
            "what changed since last week."
        ),
    )
    plan = forms.CharField(
        label=gettext_lazy("My plan"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": updates.PLAN_REQUIRED},
        help_text=gettext_lazy("What you will do about it next, and by when."),
    )
    help_needed = forms.CharField(
        label=gettext_lazy("The help I need from you"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "What your manager can do that you can't: a call, a resource, an approval. "
            "Leave it empty when you need nothing; you can turn it into an ask in one click."
        ),
    )


def _week_nav(week: dt.date, this_week: dt.date) -> dict:
    earlier = week - dt.timedelta(days=7)
    later = week + dt.timedelta(days=7)
    return {
        "week": week,
        "this_week": this_week,
        "is_this_week": week == this_week,
        "previous_week": earlier,
        "next_week": later if later <= this_week else None,
        "week_end": week + dt.timedelta(days=6),
    }


@require_GET
def updates_page(request):
    """A rep's deals this week with their updates; for a manager, also the updates of
    everyone below them and the deals that have none. ``?week=`` looks back."""
    user = request.user
    this_week = updates.current_week(user)
    week = updates.parse_week(request.GET.get("week"), this_week)
    manages = updates.manages_anyone(user)
    mine = updates.my_week(user, week)
    context = {
        **_week_nav(week, this_week),
        "manages": manages,
        "my_rows": mine,
        "my_missing": sum(1 for _deal, update in mine if update is None),
        "my_manager": _manager_of(user) if mine else None,
    }
    if manages:
        context["inbox"] = list(updates.updates_inbox(user, week))
        context["missing"] = updates.missing_updates(user, week)
    return render(request, "deals/updates.html", context)


def _manager_of(user):
    profile = getattr(user, "profile", None)
    if profile is None or profile.manager_id is None:
        return None
    return get_user_model().objects.filter(pk=profile.manager_id).first()


@require_http_methods(["GET", "POST"])
def update_write(request, deal_pk: int):
    deal = selectors.deal_for_user(request.user, deal_pk)
    if deal.owner_id != request.user.pk:
        raise Http404
    week = updates.current_week(request.user)
    current = DealUpdate.objects.filter(deal=deal, week=week).select_related("help_ask").first()
    initial = {}
    if current is not None:
        initial = {"facts": current.facts, "plan": current.plan, "help_needed": current.help_needed}
    form = UpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            update = updates.update_write(deal=deal, author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        except ActionNotAllowed as exc:
            form.add_error(None, exc.message)
        else:
            saved = _("Update saved for %(deal)s.") % {"deal": deal.customer}
            if update.help_needed and update.help_ask_id is None:
                saved += " " + _("To ask your manager for the help you need, use its button below.")
            messages.success(request, saved)
            return redirect(reverse("updates") + f"#deal-{deal.pk}")
    status = UNPROCESSABLE if form.is_bound else 200
    context = {"form": form, "deal": deal, "current": current, "week": week}
    return render(request, "deals/update_form.html", context, status=status)


@require_POST
def update_help_ask(request, pk: int):
    # Only the author may ask; anyone else is told nothing about the update.
    update = get_object_or_404(DealUpdate, pk=pk, author=request.user)
    try:
        ask = updates.update_help_to_ask(update=update, actor=request.user)
    except ActionNotAllowed as exc:
        messages.error(request, exc.message)
        return redirect(reverse("updates") + f"#deal-{update.deal_id}")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("updates") + f"#deal-{update.deal_id}")
    messages.success(
        request,
        _("You asked %(person)s for help; the ask is theirs to agree or counter.")
        % {"person": display_name(ask.assignee)},
    )
    return redirect("ask_detail", pk=ask.pk)
