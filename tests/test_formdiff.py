"""Versions compared by what a form says (issue 19 item 8): a re-save that changes nothing is no
new version (LibreOffice's own re-saves of the seed, in tests/fixtures/office), and what changed
between two versions is listed field by field, old → new."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from perfcore import views
from perfcore.formdiff import Change, canonical_text, changes
from perfcore.model import Form, Indicator, Num, Text
from perfcore.reader import read_workbook
from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK
from perfcore.scoring import score_form
from perfcore.serialize import content_hash
from perfcore.store import Store

OFFICE = Path(__file__).parent / "fixtures" / "office"
RESAVED = {SHEETS_WORKBOOK: ["seed-2021-sheets.lo.xlsx", "seed-2021-sheets.lo.xls", "seed-2021-sheets.lo.ods"],
           STACKED_WORKBOOK: ["seed-2021-stacked.lo.xlsx", "seed-2021-stacked.lo.xls", "seed-2021-stacked.lo.ods"]}


def forms(path: Path) -> list[Form]:
    result = read_workbook(path)
    assert result.error is None, result.error
    return result.forms


@pytest.mark.parametrize(("text", "same_as"), [
    ("100.00%", "100%"), ("0.00%", "0%"), ("1,000.50", "1000.5"), ("１００％", "100%"), ("-0.50", "-0.5"),
    ("  培训  次数 \r\n 达标 ", "培训 次数\n达标"), ("+12", "12"), ("-0.00", "0"), ("合格率100%", "合格率100%"),
])
def test_canonical_text_reads_a_number_by_its_value_and_text_by_its_words(text: str, same_as: str) -> None:
    assert canonical_text(text) == canonical_text(same_as) == same_as


@pytest.mark.parametrize(("text", "other"), [("100%", "1"), ("100", "100%"), ("1,000", "1.000"), ("合格", "不合格"),
                                              ("10", "100")])
def test_canonical_text_keeps_what_differs(text: str, other: str) -> None:
    assert canonical_text(text) != canonical_text(other)


@pytest.mark.parametrize("original", list(RESAVED), ids=lambda p: p.name)
def test_a_libreoffice_resave_says_the_same_and_hashes_the_same(original: Path) -> None:
    """The re-saves print 100% as 100.00% (the reason three re-saves made three new versions)."""
    originals = forms(original)
    for name in RESAVED[original]:
        resaved = forms(OFFICE / name)
        assert len(resaved) == len(originals) == 5
        printed = [(a.actual.value, b.actual.value) for f, g in zip(originals, resaved, strict=True)
                   for a, b in zip(f.indicators, g.indicators, strict=True) if a.actual.value != b.actual.value]
        assert ("100%", "100.00%") in printed, name  # what differs in print …
        for f, g in zip(originals, resaved, strict=True):
            assert changes(f, g) == [], (name, f.project.value)  # … says nothing different
            assert content_hash(f) == content_hash(g), (name, f.project.value)


def test_a_resave_imported_makes_no_new_version(tmp_path: Path) -> None:
    """The original, then its three LibreOffice re-saves, into a real database: one version each,
    every re-saved form skipped as unchanged (and told so)."""
    with Store(tmp_path / "resave.duckdb") as store:
        first = forms(SHEETS_WORKBOOK)
        assert store.import_forms(SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), first,
                                  [score_form(f) for f in first]).status == "imported"
        for name in RESAVED[SHEETS_WORKBOOK]:
            path = OFFICE / name
            found = forms(path)
            assert [store.form_status(f) for f in found] == ["same"] * 5
            report = store.import_forms(name, path.read_bytes(), found, [score_form(f) for f in found])
            assert report.status == "skipped" and not report.stored and not report.replaced, name
            assert {it["reason"] for it in report.skipped} == {"same"} and len(report.skipped) == 5
            line = views.import_summary(name, len(report.stored), len(report.replaced), len(report.skipped))
            assert line == f"文件“{name}”：新增 0 张，替换 0 张，5 张内容未变，未新建版本"
        table = store.forms_table()
        assert len(table) == 5
        for project in table["project"]:
            assert list(store.history(2021, "上海市松江区行政服务中心", project)["version_no"]) == [1]


def _changed(form: Form) -> Form:
    """The seed's 业务培训 with one of each kind of change a person makes between two versions."""
    new = dataclasses.replace(form, department=Text("新主管部门"), funds=[dataclasses.replace(line) for line in form.funds],
                              indicators=list(form.indicators), extra={**form.extra, "项目负责人": "李四"})
    total = new.fund("total")
    total.executed = Num(total.executed.value - 1000.0)
    first = new.indicators[0]
    new.indicators[0] = dataclasses.replace(first, actual=Text("未完成"), declared_score=Num(1.5))
    removed = new.indicators.pop(1)
    new.indicators.append(Indicator(level1="产出指标", level2="数量指标", name="新增的指标", target=Text("≥10次"),
                                    actual=Text("12次"), weight=Num(2.0)))
    new.goals = dataclasses.replace(form.goals, actual=Text("全部完成。"))
    assert removed.name != first.name
    return new


def test_changes_name_every_field_and_indicator_that_differs_old_and_new() -> None:
    old = forms(SHEETS_WORKBOOK)[1]
    new = _changed(old)
    first, removed = old.indicators[0], old.indicators[1]
    total = old.fund("total")
    got = changes(old, new)
    expected = [
        Change("主管部门", old.department.value, "新主管部门"),
        Change(f"项目资金 · {total.label} · 全年执行数", f"{total.executed.value:,.2f} 元",
               f"{total.executed.value - 1000:,.2f} 元"),
        Change("年度总体目标 · 实际完成情况", old.goals.actual.value or "（空）", "全部完成。"),
        Change(f"指标“{removed.name}”",
               f"{removed.level1} / {removed.level2}；年度指标值 {removed.target.value}，实际完成值 "
               f"{removed.actual.value}，分值 {removed.weight.value:.2f}", "（已删除此指标）"),
        Change(f"指标“{first.name}” · 实际完成值", first.actual.value, "未完成"),
        Change(f"指标“{first.name}” · 自评得分", f"{first.declared_score.value:.2f}", "1.50"),
        Change("指标“新增的指标”", "（无此指标）", "产出指标 / 数量指标；年度指标值 ≥10次，实际完成值 12次，分值 2.00"),
        Change("项目负责人", old.extra.get("项目负责人") or "（空）", "李四"),
    ]
    assert got == expected
    assert content_hash(old) != content_hash(new)
    assert changes(new, new) == [] and changes(old, old) == []


@pytest.mark.parametrize("change", [
    lambda f: dataclasses.replace(f, year=2022),
    lambda f: dataclasses.replace(f, money_unit="万元"),
    lambda f: dataclasses.replace(f, indicators=f.indicators[::-1]),
    lambda f: dataclasses.replace(f, indicators=[dataclasses.replace(f.indicators[0], note=Text("原因")),
                                                 *f.indicators[1:]]),
    lambda f: dataclasses.replace(f, total_declared=Num((f.total_declared.value or 0) + 0.01)),
    lambda f: dataclasses.replace(f, execution=dataclasses.replace(f.execution, rate=Num(0.5))),
    lambda f: dataclasses.replace(f, funds=f.funds[:-1]),
    lambda f: dataclasses.replace(f, extra={**f.extra, "填报日期": "2022-01-05"}),
], ids=["year", "money_unit", "indicator order", "note", "declared total", "printed rate", "fund line", "extra"])
def test_whatever_changes_the_hash_is_listed(change) -> None:
    """A new version always shows why it is one: the hash and the list of changes agree."""
    old = forms(SHEETS_WORKBOOK)[0]
    new = change(old)
    assert content_hash(old) != content_hash(new)
    assert changes(old, new), "the hash changed but no change is listed"


def test_same_words_printed_differently_are_no_change() -> None:
    old = forms(SHEETS_WORKBOOK)[0]
    ind = old.indicators[0]
    new = dataclasses.replace(old, project=Text(old.project.value + " "), indicators=[
        dataclasses.replace(ind, target=Text(f" {ind.target.value}\r\n")), *old.indicators[1:]],
        total_weight=Num((old.total_weight.value or 0) + 1e-13))
    assert changes(old, new) == [] and content_hash(old) == content_hash(new)
