"""Generate tests/fixtures/hostile/: uploads that must fail cleanly (or read correctly), with a manifest.

Each case is a file plus its exact expected outcome in manifest.json:
``expect_code`` (the ReadError code read_workbook must return) or ``expect_forms``
(how many forms it must read), and ``why``. Bombs are crafted by hand so the corpus
stays small (a few hundred KB in all) and the script runs in seconds.
Deterministic: zip timestamps and document properties are fixed, so re-running it
changes no committed byte.

    python scripts/make_hostile_corpus.py [out_dir]
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import json
import random
import re
import struct
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import xlwt
from openpyxl.chart import BarChart, Reference

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfcore.samples import load_seed_forms  # noqa: E402
from perfcore.writer import write_forms  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "hostile"
EPOCH = (1980, 1, 1, 0, 0, 0)
FIXED_TIME = dt.datetime(2021, 1, 1)

CT_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CT_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# --- helpers ------------------------------------------------------------------------------


def normalise(data: bytes) -> bytes:
    """Re-pack a zip with fixed timestamps and maximum compression (stable, small fixtures)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _fixed_core(body)
            dst.writestr(zipfile.ZipInfo(info.filename, EPOCH), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _fixed_core(body: bytes) -> bytes:
    return re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2021-01-01T00:00:00Z", body)


def patch(data: bytes, member: str, edit: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one zip member rewritten by ``edit``."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, edit(body) if info.filename == member else body)
    return normalise(out.getvalue())


def replace(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def edit(body: bytes) -> bytes:
        assert old in body, old
        return body.replace(old, new, 1)

    return edit


def save(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.save(buf)
    return normalise(buf.getvalue())


def seed_forms():
    return load_seed_forms()


def form_workbook(forms=None, layout: str = "sheets") -> bytes:
    """The standard layout written by perfcore.writer (the reader's own contract)."""
    buf = io.BytesIO()
    write_forms(forms if forms is not None else seed_forms()[:1], buf, layout=layout)
    return normalise(buf.getvalue())


def edited_form(edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]) -> bytes:
    """One seed form with cells changed through openpyxl."""
    wb = openpyxl.load_workbook(io.BytesIO(form_workbook()))
    edit(wb.worksheets[0])
    return save(wb)


def sheet_xml(rows: Iterator[bytes] | list[bytes], extra: bytes = b"") -> Iterator[bytes]:
    yield f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{CT_MAIN}">'.encode()
    yield b"<sheetData>"
    yield from rows
    yield b"</sheetData>" + extra + b"</worksheet>"


def package(sheets: list[tuple[str, Iterator[bytes] | bytes]], workbook_prolog: bytes = b"") -> bytes:
    """A minimal valid .xlsx written by hand; sheet XML may be streamed (bombs)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", EPOCH), (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.sheet.main+xml"/>{overrides}</Types>'))
        z.writestr(zipfile.ZipInfo("_rels/.rels", EPOCH), (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        entries = "".join(
            f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>' for i, (name, _) in enumerate(sheets, start=1)
        )
        z.writestr(zipfile.ZipInfo("xl/workbook.xml", EPOCH), workbook_prolog + (
            f'<workbook xmlns="{CT_MAIN}" xmlns:r="{CT_REL}"><sheets>{entries}</sheets></workbook>').encode())
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{CT_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        z.writestr(zipfile.ZipInfo("xl/_rels/workbook.xml.rels", EPOCH), (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            f'package/2006/relationships">{rels}</Relationships>'))
        for i, (_, body) in enumerate(sheets, start=1):
            info = zipfile.ZipInfo(f"xl/worksheets/sheet{i}.xml", EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=not isinstance(body, bytes)) as handle:
                for part in [body] if isinstance(body, bytes) else body:
                    handle.write(part)
    return out.getvalue()


def shared_strings(data: bytes, edit: Callable[[list[bytes]], None] | None = None) -> bytes:
    """The workbook with every inline string moved to xl/sharedStrings.xml, as Excel saves text.

    ``edit`` may change the list of ``<si>`` bodies (in order of first use) before it is written.
    """
    src = zipfile.ZipFile(io.BytesIO(data))
    items: list[bytes] = []
    index: dict[bytes, int] = {}

    def to_shared(cell: re.Match) -> bytes:
        body = cell[3]
        if body not in index:
            index[body] = len(items)
            items.append(body)
        return b'<c %st="s"%s><v>%d</v></c>' % (cell[1], cell[2], index[body])

    sheets = {info.filename: re.sub(rb'<c ([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', to_shared,
                                    src.read(info.filename), flags=re.S)
              for info in src.infolist() if info.filename.startswith("xl/worksheets/sheet")}
    if edit is not None:
        edit(items)
    sst = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{CT_MAIN}" count="{len(items)}" '
           f'uniqueCount="{len(items)}">').encode() + b"".join(b"<si>" + item + b"</si>" for item in items) + b"</sst>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            body = sheets.get(info.filename) or src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", f'<Relationship Type="{CT_REL}/sharedStrings" '
                                    'Target="sharedStrings.xml" Id="rIdStrings" /></Relationships>'.encode())
            dst.writestr(zipfile.ZipInfo(info.filename, EPOCH), body, zipfile.ZIP_DEFLATED)
        dst.writestr(zipfile.ZipInfo("xl/sharedStrings.xml", EPOCH), sst, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def cjk_text(count: int, seed: int, alphabet: int = 20_000, run: int = 1) -> str:
    """``count`` pseudo-random CJK characters from the first ``alphabet`` of U+4E00…, repeated in runs of
    1..``run``: text that compresses like text (a million copies of one character would be a zip bomb
    to the ratio check first, and never reach the string checks)."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        out.extend(chr(0x4E00 + rng.randrange(alphabet)) * rng.randint(1, run))
    return "".join(out[:count])


def rich_runs(text: str, size: int) -> bytes:
    """``text`` as rich-text runs of ``size`` characters: ``<r><t>…</t></r>``…, as a shared or inline string."""
    return b"".join(b"<r><t>%s</t></r>" % text[i : i + size].encode() for i in range(0, len(text), size))


def compound(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors) holding ``streams``.

    Every stream is padded to ≥ 4096 bytes so it lives in regular sectors (no mini stream).
    """
    end, free, fatsect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    bodies = {name: data.ljust(4096, b"\0") for name, data in streams.items()}
    sectors: list[bytes] = []
    fat: list[int] = []
    starts = {}
    for name, data in bodies.items():
        count = (len(data) + 511) // 512
        starts[name] = len(sectors)
        for i in range(count):
            sectors.append(data[i * 512 : (i + 1) * 512].ljust(512, b"\0"))
            fat.append(len(sectors) if i < count - 1 else end)
    names = sorted(bodies, key=lambda n: (len(n), n.upper()))

    def entry(name: str, kind: int, start: int, size: int, child: int = free, right: int = free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBBIII", len(raw), kind, 1, free, right, child)
                + b"\0" * 16 + struct.pack("<IQQIQ", 0, 0, 0, start, size))

    directory = entry("Root Entry", 5, end, 0, child=1)
    for i, name in enumerate(names, start=1):
        directory += entry(name, 2, starts[name], len(bodies[name]), right=i + 1 if i < len(names) else free)
    directory = directory.ljust(((len(directory) + 511) // 512) * 512, b"\0")
    dir_start = len(sectors)
    for i in range(len(directory) // 512):
        sectors.append(directory[i * 512 : (i + 1) * 512])
        fat.append(len(sectors) if i < len(directory) // 512 - 1 else end)
    fat_start = len(sectors)
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * 128:
        n_fat += 1
    fat.extend([fatsect] * n_fat)
    fat.extend([free] * (n_fat * 128 - len(fat)))
    table = struct.pack(f"<{len(fat)}I", *fat)
    sectors.extend(table[i * 512 : (i + 1) * 512] for i in range(n_fat))
    difat = [fat_start + i for i in range(n_fat)] + [free] * (109 - n_fat)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
              + b"\0" * 6 + struct.pack("<IIIIIIIII", 0, n_fat, dir_start, 0, 4096, end, 0, end, 0)
              + struct.pack("<109I", *difat))
    return header + b"".join(sectors)


def repeated(unit: bytes, total: int) -> Iterator[bytes]:
    """``unit`` repeated to ``total`` bytes, in 1 MB pieces (never all in memory)."""
    block = unit * (1024 * 1024 // len(unit))
    for _ in range(total // len(block)):
        yield block


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>\n")


# Cases that, without the guard, make a parser allocate gigabytes or run for minutes (far_cell.xlsx
# aborts the interpreter): tests run them in a child process under a memory limit.
ISOLATE = frozenset({
    "zip_bomb.xlsx", "zip_ratio.xlsx", "declared_4gb.xlsx", "entity_bomb_workbook.xlsx", "entity_bomb_sheet.xlsx",
    "rows_100k.xlsx", "cols_5000.xlsx", "far_cell.xlsx", "merge_huge.xlsx", "no_refs_wide.xlsx", "sheets_500.xlsx",
    "cell_1mb.xlsx", "xls_far_cell.xls", "formula_string_bomb.xlsx", "formula_whole_column.xlsx",
    "ods_columns_repeated.ods", "ods_space_run.ods",
})
# Cases the guard cannot see coming (a defined name hides the growth): only the worker process's
# limits stop them, so tests read them through perfcore.ingest, never in their own process.
WORKER = frozenset({"formula_name_bomb.xlsx"})


# --- cases --------------------------------------------------------------------------------


def cases() -> Iterator[tuple[str, bytes, dict]]:
    """(file name, bytes, expectation) for every case."""
    valid = form_workbook()

    # -- not a workbook at all
    yield "empty.xlsx", b"", {"expect_code": "empty_file", "why": "0 字节文件"}
    yield "random_bytes.xlsx", bytes((i * 73 + 41) % 256 for i in range(3000)), {
        "expect_code": "not_a_workbook", "why": "不是 zip 也不是 OLE2：无法识别的二进制"}
    yield "csv_renamed.xlsx", "项目名称,全年预算数,全年执行数\n业务培训,7980,7980\n".encode("gbk"), {
        "expect_code": "not_a_workbook", "why": "GBK 编码的 CSV 改了扩展名"}
    yield "unicode_text.xls", "项目名称\t全年预算数\n业务培训\t7980\n".encode("utf-16"), {
        "expect_code": "not_a_workbook", "why": "Excel“Unicode 文本”（UTF-16 制表符分隔）存成 .xls"}
    yield "pdf_renamed.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", {
        "expect_code": "not_a_workbook", "why": "PDF 改了扩展名"}
    yield "html_renamed.xls", ("<html><head><meta charset='utf-8'></head><body><table><tr><td>项目名称</td>"
                               "<td>业务培训</td></tr></table></body></html>").encode(), {
        "expect_code": "not_a_workbook", "why": "业务系统导出的网页表格，扩展名 .xls"}
    yield "spreadsheet_2003.xml.xls", (
        b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook '
        b'xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"/></Workbook>'), {
        "expect_code": "not_a_workbook", "why": "Excel 2003 XML 表格"}
    yield "png_renamed.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, {
        "expect_code": "not_a_workbook", "why": "截图改了扩展名"}
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", EPOCH), "<Types/>")
        z.writestr(zipfile.ZipInfo("word/document.xml", EPOCH), "<w:document/>")
    yield "docx_renamed.xlsx", docx.getvalue(), {"expect_code": "not_a_workbook", "why": "Word 文档改了扩展名"}
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as z:
        z.writestr(zipfile.ZipInfo("自评表/说明.txt", EPOCH), "见附件")
    yield "plain_zip.xlsx", plain.getvalue(), {"expect_code": "not_a_workbook", "why": "普通 zip 压缩包"}
    yield "word97.xls", compound({"WordDocument": b"\xec\xa5" + b"\0" * 100}), {
        "expect_code": "not_a_workbook", "why": "Word 97-2003 文档改成 .xls"}

    # -- damaged or locked
    yield "truncated.xlsx", valid[: len(valid) // 2], {
        "expect_code": "truncated", "why": "只下载了一半：zip 中央目录缺失"}
    legacy = io.BytesIO()
    book = xlwt.Workbook()
    book.add_sheet("表1").write(0, 0, "财政项目支出绩效自评表")
    book.save(legacy)
    yield "truncated.xls", legacy.getvalue()[:1536], {"expect_code": "truncated", "why": "截断的 .xls"}
    yield "lying_sizes.xlsx", _lying_sizes(valid), {
        "expect_code": "truncated", "why": "zip 目录声明的解压大小小于真实数据（CRC 校验失败）"}
    yield "encrypted.xlsx", compound({
        "EncryptionInfo": struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>",
        "EncryptedPackage": struct.pack("<Q", 9000) + bytes((i * 31) % 251 for i in range(9000)),
    }), {"expect_code": "encrypted", "why": "设置了打开密码的 .xlsx（OLE2 容器里的 EncryptionInfo + EncryptedPackage）"}

    # -- bombs
    yield "zip_bomb.xlsx", package([("Sheet1", sheet_xml(repeated(b"<row/>", 300 * 1024 * 1024)))]), {
        "expect_code": "zip_bomb", "why": "几百 KB 的文件解压出 300 MB 的工作表 XML"}
    yield "zip_ratio.xlsx", package([("Sheet1", sheet_xml(repeated(b"<row/>", 48 * 1024 * 1024)))]), {
        "expect_code": "zip_bomb", "why": "总量在上限内，但单个部件压缩比超过 200:1"}
    yield "declared_4gb.xlsx", _declared_size(valid, 0xF0000000), {
        "expect_code": "zip_bomb", "why": "zip 目录声明工作表解压后近 4 GB"}
    yield "entity_bomb_workbook.xlsx", package([("Sheet1", b"")], workbook_prolog=LAUGHS), {
        "expect_code": "xml_entities", "why": "billion laughs：workbook.xml 里的嵌套实体"}
    laughs_sheet = LAUGHS + f'<worksheet xmlns="{CT_MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr">'.encode() \
        + b"<is><t>&lol9;</t></is></c></row></sheetData></worksheet>"
    yield "entity_bomb_sheet.xlsx", package([("Sheet1", laughs_sheet)]), {
        "expect_code": "xml_entities", "why": "billion laughs：工作表 XML 里的嵌套实体"}
    yield "xxe_external_entity.xlsx", _xxe(valid), {
        "expect_code": "xml_entities", "why": "外部实体（XXE）读取 /etc/passwd"}

    # -- too big for a form
    yield "rows_100k.xlsx", package([("Sheet1", sheet_xml(
        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (r, r) for r in range(1, 100_001)))]), {
        "expect_code": "too_many_rows", "why": "10 万行数据"}
    yield "cols_5000.xlsx", package([("Sheet1", sheet_xml([b'<row r="1">' + b"".join(
        b'<c r="%s1"><v>%d</v></c>' % (_letters(c).encode(), c) for c in range(1, 5001)) + b"</row>"]))]), {
        "expect_code": "too_many_columns", "why": "5000 列数据"}
    yield "far_cell.xlsx", package([("Sheet1", sheet_xml([
        b'<row r="1"><c r="A1"><v>1</v></c></row>',
        b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>']))]), {
        "expect_code": "too_many_rows", "why": "两个单元格 A1 与 XFD1048576：解析器会分配 170 亿格的矩阵"}
    yield "merge_huge.xlsx", package([("Sheet1", sheet_xml(
        [b'<row r="1"><c r="A1"><v>1</v></c></row>'],
        b'<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>'))]), {
        "expect_code": "too_many_rows", "why": "合并单元格 A1:XFD1048576"}
    yield "no_refs_wide.xlsx", package([("Sheet1", sheet_xml(
        [b"<row>" + b"<c><v>1</v></c>" * 300 + b"</row>"]))]), {
        "expect_code": "too_many_columns", "why": "单元格不写 r 引用（位置靠顺序推算）也要算出 300 列"}
    yield "sheets_500.xlsx", package([(f"表{i}", sheet_xml([b'<row r="1"><c r="A1"><v>1</v></c></row>']))
                                      for i in range(1, 501)]), {
        "expect_code": "too_many_sheets", "why": "500 个工作表"}
    long_text = '<row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row>'.format("长" * 340_000)
    yield "cell_1mb.xlsx", package([("Sheet1", sheet_xml([long_text.encode()]))]), {
        "expect_code": "cell_too_long", "why": "一个单元格约 1 MB 文字（34 万字，Excel 上限 32767；openpyxl 会截断，故手工写）"}
    # Text over the cell limit that no run of bytes gives away: the shared strings (the 2-million-character
    # project name of issue 10 in one <t>, and split into rich-text runs), a string of 40,000 one-byte
    # characters (under the 4-bytes-a-character bound on a run), rich-text runs in an inline string.
    name = "深化“一网通办”专项费用".encode()

    def project(body: bytes) -> Callable[[list[bytes]], None]:
        def edit(items: list[bytes]) -> None:
            items[items.index(b"<t>" + name + b"</t>")] = body
        return edit

    long_name = cjk_text(2_000_000, seed=10, alphabet=8, run=40)
    yield "shared_name_2m.xlsx", shared_strings(valid, project(b"<t>%s</t>" % long_name.encode())), {
        "expect_code": "cell_too_long",
        "why": "issue 10：自评表的项目名称是 200 万个汉字，存在共享字符串表 xl/sharedStrings.xml 里"}
    yield "shared_name_2m_runs.xlsx", shared_strings(valid, project(rich_runs(long_name, 1000))), {
        "expect_code": "cell_too_long",
        "why": "同一个 200 万字的项目名称拆成 2000 段富文本（每段 1000 字），每段都不长"}
    letters = random.Random(11)
    ascii_name = "".join(letters.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(40_000))
    yield "shared_40k_ascii.xlsx", shared_strings(valid, project(b"<t>%s</t>" % ascii_name.encode())), {
        "expect_code": "cell_too_long", "why": "共享字符串里 4 万个英文字母（超过 32767 字，但不足 4 字节一字的上限）"}
    yield "inline_runs_40k.xlsx", patch(valid, "xl/worksheets/sheet1.xml", replace(
        b"<is><t>" + name + b"</t></is>", b"<is>" + rich_runs(cjk_text(40_000, seed=12), 1000) + b"</is>")), {
        "expect_code": "cell_too_long", "expect_cell": "B3", "why": "工作表内联字符串的 40 段富文本共 4 万字（项目名称 B3）"}
    legacy = io.BytesIO()
    book = xlwt.Workbook()
    book.add_sheet("表1").write(30_000, 1, 1.0)
    book.save(legacy)
    yield "xls_far_cell.xls", legacy.getvalue(), {"expect_code": "too_many_rows", "why": ".xls 第 30001 行有数值"}

    # -- workbooks without a form
    wb = openpyxl.Workbook()
    yield "empty_workbook.xlsx", save(wb), {"expect_code": "empty_workbook", "why": "工作簿没有任何单元格"}
    yield "chart_only.xlsx", _chart_only(), {"expect_code": "empty_workbook", "why": "只有一张图表工作表（数据表为空）"}
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "本文件为说明，不含自评表"
    yield "no_form.xlsx", save(wb), {"expect_code": "no_form", "why": "有内容但不是自评表"}
    yield "formula_no_cache.xlsx", edited_form(_formulas), {
        "expect_code": "formula_no_cache", "why": "程序写入的公式从未计算保存，其中一个（未知函数）公式引擎也无法计算"}

    # -- controls: valid files must read
    yield "valid_form.xlsx", valid, {"expect_forms": 1, "why": "对照：标准格式的自评表"}
    yield "xlsx_named.xls", valid, {"expect_forms": 1, "why": "内容是 .xlsx，扩展名写成 .xls：按内容读取"}
    stacked = form_workbook(seed_forms(), layout="stacked")
    yield "stacked_5.xlsx", stacked, {"expect_forms": 5, "why": "对照：一张工作表叠放 5 张表"}
    wb = openpyxl.load_workbook(io.BytesIO(valid))
    wb.create_sheet("备注")["A1"] = "内部备注，不是自评表"
    yield "form_plus_junk.xlsx", save(wb), {
        "expect_forms": 1, "expect_note": "不是绩效自评表", "why": "自评表加一张无关工作表：读表并说明跳过"}
    wb = openpyxl.load_workbook(io.BytesIO(valid))
    wb.worksheets[0]["XFD1048576"].border = openpyxl.styles.Border(left=openpyxl.styles.Side(style="thin"))
    yield "styled_far_blank.xlsx", save(wb), {
        "expect_forms": 1, "why": "远处只有格式没有值的空单元格不占内存，不应误拒"}
    yield "shared_strings_form.xlsx", shared_strings(valid), {
        "expect_forms": 1, "expect_fields": {"project": name.decode()}, "why": "对照：文字存在共享字符串表里（Excel 的存法）"}
    at_limit = cjk_text(32_767, seed=13)
    yield "shared_name_32767.xlsx", shared_strings(valid, project(rich_runs(at_limit, 1000))), {
        "expect_forms": 1, "expect_fields": {"project": at_limit},
        "why": "对照：项目名称正好 32767 字（Excel 的上限），分成 33 段富文本：照读"}


def _letters(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _lying_sizes(data: bytes) -> bytes:
    """Shrink the sheet's declared size in both headers: inflating yields more than declared."""
    return _declared_size(data, 200)


def _declared_size(data: bytes, size: int) -> bytes:
    """Overwrite the uncompressed size of the first worksheet in the local and central headers."""
    buf = bytearray(data)
    name = next(i.filename for i in zipfile.ZipFile(io.BytesIO(data)).infolist()
                if i.filename.startswith("xl/worksheets/sheet"))
    # (signature, offset of the size field, of the name length, of the name) in local / central headers
    for signature, size_at, len_at, name_at in ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)):
        at = buf.find(signature)
        while at >= 0:
            name_len = struct.unpack_from("<H", buf, at + len_at)[0]
            if bytes(buf[at + name_at : at + name_at + name_len]) == name.encode():
                struct.pack_into("<I", buf, at + size_at, size)
                break
            at = buf.find(signature, at + 4)
    return bytes(buf)


def _xxe(data: bytes) -> bytes:
    """An external entity (XXE) declared in the first sheet, pointing at /etc/passwd."""

    def edit(body: bytes) -> bytes:
        start = body.index(b"<", body.index(b"?>") + 2) if body.startswith(b"<?xml") else 0
        return body[:start] + b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + body[start:]

    return patch(data, "xl/worksheets/sheet1.xml", edit)


def _chart_only() -> bytes:
    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "数据"
    chart = BarChart()
    chart.add_data(Reference(data, min_col=1, min_row=1, max_row=3))
    wb.create_chartsheet("图表").add_chart(chart)
    return save(wb)


def _formulas(ws) -> None:
    """Total and a declared score as formulas without a cached value (openpyxl stores none);
    the engine calculates the SUM but not the unknown function in a cell the checks need."""
    total_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "总分")
    ws.cell(total_row, 8).value = f"=SUM(H6,H13:H{total_row - 1})"
    ws.cell(13, 8).value = "=ZZWEIZHI(20)"


def _set(cell: str, value: object, number_format: str = "") -> Callable:
    def edit(ws) -> None:
        ws[cell] = value
        if number_format:
            ws[cell].number_format = number_format

    return edit


def semantic_cases() -> Iterator[tuple[str, bytes, dict]]:
    """Valid workbooks with odd content: refused with the cell named, or read and flagged."""
    # Row 6 is 年度资金总额: C6 年初预算数, D6 全年预算数, E6 全年执行数.
    yield "date_amount.xlsx", edited_form(_set("E6", dt.datetime(2021, 12, 31), "yyyy-mm-dd")), {
        "expect_code": "bad_amount", "expect_cell": "E6", "why": "全年执行数单元格是日期（格式被设成日期）"}
    yield "text_amount.xlsx", edited_form(_set("E6", "约626万")), {
        "expect_code": "bad_amount", "expect_cell": "E6", "why": "全年执行数写成文字“约626万”"}
    yield "negative_amount.xlsx", edited_form(_set("D6", -6261700)), {
        "expect_code": "bad_amount", "expect_cell": "D6", "why": "全年预算数为负数"}
    yield "huge_amount.xlsx", edited_form(_set("E6", 1e20)), {
        "expect_code": "bad_amount", "expect_cell": "E6", "why": "全年执行数 1e20 元（超过 1e13 元上限）"}
    marked = edited_form(_set("E6", 123456789.25))
    yield "nan_amount.xlsx", patch(marked, "xl/worksheets/sheet1.xml", replace(b"<v>123456789.25</v>", b"<v>NaN</v>")), {
        "expect_code": "bad_number", "expect_cell": "E6", "why": "全年执行数存成 NaN（程序生成的文件）"}
    yield "inf_amount.xlsx", patch(marked, "xl/worksheets/sheet1.xml", replace(b"<v>123456789.25</v>", b"<v>inf</v>")), {
        "expect_code": "bad_number", "expect_cell": "E6", "why": "全年执行数存成 inf"}
    form = seed_forms()[0]
    yield "duplicate_forms.xlsx", form_workbook([form, copy.deepcopy(form)]), {
        "expect_forms": 2, "expect_stored": 1,
        "why": "同一张表在两个工作表里各一份：都读出，入库只留一个当前版本"}
    bare = copy.deepcopy(form)
    bare.indicators = []
    yield "missing_indicators.xlsx", form_workbook([bare]), {
        "expect_forms": 1, "expect_findings": ["C01A", "C03"],
        "why": "缺少绩效指标块：照读，审核规则报分值合计不等于 100、总分不符"}
    named = patch(form_workbook(), "xl/worksheets/sheet1.xml", replace(
        "<t>深化“一网通办”专项费用</t>".encode(),
        "<t>深化_x0007_“一网\x01通办”\u202e专项\u200b😀费用</t>".encode()))
    yield "control_chars_emoji.xlsx", named, {
        "expect_forms": 1, "expect_fields": {"project": "深化“一网通办”专项😀费用"},
        "why": "名称里有控制字符、双向覆盖符、零宽字符和 emoji：去掉不可见字符，保留 emoji"}
    hostile_text = "<script>alert(1)</script><img src=x onerror=alert(2)>'; DROP TABLE forms;--"
    markup = patch(form_workbook(), "xl/worksheets/sheet1.xml", replace(
        "<t>上海市松江区行政服务中心</t>".encode(),
        "<t>{}</t>".format(hostile_text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")).encode()))
    yield "markup_in_names.xlsx", markup, {
        "expect_forms": 1, "expect_fields": {"department": hostile_text},
        "why": "名称里有 <script>、onerror 和 SQL 片段：原样作为文字读出（显示与入库时再转义 / 参数化）"}


def _uncached(build: Callable[[openpyxl.worksheet.worksheet.Worksheet], None], names: dict[str, str] | None = None
              ) -> bytes:
    """A workbook written by openpyxl, whose formulas carry no cached result (the engine must run)."""
    from openpyxl.workbook.defined_name import DefinedName

    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    for name, target in (names or {}).items():
        wb.defined_names[name] = DefinedName(name, attr_text=target)
    build(wb.active)
    return save(wb)


def _doubling(ws, via_names: bool = False) -> None:
    ws["A1"] = "abcdefghijklmnop"
    for row in range(2, 41):
        ws[f"A{row}"] = f"=P{row - 1}x&P{row - 1}x" if via_names else f"=A{row - 1}&A{row - 1}"


def _whole_column(ws) -> None:
    for row in range(1, 4):
        for col in "ABCDEF":
            ws[f"{col}{row}"] = row
    ws["H1"] = "=SUMPRODUCT(A1:F1048576*A1:F1048576)"


def ods(rows: bytes) -> bytes:
    """A minimal .ods (mimetype stored first, as the format requires) with one sheet of ``rows``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(zipfile.ZipInfo("mimetype", EPOCH), "application/vnd.oasis.opendocument.spreadsheet",
                   zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("META-INF/manifest.xml", EPOCH), (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
            'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'))
        z.writestr(zipfile.ZipInfo("content.xml", EPOCH), (
            b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
            b'<office:spreadsheet><table:table table:name="Sheet1">' + rows
            + b"</table:table></office:spreadsheet></office:body></office:document-content>"), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _twice(data: bytes, member: str) -> bytes:
    """The zip with ``member`` stored a second time (an empty sheet): readers take the last copy."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, EPOCH), src.read(info.filename), zipfile.ZIP_DEFLATED)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Duplicate name": the point of the case
            empty = re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData/>", src.read(member), flags=re.S)
            dst.writestr(zipfile.ZipInfo(member, EPOCH), empty, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _xls_long_string(text: str) -> bytes:
    """An .xls whose B3 is ``text`` from the shared-string table (SST + CONTINUE records): xlwt stops at
    32,767 characters, the format itself at 65,535."""
    from perfcore.guard.ole import Compound

    legacy = io.BytesIO()
    book = xlwt.Workbook(encoding="utf-8")
    book.add_sheet("表1").write(2, 1, "占位")
    book.save(legacy)
    stream = Compound(legacy.getvalue()).stream("Workbook")
    chars = text.encode("utf-16-le")
    first = (8224 - 8 - 3) // 2 * 2  # a UTF-16 character is never split
    body = struct.pack("<IIHB", 1, 1, len(text), 1) + chars[:first]
    sst = struct.pack("<HH", 0x00FC, len(body)) + body
    for at in range(first, len(chars), 8222):
        piece = b"\x01" + chars[at : at + 8222]  # a string continued: its option byte first
        sst += struct.pack("<HH", 0x003C, len(piece)) + piece
    records, pos, at_sst, old = [], 0, -1, 0
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        record = stream[pos : pos + 4 + length]
        if kind == 0x00FC:
            at_sst, record, old = pos, sst, length + 4
        elif kind == 0x00FF:  # EXTSST indexes the old table: dropped (readers do without it)
            old, record = old + length + 4, b""
        records.append((kind, record))
        pos += 4 + length
    delta = len(sst) - old
    out = b""
    for kind, record in records:
        if kind == 0x0085:  # BOUNDSHEET: where the sheet's records start, after the moved table
            where = struct.unpack_from("<I", record, 4)[0]
            record = record[:4] + struct.pack("<I", where + delta if where > at_sst else where) + record[8:]
        out += record
    return compound({"Workbook": out})


def issue19_cases() -> Iterator[tuple[str, bytes, dict]]:
    """Issue 19: one upload must not take the service down, nor hide a form behind one odd cell."""
    yield "formula_string_bomb.xlsx", _uncached(_doubling), {
        "expect_code": "formula_too_long", "expect_cell": "A12",
        "why": "8 KB：A1 为 16 个字符，A2=A1&A1 … A40，公式没有计算结果：公式引擎会申请 16×2³⁹ 个字符，计算前拒绝"}
    yield "formula_whole_column.xlsx", _uncached(_whole_column), {
        "expect_code": "formula_range", "expect_cell": "H1",
        "why": "未计算的 SUMPRODUCT(A1:F1048576*…) 引用整列：公式引擎要 2.6 GB，计算前拒绝"}
    yield "formula_name_bomb.xlsx", _uncached(lambda ws: _doubling(ws, via_names=True),
                                              {f"P{r}x": f"Sheet1!$A${r}" for r in range(1, 40)}), {
        "expect_code": "worker_limit",
        "why": "同样的倍增链藏在定义名称里（估算看不到）：只靠读取进程的内存上限拒绝，服务进程不受影响"}
    yield "formula_rept_65534.xlsx", edited_form(_set("B3", '=REPT("长",32767)&REPT("长",32767)')), {
        "expect_code": "formula_too_long", "expect_cell": "B3",
        "why": "项目名称是未计算的 =REPT(\"长\",32767)&REPT(…)，结果 65534 字：计算前拒绝"}

    def long_by_name(ws) -> None:
        ws["A1"] = "长" * 20_000
        ws["B3"] = "=LongName&LongName"

    yield "calculated_40000.xlsx", _uncached(long_by_name, {"LongName": "Sheet1!$A$1"}), {
        "expect_code": "cell_too_long", "expect_cell": "B3",
        "why": "经定义名称拼接、计算后才有 4 万字的值：计算结果也按单元格上限检查"}
    yield "xls_name_60000.xls", _xls_long_string(cjk_text(60_000, seed=19)), {
        "expect_code": "cell_too_long", "expect_cell": "B3", "why": ".xls 共享字符串里 6 万字的项目名称"}
    yield "ods_columns_repeated.ods", ods(
        b'<table:table-row><table:table-cell office:value-type="float" office:value="1"/>'
        b'<table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16000"/>'
        b'</table:table-row>' * 2), {
        "expect_code": "too_many_columns",
        "why": ".ods 第二个单元格把 number-columns-repeated 写在 value-type 之后（属性顺序任意、每个单元格都算）"}
    spans = b"".join(b"<text:span>%s</text:span>" % cjk_text(1000, seed=i).encode() for i in range(40))
    yield "ods_spans_40000.ods", ods(
        b'<table:table-row><table:table-cell office:value-type="string"><text:p>' + spans
        + b"</text:p></table:table-cell></table:table-row>"), {
        "expect_code": "cell_too_long", "expect_cell": "A1", "why": ".ods 一个单元格的文字拆成 40 段 <text:span>，共 4 万字"}
    yield "ods_space_run.ods", ods(
        b'<table:table-row><table:table-cell office:value-type="string"><text:p>name<text:s text:c="100000000"/>'
        b"</text:p></table:table-cell></table:table-row>"), {
        "expect_code": "cell_too_long", "expect_cell": "A1",
        "why": ".ods 的 <text:s text:c=\"100000000\"/>：几十字节展开成 1 亿个空格"}
    valid = form_workbook()
    yield "cached_spill_calc.xlsx", patch(valid, "xl/worksheets/sheet1.xml", replace(
        b'<c r="I13"', b'<c r="I13" t="e"><f>SEQUENCE(3)</f><v>#SPILL!</v></c><c r="J13" t="e"><v>#CALC!</v></c>'
        b'<c r="K13"')), {
        "expect_forms": 1, "expect_indicator_note": "#SPILL!", "why": "新版 Excel 缓存的 #SPILL! / #CALC!：照读，错误值按人看到的文字读出"}
    yield "duplicate_sheet_entry.xlsx", _twice(valid, "xl/worksheets/sheet1.xml"), {
        "expect_code": "zip_duplicate", "why": "zip 里 xl/worksheets/sheet1.xml 出现两次（读取方会悄悄读第二份）"}
    yield "weight_1e308.xlsx", edited_form(_set("G13", 1e308)), {
        "expect_code": "bad_value", "expect_cell": "G13", "why": "指标分值 1e308：计分时会溢出，读取时拒绝并指出单元格"}


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    out.mkdir(parents=True, exist_ok=True)
    manifest = []
    for name, data, expect in list(cases()) + list(semantic_cases()) + list(issue19_cases()):
        (out / name).write_bytes(data)
        manifest.append({"file": name, **expect, **({"isolate": True} if name in ISOLATE else {}),
                         **({"worker": True} if name in WORKER else {})})
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    total = sum((out / m["file"]).stat().st_size for m in manifest)
    print(f"{len(manifest)} cases, {total / 1024:.0f} KB in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
