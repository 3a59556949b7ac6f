"""The printed vocabulary of a self-evaluation form: labels, their synonyms, level names.

Forms are located by their labels, never by fixed positions, so every synonym a
province prints lives here in one place.
"""
from __future__ import annotations

import re

from perfcore.text import squash

_BRACKETS = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")
_POINTS = re.compile(r"\d+(\.\d+)?分$")

TITLE = "财政项目支出绩效自评表"
TOTAL_LABELS = frozenset({"总分", "合计", "总计", "总分值"})

# Header fields of Form → label keys that name them.
HEADER_FIELDS: dict[str, str] = {
    "项目名称": "project",
    "主管部门": "department",
    "主管部门及代码": "department",
    "主管单位": "department",
    "实施单位": "unit",
    "实施单位及代码": "unit",
    "项目实施单位": "unit",
}
# Optional header labels kept as printed in Form.extra.
EXTRA_LABELS = frozenset({"项目负责人", "财务负责人", "填报日期", "填报人", "联系电话", "项目编码"})

FUNDS_LABEL = "项目资金"
# 项目资金 block columns → label keys (brackets such as (A), (B/A), (万元) already dropped).
FUND_COLUMNS: dict[str, frozenset[str]] = {
    "initial": frozenset({"年初预算数", "年初预算"}),
    "budget": frozenset({"全年预算数", "调整后预算数", "全年预算", "调整后预算"}),
    "executed": frozenset({"全年执行数", "全年执行", "执行数", "实际执行数"}),
    "weight": frozenset({"分值", "权重"}),
    "rate": frozenset({"执行率", "预算执行率"}),
    "score": frozenset({"得分"}),
}

PLANNED_LABELS = frozenset({"预算目标", "预期目标", "年初目标", "计划目标"})
ACTUAL_LABELS = frozenset({"实际完成情况", "实际完成", "完成情况"})
GOAL_LABELS = frozenset({"年度总体目标", "总体目标", "年度目标"})

# 绩效指标 table columns → label keys.
INDICATOR_COLUMNS: dict[str, frozenset[str]] = {
    "level1": frozenset({"一级指标"}),
    "level2": frozenset({"二级指标"}),
    "name": frozenset({"三级指标", "指标名称"}),
    "target": frozenset({"年度指标值", "指标值", "年度目标值", "目标值", "预期指标值"}),
    "op": frozenset({"指标性质", "运算符", "运算符号"}),
    "unit": frozenset({"度量单位", "计量单位", "单位"}),
    "actual": frozenset({"实际完成值", "完成值", "实际值", "全年实际值", "实际完成"}),
    "weight": frozenset({"分值", "权重", "权重分值", "指标分值"}),
    "score": frozenset({"得分", "自评得分"}),
}
NOTE_WORDS = ("原因", "改进措施")

SECTION_LABELS = (
    frozenset({TITLE, "绩效指标", FUNDS_LABEL})
    | PLANNED_LABELS
    | ACTUAL_LABELS
    | GOAL_LABELS
    | INDICATOR_COLUMNS["level1"]
    | INDICATOR_COLUMNS["name"]
)

LEVEL1_NAMES = ("产出指标", "效益指标", "满意度指标", "成本指标")
# Level-2 stems printed with or without the 指标 suffix.
LEVEL2_STEMS = frozenset(
    {"数量", "质量", "时效", "成本", "经济效益", "社会效益", "生态效益", "可持续影响", "服务对象满意度"}
)
# Fragments left when a page break cuts a vertical label (绩效 / 指标).
LABEL_FRAGMENTS = frozenset({"绩效", "指标", "绩效指标", "一级指标", "二级指标"})
_PLACEHOLDER = re.compile(r"^(指标\d*:?|\.+|…+|\d+)$")


def label_key(text: str) -> str:
    """A cell's text as a label key: no spaces, no bracketed parts, no trailing colon."""
    key = _BRACKETS.sub("", squash(text))
    return key.strip(":：")


def column_of(key: str, columns: dict[str, frozenset[str]]) -> str | None:
    """Which column of a table a header label names, or None."""
    return next((name for name, keys in columns.items() if key in keys), None)


def is_note_label(key: str) -> bool:
    return any(word in key for word in NOTE_WORDS)


def is_placeholder(key: str) -> bool:
    """Rows left empty in a template: ``指标1:``, ``……``, a bare number."""
    return not key or _PLACEHOLDER.match(key) is not None


def level1_of(key: str) -> str | None:
    """The normalised level-1 name for ``产出指标(50分)``, ``效益`` ..., else None."""
    stem = _POINTS.sub("", key).removesuffix("指标")
    name = f"{stem}指标"
    return name if name in LEVEL1_NAMES else None


def level2_name(text: str) -> str:
    """A level-2 label as printed, cleaned: points dropped, ``数量`` → ``数量指标``."""
    key = _POINTS.sub("", label_key(text))
    return f"{key}指标" if key in LEVEL2_STEMS else key


def implied_level1(level2: str) -> str | None:
    """The level 1 a level-2 label belongs to (数量 → 产出, 社会效益 → 效益 ...), else None."""
    if "满意" in level2:
        return "满意度指标"
    if "效益" in level2 or "可持续" in level2 or "影响" in level2:
        return "效益指标"
    if any(word in level2 for word in ("数量", "质量", "时效", "成本")):
        return "产出指标"
    return None


def fits(level1: str, level2: str) -> bool:
    """Whether a carried level 1 may hold this level 2 (成本 sits under 产出 or its own 成本指标)."""
    implied = implied_level1(level2)
    if implied is None or implied == level1:
        return True
    return level1 == "成本指标" and "成本" in level2
