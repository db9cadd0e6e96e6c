"""The notification centre and chat webhooks, as the people using them see them: reads
(selectors, scoped to the acting user) and writes (services) in one small module."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from . import webhooks
from .models import Channel, ChatWebhook, Delivery, DeliveryStatus, Nudge, Provider

PROBLEM_WINDOW = dt.timedelta(days=30)

# Where each provider's robots live; a URL elsewhere is a typo or a leak.
PROVIDER_HOSTS = {
    Provider.DINGTALK: ("oapi.dingtalk.com",),
    Provider.WECOM: ("qyapi.weixin.qq.com",),
    Provider.FEISHU: ("open.feishu.cn", "open.larksuite.com"),
    Provider.SLACK: ("hooks.slack.com",),
}

# --- notifications --------------------------------------------------------------------


def inbox(user, *, unread_only: bool = False) -> QuerySet[Delivery]:
    """My in-app notifications, newest first, with what describe() needs to word them."""
    rows = Delivery.objects.filter(recipient=user, channel=Channel.IN_APP)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related(
        "nudge__ask__deal",
        "nudge__ask__team",
        "nudge__ask__assignee",
        "nudge__ask__requester",
        "nudge__sent_by",
    ).order_by("-created_at", "-id")


def unread(user) -> QuerySet[Delivery]:
    return Delivery.objects.filter(recipient=user, channel=Channel.IN_APP, read_at__isnull=True)


def unread_count(user) -> int:
    return unread(user).count()


def delivery_problems(user) -> QuerySet[Delivery]:
    """Email and chat messages meant for me, my webhooks or my team's, that failed for
    good in the last 30 days: so a broken address or robot gets noticed and fixed."""
    mine = (Q(recipient=user) | Q(webhook__user=user) | Q(webhook__team__lead=user)) & ~Q(
        channel=Channel.IN_APP
    )
    return (
        Delivery.objects.filter(
            mine,
            status=DeliveryStatus.FAILED,
            created_at__gte=timezone.now() - PROBLEM_WINDOW,
        )
        .select_related("webhook", "nudge__ask")
        .order_by("-created_at", "-id")
    )


def failed_everywhere() -> int:
    """For admins: how many deliveries failed for good in the last 30 days."""
    return Delivery.objects.filter(
        status=DeliveryStatus.FAILED, created_at__gte=timezone.now() - PROBLEM_WINDOW
    ).count()


def notification_mark_read(*, user, pk: int) -> Delivery:
    """Mark one of my notifications read; another person's is a 404, not a 403."""
    delivery = get_object_or_404(inbox(user), pk=pk)
    if delivery.read_at is None:
        delivery.read_at = timezone.now()
        Delivery.objects.filter(pk=delivery.pk, read_at__isnull=True).update(
            read_at=delivery.read_at
        )
    return delivery


def notifications_mark_all_read(*, user) -> int:
    return Delivery.objects.filter(
        recipient=user, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


def notifications_read_for_ask(*, user, ask_id: int) -> int:
    """Opening an ask reads the notifications about it."""
    return Delivery.objects.filter(
        recipient=user, channel=Channel.IN_APP, read_at__isnull=True, nudge__ask_id=ask_id
    ).update(read_at=timezone.now())


def nudges_for_timeline(ask) -> list[Nudge]:
    """The ask's nudges with who sent them and their deliveries, for the timeline."""
    return list(
        Nudge.objects.filter(ask=ask)
        .select_related("sent_by")
        .prefetch_related(
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.select_related("recipient", "webhook").order_by("id"),
            )
        )
        .order_by("created_at", "id")
    )


# --- chat webhooks --------------------------------------------------------------------


def webhooks_for(user) -> dict:
    """My own webhooks, and those of the teams I lead."""
    teams = list(user.teams_led.order_by("name"))
    return {
        "mine": list(ChatWebhook.objects.filter(user=user)),
        "teams": [(team, list(ChatWebhook.objects.filter(team=team))) for team in teams],
    }


def _check_url(provider: str, url: str) -> None:
    parts = urlsplit(url)
    private_ok = settings.DEALDESK_WEBHOOK_ALLOW_PRIVATE
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (private_ok and local):
        raise ValidationError({"url": _("Use an https:// address.")})
    if not private_ok and not webhooks.is_public(url):
        raise ValidationError(
            {
                "url": _(
                    "That address is not reachable on the internet, or is inside a private network."
                )
            }
        )
    hosts = PROVIDER_HOSTS.get(provider)
    if hosts and parts.hostname not in hosts and not (private_ok and local):
        message = _("A %(provider)s webhook address starts with https://%(host)s/.") % {
            "provider": Provider(provider).label,
            "host": hosts[0],
        }
        raise ValidationError({"url": message})


def webhook_add(
    *, actor, provider: str, url: str, label: str = "", secret: str = "", team=None
) -> ChatWebhook:
    """Add a webhook for the actor, or for a team the actor leads."""
    if team is not None and team.lead_id != actor.pk:
        raise ValidationError({"team": _("Only the team's lead can add its webhooks.")})
    if provider not in Provider.values:
        raise ValidationError({"provider": _("Choose a provider.")})
    url = (url or "").strip()
    if not url:
        raise ValidationError({"url": _("Paste the webhook address from the chat app.")})
    _check_url(provider, url)
    return ChatWebhook.objects.create(
        user=None if team else actor,
        team=team,
        provider=provider,
        url=url,
        label=label.strip(),
        secret=secret.strip(),
    )


def webhook_for_owner(actor, pk: int) -> ChatWebhook:
    """A webhook the actor may change: theirs, or their team's if they lead it."""
    return get_object_or_404(ChatWebhook.objects.filter(Q(user=actor) | Q(team__lead=actor)), pk=pk)


def webhook_set_enabled(*, actor, pk: int, enabled: bool) -> ChatWebhook:
    hook = webhook_for_owner(actor, pk)
    hook.enabled = enabled
    hook.save(update_fields=["enabled"])
    return hook


def webhook_remove(*, actor, pk: int) -> None:
    webhook_for_owner(actor, pk).delete()


def webhook_test(*, actor, pk: int) -> str | None:
    """Post a test message now; returns None on success, else what went wrong."""
    hook = webhook_for_owner(actor, pk)
    message = webhooks.ChatMessage(
        title=_("DealDesk test message"),
        lines=(_("If you can read this, DealDesk can reach this chat."),),
        url=settings.DEALDESK_BASE_URL,
        data={"kind": "test"},
    )
    try:
        webhooks.post(
            hook.provider,
            hook.url,
            hook.secret,
            message,
            connect_timeout=settings.DEALDESK_WEBHOOK_CONNECT_TIMEOUT,
            read_timeout=settings.DEALDESK_WEBHOOK_READ_TIMEOUT,
            allow_private=settings.DEALDESK_WEBHOOK_ALLOW_PRIVATE,
        )
    except webhooks.DeliveryError as exc:
        return exc.message
    return None
