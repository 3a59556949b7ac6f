"""End to end in headless Chromium against `streamlit run`: upload, import, scorecard, what-if.

Screenshots of every page land in test-output/screenshots/. Each step waits for rendered
content (a heading, a metric value), never for a fixed time or for page load alone.
"""
from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from perfcore.model import Text
from perfcore.samples import SHEETS_WORKBOOK, load_seed_forms
from perfcore.writer import write_forms

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WINDOW = {"year": "2021", "unit": "上海市松江区行政服务中心", "project": "窗口业务管理"}
PAGE_PATHS = {"upload": "上传与校验", "scorecard": "项目评分卡", "department": "部门总览", "whatif": "模拟测算",
              "manage": "数据管理"}
WAIT_MS = 60_000
VIEWPORT = {"width": 1440, "height": 1000}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}: {proc.stdout.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("streamlit did not become healthy")


@contextmanager
def running_app(db: Path) -> Iterator[str]:
    """The app as `make run` starts it (ui/serve.py: `streamlit run app.py`) on a free localhost port with
    database ``db``; yields its URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true",  # as `make run` starts it
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "PERFBOARD_DB": str(db)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One app server with its own, initially empty, database for the module."""
    with running_app(tmp_path_factory.mktemp("e2e") / "e2e.duckdb") as url:
        yield url


@pytest.fixture(scope="module")
def chromium_browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("没有找到 /usr/bin/chromium：请先运行 `make chromium`（apt-get install chromium）")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tab(chromium_browser):
    """A fresh browser tab (own Streamlit session) with a desktop-sized window."""
    context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    yield context.new_page()
    context.close()


def _settle(page) -> None:
    """Wait until Streamlit has finished the current run (the running indicator is gone)."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached")


def _shot(page, name: str) -> None:
    """A screenshot of the whole page: the window grows to the content (Streamlit scrolls inside)."""
    _settle(page)
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 8000)})
    _settle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size(VIEWPORT)


def _open(page, url: str, heading: str) -> None:
    """Go to a page and wait until Streamlit has drawn its heading."""
    page.goto(url)
    page.get_by_role("heading", name=heading).wait_for()


def _metric(page, label: str):
    """The value element of the st.metric whose label is ``label``."""
    tile = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return tile.locator('[data-testid="stMetricValue"]')


def _wait_metric(page, label: str, value: str) -> None:
    """Wait until the st.metric ``label`` shows ``value`` (a rerun redraws the tiles)."""
    page.wait_for_function(
        """([label, value]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes(label) && m.innerText.includes(value))""",
        arg=[label, value],
    )


def _type_first_actual(page, text: str) -> None:
    """Type into the what-if editor's first 实际完成值 cell (row 0: 服务新开办企业数量, >=29000家, 3146)."""
    cell_editor = _open_first_actual(page, "3146")
    cell_editor.fill(text)
    cell_editor.press("Enter")


def _open_first_actual(page, current: str):
    """Open the cell editor of the what-if grid's first 实际完成值 (row 0, holding ``current``); returns it.

    The grid is a canvas: a click lands only once the run has finished and the grid stopped
    moving (a notice drawn above it shifts it down). So: wait for the run to end and the grid's
    box to hold still between two frames, click, and wait for the cell editor to open; if it
    did not, or opened another cell (under load a key can arrive before the grid has focus),
    close it and try again, within one overall deadline."""
    grid = page.locator('[data-testid="stDataFrame"]').first.locator('[data-testid="data-grid-canvas"]')
    cell_editor = page.locator("#portal textarea")  # the grid's overlay editor
    deadline = time.monotonic() + WAIT_MS / 1000
    while True:
        _settle(page)
        grid.wait_for()
        box = grid.bounding_box()
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        if box != grid.bounding_box():
            assert time.monotonic() < deadline, "the what-if grid never stopped moving"
            continue  # still moving: measure again
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # first column of the first data row
        for _ in range(4):  # 一级指标 → 二级指标 → 三级指标 → 年度指标值 → 实际完成值
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            cell_editor.wait_for(timeout=5_000)
            # Only 实际完成值 is editable among the first five columns (targets are locked outside
            # simulation) and row 0 holds ``current``: anything else means a key or the click was lost.
            if cell_editor.is_enabled() and cell_editor.input_value() == current:
                break
        except PlaywrightTimeout:
            pass
        assert time.monotonic() < deadline, "the what-if editor's first 实际完成值 cell never opened"
        page.keyboard.press("Escape")
        try:
            cell_editor.wait_for(state="hidden", timeout=5_000)
        except PlaywrightTimeout:
            pass  # measured again above; the deadline bounds the attempts
    return cell_editor


def test_upload_import_scorecard_whatif(server: str, tab) -> None:
    page = tab
    _open(page, f"{server}/", "上传与校验")
    page.get_by_text("数据库还是空的").wait_for()
    _shot(page, "01-upload-empty")

    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(SHEETS_WORKBOOK))
    page.get_by_text("读取结果：1 个文件，5 张自评表").wait_for()
    page.get_by_text("规则 92.01（优），自评 98").wait_for()  # the first row (errors first) shown below the table
    page.get_by_role("button", name="导入选中的 4 张表").wait_for()  # 窗口业务管理 has errors: not pre-ticked
    _shot(page, "02-upload-preview")

    page.locator('[data-testid="stButtonGroup"]').get_by_text("全部", exact=True).click()  # 预先勾选: every form
    page.get_by_role("button", name="导入选中的 5 张表").click()
    page.get_by_text("新增 5 张").wait_for()
    _shot(page, "03-upload-imported")

    _open(page, f"{server}/scorecard?{urlencode(WINDOW)}", "窗口业务管理")
    rule_total = _metric(page, "规则得分")
    rule_total.wait_for()
    assert rule_total.inner_text() == "92.01"
    assert _metric(page, "自评得分").inner_text() == "98.00"
    _shot(page, "04-scorecard")

    _open(page, f"{server}/whatif?{urlencode(WINDOW)}", "模拟测算")
    new_total = _metric(page, "模拟后规则得分")
    new_total.wait_for()
    assert new_total.inner_text() == "92.01"
    _type_first_actual(page, "29000家")
    _wait_metric(page, "模拟后规则得分", "98.25")
    assert new_total.inner_text() == "98.25"
    _shot(page, "05-whatif")

    _open(page, f"{server}/department", "部门总览")
    projects = _metric(page, "项目数")
    projects.wait_for()
    assert projects.inner_text() == "5"
    page.locator('[data-testid="stImage"] img').nth(5).wait_for()  # six charts, drawn on the server
    _shot(page, "06-department")

    _open(page, f"{server}/manage", "数据管理")
    page.get_by_role("tab", name="导入记录").wait_for()
    _shot(page, "07-manage")
    # a delete asks first, and cannot be confirmed before an operator is named
    page.get_by_role("tab", name="删除与恢复").click()
    page.get_by_role("button", name="删除此版本").click()
    page.get_by_text("确认删除“").wait_for()
    page.get_by_text("请先在本页上方填写操作人").wait_for()
    assert page.get_by_role("button", name="确认删除").is_disabled()
    _shot(page, "07b-manage-delete-asks-for-operator")
    page.get_by_role("button", name="取消").click()
    page.get_by_role("button", name="删除此版本").wait_for()


def test_deep_link_as_first_request_runs_through_app(tmp_path, chromium_browser) -> None:
    """A bookmark opened right after a server start gets the full app (menu, 元/万元 switch)."""
    with running_app(tmp_path / "fresh.duckdb") as url:
        context = chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        _open(page, f"{url}/scorecard?{urlencode(WINDOW)}", "项目评分卡")
        page.get_by_text("数据库里还没有自评表").wait_for()
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert nav.inner_text().split() == ["upload_file", "上传与校验", "assignment", "项目评分卡", "monitoring",
                                            "部门总览", "calculate", "模拟测算", "database", "数据管理"]
        page.get_by_text("金额单位").wait_for()
        # every page's own address opens that page, the upload page (the app's start) included
        for path, heading in PAGE_PATHS.items():
            _open(page, f"{url}/{path}", heading)
            page.get_by_text("金额单位").wait_for()
            _settle(page)
            assert page.get_by_text("Page not found").count() == 0, path
            assert page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]').inner_text().split()[-1] == heading
            assert page.url.rstrip("/").endswith(f"/{path}"), page.url
        _open(page, f"{url}/", "上传与校验")  # the root opens the upload page at its own address
        page.wait_for_url(f"{url}/upload")
        _shot(page, "12-upload-by-address")
        context.close()


HOSTILE = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
LINK = "[点我](javascript:window.__xss=3)"


def _hostile_workbook(path: Path) -> Path:
    """The seed's 业务培训 with HTML, script and a markdown link in the texts a page shows."""
    form = next(f for f in load_seed_forms() if f.project.value == "业务培训")
    form = dataclasses.replace(form, project=Text(f"培训{HOSTILE}"), unit=Text(f"单位{SCRIPT}"))
    form.goals.planned = Text(f"目标{LINK} **粗体**")
    form.indicators[0].name = f"指标{HOSTILE}"
    write_forms([form], path)
    return path


def test_form_text_never_runs_as_html(server: str, tab, tmp_path) -> None:
    page = tab
    _open(page, f"{server}/", "上传与校验")
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', str(_hostile_workbook(tmp_path / "x.xlsx")))
    page.get_by_text(f"培训{HOSTILE}", exact=False).first.wait_for()
    page.get_by_role("button", name="导入选中的 1 张表").click()
    page.get_by_text("新增 1 张").wait_for()
    _open(page, f"{server}/scorecard?{urlencode({'year': '2021', 'unit': f'单位{SCRIPT}', 'project': f'培训{HOSTILE}'})}",
          f"培训{HOSTILE}")
    page.get_by_text(f"目标{LINK} **粗体**").wait_for()  # shown literally: no link, no bold
    _settle(page)
    _shot(page, "08-scorecard-hostile-text")
    assert page.evaluate("() => window.__xss") is None
    assert page.locator('main img[src="x"], main a[href^="javascript"]').count() == 0


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app server whose database holds the seed as 2021 and again as 2022 (80% spent)."""
    from apphelp import seed

    db = tmp_path_factory.mktemp("e2e-years") / "years.duckdb"
    seed(db)
    seed(db, year=2022, spent=0.8)
    with running_app(db) as url:
        yield url


def test_deep_link_and_whatif_link_land_on_the_named_year(two_years: str, tab) -> None:
    page = tab
    _open(page, f"{two_years}/scorecard?{urlencode(WINDOW)}", "窗口业务管理")
    rule_total = _metric(page, "规则得分")
    rule_total.wait_for()
    assert rule_total.inner_text() == "92.01"  # 2021; the 2022 form scores 90.01
    page.get_by_text("年度：2021年").wait_for()
    _shot(page, "09-scorecard-2021-of-two-years")
    page.get_by_role("link", name="用此表做模拟测算").click()
    page.get_by_role("heading", name="模拟测算").wait_for()
    stored = _metric(page, "入库版本规则得分")
    stored.wait_for()
    assert stored.inner_text() == "92.01（优）"
    assert "year=2021" in page.url and "2021年" not in page.url
    page.reload()  # the address the page shows names the same form
    _metric(page, "入库版本规则得分").wait_for()
    assert _metric(page, "入库版本规则得分").inner_text() == "92.01（优）"

    # an edit survives the switch to 万元 (and back)
    _type_first_actual(page, "29000家")
    _wait_metric(page, "模拟后规则得分", "98.25")
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="万元", exact=True).click()
    page.get_by_text("金额单位：万元").wait_for()
    _settle(page)
    assert _metric(page, "模拟后规则得分").inner_text() == "98.25"
    assert page.get_by_text("尚未修改任何影响得分的内容").count() == 0
    _shot(page, "11-whatif-edit-kept-in-wan")
    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="元", exact=True).click()
    page.get_by_text("金额单位：元").wait_for()
    _settle(page)
    assert _metric(page, "模拟后规则得分").inner_text() == "98.25"

    _open(page, f"{two_years}/scorecard?{urlencode({**WINDOW, 'project': '没有这个项目'})}", "项目评分卡")
    page.get_by_text("数据库中没有链接所指的自评表").wait_for()
    _shot(page, "10-scorecard-link-to-no-form")
