"""A scorecard as a readable Chinese review report (what ``python -m perfcore check`` prints).

Why: reviewers read plain text in a terminal or an e-mail; the report shows the rule
total against the self-score, every deduction with its arithmetic, then the findings
with their cells, errors first.
"""
from __future__ import annotations

from perfcore import fmt
from perfcore.checks import SEVERITIES, SEVERITY_LABELS, indicator_label
from perfcore.model import Scorecard
from perfcore.policy import POLICIES


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
        f"规则总分 {fmt.score(sc.total)}（{sc.grade}）  自评总分 {_declared(sc.declared_total)}"
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
    return "\n".join(lines)
