"""Accounts end to end in headless Chromium against `streamlit run`: sign in through the page,
a reload keeps the session (the cookie the page sets), sign-out ends it; anonymous visitors
see no data. Helpers come from tests/test_e2e_browser.py."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import test_e2e_browser as e2e
from apphelp import seed
from test_e2e_browser import WINDOW, _open, _settle, _shot, running_app

from perfcore.store import Store

pytestmark = pytest.mark.browser
chromium_browser, tab = e2e.chromium_browser, e2e.tab  # the browser fixtures, shared

PASSWORD = "浏览器测试用的足够长密码"
COOKIE = "perfboard_session"
SIGN_IN = "登录绩效自评看板"


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app server whose database holds the seed and one admin account."""
    db = tmp_path_factory.mktemp("e2e-accounts") / "accounts.duckdb"
    seed(db)
    with Store(db) as store:
        store.add_account("管理员", "admin", password=PASSWORD, by="测试")
    with running_app(db) as url:
        yield url


def _sign_in(page) -> None:
    page.get_by_label("账号").fill("管理员")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def _session_cookie(page) -> dict | None:
    return next((c for c in page.context.cookies() if c["name"] == COOKIE and c["value"]), None)


def test_sign_in_survives_a_reload_and_sign_out_ends_it(accounts_server: str, tab) -> None:
    page = tab
    _open(page, f"{accounts_server}/", SIGN_IN)
    _settle(page)
    body = page.locator("body").inner_text()
    assert "窗口业务管理" not in body and "上海市松江区行政服务中心" not in body and "部门总览" not in body
    _shot(page, "20-sign-in")
    _sign_in(page)
    page.get_by_role("heading", name="上传与校验").wait_for()  # an admin's first page
    page.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')")
    cookie = _session_cookie(page)
    assert cookie is not None and cookie["sameSite"] == "Strict" and cookie["expires"] > 0
    # a reload (a new Streamlit session) is still signed in, at any page's address
    _open(page, f"{accounts_server}/department", "部门总览")
    page.get_by_text("已登录：管理员（管理 · 全部单位）").wait_for()
    _shot(page, "21-signed-in-after-reload")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name=SIGN_IN).wait_for()
    page.wait_for_function(f"() => !document.cookie.includes('{COOKIE}=') || document.cookie.includes('{COOKIE}=;')")
    _open(page, f"{accounts_server}/department", SIGN_IN)  # the old token no longer signs in
    assert "已登录" not in page.locator("body").inner_text()


def test_a_deep_link_asks_for_sign_in_then_opens_the_named_form(accounts_server: str, tab) -> None:
    page = tab
    _open(page, f"{accounts_server}/scorecard?{urlencode(WINDOW)}", SIGN_IN)
    _sign_in(page)
    page.get_by_role("heading", name="项目评分卡").wait_for()
    page.get_by_text("窗口业务管理").first.wait_for()
    assert Path(page.url).name.startswith("scorecard")


# --- the first administrator and a new account, from the app while it runs ----------------------

ADMIN_PASSWORD = "首位管理员的足够长密码"
STAFF_PASSWORD = "新同事的足够长密码-1"
UNIT = "上海市松江区行政服务中心"


@pytest.fixture
def first_run_server(tmp_path: Path) -> Iterator[str]:
    """An app server on the seed and no account at all (single-user mode)."""
    db = tmp_path / "first-run.duckdb"
    seed(db)
    with running_app(db) as url:
        yield url


def _choose(page, widget: str, label: str, option: str) -> None:
    """Pick ``option`` in the first selectbox / multiselect (data-testid ``widget``) labelled ``label``."""
    page.locator(f'[data-testid="{widget}"]').filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    _settle(page)


def test_the_first_admin_is_created_in_the_browser_and_then_creates_an_account(first_run_server, chromium_browser,
                                                                                  tab) -> None:
    url, page = first_run_server, tab
    _open(page, f"{url}/", "上传与校验")  # single-user mode: the app opens without sign-in
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("只能在看板停止时使用").wait_for()
    sidebar.get_by_role("link", name="创建第一个管理员账号").click()
    page.get_by_role("heading", name="创建第一个管理员账号").wait_for()
    page.locator('input[aria-label="管理员账号名称"]').fill("管理员")
    page.locator('input[aria-label="密码"]').fill("12345678")
    page.locator('input[aria-label="再次输入密码"]').fill("12345678")
    page.get_by_role("button", name="创建管理员并登录").click()
    page.get_by_text("密码至少 10 个字符（现在 8 个）").wait_for()  # refused, said why, nothing created
    page.locator('input[aria-label="密码"]').fill(ADMIN_PASSWORD)
    page.locator('input[aria-label="再次输入密码"]').fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="创建管理员并登录").click()
    sidebar.get_by_text("已登录：管理员（管理 · 全部单位）").wait_for()
    page.get_by_text("已创建管理员账号“管理员”并登录").wait_for()
    page.get_by_role("link", name="去数据管理 → 账号管理").wait_for()
    page.wait_for_function(f"() => document.cookie.includes('{COOKIE}=')")
    _shot(page, "22-first-admin-created")
    # another browser: sign-in is on now, and the first-run page refuses a second administrator
    other = chromium_browser.new_context(viewport=e2e.VIEWPORT, locale="zh-CN")
    other.set_default_timeout(e2e.WAIT_MS)
    try:
        stranger = other.new_page()
        _open(stranger, f"{url}/", SIGN_IN)
        _open(stranger, f"{url}/setup", "创建第一个管理员账号")
        stranger.get_by_text("看板已有账号，不能再在这里创建管理员").wait_for()
        assert stranger.get_by_role("button", name="创建管理员并登录").count() == 0
    finally:
        other.close()
    # 数据管理 → 账号管理: a new uploader for one unit
    _open(page, f"{url}/manage", "数据管理")
    page.get_by_role("tab", name="账号管理").click()
    page.locator('input[aria-label="账号名称"]').fill("张三")
    _choose(page, "stSelectbox", "角色", "填报（uploader）")
    _choose(page, "stMultiSelect", "实施单位", UNIT)
    page.locator('input[aria-label="初始密码"]').fill(STAFF_PASSWORD)
    page.locator('input[aria-label="再次输入密码"]').fill(STAFF_PASSWORD)
    page.get_by_role("button", name="新建账号").click()
    page.get_by_text("已新建账号“张三”（填报）").wait_for()
    _shot(page, "23-account-created")
    # the new account signs in from a fresh browser and sees its scope
    other = chromium_browser.new_context(viewport=e2e.VIEWPORT, locale="zh-CN")
    other.set_default_timeout(e2e.WAIT_MS)
    try:
        staff = other.new_page()
        _open(staff, f"{url}/", SIGN_IN)
        staff.locator('input[aria-label="账号"]').fill("张三")
        staff.locator('input[aria-label="密码"]').fill(STAFF_PASSWORD)
        staff.get_by_role("button", name="登录").click()
        staff.get_by_text(f"已登录：张三（填报 · 实施单位：{UNIT}）").wait_for()
    finally:
        other.close()
    sign_out = page.locator('[data-testid="stSidebar"]').get_by_role("button", name="退出登录")
    sign_out.click()
    page.get_by_role("heading", name=SIGN_IN).wait_for()


GUESSING_TABS = 12  # the browser sessions of issue 19 whose guesses were counted as 2 failures


def test_wrong_passwords_from_many_tabs_at_once_are_each_counted_and_the_lock_holds(chromium_browser, tmp_path) -> None:
    """Issue 19 as the tester did it: 12 browser sessions send a wrong password for the only admin at
    once. Each is refused with the one answer, every guess is counted up to the lock (the count was
    read and written without one transaction), and then the right password does not get in."""
    db = tmp_path / "guessed.duckdb"
    seed(db)
    with Store(db) as store:
        store.add_account("管理员", "admin", password=PASSWORD, by="测试")
    contexts = [chromium_browser.new_context(viewport=e2e.VIEWPORT, locale="zh-CN") for _ in range(GUESSING_TABS + 1)]
    try:
        with running_app(db) as url:
            pages = []
            for context in contexts:
                context.set_default_timeout(e2e.WAIT_MS)
                page = context.new_page()
                _open(page, f"{url}/", SIGN_IN)
                pages.append(page)
            guessers, last = pages[:-1], pages[-1]
            for i, page in enumerate(guessers):
                page.get_by_label("账号").fill("管理员")
                page.get_by_label("密码").fill(f"猜的密码-{i}")
            for page in guessers:  # the clicks go out together; each run signs in on the server's threads
                page.get_by_role("button", name="登录").click(no_wait_after=True)
            for page in guessers:
                page.get_by_text("账号或密码不正确。").wait_for()
            _sign_in(last)  # the right password, after the lock
            last.get_by_text("账号或密码不正确。").wait_for()
            assert "已登录" not in last.locator("body").inner_text()
    finally:
        for context in contexts:
            context.close()
    with Store(db) as store:
        failed = list(store.audit_table(action="sign_in_failed")["detail"])
        assert len(failed) == GUESSING_TABS + 1
        assert sum("密码错误" in d for d in failed) == 5  # PERFBOARD_MAX_FAILURES' default: every guess to the lock
        assert len(store.audit_table(action="lock")) == 1 and len(store.audit_table(action="sign_in")) == 0
        (admin,) = store.accounts()
        assert admin["locked"] and admin["failed"] == 5
