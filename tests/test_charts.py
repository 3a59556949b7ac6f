"""ui/charts: one number rule on the axes, no empty bars, labels for small bars, check names, red for losses only."""
from __future__ import annotations

import html
import json
import re

import pandas as pd

from perfcore import views
from perfcore.exports import charts_svg
from ui import charts


def _spec(chart) -> dict:
    return chart.to_dict()


def _text(chart) -> str:
    return json.dumps(_spec(chart), ensure_ascii=False)


def _projects(rates: list[float | None]) -> pd.DataFrame:
    n = len(rates)
    return pd.DataFrame({"project": [f"项目{i}" for i in range(n)], "unit": ["单位"] * n, "label": [f"项目{i}" for i in range(n)],
                         "rate": rates, "initial": [8_000_000.0] * (n - 1) + [18_000.0],
                         "budget": [8_000_000.0] * (n - 1) + [7_980.0], "executed": [8_000_000.0] * (n - 1) + [7_980.0]})


def test_rates_that_cannot_be_computed_get_no_bar_and_are_counted():
    chart = charts.rate_by_project(_projects([0.5, None, 1.0]))
    spec = _spec(chart)
    rows = next(iter(spec["datasets"].values()))
    assert [r["project"] for r in rows] == ["项目0", "项目2"]
    assert spec["title"] == "各项目预算执行率（虚线 = 90%）；1 个项目无法计算执行率，未画出"
    assert charts.LOSS_COLOR not in _text(chart)  # red is for losses, not for a 90% line or 100%
    assert spec["layer"][0]["encoding"]["x"]["axis"]["format"] == ".2%"


def test_small_budgets_beside_huge_ones_carry_their_amount():
    chart = charts.budget_by_project(_projects([1.0, 1.0]), "元", 1.0)
    spec = _spec(chart)
    labels = [r["文字"] for d in spec["datasets"].values() for r in d if "文字" in r]
    assert "7,980.00" in labels and "8,000,000.00" in labels
    assert spec["layer"][1]["mark"]["type"] == "text"


def test_findings_are_named_by_check_title_on_whole_number_ticks():
    frame = pd.DataFrame({"code": ["C13E", "C09"], "severity": ["warning", "error"], "n": [3, 1], "n_forms": [2, 1],
                          "example": ["a", "b"]})
    chart = charts.findings_by_code(views.with_check_titles(frame), views.SEVERITY_LABELS)
    spec = _spec(chart)
    rows = next(iter(spec["datasets"].values()))
    assert {r["审核项目"] for r in rows} == {views.check_title("C13E"), "自评得分虚高"}
    assert spec["layer"][0]["encoding"]["y"]["field"] == "审核项目"
    assert spec["layer"][0]["encoding"]["x"]["axis"] == {"format": "d", "values": [0, 1, 2, 3]}
    assert spec["layer"][1]["mark"]["type"] == "text"  # each count written beside its bar (a picture has no hover)


def test_year_trend_is_two_charts_on_padded_scales():
    years = pd.DataFrame({"year": [2021, 2022], "mean_score": [98.40, 98.62], "rate": [0.8618, 1.0], "n_forms": [5, 5]})
    score, rate = (_spec(c) for c in charts.year_trend(years))
    assert score["encoding"]["y"]["scale"]["domain"] == [90.0, 100]  # 98.40 → 98.62 is no cliff
    assert score["encoding"]["y"]["axis"]["format"] == ",.2f"  # no 98.620000 ticks
    assert rate["encoding"]["y"]["scale"]["domain"] == [0, 1.0] and rate["encoding"]["y"]["axis"]["format"] == ".2%"


# --- issue 19: labels cut at either end, empty axes, repeated ticks ---------------------------------


def _words(svg: str) -> list[str]:
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_count_ticks_are_whole_numbers():
    assert charts_svg.count_ticks(0) == [0, 1] and charts_svg.count_ticks(2) == [0, 1, 2]
    assert charts_svg.count_ticks(2.3) == [0, 1, 2, 3]
    assert charts_svg.count_ticks(11) == [0, 2, 4, 6, 8, 10, 12]
    assert charts_svg.count_ticks(1234) == [0, 200, 400, 600, 800, 1000, 1200, 1400]


def test_a_printed_count_axis_does_not_repeat_ticks():
    """The PDF's 审核发现 axis read “0 1 1 2 2” (ticks 0, 0.5, 1, 1.5, 2 written as integers)."""
    data = pd.DataFrame({"类型": ["C09 自评得分虚高", "C08 未达成指标未填写偏差原因"], "n": [2, 1]})
    words = _words(charts_svg.to_svg(charts_svg.bars(data, "类型", "n", "审核发现（按类型）", axis_title="条数",
                                                     count=True, number_format="d")))
    ticks = words[:words.index("条数")]
    assert ticks == ["0", "1", "2"]


def test_charts_of_an_empty_selection_say_so_instead_of_empty_axes():
    none = _projects([1.0]).iloc[0:0]
    empty_findings = pd.DataFrame(columns=["code", "severity", "n", "n_forms", "example", "title"])
    empty_deductions = pd.DataFrame(columns=["level1", "level2", "name", "deduction", "n_forms"]).astype({"deduction": float})
    built = [charts.rate_by_project(none), charts.budget_by_project(none, "元", 1.0),
             charts.top_deductions(empty_deductions), charts.deductions_stacked(empty_deductions),
             charts.declared_vs_rule(none.assign(rule_total=[], declared_total=[], difference=[])),
             charts.findings_by_code(empty_findings, views.SEVERITY_LABELS),
             *charts.year_trend(pd.DataFrame(columns=["year", "mean_score", "rate", "n_forms"])),
             charts.whatif_changes(pd.DataFrame(columns=["三级指标", "原得分", "新得分", "变化"])),
             charts_svg.bars(none, "label", "rate", "各项目预算执行率", axis_title="预算执行率")]
    for chart in built:
        words = _words(charts_svg.page_svg(charts_svg.page_spec(chart)))
        assert any(w.startswith("无数据") or w.startswith("所选项目没有") or w.startswith("没有指标") for w in words), words
        assert "0.00" not in words and "0" not in words  # no axis at all


def test_page_charts_keep_room_for_their_first_and_last_characters():
    """“深化“一网通办”专项费用” lost its first character on screen and “8,340,000.00” its last digits."""
    table = _projects([1.0, 1.0]).assign(budget=[8_340_000.0, 7_980.0], initial=[8_340_000.0, 7_980.0],
                                         label=["深化“一网通办”专项费用", "业务培训"])
    spec = json.loads(charts_svg.page_spec(charts.budget_by_project(table, "元", 1.0)))
    assert spec["padding"]["left"] >= 16
    assert spec["padding"]["right"] >= len("8,340,000.00") * charts_svg.VALUE_CHAR_PX
    svg = charts_svg.page_svg(json.dumps(spec))
    width = float(re.search(r'<svg[^>]* width="([\d.]+)"', svg).group(1))
    assert width == charts_svg.PAGE_WIDTH
    texts = re.findall(r'<text[^>]*transform="translate\(([\d.-]+),[\d.-]+\)"[^>]*>([^<]*)</text>', svg)
    last = [float(x) for x, t in texts if t == "8,340,000.00"]
    assert last and all(x + len("8,340,000.00") * charts_svg.VALUE_CHAR_PX <= width for x in last)
    assert json.loads(charts_svg.page_spec(charts.level1_scores(pd.DataFrame(
        {"一级指标": ["产出指标"], "规则得分": [10.0], "扣分": [0.0]}))))["padding"] == charts_svg.PAGE_PADDING
