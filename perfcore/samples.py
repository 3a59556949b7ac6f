"""The committed sample data: the five seed forms (2021) as JSON and as workbooks.

``python -m perfcore seed`` imports the workbooks; tests and scripts/build_samples.py
load the transcription directly, so both stay in step with one source of truth.
"""
from __future__ import annotations

import json
from pathlib import Path

from perfcore.model import Execution, Form, FundLine, Goals, Indicator, Num, Source, Text
from perfcore.writer import FUND_LABELS

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
SEED_JSON = SAMPLES_DIR / "seed_2021.json"
SHEETS_WORKBOOK = SAMPLES_DIR / "seed-2021-sheets.xlsx"
STACKED_WORKBOOK = SAMPLES_DIR / "seed-2021-stacked.xlsx"


def sample_paths() -> list[Path]:
    """The committed sample workbooks (one form per sheet, then five stacked in one sheet)."""
    return [SHEETS_WORKBOOK, STACKED_WORKBOOK]


def _num(value: float | int | None) -> Num:
    """The transcription holds plain numbers; there is no printed raw text or cell to keep."""
    return Num(value=None if value is None else float(value))


def form_from_transcription(d: dict) -> Form:
    """One form of seed_2021.json (keys as in `parse --json`, without cells) to a Form."""
    funds = [
        FundLine(kind=kind, label=FUND_LABELS.get(kind, kind), initial=_num(line.get("initial")),
                 budget=_num(line.get("budget")), executed=_num(line.get("executed")))
        for kind, line in d.get("funds", {}).items()
    ]
    execution = d.get("execution", {})
    indicators = [
        Indicator(level1=i.get("level1", ""), level2=i.get("level2", ""), name=i.get("name", ""),
                  target=Text(i.get("target") or ""), actual=Text(i.get("actual") or ""),
                  weight=_num(i.get("weight")), declared_score=_num(i.get("declared_score")),
                  note=Text(i.get("note") or ""))
        for i in d.get("indicators", [])
    ]
    source = d.get("source", {})
    return Form(
        source=Source(file=source.get("file", ""), sheet=source.get("sheet", ""),
                      first_row=int(source.get("first_row", 1))),
        year=d.get("year"),
        project=Text(d.get("project", "")),
        department=Text(d.get("department", "")),
        unit=Text(d.get("unit", "")),
        money_unit=d.get("money_unit", "元"),
        funds=funds,
        execution=Execution(weight=_num(execution.get("weight")), rate=_num(execution.get("rate")),
                            declared_score=_num(execution.get("declared_score"))),
        goals=Goals(planned=Text(d.get("goals", {}).get("planned", "")),
                    actual=Text(d.get("goals", {}).get("actual", ""))),
        indicators=indicators,
        total_weight=_num(d.get("total", {}).get("weight")),
        total_declared=_num(d.get("total", {}).get("declared_score")),
    )


def load_seed_forms(path: Path = SEED_JSON) -> list[Form]:
    """The five seed forms from the structured transcription."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [form_from_transcription(d) for d in doc["forms"]]
