"""The domain model of a 财政项目支出绩效自评表 and of its scorecard.

Every value read from a workbook keeps its raw text and its cell (``Sheet!C12``)
so that a finding, an explanation or the UI can point the user back at it.
Money is stored in yuan whatever unit the form printed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from perfcore.vocab import COMPLETE, UNSCORABLE

FundKind = Literal["total", "appropriation", "carryover", "other", "extra"]
Status = Literal["met", "partly", "missed", "unknown"]
Severity = Literal["error", "warning", "info"]

FUND_KINDS: tuple[str, ...] = ("total", "appropriation", "carryover", "other")


@dataclass
class Num:
    """A number read from one cell: parsed value (None = blank / not applicable), raw text, cell."""

    value: float | None = None
    raw: str = ""
    cell: str = ""


@dataclass
class Text:
    """A piece of text read from one cell."""

    value: str = ""
    cell: str = ""


@dataclass(frozen=True)
class Source:
    """Where a form was read: file name, sheet name, 1-based row of its title."""

    file: str = ""
    sheet: str = ""
    first_row: int = 1


@dataclass
class FundLine:
    """One row of the 项目资金 block, amounts in yuan."""

    kind: str  # one of FUND_KINDS or "extra" (财政专户管理资金, 单位资金, ...)
    label: str
    initial: Num = field(default_factory=Num)   # 年初预算数
    budget: Num = field(default_factory=Num)    # 全年预算数 / 调整后预算数
    executed: Num = field(default_factory=Num)  # 全年执行数


@dataclass
class Execution:
    """The execution (预算执行率) part of the funds block as printed on the form."""

    weight: Num = field(default_factory=Num)          # 分值, usually 10 (20 in some provinces)
    rate: Num = field(default_factory=Num)            # printed 执行率 as a fraction, 1.0 = 100%
    declared_score: Num = field(default_factory=Num)  # printed 得分


@dataclass
class Goals:
    """年度总体目标: planned (预算目标 / 预期目标) and achieved (实际完成情况)."""

    planned: Text = field(default_factory=Text)
    actual: Text = field(default_factory=Text)


@dataclass
class Indicator:
    """One 三级指标 row. Target and actual stay raw text; perfcore.values parses them."""

    level1: str
    level2: str
    name: str
    target: Text = field(default_factory=Text)
    actual: Text = field(default_factory=Text)
    weight: Num = field(default_factory=Num)
    declared_score: Num = field(default_factory=Num)
    note: Text = field(default_factory=Text)  # 偏差原因分析及改进措施
    cell: str = ""   # cell of the indicator name, "Sheet!C12"
    row: int = 0     # 1-based sheet row


@dataclass
class Form:
    """One self-evaluation form as read from a workbook."""

    source: Source
    year: int | None = None
    project: Text = field(default_factory=Text)
    department: Text = field(default_factory=Text)  # 主管部门
    unit: Text = field(default_factory=Text)        # 实施单位
    money_unit: str = "元"                           # unit printed on the form; amounts are stored in yuan
    funds: list[FundLine] = field(default_factory=list)
    execution: Execution = field(default_factory=Execution)
    goals: Goals = field(default_factory=Goals)
    indicators: list[Indicator] = field(default_factory=list)
    total_weight: Num = field(default_factory=Num)
    total_declared: Num = field(default_factory=Num)
    extra: dict[str, str] = field(default_factory=dict)  # 项目负责人, 填报日期, ... as printed
    notes: list[str] = field(default_factory=list)       # reader remarks in Chinese (cells guessed, formulas, ...)
    layout: dict[str, str] = field(default_factory=dict)  # block → where it was found (标题, 年度, 项目资金 ...)
    # What the reader could not settle (two columns claiming one role, weights that disagree with the
    # points printed): each makes the form 需核实, naming the cells.
    doubts: list[str] = field(default_factory=list)

    def fund(self, kind: str) -> FundLine | None:
        """The first fund line of this kind, or None."""
        return next((f for f in self.funds if f.kind == kind), None)

    @property
    def key(self) -> tuple[int | None, str, str]:
        """Identity of a form across versions: year + 实施单位 + 项目名称."""
        return (self.year, self.unit.value.strip(), self.project.value.strip())


# --- results of scoring and review -------------------------------------------------


@dataclass
class Finding:
    """One review finding: stable code, severity, Chinese message, the cell it concerns."""

    code: str
    severity: str  # error / warning / info
    message: str
    cell: str = ""
    indicator: int | None = None  # index into Form.indicators when it concerns one


@dataclass
class IndicatorScore:
    """The rule score of one indicator with its arithmetic spelled out."""

    index: int
    weight: float
    score: float | None          # None when it cannot be scored (status unknown)
    status: str                  # met / partly / missed / unknown
    explanation: str             # e.g. "7 × 3146 ÷ 29000 = 0.76"
    declared: float | None = None
    rule: str = ""               # forward / reverse / zero / exact / qualitative ("" = no usable target)

    @property
    def deduction(self) -> float:
        """Points lost against the weight (unknown counts as all lost)."""
        return round(self.weight - (self.score or 0.0), 2)


@dataclass
class ExecutionScore:
    weight: float
    rate: float | None           # fraction, spent / full-year budget
    score: float | None
    explanation: str
    declared: float | None = None


# How completely a form was read (perfcore.reading decides; states in perfcore.vocab).

@dataclass
class ReadingReport:
    """State, the blocks found (block → where), what the rules lack, and what is only empty."""

    state: str = COMPLETE
    blocks: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)   # needed by the rules: decides the state
    empty: list[str] = field(default_factory=list)     # printed fields left empty: for the report only

    @property
    def scorable(self) -> bool:
        return self.state != UNSCORABLE

    @property
    def complete(self) -> bool:
        return self.state == COMPLETE

    def to_dict(self) -> dict[str, object]:
        return {"state": self.state, "blocks": dict(self.blocks), "missing": list(self.missing),
                "empty": list(self.empty)}


@dataclass
class Scorecard:
    """A form scored under one policy: rule scores, total, grade, findings."""

    form: Form
    policy: str
    execution: ExecutionScore
    indicators: list[IndicatorScore]
    total: float | None          # None when the form cannot be scored (无法计分)
    grade: str | None            # None unless the form was read completely (完整)
    declared_total: float | None
    findings: list[Finding] = field(default_factory=list)
    reading: ReadingReport = field(default_factory=ReadingReport)
    rules_version: str | None = None  # perfcore.scoring.rules_version of the policy (None: not from score_form)

    @property
    def difference(self) -> float | None:
        """Declared minus rule total (positive = self-score higher than the rules give)."""
        if self.declared_total is None or self.total is None:
            return None
        return round(self.declared_total - self.total, 2)

    @property
    def grade_label(self) -> str:
        """What a page shows in the grade's place: 优 / 良 / 中 / 差, or 需核实 / 无法计分."""
        return self.grade if self.grade is not None else self.reading.state
