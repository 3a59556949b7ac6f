"""The one import service of the command line and the app: preview (read → check → score), then store.

* **Preview** (``preview_files``): every file read, checked and scored, in confined worker
  processes (one file per task), into a ``FilePreview`` of plain data: per form the fields the
  upload table shows, its reading state, and its rows for the store (``records.FormRecord``:
  the lossless form JSON, findings, scores); or the file's error. Nothing is stored.
* **Store** (``store_previews``): the chosen forms of each previewed file go into the
  database, each file whole or not at all (a write that fails costs only that file); files
  with nothing chosen are left untouched. Files are batched into transactions of about
  ``BATCH_FORMS`` forms (``Store.import_many``), which is what makes 100 small files fast.

``ingest_files`` (``python -m perfcore import``) runs both, storing every form while the
workers are still reading; the 上传与校验 page previews, lets the user choose, then stores.
Both therefore give the same errors (a file that cannot be read, or scored, or written is
reported and the others go on) and the same ``ImportReport`` per file.

Worker processes: the command line is a short-lived, single-threaded process and forks a
pool for each import. The app is a threaded server, which must not fork: it keeps one
``WorkerPool`` started by "forkserver" (a clean server process, spawned once with perfcore
imported, forks each worker; bench/README.md measures it against "spawn"). Only plain data
crosses the boundary: ``(name, bytes)`` or paths in, ``FilePreview`` out (a pickled Form or
Scorecard costs ~1 s per 1,000 forms, their rows ~0.06 s); a page that shows one form's
findings rebuilds its scorecard from the JSON (``FormPreview.scorecard``).

Untrusted files are read in worker processes only, one file per task, each worker confined
(``_confine``: writable memory, no core file, silent stderr) and each task given a wall-clock
deadline (SIGALRM kills the worker): a file that makes the formula engine or a reader allocate
without end costs its own worker, never the app server. A dead worker breaks its pool; every
file it had not answered is then read again alone in a fresh worker, so only the file that
kills that one too is refused (``worker_limit``) and the rest of the batch imports. Only a
short-lived process (the command line) reads in-process, and only when no process can start.
"""
from __future__ import annotations

import gc
import hashlib
import json
import logging
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from perfcore.errors import ReadError
from perfcore.guard.limits import DEFAULT_LIMITS, megabytes
from perfcore.guard.messages import refuse
from perfcore.layouts import Layout, read_with_grids, taught_for
from perfcore.policy import Policy, get_policy
from perfcore.reader import WorkbookResult, explain, read_workbook
from perfcore.reader.grid import Grid
from perfcore.reader.workbook import load_source
from perfcore.records import FormRecord, Key, form_record
from perfcore.scoring import score_form
from perfcore.store import ImportFile, ImportReport, Store

if TYPE_CHECKING:
    from perfcore.model import Scorecard

log = logging.getLogger(__name__)

Item = str | os.PathLike[str] | tuple[str, bytes]
Progress = Callable[[int, int, str], None]

# Files are written to the database in batches of about this many forms (one transaction
# per batch, file by file if it fails): fewer statements, bounded memory.
BATCH_FORMS = 200
# How long a starting worker pool waits for all its workers (a handshake, see WorkerPool).
START_TIMEOUT = 60.0


# --- what a preview gives ----------------------------------------------------------------------


@dataclass
class FormPreview:
    """One form of a previewed file: the upload table's fields and its rows for the store.

    Plain values only, so that it crosses the process boundary cheaply; the Form and its
    Scorecard are rebuilt on demand from ``form_json`` (the same JSON the store keeps).
    """

    index: int                   # position in its file (reading order)
    sheet: str
    first_row: int
    state: str                   # reading state: 完整 / 需核实 / 无法计分
    declared_total: float | None
    rule_total: float | None     # None when the form cannot be scored
    grade: str | None            # None unless read completely
    n_errors: int
    n_warnings: int
    n_infos: int
    problem: str                 # the first thing a reviewer should look at, "" when nothing
    policy: str
    form_json: str
    record: FormRecord

    @property
    def key(self) -> Key:
        """Year, 实施单位, 项目名称: a form's identity in the store."""
        return self.record.key

    @property
    def year(self) -> int | None:
        return self.record.key[0]

    @property
    def unit(self) -> str:
        return self.record.key[1]

    @property
    def project(self) -> str:
        return self.record.key[2]

    @property
    def digest(self) -> str:
        """Content hash (the store's "same content" test)."""
        return self.record.digest

    @property
    def incoming(self) -> tuple[int | None, str, str, str]:
        """Year, 主管部门, 实施单位, 项目名称: what an account's import rules judge."""
        return (self.year, self.record.version.department, self.unit, self.project)

    @property
    def grade_label(self) -> str:
        """What stands in the grade's place: 优 / 良 / 中 / 差, or 需核实 / 无法计分."""
        return self.grade if self.grade is not None else self.state

    def scorecard(self, policy: Policy | None = None) -> Scorecard:
        """The form and its scorecard rebuilt from the JSON (a few ms): for showing one form."""
        from perfcore.serialize import form_from_dict

        form = form_from_dict(json.loads(self.form_json))
        return score_form(form, policy or get_policy(self.policy))


@dataclass
class FilePreview:
    """One file read, checked and scored: its forms, the reader's remarks, or its error."""

    name: str
    sha256: str = ""
    n_read: int = 0              # forms the reader found (0 for a file that could not be read)
    notes: list[str] = field(default_factory=list)
    error: ReadError | None = None
    forms: list[FormPreview] = field(default_factory=list)
    taught: dict[str, int] = field(default_factory=dict)  # sheet → id of the stored mapping (对照) it was read with


@dataclass
class FileResult:
    """What happened to one file: its forms, reader remarks, import report or error."""

    name: str
    n_forms: int = 0
    notes: list[str] = field(default_factory=list)
    report: ImportReport | None = None
    error: ReadError | None = None


@dataclass
class IngestResult:
    files: list[FileResult] = field(default_factory=list)

    @property
    def reports(self) -> list[ImportReport]:
        return [f.report for f in self.files if f.report is not None]

    @property
    def errors(self) -> list[ReadError]:
        return [f.error for f in self.files if f.error is not None]

    @property
    def ok(self) -> bool:
        return not self.errors


def tune_gc_for_batch() -> None:
    """Set Python's cyclic garbage collector for a one-shot batch import (the command line).

    Forms, records and rows are acyclic and freed by reference counting, yet the collector
    kept re-walking the long-lived heap (modules, memo caches): 3.1 s of a 6,000-form
    import in one process. Freezing what exists at start-up and collecting the older
    generations less often took that to 1.3 s (bench/README.md). Process-wide and inherited
    by the forked workers, so only a short-lived process should call it, never the app.
    """
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


# --- preview ----------------------------------------------------------------------------------


def _problem(card: Scorecard) -> str:
    """The first error, else what the reading lacks, else the first warning ("" when none)."""
    by = {sev: [f for f in card.findings if f.severity == sev] for sev in ("error", "warning")}
    if by["error"]:
        return by["error"][0].message
    if card.reading.missing:
        return card.reading.missing[0]
    return by["warning"][0].message if by["warning"] else ""


def _form_preview(index: int, card: Scorecard, record: FormRecord) -> FormPreview:
    form, row = card.form, record.version  # the store's row already counts the findings
    return FormPreview(
        index=index, sheet=form.source.sheet, first_row=form.source.first_row, state=card.reading.state,
        declared_total=card.declared_total, rule_total=card.total, grade=card.grade,
        n_errors=row.n_errors, n_warnings=row.n_warnings,
        n_infos=row.n_infos, problem=_problem(card), policy=card.policy,
        form_json=record.version.form_json, record=record,  # the record's own string: pickled once
    )




def _prepare(item: Item, policy: Policy, layouts: Sequence[Layout] = ()) -> FilePreview:
    """Read, check and score one file (never raises for bad input); its bytes are loaded once
    (size-checked) and hashed here, so only plain rows leave the process. A sheet of a template
    staff taught (``layouts``, the store's active mappings) is read with that mapping."""
    source, filename = (item[1], item[0]) if isinstance(item, tuple) else (item, None)
    try:
        name, data = load_source(source, filename)
    except ReadError as error:
        return FilePreview(name=error.file, error=error)
    used: dict[str, int] = {}
    result = read_workbook(data, name, taught=taught_for(layouts, used))
    done = FilePreview(name=result.file or name, sha256=hashlib.sha256(data).hexdigest(),
                       n_read=len(result.forms), notes=list(result.notes), taught=used)
    if result.error is not None:
        done.error = result.error
        return done
    if not result.forms:
        done.error = ReadError("no_form", "文件中没有找到自评表。", file=done.name)
        return done
    try:
        cards = [score_form(form, policy) for form in result.forms]
        done.forms = [_form_preview(i, card, form_record(card.form, card)) for i, card in enumerate(cards)]
    except Exception as exc:  # a scorer bug must not stop the other files
        done.forms = []
        done.error = ReadError("score_failed", f"评分时出错，本文件未导入：{exc}", file=done.name)
    return done


def _prepare_in_worker(item: Item, policy: Policy, layouts: Sequence[Layout] = ()) -> FilePreview:
    """``_prepare`` as a worker process runs it, under the per-file deadline (its own name, so
    that a test can make a worker fail while ``_prepare`` stays real)."""
    with _deadline():
        return _prepare(item, policy, layouts)


def _read_in_worker(source: str | os.PathLike[str], include_hidden: bool,
                    explaining: bool = False, layouts: Sequence[Layout] = ()) -> tuple[WorkbookResult, list[explain.Decision]]:
    """The result, and the reader's decisions when the caller collects them (``parse --explain``):
    they are made in this process, so they travel back with the result. ``layouts``: ``parse --db``."""
    with _deadline():
        taught = taught_for(layouts)
        if not explaining:
            return read_workbook(source, include_hidden=include_hidden, taught=taught), []
        with explain.collect() as decisions:
            return read_workbook(source, include_hidden=include_hidden, taught=taught), decisions


def _sheets_in_worker(item: Item) -> tuple[WorkbookResult, dict[str, Grid]]:
    with _deadline():
        source, filename = (item[1], item[0]) if isinstance(item, tuple) else (item, None)
        try:
            name, data = load_source(source, filename)
        except ReadError as error:
            return WorkbookResult(error.file, error=error), {}
        return read_with_grids(data, name)


class _deadline:
    """A wall-clock limit on one task in a worker: SIGALRM, left at its default action, ends
    the process even inside native code (a Python handler would wait for the engine to return)."""

    def __enter__(self) -> None:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, DEFAULT_LIMITS.worker_seconds)

    def __exit__(self, *exc: object) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _data_size() -> int:
    """Bytes of writable private memory this process holds now (a forked worker inherits its parent's)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _confine() -> None:
    """Limit a worker process: its writable memory (a runaway allocation fails in the worker), no core
    file, few malloc arenas, and stderr to /dev/null (a native abort prints a backtrace there; the
    file's Chinese refusal is the report).

    RLIMIT_DATA rather than RLIMIT_AS: the address space also counts mere reservations, and a
    library that reserves gigabytes it never touches (V8's heap cage, in vl_convert, imported
    with the app) would die at start under any useful RLIMIT_AS. RLIMIT_DATA counts the private
    memory a process maps writable, which is what a bomb allocates (Linux ≥ 4.7)."""
    memory = _data_size() + DEFAULT_LIMITS.worker_memory_bytes  # growth allowed beyond what it inherited
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard == resource.RLIM_INFINITY or hard > memory:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX (glibc); elsewhere a harmless miss
    except (OSError, AttributeError):
        pass
    import faulthandler

    faulthandler.disable()  # a host that enabled it (pytest, python -X faulthandler) would dump on the abort
    if os.environ.get("PERFCORE_DEBUG"):  # a developer chasing a worker's death wants its last words
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    os.close(null)


def _perfcore_origin() -> str:
    """The folder this perfcore was imported from (a worker's must be its parent's)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_start_barrier: Any = None  # in a worker of a WorkerPool: where the warm-up tasks meet


def _worker_start(barrier: Any = None) -> None:
    """Set up a worker process: Ctrl-C is the main process's to handle (it stops cleanly;
    workers just stop being fed)."""
    global _start_barrier
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _confine()
    _start_barrier = barrier


# A WorkerPool worker's first code, run by ``exec`` so that none of it comes from perfcore: a
# forkserver imports perfcore before it knows the parent's sys.path, and from another folder
# (the venv's install, a second checkout) it can find another copy. The worker then drops
# that copy and imports the parent's (its sys.path is the parent's by now).
_BOOT = """
import os, sys
found = sys.modules.get("perfcore")
if found is not None and os.path.dirname(os.path.dirname(os.path.abspath(found.__file__))) != origin:
    for name in [m for m in sys.modules if m == "perfcore" or m.startswith("perfcore.")]:
        del sys.modules[name]
from perfcore.ingest import _worker_start
_worker_start(barrier)
"""


def _warm() -> int:
    """A WorkerPool's warm-up task: one per worker, each waits until all are running (so no
    worker takes two and every worker has started); the worker's process id."""
    if _start_barrier is not None:
        _start_barrier.wait(START_TIMEOUT)
    return os.getpid()


def _in_process(items: Sequence[Item], policy: Policy, layouts: Sequence[Layout] = ()) -> Iterator[FilePreview]:
    return (_prepare(item, policy, layouts) for item in items)


def _item_name(item: Item) -> str:
    return item[0] if isinstance(item, tuple) else os.path.basename(os.fspath(item))


def _method() -> str:
    """How a short-lived process starts its workers: fork (cheap, it is single-threaded)."""
    methods = multiprocessing.get_all_start_methods()
    return "fork" if "fork" in methods else "forkserver" if "forkserver" in methods else "spawn"


def _new_executor(workers: int, method: str, barrier: Any = None) -> ProcessPoolExecutor:
    """A process pool whose workers are confined (``_worker_start``). A forked worker shares this
    process's modules; others run ``_BOOT`` first so they import this perfcore, not another."""
    ctx = multiprocessing.get_context(method)
    if method == "fork":
        return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_start, initargs=(barrier,))
    if method == "forkserver":  # imported once in the server, not in every worker
        ctx.set_forkserver_preload(["__main__", "perfcore.ingest"])
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=exec,
                               initargs=(_BOOT, {"origin": _perfcore_origin(), "barrier": barrier}))


def _refused(item: Item, code: str, **values: object) -> FilePreview:
    name = _item_name(item)
    return FilePreview(name=name, error=refuse(code, name, "", "", **values))


def _alone(item: Item, policy: Policy, method: str, layouts: Sequence[Layout] = ()) -> FilePreview:
    """One file read again in a worker of its own: a file that kills this one too is refused."""
    limits = DEFAULT_LIMITS
    try:
        with _new_executor(1, method) as one:
            return one.submit(_prepare_in_worker, item, policy, layouts).result()
    except (BrokenProcessPool, CancelledError):
        log.warning("a file was refused: its worker process died (resource limits)")
        return _refused(item, "worker_limit", memory=megabytes(limits.worker_memory_bytes),
                        seconds=limits.worker_seconds)
    except (OSError, NotImplementedError, ValueError, RuntimeError) as exc:
        return _refused(item, "worker_unavailable", detail=type(exc).__name__)


def _answer(future: Future[FilePreview] | None) -> FilePreview | None:
    """A task's preview, or None when its worker (or another of the pool) died first."""
    if future is None:
        return None
    try:
        return future.result()
    except (BrokenProcessPool, CancelledError, RuntimeError):
        return None


def _previews(items: list[Item], policy: Policy, workers: int, pool: WorkerPool | None,
              layouts: Sequence[Layout] = ()) -> Iterator[FilePreview]:
    """Each file previewed, in input order, one file per task in confined worker processes:
    the app's ``pool``, else a pool forked for this call. The files a dead worker leaves
    unanswered are each read again alone (``_alone``)."""
    if not items:
        return
    method = pool.method if pool is not None else _method()
    executor: ProcessPoolExecutor | None = None
    try:
        executor = pool.executor() if pool is not None else _new_executor(max(1, min(workers, len(items))), method)
    except (OSError, NotImplementedError, ValueError) as exc:
        log.warning("import worker processes could not start (%s: %s)", type(exc).__name__, exc)
    if executor is None:
        if pool is not None:  # the app server never reads an untrusted file itself
            yield from (_refused(item, "worker_unavailable", detail="进程无法启动") for item in items)
        else:  # a short-lived process on a platform without processes: only itself at stake
            log.warning("reading %d files in this process", len(items))
            yield from _in_process(items, policy, layouts)
        return
    broken = False
    try:
        futures: list[Future[FilePreview]] = []
        try:
            for item in items:
                futures.append(executor.submit(_prepare_in_worker, item, policy, layouts))
        except (BrokenProcessPool, RuntimeError):  # broken, or shut down by another session's preview
            pass
        for i, item in enumerate(items):
            preview = _answer(futures[i] if i < len(futures) else None)
            if preview is None:
                if not broken:
                    broken = True
                    log.warning("import worker died; reading each unanswered file alone in a new worker")
                    if pool is not None:
                        pool.discard(executor)
                preview = _alone(item, policy, method, layouts)
            yield preview
    finally:  # also on Ctrl-C or an error while storing: drop the files not started yet
        if pool is None:
            executor.shutdown(wait=True, cancel_futures=True)


def read_in_worker(source: str | os.PathLike[str], *, include_hidden: bool = False,
                   layouts: Sequence[Layout] = ()) -> WorkbookResult:
    """``read_workbook`` of one path in a confined worker process of its own (the command line's
    ``parse`` / ``score``): a file that exceeds the limits is refused, the caller lives on.
    ``layouts``: the mappings staff taught (``parse --db``)."""
    name = os.path.basename(os.fspath(source))
    limits = DEFAULT_LIMITS
    try:
        with _new_executor(1, _method()) as one:
            result, decisions = one.submit(_read_in_worker, source, include_hidden, explain.active(),
                                           tuple(layouts)).result()
            explain.record(decisions)
            return result
    except (BrokenProcessPool, CancelledError):
        return WorkbookResult(name, error=refuse("worker_limit", name, memory=megabytes(limits.worker_memory_bytes),
                                                 seconds=limits.worker_seconds))
    except (OSError, NotImplementedError, ValueError, RuntimeError):
        return read_workbook(source, include_hidden=include_hidden,  # no processes here: read in this one
                             taught=taught_for(layouts))


def read_sheets(item: Item, pool: WorkerPool) -> tuple[WorkbookResult, dict[str, Grid]]:
    """One upload read as the import reads it (no mapping) with the grid of each sheet, in one of
    the app's confined workers (the 对照 form shows the sheet as the reader saw it)."""
    executor = pool.executor()
    if executor is None:
        return _refused_result(item, "worker_unavailable", detail="进程无法启动"), {}
    try:
        return executor.submit(_sheets_in_worker, item).result()
    except (BrokenProcessPool, CancelledError, RuntimeError):
        pool.discard(executor)
        limits = DEFAULT_LIMITS
        return _refused_result(item, "worker_limit", memory=megabytes(limits.worker_memory_bytes),
                               seconds=limits.worker_seconds), {}


def _refused_result(item: Item, code: str, **values: object) -> WorkbookResult:
    name = _item_name(item)
    return WorkbookResult(name, error=refuse(code, name, "", "", **values))


def preview_files(
    items: Iterable[Item],
    *,
    policy: Policy | str | None = None,
    workers: int = 1,
    pool: WorkerPool | None = None,
    progress: Progress | None = None,
    layouts: Sequence[Layout] = (),
) -> list[FilePreview]:
    """Read, check and score files (paths or ``(name, bytes)``) without storing anything.
    ``layouts``: the mappings staff taught (``Store.reading_layouts()``), plain data for the workers.

    In ``pool``'s workers (the app) or up to ``workers`` forked processes (a short-lived
    process), one confined worker process per file at a time; progress(done, total, name) after each file, in input order.
    """
    items = list(items)
    rules = policy if isinstance(policy, Policy) else get_policy(policy)
    out = []
    for n, preview in enumerate(_previews(items, rules, workers, pool, layouts), 1):
        out.append(preview)
        if progress:
            progress(n, len(items), preview.name)
    return out


# --- store ------------------------------------------------------------------------------------


class _Writer:
    """The store step: files queued with their chosen forms, written a batch at a time."""

    def __init__(self, store: Store, user: str) -> None:
        self.store, self.user = store, user
        self.pending: list[tuple[FileResult, ImportFile]] = []
        self.n_pending = 0

    def add(self, preview: FilePreview, chosen: Collection[int] | None = None) -> FileResult:
        """Queue the chosen forms (all when None) of a file; its result is complete after ``flush``."""
        forms = [f for f in preview.forms if chosen is None or f.index in chosen]
        done = FileResult(name=preview.name, n_forms=len(forms) if chosen is not None else preview.n_read,
                          notes=list(preview.notes), error=preview.error)
        if preview.error is None and forms:
            job = ImportFile(preview.name, b"", [], records=[f.record for f in forms], sha256=preview.sha256)
            self.pending.append((done, job))
            self.n_pending += len(forms)
            if self.n_pending >= BATCH_FORMS:
                self.flush()
        return done

    def flush(self) -> None:
        if not self.pending:
            return
        reports = self.store.import_many([job for _, job in self.pending], user=self.user)
        for (done, _), report in zip(self.pending, reports, strict=True):
            done.report = report
            if report.error:
                done.error = ReadError("store_failed", report.error, file=done.name)
        self.pending.clear()
        self.n_pending = 0


def store_previews(
    store: Store, choices: Iterable[tuple[FilePreview, Collection[int] | None]], *, user: str = ""
) -> list[FileResult]:
    """Store the chosen forms (``FormPreview.index`` values; None = all) of each previewed file.

    Each file lands whole or not at all; files that could not be read, or with nothing
    chosen, are left untouched and get no result. A StoreError (read-only, locked) is raised.
    """
    writer = _Writer(store, user)
    results = [writer.add(preview, chosen) for preview, chosen in choices
               if preview.error is None and (chosen is None or chosen)]
    writer.flush()
    return results


def ingest_files(
    items: Iterable[Item],
    store: Store,
    *,
    user: str = "",
    policy: Policy | str | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> IngestResult:
    """Import files (paths or ``(name, bytes)``) into ``store``: preview and store every form.

    Reads and scores in up to ``workers`` forked, confined processes while this one stores
    (the command line uses every core); progress(done, total, name) per file. Sheets of a
    template staff taught are read with the store's mapping (``Store.reading_layouts``).
    """
    items = list(items)
    layouts = store.reading_layouts()
    rules = policy if isinstance(policy, Policy) else get_policy(policy)
    out = IngestResult()
    writer = _Writer(store, user)
    for n, preview in enumerate(_previews(items, rules, workers, None, layouts), 1):
        out.files.append(writer.add(preview))
        if progress:
            progress(n, len(items), preview.name)
    writer.flush()
    return out


def form_statuses(store: Store, keys: Sequence[tuple[Key, str]]) -> list[str]:
    """For (form key, content hash) pairs: "new" (no current version), "same" or "changed".

    ``Store.form_status`` asks per Form; this asks once for the current versions of the
    units and projects concerned, and per form only where one is stored.
    """
    from perfcore.store import Filters

    if not keys:
        return []
    units = sorted({unit for (_, unit, _), _ in keys})
    projects = sorted({project for (_, _, project), _ in keys})
    table = store.forms_table(Filters(unit=units, project=projects))
    years = table["year"].astype(object).where(table["year"].notna(), None)
    current = {(None if year is None else int(year), unit, project): int(vid)
               for year, unit, project, vid in zip(years, table["unit"], table["project"], table["version_id"])}
    hashes: dict[Key, str] = {}
    out = []
    for key, digest in keys:
        vid = current.get(key)
        if vid is None:
            out.append("new")
            continue
        if key not in hashes:
            hashes[key] = store.version_info(vid)["content_hash"]
        out.append("same" if hashes[key] == digest else "changed")
    return out


def scope_refusals(store: Store, files: Sequence[FilePreview]) -> list[list[str]]:
    """Per file, per form: why the store would refuse it for this account ("" = it may be
    imported); the very rules the import applies (``Store.import_refusals``), so the upload
    page leaves refused forms out and imports the rest."""
    flat = iter(store.import_refusals([form.incoming for f in files for form in f.forms]))
    return [[next(flat) for _ in f.forms] for f in files]


def record_refusals(store: Store, files: Sequence[FilePreview], refusals: Sequence[Sequence[str]], *,
                    user: str = "") -> int:
    """Put the refused forms of each file in the audit trail (one entry a file); how many entries."""
    entries = 0
    for f, reasons in zip(files, refusals, strict=True):
        if any(reasons):
            store.record_refusal(f.name, f.sha256, [form.incoming for form in f.forms], reasons, user=user)
            entries += 1
    return entries


# --- the app's worker pool ----------------------------------------------------------------------


class WorkerPool:
    """Worker processes kept across previews (the app): started once, warmed, restarted when broken.

    Started by "forkserver" where the platform has it (else "spawn"): a threaded server must
    not fork itself. Creating the pool starts its workers at once (each imports perfcore), so
    the first upload finds them ready; ``ready()`` waits for that handshake. A worker that
    dies breaks the pool: the preview that notices reads each unanswered file alone in a new
    worker and ``executor()`` starts fresh workers next time. Thread-safe.
    """

    def __init__(self, workers: int | None = None, method: str | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        methods = multiprocessing.get_all_start_methods()
        self.method = method or ("forkserver" if "forkserver" in methods else "spawn")
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._warmups: list[Future[int]] = []

    def executor(self) -> ProcessPoolExecutor | None:
        """The running executor, started if needed; None when processes cannot start here."""
        with self._lock:
            if self._executor is not None and not getattr(self._executor, "_broken", False):
                return self._executor
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            try:
                ctx = multiprocessing.get_context(self.method)
                barrier = ctx.Barrier(self.workers) if self.workers > 1 else None
                executor = _new_executor(self.workers, self.method, barrier)
                # Workers start on demand: one warm-up task each starts them all now.
                self._warmups = [executor.submit(_warm) for _ in range(self.workers)]
            except (OSError, NotImplementedError, ValueError) as exc:
                log.warning("import worker processes could not start (%s: %s); reading in this process",
                            type(exc).__name__, exc)
                return None
            self._executor = executor
            return executor

    def ready(self, timeout: float = START_TIMEOUT) -> list[int]:
        """Start the workers if needed and wait until every one has started: their process ids
        ([] when processes cannot start or did not start in time)."""
        if self.executor() is None:
            return []
        done, pending = wait_futures(self._warmups, timeout=timeout)
        if pending or any(f.exception() is not None for f in done):
            return []
        return sorted({f.result() for f in done})

    def discard(self, executor: ProcessPoolExecutor) -> None:
        """Drop a broken executor (its workers are dead or dying); the next use starts fresh ones."""
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers (waits for them to exit)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
