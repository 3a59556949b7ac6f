"""ui/charts: one number rule on the axes, no empty bars, labels for small bars, check names, red for losses only."""
from __future__ import annotations

import json

import pandas as pd

from perfcore import views
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
    assert spec["layer"][0]["encoding"]["x"]["axis"] == {"format": "d", "tickMinStep": 1}
    assert spec["layer"][1]["mark"]["type"] == "text"  # each count written beside its bar (a picture has no hover)


def test_year_trend_is_two_charts_on_padded_scales():
    years = pd.DataFrame({"year": [2021, 2022], "mean_score": [98.40, 98.62], "rate": [0.8618, 1.0], "n_forms": [5, 5]})
    score, rate = (_spec(c) for c in charts.year_trend(years))
    assert score["encoding"]["y"]["scale"]["domain"] == [90.0, 100]  # 98.40 → 98.62 is no cliff
    assert score["encoding"]["y"]["axis"]["format"] == ",.2f"  # no 98.620000 ticks
    assert rate["encoding"]["y"]["scale"]["domain"] == [0, 1.0] and rate["encoding"]["y"]["axis"]["format"] == ".2%"
