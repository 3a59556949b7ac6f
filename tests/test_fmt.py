"""Number formatting for finance staff: separators, 元/万元, two-decimal percentages, scores."""
import math

import pytest

from perfcore import fmt


@pytest.mark.parametrize(
    ("yuan", "unit", "expected"),
    [
        (6261700, "元", "6,261,700.00"),
        (6261700, "万元", "626.17"),
        (667136.24, "元", "667,136.24"),
        (667136.24, "万元", "66.71"),
        (7980, "万元", "0.80"),
        (0, "元", "0.00"),
        (-1234.5, "元", "-1,234.50"),
        (-0.001, "元", "0.00"),
        (None, "元", "—"),
        (float("nan"), "万元", "—"),
    ],
)
def test_money_in_yuan_and_wan(yuan, unit, expected):
    assert fmt.money(yuan, unit) == expected


def test_money_suffix_and_unknown_unit():
    assert fmt.money(8340000, "万元", suffix=True) == "834.00 万元"
    assert fmt.money(None, "万元", suffix=True) == "—"
    with pytest.raises(KeyError):
        fmt.money(1, "千元")


def test_scale_keeps_none_and_divides_by_unit():
    assert fmt.scale(None, "万元") is None
    assert fmt.scale(802257.18, "万元") == pytest.approx(80.225718)
    assert fmt.scale(802257.18, "元") == 802257.18


@pytest.mark.parametrize(
    ("fraction", "expected"),
    [(1, "100.00%"), (0.7508, "75.08%"), (0.0000499, "0.00%"), (12.5, "1,250.00%"), (None, "—"), (math.inf, "—")],
)
def test_percent_two_decimals(fraction, expected):
    assert fmt.percent(fraction) == expected


@pytest.mark.parametrize(
    ("points", "expected"),
    [(92.01, "92.01"), (100.0, "100.00"), (6.5, "6.50"), (0.759, "0.76"), (-0.001, "0.00"), (98, "98.00"),
     (None, "—"), ("x", "—")],
)
def test_score_has_two_decimals_everywhere(points, expected):
    assert fmt.score(points) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(29000.0, "29000"), (0.54, "0.54"), (1 / 3, "0.333333"), (-1e-9, "0"), (None, "—")])
def test_figure_in_explanations_has_no_float_noise(value, expected):
    assert fmt.figure(value) == expected


def test_points_and_counts():
    assert fmt.points(7.99) == "7.99 分" and fmt.points(None) == "—"
    assert fmt.count(12345) == "12,345" and fmt.count(3.0) == "3" and fmt.count(None) == "—"


@pytest.mark.parametrize(("points", "expected"), [(5.99, "+5.99"), (-0.76, "-0.76"), (0.001, "0.00"), (None, "—")])
def test_signed_delta(points, expected):
    assert fmt.signed(points) == expected


def test_money_label():
    assert fmt.money_label("万元") == "（万元）"
