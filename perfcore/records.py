"""What one scored form contributes to the database, as named rows, before the store assigns ids.

Why a separate step: building these rows (the lossless JSON, the content hash, one row per
fund line, indicator and finding) is pure per-form work that costs as much as reading the
form. Kept free of the database it can run in the import's worker processes, and tuples
cross the process boundary several times cheaper than pickled Form dataclasses.

Each row is a NamedTuple whose field names are the column names of its table in
``perfcore.store.TABLES``: the store builds its INSERTs from those names, never from
positions (tests/test_records.py checks that the names and the tables agree).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from perfcore.model import Form, Scorecard
from perfcore.rules import execution_rate
from perfcore.serialize import content_hash, form_to_dict

Key = tuple[int | None, str, str]  # Form.key: year, 实施单位, 项目名称


class VersionRow(NamedTuple):
    """The ``form_versions`` columns a form and its scorecard give by themselves.

    The store adds the rest (id, version_no, is_current, deleted*, import_id, file_name,
    imported_at, user_name). ``policy`` … ``rules_version`` are what a rescore recomputes.
    """

    year: int | None
    unit: str
    project: str
    department: str
    content_hash: str
    sheet: str
    first_row: int | None
    policy: str | None
    money_unit: str
    initial: float | None          # 年度资金总额 row, yuan
    budget: float | None
    executed: float | None
    rate: float | None
    printed_rate: float | None
    exec_weight: float | None
    exec_declared: float | None
    exec_score: float | None
    total_weight: float | None
    declared_total: float | None
    rule_total: float | None
    difference: float | None
    grade: str | None
    n_indicators: int
    n_errors: int
    n_warnings: int
    n_infos: int
    form_json: str                 # serialize.form_to_dict, lossless
    reading_state: str | None      # 完整 / 需核实 / 无法计分 (perfcore.reading)
    rules_version: str | None      # perfcore.scoring.rules_version of the policy that scored it


class FundLineRow(NamedTuple):
    """A ``fund_lines`` row without its version_id."""

    idx: int
    kind: str
    label: str
    initial: float | None
    budget: float | None
    executed: float | None


class IndicatorRow(NamedTuple):
    """An ``indicators`` row without its version_id: the form's cells plus the rule score."""

    idx: int
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: float | None
    declared: float | None
    score: float | None
    status: str | None
    deduction: float | None
    explanation: str | None
    note: str
    cell: str


class FindingRow(NamedTuple):
    """A ``findings`` row without its version_id."""

    idx: int
    code: str
    severity: str
    message: str
    cell: str
    indicator: int | None


@dataclass(frozen=True)
class FormRecord:
    """One form's rows without the ids, version numbers, file and user the store fills in."""

    key: Key
    version: VersionRow
    fund_lines: list[FundLineRow]
    indicators: list[IndicatorRow]
    findings: list[FindingRow]

    @property
    def digest(self) -> str:
        """The content hash of the form (the same form imported again is recognised)."""
        return self.version.content_hash


def form_record(form: Form, card: Scorecard | None = None) -> FormRecord:
    """The rows of one form and (when scored) its scorecard."""
    d = form_to_dict(form)
    total = form.fund("total")
    initial, budget, executed = (getattr(total, k).value if total else None for k in ("initial", "budget", "executed"))
    severities = [f.severity for f in card.findings] if card else []
    exec_weight: float | None
    if card is not None:
        rate, exec_weight, exec_score = card.execution.rate, card.execution.weight, card.execution.score
    else:
        rate, exec_weight, exec_score = execution_rate(form), form.execution.weight.value, None
    year, unit, project = form.key
    version = VersionRow(
        year=year, unit=unit, project=project, department=form.department.value.strip(),
        content_hash=content_hash(d), sheet=form.source.sheet, first_row=form.source.first_row,
        policy=card.policy if card else None, money_unit=form.money_unit,
        initial=initial, budget=budget, executed=executed,
        rate=rate, printed_rate=form.execution.rate.value, exec_weight=exec_weight,
        exec_declared=form.execution.declared_score.value, exec_score=exec_score,
        total_weight=form.total_weight.value, declared_total=form.total_declared.value,
        rule_total=card.total if card else None, difference=card.difference if card else None,
        grade=card.grade if card else None,
        n_indicators=len(form.indicators), n_errors=severities.count("error"),
        n_warnings=severities.count("warning"), n_infos=severities.count("info"),
        form_json=json.dumps(d, ensure_ascii=False),
        reading_state=card.reading.state if card else None,
        rules_version=card.rules_version if card else None,
    )
    scores = {s.index: s for s in card.indicators} if card else {}
    indicators = []
    for i, ind in enumerate(form.indicators):
        s = scores.get(i)
        indicators.append(
            IndicatorRow(
                i, ind.level1, ind.level2, ind.name, ind.target.value, ind.actual.value,
                ind.weight.value, ind.declared_score.value,
                s.score if s else None, s.status if s else None, s.deduction if s else None,
                s.explanation if s else None, ind.note.value, ind.cell,
            )
        )
    return FormRecord(
        key=form.key,
        version=version,
        fund_lines=[
            FundLineRow(i, line.kind, line.label, line.initial.value, line.budget.value, line.executed.value)
            for i, line in enumerate(form.funds)
        ],
        indicators=indicators,
        findings=[
            FindingRow(i, f.code, f.severity, f.message, f.cell, f.indicator) for i, f in enumerate(card.findings)
        ] if card else [],
    )
