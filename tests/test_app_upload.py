"""上传与校验 page: real workbooks through the uploader, previews, findings, import, errors per file."""
from __future__ import annotations

import pytest

from apphelp import XLSX, open_page, texts
from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK
from perfcore.store import Store


def _upload(at, *files):
    at.file_uploader(key="uploader_0").set_value(list(files)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_empty_database_explains_and_offers_template(app_db):
    at = open_page()
    assert at.title[0].value == "上传与校验"
    assert "数据库还是空的" in texts(at)
    assert at.get("download_button")


def test_upload_previews_findings_and_imports(app_db):
    at = _upload(open_page(), (SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), XLSX))
    page = texts(at)
    assert "1 个文件，5 张自评表" in page
    assert "窗口业务管理" in page and "规则 92.01（优）" in page and "自评 98" in page
    preview = at.dataframe[0].value  # the data editor's frame
    assert list(preview["状态"]) == ["新表"] * 5
    assert list(preview["导入"]) == [True] * 5
    # the inflated rows' findings are listed with their cells
    tables = [t.value for t in at.table]
    inflation = [t for t in tables if t["代码"].eq("C09").any()]
    assert inflation and all(inflation[0]["单元格"].str.contains("!"))

    at.button[0].click().run()
    assert not at.exception
    assert "新增 5 张" in texts(at)
    store = Store(app_db)
    try:
        assert store.count_forms() == 5
    finally:
        store.close()


def test_reupload_marks_stored_forms_and_bad_file_blocks_nothing(app_db):
    at = _upload(open_page(), (SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), XLSX))
    at.button[0].click().run()
    # fresh uploader after the import: the same forms stacked in one sheet, plus a file that is no workbook
    at.file_uploader(key="uploader_1").set_value([
        (STACKED_WORKBOOK.name, STACKED_WORKBOOK.read_bytes(), XLSX),
        ("坏文件.xlsx", b"this is not a workbook", XLSX),
    ]).run()
    assert not at.exception
    page = texts(at)
    assert "2 个文件，5 张自评表，1 个文件无法读取" in page
    assert "坏文件.xlsx" in page and "此文件未导入，其他文件不受影响" in page
    preview = at.dataframe[0].value
    assert set(preview["状态"]) == {"已导入（内容相同）"}
    assert not preview["导入"].any()


def test_sidebar_has_money_unit_switch(app_db):
    at = open_page()
    switch = at.sidebar.get("button_group")[0]
    assert switch.options == ["元", "万元"] and switch.value == "元"


def test_database_held_by_another_process_is_explained(app_db):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from perfcore.store import Store; s = Store(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(120)", str(app_db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = open_page()
        assert "数据库文件正被另一个进程" in texts(at)
        assert not at.get("file_uploader")
    finally:
        holder.kill()
        holder.wait()


def test_hostile_files_in_one_upload_are_explained_and_only_the_good_one_is_imported(app_db):
    """Issue 5's promise in the app: each bad file named with its Chinese reason, no traceback,
    nothing of it stored, the good file of the same upload imported."""
    from pathlib import Path

    from perfcore.errors import ReadError
    from perfcore.reader import read_workbook

    corpus = Path(__file__).parent / "fixtures" / "hostile"
    bad = ["zip_bomb.xlsx", "encrypted.xlsx", "formula_no_cache.xlsx", "pdf_renamed.xlsx", "negative_amount.xlsx"]
    files = [(name, (corpus / name).read_bytes(), XLSX) for name in [*bad, "valid_form.xlsx"]]
    at = _upload(open_page(), *files)
    page = texts(at)
    assert "Traceback" not in page
    assert f"{len(files)} 个文件，1 张自评表，{len(bad)} 个文件无法读取" in page
    for name in bad:
        error: ReadError = read_workbook(corpus / name).error
        assert name in page and error.message in page, name  # the reader's own Chinese message
    at.button[0].click().run()
    assert not at.exception
    with Store(app_db) as store:
        assert store.count_forms() == 1
        assert set(store.imports_table()["file_name"]) == {"valid_form.xlsx"}
