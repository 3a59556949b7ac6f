"""Altair charts of the pages (pure functions: DataFrame in, chart out; no Streamlit).

Why here and not in perfcore: charts are presentation; keeping them out of the page
scripts lets tests read their Vega-Lite specs and keeps the pages short.
"""
from __future__ import annotations

import math

import altair as alt
import pandas as pd

from perfcore import fmt, views
from perfcore.exports.charts_svg import count_axis, label_room, no_data

RULE_COLOR = "#1f5fa8"
DECLARED_COLOR = "#e08a1e"
LOSS_COLOR = "#c0392b"  # red means points lost or a problem (扣分, 错误), nothing else
MARK_COLOR = "#555555"  # reference lines (the 90% line)
UNSCORED_COLOR = "#c3c9d3"  # weight of items not read or not judgeable: neither scored nor lost
# Axis formats, one rule (perfcore.fmt): scores and amounts two decimals, rates two decimals with %,
# counts integers on whole-number ticks (charts_svg.count_axis). A chart of no rows is a Chinese
# note, not empty axes (charts_svg.no_data); value labels get room on the right (label_room).
SCORE_AXIS = alt.Axis(format=fmt.AXIS_SCORE)
RATE_AXIS = alt.Axis(format=fmt.AXIS_RATE)
GRADE_COLORS = {"优": "#2e7d32", "良": "#1f5fa8", "中": "#e08a1e", "差": "#c0392b"}
LABEL_LIMIT = 220  # px of a category label before it is cut with “…”
_HEIGHT_PER_ROW = 34
_HEIGHT_FRAME = 120  # axis, axis title and chart title; Streamlit fits all of it into the height


def _labels(chart: alt.Chart, field: str, number_format: str) -> alt.Chart:
    """The figure of each mark written beside it: the pages show charts as pictures (no hover)."""
    return chart.mark_text(align="left", dx=3, fontSize=11, color="#31333f").encode(
        text=alt.Text(field, format=number_format))


def _room(values: pd.Series) -> alt.Scale:
    """A scale from 0 with room right of the longest bar for its label."""
    top = float(values.max()) if len(values) and pd.notna(values.max()) else 0.0
    return alt.Scale(domain=[0, max(top * 1.15, 1.0)], nice=True)


def _height(n: int) -> int:
    """Chart height for n bars (or n y-axis categories)."""
    return max(220, _HEIGHT_FRAME + n * _HEIGHT_PER_ROW)


def level1_scores(summary: pd.DataFrame) -> alt.Chart:
    """Per level 1: rule score, points lost (and weight not scored) stacked to the weight (views.level1_summary)."""
    parts = views.level1_parts(summary)
    long = summary.melt(id_vars="一级指标", value_vars=parts, var_name="类别", value_name="分")
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("一级指标:N", sort=list(summary["一级指标"]), title=None),
            x=alt.X("分:Q", title="分", stack="zero", axis=SCORE_AXIS),
            color=alt.Color("类别:N", scale=alt.Scale(domain=parts, range=[RULE_COLOR, LOSS_COLOR, UNSCORED_COLOR]),
                            legend=alt.Legend(title=None)),
            order=alt.Order("类别:N", sort="descending"),
            tooltip=["一级指标:N", "类别:N", alt.Tooltip("分:Q", format=".2f")],
        )
        .properties(height=_height(len(summary)), title="各一级指标得分与扣分")
    )


def rate_by_project(table: pd.DataFrame) -> alt.Chart:
    """Execution rate (spent / full-year budget) per project (views.with_labels rows), 90% line marked.

    Projects whose rate cannot be computed (no budget or no spending figure) get no empty
    bar: they are left out and counted in the title.
    """
    data = table.dropna(subset=["rate"]).assign(执行率=lambda d: d["rate"].astype(float))
    missing = len(table) - len(data)
    title = "各项目预算执行率（虚线 = 90%）" + (f"；{missing} 个项目无法计算执行率，未画出" if missing else "")
    if data.empty:
        return no_data(title)
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=list(data.sort_values("执行率")["label"]), title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X("执行率:Q", axis=RATE_AXIS, title="预算执行率（全年执行数 ÷ 全年预算数）",
                scale=alt.Scale(domain=[0, max(1.1, float(data["执行率"].max()) * 1.1 if len(data) else 1.1)])),
    )
    bars = base.mark_bar(color=RULE_COLOR).encode(
        tooltip=[alt.Tooltip("project:N", title="项目"), alt.Tooltip("unit:N", title="实施单位"),
                 alt.Tooltip("执行率:Q", format=fmt.AXIS_RATE)])
    line = alt.Chart(pd.DataFrame({"x": [0.9]})).mark_rule(color=MARK_COLOR, strokeDash=[4, 3]).encode(x="x:Q")
    return (bars + _labels(base, "执行率:Q", fmt.AXIS_RATE) + line).properties(
        height=_height(len(data)), title=title, padding=label_room([fmt.percent(v) for v in data["执行率"]]))


def budget_by_project(table: pd.DataFrame, unit: str, scale: float) -> alt.Chart:
    """年初预算数 / 全年预算数 / 全年执行数 side by side per project, in the display unit.

    Every bar carries its amount as a label: beside 8,000,000 元 a 7,980 元 bar is a sliver,
    and the label keeps it readable.
    """
    names = {"initial": "年初预算数", "budget": "全年预算数", "executed": "全年执行数"}
    title = f"年初预算、全年预算与执行（{unit}，条末为金额）"
    if table.empty:
        return no_data(title)
    long = table.melt(id_vars=["label"], value_vars=list(names), var_name="k", value_name="yuan")
    long = long.assign(口径=long["k"].map(names), 金额=long["yuan"].astype(float) / scale)
    long = long.assign(文字=long["金额"].map(lambda v: "" if pd.isna(v) else fmt.thousands(v)))
    base = alt.Chart(long).encode(
        y=alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        yOffset=alt.YOffset("口径:N", sort=list(names.values())),
        x=alt.X("金额:Q", title=f"金额（{unit}）", axis=alt.Axis(format=fmt.AXIS_MONEY, tickCount=4),
                scale=alt.Scale(domainMin=0, nice=True)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color("口径:N", sort=list(names.values()), scale=alt.Scale(range=["#9aa5b1", RULE_COLOR, "#2e7d32"]),
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=[alt.Tooltip("label:N", title="项目"), alt.Tooltip("口径:N", title="口径"),
                 alt.Tooltip("金额:Q", title=f"金额（{unit}）", format=fmt.AXIS_MONEY)],
    )
    labels = base.mark_text(align="left", dx=3, fontSize=10, color="#333").encode(text="文字:N")
    return (bars + labels).properties(height=_height(len(table) * 2), title=title, padding=label_room(list(long["文字"])))


def deductions_stacked(frame: pd.DataFrame) -> alt.Chart:
    """Points lost per level 1, stacked by level 2 (Store.deductions(by="level2"))."""
    data = frame[frame["deduction"].fillna(0) > 0].assign(扣分=lambda d: d["deduction"].astype(float))
    if data.empty:
        return no_data("扣分构成（按一级 / 二级指标）", "所选项目没有扣分。")
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("level1:N", title="一级指标", sort="-y", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("扣分:Q", title="扣分合计（分）", axis=SCORE_AXIS),
            color=alt.Color("level2:N", title="二级指标", legend=alt.Legend(orient="right")),
            tooltip=[alt.Tooltip("level1:N", title="一级指标"), alt.Tooltip("level2:N", title="二级指标"),
                     alt.Tooltip("扣分:Q", format=".2f"), alt.Tooltip("n_forms:Q", title="涉及项目数", format="d")],
        )
        .properties(height=280, title="扣分构成（按一级 / 二级指标）")
    )


def top_deductions(frame: pd.DataFrame, n: int = 10) -> alt.Chart:
    """The indicators that lost the most points (Store.deductions(by="indicator"))."""
    data = frame[frame["deduction"].fillna(0) > 0].nlargest(n, "deduction")
    if data.empty:
        return no_data(f"扣分最多的指标（前 {n} 个）", "所选项目没有扣分。")
    data = data.assign(扣分=data["deduction"].astype(float))
    base = alt.Chart(data).encode(
        y=alt.Y("name:N", sort=list(data.sort_values("扣分", ascending=False)["name"]), title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X("扣分:Q", title="扣分合计（分）", axis=SCORE_AXIS, scale=_room(data["扣分"])),
    )
    bars = base.mark_bar(color=LOSS_COLOR).encode(
        tooltip=[alt.Tooltip("name:N", title="三级指标"), alt.Tooltip("level2:N", title="二级指标"),
                 alt.Tooltip("扣分:Q", format=".2f"), alt.Tooltip("n_forms:Q", title="涉及项目数")])
    return (bars + _labels(base, "扣分:Q", fmt.AXIS_SCORE)).properties(
        height=_height(len(data)), title=f"扣分最多的指标（前 {n} 个）", padding=label_room(list(data["扣分"].map(fmt.score))))


def declared_vs_rule(frame: pd.DataFrame) -> alt.Chart:
    """Declared and rule total per project on one axis: a gap to the right is self-score inflation."""
    data = frame.dropna(subset=["rule_total"]).assign(
        自评=lambda d: d["declared_total"].astype(float), 规则=lambda d: d["rule_total"].astype(float))
    if data.empty:
        return no_data("自评总分（橙色◆）与规则总分（蓝色●）")
    order = list(data.sort_values("difference", ascending=False)["label"])
    base = alt.Chart(data).encode(y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)))
    tooltip = [alt.Tooltip("label:N", title="项目"), alt.Tooltip("自评:Q", format=".2f"),
               alt.Tooltip("规则:Q", format=".2f"), alt.Tooltip("difference:Q", title="差额", format="+.2f")]
    gap = base.mark_rule(color="#888", strokeWidth=2).encode(
        x=alt.X("规则:Q", title="总分", axis=SCORE_AXIS, scale=alt.Scale(zero=False, padding=12)), x2="自评:Q")
    rule = base.mark_point(filled=True, size=90, color=RULE_COLOR).encode(x="规则:Q", tooltip=tooltip)
    declared = base.mark_point(filled=True, size=90, shape="diamond", color=DECLARED_COLOR).encode(
        x="自评:Q", tooltip=tooltip)
    return (gap + rule + declared).properties(
        height=_height(len(data)), title="自评总分（橙色◆）与规则总分（蓝色●）")


def findings_by_code(frame: pd.DataFrame, labels: dict[str, str]) -> alt.Chart:
    """Number of findings per check, named by its Chinese title (column ``title``), coloured by severity."""
    if frame.empty:
        return no_data("审核发现（按审核项目）", "所选项目没有审核发现。")
    data = frame.assign(严重程度=frame["severity"].map(labels).fillna(frame["severity"]),
                        审核项目=frame["title"] if "title" in frame else frame["code"])
    axis, scale = count_axis(float(data["n"].max()))
    base = alt.Chart(data).encode(
        y=alt.Y("审核项目:N", sort=list(data.sort_values("n", ascending=False)["审核项目"]), title=None,
                axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        x=alt.X("n:Q", title="条数", axis=axis, scale=scale),
    )
    return (
        base
        .mark_bar()
        .encode(
            color=alt.Color("严重程度:N", scale=alt.Scale(domain=list(labels.values()),
                                                       range=[LOSS_COLOR, DECLARED_COLOR, "#9aa5b1"]),
                            legend=alt.Legend(title="严重程度", orient="top")),
            tooltip=[alt.Tooltip("审核项目:N", title="审核项目"), alt.Tooltip("code:N", title="代码"),
                     alt.Tooltip("严重程度:N", title="严重程度"), alt.Tooltip("n:Q", title="条数", format="d"),
                     alt.Tooltip("n_forms:Q", title="涉及项目数", format="d"), alt.Tooltip("example:N", title="示例")],
        )
        + _labels(base, "n:Q", ",d")
    ).properties(height=_height(len(data)), title="审核发现（按审核项目）",
                 padding=label_room([fmt.count(n) for n in data["n"]]))


def _score_floor(low: float) -> float:
    """The lower end of a score axis: a multiple of 10 at least 5 points below the lowest score, ≥ 0.

    Why: 98.40 → 98.62 on an axis from 98.4 to 98.62 looks like a cliff; from 90 to 100 it is the
    small change it is."""
    return max(0.0, math.floor((low - 5) / 10) * 10) if not math.isnan(low) else 0.0


def year_trend(frame: pd.DataFrame) -> tuple[alt.Chart, alt.Chart]:
    """Mean rule score and execution rate per year (Store.summary_by(by="year")), two full-size charts."""
    data = frame.dropna(subset=["year"]).assign(年度=lambda d: d["year"].astype(int).astype(str) + "年")
    if data.empty:
        return no_data("历年平均规则得分"), no_data("历年预算执行率（对全年预算）")
    scores = data["mean_score"].astype(float)
    score = (
        alt.Chart(data).mark_line(point=alt.OverlayMarkDef(size=70), color=RULE_COLOR)
        .encode(x=alt.X("年度:O", title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("mean_score:Q", title="平均规则得分（分）", axis=SCORE_AXIS,
                        scale=alt.Scale(domain=[_score_floor(float(scores.min())), 100])),
                tooltip=[alt.Tooltip("年度:O", title="年度"),
                         alt.Tooltip("mean_score:Q", title="平均规则得分", format=fmt.AXIS_SCORE),
                         alt.Tooltip("n_forms:Q", title="自评表数", format="d")])
        .properties(title="历年平均规则得分", height=260)
    )
    top = max(1.0, float(data["rate"].astype(float).max()) if data["rate"].notna().any() else 1.0)
    rate = (
        alt.Chart(data.dropna(subset=["rate"])).mark_line(point=alt.OverlayMarkDef(size=70), color="#2e7d32")
        .encode(x=alt.X("年度:O", title=None, axis=alt.Axis(labelAngle=0)),
                y=alt.Y("rate:Q", title="预算执行率", axis=RATE_AXIS, scale=alt.Scale(domain=[0, top])),
                tooltip=[alt.Tooltip("年度:O", title="年度"), alt.Tooltip("rate:Q", title="执行率", format=fmt.AXIS_RATE)])
        .properties(title="历年预算执行率（对全年预算）", height=260)
    )
    return score, rate


def whatif_changes(frame: pd.DataFrame) -> alt.Chart:
    """Score change per indicator of a what-if (views.whatif_diff rows with a change)."""
    if frame.empty:
        return no_data("得分变化（分）", "没有指标的得分变化。")
    data = frame.assign(变化=frame["变化"].astype(float))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("三级指标:N", sort="-x", title=None, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
            x=alt.X("变化:Q", title="得分变化（分）", axis=SCORE_AXIS),
            color=alt.condition(alt.datum.变化 > 0, alt.value("#2e7d32"), alt.value(LOSS_COLOR)),
            tooltip=["三级指标:N", alt.Tooltip("原得分:Q", format=".2f"), alt.Tooltip("新得分:Q", format=".2f"),
                     alt.Tooltip("变化:Q", format="+.2f")],
        )
        .properties(height=_height(len(data)), title="得分变化（分）")
    )
