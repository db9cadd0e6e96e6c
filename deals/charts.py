"""Small charts drawn on the server as SVG: no JavaScript, no chart library, no CDN.

Each builder returns markup made with ``format_html`` (every label and title is
escaped, so a department called ``<script>`` stays text), carries ``role="img"`` with
a ``<title>`` and ``<desc>`` it is labelled by, and takes its colours from classes that
dealdesk.css fills with the palette's variables (the page's CSP allows no inline
styles). A chart never stands alone: the page puts a table with the same numbers
beside it, and every bar carries its number in words.

Sizes are in the SVG's own units; the chart scales to its container's width, so the
units are chosen for a phone first (about 360 px wide) and stay readable larger.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 360
FONT = 13  # the labels' font size, in SVG units (dealdesk.css sets the same)
SMALL = 11
ROW = 30  # one bar's row in a horizontal chart
BAR = 18


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: ``value`` from 0 to ``maximum`` (None when
    there is nothing to draw), ``text`` what the row says at its end ("92% · 13")."""

    label: str
    value: float | None
    text: str
    tone: str = "accent"  # accent, green, amber, red, grey


@dataclass(frozen=True)
class Stack:
    """One row of a stacked bar chart: a value per series, and the row's total in words."""

    label: str
    values: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class Series:
    name: str
    tone: str


@dataclass(frozen=True)
class Column:
    """One column of a column chart: ``label`` under it, ``value`` on top."""

    label: str
    value: int
    text: str
    tone: str = "red"


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` sets at ``size``: a Chinese character is a full em,
    Latin letters and digits a little over half."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")
    return wide * size + (len(text) - wide) * size * 0.58


def fit(text: str, width: float, size: float = FONT) -> str:
    """``text`` cut with "…" so it sets within ``width`` (the full text goes in the
    element's tooltip and the table)."""
    text = " ".join(str(text).split())
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _frame(chart_id: str, title: str, description: str, height: float, body) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" id="{id}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=WIDTH,
        h=_n(height),
        id=chart_id,
        title=title,
        desc=description,
        body=body,
    )


def _n(value: float) -> str:
    """A coordinate as SVG wants it: no exponent, at most one decimal."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(x: float, y: float, text: str, width: float, *, anchor: str = "start") -> SafeString:
    shown = fit(text, width)
    tooltip = format_html("<title>{}</title>", text) if shown != text else ""
    return format_html(
        '<text x="{}" y="{}" class="chart__label" text-anchor="{}">{}{}</text>',
        _n(x),
        _n(y),
        anchor,
        tooltip,
        shown,
    )


def horizontal_bars(
    bars: list[Bar],
    *,
    chart_id: str,
    title: str,
    description: str,
    maximum: float = 1.0,
    label_width: float = 100,
) -> SafeString:
    """One bar per row, its label on the left and its figure on the right: e.g. each
    department's on-time rate. The figures' column is as wide as the longest figure
    (up to a third of the chart), so a figure is never cut; labels are."""
    longest = max((_text_width(bar.text, FONT) for bar in bars), default=0)
    text_width = min(longest + 10, WIDTH / 3)
    plot_x = label_width + 8
    plot_w = WIDTH - plot_x - text_width
    top = 6
    rows = []
    for i, bar in enumerate(bars):
        y = top + i * ROW
        middle = y + ROW / 2
        track = format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="chart__track"/>',
            _n(plot_x),
            _n(middle - BAR / 2),
            _n(plot_w),
            BAR,
        )
        fill = ""
        if bar.value is not None and maximum > 0:
            share = min(max(bar.value / maximum, 0), 1)
            fill = format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="chart__bar tone-{}"/>',
                _n(plot_x),
                _n(middle - BAR / 2),
                _n(max(plot_w * share, 2 if share else 0)),
                BAR,
                bar.tone,
            )
        rows.append(
            format_html(
                "<g>{}{}{}{}</g>",
                _label(0, middle + FONT * 0.35, bar.label, label_width),
                track,
                fill,
                _label(plot_x + plot_w + 6, middle + FONT * 0.35, bar.text, text_width - 6),
            )
        )
    height = top * 2 + len(bars) * ROW
    return _frame(chart_id, title, description, height, _join(rows))


def stacked_bars(
    stacks: list[Stack],
    series: list[Series],
    *,
    chart_id: str,
    title: str,
    description: str,
    label_width: float = 100,
    text_width: float = 40,
) -> SafeString:
    """One bar per row split into its series, with a legend on top: e.g. each
    department's escalations by level."""
    plot_x = label_width + 8
    plot_w = WIDTH - plot_x - text_width
    biggest = max((sum(s.values) for s in stacks), default=0) or 1
    legend = []
    x, y = 0.0, 4.0
    for item in series:
        needs = 16 + _text_width(item.name, SMALL)
        if x and x + needs > WIDTH:  # wrap the legend rather than run off the chart
            x, y = 0.0, y + 18
        legend.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" rx="2" class="chart__bar tone-{}"/>'
                '<text x="{}" y="{}" class="chart__small">{}</text>',
                _n(x),
                _n(y),
                item.tone,
                _n(x + 16),
                _n(y + 10),
                item.name,
            )
        )
        x += needs + 14
    top = y + 20
    rows = []
    for i, stack in enumerate(stacks):
        y = top + i * ROW
        middle = y + ROW / 2
        parts = []
        x = plot_x
        for value, item in zip(stack.values, series, strict=True):
            if not value:
                continue
            width = plot_w * value / biggest
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="chart__bar tone-{}">'
                    "<title>{}: {}</title></rect>",
                    _n(x),
                    _n(middle - BAR / 2),
                    _n(width),
                    BAR,
                    item.tone,
                    item.name,
                    value,
                )
            )
            x += width
        rows.append(
            format_html(
                "<g>{}{}{}</g>",
                _label(0, middle + FONT * 0.35, stack.label, label_width),
                _join(parts),
                _label(x + 6, middle + FONT * 0.35, stack.text, text_width - 6),
            )
        )
    height = top + len(stacks) * ROW + 6
    return _frame(chart_id, title, description, height, _join([*legend, *rows]))


def columns(
    cols: list[Column],
    *,
    chart_id: str,
    title: str,
    description: str,
    plot_height: float = 120,
) -> SafeString:
    """One column per point with its value on top and its label under it: e.g. the
    asks overdue at the end of each week. With many columns, every other label is
    left out so they never overlap."""
    left, right = 4, 4
    top = FONT + 8
    slot = (WIDTH - left - right) / max(len(cols), 1)
    width = min(slot * 0.62, 40)
    biggest = max((c.value for c in cols), default=0) or 1
    every = 1
    while every * slot < _text_width("00-00", SMALL) + 6:
        every += 1
    base = top + plot_height
    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart__axis"/>',
            left,
            _n(WIDTH - right),
            _n(base),
            _n(base),
        )
    ]
    for i, col in enumerate(cols):
        center = left + slot * i + slot / 2
        h = plot_height * col.value / biggest
        if col.value:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" rx="2" '
                    'class="chart__bar tone-{}"/>',
                    _n(center - width / 2),
                    _n(base - h),
                    _n(width),
                    _n(h),
                    col.tone,
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" class="chart__value" text-anchor="middle">{}</text>',
                _n(center),
                _n(base - h - 5),
                col.text,
            )
        )
        # Count from the newest, so the current week always keeps its label.
        if (len(cols) - 1 - i) % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" class="chart__small" text-anchor="middle">{}</text>',
                    _n(center),
                    _n(base + SMALL + 5),
                    fit(col.label, slot * every - 4, SMALL),
                )
            )
    height = base + SMALL + 10
    return _frame(chart_id, title, description, height, _join(parts))


def _join(parts) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))
