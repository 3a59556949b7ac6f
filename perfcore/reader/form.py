"""One form block of a grid → Form: title year, header fields, funds, goals, indicators, extras.

Every part is found by what it is (its printed label, see ``synonyms.toml``), never by
position, so provincial variants, moved columns, blocks in another order (Sichuan prints
the goals before the funds) and stacked forms read the same way. Where each block was
found goes into ``Form.layout`` for the reading report.
"""
from __future__ import annotations

import os
import re

from perfcore.model import Form, FundLine, Num, Source, Text
from perfcore.text import is_blank, squash

from .grid import Grid
from .indicators import find_table, read_indicators
from .labels import (
    ACTUAL_LABELS,
    EXTRA_LABELS,
    FUND_COLUMNS,
    GOAL_LABELS,
    HEADER_FIELDS,
    PLANNED_LABELS,
    SECTION_LABELS,
    column_of,
    fund_kind,
    is_funds_anchor,
    is_instruction,
    is_title,
    points_of,
    says_wan,
)
from .locate import Block, find_cell, find_cells, header_value, is_header_label

_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})年度?")
_YEAR_LINE = re.compile(r"^[(（]?(?:(?:评价|自评|预算|所属)?年度[:：]?)?((?:19|20)\d{2})年?度?[)）]?$")
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_FUNDS_HEADER_ROWS = 3  # the column labels sit on the funds anchor's row or just below it
_BLANK_RUN = 2          # blank rows tolerated inside the funds block (spacers)


def read_form(grid: Grid, block: Block, file: str) -> Form:
    """Read one form; what cannot be found stays empty and gets a Chinese note."""
    rows = range(block.start, block.end)
    form = Form(source=Source(file=file, sheet=grid.sheet, first_row=block.start + 1))
    where = f"工作表“{grid.sheet}”第 {block.start + 1} 行起的表"
    if block.title is not None:
        form.layout["标题"] = grid.ref(block.title, _title_col(grid, block.title))
    _read_header(grid, rows, form, where)
    form.year = _year(grid, block, file, form)
    if form.year is None:
        form.notes.append(f"{where}：未找到年度（标题、标题上下一行、工作表名称和文件名中都没有“2021年度”这样的年份）")
    table = find_table(grid, rows)
    funds = _read_funds(grid, range(block.start, table.start if table else block.end), form, where)
    taken = set(funds) | (set(range(table.start, block.end)) if table else set())
    _read_goals(grid, [row for row in rows if row not in taken], form)
    read_indicators(grid, table, block.end, form, where)
    return form


def _title_col(grid: Grid, row: int) -> int:
    return next((col for col, key in enumerate(grid.keys[row]) if key and is_title(key)), 0)


def _year(grid: Grid, block: Block, file: str, form: Form) -> int | None:
    """The year from the title, the line above or below it, the sheet name or the file name.

    Never from today's date: a form without a year stays without one (and says so)."""
    if block.title is not None:
        col = _title_col(grid, block.title)
        found = _YEAR_IN_TITLE.search(squash(grid.text(block.title, col)))
        if found:
            form.layout["年度"] = f"标题 {grid.ref(block.title, col)}"
            return int(found.group(1))
        near: tuple[tuple[int, str], ...] = (
            (block.title + 1, "标题下一行"), (block.title + 2, "标题下第二行"), (block.title - 1, "标题上一行"))
    else:
        near = tuple((row, "表头") for row in range(max(0, block.start - 2), min(block.start + 3, block.end)))
    for row, label in near:
        for col in range(grid.width(row)):
            found = _YEAR_LINE.match(squash(grid.text(row, col)))
            if found:
                form.layout["年度"] = f"{label} {grid.ref(row, col)}"
                return int(found.group(1))
    for source, text in (("工作表名称", grid.sheet), ("文件名", os.path.splitext(os.path.basename(file))[0])):
        years = set(_YEAR_IN_NAME.findall(text))
        if len(years) == 1:
            year = int(years.pop())
            form.layout["年度"] = f"{source}“{text}”"
            form.notes.append(f"表内未印年度，年度 {year} 取自{source}“{text}”，请核实")
            return year
    return None


def _read_header(grid: Grid, rows: range, form: Form, where: str) -> None:
    """项目名称 / 主管部门 / 实施单位 into the form; 项目负责人, 评价结论, 填报日期 ... into ``extra``."""
    for row, col in find_cells(grid, is_header_label, rows):
        label = grid.key(row, col).split(":", 1)[0]
        value, value_col = header_value(grid, row, col)
        if is_instruction(value):
            value = ""
        if label in EXTRA_LABELS:
            if value or label not in form.extra:
                form.extra[label] = value
            continue
        field_name = HEADER_FIELDS[label]
        if not getattr(form, field_name).value:
            ref = grid.ref(row, value_col if value_col is not None else col)
            setattr(form, field_name, Text(value, ref))
            form.layout.setdefault("表头", grid.ref(row, col))
    for label, field_name in (("项目名称", "project"), ("实施单位", "unit")):
        if not getattr(form, field_name).value:
            form.notes.append(f"{where}：未找到{label}")


def _read_funds(grid: Grid, rows: range, form: Form, where: str) -> range:
    """The funds block (项目资金 / 预算执行情况 / 资金情况 ...); returns the rows it covers."""
    anchor = find_cell(grid, is_funds_anchor, rows)
    if anchor is None:
        form.notes.append(f"{where}：未找到项目资金表（“项目资金”或“预算执行情况”）")
        return range(0)
    form.layout["项目资金"] = grid.ref(*anchor)
    header_row, cols = anchor[0], {}
    for header_row in range(anchor[0], min(anchor[0] + _FUNDS_HEADER_ROWS, rows.stop)):
        cols = _fund_columns(grid, header_row)
        if cols.keys() & {"initial", "budget", "executed"}:
            break
    amounts = [cols[k] for k in ("initial", "budget", "executed") if k in cols]
    if not amounts:
        form.notes.append(f"单元格 {grid.ref(*anchor)}：项目资金表没有“年初预算数/全年预算数/全年执行数”列")
        return range(anchor[0], anchor[0] + 1)
    labels = [grid.text(header_row, c) for c in range(grid.width(header_row))] + [grid.text(*anchor)]
    scale = 10000.0 if any(says_wan(text) for text in labels) else 1.0
    form.money_unit = "万元" if scale != 1.0 else "元"
    row, blanks, last = header_row + 1, 0, header_row
    while row < rows.stop:
        label_col = next((c for c in reversed(range(min(amounts))) if grid.text(row, c)), None)
        key = grid.key(row, label_col)
        if label_col is None and not any(grid.texts[row]):
            blanks += 1
            if blanks > _BLANK_RUN:
                break
            row += 1
            continue
        kind = fund_kind(key) if key not in SECTION_LABELS else None
        if kind is None:
            break
        blanks, last = 0, row
        amounts_read = {}
        for name in ("initial", "budget", "executed"):
            amounts_read[name], note = grid.amount(row, cols.get(name), scale)
            if note:
                form.notes.append(note)
        form.funds.append(
            FundLine(
                kind=kind,
                label=grid.text(row, label_col).removeprefix("其中").lstrip(":："),
                **amounts_read,
            )
        )
        if kind == "total" or len(form.funds) == 1:
            _read_execution(grid, row, cols, anchor, form)
        row += 1
    return range(anchor[0], last + 1)


def _read_execution(grid: Grid, row: int, cols: dict[str, int], anchor: tuple[int, int], form: Form) -> None:
    """分值 / 执行率 / 得分 of the total row; the weight from ``预算执行情况(10分)`` when no column prints it."""
    weight = grid.num(row, cols.get("weight"))
    points = points_of(grid.text(*anchor))
    if weight.value is None and points is not None:
        weight = Num(points, grid.text(*anchor), grid.ref(*anchor))
    form.execution.weight = weight
    form.execution.rate = _rate(grid.num(row, cols.get("rate"), derived=True))
    form.execution.declared_score = grid.num(row, cols.get("score"), derived=True)
    note = grid.text(row, cols.get("note"))
    if note and not is_blank(note) and not is_instruction(note):
        form.extra["预算执行原因"] = note


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


def _read_goals(grid: Grid, rows: list[int], form: Form) -> None:
    """年度总体目标: text below (or right of) 预算目标 / 预期目标 / 项目年度目标 and 实际完成情况."""
    planned = find_cell(grid, lambda key: key in PLANNED_LABELS, rows)
    actual = find_cell(grid, lambda key: key in ACTUAL_LABELS, rows)
    if planned is None:
        planned = find_cell(grid, lambda key: key in GOAL_LABELS, rows)
    stop = actual[1] if actual and planned and actual[0] == planned[0] and actual[1] > planned[1] else None
    if planned is not None:
        form.layout["年度总体目标"] = grid.ref(*planned)
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
            return _goal_cell(grid, row, right)
    below = row + 1
    end = stop if stop is not None else max(grid.width(below), col + 1)
    for c in range(col, end):
        if grid.text(below, c) and grid.key(below, c) not in SECTION_LABELS:
            return _goal_cell(grid, below, c)
    return Text("", grid.ref(below, col))


def _goal_cell(grid: Grid, row: int, col: int) -> Text:
    cell = grid.text_cell(row, col)
    return Text("", cell.cell) if is_instruction(cell.value) else cell
