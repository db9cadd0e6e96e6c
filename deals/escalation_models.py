"""What the escalation engine stores: each team's ladder, the nudges it fired, one
delivery per recipient and channel, and the chat webhooks it posts to.

Imported by deals.models, so Django sees these models as part of the deals app.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Clock(models.TextChoices):
    RESPONSE = "response", _("Response")
    DELIVERY = "delivery", _("Delivery")


class StepKind(models.TextChoices):
    REMINDER = "reminder", _("Reminder")
    BREACH = "breach", _("Overdue nudge")
    ESCALATE = "escalate", _("Escalation")
    MANUAL = "manual", _("Nudge")


class Anchor(models.TextChoices):
    BEFORE_DUE = "before_due", _("before the due time")
    AFTER_DUE = "after_due", _("after the due time")


class LadderStep(models.Model):
    """One rung of an escalation ladder. Rows without a team are the company default;
    a team with rows of its own for a clock uses those instead."""

    team = models.ForeignKey(
        "stakeholders.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ladder_steps",
        help_text=_("Empty for the company-wide default ladder."),
    )
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices)
    code = models.SlugField(
        _("code"), max_length=40, help_text=_("A stable name; each fires once per deadline.")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    level = models.PositiveSmallIntegerField(
        _("escalation level"),
        validators=[MaxValueValidator(9)],
        help_text=_("0 for a reminder, 1 at the breach, higher as it climbs."),
    )
    anchor = models.CharField(_("when"), max_length=10, choices=Anchor.choices)
    offset_days = models.DecimalField(
        _("business days from the due time"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("In the team's working days: 0.5 is half a working day."),
    )
    fraction = models.DecimalField(
        _("or at this share of the time"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "Reminders only: fire at this share of the working time to the deadline if "
            "that is later (0.80 = 80%), so a short ask is not reminded the moment it starts."
        ),
    )
    notify_assignee = models.BooleanField(_("tell the assignee"), default=False)
    copy_requester = models.BooleanField(_("copy the requester"), default=False)
    notify_assignee_manager = models.BooleanField(_("tell the assignee's manager"), default=False)
    notify_requester_manager = models.BooleanField(_("tell the requester's manager"), default=False)
    notify_deal_managers = models.BooleanField(_("tell the deal's managers"), default=False)
    suggest_convene = models.BooleanField(_("suggest convening the people involved"), default=False)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation ladder")
        ordering = ["team_id", "clock", "anchor", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "clock", "code"],
                condition=Q(team__isnull=False),
                name="ladderstep_unique_code_per_team",
            ),
            models.UniqueConstraint(
                fields=["clock", "code"],
                condition=Q(team__isnull=True),
                name="ladderstep_unique_default_code",
            ),
            models.CheckConstraint(
                condition=Q(clock__in=Clock.values), name="ladderstep_clock_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=StepKind.values) & ~Q(kind=StepKind.MANUAL),
                name="ladderstep_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(anchor__in=Anchor.values), name="ladderstep_anchor_valid"
            ),
            models.CheckConstraint(
                condition=Q(fraction__isnull=True) | Q(anchor=Anchor.BEFORE_DUE),
                name="ladderstep_fraction_before_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} · {self.code}"


# What a ladder step says, field by field: the admin edits these, the engine reads them.
LADDER_STEP_FIELDS = (
    "code",
    "kind",
    "level",
    "anchor",
    "offset_days",
    "fraction",
    "notify_assignee",
    "copy_requester",
    "notify_assignee_manager",
    "notify_requester_manager",
    "notify_deal_managers",
    "suggest_convene",
)


class Nudge(models.Model):
    """One ladder step fired for one ask, or a nudge a manager sent by hand."""

    # Lookups by ask use the unique constraint's index, which starts with ask.
    ask = models.ForeignKey(
        "deals.Ask", on_delete=models.CASCADE, related_name="nudges", db_index=False
    )
    clock = models.CharField(_("clock"), max_length=10, choices=Clock.choices)
    cycle = models.PositiveIntegerField(
        _("deadline"), help_text=_("Counts the deadlines agreed on this ask; 0 is the response.")
    )
    step_code = models.CharField(_("step"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=StepKind.choices)
    level = models.PositiveSmallIntegerField(_("escalation level"))
    due_at = models.DateTimeField(_("deadline it is about"))
    suggest_convene = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        help_text=_("Empty when the ladder fired it."),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("nudge")
        verbose_name_plural = _("nudges")
        ordering = ["created_at", "id"]
        constraints = [
            # The guarantee behind "never duplicated": a step fires at most once per
            # agreed deadline, whatever the sweeps do.
            models.UniqueConstraint(
                fields=["ask", "clock", "cycle", "step_code"], name="nudge_once_per_step"
            ),
            models.CheckConstraint(condition=Q(clock__in=Clock.values), name="nudge_clock_valid"),
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="nudge_kind_valid"),
        ]
        indexes = [
            # Deleting a person: the few nudges a manager sent by hand.
            models.Index(
                fields=["sent_by"], condition=Q(sent_by__isnull=False), name="nudge_sent_by"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.ask_id}"

    @property
    def topic(self) -> str:
        """For a nudge sent by hand, what it is about ("nudge", "reassigned", "extended",
        "snoozed", "convened", "outcome": deals/interventions.py); empty for the ladder's."""
        return self.step_code.split(":", 1)[0] if self.kind == StepKind.MANUAL else ""


class Provider(models.TextChoices):
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")
    FEISHU = "feishu", _("Feishu / Lark")
    SLACK = "slack", _("Slack")
    GENERIC = "generic", _("Generic JSON")


class ChatWebhook(models.Model):
    """A chat robot's incoming webhook, belonging to one person or one team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_webhooks",
    )
    team = models.ForeignKey(
        "stakeholders.Team",
        verbose_name=_("team"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="chat_webhooks",
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    label = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk, Feishu/Lark and generic JSON can sign each message."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    # The send times of the last minute, for the provider's rate limit; updated under the
    # row's lock so two senders share one allowance.
    recent_sends = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    class Meta:
        verbose_name = _("chat webhook")
        verbose_name_plural = _("chat webhooks")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(team__isnull=True))
                | (Q(user__isnull=True) & Q(team__isnull=False)),
                name="chatwebhook_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(provider__in=Provider.values), name="chatwebhook_provider_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.get_provider_display()


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In DealDesk")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Chat")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to send")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    DROPPED = "dropped", _("Not sent: no longer needed")


class RecipientRole(models.TextChoices):
    ASSIGNEE = "assignee", _("assignee")
    TEAM_LEAD = "team_lead", _("team lead (nobody has taken it)")
    REQUESTER = "requester", _("requester, copied")
    ASSIGNEE_MANAGER = "assignee_manager", _("assignee's manager")
    REQUESTER_MANAGER = "requester_manager", _("requester's manager")
    DEAL_MANAGER = "deal_manager", _("deal's manager")
    TEAM = "team", _("team chat")


class Delivery(models.Model):
    """One nudge to one recipient over one channel. In-app deliveries are the
    notification centre; the others are sent by a Celery task that claims them."""

    # The sweep writes four of these per nudge, so every index and check costs: the
    # foreign keys are served by the indexes below rather than by one index each, and
    # neither nudge nor recipient has a database-level constraint. Checking them cost
    # the sweep a lookup per row, a fifth of its database time at 25,000 nudges, while
    # deliveries are only ever written by the sweep, in the transaction that writes
    # their nudge, for people it has just read. Deleting a nudge or a person still
    # deletes their deliveries (Django's CASCADE).
    nudge = models.ForeignKey(
        Nudge,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
        db_constraint=False,
    )
    webhook = models.ForeignKey(
        ChatWebhook,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    role = models.CharField(_("as"), max_length=20, choices=RecipientRole.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    merged = models.BooleanField(
        default=False, help_text=_("Sent inside one summary because of a rate limit.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Not partial, so it also serves every lookup by nudge; chat rows have no
            # recipient, and NULLs never collide.
            models.UniqueConstraint(
                fields=["nudge", "recipient", "channel"],
                name="delivery_once_per_person_channel",
            ),
            models.UniqueConstraint(
                fields=["nudge", "webhook"],
                condition=Q(webhook__isnull=False),
                name="delivery_once_per_webhook",
            ),
            models.CheckConstraint(
                condition=(Q(channel=Channel.WEBHOOK) & Q(webhook__isnull=False))
                | (
                    ~Q(channel=Channel.WEBHOOK)
                    & Q(webhook__isnull=True)
                    & Q(recipient__isnull=False)
                ),
                name="delivery_channel_target",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="delivery_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]
        indexes = [
            # The notification centre (my deliveries, newest first) and lookups by
            # recipient.
            models.Index(fields=["recipient", "-created_at"], name="delivery_inbox"),
            # Lookups by webhook (deleting one), without indexing every NULL.
            models.Index(
                fields=["webhook"], condition=Q(webhook__isnull=False), name="delivery_webhook"
            ),
            # The header badge: my unread in-app notifications.
            models.Index(
                fields=["recipient"],
                condition=Q(channel="in_app") & Q(read_at__isnull=True),
                name="delivery_unread",
            ),
            # The sweep's catch-up: deliveries waiting for a (re)try or a lost enqueue.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_pending",
            ),
            # The sweep's catch-up: sends whose worker died holding the lease.
            models.Index(
                fields=["lease_until"], condition=Q(status="sending"), name="delivery_leased"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.get_status_display()}"
