"""Layouts staff taught (对照): what a stored mapping is, how it is matched to a sheet, its text forms.

The reader applies one ``Taught`` per sheet (perfcore.reader.taught); this module decides
*which* stored mapping a sheet gets. A mapping keeps, besides the ``Taught``, the labels that
identify its template (``signature``: the header row's labels and those beside the taught
cells, all from ``sheet_labels``) and ``anchors``: the label printed at each taught place
(``D12`` → 考核事项). A later sheet gets the mapping when it carries every signature label
and each anchor cell still holds its label, so a form of the same template with other
projects and figures matches, and a template whose rows moved does not (its cells would be
wrong). No store and no Streamlit here: the import service hands these to worker processes.
"""
from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tomli_w

from perfcore.model import Form
from perfcore.reader import Taught, WorkbookResult, read_workbook
from perfcore.reader.grid import Grid, column_letter
from perfcore.reader.indicators import header_columns
from perfcore.reader.labels import INDICATOR_SECTIONS, LABEL_FRAGMENTS, role_name
from perfcore.reader.taught import TaughtFor, cell_index, column_index, sheet_labels

# Indicator-table roles a person can name, in the order the 对照 form asks for them.
COLUMN_ROLES: tuple[str, ...] = ("level1", "level2", "name", "target", "actual", "weight", "score", "note")
# Cells a person can name: the 年度资金总额 budget and spent amounts and the declared total.
CELL_ROLES: dict[str, str] = {"budget": "全年预算数", "executed": "全年执行数", "total": "自评总分"}
REQUIRED_COLUMNS = ("name", "weight")  # without them nothing can be scored

_LABEL = re.compile(r"[\u4e00-\u9fff]")  # a label holds at least one Chinese character
_NUMBERISH = re.compile(r"^[\d.,%+\-=<>≥≤]")


def role_label(role: str) -> str:
    """三级指标 / 分值 / 全年预算数 …: a role as the form prints it."""
    return CELL_ROLES.get(role) or role_name("indicators", role)


@dataclass(frozen=True)
class Layout:
    """A stored mapping as the reader needs it (plain data: it crosses to worker processes)."""

    id: int
    department: str
    labels: frozenset[str]
    anchors: tuple[tuple[str, str, str], ...]  # (role, A1 cell, label key) printed where it points
    taught: Taught


@dataclass
class Teaching:
    """What a person chose on the 对照 form, before it is checked: 1-based header row, letters, A1 cells."""

    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)
    cells: dict[str, str] = field(default_factory=dict)


# --- cells --------------------------------------------------------------------------------------


def parse_cell(a1: str) -> tuple[int, int] | None:
    """``D6`` or ``$D$6`` → (5, 3), 0-based; None when it is not a cell address."""
    found = cell_index(a1.replace("$", ""))
    return found if found is not None and found[0] >= 0 else None


def _is_label(key: str) -> bool:
    return bool(key) and len(key) <= 20 and bool(_LABEL.search(key)) and not _NUMBERISH.match(key)


# --- checking what a person chose ---------------------------------------------------------------


def check(grid: Grid, chosen: Teaching) -> tuple[Taught | None, list[str]]:
    """The mapping a person chose, or the Chinese reasons it cannot be kept (naming rows and cells)."""
    errors: list[str] = []
    where = f"工作表“{grid.sheet}”"
    row = chosen.header_row
    columns = {role: letters.strip().upper() for role, letters in chosen.columns.items() if letters and letters.strip()}
    if row is None:
        errors.append("请选择指标表头所在的行（印有“三级指标”“分值”等列名的那一行）。")
    elif not 1 <= row <= grid.nrows:
        errors.append(f"{where}只有 {grid.nrows} 行，没有第 {row} 行。")
    for role in REQUIRED_COLUMNS:
        if role not in columns:
            errors.append(f"请选择“{role_label(role)}”所在的列。")
    seen: dict[str, str] = {}
    for role, letters in columns.items():
        if not re.fullmatch(r"[A-Z]{1,3}", letters):
            errors.append(f"“{role_label(role)}”的列“{letters}”不是列号（应为 A、B、C 这样的字母）。")
        elif letters in seen:
            errors.append(f"“{role_label(seen[letters])}”和“{role_label(role)}”选了同一列 {letters}，请分开。")
        else:
            seen[letters] = role
    cells: dict[str, str] = {}
    for role, text in chosen.cells.items():
        text = text.strip().upper().replace("$", "")
        if not text:
            continue
        place = parse_cell(text)
        if place is None:
            errors.append(f"“{role_label(role)}”的单元格“{text}”不是单元格地址（应写成 D6 这样的列字母加行号）。")
            continue
        value = grid.values[place[0]][place[1]] if place[0] < grid.nrows and place[1] < grid.width(place[0]) else ""
        if value in ("", None):
            errors.append(f"{where}的单元格 {text}（{role_label(role)}）是空的，请选印有金额或分数的单元格。")
            continue
        cells[role] = text
    if errors:
        return None, errors
    ordered = {role: columns[role] for role in COLUMN_ROLES if role in columns}
    return Taught(header_row=row, columns=ordered, cells=cells), []


# --- what identifies a template ------------------------------------------------------------------


def _left_label(grid: Grid, row: int, col: int) -> tuple[int, int] | None:
    """The nearest label left of a cell on its row (the row's name: 年度资金总额, 总分)."""
    for c in range(col - 1, -1, -1):
        if _is_label(grid.key(row, c)):
            return row, c
    return None


def _above_label(grid: Grid, row: int, col: int) -> tuple[int, int] | None:
    """The nearest label above a cell in its column (the column's name: 全年预算数)."""
    for r in range(row - 1, max(row - 8, -1), -1):
        if _is_label(grid.key(r, col)):
            return r, col
    return None


def anchors_of(grid: Grid, taught: Taught) -> dict[str, tuple[str, str]]:
    """role → (A1 cell, label key) printed where the mapping points: each column's header cell,
    the column header and the row name of each taught cell (``budget@col`` / ``budget@row``)."""
    out: dict[str, tuple[str, str]] = {}
    if taught.header_row is not None:
        for role, letters in taught.columns.items():
            col = column_index(letters)
            key = grid.key(taught.header_row - 1, col)
            if _is_label(key):
                out[role] = (f"{letters}{taught.header_row}", key)
    for role, a1 in taught.cells.items():
        place = parse_cell(a1)
        if place is None:
            continue
        for suffix, found in (("col", _above_label(grid, *place)), ("row", _left_label(grid, *place))):
            if found is not None:
                out[f"{role}@{suffix}"] = (f"{column_letter(found[1])}{found[0] + 1}", grid.key(*found))
    return out


def signature(grid: Grid, taught: Taught) -> frozenset[str]:
    """The labels a later sheet must carry to get this mapping: the header row's labels and the
    anchors' (only those ``sheet_labels`` sees, so the same sheet always matches itself)."""
    keys = {key for _, key in anchors_of(grid, taught).values()}
    if taught.header_row is not None and 0 < taught.header_row <= grid.nrows:
        keys |= {key for key in grid.keys[taught.header_row - 1] if _is_label(key)}
    return frozenset(keys) & sheet_labels(grid)


def _holds(grid: Grid, a1: str, key: str) -> bool:
    place = parse_cell(a1)
    return place is not None and grid.key(*place) == key


def fitted(grid: Grid, layout: Layout) -> Taught | None:
    """The layout's mapping for a sheet of its template, else None. The sheet must carry every
    signature label and each column's header where it was taught; a taught cell whose labels
    moved (the 总分 row of a form with more indicators) is left to the reader, the rest applies."""
    if not layout.labels <= sheet_labels(grid):
        return None
    moved = set()
    for role, a1, key in layout.anchors:
        if not _holds(grid, a1, key):
            if "@" not in role:
                return None
            moved.add(role.split("@")[0])
    if not moved:
        return layout.taught
    cells = {role: a1 for role, a1 in layout.taught.cells.items() if role not in moved}
    if layout.taught.header_row is None and not layout.taught.columns and not cells:
        return None
    return replace(layout.taught, cells=cells)


def taught_for(layouts: Sequence[Layout], used: dict[str, int] | None = None) -> TaughtFor | None:
    """The reader's lookup over stored mappings (None when there are none, so reading costs nothing).

    The most specific mapping that fits wins (most signature labels, then the newest); ``used``
    collects sheet → mapping id for the sheets read with one (the page offers to undo it)."""
    if not layouts:
        return None
    ordered = sorted(layouts, key=lambda lay: (-len(lay.labels), -lay.id))

    def find(grid: Grid) -> Taught | None:
        for layout in ordered:
            taught = fitted(grid, layout)
            if taught is not None:
                if used is not None:
                    used[grid.sheet] = layout.id
                return taught
        return None

    return find


# --- reading a file for the 对照 form -----------------------------------------------------------


def read_with_grids(data: bytes, name: str, taught: TaughtFor | None = None) -> tuple[WorkbookResult, dict[str, Grid]]:
    """A workbook read as the import reads it, and the grid of each sheet it looked at (the
    对照 form shows the sheet as the reader saw it: calculated formulas, displayed numbers)."""
    grids: dict[str, Grid] = {}

    def keep(grid: Grid) -> Taught | None:
        grids[grid.sheet] = grid
        return taught(grid) if taught is not None else None

    return read_workbook(data, name, taught=keep), grids


def _letter_of(cell: str) -> str:
    """The column letters of ``Sheet!D12``."""
    found = re.search(r"!?([A-Z]{1,3})\d+$", cell or "")
    return found[1] if found else ""


def located(grid: Grid, form: Form | None) -> Teaching:
    """What the reader found, as the 对照 form's defaults: the 三级指标 header row, each column
    it read a value from, the 年度资金总额 amounts and the total. Roles it did not find stay empty."""
    out = Teaching()
    if form is None:
        return out
    header = parse_cell(form.layout.get("绩效指标", "").rsplit("!", 1)[-1])
    if header is not None:
        out.header_row = header[0] + 1
    if form.indicators:
        ind = form.indicators[0]
        for role, cell in (("name", ind.cell), ("target", ind.target.cell), ("actual", ind.actual.cell),
                           ("weight", ind.weight.cell), ("score", ind.declared_score.cell), ("note", ind.note.cell)):
            if _letter_of(cell):
                out.columns[role] = _letter_of(cell)
    total = form.fund("total")
    if total is not None:
        for role, num in (("budget", total.budget), ("executed", total.executed)):
            if num.cell:
                out.cells[role] = num.cell.rsplit("!", 1)[-1]
    if form.total_declared.cell:
        out.cells["total"] = form.total_declared.cell.rsplit("!", 1)[-1]
    return out


def column_guess(grid: Grid, header_row: int) -> dict[str, str]:
    """Columns for a header row the reader could not read: those its labels name (by the
    reader's own vocabulary), then the remaining roles in the standard form's column order
    (一级指标, 二级指标, 三级指标, 年度指标值, 实际完成值, 分值, 得分, 说明) over the remaining
    labelled columns, left to right. Only a default: the person checks each one."""
    row = header_row - 1
    named = {role: column_letter(col) for role, col in header_columns(grid, row).items() if role in COLUMN_ROLES}
    free = [column_letter(col) for col, key in enumerate(grid.keys[row] if 0 <= row < grid.nrows else [])
            if _is_label(key) and key not in INDICATOR_SECTIONS | LABEL_FRAGMENTS
            and column_letter(col) not in named.values()]
    out = {}
    for role in COLUMN_ROLES:
        if role in named:
            out[role] = named[role]
        elif free:
            out[role] = free.pop(0)
    return out


def header_guess(grid: Grid, after: int = 0) -> int | None:
    """A 1-based row that looks like a table header when the reader found none: the row after
    ``after`` (0-based) with the most labels, so the form opens near the right place."""
    best, most = None, 2
    for row in range(after, min(grid.nrows, 80)):
        n = sum(1 for key in grid.keys[row] if _is_label(key))
        if n > most:
            best, most = row + 1, n
    return best


# --- stored text --------------------------------------------------------------------------------


def taught_to_json(taught: Taught) -> str:
    return json.dumps({"header_row": taught.header_row, "columns": taught.columns, "cells": taught.cells},
                      ensure_ascii=False)


def taught_from_json(text: str) -> Taught:
    data = json.loads(text)
    return Taught(header_row=data.get("header_row"), columns=dict(data.get("columns") or {}),
                  cells=dict(data.get("cells") or {}))


def describe(taught: Taught) -> str:
    """“表头第 12 行；三级指标 D、分值 G；全年预算数 D6”: a mapping as a person reads it."""
    parts = []
    if taught.header_row is not None:
        parts.append(f"表头第 {taught.header_row} 行")
    if taught.columns:
        parts.append("、".join(f"{role_label(r)} {c}" for r, c in taught.columns.items()))
    if taught.cells:
        parts.append("、".join(f"{role_label(r)} {c}" for r, c in taught.cells.items()))
    return "；".join(parts) or "（空）"


# synonyms.toml section and key of each anchor role
_TOML_PLACES: dict[str, tuple[str, str]] = {
    **{role: ("indicators", role) for role in COLUMN_ROLES if role not in ("level1", "level2", "note")},
    "note": ("indicators", "note_words"),
    "budget@col": ("funds", "budget"),
    "executed@col": ("funds", "executed"),
    "budget@row": ("fund_rows", "total"),
    "executed@row": ("fund_rows", "total"),
    "total@row": ("indicators", "header_total"),
}


def synonyms_fragment(mappings: Iterable[dict[str, Any]],
                      known: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, list[str]]]:
    """The labels of stored mappings as ``synonyms.toml`` sections (section → key → labels),
    leaving out labels the release already knows (``known``: the parsed synonyms.toml)."""
    out: dict[str, dict[str, list[str]]] = {}
    for mapping in mappings:
        for role, (_, label) in mapping["anchors"].items():
            place = _TOML_PLACES.get(role)
            if place is None:
                continue
            section, key = place
            have = (known or {}).get(section, {}).get(key, [])
            if label in have:
                continue
            labels = out.setdefault(section, {}).setdefault(key, [])
            if label not in labels:
                labels.append(label)
    return out


def release_synonyms() -> dict[str, dict[str, Any]]:
    """The synonyms.toml this release reads (what an export leaves out)."""
    import perfcore.reader.labels as labels

    return tomllib.loads(Path(labels.__file__).with_name("synonyms.toml").read_text(encoding="utf-8"))


def synonyms_toml(mappings: Sequence[dict[str, Any]]) -> str:
    """The stored mappings' labels as a synonyms.toml fragment a maintainer can merge into the
    release, with a comment naming where each mapping came from; "" when they add nothing."""
    fragment = synonyms_fragment(mappings, release_synonyms())
    if not fragment:
        return ""
    lines = ["# 由 perfboard 的对照导出（工作人员在“上传与校验”中教过的表格布局）。",
             "# 把下列标签并入 perfcore/reader/synonyms.toml 的同名节与键后，发布版即可直接识别这些模板。"]
    lines += [f"# 对照 #{m['id']}：{m['department'] or '全部主管部门'}，文件“{m['file_name']}”工作表“{m['sheet']}”，"
              f"{m['user']} 保存" for m in mappings]
    return "\n".join(lines) + "\n\n" + tomli_w.dumps(fragment)
