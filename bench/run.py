"""perfboard benchmark: prints this machine's figures against the targets of issue 6.

    .venv/bin/python bench/run.py            # full run (make bench), ≈10 min the first time
    .venv/bin/python bench/run.py --quick    # smaller sizes, for iterating
    .venv/bin/python bench/run.py --import-forms 6 --import-workbooks 3 --large-forms 0 \
        --store-sizes 200 --reps 1 --out /tmp/b     # the smoke test's tiny run

Figures go to stdout and, as JSON, to ``<out>/latest.json`` and ``<out>/bench-<time>.json``.
Generated workbooks and databases are cached in ``<out>/cache`` keyed by a hash of the
perfcore sources they depend on, so a second run measures instead of generating.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from perfcore import synth  # noqa: E402  (needs ROOT on sys.path when run as a script)

PACKAGES = ("streamlit", "pandas", "numpy", "pyarrow", "duckdb", "openpyxl", "python-calamine", "altair")
# Targets on a 2-core machine (issue 6): name → (limit, "max" = figure must be ≤ limit, "min" = ≥).
TARGETS: dict[str, tuple[float, str]] = {
    "import_seconds": (1.5, "max"),
    "import_vs_pandas": (5.0, "min"),
    "import_peak_rss_mb": (400.0, "max"),
    "import_large_seconds": (10.0, "max"),
    "upload_preview_s": (3.0, "max"),   # issue 11: the 上传与校验 page in AppTest, 1,000 forms / 100 workbooks
    "upload_import_s": (2.0, "max"),
    "query_max_ms": (200.0, "max"),
    "render_max_s": (1.5, "max"),
    "whatif_ms": (10.0, "max"),
}
QUERY_TARGET_FORMS = 100_000  # the query and render targets are stated at this size
# Sources a cached artefact depends on: workbooks on the generator and writer; a store also on
# everything that scores and stores (all of perfcore except the reading and UI-formatting side).
WORKBOOK_DEPS = ("synth.py", "writer.py", "model.py")
STORE_EXCLUDE = ("reader", "writer.py", "cli.py", "ingest.py", "fmt.py", "samples.py", "__main__.py")


# --- small helpers -------------------------------------------------------------------------


def median_ms(fn: Callable[[], object], reps: int) -> tuple[float, float]:
    """(first call ms, median ms of ``reps`` further calls): cold and warm cost of a query."""
    start = time.perf_counter()
    fn()
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(first, 2), round(statistics.median(times), 2)


def source_hash(include: Callable[[Path], bool]) -> str:
    """Hash of the perfcore sources an artefact was built from (cache key)."""
    digest = hashlib.sha1()
    for path in sorted((ROOT / "perfcore").rglob("*.py")):
        rel = path.relative_to(ROOT / "perfcore")
        if include(rel):
            digest.update(str(rel).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def workbook_key() -> str:
    return source_hash(lambda rel: str(rel) in WORKBOOK_DEPS)


def store_key() -> str:
    return source_hash(lambda rel: rel.parts[0] not in STORE_EXCLUDE)


# Runs a command and reports its wall time and peak RSS. It runs in its own small Python: a child
# forked straight from this (large) bench process would report the bench's RSS as its own peak.
_LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as out:
    json.dump({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "returncode": os.waitstatus_to_exitcode(status)}, out)
"""


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> dict:
    """Run a process; wall seconds, peak RSS (MB, from wait4 of that very process), exit code, output."""
    with tempfile.TemporaryDirectory() as tmp:
        report, out_path, err_path = Path(tmp, "m.json"), Path(tmp, "out"), Path(tmp, "err")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            subprocess.run([sys.executable, "-c", _LAUNCHER, str(report), *cmd], stdout=out, stderr=err,
                           cwd=ROOT, env=env, check=False)
        measured = json.loads(report.read_text())
        return {
            "seconds": round(measured["seconds"], 3),
            "peak_rss_mb": round(measured["maxrss_kb"] / 1024, 1),  # Linux: kilobytes
            "returncode": measured["returncode"],
            "stdout": out_path.read_text(errors="replace"),
            "stderr": err_path.read_text(errors="replace"),
        }


def section(name: str, fn: Callable[[], dict], results: dict) -> None:
    """Run one part of the bench; a failure is recorded (and printed) instead of ending the run."""
    print(f"\n== {name}", flush=True)
    start = time.perf_counter()
    try:
        results[name] = fn()
    except Exception as exc:  # noqa: BLE001 — a bench reports what broke and carries on
        results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"   FAILED: {results[name]['error']}", flush=True)
    print(f"   ({time.perf_counter() - start:.1f} s)", flush=True)


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0)
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": round(mem_kb / 1024 ** 2, 1),
            "python": platform.python_version(), "platform": platform.platform(), "packages": versions}


# --- artefacts (cached) ----------------------------------------------------------------------


REUSE_ANY = False  # --reuse-cache: take the newest artefact of a size even if perfcore changed since


def cached(out: Path, prefix: str, key: str, ready: Callable[[Path], bool], suffix: str = "") -> Path:
    """The cache path for ``prefix + key``; with REUSE_ANY, the newest ready one of any key."""
    path = out / "cache" / f"{prefix}{key}{suffix}"
    if REUSE_ANY and not ready(path):
        found = sorted((p for p in (out / "cache").glob(f"{prefix}*{suffix}") if ready(p)),
                       key=lambda p: p.stat().st_mtime)
        if found:
            return found[-1]
    return path


def workbooks(out: Path, n_forms: int, n_workbooks: int, seed: int, workers: int) -> tuple[list[Path], float]:
    """The generated workbooks for a size, from the cache or freshly written; (paths, seconds spent)."""
    folder = cached(out, f"wb-{n_forms}-{n_workbooks}-s{seed}-", workbook_key(), lambda p: (p / ".complete").exists())
    done = folder / ".complete"
    if done.exists():
        return sorted(folder.glob("*.xlsx")), 0.0
    for stale in folder.parent.glob(f"wb-{n_forms}-{n_workbooks}-s{seed}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    start = time.perf_counter()
    paths = synth.write_workbooks(n_forms, n_workbooks, folder, seed, workers=workers)
    done.write_text("ok")
    return paths, time.perf_counter() - start


def stored_db(out: Path, n_forms: int, seed: int, workers: int) -> tuple[Path, float]:
    """A DuckDB file holding ``n_forms`` synthetic forms via Store.import_forms; (path, seconds spent)."""
    from perfcore.store import Store

    path = cached(out, f"store-{n_forms}-s{seed}-", store_key(), Path.exists, suffix=".duckdb")
    if path.exists():
        return path, 0.0
    for stale in path.parent.glob(f"store-{n_forms}-s{seed}-*.duckdb*"):
        stale.unlink()
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    store = Store(tmp)
    try:
        synth.store_forms(store, n_forms, seed, workers=workers,
                          progress=lambda k: print(f"   stored {k:,} / {n_forms:,}", flush=True))
    finally:
        store.close()
    tmp.rename(path)
    return path, time.perf_counter() - start


# --- the five measurements -------------------------------------------------------------------


def top_imports(stderr: str, n: int = 8) -> list[list]:
    """The heaviest top-level imports (cumulative ms) from ``python -X importtime`` output."""
    rows = []
    for line in stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].rstrip()
            if not name.startswith("   "):  # nested imports are counted in their parent
                rows.append([name.strip(), round(int(parts[1]) / 1000, 1)])
    return sorted(rows, key=lambda row: -row[1])[:n]


def bench_startup(reps: int, sample: Path, tmp: Path) -> dict:
    """Start-up of the CLI: ``--help`` alone, and the imports an ``import`` of one workbook pulls in."""
    help_cmd = [sys.executable, "-m", "perfcore", "--help"]
    times = [run_measured(help_cmd)["seconds"] for _ in range(max(reps, 1))]
    db = tmp / "startup.duckdb"
    run = run_measured([sys.executable, "-X", "importtime", "-m", "perfcore", "import", str(sample), "--db", str(db)])
    result = {"help_seconds": round(statistics.median(times), 3), "import_one_seconds": run["seconds"],
              "top_imports_ms": top_imports(run["stderr"])}
    print(f"   python -m perfcore --help: {result['help_seconds']:.2f} s; import of one workbook "
          f"{result['import_one_seconds']:.2f} s, heaviest imports: "
          + ", ".join(f"{n} {ms:.0f} ms" for n, ms in result["top_imports_ms"][:6]))
    return result


def import_run(paths: list[Path], n_forms: int, tmp: Path, workers: int | None = None) -> dict:
    """One ``python -m perfcore import`` command over ``paths`` into a fresh database (its
    default worker processes, or ``--workers N``); peak RSS is the largest of its processes."""
    from perfcore.store import Store

    db = tmp / f"import-{n_forms}.duckdb"
    db.unlink(missing_ok=True)
    extra = [] if workers is None else ["--workers", str(workers)]
    run = run_measured([sys.executable, "-m", "perfcore", "import", *map(str, paths), "--db", str(db), *extra])
    if run["returncode"] not in (0, 1):  # 1 = imported with review findings, if the CLI says so
        raise RuntimeError(f"import exited {run['returncode']}: {run['stderr'][-800:]}")
    store = Store(db, read_only=True)
    try:
        stored = store.count_forms()
    finally:
        store.close()
    if stored != n_forms:
        raise RuntimeError(f"import stored {stored} of {n_forms} forms: {run['stdout'][-800:]}{run['stderr'][-800:]}")
    return {"forms": n_forms, "workbooks": len(paths), "seconds": run["seconds"],
            "forms_per_s": round(n_forms / run["seconds"], 1), "peak_rss_mb": run["peak_rss_mb"],
            "stored": stored, "returncode": run["returncode"]}


def bench_import(out: Path, tmp: Path, n_forms: int, n_workbooks: int, seed: int, workers: int,
                 with_pandas: bool) -> dict:
    paths, gen = workbooks(out, n_forms, n_workbooks, seed, workers)
    result = import_run(paths, n_forms, tmp)
    result["generate_seconds"] = round(gen, 1)
    result["one_process_seconds"] = import_run(paths, n_forms, tmp, workers=1)["seconds"]
    line = (f"   import {n_forms:,} forms / {len(paths)} workbooks: {result['seconds']:.2f} s, "
            f"{result['forms_per_s']:,.0f} forms/s, peak RSS {result['peak_rss_mb']:.0f} MB "
            f"(--workers 1: {result['one_process_seconds']:.2f} s)")
    if with_pandas:
        import pandas as pd

        start = time.perf_counter()
        for path in paths:
            pd.read_excel(path, sheet_name=None, engine="openpyxl")
        result["pandas_seconds"] = round(time.perf_counter() - start, 3)
        result["vs_pandas"] = round(result["pandas_seconds"] / result["seconds"], 2)
        line += f"; pandas.read_excel alone {result['pandas_seconds']:.2f} s → {result['vs_pandas']:.1f}× faster"
    print(line)
    return result


def query_calls(store, filters_cls) -> dict[str, Callable[[], object]]:
    """Every query the department page makes, for all forms, one year (the page's default) and one
    department-year."""
    years, departments = synth.YEARS, synth.DEPARTMENTS
    scopes = {"all": filters_cls(), "year": filters_cls(year=years[-1]),
              "dept": filters_cls(year=years[-1], department=departments[0])}
    calls: dict[str, Callable[[], object]] = {}
    for scope, flt in scopes.items():
        calls[f"forms_table[{scope}]"] = lambda f=flt: store.forms_table(f)
        calls[f"dept_summary[{scope}]"] = lambda f=flt: store.dept_summary(f)
        for by in ("level1", "level2", "indicator", "unit", "project"):
            calls[f"deductions({by})[{scope}]"] = lambda f=flt, b=by: store.deductions(f, b)
        calls[f"declared_vs_rule[{scope}]"] = lambda f=flt: store.declared_vs_rule(f)
        calls[f"findings_by_code[{scope}]"] = lambda f=flt: store.findings_by_code(f)
        calls[f"summary_by(year)[{scope}]"] = lambda f=flt: store.summary_by(f, by="year")
    return calls


def bench_queries(out: Path, sizes: list[int], seed: int, reps: int, workers: int) -> dict:
    from perfcore.store import Filters, Store

    result = {}
    for size in sizes:
        path, built = stored_db(out, size, seed, workers)
        store = Store(path, read_only=True)
        try:
            timings = {name: median_ms(fn, reps) for name, fn in query_calls(store, Filters).items()}
            count = store.count_forms()
        finally:
            store.close()
        medians = {name: t[1] for name, t in timings.items()}
        result[str(size)] = {"forms": count, "build_seconds": round(built, 1),
                             "db_mb": round(path.stat().st_size / 1024 ** 2, 1),
                             "first_ms": {name: t[0] for name, t in timings.items()},
                             "median_ms": medians, "max_median_ms": max(medians.values())}
        slowest = sorted(medians.items(), key=lambda kv: -kv[1])[:3]
        print(f"   {count:,} forms (db {result[str(size)]['db_mb']} MB): max median "
              f"{result[str(size)]['max_median_ms']:.1f} ms; slowest "
              + ", ".join(f"{n} {ms:.1f}" for n, ms in slowest))
    return result


def render_pages(db: str) -> dict:
    """Render the department and scorecard pages with AppTest against ``db`` (run in a child process)."""
    os.environ["PERFBOARD_DB"] = db
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    result = {}
    start = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    result["app_s"] = round(time.perf_counter() - start, 3)
    result["elements"] = {}
    for page in ("pages/department.py", "pages/scorecard.py"):
        for attempt in ("first", "again"):  # again: Streamlit's caches are warm, as on a rerun
            start = time.perf_counter()
            at.switch_page(page).run()
            key = f"{Path(page).stem}_{attempt}_s"
            result[key] = round(time.perf_counter() - start, 3)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].message}")
        # What was drawn, so a page that rendered only an empty state does not pass for fast.
        result["elements"][Path(page).stem] = {
            kind: len(at.get(kind)) for kind in ("metric", "dataframe", "vega_lite_chart")}
    return result


def bench_render(out: Path, size: int, seed: int, workers: int) -> dict:
    path, _ = stored_db(out, size, seed, workers)
    run = run_measured([sys.executable, str(Path(__file__).resolve()), "--render-child", str(path)])
    if run["returncode"] != 0:
        raise RuntimeError(run["stderr"][-1500:])
    result = json.loads(run["stdout"].strip().splitlines()[-1])
    result["forms"] = size
    result["peak_rss_mb"] = run["peak_rss_mb"]
    result["max_s"] = max(result["department_first_s"], result["scorecard_first_s"])
    print(f"   {size:,} forms: department {result['department_first_s']:.2f} s "
          f"(again {result['department_again_s']:.2f}), scorecard {result['scorecard_first_s']:.2f} s "
          f"(again {result['scorecard_again_s']:.2f}); app start {result['app_s']:.2f} s")
    return result


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_page_child(folder: str, db: str) -> dict:
    """The 上传与校验 page in AppTest (run in a child process): upload every workbook of ``folder``,
    time the run to the preview table, tick every form, import, time the run to done; then upload
    the same files again (every form now stored) and time that preview too."""
    os.environ["PERFBOARD_DB"] = db
    os.chdir(ROOT)
    from streamlit.testing.v1 import AppTest

    files = [(p.name, p.read_bytes(), XLSX_MIME) for p in sorted(Path(folder).glob("*.xlsx"))]
    result: dict = {"workbooks": len(files)}

    def timed(name: str, step: Callable[[], object]) -> None:
        start = time.perf_counter()
        step()
        result[name] = round(time.perf_counter() - start, 3)
        if at.exception:
            raise RuntimeError(f"{name}: {at.exception[0].message}")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    timed("open_s", lambda: at.run().switch_page("pages/upload.py").run())
    timed("preview_s", lambda: at.file_uploader(key="uploader_0").set_value(files).run())
    table = at.dataframe[0].value
    result["rows"] = len(table)
    result["expanders"] = len(at.expander)
    picks = [g for g in at.get("button_group") if "全部" in getattr(g, "options", [])]
    if picks:  # the page preselects only forms without problems: tick every form, as the target asks
        timed("select_all_s", lambda: picks[0].set_value("全部").run())
    button = next(b for b in at.button if b.label.startswith("导入选中"))
    result["ticked"] = int(re.search(r"\d+", button.label).group())
    timed("import_s", lambda: button.click().run())
    from ui import common

    result["stored"] = common.get_store().count_forms()
    timed("preview_again_s", lambda: at.file_uploader(key="uploader_1").set_value(files).run())
    result["rows_again"] = len(at.dataframe[0].value) if at.dataframe else 0
    return result


# A process whose __main__ is what `streamlit run` has (the console script imports streamlit.web.cli at
# the top, and a spawned worker re-runs that), starting the app's import pool: time to every worker up.
_POOL_PROBE = """
from streamlit.web.cli import main  # noqa: F401
import json, sys, time
if __name__ == "__main__":
    sys.path.insert(0, sys.argv[2])
    from perfcore.ingest import WorkerPool
    start = time.perf_counter()
    pool = WorkerPool(2, method=sys.argv[1])
    workers = len(pool.ready())
    seconds = time.perf_counter() - start
    pool.close()
    print(json.dumps({"seconds": round(seconds, 3), "workers": workers}))
"""


def bench_pool_start(tmp: Path, reps: int) -> dict:
    """Start-up of the app's worker pool (2 workers) by "spawn" and by "forkserver", alternating."""
    probe = tmp / "pool_probe.py"
    probe.write_text(_POOL_PROBE)
    runs: dict[str, list[float]] = {"spawn": [], "forkserver": []}
    for _ in range(reps):
        for method in runs:
            run = run_measured([sys.executable, str(probe), method, str(ROOT)])
            found = json.loads(run["stdout"].strip().splitlines()[-1]) if run["returncode"] == 0 else {}
            if found.get("workers") != 2:
                raise RuntimeError(f"{method} pool did not start: {run['stderr'][-800:]}")
            runs[method].append(found["seconds"])
    return {method: {"runs": times, "median": round(statistics.median(times), 3)} for method, times in runs.items()}


def bench_upload_page(out: Path, tmp: Path, n_forms: int, n_workbooks: int, seed: int, workers: int,
                      pool_reps: int = 3) -> dict:
    paths, _ = workbooks(out, n_forms, n_workbooks, seed, workers)
    db = tmp / f"upload-{n_forms}.duckdb"
    db.unlink(missing_ok=True)
    run = run_measured([sys.executable, str(Path(__file__).resolve()), "--upload-child", str(paths[0].parent),
                        str(db)])
    if run["returncode"] != 0:
        raise RuntimeError(run["stderr"][-1500:])
    result = json.loads(run["stdout"].strip().splitlines()[-1])
    result["forms"] = n_forms
    result["peak_rss_mb"] = run["peak_rss_mb"]
    if result["stored"] != result["ticked"] or result["rows"] < n_forms:
        raise RuntimeError(f"upload page showed {result['rows']} rows, ticked {result['ticked']}, "
                           f"stored {result['stored']} of {n_forms} forms")
    try:  # a page from before the worker pool (the "before" figures) has nothing to start
        result["pool_start_s"] = bench_pool_start(tmp, pool_reps)
        print("   worker pool start (2 workers): " + ", ".join(
            f"{method} {v['median']:.2f} s (runs {', '.join(f'{t:.2f}' for t in v['runs'])})"
            for method, v in result["pool_start_s"].items()))
    except (ImportError, RuntimeError) as exc:
        result["pool_start_error"] = str(exc)[-300:]
    print(f"   {n_forms:,} forms / {result['workbooks']} workbooks through the page: "
          f"preview {result['preview_s']:.2f} s, import of {result['stored']:,} {result['import_s']:.2f} s; "
          f"same files again {result['preview_again_s']:.2f} s "
          f"(page open {result['open_s']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB)")
    return result


def bench_whatif(reps: int, seed: int) -> dict:
    """What-if on a 35-indicator form: change the actual of a missed (or the first) indicator."""
    from perfcore.policy import DEFAULT_POLICY
    from perfcore.whatif import Change, what_if

    form = synth.make_form(0, seed, n_indicators=35)
    index = next((k for k, ind in enumerate(form.indicators) if ind.declared_score.value != ind.weight.value), 0)
    changes = [Change("actual", index, form.indicators[index].target.value)]
    result_obj = what_if(form, changes, DEFAULT_POLICY)
    first, med = median_ms(lambda: what_if(form, changes, DEFAULT_POLICY), max(reps * 10, 20))
    result = {"indicators": len(form.indicators), "first_ms": first, "median_ms": med,
              "total_before": result_obj.base.total, "total_after": result_obj.new.total}
    print(f"   35 indicators: median {med:.2f} ms (total {result['total_before']} → {result['total_after']})")
    return result


def bench_readers(paths: list[Path]) -> dict:
    """Readers considered: python-calamine vs openpyxl read-only (whole workbook to values), and ours."""
    from io import BytesIO

    import openpyxl
    from python_calamine import CalamineWorkbook

    data = [path.read_bytes() for path in paths]

    def calamine() -> None:
        for blob in data:
            wb = CalamineWorkbook.from_filelike(BytesIO(blob))
            for name in wb.sheet_names:
                sheet = wb.get_sheet_by_name(name)
                sheet.to_python()
                sheet.merged_cell_ranges  # noqa: B018 — the reader needs them too

    def openpyxl_read_only() -> None:
        for blob in data:
            wb = openpyxl.load_workbook(BytesIO(blob), read_only=True, data_only=True)
            for ws in wb.worksheets:
                list(ws.iter_rows(values_only=True))
            wb.close()

    def ours() -> None:
        from perfcore.reader import read_workbook

        for path, blob in zip(paths, data):
            read_workbook(blob, path.name)

    result: dict = {"files": len(paths)}
    for name, fn in (("calamine_s", calamine), ("openpyxl_read_only_s", openpyxl_read_only),
                     ("perfcore_reader_s", ours)):
        start = time.perf_counter()
        try:
            fn()
            result[name] = round(time.perf_counter() - start, 3)
        except ImportError as exc:
            result[name] = None
            result[f"{name}_error"] = str(exc)
    if result.get("calamine_s"):
        result["calamine_speedup"] = round(result["openpyxl_read_only_s"] / result["calamine_s"], 1)
    print(f"   {len(paths)} workbooks: calamine {result['calamine_s']:.3f} s, openpyxl read-only "
          f"{result['openpyxl_read_only_s']:.3f} s ({result.get('calamine_speedup')}×); "
          f"perfcore.reader {result.get('perfcore_reader_s')} s")
    return result


# --- verdict -----------------------------------------------------------------------------------


def verdict(results: dict, query_size: int) -> list[dict]:
    """Each target with its figure; ``ok`` is None when not measured, or not at the target's size."""
    imp, large = results.get("import", {}), results.get("import_large", {})
    upload = results.get("upload_page", {})
    at_upload = (upload.get("forms"), upload.get("workbooks")) == (1000, 100)
    queries = results.get("queries", {}).get(str(query_size), {})
    render, whatif = results.get("render", {}), results.get("whatif", {})
    at_import = (imp.get("forms"), imp.get("workbooks")) == (1000, 100)
    at_query = query_size == QUERY_TARGET_FORMS
    figures = {  # name → (figure, measured at the size the target is stated for)
        "import_seconds": (imp.get("seconds"), at_import),
        "import_vs_pandas": (imp.get("vs_pandas"), at_import),
        "import_peak_rss_mb": (imp.get("peak_rss_mb"), at_import),
        "import_large_seconds": (large.get("seconds"), large.get("forms") == 10_000),
        "upload_preview_s": (upload.get("preview_s"), at_upload),
        "upload_import_s": (upload.get("import_s"), at_upload),
        "query_max_ms": (queries.get("max_median_ms"), at_query),
        "render_max_s": (render.get("max_s"), render.get("forms") == QUERY_TARGET_FORMS),
        "whatif_ms": (whatif.get("median_ms"), whatif.get("indicators") == 35),
    }
    rows = []
    for name, (limit, kind) in TARGETS.items():
        value, at_size = figures[name]
        ok = None if value is None or not at_size else (value <= limit if kind == "max" else value >= limit)
        rows.append({"name": name, "value": value, "target": limit, "kind": kind, "at_target_size": at_size,
                     "ok": ok})
    return rows


def print_verdict(rows: list[dict]) -> None:
    print("\n== targets")
    for row in rows:
        sign = "≤" if row["kind"] == "max" else "≥"
        mark = {True: "ok", False: "MISSED", None: "n/a" if row["value"] is None else "(not at target size)"}[row["ok"]]
        print(f"   {row['name']:<22} {row['value']!s:>10}  target {sign} {row['target']:<6}  {mark}")


def markdown(results: dict) -> str:
    """The figures of a run as the Markdown tables bench/README.md records."""
    meta, m = results["meta"], results["meta"]["machine"]
    pkgs = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    lines = [f"Run {meta['date']} at commit `{meta.get('commit', '?')}`: {m['nproc']} cores {m['cpu']}, "
             f"{m['memory_gb']} GB, Python {m['python']}; {pkgs}. Load average before/after: "
             f"{meta['load_before'][0]:.2f} / {meta.get('load_after', [0])[0]:.2f}.", "",
             "| target | figure | limit | met |", "|---|---|---|---|"]
    for row in results["targets"]:
        met = {True: "yes", False: "**no**", None: "–"}[row["ok"]]
        sign = "≤" if row["kind"] == "max" else "≥"
        lines.append(f"| {row['name']} | {row['value']} | {sign} {row['target']} | {met} |")
    for key in ("import", "import_large"):
        imp = results.get(key, {})
        if "seconds" in imp:
            extra = (f"; pandas.read_excel alone {imp['pandas_seconds']} s ({imp['vs_pandas']}×)"
                     if "pandas_seconds" in imp else "")
            one = (f"; with `--workers 1` (no worker processes) {imp['one_process_seconds']} s"
                   if "one_process_seconds" in imp else "")
            lines += ["", f"Import {imp['forms']:,} forms / {imp['workbooks']} workbooks (one `python -m perfcore "
                      f"import` command, worker processes = cores): {imp['seconds']} s, {imp['forms_per_s']} "
                      f"forms/s, peak RSS {imp['peak_rss_mb']} MB{one}{extra}."]
    upload = results.get("upload_page", {})
    if "preview_s" in upload:
        lines += ["", f"Upload page (AppTest) with {upload['forms']:,} forms / {upload['workbooks']} workbooks: "
                  f"page open {upload['open_s']} s, preview {upload['preview_s']} s ({upload['rows']} table rows, "
                  f"{upload['expanders']} expanders), import of {upload['stored']:,} forms {upload['import_s']} s, "
                  f"the same files again {upload['preview_again_s']} s; peak RSS {upload['peak_rss_mb']} MB."]
        if "pool_start_s" in upload:
            starts = [f"{m} {v['median']} s (runs {', '.join(map(str, v['runs']))})"
                      for m, v in upload["pool_start_s"].items()]
            lines += ["", "Worker pool start (2 workers, a `streamlit run`-like main): " + ", ".join(starts) + "."]
    queries = results.get("queries", {})
    if queries and all("median_ms" in q for q in queries.values()):
        sizes = list(queries)
        names = sorted({n.split("[")[0] for q in queries.values() for n in q["median_ms"]})
        scopes = ("all", "year", "dept")
        lines += ["", "Department-page queries, median ms; scopes: "
                  "all = every year, year = one year (the page's default), dept = one department-year.", "",
                  "| query | " + " | ".join(f"{int(s):,}: {sc}" for s in sizes for sc in scopes) + " |",
                  "|---|" + "---|" * (len(sizes) * len(scopes))]
        for name in names:
            cells = [str(queries[s]["median_ms"].get(f"{name}[{sc}]", "")) for s in sizes for sc in scopes]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    render = results.get("render", {})
    if "department_first_s" in render:
        lines += ["", f"AppTest at {render['forms']:,} forms: department page {render['department_first_s']} s "
                  f"(rerun {render['department_again_s']} s), scorecard {render['scorecard_first_s']} s "
                  f"(rerun {render['scorecard_again_s']} s), app start {render['app_s']} s, "
                  f"peak RSS {render['peak_rss_mb']} MB."]
    readers = results.get("readers", {})
    if "calamine_s" in readers:
        lines += ["", f"Readers on the {readers['files']} import workbooks: python-calamine {readers['calamine_s']} s, "
                  f"openpyxl read-only {readers['openpyxl_read_only_s']} s ({readers.get('calamine_speedup')}× "
                  f"slower), perfcore.reader (calamine + form parsing + checks) {readers['perfcore_reader_s']} s."]
    if "median_ms" in results.get("whatif", {}):
        lines += ["", f"What-if on a 35-indicator form: {results['whatif']['median_ms']} ms median."]
    startup = results.get("startup", {})
    if "help_seconds" in startup:
        lines += ["", f"Start-up: `python -m perfcore --help` {startup['help_seconds']} s; import of one workbook "
                  f"{startup['import_one_seconds']} s; heaviest imports (ms): "
                  + ", ".join(f"{n} {ms}" for n, ms in startup["top_imports_ms"][:5]) + "."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for iterating")
    parser.add_argument("--import-forms", type=int, default=1000)
    parser.add_argument("--import-workbooks", type=int, default=100)
    parser.add_argument("--large-forms", type=int, default=10_000, help="second import size; 0 skips it")
    parser.add_argument("--store-sizes", default="10000,100000", help="stored forms for the query bench")
    parser.add_argument("--reps", type=int, default=7, help="repetitions per query")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="processes for generating data")
    parser.add_argument("--skip", default="", help="comma list of sections to skip")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--reuse-cache", action="store_true",
                        help="reuse generated data even if perfcore changed since (faster iterating)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when any section failed")
    parser.add_argument("--markdown", type=Path, metavar="JSON",
                        help="print the Markdown tables of an earlier run's JSON and exit")
    parser.add_argument("--render-child", help=argparse.SUPPRESS)
    parser.add_argument("--upload-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.markdown:
        print(markdown(json.loads(args.markdown.read_text(encoding="utf-8"))), end="")
        return 0
    if args.render_child:
        print(json.dumps(render_pages(args.render_child)))
        return 0
    if args.upload_child:
        print(json.dumps(upload_page_child(*args.upload_child)))
        return 0
    global REUSE_ANY
    REUSE_ANY = args.reuse_cache
    if args.quick:
        args.import_forms, args.import_workbooks, args.large_forms = 1000, 100, 0
        args.store_sizes, args.reps = "10000", 3
    sizes = [int(s) for s in args.store_sizes.split(",") if s.strip()]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    args.out.mkdir(parents=True, exist_ok=True)

    commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                            text=True, check=False).stdout.strip()
    results: dict = {"meta": {"date": datetime.now().isoformat(timespec="seconds"), "commit": commit,
                              "machine": machine(),
                              "load_before": os.getloadavg(), "args": {k: str(v) for k, v in vars(args).items()}}}
    m = results["meta"]["machine"]
    print(f"perfboard bench — {results['meta']['date']}, {m['nproc']} cores {m['cpu']}, Python {m['python']}, "
          f"load {results['meta']['load_before'][0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="perfbench-") as tmp_name:
        tmp = Path(tmp_name)

        def sample() -> Path:
            return workbooks(args.out, args.import_forms, args.import_workbooks, args.seed, args.workers)[0][0]

        plan: list[tuple[str, Callable[[], dict]]] = [
            ("startup", lambda: bench_startup(args.reps, sample(), tmp)),
            ("import", lambda: bench_import(args.out, tmp, args.import_forms, args.import_workbooks,
                                            args.seed, args.workers, with_pandas=True)),
        ]
        if args.large_forms:
            plan.append(("import_large", lambda: bench_import(
                args.out, tmp, args.large_forms, max(1, args.large_forms // 10), args.seed, args.workers,
                with_pandas=False)))
        plan += [
            ("upload_page", lambda: bench_upload_page(args.out, tmp, args.import_forms, args.import_workbooks,
                                                      args.seed, args.workers, pool_reps=max(1, min(args.reps, 5)))),
            ("readers", lambda: bench_readers(workbooks(args.out, args.import_forms, args.import_workbooks,
                                                       args.seed, args.workers)[0])),
            ("queries", lambda: bench_queries(args.out, sizes, args.seed, args.reps, args.workers)),
            ("render", lambda: bench_render(args.out, max(sizes), args.seed, args.workers)),
            ("whatif", lambda: bench_whatif(args.reps, args.seed)),
        ]
        for name, fn in plan:
            if name not in skip:
                section(name, fn, results)
    results["meta"]["load_after"] = os.getloadavg()
    query_size = QUERY_TARGET_FORMS if QUERY_TARGET_FORMS in sizes else max(sizes)
    results["targets"] = verdict(results, query_size)
    print_verdict(results["targets"])

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    text = json.dumps(results, ensure_ascii=False, indent=2)
    (args.out / f"bench-{stamp}.json").write_text(text, encoding="utf-8")
    (args.out / "latest.json").write_text(text, encoding="utf-8")
    print(f"\nJSON: {args.out / 'latest.json'}")
    failed = [name for name, value in results.items() if isinstance(value, dict) and "error" in value]
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
