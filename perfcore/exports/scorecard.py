"""One form's scorecard as a printable report: header, where points were lost, funds, goals,
indicators (landscape), review findings, chart, signature lines.

Why this order: a leader reads the total and where the points went first; the full
indicator table is for the reviewer and gets a landscape page of its own.
"""
from __future__ import annotations

import pandas as pd

from perfcore import fmt, views
from perfcore.exports import charts_svg
from perfcore.exports.pdf import html_to_pdf
from perfcore.exports.stamp import Stamp, stamp
from perfcore.exports.templates import chart, document, pairs, signatures
from perfcore.exports.words import policy_label
from perfcore.markup import Column, esc, table
from perfcore.model import Scorecard
from perfcore.views import Loss, loss_line, losses  # noqa: F401  (the report's names for them)
from perfcore.vocab import EXECUTION_LABEL, year_label

REPORT_TITLE = "项目绩效自评评分卡"


def _header(sc: Scorecard) -> str:
    form, k = sc.form, views.form_kpis(sc)
    items = [
        ("项目名称", form.project.value or "（未填项目名称）"), ("年度", year_label(form.year)),
        ("主管部门", form.department.value or "—"), ("实施单位", form.unit.value or "—"),
        ("规则得分", fmt.score(k.total)), ("等级", k.grade),
        ("自评总分", fmt.score(k.declared)), ("差额（自评 − 规则）", fmt.signed(k.difference)),
        ("预算执行率", fmt.percent(k.rate)), ("评分规则", policy_label(sc.policy)),
    ]
    block = pairs(items, big=("规则得分", "等级"))
    if not sc.reading.complete:
        note = ("规则得分只是暂计，不定等级，不计入部门平均分和等级统计" if sc.total is not None
                else "不计规则得分和等级")
        block += (f'<p class="lead">读取状态：{esc(sc.reading.state)}（{esc(note)}）。'
                  + "；".join(esc(item) for item in sc.reading.missing) + "</p>")
    return block


def _losses(sc: Scorecard, unit: str) -> str:
    items = losses(sc)
    out = f'<h2>扣分情况</h2><p class="lead">{esc(loss_line(sc))}</p>'
    if items:
        columns = [Column("指标"), Column("分值", "n"), Column("规则得分", "n"), Column("扣分", "n"), Column("评分说明")]
        rows = [(i.name, fmt.score(i.weight), fmt.score(i.score), fmt.score(i.deduction),
                 views.execution_line(sc, unit) if i.explanation == sc.execution.explanation else i.explanation)
                for i in items]
        out += table(columns, rows, lost=[True] * len(rows))
    if sc.form.indicators:
        out += chart(charts_svg.to_svg(charts_svg.level1_chart(views.level1_summary(sc))))
    return out


def _funds(sc: Scorecard, unit: str) -> str:
    funds = views.funds_frame(sc.form, unit)
    columns = [Column("资金"), *(Column(f"{c}{fmt.money_label(unit)}", "n") for c in funds.columns[1:])]
    k = views.form_kpis(sc)
    line = (f"预算执行率 = 全年执行数 {fmt.money(k.executed, unit, suffix=True)} ÷ 全年预算数 "
            f"{fmt.money(k.budget, unit, suffix=True)} = {fmt.percent(k.rate)}；"
            f"分值 {fmt.score(sc.execution.weight)}，规则得分 {fmt.score(sc.execution.score)}，"
            f"自评得分 {fmt.score(sc.execution.declared)}。")
    return (f"<h2>项目资金{esc(fmt.money_label(unit))}</h2>" + table(columns, funds.itertuples(index=False))
            + f'<p class="note">{esc(line)}</p>')


def _goals(sc: Scorecard) -> str:
    goals = sc.form.goals
    rows = [(goals.planned.value or "（未填写）", goals.actual.value or "（未填写）")]
    return "<h2>年度总体目标</h2>" + table([Column("预算目标"), Column("实际完成情况")], rows)


INDICATOR_COLUMNS = [Column("一级指标", width="7%"), Column("二级指标", width="8%"), Column("三级指标", width="12%"),
                     Column("年度指标值", width="7%"), Column("实际完成值", width="7%"), Column("分值", "n"),
                     Column("规则得分", "n"), Column("自评得分", "n"), Column("扣分", "n"), Column("状态", "c"),
                     Column("评分说明", width="17%"), Column("偏差原因分析", width="12%"), Column("单元格", width="7%")]


def _indicators(sc: Scorecard, unit: str) -> str:
    frame = views.indicator_frame(sc)
    rows = [(r["一级指标"], r["二级指标"], r["三级指标"], r["年度指标值"], r["实际完成值"], fmt.score(r["分值"]),
             fmt.score(r["规则得分"]), fmt.score(r["自评得分"]), fmt.score(r["扣分"]), r["状态"], r["评分说明"],
             r["偏差原因分析"], r["单元格"]) for r in frame.to_dict("records")]
    lost = [not fmt.blank(d) and float(d) > 0 for d in frame["扣分"]]
    ex = sc.execution
    ex_lost = round(ex.weight - ex.score, 2) if ex.score is not None else 0.0  # not read is not lost
    rows.append((EXECUTION_LABEL, "", "", "", fmt.percent(ex.rate), fmt.score(ex.weight), fmt.score(ex.score),
                 fmt.score(ex.declared), fmt.score(ex_lost if ex.score is not None else None), "", views.execution_line(sc, unit),
                 "", ""))
    lost.append(ex_lost > 0)
    weight = sum(s.weight for s in sc.indicators) + ex.weight
    lost_total = sum(item.deduction for item in losses(sc)) if sc.total is not None else None  # read values only
    rows.append(("总分", "", "", "", "", fmt.score(weight), fmt.score(sc.total), fmt.score(sc.declared_total),
                 fmt.score(lost_total), "", f"等级：{sc.grade_label}", "", ""))
    lost.append(False)
    return ('<section class="wide"><h2>绩效指标（扣分的行以浅红色标出）</h2>'
            + table(INDICATOR_COLUMNS, rows, lost=lost) + "</section>")


def findings_table(sc: Scorecard) -> pd.DataFrame:
    """The review findings, errors first: 严重程度 (in Chinese), 代码, 审核项目 (the check's name), 说明, 单元格."""
    return views.findings_frame(sc.findings)


def _findings(sc: Scorecard) -> str:
    frame = findings_table(sc)
    columns = [Column("严重程度", "c"), Column("代码", "c"), Column("审核项目", width="14%"), Column("说明"),
               Column("单元格", width="14%")]
    return "<h2>审核发现</h2>" + table(columns, frame.itertuples(index=False), empty="未发现问题。")


def scorecard_html(sc: Scorecard, unit: str = "元", *, made: Stamp | None = None) -> str:
    """The scorecard report as one HTML document (every form text escaped); under the title the
    form's year, money unit, source, who made the report and when."""
    form = sc.form
    sub = f"{year_label(form.year)} · 金额单位：{unit}"
    if form.source.file:
        sub += f" · 来源：{form.source.file} / {form.source.sheet}"
    sub += f" · {(made or stamp()).line()}"
    body = (f"<h1>{esc(REPORT_TITLE)}</h1><p class=\"sub\">{esc(sub)}</p>"
            + _header(sc) + _losses(sc, unit) + _funds(sc, unit) + _goals(sc) + _indicators(sc, unit) + _findings(sc)
            + signatures())
    return document(f"{form.project.value or '自评表'} {REPORT_TITLE}", body)


def scorecard_pdf(sc: Scorecard, unit: str = "元", *, made: Stamp | None = None) -> bytes:
    """The scorecard report as A4 PDF bytes."""
    return html_to_pdf(scorecard_html(sc, unit, made=made))
