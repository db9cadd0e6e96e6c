from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Language

# The zones our users work in first, then every other one.
COMMON_ZONES = [
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
]


def zone_choices():
    rest = sorted(available_timezones() - set(COMMON_ZONES))
    return [(z, z) for z in COMMON_ZONES] + [(z, z) for z in rest]


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=zone_choices)
    email_notifications = forms.BooleanField(
        label=_("Email me nudges and escalations"),
        required=False,
        help_text=_("They always appear under Notifications. Email waits for your working hours."),
    )
