"""Views in the address (issue 19): 部门总览's filters and the 金额单位 are read from the page's query
parameters and written back, so a view can be bookmarked or sent; values that are no choice are
left out with a Chinese note. AppTest on a real database with the seed (2021) and the same forms
under 2022 in another department."""
from __future__ import annotations

import pytest
from apphelp import open_page, seed, texts
from drawn import tables

from perfcore.model import Text

SEED_UNIT = "上海市松江区行政服务中心"
OTHER = "乙部门"


@pytest.fixture(autouse=True)
def as_served(monkeypatch):
    """Every AppTest run through app.py, as `make run` serves it (ui/serve.py turns Streamlit's old pages/
    folder mode off; AppTest turns it on again before each run, which runs a page without app.py's sidebar)."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    from ui.serve import old_pages_mode_off

    class Served(PagesManager):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            old_pages_mode_off()

    monkeypatch.setattr(app_test, "PagesManager", Served)


@pytest.fixture
def two_departments(app_db):
    seed(app_db)  # 2021, the seed's own department
    seed(app_db, department=Text(OTHER), unit=Text("乙单位"))
    return app_db


def _projects(at) -> list[str]:
    table = next(t for t in tables(at) if "差额" in t)
    return list(table["项目"])


def test_a_sent_address_opens_the_same_view(two_departments):
    at = open_page("department", {"dept_department": OTHER, "dept_grade": "优", "money_unit": "万元"})
    assert at.multiselect(key="dept_department").value == [OTHER]
    assert at.multiselect(key="dept_grade").value == ["优"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["项目数"] == "5" and metrics["全年预算数（万元）"] == "867.47"
    assert any(t.startswith("主管部门：乙部门") for t in (c.value for c in at.caption))
    assert "已忽略" not in texts(at)


def test_choosing_filters_writes_them_to_the_address_and_defaults_stay_out(two_departments):
    at = open_page("department")
    assert "dept_department" not in at.query_params and "money_unit" not in at.query_params
    at.multiselect(key="dept_unit").set_value(["乙单位"]).run()
    at.session_state["money_unit"] = "万元"  # the sidebar's switch (AppTest does not list sidebar button groups)
    at.run()
    # the filters are bound to the address (bind="query-params": the browser writes them, AppTest shows
    # none; tests/test_e2e_address.py reads them in Chromium); the sidebar writes the money unit itself
    assert at.query_params["money_unit"] == "万元"
    # the address, opened in a new session, gives the same view
    again = open_page("department", {"money_unit": "万元", "dept_unit": "乙单位"})
    assert again.multiselect(key="dept_unit").value == ["乙单位"]
    assert {m.label: m.value for m in again.metric}["全年预算数（万元）"] == "867.47"
    assert _projects(again) == _projects(at)
    at.session_state["money_unit"] = "元"
    at.run()
    assert "money_unit" not in at.query_params  # the default is left out of the address
    assert "全年预算数（元）" in {m.label for m in at.metric}


def test_values_that_are_no_choice_are_ignored_with_a_chinese_note(two_departments):
    at = open_page("department", {"dept_year": "2099年", "dept_unit": "没有这个单位", "money_unit": "美元"})
    shown = texts(at)
    assert "链接中的筛选条件年度“2099年”、实施单位“没有这个单位”不在可选范围内" in shown
    assert "链接中的金额单位“美元”无效" in " ".join(w.value for w in at.sidebar.warning)
    assert at.selectbox(key="dept_year").value == 2021 and at.multiselect(key="dept_unit").value == []
    assert "全年预算数（元）" in {m.label for m in at.metric}
    assert "dept_year" not in at.query_params and "dept_unit" not in at.query_params  # Streamlit dropped them
    at.session_state["money_unit"] = "万元"  # choosing a unit replaces the wrong one, and the note goes
    at.run()
    assert at.query_params["money_unit"] == "万元" and "无效" not in " ".join(w.value for w in at.sidebar.warning)
    assert {m.label: m.value for m in at.metric}["项目数"] == "10"
