"""The reports' charts: static Altair bar charts drawn to SVG with vl-convert.

Why SVG: WeasyPrint runs no JavaScript, so a Vega-Lite chart must arrive already drawn;
vl-convert draws it offline, and SVG keeps its text (project and indicator names) as
text in the PDF, sharp at any zoom. Print charts are fixed-size and carry their values
as labels (a printed page has no tooltip).
"""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from perfcore.exports.templates import FONT

BLUE, RED, GREY, GREEN, ORANGE = "#1f5fa8", "#c0392b", "#9aa5b1", "#2e7d32", "#e08a1e"
WIDTH = 560  # px: the content width of an A4 portrait page, less the axis labels
ROW = 22     # px per bar
LABEL_LIMIT = 260


def to_svg(chart: alt.TopLevelMixin) -> str:
    """An Altair chart as SVG markup, in the reports' CJK font."""
    import vl_convert as vlc  # loads a JavaScript engine: imported when a chart is drawn

    spec = chart.configure(font=FONT.split(",")[0].strip('"'), background="white").configure_view(stroke=None)
    return vlc.vegalite_to_svg(spec.to_json())


def bars(data: pd.DataFrame, category: str, value: str, title: str, *, axis_title: str, color: str = BLUE,
         number_format: str = ".2f", colors: Sequence[str] | None = None, color_field: str | None = None,
         count: bool = False) -> alt.LayerChart:
    """Horizontal bars in the given row order, each with its value written beside it.

    ``count``: integer axis ticks (a count never has 0.5); ``color_field`` + ``colors``: one
    colour per category of that field (else every bar ``color``).
    """
    order = list(data[category])
    axis = alt.Axis(format="d", tickMinStep=1) if count else alt.Axis(format=number_format.replace("+", ""))
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X(f"{value}:Q", title=axis_title, axis=axis, scale=alt.Scale(zero=True)),
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
    """Per level 1 (perfcore.views.level1_summary): rule score and points lost stacked to the weight."""
    long = summary.melt(id_vars="一级指标", value_vars=["规则得分", "扣分"], var_name="类别", value_name="分")
    long["分"] = long["分"].astype(float).clip(lower=0)
    return (
        alt.Chart(long).mark_bar()
        .encode(
            y=alt.Y("一级指标:N", sort=list(summary["一级指标"]), title=None),
            x=alt.X("分:Q", title="分", stack="zero"),
            color=alt.Color("类别:N", scale=alt.Scale(domain=["规则得分", "扣分"], range=[BLUE, RED]),
                            legend=alt.Legend(title=None, orient="bottom")),
            order=alt.Order("类别:N", sort="descending"),
        )
        .properties(width=WIDTH, height=max(60, 28 * len(summary)), title="各一级指标规则得分与扣分")
    )
