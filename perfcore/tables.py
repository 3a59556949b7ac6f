"""The department overview's tables as markup columns and formatted rows (no Streamlit).

One definition a table: 部门总览 draws these as HTML (ui/static.py) and the figures read as
in every other place (perfcore.fmt: scores two decimals, rates in %, amounts with
thousands separators in the chosen unit).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from perfcore import fmt
from perfcore.formdiff import changes
from perfcore.markup import CENTRE, NUMBER, Column, Link
from perfcore.model import Form
from perfcore.views import PROJECT_ORDER_LABELS
from perfcore.vocab import NO_DEPARTMENT, TO_VERIFY, UNSCORABLE, year_label

SCORECARD_LINK = "打开评分卡"


@dataclass
class Table:
    """What a page draws: its columns, its rows as display text (or Links), the rows that lost points."""

    columns: list[Column]
    rows: Sequence[Sequence[object]]
    lost: list[bool]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


def scorecard_href(version_id: object) -> str:
    """The scorecard of one stored version, relative to any page (``scorecard?v=3``)."""
    return f"scorecard?v={int(version_id)}"  # type: ignore[call-overload]


# A ranking's figure: (header, how it reads) per Store.project_page order.
_RANKED: dict[str, tuple[str, Callable[[dict], str]]] = {
    "rule_low": ("规则得分", lambda r: fmt.score(r["rule_total"])),
    "gap_wide": ("自评 − 规则", lambda r: fmt.signed(r["difference"])),
    "rate_low": ("执行率", lambda r: fmt.percent(r["rate"])),
    "budget_large": ("全年预算数（元）", lambda r: fmt.money(r["budget"])),
}


def ranking(rows: pd.DataFrame, order: str) -> Table:
    """A one-glance ranking (Store.project_page rows): the project linking to its scorecard, the ranked figure, the unit."""
    header, show = _RANKED[order]
    records = rows.to_dict("records")
    return Table(
        [Column("项目"), Column(header, NUMBER, help=PROJECT_ORDER_LABELS[order]), Column("实施单位")],
        [(Link(str(r["project"]), scorecard_href(r["version_id"])), show(r), fmt.text(r["unit"])) for r in records],
        [False] * len(records))


def units(table: pd.DataFrame, unit: str = "元") -> Table:
    """Store.unit_comparison rows, the 实施单位 side by side; the 主管部门 column only when there are several."""
    money = fmt.money_label(unit)
    several = table["department"].fillna("").nunique() > 1
    columns = ([Column("主管部门")] if several else []) + [
        Column("实施单位"), Column("自评表数", NUMBER), Column(f"全年预算数{money}", NUMBER),
        Column(f"全年执行数{money}", NUMBER), Column("执行率", NUMBER),
        Column("平均规则得分", NUMBER, help="读取完整的自评表的规则得分平均"),
        Column("扣分合计", NUMBER, help="读取完整的自评表扣分之和（含预算执行）"),
        Column("读取完整", NUMBER), Column(TO_VERIFY, NUMBER), Column(UNSCORABLE, NUMBER), Column("错误", NUMBER)]
    rows = []
    for r in table.to_dict("records"):
        figures = (fmt.count(r["n_forms"]), fmt.money(r["budget"], unit), fmt.money(r["executed"], unit),
                   fmt.percent(r["rate"]), fmt.score(r["mean_score"]), fmt.score(r["deduction"]),
                   fmt.count(r["n_scored"]), fmt.count(r["n_to_verify"]), fmt.count(r["n_unscorable"]),
                   fmt.count(r["n_errors"]))
        rows.append(((r["department"] or NO_DEPARTMENT,) if several else ()) + (fmt.text(r["unit"]), *figures))
    return Table(columns, rows, [False] * len(rows))


def projects(rows: pd.DataFrame, unit: str = "元", *, first_rank: int = 1) -> Table:
    """Store.project_page / forms_table rows as the project list, numbered from ``first_rank``.

    A form not read completely shows 需核实 / 无法计分 where its grade would be; rows graded
    差 or not read completely are shaded.
    """
    money = fmt.money_label(unit)
    columns = [Column("排名", CENTRE), Column("项目"), Column("评分卡", CENTRE), Column("等级", CENTRE),
               Column("规则总分", NUMBER), Column("自评总分", NUMBER), Column("差额", NUMBER, help="自评总分 − 规则总分"),
               Column("执行率", NUMBER), Column(f"年初预算数{money}", NUMBER), Column(f"全年预算数{money}", NUMBER),
               Column(f"全年执行数{money}", NUMBER), Column("错误", NUMBER), Column("警告", NUMBER),
               Column("实施单位"), Column("主管部门"), Column("年度", CENTRE)]
    shown, lost = [], []
    for n, r in enumerate(rows.to_dict("records"), first_rank):
        state = r.get("reading_state")
        grade = r["grade"] if isinstance(r["grade"], str) else (state if state in (TO_VERIFY, UNSCORABLE) else None)
        shown.append((n, fmt.text(r["project"]), Link(SCORECARD_LINK, scorecard_href(r["version_id"])), fmt.text(grade),
                      fmt.score(r["rule_total"]), fmt.score(r["declared_total"]), fmt.signed(r["difference"]),
                      fmt.percent(r["rate"]), fmt.money(r["initial"], unit), fmt.money(r["budget"], unit),
                      fmt.money(r["executed"], unit), fmt.count(r["n_errors"]), fmt.count(r["n_warnings"]),
                      fmt.text(r["unit"]), r["department"] or NO_DEPARTMENT, year_label(r["year"])))
        lost.append(grade in ("差", TO_VERIFY, UNSCORABLE))
    return Table(columns, shown, lost)


def _yes(flag: object) -> str:
    return "是" if bool(flag) else "否"


def history(table: pd.DataFrame, load: Callable[[int], Form] | None = None) -> Table:
    """Store.history rows (every version of one form, newest first), each linking to its own scorecard;
    with ``load`` (version id → its Form) and several versions, a column 与上一版本相比: how many
    things each version says differently from the version numbered before it (perfcore.formdiff)."""
    records = table.to_dict("records")
    changed: dict[int, int] | None = None
    if load is not None and len(records) > 1:
        ids = dict(sorted((int(r["version_no"]), int(r["version_id"])) for r in records))
        numbers = list(ids)
        changed = {ids[new]: len(changes(load(ids[old]), load(ids[new]))) for old, new in zip(numbers, numbers[1:])}
    columns = [Column("版本", CENTRE), Column("当前版本", CENTRE), Column("已删除", CENTRE), Column("导入时间", CENTRE),
               Column("文件"), Column("工作表"), Column("导入人"), Column("自评总分", NUMBER), Column("规则总分", NUMBER),
               Column("等级", CENTRE)]
    if changed is not None:
        columns.append(Column("与上一版本相比", CENTRE, help="表上所填内容改动的处数；明细见下方“版本比较”"))
    columns.append(Column("查看", CENTRE))
    rows = []
    for r in records:
        n = None if changed is None else changed.get(int(r["version_id"]))
        rows.append((int(r["version_no"]), _yes(r["is_current"]), _yes(r["deleted"]),
                     fmt.DASH if pd.isna(r["imported_at"]) else pd.Timestamp(r["imported_at"]).strftime("%Y-%m-%d %H:%M"),
                     fmt.text(r["file_name"]), fmt.text(r["sheet"]), fmt.text(r["user"]), fmt.score(r["declared_total"]),
                     fmt.score(r["rule_total"]), fmt.text(r["grade"]),
                     *(() if changed is None else (fmt.DASH if n is None else f"改动 {n} 处",)),
                     Link("打开此版本", scorecard_href(r["version_id"]))))
    return Table(columns, rows, [False] * len(rows))


def version_changes(old: Form, new: Form, old_no: int, new_no: int) -> Table:
    """What a form says differently in version ``new_no`` than in ``old_no`` (perfcore.formdiff.changes):
    one row a field or indicator value, old → new; no rows when they say the same."""
    columns = [Column("内容"), Column(f"版本 {old_no}"), Column(f"版本 {new_no}")]
    rows = [(c.where, c.old, c.new) for c in changes(old, new)]
    return Table(columns, rows, [False] * len(rows))
