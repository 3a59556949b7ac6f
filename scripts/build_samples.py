"""Regenerate data/samples/*.xlsx from the seed transcription (`make samples`).

The workbooks are committed; rerun this after editing data/samples/seed_2021.json.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK, load_seed_forms  # noqa: E402
from perfcore.writer import write_forms  # noqa: E402


def main() -> int:
    forms = load_seed_forms()
    write_forms(forms, SHEETS_WORKBOOK, layout="sheets")
    write_forms(forms, STACKED_WORKBOOK, layout="stacked")
    for path in (SHEETS_WORKBOOK, STACKED_WORKBOOK):
        print(f"已写入 {path.relative_to(path.parents[2])}（{len(forms)} 张自评表）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
