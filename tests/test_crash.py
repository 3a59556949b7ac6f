"""A child process importing into a real database file is killed with SIGKILL at random points,
20 times; after each kill the file opens, holds only whole forms and whole files, and the next
normal import works (issue 5, "Concurrency and crashes").

The child (tests/crash_child.py) prepares first, prints ``ready``, then writes three batches
(two files each, one transaction a batch, through Store.import_many) and prints ``committed k``
after each and ``closed`` after closing. What it printed before dying tells which batches must
be there: every one it reported, plus at most the one it was writing when the kill landed.
"""
from __future__ import annotations

import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from perfcore.ingest import ingest_files
from perfcore.store import Store
from perfcore.synth import make_form
from perfcore.writer import write_forms
from tests.crash_child import file_name

if TYPE_CHECKING:
    import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 20
CHUNKS, FILES_PER_CHUNK, FORMS_PER_FILE = 3, 2, 25
FORMS_PER_CHUNK = FILES_PER_CHUNK * FORMS_PER_FILE
FOLLOW_UP = 2  # forms in the workbook imported normally after each kill
PER_ROUND = CHUNKS * FORMS_PER_CHUNK + FOLLOW_UP  # form indices a round uses (all distinct forms)
SEED = 5  # the kill delays; fixed so a failure can be replayed
WAIT_SECONDS = 60


@dataclass
class Child:
    """One run of the child: what it printed (seconds since start, line), how it ended."""

    lines: list[tuple[float, str]] = field(default_factory=list)
    returncode: int | None = None

    def said(self, word: str) -> list[float]:
        return [t for t, line in self.lines if line.split()[0] == word]

    @property
    def committed(self) -> int:
        return len(self.said("committed"))

    @property
    def phase(self) -> str:
        """Where the kill landed, from what the child printed before it."""
        if not self.said("ready"):
            return "before import (start, open, prepare)"
        if self.committed < CHUNKS:
            return "during import"
        return "after import (closing)" if not self.said("closed") else "after close"


Lines = queue.Queue[str | None]  # what the child prints, None once it has gone


def run_child(
    db: Path, round_no: int, start: int, err: Path, kill: Callable[[float, Lines], None] | None = None
) -> Child:
    """Start the child; ``kill(started, lines)`` decides when to SIGKILL it (None: let it finish)."""
    child = Child()
    lines: Lines = queue.Queue()
    args = [str(db), round_no, start, CHUNKS, FILES_PER_CHUNK, FORMS_PER_FILE]
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.crash_child", *map(str, args)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
        started = time.monotonic()

        def pump() -> None:
            for line in proc.stdout:
                child.lines.append((time.monotonic() - started, line.strip()))
                lines.put(line.strip())
            lines.put(None)  # the child has exited (or been killed)

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            if kill is not None:
                kill(started, lines)
                proc.send_signal(signal.SIGKILL)  # a no-op when it has already exited
            child.returncode = proc.wait(timeout=WAIT_SECONDS)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        reader.join(timeout=WAIT_SECONDS)
    assert child.returncode in (0, -signal.SIGKILL), f"child failed ({child.returncode}):\n{err.read_text()}"
    return child


def check_round(store: Store, round_no: int, child: Child, assert_whole_forms: Callable[[Store], pd.DataFrame]) -> int:
    """Whole forms, whole files, whole batches in order, consistent with what the child said.
    Returns how many batches of this round are stored."""
    table = assert_whole_forms(store)
    names = [file_name(round_no, c, k) for c in range(CHUNKS) for k in range(FILES_PER_CHUNK)]
    mine = table[table["file_name"].isin(names)]
    per_file = mine.groupby("file_name").size()
    chunks = len(per_file) // FILES_PER_CHUNK
    assert sorted(per_file.index) == sorted(names[: chunks * FILES_PER_CHUNK]), "a batch landed in part"
    assert (per_file == FORMS_PER_FILE).all(), f"a file landed in part:\n{per_file}"
    # a batch the child reported is durable; one more may have committed just before the kill
    assert child.committed <= chunks <= child.committed + (child.phase == "during import")
    imports = store.imports_table()
    imports = imports[imports["file_name"].isin(names)]
    assert sorted(imports["file_name"]) == sorted(per_file.index) and (imports["n_stored"] == FORMS_PER_FILE).all()
    for row in mine.itertuples():  # the rest of each new form: its fund lines and its lossless JSON
        funds = store.fund_lines(row.version_id)
        assert list(funds["kind"]) == ["total", "appropriation", "carryover", "other"]
        assert funds["budget"].iloc[0] == row.budget
        assert len(store.load_form(row.version_id).indicators) == row.n_indicators
    return chunks


def follow_up(store: Store, round_no: int, start: int, folder: Path) -> None:
    """A normal import after the kill (a workbook through ingest_files, as the CLI does) adds its forms."""
    before = store.count_forms()
    path = folder / f"after-r{round_no:02d}.xlsx"
    write_forms([make_form(i, file=path.name) for i in range(start, start + FOLLOW_UP)], path)
    result = ingest_files([path], store, user="测试")
    assert result.ok and len(result.reports[0].stored) == FOLLOW_UP, result
    assert store.count_forms() == before + FOLLOW_UP


@pytest.mark.slow
def test_sigkill_during_imports_leaves_only_whole_forms(
    tmp_path: Path, assert_whole_forms: Callable[[Store], pd.DataFrame]
) -> None:
    # An undisturbed run times the child's phases (and proves it imports: else every kill is "before").
    calibration = run_child(tmp_path / "calibrate.duckdb", 99, 0, tmp_path / "calibrate.err")
    assert calibration.returncode == 0 and calibration.committed == CHUNKS and calibration.said("closed")
    (ready,), commits, (closed,) = calibration.said("ready"), calibration.said("committed"), calibration.said("closed")
    batch_time, close_time = (commits[-1] - ready) / CHUNKS, closed - commits[-1]
    rng = random.Random(SEED)

    def kill_at_random(started: float, lines: Lines) -> None:
        """20 % of the kills while the child starts up, 65 % while it writes a batch (timed from the
        line before it, so a slower or faster machine still hits the write), 15 % after the last
        commit (while closing, or once it is done)."""
        roll = rng.random()
        if roll < 0.2:
            time.sleep(max(0.0, started + rng.uniform(0, ready) - time.monotonic()))
            return
        # the child prints "ready", then "committed 1..CHUNKS": wait for the line the kill follows
        after, window = (rng.randrange(CHUNKS), 1.1 * batch_time) if roll < 0.85 else (CHUNKS, 3 * close_time)
        for _ in range(after + 1):
            if lines.get(timeout=WAIT_SECONDS) is None:
                return  # it died by itself: run_child reports its error
        time.sleep(rng.uniform(0, window))

    db = tmp_path / "crash.duckdb"
    phases: Counter[str] = Counter()
    expected = 0
    for round_no in range(ROUNDS):
        start = round_no * PER_ROUND
        child = run_child(db, round_no, start, tmp_path / f"child{round_no}.err", kill_at_random)
        with Store(db) as store:  # opens after the kill: DuckDB replays or drops the WAL
            chunks = check_round(store, round_no, child, assert_whole_forms)
            expected += chunks * FORMS_PER_CHUNK
            phase = child.phase
            if phase == "during import":
                phase += ", next batch " + ("committed unreported" if chunks > child.committed else "not stored")
            phases[phase] += 1
            assert store.count_forms() == expected
            follow_up(store, round_no, start + CHUNKS * FORMS_PER_CHUNK, tmp_path)
            expected += FOLLOW_UP
            assert store.dept_summary()["n_forms"] == expected == len(store.forms_table())
    print(f"\n{ROUNDS} kills: " + ", ".join(f"{n} {phase}" for phase, n in sorted(phases.items())))
    print(f"calibration: ready after {ready:.2f} s, {batch_time:.3f} s a batch, {close_time:.3f} s to close")
