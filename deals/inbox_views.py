"""Thin views for the notification centre and the chat webhooks a person or a team
lead sets up."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import inbox
from .forms import WebhookForm
from .notify import describe
from .views import UNPROCESSABLE, add_errors


@require_GET
def notifications(request):
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(inbox.inbox(request.user, unread_only=unread_only), 30).get_page(
        request.GET.get("page")
    )
    now = timezone.now()
    zone = timezone.get_current_timezone_name()
    rows = [(d, describe(d, zone=zone, now=now)) for d in page.object_list]
    context = {
        "page": page,
        "rows": rows,
        "unread_only": unread_only,
        "problems": list(inbox.delivery_problems(request.user)[:20]),
        "failed_everywhere": inbox.failed_everywhere() if request.user.is_staff else 0,
        "query": request.GET,
    }
    return render(request, "deals/notifications.html", context)


@require_GET
def notification_badge(request):
    return render(request, "deals/notifications.html#badge")


@require_POST
def notification_read(request, pk: int):
    delivery = inbox.notification_mark_read(user=request.user, pk=pk)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(target)
    if not request.htmx:
        return redirect("notifications")
    text = describe(delivery, zone=timezone.get_current_timezone_name())
    return render(
        request, "deals/notifications.html#notification-row", {"delivery": delivery, "text": text}
    )


@require_POST
def notifications_read_all(request):
    count = inbox.notifications_mark_all_read(user=request.user)
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notifications")


@require_http_methods(["GET", "POST"])
def chat_webhooks(request):
    owned = inbox.webhooks_for(request.user)
    teams = [team for team, _hooks in owned["teams"]]
    form = WebhookForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            inbox.webhook_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Webhook added. Send a test message to check it."))
            return redirect("chat_webhooks")
    status = UNPROCESSABLE if form.is_bound else 200
    return render(
        request, "deals/chat_webhooks.html", {"form": form, "owned": owned}, status=status
    )


@require_POST
def chat_webhook_act(request, pk: int, action: str):
    if action == "test":
        problem = inbox.webhook_test(actor=request.user, pk=pk)
        if problem:
            messages.error(request, _("The test message failed: %(error)s") % {"error": problem})
        else:
            messages.success(request, _("Test message sent."))
    elif action in ("enable", "disable"):
        inbox.webhook_set_enabled(actor=request.user, pk=pk, enabled=action == "enable")
        messages.success(
            request, _("Webhook switched on.") if action == "enable" else _("Webhook paused.")
        )
    elif action == "delete":
        inbox.webhook_remove(actor=request.user, pk=pk)
        messages.success(request, _("Webhook removed."))
    else:
        return redirect("chat_webhooks")
    return redirect("chat_webhooks")
