"""The README's set-up commands, as the Makefile takes them (issue 19): each variable it names reaches the app.

`make -n` prints the commands a target would run without running them, so this reads what
`make run` would start for each way of naming the database and port.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def _run_line(args: list[str], env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("PERFBOARD_DB", "DB", "PORT", "MAKEFLAGS")}
    out = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, env={**clean, **env}, capture_output=True,
                         text=True, check=True).stdout
    return next(line for line in out.splitlines() if "-m ui.serve" in line)


@pytest.mark.parametrize(("args", "env", "db", "port"), [
    ([], {}, "data/perfboard.duckdb", "8501"),
    ([], {"PERFBOARD_DB": "/srv/a.duckdb"}, "/srv/a.duckdb", "8501"),
    (["PERFBOARD_DB=/srv/b.duckdb"], {}, "/srv/b.duckdb", "8501"),
    (["DB=/srv/c.duckdb", "PORT=8600"], {}, "/srv/c.duckdb", "8600"),
    (["DB=/srv/c.duckdb"], {"PERFBOARD_DB": "/srv/a.duckdb"}, "/srv/c.duckdb", "8501"),  # DB wins
    ([], {"DB": "/srv/d.duckdb", "PORT": "8700"}, "/srv/d.duckdb", "8700"),
])
def test_make_run_takes_the_database_and_port_as_the_readme_says(args, env, db, port) -> None:
    line = _run_line(args, env)
    assert f"PERFBOARD_DB={db} " in line
    assert re.search(rf"--server\.port {port}\b", line)


def test_readme_names_every_variable_make_run_takes() -> None:
    setup = (ROOT / "README.md").read_text(encoding="utf-8").split("## Command line")[0]
    assert "make run DB=/path/file.duckdb PORT=8600" in setup
    assert "PERFBOARD_DB=/path/file.duckdb make run" in setup
