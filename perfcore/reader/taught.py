"""A layout taught once by staff (对照): which row is the indicator header, which column holds
each field, which cells are the budget, the spent amount and the total. It overrides what the
reader located, for a template the reader cannot place on its own.

The reader only applies a mapping; storing it (who, when, per department), matching later
uploads by ``sheet_labels`` and the 对照 page live elsewhere. ``read_workbook(..., taught=…)``
takes a function from a sheet's grid to its mapping (or None), so a store can look mappings
up by the labels a sheet carries.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from perfcore.model import Form, FundLine

from .grid import Grid
from .indicators import Table, header_columns
from .labels import role_name

__all__ = ["Taught", "TaughtFor", "apply_cells", "apply_table", "cell_index", "column_index", "sheet_labels"]

_A1 = re.compile(r"^([A-Z]{1,3})(\d+)$")
_LABEL_ROWS = 60  # rows whose labels identify a template (title, header, funds and table header)


@dataclass(frozen=True)
class Taught:
    """One sheet's mapping, in the letters and numbers a person sees (1-based rows, column letters).

    ``columns``: indicator-table role → column letter (``name`` 三级指标, ``target`` 年度指标值,
    ``actual`` 实际完成值, ``weight`` 分值, ``score`` 得分, also ``level1``/``level2``/``note``);
    ``cells``: ``budget`` / ``executed`` / ``total`` → an A1 cell."""

    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)
    label: str = "按已保存的对照读取"  # the note a form read with it carries


TaughtFor = Callable[[Grid], "Taught | None"]


def column_index(letters: str) -> int:
    col = 0
    for char in letters.upper():
        col = col * 26 + ord(char) - 64
    return col - 1


def cell_index(a1: str) -> tuple[int, int] | None:
    found = _A1.match(a1.strip().upper())
    return (int(found[2]) - 1, column_index(found[1])) if found else None


def apply_table(grid: Grid, located: Table | None, taught: Taught) -> Table | None:
    """The indicator table with the taught header row and columns in place of the located ones;
    the taught columns are the staff's word, so label claims on them are not checked again."""
    if taught.header_row is None and not taught.columns:
        return located
    if taught.header_row is not None:
        row = taught.header_row - 1
        cols = dict(located.cols) if located is not None and located.name_row == row else header_columns(grid, row)
        data = located.data if located is not None and located.name_row == row else row + 1
        start = row
    elif located is not None:
        cols, data, start, row = dict(located.cols), located.data, located.start, located.name_row
    else:
        return None
    cols.update({role: column_index(letters) for role, letters in taught.columns.items()})
    if "name" not in cols:
        return located
    return Table(start, row, cols, data)


def apply_cells(grid: Grid, form: Form, taught: Taught) -> None:
    """Budget, spent and total from the taught cells (amounts in the form's money unit)."""
    scale = 10000.0 if form.money_unit == "万元" else 1.0
    wanted = {name: cell_index(a1) for name, a1 in taught.cells.items()}
    if wanted.get("budget") or wanted.get("executed"):
        total = form.fund("total")
        if total is None:
            total = FundLine(kind="total", label="年度资金总额")
            form.funds.insert(0, total)
        for name in ("budget", "executed"):
            where = wanted.get(name)
            if where is not None:
                setattr(total, name, grid.amount(*where, scale)[0])
        form.layout.setdefault("项目资金", grid.ref(*(wanted.get("budget") or wanted["executed"])))  # type: ignore[misc]
    where = wanted.get("total")
    if where is not None:
        form.total_declared = grid.num(*where, derived=True)
        form.layout["总分"] = grid.ref(*where)
    shown = "、".join(f"{role_name('indicators', r)} {c}" for r, c in taught.columns.items())
    form.notes.append(f"{taught.label}（{shown or '金额与总分单元格'}）")


def sheet_labels(grid: Grid) -> frozenset[str]:
    """The label keys a sheet carries near its top: what a stored mapping is matched on."""
    return frozenset(key for row in grid.keys[:_LABEL_ROWS] for key in row
                     if key and not key[0].isdigit() and len(key) <= 20)
