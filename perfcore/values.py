"""Parse the text of a target (年度指标值) or an actual (实际完成值) into a comparable value.

Forms print targets and actuals as free text (``>=29000家``, ``≥90%``, ``及时性``,
``30分钟以内``). Scoring needs the operator, the number and the unit; anything the
grammar does not cover is reported as ``unparseable`` instead of guessed at.

Convention for percentages: ``number`` keeps the printed number (``90%`` → 90.0)
and ``is_percent`` is True, so target and actual compare on the same scale and the
explanation can print the figures the form printed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from perfcore import fmt
from perfcore.text import is_blank, squash

Kind = Literal["quantitative", "qualitative", "missing", "unparseable"]

FORWARD_OPS = frozenset({">=", ">", "="})
REVERSE_OPS = frozenset({"<=", "<"})

# Symbol spellings (after NFKC, which already maps ＞ ＜ ＝ ﹦ ﹥ ﹤ to ASCII) → canonical operator;
# look-alikes a font substitutes (═ for =) included.
_SYMBOLS: tuple[tuple[str, str], ...] = (
    (">=", ">="), ("=>", ">="), ("≥", ">="), ("≧", ">="), ("⩾", ">="), ("≮", ">="),
    ("<=", "<="), ("=<", "<="), ("≤", "<="), ("≦", "<="), ("⩽", "<="), ("≯", "<="),
    ("==", "="), (">", ">"), ("<", "<"), ("=", "="),
    ("═", "="),  # the box-drawing double line a font substitutes for = (Yunnan forms exported to PDF/HTML)
)
# Word spellings in front of the number; longest first so 大于等于 wins over 大于.
_PREFIX_WORDS: tuple[tuple[str, str], ...] = (
    ("大于或等于", ">="), ("大于等于", ">="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="),
    ("至少", ">="), ("达到", ">="),
    ("小于或等于", "<="), ("小于等于", "<="), ("不高于", "<="), ("不超过", "<="), ("不大于", "<="),
    ("不多于", "<="), ("至多", "<="),
    ("大于", ">"), ("高于", ">"), ("超过", ">"), ("多于", ">"),
    ("小于", "<"), ("低于", "<"), ("少于", "<"), ("等于", "="),
)
# Word spellings after the unit: 90%以上, 30分钟以内.
_SUFFIX_WORDS: tuple[tuple[str, str], ...] = (
    ("及以上", ">="), ("以上", ">="), ("及以下", "<="), ("以下", "<="), ("以内", "<="), ("之内", "<="),
)
_NUMBER = re.compile(r"^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+)")
# A unit is a short word, or words joined by / * · × (元/人*月, 人次/年, 元/㎡ = 元/m2 after NFKC).
_UNIT_WORD = r"[A-Za-z\u3400-\u9fff]{1,6}[23]?"
_UNIT = re.compile(rf"^(?=.{{1,14}}$){_UNIT_WORD}(?:[/*·×]{_UNIT_WORD})*$")
_TRAILING_PUNCT = "。.;；,，!！"
# Text after a number that makes it a sentence or a deadline, not a unit (2021年完成, 12月底前).
_NOT_UNIT = ("完成", "达", "未", "提升", "增长", "下降", "左右", "前", "底", "后", "约")

# Units that scale onto another: unit → (base unit, factor).
_UNIT_SCALE: dict[str, tuple[str, float]] = {
    "千元": ("元", 1e3), "万元": ("元", 1e4), "亿元": ("元", 1e8),
    "秒": ("分钟", 1 / 60), "小时": ("分钟", 60.0), "h": ("分钟", 60.0), "min": ("分钟", 1.0),
}


@dataclass(frozen=True)
class Value:
    """A parsed target or actual.

    ``op`` is one of ``>=`` ``>`` ``<=`` ``<`` ``=`` or None (a bare number);
    ``word`` is the normalised qualitative word (``及时性`` → ``及时``).
    """

    raw: str
    kind: Kind
    op: str | None = None
    number: float | None = None
    unit: str = ""
    is_percent: bool = False
    word: str = ""

    @property
    def unit_label(self) -> str:
        """The unit as printed after the number: ``%`` for percentages."""
        return "%" if self.is_percent else self.unit

    def text(self, *, op: bool = True) -> str:
        """The value written back in canonical form: ``>=29000家``, ``90%``, ``及时``."""
        if self.kind == "qualitative":
            return self.word
        if self.kind != "quantitative" or self.number is None:
            return self.raw
        prefix = (self.op or "") if op else ""
        return f"{prefix}{fmt.figure(self.number, 6)}{self.unit_label}"


def normalise_word(text: str) -> str:
    """Qualitative text for matching: no spaces or trailing punctuation, ``…性`` → ``…``."""
    word = squash(text).rstrip(_TRAILING_PUNCT)
    if len(word) > 1 and word.endswith("性"):
        word = word[:-1]
    return word


def _split_operator(text: str) -> tuple[str | None, str]:
    for spelling, op in _SYMBOLS + _PREFIX_WORDS:
        if text.startswith(spelling):
            return op, text[len(spelling):]
    return None, text


def _split_suffix(text: str) -> tuple[str | None, str]:
    for spelling, op in _SUFFIX_WORDS:
        if text.endswith(spelling):
            return op, text[: -len(spelling)]
    return None, text


@lru_cache(maxsize=1 << 14)
def parse_value(text: str | None) -> Value:
    """Target or actual text → Value. Never raises; unknown shapes come back ``unparseable``."""
    raw = "" if text is None else str(text)
    if is_blank(raw):
        return Value(raw, "missing")
    body = squash(raw).rstrip(_TRAILING_PUNCT)
    if not any(ch.isdigit() for ch in body):
        return Value(raw, "qualitative", word=normalise_word(body))
    op, rest = _split_operator(body)
    match = _NUMBER.match(rest)
    if not match:
        return Value(raw, "unparseable")
    number = float(match.group(1).replace(",", ""))
    tail = rest[match.end():]
    suffix_op, tail = _split_suffix(tail)
    if suffix_op is not None:
        if op is not None and op != suffix_op:
            return Value(raw, "unparseable")
        op = suffix_op
    is_percent = tail.startswith("%")
    unit = tail[1:] if is_percent else tail
    if unit and (is_percent or not _UNIT.match(unit) or any(m in unit for m in _NOT_UNIT)):
        return Value(raw, "unparseable")
    return Value(raw, "quantitative", op=op, number=number, unit=unit, is_percent=is_percent)


def base_unit(value: Value) -> tuple[str, float]:
    """(unit on a common scale, factor): ``万元`` → (``元``, 10000); ``%`` stays ``%``."""
    if value.is_percent:
        return "%", 1.0
    if value.unit in _UNIT_SCALE:
        return _UNIT_SCALE[value.unit]
    if len(value.unit) > 1 and value.unit[0] in "万亿":
        return value.unit[1:], 1e4 if value.unit[0] == "万" else 1e8
    return value.unit, 1.0


def comparable(target: Value, actual: Value) -> tuple[float, float] | None:
    """Target and actual numbers on one scale, or None when their units differ.

    An actual printed without a unit takes the target's (``3146`` against ``>=29000家``);
    a bare target (``=0``) accepts any unit on the actual.
    """
    if target.number is None or actual.number is None:
        return None
    t_unit, t_factor = base_unit(target)
    a_unit, a_factor = base_unit(actual)
    if not a_unit or not t_unit:
        return target.number, actual.number
    if t_unit != a_unit:
        return None
    return target.number * t_factor, actual.number * a_factor
