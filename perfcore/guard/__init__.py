"""Make hostile uploads harmless: checks on the raw bytes before any parser sees them.

``inspect(data, filename, limits)`` sniffs the real file type from magic bytes and,
bounded in time and memory, rejects what would hurt or mislead the parser:
oversized files, decompression and XML entity bombs, encrypted workbooks, sheets
whose cells reach beyond the row / column limits and over-long cells. Every rejection is a ``ReadError`` with a stable
code and a Chinese message saying what is wrong and what to do.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from perfcore.guard.amounts import bad_amount, bad_number, long_text
from perfcore.guard.limits import DEFAULT_LIMITS, Limits, megabytes
from perfcore.guard.messages import MESSAGES, refuse
from perfcore.guard.ole import inspect_ole
from perfcore.guard.ooxml import inspect_zip
from perfcore.guard.sniff import OLE2, ZIP, advice, sniff

__all__ = [
    "DEFAULT_LIMITS",
    "bad_amount",
    "bad_number",
    "long_text",
    "CODES",
    "Inspection",
    "Limits",
    "inspect",
    "load_path",
]

# Every code the guard raises; ``bad_amount`` / ``bad_value`` come from ``bad_amount(form)`` /
# ``bad_number(form)`` after reading, ``formula_*`` before the formula engine runs.
# The reader adds its own (no_form, empty_workbook, formula_no_cache, unreadable ...).
CODES = tuple(MESSAGES)


@dataclass(frozen=True)
class Inspection:
    """What the guard found: the real format, the number of sheets it counted and, for
    .xlsx, which sheets hold formulas (only those can hide uncalculated ones)."""

    kind: str    # "xlsx" (also .xlsm), "xls" or "ods"
    sheets: int
    formula_sheets: frozenset[str] = frozenset()


def inspect(data: bytes, filename: str = "", limits: Limits = DEFAULT_LIMITS) -> Inspection:
    """Check untrusted bytes before parsing; raise ReadError naming the file when they must not be parsed."""
    if len(data) > limits.max_file_bytes:
        raise _too_large(len(data), limits, filename)
    kind, what = sniff(data)
    if kind == "empty":
        raise refuse("empty_file", filename)
    if kind == ZIP:
        return Inspection(*inspect_zip(data, limits, filename))
    if kind == OLE2:
        return Inspection(*inspect_ole(data, limits, filename))
    raise refuse("not_a_workbook", filename, what=what, advice=advice(kind))


def _too_large(size: int, limits: Limits, file: str):
    return refuse("too_large", file, size=megabytes(size), limit=megabytes(limits.max_file_bytes))


def load_path(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, *, name: str = "") -> bytes:
    """Read a file from disk, checking its size first so a huge file is never loaded."""
    name = name or os.path.basename(os.fspath(path))
    size = os.stat(path).st_size
    if size > limits.max_file_bytes:
        raise _too_large(size, limits, name)
    with open(path, "rb") as handle:
        return handle.read(limits.max_file_bytes + 1)

