"""The layout fuzzer (perfcore/fuzz.py): the same form written in many template variants must
read to the same form, be complete and get the same rule total and grade.

Each case is one seed; a failure names it and replays with
``.venv/bin/python -m perfcore.fuzz SEED out.xlsx`` (describes the variant, writes the workbook).
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from perfcore.fuzz import base_form, expected_reading, reading, variant, write_variant
from perfcore.reader import read_workbook
from perfcore.scoring import score_form

SEEDS = range(120)


def _read(seed: int):
    form = base_form(seed)
    v = variant(seed)
    result = read_workbook(write_variant(form, v), f"fuzz-{seed}.xlsx")
    assert result.error is None, f"{v.describe()}\n{result.error}"
    assert len(result.forms) == 1, v.describe()
    return form, v, result.forms[0]


@pytest.mark.parametrize("seed", SEEDS, ids=[f"seed={s}" for s in SEEDS])
def test_every_variant_reads_to_the_same_form(seed):
    form, v, read = _read(seed)
    card = score_form(read)
    got, expected = reading(read, card), expected_reading(form)
    diffs = [f"  {key}: expected {expected[key]!r}\n{'':>{len(key) + 4}}got {got.get(key)!r}"
             for key in expected if expected[key] != got.get(key)]
    assert not diffs, (f"{v.describe()}\nreplay: .venv/bin/python -m perfcore.fuzz {seed} out.xlsx\n"
                       + "\n".join(diffs) + f"\nmissing: {card.reading.missing}\nnotes: {read.notes}")


def test_the_variants_cover_every_knob():
    """The seeds above exercise each template feature, in both settings, so none goes untested."""
    variants = [variant(seed) for seed in SEEDS]
    for knob in ("two_row_header", "wan", "total_in_header", "execution_row", "outline", "level_points",
                 "split_target", "breakdown"):
        assert {getattr(v, knob) for v in variants} == {True, False}, knob
    assert {v.levels for v in variants} == {"merged", "first", "repeated"}
    assert {v.amounts for v in variants} == {"number", "text_unit", "text_plain", "fullwidth"}
    assert len({v.order for v in variants}) >= 12
    for role in ("budget", "executed", "target", "actual", "weight", "score", "name"):
        assert len({v.labels[role] for v in variants}) >= 3, role


def test_a_seed_replays_the_same_template_and_form():
    assert variant(17) == variant(17) and base_form(17) == base_form(17)
    assert variant(17) != variant(18)


def test_an_execution_row_is_scored_once_not_twice():
    seed = next(s for s in SEEDS if variant(s).execution_row)
    form, _, read = _read(seed)
    card = score_form(read)
    assert card.execution.weight == 0 and card.execution.score == 0
    row = next(s for s, ind in zip(card.indicators, read.indicators) if ind.name == "预算执行率")
    assert row.weight == 10 and row.score == form.execution_score
    assert card.total == form.total and any("不再重复计分" in note for note in read.notes)


def test_outline_subtotals_are_not_counted_as_indicators():
    seed = next(s for s in SEEDS if variant(s).outline)
    form, v, read = _read(seed)
    assert [ind.name for ind in read.indicators if ind.name != "预算执行率"] == [i.name for i in form.indicators]
    printed = sum(i.weight for i in form.indicators) + (form.execution_weight if v.execution_row else 0)
    assert sum(ind.weight.value or 0 for ind in read.indicators) == pytest.approx(printed)


@pytest.mark.parametrize("seed", range(0, 120, 7), ids=lambda s: f"seed={s}")
def test_a_variant_whose_weights_add_to_150_is_never_graded(seed):
    """The 150-point form of issue 20 in every template: 需核实, the sum named, no grade."""
    form = base_form(seed)
    first = form.indicators[0]
    heavy = replace(form, indicators=(replace(first, weight=first.weight + 50, score=first.score + 50),
                                      *form.indicators[1:]))
    result = read_workbook(write_variant(heavy, variant(seed)), f"fuzz-{seed}.xlsx")
    assert result.error is None, result.error
    card = score_form(result.forms[0])
    assert card.reading.state == "需核实" and card.grade is None, variant(seed).describe()
    assert any("分值合计 150" in m and "满分 100" in m for m in card.reading.missing), card.reading.missing


def test_breakdown_rows_are_the_first_indicators_parts_not_indicators():
    """其中… rows (no 分值, no 得分) under an indicator: read as its details, noted, never scored."""
    seed = next(s for s in SEEDS if variant(s).breakdown)
    form, _, read = _read(seed)
    assert [ind.name for ind in read.indicators if ind.name != "预算执行率"] == [i.name for i in form.indicators]
    first = form.indicators[0].name
    assert any(f"“{first}”" in note and "2 行“其中…”" in note and "不单独计分" in note for note in read.notes), read.notes
