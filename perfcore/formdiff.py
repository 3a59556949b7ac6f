"""What a form says, compared: the canonical content behind the content hash, and what changed
between two versions of a form.

Why canonical: a LibreOffice re-save of an unchanged form printed each percentage as ``100.00%``
where the original read ``100%``, and every such file became a new version with identical
scores. What a form *says* is compared instead: text in NFKC with its line breaks and runs of
spaces made one, a number written as text by its value (``100.00%`` = ``100%``, ``1,000`` =
``1000``), a figure to 12 significant digits (the last bits of a cached formula result differ
between office programs). ``content`` is what ``serialize.content_hash`` hashes; ``changes``
lists, field by field and indicator by indicator, what differs under the same rules, so a new
version always shows why it is one.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from perfcore import fmt
from perfcore.model import Form, FundLine, Indicator, Num, Text
from perfcore.vocab import year_label

# A cell's text that is only a number: sign, digits with or without thousands separators, decimals, %.
_NUMBER_TEXT = re.compile(r"([+-]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(%?)")
_SPACES = re.compile(r"[ \t\u3000]+")
_UNTIDY = re.compile(r"\r|^\s|\s$|\s\n|\n\s|[ \t\u3000]{2}|[\t\u3000]")  # anything the tidying would change
_NUMBER_START = frozenset("+-.0123456789")
SIGNIFICANT = 12  # digits of a figure that count (a double has 15–17; office programs differ in the last)
BLANK = "（空）"


def canonical_text(value: str) -> str:
    """The text as compared: NFKC, one kind of line break, runs of spaces as one, no spaces at the
    ends of lines; a text that is only a number written as that number's plain value."""
    text = value if unicodedata.is_normalized("NFKC", value) else unicodedata.normalize("NFKC", value)
    if _UNTIDY.search(text):
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()
    match = _NUMBER_TEXT.fullmatch(text) if text[:1] in _NUMBER_START else None
    if match is None:
        return text
    sign, digits, percent = match.groups()
    try:
        number = Decimal(digits.replace(",", "")).normalize()
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return text
    plain = format(number, "f")
    return ("" if plain == "0" else sign.replace("+", "")) + plain + percent


def canonical_number(value: float | None) -> float | None:
    """A figure to ``SIGNIFICANT`` digits (an int stays an int)."""
    if value is None or isinstance(value, (bool, int)):
        return value
    return float(f"{value:.{SIGNIFICANT}g}")


def canonical(value: Any) -> Any:
    """Every text and figure of a plain-data form (``form_to_dict``'s shape) made canonical."""
    if isinstance(value, str):
        return canonical_text(value)
    if isinstance(value, float):
        return canonical_number(value)
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


INDICATOR_PLACE_KEYS = frozenset({"cell", "row"})  # where an indicator was read, not what it says


def content(d: dict[str, Any], place_keys: Collection[str]) -> dict[str, Any]:
    """What a ``form_to_dict`` says, canonical, without where it was read: ``place_keys`` (file,
    sheet, cells, the reader's remarks: serialize's list) and each indicator's cell and row."""
    kept = {k: v for k, v in d.items() if k not in place_keys}
    kept["indicators"] = [{k: v for k, v in item.items() if k not in INDICATOR_PLACE_KEYS}
                          for item in d["indicators"]]
    return canonical(kept)


# --- what changed between two versions ----------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One thing a form says differently: where (as a person names it), the old and the new value."""

    where: str
    old: str
    new: str


def _text(t: Text | str) -> str:
    value = t.value if isinstance(t, Text) else t
    return value if value.strip() else BLANK


def _shown(n: Num, show: Callable[[float | None], str]) -> str:
    return BLANK if n.value is None else show(n.value)


def _same_text(a: str, b: str) -> bool:
    return canonical_text(a) == canonical_text(b)


def _same_number(a: float | None, b: float | None) -> bool:
    return canonical_number(a) == canonical_number(b)


def _paired(old: list[Any], new: list[Any], key: Callable[[Any], Any]) -> Iterator[tuple[Any | None, Any | None]]:
    """Items of two lists matched by ``key`` (the n-th of a key with the n-th), then those left on
    either side (removed, then added), in the new list's order."""
    pool: dict[Any, list[Any]] = {}
    for item in old:
        pool.setdefault(key(item), []).append(item)
    matched = []
    for item in new:
        same = pool.get(key(item))
        matched.append((same.pop(0) if same else None, item))
    removed = [(item, None) for items in pool.values() for item in items]
    yield from removed
    yield from matched


def _numbers(where: str, pairs: list[tuple[str, Num, Num, Callable[[float | None], str]]]) -> Iterator[Change]:
    for label, a, b, show in pairs:
        if not _same_number(a.value, b.value):
            yield Change(f"{where} · {label}" if where else label, _shown(a, show), _shown(b, show))


def _texts(where: str, pairs: list[tuple[str, str, str]]) -> Iterator[Change]:
    for label, a, b in pairs:
        if not _same_text(a, b):
            yield Change(f"{where} · {label}" if where else label, _text(a), _text(b))


def _money(value: float | None) -> str:
    return fmt.money(value, suffix=True)


def _fund_changes(old: list[FundLine], new: list[FundLine]) -> Iterator[Change]:
    for a, b in _paired(old, new, lambda line: (line.kind, canonical_text(line.label))):
        if a is None or b is None:
            line = a or b
            assert line is not None
            amounts = "，".join(f"{label} {_shown(getattr(line, k), _money)}" for k, label in _AMOUNT_LABELS)
            yield Change(f"项目资金 · {line.label}", amounts if a else "（无此行）", "（已删除此行）" if a else amounts)
            continue
        yield from _numbers(f"项目资金 · {b.label}", [(label, getattr(a, k), getattr(b, k), _money)
                                                    for k, label in _AMOUNT_LABELS])


_AMOUNT_LABELS = (("initial", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))


def _indicator_name(ind: Indicator) -> str:
    return f"指标“{ind.name or '（未填名称）'}”"


def _indicator_key(ind: Indicator) -> tuple[str, str, str]:
    return canonical_text(ind.level1), canonical_text(ind.level2), canonical_text(ind.name)


def _indicator_summary(ind: Indicator) -> str:
    return (f"{ind.level1} / {ind.level2}；年度指标值 {_text(ind.target)}，实际完成值 {_text(ind.actual)}，"
            f"分值 {_shown(ind.weight, fmt.score)}")


def _indicator_changes(old: list[Indicator], new: list[Indicator]) -> Iterator[Change]:
    pairs = list(_paired(old, new, _indicator_key))
    for a, b in pairs:
        if a is None or b is None:
            ind = a or b
            assert ind is not None
            yield Change(_indicator_name(ind), _indicator_summary(ind) if a else "（无此指标）",
                         "（已删除此指标）" if a else _indicator_summary(ind))
            continue
        where = _indicator_name(b)
        yield from _texts(where, [("年度指标值", a.target.value, b.target.value),
                                  ("实际完成值", a.actual.value, b.actual.value)])
        yield from _numbers(where, [("分值", a.weight, b.weight, fmt.score),
                                    ("自评得分", a.declared_score, b.declared_score, fmt.score)])
        yield from _texts(where, [("偏差原因分析", a.note.value, b.note.value)])
    both = [(a, b) for a, b in pairs if a is not None and b is not None]
    position = {id(a): i for i, a in enumerate(old)}
    if [position[id(a)] for a, _ in both] != sorted(position[id(a)] for a, _ in both):
        yield Change("指标顺序", "原顺序", "已调整")


def changes(old: Form, new: Form) -> list[Change]:
    """What ``new`` says differently from ``old``: header fields, funds, execution, goals, each
    indicator (matched by 一级 / 二级 / 三级指标 name), totals and the other printed fields.
    Empty exactly when both have the same content (``serialize.content_hash``)."""
    out: list[Change] = []
    if old.year != new.year:
        out.append(Change("年度", year_label(old.year), year_label(new.year)))
    out += _texts("", [("项目名称", old.project.value, new.project.value),
                       ("主管部门", old.department.value, new.department.value),
                       ("实施单位", old.unit.value, new.unit.value),
                       ("金额单位", old.money_unit, new.money_unit)])
    out += _fund_changes(old.funds, new.funds)
    fund_order = [(f.kind, canonical_text(f.label)) for f in new.funds]
    if sorted(fund_order) == sorted((f.kind, canonical_text(f.label)) for f in old.funds) and fund_order != [
            (f.kind, canonical_text(f.label)) for f in old.funds]:
        out.append(Change("项目资金行顺序", "原顺序", "已调整"))
    ex_a, ex_b = old.execution, new.execution
    out += _numbers("预算执行率", [("分值", ex_a.weight, ex_b.weight, fmt.score),
                                ("执行率", ex_a.rate, ex_b.rate, fmt.percent),
                                ("自评得分", ex_a.declared_score, ex_b.declared_score, fmt.score)])
    out += _texts("年度总体目标", [("预算目标", old.goals.planned.value, new.goals.planned.value),
                                 ("实际完成情况", old.goals.actual.value, new.goals.actual.value)])
    out += _indicator_changes(old.indicators, new.indicators)
    out += _numbers("合计", [("分值", old.total_weight, new.total_weight, fmt.score),
                           ("自评总分", old.total_declared, new.total_declared, fmt.score)])
    for name in [*old.extra, *(k for k in new.extra if k not in old.extra)]:
        a, b = old.extra.get(name, ""), new.extra.get(name, "")
        if not _same_text(a, b):
            out.append(Change(name, _text(a), _text(b)))
    return out
