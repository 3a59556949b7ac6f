"""Judge one indicator: which rule applies, whether its target is met, what share it earns.

Kept apart from scoring (which writes the arithmetic out) so that the review checks
can ask the same questions (why is this unknown? how far above target?) without
re-implementing them. Numbers here are unrounded; rounding is the scorer's job.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from perfcore.model import Form, Indicator
from perfcore.policy import Policy
from perfcore.text import squash
from perfcore.values import REVERSE_OPS, Value, comparable, parse_value

# Why an indicator is unknown, or what is odd about it (see checks C13*).
PROBLEMS = (
    "missing_target", "unparseable_target", "missing_actual", "unparseable_actual",
    "unit_mismatch", "numeric_actual", "text_actual", "bound_only", "unjudgeable",
)


@dataclass(frozen=True)
class Assessment:
    """The verdict on one indicator under a policy."""

    target: Value
    actual: Value
    rule: str                   # forward / reverse / zero / exact / qualitative / "" (no usable target)
    status: str                 # met / partly / missed / unknown
    share: float | None         # fraction of the weight earned, unrounded; None when unknown
    t: float | None = None      # target number on the common unit scale
    a: float | None = None      # actual number (the bound nearest the target) on that scale
    ratio: float | None = None  # how far a met target was exceeded (a/t forward, t/a reverse)
    problem: str | None = None  # one of PROBLEMS


@dataclass(frozen=True)
class _Interval:
    """What an actual says about the true value: ``≥90`` is [90, ∞), ``90`` is [90, 90]."""

    lo: float
    hi: float
    lo_closed: bool = True
    hi_closed: bool = True

    @classmethod
    def of(cls, op: str | None, a: float) -> _Interval:
        return {
            ">=": cls(a, math.inf),
            ">": cls(a, math.inf, lo_closed=False),
            "<=": cls(-math.inf, a),
            "<": cls(-math.inf, a, hi_closed=False),
        }.get(op or "=", cls(a, a))

    def verdict(self, op: str, t: float) -> bool | None:
        """True if every value in the interval meets ``x op t``, False if none does, else None."""
        lo_gt = self.lo > t or (self.lo == t and not self.lo_closed)   # every x > t
        lo_ge = self.lo >= t                                            # every x >= t
        hi_lt = self.hi < t or (self.hi == t and not self.hi_closed)    # every x < t
        hi_le = self.hi <= t                                            # every x <= t
        table = {
            ">=": (lo_ge, hi_lt),
            ">": (lo_gt, hi_le),
            "<=": (hi_le, lo_gt),
            "<": (hi_lt, lo_ge),
            "=": (self.lo == self.hi == t, hi_lt or lo_gt),
        }
        all_ok, none_ok = table[op]
        return True if all_ok else False if none_ok else None


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    return any(w and w in text for w in words)


def _is_negative(word: str, policy: Policy) -> bool:
    for benign in policy.negative_exceptions:
        word = word.replace(benign, "")
    return _has_any(word, policy.negative_words)


def judge_words(target: str | None, actual: str, policy: Policy) -> str | None:
    """Status of a qualitative actual against a target word (None target = numeric target)."""
    if target is not None and actual == target:
        return "met"
    if target is not None and _is_negative(target, policy):
        return "met" if _is_negative(actual, policy) else "missed"
    if _is_negative(actual, policy):
        return "missed"
    if _has_any(actual, policy.partial_words):
        return "partly"
    if (target and target in actual) or _has_any(actual, policy.achievement_words):
        return "met"
    return None


def _unknown(target: Value, actual: Value, rule: str, problem: str) -> Assessment:
    return Assessment(target, actual, rule, "unknown", None, problem=problem)


def _words(target: Value, actual: Value, rule: str, policy: Policy, problem: str | None) -> Assessment:
    """Judge a qualitative actual (against a word target, or a numeric one as a fallback)."""
    status = judge_words(target.word if target.kind == "qualitative" else None, actual.word, policy)
    if status is None:
        return _unknown(target, actual, rule, problem or "unjudgeable")
    band = policy.band(status)
    return Assessment(target, actual, rule, status, band.share if band else None, problem=problem)


def _rule_for(target: Value, policy: Policy) -> tuple[str, str]:
    """(rule name, comparison operator) for a quantitative target."""
    t = target.number or 0.0
    op = target.op or "="
    if t == 0 and op in ("=", "<=") and policy.zero_all_or_nothing:
        return "zero", "<="  # counts and rates cannot go below 0: "≤0" on the actual means 0
    if op in REVERSE_OPS:
        return "reverse", op
    if op == "=" and not policy.equal_as_forward:
        return "exact", op
    return "forward", ">=" if op == "=" else op


def _missed_share(rule: str, t: float, a: float) -> float:
    """Share of the weight for a missed quantitative target (domain §4)."""
    if rule == "zero" or t <= 0:
        return 0.0
    if rule == "exact" and a > t:
        rule = "reverse"
    if rule == "reverse":
        return t / a if a > 0 else 0.0
    return min(max(a / t, 0.0), 1.0)


def _ratio(rule: str, t: float, a: float) -> float | None:
    if rule == "forward" and t > 0 and math.isfinite(a):
        return a / t
    if rule == "reverse" and t > 0 and a > 0 and math.isfinite(a):
        return t / a
    return None


def assess(indicator: Indicator, policy: Policy) -> Assessment:
    """Parse target and actual of one indicator and judge them under the policy."""
    return _assess(indicator.target.value, indicator.actual.value, policy)


@lru_cache(maxsize=1 << 14)
def _assess(target_text: str, actual_text: str, policy: Policy) -> Assessment:
    """Memoised on the two texts: the same target and actual recur across a department's
    forms (≥95% / 98%, 及时 / 及时), and an Assessment is immutable."""
    target = parse_value(target_text)
    actual = parse_value(actual_text)
    if target.kind in ("missing", "unparseable"):
        return _unknown(target, actual, "", f"{target.kind}_target")
    rule = "qualitative" if target.kind == "qualitative" else _rule_for(target, policy)[0]
    if rule == "zero" and squash(actual.raw) in policy.zero_words:
        return Assessment(target, actual, rule, "met", 1.0, 0.0, 0.0)
    if actual.kind in ("missing", "unparseable"):
        return _unknown(target, actual, rule, f"{actual.kind}_actual")
    if target.kind == "qualitative":
        if actual.kind != "qualitative":
            return _unknown(target, actual, rule, "numeric_actual")
        return _words(target, actual, rule, policy, None)
    if actual.kind == "qualitative":
        return _words(target, actual, rule, policy, "text_actual")
    pair = comparable(target, actual)
    if pair is None:
        return _unknown(target, actual, rule, "unit_mismatch")
    t, a = pair
    _, op = _rule_for(target, policy)
    interval = _Interval.of(actual.op, a)
    verdict = interval.verdict(op, t)
    if verdict is None:
        return _unknown(target, actual, rule, "bound_only")
    if verdict:
        return Assessment(target, actual, rule, "met", 1.0, t, a, ratio=_ratio(rule, t, interval.lo))
    nearest = interval.hi if rule == "forward" or (rule == "exact" and a < t) else interval.lo
    return Assessment(target, actual, rule, "missed", _missed_share(rule, t, nearest), t, nearest)


def execution_weight(form: Form, policy: Policy) -> float:
    """The 分值 printed for execution, else the policy's."""
    printed = form.execution.weight.value
    return policy.execution_weight if printed is None else printed


def execution_rate(form: Form) -> float | None:
    """全年执行数 / 全年预算数 of the 年度资金总额 row (None when either is missing or the budget is 0)."""
    total = form.fund("total")
    if total is None or not total.budget.value or total.executed.value is None:
        return None
    return total.executed.value / total.budget.value
