"""Resource limits for untrusted workbooks.

Why these numbers: a self-evaluation form is about 40 rows × 9 columns and 20–50 KB
of sheet XML, so the defaults leave room for hundreds of forms in one workbook while
keeping the worst case a parser can be pushed into (dense cell grid, decompressed
XML) to a few hundred MB. Every limit is checked on the raw bytes before parsing.
"""
from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one uploaded file. Frozen: pass a modified copy, never mutate."""

    max_file_bytes: int = 20 * MB           # the upload itself (Streamlit's limit should match)
    max_uncompressed_bytes: int = 100 * MB  # sum of declared zip member sizes (≈ 2,000 forms of XML)
    max_ratio: int = 200                    # per zip member; real sheet XML compresses 5–50×
    ratio_floor_bytes: int = 1 * MB         # members smaller than this may have any ratio
    max_members: int = 2_000                # zip entries (a 200-sheet workbook has ~600)
    max_sheets: int = 200
    max_rows: int = 20_000                  # per sheet: ≈ 500 forms stacked in one sheet
    max_cols: int = 200                     # per sheet: the standard layout uses 9 (A..I)
    max_cell_chars: int = 32_767            # Excel's own limit for one cell
    max_xml_part_bytes: int = 16 * MB       # workbook.xml / rels parsed as a tree
    max_amount_yuan: float = 1e13           # 10 万亿元: above any project budget, below float trouble
    max_number: float = 1e15                # any other number a form holds (分值, 得分, 指标值): Decimal-safe
    max_formula_depth: int = 1_000          # formulas referring to formulas, uncalculated (a form needs 3)
    # One worker process reading one file: a form reads in ~0.2 s and ~100 MB of memory beyond
    # what the interpreter and its libraries hold; these bound a hostile one (the memory is
    # writable memory a worker may add to what it holds when it starts: RLIMIT_DATA).
    worker_memory_bytes: int = 2048 * MB
    worker_seconds: int = 120


DEFAULT_LIMITS = Limits()


def col_letters(index: int) -> str:
    """1-based column number to letters: 1 → A, 27 → AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def col_number(letters: str) -> int:
    """Column letters to 1-based number: A → 1, AA → 27."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"
