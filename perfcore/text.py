"""Text normalisation shared by the reader and the value parser.

Forms come from Excel, WPS and PDF pastes: full-width digits and signs, stray
spaces inside words (``匹 配率``), thousands separators, dashes for "not applicable".
"""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

# Cells meaning "nothing here / not applicable".
BLANK_MARKS = frozenset({"", "—", "——", "-", "--", "－", "/", "／", "无", "N/A", "n/a", "NA", "\\", "…", "……"})

_WS = re.compile(r"\s+")
# Invisible characters (C0/C1 controls, zero-width and bidi overrides): they make one
# project look like two and can disguise text, so they go; line breaks become spaces.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff（）()、，])\s+(?=[\u3400-\u9fff（）()、，])")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def strip_invisible(text: str) -> str:
    """Drop control, zero-width and bidi-override characters (emoji and line breaks stay)."""
    return _INVISIBLE.sub("", text)


def nfkc(text: str) -> str:
    """Full-width to half-width (digits, letters, ％, ＝, ＞ ...) and NFKC-compatible forms."""
    return unicodedata.normalize("NFKC", text)


def clean(value: object) -> str:
    """Cell value to tidy text: str, NFKC, no line breaks, no spaces between CJK characters."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = strip_invisible(nfkc(str(value))).replace("\u3000", " ").replace("\xa0", " ")
    text = _WS.sub(" ", text).strip()
    return _CJK_GAP.sub("", text)


def squash(value: object) -> str:
    """Text with every space removed, for matching labels (``年度 总体 目标`` = ``年度总体目标``)."""
    return _WS.sub("", clean(value))


def is_blank(value: object) -> bool:
    """Empty or a mark meaning "not applicable" (—, /, 无 ...)."""
    if isinstance(value, str):
        return value in BLANK_MARKS or _blank_text(value)
    return squash(value) in BLANK_MARKS


@lru_cache(maxsize=1 << 14)
def _blank_text(text: str) -> bool:
    """``is_blank`` of a text, memoised: targets, weights and marks repeat on every form."""
    return squash(text) in BLANK_MARKS


def parse_number(value: object) -> float | None:
    """A cell as a number: ``6,261,700`` → 6261700.0, ``１００.00%`` → 1.0, ``—`` → None.

    Returns None for blanks and anything that is not a plain number (no guessing).
    Percent signs divide by 100.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    text = squash(value)
    if text in BLANK_MARKS:
        return None
    text = text.replace(",", "").replace("，", "")
    percent = text.endswith("%")
    if percent:
        text = text[:-1]
    for suffix in ("元", "万元"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    if not _NUMBER.match(text):
        return None
    number = float(text)
    if not math.isfinite(number):
        return None
    return number / 100 if percent else number
