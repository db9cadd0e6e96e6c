"""Reads about people: profiles, their load and the credit they received."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deals.models import ASSIGNEE_TURN_STATUSES, OVERDUE_STATUSES, Ask, Thank


def person_page(viewer, username: str) -> dict:
    """A colleague's profile: team, manager, open load and the thanks they received.

    Everyone in the company may see who a colleague is and how loaded they are; the
    ask behind a thank-you is named only to those who may see that ask.
    """
    from deals.selectors import asks_visible_to

    person = get_object_or_404(
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile__team", "profile__manager"),
        username=username,
    )
    now = timezone.now()
    load = Ask.objects.filter(assignee=person, status__in=ASSIGNEE_TURN_STATUSES).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(status__in=OVERDUE_STATUSES, agreed_due_at__lt=now)),
    )
    thanks = list(
        Thank.objects.filter(thanked=person)
        .select_related("thanked_by", "ask")
        .order_by("-created_at", "-id")[:50]
    )
    visible = set(
        asks_visible_to(viewer)
        .filter(pk__in=[t.ask_id for t in thanks])
        .values_list("pk", flat=True)
    )
    return {
        "person": person,
        "load": load,
        "thanks": thanks,
        "thanks_total": Thank.objects.filter(thanked=person).count(),
        "visible_ask_ids": visible,
    }


def people_matching(q: str, role: str = "", limit: int = 30):
    """The person picker: active people whose name, login or team matches."""
    from .models import Role

    people = (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile__team")
        .order_by("profile__team__name", "first_name", "username")
    )
    if q:
        people = people.filter(
            Q(first_name__icontains=q)
            | Q(last_name__icontains=q)
            | Q(username__icontains=q)
            | Q(profile__team__name__icontains=q)
        )
    if role in Role.values and not q:
        people = people.filter(profile__team__function=Role(role).function)
    return people[:limit]
