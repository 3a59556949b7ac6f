"""Forms and scorecards to JSON and back: the stable parse/score contract and lossless reload."""
from __future__ import annotations

import json
from dataclasses import fields, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from perfcore.model import Execution, Form, FundLine, Goals, Indicator, Num, Source, Text
from perfcore.reader import read_workbook
from perfcore.samples import STACKED_WORKBOOK
from perfcore.scoring import score_form
from perfcore.serialize import content_hash, form_dump, form_from_dict, form_to_dict, scorecard_to_dict
from perfcore.synth import make_form as synth_form
from tests.formfactory import Row, clean_rows, make_form

CONTRACT_KEYS = {"source", "year", "project", "department", "unit", "funds", "execution", "goals", "indicators", "total"}
INDICATOR_KEYS = {"level1", "level2", "name", "target", "actual", "weight", "declared_score", "note", "cell"}


def json_trip(d: dict) -> dict:
    return json.loads(json.dumps(d, ensure_ascii=False))


def wan_form() -> Form:
    """A 万元 form with an extra funds row, header extras and reader notes."""
    f = make_form(extra={"项目负责人": "王五"})
    extra = FundLine("extra", "财政专户管理资金", Num(10000.0, "1", "测试项目!C10"), Num(20000.0, "2", "测试项目!D10"))
    return replace(f, money_unit="万元", funds=[*f.funds, extra], notes=["单元格 G6 为公式，已使用缓存值"])


def test_contract_keys_and_values() -> None:
    d = form_to_dict(make_form(budget=6261700.0, executed=6261700.0, initial=8340000.0))
    assert CONTRACT_KEYS <= d.keys()
    assert d["source"] == {"file": "test.xlsx", "sheet": "测试项目", "first_row": 1}
    assert (d["year"], d["project"], d["department"], d["unit"]) == (2021, "测试项目", "测试主管部门", "测试实施单位")
    assert set(d["funds"]) == {"total", "appropriation", "carryover", "other"}
    assert d["funds"]["total"] == {"initial": 8340000.0, "budget": 6261700.0, "executed": 6261700.0}
    assert d["funds"]["carryover"] == {"initial": 0.0, "budget": 0.0, "executed": None}
    assert d["execution"] == {"weight": 10.0, "rate": 1.0, "declared_score": 10.0}
    assert d["goals"] == {"planned": "保障项目运行", "actual": "完成预期目标"}
    assert d["total"] == {"weight": 100.0, "declared_score": 100.0}
    first = d["indicators"][0]
    assert INDICATOR_KEYS <= first.keys()
    assert {k: first[k] for k in INDICATOR_KEYS} == {
        "level1": "产出指标", "level2": "数量指标", "name": "服务企业数量", "target": ">=100家", "actual": "120家",
        "weight": 10.0, "declared_score": 10.0, "note": "", "cell": "测试项目!D13",
    }
    assert d["cells"]["execution.rate"] == "测试项目!G6"
    assert d["cells"]["indicators.0.actual"] == "测试项目!F13"
    assert d["raw"]["fund_lines.0.budget"] == "6.2617e+06"  # formfactory's raw text, kept as printed


def test_missing_fund_rows_are_all_null_and_extras_are_listed() -> None:
    f = wan_form()
    d = form_to_dict(replace(f, funds=[line for line in f.funds if line.kind != "other"]))
    assert d["funds"]["other"] == {"initial": None, "budget": None, "executed": None}
    assert d["money_unit"] == "万元"
    assert d["extra_funds"] == [{"label": "财政专户管理资金", "initial": 10000.0, "budget": 20000.0, "executed": None}]
    assert d["extra"] == {"项目负责人": "王五"} and d["notes"] == ["单元格 G6 为公式，已使用缓存值"]


def test_round_trips_are_exact() -> None:
    forms = [make_form(), wan_form(), synth_form(3), synth_form(7, n_indicators=35), Form(source=Source())]
    for f in forms:
        assert form_from_dict(json_trip(form_to_dict(f))) == f
        assert form_from_dict(json_trip(form_dump(f))) == f


def test_round_trip_of_forms_read_from_a_workbook() -> None:
    result = read_workbook(STACKED_WORKBOOK)
    assert len(result.forms) == 5
    for f in result.forms:
        assert form_from_dict(json_trip(form_to_dict(f))) == f


def test_a_bare_contract_dict_builds_a_form() -> None:
    """Another tool's JSON (contract keys only) loads, with standard labels for the fund rows."""
    d = {
        "source": {"file": "x.xlsx", "sheet": "S", "first_row": 3}, "year": 2022, "project": "P",
        "department": "D", "unit": "U",
        "funds": {"total": {"initial": 5.0, "budget": 4.0, "executed": 4.0},
                  "other": {"initial": None, "budget": None, "executed": None}},
        "execution": {"weight": 10, "rate": 1.0, "declared_score": 10},
        "goals": {"planned": "a", "actual": "b"},
        "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "n", "target": "=1", "actual": "1",
                        "weight": 90, "declared_score": 90, "note": "", "cell": "S!D13"}],
        "total": {"weight": 100, "declared_score": 100},
    }
    f = form_from_dict(d)
    assert [(line.kind, line.label) for line in f.funds] == [("total", "年度资金总额")]
    assert f.fund("total").budget.value == 4.0 and f.money_unit == "元"
    assert f.indicators[0].cell == "S!D13" and f.indicators[0].weight.value == 90
    assert f.key == (2022, "U", "P") and f.source == Source("x.xlsx", "S", 3)


def test_content_hash_ignores_where_a_form_was_read_but_not_what_it_says() -> None:
    f = make_form()
    moved = replace(
        make_form(sheet="自评表"), source=Source("stacked.xlsx", "自评表", 34), notes=["另一份文件的说明"],
        indicators=[replace(i, row=i.row + 33) for i in make_form(sheet="自评表").indicators],
    )
    assert content_hash(moved) == content_hash(f)
    changed = make_form([*clean_rows()[:-1], Row("服务对象满意度", ">=90%", "85%", 10, level1="满意度指标")])
    assert content_hash(changed) != content_hash(f)
    assert content_hash(replace(f, year=2022)) != content_hash(f)


def test_scorecard_dict_adds_scores_explanations_and_findings() -> None:
    f = make_form([*clean_rows()[:-1], Row("服务对象满意度", ">=90%", "45%", 10, level1="满意度指标")])
    sc = score_form(f)
    d = json_trip(scorecard_to_dict(sc))
    assert CONTRACT_KEYS <= d.keys()
    last = d["indicators"][-1]
    assert (last["score"], last["status"], last["deduction"]) == (5.0, "missed", 5.0)
    assert "45" in last["explanation"] and "90" in last["explanation"]
    assert d["execution"]["score"] == 10.0
    assert d["total"]["score"] == sc.total == 95.0
    assert d["total"]["declared_score"] == 100.0 and d["difference"] == 5.0
    assert d["grade"] == "优" and d["policy"] == sc.policy
    assert d["findings"] and all({"code", "severity", "message", "cell"} <= x.keys() for x in d["findings"])
    assert {x["code"] for x in d["findings"]} == {f.code for f in sc.findings}


texts = st.text(max_size=12)
nums = st.builds(Num, value=st.none() | st.floats(allow_nan=False, allow_infinity=False), raw=texts, cell=texts)
text_cells = st.builds(Text, value=texts, cell=texts)
indicators = st.builds(
    Indicator, level1=texts, level2=texts, name=texts, target=text_cells, actual=text_cells,
    weight=nums, declared_score=nums, note=text_cells, cell=texts, row=st.integers(0, 10**6),
)
fund_lines = st.builds(
    FundLine, kind=st.sampled_from(["total", "appropriation", "carryover", "other", "extra"]), label=texts,
    initial=nums, budget=nums, executed=nums,
)
forms = st.builds(
    Form,
    source=st.builds(Source, file=texts, sheet=texts, first_row=st.integers(1, 10**6)),
    year=st.none() | st.integers(1990, 2100),
    project=text_cells, department=text_cells, unit=text_cells, money_unit=st.sampled_from(["元", "万元"]),
    funds=st.lists(fund_lines, max_size=6),
    execution=st.builds(Execution, weight=nums, rate=nums, declared_score=nums),
    goals=st.builds(Goals, planned=text_cells, actual=text_cells),
    indicators=st.lists(indicators, max_size=5),
    total_weight=nums, total_declared=nums,
    extra=st.dictionaries(texts, texts, max_size=3), notes=st.lists(texts, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(forms)
def test_any_form_round_trips_through_json(f: Form) -> None:
    assert form_from_dict(json_trip(form_to_dict(f))) == f
    assert form_from_dict(json_trip(form_dump(f))) == f


# What form_to_dict / form_from_dict carry. The store keeps form_to_dict JSON, so a model field
# added without teaching serialize.py about it would be lost on reload: this test says so first.
CARRIED_FIELDS = {
    Form: {"source", "year", "project", "department", "unit", "money_unit", "funds", "execution", "goals",
           "indicators", "total_weight", "total_declared", "extra", "notes", "layout", "doubts"},
    Source: {"file", "sheet", "first_row"},
    FundLine: {"kind", "label", "initial", "budget", "executed"},
    Execution: {"weight", "rate", "declared_score"},
    Goals: {"planned", "actual"},
    Indicator: {"level1", "level2", "name", "target", "actual", "weight", "declared_score", "note", "cell", "row"},
    Num: {"value", "raw", "cell"},
    Text: {"value", "cell"},
}


def test_serialize_carries_every_model_field() -> None:
    for cls, carried in CARRIED_FIELDS.items():
        assert {f.name for f in fields(cls)} == carried, (
            f"{cls.__name__} changed: carry the new field in serialize.form_to_dict and _form_from_contract"
        )
