"""One worksheet as a grid of cells as printed, handing out Num / Text with their A1 refs.

Keeping the sheet name, merged ranges and cell references in one object lets the
form reader stay position-free and still point every value back at its cell. A cell's
text is what the person saw: a number under its number format (``1`` with ``0%`` is
``100%``), a constant formula as typed (``=100%``); its value stays the stored number.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from perfcore.model import Num, Text
from perfcore.text import clean, parse_number, strip_invisible

from .amounts import amount_as_written, points_as_written, to_yuan
from .cellfacts import SheetFacts
from .labels import LABEL_WORDS, label_key
from .numfmt import display, general

Cell = tuple[int, int]  # zero-based (row, column)


@lru_cache(maxsize=1024)
def column_letter(col: int) -> str:
    """Zero-based column index → Excel letters (0 → A, 26 → AA); memoised, every cell ref needs one."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_WS = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff（）()、，：；])\s+(?=[\u3400-\u9fff（）()、，：；])")


def printed(value: object) -> str:
    """A cell as the user printed it: Chinese punctuation and full-width kept, one line,
    no stray spaces between CJK characters (``匹 配率``); labels are matched on ``label_key``."""
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return general(value) if math.isfinite(value) else ""
    if not isinstance(value, str):
        return clean(value)
    return _CJK_GAP.sub("", _WS.sub(" ", strip_invisible(value)).strip())


@lru_cache(maxsize=1 << 14)
def _text_and_key_of_str(value: str) -> tuple[str, str]:
    """``printed`` and ``label_key`` of a text cell, memoised: labels, targets and units
    repeat across every form of a batch, so most are computed once."""
    text = printed(value)
    return text, label_key(text) if text else ""


def _text_and_key(value: object) -> tuple[str, str]:
    """``printed`` and ``label_key`` of one cell value. Numbers are not memoised (amounts are
    all different, and a cache full of them only slows Python's garbage collector); their
    printed text is already a label key (no spaces, brackets or colons)."""
    if isinstance(value, str):
        return _text_and_key_of_str(value)
    text = printed(value)
    if isinstance(value, (int, float)):
        return text, text
    return text, label_key(text) if text else ""


_KEY_NEEDS_WORK = re.compile(r"[^0-9,.%+\-E¥$]")


def _number_key(text: str) -> str:
    """The label key of a formatted number: itself when it is plain digits and signs (nearly
    always), else the full ``label_key`` (brackets of accounting negatives, literal text)."""
    return text if _KEY_NEEDS_WORK.search(text) is None else label_key(text)


@dataclass
class Grid:
    """Cells of one sheet (row-major, zero-based) with merged ranges by their top-left cell."""

    sheet: str
    values: list[list[object]]
    spans: dict[Cell, Cell] = field(default_factory=dict)  # top-left → bottom-right of merged ranges
    facts: SheetFacts = field(default_factory=SheetFacts)  # number formats, constants typed as formulas
    blank_reads: set[Cell] = field(default_factory=set)    # value cells the rules need, read empty
    derived_blanks: set[Cell] = field(default_factory=set)  # derived cells (执行率, 总分) read empty

    def __post_init__(self) -> None:
        pairs = [[_text_and_key(v) if v != "" else ("", "") for v in row] for row in self.values]
        self.texts = [[text for text, _ in row] for row in pairs]
        self.keys = [[key for _, key in row] for row in pairs]
        self.nrows = len(self.values)
        for (row, col), code in self.facts.formats.items():
            if self._is_number(row, col):
                text = display(self.values[row][col], code)  # type: ignore[arg-type]
                self.texts[row][col], self.keys[row][col] = text, _number_key(text)
        for (row, col), text in self.facts.shown.items():
            if self._is_number(row, col):
                self.texts[row][col], self.keys[row][col] = text, label_key(text)
        self.distinct_keys = {key for row in self.keys for key in row if key}
        self._matches: dict[Callable[[str], bool], set[str]] = {}
        self._label_keys: set[str] | None = None

    def matching(self, match: Callable[[str], bool], *, labels: bool = False) -> set[str]:
        """The distinct label keys of the sheet that satisfy ``match`` (memoised per predicate:
        a sheet of 500 stacked forms asks the same question once per form). ``labels``: only
        keys holding a label word (``LABEL_WORDS``) are asked, for predicates that need one."""
        found = self._matches.get(match)
        if found is None:
            keys = self.label_keys if labels else self.distinct_keys
            found = self._matches[match] = {key for key in keys if match(key)}
        return found

    @property
    def label_keys(self) -> set[str]:
        """The distinct keys that hold some label word: the few a label predicate must look at."""
        if self._label_keys is None:
            search = LABEL_WORDS.search
            self._label_keys = {key for key in self.distinct_keys if search(key)}
        return self._label_keys

    def _is_number(self, row: int, col: int) -> bool:
        value = self.values[row][col] if row < self.nrows and col < len(self.values[row]) else None
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    @classmethod
    def from_rows(
        cls,
        sheet: str,
        rows: list[list[Any]],
        merged: list[tuple[Cell, Cell]] | None = None,
        facts: SheetFacts | None = None,
    ) -> Grid:
        return cls(sheet, rows, {start: end for start, end in (merged or [])}, facts or SheetFacts())

    @property
    def empty(self) -> bool:
        return not any(any(row) for row in self.texts)

    def width(self, row: int) -> int:
        return len(self.values[row]) if 0 <= row < self.nrows else 0

    def text(self, row: int, col: int | None) -> str:
        if col is None or not 0 <= row < self.nrows or not 0 <= col < len(self.texts[row]):
            return ""
        return self.texts[row][col]

    def key(self, row: int, col: int | None) -> str:
        if col is None or not 0 <= row < self.nrows or not 0 <= col < len(self.keys[row]):
            return ""
        return self.keys[row][col]

    def span_end(self, row: int, col: int) -> int:
        """Last column covered by the cell at (row, col): itself or the merged range it starts."""
        return self.spans.get((row, col), (row, col))[1]

    def ref(self, row: int, col: int) -> str:
        """``Sheet!C12`` (1-based Excel reference)."""
        return f"{self.sheet}!{column_letter(col)}{row + 1}"

    def raw(self, row: int, col: int) -> str:
        """The cell as printed: strings stripped, numbers without a trailing ``.0``."""
        if not (0 <= row < self.nrows and 0 <= col < len(self.values[row])):
            return ""
        value = self.values[row][col]
        return value.strip() if isinstance(value, str) else self.texts[row][col]  # texts = printed(value)

    def num(self, row: int, col: int | None, scale: float = 1.0, *, derived: bool = False) -> Num:
        """The number in a cell (None for blanks, dashes, words), scaled, with raw text and ref.

        ``derived`` marks cells the rules recompute themselves (执行率, its 得分, 总分): an
        uncalculated formula there is noted, not a reason to refuse the file."""
        if col is None:
            return Num()
        raw = self.raw(row, col)
        if not raw:
            (self.derived_blanks if derived else self.blank_reads).add((row, col))
        value = self.values[row][col] if raw else ""
        number = parse_number(value)
        if number is None and raw and isinstance(value, str):
            number = points_as_written(value)  # 10分, １０ (weights and scores typed as text)
        if number is not None and scale != 1.0:
            number = round(number * scale, 2)
        return Num(number, raw, self.ref(row, col))

    def amount(self, row: int, col: int | None, scale: float = 1.0) -> tuple[Num, str]:
        """An amount in yuan as a person wrote it (``150万``, ``1,500元``, ``１５０``), with a Chinese
        note when it was text; a number cell is scaled by the table's unit as ``num`` does."""
        if col is None or not (row < self.nrows and col < len(self.values[row])) or not isinstance(self.values[row][col], str):
            return self.num(row, col, scale), ""
        raw = self.raw(row, col)
        written = amount_as_written(raw) if raw else None
        if written is None or (not written.unit and parse_number(raw) is not None):
            return self.num(row, col, scale), ""  # nothing to say about a plain number typed as text
        value = to_yuan(written, scale)
        table_unit = "万元" if scale != 1.0 else "元"
        how = f"按所写单位“{written.unit}”" if written.unit else f"按本表单位{table_unit}"
        note = f"单元格 {self.ref(row, col)} 写作文字“{raw}”，{how}读作 {value:,.2f} 元"
        return Num(value, raw, self.ref(row, col)), note

    def peek(self, row: int, col: int | None) -> float | None:
        """The number in a cell, read without recording it as a value the form needs."""
        if col is None or not 0 <= row < self.nrows or not 0 <= col < len(self.values[row]):
            return None
        value = self.values[row][col]
        number = parse_number(value)
        return points_as_written(value) if number is None and isinstance(value, str) else number

    def text_cell(self, row: int, col: int | None) -> Text:
        """The cleaned text of a cell with its ref; a constant typed as a formula reads as typed."""
        if col is None:
            return Text()
        typed = self.facts.typed.get((row, col))
        if typed is not None:
            return Text(typed, self.ref(row, col))
        if not self.raw(row, col):
            self.blank_reads.add((row, col))
        return Text(self.text(row, col), self.ref(row, col))
