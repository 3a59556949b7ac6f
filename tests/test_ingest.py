"""Read → score → store end to end on real workbooks and a real database file."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from perfcore import ingest
from perfcore.ingest import ingest_files
from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK
from perfcore.store import Store
from perfcore.writer import write_forms
from tests.formfactory import make_form


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "ingest.duckdb") as s:
        yield s


def test_seed_workbooks_land_once_with_department_figures(store: Store) -> None:
    calls: list[tuple[int, int, str]] = []
    result = ingest_files([SHEETS_WORKBOOK, STACKED_WORKBOOK], store, user="测试", progress=lambda *a: calls.append(a))
    assert result.ok and [f.n_forms for f in result.files] == [5, 5]
    assert [r.status for r in result.reports] == ["imported", "skipped"]
    assert calls == [(1, 2, SHEETS_WORKBOOK.name), (2, 2, STACKED_WORKBOOK.name)]
    s = store.dept_summary()
    executed = 6261700 + 7980 + 667136.24 + 802257.18 + 935600
    initial = 8340000 + 18000 + 730000 + 3596500 + 1000000
    assert s["n_forms"] == 5 and s["executed"] == pytest.approx(executed) and s["budget"] == pytest.approx(executed)
    assert s["rate"] == pytest.approx(1.0) and s["rate_vs_initial"] == pytest.approx(executed / initial)
    assert s["mean_score"] == pytest.approx((400 + 92.01) / 5) and s["grades"]["优"] == 5
    dv = store.declared_vs_rule()
    assert dv.iloc[0][["project", "declared_total", "rule_total"]].tolist() == ["窗口业务管理", 98, 92.01]
    window = dv.iloc[0]["version_id"]
    missed = store.indicator_scores(window).query("status == 'missed'")
    assert missed["score"].tolist() == [0.76, 5.25]
    assert missed["deduction"].tolist() == [pytest.approx(6.24), pytest.approx(1.75)]
    assert store.findings_by_code().set_index("code").loc["C09", "n"] == 2
    assert store.load_form(window) == next(f for f in _read(SHEETS_WORKBOOK) if f.project.value == "窗口业务管理")


def _read(path: Path):
    from perfcore.reader import read_workbook

    return read_workbook(path).forms


def test_uploads_paths_and_bad_files_each_get_their_own_outcome(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest, "BATCH_FORMS", 1)  # a store batch per file: exercises every flush
    good = tmp_path / "good.xlsx"
    write_forms([make_form(project="项目甲"), make_form(project="项目乙")], good)
    upload = tmp_path / "upload.xlsx"
    write_forms([make_form(project="项目丙")], upload)
    items = [
        ("坏文件.xlsx", b"PK\x03\x04 not really a zip"),
        good,
        tmp_path / "missing.xlsx",
        ("上传.xlsx", upload.read_bytes()),
    ]
    result = ingest_files(items, store, user="王五", policy="exec20-bands-80-50")
    assert [f.name for f in result.files] == ["坏文件.xlsx", "good.xlsx", "missing.xlsx", "上传.xlsx"]
    assert [e.file for e in result.errors] == ["坏文件.xlsx", "missing.xlsx"] and not result.ok
    assert result.errors[1].code == "file_not_found"  # the first one's code is the reader's business
    assert "坏文件.xlsx" in str(result.errors[0])
    assert [len(r.stored) for r in result.reports] == [2, 1]
    table = store.forms_table()
    assert sorted(table["project"]) == ["项目丙", "项目乙", "项目甲"]
    assert set(store.imports_table()["user"]) == {"王五"}
    assert store.version_info(int(table["version_id"].iloc[0]))["policy"] == "exec20-bands-80-50"


def _workbooks(tmp_path: Path, n_files: int, per_file: int = 2) -> list[Path]:
    paths = []
    for i in range(n_files):
        path = tmp_path / f"unit{i:02d}.xlsx"
        write_forms([make_form(project=f"项目{i}-{j}", executed=90000.0 + i) for j in range(per_file)], path)
        paths.append(path)
    return paths


def _stored(store: Store) -> list[tuple]:
    """Every stored row that does not depend on when or in which order the import ran."""
    table = store.forms_table().drop(columns=["version_id", "imported_at"]).sort_values(["project"])
    indicators = sorted(
        tuple(row)
        for vid in store.forms_table()["version_id"]
        for row in store.indicator_scores(int(vid)).itertuples(index=False)
    )
    return [tuple(r) for r in table.itertuples(index=False)] + indicators


def test_worker_processes_store_exactly_what_one_process_stores(tmp_path: Path) -> None:
    paths = _workbooks(tmp_path, 12)
    with Store(tmp_path / "one.duckdb") as one, Store(tmp_path / "two.duckdb") as two:
        sequential = ingest_files(paths, one, user="甲")
        calls: list[tuple[int, int, str]] = []
        parallel = ingest_files(paths, two, user="甲", workers=2, progress=lambda *a: calls.append(a))
        assert [f.name for f in parallel.files] == [p.name for p in paths]  # input order kept
        assert [len(r.stored) for r in parallel.reports] == [2] * 12 == [len(r.stored) for r in sequential.reports]
        assert [c[0] for c in calls] == list(range(1, 13))
        assert two.count_forms() == 24 and _stored(two) == _stored(one)
        assert two.load_form(int(two.forms_table()["version_id"].iloc[0])).source.file.startswith("unit")


def _die_on_unit03(item, policy):
    if str(item).endswith("unit03.xlsx"):
        os._exit(9)  # a worker killed mid-import (out of memory, a crash in a native reader)
    return ingest._prepare(item, policy)


def test_a_dead_worker_costs_a_retry_in_process_not_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _workbooks(tmp_path, 12, per_file=1)
    # Forked workers inherit the patch; the in-process retry uses the real _prepare.
    monkeypatch.setattr(ingest, "_prepare_lean", _die_on_unit03)
    with Store(tmp_path / "db.duckdb") as store:
        result = ingest_files(paths, store, workers=2)
        assert "import worker died" in caplog.text
        assert result.ok and [f.name for f in result.files] == [p.name for p in paths]
        assert store.count_forms() == 12


def test_without_worker_processes_the_import_runs_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def no_semaphores(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # what a container without /dev/shm raises

    monkeypatch.setattr(ingest, "ProcessPoolExecutor", no_semaphores)
    paths = _workbooks(tmp_path, 6, per_file=1)
    with Store(tmp_path / "db.duckdb") as store:
        result = ingest_files(paths, store, workers=2)
        assert "could not start" in caplog.text
        assert result.ok and store.count_forms() == 6
