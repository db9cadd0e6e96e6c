"""Forms parse and validate input; the services decide what it means."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Role, Team, display_name

from .models import DEAL_EDITABLE_FIELDS, AskStatus, AskType, Audience, Deal, Provider, Stage

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the signed-in person's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


def due_field(label, required=True, help_text=""):
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=LocalDateTimeInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=help_text,
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        team = getattr(getattr(user, "profile", None), "team", None)
        return f"{display_name(user)} · {team.name}" if team else display_name(user)


def people():
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("profile__team")
        .order_by("profile__team__name", "first_name", "username")
    )


class DealForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = DEAL_EDITABLE_FIELDS
        widgets = {
            "expected_close_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "why_it_matters": forms.Textarea(attrs={"rows": 3}),
            "amount": forms.NumberInput(attrs={"min": "0", "step": "1000"}),
        }


class StakeholderForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices])
    user = PersonChoiceField(label=_("Person"), queryset=people(), empty_label="—")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people()


class DealFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All stages")), ("open", _("Open deals")), *Stage.choices],
    )
    scope = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=[("mine", _("My deals")), ("all", _("All I can see"))],
    )


class AskForm(forms.Form):
    ask_type = forms.ChoiceField(label=_("Type"), choices=AskType.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    assignee = PersonChoiceField(
        label=_("Assignee"),
        queryset=people(),
        required=False,
        empty_label=_("The team's queue (anyone in the team can take it)"),
    )
    deliverable = forms.CharField(label=_("Deliverable"), widget=forms.Textarea(attrs={"rows": 2}))
    details = forms.CharField(label=_("Key details"), widget=forms.Textarea(attrs={"rows": 5}))
    purpose = forms.CharField(
        label=_("Why it matters to the deal"), widget=forms.Textarea(attrs={"rows": 2})
    )
    audience = forms.ChoiceField(
        label=_("Who will see it"),
        choices=Audience.choices,
        widget=forms.RadioSelect,
    )
    proposed_due_at = due_field(_("Proposed deadline"))
    basis = forms.CharField(
        label=_("Basis: what the customer actually said"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    basis_verified = forms.BooleanField(label=_("I have verified this"), required=False)
    links = forms.CharField(
        label=_("Links (one per line)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["assignee"].queryset = people()

    def clean_proposed_due_at(self):
        # Checked here too, so it is reported alongside other missing fields at once.
        from .services import require_future

        value = self.cleaned_data["proposed_due_at"]
        try:
            return require_future(value, "proposed_due_at", timezone.now())
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["proposed_due_at"]) from None


class MilestoneForm(forms.Form):
    label = forms.CharField(label=_("Version"), max_length=100, required=False)
    due_at = due_field(_("Due"), required=False)
    audience = forms.ChoiceField(
        label=_("For"), choices=[("", "—"), *Audience.choices], required=False
    )

    def clean(self):
        data = super().clean()
        filled = [bool(data.get(f)) for f in ("label", "due_at", "audience")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Give each stage a version, a date and an audience."))
        return data

    @property
    def is_filled(self) -> bool:
        return bool(self.cleaned_data.get("label"))


MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=3, max_num=5, absolute_max=5)


# --- ask actions ------------------------------------------------------------------------


class CounterForm(forms.Form):
    due_at = due_field(_("New deadline"))
    note = forms.CharField(label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class QuestionForm(forms.Form):
    question = forms.CharField(
        label=_("What do you need from the requester?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 2}))


class DeliverForm(forms.Form):
    note = forms.CharField(
        label=_("What you are delivering"), widget=forms.Textarea(attrs={"rows": 2})
    )
    link = forms.CharField(label=_("Link"), required=False, max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still missing?"), widget=forms.Textarea(attrs={"rows": 2})
    )
    due_at = due_field(
        _("New deadline"),
        required=False,
        help_text=_("Leave empty for the team's usual turnaround from now."),
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("A word of thanks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class EmptyForm(forms.Form):
    pass


class SentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open")), *AskStatus.choices],
    )
    deal = forms.IntegerField(label=_("Deal"), required=False, min_value=1, max_value=2**63 - 1)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)


class QueueFilterForm(forms.Form):
    """A queue's filters, all in the URL so a view can be bookmarked and shared. A bad
    value drops only its own filter."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *AskType.choices]
    )
    deal = forms.IntegerField(label=_("Deal"), required=False, min_value=1, max_value=2**63 - 1)
    requester = forms.IntegerField(
        label=_("Requested by"), required=False, min_value=1, max_value=2**63 - 1
    )
    due = forms.ChoiceField(
        label=_("Due"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("overdue", _("Overdue")),
            ("today", _("Due today")),
            ("week", _("Later this week")),
            ("later", _("Later")),
        ],
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("rank", _("Most important first")), ("due", _("By due date"))],
    )
    member = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(AskStatus.choices)
        self.fields["status"].choices = [("", _("Any status"))] + [(s, labels[s]) for s in statuses]

    def value(self, name, default=None):
        data = getattr(self, "cleaned_data", {})
        return data.get(name) or default


class AssignForm(forms.Form):
    assignee = PersonChoiceField(label=_("Give it to"), queryset=None, empty_label=None)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, ask=None, **kwargs):
        super().__init__(*args, **kwargs)
        if ask is None:
            members = people().none()
        else:  # whoever could take it: the team, less its current holder and its requester
            members = people().filter(profile__team=ask.team_id)
            members = members.exclude(pk__in=[ask.requester_id, ask.assignee_id or 0])
        self.fields["assignee"].queryset = members


class SnoozeForm(forms.Form):
    until = due_field(
        _("Hold escalation until"),
        required=False,
        help_text=_("Leave empty to lift a snooze now."),
    )
    reason = forms.CharField(label=_("Why wait?"), widget=forms.Textarea(attrs={"rows": 2}))


class WebhookForm(forms.Form):
    provider = forms.ChoiceField(label=_("Chat app"), choices=Provider.choices)
    url = forms.CharField(
        label=_("Webhook address"),
        max_length=500,
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("From the robot's settings in the chat group."),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("DingTalk “加签”, Feishu/Lark signature, or the generic JSON signature key."),
    )
    label = forms.CharField(label=_("Name"), required=False, max_length=100)
    team = forms.ModelChoiceField(
        label=_("For"),
        queryset=None,
        required=False,
        empty_label=_("Me"),
        help_text=_("A team's webhook gets the nudges on the team's asks."),
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        from stakeholders.models import Team

        self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in teams])
        if not teams:
            del self.fields["team"]


# --- the manager's board ---------------------------------------------------------------


class BoardFilterForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), required=False)
    team = forms.IntegerField(label=_("Department"), required=False, min_value=1)
    person = forms.IntegerField(label=_("Person"), required=False, min_value=1)
    group = forms.ChoiceField(label=_("Group by"), required=False)

    def __init__(self, *args, reasons=(), groupings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("Every reason")), *reasons]
        self.fields["group"].choices = list(groupings)

    def value(self, name, default=None):
        return getattr(self, "cleaned_data", {}).get(name) or default


INTERVENTIONS = {
    "extend": _("Extend the deadline"),
    "reassign": _("Reassign"),
    "snooze": _("Snooze escalation"),
    "nudge": _("Nudge now"),
    "convene": _("Convene a huddle"),
}


class InterventionForm(forms.Form):
    """One intervention on one or more asks; the fields follow the kind."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("It goes on each ask's timeline and to the people told."),
    )

    def __init__(self, *args, kind: str, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == "extend":
            self.fields["due_at"] = due_field(_("New deadline"))
        elif kind == "reassign":
            members = people().filter(profile__team=team) if team is not None else people().none()
            self.fields["assignee"] = PersonChoiceField(
                label=_("Give it to"), queryset=members, empty_label=None
            )
        elif kind == "snooze":
            self.fields["until"] = due_field(
                _("Hold escalation until"),
                required=False,
                help_text=_("Leave empty to lift a snooze now."),
            )
        elif kind == "nudge":
            self.fields["reason"].label = _("Your message")
        elif kind == "convene":
            self.fields["reason"].label = _("The blocking point (the agenda)")
            self.fields["scheduled_at"] = due_field(_("When"))
            self.fields["place"] = forms.CharField(
                label=_("Where"),
                required=False,
                max_length=200,
                help_text=_("A room, or a meeting link."),
            )
        # The reason last: it reads as "why" after "what".
        self.order_fields([name for name in self.fields if name != "reason"] + ["reason"])


class HuddleOutcomeForm(forms.Form):
    outcome = forms.CharField(label=_("What was decided"), widget=forms.Textarea(attrs={"rows": 3}))
    owner = PersonChoiceField(label=_("Who owns it"), queryset=None, empty_label=None)

    def __init__(self, *args, huddle=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = huddle.participants.select_related("profile__team") if huddle else people().none()
        self.fields["owner"].queryset = qs
