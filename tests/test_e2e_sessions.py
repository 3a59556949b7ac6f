"""Several browsers open deep links at the same moment right after a server start (headless Chromium).

Why: until st.navigation has run once in the process, Streamlit runs a deep link's page without
app.py. Each such session must be handed over to app.py (sidebar, 元/万元 switch, sign-in check),
even when another session's app.py run has started meanwhile; a process-wide flag let some of
them through without it.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest
import test_e2e_browser as e2e
from apphelp import seed
from test_e2e_browser import VIEWPORT, WAIT_MS, WINDOW, _metric, _settle, running_app

pytestmark = pytest.mark.browser
chromium_browser = e2e.chromium_browser  # the browser fixture, shared

SESSIONS = 6
PAGES = [("department", "部门总览", ""), ("scorecard", "项目评分卡", f"?{urlencode(WINDOW)}")]


def test_deep_links_opened_together_after_a_start_all_run_through_the_app(tmp_path: Path, chromium_browser) -> None:
    db = tmp_path / "together.duckdb"
    seed(db)
    with running_app(db) as url:
        contexts = [chromium_browser.new_context(viewport=VIEWPORT, locale="zh-CN") for _ in range(SESSIONS)]
        try:
            pages = []
            for i, context in enumerate(contexts):
                context.set_default_timeout(WAIT_MS)
                path, heading, query = PAGES[i % len(PAGES)]
                page = context.new_page()
                page.goto(f"{url}/{path}{query}", wait_until="commit")  # all on their way before any is drawn
                pages.append((page, heading))
            for page, heading in pages:
                page.get_by_role("heading", name=heading).first.wait_for()
                _settle(page)
                sidebar = page.locator('[data-testid="stSidebar"]')
                sidebar.get_by_text("金额单位").wait_for()  # drawn by app.py only
                assert page.locator('[data-testid="stSidebarNav"] a[aria-current="page"]').inner_text().split()[-1] \
                    == heading
            scorecard = next(page for page, heading in pages if heading == "项目评分卡")
            assert _metric(scorecard, "规则得分").inner_text() == "92.01"
        finally:
            for context in contexts:
                context.close()
