"""Writes to people, teams and deal teams."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Language, Profile, Role, Stakeholder, display_name


def _require_manager(deal, actor) -> None:
    from deals.selectors import deal_is_managed_by
    from deals.services import ActionNotAllowed

    if not deal_is_managed_by(deal, actor):
        raise ActionNotAllowed(_("Only the deal's owner or their managers can change its team."))


@transaction.atomic
def deal_add_stakeholder(*, deal, user, role: str, actor, note: str = "") -> Stakeholder:
    from deals.models import DealEvent, DealEventKind

    _require_manager(deal, actor)
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if user is None or not user.is_active:
        raise ValidationError({"user": _("Choose a person.")})
    try:
        with transaction.atomic():
            holder = Stakeholder.objects.create(deal=deal, user=user, role=role, note=note.strip())
    except IntegrityError:
        raise ValidationError(
            {
                "user": _("%(person)s is already on this deal as %(role)s.")
                % {"person": display_name(user), "role": Role(role).label}
            }
        ) from None
    DealEvent.objects.create(
        deal=deal,
        actor=actor,
        kind=DealEventKind.STAKEHOLDER_ADDED,
        # The role is stored as its code and labelled when shown, in the reader's language.
        data={"user": user.pk, "name": display_name(user), "role": role},
    )
    return holder


@transaction.atomic
def deal_remove_stakeholder(*, stakeholder: Stakeholder, actor) -> None:
    from deals.models import DealEvent, DealEventKind

    _require_manager(stakeholder.deal, actor)
    DealEvent.objects.create(
        deal=stakeholder.deal,
        actor=actor,
        kind=DealEventKind.STAKEHOLDER_REMOVED,
        data={
            "user": stakeholder.user_id,
            "name": display_name(stakeholder.user),
            "role": stakeholder.role,
        },
    )
    stakeholder.delete()


def profile_set_language(*, user, language: str) -> Profile:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose a language.")})
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.language = language
    profile.save(update_fields=["language"])
    return profile


def profile_update_preferences(
    *, user, language: str, time_zone: str, email_notifications: bool = True
) -> Profile:
    errors = {}
    if language not in Language.values:
        errors["language"] = _("Choose a language.")
    if time_zone not in available_timezones():
        errors["time_zone"] = _("Choose a time zone from the list.")
    if errors:
        raise ValidationError(errors)
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.language = language
    profile.time_zone = time_zone
    profile.email_notifications = email_notifications
    profile.save(update_fields=["language", "time_zone", "email_notifications"])
    return profile
