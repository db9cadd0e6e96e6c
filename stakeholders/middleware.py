"""Apply a signed-in user's saved language and time zone to the request."""

from zoneinfo import ZoneInfo

from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Runs after LocaleMiddleware: a saved language beats the cookie and the browser.

    Loads the profile once per request (with its team, which most pages show) and
    caches it on the user object, so selectors reading ``user.profile`` cost nothing.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            from .models import Profile

            profile, _ = Profile.objects.select_related("team").get_or_create(user=user)
            user.profile = profile
            if profile.language:
                translation.activate(profile.language)
                request.LANGUAGE_CODE = translation.get_language()
            timezone.activate(ZoneInfo(profile.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
