"""perfboard: the Streamlit entry point. Builds the navigation; every page lives in pages/."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` adds it; AppTest and other runners may not
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ui.common import sidebar  # noqa: E402

st.set_page_config(page_title="绩效自评看板", page_icon=":material/fact_check:", layout="wide")

PAGES = [
    st.Page("pages/upload.py", title="上传与校验", icon=":material/upload_file:", url_path="upload", default=True),
    st.Page("pages/scorecard.py", title="项目评分卡", icon=":material/assignment:", url_path="scorecard"),
    st.Page("pages/department.py", title="部门总览", icon=":material/monitoring:", url_path="department"),
    st.Page("pages/whatif.py", title="模拟测算", icon=":material/calculate:", url_path="whatif"),
    st.Page("pages/manage.py", title="数据管理", icon=":material/database:", url_path="manage"),
]

page = st.navigation(PAGES)
sidebar()
page.run()
