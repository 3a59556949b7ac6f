"""项目评分卡: one project's rule scores, deductions, goals, findings, history and downloads.

Deep links: ?year=2021&unit=…&project=… or ?v=<version id>.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from perfcore import fmt, tables, views
from perfcore.exports.stamp import scorecard_file_name
from perfcore.model import Scorecard
from perfcore.views import md_escape
from ui import charts, common, static

INDICATOR_COLUMNS = ["二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "规则得分", "扣分", "得分率", "自评得分",
                     "状态", "评分说明", "偏差原因分析", "单元格"]


def kpi_tiles(card: Scorecard, unit: str) -> None:
    k = views.form_kpis(card)
    tiles = st.columns(5)
    tiles[0].metric("规则得分", fmt.score(k.total), border=True, help="按评分规则重新计算的总分（满分 100）")
    tiles[1].metric("等级", k.grade, border=True, help="优 ≥ 90，良 ≥ 80，中 ≥ 60，差 < 60")
    tiles[2].metric("自评得分", fmt.score(k.declared), border=True,
                    delta=f"{fmt.signed(k.difference)} 分" if k.difference else None,
                    delta_color="inverse", help="表上填报的总分；下方为自评 − 规则得分，为正说明可能自评偏高")
    tiles[3].metric("预算执行率", fmt.percent(k.rate), border=True,
                    help=f"全年执行数 {fmt.money(k.executed, unit, suffix=True)} ÷ "
                         f"全年预算数 {fmt.money(k.budget, unit, suffix=True)}")
    tiles[4].metric("年中预算调整", fmt.percent(k.cut), border=True,
                    help=f"年初预算数 {fmt.money(k.initial, unit, suffix=True)} → "
                         f"全年预算数 {fmt.money(k.budget, unit, suffix=True)}")


def indicator_tables(card: Scorecard, unit: str) -> None:
    """The indicator table grouped by level 1; rows that lost points highlighted.

    A static table rather than a grid: 评分说明 and 偏差原因分析 wrap inside the page width
    instead of being cut or hidden behind a horizontal scroll.
    """
    table = views.indicator_frame(card)
    summary = views.level1_summary(card)
    ex = card.execution
    st.markdown(f"**{views.EXECUTION_LABEL}**　分值 {fmt.score(ex.weight)} · 规则得分 {fmt.score(ex.score)} · "
                f"自评得分 {fmt.score(ex.declared)}　（{md_escape(views.execution_line(card, unit))}）")
    for level1, part in table.groupby("一级指标", sort=False):
        line = summary[summary["一级指标"] == level1].iloc[0]
        st.markdown(f"**{md_escape(level1) or '（未填一级指标）'}**　分值 {fmt.score(line['分值'])} · "
                    f"规则得分 {fmt.score(line['规则得分'])} · 自评得分 {fmt.score(line['自评得分'])} · "
                    f"扣分 {fmt.score(line['扣分'])}" + _unscored_words(line))
        shown = part[INDICATOR_COLUMNS].reset_index(drop=True)
        shown["得分率"] = shown["得分率"].map(fmt.percent)
        common.safe_table(shown, points=("分值", "规则得分", "扣分", "自评得分"),
                          highlight=list(shown["扣分"].fillna(0) > 0))
    static.chart(st, charts.level1_scores(summary))


def _unscored_words(line: Any) -> str:
    """“ · 未计分 10.00” where some weight of the level was not scored: a value not read is not points lost."""
    weight = float(line.get("未计分", 0) or 0)
    return f" · 未计分 {fmt.score(weight)}" if weight > 0 else ""


def findings(card: Scorecard) -> None:
    if not card.findings:
        st.success("未发现问题。")
    for severity, title, table in views.findings_by_severity(card.findings, card.form):
        with st.expander(f"{title}（{len(table)}）", expanded=severity == "error"):
            common.safe_table(table)


def history(store, card: Scorecard, version_id: int) -> None:
    year, unit, project = card.form.key
    table = store.history(year, unit, project)
    if table.empty:
        return
    versions = tables.history(table, common.load_form)
    static.table(st, versions.columns, versions.rows)
    viewed = table[table["version_id"] == version_id].iloc[0]  # named by its version number, as the table does
    state = "已删除" if viewed["deleted"] else ("当前版本" if viewed["is_current"] else "历史版本")
    st.caption(f"共 {len(table)} 个版本；正在查看版本 {int(viewed['version_no'])}（{state}）。"
               + common.go_to(common.MANAGE_PAGE, "删除或恢复版本"))
    if len(table) > 1:
        ids = {int(no): int(vid) for no, vid in zip(table["version_no"], table["version_id"], strict=True)}
        compare(ids, int(viewed["version_no"]), version_id)


def compare(ids: dict[int, int], viewed: int, version_id: int) -> None:
    """Two versions side by side: every field and indicator value that differs, old → new
    (by default the viewed version against the one before it)."""
    st.markdown("**版本比较：表上所填内容的改动**")
    numbers = sorted(ids)
    new_default = viewed if viewed != numbers[0] else numbers[1]
    c1, c2 = st.columns(2)
    old_no = c1.selectbox("从版本", numbers, index=numbers.index(new_default) - 1, format_func="版本 {}".format,
                          key=f"diff_old_{version_id}")
    new_no = c2.selectbox("到版本", numbers, index=numbers.index(new_default), format_func="版本 {}".format,
                          key=f"diff_new_{version_id}")
    if old_no == new_no:
        st.caption("请选择两个不同的版本。")
        return
    shown = tables.version_changes(common.load_form(ids[old_no]), common.load_form(ids[new_no]), old_no, new_no)
    if not shown.rows:
        st.info(f"版本 {old_no} 与版本 {new_no} 所填内容相同。")
        return
    st.caption(f"版本 {old_no} → 版本 {new_no}：改动 {len(shown.rows)} 处")
    static.table(st, shown.columns, shown.rows)


store = common.start_page("项目评分卡")
version_id = common.require_form("查看项目评分卡")
card = common.scorecard(version_id)
form, unit = card.form, common.money_unit()

st.header(md_escape(form.project.value) or "（未填项目名称）", divider="gray")
st.caption(f"主管部门：{md_escape(form.department.value) or '—'}　实施单位：{md_escape(form.unit.value) or '—'}　"
           f"年度：{common.year_label(form.year)}　来源：{md_escape(form.source.file)} / "
           f"{md_escape(form.source.sheet)}　评分规则：{md_escape(common.policy_label(card.policy))}")
common.reading_notice(card)
common.stale_scores_notice(version_id)
st.info(views.loss_sentence(card), icon=None)  # where the points went, before any table
kpi_tiles(card, unit)

d1, d2, d3 = st.columns([1, 1, 2])
d1.download_button("下载评分表（Excel）", data=common.scorecard_xlsx(version_id),
                   file_name=scorecard_file_name(form.year, form.unit.value, form.project.value, "xlsx", "评分表"),
                   icon=":material/download:",
                   mime=common.XLSX_MIME, help="自评表原格式加规则得分（扣分的行标红）、评分明细和审核发现")
common.report_download(d2, "评分卡（PDF）", "pdf", lambda: common.scorecard_pdf(version_id, unit), (version_id, unit),
                       scorecard_file_name(form.year, form.unit.value, form.project.value, "pdf"))
d3.page_link(common.WHATIF_PAGE, label="用此表做模拟测算", icon=":material/calculate:",
             query_params=common.link_params(form))

st.subheader("绩效指标")
indicator_tables(card, unit)

st.subheader("审核发现")
findings(card)

st.subheader(f"项目资金{fmt.money_label(unit)}")
common.safe_table(views.funds_frame(form, unit))

st.subheader("年度总体目标")
g1, g2 = st.columns(2)
with g1:
    common.show_text("预算目标", form.goals.planned.value)
with g2:
    common.show_text("实际完成情况", form.goals.actual.value)

st.subheader("版本历史")
history(store, card, version_id)
