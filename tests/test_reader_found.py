"""perfcore.reader on published forms from templates the team had never seen (issue 20), each
rebuilt by ``tests/fixtures/provinces/make_found_forms.py``: every form reads as
``expected_found.json`` says (names, amounts in yuan, every indicator, the declared total) and
gets the reading state it deserves, naming what is missing; none is graded unless complete.
"""
from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import pytest

from perfcore.reader import read_workbook
from perfcore.scoring import score_form

FIXTURES = Path(__file__).parent / "fixtures" / "provinces"
EXPECTED = json.loads((FIXTURES / "expected_found.json").read_text(encoding="utf-8"))["workbooks"]
WORKBOOKS = sorted(EXPECTED)


@cache
def _read(name: str):
    result = read_workbook(FIXTURES / name)
    assert result.error is None, result.error
    assert len(result.forms) == 1
    form = result.forms[0]
    return form, score_form(form)


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, abs_tol=0.01))


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_found_form_reads_its_header_funds_and_total(name):
    form, card = _read(name)
    exp = EXPECTED[name]["expected"]
    assert (form.year, form.project.value, form.department.value, form.unit.value) == \
        (exp["year"], exp["project"], exp["department"], exp["unit"])
    total = form.fund("total")
    budget, executed = (total.budget.value, total.executed.value) if total else (None, None)
    assert form.money_unit == exp["money_unit"]
    assert _close(budget, exp["budget"]) and _close(executed, exp["executed"])
    assert _close(form.execution.weight.value, exp["execution_weight"])
    assert _close(form.total_declared.value, exp["total_declared"])


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_found_form_reads_every_indicator(name):
    form, _ = _read(name)
    got = [{"level1": i.level1, "level2": i.level2, "name": i.name, "target": i.target.value, "actual": i.actual.value,
            "weight": i.weight.value, "score": i.declared_score.value} for i in form.indicators]
    assert got == EXPECTED[name]["expected"]["indicators"]


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_found_form_gets_its_state_and_says_what_is_missing(name):
    _, card = _read(name)
    exp = EXPECTED[name]["expected"]
    assert card.reading.state == exp["state"]
    assert card.grade is None if exp["state"] != "完整" else card.grade is not None
    missing = "\n".join(card.reading.missing)
    for words in exp["missing_contains"]:
        assert words in missing, f"{words!r} not in\n{missing}"
    notes = "\n".join(card.form.notes)
    for words in exp.get("notes_contain", []):
        assert words in notes, f"{words!r} not in\n{notes}"


def test_a_breakdown_row_that_carries_its_own_weight_stays_an_indicator(tmp_path):
    """其中… rows are details only while they print no 分值 and no 得分: one with a weight is scored."""
    import openpyxl
    book = openpyxl.load_workbook(FIXTURES / "f4_anhui_xiaoxian_2023_zhongyang.xlsx")
    sheet = book.active
    sheet["E13"], sheet["H13"] = 2, 2
    book.save(tmp_path / "f4.xlsx")
    form = read_workbook(tmp_path / "f4.xlsx").forms[0]
    names = [i.name for i in form.indicators]
    assert names[:2] == ["★补助各类瓜果蔬菜种植面积", "其中桃树种植面积"] and len(names) == 9
    assert form.indicators[1].weight.value == 2
    assert "下的 3 行“其中…”（自评表!D14–D16）是它的明细" in "\n".join(form.notes)


def test_the_generator_is_the_source_of_the_committed_workbooks(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_found_forms", FIXTURES / "make_found_forms.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.write_all(tmp_path):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name
