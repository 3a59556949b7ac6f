"""What one scored form contributes to the database, as plain tuples, before the store assigns ids.

Why a separate step: building these rows (the lossless JSON, the content hash, one row per
fund line, indicator and finding) is pure per-form work that costs as much as reading the
form. Kept free of the database it can run in the import's worker processes, and plain
tuples cross the process boundary several times cheaper than pickled Form dataclasses.
The column order follows ``perfcore.store.TABLES`` (checked by tests/test_records.py).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from perfcore.model import Form, Scorecard
from perfcore.rules import execution_rate
from perfcore.serialize import content_hash, form_to_dict

Key = tuple[int | None, str, str]  # Form.key: year, 实施单位, 项目名称
Row = tuple[Any, ...]


@dataclass(frozen=True)
class FormRecord:
    """One form's rows without the ids, version numbers, file and user the store fills in.

    ``head`` = form_versions (year, unit, project, department); ``place`` = (sheet, first_row);
    ``body`` = form_versions from ``policy`` to ``reading_state``; the other lists lack ``version_id``.
    """

    key: Key
    digest: str
    head: Row
    place: Row
    body: Row
    fund_lines: list[Row]
    indicators: list[Row]
    findings: list[Row]


def form_record(form: Form, card: Scorecard | None = None) -> FormRecord:
    """The rows of one form and (when scored) its scorecard."""
    d = form_to_dict(form)
    total = form.fund("total")
    initial, budget, executed = (getattr(total, k).value if total else None for k in ("initial", "budget", "executed"))
    severities = [f.severity for f in card.findings] if card else []
    if card is not None:
        rate, exec_weight, exec_score = card.execution.rate, card.execution.weight, card.execution.score
    else:
        rate, exec_weight, exec_score = execution_rate(form), form.execution.weight.value, None
    year, unit, project = form.key
    body = (
        card.policy if card else None, form.money_unit, initial, budget, executed,
        rate, form.execution.rate.value, exec_weight, form.execution.declared_score.value, exec_score,
        form.total_weight.value, form.total_declared.value,
        card.total if card else None, card.difference if card else None, card.grade if card else None,
        len(form.indicators), severities.count("error"), severities.count("warning"),
        severities.count("info"), json.dumps(d, ensure_ascii=False),
        card.reading.state if card else None,
    )
    scores = {s.index: s for s in card.indicators} if card else {}
    indicators = []
    for i, ind in enumerate(form.indicators):
        s = scores.get(i)
        indicators.append(
            (
                i, ind.level1, ind.level2, ind.name, ind.target.value, ind.actual.value,
                ind.weight.value, ind.declared_score.value,
                s.score if s else None, s.status if s else None, s.deduction if s else None,
                s.explanation if s else None, ind.note.value, ind.cell,
            )
        )
    return FormRecord(
        key=form.key,
        digest=content_hash(d),
        head=(year, unit, project, form.department.value.strip()),
        place=(form.source.sheet, form.source.first_row),
        body=body,
        fund_lines=[
            (i, line.kind, line.label, line.initial.value, line.budget.value, line.executed.value)
            for i, line in enumerate(form.funds)
        ],
        indicators=indicators,
        findings=[
            (i, f.code, f.severity, f.message, f.cell, f.indicator) for i, f in enumerate(card.findings)
        ] if card else [],
    )
