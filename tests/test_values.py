"""perfcore.values: target / actual text → Value, and perfcore.policy settings."""
from __future__ import annotations

import pytest

from perfcore.policy import DEFAULT_POLICY, EXEC20_POLICY, POLICIES, get_policy
from perfcore.values import comparable, normalise_word, parse_value


@pytest.mark.parametrize(
    ("text", "op", "number", "unit", "percent"),
    [
        (">=29000家", ">=", 29000, "家", False),
        ("≥90%", ">=", 90, "", True),
        ("≧90%", ">=", 90, "", True),
        ("＞５件", ">", 5, "件", False),
        (">3次", ">", 3, "次", False),
        ("<=30分钟", "<=", 30, "分钟", False),
        ("≤30分钟", "<=", 30, "分钟", False),
        ("＜2小时", "<", 2, "小时", False),
        ("=100%", "=", 100, "", True),
        ("＝6台", "=", 6, "台", False),
        ("﹦6台", "=", 6, "台", False),
        ("=0", "=", 0, "", False),
        ("3146", None, 3146, "", False),
        ("6,261,700元", None, 6261700, "元", False),
        ("１００％", None, 100, "", True),
        ("100 人次", None, 100, "人次", False),
        (">=0.5万元", ">=", 0.5, "万元", False),
        ("不低于95%", ">=", 95, "", True),
        ("不超过3起", "<=", 3, "起", False),
        ("90%以上", ">=", 90, "", True),
        ("30分钟以内", "<=", 30, "分钟", False),
        ("12场", None, 12, "场", False),
        ("1200户", None, 1200, "户", False),
        ("15天。", None, 15, "天", False),
        # compound units (issue 20): / and * join unit words
        ("≥4754元/人*月", ">=", 4754, "元/人*月", False),
        ("≤5300元/户", "<=", 5300, "元/户", False),
        ("800人次/年", None, 800, "人次/年", False),
        ("≥4754元/人·月", ">=", 4754, "元/人·月", False),
        ("≤12元/㎡", "<=", 12, "元/m2", False),
    ],
)
def test_quantitative_spellings(text: str, op: str | None, number: float, unit: str, percent: bool) -> None:
    v = parse_value(text)
    assert (v.kind, v.op, v.number, v.unit, v.is_percent) == ("quantitative", op, number, unit, percent)
    assert v.raw == text


@pytest.mark.parametrize(("text", "word"), [
    ("及时", "及时"), ("及时性", "及时"), ("健全性", "健全"), (" 健 全 ", "健全"), ("提升。", "提升"),
    ("达成预期指标", "达成预期指标"), ("是", "是"), ("效果明显", "效果明显"),
])
def test_qualitative_words_are_normalised(text: str, word: str) -> None:
    v = parse_value(text)
    assert (v.kind, v.word) == ("qualitative", word)
    assert normalise_word(text) == word


@pytest.mark.parametrize("text", ["", None, "  ", "—", "-", "/", "无"])
def test_blank_is_missing(text: str | None) -> None:
    assert parse_value(text).kind == "missing"


@pytest.mark.parametrize("text", [
    "90%-100%", "2021年完成", "12月底前", "约90%", "≥90%以下", "90%左右", "第3季度", "1,2345", "3家企业完成开办",
])
def test_unparseable_rather_than_guessed(text: str) -> None:
    v = parse_value(text)
    assert v.kind == "unparseable" and v.number is None and v.raw == text


def test_canonical_text() -> None:
    assert parse_value("≥ 29,000 家").text() == ">=29000家"
    assert parse_value("≥90%").text(op=False) == "90%"
    assert parse_value("及时性").text() == "及时"


def test_comparable_units() -> None:
    target = parse_value(">=29000家")
    assert comparable(target, parse_value("3146")) == (29000, 3146)      # bare actual takes the target's unit
    assert comparable(target, parse_value("3146件")) is None              # 家 vs 件
    assert comparable(parse_value("<=1小时"), parse_value("45分钟")) == (60, 45)
    assert comparable(parse_value(">=2万元"), parse_value("15000元")) == (20000, 15000)
    assert comparable(parse_value("=0"), parse_value("0%")) == (0, 0)    # a bare target accepts any unit
    assert comparable(parse_value(">=90%"), parse_value("90家")) is None


def test_policies() -> None:
    p = DEFAULT_POLICY
    assert (p.name, p.label) == ("mof-2020-shanghai", "财预〔2020〕10号（上海两位小数）")
    assert (p.execution_weight, p.decimals, p.over_achievement_ratio) == (10, 2, 1.5)
    assert [(b.label, b.low, b.high, b.share) for b in p.qualitative_bands] == [
        ("达成", 0.8, 1.0, 1.0), ("部分达成", 0.6, 0.8, 0.7), ("未达成", 0.0, 0.6, 0.0)]
    assert p.round(7 * 3146 / 29000) == 0.76
    assert p.round(0.125) == 0.13 and p.round(2.675) == 2.68  # half up, not banker's / binary rounding
    assert p.band("partly").contains(0.6) and not p.band("partly").contains(0.8)
    assert p.band("met").contains(1.0) and not p.band("met").contains(0.79)
    assert p.grade_threshold("良") == 80
    with pytest.raises(ValueError, match="未知等级"):
        p.grade_threshold("甲")
    v = EXEC20_POLICY
    assert v.execution_weight == 20 and [(b.low, b.high) for b in v.qualitative_bands] == [
        (0.8, 1.0), (0.5, 0.8), (0.0, 0.5)]
    assert sum(w for _, w in v.level1_split) + v.execution_weight == 100
    assert sum(w for _, w in p.level1_split) + p.execution_weight == 100
    assert set(POLICIES) == {p.name, v.name}
    assert get_policy(None) is p and get_policy(v.name) is v
    with pytest.raises(KeyError, match="未知评分规则"):
        get_policy("nope")


def test_compound_units_compare_on_the_same_unit_only() -> None:
    assert comparable(parse_value("≥4754元/人*月"), parse_value("4800元/人*月")) == (4754, 4800)
    assert comparable(parse_value("≤5300元/户"), parse_value("0.5万元/户")) == (5300, 5000)
    assert comparable(parse_value("≤5300元/户"), parse_value("5000元/人")) is None


@pytest.mark.parametrize("text", ["2021年/完成", "5/10", "≥100元//户", "≥3元/人均每月发放的生活补助金额"])
def test_what_is_not_a_compound_unit_stays_unparseable(text: str) -> None:
    assert parse_value(text).kind == "unparseable"
