"""One form block of a grid → Form: title year, header fields, 项目资金, goals, indicators.

Every part is found by its printed label so that provincial variants, moved
columns and stacked forms read the same way.
"""
from __future__ import annotations

import re

from perfcore.model import Form, FundLine, Num, Source, Text
from perfcore.text import squash

from .grid import Grid
from .indicators import read_indicators
from .labels import (
    ACTUAL_LABELS,
    EXTRA_LABELS,
    FUND_COLUMNS,
    FUNDS_LABEL,
    GOAL_LABELS,
    HEADER_FIELDS,
    INDICATOR_COLUMNS,
    PLANNED_LABELS,
    SECTION_LABELS,
    TITLE,
    column_of,
)
from .locate import Block, find_cell, find_cells, header_value, is_header_label

_YEAR = re.compile(r"((?:19|20)\d{2})年度")
_YEAR_ONLY = re.compile(r"^[(（]?(?:19|20)\d{2}年度[)）]?$")
_TOTAL_FUNDS = frozenset({"年度资金总额", "资金总额", "年度资金合计", "合计", "总计"})
_APPROPRIATION = frozenset({"财政资金", "当年财政资金", "本年财政资金"})
_FUNDS_HEADER_ROWS = 3  # the column labels sit on the 项目资金 row or just below it


def read_form(grid: Grid, block: Block, file: str) -> Form:
    """Read one form; what cannot be found stays empty and gets a Chinese note."""
    rows = range(block.start, block.end)
    form = Form(source=Source(file=file, sheet=grid.sheet, first_row=block.start + 1))
    _read_header(grid, rows, form)
    form.year = _year(grid, block)
    if form.year is None:
        form.notes.append(f"工作表“{grid.sheet}”第 {block.start + 1} 行起的表：未找到年度（如“（2021年度）”）")
    funds_end = _read_funds(grid, rows, form)
    table = find_cell(grid, lambda key: key in INDICATOR_COLUMNS["name"], rows)
    table_row = table[0] if table else block.end
    _read_goals(grid, range(funds_end, table_row), form)
    read_indicators(grid, range(table_row, block.end) if table else range(block.start, block.end), form)
    return form


def _year(grid: Grid, block: Block) -> int | None:
    """The year from ``(2021 年度)`` on its own line or inside the title."""
    for row in range(block.start, min(block.start + 4, block.end)):
        for col in range(grid.width(row)):
            text = squash(grid.text(row, col))
            if TITLE in text or _YEAR_ONLY.match(text):
                found = _YEAR.search(text)
                if found:
                    return int(found.group(1))
    return None


def _read_header(grid: Grid, rows: range, form: Form) -> None:
    """项目名称 / 主管部门 / 实施单位 into the form, 项目负责人 / 填报日期 ... into ``extra``."""
    for row, col in find_cells(grid, is_header_label, rows):
        label = grid.key(row, col).split(":", 1)[0]
        value, value_col = header_value(grid, row, col)
        if label in EXTRA_LABELS:
            form.extra.setdefault(label, value)
            continue
        field_name = HEADER_FIELDS[label]
        if not getattr(form, field_name).value:
            ref = grid.ref(row, value_col if value_col is not None else col)
            setattr(form, field_name, Text(value, ref))
    for label, field_name in (("项目名称", "project"), ("实施单位", "unit")):
        if not getattr(form, field_name).value:
            form.notes.append(f"工作表“{grid.sheet}”第 {rows.start + 1} 行起的表：未找到{label}")


def fund_kind(key: str) -> str | None:
    """年度资金总额 → total, 当年/本年财政拨款 → appropriation ...; other money rows → extra."""
    label = key.removeprefix("其中").lstrip(":")
    if label in _TOTAL_FUNDS or label.endswith("资金总额"):
        return "total"
    if "财政拨款" in label or label in _APPROPRIATION:
        return "appropriation"
    if "结转" in label:
        return "carryover"
    if label == "其他资金":
        return "other"
    if label.endswith("资金") or "拨款" in label:
        return "extra"
    return None


def _read_funds(grid: Grid, rows: range, form: Form) -> int:
    """The 项目资金 block; returns the first row after it (the block start when missing)."""
    anchor = find_cell(grid, lambda key: key.startswith(FUNDS_LABEL), rows)
    if anchor is None:
        form.notes.append(f"工作表“{grid.sheet}”第 {rows.start + 1} 行起的表：未找到“项目资金”表")
        return rows.start
    header_row, cols = anchor[0], {}
    for header_row in range(anchor[0], min(anchor[0] + _FUNDS_HEADER_ROWS, rows.stop)):
        cols = _fund_columns(grid, header_row)
        if cols.keys() & {"initial", "budget", "executed"}:
            break
    amounts = [cols[k] for k in ("initial", "budget", "executed") if k in cols]
    if not amounts:
        form.notes.append(f"单元格 {grid.ref(*anchor)}：项目资金表没有“年初预算数/全年预算数/全年执行数”列")
        return anchor[0] + 1
    labels = [grid.text(header_row, c) for c in range(grid.width(header_row))] + [grid.text(*anchor)]
    scale = 10000.0 if any("万元" in text for text in labels) else 1.0
    form.money_unit = "万元" if scale != 1.0 else "元"
    row = header_row + 1
    while row < rows.stop:
        label_col = next((c for c in reversed(range(min(amounts))) if grid.text(row, c)), None)
        key = grid.key(row, label_col)
        kind = fund_kind(key) if key not in SECTION_LABELS else None
        if kind is None:
            break
        form.funds.append(
            FundLine(
                kind=kind,
                label=grid.text(row, label_col).removeprefix("其中").lstrip(":："),
                initial=grid.num(row, cols.get("initial"), scale),
                budget=grid.num(row, cols.get("budget"), scale),
                executed=grid.num(row, cols.get("executed"), scale),
            )
        )
        if kind == "total" or len(form.funds) == 1:
            form.execution.weight = grid.num(row, cols.get("weight"))
            form.execution.rate = _rate(grid.num(row, cols.get("rate"), derived=True))
            form.execution.declared_score = grid.num(row, cols.get("score"), derived=True)
        row += 1
    return row


def _fund_columns(grid: Grid, row: int) -> dict[str, int]:
    cols: dict[str, int] = {}
    for col in range(grid.width(row)):
        name = column_of(grid.key(row, col), FUND_COLUMNS)
        if name is not None:
            cols.setdefault(name, col)
    return cols


def _rate(num: Num) -> Num:
    """执行率 as a fraction: ``100.00%`` and a 0.00%-formatted 1.0 already are; a bare ``98.5`` is not."""
    if num.value is not None and "%" not in num.raw and num.value > 2:
        num.value = round(num.value / 100, 6)
    return num


def _read_goals(grid: Grid, rows: range, form: Form) -> None:
    """年度总体目标: text below (or right of) 预算目标 / 预期目标 and 实际完成情况."""
    planned = find_cell(grid, lambda key: key in PLANNED_LABELS, rows)
    actual = find_cell(grid, lambda key: key in ACTUAL_LABELS, rows)
    if planned is None:
        planned = find_cell(grid, lambda key: key in GOAL_LABELS, rows)
    stop = actual[1] if actual and planned and actual[0] == planned[0] and actual[1] > planned[1] else None
    if planned is not None:
        form.goals.planned = _goal_text(grid, planned, stop)
    if actual is not None:
        form.goals.actual = _goal_text(grid, actual, None)


def _goal_text(grid: Grid, label: tuple[int, int], stop: int | None) -> Text:
    row, col = label
    last = stop if stop is not None else grid.width(row)
    for right in range(grid.span_end(row, col) + 1, last):
        if grid.text(row, right):
            if grid.key(row, right) in SECTION_LABELS:
                break
            return grid.text_cell(row, right)
    below = row + 1
    end = stop if stop is not None else max(grid.width(below), col + 1)
    for c in range(col, end):
        if grid.text(below, c) and grid.key(below, c) not in SECTION_LABELS:
            return grid.text_cell(below, c)
    return Text("", grid.ref(below, col))
