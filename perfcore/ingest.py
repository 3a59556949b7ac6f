"""Read → score → store for a set of files: the one import path of the CLI and the app.

A file that cannot be read (or scored, or written) is reported with its error and the
others go on; each file's forms land in the database all together or not at all.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from perfcore.errors import ReadError
from perfcore.policy import Policy, get_policy
from perfcore.reader import read_workbook
from perfcore.reader.workbook import load_source
from perfcore.scoring import score_form
from perfcore.store import ImportFile, ImportReport, Store

Item = str | os.PathLike[str] | tuple[str, bytes]
Progress = Callable[[int, int, str], None]

# Files are written to the database in batches of about this many forms (one transaction
# per batch, file by file if it fails): fewer statements, bounded memory.
BATCH_FORMS = 500


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
    except Exception as exc:  # a scorer bug must not stop the other files
        done.error = ReadError("score_failed", f"评分时出错，本文件未导入：{exc}", file=done.name)
        return done, None
    return done, ImportFile(done.name, data, result.forms, cards)


def ingest_files(
    items: Iterable[Item],
    store: Store,
    *,
    user: str = "",
    policy: Policy | str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Import files (paths or ``(name, bytes)``) into ``store``; progress(done, total, name) per file."""
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

    for n, item in enumerate(items, 1):
        done, job = _prepare(item, rules)
        out.files.append(done)
        if job is not None:
            pending.append((done, job))
            if sum(len(j.forms) for _, j in pending) >= BATCH_FORMS:
                flush()
        if progress:
            progress(n, len(items), done.name)
    if pending:
        flush()
    return out
