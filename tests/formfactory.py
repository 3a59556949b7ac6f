"""Build Forms in Python for scoring and check tests, with cells where the standard layout puts them.

Why: scoring tests need many small variations of one form (a missed target, a
wrong total, a cut budget) without writing a workbook for each.
"""
from __future__ import annotations

from dataclasses import dataclass

from perfcore.model import Execution, Form, FundLine, Goals, Indicator, Num, Source, Text

SHEET = "测试项目"
FIRST_INDICATOR_ROW = 13
_AUTO = object()


@dataclass
class Row:
    """One indicator row as a test writes it."""

    name: str
    target: str
    actual: str
    weight: float | None
    declared: float | None | object = _AUTO  # default: the full weight
    level1: str = "产出指标"
    level2: str = "数量指标"
    note: str = ""


def _num(value: float | None, cell: str) -> Num:
    return Num(value, "" if value is None else f"{value:g}", cell)


def indicator(row: Row, line: int, sheet: str = SHEET) -> Indicator:
    """Row → Indicator with cells in columns D..I of sheet row ``line``."""
    declared = row.weight if row.declared is _AUTO else row.declared
    at = f"{sheet}!"
    return Indicator(
        level1=row.level1, level2=row.level2, name=row.name,
        target=Text(row.target, f"{at}E{line}"), actual=Text(row.actual, f"{at}F{line}"),
        weight=_num(row.weight, f"{at}G{line}"), declared_score=_num(declared, f"{at}H{line}"),
        note=Text(row.note, f"{at}I{line}"), cell=f"{at}D{line}", row=line,
    )


def clean_rows() -> list[Row]:
    """A form's worth of met indicators: 产出 50 / 效益 30 / 满意度 10 (+ execution 10)."""
    return [
        Row("服务企业数量", ">=100家", "120家", 10),
        Row("项目计划完成率", "=100%", "100%", 10),
        Row("系统故障恢复时长", "<=30分钟", "≤30分钟", 10, level2="时效指标"),
        Row("快递邮寄出错率", "=0%", "0%", 10, level2="质量指标"),
        Row("项目完工及时性", "及时", "及时", 10, level2="时效指标"),
        Row("重大事故发生数", "=0", "0", 10, level1="效益指标", level2="社会效益指标"),
        Row("长效管理制度健全性", "健全", "健全", 10, level1="效益指标", level2="可持续影响指标"),
        Row("办事效率提升", "提升", "有效提升", 10, level1="效益指标", level2="社会效益指标"),
        Row("服务对象满意度", ">=90%", "≥90%", 10, level1="满意度指标", level2="服务对象满意度指标"),
    ]


def make_form(
    rows: list[Row] | None = None,
    *,
    project: str = SHEET,
    sheet: str | None = None,
    initial: float | None = 100000.0,
    budget: float | None = 100000.0,
    executed: float | None = 100000.0,
    sub_rows: dict[str, tuple[float | None, float | None, float | None]] | None = None,
    exec_weight: float | None = 10.0,
    exec_rate: float | None | object = _AUTO,
    exec_declared: float | None | object = _AUTO,
    total_declared: float | None | object = _AUTO,
    goals_actual: str = "完成预期目标",
    extra: dict[str, str] | None = None,
) -> Form:
    """A form in the standard layout; execution rate, score and declared total default to consistent values."""
    sheet = sheet or project
    at = f"{sheet}!"
    rows = clean_rows() if rows is None else rows
    if sub_rows is None:
        sub_rows = {"appropriation": (initial, budget, executed), "carryover": (0.0, 0.0, None), "other": (0.0, 0.0, None)}
    lines = [("total", "年度资金总额", (initial, budget, executed))] + [
        (kind, {"appropriation": "其中：当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}.get(kind, kind),
         values) for kind, values in sub_rows.items()]
    funds = [FundLine(kind, label, *(_num(v, f"{at}{col}{line}") for v, col in zip(values, "CDE")))
             for line, (kind, label, values) in enumerate(lines, start=6)]
    rate = (executed / budget if executed is not None and budget else None) if exec_rate is _AUTO else exec_rate
    weight = exec_weight if exec_weight is not None else 10.0
    score = round(weight * min(rate, 1.0), 2) if rate is not None else None
    declared_exec = score if exec_declared is _AUTO else exec_declared
    indicators = [indicator(r, FIRST_INDICATOR_ROW + i, sheet) for i, r in enumerate(rows)]
    total_row = FIRST_INDICATOR_ROW + len(rows)
    if total_declared is _AUTO:
        total_declared = (declared_exec or 0.0) + sum(i.declared_score.value or 0.0 for i in indicators)
    return Form(
        source=Source(file="test.xlsx", sheet=sheet, first_row=1),
        year=2021,
        project=Text(project, f"{at}B3"),
        department=Text("测试主管部门", f"{at}B4"),
        unit=Text("测试实施单位", f"{at}F4"),
        funds=funds,
        execution=Execution(weight=_num(exec_weight, f"{at}F6"), rate=_num(rate, f"{at}G6"),
                            declared_score=_num(declared_exec, f"{at}H6")),
        goals=Goals(planned=Text("保障项目运行", f"{at}B11"), actual=Text(goals_actual, f"{at}F11")),
        indicators=indicators,
        total_weight=_num(100.0, f"{at}G{total_row}"),
        total_declared=_num(total_declared, f"{at}H{total_row}"),
        extra=dict(extra or {}),
    )


def one(row: Row) -> Indicator:
    """A single indicator, for rule tests."""
    return indicator(row, FIRST_INDICATOR_ROW)
