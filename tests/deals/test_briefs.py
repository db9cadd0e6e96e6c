"""The brief templates and the brief-quality coach: pure functions, no database."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import override

from deals.briefs import (
    TEMPLATES,
    BriefReport,
    _weight,
    coach_brief,
    template_for,
)
from deals.models import AskType, Audience

NOW = timezone.now()

SPECIFIC = {
    "ask_type": AskType.SOLUTION,
    "title": "Solution v1: Sinopec Zhenhai, tank farm monitoring",
    "deliverable": "Solution document v1 (Word): architecture, 3-site equipment list, rollout plan",
    "details": (
        "Scope: 3 tank farms, 120 tanks\n"
        "Key parameters: 2,400 sensors, 1 s sampling, 99.9% uptime\n"
        "Must integrate with: their SAP PM and the existing DCS (Honeywell)\n"
        "Customer documents attached: RFI v2, site drawings"
    ),
    "purpose": "Decides whether we make the shortlist of 3 at next Wednesday's review.",
    "audience": Audience.CUSTOMER_WORKING,
    "basis": "",
    "basis_verified": False,
    "proposed_due_at": NOW + timedelta(days=5),
    "now": NOW,
    "turnaround_hours": 16,
}

CHINESE = {
    **SPECIFIC,
    "title": "镇海炼化罐区监测方案第一版",
    "deliverable": "解决方案文档第一版（Word）：系统架构、设备清单、实施计划",
    "details": (
        "范围：三个罐区共120个储罐\n"
        "关键参数：接入2400个测点，采集周期1秒，可用性99.9%\n"
        "必须对接：客户现有的SAP设备管理和霍尼韦尔DCS系统\n"
        "已附客户资料：技术规范书第2版、现场图纸"
    ),
    "purpose": "决定我们能否进入短名单：客户下周三评审，只留三家。",
}


def coach(**changes) -> BriefReport:
    return coach_brief(**{**SPECIFIC, **changes})


def messages(report: BriefReport) -> list[str]:
    with override("en"):
        return [str(hint.message) for hint in report.hints]


def test_a_specific_brief_is_strong_with_no_hints():
    report = coach()
    assert (report.score, report.level, report.hints) == (100, "strong", ())
    with override("en"):
        assert str(report.level_label) == "Strong brief"


def test_a_specific_chinese_brief_is_strong_with_no_hints():
    report = coach(**CHINESE)
    assert (report.score, report.level, report.hints) == (100, "strong", ())


def test_a_cjk_character_weighs_as_much_as_two_latin_ones():
    assert _weight("方案") == 4
    assert _weight("v1 方案") == 6
    assert _weight("  \n") == 0


def test_a_vague_make_us_a_proposal_brief_is_thin_and_says_what_is_missing():
    report = coach(
        deliverable="A proposal",
        details="",
        purpose="",
        audience="",
        proposed_due_at=None,
    )
    assert (report.score, report.level) == (0, "thin")
    with override("en"):
        assert str(report.level_label) == "Thin brief"
    fields = [hint.field for hint in report.hints]
    assert fields[0] == "deliverable"  # the heaviest problem comes first
    assert {"deliverable", "details", "purpose", "audience", "proposed_due_at"} <= set(fields)
    text = " ".join(messages(report))
    assert "Say exactly what you need delivered" in text
    assert "Give the figures" in text
    assert "Why does this matter to the deal?" in text
    assert "Say who will read it" in text
    assert "Propose a deadline." in text


def test_a_vague_chinese_brief_is_thin():
    report = coach(deliverable="做个方案", details="尽快", purpose="", audience="")
    assert report.level == "thin"
    assert report.hints[0].field == "deliverable"


def test_details_without_any_figures_ask_for_them():
    report = coach(
        details="Scope: all their tank farms, with the usual sensors, integrating with SAP."
    )
    assert report.level == "strong"
    assert messages(report) == [
        "What parameters matter? Give the figures: quantities, specs, prices, dates.",
        "Who at the customer will read it, and what do they care about?",
        "Which competitor are we up against, and where must we beat them?",
    ]


def test_thin_details_bring_up_the_types_own_questions():
    report = coach(ask_type=AskType.BID_DOCUMENT, details="Tender 2024-118")
    assert [hint.field for hint in report.hints] == ["details"] * 3
    assert messages(report) == [
        "Tell a little more: the scope, the key figures, what the customer sent.",
        "Which chapters and which scoring items?",
        "What is the tender number and the bid opening date?",
    ]
    assert report.level == "strong"  # the questions are prompts, not faults


def test_a_short_purpose_asks_what_it_decides():
    report = coach(purpose="Important")
    assert [hint.field for hint in report.hints] == ["purpose"]
    assert report.score == 85


def test_urgency_without_a_verified_basis_asks_what_the_customer_said():
    report = coach(title="URGENT: solution for Sinopec", basis="")
    assert report.hints[0].field == "basis"
    assert messages(report) == [
        "This sounds urgent: what did the customer actually say, and have you verified it?"
    ]


@pytest.mark.parametrize("words", ["客户说马上要", "今天必须给", "Need it asap", "加急"])
def test_urgency_words_in_either_language_are_caught(words):
    report = coach(details=SPECIFIC["details"] + "\n" + words, basis="They said so")
    assert [hint.field for hint in report.hints] == ["basis"]


def test_urgency_with_a_verified_basis_is_fine():
    report = coach(
        purpose="Urgent: the customer moved the shortlist review to Monday 9:00.",
        basis="Procurement head Wang confirmed by phone: review moved to Monday.",
        basis_verified=True,
    )
    assert report.hints == ()


def test_an_unverified_basis_gets_a_gentle_nudge():
    report = coach(basis="Their engineer said our price is 20% too high.")
    assert [hint.field for hint in report.hints] == ["basis_verified"]
    assert report.level == "strong"


def test_a_missing_deadline_is_flagged():
    report = coach(proposed_due_at=None)
    assert messages(report) == ["Propose a deadline."]


def test_a_deadline_in_the_past_is_flagged():
    report = coach(proposed_due_at=NOW - timedelta(hours=1))
    assert messages(report) == ["The deadline is in the past."]


def test_a_deadline_sooner_than_the_teams_turnaround_is_flagged():
    report = coach(proposed_due_at=NOW + timedelta(hours=4), turnaround_hours=16)
    assert [hint.field for hint in report.hints] == ["proposed_due_at"]
    assert messages(report) == [
        "This team usually needs about 16 business hours; say why it can't wait, "
        "or propose a later deadline."
    ]


def test_without_a_known_turnaround_a_near_deadline_is_fine():
    assert coach(proposed_due_at=NOW + timedelta(hours=4), turnaround_hours=None).hints == ()


def test_untouched_template_text_is_flagged():
    with override("en"):
        template = template_for(AskType.QUOTE)
        report = coach(
            ask_type=AskType.QUOTE,
            deliverable=str(template.deliverable),
            details=str(template.details),
            purpose=str(template.purpose),
        )
    texts = messages(report)
    assert sum(text.startswith("Replace the template text of") for text in texts) == 3
    assert len(set(texts)) == len(texts), "each hint names its own field"
    assert [h.field for h in report.hints][:3] == ["deliverable", "details", "purpose"]
    assert report.level == "thin"


def test_template_text_in_the_source_language_counts_as_untouched_in_any_language():
    template = template_for(AskType.SOLUTION)
    with override("en"):
        deliverable = str(template.deliverable)
    with override("zh-hans"):
        report = coach(deliverable=deliverable)
    assert [hint.field for hint in report.hints] == ["deliverable"]


def test_placeholders_left_in_the_details_are_flagged():
    report = coach(details=SPECIFIC["details"].replace("RFI v2, site drawings", "…"))
    assert "Fill in the … in the details." in messages(report)


def test_every_ask_type_has_a_template_with_hints():
    assert set(TEMPLATES) == set(AskType.values)
    with override("en"):
        for ask_type in AskType.values:
            template = template_for(ask_type)
            assert template.ask_type == ask_type
            assert template.audience in Audience.values
            assert 2 <= len(template.hints) <= 4
            assert all(str(hint).endswith("?") for hint in template.hints)
            assert str(template.title) and str(template.deliverable)
            assert "…" in str(template.details) and "…" in str(template.purpose)


def test_an_unchanged_template_is_never_a_strong_brief():
    for ask_type in AskType.values:
        template = template_for(ask_type)
        report = coach(
            ask_type=ask_type,
            deliverable=template.deliverable,
            details=template.details,
            purpose=template.purpose,
            audience=template.audience,
        )
        assert report.level == "thin", ask_type


def test_unknown_type_falls_back_to_other():
    assert template_for("telepathy") is template_for(AskType.OTHER)
    assert template_for(AskType.OTHER).ask_type == AskType.OTHER


def test_the_level_thresholds():
    fair = coach(audience="", proposed_due_at=None)  # 100 - 20 - 15
    assert (fair.score, fair.level) == (65, "fair")
    with override("en"):
        assert str(fair.level_label) == "Getting there"
