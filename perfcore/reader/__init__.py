"""Workbook reader: bytes or a path in, self-evaluation forms out, never a traceback.

Error codes in ``WorkbookResult.error.code`` (the whole file could not be used):
``file_not_found``, ``not_a_workbook``, ``encrypted``,
``empty_workbook`` (no cell anywhere), ``no_form`` (cells but no form),
``formula_no_cache`` (values the form needs are uncalculated formulas),
``unreadable`` (anything unexpected), and the codes of ``perfcore.guard.CODES``
(empty_file, truncated, too_large, zip_bomb, too_many_rows, bad_amount, ...) from the
checks run on the raw bytes before parsing. Sheet-level remarks go to ``notes``.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from perfcore import guard
from perfcore.errors import ReadError
from perfcore.model import Form

from .cellfacts import SheetFacts, ods_facts, xls_facts, xlsx_facts
from .form import read_form
from .formulas import calculate, uncached_formulas
from .grid import Cell, Grid, column_letter
from .locate import Block, find_forms
from .taught import Taught, TaughtFor
from .workbook import load_source, open_book, read_error

__all__ = ["Taught", "WorkbookResult", "read_workbook", "read_paths"]

log = logging.getLogger(__name__)


@dataclass
class WorkbookResult:
    """What one file gave: its forms, remarks per sheet, or the error that stopped it."""

    file: str
    forms: list[Form] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: ReadError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def read_workbook(
    source: bytes | str | os.PathLike, filename: str | None = None, *, include_hidden: bool = False,
    taught: TaughtFor | None = None,
) -> WorkbookResult:
    """Read every form of a workbook (.xlsx/.xlsm/.xls/.ods); hidden sheets only on request.

    ``taught`` gives the layout staff taught for a sheet (or None): it overrides what the
    reader locates there (perfcore.reader.taught)."""
    name = filename or (os.path.basename(source) if isinstance(source, (str, os.PathLike)) else "上传文件")
    try:
        name, data = load_source(source, filename)
        found = guard.inspect(data, name)  # hostile bytes never reach calamine
        formulas = _Formulas.settle(data, found, name)
        book = open_book(formulas.data, name)
        facts = _facts(formulas.data, found)
        return _refuse_bad_amounts(_read_book(book, name, include_hidden, facts, formulas, taught))
    except ReadError as error:
        return WorkbookResult(name, error=error)
    except Exception as exc:  # the API promise: bad input never raises
        log.info("reading %s failed", name, exc_info=True)  # below WARNING: no traceback on a terminal
        return WorkbookResult(name, error=read_error("unreadable", name, detail=type(exc).__name__))


def _facts(data: bytes, found: guard.Inspection) -> dict[str, SheetFacts]:
    """Number formats and typed constants per sheet, from the workbook's own styles."""
    if found.kind == "xlsx":
        return xlsx_facts(data, found.formula_sheets)
    if found.kind == "xls":
        return xls_facts(data)
    if found.kind == "ods":
        return ods_facts(data)
    return {}


@dataclass
class _Formulas:
    """Formulas saved without a result (Apache POI, openpyxl): calculated before reading.

    ``data`` is the workbook to read (calculated when needed), ``calculated`` the cells the
    engine filled per sheet, ``missing`` those it could not (still no value)."""

    data: bytes
    calculated: dict[str, set[Cell]] = field(default_factory=dict)
    missing: dict[str, set[Cell]] = field(default_factory=dict)

    @classmethod
    def settle(cls, data: bytes, found: guard.Inspection, name: str = "") -> _Formulas:
        if found.kind != "xlsx" or not found.formula_sheets:
            return cls(data)
        uncached = uncached_formulas(data, found.formula_sheets)
        if not uncached:
            return cls(data)
        calculated = calculate(data, name)
        if calculated is None:
            return cls(data, missing=uncached)
        still = uncached_formulas(calculated, frozenset(uncached))
        missing = {sheet: cells & still.get(sheet, set()) for sheet, cells in uncached.items()}
        done = {sheet: cells - missing[sheet] for sheet, cells in uncached.items()}
        return cls(calculated, {s: c for s, c in done.items() if c}, {s: c for s, c in missing.items() if c})

    def notes(self, grid: Grid) -> list[str]:
        """Chinese notes for the forms of one sheet: what was calculated, what stays unknown."""
        notes = []
        done = self.calculated.get(grid.sheet, set())
        if done:
            notes.append(f"工作表“{grid.sheet}”有 {len(done)} 个公式保存时没有计算结果（{_cells(done)}），已由公式引擎重新计算")
        derived = self.missing.get(grid.sheet, set()) & grid.derived_blanks
        if derived:
            notes.append(f"单元格 {_cells(derived)} 的公式无法计算，执行率、得分、总分按规则重新计算")
        return notes


def _cells(cells: set[Cell], most: int = 5) -> str:
    names = [f"{column_letter(col)}{row + 1}" for row, col in sorted(cells)]
    return "、".join(names[:most]) + (" 等" if len(names) > most else "")


def _refuse_bad_amounts(result: WorkbookResult) -> WorkbookResult:
    """A date, NaN, negative or absurd amount (or 分值 / 得分) refuses the file rather than skewing every total."""
    for form in result.forms:
        error = guard.bad_amount(form, result.file) or guard.bad_number(form, result.file)
        if error is not None:
            return WorkbookResult(result.file, notes=result.notes, error=error)
    return result


def read_paths(paths: Iterable[str | os.PathLike]) -> list[WorkbookResult]:
    """``read_workbook`` for each path, in order."""
    return [read_workbook(path) for path in paths]


def _read_book(
    book: CalamineWorkbook, name: str, include_hidden: bool, facts: dict[str, SheetFacts], formulas: _Formulas,
    taught: TaughtFor | None = None,
) -> WorkbookResult:
    result = WorkbookResult(name)
    any_cells = False
    for meta in book.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != SheetVisibleEnum.Visible and not include_hidden:
            result.notes.append(f"工作表“{meta.name}”是隐藏的，已跳过")
            any_cells = True  # "no form" with this note, not "empty workbook"
            continue
        try:
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            guard.long_text(rows, meta.name, name)  # .xls strings and calculated values too
            grid = Grid.from_rows(meta.name, rows, sheet.merged_cell_ranges, facts.get(meta.name))
        except CalamineError:
            result.notes.append(f"工作表“{meta.name}”无法读取，已跳过")
            continue
        if grid.empty:
            continue
        any_cells = True
        blocks = find_forms(grid)
        layout = taught(grid) if taught is not None else None
        if not blocks and layout is not None:
            blocks = [Block(0, grid.nrows)]  # a sheet the reader cannot place, read as staff taught it
        if not blocks:
            result.notes.append(f"工作表“{meta.name}”不是绩效自评表，已跳过")
            continue
        forms = [read_form(grid, block, name, layout) for block in blocks]
        needed = formulas.missing.get(grid.sheet, set()) & grid.blank_reads
        if needed:
            cells = _cells(needed)
            first = min(needed)
            error = read_error("formula_no_cache", name, sheet=grid.sheet,
                               cell=f"{column_letter(first[1])}{first[0] + 1}", detail=cells)
            return WorkbookResult(name, notes=result.notes, error=error)
        for form in forms:
            form.notes.extend(formulas.notes(grid))
        result.forms.extend(forms)
    if not result.forms:
        result.error = read_error("no_form" if any_cells else "empty_workbook", name)
    return result
