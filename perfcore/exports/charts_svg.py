"""The reports' charts: static Altair bar charts drawn to SVG with vl-convert.

Why SVG: WeasyPrint runs no JavaScript, so a Vega-Lite chart must arrive already drawn;
vl-convert draws it offline, and SVG keeps its text (project and indicator names) as
text in the PDF, sharp at any zoom. Print charts are fixed-size and carry their values
as labels (a printed page has no tooltip).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

import altair as alt
import pandas as pd

from perfcore.exports.templates import FONT
from perfcore.views import level1_parts

BLUE, RED, GREY, GREEN, ORANGE = "#1f5fa8", "#c0392b", "#9aa5b1", "#2e7d32", "#e08a1e"
UNSCORED = "#c3c9d3"  # weight of items not read or not judgeable: neither scored nor lost
WIDTH = 560  # px: the content width of an A4 portrait page, less the axis labels
ROW = 22     # px per bar
LABEL_LIMIT = 260


_MEASURED_FONT = 'font-family="sans-serif"'  # what Vega writes for its default font


def draw(spec: str, fonts: str) -> str:
    """Vega-Lite JSON drawn to SVG by vl-convert, its text then named in ``fonts`` (a CSS font list).

    Why not ``config.font``: naming the CJK font made vl-convert measure text 2× slower (0.95 against
    0.46 s for a 90-bar chart) for the same layout; its default font falls back to the same
    installed Noto CJK glyphs, so the text is measured as it will be drawn.
    """
    import vl_convert as vlc  # loads a JavaScript engine: imported when a chart is drawn

    named = 'font-family="' + fonts.replace('"', "'") + '"'
    return vlc.vegalite_to_svg(spec).replace(_MEASURED_FONT, named)


def warm_up() -> None:
    """Start vl-convert's JavaScript engine (≈0.4 s), so a page's first chart does not pay for it."""
    draw(alt.Chart(pd.DataFrame({"x": [1]})).mark_bar().encode(x="x:Q").to_json(), "sans-serif")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """An Altair chart as SVG markup, in the reports' CJK font."""
    return draw(chart.configure(background="white").configure_view(stroke=None).to_json(), FONT)


NO_DATA = "无数据：所选范围内没有可画的内容"


def no_data(title: str, note: str = NO_DATA) -> alt.Chart:
    """What a chart of an empty selection shows: its title and a Chinese note, no empty axes (issue 19)."""
    return (alt.Chart(pd.DataFrame({"说明": [note]})).mark_text(fontSize=13, color="#6b7280")
            .encode(text="说明:N").properties(title=title, height=80))


_STEPS = (1, 2, 5)


def count_ticks(top: float, most: int = 10) -> list[int]:
    """Whole-number ticks from 0 past ``top`` (step 1, 2, 5, 10, 20, 50…, at most ``most`` + 1 ticks).

    Why explicit values: ``format="d"`` with ``tickMinStep=1`` still drew the ticks 0, 0.5, 1, 1.5, 2
    as “0 1 1 2 2” (vl-convert's Vega-Lite); a count has no half.
    """
    end = max(1, math.ceil(float(top) if pd.notna(top) else 0.0))
    scale = 1
    while True:
        for step in (s * scale for s in _STEPS):
            if math.ceil(end / step) <= most:
                return list(range(0, math.ceil(end / step) * step + 1, step))
        scale *= 10


def count_axis(top: float) -> tuple[alt.Axis, alt.Scale]:
    """The axis and scale of a count (findings, forms): integer ticks only, from 0 to the last tick."""
    ticks = count_ticks(top)
    return alt.Axis(format="d", values=ticks), alt.Scale(domain=[0, ticks[-1]], nice=False)


def bars(data: pd.DataFrame, category: str, value: str, title: str, *, axis_title: str, color: str = BLUE,
         number_format: str = ".2f", colors: Sequence[str] | None = None, color_field: str | None = None,
         count: bool = False) -> alt.TopLevelMixin:
    """Horizontal bars in the given row order, each with its value written beside it.

    ``count``: integer axis ticks (a count never has 0.5); ``color_field`` + ``colors``: one
    colour per category of that field (else every bar ``color``). No rows: the no_data note.
    """
    if data.empty:
        return no_data(title).properties(width=WIDTH)
    order = list(data[category])
    if count:
        axis, scale = count_axis(float(data[value].max()))
    else:
        axis, scale = alt.Axis(format=number_format.replace("+", "")), alt.Scale(zero=True)
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X(f"{value}:Q", title=axis_title, axis=axis, scale=scale),
    )
    if color_field and colors:
        domain = list(dict.fromkeys(data[color_field]))
        fill = alt.Color(f"{color_field}:N", scale=alt.Scale(domain=domain, range=list(colors)[:len(domain)]),
                         legend=None)
        marks = base.mark_bar().encode(color=fill)
    else:
        marks = base.mark_bar(color=color)
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text=alt.Text(f"{value}:Q", format=number_format))
    return (marks + text).properties(width=WIDTH, height=max(60, ROW * len(data)), title=title)


def level1_chart(summary: pd.DataFrame) -> alt.Chart:
    """Per level 1 (perfcore.views.level1_summary): rule score, points lost and weight not scored, stacked."""
    parts = level1_parts(summary)
    long = summary.melt(id_vars="一级指标", value_vars=parts, var_name="类别", value_name="分")
    long["分"] = long["分"].astype(float).clip(lower=0)
    return (
        alt.Chart(long).mark_bar()
        .encode(
            y=alt.Y("一级指标:N", sort=list(summary["一级指标"]), title=None),
            x=alt.X("分:Q", title="分", stack="zero"),
            color=alt.Color("类别:N", scale=alt.Scale(domain=parts, range=[BLUE, RED, UNSCORED]),
                            legend=alt.Legend(title=None, orient="bottom")),
            order=alt.Order("类别:N", sort="descending"),
        )
        .properties(width=WIDTH, height=max(60, 28 * len(summary)), title="各一级指标规则得分与扣分")
    )


# --- the pages' charts --------------------------------------------------------------------
#
# The pages show the same Altair charts (ui/charts.py) drawn to SVG too: a browser then loads
# no Vega code and paints a finished picture (issue 14: Vega cost each new browser ~0.5 s of
# its ~2.5 s). Screen fonts: the server measures the text with Noto CJK; a leader's PC without
# it shows the same glyph widths in Microsoft YaHei or PingFang.
PAGE_FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif'
PAGE_WIDTH = 500  # px: a chart in one of two columns of the wide layout at 1440 px; it scales down to fit a narrower one
_AXIS = {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal", "labelColor": "#31333f",
         "titleColor": "#31333f", "gridColor": "#e6eaf1", "domainColor": "#c3c9d3", "tickColor": "#c3c9d3"}
_LEGEND = {"labelFontSize": 12, "titleFontSize": 12, "labelColor": "#31333f", "titleColor": "#31333f"}
_PAGE_CONFIG = {"background": "white", "axis": _AXIS, "legend": _LEGEND, "view": {"stroke": None},
                "title": {"fontSize": 14, "color": "#31333f", "anchor": "start"}}


# Room around a page chart, inside its width: on the left for a category label drawn wider than the
# server measured it (a screen font other than Noto: “深化“一网通办”专项费用” lost its first character),
# on the right for the value written past the longest bar (“8,340,000.0” lost its last digit).
PAGE_PADDING = {"left": 16, "top": 5, "right": 12, "bottom": 5}
VALUE_CHAR_PX = 7  # px of one digit, comma or % of a value label (font size 10–11)


def label_room(texts: Sequence[str]) -> dict[str, int]:
    """The padding a page chart needs for the value labels written past its longest bars."""
    longest = max((len(t) for t in texts if t), default=0)
    return {**PAGE_PADDING, "right": max(PAGE_PADDING["right"], longest * VALUE_CHAR_PX + 8)}


def page_spec(chart: alt.TopLevelMixin, width: int = PAGE_WIDTH) -> str:
    """A page chart's Vega-Lite JSON, fitted to ``width`` px with its axis labels (the cache key of its SVG).

    Built as a dict, unvalidated: Altair's copies and schema checks were half a warm page run (the
    chart builders are validated by tests/test_charts.py). ``padding`` set by the chart (label_room)
    is kept; else PAGE_PADDING.
    """
    spec = chart.to_dict(validate=False)
    spec.setdefault("padding", PAGE_PADDING)
    spec.update(width=width, autosize={"type": "fit", "contains": "padding"},
                config={**spec.get("config", {}), **_PAGE_CONFIG})
    return json.dumps(spec, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)


_ARIA = re.compile(r' (?:aria-[a-z]+|role)="[^"]*"')


def page_svg(spec: str) -> str:
    """A page_spec drawn to SVG in the screen fonts, without the per-mark aria attributes (a picture
    has its alt text; they were a third of the bytes)."""
    return _ARIA.sub("", draw(spec, PAGE_FONT))
