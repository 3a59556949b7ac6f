"""A scorecard as a readable Chinese review report (what ``python -m perfcore check`` prints).

Why: reviewers read plain text in a terminal or an e-mail; the report shows the rule
total against the self-score, every deduction with its arithmetic, then the findings
with their cells, errors first.
"""
from __future__ import annotations

from perfcore import fmt
from perfcore.checks import indicator_label
from perfcore.model import Scorecard
from perfcore.policy import POLICIES
from perfcore.reading import BLOCKS
from perfcore.vocab import SEVERITIES, SEVERITY_LABELS


def _source(sc: Scorecard) -> str:
    src = sc.form.source
    parts = [f"文件“{src.file}”" if src.file else "", f"工作表“{src.sheet}”" if src.sheet else "",
             f"第 {src.first_row} 行起" if src.sheet else ""]
    return " ".join(p for p in parts if p) or "—"


def _declared(value: float | None) -> str:
    return "未填" if value is None else fmt.score(value)


def scorecard_report(sc: Scorecard, *, all_indicators: bool = False) -> str:
    """Report text for one scored form: header, totals, execution, deductions, findings.

    ``all_indicators`` lists every indicator, not only those below full marks or self-scored
    differently from the rules.
    """
    form = sc.form
    policy = POLICIES.get(sc.policy)
    year = f"{form.year}年度" if form.year else "年度未知"
    lines = [
        f"【{form.project.value or '（无项目名称）'}】{form.unit.value or '—'} · {year}",
        f"来源：{_source(sc)}",
        f"评分规则：{policy.label if policy else sc.policy}",
        f"规则总分 {total_text(sc)}  自评总分 {_declared(sc.declared_total)}"
        + (f"  差额 {fmt.signed(sc.difference)}" if sc.difference is not None else ""),
        f"预算执行（{fmt.score(sc.execution.weight)} 分）：{sc.execution.explanation}；自评 {_declared(sc.execution.declared)}",
    ]
    shown = [s for s in sc.indicators
             if all_indicators or s.score != s.weight or (s.declared is not None and s.declared != s.score)]
    lines.append("指标得分：" if all_indicators else f"扣分或自评不同的指标：{'' if shown else '无'}")
    for s in shown:
        ind = form.indicators[s.index]
        lines.append(f"  {indicator_label(form, s.index)}（目标 {ind.target.value or '—'}，实际 {ind.actual.value or '—'}，"
                     f"分值 {fmt.score(s.weight)}）：{s.explanation}；自评 {_declared(s.declared)}")
    counts = "，".join(f"{SEVERITY_LABELS[sev]} {sum(f.severity == sev for f in sc.findings)} 项" for sev in SEVERITIES)
    lines.append(f"审核发现：{counts}" if sc.findings else "审核发现：无")
    lines.extend(f"  [{SEVERITY_LABELS.get(f.severity, f.severity)}] {f.code} {f.message}" for f in sc.findings)
    if not sc.reading.complete:
        lines.append(f"读取状态：{sc.reading.state}（" + "；".join(sc.reading.missing) + "）")
    return "\n".join(lines)


def total_text(sc: Scorecard) -> str:
    """``92.01（优）``, ``87.50（需核实，暂不定级）`` or ``无法计分``."""
    if sc.total is None:
        return sc.reading.state
    if sc.grade is None:
        return f"{fmt.score(sc.total)}（{sc.reading.state}，暂不定级）"
    return f"{fmt.score(sc.total)}（{sc.grade}）"


def reading_text(sc: Scorecard) -> str:
    """How one form was read (``parse --explain``): state, each block and where it was found,
    what the rules lack, what is empty, and the reader's notes; for maintainers of a new layout."""
    form, reading = sc.form, sc.reading
    lines = [
        f"【{form.project.value or '（无项目名称）'}】{_source(sc)}",
        f"读取状态：{reading.state}",
        "找到的部分：",
    ]
    for block in BLOCKS:
        lines.append(f"  {block}：{reading.blocks.get(block, '未找到')}")
    lines.append(f"  项目资金行：{len(form.funds)} 行（{'、'.join(line.label for line in form.funds) or '无'}），"
                 f"金额单位 {form.money_unit}")
    lines.append(f"  绩效指标：{len(form.indicators)} 项，分值合计 "
                 f"{fmt.score(sum(ind.weight.value or 0 for ind in form.indicators))}")
    if form.extra:
        lines.append("  其他栏目：" + "、".join(form.extra))
    lines.append("评分所需但缺少：" + ("无" if not reading.missing else ""))
    lines.extend(f"  · {item}" for item in reading.missing)
    if reading.empty:
        lines.append("未填写：" + "、".join(reading.empty))
    if form.notes:
        lines.append("读取说明：")
        lines.extend(f"  · {note}" for note in form.notes)
    return "\n".join(lines)
