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
