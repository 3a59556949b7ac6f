"""The printed vocabulary of a self-evaluation form, loaded from ``synonyms.toml``.

Forms are located by their labels, never by fixed positions. The synonyms every
province prints live in that data file; this module turns them into the sets and the
small classifiers the reader uses (which column a header names, which kind of funds
row a label is, whether a cell is a title), so no label is spelled in reader code.
"""
from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

from perfcore.text import squash
from perfcore.vocab import TITLE

_DATA = tomllib.loads((Path(__file__).with_name("synonyms.toml")).read_text(encoding="utf-8"))

_BRACKETS = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")
_POINTS = re.compile(r"\d+(\.\d+)?分$")
_TRADITIONAL = str.maketrans({pair[0]: pair[1] for pair in _DATA["traditional"]["map"].split() if len(pair) == 2})


def _set(section: str, key: str) -> frozenset[str]:
    return frozenset(_DATA[section][key])


def _columns(section: str, names: tuple[str, ...]) -> dict[str, frozenset[str]]:
    return {name: _set(section, name) for name in names}


TITLE_ENDINGS = tuple(_DATA["title"]["endings"])
TITLE_EXACT = _set("title", "exact")
DECLARATION_ENDINGS = tuple(_DATA["title"]["declaration_endings"])
WHOLE_MARKERS = tuple(_DATA["title"]["whole_markers"])

_HEADER = _DATA["header"]
# Header label key → Form field (project / department / unit).
HEADER_FIELDS: dict[str, str] = {label: field for field in ("project", "department", "unit") for label in _HEADER[field]}
PROJECT_LABELS = _set("header", "project")
EXTRA_LABELS = _set("extra", "labels")

FUNDS_ANCHORS = tuple(_DATA["funds"]["anchors"])
FUND_COLUMNS: dict[str, frozenset[str]] = _columns("funds", ("initial", "budget", "executed", "weight", "rate", "score", "note"))
MONEY_WAN = tuple(_DATA["funds"]["unit_wan"])
_ROWS = _DATA["fund_rows"]

PLANNED_LABELS = _set("goals", "planned")
ACTUAL_LABELS = _set("goals", "actual")
GOAL_LABELS = _set("goals", "section")

INDICATOR_COLUMNS: dict[str, frozenset[str]] = _columns(
    "indicators", ("level1", "level2", "name", "target", "op", "unit", "actual", "weight", "score")
)
NOTE_WORDS = tuple(_DATA["indicators"]["note_words"])
# Every key that names an indicator-table column: lets a row be dismissed with one set test.
INDICATOR_HEADER_KEYS = frozenset().union(*INDICATOR_COLUMNS.values())
INDICATOR_SECTIONS = _set("indicators", "section")
TOTAL_LABELS = _set("indicators", "total")

LEVEL1_NAMES = tuple(_DATA["levels"]["level1"])
LEVEL1_EVALUATION = _set("levels", "level1_evaluation")
HEADER_TOTALS = _set("indicators", "header_total")
EXECUTION_NAMES = _set("indicators", "execution_names")
DETAIL_PREFIXES = tuple(_DATA["indicators"]["detail_prefixes"])
LEVEL2_STEMS = _set("levels", "level2_stems")
LABEL_FRAGMENTS = _set("levels", "fragments")
INSTRUCTIONS = tuple(_DATA["template"]["instructions"])
AMOUNT_UNITS: dict[str, float] = {unit: float(factor) for unit, factor in _DATA["amounts"]["units"].items()}
POINT_UNITS = tuple(_DATA["amounts"]["points"])
TICKS = _set("marks", "ticks")
CROSSES = _set("marks", "crosses")

SECTION_LABELS = (
    frozenset({TITLE}) | PLANNED_LABELS | ACTUAL_LABELS | GOAL_LABELS | INDICATOR_SECTIONS
    | INDICATOR_COLUMNS["level1"] | INDICATOR_COLUMNS["name"] | frozenset(FUNDS_ANCHORS)
)
_PLACEHOLDER = re.compile(r"^(指标\d*:?|\.+|…+|\d+)$")
_PLACEHOLDER_PREFIX = re.compile(r"^指标\d+[:：.、]?\s*(?=\S)")


def label_key(text: str) -> str:
    """A cell's text as a label key: no spaces, no bracketed parts, simplified characters, no trailing colon."""
    key = _BRACKETS.sub("", squash(text).translate(_TRADITIONAL))
    return key.strip(":：")


def says_wan(text: str) -> bool:
    """Whether a label names 万元 as the money unit (``项目资金（万元）``, ``年度预算数(萬元)``)."""
    plain = squash(text).translate(_TRADITIONAL)
    return any(unit in plain for unit in MONEY_WAN)


def is_title(key: str) -> bool:
    """项目支出绩效自评表, 2020年度项目支出绩效自评表, 公开08表…专项资金绩效目标自评表 ..."""
    return len(key) <= 60 and (key in TITLE_EXACT or key.endswith(TITLE_ENDINGS) or key.endswith(DECLARATION_ENDINGS))


def is_declaration(key: str) -> bool:
    """绩效目标申报表 / 绩效目标表: the targets declared before the year, not a self-evaluation."""
    return key.endswith(DECLARATION_ENDINGS)


def is_whole_spending(key: str) -> bool:
    """部门整体支出绩效评价自评表: a department's whole spending, scored against criteria, not a project."""
    return any(marker in key for marker in WHOLE_MARKERS)


@lru_cache(maxsize=1 << 14)
def is_project_label(key: str) -> bool:
    label = key.split(":", 1)[0]
    return label in PROJECT_LABELS or role_of(label, "header") == "project"


def is_funds_anchor(key: str) -> bool:
    return key.startswith(FUNDS_ANCHORS)


def column_of(key: str, columns: dict[str, frozenset[str]]) -> str | None:
    """Which column of a table a header label names by its exact spelling, or None."""
    return next((name for name, keys in columns.items() if key in keys), None)


# --- labels by meaning ------------------------------------------------------------------

_MEANING = _DATA["meaning"]
_MAX_LABEL = int(_MEANING["max_length"])
_TRAILING = tuple(_MEANING["trailing"])
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|\d{1,2}[、.．](?!\d)|[①-⑳])\s*")
_RULES: dict[str, tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]] = {
    table: tuple((role, tuple(tuple(word.split("+")) for word in words)) for role, words in _MEANING[table])
    for table in ("funds", "indicators", "header")
}
_EXACT: dict[str, dict[str, frozenset[str]]] = {
    "funds": FUND_COLUMNS,
    "indicators": {**INDICATOR_COLUMNS, "note": frozenset()},
    "header": {field: _set("header", field) for field in ("project", "department", "unit")},
}


# What each role is called in a note or in ``parse --explain``.
ROLE_NAMES: dict[str, dict[str, str]] = {
    "funds": {"initial": "年初预算数", "budget": "全年预算数", "executed": "全年执行数", "rate": "执行率",
              "weight": "分值", "score": "得分", "note": "说明"},
    "indicators": {"level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值",
                   "op": "指标性质", "unit": "度量单位", "actual": "实际完成值", "weight": "分值", "score": "得分",
                   "note": "偏差原因"},
    "header": {"project": "项目名称", "department": "主管部门", "unit": "实施单位"},
}


def role_name(table: str, role: str) -> str:
    return ROLE_NAMES[table].get(role, role)


# Section names that hold a column word (绩效指标完成情况 holds 完成): never a column.
_NOT_COLUMNS = INDICATOR_SECTIONS | GOAL_LABELS | PLANNED_LABELS | frozenset(FUNDS_ANCHORS)


def normalise(key: str) -> str:
    """A label key without its numbering (一、 1、 1. ①) and a trailing 等 / 情况:
    ``服务对象满意度指标等`` → ``服务对象满意度指标``, ``一、项目决策`` → ``项目决策``."""
    key = _NUMBERING.sub("", key)
    for word in _TRAILING:
        if key.endswith(word) and len(key) > len(word) + 1:
            key = key[: -len(word)]
    return key


@lru_cache(maxsize=4096)
def classify(key: str, table: str) -> tuple[str | None, str]:
    """(role, why) of a label in a table (``funds`` / ``indicators`` / ``header``): its exact
    spelling first, then its normalised spelling, then the words that carry its meaning."""
    exact = _EXACT[table]
    role = column_of(key, exact)
    if role is not None:
        name = role_name(table, role)
        return role, f"“{key}”即“{name}”列" if key == name else f"“{key}”是“{name}”的同义词（synonyms.toml）"
    plain = normalise(key)
    role = column_of(plain, exact) if plain != key else None
    if role is not None:
        return role, f"“{key}”去掉编号和“等/情况”后是“{role_name(table, role)}”的同义词"
    if not plain or len(plain) > _MAX_LABEL or plain[0].isdigit():
        return None, "不是列标签（空、数字或太长）"
    if not _NOT_COLUMNS.isdisjoint((key, plain, f"{plain}情况")):
        return None, f"“{key}”是栏目名称，不是列标签"
    for role, words in _RULES[table]:
        for parts in words:
            if all(part in plain for part in parts) and (table != "header" or plain.endswith(parts[-1])):
                if role == "ignore":
                    return None, f"“{key}”含“{'+'.join(parts)}”：不是本表要读的列"
                return role, f"“{key}”含“{'+'.join(parts)}”，按含义是“{role_name(table, role)}”"
    return None, f"“{key}”不含任何表示列含义的词"


# A key holding none of a table's words (nor its exact spellings) has no role there: one C-speed
# search dismisses the names, targets and amounts every sheet is mostly made of.
_ANY_WORD: dict[str, re.Pattern[str]] = {
    table: re.compile("|".join(sorted(
        {re.escape(part) for _, words in _RULES[table] for parts in words for part in parts}
        | {re.escape(label) for labels in _EXACT[table].values() for label in labels}, key=len, reverse=True)))
    for table in _RULES
}


# Any word that can make a cell a header label (of the form, its funds or its indicator table):
# a sheet's keys without one are names, targets and amounts, and skip every label predicate.
LABEL_WORDS = re.compile("|".join(sorted(
    {pattern.pattern for pattern in _ANY_WORD.values()} | {re.escape(label) for label in EXTRA_LABELS}, key=len, reverse=True)))


@lru_cache(maxsize=1 << 14)
def role_of(key: str, table: str) -> str | None:
    """The role of a label in a table (see ``classify``), or None."""
    if not key or len(key) > _MAX_LABEL + 4 or _ANY_WORD[table].search(key) is None:
        return None
    return classify(key, table)[0]


def fund_kind(key: str) -> str | None:
    """年度资金总额 / 总额 → total, 当年/本年财政拨款 → appropriation ...; other money rows → extra."""
    label = key.removeprefix("其中").lstrip(":")
    if label in _ROWS["total"] or label.endswith(tuple(_ROWS["total_endings"])):
        return "total"
    if label in _ROWS["appropriation"] or any(word in label for word in _ROWS["appropriation_contains"]):
        return "appropriation"
    if any(word in label for word in _ROWS["carryover_contains"]):
        return "carryover"
    if label in _ROWS["other"]:
        return "other"
    if label.endswith(tuple(_ROWS["extra_endings"])) or any(word in label for word in _ROWS["extra_contains"]):
        return "extra"
    return None


def is_note_label(key: str) -> bool:
    return any(word in key for word in NOTE_WORDS)


def is_detail(key: str) -> bool:
    """A breakdown row of the indicator above (``其中桃树种植面积``, ``含羊养殖数量``)."""
    return key.startswith(DETAIL_PREFIXES) and len(key) > 2


def is_placeholder(key: str) -> bool:
    """Rows left empty in a template: ``指标1:``, ``……``, a bare number."""
    return not key or _PLACEHOLDER.match(key) is not None


_NAME_NUMBERING = re.compile(r"^\s*(?:\d{1,2}\s*[、．]|\d{1,2}\.(?!\d)|[(（]\d{1,2}[)）]|[①-⑳])\s*(?=\S)")


def indicator_name(text: str) -> str:
    """An indicator name without the template's ``指标1:`` numbering (``指标1:工程质量合格`` → ``工程质量合格``)
    or an outline's ``1、`` / ``(1)`` / ``①``."""
    if text.startswith("指标"):
        return _PLACEHOLDER_PREFIX.sub("", text)
    return _NAME_NUMBERING.sub("", text)


_INSTRUCTION = re.compile("|".join(re.escape(word) for word in INSTRUCTIONS))


def is_instruction(text: str) -> bool:
    """Template instructions left in a cell (``说明原因（100字以内）``): nothing the unit wrote."""
    return bool(text) and _INSTRUCTION.search(text) is not None


def mark(text: str) -> str | None:
    """``√`` / ``×`` for a cell holding only a tick or a cross (also their Wingdings glyphs), else None."""
    if text in TICKS:
        return "√"
    if text in CROSSES:
        return "×"
    return None


@lru_cache(maxsize=4096)
def level1_of(key: str) -> str | None:
    """The normalised level-1 name for ``产出指标(50分)``, ``效益``, ``一、项目决策`` ..., else None."""
    plain = normalise(_POINTS.sub("", key))
    if plain in LEVEL1_EVALUATION:
        return plain
    stem = plain.removesuffix("指标")
    name = f"{stem}指标"
    return name if name in LEVEL1_NAMES else None


@lru_cache(maxsize=4096)
def level2_name(text: str) -> str:
    """A level-2 label as printed, cleaned: points dropped, ``数量`` → ``数量指标``."""
    key = normalise(_POINTS.sub("", label_key(text)))
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
    if implied is None or implied == level1 or level1 in LEVEL1_EVALUATION:
        return True
    return level1 == "成本指标" and "成本" in level2


@lru_cache(maxsize=4096)
def is_execution_name(key: str) -> bool:
    """An indicator that is the budget execution rate itself (预算执行率, 资金执行率 ...)."""
    return normalise(key) in EXECUTION_NAMES


def points_of(text: str) -> float | None:
    """The points printed in a label: ``预算执行情况(10分)`` → 10.0, else None."""
    found = re.search(r"[(（]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]", squash(text))
    return float(found.group(1)) if found else None
