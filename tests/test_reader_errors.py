"""perfcore.reader on inputs that are not (only) forms: documented error codes, notes per sheet,
hidden sheets, formulas without cached values. Bad input never raises."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from helpers.workbook_builder import FormSpec, one_form, workbook_bytes, write_form

from perfcore.reader import WorkbookResult, read_paths, read_workbook


def _saved(wb: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _zip(member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, content)
    return buffer.getvalue()


def assert_error(result: WorkbookResult, code: str, file: str) -> None:
    assert result.error is not None and result.error.code == code
    assert result.forms == []
    assert result.error.file == file == result.file
    assert f"文件“{file}”" in str(result.error)


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty_file"), (b"project,unit\n1,2\n", "not_a_workbook"),
     (_zip("word/document.xml", b"<w/>"), "not_a_workbook"), (one_form()[:2000], "truncated")],
    ids=["zero-bytes", "csv", "zip-not-workbook", "truncated-xlsx"],
)
def test_not_a_workbook(data, code):
    result = read_workbook(data, "报表.xlsx")
    assert_error(result, code, "报表.xlsx")
    assert ("不是 Excel 工作簿" if code == "not_a_workbook" else "文件") in result.error.message


def test_password_protected_ooxml_is_reported_as_encrypted():
    # an encrypted .xlsx is an OLE compound file holding an EncryptionInfo stream
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "EncryptionInfo".encode("utf-16-le") + bytes(64)
    result = read_workbook(data, "加密.xlsx")
    assert_error(result, "encrypted", "加密.xlsx")
    assert "密码" in result.error.message


def test_empty_workbook():
    assert_error(read_workbook(_saved(openpyxl.Workbook()), "空.xlsx"), "empty_workbook", "空.xlsx")


def test_workbook_without_any_form():
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "填表说明：金额单位为元"
    wb.create_sheet("汇总")["B2"] = "项目名称"  # a label alone is no form
    result = read_workbook(_saved(wb), "说明.xlsx")
    assert_error(result, "no_form", "说明.xlsx")
    assert result.notes == ["工作表“说明”不是绩效自评表，已跳过", "工作表“汇总”不是绩效自评表，已跳过"]


def test_non_form_sheet_is_skipped_with_a_note_and_the_form_read():
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active["A1"] = "请按模板填写"
    write_form(wb.create_sheet("自评表"), FormSpec(project="业务培训"))
    wb.create_sheet("Sheet3")  # empty sheets pass silently
    result = read_workbook(_saved(wb), "混合.xlsx")
    assert result.error is None
    assert [f.project.value for f in result.forms] == ["业务培训"]
    assert result.notes == ["工作表“说明”不是绩效自评表，已跳过"]


def test_hidden_sheets_are_ignored_unless_asked_for():
    data = workbook_bytes(
        {"自评表": [FormSpec(project="可见项目")], "旧版": [FormSpec(project="隐藏项目")]}, hidden=("旧版",)
    )
    result = read_workbook(data, "隐藏.xlsx")
    assert [f.project.value for f in result.forms] == ["可见项目"]
    assert result.notes == ["工作表“旧版”是隐藏的，已跳过"]
    everything = read_workbook(data, "隐藏.xlsx", include_hidden=True)
    assert [f.project.value for f in everything.forms] == ["可见项目", "隐藏项目"]
    assert everything.notes == []


def test_a_workbook_whose_only_form_is_hidden_has_no_form():
    result = read_workbook(workbook_bytes({"Sheet1": [], "旧版": [FormSpec()]}, hidden=("旧版",)), "全隐藏.xlsx")
    assert_error(result, "no_form", "全隐藏.xlsx")
    assert result.notes == ["工作表“旧版”是隐藏的，已跳过"]


def test_formulas_without_cached_values_are_calculated_and_noted():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    write_form(ws, FormSpec())
    ws["C6"] = "=C7+C8+C9"  # openpyxl stores the formula, no value: calamine alone reads ''
    ws["H21"] = "=SUM(H13:H20)+H6"
    result = read_workbook(_saved(wb), "公式.xlsx")
    assert result.error is None
    form = result.forms[0]
    total = form.fund("total")
    assert total.initial.value == 8340000 and total.initial.cell == "自评表!C6"
    assert form.total_declared.value == 96 and form.total_declared.cell == "自评表!H21"
    assert any("C6、H21" in note and "公式引擎重新计算" in note for note in form.notes)


def test_a_formula_the_engine_cannot_calculate_refuses_the_file_naming_the_cell():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    write_form(ws, FormSpec())
    ws["D6"] = "=ZZWEIZHI(C6)"  # an unknown function in 全年预算数, which the rules need
    result = read_workbook(_saved(wb), "公式.xlsx")
    assert_error(result, "formula_no_cache", "公式.xlsx")
    assert (result.error.sheet, result.error.cell) == ("自评表", "D6")
    assert "在 Excel 中打开并保存" in result.error.message


def test_an_uncalculable_derived_cell_is_recomputed_by_the_rules_not_refused():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    write_form(ws, FormSpec())
    ws["H21"] = "=ZZWEIZHI(H13)"  # 总分 的得分: the rules add the scores up themselves
    result = read_workbook(_saved(wb), "公式.xlsx")
    assert result.error is None
    form = result.forms[0]
    assert form.total_declared.value is None
    assert any("H21" in note and "按规则重新计算" in note for note in form.notes)


def test_formulas_in_cells_the_form_does_not_use_are_harmless():
    wb = openpyxl.Workbook()
    write_form(wb.active, FormSpec())
    wb.active["M30"] = "=1+1"
    result = read_workbook(_saved(wb), "旁注.xlsx")
    assert result.error is None and len(result.forms) == 1


def test_paths_name_the_file_and_a_missing_path_is_an_error(tmp_path):
    good = tmp_path / "单位A.xlsx"
    good.write_bytes(one_form(FormSpec(project="甲")))
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"not a workbook")
    results = read_paths([good, str(bad), tmp_path / "不存在.xlsx"])
    assert [r.file for r in results] == ["单位A.xlsx", "坏文件.xlsx", "不存在.xlsx"]
    assert results[0].forms[0].source.file == "单位A.xlsx"
    assert results[0].forms[0].project.value == "甲"
    assert [r.error.code if r.error else None for r in results] == [None, "not_a_workbook", "file_not_found"]


def test_bytes_without_a_name_get_a_chinese_placeholder():
    assert read_workbook(b"junk").file == "上传文件"


def test_read_errors_survive_pickling_with_every_field() -> None:
    """They cross from import workers and through Streamlit's data cache."""
    import pickle

    from perfcore.errors import ReadError

    error = ReadError("formula_no_cache", "公式没有计算结果", file="a.xlsx", sheet="表1", cell="C7")
    back = pickle.loads(pickle.dumps(error))
    assert back == error and str(back) == str(error) and back.to_dict() == error.to_dict()
