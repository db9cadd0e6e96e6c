"""Brief templates by ask type, and the coach that says what a brief still lacks.

A vague ask ("make us a proposal") costs presales five rewrites; a knee-jerk one
("urgent!" on the customer's unverified word) costs the rep colleagues' trust. Each ask
type has a ``BriefTemplate`` of scaffolds the rep edits; ``coach_brief``, a pure function
the form refreshes through htmx as the rep types, says what would make the brief better.

Scoring:

1. Start at 100.
2. Look for problems, each with a penalty (its weight in brackets):
   - deliverable: still the template's text (25), or empty or too short (30);
   - details: still the template's text (25); otherwise no figures at all (15),
     template placeholders "…" left in (15), too short (10);
   - purpose: still the template's text (20), empty (25) or too short (15),
     placeholders left in (10);
   - audience: none chosen (20);
   - basis: urgency words while the basis is empty or unverified (15); otherwise a basis
     that is not verified yet (5);
   - deadline: none (15), in the past (20), sooner than the team's turnaround (10);
   - up to two of the type's own questions while the details are thin (0: prompts, not
     faults; thin details already cost points).
3. Subtract the penalties and clamp to 0-100: below 50 is "thin", below 80 "fair",
   otherwise "strong".
4. Hints come heaviest penalty first, so the top one is what to fix next.

Lengths are measured with ``_weight``: a CJK character counts as two Latin ones, since a
Chinese brief says as much in half the characters. Every message is lazy, so it renders
in the language active when it is shown.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override

from .models import AskType, Audience

DELIVERABLE_MIN = 12  # weight below which the deliverable says nothing specific
DETAILS_MIN = 40  # below this the details are too short
DETAILS_RICH = 80  # below this the type's own questions are shown
PURPOSE_MIN = 20
THIN_BELOW, FAIR_BELOW = 50, 80
PLACEHOLDER = "…"

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_DIGIT = re.compile(r"\d")  # also matches full-width digits
_URGENT = re.compile(
    r"\b(?:urgent(?:ly)?|asap|a\.s\.a\.p|immediately)\b|紧急|马上|立刻|加急|今天必须",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BriefTemplate:
    ask_type: str
    title: str
    deliverable: str
    details: str
    purpose: str
    audience: str
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Hint:
    field: str  # the form field it is about, so the UI can place it
    message: str


@dataclass(frozen=True)
class BriefReport:
    score: int
    level: str  # "thin" | "fair" | "strong"
    level_label: str
    hints: tuple[Hint, ...]


LEVEL_LABELS = {"thin": _("Thin brief"), "fair": _("Getting there"), "strong": _("Strong brief")}

PURPOSE = _(
    "It decides: … (the shortlist, the price, the parameters, or the customer's "
    "top-level decision)\nWhy now: …"
)


def _template(ask_type, title, deliverable, details, audience, *hints) -> BriefTemplate:
    return BriefTemplate(ask_type, title, deliverable, details, PURPOSE, audience, hints)


TEMPLATES = {
    t.ask_type: t
    for t in (
        _template(
            AskType.MARGIN_REVIEW,
            _("Margin review: customer, product, quantity"),
            _("Margin check on the attached quote: approve the price and discount, or adjust"),
            _(
                "Products and quantities: …\nList price and proposed price: …\nDiscount: …\n"
                "Payment terms: …\nDelivery terms (site, date, freight): …"
            ),
            Audience.INTERNAL,
            _("What discount are you asking for, and the lowest price the customer accepts?"),
            _("What are the payment terms: advance, milestones, warranty deposit?"),
            _("Who pays for freight, installation and training?"),
        ),
        _template(
            AskType.CONTRACT_REVIEW,
            _("Contract review: customer, contract"),
            _("Legal opinion on the marked clauses, with fallback wording we can offer"),
            _(
                "Clauses to review: …\nWarranty deposit (share, when released): …\n"
                "Liability cap: …\nPayment clause: …\n"
                "Customer's red lines (what they will not change): …"
            ),
            Audience.INTERNAL,
            _("Which clauses will the customer not change, and why?"),
            _("How much is the warranty deposit, and when is it released?"),
            _("Is there a liability cap, or a penalty for late delivery?"),
        ),
        _template(
            AskType.SOLUTION,
            _("Solution v1: customer, project"),
            _(
                "Solution document v1 (Word): system architecture, equipment list, "
                "implementation plan"
            ),
            _("Scope: …\nKey parameters: …\nMust integrate with: …\nCustomer files attached: …"),
            Audience.CUSTOMER_WORKING,
            _("Who at the customer will read it, and what do they care about?"),
            _("Which competitor are we up against, and where must we beat them?"),
            _("Is there a staged plan: v1 internal, v2 working level, v3 executives?"),
        ),
        _template(
            AskType.BID_DOCUMENT,
            _("Bid document: tender number, project"),
            _("Technical chapters of the bid document (Word and PDF), answering each scoring item"),
            _(
                "Tender number: …\nBid opening date: …\nChapters we write: …\n"
                "Scoring items to answer: …\nTender documents attached: …"
            ),
            Audience.CUSTOMER_WORKING,
            _("Which chapters and which scoring items?"),
            _("What is the tender number and the bid opening date?"),
            _("Are there mandatory (starred) requirements we do not fully meet?"),
        ),
        _template(
            AskType.QUOTE,
            _("Technical quote: customer, product, quantity"),
            _("Itemised technical quote (Excel): models, configuration, quantities, unit prices"),
            _("Models: …\nQuantities: …\nConfiguration and options: …\nDelivery site and date: …"),
            Audience.CUSTOMER_WORKING,
            _("Which models and options, and how many of each?"),
            _("Does the quote include installation, training and spare parts?"),
            _("Has the customer shared a budget figure?"),
        ),
        _template(
            AskType.DEMO,
            _("Demo: customer, scenario, date"),
            _("Live demo (on site or online) of the customer's scenarios, 45 minutes with Q&A"),
            _(
                "Date, time and place: …\nScenarios to show: …\nAttendees and their roles: …\n"
                "Customer data or equipment needed: …"
            ),
            Audience.CUSTOMER_WORKING,
            _("Which scenarios must the demo show, in the customer's words?"),
            _("Who attends from the customer, and what do they decide?"),
            _("On site or online, and what equipment is needed?"),
        ),
        _template(
            AskType.PRODUCTION_SLOT,
            _("Production slot: model, quantity, needed by date"),
            _("A confirmed production slot and delivery date, in writing"),
            _(
                "Model: …\nQuantity: …\nRequired delivery date: …\nDelivery site: …\n"
                "Non-standard requirements: …"
            ),
            Audience.INTERNAL,
            _("What is the latest delivery date the customer accepts, and why?"),
            _("Is it a standard model, or non-standard work?"),
            _("Can the delivery be split into batches?"),
        ),
        _template(
            AskType.APPROVAL,
            _("Approval: discount or resource, customer"),
            _("Your decision (yes, no, or yes with conditions) on the request below"),
            _(
                "Asking for: … (discount level, or the resource: people, budget, a visit)\n"
                "Deal size and margin: …\nBusiness case: …\nWhat happens without it: …"
            ),
            Audience.INTERNAL,
            _("Exactly what should be approved: which discount level, or which resource?"),
            _("What does the company get back: a reference site, future phases, margin?"),
            _("What happens to the deal if it is not approved?"),
        ),
        _template(
            AskType.SOURCING,
            _("Sourcing: material, quantity, needed by date"),
            _("A supplier, with confirmed price and lead time, for the material below"),
            _("Material and spec: …\nQuantity: …\nTarget price: …\nNeeded by: …\nSuppliers: …"),
            Audience.INTERNAL,
            _("What is the exact spec or part number?"),
            _("What target price makes the deal work?"),
            _("Is it a one-off non-standard order, or will it repeat?"),
        ),
        _template(
            AskType.OTHER,
            _("What you need: customer, project"),
            _("What you need delivered, in what form"),
            _("What exactly: …\nKey figures: …\nAttached: …"),
            Audience.INTERNAL,
            _("What does a finished result look like?"),
            _("What have you already tried, and what is attached?"),
        ),
    )
}


def template_for(ask_type: str) -> BriefTemplate:
    """The template for an ask type; an unknown type gets OTHER's."""
    return TEMPLATES.get(ask_type, TEMPLATES[AskType.OTHER])


MSG_DELIVERABLE = _("Say exactly what you need delivered: the document, its format and version.")
MSG_TEMPLATE = {
    "deliverable": _("Replace the template text of the deliverable with what you actually need."),
    "details": _("Replace the template text of the key details with the real figures."),
    "purpose": _("Replace the template text of why it matters with this deal's reason."),
}
MSG_FIGURES = _("What parameters matter? Give the figures: quantities, specs, prices, dates.")
MSG_PLACEHOLDERS = _("Fill in the … in the details.")
MSG_DETAILS_SHORT = _("Tell a little more: the scope, the key figures, what the customer sent.")
MSG_PURPOSE = _(
    "Why does this matter to the deal? Say what it decides: the shortlist, the price, "
    "the parameters, the customer's top-level decision."
)
MSG_PURPOSE_PLACEHOLDERS = _("Fill in the … in why it matters: what it decides, and why now.")
MSG_AUDIENCE = _(
    "Say who will read it: internal review, the customer's working level, or the "
    "customer's executives."
)
MSG_URGENT = _("This sounds urgent: what did the customer actually say, and have you verified it?")
MSG_VERIFY = _("Check what the customer said before colleagues act on it, then tick “verified”.")
MSG_NO_DUE = _("Propose a deadline.")
MSG_PAST_DUE = _("The deadline is in the past.")


def _too_soon(hours: int) -> str:
    return ngettext(
        "This team usually needs about %(hours)d business hour; say why it can't wait, "
        "or propose a later deadline.",
        "This team usually needs about %(hours)d business hours; say why it can't wait, "
        "or propose a later deadline.",
        hours,
    ) % {"hours": hours}


_too_soon_lazy = lazy(_too_soon, str)


def _weight(text: str) -> int:
    """Length that means something: a CJK character weighs 2, other non-space chars 1."""
    return sum(2 if _CJK.match(ch) else 1 for ch in text if not ch.isspace())


def _norm(text) -> str:
    return " ".join(str(text or "").split())


def _is_scaffold(text: str, scaffold) -> bool:
    """Whether the text is still the template's, in the active language or the source."""
    if not _norm(text):
        return False
    with override(None):
        source = _norm(scaffold)
    return _norm(text) in {_norm(scaffold), source}


def coach_brief(
    *,
    ask_type: str,
    title: str,
    deliverable: str,
    details: str,
    purpose: str,
    audience: str,
    basis: str,
    basis_verified: bool,
    proposed_due_at: datetime | None,
    now: datetime,
    turnaround_hours: int | None = None,
    template: BriefTemplate | None = None,
) -> BriefReport:
    """Score the brief 0-100 and say what to fix first; see the module docstring."""
    t = template or template_for(ask_type)
    title, deliverable, details, purpose, basis = (
        str(text or "") for text in (title, deliverable, details, purpose, basis)
    )
    found: list[tuple[int, Hint]] = []

    def flag(field: str, message, penalty: int) -> None:
        found.append((penalty, Hint(field, message)))

    if _is_scaffold(deliverable, t.deliverable):
        flag("deliverable", MSG_TEMPLATE["deliverable"], 25)
    elif _weight(deliverable) < DELIVERABLE_MIN:
        flag("deliverable", MSG_DELIVERABLE, 30)

    details_scaffold = _is_scaffold(details, t.details)
    if details_scaffold:
        flag("details", MSG_TEMPLATE["details"], 25)
    else:
        if not _DIGIT.search(details):
            flag("details", MSG_FIGURES, 15)
        if PLACEHOLDER in details:
            flag("details", MSG_PLACEHOLDERS, 15)
        if _weight(details) < DETAILS_MIN:
            flag("details", MSG_DETAILS_SHORT, 10)

    if _is_scaffold(purpose, t.purpose):
        flag("purpose", MSG_TEMPLATE["purpose"], 20)
    elif _weight(purpose) < PURPOSE_MIN:
        flag("purpose", MSG_PURPOSE, 15 if _norm(purpose) else 25)
    elif PLACEHOLDER in purpose:
        flag("purpose", MSG_PURPOSE_PLACEHOLDERS, 10)

    if audience not in Audience.values:
        flag("audience", MSG_AUDIENCE, 20)

    has_basis = bool(_norm(basis))
    texts = (title, deliverable, details, purpose, basis)
    if any(_URGENT.search(text) for text in texts) and not (has_basis and basis_verified):
        flag("basis", MSG_URGENT, 15)
    elif has_basis and not basis_verified:
        flag("basis_verified", MSG_VERIFY, 5)

    if proposed_due_at is None:
        flag("proposed_due_at", MSG_NO_DUE, 15)
    elif proposed_due_at < now:
        flag("proposed_due_at", MSG_PAST_DUE, 20)
    elif turnaround_hours and proposed_due_at - now < timedelta(hours=turnaround_hours):
        flag("proposed_due_at", _too_soon_lazy(turnaround_hours), 10)

    if details_scaffold or _weight(details) < DETAILS_RICH:
        for question in t.hints[:2]:
            flag("details", question, 0)

    score = max(0, min(100, 100 - sum(penalty for penalty, _hint in found)))
    level = "thin" if score < THIN_BELOW else "fair" if score < FAIR_BELOW else "strong"
    ordered = sorted(found, key=lambda item: -item[0])  # stable: rule order breaks ties
    return BriefReport(score, level, LEVEL_LABELS[level], tuple(h for _p, h in ordered))
