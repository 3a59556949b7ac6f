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
        assert "数据库文件正被其他程序占用" in texts(at)
        assert not at.get("file_uploader")
    finally:
        holder.kill()
        holder.wait()
