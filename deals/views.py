"""Thin views: parse, call a selector or a service, render."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import selectors


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
    }
    return render(request, "deals/home.html", context)


@require_GET
def deal_detail(request, pk: int):
    return render(request, "deals/deal_detail.html", selectors.deal_page(request.user, pk))


@require_GET
def ask_detail(request, pk: int):
    ask = selectors.ask_for_user(request.user, pk)
    return render(request, "deals/ask_detail.html", {"ask": ask})
