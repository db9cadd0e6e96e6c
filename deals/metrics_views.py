"""The metrics page: department figures for everyone, personal figures for the reader
and the people who report to them, over the last 4 or 12 weeks.

One view serves the page and, for the htmx period switch, its results partial. What
each figure means is written down in deals/metrics.py.
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from stakeholders.models import display_name

from . import charts, metrics
from .metrics import Figures, format_hours, format_percent


@require_GET
def metrics_page(request):
    weeks = metrics.parse_weeks(request.GET.get("weeks"))
    now = timezone.now()
    period = metrics.period_ending(now, weeks, timezone.get_current_timezone())
    people = metrics.people_in_view(request.user)
    person = _chosen(request.GET.get("person"), {p.pk: p for p in people})
    result = metrics.compute(period, people)
    team = None
    if person is None:
        team = _chosen(request.GET.get("team"), {t.pk: t for t, _f in result.departments})

    context = {
        "weeks": weeks,
        "period": period,
        "period_from": date_format(timezone.localtime(period.start), "Y-m-d H:i"),
        "time_zone": timezone.get_current_timezone_name(),
        "period_options": _period_options(weeks, team, person),
        "all_url": _url(weeks),
        "other_weeks_url": _url(12 if weeks == 4 else 4, team, person),
        "team": team,
        "person": person,
        **_scope(request.user, result, team, person),
    }

    template = "deals/metrics.html"
    if request.htmx and not request.htmx.boosted and request.htmx.target == "metrics-results":
        template += "#metrics-results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _scope(reader, result: metrics.Metrics, team, person) -> dict:
    """What the page shows: one person's figures, one department's with its people
    below the reader, or every department and everyone below the reader."""
    period, weeks = result.period, result.period.weeks
    if person is not None:
        figures = dict(result.people)[person]
        home = _team_of(person)
        return {
            "scope": "person",
            "summary": _row(figures),
            "person_team": home,
            "person_team_url": _url(weeks, team=home) if home else "",
            **_trend(period, figures, display_name(person)),
        }
    if team is not None:
        figures = result.department(team.pk)
        members = [(p, f) for p, f in result.people if _team_of(p) == team]
        return {
            "scope": "team",
            "summary": _row(figures),
            "people_rows": [_person_row(p, f, weeks, reader) for p, f in members],
            **_trend(period, figures, team.name),
        }
    return {
        "scope": "all",
        "departments": [_department_row(t, f, weeks) for t, f in result.departments],
        "people_rows": [_person_row(p, f, weeks, reader) for p, f in result.people],
        **_department_charts(period, result.departments),
        **_trend(period, result.total, _("All departments")),
    }


def _chosen(raw, choices: dict):
    """The person or department named by ``raw`` (an id), else None when it is absent;
    an id outside ``choices`` is a 404, never a hint that it exists."""
    if raw is None or raw == "":
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    if pk not in choices:
        raise Http404
    return choices[pk]


def _team_of(user):
    profile = getattr(user, "profile", None)
    return profile.team if profile is not None and profile.team_id else None


def _url(weeks: int, team=None, person=None) -> str:
    query = {"weeks": weeks}
    if person is not None:
        query["person"] = person.pk
    elif team is not None:
        query["team"] = team.pk
    return reverse("metrics") + "?" + urlencode(query)


def _period_options(weeks: int, team, person) -> list[dict]:
    return [
        {
            "weeks": option,
            "label": ngettext("Last %(n)d week", "Last %(n)d weeks", option) % {"n": option},
            "url": _url(option, team, person),
            "current": option == weeks,
        }
        for option in metrics.WEEK_CHOICES
    ]


def _tone(rate: float | None) -> str:
    if rate is None:
        return "grey"
    if rate >= 0.9:
        return "green"
    if rate >= 0.75:
        return "amber"
    return "red"


def _row(figures: Figures) -> dict:
    """One department's or person's figures as they read in a table."""
    return {
        "figures": figures,
        "on_time": format_percent(figures.on_time_rate),
        "on_time_tone": _tone(figures.on_time_rate),
        "delivered": figures.delivered,
        "on_time_count": figures.on_time,
        "response": format_hours(figures.median_response),
        "turnaround": format_hours(figures.median_turnaround),
        "escalations": figures.escalation_counts,
        "thanks": figures.thanks,
        "overdue_now": figures.overdue_now,
        "active": figures.has_activity,
    }


def _department_row(team, figures: Figures, weeks: int) -> dict:
    return {**_row(figures), "team": team, "url": _url(weeks, team=team)}


def _person_row(person, figures: Figures, weeks: int, reader) -> dict:
    team = _team_of(person)
    return {
        **_row(figures),
        "person": person,
        "is_me": person.pk == reader.pk,
        "url": _url(weeks, person=person),
        "team": team,
        "team_url": _url(weeks, team=team) if team else "",
    }


def _weeks_phrase(weeks: int) -> str:
    return ngettext("the last %(n)d week", "the last %(n)d weeks", weeks) % {"n": weeks}


def _department_charts(period, departments) -> dict:
    """The on-time bars and the escalation stacks, one row per department with
    something to show, and the rows of the tables beside them."""
    phrase = _weeks_phrase(period.weeks)
    rated = [(t, f) for t, f in departments if f.delivered]
    on_time_chart = None
    if rated:
        on_time_chart = charts.horizontal_bars(
            [
                charts.Bar(
                    label=team.name,
                    value=f.on_time_rate,
                    text=_("%(rate)s of %(n)d")
                    % {"rate": format_percent(f.on_time_rate), "n": f.delivered},
                    tone=_tone(f.on_time_rate),
                )
                for team, f in rated
            ],
            chart_id="chart-on-time",
            title=_("On-time delivery by department, %(period)s") % {"period": phrase},
            description=_(
                "Each bar is the share of the department's delivered asks that met their "
                "agreed deadline, with how many were delivered. The table below has the "
                "same numbers."
            ),
        )
    escalated = [(t, f) for t, f in departments if f.escalation_total]
    escalation_chart = None
    if escalated:
        escalation_chart = charts.stacked_bars(
            [
                charts.Stack(
                    label=team.name, values=tuple(f.escalation_counts), text=str(f.escalation_total)
                )
                for team, f in escalated
            ],
            _escalation_series(),
            chart_id="chart-escalations",
            title=_("Escalations by level and department, %(period)s") % {"period": phrase},
            description=_(
                "Each bar splits the department's escalations into level 1 (overdue), level "
                "2 (the assignee's manager) and level 3 (the requester's and the deal's "
                "managers). The table below has the same numbers."
            ),
        )
    return {
        "on_time_chart": on_time_chart,
        "on_time_rows": [_department_row(t, f, period.weeks) for t, f in rated],
        "escalation_chart": escalation_chart,
        "escalation_rows": [_department_row(t, f, period.weeks) for t, f in escalated],
    }


def _escalation_series() -> list[charts.Series]:
    return [
        charts.Series(_("Level 1"), "amber"),
        charts.Series(_("Level 2"), "redlight"),
        charts.Series(_("Level 3 or higher"), "red"),
    ]


def _trend(period, figures: Figures, whose: str) -> dict:
    """The weekly overdue counts of one department, person or everyone: a column
    chart and its table."""
    rows = [
        {
            "week": week,
            "label": date_format(week.starts, "m-d"),
            "count": count,
        }
        for week, count in zip(period.week_list, figures.overdue, strict=True)
    ]
    chart = None
    if any(figures.overdue):
        chart = charts.columns(
            [
                charts.Column(label=row["label"], value=row["count"], text=str(row["count"]))
                for row in rows
            ],
            chart_id="chart-overdue",
            title=_("Asks overdue at the end of each week: %(whose)s, %(period)s")
            % {"whose": whose, "period": _weeks_phrase(period.weeks)},
            description=_(
                "One column per week, labelled with its Monday; the last column is now. "
                "The table below has the same numbers."
            ),
        )
    return {"trend_chart": chart, "trend_rows": rows}
