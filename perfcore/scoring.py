"""Recompute every score of a form by the rules and spell out the arithmetic in Chinese.

Leadership trusts a dashboard number only if it can be explained: each indicator
and the execution block get a rule score plus a short explanation such as
``未达标：7 × 3146 ÷ 29000 = 0.76``. Rule settings come from a Policy (domain §4).
"""
from __future__ import annotations

import hashlib
from dataclasses import fields
from functools import lru_cache

from perfcore import fmt
from perfcore.checks import CHECKS_VERSION, run_checks
from perfcore.model import ExecutionScore, Form, Indicator, IndicatorScore, Scorecard
from perfcore.policy import DEFAULT_POLICY, Policy
from perfcore.reading import reading_report
from perfcore.rules import Assessment, assess, execution_rate, execution_weight

_STATUS_WORD = {"met": "达成", "partly": "部分达成", "missed": "未达成"}

# The declared version of the scoring rules. Bump it (any new string) with every change to
# perfcore.rules, perfcore.values, this module or perfcore.reading that changes a rule score,
# an explanation, a total, a grade or a reading state for some form. With CHECKS_VERSION and
# the policy's settings it makes rules_version(), which every stored form version records:
# versions stored under another rules version are shown as stale until rescored.
RULES_VERSION = "2026.12-2"


def _setting(value: object) -> object:
    """A policy setting in a form whose repr is the same in every process (sets sorted)."""
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(value))
    return value


@lru_cache(maxsize=64)
def rules_version(policy: Policy = DEFAULT_POLICY) -> str:
    """Short hash of RULES_VERSION, CHECKS_VERSION and the policy's settings (its label aside).

    Two scorecards with the same rules version were computed by the same rules, checks and
    settings; a changed setting of a built-in policy gives a new one without any bump.
    """
    settings = tuple((f.name, _setting(getattr(policy, f.name))) for f in fields(policy) if f.name != "label")
    text = f"rules {RULES_VERSION}; checks {CHECKS_VERSION}; policy {settings!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@lru_cache(maxsize=1 << 14)
def _n(value: float) -> str:
    """A figure as printed in an explanation: no float noise, no thousands separators
    (memoised: weights and full-mark scores repeat on every form)."""
    return fmt.figure(value, 6)


def _unknown_reason(a: Assessment) -> str:
    """Why an indicator cannot be scored, naming the offending text."""
    target, actual = a.target, a.actual
    reasons = {
        "missing_target": "年度指标值缺失",
        "unparseable_target": f"年度指标值“{target.raw}”无法解析",
        "missing_actual": "实际完成值缺失",
        "unparseable_actual": f"实际完成值“{actual.raw}”无法解析",
        "unit_mismatch": f"实际完成值单位（{actual.unit_label}）与年度指标值单位（{target.unit_label}）不一致",
        "numeric_actual": f"定性目标“{target.raw}”填写了数值“{actual.raw}”，无法判定",
        "text_actual": f"数值目标“{target.raw}”填写了文字“{actual.raw}”，无法判定",
        "bound_only": f"实际完成值“{actual.raw}”只给出范围，无法判定是否达到“{target.raw}”",
        "unjudgeable": f"实际完成值“{actual.raw}”与目标“{target.raw}”不一致，无法判定是否达成",
    }
    return reasons.get(a.problem or "", "无法判定") + "，无法计分"


def _explain(a: Assessment, weight: float, score: float) -> str:
    """The Chinese explanation of one rule score."""
    w, s = _n(weight), _n(score)
    if a.status == "unknown":
        return _unknown_reason(a)
    if a.rule == "qualitative" or a.problem == "text_actual":
        lead = "定性指标" if a.rule == "qualitative" else f"数值目标按文字“{a.actual.raw}”判定，"
        if a.status == "met":
            return f"{lead}达成：得满分 {w}"
        if a.status == "partly":
            return f"{lead}部分达成：{w} × {fmt.percent(a.share, 0)} = {s}"
        return f"{lead}未达成：得 0 分"
    if a.status == "met":
        return f"达标：得满分 {w}"
    t, x = _n(a.t or 0.0), _n(a.a or 0.0)
    if a.rule == "zero":
        return f"未达标（目标为 0，实际 {x}）：得 0 分"
    if (a.t or 0.0) <= 0:
        return f"未达标（实际 {x}，目标 {a.target.raw}）：得 0 分"
    if a.rule == "reverse" or (a.rule == "exact" and (a.a or 0.0) > (a.t or 0.0)):
        return f"未达标（反向指标）：{w} × {t} ÷ {x} = {s}"
    return f"未达标：{w} × {x} ÷ {t} = {s}"


def score_indicator(
    index: int, indicator: Indicator, policy: Policy = DEFAULT_POLICY, assessment: Assessment | None = None
) -> IndicatorScore:
    """Rule score of one indicator (index = its position in Form.indicators); an assessment
    already made for it is reused rather than recomputed."""
    weight = indicator.weight.value or 0.0
    a = assessment or assess(indicator, policy)
    score = None if a.share is None else policy.round(weight * a.share)
    return IndicatorScore(
        index=index,
        weight=weight,
        score=score,
        status=a.status,
        explanation=_explain(a, weight, score or 0.0),
        declared=indicator.declared_score.value,
        rule=a.rule,
    )


def execution_arithmetic(executed: float | None, budget: float | None, rate: float | None, unit: str = "元") -> str:
    """The rate's arithmetic with the amounts in a display unit, unit named:
    "执行率 = 626.17 万元 ÷ 800.00 万元 = 78.27%" (the scorecard shows it in the chosen unit)."""
    return (f"执行率 = {fmt.money(executed, unit, suffix=True)} ÷ {fmt.money(budget, unit, suffix=True)}"
            f" = {fmt.percent(rate)}")


def score_execution(form: Form, policy: Policy = DEFAULT_POLICY) -> ExecutionScore:
    """Execution score = weight × min(rate, cap), rounded (domain §4)."""
    weight = execution_weight(form, policy)
    declared = form.execution.declared_score.value
    total = form.fund("total")
    rate = execution_rate(form)
    if rate is None:
        missing = "全年执行数" if total is not None and total.budget.value else "全年预算数"
        reason = f"年度资金总额的{missing}缺失或为 0，无法计算执行率，无法计分"
        return ExecutionScore(weight, None, None, reason, declared)
    assert total is not None  # the rate was computed from it
    capped = min(rate, policy.rate_cap)
    score = policy.round(weight * capped)
    arithmetic = execution_arithmetic(total.executed.value, total.budget.value, rate)
    if rate > policy.rate_cap:
        tail = f"超过 {fmt.percent(policy.rate_cap, 0)}，按满分计 {_n(score)}"
    elif rate == policy.rate_cap:
        tail = f"得满分 {_n(score)}"
    else:
        tail = f"得分 {_n(weight)} × {fmt.percent(rate)} = {_n(score)}"
    return ExecutionScore(weight, rate, score, f"{arithmetic}，{tail}", declared)


def grade_for(total: float, policy: Policy = DEFAULT_POLICY) -> str:
    """优 / 良 / 中 / 差 (or the policy's labels) for a total score."""
    for label, low in policy.grade_bands:
        if total >= low - 1e-9:
            return label
    return policy.grade_bands[-1][0]


def score_form(form: Form, policy: Policy = DEFAULT_POLICY) -> Scorecard:
    """Form → Scorecard: rule scores with explanations, total, grade and review findings.

    Only a form read completely gets a grade; one that cannot be scored has no total either
    (see perfcore.reading)."""
    execution = score_execution(form, policy)
    assessments = [assess(ind, policy) for ind in form.indicators]  # shared with the checks
    indicators = [
        score_indicator(i, ind, policy, a) for i, (ind, a) in enumerate(zip(form.indicators, assessments))
    ]
    reading = reading_report(form, execution, indicators)
    total = policy.round((execution.score or 0.0) + sum(s.score or 0.0 for s in indicators))
    card = Scorecard(
        form=form,
        policy=policy.name,
        execution=execution,
        indicators=indicators,
        total=total if reading.scorable else None,
        grade=grade_for(total, policy) if reading.complete else None,
        declared_total=form.total_declared.value,
        reading=reading,
        rules_version=rules_version(policy),
    )
    card.findings = run_checks(form, card, policy, assessments)
    return card
