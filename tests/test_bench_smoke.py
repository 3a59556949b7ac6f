"""bench/run.py at a tiny size, so the benchmark cannot rot. No timing is asserted, only that
every section runs and the figures land in stdout and JSON with their keys."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_bench_runs_at_tiny_size_and_reports_every_figure(tmp_path):
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--import-forms", "6", "--import-workbooks", "3",
         "--large-forms", "0", "--store-sizes", "200", "--reps", "1", "--workers", "1",
         "--out", str(out), "--strict"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for heading in ("== startup", "== import", "== upload_page", "== readers", "== queries", "== render",
                    "== whatif", "== targets"):
        assert heading in proc.stdout

    results = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    assert results["meta"]["machine"]["nproc"] >= 1
    assert {"help_seconds", "top_imports_ms"} <= results["startup"].keys()
    imp = results["import"]
    assert imp["forms"] == imp["stored"] == 6 and imp["workbooks"] == 3
    assert {"seconds", "forms_per_s", "peak_rss_mb", "pandas_seconds", "vs_pandas"} <= imp.keys()
    assert imp["peak_rss_mb"] > 10  # wait4 measured the import process itself
    queries = results["queries"]["200"]
    assert queries["forms"] == 200
    assert {"dept_summary[all]", "dept_summary[year]", "deductions(unit)[dept]", "forms_table[all]",
            "findings_by_code[dept]", "declared_vs_rule[year]", "summary_by(year)[all]"} <= queries["median_ms"].keys()
    upload = results["upload_page"]  # the 上传与校验 page in AppTest: 6 forms in 3 workbooks, every one stored
    assert upload["forms"] == upload["rows"] == upload["stored"] == upload["ticked"] == 6
    assert {"open_s", "preview_s", "import_s", "preview_again_s", "peak_rss_mb"} <= upload.keys()
    assert {len(v["runs"]) for v in upload["pool_start_s"].values()} == {1}  # spawn and forkserver, --reps 1
    render = results["render"]
    assert {"department_first_s", "scorecard_first_s", "max_s"} <= render.keys()
    assert render["elements"]["department"]["metric"] > 0  # drew the KPI tiles, not an empty state
    assert render["elements"]["scorecard"]["metric"] > 0
    assert results["whatif"]["indicators"] == 35
    assert {"calamine_s", "openpyxl_read_only_s", "perfcore_reader_s"} <= results["readers"].keys()
    assert {row["name"] for row in results["targets"]} == {
        "import_seconds", "import_vs_pandas", "import_peak_rss_mb", "import_large_seconds",
        "upload_preview_s", "upload_import_s", "query_max_ms", "render_max_s", "whatif_ms"}
    assert next(r for r in results["targets"] if r["name"] == "import_large_seconds")["value"] is None

    table = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--markdown", str(out / "latest.json")],
                           cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    assert "| import_seconds |" in table and "| dept_summary |" in table and "What-if" in table
    assert "Upload page (AppTest)" in table
