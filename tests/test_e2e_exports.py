"""End to end in headless Chromium: download the scorecard and department PDFs (and the
department workbook) through the app, and read them back with pypdf / openpyxl.

The app server, browser and waits are those of tests/test_e2e_browser.py. The database
holds the seed as 2021 and again for five more years, so that 全部年度 lists 30 forms and
its report has more pages than the newest year's five.
"""
from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import openpyxl
import pytest
from pypdf import PdfReader
from test_e2e_browser import WINDOW, _open, _settle, _shot, chromium_browser, running_app, tab  # noqa: F401

pytestmark = pytest.mark.browser

OTHER_YEARS = (2016, 2017, 2018, 2019, 2020)


@pytest.fixture(scope="module")
def many_years(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from apphelp import seed

    db = tmp_path_factory.mktemp("e2e-exports") / "exports.duckdb"
    seed(db)
    for year in OTHER_YEARS:
        seed(db, year=year)
    with running_app(db) as url:
        yield url


def _download(page, name: str) -> tuple[bytes, str, float]:
    """Ask for the report ``name`` (生成…), then download it (下载…): its bytes, file name, seconds taken."""
    started = time.perf_counter()
    page.get_by_role("button", name=f"生成{name}").click()
    ready = page.get_by_role("button", name=f"下载{name}")
    ready.wait_for()
    seconds = time.perf_counter() - started
    with page.expect_download() as info:
        ready.click()
    download = info.value
    return Path(download.path()).read_bytes(), download.suggested_filename, seconds


def _pdf(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(p.extract_text() for p in reader.pages)


def test_scorecard_pdf_downloads_with_the_project_and_its_total(many_years: str, tab) -> None:  # noqa: F811
    page = tab
    _open(page, f"{many_years}/scorecard?{urlencode(WINDOW)}", "窗口业务管理")
    page.get_by_text("年度：2021年").wait_for()
    data, name, seconds = _download(page, "评分卡（PDF）")
    print(f"\nscorecard PDF through the app: {seconds:.2f} s")
    assert data.startswith(b"%PDF") and name == "评分卡-2021-上海市松江区行政服务中心-窗口业务管理.pdf"
    pages, text = _pdf(data)
    assert pages >= 2 and f"第 1 页 / 共 {pages} 页" in text
    assert "窗口业务管理" in text and "92.01" in text and "填报人" in text
    _shot(page, "13-scorecard-pdf-ready")


def _choose_year(page, label: str) -> None:
    page.locator('[data-testid="stSelectbox"]').filter(has_text="年度").click()
    page.get_by_role("option", name=label, exact=True).click()
    _settle(page)


def test_department_pdf_grows_with_the_projects_selected(many_years: str, tab) -> None:  # noqa: F811
    page = tab
    _open(page, f"{many_years}/department", "部门总览")
    page.get_by_role("button", name="生成部门总览（PDF）").wait_for()
    data, name, seconds = _download(page, "部门总览（PDF）")
    print(f"\ndepartment PDF through the app (5 projects): {seconds:.2f} s")
    assert data.startswith(b"%PDF") and name == "部门总览-2021-全部单位.pdf"
    few, text = _pdf(data)
    assert "年度：2021年" in text and "窗口业务管理" in text and "92.01" in text and "第 1 页 / 共" in text
    assert "生成人：" in text and "生成时间：" in text
    assert "100.00%" in text and "10,000.00%" not in text  # issue 19: rates were printed ×100
    workbook, name, _ = _download(page, "部门总览（Excel）")
    assert name == "部门总览-2021-全部单位.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(workbook))["项目"].max_row == 1 + 5
    _shot(page, "14-department-reports-ready")

    _choose_year(page, "全部年度")  # 30 forms: asked for again, then more pages
    data, _, seconds = _download(page, "部门总览（PDF）")
    print(f"department PDF through the app (30 forms): {seconds:.2f} s")
    many, text = _pdf(data)
    assert "年度：全部" in text and "2016年" in text
    assert many > few, (few, many)
