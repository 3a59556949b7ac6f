"""A number as a spreadsheet prints it under its number format (``1`` with ``0%`` → ``100%``).

Office software stores a typed ``100%`` as the number 1 with a percent format and a
typed ``6,261,700.00`` as 6261700 with ``#,##0.00``; calamine hands us the bare number.
The reader reads a cell as the person saw it on screen, so the printed text is rebuilt
here from the value and the format code (ECMA-376 §18.8.31, the subset forms use:
General, fixed decimals, thousands, percent, currency and literal text, scientific,
sections for negatives and zero, dates). Anything unknown falls back to General.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

# Built-in format ids (no <numFmt> entry in styles.xml). Chinese-locale date ids 27–36 and
# 50–58 are dates; calamine already returns those cells as dates.
BUILTIN_FORMATS: dict[int, str] = {
    0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00",
    5: '"¥"#,##0;"¥"-#,##0', 6: '"¥"#,##0;[Red]"¥"-#,##0',
    7: '"¥"#,##0.00;"¥"-#,##0.00', 8: '"¥"#,##0.00;[Red]"¥"-#,##0.00',
    9: "0%", 10: "0.00%", 11: "0.00E+00", 12: "# ?/?", 13: "# ??/??",
    14: "yyyy/m/d", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM",
    20: "h:mm", 21: "h:mm:ss", 22: "yyyy/m/d h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)",
    45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0", 48: "##0.0E+0", 49: "@",
    **{i: "yyyy/m/d" for i in (*range(27, 37), *range(50, 59))},
}

_QUOTED = re.compile(r'"([^"]*)"')
_BRACKET = re.compile(r"\[([^\]]*)\]")
_DATE_TOKENS = re.compile(r"[yYdDhHsS]|(?<![0#?])[mM]")
_PLACEHOLDER = "0#?"


def is_general(code: str) -> bool:
    """True for formats that print a number as General does (or as text: ``@``)."""
    stripped = _BRACKET.sub("", code).strip().lower()
    return stripped in ("", "general", "@")


def is_date_format(code: str) -> bool:
    """Whether a format shows a date or time (tokens outside quotes and brackets)."""
    bare = _BRACKET.sub("", _QUOTED.sub("", code.split(";")[0])).replace("\\", "")
    return bool(_DATE_TOKENS.search(bare)) and not any(ch in bare for ch in "0#?")


def general(value: float) -> str:
    """Excel's General: integers plainly, else at most 10 significant digits, no float noise."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if value != 0 and not 1e-9 <= abs(value) < 1e15:
        return f"{value:.5E}".replace("E+0", "E+").replace("E-0", "E-")
    text = f"{value:.10g}"
    if "e" in text:  # .10g chose exponent form for a value Excel shows in full
        text = f"{value:.10f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# The formats forms use most, as (grouped, places, percent): printed with Python's float
# formatting when no decimal tie can round differently from Excel's half-away-from-zero.
_PLAIN = re.compile(r"^(#,##)?0(?:\.(0+))?(%)?$")


def display(value: float | int, code: str) -> str:
    """The text a spreadsheet shows for ``value`` under format ``code``."""
    number = float(value)
    if not math.isfinite(number):
        return ""
    plain = _plain(code)
    if plain is not None:
        grouped, places, percent = plain
        scaled = number * 100 if percent else number
        shifted = scaled * 10 ** places
        if abs(shifted) < 1e15 and abs(shifted - round(shifted)) < 1e-6:  # no tie to break
            return f"{scaled:{',' if grouped else ''}.{places}f}" + ("%" if percent else "")
    return _display(number, code)


@lru_cache(maxsize=256)
def _plain(code: str) -> tuple[bool, int, bool] | None:
    found = _PLAIN.match(code)
    if found is None:
        return None
    return bool(found[1]), len(found[2] or ""), bool(found[3])


@lru_cache(maxsize=4096)
def _display(number: float, code: str) -> str:
    if is_general(code):
        return general(number)
    if is_date_format(code):
        return _date_text(number, code)
    sections = _split_sections(code)
    section, signed = _pick_section(sections, number)
    if not any(ch in _strip_literals(section) for ch in _PLACEHOLDER):
        return _literals(section)  # a section with text only (e.g. "-" for zero)
    return _render_number(number if signed else abs(number), section)


def _split_sections(code: str) -> list[str]:
    """Sections split at ``;`` outside quotes."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in code:
        if ch == '"':
            quoted = not quoted
        if ch == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _pick_section(sections: list[str], number: float) -> tuple[str, bool]:
    """(section, whether the value keeps its sign): negatives use the second section without a minus."""
    if len(sections) >= 3 and number == 0:
        return sections[2], False
    if len(sections) >= 2 and number < 0:
        return sections[1], False
    return sections[0], True


def _strip_literals(section: str) -> str:
    return _BRACKET.sub("", _QUOTED.sub("", section))


def _tokens(section: str) -> list[tuple[str, bool]]:
    """A section as (text shown, part of the number) pieces: quoted strings, escapes and
    currency brackets (``[$¥-804]`` → ``¥``) are literal text; colours and conditions vanish."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(section):
        ch = section[i]
        if ch in '"[':
            close = '"' if ch == '"' else "]"
            end = section.find(close, i + 1)
            end = len(section) if end < 0 else end
            inner = section[i + 1:end]
            if ch == '"':
                out.append((inner, False))
            elif inner.startswith("$"):
                out.append((inner[1:].split("-", 1)[0], False))
            i = end + 1
        elif ch in "\\_*" and i + 1 < len(section):  # escaped char, space of a char's width, fill
            out.append(({"\\": section[i + 1], "_": " ", "*": ""}[ch], False))
            i += 2
        else:
            out.append((ch, ch in "0#?.,Ee+-"))
            i += 1
    return out


def _literals(section: str) -> str:
    """The text a section prints without a number (``"-"`` for zero, ``"无"`` ...)."""
    return "".join(text for text, _ in _tokens(section))


def _render_number(number: float, section: str) -> str:
    """Prefix literals + the number (decimals, thousands, percent, exponent) + suffix literals."""
    prefix, digits, suffix = _cut(section)
    scaled = number * (100 ** _strip_literals(section).count("%"))
    trailing_commas = len(digits) - len(digits.rstrip(","))
    digits = digits.rstrip(",")
    scaled /= 1000 ** trailing_commas
    if "E" in digits.upper():
        mantissa = digits.upper().split("E")[0]
        places = len(mantissa.split(".")[1]) if "." in mantissa else 0
        head, exp = f"{scaled:.{places}E}".split("E")
        return f"{prefix}{head}E{exp[0]}{int(exp[1:]):02d}{suffix}"
    if "/" in digits:  # fractions (# ?/?): the decimal General would print
        return f"{prefix}{general(scaled)}{suffix}"
    integer_part, _, fraction = digits.partition(".")
    places = len(re.sub(r"[^0#?]", "", fraction))
    rounded = Decimal(repr(scaled)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{places}f}" if "," in integer_part else f"{rounded:.{places}f}"
    if "0" not in integer_part and places and text.lstrip("-").startswith("0."):  # "#.00" prints ".50"
        text = text.replace("0.", ".", 1)
    if text.startswith("-") and prefix:  # "¥-5" is printed "-¥5"
        return f"-{prefix}{text[1:]}{suffix}"
    return f"{prefix}{text}{suffix}"


def _cut(section: str) -> tuple[str, str, str]:
    """(literal prefix, digit body, literal suffix) of a number section; ``%`` stays in the suffix."""
    tokens = _tokens(section)
    positions = [k for k, (text, number) in enumerate(tokens) if number and text in _PLACEHOLDER]
    start, end = positions[0], positions[-1] + 1
    while end < len(tokens) and tokens[end] == (",", True):  # trailing scaling commas belong to the body
        end += 1
    prefix, body, suffix = ("".join(text for text, _ in part) for part in (tokens[:start], tokens[start:end], tokens[end:]))
    return prefix, body, suffix


def _date_text(serial: float, code: str) -> str:
    """A date-formatted serial number as an ISO date (time of day kept when the format shows one)."""
    if not 0 <= serial < 2958466:  # Excel's last date is 9999-12-31
        return general(serial)
    moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
    if re.search(r"[hHsS]", _strip_literals(code)) and moment.time() != dt.time(0):
        if serial < 1:
            return moment.time().isoformat(timespec="seconds")
        return moment.isoformat(sep=" ", timespec="seconds")
    return moment.date().isoformat()
