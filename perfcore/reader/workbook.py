"""Bytes or a path → an open calamine workbook, or a ReadError the user can act on.

The file kind (renamed, encrypted, empty, damaged uploads) is told by ``perfcore.guard``
before anything reaches calamine; what calamine still rejects is mapped to a Chinese
message here instead of a library error.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
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


# Error values calamine reads (as a blank cell); any other (#SPILL!, #CALC!, #FIELD! … of newer
# Excel) makes it refuse the whole sheet.
_KNOWN_ERRORS = (b"#DIV/0!", b"#N/A", b"#NAME?", b"#NULL!", b"#NUM!", b"#REF!", b"#VALUE!", b"#GETTING_DATA")
_ERROR_CELL = re.compile(
    rb'(<(?:\w+:)?c\b[^>]*?\bt=")e("[^>]*(?<!/)>(?:(?!</(?:\w+:)?c>).)*?<(?:\w+:)?v>\s*)(#[^<]*?)(\s*<)', re.S
)


def readable_errors(data: bytes) -> bytes:
    """The .xlsx with cached error values calamine does not know stored as the text a person sees
    ("#SPILL!"), so one such cell no longer costs its whole sheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            sheets = [i for i in book.infolist() if i.filename.startswith("xl/worksheets/")]
            changed = {}
            for info in sheets:
                xml = book.read(info)
                if b't="e"' in xml:
                    fixed = _ERROR_CELL.sub(_as_text, xml)
                    if fixed != xml:
                        changed[info.filename] = fixed
            if not changed:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
                for info in book.infolist():
                    copy.writestr(info, changed.get(info.filename) or book.read(info), zipfile.ZIP_DEFLATED)
            return out.getvalue()
    except (zipfile.BadZipFile, OSError, RuntimeError):
        return data


def _as_text(cell: re.Match[bytes]) -> bytes:
    if cell[3].strip() in _KNOWN_ERRORS:
        return cell[0]
    return cell[1] + b"str" + cell[2] + cell[3] + cell[4]


def open_book(data: bytes, name: str) -> CalamineWorkbook:
    """Open bytes that passed ``guard.inspect`` with calamine."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(readable_errors(data) if data[:2] == b"PK" else data))
    except PasswordError:
        raise read_error("encrypted", name) from None
    except (ZipError, XmlError):
        raise refuse("truncated", name, detail="文件结构无法解析") from None
    except CalamineError:
        raise read_error("not_a_workbook", name) from None
