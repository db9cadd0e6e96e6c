"""How amounts and times read on screen, in the reader's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$"}


def _trim(value: Decimal) -> str:
    text = f"{value:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _plain(value: Decimal) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text


@register.filter
def money(amount, currency: str = "CNY") -> str:
    """¥1,200,000 in English; ¥120万 (or ¥1.2亿) in Chinese, as people write them."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    symbol = _SYMBOLS.get(currency, currency + " ")
    if translation.get_language() == "zh-hans":
        # "¥3200万", not "¥3,200万": counted in 万, people write the number plainly.
        if amount >= Decimal(100_000_000):
            return f"{symbol}{_plain((amount / Decimal(100_000_000)).quantize(Decimal('0.01')))}亿"
        if amount >= Decimal(10_000):
            return f"{symbol}{_plain((amount / Decimal(10_000)).quantize(Decimal('0.01')))}万"
    return f"{symbol}{_trim(amount)}"


def span(delta: dt.timedelta, day: dt.timedelta = dt.timedelta(days=1)) -> str:
    """A duration as people say it: "1d 3h", "2h 5m", "4m". ``day`` is how long a "d"
    is: 24 hours, or a working day for business time (business_span)."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, max(1, int(day.total_seconds() // 60)))
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours} if hours else _("%(d)dd") % {"d": days}
    if hours:
        return _("%(h)dh %(m)dm") % {"h": hours, "m": mins} if mins else _("%(h)dh") % {"h": hours}
    return _("%(m)dm") % {"m": max(mins, 1)}


def business_span(delta: dt.timedelta, team) -> str:
    """Working time as people count it: "1d 3h" is one working day and three hours."""
    from deals.calendar import working_day_length

    return span(delta, working_day_length(team))


@register.simple_tag
def due_chip(ask, now=None):
    """A deadline that reads both ways: "in 2d 3h · Fri 14:00" or "overdue 1d 3h"."""
    due = ask.due_at
    if due is None:
        return ""
    now = now or timezone.now()
    when = date_format(timezone.localtime(due), "D m-d H:i")
    if not ask.is_open:
        return format_html('<span class="chip chip-muted">{}</span>', when)
    if ask.status == "waiting":
        return format_html(
            '<span class="chip chip-muted">{} · {}</span>', _("paused, waiting on requester"), when
        )
    if ask.agreed_due_at is None:
        # Nobody has agreed this deadline yet: say so rather than "on track".
        label = (
            _("proposed, in %(span)s") % {"span": span(due - now)}
            if due > now
            else _("proposed deadline passed %(span)s ago") % {"span": span(now - due)}
        )
        css = "chip-accent" if due > now else "chip-amber"
        return format_html('<span class="chip {}">{} · {}</span>', css, label, when)
    if ask.is_overdue(now):
        return format_html(
            '<span class="chip chip-red">{} · {}</span>',
            _("overdue %(span)s") % {"span": span(now - due)},
            when,
        )
    if due < now:
        label = _("was due %(span)s ago") % {"span": span(now - due)}
        return format_html('<span class="chip chip-amber">{} · {}</span>', label, when)
    soon = due - now <= dt.timedelta(days=1)
    css = "chip-amber" if soon else "chip-green"
    state = _("due soon") if soon else _("on track")
    return format_html(
        '<span class="chip {}">{} · {} · {}</span>',
        css,
        state,
        _("in %(span)s") % {"span": span(due - now)},
        when,
    )


@register.filter
def person(user) -> str:
    if user is None:
        return _("DealDesk")
    return (user.get_full_name() or user.get_username()).strip()


@register.filter
def get_item(mapping, key):
    return mapping.get(key)


@register.simple_tag
def event_detail(event) -> str:
    """What an event changed, after its verb: " → 11-25 14:00", or a stage move."""
    data = event.data or {}
    if "role" in data and "name" in data:
        from stakeholders.models import Role

        label = Role(data["role"]).label if data["role"] in Role.values else data["role"]
        return format_html(": {} · {}", data["name"], label)
    if "assignee" in data and "name" in data:
        if data.get("from_name"):
            return format_html(": {} → {}", data["from_name"], data["name"])
        return format_html(" → {}", data["name"])
    if "from" in data and "to" in data:
        from deals.models import Stage

        labels = dict(Stage.choices)
        return format_html(
            ": {} → {}", labels.get(data["from"], data["from"]), labels.get(data["to"], data["to"])
        )
    if "huddle" in data and "when" in data:
        from django.urls import reverse

        when = timezone.localtime(dt.datetime.fromisoformat(data["when"]))
        return format_html(
            ' · <a href="{}">{}</a>',
            reverse("huddle_detail", args=[data["huddle"]]),
            date_format(when, "D Y-m-d H:i"),
        )
    if "huddle" in data and "owner" in data:
        return format_html(": {}", _("owned by %(owner)s") % {"owner": data["owner"]})
    for key in ("agreed_due_at", "counter_due_at", "proposed_due_at", "snoozed_until"):
        value = (event.data or {}).get(key)
        if value:
            when = timezone.localtime(dt.datetime.fromisoformat(value))
            return format_html(" → {}", date_format(when, "Y-m-d H:i"))
    return ""


@register.simple_tag
def nudge_detail(nudge) -> str:
    """Who a nudge reached and how far each channel got: "→ 陈静 (assignee): in DealDesk,
    email sent · 王磊 (requester, copied): in DealDesk, email waiting"."""
    people: dict = {}
    for delivery in nudge.deliveries.all():
        who = delivery.recipient or delivery.webhook
        key = ("u", delivery.recipient_id) if delivery.recipient_id else ("w", delivery.webhook_id)
        entry = people.setdefault(
            key,
            [
                str(person(who)) if delivery.recipient_id else str(who),
                delivery.get_role_display(),
                [],
            ],
        )
        if delivery.channel == "in_app":
            entry[2].append(_("in DealDesk"))
        else:
            status = {
                "pending": _("waiting"),
                "sending": _("sending"),
                "sent": _("sent"),
                "failed": _("failed"),
            }[delivery.status]
            entry[2].append(f"{delivery.get_channel_display()} {status}")
    parts = [
        format_html("{} ({}): {}", name, role, ", ".join(str(c) for c in channels))
        for name, role, channels in people.values()
    ]
    if not parts:
        return format_html('<span class="nudge-to">{}</span>', _("nobody to tell"))
    return format_html(
        '<span class="nudge-to">→ {}</span>', format_html_join(" · ", "{}", ((p,) for p in parts))
    )
