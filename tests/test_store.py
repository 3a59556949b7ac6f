"""The DuckDB store on a real database file: transactions, versions, audit, department SQL."""
from __future__ import annotations

import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from perfcore.errors import StoreError, StoreLockedError
from perfcore.model import ExecutionScore, Finding, Form, IndicatorScore, Scorecard, Text
from perfcore.store import LOCKED_MESSAGE, Filters, ImportFile, Store, default_db_path
from tests.formfactory import Row, make_form

ROWS = [
    Row("服务企业数量", ">=100家", "50家", 20.0),
    Row("项目完工及时性", "及时", "及时", 30.0, level2="时效指标"),
    Row("长效管理制度健全性", "健全", "健全", 30.0, level1="效益指标", level2="可持续影响指标"),
    Row("服务对象满意度", ">=90%", "≥90%", 10.0, level1="满意度指标", level2="服务对象满意度指标"),
]


def form(
    project: str = "项目甲",
    unit: str = "单位A",
    year: int | None = 2021,
    department: str = "部门一",
    *,
    initial: float | None = 100.0,
    budget: float | None = 100.0,
    executed: float | None = 100.0,
    declared: float | None = None,
) -> Form:
    """A four-indicator form (weights 20/30/30/10 + execution 10) with the given key and amounts."""
    rows = ROWS if declared is None else [replace(ROWS[0], declared=declared), *ROWS[1:]]
    f = make_form(rows, project=project, initial=initial, budget=budget, executed=executed)
    return replace(f, year=year, unit=Text(unit, f.unit.cell), department=Text(department, f.department.cell))


def card(f: Form, scores: list[float], exec_score: float = 10.0, grade: str = "优", codes: tuple[str, ...] = ()) -> Scorecard:
    """A scorecard with chosen rule scores, so aggregates can be worked out by hand."""
    items = [
        IndicatorScore(i, ind.weight.value, s, "met" if s == ind.weight.value else "missed", f"说明{i}",
                       ind.declared_score.value)
        for i, (ind, s) in enumerate(zip(f.indicators, scores, strict=True))
    ]
    budget, executed = f.fund("total").budget.value, f.fund("total").executed.value
    findings = [Finding(code, "error" if code.startswith("E") else "warning", f"问题 {code}", "测试!A1") for code in codes]
    return Scorecard(
        form=f, policy="测试规则",
        execution=ExecutionScore(10.0, executed / budget if budget else None, exec_score, "执行说明"),
        indicators=items, total=round(exec_score + sum(scores), 2), grade=grade,
        declared_total=f.total_declared.value, findings=findings,
    )


def full(f: Form) -> Scorecard:
    return card(f, [i.weight.value for i in f.indicators])


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "store.duckdb") as s:
        yield s


# --- importing ------------------------------------------------------------------------------


def test_import_stores_forms_and_reloads_them_exactly(store: Store) -> None:
    a, b = form("项目甲"), form("项目乙")
    report = store.import_forms("a.xlsx", b"bytes-a", [a, b], [full(a), full(b)], user="张三")
    assert report.status == "imported" and report.import_id == 1
    assert [(i["project"], i["version_id"]) for i in report.stored] == [("项目甲", 1), ("项目乙", 2)]
    assert store.count_forms() == 2
    assert store.load_form(1) == a and store.load_form(2) == b
    table = store.forms_table()
    assert list(table.columns[:14]) == [
        "version_id", "year", "department", "unit", "project", "initial", "budget", "executed", "rate",
        "declared_total", "rule_total", "grade", "n_errors", "n_warnings",
    ]
    assert set(table["project"]) == {"项目甲", "项目乙"}
    assert len(store.forms_table(limit=1)) == 1
    scores = store.indicator_scores(1)
    assert list(scores["name"]) == [r.name for r in ROWS]
    assert list(scores["explanation"]) == ["说明0", "说明1", "说明2", "说明3"]
    assert list(store.fund_lines(1)["kind"]) == ["total", "appropriation", "carryover", "other"]
    imports = store.imports_table()
    assert imports.loc[0, "file_name"] == "a.xlsx" and imports.loc[0, "user"] == "张三"
    assert imports.loc[0, "n_forms"] == 2 and imports.loc[0, "status"] == "imported"
    audit = store.audit_table()
    assert list(audit["action"]) == ["import"] and list(audit.loc[0, "version_ids"]) == [1, 2]


def test_reimporting_the_same_file_changes_nothing(store: Store) -> None:
    a = form()
    first = store.import_forms("a.xlsx", b"same bytes", [a], [full(a)])
    again = store.import_forms("a.xlsx", b"same bytes", [a], [full(a)])
    assert again.status == "skipped" and again.duplicate_of == first.import_id
    assert again.skipped == [{"year": 2021, "unit": "单位A", "project": "项目甲", "version_id": 1, "version_no": 1,
                              "reason": "file"}]
    assert len(store.imports_table()) == 1 and len(store.audit_table()) == 1
    assert len(store.history(2021, "单位A", "项目甲")) == 1


def test_the_rest_of_a_partly_imported_file_can_be_imported_later(store: Store) -> None:
    """The upload page leaves forms with errors unticked: coming back for them must store them."""
    a, b = form("项目甲"), form("项目乙")
    store.import_forms("a.xlsx", b"same bytes", [a], [full(a)])
    later = store.import_forms("a.xlsx", b"same bytes", [a, b], [full(a), full(b)])
    assert later.status == "imported" and later.duplicate_of is None
    assert [i["project"] for i in later.stored] == ["项目乙"]
    assert [(i["project"], i["reason"]) for i in later.skipped] == [("项目甲", "same")]
    assert store.count_forms() == 2


def test_same_form_in_another_file_is_skipped_not_duplicated(store: Store) -> None:
    a = form()
    moved = replace(a, source=replace(a.source, file="stacked.xlsx", sheet="自评表", first_row=34))
    store.import_forms("sheets.xlsx", b"one", [a], [full(a)])
    report = store.import_forms("stacked.xlsx", b"two", [moved], [full(moved)])
    assert report.status == "skipped" and report.skipped[0]["reason"] == "same"
    assert store.form_status(moved) == "same"
    assert len(store.history(2021, "单位A", "项目甲")) == 1
    assert list(store.imports_table()["status"]) == ["skipped", "imported"]


@pytest.mark.parametrize("year", [2021, None])
def test_changed_form_becomes_a_new_current_version_and_history_is_kept(store: Store, year: int | None) -> None:
    old = form(year=year)
    new = form(year=year, declared=15.0)
    assert store.form_status(old) == "new"
    store.import_forms("v1.xlsx", b"v1", [old], [full(old)])
    assert store.form_status(new) == "changed"
    report = store.import_forms("v2.xlsx", b"v2", [new], [card(new, [10.0, 30.0, 30.0, 10.0], grade="良")])
    assert report.replaced == [
        {"year": year, "unit": "单位A", "project": "项目甲", "version_id": 2, "version_no": 2, "previous_version_id": 1}
    ]
    history = store.history(year, "单位A", "项目甲")
    assert list(history["version_no"]) == [2, 1]
    assert list(history["is_current"]) == [True, False]
    assert list(history["file_name"]) == ["v2.xlsx", "v1.xlsx"]
    assert store.count_forms() == 1
    assert store.forms_table().loc[0, "version_id"] == 2
    assert store.load_form(1) == old and store.load_form(2) == new
    assert list(store.audit_table()["action"]) == ["replace", "import"]


def test_two_files_in_one_batch_can_version_the_same_form(store: Store) -> None:
    old, new = form(), form(declared=15.0)
    reports = store.import_many([ImportFile("v1.xlsx", b"v1", [old], [full(old)]), ImportFile("v2.xlsx", b"v2", [new])])
    assert [r.status for r in reports] == ["imported", "imported"]
    assert reports[1].replaced[0]["previous_version_id"] == reports[0].stored[0]["version_id"]
    assert list(store.history(2021, "单位A", "项目甲")["is_current"]) == [True, False]
    assert store.forms_table()["rule_total"].isna().all()  # the second file came without scorecards


# --- all or nothing -------------------------------------------------------------------------------


def _planted_year() -> tuple[Form, Scorecard]:
    bad = form("项目乙", year=10**12)  # does not fit the INTEGER year column
    return bad, full(bad)


def _planted_finding() -> tuple[Form, Scorecard]:
    bad = form("项目乙")
    sc = full(bad)
    sc.findings.append(Finding("X01", "error", "无法编码的文字 \ud800", "x!A1"))  # fails in the last table written
    return bad, sc


@pytest.mark.parametrize("plant", [_planted_year, _planted_finding])
def test_a_file_whose_second_form_fails_lands_not_at_all(store: Store, plant) -> None:
    good = form("项目甲")
    bad, bad_card = plant()
    with pytest.raises(StoreError, match="a.xlsx"):
        store.import_forms("a.xlsx", b"a", [good, bad], [full(good), bad_card])
    assert store.count_forms() == 0
    assert store.history(2021, "单位A", "项目甲").empty
    assert store.imports_table().empty and store.audit_table().empty
    assert store.indicator_scores(1).empty and store.fund_lines(1).empty
    report = store.import_forms("a.xlsx", b"a", [good], [full(good)])  # the next import works
    assert report.status == "imported" and report.stored[0]["version_id"] == 1


def test_a_failing_file_in_a_batch_does_not_stop_the_others(store: Store) -> None:
    good1, good2 = form("项目甲"), form("项目乙")
    bad, bad_card = _planted_finding()
    bad = replace(bad, project=Text("项目丙"))
    bad_card = replace(bad_card, form=bad)
    reports = store.import_many([
        ImportFile("1.xlsx", b"1", [good1], [full(good1)]),
        ImportFile("2.xlsx", b"2", [form("项目丁"), bad], [full(form("项目丁")), bad_card]),
        ImportFile("3.xlsx", b"3", [good2], [full(good2)]),
    ])
    assert [r.status for r in reports] == ["imported", "failed", "imported"]
    assert "保存到数据库失败" in reports[1].error
    assert sorted(store.forms_table()["project"]) == ["项目乙", "项目甲"]
    assert list(store.imports_table()["file_name"]) == ["3.xlsx", "1.xlsx"]


# --- delete / restore -------------------------------------------------------------------------------


def test_soft_delete_and_restore_move_the_current_version(store: Store) -> None:
    old, new = form(), form(declared=15.0)
    store.import_forms("v1.xlsx", b"v1", [old], [full(old)], user="甲")
    store.import_forms("v2.xlsx", b"v2", [new], [full(new)], user="甲")
    assert store.delete_version(2, user="乙") is True
    assert store.delete_version(2, user="乙") is False
    assert list(store.forms_table()["version_id"]) == [1]
    history = store.history(2021, "单位A", "项目甲")
    assert list(history["deleted"]) == [True, False] and history.loc[0, "deleted_by"] == "乙"
    assert store.load_form(2) == new  # deleted versions stay readable
    assert store.restore_version(2, user="丙") is True
    assert list(store.forms_table()["version_id"]) == [2]
    assert store.delete_version(2, user="丁") is True
    assert list(store.forms_table()["version_id"]) == [1]  # the previous version is current again
    assert store.delete_version(1, user="丁") is True
    assert store.count_forms() == 0 and store.forms_table().empty
    audit = store.audit_table()
    assert list(audit["action"]) == ["delete", "delete", "restore", "delete", "replace", "import"]
    assert list(audit["user"])[:4] == ["丁", "丁", "丙", "乙"]
    assert list(audit.loc[0, "version_ids"]) == [1]
    with pytest.raises(StoreError, match="99"):
        store.delete_version(99)
    with pytest.raises(StoreError, match="99"):
        store.load_form(99)


def test_audit_entries_name_versions_by_number_and_forms_without_a_year(store: Store) -> None:
    a, b, b2 = form("甲"), form("乙", year=None), form("乙", year=None, declared=15.0)
    store.import_forms("a.xlsx", b"a", [a, b], [full(a), full(b)], user="甲")
    report = store.import_forms("b.xlsx", b"b", [b2, a], [full(b2), full(a)], user="甲")
    assert report.replaced[0]["version_id"] == 3 and report.replaced[0]["version_no"] == 2
    assert report.skipped[0]["version_no"] == 1  # 甲 unchanged: its current version's number
    assert store.delete_version(3, user="乙")
    forms = list(store.audit_table()["forms"])
    assert forms == ["未填年度 单位A·乙（版本 2）", "未填年度 单位A·乙（版本 2）",
                     "2021年 单位A·甲（版本 1）；未填年度 单位A·乙（版本 1）"]


def test_a_deleted_form_imported_again_from_another_file_is_new(store: Store) -> None:
    a = form()
    store.import_forms("a.xlsx", b"a", [a], [full(a)])
    store.delete_version(1)
    assert store.form_status(a) == "new"
    report = store.import_forms("a-again.xlsx", b"a2", [a], [full(a)])
    assert report.stored[0]["version_id"] == 2 and report.stored[0]["version_no"] == 2
    assert store.count_forms() == 1


# --- department views, worked out by hand -----------------------------------------------------------


@pytest.fixture
def dept(store: Store) -> Store:
    """Four current forms (plus one replaced version that must not count).

    A 2021 U1: initial 200, budget 100, executed 90, rule 10+10+30+30+10 → exec 9 → 89
    B 2021 U1: initial 300, budget 300, executed 300, rule 20+30+15+10 + 10 → 85
    C 2021 U2 (部门二): initial 100, budget 100, executed 50, rule 0+30+30+0 + 5 → 65
    D 2022 U1: initial 400, budget 400, executed 400, all full → 100
    """
    a = form("A", "U1", initial=200, budget=100, executed=90)
    b = form("B", "U1", initial=300, budget=300, executed=300)
    c = form("C", "U2", department="部门二", initial=100, budget=100, executed=50)
    d = form("D", "U1", year=2022, initial=400, budget=400, executed=400)
    stale = form("D", "U1", year=2022, initial=1, budget=1, executed=1)
    store.import_forms("old.xlsx", b"old", [stale], [card(stale, [0, 0, 0, 0], 0, "差", ("E1",))])
    store.import_forms("2021.xlsx", b"2021", [a, b, c], [
        card(a, [10, 30, 30, 10], 9, "良", ("W1",)),
        card(b, [20, 30, 15, 10], 10, "良", ("E1", "W1")),
        card(c, [0, 30, 30, 0], 5, "中", ("E1",)),
    ])
    store.import_forms("2022.xlsx", b"2022", [d], [full(d)])
    return store


def test_department_summary_sums_money_before_dividing(dept: Store) -> None:
    s = dept.dept_summary()
    assert s["n_forms"] == 4 and s["n_units"] == 2 and s["n_departments"] == 2 and s["n_projects"] == 4
    assert (s["initial"], s["budget"], s["executed"]) == (1000, 900, 840)
    assert s["rate"] == pytest.approx(840 / 900)
    assert s["rate_vs_initial"] == pytest.approx(840 / 1000)
    assert s["mean_score"] == pytest.approx((89 + 85 + 65 + 100) / 4)
    assert s["weighted_score"] == pytest.approx((89 * 100 + 85 * 300 + 65 * 100 + 100 * 400) / 900)
    assert s["grades"] == {"优": 1, "良": 2, "中": 1, "差": 0}
    assert (s["n_errors"], s["n_warnings"]) == (2, 2)
    y = dept.dept_summary(Filters(year=2021, unit=["U1", "U2"]))
    assert y["n_forms"] == 3 and y["rate"] == pytest.approx(440 / 500)
    assert dept.dept_summary(Filters(grade="良"))["n_forms"] == 2
    assert dept.dept_summary(Filters(department="部门二"))["executed"] == 50
    assert dept.dept_summary(Filters(year=1999))["n_forms"] == 0


def test_a_filter_selects_forms_without_a_year(dept: Store) -> None:
    """None in a filter's list selects the forms that leave it blank (year IS NULL); None alone does not restrict."""
    e = form("E", "U3", year=None, initial=50, budget=50, executed=25)
    dept.import_forms("no-year.xlsx", b"no-year", [e], [full(e)])
    assert dept.count_forms() == 5 and dept.count_forms(Filters(year=None)) == 5
    assert list(dept.forms_table(Filters(year=[None]))["project"]) == ["E"]
    assert dept.forms_table(Filters(year=[None]))["year"].isna().all()
    assert sorted(dept.forms_table(Filters(year=[2022, None]))["project"]) == ["D", "E"]
    assert dept.count_forms(Filters(year=2021)) == 3  # a year still leaves the blank ones out
    assert dept.count_forms(Filters(year=[float("nan")])) == 1  # a NaN taken from a DataFrame means blank too
    blank = dept.dept_summary(Filters(year=[None]))
    assert blank["n_forms"] == 1 and blank["rate"] == pytest.approx(0.5)
    assert dept.deductions(Filters(year=[None], unit="U3"), by="project")["project"].tolist() == ["E"]
    assert dept.count_forms(Filters(year=[None], unit="U1")) == 0


def test_selector_choices_and_form_keys_come_from_small_queries(dept: Store) -> None:
    """The pickers' lists (distinct values with counts) and key lookups, blank years last, replaced versions left out."""
    e = form("E", "U3", year=None, initial=50, budget=50, executed=25)
    dept.import_forms("no-year.xlsx", b"no-year", [e], [full(e)])
    years = dept.distinct_values(column="year")
    assert [None if pd.isna(v) else int(v) for v in years["year"]] == [2021, 2022, None]
    assert years["n"].tolist() == [3, 1, 1]
    assert dept.distinct_values(Filters(year=2021), column="unit")["unit"].tolist() == ["U1", "U2"]
    assert dept.distinct_values(Filters(year=2021, unit="U1"), column="project")["project"].tolist() == ["A", "B"]
    assert dept.distinct_values(Filters(year=[None]), column="department")["n"].tolist() == [1]
    with pytest.raises(ValueError):
        dept.distinct_values(column="version_id; DROP TABLE form_versions")
    keys = dept.form_keys(Filters(project=["D", "E", "A"]))
    assert keys["project"].tolist() == ["D", "A", "E"]  # newest year first, no year last
    current_d = dept.forms_table(Filters(project="D"))["version_id"].tolist()
    assert dept.form_keys(Filters(project="D"))["version_id"].tolist() == current_d  # the current version only
    assert len(dept.form_keys(limit=2)) == 2


def test_summary_by_year_and_unit(dept: Store) -> None:
    by_year = dept.summary_by(by="year")
    assert list(by_year["year"]) == [2021, 2022]
    assert list(by_year["n_forms"]) == [3, 1]
    assert by_year["rate"].tolist() == pytest.approx([440 / 500, 1.0])
    assert dept.dept_summary(Filters(year=2021))["grades"] == {"优": 0, "良": 2, "中": 1, "差": 0}
    assert dept.summary_by(by="unit").set_index("unit")["n_forms"].to_dict() == {"U1": 3, "U2": 1}


def test_deductions_grouped_in_sql(dept: Store) -> None:
    # Deductions per indicator: A 服务企业数量 10; B 健全性 15; C 服务企业数量 20 + 满意度 10;
    # execution: A 1, C 5 (D and B full).
    lvl1 = dept.deductions(by="level1").set_index("level1")["deduction"].to_dict()
    assert lvl1 == {"产出指标": 30, "效益指标": 15, "满意度指标": 10, "预算执行率": 6}
    lvl2 = dept.deductions(by="level2").set_index(["level1", "level2"])["deduction"]
    assert lvl2[("产出指标", "数量指标")] == 30 and lvl2[("产出指标", "时效指标")] == 0
    ind = dept.deductions(by="indicator")
    assert ind.iloc[0][["name", "deduction", "n_items"]].tolist() == ["服务企业数量", 30, 4]
    unit = dept.deductions(by="unit").set_index("unit")["deduction"].to_dict()
    assert unit == {"U1": 26, "U2": 35}
    project = dept.deductions(Filters(year=2021), by="project").set_index("project")["deduction"].to_dict()
    assert project == {"A": 11, "B": 15, "C": 35}  # = 100 − rule total
    assert dept.deductions(by="project", limit=2)["project"].tolist() == ["C", "B"]
    assert dept.declared_vs_rule(limit=1)["project"].tolist() == ["C"]
    declared = dept.deductions(by="level1").set_index("level1")["declared_deduction"].to_dict()
    assert declared["产出指标"] == 0  # every form declared full marks
    with pytest.raises(ValueError):
        dept.deductions(by="1; DROP TABLE indicators")


def test_declared_vs_rule_and_findings(dept: Store) -> None:
    dv = dept.declared_vs_rule()
    # declared totals follow the printed execution score: A 9 + 90, B 100, C 5 + 90, D 100
    assert dv.iloc[0][["project", "declared_total", "rule_total", "difference"]].tolist() == ["C", 95, 65, 30]
    assert dv.set_index("project")["difference"].to_dict() == {"C": 30, "B": 15, "A": 10, "D": 0}
    codes = dept.findings_by_code().set_index("code")
    assert codes["n"].to_dict() == {"E1": 2, "W1": 2}  # the replaced version's E1 does not count
    assert codes.loc["E1", "severity"] == "error"
    assert len(dept.findings(filters=Filters(unit="U2"))) == 1
    assert dept.findings(version_id=1)["code"].tolist() == ["E1"]  # any version, by id
    assert dept.count_forms(Filters(department="部门一")) == 3


# --- hostile names, scenarios, paths ------------------------------------------------------------------


def test_names_with_quotes_and_sql_fragments_are_data(store: Store) -> None:
    project = "x'); DROP TABLE form_versions; --"
    unit = 'O"Brien\'s 单位 %_'
    dept = "部门' OR '1'='1"
    f = form(project, unit, department=dept)
    store.import_forms("'; DELETE FROM imports; --.xlsx", b"q", [f], [full(f)], user="Robert'); --")
    assert store.load_form(1) == f
    assert store.forms_table(Filters(unit=unit, department=dept, project=project))["project"].tolist() == [project]
    assert store.count_forms(Filters(unit="%")) == 0
    assert len(store.history(2021, unit, project)) == 1
    assert store.imports_table().loc[0, "file_name"] == "'; DELETE FROM imports; --.xlsx"
    assert store.audit_table().loc[0, "user"] == "Robert'); --"
    assert store.form_status(f) == "same"


def test_backup_and_restore_keep_everything(store: Store, tmp_path: Path) -> None:
    old, new = form(), form(declared=15.0)
    store.import_forms("v1.xlsx", b"v1", [old], [full(old)], user="甲")
    store.import_forms("v2.xlsx", b"v2", [new], [full(new)], user="甲")
    store.delete_version(2, user="乙")
    store.save_scenario(1, "方案", [{"index": 0}], True)
    folder = store.backup(tmp_path / "backup 'x'")
    with pytest.raises(StoreError, match="不是空的"):
        store.backup(folder)
    with Store.restore(folder, tmp_path / "restored.duckdb") as back:
        for table in ("forms_table", "imports_table", "audit_table"):
            assert getattr(back, table)().equals(getattr(store, table)()), table
        assert back.history(2021, "单位A", "项目甲").equals(store.history(2021, "单位A", "项目甲"))
        assert back.load_form(2) == new and back.load_scenario(1)["changes"] == [{"index": 0}]
        assert back.restore_version(2) is True  # a working database, not a read-only copy
        again = form(declared=12.0)
        assert back.import_forms("v3.xlsx", b"v3", [again], [full(again)]).replaced[0]["version_id"] == 3
    with pytest.raises(StoreError, match="已存在"):
        Store.restore(folder, tmp_path / "restored.duckdb")
    with pytest.raises(StoreError, match="不是数据库备份"):
        Store.restore(tmp_path, tmp_path / "other.duckdb")


def test_scenarios_round_trip(store: Store) -> None:
    f = form()
    store.import_forms("a.xlsx", b"a", [f], [full(f)])
    changes = [{"index": 0, "field": "actual", "value": "100家'"}]
    sid = store.save_scenario(1, "补齐“企业数”", changes, False, user="张三")
    table = store.scenarios(1)
    assert table.loc[0, ["scenario_id", "name", "n_changes"]].tolist() == [sid, "补齐“企业数”", 1]
    loaded = store.load_scenario(sid)
    assert loaded["changes"] == changes and loaded["simulated"] is False and loaded["version_id"] == 1
    store.delete_scenario(sid)
    assert store.scenarios(1).empty


def test_default_db_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PERFBOARD_DB", str(tmp_path / "x" / "db.duckdb"))
    assert default_db_path() == tmp_path / "x" / "db.duckdb"
    assert (tmp_path / "x").is_dir()
    monkeypatch.delenv("PERFBOARD_DB")
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == Path("data/perfboard.duckdb") and (tmp_path / "data").is_dir()


def test_read_only_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="不存在"):
        Store(tmp_path / "missing.duckdb", read_only=True)
    Store(tmp_path / "db.duckdb").close()
    with Store(tmp_path / "db.duckdb", read_only=True) as ro:
        assert ro.count_forms() == 0
        with pytest.raises(StoreError, match="只读"):
            ro.delete_version(1)


# --- another process, many threads -----------------------------------------------------------------


def test_a_file_held_by_another_process_gives_the_chinese_message(tmp_path: Path) -> None:
    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from perfcore.store import Store; s = Store(sys.argv[1]); print('ready', flush=True); sys.stdin.read()",
         str(path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            with pytest.raises(StoreLockedError) as err:
                Store(path, read_only=read_only)
            assert str(err.value).startswith(LOCKED_MESSAGE)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    Store(path).close()  # free again once the holder is gone


def test_concurrent_writers_and_readers_never_see_half_a_file(store: Store) -> None:
    """4 threads import 5 two-form files each, through two Store objects on the same file,
    while 2 threads read: every read sees whole files, every file lands."""
    seen: list[int] = []
    failures: list[BaseException] = []
    done = threading.Event()
    other = Store(store.path)

    def write(t: int) -> None:
        try:
            for k in range(5):
                pair = [form(f"T{t}-{k}-a"), form(f"T{t}-{k}-b")]
                (store if t % 2 else other).import_forms(f"{t}-{k}.xlsx", f"{t}-{k}".encode(), pair, [full(p) for p in pair])
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                seen.append(store.dept_summary()["n_forms"])
                seen.append(len(store.forms_table()))
        except BaseException as exc:
            failures.append(exc)

    writers = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for th in writers + readers:
        th.start()
    for th in writers:
        th.join()
    done.set()
    for th in readers:
        th.join()
    other.close()
    assert not failures
    assert store.count_forms() == 40 and len(store.imports_table()) == 20
    assert seen and all(n % 2 == 0 for n in seen)
    assert sorted(store.forms_table()["version_id"]) == list(range(1, 41))


def test_ids_and_filters_taken_from_dataframes_work(store: Store) -> None:
    """Pages pass numpy scalars straight from forms_table; DuckDB cannot bind those by itself."""
    f = form()
    store.import_forms("a.xlsx", b"a", [f], [full(f)])
    table = store.forms_table()
    vid, year = table["version_id"].iloc[0], table["year"].iloc[0]
    assert type(vid).__module__ == "numpy"
    assert store.load_form(vid) == f and len(store.indicator_scores(vid)) == 4
    assert store.version_info(vid)["project"] == "项目甲"
    assert store.count_forms(Filters(year=year)) == 1 and store.count_forms(Filters(year=table["year"].to_numpy())) == 1
    assert len(store.history(year, "单位A", "项目甲")) == 1
    sid = store.save_scenario(vid, "s", [], True)
    assert store.load_scenario(store.scenarios(vid)["scenario_id"].iloc[0])["scenario_id"] == sid
    assert store.delete_version(vid) is True and store.restore_version(vid) is True


def test_a_locked_file_is_a_store_error() -> None:
    """Callers that catch StoreError alone (pages, the CLI's last resort) also catch a lock."""
    assert issubclass(StoreLockedError, StoreError)
    with pytest.raises(StoreError, match="占用"):
        raise StoreLockedError(LOCKED_MESSAGE)
