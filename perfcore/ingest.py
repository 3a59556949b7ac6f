"""Read → score → store for a set of files: the one import path of the CLI and the app.

A file that cannot be read (or scored, or written) is reported with its error and the
others go on; each file's forms land in the database all together or not at all.
"""
from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace

from perfcore.errors import ReadError
from perfcore.policy import Policy, get_policy
from perfcore.reader import read_workbook
from perfcore.reader.workbook import load_source
from perfcore.records import form_record
from perfcore.scoring import score_form
from perfcore.store import ImportFile, ImportReport, Store

log = logging.getLogger(__name__)

Item = str | os.PathLike[str] | tuple[str, bytes]
Progress = Callable[[int, int, str], None]

# Files are written to the database in batches of about this many forms (one transaction
# per batch, file by file if it fails): fewer statements, bounded memory.
BATCH_FORMS = 200
# Files per task handed to a worker process: enough to amortise the round trip, small
# enough that the store gets its first batch early and progress moves.
CHUNK_FILES = 2


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


def _prepare(item: Item, policy: Policy) -> tuple[FileResult, ImportFile | None]:
    """Read, check and score one file; its bytes are loaded once (size-checked) and reused for the hash."""
    source, filename = (item[1], item[0]) if isinstance(item, tuple) else (item, None)
    try:
        name, data = load_source(source, filename)
    except ReadError as error:
        return FileResult(name=error.file, error=error), None
    result = read_workbook(data, name)
    done = FileResult(name=result.file or name, n_forms=len(result.forms), notes=list(result.notes))
    if result.error is not None:
        done.error = result.error
        return done, None
    if not result.forms:
        done.error = ReadError("no_form", "文件中没有找到自评表。", file=done.name)
        return done, None
    try:
        cards = [score_form(form, policy) for form in result.forms]
        records = [form_record(form, card) for form, card in zip(result.forms, cards)]
    except Exception as exc:  # a scorer bug must not stop the other files
        done.error = ReadError("score_failed", f"评分时出错，本文件未导入：{exc}", file=done.name)
        return done, None
    return done, ImportFile(done.name, data, result.forms, cards, records=records)


def _prepare_lean(item: Item, policy: Policy) -> tuple[FileResult, ImportFile | None]:
    """``_prepare`` in a worker process: only the plain rows and the hash travel back
    (pickling the Form dataclasses would cost as much as reading them)."""
    done, job = _prepare(item, policy)
    return done, job and replace(job, content=b"", forms=[], scorecards=None, sha256=job.digest())


def _prepared(items: list[Item], policy: Policy, workers: int) -> Iterator[tuple[FileResult, ImportFile | None]]:
    """Each file read, checked and scored, in order: in ``workers`` forked processes when
    asked and possible, else here. A worker that dies (it should not), or workers that
    cannot start, cost only a retry of the unfinished files in this process."""
    workers = min(workers, len(items) // CHUNK_FILES)
    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (_prepare(item, policy) for item in items)
        return
    done = 0
    pool: ProcessPoolExecutor | None = None
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start)
        for pair in pool.map(_prepare_lean, items, [policy] * len(items), chunksize=CHUNK_FILES):
            yield pair
            done += 1
    except (BrokenProcessPool, OSError, NotImplementedError) as exc:  # OSError: no /dev/shm, no fork
        log.warning("import worker died or could not start (%s); reading the remaining %d files in this process",
                    type(exc).__name__, len(items) - done)
        yield from (_prepare(item, policy) for item in items[done:])
    finally:  # also on Ctrl-C or an error while storing: drop the files not started yet
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _worker_start() -> None:
    """Ctrl-C is the main process's to handle (it stops cleanly); workers just stop being fed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ingest_files(
    items: Iterable[Item],
    store: Store,
    *,
    user: str = "",
    policy: Policy | str | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> IngestResult:
    """Import files (paths or ``(name, bytes)``) into ``store``; progress(done, total, name) per file.

    ``workers`` > 1 reads and scores in that many forked processes while this one stores
    (the command line uses every core; the app, a threaded server, keeps the default 1).
    """
    items = list(items)
    rules = policy if isinstance(policy, Policy) else get_policy(policy)
    out = IngestResult()
    pending: list[tuple[FileResult, ImportFile]] = []

    def flush() -> None:
        reports = store.import_many([job for _, job in pending], user=user)
        for (done, _), report in zip(pending, reports, strict=True):
            done.report = report
            if report.error:
                done.error = ReadError("store_failed", report.error, file=done.name)
        pending.clear()

    for n, (done, job) in enumerate(_prepared(items, rules, workers), 1):
        out.files.append(done)
        if job is not None:
            pending.append((done, job))
            if sum(len(j.prepared()) for _, j in pending) >= BATCH_FORMS:
                flush()
        if progress:
            progress(n, len(items), done.name)
    if pending:
        flush()
    return out
