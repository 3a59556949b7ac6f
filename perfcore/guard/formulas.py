"""Formulas that must not reach the formula engine: growth and ranges bounded before evaluation.

A workbook saved without formula results is calculated by formualizer (perfcore.reader.formulas).
Eight kilobytes of ``A2=A1&A1 … A40`` ask it for 16 × 2³⁹ characters, and one
``SUMPRODUCT(A1:F1048576*…)`` for gigabytes: the engine allocates until the process dies. Here
each formula's longest possible result is bounded from its text (string literals, the cells and
ranges it refers to, ``REPT`` counts; ``SUBSTITUTE`` / ``REPT`` of a cell multiply), formula by
formula through the references, and ranges beyond the sheet limits are refused, all with the
cell named. Defined names and other sheets' formulas the bound cannot see are left to the
worker process's memory and time limits (perfcore.ingest).
"""
from __future__ import annotations

import html
import io
import math
import re
import zipfile
from dataclasses import dataclass, field

from perfcore.guard.limits import DEFAULT_LIMITS, Limits, col_letters, col_number
from perfcore.guard.messages import refuse
from perfcore.guard.strings import chars

_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_F = re.compile(rb"<(?:\w+:)?f\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_F_ATTR = re.compile(rb'\b(t|si|ref)="([^"]*)"')
_V = re.compile(rb"<(?:\w+:)?v>(.*?)</(?:\w+:)?v>", re.S)
_T = re.compile(rb"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", re.S)
_SI = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>", re.S)
_A1 = re.compile(r"^([A-Z]{1,3})(\d+)$")

_LITERAL = re.compile(r'"((?:[^"]|"")*)"')
_REPT_LITERAL = re.compile(r'REPT\(\s*"((?:[^"]|"")*)"\s*,\s*(\d+(?:\.\d*)?)\s*\)', re.I)
_MULTIPLY = re.compile(r"\bSUBSTITUTE\(", re.I)
_REPT = re.compile(r"\bREPT\(", re.I)
_JOIN = re.compile(r"\b(?:CONCAT|CONCATENATE|TEXTJOIN)\(", re.I)
_REF = re.compile(
    r"(?<![\w.$])(?:(?:'((?:[^']|'')+)'|([^\W\d][\w.]*))!)?"
    r"(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?|\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|\$?\d+:\$?\d+)(?![\w(!])"
)
_SHIFT = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")
_NUMBER_CHARS = 24        # the longest text a number shows
_CAP = 10**15             # bounds beyond this are all "far too long"
_WORK = 5_000_000         # cells looked at in ranges before the bound gives up (the limits remain)

Key = tuple[str, int, int]  # sheet, row, column (1-based)


@dataclass
class _Formula:
    text: str
    literal: int = 0                       # characters of string literals and literal REPTs
    refs: list[Key] = field(default_factory=list)
    ranges: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    multiply: bool = False
    join: bool = False


class _Gave(Exception):
    """The bound spent its budget: leave the rest to the worker limits."""


def check_formulas(data: bytes, file: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise ReadError naming the cell when calculating this .xlsx could exhaust memory."""
    from perfcore.guard.ooxml import _sheet_parts  # the guard's own reading of workbook.xml

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        names = set(book.namelist())
        parts = _sheet_parts(book, names, limits, file)
        strings = _shared_lengths(book.read("xl/sharedStrings.xml")) if "xl/sharedStrings.xml" in names else []
        sheets = {sheet: book.read(member) for member, sheet in parts.items()}
    _Bound(sheets, strings, file, limits).check()


def _shared_lengths(xml: bytes) -> list[int]:
    return [chars(b"".join(_T.findall(item))) for item in _SI.findall(xml)]


def _ref(text: str) -> tuple[int, int]:
    match = _A1.match(text.replace("$", ""))
    if not match:
        raise ValueError(text)
    return int(match[2]), col_number(match[1])


def _shift(text: str, rows: int, cols: int) -> str:
    """A shared formula as the cell ``rows`` down and ``cols`` right of its master reads it."""
    def move(m: re.Match[str]) -> str:
        col = m[2] if m[1] else col_letters(max(1, col_number(m[2]) + cols))
        row = m[4] if m[3] else str(max(1, int(m[4]) + rows))
        return f"{m[1]}{col}{m[3]}{row}"

    pieces = _LITERAL.split(text)  # odd pieces are the literals' insides: left as they are
    return '"'.join(_SHIFT.sub(move, p) if i % 2 == 0 else p for i, p in enumerate(pieces))


def _without_calls(text: str, name: re.Pattern[str]) -> tuple[str, int]:
    """``text`` without the calls of a function (arguments and all), and how many there were."""
    masked = _LITERAL.sub(lambda m: '"' + "_" * (len(m[0]) - 2) + '"', text)  # parentheses in text do not count
    spans, at = [], 0
    while (call := name.search(masked, at)) is not None:
        depth, end = 0, len(masked)
        for i in range(call.end() - 1, len(masked)):
            depth += {"(": 1, ")": -1}.get(masked[i], 0)
            if depth == 0:
                end = i + 1
                break
        spans.append((call.start(), end))
        at = end
    for start, end in reversed(spans):
        text = text[:start] + " " + text[end:]
    return text, len(spans)


class _Bound:
    def __init__(self, sheets: dict[str, bytes], strings: list[int], file: str, limits: Limits) -> None:
        self.file, self.limits = file, limits
        self.consts: dict[Key, int] = {}
        self.formulas: dict[Key, _Formula] = {}
        self.order: list[Key] = []
        self.sheet_names = list(sheets)
        for sheet, xml in sheets.items():
            self._cells(sheet, xml, strings)
        self.memo: dict[Key, int] = {}
        self.depths: dict[Key, int] = {}
        self.range_memo: dict[tuple, tuple[int, int]] = {}
        self.work = 0

    def _cells(self, sheet: str, xml: bytes, strings: list[int]) -> None:
        masters: dict[bytes, tuple[int, int, str]] = {}
        for attrs, body in _CELL.findall(xml):
            found = dict(_ATTR.findall(attrs))
            try:
                row, col = _ref(found.get(b"r", b"").decode())
            except ValueError:
                continue
            key = (sheet, row, col)
            formula = _F.search(body or b"")
            if formula is None:
                self.consts[key] = self._length(found.get(b"t", b"n"), body or b"", strings)
                continue
            fattrs = dict(_F_ATTR.findall(formula[1]))
            text = html.unescape((formula[2] or b"").decode("utf-8", "replace"))
            if fattrs.get(b"t") == b"shared":
                si = fattrs.get(b"si", b"")
                if text:
                    masters[si] = (row, col, text)
                elif si in masters:
                    m_row, m_col, m_text = masters[si]
                    text = _shift(m_text, row - m_row, col - m_col)
            if text:
                self.formulas[key] = self._parse(sheet, key, text)
                self.order.append(key)

    @staticmethod
    def _length(kind: bytes, body: bytes, strings: list[int]) -> int:
        if kind == b"inlineStr":
            return chars(b"".join(_T.findall(body)))
        value = _V.search(body)
        if value is None:
            return 0
        if kind == b"s":
            try:
                return strings[int(value[1])]
            except (ValueError, IndexError):
                return 0
        return chars(value[1])

    def _parse(self, sheet: str, key: Key, text: str) -> _Formula:
        formula = _Formula(text, multiply=False, join=bool(_JOIN.search(text)))
        rest = text
        for literal, count in _REPT_LITERAL.findall(rest):
            formula.literal += len(literal.replace('""', '"')) * min(int(float(count)), _CAP)
        rest = _REPT_LITERAL.sub(" ", rest)
        rest, repts = _without_calls(rest, _REPT)
        formula.literal += repts * self.limits.max_cell_chars  # Excel's cap on what REPT gives
        formula.literal += sum(len(s.replace('""', '"')) for s in _LITERAL.findall(rest))
        rest = _LITERAL.sub(" ", rest)
        formula.multiply = bool(_MULTIPLY.search(rest))
        for quoted, bare, ref in _REF.findall(rest):
            target = quoted.replace("''", "'") if quoted else bare or sheet
            first, _, last = ref.partition(":")
            if not last:
                formula.refs.append((target, *_ref(first)))
                continue
            rows, cols = self._area(first.replace("$", ""), last.replace("$", ""))
            n_rows, n_cols = rows[1] - rows[0] + 1, cols[1] - cols[0] + 1
            if n_rows > self.limits.max_rows or n_cols > self.limits.max_cols:
                raise refuse("formula_range", self.file, key[0], self._name(key), ref=ref, rows=f"{n_rows:,}",
                             cols=f"{n_cols:,}", max_rows=f"{self.limits.max_rows:,}", max_cols=self.limits.max_cols)
            formula.ranges.append((target, rows[0], cols[0], rows[1], cols[1]))
        return formula

    @staticmethod
    def _area(first: str, last: str) -> tuple[tuple[int, int], tuple[int, int]]:
        """(rows, columns) spanned by A1:B2, A:B (whole columns) or 1:2 (whole rows)."""
        if first.isdigit():
            return (min(int(first), int(last)), max(int(first), int(last))), (1, 16_384)
        if first.isalpha():
            a, b = col_number(first), col_number(last)
            return (1, 1_048_576), (min(a, b), max(a, b))
        (r1, c1), (r2, c2) = _ref(first), _ref(last)
        return (min(r1, r2), max(r1, r2)), (min(c1, c2), max(c1, c2))

    @staticmethod
    def _name(key: Key) -> str:
        return f"{col_letters(key[2])}{key[1]}"

    def check(self) -> None:
        try:
            for key in self.order:
                size = self._solve(key)
                if size > self.limits.max_cell_chars:
                    raise refuse("formula_too_long", self.file, key[0], self._name(key),
                                 size=f"{size:,}" if size < _CAP else "无数", limit=f"{self.limits.max_cell_chars:,}")
        except _Gave:
            return

    def _in_range(self, area: tuple[str, int, int, int, int]) -> list[Key]:
        """Formula cells inside a range (their bounds are needed first)."""
        sheet, r1, c1, r2, c2 = area
        self._spend(len(self.formulas))
        return [k for k in self.formulas if k[0] == sheet and r1 <= k[1] <= r2 and c1 <= k[2] <= c2]

    def _spend(self, amount: int) -> None:
        self.work += amount
        if self.work > _WORK:
            raise _Gave

    def _deps(self, key: Key) -> list[Key]:
        formula = self.formulas[key]
        deps = [k for k in formula.refs if k in self.formulas]
        for area in formula.ranges:
            deps.extend(self._in_range(area))
        return deps

    def _solve(self, root: Key) -> int:
        """Bound of ``root``, its formula precedents first, without recursion (chains may be long);
        a chain of formulas deeper than the limit is refused where it gets too deep."""
        stack, waiting = [root], {}
        while stack:
            key = stack[-1]
            if key in self.memo:
                stack.pop()
                continue
            if key not in waiting:
                waiting[key] = deps = self._deps(key)
                stack.extend(d for d in deps if d not in self.memo and d not in waiting)
                continue
            depth = 1 + max((self.depths.get(d, 0) for d in waiting.pop(key)), default=0)
            if depth > self.limits.max_formula_depth:
                raise refuse("formula_chain", self.file, key[0], self._name(key),
                             limit=f"{self.limits.max_formula_depth:,}")
            self.depths[key] = depth
            self.memo[key] = self._value(self.formulas[key])
            stack.pop()
        return self.memo[root]

    def _cell(self, key: Key) -> int:
        if key in self.formulas:
            return self.memo.get(key, 0)  # 0: a circular reference, which Excel refuses to calculate
        return self.consts.get(key, 0)

    def _range(self, area: tuple[str, int, int, int, int]) -> tuple[int, int]:
        """(largest, total) bound of the cells of a range."""
        if area in self.range_memo:
            return self.range_memo[area]
        sheet, r1, c1, r2, c2 = area
        cells = (r2 - r1 + 1) * (c2 - c1 + 1)
        if cells <= len(self.consts) + len(self.formulas):
            self._spend(cells)
            sizes = [self._cell((sheet, r, c)) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
        else:
            self._spend(len(self.consts) + len(self.formulas))
            sizes = [self._cell(k) for k in (*self.consts, *self.formulas)
                     if k[0] == sheet and r1 <= k[1] <= r2 and c1 <= k[2] <= c2]
        found = (max(sizes, default=0), min(sum(sizes), _CAP))
        self.range_memo[area] = found
        return found

    def _value(self, formula: _Formula) -> int:
        terms = [formula.literal] if formula.literal else []
        terms += [self._cell(k) for k in formula.refs]
        for area in formula.ranges:
            largest, total = self._range(area)
            terms.append(total if formula.join else largest)
        if formula.multiply:
            size = math.prod(max(t, 1) for t in terms) if terms else 0
        else:
            size = sum(terms)
        return min(max(size, _NUMBER_CHARS), _CAP)
