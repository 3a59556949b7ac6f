"""Imports: a batch of files' forms in one transaction, versioned by form key, deduplicated by hash.

Versions: a form's key is year + 实施单位 + 项目名称. Importing changed content for a key adds
version_no + 1 and makes it current; the old version stays (history). The same bytes
imported again (SHA-256 of the file) change nothing; a form whose content hash equals the
current version's is skipped (the hash is of what the form says, canonical: a re-save that
changes nothing a form says is not a new version). An account's scope is checked inside the
transaction, on the forms brought and on the versions they replace; a refusal stores nothing
and is recorded in the audit trail (action ``refuse``). Rows go in with one ``INSERT … SELECT`` per table and batch,
their columns named by the records (perfcore.records) and by ``Placed`` below.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from perfcore.accounts import Permission
from perfcore.errors import PermissionDenied, StoreError
from perfcore.model import Form, Scorecard
from perfcore.records import FindingRow, FormRecord, FundLineRow, IndicatorRow, Key, VersionRow, form_record
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx
from perfcore.store.schema import column_names, row

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What one file's import did. Items: dicts with year, unit, project, version_id (+ more)."""

    import_id: int | None
    file: str
    sha256: str
    stored: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: int | None = None  # an earlier import of the very same bytes
    error: str = ""                  # set (and nothing stored) when writing this file failed

    @property
    def status(self) -> str:
        """failed / skipped (nothing changed) / imported."""
        if self.error:
            return "failed"
        return "imported" if self.stored or self.replaced else "skipped"


@dataclass
class ImportFile:
    """One file ready to store: its bytes (for the hash), forms and their scorecards.

    A parallel import hands over ``records`` and ``sha256`` built in a worker process
    instead (``content`` and ``forms`` may then be empty); otherwise they are built here.
    """

    file_name: str
    content: bytes
    forms: list[Form]
    scorecards: Sequence[Scorecard | None] | None = None
    records: list[FormRecord] | None = None
    sha256: str | None = None

    def prepared(self) -> list[FormRecord]:
        """The rows of every form of the file (built once)."""
        if self.records is None:
            cards = list(self.scorecards) if self.scorecards is not None else [None] * len(self.forms)
            if len(cards) != len(self.forms):
                raise ValueError("scorecards must match forms one to one")
            self.records = [form_record(form, card) for form, card in zip(self.forms, cards)]
        return self.records

    def digest(self) -> str:
        """SHA-256 of the file's bytes: the same file imported twice is recognised."""
        if self.sha256 is None:
            self.sha256 = hashlib.sha256(self.content).hexdigest()
        return self.sha256


class Placed(NamedTuple):
    """The ``form_versions`` columns an import assigns (the record gives the others)."""

    id: int
    version_no: int
    is_current: bool
    deleted: bool
    deleted_at: datetime | None
    deleted_by: str | None
    import_id: int
    file_name: str
    imported_at: datetime
    user_name: str


# The columns of each table in the order the importer builds its rows.
VERSION_COLUMNS = (*Placed._fields, *VersionRow._fields)
CHILD_COLUMNS = {
    "fund_lines": ("version_id", *FundLineRow._fields),
    "indicators": ("version_id", *IndicatorRow._fields),
    "findings": ("version_id", *FindingRow._fields),
}


def import_forms(
    db: Database,
    file_name: str,
    content: bytes,
    forms: Sequence[Form],
    scorecards: Sequence[Scorecard | None] | None = None,
    *,
    user: str = "",
) -> ImportReport:
    """Store one file's forms in one transaction (all or none). Raises StoreError on failure."""
    item = ImportFile(file_name, content, list(forms), scorecards)
    access.require(db, Permission.UPLOAD)
    user = access.who(db, user)
    try:
        return _write(db, [item], user)[0]
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"文件“{file_name}”保存到数据库失败，未导入任何表：{exc}") from exc


def import_many(db: Database, files: Sequence[ImportFile], *, user: str = "") -> list[ImportReport]:
    """Store several files in one transaction; if that fails, file by file.

    Each file still lands whole or not at all; a file whose write fails gets a report with
    ``error`` set and does not stop the others. One transaction for a batch saves the
    per-statement cost (≈0.5 ms each) that dominates imports of many small files.
    """
    files = list(files)
    if not files:
        return []
    access.require(db, Permission.UPLOAD)
    user = access.who(db, user)
    try:
        return _write(db, files, user)
    except StoreError:
        raise
    except Exception as exc:
        if len(files) == 1:
            return [_failed(files[0], exc)]
    return [_import_one_reporting(db, f, user) for f in files]


def incoming(records: Sequence[FormRecord]) -> list[access.Incoming]:
    """Year, department, unit, project of each form: what the scope rules judge."""
    return [(r.key[0], r.version.department, r.key[1], r.key[2]) for r in records]


def _write(db: Database, files: list[ImportFile], user: str) -> list[ImportReport]:
    """One transaction: the account's rules checked on what it reads there, then every row written.
    A refusal stores nothing and is recorded in the audit trail (its own small write)."""
    def run(tx: Tx) -> list[ImportReport]:
        if db.account is not None:  # the system (command line, tests) may import anything
            access.check_import(db, incoming([r for f in files for r in f.prepared()]), tx)
        return _Importer(tx, user).run(files)

    try:
        return db.write(run)
    except PermissionDenied as exc:
        refused = [(f, reasons) for f in files
                   if any(reasons := access.refusals(db, incoming(f.prepared())))]
        try:
            for f, reasons in refused or [(files[0], [])]:
                record_refusal(db, f.file_name, f.digest(), incoming(f.prepared()), reasons, user=user,
                               detail="" if reasons else str(exc))
        except StoreError as err:  # the refusal stands even when its audit entry cannot be written
            log.warning("the audit entry of a refused import could not be written: %s", err)
        raise


def record_refusal(db: Database, file_name: str, sha256: str, forms: Sequence[access.Incoming],
                   reasons: Sequence[str], *, user: str = "", detail: str = "") -> None:
    """An audit entry (action ``refuse``) for the forms of one file this account may not import
    and why; written when the upload page's preview marks them and when an import is refused."""
    access.require(db, Permission.UPLOAD)
    user = access.who(db, user)
    pairs = [(form, reason) for form, reason in zip(forms, reasons, strict=True) if reason]
    items = [audit.item((year, unit, project), None) for (year, _, unit, project), _ in pairs]
    text = detail or f"拒绝导入 {len(pairs)} 张：" + access.refused_text(
        [form for form, _ in pairs], [reason for _, reason in pairs], limit=len(pairs))
    db.write(lambda tx: audit.append(tx, "refuse", user, version_ids=[], forms=audit.describe(items), detail=text,
                                     file_name=file_name, sha256=sha256))


def _import_one_reporting(db: Database, item: ImportFile, user: str) -> ImportReport:
    try:
        return _write(db, [item], user)[0]
    except StoreError:
        raise
    except Exception as exc:
        return _failed(item, exc)


def _failed(item: ImportFile, exc: Exception) -> ImportReport:
    return ImportReport(
        import_id=None,
        file=item.file_name,
        sha256=item.digest(),
        error=f"保存到数据库失败，本文件未导入任何表：{exc}",
    )


@dataclass
class _KeyState:
    """What the database (plus this batch so far) holds for one form key."""

    max_version: int = 0
    current_id: int | None = None
    current_hash: str | None = None
    current_no: int | None = None  # the current version's number (what reports name it by)


class _Importer:
    """Builds all rows for a batch of files inside one transaction, then inserts them table by table."""

    def __init__(self, tx: Tx, user: str) -> None:
        self.tx = tx
        self.user = user
        self.now = audit.now()
        self.imports: list[tuple[Any, ...]] = []
        self.audit: list[tuple[Any, ...]] = []
        self.versions: list[tuple[Placed, VersionRow]] = []
        self.children: dict[str, list[tuple[Any, ...]]] = {table: [] for table in CHILD_COLUMNS}
        self.superseded: set[int] = set()  # stored versions that stop being current

    def run(self, files: list[ImportFile]) -> list[ImportReport]:
        tx = self.tx
        hashes = [f.digest() for f in files]
        known = dict(
            tx.rows(f"SELECT sha256, min(id) FROM imports WHERE {tx.any_of('sha256')} GROUP BY sha256", [hashes])
        )
        keys = {record.key for f in files for record in f.prepared()}
        states = self._states(keys)
        ids = tx.rows(
            "SELECT (SELECT coalesce(max(id), 0) FROM imports), (SELECT coalesce(max(id), 0) FROM form_versions), "
            "(SELECT coalesce(max(id), 0) FROM audit)"
        )[0]
        self.next_import, self.next_version, self.next_audit = (i + 1 for i in ids)
        reports = [self._file(f, sha, known, states) for f, sha in zip(files, hashes, strict=True)]
        new_ids = {placed.id for placed, _ in self.versions}
        versions = [
            (*placed._replace(is_current=placed.id not in self.superseded), *version)
            for placed, version in self.versions
        ]
        old = sorted(self.superseded - new_ids)
        if old:
            tx.run(f"UPDATE form_versions SET is_current = false WHERE {tx.any_of('id')}", [old])
        tx.insert("imports", column_names("imports"), self.imports)
        tx.insert("form_versions", VERSION_COLUMNS, versions)
        for table, names in CHILD_COLUMNS.items():
            tx.insert(table, names, self.children[table])
        tx.insert("audit", audit.NAMES, self.audit)
        return reports

    def _states(self, keys: set[Key]) -> dict[Key, _KeyState]:
        states = {key: _KeyState() for key in keys}
        if not keys:
            return states
        years, units, projects = (list(col) for col in zip(*keys, strict=True))
        rows = self.tx.rows(
            """
            SELECT k.year, k.unit, k.project, max(v.version_no),
                   any_value(v.id) FILTER (WHERE v.is_current),
                   any_value(v.content_hash) FILTER (WHERE v.is_current),
                   any_value(v.version_no) FILTER (WHERE v.is_current)
            FROM (SELECT unnest(?::INTEGER[]) AS year, unnest(?::VARCHAR[]) AS unit,
                         unnest(?::VARCHAR[]) AS project) k
            JOIN form_versions v
              ON v.year IS NOT DISTINCT FROM k.year AND v.unit = k.unit AND v.project = k.project
            GROUP BY k.year, k.unit, k.project
            """,
            [years, units, projects],
        )
        for year, unit, project, max_version, current_id, current_hash, current_no in rows:
            states[(year, unit, project)] = _KeyState(max_version, current_id, current_hash, current_no)
        return states

    def _file(self, item: ImportFile, sha: str, known: dict[str, int], states: dict[Key, _KeyState]) -> ImportReport:
        records = item.prepared()
        # A file seen before is skipped whole only when it brings nothing new: someone who
        # imported a few of its forms may come back for the rest (the upload page leaves
        # forms with errors unticked), and each form is still compared by content below.
        if sha in known and all(states[r.key].current_hash == r.digest for r in records):
            return ImportReport(
                import_id=known[sha],
                file=item.file_name,
                sha256=sha,
                skipped=[audit.item(r.key, states[r.key].current_id, version_no=states[r.key].current_no, reason="file")
                         for r in records],
                duplicate_of=known[sha],
            )
        import_id = self.next_import
        self.next_import += 1
        known[sha] = import_id
        report = ImportReport(import_id=import_id, file=item.file_name, sha256=sha)
        for record in records:
            key, digest = record.key, record.digest
            state = states[key]
            if state.current_hash == digest:
                report.skipped.append(audit.item(key, state.current_id, version_no=state.current_no, reason="same"))
                continue
            vid = self.next_version
            self.next_version += 1
            state.max_version += 1
            self._version_rows(vid, state.max_version, record, import_id, item.file_name)
            if state.current_id is None:
                report.stored.append(audit.item(key, vid, version_no=state.max_version))
            else:
                self.superseded.add(state.current_id)
                report.replaced.append(
                    audit.item(key, vid, version_no=state.max_version, previous_version_id=state.current_id)
                )
            state.current_id, state.current_hash, state.current_no = vid, digest, state.max_version
        self.imports.append(
            row(
                "imports", id=import_id, file_name=item.file_name, sha256=sha, imported_at=self.now,
                user_name=self.user, n_forms=len(records), n_stored=len(report.stored),
                n_replaced=len(report.replaced), n_skipped=len(report.skipped), status=report.status,
            )
        )
        detail = f"新增 {len(report.stored)}，替换 {len(report.replaced)}，跳过（内容未变）{len(report.skipped)}"
        actions = [(a, items) for a, items in (("import", report.stored), ("replace", report.replaced)) if items]
        for action, items in actions or [("import", [])]:
            self.audit.append(
                audit.entry(
                    self.next_audit, self.now, action, self.user, version_ids=[it["version_id"] for it in items],
                    forms=audit.describe(items), detail=detail, file_name=item.file_name, sha256=sha,
                    import_id=import_id,
                )
            )
            self.next_audit += 1
        return report

    def _version_rows(self, vid: int, version_no: int, record: FormRecord, import_id: int, file_name: str) -> None:
        """The record's rows with the ids, version, file and user of this import filled in."""
        placed = Placed(
            id=vid, version_no=version_no, is_current=True, deleted=False, deleted_at=None, deleted_by=None,
            import_id=import_id, file_name=file_name, imported_at=self.now, user_name=self.user,
        )
        self.versions.append((placed, record.version))
        self.children["fund_lines"].extend((vid, *r) for r in record.fund_lines)
        self.children["indicators"].extend((vid, *r) for r in record.indicators)
        self.children["findings"].extend((vid, *r) for r in record.findings)
