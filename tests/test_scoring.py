"""perfcore.scoring: rule scores, explanations, execution, totals and grades; the seed under the default policy."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from formfactory import Row, make_form, one

from perfcore.policy import DEFAULT_POLICY, EXEC20_POLICY
from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK, load_seed_forms
from perfcore.scoring import grade_for, score_execution, score_form, score_indicator

CASES = [
    # target, actual, weight, status, score, rule, explanation
    (">=29000家", "3146", 7, "missed", 0.76, "forward", "未达标：7 × 3146 ÷ 29000 = 0.76"),
    (">=18000件", "13500", 7, "missed", 5.25, "forward", "未达标：7 × 13500 ÷ 18000 = 5.25"),
    (">=29000家", "29000家", 7, "met", 7, "forward", "达标：得满分 7"),
    (">=3次", "3次", 8, "met", 8, "forward", "达标：得满分 8"),
    (">5件", "6件", 4, "met", 4, "forward", "达标：得满分 4"),
    (">5件", ">5件", 4, "met", 4, "forward", "达标：得满分 4"),
    ("=6台", "=6台", 7, "met", 7, "forward", "达标：得满分 7"),
    ("=6台", "7台", 7, "met", 7, "forward", "达标：得满分 7"),
    ("=6台", "3台", 7, "missed", 3.5, "forward", "未达标：7 × 3 ÷ 6 = 3.5"),
    ("=100%", "100%", 6, "met", 6, "forward", "达标：得满分 6"),
    ("=100%", "95%", 6, "missed", 5.7, "forward", "未达标：6 × 95 ÷ 100 = 5.7"),
    (">=90%", "85%", 10, "missed", 9.44, "forward", "未达标：10 × 85 ÷ 90 = 9.44"),
    (">=90%", "≥90%", 10, "met", 10, "forward", "达标：得满分 10"),
    (">=90%", "90", 10, "met", 10, "forward", "达标：得满分 10"),
    ("≥90%", "≤80%", 10, "missed", 8.89, "forward", "未达标：10 × 80 ÷ 90 = 8.89"),
    (">=2万元", "15000元", 5, "missed", 3.75, "forward", "未达标：5 × 15000 ÷ 20000 = 3.75"),
    ("<=30分钟", "≤30分钟", 5, "met", 5, "reverse", "达标：得满分 5"),
    ("<=30分钟", "45分钟", 5, "missed", 3.33, "reverse", "未达标（反向指标）：5 × 30 ÷ 45 = 3.33"),
    ("<=1小时", "45分钟", 5, "met", 5, "reverse", "达标：得满分 5"),
    ("<=30分钟", "1小时", 5, "missed", 2.5, "reverse", "未达标（反向指标）：5 × 30 ÷ 60 = 2.5"),
    ("<3起", "3起", 4, "missed", 4, "reverse", "未达标（反向指标）：4 × 3 ÷ 3 = 4"),
    ("=0", "0", 4, "met", 4, "zero", "达标：得满分 4"),
    ("=0%", "=0%", 4, "met", 4, "zero", "达标：得满分 4"),
    ("=0", "2", 4, "missed", 0, "zero", "未达标（目标为 0，实际 2）：得 0 分"),
    ("=0%", "0.5%", 6, "missed", 0, "zero", "未达标（目标为 0，实际 0.5）：得 0 分"),
    ("≤0", "1起", 4, "missed", 0, "zero", "未达标（目标为 0，实际 1）：得 0 分"),
    ("=0", "无", 4, "met", 4, "zero", "达标：得满分 4"),
    ("=0起", "未发生", 4, "met", 4, "zero", "达标：得满分 4"),
    (">=1次", "无", 4, "unknown", None, "forward", "实际完成值缺失，无法计分"),
    ("及时", "及时", 6, "met", 6, "qualitative", "定性指标达成：得满分 6"),
    ("及时性", "及时", 5, "met", 5, "qualitative", "定性指标达成：得满分 5"),
    ("提升", "不断提升", 4, "met", 4, "qualitative", "定性指标达成：得满分 4"),
    ("健全", "已完成", 4, "met", 4, "qualitative", "定性指标达成：得满分 4"),
    ("健全", "基本健全", 4, "partly", 2.8, "qualitative", "定性指标部分达成：4 × 70% = 2.8"),
    ("及时", "未及时", 6, "missed", 0, "qualitative", "定性指标未达成：得 0 分"),
    ("公开", "滞后", 3, "missed", 0, "qualitative", "定性指标未达成：得 0 分"),
    ("否", "否", 3, "met", 3, "qualitative", "定性指标达成：得满分 3"),
    ("否", "是", 3, "missed", 0, "qualitative", "定性指标未达成：得 0 分"),
    (">=90%", "完成", 10, "met", 10, "forward", "数值目标按文字“完成”判定，达成：得满分 10"),
    # cannot be scored: say so, never guess
    (">=29000家", "", 7, "unknown", None, "forward", "实际完成值缺失，无法计分"),
    (">=29000家", "约3000家", 7, "unknown", None, "forward", "实际完成值“约3000家”无法解析，无法计分"),
    (">=100家", "100件", 7, "unknown", None, "forward", "实际完成值单位（件）与年度指标值单位（家）不一致，无法计分"),
    (">=90%", "≥85%", 10, "unknown", None, "forward", "实际完成值“≥85%”只给出范围，无法判定是否达到“>=90%”，无法计分"),
    ("及时", "100%", 6, "unknown", None, "qualitative", "定性目标“及时”填写了数值“100%”，无法判定，无法计分"),
    ("健全", "一般", 4, "unknown", None, "qualitative", "实际完成值“一般”与目标“健全”不一致，无法判定是否达成，无法计分"),
    (">=90%", "尚可", 10, "unknown", None, "forward", "数值目标“>=90%”填写了文字“尚可”，无法判定，无法计分"),
    ("", "100%", 5, "unknown", None, "", "年度指标值缺失，无法计分"),
    ("12月底前", "按时", 5, "unknown", None, "", "年度指标值“12月底前”无法解析，无法计分"),
]


@pytest.mark.parametrize(("target", "actual", "weight", "status", "score", "rule", "explanation"), CASES)
def test_case_table(target: str, actual: str, weight: float, status: str, score: float | None, rule: str,
                    explanation: str) -> None:
    s = score_indicator(3, one(Row("指标", target, actual, weight, declared=None)))
    assert (s.index, s.status, s.score, s.rule, s.explanation) == (3, status, score, rule, explanation)
    assert s.weight == weight
    assert s.deduction == round(weight - (score or 0), 2)


def test_equal_target_can_be_scored_exactly() -> None:
    strict = replace(DEFAULT_POLICY, equal_as_forward=False)
    s = score_indicator(0, one(Row("购置数", "=6台", "7台", 7)), strict)
    assert (s.status, s.score, s.rule, s.explanation) == ("missed", 6.0, "exact", "未达标（反向指标）：7 × 6 ÷ 7 = 6")


def test_variant_policy_partial_share() -> None:
    s = score_indicator(0, one(Row("制度", "健全", "基本健全", 4)), EXEC20_POLICY)
    assert (s.status, s.score) == ("partly", 2.6)


def test_declared_score_is_carried() -> None:
    assert score_indicator(0, one(Row("x", ">=10家", "5家", 6, declared=5))).declared == 5


# --- execution ------------------------------------------------------------------------


def test_execution_uses_full_year_budget_not_initial() -> None:
    e = score_execution(make_form(initial=200000, budget=100000, executed=100000))
    assert (e.weight, e.rate, e.score) == (10, 1.0, 10)
    assert e.explanation == "执行率 = 100,000.00 元 ÷ 100,000.00 元 = 100.00%，得满分 10"


def test_execution_partial_and_rounded() -> None:
    e = score_execution(make_form(budget=100000, executed=85123.4))
    assert e.score == 8.51
    assert e.explanation == "执行率 = 85,123.40 元 ÷ 100,000.00 元 = 85.12%，得分 10 × 85.12% = 8.51"


def test_execution_above_100_scores_full() -> None:
    e = score_execution(make_form(budget=100000, executed=110000))
    assert (e.rate, e.score) == (1.1, 10)
    assert e.explanation.endswith("= 110.00%，超过 100%，按满分计 10")


def test_execution_weight_printed_else_policy() -> None:
    assert score_execution(make_form(exec_weight=20)).weight == 20
    assert score_execution(make_form(exec_weight=None)).weight == 10
    assert score_execution(make_form(exec_weight=None), EXEC20_POLICY).weight == 20


@pytest.mark.parametrize(("budget", "executed", "missing"), [(None, 5.0, "全年预算数"), (0.0, 5.0, "全年预算数"),
                                                             (100.0, None, "全年执行数")])
def test_execution_unknown(budget: float | None, executed: float | None, missing: str) -> None:
    e = score_execution(make_form(budget=budget, executed=executed))
    assert (e.rate, e.score) == (None, None)
    assert e.explanation == f"年度资金总额的{missing}缺失或为 0，无法计算执行率，无法计分"


# --- totals and grades ----------------------------------------------------------------


@pytest.mark.parametrize(("total", "grade"), [(100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"),
                                              (60, "中"), (59.99, "差"), (0, "差")])
def test_grade_bands(total: float, grade: str) -> None:
    assert grade_for(total) == grade


def test_total_is_execution_plus_indicators() -> None:
    rows = [Row("a", ">=100家", "50家", 50, declared=40), Row("b", "及时", "及时", 40)]
    card = score_form(make_form(rows, budget=100000, executed=80000))
    assert [s.score for s in card.indicators] == [25, 40]
    assert card.execution.score == 8
    assert (card.total, card.grade, card.declared_total, card.difference) == (73, "中", 88, 15)
    assert card.policy == DEFAULT_POLICY.name


def test_unknown_indicator_counts_as_lost() -> None:
    card = score_form(make_form([Row("a", ">=100家", "", 90, declared=None)]))
    assert (card.total, card.indicators[0].deduction) == (10, 90)


# --- the seed -------------------------------------------------------------------------


def _seed_forms(path: Path) -> list:
    """The five seed forms read by the real reader from a committed sample workbook."""
    from perfcore.reader import read_workbook

    result = read_workbook(path)
    assert result.error is None
    return result.forms


SEED_SOURCES = [pytest.param(SHEETS_WORKBOOK, id="sheets-workbook"),
                pytest.param(STACKED_WORKBOOK, id="stacked-workbook"),
                pytest.param(None, id="transcription")]


@pytest.mark.parametrize("path", SEED_SOURCES)
def test_seed_scores(path: Path | None) -> None:
    forms = load_seed_forms() if path is None else _seed_forms(path)
    cards = {f.project.value: score_form(f) for f in forms}
    assert {p: (c.total, c.grade) for p, c in cards.items()} == {
        "深化“一网通办”专项费用": (100, "优"), "业务培训": (100, "优"), "宣传与推广": (100, "优"),
        "窗口业务管理": (92.01, "优"), "网络信息系统运行与维护": (100, "优")}
    window = cards["窗口业务管理"]
    missed = [(window.form.indicators[s.index].name, s.score, s.explanation)
              for s in window.indicators if s.status != "met"]
    assert missed == [("服务新开办企业数量", 0.76, "未达标：7 × 3146 ÷ 29000 = 0.76"),
                      ("政务服务免费快递业务量", 5.25, "未达标：7 × 13500 ÷ 18000 = 5.25")]
    assert (window.declared_total, window.difference) == (98, 5.99)
    assert all(c.execution.explanation.endswith("= 100.00%，得满分 10") for c in cards.values())
