"""perfcore.checks: one planted error per check is found, clean forms raise nothing, the seed gives exactly its findings."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from formfactory import Row, clean_rows, make_form

from perfcore.checks import REGISTRY, Hit, check, run_checks
from perfcore.model import Form
from perfcore.policy import DEFAULT_POLICY
from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK, load_seed_forms
from perfcore.scoring import score_form


def with_row(index: int, **changes: object) -> list[Row]:
    """The clean rows with one row changed."""
    rows = clean_rows()
    rows[index] = replace(rows[index], **changes)
    return rows


def with_rows(*edits: tuple[int, dict]) -> list[Row]:
    rows = clean_rows()
    for index, changes in edits:
        rows[index] = replace(rows[index], **changes)
    return rows


NOTE = "已说明原因"
SUBS_CUT = {"appropriation": (100000.0, 90000.0, 100000.0), "carryover": (0.0, 0.0, None), "other": (0.0, 0.0, None)}
SUBS_ONLY = {"appropriation": (100000.0, 100000.0, 100000.0), "carryover": (0.0, 0.0, None), "other": (0.0, 0.0, None)}

PLANTS: list[tuple[str, Callable[[], Form], set[str]]] = [
    ("C01A", lambda: make_form(with_row(0, weight=8)), {"C01A", "C01B"}),
    ("C01B", lambda: make_form(with_row(5, level1="产出指标", level2="质量指标")), {"C01B"}),
    ("C02A", lambda: make_form(with_rows((0, {"declared": 12}), (1, {"declared": 8, "note": NOTE}))), {"C02A"}),
    ("C02A-execution", lambda: make_form(with_row(1, declared=8, note=NOTE), exec_declared=12), {"C02A", "C04B"}),
    ("C02B", lambda: make_form(total_declared=101), {"C02B", "C03"}),
    ("C03", lambda: make_form(total_declared=95), {"C03"}),
    ("C04A", lambda: make_form(exec_rate=0.9, exec_declared=10), {"C04A"}),
    ("C04B", lambda: make_form(exec_declared=9), {"C04B"}),
    ("C05", lambda: make_form(budget=100000, executed=110000), {"C05"}),
    ("C06A", lambda: make_form(sub_rows=SUBS_CUT), {"C06A"}),
    ("C06B", lambda: make_form(initial=0, sub_rows=SUBS_ONLY), {"C06B"}),
    ("C07A", lambda: make_form(initial=150000), {"C07A"}),
    ("C07B", lambda: make_form(executed=80000), {"C07B"}),
    ("C08", lambda: make_form(with_row(0, actual="50家", declared=5)), {"C08"}),
    ("C09", lambda: make_form(with_row(0, actual="50家", declared=8, note=NOTE)), {"C09"}),
    ("C10", lambda: make_form(with_row(0, declared=8)), {"C10"}),
    ("C11", lambda: make_form(with_row(4, declared=7, note=NOTE)), {"C11"}),
    ("C11-partly", lambda: make_form(with_row(6, actual="基本健全", note=NOTE)), {"C11"}),
    ("C12", lambda: make_form(with_row(0, actual="200家")), {"C12"}),
    ("C13A", lambda: make_form(with_row(0, actual="")), {"C13A"}),
    ("C13B", lambda: make_form(with_row(0, actual="约100家")), {"C13B"}),
    ("C13C", lambda: make_form(with_row(0, actual="120件")), {"C13C"}),
    ("C13D", lambda: make_form(with_row(0, actual="完成")), {"C13D"}),
    ("C13E", lambda: make_form(with_row(0, target="")), {"C13E"}),
    ("C14", lambda: make_form(with_row(0, declared=None)), {"C14"}),
]


def codes(form: Form) -> list[str]:
    return [f.code for f in score_form(form).findings]


def test_clean_form_raises_nothing() -> None:
    card = score_form(make_form())
    assert card.findings == []
    assert (card.total, card.grade) == (100, "优")


@pytest.mark.parametrize(("name", "build", "expected"), PLANTS, ids=[p[0] for p in PLANTS])
def test_planted_error_is_found(name: str, build: Callable[[], Form], expected: set[str]) -> None:
    found = codes(build())
    assert set(found) == expected
    assert found.count(name.split("-")[0]) == 1


def test_every_registered_check_has_a_plant() -> None:
    assert {p[0].split("-")[0] for p in PLANTS} == set(REGISTRY)


@pytest.mark.parametrize("form", [
    make_form(with_row(0, actual="50家", declared=5, note="疫情影响，业务量下降")),  # C08 satisfied
    make_form(with_row(0, declared=8, note="按复核意见扣分")),                      # C10 satisfied
    make_form(initial=150000, extra={"预算调整原因": "年中预算压减"}),              # C07A satisfied
    make_form(initial=150000, goals_actual="完成预期目标，年中预算调减"),
    make_form(executed=80000, goals_actual="部分尾款因项目延期未支付"),              # C07B satisfied
    make_form(with_row(0, actual="150家")),                                       # ratio 1.5 is not above 1.5
    make_form(with_row(4, declared=8, note=NOTE)),                                 # 80% is inside 达成's band
    make_form(with_row(6, actual="基本健全", declared=7, note=NOTE)),               # 70% inside 部分达成's band
    make_form(exec_rate=1.00004),                                                  # within 0.01 pp
])
def test_explained_or_tolerated_is_not_flagged(form: Form) -> None:
    assert codes(form) == []


def test_messages_name_project_cell_and_figures() -> None:
    card = score_form(make_form(with_row(0, actual="50家", declared=8, note=NOTE), initial=150000))
    by_code = {f.code: f for f in card.findings}
    assert by_code["C09"].message == "测试项目：D13 服务企业数量 未达到目标（50家 / >=100家），自评得分 8 高于规则得分 5"
    assert (by_code["C09"].cell, by_code["C09"].indicator, by_code["C09"].severity) == ("测试项目!D13", 0, "error")
    assert by_code["C07A"].message == ("测试项目：D6 全年预算数 100,000.00 较年初预算数 150,000.00 调减 33.33%，"
                                       "表内未说明预算调整原因")
    assert [f.severity for f in card.findings] == ["error", "warning"]


def test_sheet_is_named_when_it_differs_from_the_project() -> None:
    card = score_form(make_form(with_row(0, actual=""), sheet="自评表"))
    assert card.findings[0].message == "测试项目：自评表!F13 服务企业数量 实际完成值缺失，无法计分"
    assert card.findings[0].cell == "自评表!F13"


@pytest.mark.parametrize("row", [
    with_row(0, target="很多"),                       # C13E: the 年度指标值 cell (E13), not the name cell D13
    with_row(0, actual=""),                           # C13A: 实际完成值 (F13)
    with_row(0, actual="50家", declared=3),           # C08: 偏差原因分析 left blank
    with_row(0, declared=30),                         # C01: 自评得分 above the weight (H13)
])
def test_an_indicator_finding_names_the_cell_of_its_cell_column(row) -> None:
    """A finding said D16 while its 单元格 column said E16: the message now names the cell it points at."""
    card = score_form(make_form(row, sheet="自评表"))
    indicator_findings = [f for f in card.findings if f.indicator is not None]
    assert indicator_findings
    for f in indicator_findings:
        assert f.message.split("：", 1)[1].startswith(f"{f.cell} "), (f.code, f.cell, f.message)
        assert not f.cell.endswith("!D13") or f.code == "C09", f


def test_disabled_checks_and_provincial_additions() -> None:
    form = make_form(initial=150000)
    assert codes(form) == ["C07A"]
    assert run_checks(form, score_form(form), replace(DEFAULT_POLICY, disabled_checks=frozenset({"C07A"}))) == []

    @check("SH01", "info", "项目名称过短")
    def short_name(ctx):  # a province's own rule
        if len(ctx.form.project.value) < 5:
            yield Hit("项目名称过短", ctx.form.project.cell)

    try:
        assert codes(form) == ["C07A", "SH01"]
        with pytest.raises(ValueError, match="registered twice"):
            check("SH01", "info", "again")(short_name)
    finally:
        REGISTRY.pop("SH01")


# --- the seed -------------------------------------------------------------------------


def _read(path: Path) -> list[Form]:
    from perfcore.reader import read_workbook

    result = read_workbook(path)
    assert result.error is None
    return result.forms


@pytest.mark.parametrize("path", [SHEETS_WORKBOOK, STACKED_WORKBOOK, None],
                         ids=["sheets-workbook", "stacked-workbook", "transcription"])
def test_seed_findings_are_exactly_inflation_and_budget_cuts(path: Path | None) -> None:
    forms = load_seed_forms() if path is None else _read(path)
    found = {f.project.value: [(x.code, x.severity, x.indicator) for x in score_form(f).findings] for f in forms}
    budget_cut = ("C07A", "warning", None)
    assert found == {
        "深化“一网通办”专项费用": [budget_cut], "业务培训": [budget_cut], "宣传与推广": [budget_cut],
        "窗口业务管理": [("C09", "error", 0), ("C09", "error", 1), budget_cut],
        "网络信息系统运行与维护": [budget_cut],
    }


def test_seed_inflation_messages_name_the_cells() -> None:
    window = next(f for f in _read(SHEETS_WORKBOOK) if f.project.value == "窗口业务管理")
    inflated = [(f.cell, f.message) for f in score_form(window).findings if f.code == "C09"]
    assert inflated == [
        ("窗口业务管理!D13", "窗口业务管理：D13 服务新开办企业数量 未达到目标（3146 / >=29000家），自评得分 6 高于规则得分 0.76"),
        ("窗口业务管理!D14", "窗口业务管理：D14 政务服务免费快递业务量 未达到目标（13500 / >=18000件），自评得分 6 高于规则得分 5.25"),
    ]


def test_rounding_of_amounts_printed_in_wan_yuan_is_tolerated() -> None:
    """1.23 万元 / 1.00 万元 printed from 12,345 / 10,000 元: rate 81.00% and score 8.1 as the unit computed them."""
    subs = {"appropriation": (20000.0, 12300.0, 10000.0), "carryover": (0.0, 0.0, None), "other": (0.0, 0.0, None)}
    form = make_form(initial=20000, budget=12400, executed=10000, sub_rows=subs, exec_rate=0.81, exec_declared=8.1,
                     extra={"预算调整说明": "年中调减"})
    assert codes(form) == ["C04A", "C04B", "C06A"]  # in 元 these are real differences
    form.money_unit = "万元"
    assert codes(form) == []
