"""bench/browser.py at a tiny size (200 forms, 2 sessions), so the browser bench cannot rot.

No timing is asserted: only that every page and run produced its figures (first content,
drawn, bytes, the server's own runs) and the what-if edits their latency, in stdout and JSON.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_browser_bench_runs_tiny_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "browser.py"), "--forms", "200", "--sessions", "2", "--edits", "1",
         "--workers", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (out / "browser-tmp").exists()  # the servers' timing files live in the run's own temporary folder
    assert "| forms | page | run |" in proc.stdout and "edit → new total" in proc.stdout

    results = json.loads((out / "browser-latest.json").read_text(encoding="utf-8"))
    assert results["meta"]["machine"]["nproc"] >= 1 and len(results["meta"]["load_after"]) == 3
    pages = results["sizes"]["200"]["pages"]
    assert set(pages) == {"department", "scorecard", "whatif"}
    for name, runs in pages.items():
        assert {"cold_1", "warm_1", "warm_2", "returning_1", "returning_2", "cold_2"} <= runs.keys(), name
        for label, run in runs.items():
            if label == "edit":
                continue
            assert run["sessions"] == len(run["per_session"]) == int(label.rsplit("_", 1)[1])
            for session in run["per_session"]:
                assert 0 < session["first_s"] <= session["drawn_s"], (name, label)
                assert session["kb"] > 0 and session["frames"] > 0  # the page came over the websocket
            assert run["server_runs"] >= run["sessions"]  # PERFBOARD_TIMING logged each session's run
            assert run["server_s"]["max"] > 0
    edit = pages["whatif"]["edit"]
    assert edit["edits"] == 2 and len(edit["runs_ms"]) == 2 and all(ms > 0 for ms in edit["runs_ms"])
    assert edit["kb"]["median"] > 0

    table = subprocess.run([sys.executable, str(ROOT / "bench" / "browser.py"), "--markdown",
                            str(out / "browser-latest.json")], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "| 200 | 部门总览 | warm ×2 |" in table.stdout
