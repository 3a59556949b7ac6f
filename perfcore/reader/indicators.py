"""The 绩效指标 table of one form: header columns by label, levels filled down, 总分 row.

Level labels are merged or printed once per block, sometimes cut by page breaks or
pasted one column off; the reader classifies each label by what it says, not by
where it sits, and infers a missing level 1 from its level 2.
"""
from __future__ import annotations

from dataclasses import dataclass

from perfcore.model import Form, Indicator, Text
from perfcore.text import is_blank, nfkc

from .grid import Grid
from .labels import (
    INDICATOR_COLUMNS,
    LABEL_FRAGMENTS,
    TOTAL_LABELS,
    column_of,
    fits,
    implied_level1,
    is_note_label,
    is_placeholder,
    level1_of,
    level2_name,
)
from .locate import find_cell

_OPERATORS = frozenset({">=", "<=", "=", ">", "<", "≥", "≤", "﹦", "≧", "≦"})


def header_columns(grid: Grid, row: int) -> dict[str, int]:
    """Column of each indicator-table field named on a header row (first occurrence wins)."""
    cols: dict[str, int] = {}
    for col in range(grid.width(row)):
        key = grid.key(row, col)
        name = column_of(key, INDICATOR_COLUMNS) or ("note" if key and is_note_label(key) else None)
        if name is not None and name not in cols:
            cols[name] = col
    return cols


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
            if level1 and level1 != "成本指标":  # a level-1 label pasted into the level-2 column
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
    unit = "" if is_blank(unit) else unit
    return Text(f"{op}{value.value}{unit}", value.cell)


def _is_total(grid: Grid, row: int, last_col: int) -> bool:
    return 0 <= row < grid.nrows and not TOTAL_LABELS.isdisjoint(grid.keys[row][: last_col + 1])


def read_indicators(grid: Grid, rows: range, form: Form) -> None:
    """Fill ``form.indicators`` and the 总分 row from the table found in ``rows``."""
    header = find_cell(grid, lambda key: key in INDICATOR_COLUMNS["name"], rows)
    if header is None:
        form.notes.append(f"工作表“{grid.sheet}”第 {rows.start + 1} 行起的表：未找到绩效指标表（“三级指标”表头）")
        return
    cols = header_columns(grid, header[0])
    start = header[0] + 1
    sub = header_columns(grid, start)
    if "op" in sub or "unit" in sub:  # two-row header: 年度指标值 over 指标性质 / 指标值 / 度量单位
        cols.update(sub)
        start += 1
    levels = _Levels()
    name_col = cols["name"]
    for row in range(start, rows.stop):
        if _is_total(grid, row, name_col):
            form.total_weight = grid.num(row, cols.get("weight"), derived=True)
            form.total_declared = grid.num(row, cols.get("score"), derived=True)
            return
        levels.update(grid, row, cols)
        key = grid.key(row, name_col)
        if is_placeholder(key) or key in LABEL_FRAGMENTS or key in INDICATOR_COLUMNS["name"]:
            continue
        form.indicators.append(
            Indicator(
                level1=levels.level1,
                level2=levels.level2,
                name=grid.text(row, name_col),
                target=_target(grid, row, cols),
                actual=grid.text_cell(row, cols.get("actual")),
                weight=grid.num(row, cols.get("weight")),
                declared_score=grid.num(row, cols.get("score")),
                note=grid.text_cell(row, cols.get("note")),
                cell=grid.ref(row, name_col),
                row=row + 1,
            )
        )
    form.notes.append(f"工作表“{grid.sheet}”：绩效指标表后未找到“总分”行")
