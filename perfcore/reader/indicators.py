"""The 绩效指标 table of one form: header columns by label, levels filled down, 总分 row.

The header may span two rows (年度指标值 over 指标性质 / 指标值 / 度量单位, or 年度指标值 /
实际完成值 / 分值 above the row that names 三级指标), columns come in any order, and
level labels are merged or repeated, cut by page breaks or pasted one column off; the
reader classifies each label by what it says, not by where it sits, and infers a
missing level 1 from its level 2.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from perfcore import fmt
from perfcore.model import Form, Indicator, Num, Text
from perfcore.text import is_blank, nfkc

from . import explain
from .grid import Grid
from .labels import (
    INDICATOR_COLUMNS,
    INDICATOR_HEADER_KEYS,
    LABEL_FRAGMENTS,
    TOTAL_LABELS,
    classify,
    fits,
    implied_level1,
    indicator_name,
    is_detail,
    is_execution_name,
    is_instruction,
    is_note_label,
    is_placeholder,
    level1_of,
    level2_name,
    mark,
    normalise,
    points_of,
    role_name,
    role_of,
)

_OPERATORS = frozenset({">=", "<=", "=", ">", "<", "≥", "≤", "﹦", "≧", "≦", "═"})  # ═: a font's stand-in for =
_UPPER_HEADER = 2  # labels an upper header row must name (年度指标值, 实际完成值, 分值 ...)
_CHECKED_ROLES = ("name", "target", "actual", "weight", "score")  # two columns may not claim these
_POINTS_SLACK = 0.5  # weights may miss the printed points by rounding only
_OUTLINE_LEVEL1 = re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.．]")
_OUTLINE_LEVEL2 = re.compile(r"^\s*[(（]\s*[一二三四五六七八九十]+\s*[)）]")
_OUTLINE_START = frozenset("一二三四五六七八九十(（ ")
_OPERATOR_TEXT = re.compile(r"[≥≤><=＞＜＝≧≦]|以上|以下|以内|不低于|不少于|不高于|不超过")


def _claims(grid: Grid, row: int) -> dict[str, list[int]]:
    """Columns claiming each indicator-table role on a header row, by label meaning."""
    claims: dict[str, list[int]] = {}
    for col in range(grid.width(row)):
        key = grid.key(row, col)
        name = role_of(key, "indicators") or ("note" if key and is_note_label(key) else None)
        if name is not None:
            claims.setdefault(name, []).append(col)
    return claims


def header_columns(grid: Grid, row: int) -> dict[str, int]:
    """Column of each indicator-table field named on a header row (first occurrence wins)."""
    return {name: cols[0] for name, cols in _claims(grid, row).items()}


@lru_cache(maxsize=1 << 14)
def is_name_header(key: str) -> bool:
    """A label naming the 三级指标 column (三级指标, 指标名称, 三级指标名称 ...)."""
    return key in INDICATOR_COLUMNS["name"] or role_of(key, "indicators") == "name"


@dataclass(frozen=True)
class Table:
    """Where the indicator table sits: first header row, the row holding 三级指标, its columns, first data row.

    ``claims`` are the columns of the header rows that claim each role (two claiming one role
    are checked against their content); ``inferred`` the roles read from content, not labels."""

    start: int
    name_row: int
    cols: dict[str, int]
    data: int
    claims: dict[str, list[int]] = field(default_factory=dict)
    inferred: dict[str, str] = field(default_factory=dict)


def find_table(grid: Grid, rows: range) -> Table | None:
    """The indicator table in ``rows``: the 三级指标 row with the header rows above / below it."""
    wanted = grid.matching(is_name_header, labels=True)
    name_row = next((row for row in rows if 0 <= row < grid.nrows and not wanted.isdisjoint(grid.keys[row])), None)
    if name_row is None:
        return None
    claims = _claims(grid, name_row)
    cols = header_columns(grid, name_row)
    start = name_row
    above = header_columns(grid, name_row - 1) if name_row - 1 >= rows.start else {}
    if "name" not in above and len(above.keys() - {"level1", "level2"}) >= _UPPER_HEADER:
        cols = {**above, **cols}  # the lower row names the split columns (指标值 under 年度指标值)
        claims = {**_claims(grid, name_row - 1), **claims}
        start = name_row - 1
    data = name_row + 1
    below = header_columns(grid, data)
    if "name" not in below and ("op" in below or "unit" in below or _lower_header(grid, data, cols, below)):
        cols.update(below)  # 年度指标值 over 指标性质 / 指标值 / 度量单位, or one label over 指标值 / 完成值 / 分值
        claims.update(_claims(grid, data))
        data += 1
    return Table(start, name_row, cols, data, claims)


def _lower_header(grid: Grid, row: int, cols: dict[str, int], below: dict[str, int]) -> bool:
    """The second row of a two-row header: it names at least two value columns and leaves the
    三级指标 column empty (merged down from the row above); every data row names an indicator there."""
    return len(below.keys() & {"target", "actual", "weight", "score"}) >= _UPPER_HEADER and not grid.text(row, cols["name"])


def _explain_header(grid: Grid, table: Table) -> None:
    """Every label of the header rows, the role it got and why (``parse --explain``)."""
    if not explain.active():
        return
    for row in range(table.start, table.data):
        for col in range(grid.width(row)):
            key = grid.key(row, col)
            if not key:
                continue
            role, why = classify(key, "indicators")
            if role is None and is_note_label(key):
                role, why = "note", f"“{key}”含说明原因的词"
            shown = role_name("indicators", role) if role else ""
            if role is not None and role in table.cols and table.cols[role] != col:
                why, shown = f"{why}；未采用：“{shown}”取第 {table.cols[role] + 1} 列", ""
            explain.decide("绩效指标", grid.ref(row, col), grid.text(row, col), shown, why)
    for role, why in table.inferred.items():
        explain.decide("绩效指标", grid.ref(table.name_row, table.cols[role]), grid.text(table.name_row, table.cols[role]),
                       role_name("indicators", role), why, inferred=True)


def _is_header_repeat(grid: Grid, row: int) -> bool:
    """A header row repeated after a page break (三级指标 again, or the upper header)."""
    keys = grid.keys[row]
    if INDICATOR_HEADER_KEYS.isdisjoint(keys):  # nearly every row: one set test
        return False
    return len(header_columns(grid, row).keys() - {"note"}) >= _UPPER_HEADER


@dataclass
class _Levels:
    """Level 1 / level 2 carried down the table, and the points printed with each level 1
    (``产出指标(50分)``) where its label was found."""

    level1: str = ""
    level2: str = ""
    points: dict[str, tuple[float, str]] = field(default_factory=dict)

    def update(self, grid: Grid, row: int, cols: dict[str, int]) -> None:
        key1, key2 = grid.key(row, cols.get("level1")), grid.key(row, cols.get("level2"))
        new1 = new2 = ""
        if key1 and key1 not in LABEL_FRAGMENTS:
            level1 = level1_of(key1) or self._printed_level1(grid, row, cols, key1)
            if level1 and not (level1 == "成本指标" and not key2):
                new1 = level1
                points = points_of(grid.text(row, cols["level1"]))
                if points is not None:
                    self.points.setdefault(level1, (points, grid.ref(row, cols["level1"])))
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


    @staticmethod
    def _printed_level1(grid: Grid, row: int, cols: dict[str, int], key: str) -> str | None:
        """An unknown label with its points in the level-1 column (规划(15分), 执行(35分) of a
        部门整体支出 form) is a level 1 as printed; a level-2 label there is not."""
        if implied_level1(key) or points_of(grid.text(row, cols["level1"])) is None:
            return None
        return level2_name(key) or None


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


def table_end(grid: Grid, table: Table, end: int) -> int:
    """The 总分 row of the table, or ``end`` when it prints none."""
    return next((row for row in range(table.data, end) if _is_total(grid, row, table.cols["name"])), end)


def _filled(grid: Grid, col: int, rows: range) -> int:
    return sum(1 for row in rows if not is_blank(grid.text(row, col)))


def _settle_claims(grid: Grid, table: Table, rows: range, form: Form) -> Table:
    """Two columns claiming one role: the one with content wins (noted); both filled → 需核实, naming both."""
    cols = dict(table.cols)
    for role in _CHECKED_ROLES:
        claimed = table.claims.get(role, [])
        if len(claimed) < 2:
            continue
        filled = [col for col in claimed if _filled(grid, col, rows)]
        refs = [grid.ref(r, c) for c in claimed for r in range(table.start, table.data)
                if role_of(grid.key(r, c), "indicators") == role][:2]
        name = role_name("indicators", role)
        if len(filled) >= 2:
            form.doubts.append(f"单元格 {'、'.join(refs)} 都标为“{name}”列且都有内容，无法确定读哪一列，请核实")
        elif filled and filled[0] != cols[role]:
            cols[role] = filled[0]
            form.notes.append(f"单元格 {'、'.join(refs)} 都标为“{name}”列，只有第 {filled[0] + 1} 列有内容，按它读取")
    return Table(table.start, table.name_row, cols, table.data, table.claims, table.inferred)


def _numbers(grid: Grid, col: int, rows: range) -> list[float] | None:
    """The numbers of a column over ``rows``, or None when a non-blank cell is not a number."""
    found = []
    for row in rows:
        if is_blank(grid.text(row, col)):
            continue
        value = grid.peek(row, col)
        if value is None:
            return None
        found.append(value)
    return found


def _infer_columns(grid: Grid, table: Table, rows: range, form: Form) -> Table:
    """A role no label names, found from content in a column whose header is blank (a column
    labelled otherwise, 备用 say, is not taken): 分值 = the column of numbers that add to
    the form's points; 年度指标值 = the unnamed column of ``≥95%``-style values. Noted as inferred."""
    cols, inferred = dict(table.cols), dict(table.inferred)
    known = set(cols.values())
    width = max(grid.width(row) for row in range(table.start, table.data))
    unnamed = [col for col in range(cols["name"] + 1, width) if col not in known  # no label at all
               and not any(grid.key(r, col) for r in range(table.start, table.data))]
    if "weight" not in cols:
        for col in unnamed:
            numbers = _numbers(grid, col, rows)
            if numbers and len(numbers) >= 2 and any(abs(sum(numbers) - points) <= _POINTS_SLACK for points in (100, 90, 80)):
                cols["weight"] = col
                inferred["weight"] = f"表头为空，按内容推断为分值：{len(numbers)} 个数字合计 {fmt.figure(sum(numbers), 2)}"
                unnamed.remove(col)
                break
    if "target" not in cols:
        for col in unnamed:
            texts = [grid.text(row, col) for row in rows if not is_blank(grid.text(row, col))]
            if len(texts) >= 2 and sum(1 for t in texts if _OPERATOR_TEXT.search(t)) * 2 > len(texts):
                cols["target"] = col
                inferred["target"] = "表头为空，按内容推断为年度指标值：多数单元格写有 ≥ / ≤ / 以上 等"
                break
    for role, why in inferred.items():
        if role not in table.inferred:
            form.notes.append(f"{grid.ref(table.name_row, cols[role])} 列{why}，请核实")
    return Table(table.start, table.name_row, cols, table.data, table.claims, inferred)


def _outline(grid: Grid, row: int, cols: dict[str, int], levels: _Levels) -> bool:
    """An outline row (``一、项目决策(10分)`` / ``（一）产出数量`` with its subtotal, no target or actual):
    it sets the level and is never an indicator, so its printed points are not counted twice."""
    texts = grid.texts[row]
    col = next((c for c in range(min(cols["name"] + 1, len(texts))) if texts[c]), None)
    if col is None or texts[col][0] not in _OUTLINE_START:
        return False
    if not all(is_blank(grid.text(row, cols.get(name))) for name in ("target", "actual")):
        return False
    text = texts[col]
    if _OUTLINE_LEVEL1.match(text):
        key = grid.key(row, col)
        level1 = level1_of(key) or normalise(re.sub(r"\d+(\.\d+)?分$", "", key))
        levels.level1, levels.level2 = level1, ""
        points = points_of(text)
        weight = grid.peek(row, cols["weight"]) if "weight" in cols else None
        if points is not None or weight is not None:
            levels.points.setdefault(level1, (points if points is not None else weight or 0.0, grid.ref(row, col)))
        return True
    if _OUTLINE_LEVEL2.match(text):
        levels.level2 = level2_name(text)
        return True
    return False


def _is_detail_row(grid: Grid, row: int, cols: dict[str, int], key: str, form: Form) -> bool:
    """A ``其中…`` row with no weight and no score under an indicator that has a weight: a breakdown
    of that indicator (its parts' 指标值 / 实际值), not an indicator to score."""
    if not is_detail(key) or not form.indicators or form.indicators[-1].weight.value is None:
        return False
    return all(is_blank(grid.text(row, cols.get(name))) for name in ("weight", "score"))


def _note_details(details: dict[int, list[str]], form: Form) -> None:
    for index, cells in details.items():
        parent = form.indicators[index]
        last = cells[-1].rpartition("!")[2]
        where = cells[0] if len(cells) == 1 else f"{cells[0]}–{last}"
        form.notes.append(f"指标“{parent.name}”（{parent.cell}）下的 {len(cells)} 行“其中…”（{where}）是它的明细，"
                          "不单独计分")


def _check_points(levels: _Levels, form: Form) -> None:
    """The weights under a level 1 must add to the points printed with it (``产出指标(50分)``)."""
    for level1, (points, ref) in levels.points.items():
        weights = [ind.weight.value or 0.0 for ind in form.indicators if ind.level1 == level1]
        if weights and abs(sum(weights) - points) > _POINTS_SLACK:
            form.doubts.append(
                f"一级指标“{level1}”（{ref}）印有 {fmt.figure(points, 2)} 分，"
                f"其下指标分值合计 {fmt.figure(sum(weights), 2)}，请核实"
            )


def _execution_rows(form: Form) -> None:
    """预算执行率 as an ordinary indicator row: scored there, once; the funds block then scores 0."""
    rows = [ind for ind in form.indicators if is_execution_name(ind.name.replace(" ", ""))]
    if not rows:
        return
    ind = rows[0]
    form.execution.weight = Num(0.0, "", ind.cell)
    form.layout["预算执行率"] = ind.cell
    weight = fmt.figure(ind.weight.value or 0, 2)
    form.notes.append(f"预算执行率作为绩效指标（{ind.cell}，分值 {weight}）计分，项目资金表不再重复计分")


def read_indicators(grid: Grid, table: Table | None, end: int, form: Form, where: str) -> None:
    """Fill ``form.indicators`` and the 总分 row from the table, up to row ``end``."""
    if table is None:
        form.notes.append(f"{where}：未找到绩效指标表（“三级指标”表头）")
        return
    if any(len(table.claims.get(role, ())) > 1 for role in _CHECKED_ROLES) or not {"weight", "target"} <= table.cols.keys():
        data = range(table.data, table_end(grid, table, end))  # only a doubtful table needs its content
        table = _infer_columns(grid, _settle_claims(grid, table, data, form), data, form)
    _explain_header(grid, table)
    cols = table.cols
    form.layout["绩效指标"] = grid.ref(table.name_row, cols["name"])
    levels = _Levels()
    name_col = cols["name"]
    name_headers = grid.matching(is_name_header, labels=True)
    lead = ""
    details: dict[int, list[str]] = {}  # indicator index → cells of its 其中… breakdown rows
    for row in range(table.data, end):
        if _is_total(grid, row, name_col):
            form.total_weight = grid.num(row, cols.get("weight"), derived=True)
            form.total_declared = grid.num(row, cols.get("score"), derived=True)
            form.layout["总分"] = grid.ref(row, name_col)
            break
        if _is_header_repeat(grid, row):
            continue
        for lead in grid.texts[row][: name_col + 1]:
            if lead:
                break
        if lead[:1] in _OUTLINE_START and _outline(grid, row, cols, levels):
            continue
        levels.update(grid, row, cols)
        key = grid.key(row, name_col)
        if is_placeholder(key) or key in LABEL_FRAGMENTS or key in name_headers:
            continue
        name = indicator_name(grid.text(row, name_col))
        if is_blank(name) or _is_empty_row(grid, row, cols):
            continue
        if _is_detail_row(grid, row, cols, key, form):
            details.setdefault(len(form.indicators) - 1, []).append(grid.ref(row, name_col))
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
    _note_details(details, form)
    _check_points(levels, form)
    _execution_rows(form)
