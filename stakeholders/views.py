from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import selectors
from .forms import PreferencesForm
from .models import Language
from .services import profile_set_language, profile_update_preferences


@login_not_required
@require_POST
def set_language(request):
    """The header's language switch: saved on the profile, and in a cookie for sign-in."""
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


@require_GET
def profile(request, username: str):
    return render(
        request, "stakeholders/profile.html", selectors.person_page(request.user, username)
    )


@require_GET
def people_options(request):
    """<option>s for the deal team's person picker, filtered as the user types."""
    people = selectors.people_matching(
        request.GET.get("q", "").strip()[:50], request.GET.get("role", "")
    )
    return render(request, "stakeholders/profile.html#person-options", {"people": people})


@require_http_methods(["GET", "POST"])
def preferences(request):
    profile = request.user.profile
    form = PreferencesForm(
        request.POST or None,
        initial={
            "language": profile.language,
            "time_zone": profile.time_zone,
            "email_notifications": profile.email_notifications,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            profile_update_preferences(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field, errors)
        else:
            messages.success(request, _("Settings saved."))
            response = redirect("settings")
            if form.cleaned_data["language"]:
                response.set_cookie(
                    settings.LANGUAGE_COOKIE_NAME,
                    form.cleaned_data["language"],
                    max_age=365 * 24 * 3600,
                    samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                    secure=settings.LANGUAGE_COOKIE_SECURE,
                )
            return response
    status = 422 if form.is_bound else 200
    return render(request, "stakeholders/settings.html", {"form": form}, status=status)
