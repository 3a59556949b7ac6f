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

from . import explain
from .amounts import amount_as_written, points_as_written
from .grid import Grid
from .indicators import find_table, read_indicators, table_end
from .labels import (
    ACTUAL_LABELS,
    EXTRA_LABELS,
    GOAL_LABELS,
    HEADER_FIELDS,
    HEADER_TOTALS,
    PLANNED_LABELS,
    SECTION_LABELS,
    classify,
    fund_kind,
    is_declaration,
    is_funds_anchor,
    is_instruction,
    is_title,
    is_whole_spending,
    points_of,
    role_name,
    role_of,
    says_wan,
)
from .locate import Block, find_cell, find_cells, header_value, is_header_label
from .taught import Taught, apply_cells, apply_table

_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})年度?")
_YEAR_LINE = re.compile(r"^[(（]?(?:(?:评价|自评|预算|所属)?年度[:：]?)?((?:19|20)\d{2})年?度?[)）]?$")
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_FUNDS_HEADER_ROWS = 3  # the column labels sit on the funds anchor's row or just below it
_BLANK_RUN = 2          # blank rows tolerated inside the funds block (spacers)
_FUND_ROWS_CHECKED = 6  # rows below a funds header whose content confirms an amount column


def _other_kind(grid: Grid, row: int, form: Form) -> None:
    """A form of the family that is not a project self-evaluation says what it is, first:
    a 绩效目标申报表 (targets only) or a 部门整体支出 evaluation (criteria, no targets)."""
    col = _title_col(grid, row)
    key, where = grid.key(row, col), f"{grid.ref(row, col)}“{grid.text(row, col)}”"
    if is_declaration(key):
        form.doubts.append(f"{where}是绩效目标申报表，不是自评表："
                           "只有年度指标值，没有实际完成值、分值和得分；请上传该项目的绩效自评表")
    elif is_whole_spending(key):
        form.doubts.append(f"{where}是部门整体支出绩效评价表，不是项目支出自评表：按评分标准打分，"
                           "没有年度指标值和实际完成值，规则无法计分，自评得分照录")


def read_form(grid: Grid, block: Block, file: str, taught: Taught | None = None) -> Form:
    """Read one form; what cannot be found stays empty and gets a Chinese note. A layout staff
    taught for this sheet (``taught``) overrides the header row, columns and cells it names."""
    rows = range(block.start, block.end)
    form = Form(source=Source(file=file, sheet=grid.sheet, first_row=block.start + 1))
    explain.begin_form(file, grid.sheet, block.start + 1)
    where = f"工作表“{grid.sheet}”第 {block.start + 1} 行起的表"
    if block.title is not None:
        form.layout["标题"] = grid.ref(block.title, _title_col(grid, block.title))
        _other_kind(grid, block.title, form)
    _read_header(grid, rows, form, where)
    form.year = _year(grid, block, file, form)
    if form.year is None:
        form.notes.append(f"{where}：未找到年度（标题、标题上下一行、工作表名称和文件名中都没有“2021年度”这样的年份）")
    table = find_table(grid, rows)
    if taught is not None:
        table = apply_table(grid, table, taught)
    funds = _read_funds(grid, range(block.start, table.start if table else block.end), form, where)
    _funds_on_appropriation(form)
    taken = set(funds) | (set(range(table.start, block.end)) if table else set())
    _read_goals(grid, [row for row in rows if row not in taken], form)
    read_indicators(grid, table, block.end, form, where)
    if form.total_declared.value is None:
        stop = table_end(grid, table, block.end) + 1 if table else 0
        _header_total(grid, [row for row in rows if not table or not table.start <= row < stop], form)
    if taught is not None:
        apply_cells(grid, form, taught)
    if table is not None and "总分" not in form.layout:
        form.notes.append(f"工作表“{grid.sheet}”：绩效指标表后未找到“总分”行")
    return form


def _is_total_label(key: str) -> bool:
    return key.split(":", 1)[0] in HEADER_TOTALS


def _header_total(grid: Grid, rows: list[int], form: Form) -> None:
    """A declared total printed as a header field (``自评得分 98`` beside an empty ``财政审核评分``)."""
    for row, col in find_cells(grid, _is_total_label, rows):
        if ":" in grid.key(row, col):
            value = grid.text(row, col).replace("：", ":").split(":", 1)[1]
            num = Num(points_as_written(value), value.strip(), grid.ref(row, col))
        else:
            right = next((c for c in range(grid.span_end(row, col) + 1, grid.width(row)) if grid.text(row, c)), None)
            num = grid.num(row, right, derived=True) if right is not None else Num()
        if num.value is None:
            explain.decide("总分", grid.ref(row, col), grid.text(row, col), "", "右侧没有分数")
            continue
        form.total_declared = num
        form.layout["总分"] = grid.ref(row, col)
        form.notes.append(f"自评总分取自“{grid.text(row, col)}”（{num.cell}）：表内没有总分行")
        explain.decide("总分", grid.ref(row, col), grid.text(row, col), "自评总分", f"表头字段，分数在 {num.cell}")
        return


def _funds_on_appropriation(form: Form) -> None:
    """A funds block whose only amounts are on the 本年财政拨款 row: that row is the year's total (noted)."""
    appropriation = form.fund("appropriation")
    if appropriation is None or not _has_amounts(appropriation):
        return
    if any(_has_amounts(line) for line in form.funds if line is not appropriation):
        return
    total = form.fund("total")
    if total is None:
        total = FundLine(kind="total", label="年度资金总额")
        form.funds.insert(0, total)
    total.initial, total.budget, total.executed = appropriation.initial, appropriation.budget, appropriation.executed
    cells = "、".join(num.cell for num in (appropriation.budget, appropriation.executed) if num.cell)
    form.notes.append(f"资金总额行未填金额，按“{appropriation.label}”行（{cells}）计")


def _has_amounts(line: FundLine) -> bool:
    return any(num.value is not None for num in (line.initial, line.budget, line.executed))


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
    values: set[tuple[int, int]] = set()  # cells read as a label's value are no labels themselves
    for row, col in find_cells(grid, is_header_label, rows, labels=True):
        if (row, col) in values:
            continue
        label = grid.key(row, col).split(":", 1)[0]
        value, value_col = header_value(grid, row, col)
        if value_col is not None:
            values.add((row, value_col))
        if is_instruction(value):
            value = ""
        if label in EXTRA_LABELS:
            if value or label not in form.extra:
                form.extra[label] = value
            continue
        field_name = HEADER_FIELDS.get(label) or role_of(label, "header") or ""
        if explain.active():
            explain.decide("表头", grid.ref(row, col), grid.text(row, col), role_name("header", field_name),
                           classify(label, "header")[1])
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
    if cols:
        cols = _settle_fund_columns(grid, header_row, rows.stop, form)
    _explain_funds(grid, header_row, cols)
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
        if kind is None and row == header_row + 1 and not form.funds and \
                (label_col is None or grid.num(row, label_col).value is not None):
            kind, label_col = _unlabelled_total(grid, row, amounts, form), None
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


def _unlabelled_total(grid: Grid, row: int, amounts: list[int], form: Form) -> str | None:
    """The one amounts row under a header of sources (中央 / 本级 / 合计 / 执行数), printed with no
    row label: the project's total, noted."""
    if not any(grid.text(row, col) for col in amounts):
        return None
    form.notes.append(f"项目资金表 {grid.ref(row, min(amounts))} 所在行没有行名（年度资金总额），按资金总额读取")
    return "total"


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


def _fund_claims(grid: Grid, row: int) -> dict[str, list[int]]:
    """Columns claiming each funds field on a header row, by label meaning."""
    claims: dict[str, list[int]] = {}
    for col in range(grid.width(row)):
        key = grid.key(row, col)
        name = role_of(key, "funds") if not is_funds_anchor(key) else None
        if name is not None:
            claims.setdefault(name, []).append(col)
    return claims


def _fund_columns(grid: Grid, row: int) -> dict[str, int]:
    """Column of each funds field named on a header row (first occurrence wins)."""
    return {name: cols[0] for name, cols in _fund_claims(grid, row).items()}


def _holds_amounts(grid: Grid, col: int, rows: range) -> bool:
    """Whether a column's cells below its label are amounts (numbers or ``150万``), not row labels."""
    numbers = texts = 0
    for row in rows:
        text = grid.text(row, col)
        if is_blank(text):
            continue
        if grid.peek(row, col) is not None or amount_as_written(text) is not None:
            numbers += 1
        else:
            texts += 1
    return numbers > 0 and numbers >= texts


def _holds_row_labels(grid: Grid, col: int, rows: range) -> bool:
    """Whether a column's cells below its label are funds row names (总额, 其中：财政资金 ...)."""
    return any(fund_kind(grid.key(row, col)) for row in rows if grid.text(row, col))


def _settle_fund_columns(grid: Grid, header_row: int, stop: int, form: Form) -> dict[str, int]:
    """A label's role checked against its column: an amount column must hold amounts (a
    ``年度预算数(万元)`` printed over the row labels is not one); two amount columns both
    claiming one role → 需核实, naming both cells."""
    cols: dict[str, int] = {}
    below = range(header_row + 1, min(header_row + 1 + _FUND_ROWS_CHECKED, stop))
    for role, claimed in _fund_claims(grid, header_row).items():
        if role not in ("initial", "budget", "executed"):
            cols[role] = claimed[0]
            continue
        holding = [col for col in claimed if _holds_amounts(grid, col, below)]
        candidates = holding or [col for col in claimed if not _holds_row_labels(grid, col, below)]
        if not candidates:
            form.notes.append(f"单元格 {grid.ref(header_row, claimed[0])} 标为“{role_name('funds', role)}”，"
                              "但其下是资金行名称而不是金额，未按金额列读取")
            continue
        cols[role] = candidates[0]
        if len(holding) >= 2:
            refs = "、".join(grid.ref(header_row, col) for col in holding[:2])
            form.doubts.append(f"单元格 {refs} 都是“{role_name('funds', role)}”列且都填有金额，无法确定读哪一列，请核实")
    return cols


def _explain_funds(grid: Grid, row: int, cols: dict[str, int]) -> None:
    if not explain.active():
        return
    for col in range(grid.width(row)):
        key = grid.key(row, col)
        if key and not is_funds_anchor(key):
            role, why = classify(key, "funds")
            shown = role_name("funds", role) if role else ""
            if role is not None and cols.get(role) != col:
                below = range(row + 1, row + 1 + _FUND_ROWS_CHECKED)
                labels = "其下是资金行名称而不是金额，" if _holds_row_labels(grid, col, below) else ""
                taken = f"“{shown}”取第 {cols[role] + 1} 列" if role in cols else "不按金额列读取"
                why, shown = f"{why}；未采用：{labels}{taken}", ""
            explain.decide("项目资金", grid.ref(row, col), grid.text(row, col), shown, why)


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
