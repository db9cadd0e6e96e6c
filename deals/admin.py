from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import (
    LADDER_STEP_FIELDS,
    Ask,
    AskEvent,
    Channel,
    ChatWebhook,
    Deal,
    DealEvent,
    DealUpdate,
    Delivery,
    DeliveryStatus,
    DigestSent,
    Huddle,
    LadderStep,
    Milestone,
    Nudge,
    NudgeTimer,
    Thank,
)


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):
    list_display = [
        "customer",
        "title",
        "amount",
        "currency",
        "stage",
        "owner",
        "expected_close_date",
    ]
    list_filter = [
        "stage",
        "currency",
        "reference_customer",
        "follow_on_phases",
        "demonstration_value",
    ]
    search_fields = ["customer", "title", "owner__username", "owner__first_name"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0


class AskEventInline(admin.TabularInline):
    """The timeline is append-only: shown here, never edited here."""

    model = AskEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "actor", "kind", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ask)
class AskAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "deal",
        "ask_type",
        "status",
        "requester",
        "assignee",
        "team",
        "agreed_due_at",
    ]
    list_filter = ["status", "ask_type", "audience", "team"]
    search_fields = [
        "title",
        "deal__customer",
        "deal__title",
        "requester__username",
        "assignee__username",
    ]
    autocomplete_fields = ["deal", "requester", "assignee", "team"]
    list_select_related = ["deal", "requester", "assignee", "team"]
    inlines = [MilestoneInline, AskEventInline]
    date_hierarchy = "created_at"


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["label", "ask", "due_at", "audience", "delivered_at"]
    list_filter = ["audience"]
    search_fields = ["label", "ask__title"]
    autocomplete_fields = ["ask"]


class ReadOnlyTimelineAdmin(admin.ModelAdmin):
    """Timelines are append-only: the admin shows them and never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AskEvent)
class AskEventAdmin(ReadOnlyTimelineAdmin):
    list_display = ["created_at", "ask", "actor", "kind", "from_status", "to_status"]
    list_filter = ["kind"]
    search_fields = ["ask__title", "note", "actor__username"]
    list_select_related = ["ask", "actor"]


@admin.register(DealEvent)
class DealEventAdmin(ReadOnlyTimelineAdmin):
    list_display = ["created_at", "deal", "actor", "kind", "note"]
    list_filter = ["kind"]
    search_fields = ["deal__customer", "deal__title", "note", "actor__username"]
    list_select_related = ["deal", "actor"]


@admin.register(Thank)
class ThankAdmin(admin.ModelAdmin):
    list_display = ["created_at", "thanked", "thanked_by", "ask"]
    list_filter = ["created_at"]
    search_fields = [
        "thanked__username",
        "thanked__first_name",
        "thanked_by__username",
        "ask__title",
    ]
    list_select_related = ["thanked", "thanked_by", "ask"]
    autocomplete_fields = ["ask", "thanked", "thanked_by"]


@admin.register(LadderStep)
class LadderStepAdmin(admin.ModelAdmin):
    """The escalation ladders: rows without a team are the company default; a team with
    rows of its own for a clock uses only those."""

    list_display = ["team", "clock", *LADDER_STEP_FIELDS]
    list_filter = ["clock", "kind", "team"]
    search_fields = ["code", "team__name"]
    list_select_related = ["team"]
    autocomplete_fields = ["team"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["channel", "recipient", "webhook", "role", "status", "attempts", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Nudge)
class NudgeAdmin(ReadOnlyTimelineAdmin):
    list_display = ["created_at", "ask", "clock", "cycle", "step_code", "kind", "level"]
    list_filter = ["kind", "clock", "level"]
    search_fields = ["ask__title", "step_code"]
    list_select_related = ["ask"]
    inlines = [DeliveryInline]


@admin.action(description=_("Try again now"))
def retry_now(modeladmin, request, queryset):
    """A failed delivery whose cause is fixed (a webhook URL corrected) goes out again on
    the next sweep."""
    # Not in-app ones (shown at once) nor ones a sender holds right now (a double send).
    count = (
        queryset.exclude(channel=Channel.IN_APP)
        .exclude(status=DeliveryStatus.SENDING)
        .update(
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            enqueued_at=None,
            lease_until=None,
        )
    )
    modeladmin.message_user(request, _("%(count)d deliveries will be retried.") % {"count": count})


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Every email and chat message with its status: failures are listed here for
    admins (filter by status), and shown to the person concerned in their notifications."""

    list_display = [
        "created_at",
        "channel",
        "recipient",
        "webhook",
        "role",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "channel", "role"]
    search_fields = ["recipient__username", "nudge__ask__title", "last_error"]
    list_select_related = ["recipient", "webhook", "nudge"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = [retry_now]

    def has_add_permission(self, request):
        return False


@admin.register(ChatWebhook)
class ChatWebhookAdmin(admin.ModelAdmin):
    list_display = ["__str__", "provider", "user", "team", "enabled", "created_at"]
    list_filter = ["provider", "enabled"]
    search_fields = ["label", "user__username", "team__name"]
    list_select_related = ["user", "team"]
    autocomplete_fields = ["user", "team"]
    exclude = ["recent_sends"]


@admin.register(NudgeTimer)
class NudgeTimerAdmin(ReadOnlyTimelineAdmin):
    """When each ask's next ladder step fires; the engine keeps it, nobody edits it."""

    list_display = ["ask", "next_nudge_at"]
    list_filter = [("next_nudge_at", admin.EmptyFieldListFilter), "next_nudge_at"]
    search_fields = ["ask__title"]
    list_select_related = ["ask"]


@admin.register(Huddle)
class HuddleAdmin(admin.ModelAdmin):
    list_display = ["scheduled_at", "agenda", "convened_by", "outcome_owner"]
    list_filter = ["scheduled_at"]
    search_fields = ["agenda", "outcome", "convened_by__username"]
    list_select_related = ["convened_by", "outcome_owner"]
    autocomplete_fields = ["asks", "participants", "convened_by", "outcome_owner"]


@admin.register(DealUpdate)
class DealUpdateAdmin(admin.ModelAdmin):
    list_display = ["week", "deal", "author", "help_ask"]
    list_filter = ["week"]
    search_fields = ["deal__customer", "deal__title", "author__username", "help_needed"]
    list_select_related = ["deal", "author", "help_ask"]
    autocomplete_fields = ["deal", "author", "help_ask"]


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    list_display = ["week", "manager", "sent_at"]
    list_filter = ["week"]
    list_select_related = ["manager"]
    search_fields = ["manager__username", "manager__first_name"]
    raw_id_fields = ["manager"]
