from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .models import Language
from .services import profile_set_language


@login_not_required
@require_POST
def set_language(request):
    """The header's language switch: saved on the profile, and in a cookie for sign-in."""
    from django.conf import settings

    language = request.POST.get("language", "")
    if language not in Language.values or not language:
        return HttpResponseBadRequest(_("Unknown language."))
    if request.user.is_authenticated:
        profile_set_language(user=request.user, language=language)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=False,
    )
    return response
