"""What calamine does not say about a cell: its number format and the constant a person typed as a formula.

python-calamine returns values only, so a typed ``100%`` (stored as 1 with format ``0%``)
reads like a plain 1. The formats come from the workbook's own styles: for .xlsx the
``cellXfs`` of ``xl/styles.xml`` and each cell's ``s`` attribute, found with one regex
search per sheet for just the styles that matter (files with General formats only pay
for reading styles.xml); for .xls the XF records through xlrd. Formula cells whose
formula is a constant (``=100%`` typed without an apostrophe) keep the typed text.
"""
from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import DefusedXmlException, ElementTree

from .numfmt import BUILTIN_FORMATS, is_general
from .package import sheet_paths

Cell = tuple[int, int]  # zero-based (row, column)

log = logging.getLogger(__name__)

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_TYPE = re.compile(rb'\st="(\w+)"')
_CONSTANT = re.compile(rb"<(?:\w+:)?f>\s*([+-]?(?:\d+(?:\.\d+)?|\.\d+)%?)\s*</(?:\w+:)?f>")
_CELL_START = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")
_NUMERIC_TYPES = (b"n", b"d")  # other t= values (s, str, inlineStr, b, e) are not numbers


@dataclass
class SheetFacts:
    """Per sheet: numeric cells with a non-General format, and constant formulas as typed."""

    formats: dict[Cell, str] = field(default_factory=dict)
    typed: dict[Cell, str] = field(default_factory=dict)


def cell_of(letters: bytes, digits: bytes) -> Cell:
    col = 0
    for char in letters.decode():
        col = col * 26 + ord(char) - 64
    return int(digits) - 1, col - 1


def xlsx_facts(data: bytes, formula_sheets: frozenset[str] = frozenset()) -> dict[str, SheetFacts]:
    """{sheet name: facts} of an .xlsx; empty when it has no number formats and no formulas."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            styled = _formatted_styles(book)
            if not styled and not formula_sheets:
                return {}
            facts: dict[str, SheetFacts] = {}
            pattern = _styled_cell_pattern(styled)
            for sheet, path in sheet_paths(book).items():
                if pattern is None and sheet not in formula_sheets:
                    continue
                xml = book.read(path)
                facts[sheet] = _sheet_facts(xml, pattern, styled, sheet in formula_sheets)
            return facts
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException, OSError):
        log.debug("no cell facts", exc_info=True)
        return {}


def _formatted_styles(book: zipfile.ZipFile) -> dict[int, str]:
    """{cellXfs index: format code} for the styles whose number format is not General."""
    try:
        root = ElementTree.fromstring(book.read("xl/styles.xml"))
    except KeyError:
        return {}
    codes = dict(BUILTIN_FORMATS)
    for numfmt in root.iter(f"{_NS}numFmt"):
        try:
            codes[int(numfmt.get("numFmtId", ""))] = numfmt.get("formatCode", "General")
        except ValueError:
            continue
    xfs = root.find(f"{_NS}cellXfs")
    styled: dict[int, str] = {}
    for index, xf in enumerate(xfs if xfs is not None else []):
        try:
            code = codes.get(int(xf.get("numFmtId", "0")), "General")
        except ValueError:
            continue
        if not is_general(code):
            styled[index] = code
    return styled


def _styled_cell_pattern(styled: dict[int, str]) -> re.Pattern[bytes] | None:
    """One regex matching only the opening tags of cells that carry a formatted style."""
    if not styled:
        return None
    ids = b"|".join(str(i).encode() for i in sorted(styled, key=lambda i: -len(str(i))))
    return re.compile(rb'<(?:\w+:)?c\b([^>]*?\ss="(' + ids + rb')"[^>]*)>')


def _sheet_facts(xml: bytes, pattern: re.Pattern[bytes] | None, styled: dict[int, str], formulas: bool) -> SheetFacts:
    facts = SheetFacts()
    if pattern is not None:
        for match in pattern.finditer(xml):
            attrs = match[1]
            kind = _TYPE.search(attrs)
            ref = _REF.search(attrs)
            if ref and (kind is None or kind[1] in _NUMERIC_TYPES):
                facts.formats[cell_of(*ref.groups())] = styled[int(match[2])]
    if formulas:
        for match in _CONSTANT.finditer(xml):
            starts = list(_CELL_START.finditer(xml, max(0, match.start() - 512), match.start()))
            ref = _REF.search(starts[-1][1]) if starts else None
            if ref:
                facts.typed[cell_of(*ref.groups())] = "=" + match[1].decode()
    return facts


def xls_facts(data: bytes) -> dict[str, SheetFacts]:
    """{sheet name: facts} of a legacy .xls from its XF and FORMAT records (xlrd)."""
    import xlrd  # only .xls files pay for importing it

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception:  # xlrd refuses some files calamine reads: keep the values, lose the formats
        log.debug("xlrd could not read formats", exc_info=True)
        return {}
    facts: dict[str, SheetFacts] = {}
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            sheet_facts = SheetFacts()
            for row in range(sheet.nrows):
                for col, cell in enumerate(sheet.row(row)):
                    if cell.ctype != xlrd.XL_CELL_NUMBER:
                        continue
                    fmt = book.format_map.get(book.xf_list[cell.xf_index].format_key)
                    if fmt is not None and not is_general(fmt.format_str):
                        sheet_facts.formats[(row, col)] = fmt.format_str
            if sheet_facts.formats:
                facts[sheet.name] = sheet_facts
            book.unload_sheet(index)
    except Exception:
        log.debug("xlrd failed on a sheet", exc_info=True)
    return facts
