"""Review checks a finance bureau applies to a self-evaluation form (domain §5).

Each check is a small function registered with ``@check(code, severity, title)``;
a province adds its own by decorating one more function (codes must be unique,
``Policy.disabled_checks`` switches any off). Messages are Chinese and start with
the project name and the cell (``窗口业务管理：D17 服务新开办企业数量 …``).

| code | severity | domain §5 | what it finds |
|------|----------|-----------|---------------|
| C01A | error   | 1  | 分值合计（指标 + 预算执行）≠ 100 |
| C01B | warning | 1  | 一级指标分值结构偏离 产出50/效益30/满意度10/执行10 |
| C02A | error   | 2  | 自评得分高于分值（指标或预算执行） |
| C02B | error   | 2  | 自评总分高于 100 |
| C03  | error   | 3  | 自评总分 ≠ 各项自评得分之和 |
| C04A | error   | 4  | 表内执行率 ≠ 全年执行数 ÷ 全年预算数（容差 0.01 个百分点） |
| C04B | error   | 4  | 预算执行自评得分 ≠ 规则得分（容差 0.01） |
| C05  | warning | 5  | 全年执行数超过全年预算数（执行率 > 100%，按满分计） |
| C06A | error   | 6  | 资金来源各行之和 ≠ 年度资金总额 |
| C06B | error   | 6  | 年度资金总额为 0 或空，但分项有金额 |
| C07A | warning | 7  | 预算调整（全年预算数 ≠ 年初预算数）未说明原因 |
| C07B | warning | 7  | 执行率低于 90% 未说明原因 |
| C08  | warning | 8  | 未达成（或部分达成）指标未填写偏差原因 |
| C09  | error   | 9  | 自评虚高：数值指标未达标，自评得分高于规则得分 |
| C10  | warning | 10 | 已达标却扣分，且未说明原因 |
| C11  | warning | 11 | 定性指标自评得分不在其等级区间内 |
| C12  | info    | 12 | 大幅超额完成（实际 / 目标 > 1.5），目标可能偏低 |
| C13A | warning | 13 | 实际完成值缺失（分值 > 0） |
| C13B | warning | 13 | 实际完成值无法解析或无法判定 |
| C13C | warning | 13 | 实际完成值单位与年度指标值单位不一致 |
| C13D | warning | 13 | 数值目标填写了文字实际值 |
| C13E | warning | 13 | 年度指标值缺失或无法解析（分值 > 0） |
| C14  | info    | –  | 自评得分未填写 |

Judgement calls: a budget-adjustment or low-execution reason is searched for in
``Form.extra`` entries whose label mentions 原因/说明/调整 and in the 实际完成情况
text; indicator 偏差原因 notes explain that indicator's shortfall, not the budget
change, so they do not count. Inflation on qualitative indicators is judged by
band (C11), not by C09, because a qualitative grade allows a range of points.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from perfcore import fmt
from perfcore.model import FUND_KINDS, Finding, Form, FundLine, Indicator, Scorecard
from perfcore.policy import DEFAULT_POLICY, Policy
from perfcore.rules import Assessment, assess, execution_rate, execution_weight
from perfcore.text import is_blank
from perfcore.vocab import SEVERITIES

# The declared version of what the checks find and say. Bump it (any new string) with every
# change that adds, removes or changes a finding for some form: code, severity, message or
# cell. It is part of perfcore.scoring.rules_version, stored with every form version, so the
# app can tell that stored findings were made by older checks and offer a rescore.
CHECKS_VERSION = "2026.12-2"  # -2: an indicator finding names the cell it points at


# Words that show a reason for a budget change / low execution was given.
_BUDGET_REASON_WORDS = ("预算调整", "调整预算", "调减", "调增", "追加", "压减", "核减", "收回", "调剂")
_EXECUTION_REASON_WORDS = _BUDGET_REASON_WORDS + ("执行率", "结余", "未支付", "未执行", "延期", "尾款")
_REASON_LABELS = ("原因", "说明", "调整")
_COLUMNS = (("initial", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))


@dataclass(frozen=True)
class Hit:
    """What a check function reports; the registry adds code, severity and the project prefix."""

    message: str
    cell: str = ""
    indicator: int | None = None


def place(cell: str, form: Form) -> str:
    """``Sheet!D17`` → ``D17`` when the sheet is named after the project, else kept whole."""
    sheet, _, ref = cell.rpartition("!")
    if sheet.strip("'") in ("", form.project.value.strip()):
        return ref
    return cell


def indicator_label(form: Form, index: int, cell: str = "") -> str:
    """``D17 服务新开办企业数量``: where an indicator sits (or ``cell``, the cell a finding is
    about, e.g. its 年度指标值 E17) and what it is called."""
    ind = form.indicators[index]
    return " ".join(p for p in (place(cell or ind.cell, form), ind.name or f"第 {index + 1} 个指标") if p)


@dataclass
class Context:
    """One form under review, with its scorecard, policy and each indicator's assessment."""

    form: Form
    card: Scorecard
    policy: Policy
    assessments: list[Assessment] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.assessments:
            self.assessments = [assess(ind, self.policy) for ind in self.form.indicators]

    def indicators(self) -> Iterable[tuple[int, Indicator, Assessment]]:
        """(index, indicator, assessment) for every indicator row."""
        return zip(range(len(self.form.indicators)), self.form.indicators, self.assessments)

    def place(self, cell: str) -> str:
        return place(cell, self.form)

    def about(self, index: int, cell: str = "") -> str:
        """The indicator as a finding names it: the finding's own cell first, so the message and
        the 单元格 column agree (a 年度指标值 finding said D16 while pointing at E16)."""
        return indicator_label(self.form, index, cell)

    @property
    def money_tolerance(self) -> float:
        """Policy tolerance in the printed money unit (0.01 万元 = 100 元), expressed in yuan."""
        return self.policy.money_tolerance * fmt.MONEY_UNITS.get(self.form.money_unit, 1.0)

    @property
    def rate_slack(self) -> float:
        """How far the rate may move because amounts were printed rounded to 0.01 of the money unit."""
        total = self.form.fund("total")
        rate = execution_rate(self.form)
        if total is None or rate is None or not total.budget.value:
            return 0.0
        return self.money_tolerance / 2 * (1 + rate) / total.budget.value


@dataclass(frozen=True)
class Check:
    code: str
    severity: str
    title: str
    run: Callable[[Context], Iterable[Hit]]


REGISTRY: dict[str, Check] = {}


def check(code: str, severity: str, title: str) -> Callable[[Callable[[Context], Iterable[Hit]]], Callable]:
    """Register a check function under a stable code (ValueError on a reused code)."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")

    def register(fn: Callable[[Context], Iterable[Hit]]) -> Callable[[Context], Iterable[Hit]]:
        if code in REGISTRY:
            raise ValueError(f"check code {code} registered twice")
        REGISTRY[code] = Check(code, severity, title, fn)
        return fn

    return register


def run_checks(
    form: Form, scorecard: Scorecard, policy: Policy = DEFAULT_POLICY, assessments: list[Assessment] | None = None
) -> list[Finding]:
    """Every enabled check on one form; errors first, then warnings, then info, each in code order.
    ``assessments`` (one per indicator, from scoring) saves assessing every indicator twice."""
    ctx = Context(form, scorecard, policy, list(assessments or []))
    prefix = form.project.value.strip() or form.source.sheet or "自评表"
    findings = [
        Finding(c.code, c.severity, f"{prefix}：{hit.message}", hit.cell, hit.indicator)
        for c in REGISTRY.values() if c.code not in policy.disabled_checks
        for hit in c.run(ctx)
    ]
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.code))


# --- helpers -----------------------------------------------------------------------


def _n(value: float | None) -> str:
    return fmt.figure(value, 6)


def _off(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) > tolerance + 1e-9


def level1_group(ind: Indicator) -> str:
    """产出 / 效益 / 满意度 (成本 counts with 产出, as in 财预〔2020〕10号), or 其他."""
    for text in (ind.level1, ind.level2):
        for group, words in (("满意度", ("满意",)), ("效益", ("效益", "可持续", "影响")),
                             ("产出", ("产出", "成本", "数量", "质量", "时效"))):
            if any(w in text for w in words):
                return group
    return "其他"


def _reason_given(form: Form, words: tuple[str, ...]) -> bool:
    """A reason is an extra field labelled 原因/说明/调整, or the 实际完成情况 text naming one."""
    if any(any(lbl in key for lbl in _REASON_LABELS) and not is_blank(val) for key, val in form.extra.items()):
        return True
    return any(w in form.goals.actual.value for w in words)


def _total(form: Form) -> FundLine | None:
    return form.fund("total")


# --- 1. weights ----------------------------------------------------------------------


@check("C01A", "error", "分值合计不等于 100")
def weights_total(ctx: Context) -> Iterable[Hit]:
    form = ctx.form
    indicators = sum(ind.weight.value or 0.0 for ind in form.indicators)
    execution = execution_weight(form, ctx.policy)
    expected = form.total_weight.value or ctx.policy.total_weight
    if _off(indicators + execution, expected, ctx.policy.score_tolerance):
        yield Hit(f"分值合计 {_n(indicators + execution)}（指标 {_n(indicators)} + 预算执行 {_n(execution)}）"
                  f"不等于 {_n(expected)}", form.total_weight.cell)


@check("C01B", "warning", "一级指标分值结构偏离原则")
def level1_split(ctx: Context) -> Iterable[Hit]:
    groups: dict[str, float] = {}
    for ind in ctx.form.indicators:
        group = level1_group(ind)
        groups[group] = groups.get(group, 0.0) + (ind.weight.value or 0.0)
    execution = execution_weight(ctx.form, ctx.policy)
    expected = dict(ctx.policy.level1_split)
    differs = any(_off(groups.get(g, 0.0), w, ctx.policy.score_tolerance) for g, w in expected.items())
    differs = differs or groups.get("其他", 0.0) > 0 or _off(execution, ctx.policy.execution_weight, 0.0)
    if differs:
        split = {**groups, "预算执行": execution}
        principle = {**expected, "预算执行": ctx.policy.execution_weight}
        cell = ctx.form.indicators[0].cell if ctx.form.indicators else ""
        yield Hit(f"一级指标分值为 {' / '.join(f'{g} {_n(w)}' for g, w in split.items())}，原则上应为 "
                  f"{' / '.join(f'{g} {_n(w)}' for g, w in principle.items())}", cell)


# --- 2. scores above weights --------------------------------------------------------


@check("C02A", "error", "自评得分高于分值")
def score_above_weight(ctx: Context) -> Iterable[Hit]:
    tol = ctx.policy.score_tolerance
    ex = ctx.form.execution
    weight = execution_weight(ctx.form, ctx.policy)
    if ex.declared_score.value is not None and ex.declared_score.value > weight + tol:
        yield Hit(f"{ctx.place(ex.declared_score.cell)} 预算执行自评得分 {_n(ex.declared_score.value)} "
                  f"高于分值 {_n(weight)}".lstrip(), ex.declared_score.cell)
    for i, ind, _ in ctx.indicators():
        declared, weight = ind.declared_score.value, ind.weight.value or 0.0
        if declared is not None and declared > weight + tol:
            cell = ind.declared_score.cell or ind.cell
            yield Hit(f"{ctx.about(i, cell)} 自评得分 {_n(declared)} 高于分值 {_n(weight)}", cell, i)


@check("C02B", "error", "自评总分高于 100")
def total_above_100(ctx: Context) -> Iterable[Hit]:
    declared = ctx.form.total_declared
    limit = ctx.form.total_weight.value or ctx.policy.total_weight
    if declared.value is not None and declared.value > limit + ctx.policy.score_tolerance:
        yield Hit(f"{ctx.place(declared.cell)} 自评总分 {_n(declared.value)} 高于满分 {_n(limit)}".lstrip(), declared.cell)


# --- 3. declared total ------------------------------------------------------------------


@check("C03", "error", "自评总分与各项得分之和不符")
def declared_total_sum(ctx: Context) -> Iterable[Hit]:
    form = ctx.form
    parts = [form.execution.declared_score.value] + [ind.declared_score.value for ind in form.indicators]
    if form.total_declared.value is None or all(p is None for p in parts):
        return
    summed = sum(p or 0.0 for p in parts)
    if _off(summed, form.total_declared.value, ctx.policy.score_tolerance):
        yield Hit(f"{ctx.place(form.total_declared.cell)} 自评总分 {_n(form.total_declared.value)} "
                  f"不等于各项自评得分之和 {_n(summed)}".lstrip(), form.total_declared.cell)


# --- 4. printed execution arithmetic ---------------------------------------------------


@check("C04A", "error", "执行率计算有误")
def printed_rate(ctx: Context) -> Iterable[Hit]:
    printed, rate = ctx.form.execution.rate, execution_rate(ctx.form)
    if printed.value is not None and rate is not None and _off(printed.value, rate,
                                                               ctx.policy.rate_tolerance + ctx.rate_slack):
        total = _total(ctx.form)
        assert total is not None  # a rate was computed from it
        yield Hit(f"{ctx.place(printed.cell)} 表内执行率 {fmt.percent(printed.value)} 与 全年执行数 "
                  f"{fmt.thousands(total.executed.value)} ÷ 全年预算数 {fmt.thousands(total.budget.value)} "
                  f"= {fmt.percent(rate)} 不符".lstrip(), printed.cell)


@check("C04B", "error", "预算执行得分计算有误")
def printed_execution_score(ctx: Context) -> Iterable[Hit]:
    declared, rule = ctx.form.execution.declared_score, ctx.card.execution
    tolerance = ctx.policy.score_tolerance + rule.weight * ctx.rate_slack
    if declared.value is not None and rule.score is not None and _off(declared.value, rule.score, tolerance):
        yield Hit(f"{ctx.place(declared.cell)} 预算执行自评得分 {_n(declared.value)} 与规则得分 "
                  f"{_n(rule.score)} 不符（{rule.explanation}）".lstrip(), declared.cell)


# --- 5. overspending -----------------------------------------------------------------------


@check("C05", "warning", "执行数超过全年预算数")
def overspent(ctx: Context) -> Iterable[Hit]:
    total = _total(ctx.form)
    rate = execution_rate(ctx.form)
    if total is not None and rate is not None and rate > 1 and _off(total.executed.value or 0.0,
                                                                     total.budget.value or 0.0, ctx.money_tolerance):
        yield Hit(f"{ctx.place(total.executed.cell)} 全年执行数 {fmt.thousands(total.executed.value)} 元超过全年预算数 "
                  f"{fmt.thousands(total.budget.value)} 元（执行率 {fmt.percent(rate)}），按满分计，请核实".lstrip(),
                  total.executed.cell)


# --- 6. funds rows ------------------------------------------------------------------------


def _column_sum(lines: list[FundLine], column: str) -> float | None:
    values = [getattr(line, column).value for line in lines]
    return None if all(v is None for v in values) else sum(v or 0.0 for v in values)


@check("C06A", "error", "资金来源各行之和与总额不符")
def funds_sum(ctx: Context) -> Iterable[Hit]:
    total = _total(ctx.form)
    if total is None:
        return
    standard = [f for f in ctx.form.funds if f.kind in FUND_KINDS and f.kind != "total"]
    every = [f for f in ctx.form.funds if f.kind != "total"]
    for column, label in _COLUMNS:
        printed = getattr(total, column).value
        sums = [s for s in (_column_sum(standard, column), _column_sum(every, column)) if s is not None]
        if not printed or not sums:
            continue  # a zero or blank total is C06B's case
        if all(_off(s, printed, ctx.money_tolerance) for s in sums):
            cell = getattr(total, column).cell
            yield Hit(f"{ctx.place(cell)} 年度资金总额的{label} {fmt.thousands(printed)} 不等于各资金来源之和 "
                      f"{fmt.thousands(sums[0])}".lstrip(), cell)


@check("C06B", "error", "资金总额为 0 但分项有金额")
def funds_total_zero(ctx: Context) -> Iterable[Hit]:
    total = _total(ctx.form)
    parts = [f for f in ctx.form.funds if f.kind != "total"]
    for column, label in _COLUMNS:
        summed = _column_sum(parts, column) or 0.0
        printed = getattr(total, column).value if total is not None else None
        if not printed and abs(summed) > ctx.money_tolerance:
            cell = getattr(total, column).cell if total is not None else ""
            yield Hit(f"{ctx.place(cell)} 年度资金总额的{label}为 {'空' if printed is None else '0'}，"
                      f"但各资金来源合计 {fmt.thousands(summed)}".lstrip(), cell)


# --- 7. budget adjusted / low execution without a reason ------------------------------------


@check("C07A", "warning", "预算调整未说明原因")
def budget_adjusted(ctx: Context) -> Iterable[Hit]:
    total = _total(ctx.form)
    if total is None or not total.initial.value or total.budget.value is None:
        return
    initial, budget = total.initial.value, total.budget.value
    if _off(initial, budget, ctx.money_tolerance) and not _reason_given(ctx.form, _BUDGET_REASON_WORDS):
        change = (budget - initial) / initial
        verb = "调减" if change < 0 else "调增"
        yield Hit(f"{ctx.place(total.budget.cell)} 全年预算数 {fmt.thousands(budget)} 较年初预算数 "
                  f"{fmt.thousands(initial)} {verb} {fmt.percent(abs(change))}，表内未说明预算调整原因".lstrip(),
                  total.budget.cell)


@check("C07B", "warning", "执行率偏低未说明原因")
def low_execution(ctx: Context) -> Iterable[Hit]:
    rate = execution_rate(ctx.form)
    if rate is not None and rate < ctx.policy.low_execution_rate and not _reason_given(ctx.form,
                                                                                       _EXECUTION_REASON_WORDS):
        total = _total(ctx.form)
        cell = ctx.form.execution.rate.cell or (total.executed.cell if total else "")
        yield Hit(f"{ctx.place(cell)} 执行率 {fmt.percent(rate)} 低于 {fmt.percent(ctx.policy.low_execution_rate, 0)}，"
                  f"表内未说明原因".lstrip(), cell)


# --- 8–12. indicators -------------------------------------------------------------------


def _versus(a: Assessment) -> str:
    return f"{a.actual.raw.strip()} / {a.target.raw.strip()}"


@check("C08", "warning", "未达成指标未填写偏差原因")
def missed_without_reason(ctx: Context) -> Iterable[Hit]:
    for i, ind, a in ctx.indicators():
        if a.status in ("missed", "partly") and is_blank(ind.note.value):
            word = "部分达成" if a.status == "partly" else "未达到目标"
            cell = ind.note.cell or ind.cell
            yield Hit(f"{ctx.about(i, cell)} {word}（{_versus(a)}），未填写偏差原因分析及改进措施", cell, i)


@check("C09", "error", "自评得分虚高")
def inflation(ctx: Context) -> Iterable[Hit]:
    tol = ctx.policy.score_tolerance
    for i, ind, a in ctx.indicators():
        rule = ctx.card.indicators[i]
        if a.rule == "qualitative" or a.status not in ("missed", "partly") or rule.score is None:
            continue
        declared = ind.declared_score.value
        if declared is not None and declared > rule.score + tol:
            yield Hit(f"{ctx.about(i)} 未达到目标（{_versus(a)}），自评得分 {_n(declared)} 高于规则得分 "
                      f"{_n(rule.score)}", ind.cell or ind.declared_score.cell, i)


@check("C10", "warning", "已达标却扣分且未说明原因")
def unexplained_deduction(ctx: Context) -> Iterable[Hit]:
    tol = ctx.policy.score_tolerance
    for i, ind, a in ctx.indicators():
        declared, weight = ind.declared_score.value, ind.weight.value or 0.0
        if a.status == "met" and declared is not None and declared < weight - tol and is_blank(ind.note.value):
            cell = ind.declared_score.cell or ind.cell
            yield Hit(f"{ctx.about(i, cell)} 已达到目标（{_versus(a)}），自评扣 {_n(weight - declared)} 分但未说明原因",
                      cell, i)


@check("C11", "warning", "定性指标得分不在等级区间内")
def qualitative_band(ctx: Context) -> Iterable[Hit]:
    for i, ind, a in ctx.indicators():
        declared, weight = ind.declared_score.value, ind.weight.value or 0.0
        band = ctx.policy.band(a.status)
        if a.rule != "qualitative" or band is None or declared is None or weight <= 0:
            continue
        if not band.contains(declared / weight):
            cell = ind.declared_score.cell or ind.cell
            yield Hit(f"{ctx.about(i, cell)} 定性判定为{band.label}（{_versus(a)}），得分区间 "
                      f"{_n(ctx.policy.round(weight * band.low))}–{_n(ctx.policy.round(weight * band.high))} 分"
                      f"（{fmt.percent(band.low, 0)}–{fmt.percent(band.high, 0)}），自评得分 {_n(declared)} 不在区间内",
                      cell, i)


@check("C12", "info", "大幅超额完成")
def over_achievement(ctx: Context) -> Iterable[Hit]:
    for i, ind, a in ctx.indicators():
        if a.ratio is not None and a.ratio > ctx.policy.over_achievement_ratio:
            cell = ind.actual.cell or ind.cell
            yield Hit(f"{ctx.about(i, cell)} 实际完成值为目标的 {a.ratio:.2f} 倍（{_versus(a)}），"
                      f"超过 {_n(ctx.policy.over_achievement_ratio)} 倍，目标可能设置偏低，请复核", cell, i)


# --- 13. values that cannot be compared -------------------------------------------------


def _problem_check(problems: tuple[str, ...], *, target: bool = False) -> Callable[[Context], Iterable[Hit]]:
    """A check that reports indicators (weight > 0) whose assessment has one of these problems."""

    def run(ctx: Context) -> Iterable[Hit]:
        for i, ind, a in ctx.indicators():
            if a.problem in problems and (ind.weight.value or 0.0) > 0:
                cell = (ind.target.cell if target else ind.actual.cell) or ind.cell
                explanation = ctx.card.indicators[i].explanation
                yield Hit(f"{ctx.about(i, cell)} {explanation}", cell, i)

    return run


check("C13A", "warning", "实际完成值缺失")(_problem_check(("missing_actual",)))
check("C13B", "warning", "实际完成值无法解析或判定")(
    _problem_check(("unparseable_actual", "numeric_actual", "bound_only", "unjudgeable")))
check("C13C", "warning", "实际完成值单位与目标不一致")(_problem_check(("unit_mismatch",)))
check("C13E", "warning", "年度指标值缺失或无法解析")(
    _problem_check(("missing_target", "unparseable_target"), target=True))


@check("C13D", "warning", "数值目标填写了文字实际值")
def text_actual(ctx: Context) -> Iterable[Hit]:
    for i, ind, a in ctx.indicators():
        if a.problem == "text_actual" and (ind.weight.value or 0.0) > 0:
            cell = ind.actual.cell or ind.cell
            yield Hit(f"{ctx.about(i, cell)} 年度指标值“{a.target.raw.strip()}”为数值，实际完成值却填写文字"
                      f"“{a.actual.raw.strip()}”（{ctx.card.indicators[i].explanation}）", cell, i)


# --- 14. blank self-scores -------------------------------------------------------------------


@check("C14", "info", "自评得分未填写")
def declared_blank(ctx: Context) -> Iterable[Hit]:
    blanks = [ind for ind in ctx.form.indicators if (ind.weight.value or 0.0) > 0 and ind.declared_score.value is None]
    if blanks:
        cells = "、".join(ctx.place(ind.declared_score.cell) or ind.name for ind in blanks[:5])
        more = f" 等 {len(blanks)} 项" if len(blanks) > 5 else ""
        yield Hit(f"{len(blanks)} 个指标未填写自评得分（{cells}{more}）", blanks[0].declared_score.cell or blanks[0].cell)
