"""Write forms in the standard layout (brief: 9 columns A..I) with openpyxl.

One writer serves the sample workbooks, the scorecard export and the blank
template, so every workbook the team produces looks the same and the reader
has exactly one layout to round-trip against.

Formula injection: every text cell is written with ``data_type = "s"`` (an
inline string) and the ``quotePrefix`` style flag. Excel and WPS show text such
as ``=100%`` literally and never evaluate it, and keep it text when a user
edits the cell. We do *not* prepend a ``'`` character: openpyxl would store it
as part of the value, so every reader (ours included) would get ``'=100%``
back and the seed targets (``=100%``, ``=6台``) would no longer parse.
"""
from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Sequence
from typing import IO, Literal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from perfcore.fmt import EXCEL_FORMATS
from perfcore.model import Execution, Form, Indicator, Num, Scorecard, Source
from perfcore.vocab import FUND_LABELS, TITLE

Layout = Literal["sheets", "stacked"]
Out = str | os.PathLike | IO[bytes]

STACKED_SHEET = "自评表"
TEMPLATE_SHEET = "自评表"
HELP_SHEET = "填表说明"
FUND_HEADER = ("", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分", "")
INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                    "偏差原因分析及改进措施")
SCORE_HEADER = ("规则得分", "评分说明")
WIDTHS = (10, 12, 16, 28, 14, 14, 10, 10, 28, 10, 36)  # A..K, in character widths
LAST = 9          # column I: the standard layout is 9 columns wide
GAP = 2           # blank rows between stacked forms
TEMPLATE_BLOCKS = (
    ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
    ("效益指标", "社会效益指标"), ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"),
)
HELP_LINES = (
    "填表说明",
    "1. 每张工作表填写一个项目；多个项目可复制工作表，工作表名称建议用项目名称。",
    "2. 第 2 行填写年度，如“（2021年度）”；项目名称、主管部门、实施单位按预算批复填写全称。",
    "3. 金额默认以“元”为单位；如以“万元”填报，请把 A5 改为“项目资金（万元）”。",
    "4. 年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金；不适用的单元格可留空或填“—”。",
    "5. 执行率 = 全年执行数 ÷ 全年预算数（调整后预算），得分 = 分值 × 执行率（最高为满分）。",
    "6. 分值原则上为：预算执行 10 分，产出指标 50 分，效益指标 30 分，满意度指标 10 分，合计 100 分。",
    "7. 年度指标值与实际完成值写法：运算符 + 数值 + 单位，如“≥90%”“=6台”“≤30分钟”；"
    "定性指标写“及时”“健全”等。",
    "8. 指标行不够时可在同一二级指标内插入行，并保持一级、二级指标单元格的合并范围。",
    "9. 未完成指标值或扣分的，必须填写偏差原因分析及改进措施。",
    "10. 请直接填写数值；使用公式时须在 Excel / WPS 中保存后再上传，否则读不到计算结果。",
)

# --- styles: one table of cell kinds, so nothing is styled twice --------------------

FONT_NAME = "宋体"
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center", wrap_text=True)
# Rows that lost points in a scorecard export (the colour the scorecard page marks them with).
DEDUCTED_FILL = PatternFill(fill_type="solid", start_color="FDECEA", end_color="FDECEA")


def _font(size: float = 11, bold: bool = False) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, charset=134)  # 134 = GB2312, East Asian text


# kind → (font, alignment, number format)
STYLES: dict[str, tuple[Font, Alignment, str]] = {
    "title": (_font(16, bold=True), _CENTER, "General"),
    "subtitle": (_font(12), _CENTER, "General"),
    "label": (_font(), _CENTER, "General"),
    "header": (_font(bold=True), _CENTER, "General"),
    "text": (_font(), _LEFT, "General"),
    "value": (_font(), _CENTER, "General"),
    "money": (_font(), _RIGHT, EXCEL_FORMATS["money"]),
    "rate": (_font(), _CENTER, EXCEL_FORMATS["rate"]),
    "weight": (_font(), _CENTER, "General"),
    "score": (_font(), _CENTER, EXCEL_FORMATS["score"]),
}


def put(ws: Worksheet, row: int, col: int, value: object, kind: str = "value") -> Cell:
    """Write one cell with its style; text is always stored as a string, never a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"      # undo openpyxl's "=..." → formula / "#N/A" → error inference
        cell.quotePrefix = True   # Excel keeps it text when the user edits the cell
    font, alignment, number_format = STYLES[kind]
    cell.font, cell.alignment, cell.number_format = font, alignment, number_format
    return cell


def _merge(ws: Worksheet, row: int, col: int, last_row: int, last_col: int, value: object,
           kind: str = "value") -> None:
    """Write the top-left cell and merge the range (a single cell is left unmerged)."""
    put(ws, row, col, value, kind)
    if (last_row, last_col) != (row, col):
        ws.merge_cells(start_row=row, start_column=col, end_row=last_row, end_column=last_col)


def _box(ws: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    """Thin borders on every cell of a rectangle, merged cells included (Excel draws each edge)."""
    for row in ws.iter_rows(min_row=first_row, max_row=last_row, min_col=first_col, max_col=last_col):
        for cell in row:
            cell.border = _BOX
            if not isinstance(cell, MergedCell) and cell.value is None:
                cell.font = STYLES["value"][0]


def display_width(text: str) -> int:
    """Width in Excel character units: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _grow(ws: Worksheet, row: int, text: object, first_col: int, last_col: int = 0) -> None:
    """Raise a row's height so wrapped text in columns first..last fits (Excel will not for merges)."""
    if not isinstance(text, str) or not text:
        return
    width = sum(WIDTHS[c - 1] for c in range(first_col, (last_col or first_col) + 1)) - 1
    lines = sum(max(1, math.ceil(display_width(part) / width)) for part in text.split("\n"))
    height = 15.0 * lines + 3
    current = ws.row_dimensions[row].height or 0
    if height > max(current, 20):
        ws.row_dimensions[row].height = height


# --- values ----------------------------------------------------------------------------


def _number(num: Num | None) -> float | None:
    return None if num is None else num.value


def _money(num: Num | None, money_unit: str) -> float | None:
    """Yuan to the form's printed unit; 万元 keeps every cent (6 decimals)."""
    value = _number(num)
    if value is None or money_unit != "万元":
        return value
    return round(value / 10000, 6)


def _year_line(year: int | None) -> str:
    return f"（{year}年度）" if year else "（    年度）"


# --- one form ----------------------------------------------------------------------------


def _write_header(ws: Worksheet, form: Form, top: int) -> None:
    _merge(ws, top, 1, top, LAST, TITLE, "title")
    _merge(ws, top + 1, 1, top + 1, LAST, _year_line(form.year), "subtitle")
    put(ws, top + 2, 1, "项目名称", "label")
    _merge(ws, top + 2, 2, top + 2, LAST, form.project.value, "text")
    put(ws, top + 3, 1, "主管部门", "label")
    _merge(ws, top + 3, 2, top + 3, 4, form.department.value, "text")
    put(ws, top + 3, 5, "实施单位", "label")
    _merge(ws, top + 3, 6, top + 3, LAST, form.unit.value, "text")
    ws.row_dimensions[top].height = 30
    _grow(ws, top + 2, form.project.value, 2, LAST)
    _grow(ws, top + 3, form.department.value, 2, 4)
    _grow(ws, top + 3, form.unit.value, 6, LAST)


def _write_funds(ws: Worksheet, form: Form, row: int, scorecard: Scorecard | None) -> int:
    """Funds block from ``row`` (its header); returns the first row after it."""
    lines = [(kind, label, form.fund(kind)) for kind, label in FUND_LABELS.items()]
    lines += [(line.kind, line.label, line) for line in form.funds if line.kind not in FUND_LABELS]
    last = row + len(lines)
    unit = form.money_unit if form.money_unit == "万元" else "元"
    _merge(ws, row, 1, last, 1, f"项目资金（{unit}）", "label")
    for col, label in enumerate(FUND_HEADER, start=2):
        put(ws, row, col, label or None, "header")
    for offset, (kind, label, line) in enumerate(lines, start=1):
        r = row + offset
        put(ws, r, 2, label, "label")
        for col, attr in ((3, "initial"), (4, "budget"), (5, "executed")):
            put(ws, r, col, _money(getattr(line, attr, None), form.money_unit), "money")
        if kind == "total":
            _write_execution(ws, r, form.execution)
        else:
            put(ws, r, 6, "—", "value")
    if scorecard is not None:
        _score_header(ws, row)
        _score_cells(ws, row + 1, scorecard.execution.score, scorecard.execution.explanation)
    return last + 1


def _write_execution(ws: Worksheet, row: int, execution: Execution) -> None:
    put(ws, row, 6, _number(execution.weight), "weight")
    put(ws, row, 7, _number(execution.rate), "rate")
    put(ws, row, 8, _number(execution.declared_score), "score")


def _write_goals(ws: Worksheet, form: Form, row: int) -> int:
    _merge(ws, row, 1, row + 1, 1, "年度总体目标", "label")
    _merge(ws, row, 2, row, 5, "预算目标", "header")
    _merge(ws, row, 6, row, LAST, "实际完成情况", "header")
    _merge(ws, row + 1, 2, row + 1, 5, form.goals.planned.value, "text")
    _merge(ws, row + 1, 6, row + 1, LAST, form.goals.actual.value, "text")
    _grow(ws, row + 1, form.goals.planned.value, 2, 5)
    _grow(ws, row + 1, form.goals.actual.value, 6, LAST)
    return row + 2


def _runs(values: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) index pairs of consecutive equal values, for vertical merges."""
    runs: list[tuple[int, int]] = []
    for i, value in enumerate(values):
        if runs and values[runs[-1][0]] == value:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _write_indicators(ws: Worksheet, indicators: Sequence[Indicator], row: int,
                      scorecard: Scorecard | None) -> int:
    """Indicator header at ``row`` and one row per indicator; returns the 总分 row."""
    first = row + 1
    _merge(ws, row, 1, max(row, row + len(indicators)), 1, "绩效指标", "label")
    for col, label in enumerate(INDICATOR_HEADER, start=2):
        put(ws, row, col, label, "header")
    level1 = [i.level1 for i in indicators]
    for start, end in _runs(level1):
        _merge(ws, first + start, 2, first + end, 2, level1[start], "label")
        level2 = [i.level2 for i in indicators[start:end + 1]]
        for s2, e2 in _runs(level2):
            _merge(ws, first + start + s2, 3, first + start + e2, 3, level2[s2], "label")
    scores = {s.index: s for s in scorecard.indicators} if scorecard else {}
    for index, ind in enumerate(indicators):
        r = first + index
        put(ws, r, 4, ind.name, "text")
        put(ws, r, 5, ind.target.value, "value")
        put(ws, r, 6, ind.actual.value, "value")
        put(ws, r, 7, _number(ind.weight), "weight")
        put(ws, r, 8, _number(ind.declared_score), "score")
        put(ws, r, 9, ind.note.value, "text")
        _grow(ws, r, ind.name, 4)
        _grow(ws, r, ind.note.value, 9)
        if scorecard is not None:
            score = scores.get(index)
            _score_cells(ws, r, score.score if score else None, score.explanation if score else "")
            if score is not None and score.deduction > 0:
                for col in range(4, LAST + len(SCORE_HEADER) + 1):
                    ws.cell(row=r, column=col).fill = DEDUCTED_FILL
    if scorecard is not None:
        _score_header(ws, row)
    return first + len(indicators)


def _write_total(ws: Worksheet, form: Form, row: int, scorecard: Scorecard | None) -> None:
    _merge(ws, row, 1, row, 6, "总分", "header")
    put(ws, row, 7, _number(form.total_weight), "weight")
    put(ws, row, 8, _number(form.total_declared), "score")
    put(ws, row, 9, None, "text")
    if scorecard is not None:
        note = f"等级：{scorecard.grade_label}"
        if scorecard.difference is not None:
            note += f"；申报总分与规则总分相差 {scorecard.difference:+.2f}"
        _score_cells(ws, row, scorecard.total, note)


def _score_header(ws: Worksheet, row: int) -> None:
    for col, label in enumerate(SCORE_HEADER, start=LAST + 1):
        put(ws, row, col, label, "header")
        ws.cell(row=row, column=col).border = _BOX


def _score_cells(ws: Worksheet, row: int, score: float | None, explanation: str) -> None:
    """The two extra columns of the scorecard export: rule score and its arithmetic."""
    put(ws, row, LAST + 1, score, "score").border = _BOX
    put(ws, row, LAST + 2, explanation or None, "text").border = _BOX
    _grow(ws, row, explanation, LAST + 2)


def _write_form(ws: Worksheet, form: Form, top: int, scorecard: Scorecard | None) -> int:
    """One form with its title at row ``top``; returns its 总分 row."""
    _write_header(ws, form, top)
    goals_row = _write_funds(ws, form, top + 4, scorecard)
    header_row = _write_goals(ws, form, goals_row)
    total_row = _write_indicators(ws, form.indicators, header_row, scorecard)
    _write_total(ws, form, total_row, scorecard)
    _box(ws, top + 2, total_row, 1, LAST)
    return total_row


# --- sheets and workbooks -------------------------------------------------------------------

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_name(project: str, used: set[str]) -> str:
    """A legal, unique sheet name (≤31 chars, no []:*?/\\) from a project name."""
    base = _BAD_SHEET_CHARS.sub("", project).strip().strip("'").strip() or STACKED_SHEET
    base = base[:31]
    name, n = base, 1
    while name.casefold() in used:
        n += 1
        suffix = f"({n})"
        name = base[: 31 - len(suffix)] + suffix
    used.add(name.casefold())
    return name


def _page(ws: Worksheet, orientation: str) -> None:
    """Print setup staff expect: A4, fit to one page wide, as many pages tall as needed."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.sheet_view.showGridLines = False


def _setup_sheet(ws: Worksheet, columns: int, title_rows: str | None) -> None:
    """A form sheet: column widths, A4 landscape, title rows repeated on every printed page."""
    for col in range(1, columns + 1):
        ws.column_dimensions[get_column_letter(col)].width = WIDTHS[col - 1]
    _page(ws, ws.ORIENTATION_LANDSCAPE)
    if title_rows:
        ws.print_title_rows = title_rows


def _check_scorecards(forms: Sequence[Form], scorecards: Sequence[Scorecard] | None) -> list:
    if scorecards is None:
        return [None] * len(forms)
    if len(scorecards) != len(forms):
        raise ValueError(f"scorecards ({len(scorecards)}) must match forms ({len(forms)}) one to one")
    return list(scorecards)


def write_forms(forms: Sequence[Form], out: Out, *, layout: Layout = "sheets",
                scorecards: Sequence[Scorecard] | None = None) -> None:
    """Write forms in the standard layout: one sheet per form, or all stacked in sheet 自评表.

    See forms_workbook; this saves it to ``out``.
    """
    forms_workbook(forms, layout=layout, scorecards=scorecards).save(out)


def forms_workbook(forms: Sequence[Form], *, layout: Layout = "sheets",
                   scorecards: Sequence[Scorecard] | None = None) -> Workbook:
    """The standard-layout workbook of ``forms`` (exports add sheets to it before saving).

    With ``scorecards`` (same order as ``forms``) columns J/K carry 规则得分 and 评分说明, and the
    indicator rows that lost points are filled light red (DEDUCTED_FILL).
    """
    if layout not in ("sheets", "stacked"):
        raise ValueError(f"layout must be 'sheets' or 'stacked', not {layout!r}")
    cards = _check_scorecards(forms, scorecards)
    columns = LAST + (len(SCORE_HEADER) if scorecards is not None else 0)
    wb = _workbook()
    wb.remove(wb.active)
    if layout == "stacked":
        ws = wb.create_sheet(STACKED_SHEET)
        top = 1
        for form, card in zip(forms, cards):
            total_row = _write_form(ws, form, top, card)
            ws.row_breaks.append(Break(id=total_row))
            top = total_row + GAP + 1
        _setup_sheet(ws, columns, None)
    else:
        used: set[str] = set()
        for form, card in zip(forms, cards):
            ws = wb.create_sheet(sheet_name(form.project.value, used))
            _write_form(ws, form, 1, card)
            _setup_sheet(ws, columns, "1:2")
    if not wb.worksheets:
        _setup_sheet(wb.create_sheet(STACKED_SHEET), columns, None)
    return wb


def _workbook() -> Workbook:
    """A new workbook whose author (shown in Excel's file properties) is the app, not openpyxl."""
    wb = Workbook()
    wb.properties.creator = "perfboard"
    return wb


def blank_form() -> Form:
    """The template's form: execution weight 10, total 100, placeholder indicator rows."""
    indicators = [Indicator(level1=l1, level2=l2, name="") for l1, l2 in TEMPLATE_BLOCKS]
    return Form(source=Source(), execution=Execution(weight=Num(10.0)), indicators=indicators,
                total_weight=Num(100.0))


def write_template(out: Out) -> None:
    """A blank form in the standard layout plus the instructions sheet 填表说明."""
    wb = _workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    _write_form(ws, blank_form(), 1, None)
    _setup_sheet(ws, LAST, "1:2")
    help_ws = wb.create_sheet(HELP_SHEET)
    put(help_ws, 1, 1, HELP_LINES[0], "title")
    for row, line in enumerate(HELP_LINES[1:], start=2):
        put(help_ws, row, 1, line, "text")
    help_ws.column_dimensions["A"].width = 110
    _page(help_ws, help_ws.ORIENTATION_PORTRAIT)
    wb.save(out)
