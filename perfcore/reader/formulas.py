"""Formula cells without a cached value in an .xlsx (files written by scripts, never opened in Excel).

calamine only sees cached values, so such cells read as empty. The reader asks here which
cells of the formula-holding sheets have no cached value, and has them calculated by a
formula engine (formualizer, Rust) before reading; what the engine cannot calculate is
reported by cell. The guard first bounds what the formulas could produce
(``perfcore.guard.formulas``): a workbook that would make the engine allocate without end is
refused, naming the cell, before the engine sees it.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile

from defusedxml import DefusedXmlException, ElementTree

from perfcore.guard.formulas import check_formulas

from .cellfacts import Cell, cell_of
from .package import sheet_paths

log = logging.getLogger(__name__)

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v\s*>[^<]+</(?:\w+:)?v>")
_ERROR = re.compile(rb'\st="e"')


def uncached_formulas(data: bytes, sheets: frozenset[str]) -> dict[str, set[Cell]]:
    """{sheet: zero-based cells holding a formula without a usable cached value} (none, or an
    error such as ``#DIV/0!``, which calamine reads as blank), for the given sheets of an .xlsx."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            parts = {name: book.read(path) for name, path in sheet_paths(book).items() if name in sheets}
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException, OSError):
        return {}
    found: dict[str, set[Cell]] = {}
    for name, xml in parts.items():
        cells = set()
        for attrs, body in _CELL.findall(xml):
            if body and _FORMULA.search(body) and (not _VALUE.search(body) or _ERROR.search(attrs)):
                ref = _REF.search(attrs)
                if ref:
                    cells.add(cell_of(*ref.groups()))
        if cells:
            found[name] = cells
    return found


def calculate(data: bytes, name: str = "") -> bytes | None:
    """The workbook with every formula's cached value filled in by formualizer, or None when it fails.

    Raises ReadError (naming the cell) when the formulas could exhaust memory: never evaluated."""
    check_formulas(data, name)
    try:
        import datetime as dt

        import formualizer  # only files with uncalculated formulas pay for it

        fixed = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # TODAY()/NOW() never decide a score
        result = formualizer.recalculate_xlsx_bytes(data, deterministic_timestamp_utc=fixed)
        return bytes(result["bytes"])
    except Exception as exc:  # one line, no traceback: the user's answer is the cell named as uncalculated
        log.info("formula engine failed: %s: %s", type(exc).__name__, exc)
        return None
