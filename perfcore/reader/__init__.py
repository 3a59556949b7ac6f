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

from .form import read_form
from .formulas import uncached_formulas
from .grid import Grid, column_letter
from .locate import find_forms
from .workbook import load_source, open_book, read_error

__all__ = ["WorkbookResult", "read_workbook", "read_paths"]

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
    source: bytes | str | os.PathLike, filename: str | None = None, *, include_hidden: bool = False
) -> WorkbookResult:
    """Read every form of a workbook (.xlsx/.xlsm/.xls/.ods); hidden sheets only on request."""
    name = filename or (os.path.basename(source) if isinstance(source, (str, os.PathLike)) else "上传文件")
    try:
        name, data = load_source(source, filename)
        found = guard.inspect(data, name)  # hostile bytes never reach calamine
        book = open_book(data, name)
        return _refuse_bad_amounts(_read_book(book, data, name, include_hidden, found.formula_sheets))
    except ReadError as error:
        return WorkbookResult(name, error=error)
    except Exception as exc:  # the API promise: bad input never raises
        log.exception("reading %s failed", name)
        return WorkbookResult(name, error=read_error("unreadable", name, detail=type(exc).__name__))


def _refuse_bad_amounts(result: WorkbookResult) -> WorkbookResult:
    """A date, NaN, negative or absurd amount refuses the file rather than skewing every total."""
    for form in result.forms:
        error = guard.bad_amount(form, result.file)
        if error is not None:
            return WorkbookResult(result.file, notes=result.notes, error=error)
    return result


def read_paths(paths: Iterable[str | os.PathLike]) -> list[WorkbookResult]:
    """``read_workbook`` for each path, in order."""
    return [read_workbook(path) for path in paths]


def _read_book(
    book: CalamineWorkbook, data: bytes, name: str, include_hidden: bool, formula_sheets: frozenset[str]
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
            grid = Grid.from_rows(meta.name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges)
        except CalamineError:
            result.notes.append(f"工作表“{meta.name}”无法读取，已跳过")
            continue
        if grid.empty:
            continue
        any_cells = True
        blocks = find_forms(grid)
        if not blocks:
            result.notes.append(f"工作表“{meta.name}”不是绩效自评表，已跳过")
            continue
        result.forms.extend(read_form(grid, block, name) for block in blocks)
        if meta.name in formula_sheets:  # a sheet without formulas has none uncalculated
            result.error = _formula_error(grid, data, name)
        if result.error:
            result.forms = []
            return result
    if not result.forms:
        result.error = read_error("no_form" if any_cells else "empty_workbook", name)
    return result


def _formula_error(grid: Grid, data: bytes, name: str) -> ReadError | None:
    """formula_no_cache when a value cell the forms read is an uncalculated formula."""
    if not grid.blank_reads:
        return None
    uncached = sorted(grid.blank_reads & uncached_formulas(data, grid.sheet))
    if not uncached:
        return None
    cells = [f"{column_letter(col)}{row + 1}" for row, col in uncached]
    more = " 等" if len(cells) > 5 else ""
    detail = "、".join(cells[:5]) + more
    return read_error("formula_no_cache", name, sheet=grid.sheet, cell=cells[0], detail=detail)
