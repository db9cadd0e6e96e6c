"""Writes to people, teams and deal teams."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import Language, Profile, Role, Stakeholder


@transaction.atomic
def deal_add_stakeholder(*, deal, user, role: str, note: str = "") -> Stakeholder:
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    try:
        with transaction.atomic():
            return Stakeholder.objects.create(deal=deal, user=user, role=role, note=note.strip())
    except IntegrityError:
        raise ValidationError(
            {
                "user": _("%(person)s is already on this deal as %(role)s.")
                % {"person": user.get_full_name() or user.get_username(), "role": Role(role).label}
            }
        ) from None


@transaction.atomic
def deal_remove_stakeholder(*, stakeholder: Stakeholder) -> None:
    stakeholder.delete()


def profile_set_language(*, user, language: str) -> Profile:
    if language not in Language.values:
        raise ValidationError({"language": _("Choose a language.")})
    profile, _created = Profile.objects.get_or_create(user=user)
    profile.language = language
    profile.save(update_fields=["language"])
    return profile
