"""The department overview of the forms a ``Filters`` selects, as a printable report.

Read through the Store's page queries (dept_summary, forms_table, deductions,
findings_by_code), so the report shows the same figures as 部门总览 for the same
filters. The project table runs over as many landscape pages as the projects need.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from perfcore import fmt, views
from perfcore.exports import charts_svg
from perfcore.exports.pdf import html_to_pdf
from perfcore.exports.stamp import Stamp, selection_text, stamp
from perfcore.exports.templates import chart, document, pairs, signatures
from perfcore.exports.words import code_label
from perfcore.markup import Column, esc, table
from perfcore.store import Filters, Store
from perfcore.vocab import COMPLETE, GRADES, SEVERITY_LABELS, TO_VERIFY, UNSCORABLE, year_label

REPORT_TITLE = "部门绩效自评总览"
CHART_ROWS = 20  # projects a printed per-project chart shows (the table lists every one)
STATE_COLORS = {"优": charts_svg.GREEN, "良": charts_svg.BLUE, "中": charts_svg.ORANGE, "差": charts_svg.RED,
                TO_VERIFY: charts_svg.GREY, UNSCORABLE: "#5f6b77"}


@dataclass
class DepartmentData:
    """What the department reports show, read once from the Store."""

    filters: Filters
    summary: dict
    forms: pd.DataFrame       # Store.forms_table
    level1: pd.DataFrame      # Store.deductions(by="level1")
    indicators: pd.DataFrame  # Store.deductions(by="indicator", limit=10)
    units: pd.DataFrame       # Store.summary_by(by="unit")
    codes: pd.DataFrame       # Store.findings_by_code


def department_data(store: Store, filters: Filters | None = None) -> DepartmentData:
    """Everything the overview needs for these filters, through the Store's page queries."""
    f = filters or Filters()
    return DepartmentData(filters=f, summary=store.dept_summary(f), forms=store.forms_table(f),
                          level1=store.deductions(f, by="level1"), indicators=store.deductions(f, by="indicator", limit=10),
                          units=store.summary_by(f, by="unit"), codes=store.findings_by_code(f))


def filters_text(filters: Filters) -> str:
    """The selection in words: “年度：2021年；主管部门：全部；实施单位：全部；等级：全部” (perfcore.exports.stamp)."""
    return selection_text(filters)


def state_counts(summary: dict) -> dict[str, int]:
    """Forms per grade, then those to verify (需核实) and those that cannot be scored (无法计分)."""
    return ({g: int(summary["grades"].get(g, 0)) for g in GRADES}
            | {TO_VERIFY: int(summary.get("n_to_verify") or 0), UNSCORABLE: int(summary.get("n_unscorable") or 0)})


def kpi_values(summary: dict, unit: str) -> list[tuple[str, object, str]]:
    """The overview's headline figures as (label, value, kind), amounts already in ``unit``.

    kind: count, money, rate, score or text; the PDF formats them (kpi_items), the Excel
    export keeps the numbers and gives them a number format.
    """
    label, value = views.grade_line(summary["grades"])
    money = fmt.money_label(unit)
    return [
        ("项目数", summary["n_projects"], "count"), ("实施单位数", summary["n_units"], "count"),
        ("自评表数", summary["n_forms"], "count"), ("读取完整（计入平均分）", summary["n_scored"], "count"),
        (f"年初预算数{money}", fmt.scale(summary["initial"], unit), "money"),
        (f"全年预算数{money}", fmt.scale(summary["budget"], unit), "money"),
        (f"全年执行数{money}", fmt.scale(summary["executed"], unit), "money"),
        ("预算执行率（对全年预算）", summary["rate"], "rate"),
        ("预算执行率（对年初预算）", summary["rate_vs_initial"], "rate"),
        ("平均规则得分", summary["mean_score"], "score"),
        ("按预算加权平均规则得分", summary["weighted_score"], "score"),
        (f"等级 {label}", value, "text"),
        (TO_VERIFY, int(summary.get("n_to_verify") or 0), "count"),
        (UNSCORABLE, int(summary.get("n_unscorable") or 0), "count"),
        ("自评高于规则得分的项目", summary["n_over_declared"], "count"),
        ("审核发现：错误", summary["n_errors"], "count"), ("审核发现：警告", summary["n_warnings"], "count"),
    ]


_SHOW: dict[str, Callable[[Any], str]] = {"money": fmt.thousands, "rate": fmt.percent, "score": fmt.score}


def kpi_items(summary: dict, unit: str) -> list[tuple[str, str]]:
    """The headline figures as (label, text) for the PDF."""
    return [(label, _SHOW.get(kind, lambda v: "—" if v is None else str(v))(value))
            for label, value, kind in kpi_values(summary, unit)]


def ranked_projects(forms: pd.DataFrame, unit: str = "元") -> pd.DataFrame:
    """The project list ranked for a leader: lowest rule total first; forms not read completely last."""
    table = views.project_frame(forms, unit).drop(columns="评分卡")
    incomplete = forms["reading_state"].fillna(COMPLETE).ne(COMPLETE).to_numpy()
    order = pd.DataFrame({"incomplete": incomplete, "total": table["规则总分"].to_numpy()})
    ranked = table.iloc[order.sort_values(["incomplete", "total"], na_position="last", kind="stable").index]
    return ranked.reset_index(drop=True)


def _charts(data: DepartmentData) -> str:
    parts = []
    counts = state_counts(data.summary)
    grades = pd.DataFrame({"等级": list(counts), "项目数": list(counts.values())})
    parts.append(charts_svg.bars(grades, "等级", "项目数", "等级分布（含需核实、无法计分）", axis_title="自评表数",
                                 count=True, number_format="d", color_field="等级",
                                 colors=[STATE_COLORS[s] for s in counts]))
    rates = views.with_labels(data.forms).dropna(subset=["rate"])
    if not rates.empty:
        low = rates.nsmallest(CHART_ROWS, "rate").assign(执行率=lambda d: d["rate"].astype(float))
        what = f"（执行率最低的 {CHART_ROWS} 个）" if len(rates) > CHART_ROWS else ""
        parts.append(charts_svg.bars(low, "label", "执行率", f"各项目预算执行率{what}", axis_title="预算执行率",
                                     number_format=".2%"))
    level1 = data.level1[data.level1["deduction"].fillna(0) > 0].assign(扣分=lambda d: d["deduction"].astype(float))
    if not level1.empty:
        parts.append(charts_svg.bars(level1, "level1", "扣分", "扣分合计（按一级指标）", axis_title="扣分", color=charts_svg.RED))
    top = data.indicators[data.indicators["deduction"].fillna(0) > 0].assign(扣分=lambda d: d["deduction"].astype(float))
    if not top.empty:
        parts.append(charts_svg.bars(top, "name", "扣分", f"扣分最多的指标（前 {len(top)} 个）", axis_title="扣分",
                                     color=charts_svg.RED))
    if not data.codes.empty:
        codes = data.codes.assign(类型=data.codes["code"].map(code_label)).head(15)
        parts.append(charts_svg.bars(codes, "类型", "n", "审核发现（按类型）", axis_title="条数", count=True,
                                     number_format="d", color=charts_svg.ORANGE))
    return "<h2>图表</h2>" + "".join(chart(charts_svg.to_svg(c)) for c in parts)


PROJECT_COLUMNS = ["项目", "实施单位", "年度", "等级", "规则总分", "自评总分", "差额", "执行率", "全年预算数", "全年执行数",
                   "错误", "警告"]


def _projects(data: DepartmentData, unit: str) -> str:
    ranked = ranked_projects(data.forms, unit)
    money = fmt.money_label(unit)
    columns = [Column("排名", "c"), Column("项目", width="20%"), Column("实施单位", width="16%"), Column("年度", "c"),
               Column("等级", "c"), Column("规则总分", "n"), Column("自评总分", "n"), Column("差额", "n"),
               Column("执行率", "n"), Column(f"全年预算数{money}", "n"), Column(f"全年执行数{money}", "n"),
               Column("错误", "n"), Column("警告", "n")]
    rows = [(n, r["项目"], r["实施单位"], year_label(r["年度"]), r["等级"], fmt.score(r["规则总分"]), fmt.score(r["自评总分"]),
             fmt.signed(r["差额"]), fmt.percent(r["执行率"]), fmt.thousands(r["全年预算数"]),
             fmt.thousands(r["全年执行数"]), int(r["错误"]), int(r["警告"]))
            for n, r in enumerate(ranked.to_dict("records"), 1)]
    lost = [r["等级"] in ("差", TO_VERIFY, UNSCORABLE) for r in ranked.to_dict("records")]
    return ('<section class="wide"><h2>项目排名（按规则总分由低到高；需核实、无法计分的表列在最后）</h2>'
            + table(columns, rows, lost=lost) + _units(data, unit) + _codes(data) + "</section>")


def _units(data: DepartmentData, unit: str) -> str:
    money = fmt.money_label(unit)
    numbers = ["项目数", "自评表数", f"全年预算数{money}", f"全年执行数{money}", "预算执行率", "平均规则得分", "需核实",
               "无法计分", "错误", "警告"]
    columns = [Column("实施单位"), *(Column(name, "n") for name in numbers)]
    rows = [(r["unit"], int(r["n_projects"]), int(r["n_forms"]), fmt.money(r["budget"], unit), fmt.money(r["executed"], unit),
             fmt.percent(r["rate"]), fmt.score(r["mean_score"]), int(r["n_to_verify"]), int(r["n_unscorable"]),
             int(r["n_errors"]), int(r["n_warnings"])) for r in data.units.to_dict("records")]
    return "<h2>各实施单位</h2>" + table(columns, rows)


def _codes(data: DepartmentData) -> str:
    columns = [Column("审核发现", width="22%"), Column("严重程度", "c"), Column("条数", "n"), Column("涉及表数", "n"),
               Column("示例")]
    rows = [(code_label(r["code"]), SEVERITY_LABELS.get(r["severity"], r["severity"]), int(r["n"]), int(r["n_forms"]),
             r["example"]) for r in data.codes.to_dict("records")]
    return "<h2>审核发现（按类型）</h2>" + table(columns, rows, empty="所选项目没有审核发现。")


def department_html(data: DepartmentData, unit: str = "元", *, made: Stamp | None = None) -> str:
    """The overview report as one HTML document; under the title its selection, money unit, who made it and when."""
    sub = f"{filters_text(data.filters)} · 金额单位：{unit} · {(made or stamp()).line()}"
    unread = views.unread_line(data.summary)
    body = (f"<h1>{esc(REPORT_TITLE)}</h1><p class=\"sub\">{esc(sub)}</p><h2>总体情况</h2>"
            + pairs(kpi_items(data.summary, unit), big=("项目数", "预算执行率（对全年预算）", "平均规则得分"))
            + (f'<p class="note">{esc(unread)}</p>' if unread else "")
            + _charts(data) + _projects(data, unit) + signatures())
    return document(REPORT_TITLE, body)


def department_pdf(store: Store, filters: Filters | None = None, unit: str = "元", *, made: Stamp | None = None) -> bytes:
    """The department overview for these filters as A4 PDF bytes."""
    return html_to_pdf(department_html(department_data(store, filters), unit, made=made))
