"""What-if: change a copy of a form, re-score it, show the difference; and the reverse question.

Why: a unit (or the bureau) asks "what would we score if this actual were X?" and
"what must change to reach 良?". Changing an actual, an amount or a self-score is
the normal use; changing an approved target or weight is only a marked simulation
(a self-evaluation may not change them, domain §4). The stored form is never touched.
"""
from __future__ import annotations

import copy
from dataclasses import asdict, dataclass
from typing import Any, Literal

from perfcore import fmt
from perfcore.model import Form, FundLine, Num, Scorecard
from perfcore.policy import DEFAULT_POLICY, Policy
from perfcore.rules import assess, execution_rate
from perfcore.scoring import score_form
from perfcore.text import parse_number, squash

ChangeKind = Literal["actual", "executed", "budget", "declared_score", "target", "weight"]
KINDS: tuple[str, ...] = ("actual", "executed", "budget", "declared_score", "target", "weight")
SIMULATION_KINDS = frozenset({"target", "weight"})
INDICATOR_KINDS = frozenset({"actual", "target", "weight"})
AMOUNT_KINDS = frozenset({"executed", "budget"})


@dataclass(frozen=True)
class Change:
    """One edit. ``index``: the indicator (actual/target/weight/declared_score), the fund line
    (executed/budget; None = 年度资金总额), or None for the execution self-score."""

    kind: str
    index: int | None
    value: str | float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Change:
        return cls(d["kind"], d.get("index"), d["value"])


@dataclass(frozen=True)
class IndicatorDiff:
    """How one indicator's rule score moved."""

    index: int
    name: str
    old: float | None
    new: float | None
    delta: float


@dataclass
class WhatIfResult:
    base: Scorecard
    new: Scorecard
    simulated: bool            # True when a target or weight was changed
    diffs: list[IndicatorDiff]

    @property
    def total_delta(self) -> float | None:
        """Change of the rule total; None when either side cannot be scored."""
        if self.new.total is None or self.base.total is None:
            return None
        return round(self.new.total - self.base.total, 2)

    @property
    def execution_delta(self) -> float:
        return round((self.new.execution.score or 0.0) - (self.base.execution.score or 0.0), 2)


def _text(value: str | float) -> str:
    return value if isinstance(value, str) else fmt.figure(value, 6)


def _number(change: Change) -> float:
    number = parse_number(change.value)
    if number is None:
        raise ValueError(f"“{change.value}”不是数字，无法修改{change.kind}")
    return number


def _set(num: Num, value: float) -> Num:
    return Num(value, fmt.figure(value, 6), num.cell)


def _sub_rows_add_up(form: Form, column: str) -> bool:
    total = form.fund("total")
    parts = [getattr(f, column).value or 0.0 for f in form.funds if f.kind != "total"]
    return total is not None and abs(sum(parts) - (getattr(total, column).value or 0.0)) < 0.005


def _change_amount(form: Form, change: Change) -> None:
    """Set 全年执行数 / 全年预算数 and keep the funds block adding up (and the printed rate in step)."""
    column = change.kind
    value = _number(change)
    total = form.fund("total")
    if change.index is None:
        if total is None:
            total = FundLine("total", "年度资金总额")
            form.funds.insert(0, total)
        partner = form.fund("appropriation") if _sub_rows_add_up(form, column) else None
        line = total
    else:
        if not 0 <= change.index < len(form.funds):
            raise ValueError(f"资金行序号 {change.index} 超出范围（共 {len(form.funds)} 行）")
        line = form.funds[change.index]
        partner = total if line is not total and _sub_rows_add_up(form, column) else None
    delta = value - (getattr(line, column).value or 0.0)
    setattr(line, column, _set(getattr(line, column), value))
    if partner is not None:
        setattr(partner, column, _set(getattr(partner, column), (getattr(partner, column).value or 0.0) + delta))
    rate = execution_rate(form)
    if form.execution.rate.value is not None and rate is not None:
        form.execution.rate = _set(form.execution.rate, rate)


def _change_declared(form: Form, change: Change) -> None:
    """A self-score edit; the declared total follows so that it still adds up."""
    value = _number(change)
    holder = form.execution if change.index is None else form.indicators[change.index]
    old = holder.declared_score.value or 0.0
    holder.declared_score = _set(holder.declared_score, value)
    if form.total_declared.value is not None:
        form.total_declared = _set(form.total_declared, round(form.total_declared.value + value - old, 6))


def apply_changes(form: Form, changes: list[Change]) -> Form:
    """A deep copy of the form with the changes applied (ValueError in Chinese for a bad change)."""
    new = copy.deepcopy(form)
    for change in changes:
        if change.kind not in KINDS:
            raise ValueError(f"未知修改类型“{change.kind}”，可选：{'、'.join(KINDS)}")
        needs_indicator = change.kind in INDICATOR_KINDS or (change.kind == "declared_score" and change.index is not None)
        if needs_indicator and not (change.index is not None and 0 <= change.index < len(new.indicators)):
            raise ValueError(f"指标序号 {change.index} 超出范围（共 {len(new.indicators)} 个指标）")
        if change.kind in ("executed", "budget"):
            _change_amount(new, change)
        elif change.kind == "declared_score":
            _change_declared(new, change)
        elif change.index is not None and change.kind == "weight":  # index checked above
            ind = new.indicators[change.index]
            ind.weight = _set(ind.weight, _number(change))
        elif change.index is not None:
            getattr(new.indicators[change.index], change.kind).value = _text(change.value)
    return new


def combine(earlier: list[Change], later: list[Change]) -> list[Change]:
    """Changes made on top of a changed copy (``later`` found against ``apply_changes(form, earlier)``)
    as one list against the form: ``earlier`` then ``later``, applied in that order.

    An indicator's text or score changed again keeps only its last value. Amounts stay in
    sequence: changing one funds row moves the row it adds up with, so a second change of
    the same row is relative to where the first one left both.
    """
    again = {(c.kind, c.index) for c in later if c.kind not in AMOUNT_KINDS}
    return [c for c in earlier if (c.kind, c.index) not in again] + later


def what_if(form: Form, changes: list[Change], policy: Policy = DEFAULT_POLICY, *,
            base: Scorecard | None = None) -> WhatIfResult:
    """Score the form as stored and with the changes; list the indicators whose rule score moved.

    ``base``: the stored form's scorecard under the same policy, when the caller already has it.
    """
    base = base if base is not None else score_form(form, policy)
    new = score_form(apply_changes(form, changes), policy)
    diffs = [
        IndicatorDiff(b.index, form.indicators[b.index].name, b.score, n.score,
                      round((n.score or 0.0) - (b.score or 0.0), 2))
        for b, n in zip(base.indicators, new.indicators) if b.score != n.score
    ]
    simulated = any(c.kind in SIMULATION_KINDS for c in changes)
    return WhatIfResult(base, new, simulated, diffs)


def full_marks_actual(form: Form, index: int, policy: Policy = DEFAULT_POLICY) -> str | None:
    """The actual text that earns indicator ``index`` full marks (``29000家`` for ``>=29000家``).

    Strict targets keep their operator (``>5件``: any value above 5 will do); a
    qualitative target gives its own word; an unusable target gives None.
    """
    target = assess(form.indicators[index], policy).target
    if target.kind == "qualitative":
        return squash(target.raw)
    if target.kind != "quantitative":
        return None
    text = target.text(op=False)
    return f"{target.op}{text}" if target.op in (">", "<") else text


def full_marks_executed(form: Form, policy: Policy = DEFAULT_POLICY) -> float | None:
    """The 全年执行数 (yuan) that earns the execution block full marks: full-year budget × the rate cap.

    None when the form has no full-year budget (no rate, nothing to raise).
    """
    total = form.fund("total")
    if total is None or not total.budget.value:
        return None
    return round(total.budget.value * policy.rate_cap, 2)


def execution_change(form: Form, card: Scorecard, policy: Policy = DEFAULT_POLICY) -> tuple[float, Change] | None:
    """(points recovered, the change) that raises 全年执行数 to full marks; None when execution lost nothing
    or was not scored (a value not read is not points lost)."""
    ex = card.execution
    executed = full_marks_executed(form, policy)
    if ex.score is None or executed is None or ex.weight - ex.score <= 0:
        return None
    return ex.weight - ex.score, Change("executed", None, executed)


def path_to_grade(form: Form, grade: str, policy: Policy = DEFAULT_POLICY) -> list[Change] | None:
    """Fewest changes (largest points recovered first) to reach ``grade``: indicator actuals, and
    全年执行数 when the execution block lost points (issue 19: it counts like any indicator).

    [] when the form already has it, None when even full marks on every indicator that
    can be fixed, and on execution, are not enough. Taking the largest gains first minimises the count.
    """
    threshold = policy.grade_threshold(grade)
    card = score_form(form, policy)
    if card.total is None:
        return None  # a form that cannot be scored has no path to any grade
    if card.total >= threshold - 1e-9:
        return []
    candidates: list[tuple[float, int, Change]] = []
    for s in card.indicators:
        gain = s.weight - (s.score or 0.0)
        actual = full_marks_actual(form, s.index, policy) if gain > 0 else None
        if actual is not None:
            candidates.append((-gain, s.index, Change("actual", s.index, actual)))
    execution = execution_change(form, card, policy)
    if execution is not None:
        candidates.append((-execution[0], -1, execution[1]))
    changes: list[Change] = []
    total = card.total
    for neg_gain, _, change in sorted(candidates, key=lambda c: (c[0], c[1])):
        changes.append(change)
        total = policy.round(total - neg_gain)
        if total >= threshold - 1e-9:
            return changes
    return None
