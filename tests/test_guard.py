"""perfcore.guard on crafted bytes the corpus does not cover: edges of each check, and no false alarms.

The corpus (test_hostile.py) proves each attack is refused end to end; these tests pin
the details: regex limits, chunk boundaries, prefixed / UTF-16 XML, ODS, BIFF records.
"""
from __future__ import annotations

import dataclasses
import io
import random
import re
import struct
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcore import guard
from perfcore.errors import ReadError
from perfcore.guard.limits import col_letters
from perfcore.guard.ooxml import CHUNK, _greater
from perfcore.guard.strings import Strings
from perfcore.reader import read_workbook
from scripts.make_hostile_corpus import CT_MAIN, cjk_text, compound, package, rich_runs, shared_strings, sheet_xml

ROOT = Path(__file__).resolve().parent.parent
SMALL = guard.Limits(max_rows=50, max_cols=10)


def code_of(data: bytes, limits: guard.Limits = guard.DEFAULT_LIMITS, name: str = "表.xlsx") -> str:
    try:
        guard.inspect(data, name, limits)
    except ReadError as error:
        assert error.file == name
        return error.code
    return "ok"


def one_sheet(body: bytes) -> bytes:
    return package([("Sheet1", body)])


def cells(refs: list[str]) -> bytes:
    rows = "".join(f'<row r="{re.sub("[A-Z]", "", r)}"><c r="{r}"><v>1</v></c></row>' for r in refs)
    return b"".join(sheet_xml([rows.encode()]))


# --- the "greater than" regexes -------------------------------------------------------------


@given(limit=st.integers(1, 10**6), n=st.integers(1, 10**7))
def test_row_pattern_matches_exactly_the_numbers_above_the_limit(limit, n):
    pattern = re.compile(_greater(str(limit), "0123456789", "[1-9]"))
    assert bool(pattern.fullmatch(str(n))) == (n > limit)


@given(limit=st.integers(1, 16384), n=st.integers(1, 20000))
def test_column_pattern_matches_exactly_the_columns_above_the_limit(limit, n):
    pattern = re.compile(_greater(col_letters(limit), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "[A-Z]"))
    assert bool(pattern.fullmatch(col_letters(n))) == (n > limit)


# --- real workbooks pass ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    ROOT / "data" / "samples" / "seed-2021-sheets.xlsx",
    ROOT / "data" / "samples" / "seed-2021-stacked.xlsx",
    ROOT / "tests" / "fixtures" / "legacy_form.xls",
], ids=lambda p: p.name)
def test_the_committed_sample_workbooks_pass(path):
    found = guard.inspect(path.read_bytes(), path.name)
    assert found.kind == ("xls" if path.suffix == ".xls" else "xlsx")
    assert found.sheets >= 1


def test_limits_at_the_edge_pass_and_one_beyond_fails():
    assert code_of(one_sheet(cells(["A50", "J1"])), SMALL) == "ok"
    assert code_of(one_sheet(cells(["A51"])), SMALL) == "too_many_rows"
    assert code_of(one_sheet(cells(["K1"])), SMALL) == "too_many_columns"


def test_limits_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        guard.DEFAULT_LIMITS.max_rows = 10  # type: ignore[misc]


def test_size_is_checked_before_anything_is_read(tmp_path):
    huge = tmp_path / "巨大.xlsx"
    with open(huge, "wb") as handle:  # sparse: 30 MB on paper, nothing on disk
        handle.truncate(30 * 1024 * 1024)
    with pytest.raises(ReadError) as caught:
        guard.load_path(huge)
    assert caught.value.code == "too_large" and "20.0 MB" in caught.value.message
    assert code_of(b"PK\x03\x04" + bytes(2000), guard.Limits(max_file_bytes=1000)) == "too_large"


# --- sheet XML variants ------------------------------------------------------------------------


def test_a_far_cell_after_the_first_megabyte_is_found():
    rows = [b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c></row>' % (r, r, b"x" * 100)
            for r in range(1, 12_001)]
    body = b"".join(sheet_xml(rows))
    assert len(body) > 1024 * 1024
    assert code_of(one_sheet(body)) == "ok"
    assert code_of(one_sheet(body), guard.Limits(max_rows=11_999)) == "too_many_rows"


def test_rows_without_references_are_counted_across_chunks():
    rows = [b"<row><c><v>%d</v></c><c><v>%d</v></c><c><v>%d</v></c></row>" % (r, r * 7, r * 13) for r in range(60_000)]
    assert code_of(one_sheet(b"".join(sheet_xml(rows))), guard.Limits(max_rows=59_999)) == "too_many_rows"
    assert code_of(one_sheet(b"".join(sheet_xml(rows))), guard.Limits(max_rows=60_000, max_cols=3)) == "ok"


def test_namespace_prefixed_sheets_are_checked():
    body = (f'<x:worksheet xmlns:x="{CT_MAIN}"><x:sheetData><x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>'
            '<x:row r="900"><x:c r="B900"><x:v>1</x:v></x:c></x:row></x:sheetData></x:worksheet>').encode()
    assert code_of(one_sheet(body), SMALL) == "too_many_rows"


def test_utf16_sheet_xml_is_checked_like_utf8():
    far = cells(["A1", "A900"]).decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert code_of(one_sheet(far.encode("utf-16")), SMALL) == "too_many_rows"
    dtd = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w [<!ENTITY a "b">]><worksheet/>'
    assert code_of(one_sheet(dtd.encode("utf-16"))) == "xml_entities"


def test_a_dtd_behind_a_long_comment_is_still_found():
    body = b'<?xml version="1.0"?>' + b"<!--" + b" " * 500_000 + b'-->\n<!DOCTYPE w [<!ENTITY a "b">]><worksheet/>'
    assert code_of(one_sheet(body)) == "xml_entities"
    endless_prolog = one_sheet(b"<!--" + b" " * (2 * 1024 * 1024) + b"-->")
    assert code_of(endless_prolog, guard.Limits(max_ratio=10**6)) == "xml_entities"


def test_styled_empty_cells_and_text_reading_nan_are_not_alarms():
    rows = [b'<row r="1"><c r="A1" t="str"><f>"NaN"</f><v>NaN</v></c><c r="B1" t="str"><f>""</f><v></v></c></row>',
            b'<row r="900" s="1" customFormat="1"><c r="ZZ900" s="1"/><c r="ZZZ900" s="2" /></row>']
    assert code_of(one_sheet(b"".join(sheet_xml(rows))), SMALL) == "ok"


def test_merged_ranges_count_as_extent():
    body = b"".join(sheet_xml([b'<row r="1"><c r="A1"><v>1</v></c></row>'],
                              b'<mergeCells><mergeCell ref="A1:Z2"/></mergeCells>'))
    assert code_of(one_sheet(body), SMALL) == "too_many_columns"


# --- other containers -----------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


def test_a_zip_level_password_is_reported_as_encrypted():
    data = bytearray(package([("Sheet1", cells(["A1"]))]))
    at = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, at + 8, struct.unpack_from("<H", data, at + 8)[0] | 1)
    assert code_of(bytes(data)) == "encrypted"


def test_xlsb_is_refused_with_advice_to_save_as_xlsx():
    with pytest.raises(ReadError) as caught:
        guard.inspect(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01"}), "a.xlsb")
    assert caught.value.code == "unsupported_format" and ".xlsx" in caught.value.message


ODS_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>')
VALUE = b'<table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell>'


def _ods(rows: bytes) -> bytes:
    content = ODS_HEAD + b'<table:table table:name="S">' + rows + b"</table:table></office:spreadsheet></office:body>" \
        + b"</office:document-content>"
    return _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": content})


def test_ods_repeated_rows_count_only_when_they_hold_values():
    trailing_blank = b'<table:table-row table:number-rows-repeated="1048000"><table:table-cell/></table:table-row>'
    assert guard.inspect(_ods(b"<table:table-row>" + VALUE + b"</table:table-row>" + trailing_blank)).kind == "ods"
    repeated = b'<table:table-row table:number-rows-repeated="30000">' + VALUE + b"</table:table-row>"
    assert code_of(_ods(repeated)) == "too_many_rows"
    wide = VALUE.replace(b"<table:table-cell ", b'<table:table-cell table:number-columns-repeated="5000" ')
    assert code_of(_ods(b"<table:table-row>" + wide + b"</table:table-row>")) == "too_many_columns"


def _biff(*records: tuple[int, bytes]) -> bytes:
    return b"".join(struct.pack("<HH", kind, len(body)) + body for kind, body in records)


BOF = (0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
EOF = (0x000A, b"")


def test_xls_with_a_password_record_is_encrypted():
    stream = _biff(BOF, (0x002F, bytes(54)), EOF)
    assert code_of(compound({"Workbook": stream}), name="a.xls") == "encrypted"


def test_xls_cells_beyond_the_limits_and_blank_cells_that_are_not():
    mulrk = (0x00BD, struct.pack("<HH", 0, 0) + bytes(6) * 30 + struct.pack("<H", 29))
    blank = (0x0201, struct.pack("<HHH", 60_000, 200, 0))
    assert code_of(compound({"Workbook": _biff(BOF, blank, EOF)}), name="a.xls") == "ok"
    assert code_of(compound({"Workbook": _biff(BOF, mulrk, EOF)}), SMALL, name="a.xls") == "too_many_columns"


def test_a_compound_file_whose_chains_loop_is_truncated():
    data = bytearray(compound({"Workbook": _biff(BOF, EOF)}))
    fat_sector = struct.unpack_from("<I", data, 76)[0]
    dir_sector = struct.unpack_from("<I", data, 48)[0]
    struct.pack_into("<I", data, 512 + fat_sector * 512 + dir_sector * 4, dir_sector)
    assert code_of(bytes(data), name="a.xls") == "truncated"


@pytest.mark.parametrize("name", ["entity_bomb_workbook.xlsx", "entity_bomb_sheet.xlsx", "xxe_external_entity.xlsx"])
def test_openpyxl_parses_through_defusedxml_and_refuses_entities(name):
    import openpyxl
    from defusedxml import DefusedXmlException

    assert openpyxl.DEFUSEDXML
    with pytest.raises(ValueError) as caught:
        openpyxl.load_workbook(ROOT / "tests" / "fixtures" / "hostile" / name)
    assert isinstance(caught.value.__context__, DefusedXmlException)


@pytest.mark.parametrize("cell, expected", [
    (b'<c r="B900"><v>1</v></c>', "too_many_rows"),                 # the usual writer: r first
    (b'<c s="1" r="B900"><v>1</v></c>', "too_many_rows"),           # r after another attribute
    (b'<c\tr="B900"><v>1</v></c>', "too_many_rows"),                # a tab, not a space
    (b'<c r="B1" r="B900"><v>1</v></c>', "too_many_rows"),          # a second r (not well-formed XML)
    (b'<c r="L1"><v>1</v></c>', "too_many_columns"),
    (b'<c r="B900" s="1"/>', "ok"),                                 # valueless: calamine skips it
    (b'<c r="B9"><v>1</v></c>', "ok"),
])
def test_every_attribute_order_gets_the_same_verdict(cell, expected):
    """The pre-check that lets ordinary sheets skip the full scan must never let a far cell through."""
    body = b"".join(sheet_xml([b'<row r="1"><c r="A1"><v>1</v></c></row><row r="9">' + cell + b"</row>"]))
    assert code_of(one_sheet(body), SMALL) == expected


# --- strings a cell shows: 32,767 characters in the shared strings, inline strings and values ------------

LIMIT = guard.DEFAULT_LIMITS.max_cell_chars
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"


def refusal(data: bytes, limits: guard.Limits = guard.DEFAULT_LIMITS) -> ReadError | None:
    try:
        guard.inspect(data, "表.xlsx", limits)
    except ReadError as error:
        return error
    return None


def inline_book(bodies: list[bytes], kind: bytes = b"inlineStr") -> bytes:
    """One sheet whose cells A2, B2, … hold ``bodies`` as inline strings (``kind=b"str"``: as formula values)."""
    cell = b'<c r="%s2" t="inlineStr"><is>%s</is></c>' if kind == b"inlineStr" else b'<c r="%s2" t="str"><f>1</f><v>%s</v></c>'
    cells = b"".join(cell % (col_letters(i).encode(), body) for i, body in enumerate(bodies, start=1))
    rows = [b'<row r="1"><c r="A1"><v>1</v></c></row>', b'<row r="2">' + cells + b"</row>"]
    return package([("Sheet1", b"".join(sheet_xml(rows)))])


def shared_book(bodies: list[bytes]) -> bytes:
    """The same cells with their strings in xl/sharedStrings.xml, one <si> each."""
    return shared_strings(inline_book(bodies))


def ascii_text(count: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(count)).replace(" ", "x", 1)


def test_a_shared_string_split_into_rich_text_runs_is_counted_whole():
    """40 runs of 1,000 characters: no run of bytes is long, the string is 40,000 characters."""
    runs = rich_runs(cjk_text(40_000, seed=1), 1000)
    error = refusal(shared_book([b"<t>ok</t>", runs]))
    assert error is not None and error.code == "cell_too_long"
    assert "共享字符串表" in error.message and "xl/sharedStrings.xml" in error.message and "32767" in error.message
    assert refusal(shared_book([b"<t>ok</t>", rich_runs(cjk_text(30_000, seed=1), 1000)])) is None


def test_a_40000_character_ascii_shared_string_is_refused():
    """One byte a character: 40,000 characters stay under the 131,068-byte bound on a run of text."""
    error = refusal(shared_book([b"<t>%s</t>" % ascii_text(40_000).encode()]))
    assert error is not None and error.code == "cell_too_long" and "sharedStrings.xml" in str(error)


def test_an_inline_string_over_the_limit_is_refused_naming_its_cell():
    for body in (rich_runs(cjk_text(40_000, seed=2), 999), b"<t>%s</t>" % ascii_text(40_000).encode()):
        error = refusal(inline_book([b"<t>a</t>", body]))
        assert error is not None and error.code == "cell_too_long"
        assert (error.sheet, error.cell) == ("Sheet1", "B2")
        assert str(error).startswith("文件“表.xlsx”工作表“Sheet1”单元格 B2：内部文件 xl/worksheets/sheet1.xml 里")
    value = refusal(inline_book([b"1", ascii_text(40_000).encode()], kind=b"str"))  # a formula's cached text
    assert value is not None and (value.code, value.cell) == ("cell_too_long", "B2")


@pytest.mark.parametrize("make", [
    pytest.param(lambda text: shared_book([b"<t>%s</t>" % text.encode()]), id="shared"),
    pytest.param(lambda text: shared_book([rich_runs(text, 1000)]), id="shared-runs"),
    pytest.param(lambda text: shared_book([b'<r><rPr><b/></rPr><t xml:space="preserve">%s</t></r>' % text.encode()
                                           + b'<rPh sb="0" eb="1"><t>%s</t></rPh>' % (b"x" * 500)]), id="phonetic-not-counted"),
    pytest.param(lambda text: inline_book([rich_runs(text, 1000)]), id="inline-runs"),
    pytest.param(lambda text: inline_book([text.encode()], kind=b"str"), id="value"),
    pytest.param(lambda text: shared_book([b"<t>%s</t>" % text.replace("a", "&amp;").encode()]), id="entities-count-one"),
])
def test_exactly_32767_characters_pass_and_one_more_is_refused(make):
    text = ascii_text(LIMIT - 20_000, seed=3) + cjk_text(20_000, seed=3)  # 75 KB of UTF-8
    assert refusal(make(text)) is None
    error = refusal(make(text + "长"))
    assert error is not None and error.code == "cell_too_long"


@pytest.mark.parametrize("name, runs", [("shared_name_2m.xlsx", 1), ("shared_name_2m_runs.xlsx", 2000)])
def test_the_two_million_character_project_name_of_issue_10_is_refused(name, runs):
    """An otherwise valid form whose project name, 2,000,000 characters, sits in sharedStrings.xml."""
    data = (HOSTILE / name).read_bytes()
    part = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    assert part.file_size < guard.DEFAULT_LIMITS.max_ratio * part.compress_size  # not a zip bomb to the ratio check
    name_item = max(re.findall(rb"<si>(.*?)</si>", zipfile.ZipFile(io.BytesIO(data)).read(part), re.S), key=len)
    texts = re.findall(rb"<t>([^<]*)</t>", name_item)
    assert len(texts) == runs and sum(len(t.decode()) for t in texts) == 2_000_000
    result = read_workbook(data, name)
    assert result.error is not None and result.error.code == "cell_too_long" and not result.forms
    assert str(result.error) == (
        f"文件“{name}”：共享字符串表（内部文件 xl/sharedStrings.xml）里有单元格文字超过 Excel 上限 32767 个字符，"
        "文件不是由 Excel 正常保存的；请检查并缩短过长的内容，用 Excel 重新保存后再上传")
    control = read_workbook((HOSTILE / "shared_name_32767.xlsx").read_bytes(), "shared_name_32767.xlsx")
    assert control.error is None and len(control.forms[0].project.value) == LIMIT


@pytest.mark.parametrize("extra, expected", [(0, "ok"), (1, "cell_too_long")])
def test_a_string_across_the_chunk_boundary_is_counted_whole(extra, expected):
    """The part is inflated in 1 MB chunks: a 32,767-character item straddling one is still one item."""
    fillers = [b"<t>%s</t>" % cjk_text(12, seed=i).encode() for i in range((CHUNK - 40_000) // 52)]  # 52 bytes each
    long = b"<t>%s</t>" % cjk_text(LIMIT + extra, seed=4).encode()
    data = shared_strings(inline_book([b"<t>a</t>"]), lambda items: items.extend(fillers + [long]))
    part = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")
    start = part.index(long)
    assert start < CHUNK < start + len(long)
    assert code_of(data) == expected


@pytest.mark.parametrize("body, length", [
    (b"<t>%s<!-- c -->%s</t>", 40_000),                  # a comment inside <t>: the text goes on
    (b"<t><![CDATA[%s%s]]></t>", 40_000),                # CDATA is text
    (b"<t>%s</si><si><t>%s</t>", 40_000),                # an end tag inside <t> ends nothing
    (b"<r><t>%s</t></r><si><r><t>%s</t></r>", 40_000),   # a nested <si> starts nothing
    (b"<t>%s<b>%s</b></t>", 40_000),                     # markup inside <t>: its text counts
    (b'<r a="></si><si>"><t>%s</t></r><r><t>%s</t></r>', 40_000),  # a quoted '>' does not end a tag
])
def test_markup_that_hides_text_from_a_byte_scan_is_read_as_calamine_reads_it(body, length):
    import python_calamine

    half = ascii_text(length // 2).encode()
    data = shared_book([body % (half, half), b"<t>after</t>"])
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert len(book.get_sheet_by_index(0).to_python()[1][0]) >= length  # calamine really builds it
    assert code_of(data) == "cell_too_long"


def test_prefixed_and_utf16_shared_strings_are_counted():
    text = ascii_text(40_000).encode()
    data = shared_book([b"<t>%s</t>" % text])
    zf = zipfile.ZipFile(io.BytesIO(data))
    sst = zf.read("xl/sharedStrings.xml").decode()
    prefixed = re.sub(r"<(/?)(sst|si|t)\b", r"<\1x:\2", sst).replace('xmlns="', 'xmlns:x="', 1)
    utf16 = sst.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    for part in (prefixed.encode(), utf16):
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in zf.infolist():
                z.writestr(info.filename, part if info.filename == "xl/sharedStrings.xml" else zf.read(info.filename))
        assert code_of(out.getvalue()) == "cell_too_long"


def _calamine_longest(data: bytes) -> int:
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return max((len(value) for row in rows for value in row if isinstance(value, str)), default=0)


def _random_item(rng: random.Random, odd: bool) -> bytes:
    def text(n: int) -> str:
        return "".join(rng.choice(["长", "a", "&amp;", "&#x4E00;", "b", "字"]) for _ in range(n))

    parts = []
    for _ in range(rng.randrange(1, 5)):
        n, pick = rng.randrange(0, 30), rng.random()
        if pick < 0.35:
            parts.append(f"<t>{text(n)}</t>")
        elif pick < 0.6:
            parts.append(f'<r><rPr><sz val="11"/><rFont val="宋体"/></rPr><t xml:space="preserve">{text(n)}</t></r>')
        elif pick < 0.75:
            parts.append(f'<rPh sb="0" eb="1"><t>{text(n)}</t></rPh><phoneticPr fontId="1"/>')
        elif odd:
            parts.append(rng.choice([f"<t>{text(n)}<!-- </si><si> -->{text(n)}</t>", f"<t><![CDATA[{text(n)}]]></t>",
                                     f"<t>{text(n)}</si><si><t>{text(n)}</t>", f"<t>{text(n)}<x/>{text(n)}</t>",
                                     f'<r a="x>y"><t>{text(n)}</t></r>', f"<?pi {text(2)}?><t>{text(n)}</t>", "<rPh/>"]))
    return "".join(parts).encode()


@pytest.mark.parametrize("where", ["shared", "inline"])
def test_string_lengths_agree_with_calamine_whatever_the_chunking(where):
    """Random rich text, phonetic runs and odd markup, fed in chunks of 1, 7, 61 bytes and whole:
    a string longer than the limit is always refused; plain XML is refused only then."""
    rng = random.Random(10)
    limits = guard.Limits(max_cell_chars=40)
    for case in range(100):
        odd = case % 2 == 1
        items = [_random_item(rng, odd) for _ in range(rng.randrange(1, 5))]
        if where == "inline":
            items = [item.replace(b"</si><si>", b"</is></c><c><is>") for item in items]
        data = shared_book(items) if where == "shared" else inline_book(items)
        try:
            longest = _calamine_longest(data)
        except Exception:  # markup calamine rejects: nothing to compare
            continue
        member = "xl/sharedStrings.xml" if where == "shared" else "xl/worksheets/sheet1.xml"
        part = zipfile.ZipFile(io.BytesIO(data)).read(member)
        for size in (1, 7, 61, len(part)):
            strings = Strings(b"si", False, limits, "表.xlsx", "") if where == "shared" else \
                Strings(b"is", True, limits, "表.xlsx", "", "Sheet1")
            try:
                for at in range(0, len(part), size):
                    strings.feed(part[at : at + size])
                strings.finish()
                accepted = True
            except ReadError:
                accepted = False
            assert accepted or longest > 40 or odd, (size, part)
            assert not accepted or longest <= 40, (size, part)


# --- issue 19: .ods cells, duplicate zip entries, formulas bounded before the engine ---------------


def _ods_error(rows: bytes, limits: guard.Limits = guard.DEFAULT_LIMITS) -> ReadError | None:
    try:
        guard.inspect(_ods(rows), "表.ods", limits)
    except ReadError as error:
        return error
    return None


@pytest.mark.parametrize("attrs", [
    b'office:value-type="float" office:value="1" table:number-columns-repeated="300"',
    b'table:number-columns-repeated="300" office:value-type="float" office:value="1"',
    b'office:value="1" table:number-columns-repeated="300" table:style-name="ce1" office:value-type="float"',
])
@pytest.mark.parametrize("before", [b"", VALUE, VALUE * 3])
def test_ods_repeated_cells_count_in_any_attribute_order_and_any_position(attrs, before):
    row = b"<table:table-row>" + before + b"<table:table-cell " + attrs + b"/></table:table-row>"
    error = _ods_error(row)
    assert error is not None and error.code == "too_many_columns"
    blank = b'<table:table-row>' + before + b'<table:table-cell table:number-columns-repeated="16000"/>' + VALUE \
        + b"</table:table-row>"  # a blank run before a value: the value's column is what counts
    assert _ods_error(blank).code == "too_many_columns"
    assert _ods_error(b"<table:table-row>" + before + VALUE + b"</table:table-row>") is None


def _text_cell(body: bytes) -> bytes:
    return b'<table:table-row>' + VALUE + b'<table:table-cell office:value-type="string"><text:p>' + body \
        + b"</text:p></table:table-cell></table:table-row>"


@pytest.mark.parametrize("body, length", [  # lengths above the bytes of the package's own tags
    (b"<text:span>" + b"a" * 600 + b"</text:span><text:span>" + b"b" * 600 + b"</text:span>", 1200),
    (b'x<text:s text:c="1198"/>y', 1200),
    (b"x<text:s/>y" + b"<text:tab/>" * 1197, 1200),
    ("长".encode() * 1199 + b"&amp;", 1200),
])
def test_ods_text_counts_spans_space_runs_and_entities_as_calamine_expands_them(body, length):
    limits = dataclasses.replace(guard.DEFAULT_LIMITS, max_cell_chars=length)
    assert _ods_error(_text_cell(body), limits) is None
    longer = dataclasses.replace(guard.DEFAULT_LIMITS, max_cell_chars=length - 1)
    error = _ods_error(_text_cell(body), longer)
    assert error is not None and error.code == "cell_too_long" and error.cell == "B1"


def test_an_ods_space_run_of_a_hundred_million_is_refused_without_expanding_it():
    error = _ods_error(_text_cell(b'<text:s text:c="100000000"/>'))
    assert error is not None and error.code == "cell_too_long" and error.cell == "B1"


def test_a_zip_holding_the_same_part_twice_is_refused_whatever_the_letter_case():
    valid = (ROOT / "tests" / "fixtures" / "hostile" / "valid_form.xlsx").read_bytes()
    for second in ("xl/worksheets/sheet1.xml", "XL/Worksheets/Sheet1.xml"):
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(valid)) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                dst.writestr(info.filename, src.read(info))
            with warnings.catch_warnings():  # zipfile's own "Duplicate name" (exact names only)
                warnings.simplefilter("ignore")
                dst.writestr(second, src.read("xl/worksheets/sheet1.xml"))
        with pytest.raises(ReadError) as refused:
            guard.inspect(out.getvalue(), "表.xlsx")
        assert refused.value.code == "zip_duplicate" and "同名部件" in str(refused.value)


def _formula_book(cells: dict[str, str | int], shared: bytes = b"") -> bytes:
    """A sheet of constants and formulas ("=..."), none with a cached value; ``shared`` is raw row XML."""
    rows: dict[int, list[bytes]] = {}
    for ref, value in cells.items():
        row = int(re.sub(r"[A-Z]", "", ref))
        if isinstance(value, str) and value.startswith("="):
            body = b"<c r=\"%s\"><f>%s</f></c>" % (ref.encode(), value[1:].replace("&", "&amp;").replace(
                "<", "&lt;").replace('"', "&quot;").encode())
        elif isinstance(value, str):
            body = b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref.encode(), value.encode())
        else:
            body = b'<c r="%s"><v>%d</v></c>' % (ref.encode(), value)
        rows.setdefault(row, []).append(body)
    xml = b"".join(b'<row r="%d">%s</row>' % (r, b"".join(c)) for r, c in sorted(rows.items())) + shared
    return package([("Sheet1", sheet_xml([xml]))])


def _bound_error(data: bytes, limits: guard.Limits = guard.DEFAULT_LIMITS) -> ReadError | None:
    from perfcore.guard.formulas import check_formulas

    try:
        check_formulas(data, "表.xlsx", limits)
    except ReadError as error:
        return error
    return None


def test_string_growth_through_references_is_refused_at_the_first_cell_over_the_limit():
    cells: dict[str, str | int] = {"A1": "x" * 16}
    cells.update({f"A{r}": f"=A{r - 1}&A{r - 1}" for r in range(2, 41)})
    error = _bound_error(_formula_book(cells))
    assert error is not None and error.code == "formula_too_long" and error.cell == "A12"
    assert "32,768" in str(error)
    assert _bound_error(_formula_book({k: v for k, v in cells.items() if int(k[1:]) <= 11})) is None


def test_a_shared_formula_is_bounded_as_each_cell_reads_it():
    shared = b'<row r="2"><c r="A2"><f t="shared" si="0" ref="A2:A40">A1&amp;A1</f></c></row>' + b"".join(
        b'<row r="%d"><c r="A%d"><f t="shared" si="0"/></c></row>' % (r, r) for r in range(3, 41))
    error = _bound_error(_formula_book({"A1": "x" * 16}, shared))
    assert error is not None and error.code == "formula_too_long" and error.cell == "A12"


@pytest.mark.parametrize("formula, code", [
    ("=SUMPRODUCT(A1:F1048576*A1:F1048576)", "formula_range"),
    ("=SUM(A:A)", "formula_range"),
    ("=SUM(1:3)", "formula_range"),
    ('=REPT("长",32767)&REPT("长",32767)', "formula_too_long"),
    ('=REPT("ab",20000)', "formula_too_long"),
    ("=SUBSTITUTE(A1,\"x\",A1)&SUBSTITUTE(A1,\"x\",A1)", "formula_too_long"),
    ("=TEXTJOIN(\",\",TRUE,A1:A3)", None),
    ("=SUM(B1:B20000)+VLOOKUP(1,A1:C300,2,FALSE)", None),
    ('=REPT("★",B1)', None),
    ('=A1&"（"&A2&"）"', None),
])
def test_formulas_a_form_might_hold_pass_and_runaway_ones_are_refused_naming_the_cell(formula, code):
    cells: dict[str, str | int] = {"A1": "x" * 200, "A2": "y" * 100, "A3": "z" * 100, "B1": 5, "H1": formula}
    error = _bound_error(_formula_book(cells))
    assert (error.code if error else None) == code
    if error:
        assert error.cell == "H1" and error.sheet == "Sheet1"


def test_a_chain_of_formulas_deeper_than_the_limit_is_refused():
    cells: dict[str, str | int] = {"A1": 1}
    cells.update({f"A{r}": f"=A{r - 1}+1" for r in range(2, 60)})
    limits = dataclasses.replace(guard.DEFAULT_LIMITS, max_formula_depth=50)
    error = _bound_error(_formula_book(cells), limits)
    assert error is not None and error.code == "formula_chain"
    assert _bound_error(_formula_book(cells)) is None  # 59 deep is fine by the default


def test_a_circular_reference_does_not_hang_the_bound():
    assert _bound_error(_formula_book({"A1": "=A2&A2", "A2": "=A1&A1"})) is None
