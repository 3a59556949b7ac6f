"""Number formatting as finance staff read it: 6,261,700.00 元, 626.17 万元, 99.25%, 92.01 分, 12 张.

Why: every page shows amounts, rates and scores; one set of pure functions keeps
them identical everywhere (and testable without Streamlit). None / NaN → "—".
The rule: amounts with separators and two decimals in the named unit, scores two
decimals, rates two decimals with %, counts as integers.

A rate travels as a fraction everywhere (0.4517, never 45.17): stored, in frames, in
Excel cells (number format 0.00%) and on chart axes (d3 ".2%"); only ``percent`` turns it
into text. Issue 19: one path multiplied by 100 before a formatter that multiplies again.
"""
from __future__ import annotations

import math

import pandas as pd

DASH = "—"
MONEY_UNITS: dict[str, float] = {"元": 1.0, "万元": 10_000.0}
# Number formats of the workbooks perfboard writes (blank forms, exports, the bench's forms).
EXCEL_FORMATS: dict[str, str] = {"money": "#,##0.00", "rate": "0.00%", "score": "0.00"}


def _missing(value: object) -> bool:
    """None, NaN, pandas NA or anything that is not a real number."""
    if value is None or isinstance(value, bool):
        return True
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True
    return not math.isfinite(number)


def blank(value: object) -> bool:
    """No value at all: None, NaN or pandas NA (of a text cell as of a number)."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def text(value: object) -> object:
    """A table cell's value as stored, a missing one as “—” (never None or nan)."""
    return DASH if blank(value) else value


def scale(yuan: float | None, unit: str = "元") -> float | None:
    """Yuan to the display unit (元 or 万元); None stays None."""
    if _missing(yuan):
        return None
    return float(yuan) / MONEY_UNITS[unit]  # type: ignore[arg-type]


def thousands(value: float | None, decimals: int = 2) -> str:
    """6261700 → '6,261,700.00'; negative keeps its sign; None → '—'."""
    if _missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    if round(number, decimals) == 0:
        number = 0.0  # no "-0.00"
    return f"{number:,.{decimals}f}"


def money(yuan: float | None, unit: str = "元", *, decimals: int = 2, suffix: bool = False) -> str:
    """An amount held in yuan, shown in 元 or 万元 with thousands separators."""
    text = thousands(scale(yuan, unit), decimals)
    return f"{text} {unit}" if suffix and text != DASH else text


def percent(fraction: float | None, decimals: int = 2) -> str:
    """A rate held as a fraction: 0.7525 → '75.25%'."""
    if _missing(fraction):
        return DASH
    return f"{float(fraction) * 100:,.{decimals}f}%"  # type: ignore[arg-type]


def score(points: float | None, decimals: int = 2) -> str:
    """A score as every page, tile, table and report shows it: 92.01, 100.00, 6.50 (two decimals).

    Why fixed decimals: "98", "98.4" and "98.00" for the same kind of number in one screen
    read as different precisions (issue 12 item 6).
    """
    if _missing(points):
        return DASH
    number = round(float(points), decimals)  # type: ignore[arg-type]
    return f"{0.0 if number == 0 else number:.{decimals}f}"


def figure(value: float | None, decimals: int = 6) -> str:
    """A figure inside an arithmetic explanation: no float noise, trailing zeros dropped, no separators
    (5 × 3146 ÷ 29000 = 0.54; the inputs are printed as the form gives them)."""
    if _missing(value):
        return DASH
    number = float(value)  # type: ignore[arg-type]
    if round(number, decimals) == 0:
        return "0"
    return f"{number:.{decimals}f}".rstrip("0").rstrip(".")


def signed(points: float | None, decimals: int = 2) -> str:
    """A change in points with its sign: +5.99, -0.76, 0.00; for deltas and differences."""
    if _missing(points):
        return DASH
    rounded = round(float(points), decimals)  # type: ignore[arg-type]
    return ("+" if rounded > 0 else "") + score(rounded, decimals)


def points(value: float | None) -> str:
    """A score with its unit: '7.99 分'; None → '—'."""
    text = score(value)
    return text if text == DASH else f"{text} 分"


def count(n: object) -> str:
    """An integer count with thousands separators: 12345 → '12,345'; None → '—'."""
    if _missing(n):
        return DASH
    return f"{int(float(n)):,}"  # type: ignore[arg-type]


# Formats of chart axes and data-table columns (Vega-Lite d3-format / Streamlit printf), one rule.
AXIS_SCORE, AXIS_RATE, AXIS_MONEY, AXIS_COUNT = ",.2f", ".2%", ",.2f", "d"
COLUMN_SCORE, COLUMN_SIGNED, COLUMN_MONEY, COLUMN_COUNT = "%.2f", "%+.2f", "accounting", "%d"


def money_label(unit: str) -> str:
    """Column header suffix for amounts: '（元）' / '（万元）'."""
    return f"（{unit}）"
