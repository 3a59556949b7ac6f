"""Finding forms and labels in a grid: where each form starts and ends, where a label sits.

A sheet may hold one form or several stacked; a form starts at its title row
(财政项目支出绩效自评表) or, when titles are missing, at its 项目名称 row.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .grid import Cell, Grid
from .labels import EXTRA_LABELS, HEADER_FIELDS, INDICATOR_COLUMNS, TITLE

_TITLE_LOOKBACK = 3  # rows between a title and its 项目名称 (year line, blank line)


@dataclass(frozen=True)
class Block:
    """Rows [start, end) of one form in a sheet (zero-based)."""

    start: int
    end: int


def find_cells(grid: Grid, match: Callable[[str], bool], rows: Iterable[int]) -> list[Cell]:
    """Cells whose label key satisfies ``match``, in reading order."""
    return [
        (row, col)
        for row in rows
        if 0 <= row < grid.nrows
        for col, key in enumerate(grid.keys[row])
        if key and match(key)
    ]


def find_cell(grid: Grid, match: Callable[[str], bool], rows: Iterable[int]) -> Cell | None:
    """The first cell in ``rows`` whose label key satisfies ``match``."""
    for row in rows:
        if 0 <= row < grid.nrows:
            for col, key in enumerate(grid.keys[row]):
                if key and match(key):
                    return row, col
    return None


def _is_title(key: str) -> bool:
    return TITLE in key


def _is_project(key: str) -> bool:
    return key == "项目名称" or key.startswith("项目名称:")


def _is_indicator_header(key: str) -> bool:
    return key in INDICATOR_COLUMNS["name"]


def _rows_with(grid: Grid, match: Callable[[str], bool]) -> list[int]:
    """Rows holding a matching label anywhere: ``match`` runs once per distinct label of the sheet."""
    wanted = {key for key in grid.distinct_keys if match(key)}
    return [row for row, keys in enumerate(grid.keys) if not wanted.isdisjoint(keys)]


def find_forms(grid: Grid) -> list[Block]:
    """Split a sheet into form blocks; a block with neither funds nor indicators is no form."""
    titles = _rows_with(grid, _is_title)
    projects = _rows_with(grid, _is_project)
    starts: list[int] = []
    previous = -1
    for row in projects:
        title = next((t for t in reversed(titles) if previous < t <= row and row - t <= _TITLE_LOOKBACK), None)
        starts.append(row if title is None else title)
        previous = row
    if not starts:
        starts = titles
    bounds = starts[1:] + [grid.nrows]
    blocks = [Block(start, end) for start, end in zip(starts, bounds)]
    return [block for block in blocks if _has_body(grid, block)]


def _has_body(grid: Grid, block: Block) -> bool:
    rows = range(block.start, block.end)
    return (
        find_cell(grid, _is_indicator_header, rows) is not None
        or find_cell(grid, lambda key: key.startswith("项目资金"), rows) is not None
    )


def header_value(grid: Grid, row: int, col: int) -> tuple[str, int | None]:
    """The value printed for a header label: right of it (past its merge), or inline after a colon."""
    if ":" in grid.key(row, col):
        return re.split("[:：]", grid.text(row, col), maxsplit=1)[-1].strip(), col
    for right in range(grid.span_end(row, col) + 1, grid.width(row)):
        if grid.text(row, right):
            if is_header_label(grid.key(row, right)):
                return "", None
            return grid.text(row, right), right
    return "", None


def is_header_label(key: str) -> bool:
    """项目名称, 主管部门, 实施单位 or an optional one (项目负责人 ...), bare or with an inline value."""
    label = key.split(":", 1)[0]
    return label in HEADER_FIELDS or label in EXTRA_LABELS
