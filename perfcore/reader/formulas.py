"""Formula cells without a cached value in an .xlsx (files written by scripts, never opened in Excel).

calamine only sees cached values, so such cells read as empty; this probe tells a
blank the user left from a formula nobody calculated. Only run when the reader
met blank value cells, so normal files pay nothing.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile

from defusedxml import DefusedXmlException, ElementTree

from .grid import Cell

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>")


def _cell(letters: bytes, digits: bytes) -> Cell:
    col = 0
    for char in letters.decode():
        col = col * 26 + ord(char) - 64
    return int(digits) - 1, col - 1


def _sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part path inside the package."""
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_NS_PKG}Relationship")}
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    paths = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return paths


def uncached_formulas(data: bytes, sheet: str) -> set[Cell]:
    """Zero-based cells of ``sheet`` holding a formula but no cached value; empty when not an .xlsx."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            path = _sheet_paths(book).get(sheet)
            xml = book.read(path) if path else b""
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, DefusedXmlException, OSError):
        return set()
    found = set()
    for attrs, body in _CELL.findall(xml):
        if body and _FORMULA.search(body) and not _VALUE.search(body):
            ref = _REF.search(attrs)
            if ref:
                found.add(_cell(*ref.groups()))
    return found
