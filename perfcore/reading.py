"""How completely a form was read, and so whether it may be graded at all.

A number on the dashboard is worth only what its reading is worth: a form whose
indicators were not found must not show 规则 10（差）. Every scorecard therefore carries a
reading report: which blocks were found and where, what the rules need but did not get,
and a state:

* 完整 — everything the rules need was read; the form gets a rule total and a grade;
* 需核实 — something the rules need is missing or unreadable (an actual, a weight, the
  execution figures): the rule total is provisional, there is no grade, and the form is
  left out of department means and grade counts until someone checks it;
* 无法计分 — no indicators, no weights or no funds: no rule total, no grade.
"""
from __future__ import annotations

from perfcore import fmt
from perfcore.model import ExecutionScore, Form, IndicatorScore, ReadingReport
from perfcore.vocab import COMPLETE, STATES, TO_VERIFY, UNSCORABLE

__all__ = ["BLOCKS", "COMPLETE", "STATES", "TO_VERIFY", "UNSCORABLE", "ReadingReport", "reading_report"]

# Blocks a form is expected to have, in reading order (Form.layout keys written by the reader).
BLOCKS = ("标题", "年度", "表头", "项目资金", "年度总体目标", "绩效指标", "总分")
FULL_MARKS = 100.0    # the points of a form that prints none on its 总分 row
POINTS_SLACK = 0.5    # weights may miss the form's points by rounding only


def _execution_in_table(form: Form, execution: ExecutionScore) -> bool:
    """预算执行率 is scored as an indicator row (the reader set the funds block's weight to 0)."""
    return execution.weight == 0 and "预算执行率" in form.layout


def _why_unscorable(form: Form) -> list[str]:
    reasons = []
    if not form.indicators:
        reasons.append("未读到任何绩效指标（三级指标）")
    elif not any((ind.weight.value or 0) > 0 for ind in form.indicators):
        reasons.append("绩效指标没有分值（权重），无法计分")
    if not any(line.budget.value or line.executed.value or line.initial.value for line in form.funds) \
            and "预算执行率" not in form.layout:
        reasons.append("未读到项目资金（年初预算数 / 全年预算数 / 全年执行数）")
    return reasons


def _points_problem(form: Form, execution: ExecutionScore) -> str | None:
    """Weights (execution's included) that do not add to the form's points, beyond rounding."""
    points = form.total_weight.value or FULL_MARKS
    weights = sum(ind.weight.value or 0.0 for ind in form.indicators) + execution.weight
    if abs(weights - points) <= POINTS_SLACK:
        return None
    where = f"（总分行 {form.total_weight.cell}）" if form.total_weight.value else ""
    return (f"各项分值合计 {fmt.figure(weights, 2)}（预算执行 {fmt.figure(execution.weight, 2)} + 指标"
            f" {fmt.figure(weights - execution.weight, 2)}），与满分 {fmt.figure(points, 2)}{where}不符")


def reading_report(form: Form, execution: ExecutionScore, indicators: list[IndicatorScore]) -> ReadingReport:
    """The reading report of a form, from what was read and what the rules could score."""
    report = ReadingReport(blocks=dict(form.layout))
    unscorable = _why_unscorable(form)
    if unscorable:
        report.state, report.missing = UNSCORABLE, [*form.doubts, *unscorable]
        return report
    report.missing.extend(form.doubts)
    points = _points_problem(form, execution)
    if points:
        report.missing.append(points)
    if execution.score is None and not _execution_in_table(form, execution):
        report.missing.append(f"预算执行率：{execution.explanation}")
    for score in indicators:
        ind = form.indicators[score.index]
        if ind.weight.value is None:
            report.missing.append(f"指标“{ind.name}”（{ind.cell}）没有分值")
        elif score.weight > 0 and score.score is None:
            report.missing.append(f"指标“{ind.name}”（{ind.cell}）：{score.explanation}")
    if report.missing:
        report.state = TO_VERIFY
    for name, label in (("year", "年度"), ("project", "项目名称"), ("unit", "实施单位"), ("department", "主管部门")):
        value = getattr(form, name)
        if not (value if name == "year" else value.value):
            report.empty.append(label)
    if form.total_declared.value is None:
        report.empty.append("自评总分")
    if not form.goals.planned.value:
        report.empty.append("年度总体目标")
    blank_actuals = sum(1 for ind in form.indicators if not ind.actual.value)
    if blank_actuals:
        report.empty.append(f"{blank_actuals} 个指标的实际完成值")
    return report
