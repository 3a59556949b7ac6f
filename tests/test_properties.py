"""Property tests (hypothesis) for values, scoring and what-if (issue 3)."""
from __future__ import annotations

from itertools import combinations

from formfactory import Row, make_form, one
from hypothesis import given, settings
from hypothesis import strategies as st

from perfcore.policy import DEFAULT_POLICY, EXEC20_POLICY
from perfcore.scoring import score_execution, score_form, score_indicator
from perfcore.values import parse_value
from perfcore.whatif import Change, apply_changes, execution_change, full_marks_actual, path_to_grade, what_if

OPS = ["", ">=", "≥", "＞", ">", "<=", "≤", "<", "=", "＝", "﹦", "不低于", "不超过"]
FORWARD_OPS = [">=", "≥", ">", "＞", "=", "＝", ""]
REVERSE_OPS = ["<=", "≤", "<", "＜", "不超过"]
UNITS = ["", "%", "家", "件", "台", "次", "人次", "个", "分钟", "小时", "天", "元", "万元", "起", "场", "户"]
WORDS = ["及时", "及时性", "健全", "健全性", "提升", "增长", "共享", "公开", "优化", "提高", "效果明显", "达成预期指标",
         "完成", "是", "否", "基本完成", "部分完成", "未完成", "滞后", "不及时", "一般", "尚可"]

numbers = st.integers(0, 10_000_000).map(lambda n: f"{n / 100:g}")
positive = st.integers(1, 10_000_000).map(lambda n: n / 100)
quantities = st.builds(lambda op, n, u: f"{op}{n}{u}", st.sampled_from(OPS), numbers, st.sampled_from(UNITS))
values = st.one_of(quantities, st.sampled_from(WORDS), st.just(""), st.text(max_size=12))
weights = st.integers(0, 40).map(float) | st.floats(0, 20, allow_nan=False).map(lambda x: round(x, 1))


@given(st.text(max_size=30))
def test_parse_never_raises(text: str) -> None:
    v = parse_value(text)
    assert v.raw == text
    assert (v.number is not None) == (v.kind == "quantitative")


@given(values, values, weights)
def test_score_between_zero_and_weight(target: str, actual: str, weight: float) -> None:
    for policy in (DEFAULT_POLICY, EXEC20_POLICY):
        s = score_indicator(0, one(Row("x", target, actual, weight)), policy)
        assert s.score is None or 0 <= s.score <= weight
        assert (s.score is None) == (s.status == "unknown")


def _scores_low_high(target: str, unit: str, a1: str, a2: str, weight: float) -> tuple[float, float]:
    """Rule scores for the smaller and the larger of two actuals against one target."""
    scores = [score_indicator(0, one(Row("x", target, f"{a:g}{unit}", weight))).score
              for a in sorted((float(a1), float(a2)))]
    assert None not in scores
    return scores[0], scores[1]


@given(st.sampled_from(FORWARD_OPS), positive, st.sampled_from(UNITS), numbers, numbers, weights)
def test_forward_never_falls_as_actual_rises(op: str, t: float, unit: str, a1: str, a2: str, w: float) -> None:
    low, high = _scores_low_high(f"{op}{t:g}{unit}", unit, a1, a2, w)
    assert low <= high


@given(st.sampled_from(REVERSE_OPS), positive, st.sampled_from(UNITS), numbers, numbers, weights)
def test_reverse_never_rises_as_actual_rises(op: str, t: float, unit: str, a1: str, a2: str, w: float) -> None:
    low, high = _scores_low_high(f"{op}{t:g}{unit}", unit, a1, a2, w)
    assert low >= high


@given(positive, st.integers(0, 20_000_000).map(lambda n: n / 100), st.sampled_from([10.0, 20.0]))
def test_execution_between_zero_and_weight(budget: float, executed: float, weight: float) -> None:
    e = score_execution(make_form(budget=budget, executed=executed, exec_weight=weight))
    assert e.score is not None and 0 <= e.score <= weight
    assert (e.score == weight) == (executed >= budget or round(weight * executed / budget, 2) == weight)


rows = st.lists(st.builds(lambda t, a, w, d: Row("指标", t, a, w, declared=d), values, values,
                          st.integers(0, 30).map(float), st.none() | st.integers(0, 30).map(float)),
                min_size=1, max_size=8)
forms = st.builds(lambda r, b, e: make_form(r, budget=b, executed=e), rows, positive, positive)


@settings(max_examples=60, deadline=None)
@given(forms)
def test_what_if_without_change_is_the_stored_scorecard(form) -> None:
    result = what_if(form, [])
    assert result.new == result.base == score_form(form)
    assert result.diffs == [] and not result.simulated


@settings(max_examples=60, deadline=None)
@given(forms, st.data())
def test_full_marks_actual_earns_full_marks(form, data) -> None:
    index = data.draw(st.integers(0, len(form.indicators) - 1))
    answer = full_marks_actual(form, index)
    if answer is not None:
        card = score_form(apply_changes(form, [Change("actual", index, answer)]))
        assert card.indicators[index].score == DEFAULT_POLICY.round(form.indicators[index].weight.value or 0)
        assert card.indicators[index].status == "met"


@settings(max_examples=60, deadline=None)
@given(forms, st.sampled_from(["优", "良", "中", "差"]))
def test_path_to_grade_reaches_the_grade(form, grade: str) -> None:
    changes = path_to_grade(form, grade)
    threshold = DEFAULT_POLICY.grade_threshold(grade)
    fixable = [Change("actual", i, a) for i in range(len(form.indicators))
               if (a := full_marks_actual(form, i)) is not None]
    spending = execution_change(form, score_form(form))  # 预算执行率 counts like any indicator (issue 19)
    fixable += [spending[1]] if spending else []
    if changes is None:  # impossible: even every fixable indicator at full marks falls short
        best = score_form(apply_changes(form, fixable)).total
        assert best is None or best < threshold  # None: the form cannot be scored at all
        return
    assert score_form(apply_changes(form, changes)).total >= threshold
    assert all(c in fixable for c in changes)
    assert len({(c.kind, c.index) for c in changes}) == len(changes)
    if changes:  # no smaller set of indicator changes does it
        smaller = combinations(fixable, len(changes) - 1)
        assert all(score_form(apply_changes(form, list(c))).total < threshold for c in smaller)
