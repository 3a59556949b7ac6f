"""The committed sample data: the five seed forms (2021) as JSON and as workbooks.

``python -m perfcore seed`` imports the workbooks; tests and scripts/build_samples.py
load the transcription directly, so both stay in step with one source of truth.
The transcription uses the public JSON contract of ``parse --json`` (without cells),
so perfcore.serialize turns it into forms.
"""
from __future__ import annotations

import json
from pathlib import Path

from perfcore.model import Form
from perfcore.serialize import form_from_dict

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO_ROOT / "data" / "samples"
SEED_JSON = SAMPLES_DIR / "seed_2021.json"
SHEETS_WORKBOOK = SAMPLES_DIR / "seed-2021-sheets.xlsx"
STACKED_WORKBOOK = SAMPLES_DIR / "seed-2021-stacked.xlsx"


def sample_paths() -> list[Path]:
    """The committed sample workbooks (one form per sheet, then five stacked in one sheet)."""
    return [SHEETS_WORKBOOK, STACKED_WORKBOOK]


def load_seed_forms(path: Path = SEED_JSON) -> list[Form]:
    """The five seed forms from the structured transcription."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [form_from_dict(d) for d in doc["forms"]]
