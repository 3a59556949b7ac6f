"""What a file really is, from its first bytes (never from its name).

Staff upload PDFs, CSV exports and web pages saved as ``.xls``; naming the real
type in the error tells them what to do instead of "file is damaged".
"""
from __future__ import annotations

import re

ZIP = "zip"
OLE2 = "ole2"

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    # (prefix, kind, description used in "看起来是…")
    (b"PK\x03\x04", ZIP, "zip 压缩包"),
    (b"PK\x05\x06", ZIP, "空的 zip 压缩包"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE2, "Office 97-2003 文件"),
    (b"%PDF", "pdf", "PDF 文件"),
    (b"\x89PNG\r\n\x1a\n", "image", "PNG 图片"),
    (b"\xff\xd8\xff", "image", "JPEG 图片"),
    (b"GIF8", "image", "GIF 图片"),
    (b"Rar!\x1a\x07", "archive", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "archive", "7z 压缩包"),
    (b"\x1f\x8b", "archive", "gzip 压缩包"),
    (b"{\\rtf", "rtf", "RTF 文档"),
)

_HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|table|meta|style)\b", re.IGNORECASE)
_XML_SPREADSHEET = re.compile(rb"urn:schemas-microsoft-com:office:spreadsheet", re.IGNORECASE)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _as_text(head: bytes) -> str | None:
    """The head decoded as text when it plausibly is text (UTF-8, UTF-16 or GB18030), else None."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(codec, errors="ignore")
    for codec in ("utf-8", "gb18030"):
        try:
            text = head.decode(codec)
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # only a character cut at the end is forgiven
                continue
            text = head[: exc.start].decode(codec)
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
        if controls <= len(text) // 100:
            return text
    return None


def sniff(data: bytes) -> tuple[str, str]:
    """(kind, Chinese description). Kinds: empty, zip, ole2, pdf, html, xml_2003, text,
    image, archive, rtf, binary. Looks at the first 4 KB only."""
    if not data:
        return "empty", "空文件"
    for prefix, kind, what in _MAGIC:
        if data.startswith(prefix):
            return kind, what
    head = data[:4096]
    text = _as_text(head)
    if text is None:
        return "binary", "无法识别的二进制文件"
    lowered = text.lstrip("\ufeff \t\r\n").encode("utf-8", errors="ignore")
    if _XML_SPREADSHEET.search(lowered):
        return "xml_2003", "Excel 2003 XML 表格"
    if _HTML.search(lowered[:2048]):
        return "html", "网页（HTML）文件，常见于业务系统导出的“.xls”"
    if not text.strip():
        return "text", "只有空白字符的文本文件"
    first = text.splitlines()[0] if text.splitlines() else ""
    if first.count(",") + first.count("\t") + first.count("，") >= 1:
        return "text", "CSV 或文本文件"
    return "text", "文本文件"


def advice(kind: str) -> str:
    """What the user should do for a non-workbook kind."""
    if kind in ("html", "xml_2003", "text"):
        return "请用 Excel 或 WPS 打开它，另存为 .xlsx 格式后再上传"
    return "请上传 .xlsx 或 .xls 格式的自评表"
