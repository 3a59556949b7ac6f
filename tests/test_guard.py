"""perfcore.guard on crafted bytes the corpus does not cover: edges of each check, and no false alarms.

The corpus (test_hostile.py) proves each attack is refused end to end; these tests pin
the details: regex limits, chunk boundaries, prefixed / UTF-16 XML, ODS, BIFF records.
"""
from __future__ import annotations

import dataclasses
import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfcore import guard
from perfcore.errors import ReadError
from perfcore.guard.limits import col_letters
from perfcore.guard.ooxml import _greater
from scripts.make_hostile_corpus import CT_MAIN, compound, package, sheet_xml

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
