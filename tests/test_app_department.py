"""部门总览 page: KPI tiles, charts and the project list from real imported workbooks."""
from __future__ import annotations

import dataclasses
import json

import pyarrow as pa
import pytest
from apphelp import open_page, seed, texts

from perfcore.model import Num
from perfcore.samples import load_seed_forms
from perfcore.store import Filters
from perfcore.writer import write_forms


def test_empty_database_links_to_upload(app_db):
    assert "数据库里还没有自评表" in texts(open_page("department"))


def test_seed_kpis_charts_and_project_links(app_db):
    seed(app_db)
    at = open_page("department")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["项目数"] == "5"
    assert metrics["年初预算数（元）"] == "13,684,500.00"
    assert metrics["全年预算数（元）"] == "8,674,673.42"
    assert metrics["预算执行率（对全年预算）"] == "100.00%"
    assert metrics["预算执行率（对年初预算）"] == "63.39%"
    assert metrics["平均规则得分"] == "98.4"
    assert metrics["等级 优 / 良 / 中 / 差"] == "5 / 0 / 0 / 0"
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    titles = [s.get("title") or s.get("layer", [{}])[0].get("title") for s in specs]
    assert "各项目预算执行率（虚线 = 90%）" in json.dumps(specs, ensure_ascii=False)
    assert len(specs) == 6, titles
    table = at.dataframe[0].value
    assert len(table) == 5 and table["评分卡"].str.startswith("scorecard?v=").all()
    window = table[table["项目"] == "窗口业务管理"].iloc[0]
    assert window["规则总分"] == 92.01 and window["差额"] == 5.99


def test_filters_and_money_unit(app_db):
    seed(app_db)
    at = open_page("department")
    at.multiselect(key="dept_grade").set_value(["良"]).run()
    assert "没有符合筛选条件的项目" in texts(at)
    at.multiselect(key="dept_grade").set_value([]).run()
    at.session_state["money_unit"] = "万元"
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["全年预算数（万元）"] == "867.47"
    assert at.dataframe[0].value["全年预算数"].sum() == pytest.approx(867.467342)


def test_multi_year_comparison_when_two_years_stored(app_db, tmp_path):
    seed(app_db)
    forms = []
    for form in load_seed_forms():  # the same projects a year later, spending 80% of the budget
        total = form.fund("total")
        total.executed = Num(total.budget.value * 0.8)
        forms.append(dataclasses.replace(form, year=2022))
    later = tmp_path / "2022.xlsx"
    write_forms(forms, later)
    seed(app_db, later)
    at = open_page("department")
    assert at.selectbox(key="dept_year").value == 2022
    assert {m.label: m.value for m in at.metric}["预算执行率（对全年预算）"] == "80.00%"
    assert "历年对比" in texts(at)
    trend = json.loads(at.get("vega_lite_chart")[-1].proto.spec)
    assert "历年平均规则得分" in json.dumps(trend, ensure_ascii=False)


def test_a_large_selection_charts_the_projects_that_matter_and_lists_them_all(app_db):
    from perfcore.store import Store
    from perfcore.synth import store_forms

    with Store(app_db) as store:
        store_forms(store, 200)  # five years × 40 projects
        newest = store.forms_table(Filters(year=int(store.forms_table()["year"].max())))
    at = open_page("department")
    assert len(at.dataframe[0].value) == len(newest) == 40
    notes = [c.value for c in at.caption if "图中为" in c.value]
    assert notes == [
        "共 40 个项目，图中为执行率最低的 30 个；完整名单见下方项目列表。",
        "共 40 个项目，图中为全年预算数最大的 30 个；完整名单见下方项目列表。",
        "共 40 个项目，图中为自评高出规则得分最多的 30 个；完整名单见下方项目列表。",
    ]
    rate_chart = at.get("vega_lite_chart")[0].proto  # its rows travel as Arrow IPC bytes
    shown = [pa.ipc.open_stream(d.data.data).read_all() for d in rate_chart.datasets]
    bars = next(t for t in shown if "执行率" in t.column_names)
    assert sorted(bars.column("执行率").to_pylist()) == pytest.approx(sorted(newest["rate"])[:30])


def test_forms_without_a_year_or_department_can_be_chosen(app_db):
    from perfcore.model import Text

    seed(app_db)  # 2021
    seed(app_db, year=None, department=Text(""), spent=0.8)  # the same forms, year and 主管部门 left blank
    at = open_page("department")
    year = at.selectbox(key="dept_year")
    assert year.value == 2021 and year.options == ["全部年度", "2021年", "未填年度"]
    assert {m.label: m.value for m in at.metric}["项目数"] == "5"
    assert "另有 5 张自评表未填年度" in texts(at)  # they do not vanish silently
    at.selectbox(key="dept_year").select("未填年度").run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["项目数"] == "5" and metrics["预算执行率（对全年预算）"] == "80.00%"
    assert "未填年度" not in texts(at).replace("“未填年度”", "")  # no notice about the ones on screen
    assert at.dataframe[0].value["年度"].isna().all()
    assert at.multiselect(key="dept_department").options == ["未填主管部门"]
    at.selectbox(key="dept_year").select("全部年度").run()
    assert at.multiselect(key="dept_department").options == ["上海市松江区行政服务中心", "未填主管部门"]
    at.multiselect(key="dept_department").select("未填主管部门").run()
    assert {m.label: m.value for m in at.metric}["预算执行率（对全年预算）"] == "80.00%"
    assert len(at.dataframe[0].value) == 5
