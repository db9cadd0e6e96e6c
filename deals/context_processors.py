"""What every page's header needs: my unread notifications and my queue's overdue and
due-today counts, read in one query, and only when a page actually renders the header."""

from django.utils.functional import SimpleLazyObject

from .queues import header_counts


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    header = SimpleLazyObject(lambda: header_counts(user))
    return {
        "unread_notifications": SimpleLazyObject(lambda: header["unread"]),
        "queue_badge": header,
    }
