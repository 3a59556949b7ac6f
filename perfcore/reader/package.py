"""The parts of an .xlsx package the reader looks into beside calamine: which zip member holds which sheet."""
from __future__ import annotations

import posixpath
import zipfile

from defusedxml import ElementTree

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def sheet_paths(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part path inside the package (the guard has already checked these parts)."""
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_NS_PKG}Relationship")}
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    paths = {}
    for sheet in workbook.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        if target:
            inside = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            paths[sheet.get("name", "")] = inside
    return paths
