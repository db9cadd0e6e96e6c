from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from deals.models import LADDER_STEP_FIELDS, LadderStep

from .models import Profile, Stakeholder, Team


class LadderStepInline(admin.TabularInline):
    """A team's own escalation ladder; with no rows the company default applies."""

    model = LadderStep
    extra = 0
    fields = ["clock", *LADDER_STEP_FIELDS]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    inlines = [LadderStepInline]
    list_display = [
        "name",
        "function",
        "lead",
        "workday_start",
        "workday_end",
        "response_hours",
        "turnaround_hours",
    ]
    list_filter = ["function", "time_zone"]
    search_fields = ["name", "lead__username", "lead__first_name", "lead__last_name"]
    autocomplete_fields = ["lead"]


class ProfileInline(admin.StackedInline):
    model = Profile
    fk_name = "user"
    can_delete = False
    autocomplete_fields = ["team", "manager"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PersonAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "last_name", "email", "team", "manager", "is_staff"]
    list_filter = [*UserAdmin.list_filter, "profile__team", "profile__team__function"]
    list_select_related = ["profile__team", "profile__manager"]

    @admin.display(description=_("team"), ordering="profile__team__name")
    def team(self, obj):
        return obj.profile.team

    @admin.display(description=_("reports to"))
    def manager(self, obj):
        return obj.profile.manager


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "manager", "job_title", "time_zone", "language"]
    list_filter = ["team", "language", "time_zone"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "job_title"]
    autocomplete_fields = ["user", "team", "manager"]
    list_select_related = ["user", "team", "manager"]


@admin.register(Stakeholder)
class StakeholderAdmin(admin.ModelAdmin):
    list_display = ["deal", "user", "role", "added_at"]
    list_filter = ["role"]
    search_fields = ["deal__customer", "deal__title", "user__username", "user__first_name"]
    autocomplete_fields = ["deal", "user"]
    list_select_related = ["deal", "user"]
