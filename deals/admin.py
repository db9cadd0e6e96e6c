from django.contrib import admin

from .models import Ask, AskEvent, Deal, DealEvent, Milestone, Thank


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
