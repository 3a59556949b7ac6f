"""perfboard: the Streamlit entry point. Builds the navigation; every page lives in pages/."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` adds it; AppTest and other runners may not
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ui import auth, common, static  # noqa: E402

common.page_config()
common.chinese_only()
static.styles()

common.mark_app_started()
auth.resolve()  # single-user, signed in or anonymous: decides the pages this visitor gets
page = st.navigation([*common.app_pages(other_addresses=(auth.SETUP_URL,)), auth.setup_entry()])  # + the first-run page (/setup)
common.sidebar()
with common.timed_run(page):  # off unless PERFBOARD_TIMING names a file
    page.run()
