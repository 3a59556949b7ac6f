"""Who made a report, when, for which selection, and the name its file is saved under.

Why: a printed overview passed round a bureau must say whose selection it is and how old
its figures are; a downloaded ``部门总览.pdf`` next to last year's ``部门总览 (1).pdf`` says
neither (issue 19). The pages and the command line call these; no Streamlit here.
"""
from __future__ import annotations

import getpass
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from perfcore.store import Filters
from perfcore.vocab import NO_DEPARTMENT, NO_YEAR, year_label

ALL = "全部"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')  # characters Windows, macOS or Linux refuse in a file name
NAME_PART = 40  # characters of one part of a file name (a long project name is cut)


def os_user() -> str:
    """The signed-in operating-system user, "" when the system cannot say."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, no LOGNAME: a container's numeric uid
        return ""


@dataclass(frozen=True)
class Stamp:
    """Who generated a report (the signed-in name, the CLI's --user or the OS user) and when."""

    by: str = ""
    at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))

    @property
    def who(self) -> str:
        return self.by.strip() or "未记录"

    @property
    def when(self) -> str:
        return self.at.strftime("%Y-%m-%d %H:%M")

    def line(self) -> str:
        """“生成人：张三 · 生成时间：2026-12-06 18:40”."""
        return f"生成人：{self.who} · 生成时间：{self.when}"


def stamp(user: str | None = None) -> Stamp:
    """A stamp for a report made now by ``user`` (the OS user when none is given)."""
    return Stamp(user if user and user.strip() else os_user())


def _values(value: object) -> list[object]:
    if value is None or (isinstance(value, (list, tuple)) and not value):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _chosen(value: object, label: Callable[[object], str] = str) -> str:
    values = _values(value)
    return "、".join(label(v) for v in values) if values else ALL


def selection(filters: Filters) -> list[tuple[str, str]]:
    """The selection a department report covers, as (label, words): 年度, 主管部门, 实施单位, 等级."""
    return [("年度", _chosen(filters.year, year_label)),
            ("主管部门", _chosen(filters.department, lambda d: str(d or NO_DEPARTMENT))),
            ("实施单位", _chosen(filters.unit)),
            ("等级", _chosen(filters.grade))]


def selection_text(filters: Filters) -> str:
    """The selection in words: “年度：2021年；主管部门：全部；实施单位：全部；等级：全部”."""
    return "；".join(f"{label}：{words}" for label, words in selection(filters))


def _part(text: str) -> str:
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    return cleaned[:NAME_PART] or "_"


def _few(values: Sequence[object], label: Callable[[object], str]) -> str:
    names = [label(v) for v in values]
    return "、".join(names) if len(names) <= 2 else f"{names[0]}等{len(names)}个"


def _years(filters: Filters) -> str:
    years = _values(filters.year)
    if not years:
        return "全部年度"
    named = sorted(int(str(y)) for y in years if y is not None)
    parts = [str(y) for y in named] + ([NO_YEAR] if None in years else [])
    if len(named) > 2 and named == list(range(named[0], named[-1] + 1)):
        parts = [f"{named[0]}至{named[-1]}"] + parts[len(named):]
    return "、".join(parts)


def department_file_name(filters: Filters, kind: str, title: str = "部门总览") -> str:
    """``部门总览-2021-部门甲.pdf``: the report, its year(s), its scope (主管部门, then 实施单位, then 等级)."""
    scope = []
    if _values(filters.department):
        scope.append(_few(_values(filters.department), lambda d: str(d or NO_DEPARTMENT)))
    if _values(filters.unit):
        scope.append(_few(_values(filters.unit), str))
    if _values(filters.grade):
        scope.append("".join(str(g) for g in _values(filters.grade)))
    parts = [title, _years(filters), *(scope or ["全部单位"])]
    return "-".join(_part(p) for p in parts) + f".{kind}"


def scorecard_file_name(year: int | None, unit: str, project: str, kind: str, title: str = "评分卡") -> str:
    """``评分卡-2021-实施单位-项目.pdf`` (a form without a year: 未填年度)."""
    parts = [title, str(year) if year is not None else NO_YEAR, unit or "未填实施单位", project or "未填项目名称"]
    return "-".join(_part(p) for p in parts) + f".{kind}"
