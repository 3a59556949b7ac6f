"""对照 in headless Chromium: a form of a template the reader cannot place is taught on 上传与校验
(the sheet shown as printed, one cell corrected, saved), read again at once, then undone."""
from __future__ import annotations

from pathlib import Path

import pytest
from helpers.workbook_builder import FormSpec, one_form
from test_e2e_browser import _open, _settle, _shot, chromium_browser, server, tab  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

HEADERS = ("类别", "小类", "考核事项", "计划数", "实绩", "占比", "自评", "说明")


def test_staff_teach_a_layout_on_the_upload_page(server: str, tab, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    page = tab
    book = tmp_path / "自创模板.xlsx"
    book.write_bytes(one_form(FormSpec(project="自创模板项目", ind_headers=HEADERS)))
    _open(page, f"{server}/upload", "上传与校验")
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(book))
    page.get_by_text("读取结果：1 个文件，1 张自评表").wait_for()
    page.get_by_text("无法计分", exact=False).first.wait_for()
    unscorable = page.get_by_text("这张表缺少计分所需的内容")
    unscorable.wait_for()
    _settle(page)  # the upload's run has ended: the expander clicked is the one that stays

    page.get_by_text("对照：告诉系统这张表的表头、各列和金额在哪里").click()  # the toggle
    sheet = page.locator("table.teach-sheet")
    sheet.wait_for()
    header = sheet.locator("tr.header")  # the pre-filled header row, marked as printed
    assert header.locator("th").inner_text() == "12" and "〔三级指标〕考核事项" in header.inner_text()
    who = page.get_by_label("导入人（记入操作日志）")
    who.fill("张三")
    who.press("Enter")
    _settle(page)
    total = page.get_by_label("自评总分")
    total.fill("H21")
    total.press("Enter")
    _settle(page)
    sheet.locator("td.chosen", has_text="〔自评总分〕").wait_for()  # the chosen cell is marked at once
    _shot(page, "teach-form")

    page.locator(".st-key-teach_save button").click()
    page.get_by_text("已保存对照 #1").wait_for()
    page.get_by_text("本表按已保存的对照 #1 读取").wait_for()
    page.get_by_text("对照：告诉系统这张表的表头").wait_for(state="detached")  # read completely: nothing to teach
    _settle(page)
    assert not unscorable.count()
    _shot(page, "teach-saved")

    page.locator(".st-key-teach_undo_1 button").click()
    page.get_by_text("已撤销对照 #1").wait_for()
    unscorable.wait_for()
    page.get_by_text("对照：告诉系统这张表的表头、各列和金额在哪里").wait_for()
