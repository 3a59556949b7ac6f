"""Page-support logic without Streamlit: perfcore.views tables and ui.charts specs on the real seed."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from perfcore import ingest, views
from perfcore.reader import read_workbook
from perfcore.samples import SHEETS_WORKBOOK, load_seed_forms
from perfcore.scoring import score_form
from perfcore.whatif import Change, what_if
from ui import charts


@pytest.fixture(scope="module")
def cards():
    return {c.form.project.value: c for c in (score_form(f) for f in read_workbook(SHEETS_WORKBOOK).forms)}


@pytest.fixture
def window(cards):
    return cards["窗口业务管理"]


def test_md_escape_makes_markdown_and_html_inert():
    assert views.md_escape("**粗体** [链接](javascript:x) <b>") == (
        r"\*\*粗体\*\* \[链接\]\(javascript\:x\) \<b\>")
    assert views.md_escape(":material/home: 1. a_b") == r"\:material/home\: 1\. a\_b"
    assert views.md_escape(None) == ""


def test_indicator_frame_and_level1_summary(window):
    table = views.indicator_frame(window)
    assert len(table) == 18 and table["序号"].tolist() == list(range(1, 19))
    missed = table[table["扣分"] > 0]
    assert missed["三级指标"].tolist() == ["服务新开办企业数量", "政务服务免费快递业务量"]
    assert missed["规则得分"].tolist() == [0.76, 5.25] and missed["自评得分"].tolist() == [6.0, 6.0]
    assert missed["得分率"].round(4).tolist() == [0.1086, 0.75]
    summary = views.level1_summary(window).set_index("一级指标")
    assert summary.loc["预算执行率", "规则得分"] == 10
    assert summary.loc["产出指标", ["分值", "规则得分", "扣分"]].tolist() == [50, 42.01, 7.99]
    assert summary["规则得分"].sum() == pytest.approx(92.01)


def test_findings_grouped_by_severity_errors_first(window):
    groups = views.findings_by_severity(window.findings)
    assert [(s, label, len(t)) for s, label, t in groups] == [("error", "错误", 2), ("warning", "警告", 1)]
    assert groups[0][2]["单元格"].tolist() == ["窗口业务管理!D13", "窗口业务管理!D14"]
    assert views.severity_counts(window.findings) == {"error": 2, "warning": 1, "info": 0}


def test_form_kpis_and_funds_in_wan(window):
    k = views.form_kpis(window)
    assert (k.total, k.grade, k.declared, k.difference, k.rate) == (92.01, "优", 98, 5.99, 1.0)
    assert k.cut == pytest.approx(802257.18 / 3596500 - 1)
    funds = views.funds_frame(window.form, "万元")
    assert funds.iloc[0].tolist() == ["年度资金总额", "359.65", "80.23", "80.23"]


@pytest.fixture(scope="module")
def season():
    """The seed workbook uploaded twice (its five forms repeated) and a file that is no workbook."""
    data = SHEETS_WORKBOOK.read_bytes()
    return ingest.preview_files([("a.xlsx", data), ("坏.xlsx", b"not a workbook"), ("b.xlsx", data)])


def test_upload_frame_one_row_a_form_problems_first_and_the_suggested_ticks(season):
    a, bad, b = season
    stored = {"业务培训": "new", "宣传与推广": "same", "窗口业务管理": "changed"}
    statuses = [[stored.get(f.project, "new") for f in a.forms], [], ["new"] * len(b.forms)]
    frame = views.upload_frame(season, statuses)
    assert len(frame) == 11 and frame["序号"].tolist() == list(range(1, 12))
    first = frame.iloc[0]  # files that could not be read, then forms with errors (窗口业务管理 twice)
    assert (first["文件"], first["读取状态"], first["导入"]) == ("坏.xlsx", views.UNREADABLE, False)
    assert first["主要问题"] == bad.error.message
    assert frame["项目"].iloc[1:3].tolist() == ["窗口业务管理"] * 2
    assert frame["文件"].iloc[1:3].tolist() == ["a.xlsx", "b.xlsx"]
    assert frame["文件"].iloc[3:].tolist() == ["a.xlsx"] * 4 + ["b.xlsx"] * 4  # then upload order
    rows = frame.set_index(["文件", "项目"])
    assert rows.loc[("a.xlsx", "业务培训"), ["导入", "状态"]].tolist() == [True, "新表"]
    assert rows.loc[("a.xlsx", "宣传与推广"), ["导入", "状态"]].tolist() == [False, "已导入（内容相同）"]
    # changed, but two error findings: left for the user to tick
    assert rows.loc[("a.xlsx", "窗口业务管理"), ["导入", "状态", "错误"]].tolist() == [
        False, "新版本（导入后替换当前版本）", 2]
    assert set(rows.loc["b.xlsx", "状态"]) == {views.DUPLICATE_LABEL} and not rows.loc["b.xlsx", "导入"].any()
    window = rows.loc[("a.xlsx", "窗口业务管理")]
    assert (window["规则总分"], window["自评总分"], window["等级"], window["读取状态"]) == (92.01, 98, "优", "完整")
    assert window["工作表"] == "窗口业务管理" and window["年度"] == 2021 and "3146" in window["主要问题"]
    assert views.upload_counts(frame) == "有错误 2 张，已导入且内容相同 1 张，本次上传中重复 5 张"
    assert views.upload_row_labels(frame)[:2] == [
        "1. 坏.xlsx · （无法读取）", "2. a.xlsx · 窗口业务管理 · 窗口业务管理"]

    everything = views.upload_frame(season, statuses, "全部").set_index(["文件", "项目"])
    assert everything.loc["a.xlsx", "导入"].all() and not everything.loc["b.xlsx", "导入"].any()
    assert not views.upload_frame(season, statuses, "全不选")["导入"].any()


def test_preview_reports_unreadable_bytes_without_raising(season):
    bad = season[1]
    assert bad.error is not None and bad.forms == [] and bad.name == "坏.xlsx"
    assert "坏.xlsx" in str(bad.error)


def test_whatif_changes_from_editor_frames(window):
    form = window.form
    indicators = views.whatif_indicator_input(form)
    funds = views.whatif_funds_input(form, "万元")
    indicators.loc[0, "实际完成值"] = "29000家"
    indicators.loc[1, "年度指标值"] = ">=13500件"       # locked: ignored unless simulating
    funds.loc[0, "全年执行数"] = 64.180574               # 万元
    changes = views.whatif_changes(form, indicators, funds, "万元")
    assert changes == [Change("actual", 0, "29000家"), Change("executed", None, 641805.74)]
    simulated = views.whatif_changes(form, indicators, funds, "万元", simulate=True)
    assert Change("target", 1, ">=13500件") in simulated
    result = what_if(form, changes)
    diff = views.whatif_diff_frame(result)
    assert diff["三级指标"].tolist() == [views.EXECUTION_LABEL, "服务新开办企业数量"]
    assert diff["变化"].tolist() == [-2.0, 6.24] and result.new.total == 96.25


def test_editor_state_read_before_the_editors_gives_the_same_changes(window):
    """The what-if page reads the editors' session state first (the new total is sent before the grids)."""
    form = window.form
    indicators, funds = views.whatif_indicator_input(form), views.whatif_funds_input(form, "万元")
    edited = views.with_grid_edits(indicators, {"edited_rows": {"0": {"实际完成值": "29000家"}, 1: {"年度指标值": ">=13500件"},
                                                                "99": {"实际完成值": "no such row"}},
                                                "added_rows": [], "deleted_rows": []})
    amounts = views.with_grid_edits(funds, {"edited_rows": {0: {"全年执行数": 64.180574}}})
    assert views.whatif_changes(form, edited, amounts, "万元") == [Change("actual", 0, "29000家"),
                                                                 Change("executed", None, 641805.74)]
    assert indicators.loc[0, "实际完成值"] != "29000家"  # a copy: the editor's input is untouched
    cleared = views.with_grid_edits(funds, {"edited_rows": {0: {"全年执行数": None}}})
    assert pd.isna(cleared.loc[0, "全年执行数"]) and views.whatif_changes(form, indicators, cleared, "万元") == []
    assert views.with_grid_edits(funds, None).equals(funds)


def test_full_marks_and_path_frames(window):
    marks = views.full_marks_frame(window)
    assert marks[["三级指标", "满分所需实际值"]].values.tolist() == [
        ["服务新开办企业数量", "29000家"], ["政务服务免费快递业务量", "18000件"]]
    path = views.path_frame(window, [Change("actual", 0, "29000家")])
    assert path.iloc[0].tolist() == ["服务新开办企业数量", "3146", "29000家", 6.24]


def test_with_labels_disambiguates_repeated_project_names():
    table = pd.DataFrame({"project": ["培训", "培训", "培训", "宣传"], "unit": ["甲", "乙", "乙", "甲"],
                          "year": [2021, 2021, 2022, 2021]})
    assert views.with_labels(table)["label"].tolist() == ["培训（甲）", "培训（乙） 2021", "培训（乙） 2022", "宣传"]


def test_with_labels_of_no_rows_and_charted_rows_labelled_alone():
    """An empty selection (integer year column) labels nothing instead of failing; a chart's
    rows are labelled among themselves, so a name repeated only outside them stays bare."""
    empty = pd.DataFrame({"project": pd.Series([], dtype=str), "unit": pd.Series([], dtype=str),
                          "year": pd.Series([], dtype="Int32")})
    assert views.with_labels(empty)["label"].tolist() == []
    table = pd.DataFrame({"project": ["培训", "培训", "宣传"], "unit": ["甲", "乙", "甲"],
                          "year": [2021, 2021, 2021], "rate": [0.5, 0.9, 0.2]})
    shown, note = views.chart_projects(table, "rate", "执行率最低", ascending=True, n=2)
    assert shown["label"].tolist() == ["宣传", "培训"] and "共 3 个项目" in note


def test_deleted_candidates_from_the_audit_trail():
    audit = pd.DataFrame({"action": ["restore", "delete", "import", "delete"],
                          "version_ids": [[3], [3, 4], [1, 2], [4]]})
    assert views.deleted_candidates(audit) == [3, 4]
    assert views.version_label({"project": "业务培训", "unit": "甲", "year": None, "version_no": 2,
                                "deleted": True, "is_current": False}) == "业务培训 · 甲 · 未填年度 · 版本 2（已删除）"


def test_charts_encode_the_right_fields(window):
    spec = charts.level1_scores(views.level1_summary(window)).to_dict()
    assert spec["encoding"]["x"]["field"] == "分" and spec["encoding"]["x"]["stack"] == "zero"
    rows = spec["datasets"][spec["data"]["name"]]
    assert {"一级指标": "产出指标", "类别": "扣分", "分": 7.99} in rows
    forms = pd.DataFrame([{"project": c.project.value, "unit": c.unit.value, "year": 2021,
                           "rate": 0.5, "initial": 2.0, "budget": 1.0, "executed": 0.5} for c in load_seed_forms()])
    rate = json.dumps(charts.rate_by_project(views.with_labels(forms)).to_dict(), ensure_ascii=False)
    assert '"x": 0.9' in rate and "预算执行率" in rate


def test_audit_frame_words_entries_written_before_未填年度():
    table = pd.DataFrame({"at": [pd.Timestamp("2026-01-01")], "action": ["delete"], "user": ["甲"],
                          "forms": ["年度不详年 单位·培训（版本 3）"], "file_name": [""], "detail": ["删除 1 个版本"]})
    assert views.audit_frame(table)["涉及表单"].tolist() == ["未填年度 单位·培训（版本 3）"]
