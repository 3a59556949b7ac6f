"""perfcore.reader on the seven published provincial forms of issue 10 (``../shared/forms/``),
each built as a workbook in its province's layout by
``tests/fixtures/provinces/make_province_forms.py``: every form must read exactly as
``tests/fixtures/provinces/expected.json`` says (year, names, every amount in yuan, the
execution block, every indicator, weights, scores, goals and kept extra fields), and a form
that prints everything the rules need must get a grade.

Each workbook is checked section by section (header, funds, execution, indicators, totals,
texts, grade) so a failure says which part of which form a reader gets wrong.
"""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from functools import cache
from pathlib import Path

import pytest

from perfcore.model import Form
from perfcore.reader import WorkbookResult, read_workbook
from perfcore.scoring import score_form

FIXTURES = Path(__file__).parent / "fixtures" / "provinces"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["workbooks"]
WORKBOOKS = sorted(EXPECTED)

AMOUNT_TOLERANCE = 0.01   # yuan
SCORE_TOLERANCE = 0.01    # weights and scores
RATE_TOLERANCE = 0.0001   # fractions: 0.01 percentage point


@cache
def _read(name: str) -> WorkbookResult:
    return read_workbook(FIXTURES / name)


def _label(name: str, index: int, expected: dict) -> str:
    return f"{name} form {index + 1} «{expected['project']}»"


def _close(expected: float | None, got: float | None, tolerance: float) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    return math.isclose(expected, got, abs_tol=tolerance)


def _num_diff(where: str, expected: float | None, got: float | None, tolerance: float) -> list[str]:
    return [] if _close(expected, got, tolerance) else [f"{where}: expected {expected!r}, got {got!r}"]


def _text_diff(where: str, expected: str, got: str) -> list[str]:
    return [] if expected == got else [f"{where}: expected {expected!r}, got {got!r}"]


def _forms(name: str) -> list[tuple[str, dict, Form | None]]:
    """(label, expected form, read form or None) for every expected form of a workbook."""
    result = _read(name)
    assert result.error is None, f"{name}: the reader refused the file: {result.error}"
    expected = EXPECTED[name]["forms"]
    forms: list[Form | None] = list(result.forms[: len(expected)])
    forms += [None] * (len(expected) - len(forms))
    return [(_label(name, i, exp), exp, form) for i, (exp, form) in enumerate(zip(expected, forms))]


def _fail(diffs: list[str]) -> None:
    if diffs:
        pytest.fail("\n".join(diffs), pytrace=False)


def _missing(label: str, form: Form | None, diffs: list[str]) -> bool:
    if form is None:
        diffs.append(f"{label}: not found by the reader")
        return True
    return False


# --- sections --------------------------------------------------------------------------


def check_forms(name: str) -> list[str]:
    result = _read(name)
    assert result.error is None, f"{name}: the reader refused the file: {result.error}"
    expected = EXPECTED[name]["forms"]
    if len(result.forms) == len(expected):
        return []
    found = [form.project.value for form in result.forms]
    return [f"{name}: expected {len(expected)} form(s) {[f['project'] for f in expected]}, "
            f"the reader found {len(result.forms)}: {found}; notes: {result.notes}"]


def check_header(name: str) -> list[str]:
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if _missing(label, form, diffs):
            continue
        if form.year != exp["year"]:
            diffs.append(f"{label} year: expected {exp['year']!r}, got {form.year!r}")
        for field in ("project", "department", "unit"):
            diffs += _text_diff(f"{label} {field}", exp[field], getattr(form, field).value)
        diffs += _text_diff(f"{label} money_unit", exp["money_unit"], form.money_unit)
    return diffs


def check_funds(name: str) -> list[str]:
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if _missing(label, form, diffs):
            continue
        want = [line["kind"] for line in exp["funds"]]
        got = [line.kind for line in form.funds]
        if want != got:
            diffs.append(f"{label} funds: expected rows {want}, got {got} "
                         f"(labels {[line.label for line in form.funds]})")
        for i, (line, read) in enumerate(zip(exp["funds"], form.funds)):
            for field in ("initial", "budget", "executed"):
                where = f"{label} funds[{i}] ({line['kind']}).{field}"
                diffs += _num_diff(where, line[field], getattr(read, field).value, AMOUNT_TOLERANCE)
    return diffs


def check_execution(name: str) -> list[str]:
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if _missing(label, form, diffs):
            continue
        want, got = exp["execution"], form.execution
        diffs += _num_diff(f"{label} execution.weight", want["weight"], got.weight.value, SCORE_TOLERANCE)
        diffs += _num_diff(f"{label} execution.rate", want["rate"], got.rate.value, RATE_TOLERANCE)
        diffs += _num_diff(f"{label} execution.declared_score", want["declared_score"],
                           got.declared_score.value, SCORE_TOLERANCE)
    return diffs


def check_indicators(name: str) -> list[str]:
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if _missing(label, form, diffs):
            continue
        want = [ind["name"] for ind in exp["indicators"]]
        got = [ind.name for ind in form.indicators]
        if want != got:
            diffs.append(f"{label} indicators: expected {len(want)} {want}, got {len(got)} {got}")
        by_name: dict[str, list] = {}
        for ind in form.indicators:
            by_name.setdefault(ind.name, []).append(ind)
        for i, ind in enumerate(exp["indicators"]):
            candidates = by_name.get(ind["name"]) or []
            if not candidates:
                continue  # already listed above
            read = candidates.pop(0)
            where = f"{label} indicator {i + 1} «{ind['name']}»"
            for field in ("level1", "level2"):
                diffs += _text_diff(f"{where} {field}", ind[field], getattr(read, field))
            diffs += _text_diff(f"{where} target", ind["target"], read.target.value)
            diffs += _text_diff(f"{where} actual", ind["actual"], read.actual.value)
            diffs += _num_diff(f"{where} weight", ind["weight"], read.weight.value, SCORE_TOLERANCE)
            diffs += _num_diff(f"{where} declared_score", ind["declared_score"], read.declared_score.value,
                               SCORE_TOLERANCE)
    return diffs


def check_totals(name: str) -> list[str]:
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if _missing(label, form, diffs):
            continue
        diffs += _num_diff(f"{label} total_weight", exp["total_weight"], form.total_weight.value, SCORE_TOLERANCE)
        diffs += _num_diff(f"{label} total_declared", exp["total_declared"], form.total_declared.value,
                           SCORE_TOLERANCE)
    return diffs


def check_texts(name: str) -> list[str]:
    """Goals, deviation notes of the indicators and the extra fields that must be kept."""
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if _missing(label, form, diffs):
            continue
        diffs += _text_diff(f"{label} goals.planned", exp["goals"]["planned"], form.goals.planned.value)
        diffs += _text_diff(f"{label} goals.actual", exp["goals"]["actual"], form.goals.actual.value)
        notes = {ind.name: ind.note.value for ind in form.indicators}
        for ind in exp["indicators"]:
            if ind["name"] in notes:
                diffs += _text_diff(f"{label} indicator «{ind['name']}» note", ind["note"], notes[ind["name"]])
        for key, value in exp["extra"].items():
            if key not in form.extra:
                diffs.append(f"{label} extra[{key!r}]: expected {value!r}, missing (extra: {form.extra})")
            else:
                diffs += _text_diff(f"{label} extra[{key!r}]", value, form.extra[key])
    return diffs


def check_grade(name: str) -> list[str]:
    diffs: list[str] = []
    for label, exp, form in _forms(name):
        if not exp["complete"]:
            continue
        if _missing(label, form, diffs):
            continue
        card = score_form(form)
        if card.grade is None:
            diffs.append(f"{label}: prints everything the rules need but got no grade (total {card.total!r})")
    return diffs


SECTIONS = {
    "forms": check_forms,
    "header": check_header,
    "funds": check_funds,
    "execution": check_execution,
    "indicators": check_indicators,
    "totals": check_totals,
    "texts": check_texts,
    "grade": check_grade,
}


@pytest.mark.parametrize("section", list(SECTIONS))
@pytest.mark.parametrize("name", WORKBOOKS, ids=lambda name: name.removesuffix(".xlsx"))
def test_province_form_reads_exactly(name: str, section: str):
    _fail(SECTIONS[section](name))


# --- the fixtures themselves -------------------------------------------------------------


def test_every_published_form_has_a_workbook():
    sources = sorted(path.name for path in (FIXTURES.parents[2].parent / "shared" / "forms").glob("*.txt"))
    if sources:  # ../shared/forms is outside the repository; checked where it exists
        assert sorted(Path(EXPECTED[name]["source"]).name for name in WORKBOOKS) == sources
    assert sorted(path.name for path in FIXTURES.glob("[0-9]*.xlsx")) == WORKBOOKS  # f*.xlsx: test_reader_found.py


@pytest.mark.parametrize("name", WORKBOOKS, ids=lambda name: name.removesuffix(".xlsx"))
def test_expected_forms_add_up(name: str):
    """The expectation is self-consistent: weights (indicators + execution) give the printed total
    weight, and declared scores give the printed declared total."""
    for i, exp in enumerate(EXPECTED[name]["forms"]):
        label = _label(name, i, exp)
        weights = sum(ind["weight"] or 0 for ind in exp["indicators"]) + (exp["execution"]["weight"] or 0)
        assert math.isclose(weights, exp["total_weight"]), f"{label}: weights {weights} ≠ {exp['total_weight']}"
        if exp["total_declared"] is not None:
            scores = sum(ind["declared_score"] or 0 for ind in exp["indicators"])
            scores += exp["execution"]["declared_score"] or 0
            assert math.isclose(scores, exp["total_declared"], abs_tol=0.005), f"{label}: scores {scores}"
        assert exp["complete"] or exp["incomplete_because"], f"{label}: say why it is not complete"


def test_fixtures_match_their_generator(tmp_path: Path):
    """The committed workbooks and expected.json are what make_province_forms.py writes today."""
    spec = importlib.util.spec_from_file_location("make_province_forms", FIXTURES / "make_province_forms.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    for path in module.write_all(tmp_path):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), f"{path.name} differs: rerun the script"
