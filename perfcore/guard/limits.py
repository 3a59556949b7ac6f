"""Resource limits for untrusted workbooks and the Chinese errors raised when one is exceeded.

Why these numbers: a self-evaluation form is about 40 rows × 9 columns and 20–50 KB
of sheet XML, so the defaults leave room for hundreds of forms in one workbook while
keeping the worst case a parser can be pushed into (dense cell grid, decompressed
XML) to a few hundred MB. Every limit is checked on the raw bytes before parsing.
"""
from __future__ import annotations

from dataclasses import dataclass

from perfcore.errors import ReadError

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


DEFAULT_LIMITS = Limits()


def fail(code: str, message: str, file: str = "", sheet: str = "", cell: str = "") -> ReadError:
    """A ReadError for the guard; one place so every message names the file the same way."""
    return ReadError(code=code, message=message, file=file, sheet=sheet, cell=cell)


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


def too_large(size: int, limits: Limits, file: str) -> ReadError:
    return fail(
        "too_large",
        f"文件大小 {megabytes(size)}，超过上限 {megabytes(limits.max_file_bytes)}；"
        "请删除与自评表无关的工作表、图片，或拆分成几个文件后上传",
        file,
    )


def too_many_sheets(count: int, limits: Limits, file: str) -> ReadError:
    return fail(
        "too_many_sheets",
        f"工作簿有 {count} 个工作表，超过上限 {limits.max_sheets} 个；请拆分成几个文件后上传",
        file,
    )


def too_many_rows(row: int, limits: Limits, file: str, sheet: str) -> ReadError:
    return fail(
        "too_many_rows",
        f"工作表第 {row} 行仍有内容，超过上限 {limits.max_rows} 行；"
        "请删除多余的行（包括格式化过的空行），或把表格拆分到几个工作表 / 文件后上传",
        file,
        sheet,
        f"A{row}",
    )


def too_many_columns(col: int, row: int, limits: Limits, file: str, sheet: str) -> ReadError:
    return fail(
        "too_many_columns",
        f"工作表第 {col_letters(col)} 列（第 {col} 列）仍有内容，超过上限 {limits.max_cols} 列；"
        "自评表只用 A 到 I 列，请删除多余的列后上传",
        file,
        sheet,
        f"{col_letters(col)}{row}" if row else "",
    )


def truncated(detail: str, file: str, sheet: str = "") -> ReadError:
    return fail("truncated", f"文件已损坏或不完整（{detail}），请重新导出或从原始来源重新下载后上传", file, sheet)


def encrypted(file: str) -> ReadError:
    return fail(
        "encrypted",
        "工作簿设置了打开密码，请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后再上传",
        file,
    )


def not_a_workbook(what: str, advice: str, file: str) -> ReadError:
    return fail("not_a_workbook", f"文件不是 Excel 工作簿（看起来是{what}），{advice}", file)
