"""Forms that were not read completely never show a grade: 需核实 / 无法计分 through every layer.

Real workbooks (tests/helpers/workbook_builder.py) are read, scored, stored in a real DuckDB
file and shown by the pages; the reading state decides what each layer may show.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from apphelp import XLSX, open_page, texts
from helpers.workbook_builder import FormSpec, Ind, one_form, standard_indicators

from perfcore.ingest import preview_files
from perfcore.reader import read_workbook
from perfcore.scoring import score_form
from perfcore.serialize import scorecard_to_dict
from perfcore.store import Store
from perfcore.views import upload_frame

ROOT = Path(__file__).resolve().parent.parent

# The standard form with its 分值 column header renamed: no weights can be read.
NO_WEIGHTS = FormSpec(project="无分值项目", ind_headers=(
    "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "备用", "得分", "偏差原因分析及改进措施"))
NO_INDICATORS = FormSpec(project="无指标项目", indicators=[Ind("", "", "")])
BLANK_ACTUAL = FormSpec(project="未填完成值项目", indicators=[
    Ind(i.level1, i.level2, i.name, i.target, "" if n == 1 else i.actual, i.weight, i.score)
    for n, i in enumerate(standard_indicators())
])
# The standard form with its one missed target met and self-scored in full: complete, no error finding.
MET = FormSpec(project="达标项目", total=(100, 100), indicators=[
    Ind(i.level1, i.level2, i.name, i.target, "29000家" if n == 1 else i.actual, i.weight, 10 if n == 1 else i.score)
    for n, i in enumerate(standard_indicators())
])


def _card(spec: FormSpec):
    result = read_workbook(one_form(spec), f"{spec.project}.xlsx")
    assert result.error is None, result.error
    return score_form(result.forms[0])


def test_a_complete_form_is_graded():
    card = _card(FormSpec())
    assert card.reading.state == "完整" and card.grade == "优" and card.total is not None
    assert set(card.reading.blocks) >= {"标题", "年度", "表头", "项目资金", "绩效指标", "总分"}


@pytest.mark.parametrize("spec", [NO_WEIGHTS, NO_INDICATORS], ids=["no-weights", "no-indicators"])
def test_a_form_without_weights_or_indicators_cannot_be_scored(spec):
    card = _card(spec)
    assert card.reading.state == "无法计分"
    assert card.total is None and card.grade is None and card.difference is None
    assert card.grade_label == "无法计分"
    d = scorecard_to_dict(card)
    assert d["total"]["score"] is None and d["grade"] is None
    assert d["reading"]["state"] == "无法计分" and d["reading"]["missing"]


def test_a_form_with_a_blank_actual_needs_checking_and_has_no_grade():
    card = _card(BLANK_ACTUAL)
    assert card.reading.state == "需核实"
    assert card.grade is None and card.total is not None  # provisional total, no grade
    assert any("服务新开办企业数量" in item and "实际完成值缺失" in item for item in card.reading.missing)


def test_incomplete_forms_and_forms_with_errors_are_never_preselected_for_import():
    specs = [MET, BLANK_ACTUAL, NO_WEIGHTS, FormSpec()]
    files = preview_files([(f"{spec.project}.xlsx", one_form(spec)) for spec in specs])
    frame = upload_frame(files, [["new"] * len(f.forms) for f in files])
    # problems first: forms with errors (无分值 has nine, the standard form an inflated self-score), then 需核实
    assert list(frame["项目"]) == [NO_WEIGHTS.project, FormSpec().project, BLANK_ACTUAL.project, MET.project]
    assert list(frame["导入"]) == [False, False, False, True]
    assert list(frame["读取状态"]) == ["无法计分", "完整", "需核实", "完整"]
    assert list(frame["等级"]) == ["无法计分", "优", "需核实", "优"]
    assert list(frame["错误"] > 0) == [True, True, False, False]


def test_department_views_leave_incomplete_forms_out_of_means_and_grades(tmp_path):
    cards = [_card(FormSpec()), _card(BLANK_ACTUAL), _card(NO_WEIGHTS)]
    with Store(tmp_path / "db.duckdb") as store:
        store.import_forms("a.xlsx", b"a", [c.form for c in cards], cards, user="测试")
        summary = store.dept_summary()
        assert summary["n_forms"] == 3 and summary["n_scored"] == 1
        assert summary["n_to_verify"] == 1 and summary["n_unscorable"] == 1
        assert summary["mean_score"] == pytest.approx(cards[0].total)
        assert summary["grades"] == {"优": 1, "良": 0, "中": 0, "差": 0}
        table = store.forms_table().set_index("project")
        assert table.loc["无分值项目", "reading_state"] == "无法计分"
        assert pd.isna(table.loc["无分值项目", "rule_total"]) and pd.isna(table.loc["无分值项目", "grade"])
        by_project = store.deductions(by="project")
        assert set(by_project["project"]) == {FormSpec().project}


def test_a_version_1_database_gains_reading_states(v1_db):
    """Files written before the reading report: NULL counts as scored, new imports record the state."""
    with Store(v1_db) as store:
        summary = store.dept_summary()
        assert summary["n_forms"] == 4 and summary["n_scored"] == 4
        assert store.forms_table()["reading_state"].isna().all()
        later = _card(BLANK_ACTUAL)
        store.import_forms("b.xlsx", b"b", [later.form], [later], user="测试")
        assert store.dept_summary()["n_to_verify"] == 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfcore", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_parse_explain_says_what_was_found_and_what_is_missing(tmp_path):
    path = tmp_path / "无分值项目.xlsx"
    path.write_bytes(one_form(NO_WEIGHTS))
    shown = _cli("parse", str(path), "--explain")
    assert shown.returncode == 0, shown.stderr
    assert "读取状态：无法计分" in shown.stdout and "绩效指标没有分值" in shown.stdout
    assert "项目资金：表1!A5" in shown.stdout
    as_json = json.loads(_cli("parse", str(path), "--json", "--explain").stdout)
    assert as_json["forms"][0]["reading"]["state"] == "无法计分"
    scored = json.loads(_cli("score", str(path), "--json").stdout)
    assert scored["forms"][0]["total"]["score"] is None and scored["forms"][0]["grade"] is None


def test_the_upload_page_shows_the_state_and_leaves_incomplete_forms_unticked(app_db):
    at = open_page("upload")
    at.file_uploader(key="uploader_0").set_value([
        ("完整.xlsx", one_form(MET), XLSX), ("无分值.xlsx", one_form(NO_WEIGHTS), XLSX),
    ]).run()
    assert not at.exception, [e.value for e in at.exception]
    preview = at.dataframe[0].value
    assert list(preview["文件"]) == ["无分值.xlsx", "完整.xlsx"]  # the form that cannot be scored first
    assert list(preview["导入"]) == [False, True] and list(preview["读取状态"]) == ["无法计分", "完整"]
    page = texts(at)  # the first row's findings and reading report are shown below the table
    assert "规则 无法计分" in page and "绩效指标没有分值" in page


def test_the_department_page_counts_incomplete_forms_apart(app_db):
    cards = [_card(FormSpec()), _card(BLANK_ACTUAL), _card(NO_WEIGHTS)]
    with Store(app_db) as store:
        store.import_forms("a.xlsx", b"a", [c.form for c in cards], cards, user="测试")
    at = open_page("department")
    page = texts(at)
    assert "另有 1 张需核实、1 张无法计分 的自评表未读取完整" in page
    assert f"平均规则得分 {cards[0].total:.2f}" in page


def test_the_scorecard_of_an_unscorable_form_says_so_before_any_number(app_db):
    card = _card(NO_WEIGHTS)
    with Store(app_db) as store:
        report = store.import_forms("a.xlsx", b"a", [card.form], [card], user="测试")
    at = open_page("scorecard", {"v": str(report.stored[0]["version_id"])})
    assert at.error and "无法计分" in at.error[0].value and "绩效指标没有分值" in at.error[0].value
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["规则得分"] == "—" and tiles["等级"] == "无法计分"
