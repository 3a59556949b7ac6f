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


def _die_on_unit03(item, policy, layouts=()):
    if str(item).endswith("unit03.xlsx"):
        os._exit(9)  # a worker killed mid-import (out of memory, a crash in a native reader)
    return ingest._prepare(item, policy, layouts)


def test_a_dead_worker_costs_only_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _workbooks(tmp_path, 12, per_file=1)
    # Forked workers inherit the patch: unit03 kills its worker, and again when read alone.
    monkeypatch.setattr(ingest, "_prepare_in_worker", _die_on_unit03)
    with Store(tmp_path / "db.duckdb") as store:
        result = ingest_files(paths, store, workers=2)
        assert "import worker died" in caplog.text
        assert [f.name for f in result.files] == [p.name for p in paths]
        (refused,) = result.errors
        assert refused.code == "worker_limit" and refused.file == "unit03.xlsx"
        assert str(refused).startswith("文件“unit03.xlsx”：读取本文件超出了资源限制")
        assert store.count_forms() == 11
        assert "unit03.xlsx" not in set(store.imports_table()["file_name"])


def _without_worker_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Process pools fail to start, as in a container without /dev/shm for their semaphores."""

    def no_semaphores(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # what such a container raises

    monkeypatch.setattr(ingest, "ProcessPoolExecutor", no_semaphores)


def test_without_worker_processes_the_import_runs_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _without_worker_processes(monkeypatch)
    paths = _workbooks(tmp_path, 6, per_file=1)
    with Store(tmp_path / "db.duckdb") as store:
        result = ingest_files(paths, store, workers=2)
        assert "could not start" in caplog.text
        assert result.ok and store.count_forms() == 6


# --- preview, then store (the page's way through the same service) ---------------------------------


def test_preview_then_store_is_ingest_and_stores_only_the_chosen_forms(tmp_path: Path) -> None:
    paths = _workbooks(tmp_path, 4)
    with Store(tmp_path / "cli.duckdb") as cli, Store(tmp_path / "page.duckdb") as page:
        ingest_files(paths, cli, user="甲")
        previews = ingest.preview_files(paths)
        assert page.count_forms() == 0  # a preview stores nothing
        results = ingest.store_previews(page, [(p, None) for p in previews], user="甲")
        assert [r.name for r in results] == [p.name for p in paths] and all(r.report.stored for r in results)
        assert _stored(page) == _stored(cli)

    with Store(tmp_path / "some.duckdb") as some:
        chosen = [(previews[0], {1}), (previews[1], set()), (previews[2], None)]
        results = ingest.store_previews(some, chosen, user="乙")
        assert [(r.name, r.n_forms, len(r.report.stored)) for r in results] == [
            ("unit00.xlsx", 1, 1), ("unit02.xlsx", 2, 2)]
        assert sorted(some.forms_table()["project"]) == ["项目0-1", "项目2-0", "项目2-1"]
        assert set(some.imports_table()["file_name"]) == {"unit00.xlsx", "unit02.xlsx"}  # unit01 left untouched


def test_a_preview_carries_plain_rows_and_rebuilds_the_scorecard_on_demand() -> None:
    import json
    import pickle

    from perfcore.reader import read_workbook
    from perfcore.scoring import score_form
    from perfcore.serialize import form_to_dict

    (preview,) = ingest.preview_files([SHEETS_WORKBOOK])
    data = pickle.dumps(preview)
    assert b"perfcore.model" not in data  # no Form, Scorecard or Finding crosses a process boundary
    assert pickle.loads(data) == preview
    assert preview.sha256 == __import__("hashlib").sha256(SHEETS_WORKBOOK.read_bytes()).hexdigest()
    for form, card in zip(read_workbook(SHEETS_WORKBOOK).forms, (score_form(f) for f in _read(SHEETS_WORKBOOK))):
        shown = next(p for p in preview.forms if p.project == form.project.value)
        assert json.loads(shown.form_json) == form_to_dict(form)
        again = shown.scorecard()
        assert again.form == form and again.findings == card.findings and again.reading == card.reading
        assert (again.total, again.grade) == (card.total, card.grade) == (shown.rule_total, shown.grade)
        assert (shown.n_errors, shown.n_warnings, shown.state) == (
            sum(f.severity == "error" for f in card.findings), sum(f.severity == "warning" for f in card.findings),
            card.reading.state)
    window = next(p for p in preview.forms if p.project == "窗口业务管理")
    assert window.problem.startswith("窗口业务管理：D13 服务新开办企业数量 未达到目标")


def test_form_statuses_say_new_same_or_changed_for_many_forms_at_once(store: Store, tmp_path: Path) -> None:
    (sheets,) = ingest.preview_files([SHEETS_WORKBOOK])
    keys = [(f.key, f.digest) for f in sheets.forms]
    assert ingest.form_statuses(store, keys) == ["new"] * 5
    ingest.store_previews(store, [(sheets, {0, 1})])
    changed = tmp_path / "changed.xlsx"
    forms = _read(SHEETS_WORKBOOK)
    forms[1].goals.planned = type(forms[1].goals.planned)("改过的目标")
    write_forms(forms[:2], changed)
    (edited,) = ingest.preview_files([changed])
    assert ingest.form_statuses(store, keys + [(f.key, f.digest) for f in edited.forms]) == (
        ["same", "same", "new", "new", "new", "same", "changed"])
    assert ingest.form_statuses(store, []) == []


# --- the app's worker pool (forkserver) ----------------------------------------------------------


def _plain(previews) -> list:
    return [(p.name, p.sha256, p.notes, p.error, [(f.record, f.problem, f.form_json) for f in p.forms])
            for p in previews]


def _wait_until_dead(pid: int, timeout: float = 60.0) -> None:
    """Block until process ``pid`` is dead and reaped, so that its exit has been reported to the pool
    (a handshake with the kernel, with a deadline)."""
    import time

    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"process {pid} still there {timeout} s after SIGKILL")
        time.sleep(0.01)  # polling a condition, with the deadline above


def test_the_app_pool_previews_in_forkserver_workers_and_recovers_from_a_dead_worker(tmp_path: Path) -> None:
    import signal

    paths = _workbooks(tmp_path, 8)
    expected = _plain(ingest.preview_files(paths))  # in this process
    pool = ingest.WorkerPool(2)
    try:
        assert pool.method == "forkserver"
        pids = pool.ready()
        assert len(pids) == 2 and os.getpid() not in pids  # handshake: both workers up, each took one task
        assert _plain(ingest.preview_files(paths, pool=pool)) == expected

        os.kill(pids[0], signal.SIGKILL)  # a worker dies (out of memory, a crash in a native reader)
        _wait_until_dead(pids[0])  # on a busy machine the kill lands later: the pool must see a dead worker
        assert _plain(ingest.preview_files(paths, pool=pool)) == expected  # in-process retry or a fresh pool
        fresh = pool.ready()
        assert len(fresh) == 2 and pids[0] not in fresh
        assert _plain(ingest.preview_files(paths, pool=pool)) == expected
    finally:
        pool.close()
    assert pool._executor is None


def test_an_app_pool_that_cannot_start_refuses_rather_than_reading_in_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _without_worker_processes(monkeypatch)
    paths = _workbooks(tmp_path, 6, per_file=1)
    pool = ingest.WorkerPool(2)
    assert pool.ready() == [] and "could not start" in caplog.text
    previews = ingest.preview_files(paths, pool=pool)
    assert [p.name for p in previews] == [p.name for p in paths] and not any(p.forms for p in previews)
    assert {p.error.code for p in previews if p.error} == {"worker_unavailable"}
    assert all("后台进程" in str(p.error) for p in previews)
    pool.close()


DECOY_CHILD = """
import json, os, sys
sys.path.insert(0, sys.argv[1])  # the real checkout first, as app.py and the test runner do
from perfcore import ingest
pool = ingest.WorkerPool(2)
pool.ready()
origins = [pool.executor().submit(ingest._perfcore_origin).result(timeout=60) for _ in range(4)]
pool.close()
print(json.dumps({"parent": ingest._perfcore_origin(), "workers": origins}))
"""


def test_forkserver_workers_use_the_parents_perfcore_even_when_the_server_found_another(tmp_path: Path) -> None:
    """The forkserver imports perfcore with its own sys.path ('' = the working folder); a decoy
    perfcore there must not be what the workers run."""
    import json
    import subprocess
    import sys

    decoy = tmp_path / "elsewhere" / "perfcore"
    decoy.mkdir(parents=True)
    (decoy / "__init__.py").write_text("")
    (decoy / "ingest.py").write_text(  # leaves a mark when imported, and would fail a worker that ran it
        "import pathlib\npathlib.Path(__file__).with_name('imported').touch()\n"
        "def _worker_start(*args):\n    raise RuntimeError('decoy perfcore')\n")
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-c", DECOY_CHILD, str(root)], cwd=decoy.parent, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (decoy / "imported").exists()  # the forkserver did find the decoy
    assert found["parent"] == str(root) and set(found["workers"]) == {str(root)}


def test_the_preview_refuses_what_the_store_would_and_the_rest_imports(store: Store, tmp_path: Path) -> None:
    """Issue 19: a scoped uploader's preview marks the forms the store would refuse (with the
    store's reason), the rest import through the same service, the refusal is audited per file."""
    import dataclasses

    from perfcore.accounts import Account, Scope, role
    from perfcore.model import Text
    from perfcore.reader import read_workbook

    ingest_files([SHEETS_WORKBOOK], store)  # unit and department: 上海市松江区行政服务中心
    seed = read_workbook(SHEETS_WORKBOOK).forms
    other = [dataclasses.replace(f, unit=Text("乙单位"), department=Text("乙部门")) for f in seed[:2]]
    ingest_files([("乙.xlsx", _written(other))], store)
    uploader = store.as_user(Account("乙部门填报", role("uploader"), Scope.of(departments=["乙部门"])))
    # the seed unit's 业务培训 filed under 乙部门 (would replace it, and moves the unit), and a form of 乙单位's own
    theirs = dataclasses.replace(seed[1], department=Text("乙部门"))
    mine = dataclasses.replace(seed[1], unit=Text("乙单位"), department=Text("乙部门"), project=Text("新项目"))
    files = ingest.preview_files([("混合.xlsx", _written([theirs, mine])), ("好.xlsx", _written([mine]))])
    refusals = ingest.scope_refusals(uploader, files)
    assert [[bool(r) for r in reasons] for reasons in refusals] == [[True, False], [False]]
    assert refusals[0][0] == ("它会替换一张不在账号“乙部门填报”的单位范围（主管部门：乙部门）内的已导入自评表"
                              "（年度、实施单位、项目名称相同）")
    assert ingest.record_refusals(uploader, files, refusals) == 1
    results = ingest.store_previews(uploader, [(files[0], {1}), (files[1], None)])
    assert [len(r.report.stored) for r in results] == [1, 0] and len(results[1].report.skipped) == 1
    entry = store.audit_table(action="refuse").iloc[0]
    assert (entry["user"], entry["file_name"]) == ("乙部门填报", "混合.xlsx")
    assert entry["forms"] == "2021年 上海市松江区行政服务中心·业务培训" and refusals[0][0] in entry["detail"]
    # the system (command line) is refused nothing
    assert ingest.scope_refusals(store, files) == [["", ""], [""]]


def _written(forms) -> bytes:
    import io

    out = io.BytesIO()
    write_forms(forms, out)
    return out.getvalue()


# --- issue 19: one upload cannot take the service down --------------------------------------------

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"


def _peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def _batch_with_a_bomb(tmp_path: Path) -> list[tuple[str, bytes]]:
    """Four good files and, in the middle, the formula bomb only the worker limits stop (the growth
    hides in defined names): in one process it allocates until the process dies."""
    good = [(p.name, p.read_bytes()) for p in _workbooks(tmp_path, 4, per_file=1)]
    bomb = ("formula_name_bomb.xlsx", (HOSTILE / "formula_name_bomb.xlsx").read_bytes())
    return good[:2] + [bomb] + good[2:]


def _check_refused_bomb(previews_or_files, n_good: int = 4) -> None:
    by_name = {p.name: p for p in previews_or_files}
    error = by_name["formula_name_bomb.xlsx"].error
    assert error is not None and error.code == "worker_limit"
    assert str(error).startswith("文件“formula_name_bomb.xlsx”：读取本文件超出了资源限制")
    assert sum(1 for p in previews_or_files if p.error is None) == n_good


def test_a_batch_with_a_bomb_imports_the_other_four_and_the_test_process_is_untouched(tmp_path: Path) -> None:
    items = _batch_with_a_bomb(tmp_path)
    before = _peak_rss()
    with Store(tmp_path / "db.duckdb") as store:
        result = ingest_files(items, store, workers=2)
        assert [f.name for f in result.files] == [name for name, _ in items]
        _check_refused_bomb(result.files)
        assert store.count_forms() == 4
        assert "formula_name_bomb.xlsx" not in set(store.imports_table()["file_name"])
    assert _peak_rss() - before < 300 * 1024 * 1024  # the bomb's gigabytes were spent elsewhere


def test_the_app_pool_refuses_the_bomb_and_previews_the_rest_in_forkserver_workers(tmp_path: Path) -> None:
    items = _batch_with_a_bomb(tmp_path)
    pool = ingest.WorkerPool(2)
    try:
        before = _peak_rss()
        previews = ingest.preview_files(items, pool=pool)
        assert [p.name for p in previews] == [name for name, _ in items]
        _check_refused_bomb(previews)
        assert all(len(p.forms) == 1 for p in previews if p.error is None)
        assert _peak_rss() - before < 300 * 1024 * 1024
        assert len(pool.ready()) == 2  # fresh workers for the next upload
        again = ingest.preview_files(items[:2], pool=pool)
        assert all(p.error is None for p in again)
    finally:
        pool.close()


def test_a_single_upload_is_read_in_a_worker_too(tmp_path: Path) -> None:
    (item,) = _batch_with_a_bomb(tmp_path)[2:3]
    before = _peak_rss()
    (preview,) = ingest.preview_files([item])
    assert preview.error is not None and preview.error.code == "worker_limit"
    assert _peak_rss() - before < 300 * 1024 * 1024
