"""What managers work with beyond the asks themselves: huddles they convene over stalled
asks, the weekly three-part deal updates reps write them, and the Monday digest."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Huddle(models.Model):
    """A manager calls the people an ask is stuck between to one table (seed 002): the
    assignees, the requester and their leads, over the blocking point, at a time; what
    was decided, and who owns it, is recorded and shows on every ask it covers."""

    asks = models.ManyToManyField("deals.Ask", related_name="huddles", verbose_name=_("asks"))
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="huddles_convened",
        verbose_name=_("convened by"),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="huddles", verbose_name=_("participants")
    )
    agenda = models.TextField(_("the blocking point"))
    scheduled_at = models.DateTimeField(_("when"))
    place = models.CharField(
        _("where"), max_length=200, blank=True, help_text=_("A room, or a meeting link.")
    )
    outcome = models.TextField(_("outcome"), blank=True)
    outcome_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="huddle_outcomes_owned",
        verbose_name=_("owner of the outcome"),
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("huddle")
        verbose_name_plural = _("huddles")
        ordering = ["-scheduled_at", "-id"]
        constraints = [
            # An outcome is a decision with someone on it, recorded at a time.
            models.CheckConstraint(
                condition=Q(outcome="")
                | (Q(outcome_owner__isnull=False) & Q(outcome_recorded_at__isnull=False)),
                name="huddle_outcome_has_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.agenda[:60]

    @property
    def has_outcome(self) -> bool:
        return bool(self.outcome)


class DealUpdate(models.Model):
    """A rep's weekly word to their manager on one open deal, in three parts (seed 003):
    the facts, my plan, and the help I need from you. One per deal and week; the week
    is its Monday in the rep's time zone."""

    deal = models.ForeignKey(
        "deals.Deal", on_delete=models.CASCADE, related_name="updates", verbose_name=_("deal")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deal_updates",
        verbose_name=_("author"),
    )
    week = models.DateField(_("week of"))
    facts = models.TextField(_("the facts"))
    plan = models.TextField(_("my plan"))
    help_needed = models.TextField(_("the help I need from you"), blank=True)
    help_ask = models.OneToOneField(
        "deals.Ask",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="from_update",
        verbose_name=_("ask made from the help needed"),
    )
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("deal update")
        verbose_name_plural = _("deal updates")
        ordering = ["-week", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "week"], name="dealupdate_once_a_week"),
        ]
        indexes = [
            # A manager's inbox: the week's updates of the people below them.
            models.Index(fields=["author", "week"], name="dealupdate_author_week"),
        ]

    def __str__(self) -> str:
        return f"{self.deal} · {self.week}"


class DigestSent(models.Model):
    """The weekly manager digest went out: at most one per manager and week, whatever
    the hourly beat and its retries do."""

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    week = models.DateField(_("week of"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["manager", "week"], name="digest_once_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.manager_id} · {self.week}"
