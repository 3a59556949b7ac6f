"""部门总览: filters, KPI tiles, the one-glance rankings, units side by side, charts, the paged project list."""
from __future__ import annotations

import math
from dataclasses import astuple

import streamlit as st

from perfcore import fmt, tables, views, vocab
from perfcore.exports.stamp import department_file_name
from perfcore.store import Filters
from perfcore.views import md_escape
from ui import charts, common, static

ALL_YEARS = "全部年度"


def _year_choice(choice: object) -> int | list[None] | None:
    """The year selector's choice as a store filter: all years, forms without one ([None]), or one year."""
    if choice == ALL_YEARS:
        return None
    return [None] if choice == vocab.NO_YEAR else int(str(choice))


def _department_label(name: str) -> str:
    return name or vocab.NO_DEPARTMENT


def _ignored(key: str, label: str, options: list, show) -> list[str]:
    """The address's values for filter ``key`` that are not among its choices, as "年度“2099年”".

    Why: a filter bound to the address drops such a value silently (a mistyped or outdated link);
    the page says which it left out.
    """
    valid = {str(show(o)) for o in options}
    return [f"{label}“{md_escape(v)}”" for v in st.query_params.get_all(key) if v not in valid]


def filters() -> Filters:
    """Year / 主管部门 / 实施单位 / grade; each narrower list follows the ones before it.

    Forms without a year have their own choice (未填年度), and the default view (the newest
    year) says how many of them it leaves out; a blank 主管部门 is listed as 未填主管部门.
    The four live in the page's address (?dept_year=2021年&dept_unit=…: bind="query-params",
    which leaves defaults out), so a view can be bookmarked or sent; values the address names
    that are no choice are left out with a note.
    """
    years: list[object] = sorted((y for y in common.choices("year") if y is not None), reverse=True)
    n_without = common.count_forms(Filters(year=[None]))

    def year_text(y: object) -> str:
        return y if isinstance(y, str) else common.year_label(y)

    ignored: list[str] = []
    with common.filter_area():
        c1, c2, c3, c4 = st.columns([1, 2, 2, 1])
        year_options = [ALL_YEARS, *years, *([vocab.NO_YEAR] if n_without else [])]
        ignored += _ignored("dept_year", "年度", year_options, year_text)
        choice = c1.selectbox("年度", year_options, index=1, format_func=year_text, key="dept_year",
                              bind="query-params")
        year = _year_choice(choice)
        department_options = sorted(common.choices("department", Filters(year=year)), key=lambda d: (not d, d))
        ignored += _ignored("dept_department", "主管部门", department_options, _department_label)
        departments = c2.multiselect("主管部门", department_options, format_func=_department_label,
                                     key="dept_department", placeholder="全部主管部门", select_all=False,
                                     bind="query-params")
        unit_options = common.choices("unit", Filters(year=year, department=departments or None))
        ignored += _ignored("dept_unit", "实施单位", unit_options, str)
        units = c3.multiselect("实施单位", unit_options, key="dept_unit", placeholder="全部实施单位", select_all=False,
                               bind="query-params")
        ignored += _ignored("dept_grade", "等级", list(views.GRADES), str)
        grades = c4.multiselect("等级", list(views.GRADES), key="dept_grade", placeholder="全部等级",
                                select_all=False, bind="query-params")
    if ignored:
        st.warning(f"链接中的筛选条件{'、'.join(ignored)}不在可选范围内（可能输错了，或数据已变），已忽略。")
    if n_without and isinstance(year, int):
        st.info(f"另有 {n_without} 张自评表未填年度，不在所选年度中：在“年度”中选择“{vocab.NO_YEAR}”或“{ALL_YEARS}”查看。")
    return Filters(year=year, department=departments or None, unit=units or None, grade=grades or None)


def kpi_tiles(summary: dict, unit: str) -> None:
    row1 = st.columns([1, 2, 2, 2])
    row1[0].metric("项目数", fmt.count(summary["n_projects"]), border=True,
                   help=f"{fmt.count(summary['n_units'])} 个实施单位，{fmt.count(summary['n_forms'])} 张自评表")
    row1[1].metric(f"年初预算数{fmt.money_label(unit)}", fmt.money(summary["initial"], unit), border=True)
    row1[2].metric(f"全年预算数{fmt.money_label(unit)}", fmt.money(summary["budget"], unit), border=True)
    row1[3].metric(f"全年执行数{fmt.money_label(unit)}", fmt.money(summary["executed"], unit), border=True)
    row2 = st.columns(4)
    row2[0].metric("预算执行率（对全年预算）", fmt.percent(summary["rate"]), border=True,
                   help="Σ全年执行数 ÷ Σ全年预算数（不是各项目执行率的平均）")
    row2[1].metric("预算执行率（对年初预算）", fmt.percent(summary["rate_vs_initial"]), border=True,
                   help="Σ全年执行数 ÷ Σ年初预算数：与上一项差得越多，说明年中调减越多")
    row2[2].metric("平均规则得分", fmt.score(summary["mean_score"]), border=True,
                   delta=f"按预算加权 {fmt.score(summary['weighted_score'])}", delta_color="off", delta_arrow="off",
                   help=f"读取完整的 {fmt.count(summary['n_scored'])} 张表规则得分的算术平均；下方为按全年预算数加权的平均")
    label, value = views.grade_line(summary["grades"])
    row2[3].metric(f"等级 {label}", value, border=True,
                   help=f"按规则得分定级的项目数；自评高于规则得分的项目 {summary['n_over_declared']} 个")
    unread = views.unread_line(summary)
    if unread:
        st.warning(unread)


GLANCE_N = 5  # projects per one-glance ranking
GLANCE = (("rule_low", True), ("gap_wide", True), ("rate_low", False))  # (ranking, forms read completely only)
PAGE_SIZE = 25  # project list rows per page (issue 14: never ship every row)
UNITS_SHOWN = 20  # units side by side: the lowest mean scores (the Excel report lists every unit)


def glance(f: Filters, summary: dict) -> None:
    """One screen for a leader: the state in a line, and the projects to look at first, each linking to its scorecard."""
    st.markdown(views.glance_line(summary))
    columns = st.columns(len(GLANCE))
    for place, (order, scored) in zip(columns, GLANCE):
        page = common.query("project_page", f, order=order, limit=GLANCE_N, scored_only=scored)
        place.markdown(f"**{views.PROJECT_ORDER_LABELS[order]}的 {GLANCE_N} 个项目**")
        if page.rows.empty:
            place.caption("没有可排名的项目。")
            continue
        ranked = tables.ranking(page.rows, order)
        static.table(place, ranked.columns, ranked.rows)


def unit_comparison(f: Filters, unit: str) -> None:
    """The 实施单位 side by side, lowest mean rule score first."""
    table = common.query("unit_comparison", f)
    if table.empty:
        return
    departments = table["department"].fillna("").unique()
    if len(departments) == 1:  # one department: its name once in the caption, not in every row
        st.caption(f"主管部门：{md_escape(departments[0] or vocab.NO_DEPARTMENT)}")
    side = tables.units(table.head(UNITS_SHOWN), unit)
    static.table(st, side.columns, side.rows)
    shown = (f"共 {fmt.count(len(table))} 个实施单位，显示平均规则得分最低的 {UNITS_SHOWN} 个"
             "（按主管部门或实施单位筛选可看其他单位，部门总览 Excel 列出全部）"
             if len(table) > UNITS_SHOWN else "平均规则得分最低的单位在前")
    st.caption(f"{shown}。金额单位：{unit}。")




def charts_section(later: static.Later, table, f: Filters, unit: str) -> None:
    """The six charts' places; ``later`` draws them at the end of the run."""
    left, right = st.columns(2)
    rates, rates_note = views.chart_projects(table, "rate", "执行率最低", ascending=True)
    later.chart(left, lambda: charts.rate_by_project(rates), rates_note)
    budgets, budgets_note = views.chart_projects(table, "budget", "全年预算数最大", ascending=False)
    later.chart(right, lambda: charts.budget_by_project(budgets, unit, fmt.MONEY_UNITS[unit]), budgets_note)
    left, right = st.columns(2)
    later.chart(left, lambda: charts.deductions_stacked(common.query("deductions", f, by="level2")))
    later.chart(right, lambda: charts.top_deductions(common.query("deductions", f, by="indicator")))
    left, right = st.columns(2)
    declared = common.query("declared_vs_rule", f)
    gaps, gaps_note = views.chart_projects(declared, "difference", "自评高出规则得分最多", ascending=False)
    later.chart(left, lambda: charts.declared_vs_rule(gaps), gaps_note)
    by_code = common.query("findings_by_code", f)
    if by_code.empty:
        right.success("所选项目没有审核发现。")
    else:
        later.chart(right, lambda: charts.findings_by_code(views.with_check_titles(by_code), views.SEVERITY_LABELS))


def year_section(later: static.Later, f: Filters) -> None:
    """Mean score and execution rate per year, when more than one year is stored (the year filter aside)."""
    years = common.query("summary_by", Filters(department=f.department, unit=f.unit, grade=f.grade), by="year")
    if len(years.dropna(subset=["year"])) <= 1:
        return
    st.subheader("历年对比")
    left, right = st.columns(2)
    score_trend, rate_trend = charts.year_trend(years)
    later.chart(left, lambda: score_trend)
    later.chart(right, lambda: rate_trend)


def _turn(step: int) -> None:
    """上一页 / 下一页 (button callback: runs before the page number widget is drawn)."""
    st.session_state["dept_page"] = max(1, int(st.session_state.get("dept_page", 1)) + step)


def project_list(f: Filters, unit: str) -> None:
    """The projects, PAGE_SIZE at a time, ranked and searched in SQL (never every row to the browser)."""
    c1, c2, c3 = st.columns([1, 2, 1])
    order = c1.selectbox("排序", list(views.PROJECT_ORDER_LABELS), format_func=views.PROJECT_ORDER_LABELS.get,
                         key="dept_order")
    search = c2.text_input("查找项目或实施单位", key="dept_search", placeholder="输入项目名称或实施单位名称中的文字")
    asked = (astuple(f), order, search.strip())
    if st.session_state.get("dept_asked") != asked:  # a new question starts on page 1
        st.session_state["dept_asked"] = asked
        st.session_state["dept_page"] = 1
    def rows(number: int):
        return common.query("project_page", f, order=order, search=search, limit=PAGE_SIZE,
                            offset=(number - 1) * PAGE_SIZE)

    number = max(1, int(st.session_state.get("dept_page", 1)))
    page = rows(number)
    pages = max(1, math.ceil(page.total / PAGE_SIZE))
    if number > pages:  # fewer rows than the page asked for (a narrower filter): its last page
        number = pages
        page = rows(number)
    st.session_state["dept_page"] = number
    c3.number_input(f"页码（共 {pages} 页）", min_value=1, max_value=pages, step=1, key="dept_page")
    listed = tables.projects(page.rows, unit, first_rank=page.offset + 1)
    static.table(st, listed.columns, listed.rows, lost=listed.lost, scroll=True)
    b1, b2, note = st.columns([1, 1, 6])
    b1.button("上一页", key="dept_prev", disabled=page.offset == 0, on_click=_turn, args=(-1,))
    b2.button("下一页", key="dept_next", disabled=page.offset + len(page.rows) >= page.total, on_click=_turn, args=(1,))
    note.caption(f"{views.page_caption(page.total, page.offset, len(page.rows))}（按{views.PROJECT_ORDER_LABELS[order]}排序）。"
                 f"金额单位：{unit}。点击“打开评分卡”查看项目的逐项得分与审核发现。")


common.start_page("部门总览")
if not common.has_forms():
    common.empty_state("查看部门总览")
    st.stop()

common.stale_scores_notice()
selected = filters()
unit = common.money_unit()
table = common.forms(selected)
if table.empty:
    st.warning("没有符合筛选条件的项目，请放宽筛选条件。")
    st.stop()

summary = common.query("dept_summary", selected)
kpi_tiles(summary, unit)
r1, r2, _ = st.columns([1, 1, 2])
for place, kind, suffix in ((r1, "pdf", "PDF"), (r2, "xlsx", "Excel")):
    common.report_download(place, f"部门总览（{suffix}）", kind,
                           lambda kind=kind: common.department_report(kind, selected, unit),
                           (selected, unit), department_file_name(selected, kind))
st.subheader("一览：需要关注的项目")
glance(selected, summary)

st.subheader("实施单位对比")
unit_comparison(selected, unit)

later = static.Later()  # the charts' places; drawn last, so a first drawing holds up nothing below
st.subheader("图表")
charts_section(later, table, selected, unit)

st.subheader("项目列表")
project_list(selected, unit)

year_section(later, selected)
later.draw()
