"""What every page's header needs: the unread notification count, counted only when a
page actually renders the badge."""

from django.utils.functional import SimpleLazyObject

from .inbox import unread_count


def notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
