"""Amounts that must not reach the database: dates, text, NaN, negative or absurd sums.

One such cell would skew every department total (Σ spent / Σ budget), so the file is
refused with the cell named instead of storing a form with a silently blank or
wrong amount. Runs on the forms the reader produced (it needs to know which cells
are amounts).
"""
from __future__ import annotations

import re

from perfcore.errors import ReadError
from perfcore.guard.limits import DEFAULT_LIMITS, Limits
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
