"""People and departments: teams, each person's profile, and roles on a deal's team."""

import datetime as dt
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Function(models.TextChoices):
    """What a department does for the company (DOMAIN.md's table)."""

    SALES = "sales", _("Sales")
    FINANCE = "finance", _("Finance")
    LEGAL = "legal", _("Legal")
    PRESALES = "presales", _("Presales")
    PRODUCTION = "production", _("Production / delivery")
    PROCUREMENT = "procurement", _("Procurement")
    AFTER_SALES = "after_sales", _("After-sales")
    RND = "rnd", _("R&D")
    IT = "it", _("IT")
    MANAGEMENT = "management", _("Sales management")


class Role(models.TextChoices):
    """A person's part on one deal's team."""

    SALES = "sales", _("Co-seller")
    FINANCE = "finance", _("Finance")
    LEGAL = "legal", _("Legal")
    PRESALES = "presales", _("Presales")
    PRODUCTION = "production", _("Production / delivery")
    PROCUREMENT = "procurement", _("Procurement")
    AFTER_SALES = "after_sales", _("After-sales")
    RND = "rnd", _("R&D")
    IT = "it", _("IT")
    MANAGER = "manager", _("Manager")

    @property
    def function(self) -> str:
        """The department that normally fills this role."""
        return Function.MANAGEMENT if self == Role.MANAGER else Function(self.value)


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


validate_weekdays = RegexValidator(
    r"^(?!.*(.).*\1)[1-7]{1,7}$",
    _("List working weekdays as digits 1 (Monday) to 7 (Sunday), each at most once."),
)


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    function = models.CharField(_("function"), max_length=20, choices=Function.choices)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    workday_start = models.TimeField(_("working day starts"), default=dt.time(9, 0))
    workday_end = models.TimeField(_("working day ends"), default=dt.time(18, 0))
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=7,
        default="12345",
        validators=[validate_weekdays],
        help_text=_("ISO weekdays, 1 = Monday … 7 = Sunday. Statutory holidays come on top."),
    )
    statutory_calendar = models.BooleanField(
        _("follows China's statutory calendar"),
        default=True,
        help_text=_(
            "Public holidays are off and make-up working days (调休) are on. Turn off for a "
            "team that works to another country's calendar."
        ),
    )
    response_hours = models.PositiveSmallIntegerField(
        _("default response time (business hours)"),
        default=4,
        help_text=_("How long the team has to agree, counter or decline a new ask."),
    )
    turnaround_hours = models.PositiveSmallIntegerField(
        _("default turnaround (business hours)"),
        default=16,
        help_text=_("The deadline suggested for a new ask when the requester has none."),
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(workday_end__gt=F("workday_start")),
                name="team_workday_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(response_hours__gt=0) & Q(turnaround_hours__gt=0),
                name="team_clocks_positive",
            ),
            models.CheckConstraint(
                condition=Q(function__in=Function.values), name="team_function_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Language(models.TextChoices):
    BROWSER = "", _("Same as my browser")
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="direct_reports",
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone]
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, blank=True, default=""
    )
    email_notifications = models.BooleanField(
        _("email me nudges"),
        default=True,
        help_text=_("Nudges always appear in DealDesk; this also sends them by email."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(condition=~Q(manager=F("user")), name="profile_not_own_manager"),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="profile_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return display_name(self.user)

    def clean(self) -> None:
        # The database stops a person managing themselves; a longer loop (A → B → A)
        # would make "my subtree" meaningless, so walk up the chain and refuse it.
        seen = {self.user_id}
        boss = self.manager
        while boss is not None:
            if boss.pk in seen:
                raise ValidationError({"manager": _("This would make a reporting loop.")})
            seen.add(boss.pk)
            boss = getattr(getattr(boss, "profile", None), "manager", None)


def display_name(user) -> str:
    """How people are named on screen: the full name if known, else the login."""
    return (user.get_full_name() or user.get_username()).strip()


class Stakeholder(models.Model):
    """A person's role on one deal's team (finance, legal, presales, manager, …)."""

    deal = models.ForeignKey("deals.Deal", on_delete=models.CASCADE, related_name="stakeholders")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="stakeholder_roles",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        ordering = ["role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "user", "role"], name="stakeholder_unique_per_deal_person_role"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="stakeholder_role_valid"
            ),
        ]
        indexes = [
            # deals_visible_to(): "deals where I am on the team".
            models.Index(fields=["user", "deal"], name="stakeholder_user_deal"),
        ]

    def __str__(self) -> str:
        return f"{display_name(self.user)} · {self.get_role_display()}"
