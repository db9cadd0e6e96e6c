"""Deals, the asks reps make on them, staged milestones and each ask's timeline."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Function

# The escalation engine's and the managers' models live in modules of their own;
# importing them here is what registers them with the deals app.
from .escalation_models import (  # noqa: F401
    LADDER_STEP_FIELDS,
    Anchor,
    Channel,
    ChatWebhook,
    Clock,
    Delivery,
    DeliveryStatus,
    LadderStep,
    Nudge,
    Provider,
    RecipientRole,
    StepKind,
)
from .manager_models import DealUpdate, DigestSent, Huddle  # noqa: F401


class Stage(models.TextChoices):
    """The sales stages the seeds use, then the two endings."""

    LEAD = "lead", _("Lead allocation")
    OPPORTUNITY = "opportunity", _("Opportunity conversion")
    EXPECTATIONS = "expectations", _("Guiding expectations")
    VALUE = "value", _("Creating value")
    SUCCESS = "success", _("Customer success")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = (Stage.LEAD, Stage.OPPORTUNITY, Stage.EXPECTATIONS, Stage.VALUE, Stage.SUCCESS)


class Currency(models.TextChoices):
    CNY = "CNY", _("CNY (¥)")
    USD = "USD", _("USD ($)")
    EUR = "EUR", _("EUR (€)")
    HKD = "HKD", _("HKD (HK$)")


class Deal(models.Model):
    customer = models.CharField(_("customer"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(
        _("amount"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="deals_owned",
    )
    why_it_matters = models.TextField(
        _("why it matters"),
        blank=True,
        help_text=_("What this deal is worth beyond its amount, in a sentence or two."),
    )
    reference_customer = models.BooleanField(
        _("reference customer"), default=False, help_text=_("A site other customers can visit.")
    )
    follow_on_phases = models.BooleanField(
        _("follow-on phases"), default=False, help_text=_("Phase two, phase three, expansion.")
    )
    demonstration_value = models.BooleanField(
        _("demonstration value"),
        default=False,
        help_text=_("A flagship or state-owned customer others in the industry follow."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="deal_stage_valid"),
            models.CheckConstraint(
                condition=Q(currency__in=Currency.values), name="deal_currency_valid"
            ),
        ]
        indexes = [
            # my_deals(): a rep's deals, open ones first.
            models.Index(fields=["owner", "stage"], name="deal_owner_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.title}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def strategic_flags(self) -> list[str]:
        flags = []
        if self.reference_customer:
            flags.append(_("Reference customer"))
        if self.follow_on_phases:
            flags.append(_("Follow-on phases"))
        if self.demonstration_value:
            flags.append(_("Demonstration value"))
        return flags


# What a rep may change on a deal (the form shows these; deal_update accepts these).
DEAL_EDITABLE_FIELDS = (
    "customer",
    "title",
    "amount",
    "currency",
    "stage",
    "expected_close_date",
    "why_it_matters",
    "reference_customer",
    "follow_on_phases",
    "demonstration_value",
)


class AskType(models.TextChoices):
    MARGIN_REVIEW = "margin_review", _("Quote / margin review")
    CONTRACT_REVIEW = "contract_review", _("Contract clause review")
    SOLUTION = "solution", _("Solution document")
    BID_DOCUMENT = "bid_document", _("Bid document")
    QUOTE = "quote", _("Technical quote")
    DEMO = "demo", _("Demo")
    PRODUCTION_SLOT = "production_slot", _("Production slot / delivery date")
    APPROVAL = "approval", _("Discount or resource approval")
    SOURCING = "sourcing", _("Material or supplier")
    OTHER = "other", _("Other")


# The department an ask of each type normally goes to; "other" lets the rep choose.
ASK_TYPE_FUNCTION = {
    AskType.MARGIN_REVIEW: Function.FINANCE,
    AskType.CONTRACT_REVIEW: Function.LEGAL,
    AskType.SOLUTION: Function.PRESALES,
    AskType.BID_DOCUMENT: Function.PRESALES,
    AskType.QUOTE: Function.PRESALES,
    AskType.DEMO: Function.PRESALES,
    AskType.PRODUCTION_SLOT: Function.PRODUCTION,
    AskType.APPROVAL: Function.MANAGEMENT,
    AskType.SOURCING: Function.PROCUREMENT,
}


class Audience(models.TextChoices):
    INTERNAL = "internal", _("Internal review")
    CUSTOMER_WORKING = "customer_working", _("Customer's working level")
    CUSTOMER_EXECUTIVE = "customer_executive", _("Customer's executives")


class AskStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    COUNTERED = "countered", _("Counter-proposed")
    AGREED = "agreed", _("Agreed")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting on requester")
    DELIVERED = "delivered", _("Delivered")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")
    REOPENED = "reopened", _("Reopened")


S = AskStatus
CLOSED_STATUSES = (S.DONE, S.DECLINED, S.CANCELLED)
OPEN_STATUSES = tuple(s for s in S if s not in CLOSED_STATUSES)
# States in which both sides have a deadline they agreed on.
AGREED_STATUSES = (S.AGREED, S.IN_PROGRESS, S.DELIVERED, S.DONE, S.REOPENED)
# Where the next move is the assignee's, and where it is the requester's.
ASSIGNEE_TURN_STATUSES = (S.PROPOSED, S.AGREED, S.IN_PROGRESS, S.REOPENED)
REQUESTER_TURN_STATUSES = (S.COUNTERED, S.WAITING, S.DELIVERED)
# Work the assignee still owes against an agreed deadline.
DEADLINE_STATUSES = (S.AGREED, S.IN_PROGRESS, S.REOPENED)
# What "overdue" is about: the above, plus an agreed ask whose assignee has proposed a
# later deadline (a counter-proposal must not hide that the agreed one has passed).
OVERDUE_STATUSES = (*DEADLINE_STATUSES, S.COUNTERED)


class Ask(models.Model):
    deal = models.ForeignKey(
        Deal, verbose_name=_("deal"), on_delete=models.CASCADE, related_name="asks"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="asks_sent",
    )
    team = models.ForeignKey(
        "stakeholders.Team",
        verbose_name=_("team"),
        on_delete=models.PROTECT,
        related_name="asks",
        help_text=_("The department doing the work; its queue holds the ask until assigned."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="asks_assigned",
    )
    ask_type = models.CharField(_("type"), max_length=20, choices=AskType.choices)
    title = models.CharField(_("title"), max_length=200)

    # The brief: what, which details, why it matters, who reads it, and on what basis.
    deliverable = models.TextField(_("deliverable"))
    details = models.TextField(_("key details"))
    purpose = models.TextField(_("why it matters to the deal"))
    audience = models.CharField(_("who will see it"), max_length=20, choices=Audience.choices)
    basis = models.TextField(
        _("basis"), blank=True, help_text=_("What the customer actually said, in their words.")
    )
    basis_verified = models.BooleanField(_("basis verified"), default=False)
    links = models.TextField(_("links"), blank=True, help_text=_("One per line."))

    status = models.CharField(
        _("status"), max_length=20, choices=AskStatus.choices, default=AskStatus.PROPOSED
    )
    proposed_due_at = models.DateTimeField(_("proposed deadline"))
    counter_due_at = models.DateTimeField(_("counter-proposed deadline"), null=True, blank=True)
    agreed_due_at = models.DateTimeField(_("agreed deadline"), null=True, blank=True)
    # Where a paused (waiting) or renegotiated (countered) ask goes back to.
    resume_status = models.CharField(max_length=20, choices=AskStatus.choices, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    delivery_note = models.TextField(_("delivery note"), blank=True)
    delivery_link = models.URLField(_("delivery link"), max_length=500, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)

    # Escalation (deals/escalation.py keeps these in step with the status and deadlines).
    respond_by = models.DateTimeField(
        _("response due"),
        null=True,
        blank=True,
        help_text=_("When the assignee should have agreed, countered or declined."),
    )
    ladder_clock = models.CharField(
        _("running clock"), max_length=10, choices=Clock.choices, blank=True
    )
    ladder_cycle = models.PositiveIntegerField(
        default=0, help_text=_("Counts the deadlines agreed; each starts a new ladder.")
    )
    ladder_started_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(_("escalation snoozed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("ask")
        verbose_name_plural = _("asks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=S.values), name="ask_status_valid"),
            models.CheckConstraint(condition=Q(ask_type__in=AskType.values), name="ask_type_valid"),
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="ask_audience_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=AGREED_STATUSES) | Q(agreed_due_at__isnull=False),
                name="ask_agreed_has_due",
            ),
            models.CheckConstraint(
                condition=~Q(status=S.COUNTERED)
                | (Q(counter_due_at__isnull=False) & ~Q(resume_status="")),
                name="ask_countered_has_counter",
            ),
            models.CheckConstraint(
                condition=~Q(status=S.WAITING)
                | (Q(waiting_since__isnull=False) & ~Q(resume_status="")),
                name="ask_waiting_has_since",
            ),
            models.CheckConstraint(
                condition=~Q(status=S.DECLINED) | ~Q(decline_reason=""),
                name="ask_declined_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=(S.DELIVERED, S.DONE)) | Q(delivered_at__isnull=False),
                name="ask_delivered_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=CLOSED_STATUSES) | Q(closed_at__isnull=False),
                name="ask_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CLOSED_STATUSES) | Q(closed_at__isnull=True),
                name="ask_open_not_closed",
            ),
        ]
        indexes = [
            # asks_waiting_on(user) and the personal queue: open asks assigned to me.
            models.Index(
                fields=["assignee", "status"],
                condition=Q(status__in=OPEN_STATUSES),
                name="ask_open_by_assignee",
            ),
            # The team queue: open asks of a team that nobody has taken yet.
            models.Index(
                fields=["team", "created_at"],
                condition=Q(assignee__isnull=True) & Q(status__in=OPEN_STATUSES),
                name="ask_unassigned_by_team",
            ),
            # Overdue sweeps and counts: open work ordered by its agreed deadline.
            models.Index(
                fields=["agreed_due_at"],
                condition=Q(status__in=OVERDUE_STATUSES),
                name="ask_deadline_open",
            ),
            # asks_sent_open(user): what a rep is waiting for.
            models.Index(fields=["requester", "status"], name="ask_requester_status"),
        ]

    def __str__(self) -> str:
        return self.title

    # Where the ask stands on its ladder lives in NudgeTimer (see why there); these read
    # it (select_related("nudge_timer") makes that free in lists), and
    # escalation.plan() sets them for escalation.save_timer() to store.
    def _ladder(self) -> dict:
        if "_ladder_position" not in self.__dict__:
            timer = None
            if self.pk:
                try:
                    timer = self.nudge_timer
                except NudgeTimer.DoesNotExist:
                    timer = None
            self._ladder_position = {
                "next_nudge_at": timer.next_nudge_at if timer else None,
                "ladder_step": timer.ladder_step if timer else 0,
                "escalation_level": timer.escalation_level if timer else 0,
            }
        return self._ladder_position

    @property
    def next_nudge_at(self):
        return self._ladder()["next_nudge_at"]

    @next_nudge_at.setter
    def next_nudge_at(self, value) -> None:
        self._ladder()["next_nudge_at"] = value

    @property
    def ladder_step(self) -> int:
        """How many steps of the running ladder have fired."""
        return self._ladder()["ladder_step"]

    @ladder_step.setter
    def ladder_step(self, value: int) -> None:
        self._ladder()["ladder_step"] = value

    @property
    def escalation_level(self) -> int:
        return self._ladder()["escalation_level"]

    @escalation_level.setter
    def escalation_level(self, value: int) -> None:
        self._ladder()["escalation_level"] = value

    def refresh_from_db(self, *args, **kwargs):
        self.__dict__.pop("_ladder_position", None)
        super().refresh_from_db(*args, **kwargs)
        self._state.fields_cache.pop("nudge_timer", None)

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def due_at(self):
        """The deadline that currently binds: the agreed one, else the one on the table."""
        if self.agreed_due_at is not None:
            return self.agreed_due_at
        if self.status == S.COUNTERED:
            return self.counter_due_at
        return self.proposed_due_at

    def is_overdue(self, now) -> bool:
        return (
            self.status in OVERDUE_STATUSES
            and self.agreed_due_at is not None
            and self.agreed_due_at < now
        )

    def whose_turn(self, user) -> bool:
        """True when the next move on this ask is ``user``'s."""
        if self.status in ASSIGNEE_TURN_STATUSES:
            return self.assignee_id == user.pk
        if self.status in REQUESTER_TURN_STATUSES:
            return self.requester_id == user.pk
        return False


class NudgeTimer(models.Model):
    """Where an ask stands on its escalation ladder: how many steps have fired, the
    level reached, and when the next step fires (the column the sweep claims by).

    A narrow table of its own rather than columns on the ask, because the sweep
    rewrites it for every due ask: on the ask, each rewrite would touch all of the
    ask's indexes; here it touches two, and the ask row is only read."""

    ask = models.OneToOneField(
        Ask, on_delete=models.CASCADE, primary_key=True, related_name="nudge_timer"
    )
    next_nudge_at = models.DateTimeField(_("next nudge"), null=True, blank=True)
    ladder_step = models.PositiveSmallIntegerField(
        default=0, help_text=_("How many steps of the running ladder have fired.")
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)

    class Meta:
        verbose_name = _("nudge timer")
        verbose_name_plural = _("nudge timers")
        indexes = [
            # sweep.claim(): asks whose next ladder step is due, soonest first.
            models.Index(
                fields=["next_nudge_at"],
                condition=Q(next_nudge_at__isnull=False),
                name="nudgetimer_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ask_id} · {self.next_nudge_at}"


class Milestone(models.Model):
    """A staged version of the deliverable, e.g. v1 internal, v2 working level, v3 execs."""

    ask = models.ForeignKey(Ask, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("order"))
    label = models.CharField(_("label"), max_length=100)
    due_at = models.DateTimeField(_("due"))
    audience = models.CharField(_("who will see it"), max_length=20, choices=Audience.choices)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["ask", "position"], name="milestone_unique_position"),
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="milestone_audience_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class EventKind(models.TextChoices):
    CREATED = "created", _("logged the ask")
    AGREED = "agreed", _("agreed the deadline")
    COUNTERED = "countered", _("proposed another deadline")
    COUNTER_ACCEPTED = "counter_accepted", _("accepted the new deadline")
    COUNTER_REJECTED = "counter_rejected", _("kept the original deadline")
    CLAIMED = "claimed", _("took the ask")
    ASSIGNED = "assigned", _("assigned the ask")
    STARTED = "started", _("started work")
    INFO_REQUESTED = "info_requested", _("asked for information")
    INFO_PROVIDED = "info_provided", _("answered")
    DELIVERED = "delivered", _("delivered")
    CONFIRMED = "confirmed", _("confirmed it is done")
    REOPENED = "reopened", _("reopened the ask")
    DECLINED = "declined", _("declined")
    CANCELLED = "cancelled", _("cancelled the ask")
    COMMENTED = "commented", _("commented")
    THANKED = "thanked", _("said thank you")
    SNOOZED = "snoozed", _("snoozed escalation")
    EXTENDED = "extended", _("extended the deadline")
    CONVENED = "convened", _("called a huddle")
    HUDDLE_OUTCOME = "huddle_outcome", _("recorded the huddle's outcome")


class AppendOnlyError(Exception):
    pass


class TimelineEvent(models.Model):
    """One line of a timeline: who did what, when. Written once by a service, never edited
    or deleted one by one (append-only)."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when DealDesk itself acted."),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The timeline is append-only; record a new event instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The timeline is append-only.")


class AskEvent(TimelineEvent):
    """An ask's timeline, with the status change each event made."""

    ask = models.ForeignKey(Ask, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what happened"), max_length=30, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, choices=AskStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AskStatus.choices, blank=True)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("ask event")
        verbose_name_plural = _("ask events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="askevent_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["ask", "created_at"], name="askevent_timeline")]


class Thank(models.Model):
    """Credit a requester gives the colleague who delivered; shown on their profile and to
    their manager, so helping a deal counts upward."""

    ask = models.ForeignKey(Ask, on_delete=models.CASCADE, related_name="thanks")
    thanked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thanks_given"
    )
    thanked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thanks_received"
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("thank-you")
        verbose_name_plural = _("thank-yous")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One thank-you per ask and person: credit, not a counter to inflate.
            models.UniqueConstraint(
                fields=["ask", "thanked_by", "thanked"], name="thank_once_per_ask"
            ),
            models.CheckConstraint(
                condition=~Q(thanked_by=models.F("thanked")), name="thank_not_yourself"
            ),
        ]
        indexes = [
            # The profile page: thanks a person received, newest first.
            models.Index(fields=["thanked", "-created_at"], name="thank_received"),
        ]

    def __str__(self) -> str:
        return f"{self.thanked_by} → {self.thanked}"


class DealEventKind(models.TextChoices):
    CREATED = "created", _("created the deal")
    UPDATED = "updated", _("updated the deal")
    STAGE_CHANGED = "stage_changed", _("moved the deal to a new stage")
    STAKEHOLDER_ADDED = "stakeholder_added", _("added to the deal team")
    STAKEHOLDER_REMOVED = "stakeholder_removed", _("removed from the deal team")


class DealEvent(TimelineEvent):
    """Changes to the deal itself and its team; the deal's timeline merges these with its
    asks' events."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what happened"), max_length=30, choices=DealEventKind.choices)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("deal event")
        verbose_name_plural = _("deal events")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DealEventKind.values), name="dealevent_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["deal", "created_at"], name="dealevent_timeline")]
