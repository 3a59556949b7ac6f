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
import struct
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache

from defusedxml import DefusedXmlException, ElementTree

from .numfmt import BUILTIN_FORMATS, is_general
from .package import sheet_paths

Cell = tuple[int, int]  # zero-based (row, column)

log = logging.getLogger(__name__)

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_CONSTANT = re.compile(rb"<(?:\w+:)?f(?:\s[^>]*)?>\s*([+-]?(?:\d+(?:\.\d+)?|\.\d+)%?)\s*</(?:\w+:)?f>")
_SHARED_INDEX = re.compile(rb'\ssi="(\d+)"')
_SHARED_USE = re.compile(rb'<(?:\w+:)?f\s[^>]*?\bt="shared"[^>]*?\ssi="(\d+)"[^>]*/>')
_CELL_START = re.compile(rb"<(?:\w+:)?c\b([^>]*)>")


@dataclass
class SheetFacts:
    """Per sheet: numeric cells with a non-General format, the text shown for numeric cells
    when the file stores it (.ods), and constant formulas as typed."""

    formats: dict[Cell, str] = field(default_factory=dict)
    typed: dict[Cell, str] = field(default_factory=dict)
    shown: dict[Cell, str] = field(default_factory=dict)


@lru_cache(maxsize=1024)
def _column(letters: bytes) -> int:
    col = 0
    for char in letters:
        col = col * 26 + char - 64
    return col - 1


def cell_of(letters: bytes, digits: bytes) -> Cell:
    """Zero-based (row, column) of an A1 reference's parts."""
    return int(digits) - 1, _column(letters)


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


def _styled_cell_pattern(styled: dict[int, str]) -> tuple[re.Pattern[bytes], re.Pattern[bytes]] | None:
    """Regexes matching only the opening tags of cells that carry a formatted style, with groups
    (column letters, row digits, attributes between r= and s=, style id, attributes after).

    The first needs ``r`` to open the tag, as Excel, WPS, LibreOffice and openpyxl write it: its
    literal prefix keeps the search at C speed (16 MB of sheet XML in ~0.05 s). The second
    takes attributes in any order and is used only for parts where some cell tag does not
    start with ``r`` (namespace prefixes, other writers)."""
    if not styled:
        return None
    ids = b"|".join(str(i).encode() for i in sorted(styled, key=lambda i: -len(str(i))))
    usual = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"((?: [\w:]+="[^"]*")*?) s="(' + ids + rb')"([^>]*)>')
    general = re.compile(
        rb'<(?:\w+:)?c\s(?:[^>]*?\s)?r="([A-Z]{1,3})(\d+)"([^>]*?)\ss="(' + ids + rb')"([^>]*)>'
        rb'|<(?:\w+:)?c\s[^>]*?\bs="(' + ids + rb')"[^>]*?\sr="([A-Z]{1,3})(\d+)"([^>]*)>'
    )
    return usual, general


_NOT_NUMERIC = re.compile(rb'\st="(?!n"|d")')


def _sheet_facts(
    xml: bytes, pattern: tuple[re.Pattern[bytes], re.Pattern[bytes]] | None, styled: dict[int, str], formulas: bool
) -> SheetFacts:
    facts = SheetFacts()
    if pattern is not None:  # findall: the loop below sees only formatted cells, as tuples
        usual, general = pattern
        if xml.count(b'<c r="') == xml.count(b"<c ") and b":c " not in xml:
            found = [(*cell, b"", b"", b"", b"") for cell in usual.findall(xml)]
        else:
            found = general.findall(xml)
        for letters, digits, before, style, after, style2, letters2, digits2, rest in found:
            if letters:
                if _NOT_NUMERIC.search(before) is None and _NOT_NUMERIC.search(after) is None:
                    facts.formats[cell_of(letters, digits)] = styled[int(style)]
            elif _NOT_NUMERIC.search(rest) is None:  # s= written before r= (rare writers)
                facts.formats[cell_of(letters2, digits2)] = styled[int(style2)]
    if formulas:
        shared: dict[bytes, str] = {}
        for match in _CONSTANT.finditer(xml):
            ref = _ref_before(xml, match.start())
            if ref:
                facts.typed[ref] = "=" + match[1].decode()
                index = _SHARED_INDEX.search(match[0])
                if index:
                    shared[index[1]] = facts.typed[ref]
        if shared:  # other cells of a shared constant formula: <f t="shared" si="0"/>
            for match in _SHARED_USE.finditer(xml):
                ref = _ref_before(xml, match.start())
                if ref and match[1] in shared:
                    facts.typed.setdefault(ref, shared[match[1]])
    return facts


def _ref_before(xml: bytes, at: int) -> Cell | None:
    """The cell whose opening tag precedes position ``at`` (a formula inside it)."""
    starts = list(_CELL_START.finditer(xml, max(0, at - 512), at))
    ref = _REF.search(starts[-1][1]) if starts else None
    return cell_of(*ref.groups()) if ref else None


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
            sheet_facts.typed = _biff_constants(book, index)
            if sheet_facts.formats or sheet_facts.typed:
                facts[sheet.name] = sheet_facts
            book.unload_sheet(index)
    except Exception:
        log.debug("xlrd failed on a sheet", exc_info=True)
    return facts


# BIFF8 record and formula-token ids (MS-XLS 2.4.127 FORMULA, 2.5.198 Ptg).
_FORMULA, _SHRFMLA, _EOF, _PTG_EXP = 0x0006, 0x04BC, 0x000A, 0x01
_PTG_INT, _PTG_NUM, _PTG_PERCENT, _PTG_UPLUS, _PTG_UMINUS, _PTG_PAREN = 0x1E, 0x1F, 0x14, 0x12, 0x13, 0x15


def _biff_constants(book, index: int) -> dict[Cell, str]:
    """Formula cells of one .xls sheet whose formula is a constant (``=100%``), as typed.

    xlrd gives formula results only, so the FORMULA records of the sheet's substream are
    walked here (xlrd keeps the workbook stream and each sheet's offset)."""
    mem, pos = book.mem, book._sh_abs_posn[index]
    formulas: dict[Cell, bytes] = {}
    shared: dict[Cell, bytes] = {}  # anchor cell → tokens of a shared formula (SHRFMLA)
    last: Cell | None = None
    while pos + 4 <= len(mem):
        code, size = struct.unpack_from("<HH", mem, pos)
        body = pos + 4
        pos = body + size
        if code == _EOF:
            break
        if code == _FORMULA and size >= 22:
            last = struct.unpack_from("<HH", mem, body)
            (cce,) = struct.unpack_from("<H", mem, body + 20)
            formulas[last] = bytes(mem[body + 22: body + 22 + cce])
        elif code == _SHRFMLA and size >= 10 and last is not None:
            (cce,) = struct.unpack_from("<H", mem, body + 8)
            shared[last] = bytes(mem[body + 10: body + 10 + cce])
    typed: dict[Cell, str] = {}
    for cell, rgce in formulas.items():
        if len(rgce) == 5 and rgce[0] == _PTG_EXP:  # a cell of a shared formula: its anchor's tokens
            rgce = shared.get(struct.unpack_from("<HH", rgce, 1), b"")
        text = _constant_formula(rgce)
        if text is not None:
            typed[cell] = text
    return typed


def _constant_formula(rgce: bytes) -> str | None:
    """``=100%`` / ``=0`` / ``=-5`` from parsed formula tokens, or None when it is not a constant."""
    if not rgce:
        return None
    if rgce[0] == _PTG_INT and len(rgce) >= 3:
        number, rest = str(struct.unpack_from("<H", rgce, 1)[0]), rgce[3:]
    elif rgce[0] == _PTG_NUM and len(rgce) >= 9:
        value = struct.unpack_from("<d", rgce, 1)[0]
        number, rest = (str(int(value)) if value.is_integer() else repr(value)), rgce[9:]
    else:
        return None
    sign = percent = ""
    for token in rest:
        if token == _PTG_PERCENT:
            percent += "%"
        elif token == _PTG_UMINUS:
            sign = "" if sign else "-"
        elif token not in (_PTG_UPLUS, _PTG_PAREN):
            return None
    return f"={sign}{number}{percent}"


# OpenDocument: every cell stores the text it shows (<text:p>) beside its value.
_ODS_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_ODS_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_ODS_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODS_NUMERIC = frozenset({"float", "percentage", "currency"})
_ODS_CONSTANT = re.compile(r"^(?:of:)?=\s*([+-]?(?:\d+(?:\.\d+)?|\.\d+)%?)\s*$")


def ods_facts(data: bytes) -> dict[str, SheetFacts]:
    """{sheet name: facts} of an .ods: the shown text of numeric cells and constant formulas."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            root = ElementTree.fromstring(book.read("content.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException, OSError):
        log.debug("no ods facts", exc_info=True)
        return {}
    facts: dict[str, SheetFacts] = {}
    for table in root.iter(f"{_ODS_TABLE}table"):
        sheet = SheetFacts()
        row = 0
        for row_el in table.iter(f"{_ODS_TABLE}table-row"):
            rows = int(row_el.get(f"{_ODS_TABLE}number-rows-repeated", "1"))
            col = 0
            for cell in row_el:
                span = int(cell.get(f"{_ODS_TABLE}number-columns-repeated", "1"))
                _ods_cell(cell, row, col, rows, span, sheet)
                col += span
            row += rows
        if sheet.shown or sheet.typed:
            facts[table.get(f"{_ODS_TABLE}name", "")] = sheet
    return facts


def _ods_cell(cell, row: int, col: int, rows: int, span: int, sheet: SheetFacts) -> None:
    if cell.get(f"{_ODS_OFFICE}value-type") not in _ODS_NUMERIC:
        return
    text = "".join("".join(p.itertext()) for p in cell.iter(f"{_ODS_TEXT}p")).strip()
    constant = _ODS_CONSTANT.match(cell.get(f"{_ODS_TABLE}formula", ""))
    for r in range(row, row + min(rows, 1000)):  # the guard bounds repeated rows with values
        for c in range(col, col + min(span, 1000)):
            if text:
                sheet.shown[(r, c)] = text
            if constant:
                sheet.typed[(r, c)] = "=" + constant[1]
