"""Amounts that must not reach the database: dates, text, NaN, negative or absurd sums.

One such cell would skew every department total (Σ spent / Σ budget), so the file is
refused with the cell named instead of storing a form with a silently blank or
wrong amount. Runs on the forms the reader produced (it needs to know which cells
are amounts).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence

from perfcore.errors import ReadError
from perfcore.guard.limits import DEFAULT_LIMITS, Limits, col_letters
from perfcore.guard.messages import refuse
from perfcore.model import Form, Num
from perfcore.text import is_blank

_COLUMNS = (("initial", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))
_DATE = re.compile(r"^\d{4}[-/年.]\d{1,2}[-/月.]\d{1,2}")


def _problem(num: Num, limits: Limits) -> str:
    if num.value is None:
        if is_blank(num.raw):
            return ""
        if _DATE.match(num.raw.strip()):
            return "是日期，不是金额（单元格格式被设成了日期？）"
        return "不是数字"
    if num.value < 0:
        return "是负数"
    if num.value > limits.max_amount_yuan:
        return f"超过 {limits.max_amount_yuan:,.0f} 元，明显不是真实金额"
    return ""


def bad_amount(form: Form, file: str = "", limits: Limits = DEFAULT_LIMITS) -> ReadError | None:
    """The first fund amount of ``form`` that cannot be a real amount, as a ReadError naming its cell."""
    for line in form.funds:
        for attr, column in _COLUMNS:
            num: Num = getattr(line, attr)
            problem = _problem(num, limits)
            if problem:
                sheet, _, cell = num.cell.rpartition("!")
                return refuse("bad_amount", file, sheet or form.source.sheet, cell,
                              label=line.label, column=column, raw=num.raw, problem=problem)
    return None


def _numbers(form: Form) -> Iterator[tuple[str, Num]]:
    """Every number of a form that is not a fund amount, with what a person calls it."""
    run = form.execution
    yield "预算执行的分值", run.weight
    yield "预算执行率", run.rate
    yield "预算执行的得分", run.declared_score
    for item in form.indicators:
        yield f"指标“{item.name}”的分值", item.weight
        yield f"指标“{item.name}”的得分", item.declared_score
    yield "分值合计", form.total_weight
    yield "总分", form.total_declared


def bad_number(form: Form, file: str = "", limits: Limits = DEFAULT_LIMITS) -> ReadError | None:
    """The first 分值 / 得分 / 执行率 no form can hold (1e308, inf): refused with its cell named,
    before scoring turns it into a decimal overflow."""
    for what, num in _numbers(form):
        if num.value is not None and not (math.isfinite(num.value) and abs(num.value) <= limits.max_number):
            sheet, _, cell = num.cell.rpartition("!")
            return refuse("bad_value", file, sheet or form.source.sheet, cell, what=what, raw=num.raw or num.value,
                          limit=f"{limits.max_number:,.0f}")
    return None


def long_text(rows: Sequence[Sequence[object]], sheet: str, file: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a sheet holding text over Excel's cell limit once read: .xls strings, calculated
    formulas and anything the byte checks could only bound, with the cell named."""
    limit = limits.max_cell_chars
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if type(value) is str and len(value) > limit:
                raise refuse("cell_too_long", file, sheet, f"{col_letters(c + 1)}{r + 1}", limit=f"{limit:,}",
                             where="读取或计算后")
