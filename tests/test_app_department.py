"""部门总览 page: KPI tiles, charts and the project list from real imported workbooks."""
from __future__ import annotations

import dataclasses

import pytest
from apphelp import open_page, seed, texts
from drawn import captions, figures, pictures, tables, words

from perfcore.model import Num, Text
from perfcore.samples import load_seed_forms
from perfcore.store import Filters
from perfcore.writer import write_forms

ENGLISH = ("Upload", "per file", "Choose an option", "Select all", "Show data", "Download as", "Copy Vega",
           "Fullscreen", "Search", "Record screen", "Made with Streamlit", "None", "mof-2020")


GLANCE_FIGURES = {"规则得分": "glance_rule_low", "自评 − 规则": "glance_gap_wide", "执行率": "glance_rate_low"}


def _name(table) -> str:
    """Which of the page's tables this is, by its columns."""
    if "差额" in table:
        return "dept_projects"
    if "扣分合计" in table:
        return "dept_units"
    return GLANCE_FIGURES.get(table.columns[1], "?")


def frames(at) -> dict:
    """The page's tables by name (dept_projects, dept_units, glance_rule_low, ...)."""
    return {_name(t): t for t in tables(at)}


def project_list(at):
    return frames(at)["dept_projects"]


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
    assert metrics["平均规则得分"] == "98.40"
    assert metrics["等级 优 / 良 / 中 / 差"] == "5 / 0 / 0 / 0"
    drawn = [words(svg) for svg in pictures(at)]  # the charts, drawn on the server
    assert len(drawn) == 6, [w[:1] for w in drawn]
    assert "图表绘制中" not in texts(at)  # every chart's place was filled by its picture
    rates = next(w for w in drawn if "各项目预算执行率（虚线 = 90%）" in w)
    assert "窗口业务管理" in rates and "100.00%" in rates
    table = project_list(at)
    assert len(table) == 5 and table["评分卡·链接"].str.startswith("scorecard?v=").all()
    assert set(table["评分卡"]) == {"打开评分卡"}
    assert table["项目"].iloc[0] == "窗口业务管理"  # 规则得分最低 first: the one project below 100
    window = table[table["项目"] == "窗口业务管理"].iloc[0]
    assert window["规则总分"] == "92.01" and window["差额"] == "+5.99" and window["执行率"] == "100.00%"


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
    assert sum(figures(project_list(at)["全年预算数（万元）"])) == pytest.approx(867.467342, abs=0.03)


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
    score_trend, rate_trend = (words(svg) for svg in pictures(at)[-2:])
    assert "历年平均规则得分" in score_trend and "历年预算执行率（对全年预算）" in rate_trend
    # a padded scale: 96.40 → 98.40 is drawn on 90–100, not as a cliff between the two values
    ticks = [float(w) for w in score_trend if w.replace(".", "").isdigit()]
    assert min(ticks) == 90 and max(ticks) == 100
    assert "0.00%" in rate_trend and "100.00%" in rate_trend


def test_a_large_selection_charts_the_projects_that_matter_and_pages_the_list(app_db):
    from perfcore.store import Store
    from perfcore.synth import store_forms

    with Store(app_db) as store:
        store_forms(store, 200)  # five years × 40 projects
        newest = store.forms_table(Filters(year=int(store.forms_table()["year"].max())))
    at = open_page("department")
    assert len(newest) == 40 and len(project_list(at)) == 25  # a page of the list
    assert any(c.value.startswith("共 40 个项目，显示第 1–25 个") for c in at.caption)
    notes = [c for c in captions(at) if "图中为" in c]
    assert notes == [
        "共 40 个项目，图中为执行率最低的 30 个；完整名单见下方项目列表。",
        "共 40 个项目，图中为全年预算数最大的 30 个；完整名单见下方项目列表。",
        "共 40 个项目，图中为自评高出规则得分最多的 30 个；完整名单见下方项目列表。",
    ]
    drawn = words(pictures(at)[0])  # the rate chart: a label per bar, the 30 lowest rates
    cut = newest["rate"].nsmallest(30).iloc[-1]  # (ties at the 30th rate may go either way)
    shows = {p: any(w.startswith(p) for w in drawn) for p in newest["project"]}
    assert all(shows[p] for p in newest[newest["rate"] < cut]["project"])
    labels = [w for w in drawn if not w.endswith("%") and not w.startswith(("各项目预算执行率", "预算执行率（"))]
    assert len(labels) == 30, labels  # one bar a project, no more


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
    assert set(project_list(at)["年度"]) == {"未填年度"}
    assert at.multiselect(key="dept_department").options == ["未填主管部门"]
    at.selectbox(key="dept_year").select("全部年度").run()
    assert at.multiselect(key="dept_department").options == ["上海市松江区行政服务中心", "未填主管部门"]
    at.multiselect(key="dept_department").select("未填主管部门").run()
    assert {m.label: m.value for m in at.metric}["预算执行率（对全年预算）"] == "80.00%"
    assert len(project_list(at)) == 5


def test_one_glance_rankings_and_state_line(app_db):
    seed(app_db)
    at = open_page("department")
    shown = frames(at)
    lowest = shown["glance_rule_low"]
    assert list(lowest.columns) == ["项目", "规则得分", "实施单位", "项目·链接"]
    assert lowest.iloc[0]["项目"] == "窗口业务管理" and lowest.iloc[0]["规则得分"] == "92.01"
    assert lowest.iloc[0]["项目·链接"].startswith("scorecard?v=")
    assert shown["glance_gap_wide"].iloc[0]["自评 − 规则"] == "+5.99"
    assert len(shown["glance_rate_low"]) == 5
    page = texts(at)
    assert ("共 5 张自评表；等级：优 5 个，良 0 个，中 0 个，差 0 个；需核实 0 张；无法计分 0 张；部门预算执行率 100.00%。"
            in page)
    assert not [w for w in ENGLISH if w in page]
    assert at.multiselect(key="dept_unit").proto.placeholder == "全部实施单位"


def test_units_side_by_side(app_db):
    seed(app_db)
    seed(app_db, unit=Text("另一实施单位"), spent=0.5)
    at = open_page("department")
    units = frames(at)["dept_units"].set_index("实施单位")
    assert list(units.index) == ["另一实施单位", "上海市松江区行政服务中心"]  # lowest mean score first
    other, seeded = units.loc["另一实施单位"], units.loc["上海市松江区行政服务中心"]
    assert other["自评表数"] == seeded["自评表数"] == "5"
    assert other["执行率"] == "50.00%" and seeded["执行率"] == "100.00%"
    assert seeded["平均规则得分"] == "98.40" and seeded["扣分合计"] == "7.99"
    assert other["平均规则得分"] == "93.40"  # execution 10 → 5 points on each of the 5 forms
    assert other["扣分合计"] == "32.99"  # 7.99 + 5 × 5
    assert other["需核实"] == "0" and other["读取完整"] == "5"
    assert "主管部门" not in units  # one department: named once in the caption


def test_project_list_ranks_searches_and_pages_in_sql(app_db):
    from perfcore.store import Store
    from perfcore.synth import store_forms

    with Store(app_db) as store:
        store_forms(store, 300)  # five years × 60 projects
        newest = store.forms_table(Filters(year=int(store.forms_table()["year"].max())))
    assert len(newest) == 60
    at = open_page("department")
    first = project_list(at)
    assert len(first) == 25
    assert list(first["排名"].iloc[:3]) == ["1", "2", "3"]
    scored = newest[newest["reading_state"].fillna("完整") == "完整"]
    totals = figures(first["规则总分"])
    assert totals[0] == pytest.approx(scored["rule_total"].min(), abs=0.005)  # lowest-scoring first
    assert [t for t in totals if t is not None] == sorted(t for t in totals if t is not None)
    assert any(c.value.startswith("共 60 个项目，显示第 1–25 个") for c in at.caption)
    at.button(key="dept_next").click().run()
    assert project_list(at)["排名"].iloc[0] == "26"
    at.button(key="dept_next").click().run()
    assert len(project_list(at)) == 10
    assert any(c.value.startswith("共 60 个项目，显示第 51–60 个") for c in at.caption)
    at.selectbox(key="dept_order").select("budget_large").run()  # a new ranking starts on page 1
    ranked = project_list(at)
    assert figures(ranked["全年预算数（元）"])[0] == pytest.approx(newest["budget"].max(), abs=0.005)
    assert any(c.value.startswith("共 60 个项目，显示第 1–25 个") for c in at.caption)
    name = newest.sort_values("project")["project"].iloc[0]
    at.text_input(key="dept_search").input(name).run()
    found = project_list(at)
    assert set(found["项目"]) == set(newest[newest["project"].str.contains(name, regex=False)
                                          | newest["unit"].str.contains(name, regex=False)]["project"])
