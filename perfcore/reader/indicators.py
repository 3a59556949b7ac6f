"""The 绩效指标 table of one form: header columns by label, levels filled down, 总分 row.

The header may span two rows (年度指标值 over 指标性质 / 指标值 / 度量单位, or 年度指标值 /
实际完成值 / 分值 above the row that names 三级指标), columns come in any order, and
level labels are merged or repeated, cut by page breaks or pasted one column off; the
reader classifies each label by what it says, not by where it sits, and infers a
missing level 1 from its level 2.
"""
from __future__ import annotations

from dataclasses import dataclass

from perfcore.model import Form, Indicator, Text
from perfcore.text import is_blank, nfkc

from .grid import Grid
from .labels import (
    INDICATOR_COLUMNS,
    INDICATOR_HEADER_KEYS,
    LABEL_FRAGMENTS,
    TOTAL_LABELS,
    column_of,
    fits,
    implied_level1,
    indicator_name,
    is_instruction,
    is_note_label,
    is_placeholder,
    level1_of,
    level2_name,
    mark,
)
from .locate import find_cell

_OPERATORS = frozenset({">=", "<=", "=", ">", "<", "≥", "≤", "﹦", "≧", "≦"})
_UPPER_HEADER = 2  # labels an upper header row must name (年度指标值, 实际完成值, 分值 ...)


def header_columns(grid: Grid, row: int) -> dict[str, int]:
    """Column of each indicator-table field named on a header row (first occurrence wins)."""
    cols: dict[str, int] = {}
    for col in range(grid.width(row)):
        key = grid.key(row, col)
        name = column_of(key, INDICATOR_COLUMNS) or ("note" if key and is_note_label(key) else None)
        if name is not None and name not in cols:
            cols[name] = col
    return cols


@dataclass(frozen=True)
class Table:
    """Where the indicator table sits: first header row, the row holding 三级指标, its columns, first data row."""

    start: int
    name_row: int
    cols: dict[str, int]
    data: int


def find_table(grid: Grid, rows: range) -> Table | None:
    """The indicator table in ``rows``: the 三级指标 row with the header rows above / below it."""
    header = find_cell(grid, lambda key: key in INDICATOR_COLUMNS["name"], rows)
    if header is None:
        return None
    name_row = header[0]
    cols = header_columns(grid, name_row)
    start = name_row
    above = header_columns(grid, name_row - 1) if name_row - 1 >= rows.start else {}
    if "name" not in above and len(above.keys() - {"level1", "level2"}) >= _UPPER_HEADER:
        cols = {**above, **cols}  # the lower row names the split columns (指标值 under 年度指标值)
        start = name_row - 1
    data = name_row + 1
    below = header_columns(grid, data)
    if "name" not in below and ("op" in below or "unit" in below):  # 年度指标值 over 指标性质 / 指标值 / 度量单位
        cols.update(below)
        data += 1
    return Table(start, name_row, cols, data)


def _is_header_repeat(grid: Grid, row: int) -> bool:
    """A header row repeated after a page break (三级指标 again, or the upper header)."""
    keys = grid.keys[row]
    if INDICATOR_HEADER_KEYS.isdisjoint(keys):  # nearly every row: one set test
        return False
    return len(header_columns(grid, row).keys() - {"note"}) >= _UPPER_HEADER


@dataclass
class _Levels:
    """Level 1 / level 2 carried down the table."""

    level1: str = ""
    level2: str = ""

    def update(self, grid: Grid, row: int, cols: dict[str, int]) -> None:
        key1, key2 = grid.key(row, cols.get("level1")), grid.key(row, cols.get("level2"))
        new1 = new2 = ""
        if key1 and key1 not in LABEL_FRAGMENTS:
            level1 = level1_of(key1)
            if level1 and not (level1 == "成本指标" and not key2):
                new1 = level1
            elif implied_level1(key1):  # a level-2 label printed in the level-1 column
                new2 = level2_name(key1)
        if key2 and key2 not in LABEL_FRAGMENTS:
            level1 = level1_of(key2)
            # A level-1 label pasted into the level-2 column, unless the row's level 1 says the
            # same (Anhui prints 满意度指标 as the level 2 of 满意度指标).
            if level1 and level1 != "成本指标" and level1 != (new1 or (self.level1 if not key1 else "")):
                new1 = level1
            else:
                new2 = level2_name(key2)
        if new1:
            self.level1, self.level2 = new1, ""
        if new2:
            self.level2 = new2
            if not new1 and not (self.level1 and fits(self.level1, new2)):
                self.level1 = implied_level1(new2) or self.level1


def _target(grid: Grid, row: int, cols: dict[str, int]) -> Text:
    """年度指标值, joining split 指标性质 + 指标值 + 度量单位 columns into one text (``≥100%``)."""
    value = grid.text_cell(row, cols.get("target"))
    if "op" not in cols and "unit" not in cols:
        return value
    if is_blank(value.value):
        return value
    op = grid.text(row, cols.get("op"))
    op = op if nfkc(op).replace(" ", "") in _OPERATORS else ""
    unit = grid.text(row, cols.get("unit"))
    unit = "" if is_blank(unit) or unit in value.value else unit
    return Text(f"{op}{value.value}{unit}", value.cell)


def _actual(grid: Grid, row: int, cols: dict[str, int]) -> Text:
    """实际完成值; a lone tick or cross (also as a Wingdings glyph) reads as the mark on screen."""
    value = grid.text_cell(row, cols.get("actual"))
    shown = mark(value.value)
    return Text(shown, value.cell) if shown else value


def _is_total(grid: Grid, row: int, last_col: int) -> bool:
    return 0 <= row < grid.nrows and not TOTAL_LABELS.isdisjoint(grid.keys[row][: last_col + 1])


def _is_empty_row(grid: Grid, row: int, cols: dict[str, int]) -> bool:
    """A template row with a name but nothing to score: no target, actual, weight or score."""
    return all(
        is_blank(grid.text(row, cols.get(name))) for name in ("target", "actual", "weight", "score")
    )


def read_indicators(grid: Grid, table: Table | None, end: int, form: Form, where: str) -> None:
    """Fill ``form.indicators`` and the 总分 row from the table, up to row ``end``."""
    if table is None:
        form.notes.append(f"{where}：未找到绩效指标表（“三级指标”表头）")
        return
    cols = table.cols
    form.layout["绩效指标"] = grid.ref(table.name_row, cols["name"])
    levels = _Levels()
    name_col = cols["name"]
    for row in range(table.data, end):
        if _is_total(grid, row, name_col):
            form.total_weight = grid.num(row, cols.get("weight"), derived=True)
            form.total_declared = grid.num(row, cols.get("score"), derived=True)
            form.layout["总分"] = grid.ref(row, name_col)
            return
        if _is_header_repeat(grid, row):
            continue
        levels.update(grid, row, cols)
        key = grid.key(row, name_col)
        if is_placeholder(key) or key in LABEL_FRAGMENTS or key in INDICATOR_COLUMNS["name"]:
            continue
        name = indicator_name(grid.text(row, name_col))
        if is_blank(name) or _is_empty_row(grid, row, cols):
            continue
        note = grid.text_cell(row, cols.get("note"))
        form.indicators.append(
            Indicator(
                level1=levels.level1,
                level2=levels.level2,
                name=name,
                target=_target(grid, row, cols),
                actual=_actual(grid, row, cols),
                weight=grid.num(row, cols.get("weight")),
                declared_score=grid.num(row, cols.get("score")),
                note=Text("", note.cell) if is_instruction(note.value) else note,
                cell=grid.ref(row, name_col),
                row=row + 1,
            )
        )
    form.notes.append(f"工作表“{grid.sheet}”：绩效指标表后未找到“总分”行")
