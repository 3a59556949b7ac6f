"""Chinese only, served by the app, and the one-glance rankings right: every page in headless Chromium.

The database holds the seed as 2021 and again as 2022 (80% spent). Each page's visible text
(``inner_text("body")``) must hold none of Streamlit's English built-in texts nor "None";
every request the browser makes goes to the app itself (no font server, no CDN). A
full-page screenshot of every page lands in test-output/screenshots/ (ui-*.png).
"""
from __future__ import annotations

from urllib.parse import urlencode, urlparse

import pytest
from test_e2e_browser import (  # noqa: F401  (fixtures are found by name)
    SHEETS_WORKBOOK,
    WINDOW,
    _metric,
    _open,
    _settle,
    _shot,
    _wait_metric,
    chromium_browser,
    tab,
    two_years,
)

pytestmark = pytest.mark.browser

# Issue 12 item 5: what Streamlit shows in English unless the app hides or replaces it.
ENGLISH = ("Upload", "Drag and drop", "per file", "Browse files", "Choose an option", "Select all", "Show data",
           "Download as PNG", "Copy Vega-Lite spec", "Download as CSV", "Search", "Fullscreen", "Print",
           "Record screen", "Made with Streamlit", "Deploy", "Rerun", "mof-2020-shanghai")
PAGES = [("upload", "上传与校验"), (f"scorecard?{urlencode(WINDOW)}", "窗口业务管理"), ("department", "部门总览"),
         (f"whatif?{urlencode(WINDOW)}", "模拟测算"), ("manage", "数据管理")]


def _english(text: str) -> list[str]:
    """The forbidden words in a page's visible text ("None" as a word of its own)."""
    found = [w for w in ENGLISH if w in text]
    return found + [line for line in text.splitlines() if line.strip() == "None" or " None" in f" {line} "]


def _drawn(page) -> None:
    """Wait until the run has ended and every chart and table has been drawn."""
    _settle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def _table_column(page, table: int, column: int) -> list[str]:
    """The cells of one column (1 = the first) of the ``table``-th server-drawn table, as shown."""
    cells = page.locator("div.pb-table table").nth(table).locator(f"tbody tr td:nth-child({column})")
    return [text.strip() for text in cells.all_inner_texts()]


@pytest.mark.parametrize(("path", "heading"), PAGES, ids=[p.split("?")[0] for p, _ in PAGES])
def test_every_page_is_chinese_and_served_by_the_app(two_years: str, tab, path: str, heading: str) -> None:  # noqa: F811 (fixtures)
    page = tab
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    _open(page, f"{two_years}/{path}", heading)
    _drawn(page)
    name = path.split("?")[0]
    if name == "upload":  # the uploader's own texts, and the preview of a file
        page.get_by_text("选择或拖入自评表文件").wait_for()
        page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(SHEETS_WORKBOOK))
        page.get_by_text("读取结果：1 个文件，5 张自评表").wait_for()
        _drawn(page)
    text = page.inner_text("body")
    assert not _english(text), (name, _english(text))
    assert "数据库：" not in page.locator('[data-testid="stSidebar"]').inner_text()  # no file path in the sidebar
    _shot(page, f"ui-{name}")
    origin = urlparse(two_years).netloc
    foreign = [u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
               and urlparse(u).netloc != origin]
    assert not foreign, foreign


def test_department_one_glance_ranks_the_lowest_first(two_years: str, tab) -> None:  # noqa: F811 (fixtures)
    page = tab
    _open(page, f"{two_years}/department", "部门总览")
    page.get_by_text("一览：需要关注的项目").wait_for()
    page.get_by_text("需核实 0 张；无法计分 0 张；部门预算执行率 80.00%").wait_for()
    _drawn(page)
    # 2022 (the default year): 窗口业务管理 scores 90.01, the others 98.00 (execution 80%)
    assert _table_column(page, 0, 1)[0] == "窗口业务管理"  # 规则得分最低
    assert _table_column(page, 0, 2)[0] == "90.01"
    page.get_by_text("共 5 个项目，显示第 1–5 个（按规则得分最低排序）").wait_for()
    assert _table_column(page, 4, 2)[0] == "窗口业务管理"  # the project list: lowest first as well
    assert _table_column(page, 4, 1)[:2] == ["1", "2"]
    page.get_by_role("heading", name="历年对比").wait_for()
    charts = page.locator('[data-testid="stImage"] img')
    widths = [charts.nth(i).bounding_box()["width"] for i in range(charts.count() - 2, charts.count())]
    assert min(widths) > 400, widths  # the year trend is drawn at half the page each, not ~100 px
    assert all(charts.nth(i).evaluate("i => i.complete && i.naturalWidth > 0") for i in range(charts.count()))
    _shot(page, "ui-department-glance")
    # the name links to that project's scorecard (a new tab: the list stays where it was)
    link = page.locator("div.pb-table table").first.locator("tbody tr td a").first
    assert link.get_attribute("target") == "_blank"
    with page.context.expect_page() as opened:
        link.click()
    scorecard = opened.value
    scorecard.get_by_role("heading", name="窗口业务管理").wait_for()
    _wait_metric(scorecard, "规则得分", "90.01")  # the linked version (2022), once its run has drawn the tiles
    _settle(scorecard)
    assert _metric(scorecard, "规则得分").inner_text() == "90.01"
    scorecard.close()


def test_scorecard_says_where_the_points_went_first(two_years: str, tab) -> None:  # noqa: F811 (fixtures)
    page = tab
    _open(page, f"{two_years}/scorecard?{urlencode(WINDOW)}", "窗口业务管理")
    sentence = page.get_by_text("规则得分 92.01 分（优），扣 7.99 分：服务新开办企业数量 −6.24，政务服务免费快递业务量 −1.75。")
    sentence.wait_for()
    first_table = page.locator("div.pb-table table").first
    assert sentence.bounding_box()["y"] < _metric(page, "规则得分").bounding_box()["y"] < first_table.bounding_box()["y"]
    # the indicator table fits the page: 偏差原因分析 is on screen without a horizontal scroll
    main = page.locator('[data-testid="stMain"]')
    assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth", main.element_handle())
    _drawn(page)
    _shot(page, "ui-scorecard-top")
