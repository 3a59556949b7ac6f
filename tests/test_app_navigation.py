"""Navigation: every page at the address of its file (/upload, /scorecard, ...), the root opens the upload page."""
from __future__ import annotations

from pathlib import Path

from apphelp import ROOT, open_page

TITLES = {"upload": "上传与校验", "scorecard": "项目评分卡", "department": "部门总览", "whatif": "模拟测算",
          "manage": "数据管理"}


def test_every_page_is_served_at_the_address_of_its_file(app_db):
    at = open_page()
    # the pages st.navigation registered (AppTest's own map from script hash to page info)
    served = {Path(info["script_path"]).stem: info["url_pathname"]
              for info in at._registered_pages.values() if info.get("script_path")}
    assert served == {stem: stem for stem in TITLES}  # none is served at "" only (a direct /upload was "Page not found")
    assert sorted(TITLES) == sorted(p.stem for p in (ROOT / "pages").glob("*.py"))


def test_the_app_starts_on_the_upload_page_and_each_page_opens(app_db):
    at = open_page()
    assert at.title[0].value == "上传与校验" and not at.exception
    for stem, title in TITLES.items():
        at.switch_page(f"pages/{stem}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.title[0].value == title, stem
