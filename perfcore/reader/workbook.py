"""Bytes or a path → an open calamine workbook, or a ReadError the user can act on.

The file kind (renamed, encrypted, empty, damaged uploads) is told by ``perfcore.guard``
before anything reaches calamine; what calamine still rejects is mapped to a Chinese
message here instead of a library error.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

from perfcore import guard
from perfcore.errors import ReadError
from perfcore.guard.messages import refuse

MESSAGES = {
    "file_not_found": "找不到文件或无法打开",
    "not_a_workbook": "不是 Excel 工作簿（支持 .xlsx、.xlsm、.xls、.ods），或文件已损坏",
    "encrypted": "工作簿设有打开密码，请在 Excel 中取消密码后再上传",
    "empty_workbook": "工作簿是空的，没有任何内容",
    "no_form": "没有找到财政项目支出绩效自评表（未找到“项目名称”或“财政项目支出绩效自评表”标题）",
    "formula_no_cache": "公式没有计算结果，公式引擎也无法计算，请在 Excel 中打开并保存后再上传",
    "unreadable": "读取时出错，文件可能已损坏",
}


def read_error(code: str, file: str, sheet: str = "", cell: str = "", detail: str = "") -> ReadError:
    """A ReadError with the standard Chinese message for ``code``."""
    message = MESSAGES[code] + (f"（{detail}）" if detail else "")
    return ReadError(code, message, file=file, sheet=sheet, cell=cell)


def load_source(source: bytes | str | os.PathLike, filename: str | None) -> tuple[str, bytes]:
    """The display name and the bytes of an upload or a path; ReadError when a path cannot be read."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return filename or "上传文件", bytes(source)
    path = Path(source)
    name = filename or path.name
    try:
        return name, guard.load_path(path, name=name)  # size checked before reading
    except OSError as exc:
        raise read_error("file_not_found", name, detail=exc.strerror or "") from None


def open_book(data: bytes, name: str) -> CalamineWorkbook:
    """Open bytes that passed ``guard.inspect`` with calamine."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise read_error("encrypted", name) from None
    except (ZipError, XmlError):
        raise refuse("truncated", name, detail="文件结构无法解析") from None
    except CalamineError:
        raise read_error("not_a_workbook", name) from None
