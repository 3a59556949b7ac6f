"""Pages that fit, addresses that carry a view, Chinese from the first request (issue 19), in headless Chromium.

- At 390 × 844 px (a phone) no element is wider than the window unless it sits inside a box
  that scrolls sideways; every chart's text is drawn at ≥ 9 px; a table that scrolls says so;
  the filters and the first figure tiles are on the first screen.
- 部门总览's filters and the 金额单位 are in the address: the address opened in a new browser
  gives the same view.
- Right after a server start the first visitor's unknown address gets the Chinese 找不到页面 page
  (never Streamlit's English "Page not found" dialog), and an anonymous deep link never shows an
  English menu of file names, not even for a moment (every menu the page ever drew is recorded).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from test_e2e_browser import (  # noqa: F401  (fixtures are found by name)
    SHOTS,
    WAIT_MS,
    _settle,
    chromium_browser,
    running_app,
)

from perfcore.store import Store

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 1000}
MIN_CHART_PX = 9
MENU = {"上传与校验", "项目评分卡", "部门总览", "模拟测算", "数据管理", "登录"}


@pytest.fixture(scope="module")
def forms_db(tmp_path_factory) -> tuple[Path, str]:
    """The seed (2021) and 200 generated forms over five years: long names, many units, wide tables;
    and the scorecard address of the form with the longest project name (read before a server holds the file)."""
    from apphelp import seed

    from perfcore.synth import store_forms

    db = tmp_path_factory.mktemp("fit") / "fit.duckdb"
    seed(db)
    with Store(db) as store:
        store_forms(store, 200)
        row = store.forms_table().sort_values("project", key=lambda s: s.str.len()).iloc[-1]
    return db, "scorecard?" + urlencode({"year": int(row["year"]), "unit": row["unit"], "project": row["project"]})


@pytest.fixture(scope="module")
def app(forms_db: tuple[Path, str]):
    with running_app(forms_db[0]) as url:
        yield url


def _context(browser, viewport: dict):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    return context


CHARTS = {"部门总览": 6, "项目评分卡": 1}  # at least this many chart pictures once a page is drawn


def _drawn(page, heading: str) -> None:
    """The page's heading, its run ended, its charts drawn (no 图表绘制中 left, every picture loaded)."""
    page.get_by_role("heading", name=heading).first.wait_for()
    page.wait_for_function("""n => {
        const pictures = [...document.querySelectorAll('[data-testid="stImage"] img')];
        return pictures.length >= n && pictures.every(i => i.complete && i.naturalWidth > 0)
          && ![...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
               .some(c => c.textContent.includes('图表绘制中'));
      }""", arg=CHARTS.get(heading, 0))
    if heading == "模拟测算":  # its editors and results come in a fragment
        page.locator('[data-testid="stMetric"]').filter(has_text="模拟后规则得分").first.wait_for()
    _settle(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def _phone_shot(page, name: str) -> None:
    """A screenshot of the whole page at phone width (the window grows to the content: Streamlit scrolls inside)."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": min(max(height, PHONE["height"]), 8000)})
    _settle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


# Every element of the main area whose right edge passes the window, and is not inside a box that
# scrolls (or clips) sideways and itself ends within the window.
_OVERFLOW_JS = """
() => {
  const limit = window.innerWidth + 1;
  const boxed = el => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === 'auto' || o === 'scroll' || o === 'hidden') && p.getBoundingClientRect().right <= limit) return true;
    }
    return false;
  };
  const main = document.querySelector('[data-testid="stMain"]');
  return [...main.querySelectorAll('*')]
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > limit && !boxed(el); })
    .map(el => `${el.tagName}.${el.className}[${el.getAttribute('data-testid') || ''}] `
               + `right=${Math.round(el.getBoundingClientRect().right)}`)
    .slice(0, 10);
}
"""

# Per chart picture: the smallest font size in its SVG times the scale it is shown at.
_CHART_TEXT_JS = """
async () => {
  const out = [];
  for (const img of document.querySelectorAll('[data-testid="stImage"] img')) {
    const svg = await (await fetch(img.src)).text();
    const sizes = [...svg.matchAll(/font-size="([0-9.]+)/g)].map(m => parseFloat(m[1]));
    const scale = img.getBoundingClientRect().width / img.naturalWidth;
    out.push({alt: img.alt, smallest: sizes.length ? Math.min(...sizes) * scale : null});
  }
  return out;
}
"""

# Per server-drawn table: whether its box can scroll sideways, and whether its scroll line shows.
_TABLE_HINT_JS = """
() => [...document.querySelectorAll('div.pb-table')].map(box => ({
  scrolls: box.scrollWidth > box.clientWidth,
  hint: box.querySelector('.pb-hint').getBoundingClientRect().height > 0,
  right: box.getBoundingClientRect().right,
}))
"""


@pytest.mark.parametrize("page_name", ["department", "scorecard", "upload", "manage", "whatif"])
def test_pages_fit_a_phone(app: str, forms_db: tuple[Path, str], chromium_browser, page_name: str) -> None:  # noqa: F811
    card = forms_db[1]
    path, heading = {"department": ("department", "部门总览"), "scorecard": (card, "项目评分卡"),
                     "upload": ("upload", "上传与校验"), "manage": ("manage", "数据管理"),
                     "whatif": (card.replace("scorecard", "whatif", 1), "模拟测算")}[page_name]
    context = _context(chromium_browser, PHONE)
    try:
        page = context.new_page()
        page.goto(f"{app}/{path}")
        _drawn(page, heading)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
        assert page.evaluate(_OVERFLOW_JS) == []
        charts = page.evaluate(_CHART_TEXT_JS)
        assert all(c["smallest"] is not None and c["smallest"] >= MIN_CHART_PX for c in charts), charts
        tables = page.evaluate(_TABLE_HINT_JS)
        assert all(t["hint"] == t["scrolls"] and t["right"] <= PHONE["width"] + 1 for t in tables), tables
        if page_name == "department":
            assert len(charts) >= 5 and any(t["scrolls"] for t in tables)  # the project list scrolls, and says so
            first_tile = page.locator('[data-testid="stMetric"]').first.bounding_box()
            assert first_tile is not None and first_tile["y"] + first_tile["height"] <= PHONE["height"]
        if page_name == "scorecard":  # the indicator table's last column is reachable by scrolling its box
            indicators = page.locator("div.pb-table").filter(has_text="三级指标").first
            assert indicators.evaluate("b => b.scrollWidth > b.clientWidth")
            indicators.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
            last = indicators.locator("thead th").last.bounding_box()
            assert last is not None and last["x"] + last["width"] <= PHONE["width"] + 1
        _phone_shot(page, f"phone-{page_name}")
    finally:
        context.close()


def test_tables_fit_their_boxes_on_a_desktop(app: str, chromium_browser) -> None:  # noqa: F811
    """At 1440 px the one-glance rankings fit their columns; names are never cut to a character or two a line."""
    context = _context(chromium_browser, DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{app}/department")
        _drawn(page, "部门总览")
        tables = page.evaluate(_TABLE_HINT_JS)
        assert not any(t["scrolls"] for t in tables[:3]), tables  # the three 一览 tables
        assert all(t["hint"] == t["scrolls"] for t in tables), tables
        # every text cell (names) at least 6 characters wide
        narrow = page.evaluate("""() => [...document.querySelectorAll('div.pb-table td:not(.n):not(.c)')]
            .filter(td => td.getBoundingClientRect().width + 0.5 < 6 * parseFloat(getComputedStyle(td).fontSize))
            .map(td => td.textContent).slice(0, 5)""")
        assert narrow == []
    finally:
        context.close()


def test_the_address_carries_the_filters_and_money_unit(app: str, chromium_browser) -> None:  # noqa: F811
    context = _context(chromium_browser, DESKTOP)
    try:
        page = context.new_page()
        page.goto(f"{app}/department")
        _drawn(page, "部门总览")
        page.locator('[data-testid="stMultiSelect"]').filter(has_text="等级").locator("input").click()
        page.get_by_role("option", name="良", exact=True).click()
        page.keyboard.press("Escape")
        _settle(page)
        page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="万元", exact=True).click()
        page.get_by_text("全年预算数（万元）").first.wait_for()
        _drawn(page, "部门总览")
        page.wait_for_function("() => location.search.includes('dept_grade') && location.search.includes('money_unit')")
        sent = page.url
        params = parse_qs(urlparse(sent).query)
        assert params["dept_grade"] == ["良"] and params["money_unit"] == ["万元"]
        count = page.locator('[data-testid="stMetric"]').filter(has_text="项目数").locator(
            '[data-testid="stMetricValue"]').inner_text()
    finally:
        context.close()
    other = _context(chromium_browser, DESKTOP)  # a new browser: its own session, nothing kept
    try:
        page = other.new_page()
        page.goto(sent)
        _drawn(page, "部门总览")
        page.get_by_text("全年预算数（万元）").first.wait_for()
        grade = page.locator('[data-testid="stMultiSelect"]').filter(has_text="等级")
        assert "良" in grade.inner_text()
        assert page.locator('[data-testid="stMetric"]').filter(has_text="项目数").locator(
            '[data-testid="stMetricValue"]').inner_text() == count
    finally:
        other.close()


# Records every menu label and every dialog the page ever draws, from its first paint on.
_RECORD_JS = """
(() => {
  window.__pbSeen = {menus: [], dialogs: []};
  const look = () => {
    const links = [...document.querySelectorAll('[data-testid="stSidebarNav"] a, [data-testid="stSidebarNavLink"]')];
    const labels = links.map(a => {
      const copy = a.cloneNode(true);
      copy.querySelectorAll('[data-testid="stIconMaterial"], [data-testid="stSidebarNavLinkIcon"]')
          .forEach(i => i.remove());
      return copy.textContent.trim();
    }).filter(Boolean);
    if (labels.length) window.__pbSeen.menus.push(labels.join('|'));
    document.querySelectorAll('[role="dialog"]').forEach(d => window.__pbSeen.dialogs.push(d.textContent));
  };
  new MutationObserver(look).observe(document, {childList: true, subtree: true, characterData: true});
})();
"""


@pytest.mark.parametrize("first", ["/没有这个页面", "/nosuch"])
def test_an_unknown_address_first_after_a_start_is_chinese(forms_db: tuple[Path, str], tmp_path: Path,
                                                            chromium_browser, first: str) -> None:  # noqa: F811
    db = tmp_path / "start.duckdb"
    shutil.copy(forms_db[0], db)
    with running_app(db) as url:  # a fresh server: this is its first request
        context = _context(chromium_browser, DESKTOP)
        context.add_init_script(_RECORD_JS)
        try:
            page = context.new_page()
            page.goto(url + first)
            try:
                page.get_by_role("heading", name="找不到页面").wait_for()
            except Exception as exc:  # say what the page showed instead
                raise AssertionError(f"{page.url}: {page.inner_text('body')[:800]}") from exc
            page.get_by_text(f"地址为“{first}”的页面").wait_for()
            _settle(page)
            body = page.inner_text("body")
            seen = page.evaluate("() => window.__pbSeen")
            assert "Page not found" not in body and seen["dialogs"] == [], seen["dialogs"]
            assert seen["menus"] and all(set(m.split("|")) <= MENU for m in seen["menus"]), seen["menus"]
            # a rerun (here the sidebar's switch) asks for the page by its hash: it stays 找不到页面
            page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="万元", exact=True).click()
            page.wait_for_function("() => location.search.includes('money_unit')")
            _settle(page)
            page.get_by_text(f"地址为“{first}”的页面").wait_for()
            assert page.get_by_role("heading", name="找不到页面").is_visible()
            page.get_by_role("link", name="打开上传与校验").click()
            page.get_by_role("heading", name="上传与校验").wait_for()
        finally:
            context.close()


def test_an_anonymous_deep_link_first_after_a_start_never_shows_an_english_menu(
        forms_db: tuple[Path, str], tmp_path: Path, chromium_browser) -> None:  # noqa: F811
    db = tmp_path / "accounts.duckdb"
    shutil.copy(forms_db[0], db)
    with Store(db) as store:
        store.add_account("管理员", "admin", password="看板测试用的一条很长的口令-7Qx", by="测试")
    with running_app(db) as url:
        context = _context(chromium_browser, DESKTOP)
        context.add_init_script(_RECORD_JS)
        try:
            page = context.new_page()
            page.goto(f"{url}/department?dept_grade=%E8%89%AF")
            page.get_by_role("button", name=re.compile("登录")).first.wait_for()
            _settle(page)
            seen = page.evaluate("() => window.__pbSeen")  # (an anonymous visitor's menu holds 登录 only: none drawn)
            assert all(set(m.split("|")) <= MENU for m in seen["menus"]), seen["menus"]
            assert seen["dialogs"] == []
        finally:
            context.close()
