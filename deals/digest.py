"""The weekly manager digest: every Monday at nine in the manager's own time zone, one
email with what is stalled below them, the thanks their people received, their people's
deal updates and the deals that have none.

It covers the week that has just ended: at nine on a Monday this week's updates are
barely begun, while last week's say who reported and who did not. Stalled asks are as
of now; thanks are those of the past seven days.

Sending (``send_digests``), once per manager and week whatever the beat does:

1. For each manager (anyone someone reports to) with an email address, work out their
   local time; go on only on a Monday between 09:00 and 09:59.
2. Claim the week: insert DigestSent (manager, that Monday) in its own transaction. The
   unique constraint lets exactly one run through; any other gets IntegrityError and
   skips, so a second tick in the hour, or two beats at once, send nothing.
3. Render the email in the manager's language and time zone and send it.
4. If sending fails, delete the claim, so the next tick in the hour tries again.

A process killed between 2 and 3 loses that week's digest rather than sending it twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.utils import DNS_NAME
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from stakeholders.models import Profile, display_name

from . import board, updates
from .manager_models import DigestSent
from .models import Thank
from .notify import absolute_url
from .selectors import subtree_user_ids
from .templatetags.dealdesk import money

logger = logging.getLogger(__name__)

STALLED_SHOWN = 10
DIGEST_HOUR = 9
# How much of each part of an update the email quotes; the page has the rest.
PART_LENGTH = 160


@dataclass
class Digest:
    manager: object
    week: dt.date  # the Monday of the week the updates are about
    stalled: list  # board.Item, most pressing first, at most STALLED_SHOWN
    stalled_total: int
    thanks: list  # Thank, newest first
    updates: list  # DealUpdate, newest first
    missing: list  # (Deal, owner)


def digest_for(manager, now: dt.datetime) -> Digest:
    """What ``manager``'s digest says at ``now``."""
    week = updates.current_week(manager, now) - dt.timedelta(days=7)
    found = board.stalled(manager, now=now)
    thanks = list(
        Thank.objects.filter(
            thanked_id__in=subtree_user_ids(manager),
            created_at__gte=now - dt.timedelta(days=7),
            created_at__lte=now,
        )
        .select_related("thanked", "thanked_by", "ask")
        .order_by("-created_at", "-id")
    )
    return Digest(
        manager=manager,
        week=week,
        stalled=found.items[:STALLED_SHOWN],
        stalled_total=found.total,
        thanks=thanks,
        updates=list(updates.updates_inbox(manager, week)),
        missing=updates.missing_updates(manager, week),
    )


def subject(digest: Digest) -> str:
    return _("DealDesk weekly: %(stalled)s, %(thanks)s, %(updates)s") % {
        "stalled": ngettext("%(n)d stalled", "%(n)d stalled", digest.stalled_total)
        % {"n": digest.stalled_total},
        "thanks": ngettext("%(n)d thanks", "%(n)d thanks", len(digest.thanks))
        % {"n": len(digest.thanks)},
        "updates": ngettext("%(n)d update", "%(n)d updates", len(digest.updates))
        % {"n": len(digest.updates)},
    }


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).chars(PART_LENGTH)


def _context(digest: Digest) -> dict:
    """Everything the two templates show, worded in the active language."""
    updates_url = absolute_url(reverse("updates")) + f"?week={digest.week:%Y-%m-%d}"
    stalled = [
        {
            "reason": item.reason,
            "text": board.stalled_text(item),
            "title": item.ask.title,
            "deal": f"{item.ask.deal.customer} · {item.ask.deal.title}",
            "amount": money(item.ask.deal.amount, item.ask.deal.currency),
            "with": display_name(item.ask.assignee) if item.ask.assignee else item.ask.team.name,
            "requester": display_name(item.ask.requester),
            "url": absolute_url(reverse("ask_detail", args=[item.ask.pk])),
        }
        for item in digest.stalled
    ]
    thanks = [
        {
            "thanked": display_name(thank.thanked),
            "by": display_name(thank.thanked_by),
            "title": thank.ask.title,
            "note": thank.note,
            "url": absolute_url(reverse("ask_detail", args=[thank.ask_id])),
        }
        for thank in digest.thanks
    ]
    deal_updates = [
        {
            "author": display_name(update.author),
            "deal": f"{update.deal.customer} · {update.deal.title}",
            "facts": _short(update.facts),
            "plan": _short(update.plan),
            "help": _short(update.help_needed),
            "url": f"{updates_url}#update-{update.pk}",
        }
        for update in digest.updates
    ]
    missing = [
        {
            "deal": f"{deal.customer} · {deal.title}",
            "owner": display_name(owner),
            "url": absolute_url(reverse("deal_detail", args=[deal.pk])),
        }
        for deal, owner in digest.missing
    ]
    return {
        "subject": subject(digest),
        "recipient": display_name(digest.manager),
        "week": digest.week,
        "week_end": digest.week + dt.timedelta(days=6),
        "stalled": stalled,
        "stalled_total": digest.stalled_total,
        "stalled_more": digest.stalled_total - len(stalled),
        "thanks": thanks,
        "updates": deal_updates,
        "missing": missing,
        "board_url": absolute_url(reverse("board")),
        "updates_url": updates_url,
    }


def language_of(user) -> str:
    profile = getattr(user, "profile", None)
    return (profile.language if profile else "") or settings.LANGUAGE_CODE


def build_email(digest: Digest) -> EmailMultiAlternatives:
    """The digest as an email, text and HTML, in its manager's language and time zone."""
    manager = digest.manager
    language = language_of(manager)
    with translation.override(language), timezone.override(updates.time_zone_of(manager)):
        context = {**_context(digest), "LANGUAGE_CODE": language}
        body = render_to_string("deals/email/digest.txt", context)
        html = render_to_string("deals/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(context["subject"].split()),
        body=body,
        to=[manager.email],
        # Fixed per manager and week: a mail server that did receive a send we took for
        # failed recognises the retry.
        headers={"Message-ID": f"<dealdesk-digest-{manager.pk}-{digest.week:%Y%m%d}@{DNS_NAME}>"},
    )
    message.attach_alternative(html, "text/html")
    return message


def _managers():
    User = get_user_model()
    below_someone = Profile.objects.filter(manager__isnull=False).values("manager_id")
    return (
        User.objects.filter(pk__in=below_someone, is_active=True)
        .exclude(email="")
        .select_related("profile__team")
        .order_by("pk")
    )


def _due_monday(manager, now: dt.datetime) -> dt.date | None:
    """That Monday, when it is Monday 09:xx where the manager is; else None."""
    profile = getattr(manager, "profile", None)
    zone = ZoneInfo(profile.time_zone if profile else settings.TIME_ZONE)
    local = now.astimezone(zone)
    if local.weekday() == 0 and local.hour == DIGEST_HOUR:
        return local.date()
    return None


def _claim(manager, monday: dt.date, now: dt.datetime) -> DigestSent | None:
    try:
        with transaction.atomic():
            return DigestSent.objects.create(manager=manager, week=monday, sent_at=now)
    except IntegrityError:
        return None  # another run has sent it, or is sending it


def send_digests(now: dt.datetime | None = None) -> int:
    """Send every digest due at ``now``; returns how many went out."""
    now = now or timezone.now()
    connection = mailers.default
    sent = 0
    for manager in _managers():
        monday = _due_monday(manager, now)
        if monday is None:
            continue
        if DigestSent.objects.filter(manager=manager, week=monday).exists():
            continue  # the usual case on the hour's later ticks: no write needed
        claim = _claim(manager, monday, now)
        if claim is None:
            continue
        try:
            connection.send_messages([build_email(digest_for(manager, now))])
        except SoftTimeLimitExceeded:
            DigestSent.objects.filter(pk=claim.pk).delete()
            raise
        except Exception:
            logger.exception("The weekly digest to %s failed; the next tick retries.", manager.pk)
            DigestSent.objects.filter(pk=claim.pk).delete()
            continue
        sent += 1
    return sent
