"""Amounts and points as people type them into a cell: ``150万`` in a 万元 table, ``150万元``,
``1,500元``, ``１５０``, ``10分``, a trailing space or unit.

A number written with its unit is converted by that unit, whatever the table's unit (a
``1,500元`` in a 万元 table is 1,500 yuan, not 15,000,000); a bare number takes the table's
unit. Text a person could not read as one amount either (``约150万``, ``100-200``, ``见附件``)
stays unread, so the caller can name the cell. The units are data (``synonyms.toml``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from perfcore.text import is_blank, squash

from .labels import AMOUNT_UNITS, POINT_UNITS

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_SEPARATORS = str.maketrans("", "", ",，'’_ ")
_CURRENCY = ("¥", "￥", "RMB", "人民币")
_UNITS_LONGEST = tuple(sorted(AMOUNT_UNITS, key=len, reverse=True))


@dataclass(frozen=True)
class Written:
    """A number read from text: its value in the unit written (or bare), and that unit ("" = none)."""

    value: float
    unit: str = ""


def _plain(text: str) -> str:
    """Full-width folded, spaces and thousands separators gone, a currency sign and a trailing full stop dropped."""
    body = squash(text).translate(_SEPARATORS).rstrip("。.")
    for sign in _CURRENCY:
        body = body.removeprefix(sign)
    return body


@lru_cache(maxsize=4096)
def amount_as_written(text: str) -> Written | None:
    """``150万`` → Written(150, "万"); ``1,500元`` → Written(1500, "元"); ``１５０`` → Written(150); else None."""
    if is_blank(text):
        return None
    body = _plain(text)
    unit = next((u for u in _UNITS_LONGEST if body.endswith(u)), "")
    number = body[: len(body) - len(unit)] if unit else body
    if not _NUMBER.match(number):
        return None
    return Written(float(number), unit)


def to_yuan(written: Written, table_scale: float) -> float:
    """The amount in yuan: by the unit written, else by the table's unit (1 = 元, 10000 = 万元)."""
    factor = AMOUNT_UNITS[written.unit] if written.unit else table_scale
    return round(written.value * factor, 2)


@lru_cache(maxsize=1024)
def points_as_written(text: str) -> float | None:
    """``10分`` / ``１０ 分`` / ``10.0`` → 10.0; anything else None (weights and scores)."""
    if is_blank(text):
        return None
    body = _plain(text)
    for unit in POINT_UNITS:
        body = body.removesuffix(unit)
    return float(body) if _NUMBER.match(body) else None
