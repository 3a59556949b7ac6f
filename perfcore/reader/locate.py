"""Finding forms and labels in a grid: where each form starts and ends, where a label sits.

A sheet may hold one form or several stacked; a form starts at its title row (any
title of the 自评表 family, alone on its row) or, when titles are missing, at its
项目名称 row.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from .grid import Cell, Grid
from .labels import EXTRA_LABELS, HEADER_FIELDS, is_funds_anchor, is_project_label, is_title, role_of

_TITLE_LOOKBACK = 3  # rows between a title and its 项目名称 (year line, blank line)


@dataclass(frozen=True)
class Block:
    """Rows [start, end) of one form in a sheet (zero-based); ``title`` is its title row, if any."""

    start: int
    end: int
    title: int | None = None


def find_cells(grid: Grid, match: Callable[[str], bool], rows: Iterable[int], *, labels: bool = False) -> list[Cell]:
    """Cells whose label key satisfies ``match``, in reading order; ``match`` runs once per
    distinct label of the sheet, not once per cell (``labels``: see ``Grid.matching``)."""
    wanted = grid.matching(match, labels=labels)
    if not wanted:
        return []
    return [
        (row, col)
        for row in rows
        if 0 <= row < grid.nrows and not wanted.isdisjoint(grid.keys[row])
        for col, key in enumerate(grid.keys[row])
        if key in wanted
    ]


def find_cell(grid: Grid, match: Callable[[str], bool], rows: Iterable[int]) -> Cell | None:
    """The first cell in ``rows`` whose label key satisfies ``match``."""
    for row in rows:
        if 0 <= row < grid.nrows:
            for col, key in enumerate(grid.keys[row]):
                if key and match(key):
                    return row, col
    return None


@lru_cache(maxsize=1 << 14)
def _is_indicator_header(key: str) -> bool:
    return role_of(key, "indicators") == "name"


def _rows_with(grid: Grid, match: Callable[[str], bool], *, labels: bool = False) -> list[int]:
    """Rows holding a matching label anywhere: ``match`` runs once per distinct label of the sheet."""
    wanted = grid.matching(match, labels=labels)
    return [row for row, keys in enumerate(grid.keys) if not wanted.isdisjoint(keys)]


def title_rows(grid: Grid) -> list[int]:
    """Rows holding a title of the 自评表 family and no header label (a project may be named …自评表)."""
    headers = grid.matching(is_header_label, labels=True)
    return [row for row in _rows_with(grid, is_title) if headers.isdisjoint(grid.keys[row])]


def find_forms(grid: Grid) -> list[Block]:
    """Split a sheet into form blocks; a block with neither funds nor indicators is no form."""
    titles = title_rows(grid)
    projects = _rows_with(grid, is_project_label, labels=True)
    starts: list[tuple[int, int | None]] = []
    previous = -1
    for row in projects:
        title = next((t for t in reversed(titles) if previous < t <= row and row - t <= _TITLE_LOOKBACK), None)
        starts.append((row, None) if title is None else (title, title))
        previous = row
    if not starts:
        starts = [(title, title) for title in titles]
    bounds = [start for start, _ in starts[1:]] + [grid.nrows]
    blocks = [Block(start, end, title) for (start, title), end in zip(starts, bounds)]
    return [block for block in blocks if _has_body(grid, block)]


def _has_body(grid: Grid, block: Block) -> bool:
    rows = range(block.start, block.end)
    headers = grid.matching(_is_indicator_header, labels=True)
    if headers and any(not headers.isdisjoint(grid.keys[row]) for row in rows if row < grid.nrows):
        return True
    return find_cell(grid, is_funds_anchor, rows) is not None


def header_value(grid: Grid, row: int, col: int) -> tuple[str, int | None]:
    """The value printed for a header label: right of it (past its merge), or inline after a colon."""
    if ":" in grid.key(row, col):
        return re.split("[:：]", grid.text(row, col), maxsplit=1)[-1].strip(), col
    for right in range(grid.span_end(row, col) + 1, grid.width(row)):
        if grid.text(row, right):
            if is_printed_header_label(grid.key(row, right)):  # a value may end in 主管部门 (测试主管部门)
                return "", None
            return grid.text(row, right), right
    return "", None


def is_printed_header_label(key: str) -> bool:
    """项目名称, 主管部门, 实施单位 or an optional one (项目负责人 ...) as spelled in synonyms.toml."""
    label = key.split(":", 1)[0]
    return label in HEADER_FIELDS or label in EXTRA_LABELS


@lru_cache(maxsize=1 << 14)
def is_header_label(key: str) -> bool:
    """A header label by spelling or by meaning (县级主管部门, 专项资金名称), bare or with an inline value."""
    return is_printed_header_label(key) or role_of(key.split(":", 1)[0], "header") is not None
