"""perfcore.whatif: changes on a copy, differences, simulations, and the reverse questions."""
from __future__ import annotations

import copy

import pytest
from formfactory import Row, make_form

from perfcore.samples import load_seed_forms
from perfcore.scoring import score_form
from perfcore.whatif import (
    Change,
    apply_changes,
    combine,
    execution_change,
    full_marks_actual,
    path_to_grade,
    what_if,
)

WINDOW = next(f for f in load_seed_forms() if f.project.value == "窗口业务管理")


def test_actual_change_rescores_a_copy() -> None:
    stored = copy.deepcopy(WINDOW)
    result = what_if(WINDOW, [Change("actual", 0, "29000家")])
    assert WINDOW == stored  # the stored form is untouched
    assert (result.base.total, result.new.total, result.total_delta, result.simulated) == (92.01, 98.25, 6.24, False)
    assert [(d.index, d.name, d.old, d.new, d.delta) for d in result.diffs] == [(0, "服务新开办企业数量", 0.76, 7, 6.24)]
    assert [f.code for f in result.new.findings].count("C09") == 1


def test_no_change_gives_the_same_scorecard() -> None:
    result = what_if(WINDOW, [])
    assert result.base == result.new and result.diffs == [] and not result.simulated
    stored = score_form(WINDOW)
    assert what_if(WINDOW, [Change("actual", 0, "29000家")], base=stored).base is stored


def test_target_and_weight_changes_are_simulations() -> None:
    result = what_if(WINDOW, [Change("target", 0, ">=3146家")])
    assert result.simulated and result.new.indicators[0].score == 7
    weight = what_if(WINDOW, [Change("weight", 0, 0)])
    assert weight.simulated and weight.new.indicators[0].weight == 0
    assert "C01A" in [f.code for f in weight.new.findings]  # weights no longer add up to 100


def test_declared_score_change_keeps_the_total_adding_up() -> None:
    result = what_if(WINDOW, [Change("declared_score", 0, 0.76), Change("declared_score", 1, 5.25)])
    assert result.new.declared_total == 92.01 and result.new.difference == 0
    assert [f.code for f in result.new.findings] == ["C07A"]
    assert result.diffs == []  # rule scores did not move
    execution = what_if(make_form(), [Change("declared_score", None, 9)])
    assert execution.new.form.execution.declared_score.value == 9 and execution.new.declared_total == 99
    assert [f.code for f in execution.new.findings] == ["C04B"]


def test_executed_change_keeps_funds_consistent() -> None:
    result = what_if(make_form(), [Change("executed", None, 85000)])
    assert (result.new.execution.rate, result.new.execution.score, result.execution_delta) == (0.85, 8.5, -1.5)
    new = result.new.form
    assert new.fund("appropriation").executed.value == 85000
    assert new.execution.rate.value == 0.85
    assert [f.code for f in result.new.findings] == ["C04B", "C07B"]  # self-score 10 now wrong; low rate unexplained


def test_budget_change_on_a_sub_row_moves_the_total() -> None:
    form = make_form()
    result = what_if(form, [Change("budget", 1, 125000)])  # 当年财政拨款 全年预算数
    assert result.new.form.fund("total").budget.value == 125000
    assert result.new.execution.rate == 0.8


@pytest.mark.parametrize("change", [Change("actual", 99, "1"), Change("colour", 0, "x"), Change("weight", 0, "abc"),
                                    Change("executed", 9, 1)])
def test_bad_changes_are_refused(change: Change) -> None:
    with pytest.raises(ValueError):
        apply_changes(WINDOW, [change])


def test_change_round_trips_as_dict() -> None:
    change = Change("actual", 3, "≥90%")
    assert Change.from_dict(change.to_dict()) == change


@pytest.mark.parametrize(("target", "expected"), [
    (">=29000家", "29000家"), ("≥90%", "90%"), ("=100%", "100%"), (">5件", ">5件"), ("<=30分钟", "30分钟"),
    ("<3起", "<3起"), ("=0", "0"), ("=0%", "0%"), ("及时性", "及时性"), ("健全", "健全"), ("", None), ("12月底前", None),
])
def test_full_marks_actual(target: str, expected: str | None) -> None:
    form = make_form([Row("x", target, "", 90, declared=None)])
    answer = full_marks_actual(form, 0)
    assert answer == expected
    if answer is not None:
        assert score_form(apply_changes(form, [Change("actual", 0, answer)])).indicators[0].score == 90


def test_path_to_grade() -> None:
    assert path_to_grade(WINDOW, "优") == []
    rows = [Row("a", ">=100家", "10家", 30), Row("b", ">=100家", "50家", 30), Row("c", "及时", "未及时", 20),
            Row("d", "=0", "1", 10)]
    form = make_form(rows)  # 10 + 3 + 15 + 0 + 0 = 28, 差
    assert score_form(form).total == 28
    assert path_to_grade(form, "中") == [Change("actual", 0, "100家"), Change("actual", 2, "及时")]  # +27, +20 → 75
    best = path_to_grade(form, "优")  # 28 + 27 + 20 + 15 = 90: the 10-point zero target is not needed
    assert best == [Change("actual", 0, "100家"), Change("actual", 2, "及时"), Change("actual", 1, "100家")]
    assert score_form(apply_changes(form, best)).grade == "优"
    unfixable = make_form([Row("a", "12月底前", "完成", 90)])
    assert path_to_grade(unfixable, "中") is None
    with pytest.raises(ValueError, match="未知等级"):
        path_to_grade(form, "A")


def test_path_to_grade_counts_the_execution_score() -> None:
    """Issue 19: 预算执行率 lost points too; spending the full-year budget is a change like any other."""
    rows = [Row("a", ">=100家", "50家", 45), Row("b", "及时", "及时", 45)]
    form = make_form(rows, budget=100_000, executed=40_000)  # 22.5 + 45 + 4 = 71.5 (中)
    card = score_form(form)
    assert card.total == 71.5
    assert execution_change(form, card) == (6.0, Change("executed", None, 100_000))
    assert path_to_grade(form, "良") == [Change("actual", 0, "100家")]  # +22.5 → 94: one change
    assert path_to_grade(form, "中") == []
    both = make_form([Row("a", ">=100家", "95家", 45), Row("b", "及时", "及时", 45)], budget=100_000, executed=10_000)
    assert score_form(both).total == 88.75  # 42.75 + 45 + 1 (良)
    assert path_to_grade(both, "优") == [Change("executed", None, 100_000)]  # 9 points beat 2.25
    assert score_form(apply_changes(both, path_to_grade(both, "优") or [])).grade == "优"
    unread = make_form(rows, budget=100_000, executed=None)
    assert execution_change(unread, score_form(unread)) is None  # not read is not lost


def test_combine_edits_made_on_a_changed_copy() -> None:
    """A draft (a scenario, or the edits before a 元/万元 switch) and the edits made on top of it."""
    draft = [Change("actual", 0, "29000家"), Change("executed", None, 641805.74)]  # 80% spent
    start = apply_changes(WINDOW, draft)
    assert start.fund("appropriation").executed.value == 641805.74  # the sub-row followed the total
    # the total edited again on the copy: its own row only, as the editor shows it
    later = [Change("executed", None, 401128.59), Change("actual", 0, "20000家")]
    changes = combine(draft, later)
    assert changes == [Change("executed", None, 641805.74), *later]  # the actual kept once, amounts in order
    new = apply_changes(WINDOW, changes)
    assert new.fund("total").executed.value == new.fund("appropriation").executed.value == 401128.59
    assert apply_changes(start, later) == new
    assert what_if(WINDOW, changes).new.execution.rate == pytest.approx(0.5)
