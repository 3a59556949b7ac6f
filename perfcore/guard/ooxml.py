"""Checks for zip-based workbooks (.xlsx / .xlsm / .ods) on the compressed bytes.

The zip directory gives declared sizes (decompression bomb) without inflating
anything; then every member is inflated once, in 1 MB chunks, so the declared
sizes are verified by zipfile's CRC check and each XML part can be scanned with
bytes regexes: DTD / entity declarations, over-long text (``perfcore.guard.strings``
counts every string a cell shows: shared strings, inline strings, values), the furthest
cell of each sheet (calamine allocates the dense rectangle up to it). Formulas without a
cached value are the reader's job (perfcore.reader.formulas), which knows the cells a
form needs. Nothing is held in memory beyond one chunk per member.
"""
from __future__ import annotations

import codecs
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from perfcore.guard.limits import MB, Limits, col_letters, col_number, megabytes
from perfcore.guard.messages import ADVICE_UPLOAD, refuse, too_many_columns, too_many_rows, too_many_sheets
from perfcore.guard.strings import Strings, chars

CHUNK = 1 * MB
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_ROOT = re.compile(rb"<[A-Za-z_]")
_SST = re.compile(rb"<(?:[^\s<>/]*:)?sst[\s>/]")
_CUT_TAIL = 64 * 1024  # where to look for the last complete cell when cutting a chunk


def _greater(limit: str, alphabet: str, lead: str) -> str:
    """Regex for strings over an ordered alphabet whose value exceeds ``limit``.

    Longer strings are larger (no leading zeros in row numbers; column letters are
    bijective base 26); equal lengths compare character by character. Lets one C-level
    regex search find the first row / column beyond a limit without a Python loop per cell.
    """
    width, any_char = len(limit), f"[{alphabet[0]}-{alphabet[-1]}]"
    alternatives = [f"{lead}{any_char}{{{width},}}"]
    for i, char in enumerate(limit):
        above = alphabet.index(char) + 1
        if above < len(alphabet):
            alternatives.append(f"{limit[:i]}[{alphabet[above]}-{alphabet[-1]}]{any_char}{{{width - i - 1}}}")
    return "(?:" + "|".join(alternatives) + ")"


class _Runs:
    """Longest run of bytes without ``<``, in any part: no text node or tag beyond 4 bytes a character.

    The exact count of each string a cell shows is ``Strings``' (shared strings, inline
    strings, values); this bounds everything else cheaply.
    """

    def __init__(self, limits: Limits, file: str, where: str) -> None:
        # 4 bytes per character covers any UTF-8 text; entities (&amp;) could exceed it
        # but Excel never writes 32,767 of them.
        self.limit = limits.max_cell_chars * 4
        # Anchored on '<' so a search tries each run once (a bare [^<]{n} restarts at every byte of it).
        self.pattern = re.compile(rb"<[^<]{%d}" % self.limit)
        self.limits, self.file, self.where, self.run = limits, file, where, 0

    def feed(self, chunk: bytes, sheet: str = "") -> None:
        first = chunk.find(b"<")
        if self.run + (first if first >= 0 else len(chunk)) >= self.limit or self.pattern.search(chunk):
            raise refuse("cell_too_long", self.file, sheet, limit=self.limits.max_cell_chars, where=self.where)
        last = chunk.rfind(b"<")
        self.run = self.run + len(chunk) if last < 0 else len(chunk) - last - 1


class _Chunked:
    """Feeds an XML part to ``_scan`` in pieces that end after a complete element (``cut``).

    The tail after the last complete element waits for the next chunk, so no regex
    sees half a tag; a piece with no complete element in 4 MB is scanned as it is.
    """

    cut: re.Pattern[bytes]
    carry = b""

    def feed(self, chunk: bytes) -> None:
        piece = self.carry + chunk
        ends = list(self.cut.finditer(piece, max(0, len(piece) - _CUT_TAIL))) or (
            list(self.cut.finditer(piece)) if len(piece) <= 4 * CHUNK else []
        )
        end = ends[-1].end() if ends else len(piece)
        self.carry = piece[end:]
        self._scan(piece[:end])

    def finish(self) -> None:
        self._scan(self.carry)
        self.carry = b""

    def _scan(self, piece: bytes) -> None:
        raise NotImplementedError


class _SheetScan(_Chunked):
    """Streaming check of one worksheet part: the extent of its cells and merged ranges.

    Fast path: when every ``<row>`` and ``<c>`` carries its ``r`` reference (Excel,
    WPS, LibreOffice and openpyxl always write it), one regex search per chunk finds
    any cell with content beyond the limits (valueless styled cells are skipped, as
    calamine skips them). Tags without ``r`` take their position from the previous
    tag, so chunks holding them are walked tag by tag.
    """

    def __init__(self, sheet: str, head: bytes, limits: Limits, file: str) -> None:
        self.sheet, self.limits, self.file = sheet, limits, file
        root = re.search(rb"<(?:([\w.-]+):)?worksheet\b", head)
        p = re.escape(root[1] + b":") if root and root[1] else b""
        bad_row = _greater(str(limits.max_rows), "0123456789", "[1-9]").encode()
        bad_col = _greater(col_letters(limits.max_cols), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "[A-Z]").encode()
        # One pass finds either a tag without ``r`` (group-less match) or a cell with content
        # beyond a limit (calamine skips valueless, self-closing styled cells, and so do we).
        self.alarm = re.compile(
            b"<" + p + rb"(?:c|row)(?=[\s>/])(?![^>]*\sr=)|<" + p + rb'c\s[^>]*?\br="(?:([A-Z]{1,3})('
            + bad_row + rb")|(" + bad_col + rb')(\d+))"[^>]*(?<!/)>'
        )
        # Fast pre-check (4× cheaper than ``alarm``, two literal-prefix searches): every
        # <c>/<row> starts with ` r="` and no reference value is beyond a limit. Only a piece
        # failing it pays for ``alarm``, which then decides exactly as before.
        self.unusual = re.compile(b"<" + p + rb'(?:c|row)(?! r=")[\s>/]')
        self.beyond = re.compile(rb' r="(?:[A-Z]{1,3}' + bad_row + rb"|" + bad_col + rb'\d+)"')
        self.tag = re.compile(b"<" + p + rb"(c|row)(?=[\s>/])([^>]*)>")
        self.ref = re.compile(rb'\sr="([A-Z]{0,3})(\d+)"')
        self.cut = re.compile(b"</" + p + rb"(?:c|row|sheetData)>")
        self.merge = re.compile(b"<" + p + rb'mergeCell\s[^>]*ref="[A-Z]+\d+:([A-Z]+)(\d+)"')
        self.not_finite = re.compile(b"<" + p + rb"v>\s*[+-]?(?:nan|inf)", re.I)
        self.cell_start = re.compile(b"<" + p + rb"c(\s[^>]*)>")
        self.formula = re.compile(b"<" + p + rb"f[\s>/]")
        self.has_formulas = False  # lets the reader skip its formula-cache probe for this sheet
        self.row, self.col = 0, 0
        self.tail = b""  # end of the last piece scanned fast: where a walk would start from

    def _scan(self, piece: bytes) -> None:
        if not piece:
            return
        if not self.has_formulas and self.formula.search(piece):
            self.has_formulas = True
        plain = self.unusual.search(piece) is None and self.beyond.search(piece) is None
        hit = None if plain else self.alarm.search(piece)
        if hit is None:
            self.tail = piece[-_CUT_TAIL:]
        elif hit[1]:
            raise too_many_rows(int(hit[2]), self.limits, self.file, self.sheet, col_number(hit[1].decode()))
        elif hit[3]:
            raise too_many_columns(col_number(hit[3].decode()), int(hit[4]), self.limits, self.file, self.sheet)
        else:
            self._walk(piece)
        for merge in self.merge.finditer(piece):
            self._check(int(merge[2]), col_number(merge[1].decode()))
        for value in self.not_finite.finditer(piece):
            self._not_finite(piece, value.start())

    def _walk(self, piece: bytes) -> None:
        """Tag-by-tag positions, for parts that leave out ``r`` (rare writers)."""
        if self.tail:  # the previous piece was scanned fast: take its last position
            for tag in list(self.tag.finditer(self.tail))[-2:]:
                ref = self.ref.search(tag[2])
                if ref:
                    self.row, self.col = int(ref[2]), col_number(ref[1].decode()) if ref[1] else 0
            self.tail = b""
        for tag in self.tag.finditer(piece):
            ref = self.ref.search(tag[2])
            if tag[1] == b"row":
                self.row, self.col = (int(ref[2]) if ref else self.row + 1), 0
                continue
            if ref:
                self.row, self.col = int(ref[2]), col_number(ref[1].decode()) if ref[1] else self.col + 1
            else:
                self.col += 1
            if not tag[2].endswith(b"/"):
                self._check(self.row, self.col)

    def _not_finite(self, piece: bytes, at: int) -> None:
        """NaN / inf in a numeric cell: Excel cannot save one, and it would poison every sum."""
        cells = list(self.cell_start.finditer(piece, max(0, at - 4096), at))
        attrs = cells[-1][1] if cells else b""
        kind = re.search(rb'\st="(\w+)"', attrs)
        if kind and kind[1] != b"n":  # text that happens to read "NaN"
            return
        ref = self.ref.search(attrs)
        raise refuse("bad_number", self.file, self.sheet, (ref[1] + ref[2]).decode() if ref else "")

    def _check(self, row: int, col: int) -> None:
        if row > self.limits.max_rows:
            raise too_many_rows(row, self.limits, self.file, self.sheet, max(col, 1))
        if col > self.limits.max_cols:
            raise too_many_columns(col, row, self.limits, self.file, self.sheet)

class _OdsScan(_Chunked):
    """content.xml of an .ods: sheet count, repeated rows / cells that carry values, text per cell.

    calamine expands ``number-rows-repeated`` / ``number-columns-repeated`` when the
    repeated row or cell holds a value, so a few bytes can declare a huge grid; and it joins
    a cell's text pieces (``<text:span>``) and expands space runs (``<text:s text:c="N"/>``),
    so every cell is counted, whatever the order of its attributes.
    """

    _ROW = re.compile(
        rb"<table:table-row\b([^>]*?)(?<!/)>(.*?)</table:table-row>|<table:table-row\b([^>]*?)/>|<table:table\s", re.S
    )
    _REPEAT_ROWS = re.compile(rb'number-rows-repeated="(\d+)"')
    _CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(?:/>|>(.*?)</table:(?:covered-)?table-cell>)", re.S)
    _REPEAT_COLS = re.compile(rb'number-columns-repeated="(\d+)"')
    _SPACES = re.compile(rb"<text:s\b([^>]*?)/?>")
    _COUNT = re.compile(rb'text:c="(\d+)"')
    _BREAKS = re.compile(rb"<text:(?:tab|line-break)\b")
    _TAG = re.compile(rb"<[^>]*>")
    _STRING_VALUE = re.compile(rb'office:string-value="([^"]*)"')
    cut = re.compile(rb"</table:table-row>|<table:table-row\b[^>]*/>")

    def __init__(self, limits: Limits, file: str) -> None:
        self.limits, self.file = limits, file
        self.sheets, self.row = 0, 0

    def _scan(self, piece: bytes) -> None:
        for match in self._ROW.finditer(piece):
            if match[1] is None and match[3] is None:  # <table:table ...> starts a sheet
                self.sheets += 1
                self.row = 0
                if self.sheets > self.limits.max_sheets:
                    raise too_many_sheets(self.sheets, self.limits, self.file)
                continue
            attrs, body = (match[1], match[2]) if match[1] is not None else (match[3], b"")
            repeat = self._REPEAT_ROWS.search(attrs)
            first = self.row + 1
            self.row += int(repeat[1]) if repeat else 1
            self._cells(body, first)

    def _cells(self, body: bytes, row: int) -> None:
        where, col = f"第 {self.sheets} 个工作表", 0
        for cell in self._CELL.finditer(body):
            attrs, text = cell[1], cell[2] or b""
            repeat = self._REPEAT_COLS.search(attrs)
            start, col = col + 1, col + (int(repeat[1]) if repeat else 1)
            if b"office:value-type" not in attrs and b"<text:s" not in text and not self._TAG.sub(b"", text).strip():
                continue  # an empty cell (or empty paragraphs), however often repeated, costs calamine nothing
            if self.row > self.limits.max_rows:
                raise too_many_rows(self.row, self.limits, self.file, where, start)
            if col > self.limits.max_cols:
                raise too_many_columns(col, row, self.limits, self.file, where)
            if self._length(attrs, text) > self.limits.max_cell_chars:
                raise refuse("cell_too_long", self.file, where, f"{col_letters(start)}{row}",
                             limit=f"{self.limits.max_cell_chars:,}", where="")

    def _length(self, attrs: bytes, text: bytes) -> int:
        """Characters calamine makes of one cell: its text pieces, space runs, tabs and line breaks,
        one newline between paragraphs (or its string-value attribute, if longer)."""
        spaces = sum(int(c[1]) if (c := self._COUNT.search(m[1])) else 1 for m in self._SPACES.finditer(text))
        plain = chars(self._TAG.sub(b"", text))
        breaks = len(self._BREAKS.findall(text)) + max(text.count(b"<text:p") - 1, 0)
        value = self._STRING_VALUE.search(attrs)
        return max(plain + spaces + breaks, chars(value[1]) if value else 0)


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member inflated chunk by chunk; UTF-16 XML is re-encoded to UTF-8 for the byte regexes."""
    with zf.open(info) as handle:
        first = handle.read(CHUNK)
        if not (info.filename.lower().endswith(_XML_SUFFIXES) and first[:2] in (b"\xff\xfe", b"\xfe\xff")):
            yield first
            while chunk := handle.read(CHUNK):
                yield chunk
            return
        decoder = codecs.getincrementaldecoder("utf-16")()
        chunk = first
        while chunk:
            yield decoder.decode(chunk).encode("utf-8")
            chunk = handle.read(CHUNK)


def _check_prolog(head: bytes, more: bool, part: str, file: str) -> None:
    """A DTD (and so any entity declaration) can only sit before the root element."""
    root = _ROOT.search(head)
    prolog = head[: root.start()] if root else head
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog or (root is None and more):
        raise refuse("xml_entities", file, part=part)


def _parse(zf: zipfile.ZipFile, name: str, limits: Limits, file: str):
    """A small XML part as a tree, through defusedxml (no DTD, no entities)."""
    info = zf.getinfo(name)
    if info.file_size > limits.max_xml_part_bytes:
        raise refuse("zip_bomb", file, detail=f"{name} 声明 {megabytes(info.file_size)}")
    try:
        return safe_xml.fromstring(zf.read(name), forbid_dtd=True)
    except DefusedXmlException:
        raise refuse("xml_entities", file, part=name) from None
    except safe_xml.ParseError:
        raise refuse("truncated", file, detail=f"{name} 不是完整的 XML") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(zf: zipfile.ZipFile, names: set[str], limits: Limits, file: str) -> dict[str, str]:
    """{zip member: sheet name} from xl/workbook.xml and its relationships."""
    workbook = _parse(zf, "xl/workbook.xml", limits, file)
    sheets = [el for el in workbook.iter() if _local(el.tag) == "sheet"]
    if len(sheets) > limits.max_sheets:
        raise too_many_sheets(len(sheets), limits, file)
    targets: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in _parse(zf, "xl/_rels/workbook.xml.rels", limits, file).iter():
            if _local(rel.tag) == "Relationship" and rel.get("Id") and rel.get("Target"):
                target = rel.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
                targets[rel.get("Id", "")] = path
    parts: dict[str, str] = {}
    for sheet in sheets:
        rid = next((value for key, value in sheet.attrib.items() if _local(key) == "id"), "")
        path = targets.get(rid, "")
        if path in names:
            parts[path] = sheet.get("name", path)
        elif path:
            raise refuse("truncated", file, detail=f"工作表“{sheet.get('name', '')}”的数据缺失")
    return parts


def _kind(zf: zipfile.ZipFile, names: set[str], file: str) -> str:
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
        if zf.read("mimetype").strip() == _ODS_MIME:
            return "ods"
        raise _foreign("OpenDocument 文档（不是表格）", file)
    if "xl/workbook.bin" in names:
        raise refuse("unsupported_format", file)
    if "word/document.xml" in names:
        raise _foreign("Word 文档", file)
    if "ppt/presentation.xml" in names:
        raise _foreign("PowerPoint 演示文稿", file)
    if any(name.startswith("xl/") for name in names):
        raise refuse("truncated", file, detail="缺少 xl/workbook.xml")
    raise _foreign("普通 zip 压缩包", file)


def _foreign(what: str, file: str) -> Exception:
    return refuse("not_a_workbook", file, what=what, advice=ADVICE_UPLOAD)


def inspect_zip(data: bytes, limits: Limits, file: str) -> tuple[str, int, frozenset[str]]:
    """('xlsx' | 'ods', sheet count, names of sheets holding formulas), or ReadError."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise refuse("truncated", file, detail="压缩包目录缺失，文件可能只下载或复制了一部分") from None
    if len(infos) > limits.max_members:
        raise refuse("zip_bomb", file, detail=f"含 {len(infos)} 个内部文件，上限 {limits.max_members}")
    seen: set[str] = set()
    for info in infos:  # a reader takes one copy, the guard may have checked the other
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            raise refuse("zip_duplicate", file, part=info.filename)
        seen.add(key)
    declared = sum(info.file_size for info in infos)
    if declared > limits.max_uncompressed_bytes:
        limit = megabytes(limits.max_uncompressed_bytes)
        raise refuse("zip_bomb", file, detail=f"声明解压后 {megabytes(declared)}，上限 {limit}")
    for info in infos:
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise refuse("zip_bomb", file, detail=f"{info.filename} 压缩比 {ratio}:1，上限 {limits.max_ratio}:1")
    if any(info.flag_bits & 1 for info in infos):
        raise refuse("encrypted", file)
    names = {info.filename for info in infos}
    kind = _kind(zf, names, file)
    sheets = _sheet_parts(zf, names, limits, file) if kind == "xlsx" else {}
    ods = _OdsScan(limits, file) if kind == "ods" else None
    formula_sheets: set[str] = set()
    try:
        for info in infos:
            scan = _scan_member(zf, info, sheets, ods, limits, file)
            if isinstance(scan, _SheetScan) and scan.has_formulas:
                formula_sheets.add(scan.sheet)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise refuse("truncated", file, detail="压缩数据校验失败") from None
    except NotImplementedError:
        raise refuse("truncated", file, detail="使用了 Excel 不支持的压缩方式") from None
    return kind, len(sheets) if kind == "xlsx" else ods.sheets if ods else 0, frozenset(formula_sheets)


def _scan_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    sheets: dict[str, str],
    ods: _OdsScan | None,
    limits: Limits,
    file: str,
) -> _SheetScan | _OdsScan | None:
    """Inflate one member (verifying its size and CRC); XML parts get the text checks (the scan is returned)."""
    is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
    sheet = sheets.get(info.filename)
    runs = _Runs(limits, file, f"内部文件 {info.filename} 里")
    scan: _SheetScan | _OdsScan | None = None
    strings: Strings | None = None
    for index, chunk in enumerate(_chunks(zf, info)):
        if not is_xml:
            continue
        if index == 0:
            _check_prolog(chunk, len(chunk) >= CHUNK, info.filename, file)
            if sheet is not None:
                scan = _SheetScan(sheet, chunk, limits, file)
            elif ods is not None and info.filename == "content.xml":
                scan = ods
            strings = _strings(info, chunk, sheet, limits, file)
            if strings is not None:
                runs.where = strings.where
        runs.feed(chunk, sheet or "")
        if scan is not None:
            scan.feed(chunk)
        if strings is not None:
            strings.feed(chunk)
    if scan is not None:
        scan.finish()
    if strings is not None:
        strings.finish()
    return scan


def _strings(info: zipfile.ZipInfo, head: bytes, sheet: str | None, limits: Limits, file: str) -> Strings | None:
    """The string-length check for a part whose strings become cells: the shared strings (calamine
    reads xl/sharedStrings.xml, in any letter case; any part whose root is <sst> is counted too) and
    each sheet. A part no longer than the limit in bytes cannot hold a longer string: none."""
    if info.file_size <= limits.max_cell_chars:
        return None
    if sheet is not None:
        return Strings(b"is", True, limits, file, f"内部文件 {info.filename} 里", sheet)
    root = _ROOT.search(head)
    if (posixpath.basename(info.filename.replace("\\", "/")).lower() == "sharedstrings.xml"
            or (root is not None and _SST.match(head, root.start()))):
        return Strings(b"si", False, limits, file, f"共享字符串表（内部文件 {info.filename}）里")
    return None
