"""Many threads on one Store (the app's shape: one Store per process): writes queue, readers
only ever see whole transactions (issue 5, "Concurrency and crashes")."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from perfcore.model import Form, Scorecard
from perfcore.scoring import score_form
from perfcore.store import ImportFile, Store
from perfcore.synth import make_form

WRITERS, FORMS_PER_WRITER, READERS = 8, 100, 4
BATCH = 4  # forms per transaction: 25 transactions per writer, 200 interleaved in all
TOTAL = WRITERS * FORMS_PER_WRITER
JOIN_SECONDS = 120
PAUSE = 0.1  # seconds between one reader's passes


def _import(store: Store, writer: int, k: int, forms: list[Form], cards: list[Scorecard]) -> None:
    """One transaction of BATCH forms: even writers send one file (import_forms, as the API does),
    odd writers two files at once (import_many, as ingest_files does)."""
    name = f"w{writer}-b{k}"
    if writer % 2 == 0:
        report = store.import_forms(f"{name}.xlsx", name.encode(), forms, cards, user=f"writer{writer}")
        assert len(report.stored) == BATCH, report
        return
    half = BATCH // 2
    parts = [slice(0, half), slice(half, BATCH)]
    files = [ImportFile(f"{name}-{j}.xlsx", f"{name}-{j}".encode(), forms[s], cards[s]) for j, s in enumerate(parts)]
    reports = store.import_many(files, user=f"writer{writer}")
    assert [len(r.stored) for r in reports] == [half, half], reports


def _snapshot_checks(store: Store, expected: dict[tuple, tuple[int, float]]) -> Callable[[], list[int]]:
    """One reader pass: each call is its own snapshot; returns the form counts it saw, in order.

    Within a snapshot: the count is a multiple of BATCH (whole transactions only) and every form
    listed by the deductions query (form_versions joined to indicators) has all its indicator rows
    and the rule total they add up to. dept_summary runs two queries, so its grade counts (read
    later) can only be larger than its form count, never smaller.
    """

    def read() -> list[int]:
        counts = [store.count_forms()]
        summary = store.dept_summary()
        counts += [summary["n_forms"], sum(summary["grades"].values())]
        counts.append(int(store.summary_by(by="department")["n_forms"].sum()))
        items = store.deductions(by="project")
        counts.append(len(items))
        for row in items.itertuples():
            n_indicators, total = expected[(row.year, row.unit, row.project)]
            assert row.n_items == n_indicators + 1 and abs(row.score - total) < 0.01, (
                f"half a form visible: {row.project} has {row.n_items - 1}/{n_indicators} indicator rows"
            )
        table = store.forms_table()
        counts.append(len(table))
        assert all(expected[key][0] == n for key, n in zip(
            zip(table["year"], table["unit"], table["project"]), table["n_indicators"], strict=True))
        assert all(n % BATCH == 0 for n in counts), f"a snapshot with part of a transaction: {counts}"
        return counts

    return read


@pytest.mark.slow
def test_eight_writers_and_four_readers_on_one_store(tmp_path: Path, assert_whole_forms) -> None:
    forms = [make_form(i) for i in range(TOTAL)]  # distinct (year, unit, project) per index
    cards = [score_form(f) for f in forms]
    expected = {f.key: (len(f.indicators), c.total) for f, c in zip(forms, cards, strict=True)}
    assert len(expected) == TOTAL

    store = Store(tmp_path / "concurrent.duckdb")
    read = _snapshot_checks(store, expected)
    failures: list[tuple[str, BaseException]] = []
    seen: list[list[int]] = [[] for _ in range(READERS)]
    started = threading.Barrier(READERS + 1)
    writers_done = threading.Event()

    def writer(w: int) -> None:
        try:
            first = w * FORMS_PER_WRITER
            for k, at in enumerate(range(first, first + FORMS_PER_WRITER, BATCH)):
                _import(store, w, k, forms[at:at + BATCH], cards[at:at + BATCH])
        except BaseException as exc:  # reported by the main thread
            failures.append((f"writer {w}", exc))

    def reader(r: int) -> None:
        try:
            seen[r] += read()  # before any writer starts
            started.wait(timeout=JOIN_SECONDS)
            while not writers_done.wait(PAUSE):  # a pause between passes leaves CPU to the writers
                seen[r] += read()
            seen[r] += read()  # after the last commit
        except threading.BrokenBarrierError:
            pass  # another reader failed first
        except BaseException as exc:
            failures.append((f"reader {r}", exc))
            started.abort()

    # daemon threads: a deadlocked one fails the test below instead of hanging pytest at exit
    readers = [threading.Thread(target=reader, args=(r,), name=f"reader{r}", daemon=True) for r in range(READERS)]
    writers = [threading.Thread(target=writer, args=(w,), name=f"writer{w}", daemon=True) for w in range(WRITERS)]
    try:
        for th in readers:
            th.start()
        try:
            started.wait(timeout=JOIN_SECONDS)  # every reader has read the empty database
        except threading.BrokenBarrierError:
            pass  # a reader failed: reported below
        for th in writers:
            th.start()
        for th in writers:
            th.join(timeout=JOIN_SECONDS)
        writers_done.set()
        for th in readers:
            th.join(timeout=JOIN_SECONDS)
        assert not [th.name for th in writers + readers if th.is_alive()], "a thread did not finish"
        assert not failures, "\n".join(f"{who}: {type(exc).__name__}: {exc}" for who, exc in failures)

        for counts in seen:  # every read starts after the previous one ended: counts only grow
            assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == TOTAL, counts
        table = assert_whole_forms(store)
        assert store.count_forms() == TOTAL and len(table) == TOTAL
        assert set(zip(table["year"], table["unit"], table["project"], strict=True)) == set(expected)
        assert store.dept_summary()["n_forms"] == TOTAL
        imports = store.imports_table()
        transactions = WRITERS * FORMS_PER_WRITER // BATCH
        assert len(imports) == transactions // 2 + transactions  # odd writers send two files a transaction
        assert imports["n_stored"].sum() == TOTAL and set(imports["status"]) == {"imported"}
        assert sorted(store.forms_table()["version_id"]) == list(range(1, TOTAL + 1))  # no id taken twice
        intermediate = sorted({n for counts in seen for n in counts} - {0, TOTAL})
        print(f"\nreaders: {sum(map(len, seen))} counts read, {len(intermediate)} distinct partial counts")
    finally:
        writers_done.set()
        store.close()
