"""DuckDB store of imported forms, their rule scores and findings: the only SQL in perfboard.

Why DuckDB: one file, no server, and the department views are aggregates over
hundreds of thousands of indicator rows, which it answers in milliseconds.

Schema (created on open; every statement below is parameterised)::

    meta          (key, value)                      -- schema_version
    imports       (id, file_name, sha256, imported_at, user_name, n_forms,
                   n_stored, n_replaced, n_skipped, status)
    form_versions (id, year, unit, project, department,  -- key = year + unit + project
                   version_no, is_current, deleted, deleted_at, deleted_by,
                   content_hash, import_id, file_name, sheet, first_row, imported_at, user_name,
                   policy, money_unit, initial, budget, executed,   -- 年度资金总额 row, yuan
                   rate, printed_rate, exec_weight, exec_declared, exec_score,
                   total_weight, declared_total, rule_total, difference, grade,
                   n_indicators, n_errors, n_warnings, n_infos,
                   form_json,                          -- serialize.form_to_dict, lossless
                   reading_state)                      -- 完整 / 需核实 / 无法计分
    fund_lines    (version_id, idx, kind, label, initial, budget, executed)
    indicators    (version_id, idx, level1, level2, name, target, actual, weight, declared,
                   score, status, deduction, explanation, note, cell)
    findings      (version_id, idx, code, severity, message, cell, indicator)
    audit         (id, at_time, action, user_name, file_name, sha256, import_id, version_ids, forms, detail)
                   -- action: import / replace / delete / restore
    scenarios     (id, version_id, name, changes_json, simulated, created_at, user_name)

Versions: a form's key is year + 实施单位 + 项目名称. Importing changed content for a key adds
version_no + 1 and makes it current; the old version stays (history). ``is_current`` marks the
newest version that is not deleted, so deleting the current version shows the previous one
again and restoring it brings it back. Views read ``is_current`` rows only.

Concurrency: one connection per Store, a ``cursor()`` per call (DuckDB connections are not
shareable across threads), one ``threading.Lock`` serialising writes, each write one
transaction, so readers never see half an import. Another process holding the file gives
``StoreLockedError`` with a Chinese message. ``backup`` / ``Store.restore`` copy the whole
database to Parquet files and back. Rows go in with one ``INSERT … SELECT`` from NumPy
columns per table and batch (DuckDB's ``executemany`` costs ~0.5 ms a row).
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import numpy as np

from perfcore.errors import StoreError, StoreLockedError
from perfcore.model import Form, Scorecard
from perfcore.records import FormRecord, Key, form_record
from perfcore.serialize import content_hash, form_from_dict

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

SCHEMA_VERSION = "1"
DEFAULT_DB = Path("data") / "perfboard.duckdb"
LOCKED_MESSAGE = (
    "数据库文件正被另一个进程（通常是正在运行的看板）占用：请先停止应用再导入，或在应用的上传页面导入。"
)
GRADES = ("优", "良", "中", "差")
DEDUCTION_GROUPS: dict[str, tuple[str, ...]] = {
    "level1": ("level1",),
    "level2": ("level1", "level2"),
    "indicator": ("level1", "level2", "name"),
    "unit": ("department", "unit"),
    "project": ("version_id", "year", "department", "unit", "project"),
}
SUMMARY_GROUPS = ("year", "department", "unit")
# The execution block counts as one more "indicator" in deduction views, so by project the
# deductions add up to 100 − rule total.
EXECUTION_LABEL = "预算执行率"

# --- schema: (column, type, constraint) per table; DDL and bulk inserts both come from here ---

Columns = tuple[tuple[str, str, str], ...]

TABLES: dict[str, Columns] = {
    "meta": (("key", "VARCHAR", "PRIMARY KEY"), ("value", "VARCHAR", "")),
    "imports": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sha256", "VARCHAR", "NOT NULL"),
        ("imported_at", "TIMESTAMP", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("n_forms", "INTEGER", "NOT NULL"),
        ("n_stored", "INTEGER", "NOT NULL"),
        ("n_replaced", "INTEGER", "NOT NULL"),
        ("n_skipped", "INTEGER", "NOT NULL"),
        ("status", "VARCHAR", "NOT NULL"),
    ),
    "form_versions": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("year", "INTEGER", ""),
        ("unit", "VARCHAR", "NOT NULL"),
        ("project", "VARCHAR", "NOT NULL"),
        ("department", "VARCHAR", "NOT NULL"),
        ("version_no", "INTEGER", "NOT NULL"),
        ("is_current", "BOOLEAN", "NOT NULL"),
        ("deleted", "BOOLEAN", "NOT NULL"),
        ("deleted_at", "TIMESTAMP", ""),
        ("deleted_by", "VARCHAR", ""),
        ("content_hash", "VARCHAR", "NOT NULL"),
        ("import_id", "BIGINT", "NOT NULL"),
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sheet", "VARCHAR", "NOT NULL"),
        ("first_row", "INTEGER", ""),
        ("imported_at", "TIMESTAMP", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("policy", "VARCHAR", ""),
        ("money_unit", "VARCHAR", ""),
        ("initial", "DOUBLE", ""),
        ("budget", "DOUBLE", ""),
        ("executed", "DOUBLE", ""),
        ("rate", "DOUBLE", ""),
        ("printed_rate", "DOUBLE", ""),
        ("exec_weight", "DOUBLE", ""),
        ("exec_declared", "DOUBLE", ""),
        ("exec_score", "DOUBLE", ""),
        ("total_weight", "DOUBLE", ""),
        ("declared_total", "DOUBLE", ""),
        ("rule_total", "DOUBLE", ""),
        ("difference", "DOUBLE", ""),
        ("grade", "VARCHAR", ""),
        ("n_indicators", "INTEGER", "NOT NULL"),
        ("n_errors", "INTEGER", "NOT NULL"),
        ("n_warnings", "INTEGER", "NOT NULL"),
        ("n_infos", "INTEGER", "NOT NULL"),
        ("form_json", "VARCHAR", "NOT NULL"),
        # 完整 / 需核实 / 无法计分 (perfcore.reading); last, so older files gain it by ALTER TABLE.
        ("reading_state", "VARCHAR", ""),
    ),
    "fund_lines": (
        ("version_id", "BIGINT", "NOT NULL"),
        ("idx", "INTEGER", "NOT NULL"),
        ("kind", "VARCHAR", "NOT NULL"),
        ("label", "VARCHAR", "NOT NULL"),
        ("initial", "DOUBLE", ""),
        ("budget", "DOUBLE", ""),
        ("executed", "DOUBLE", ""),
    ),
    "indicators": (
        ("version_id", "BIGINT", "NOT NULL"),
        ("idx", "INTEGER", "NOT NULL"),
        ("level1", "VARCHAR", "NOT NULL"),
        ("level2", "VARCHAR", "NOT NULL"),
        ("name", "VARCHAR", "NOT NULL"),
        ("target", "VARCHAR", "NOT NULL"),
        ("actual", "VARCHAR", "NOT NULL"),
        ("weight", "DOUBLE", ""),
        ("declared", "DOUBLE", ""),
        ("score", "DOUBLE", ""),
        ("status", "VARCHAR", ""),
        ("deduction", "DOUBLE", ""),
        ("explanation", "VARCHAR", ""),
        ("note", "VARCHAR", "NOT NULL"),
        ("cell", "VARCHAR", "NOT NULL"),
    ),
    "findings": (
        ("version_id", "BIGINT", "NOT NULL"),
        ("idx", "INTEGER", "NOT NULL"),
        ("code", "VARCHAR", "NOT NULL"),
        ("severity", "VARCHAR", "NOT NULL"),
        ("message", "VARCHAR", "NOT NULL"),
        ("cell", "VARCHAR", "NOT NULL"),
        ("indicator", "INTEGER", ""),
    ),
    "audit": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("at_time", "TIMESTAMP", "NOT NULL"),
        ("action", "VARCHAR", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
        ("file_name", "VARCHAR", "NOT NULL"),
        ("sha256", "VARCHAR", "NOT NULL"),
        ("import_id", "BIGINT", ""),
        ("version_ids", "BIGINT[]", "NOT NULL"),
        ("forms", "VARCHAR", "NOT NULL"),
        ("detail", "VARCHAR", "NOT NULL"),
    ),
    "scenarios": (
        ("id", "BIGINT", "PRIMARY KEY"),
        ("version_id", "BIGINT", "NOT NULL"),
        ("name", "VARCHAR", "NOT NULL"),
        ("changes_json", "VARCHAR", "NOT NULL"),
        ("simulated", "BOOLEAN", "NOT NULL"),
        ("created_at", "TIMESTAMP", "NOT NULL"),
        ("user_name", "VARCHAR", "NOT NULL"),
    ),
}


# Columns added after schema version 1 (files written before them gain them on open; their
# rows read NULL there, counted as scored until rescored).
_UPGRADES = ("ALTER TABLE form_versions ADD COLUMN IF NOT EXISTS reading_state VARCHAR",)
# Forms whose rule total and grade count in means and grade counts (NULL: stored before the
# reading report existed).
SCORED = "coalesce(v.reading_state, '完整') = '完整'"


def schema_sql() -> list[str]:
    """CREATE statements for every table (idempotent)."""
    return [
        f"CREATE TABLE IF NOT EXISTS {table} ("
        + ", ".join(f"{name} {typ} {extra}".strip() for name, typ, extra in cols)
        + ")"
        for table, cols in TABLES.items()
    ]


def default_db_path() -> Path:
    """``$PERFBOARD_DB`` or ``data/perfboard.duckdb`` (its folder is created when missing)."""
    path = Path(os.environ.get("PERFBOARD_DB") or DEFAULT_DB)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# --- public value types ---------------------------------------------------------------------


@dataclass
class Filters:
    """Which current forms a view covers. None or an empty list = no restriction; a list = any of."""

    year: int | Sequence[int] | None = None
    department: str | Sequence[str] | None = None
    unit: str | Sequence[str] | None = None
    grade: str | Sequence[str] | None = None
    project: str | Sequence[str] | None = None


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


# --- helpers --------------------------------------------------------------------------------


def _item(key: Key, version_id: int | None, **extra: Any) -> dict[str, Any]:
    year, unit, project = key
    return {"year": year, "unit": unit, "project": project, "version_id": version_id, **extra}


def _describe(items: Iterable[dict[str, Any]]) -> str:
    return "；".join(
        f"{it['year'] or '年度不详'}年 {it['unit']}·{it['project']}（版本 {it['version_id']}）" for it in items
    )


def _insert(cur: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows (tuples in TABLES column order) with one statement.

    The columns go in as NumPy object arrays that DuckDB scans natively, cast to the
    column types in SQL: ten times faster than binding Python lists to ``unnest(?)``,
    and unlike Arrow it does not pull pandas into the command line. (DuckDB 2.0: every
    earlier result on this cursor must be fully fetched before ``register``.)
    """
    if not rows:
        return
    cols = TABLES[table]
    batch = {
        name: np.fromiter(values, dtype=object, count=len(rows))
        for (name, _, _), values in zip(cols, zip(*rows, strict=True), strict=True)
    }
    names = ", ".join(name for name, _, _ in cols)
    select = ", ".join(f"{name}::{typ}" for name, typ, _ in cols)
    cur.register("_batch", batch)
    try:
        cur.execute(f"INSERT INTO {table} ({names}) SELECT {select} FROM _batch").fetchall()
    finally:
        cur.unregister("_batch")


def _plain(value: Any) -> Any:
    """numpy / pandas scalars (ids taken from a DataFrame) as Python values DuckDB can bind."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if not isinstance(value, (str, bytes, int, float, bool)) and hasattr(value, "item"):
        return value.item()
    return value


def _many(value: Any) -> list[Any] | None:
    """A filter value as a list (None when it does not restrict)."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, (str, int, float)):
        return [value]
    values = _plain(list(value))
    return values or None


_PATH_LOCKS: dict[str, threading.Lock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _path_lock(path: str) -> threading.Lock:
    """One write lock per database file in this process: two Store objects on the same file
    share DuckDB's database instance, so their writes must queue behind the same lock."""
    key = str(Path(path).resolve())
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(key, threading.Lock())


def _literal(path: Path) -> str:
    """A path as a SQL string literal: EXPORT / IMPORT DATABASE take no parameters."""
    return "'" + str(path).replace("'", "''") + "'"


def _limit(limit: int | None) -> list[int]:
    """The parameter of a ``LIMIT ?`` clause, or none."""
    return [] if limit is None else [int(limit)]


def _where(filters: Filters | None, alias: str = "v") -> tuple[str, list[Any]]:
    clauses, params = [f"{alias}.is_current"], []
    for name in ("year", "department", "unit", "grade", "project"):
        values = _many(getattr(filters, name)) if filters else None
        if values is not None:
            clauses.append(f"list_contains(?, {alias}.{name})")
            params.append(values)
    return " AND ".join(clauses), params


_KEY_MATCH = "year IS NOT DISTINCT FROM ? AND unit = ? AND project = ?"

# Aggregates shared by dept_summary and summary_by (one row per group).
_SUMMARY_SELECT = f"""
    count(*) AS n_forms,
    count(DISTINCT v.department) AS n_departments,
    count(DISTINCT v.unit) AS n_units,
    count(DISTINCT (v.unit, v.project)) AS n_projects,
    sum(v.initial) AS initial,
    sum(v.budget) AS budget,
    sum(v.executed) AS executed,
    sum(v.executed) FILTER (WHERE v.budget IS NOT NULL)
        / nullif(sum(v.budget) FILTER (WHERE v.executed IS NOT NULL), 0) AS rate,
    sum(v.executed) FILTER (WHERE v.initial IS NOT NULL)
        / nullif(sum(v.initial) FILTER (WHERE v.executed IS NOT NULL), 0) AS rate_vs_initial,
    avg(v.rule_total) FILTER (WHERE {SCORED}) AS mean_score,
    sum(v.rule_total * v.budget) FILTER (WHERE {SCORED})
        / nullif(sum(v.budget) FILTER (WHERE v.rule_total IS NOT NULL AND {SCORED}), 0) AS weighted_score,
    avg(v.declared_total) AS mean_declared,
    avg(v.difference) FILTER (WHERE {SCORED}) AS mean_difference,
    count(*) FILTER (WHERE v.difference > 0 AND {SCORED}) AS n_over_declared,
    count(*) FILTER (WHERE {SCORED}) AS n_scored,
    count(*) FILTER (WHERE v.reading_state = '需核实') AS n_to_verify,
    count(*) FILTER (WHERE v.reading_state = '无法计分') AS n_unscorable,
    coalesce(sum(v.n_errors), 0)::BIGINT AS n_errors,
    coalesce(sum(v.n_warnings), 0)::BIGINT AS n_warnings
"""


# Sums shared by both levels of the deductions query.
_SUMS = (
    "sum(weight) AS weight, sum(score) AS score, sum(deduction) AS deduction, "
    "sum(declared) AS declared, sum(declared_deduction) AS declared_deduction"
)


class Store:
    """The perfboard database. Thread-safe: a cursor per call, writes serialised."""

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = str(path)
        self.read_only = read_only
        in_memory = self.path == ":memory:"
        self._lock = threading.Lock() if in_memory else _path_lock(self.path)
        if not in_memory:
            if read_only and not Path(self.path).exists():
                raise StoreError(f"数据库文件“{self.path}”不存在。")
            if not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise StoreLockedError(f"{LOCKED_MESSAGE}（{self.path}）") from None
            raise StoreError(f"无法打开数据库文件“{self.path}”：{exc}") from None
        except duckdb.Error as exc:
            raise StoreError(f"无法打开数据库文件“{self.path}”：{exc}") from None
        if not read_only:
            with self._cursor() as cur:
                for statement in schema_sql():
                    cur.execute(statement)
                for statement in _UPGRADES:
                    cur.execute(statement)
                cur.execute(
                    "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING", [SCHEMA_VERSION]
                )

    # --- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def _write(self, fn: Callable[[duckdb.DuckDBPyConnection], T]) -> T:
        """Run fn in one transaction under the write lock; roll back on any error."""
        if self.read_only:
            raise StoreError("数据库以只读方式打开，不能写入。")
        with self._lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                result = fn(cur)
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            return result

    def _df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """A query's result as a DataFrame, through Arrow: 2× faster than ``.df()`` on the
        100,000-row tables of the department page (bench/README.md), same frame."""
        from pyarrow import types as arrow_types  # here, not at import: the CLI's import path needs no pandas

        with self._cursor() as cur:
            table = cur.sql(sql, params=_plain(list(params)) or None).to_arrow_table()
        frame = table.to_pandas()
        for column in table.schema:  # integers with NULLs stay integers (as .df() gives them)
            if arrow_types.is_integer(column.type) and table.column(column.name).null_count:
                frame[column.name] = frame[column.name].astype(f"Int{column.type.bit_width}")
        return frame

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            return cur.execute(sql, _plain(list(params))).fetchall()

    # --- import -----------------------------------------------------------------------------

    def import_forms(
        self,
        file_name: str,
        content: bytes,
        forms: Sequence[Form],
        scorecards: Sequence[Scorecard | None] | None = None,
        *,
        user: str = "",
    ) -> ImportReport:
        """Store one file's forms in one transaction (all or none). Raises StoreError on failure."""
        item = ImportFile(file_name, content, list(forms), scorecards)
        try:
            return self._write(lambda cur: _Importer(cur, user).run([item]))[0]
        except (StoreError, StoreLockedError):
            raise
        except Exception as exc:
            raise StoreError(f"文件“{file_name}”保存到数据库失败，未导入任何表：{exc}") from exc

    def import_many(self, files: Sequence[ImportFile], *, user: str = "") -> list[ImportReport]:
        """Store several files in one transaction; if that fails, file by file.

        Each file still lands whole or not at all; a file whose write fails gets a report with
        ``error`` set and does not stop the others. One transaction for a batch saves the
        per-statement cost (≈0.5 ms each) that dominates imports of many small files.
        """
        files = list(files)
        if not files:
            return []
        try:
            return self._write(lambda cur: _Importer(cur, user).run(files))
        except StoreError:
            raise
        except Exception as exc:
            if len(files) == 1:
                return [_failed(files[0], exc)]
        return [self._import_one_reporting(f, user) for f in files]

    def _import_one_reporting(self, item: ImportFile, user: str) -> ImportReport:
        try:
            return self._write(lambda cur: _Importer(cur, user).run([item]))[0]
        except StoreError:
            raise
        except Exception as exc:
            return _failed(item, exc)

    def form_status(self, form: Form) -> str:
        """"new" (no current version), "same" (identical content) or "changed"."""
        rows = self._rows(
            f"SELECT content_hash FROM form_versions WHERE {_KEY_MATCH} AND is_current", list(form.key)
        )
        if not rows:
            return "new"
        return "same" if rows[0][0] == content_hash(form) else "changed"

    # --- forms and versions -----------------------------------------------------------------

    def count_forms(self, filters: Filters | None = None) -> int:
        where, params = _where(filters)
        return self._rows(f"SELECT count(*) FROM form_versions v WHERE {where}", params)[0][0]

    def forms_table(self, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
        """Current forms, one row each, with amounts, totals, grade and finding counts.

        ``limit`` caps the rows (100,000 forms make a 200 ms frame nobody scrolls through).
        """
        where, params = _where(filters)
        params += _limit(limit)
        return self._df(
            f"""
            SELECT v.id AS version_id, v.year, v.department, v.unit, v.project,
                   v.initial, v.budget, v.executed, v.rate, v.declared_total, v.rule_total,
                   v.grade, v.n_errors, v.n_warnings, v.difference, v.n_indicators,
                   v.version_no, v.imported_at, v.file_name, v.sheet, v.user_name AS "user", v.reading_state
            FROM form_versions v WHERE {where}
            ORDER BY v.year DESC NULLS LAST, v.department, v.unit, v.project
            {"LIMIT ?" if limit is not None else ""}
            """,
            params,
        )

    def load_form(self, version_id: int) -> Form:
        """The Form exactly as imported (any version, deleted ones too)."""
        rows = self._rows("SELECT form_json FROM form_versions WHERE id = ?", [version_id])
        if not rows:
            raise StoreError(f"没有编号为 {version_id} 的表单版本。")
        return form_from_dict(json.loads(rows[0][0]))

    def version_info(self, version_id: int) -> dict[str, Any]:
        """One version's row (key, version_no, is_current, deleted, totals, grade, file)."""
        with self._cursor() as cur:
            cur.execute(
                """
                SELECT id AS version_id, year, department, unit, project, version_no, is_current,
                       deleted, content_hash, import_id, file_name, sheet, imported_at,
                       user_name AS "user", policy, declared_total, rule_total, difference, grade,
                       initial, budget, executed, rate, exec_score, n_errors, n_warnings
                FROM form_versions WHERE id = ?
                """,
                [_plain(version_id)],
            )
            row = cur.fetchone()
            if row is None:
                raise StoreError(f"没有编号为 {version_id} 的表单版本。")
            return dict(zip([d[0] for d in cur.description], row, strict=True))

    def history(self, year: int | None, unit: str, project: str) -> pd.DataFrame:
        """Every version of one form, newest first, deleted ones included."""
        return self._df(
            f"""
            SELECT v.id AS version_id, v.version_no, v.is_current, v.deleted, v.deleted_at,
                   v.deleted_by, v.imported_at, v.file_name, v.sheet, v.user_name AS "user",
                   v.import_id, v.content_hash, v.declared_total, v.rule_total, v.grade
            FROM form_versions v WHERE {_KEY_MATCH}
            ORDER BY v.version_no DESC
            """,
            [year, unit, project],
        )

    def imports_table(self) -> pd.DataFrame:
        return self._df(
            """
            SELECT id AS import_id, file_name, sha256, imported_at, user_name AS "user",
                   n_forms, n_stored, n_replaced, n_skipped, status
            FROM imports ORDER BY id DESC
            """
        )

    def audit_table(self) -> pd.DataFrame:
        return self._df(
            """
            SELECT id, at_time AS "at", action, user_name AS "user", file_name, sha256, import_id,
                   version_ids, forms, detail
            FROM audit ORDER BY id DESC
            """
        )

    def delete_version(self, version_id: int, user: str = "") -> bool:
        """Soft-delete one version (False if it already was). The previous one becomes current."""
        return bool(self._write(lambda cur: _set_deleted(cur, [int(version_id)], True, user)))

    def restore_version(self, version_id: int, user: str = "") -> bool:
        """Undo a delete (False if it was not deleted)."""
        return bool(self._write(lambda cur: _set_deleted(cur, [int(version_id)], False, user)))

    def delete_form(self, year: int | None, unit: str, project: str, user: str = "") -> int:
        """Soft-delete every version of one form; returns how many versions changed."""

        def run(cur: duckdb.DuckDBPyConnection) -> int:
            rows = cur.execute(f"SELECT id FROM form_versions WHERE {_KEY_MATCH}", _plain([year, unit, project])).fetchall()
            ids = [r[0] for r in rows]
            if not ids:
                raise StoreError(f"没有找到表单：{year}年 {unit}·{project}。")
            return len(_set_deleted(cur, ids, True, user))

        return self._write(run)

    # --- per-form detail --------------------------------------------------------------------

    def indicator_scores(self, version_id: int) -> pd.DataFrame:
        return self._df(
            """
            SELECT idx, level1, level2, name, target, actual, weight, declared, score, status,
                   deduction, explanation, note, cell
            FROM indicators WHERE version_id = ? ORDER BY idx
            """,
            [version_id],
        )

    def fund_lines(self, version_id: int) -> pd.DataFrame:
        return self._df(
            "SELECT idx, kind, label, initial, budget, executed FROM fund_lines WHERE version_id = ? ORDER BY idx",
            [version_id],
        )

    def findings(self, version_id: int | None = None, filters: Filters | None = None) -> pd.DataFrame:
        """Findings of one version, or of the current forms the filters select."""
        if version_id is not None:
            where, params = "v.id = ?", [version_id]
        else:
            where, params = _where(filters)
        return self._df(
            f"""
            SELECT f.version_id, v.year, v.department, v.unit, v.project, f.idx, f.code,
                   f.severity, f.message, f.cell, f.indicator
            FROM findings f JOIN form_versions v ON v.id = f.version_id
            WHERE {where}
            ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,
                     v.year DESC NULLS LAST, v.unit, v.project, f.idx
            """,
            params,
        )

    # --- department views (all aggregation in SQL) -----------------------------------------

    def dept_summary(self, filters: Filters | None = None) -> dict[str, Any]:
        """Totals of the selected current forms.

        Keys: n_forms, n_departments, n_units, n_projects, initial, budget, executed,
        rate (Σ executed / Σ budget), rate_vs_initial (Σ executed / Σ initial), mean_score,
        weighted_score (mean rule total weighted by full-year budget), mean_declared,
        mean_difference, n_over_declared, n_errors, n_warnings, grades {优, 良, 中, 差, ...}.
        Means, gaps and grades count forms read completely only (n_scored); forms to verify
        (n_to_verify, 需核实) and forms that cannot be scored (n_unscorable, 无法计分) are counted apart.
        """
        where, params = _where(filters)
        with self._cursor() as cur:
            cur.execute(f"SELECT {_SUMMARY_SELECT} FROM form_versions v WHERE {where}", params)
            names = [d[0] for d in cur.description]
            summary = dict(zip(names, cur.fetchone(), strict=True))
            grades = cur.execute(
                f"SELECT v.grade, count(*) FROM form_versions v WHERE {where} AND v.grade IS NOT NULL "
                "GROUP BY v.grade",
                params,
            ).fetchall()
        summary["grades"] = {g: 0 for g in GRADES} | dict(grades)
        return summary

    def summary_by(self, filters: Filters | None = None, by: str = "year") -> pd.DataFrame:
        """The dept_summary figures per year, department or unit (multi-year trends, rankings)."""
        if by not in SUMMARY_GROUPS:
            raise ValueError(f"by must be one of {SUMMARY_GROUPS}")
        where, params = _where(filters)
        return self._df(
            f"SELECT v.{by}, {_SUMMARY_SELECT} FROM form_versions v WHERE {where} "
            f"GROUP BY v.{by} ORDER BY v.{by}",
            params,
        )

    def grade_counts(self, filters: Filters | None = None, by: str | None = None) -> pd.DataFrame:
        """Forms per grade (long format), optionally per year / department / unit."""
        if by is not None and by not in SUMMARY_GROUPS:
            raise ValueError(f"by must be one of {SUMMARY_GROUPS}")
        where, params = _where(filters)
        group = f"v.{by}, " if by else ""
        return self._df(
            f"SELECT {group}v.grade, count(*) AS n FROM form_versions v "
            f"WHERE {where} AND v.grade IS NOT NULL GROUP BY ALL ORDER BY ALL",
            params,
        )

    def deductions(
        self, filters: Filters | None = None, by: str = "level1", *, limit: int | None = None
    ) -> pd.DataFrame:
        """Points lost (weight − rule score) summed by level1 / level2 / indicator / unit / project.

        Forms not read completely (需核实 / 无法计分) are left out: their missing scores are no
        deductions. The execution block is included as level1 = level2 = name = 预算执行率, so by project the
        deductions add up to 100 − rule total. Columns: the group columns, n_items (indicator
        rows), weight, score, deduction, declared, declared_deduction (weight − declared).
        By unit or project the indicator rows are first summed per form on the integer
        version_id, which keeps the query fast at millions of indicator rows. ``limit``: the
        largest deductions only (by project, 100,000 forms are 100,000 rows).
        """
        if by not in DEDUCTION_GROUPS:
            raise ValueError(f"by must be one of {tuple(DEDUCTION_GROUPS)}")
        where, params = _where(filters)
        group = ", ".join(DEDUCTION_GROUPS[by])
        execution = """
                SELECT version_id, ? AS level1, ? AS level2, ? AS name, 1 AS n,
                       exec_weight AS weight, exec_score AS score,
                       exec_weight - coalesce(exec_score, 0) AS deduction, exec_declared AS declared,
                       exec_weight - exec_declared AS declared_deduction
                FROM cur WHERE exec_weight IS NOT NULL"""
        indicators = """
                SELECT i.version_id, i.level1, i.level2, i.name, 1 AS n, i.weight, i.score, i.deduction,
                       i.declared, i.weight - i.declared AS declared_deduction
                FROM indicators i JOIN cur USING (version_id)"""
        if by in ("unit", "project"):
            # Sum per form on the integer version_id first, then attach names: grouping
            # 100,000 forms by five text columns cost three times as much.
            items = f"""
                SELECT * FROM (
                    SELECT version_id, sum(n)::BIGINT AS n_items, {_SUMS}
                    FROM ({indicators} UNION ALL BY NAME {execution}) GROUP BY version_id
                ) f JOIN cur USING (version_id)"""
            if by == "unit":
                items = f"SELECT {group}, sum(n_items)::BIGINT AS n_items, {_SUMS} FROM ({items}) GROUP BY {group}"
            select = f"SELECT {group}, n_items, weight, score, deduction, declared, declared_deduction FROM ({items})"
        else:
            select = f"""
                SELECT {group}, sum(n)::BIGINT AS n_items, {_SUMS}
                FROM ({indicators} UNION ALL BY NAME {execution}) GROUP BY {group}"""
        return self._df(
            f"""
            WITH cur AS (
                SELECT id AS version_id, year, department, unit, project, exec_weight, exec_score, exec_declared
                FROM form_versions v WHERE {where} AND {SCORED}
            )
            {select}
            ORDER BY deduction DESC NULLS LAST, {group}
            {"LIMIT ?" if limit is not None else ""}
            """,
            [*params, EXECUTION_LABEL, EXECUTION_LABEL, EXECUTION_LABEL, *_limit(limit)],
        )

    def declared_vs_rule(self, filters: Filters | None = None, *, limit: int | None = None) -> pd.DataFrame:
        """Declared and rule totals side by side per current form read completely, largest gap first."""
        where, params = _where(filters)
        params += _limit(limit)
        return self._df(
            f"""
            SELECT v.id AS version_id, v.year, v.department, v.unit, v.project,
                   v.declared_total, v.rule_total, v.difference, v.grade
            FROM form_versions v WHERE {where} AND {SCORED}
            ORDER BY v.difference DESC NULLS LAST, v.unit, v.project
            {"LIMIT ?" if limit is not None else ""}
            """,
            params,
        )

    def findings_by_code(self, filters: Filters | None = None) -> pd.DataFrame:
        """Findings counted per code: code, severity, n, n_forms, example message."""
        where, params = _where(filters)
        return self._df(
            f"""
            SELECT f.code, f.severity, count(*) AS n, count(DISTINCT f.version_id) AS n_forms,
                   min(f.message) AS example
            FROM findings f JOIN form_versions v ON v.id = f.version_id
            WHERE {where}
            GROUP BY f.code, f.severity
            ORDER BY n DESC, f.code
            """,
            params,
        )

    def years(self) -> list[int]:
        rows = self._rows(
            "SELECT DISTINCT year FROM form_versions WHERE is_current AND year IS NOT NULL ORDER BY year DESC"
        )
        return [r[0] for r in rows]

    def departments(self, filters: Filters | None = None) -> list[str]:
        return self._distinct("department", filters)

    def units(self, filters: Filters | None = None) -> list[str]:
        return self._distinct("unit", filters)

    def _distinct(self, column: str, filters: Filters | None) -> list[str]:
        where, params = _where(filters)
        rows = self._rows(f"SELECT DISTINCT v.{column} FROM form_versions v WHERE {where} ORDER BY 1", params)
        return [r[0] for r in rows]

    # --- backup -------------------------------------------------------------------------------

    def backup(self, folder: str | os.PathLike[str]) -> Path:
        """Write every table as Parquet (plus schema.sql / load.sql) into a new or empty folder.

        One consistent snapshot (EXPORT DATABASE runs in one transaction); writes wait for it.
        """
        dest = Path(folder)
        if dest.exists() and any(dest.iterdir()):
            raise StoreError(f"备份目录“{dest}”不是空的，请换一个新目录。")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._cursor() as cur:
            cur.execute(f"EXPORT DATABASE {_literal(dest)} (FORMAT parquet)")
        return dest

    @classmethod
    def restore(cls, folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> Store:
        """A new database file at ``path`` from a ``backup`` folder; never overwrites a file."""
        src, target = Path(folder), Path(path)
        if not (src / "schema.sql").is_file():
            raise StoreError(f"“{src}”不是数据库备份目录（缺少 schema.sql）。")
        if target.exists():
            raise StoreError(f"数据库文件“{target}”已存在：请恢复到一个新文件，确认无误后再替换。")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(target))
            try:
                con.execute(f"IMPORT DATABASE {_literal(src)}")
            finally:
                con.close()
        except duckdb.Error as exc:
            for leftover in (target, target.with_name(target.name + ".wal")):
                leftover.unlink(missing_ok=True)
            raise StoreError(f"从“{src}”恢复失败：{exc}") from None
        return cls(target)

    # --- what-if scenarios ------------------------------------------------------------------

    def save_scenario(
        self, version_id: int, name: str, changes: list[dict[str, Any]], simulated: bool, *, user: str = ""
    ) -> int:
        """Keep a what-if (a list of change dicts) for a version; returns the scenario id."""
        text = json.dumps(changes, ensure_ascii=False)

        def run(cur: duckdb.DuckDBPyConnection) -> int:
            new_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM scenarios").fetchall()[0][0]
            _insert(cur, "scenarios", [(new_id, int(version_id), name, text, bool(simulated), _now(), user)])
            return new_id

        return self._write(run)

    def scenarios(self, version_id: int) -> pd.DataFrame:
        return self._df(
            """
            SELECT id AS scenario_id, name, simulated, json_array_length(changes_json) AS n_changes,
                   created_at, user_name AS "user"
            FROM scenarios WHERE version_id = ? ORDER BY id DESC
            """,
            [version_id],
        )

    def load_scenario(self, scenario_id: int) -> dict[str, Any]:
        """{scenario_id, version_id, name, changes, simulated, created_at, user}."""
        rows = self._rows(
            "SELECT id, version_id, name, changes_json, simulated, created_at, user_name FROM scenarios WHERE id = ?",
            [scenario_id],
        )
        if not rows:
            raise StoreError(f"没有编号为 {scenario_id} 的模拟方案。")
        sid, vid, name, text, simulated, created, user = rows[0]
        return {
            "scenario_id": sid,
            "version_id": vid,
            "name": name,
            "changes": json.loads(text),
            "simulated": simulated,
            "created_at": created,
            "user": user,
        }

    def delete_scenario(self, scenario_id: int) -> None:
        self._write(lambda cur: cur.execute("DELETE FROM scenarios WHERE id = ?", [int(scenario_id)]))


# --- write internals --------------------------------------------------------------------------


def _failed(item: ImportFile, exc: Exception) -> ImportReport:
    return ImportReport(
        import_id=None,
        file=item.file_name,
        sha256=item.digest(),
        error=f"保存到数据库失败，本文件未导入任何表：{exc}",
    )


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


@dataclass
class _KeyState:
    """What the database (plus this batch so far) holds for one form key."""

    max_version: int = 0
    current_id: int | None = None
    current_hash: str | None = None


class _Importer:
    """Builds all rows for a batch of files inside one transaction, then inserts them table by table."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, user: str) -> None:
        self.cur = cur
        self.user = user
        self.now = _now()
        self.rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        self.superseded: set[int] = set()  # stored versions that stop being current

    def run(self, files: list[ImportFile]) -> list[ImportReport]:
        cur = self.cur
        hashes = [f.digest() for f in files]
        known = dict(
            cur.execute(
                "SELECT sha256, min(id) FROM imports WHERE list_contains(?, sha256) GROUP BY sha256", [hashes]
            ).fetchall()
        )
        keys = {record.key for f in files for record in f.prepared()}
        states = self._states(keys)
        ids = cur.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM imports), (SELECT coalesce(max(id), 0) FROM form_versions), "
            "(SELECT coalesce(max(id), 0) FROM audit)"
        ).fetchall()[0]
        self.next_import, self.next_version, self.next_audit = (i + 1 for i in ids)
        reports = [self._file(f, sha, known, states) for f, sha in zip(files, hashes, strict=True)]
        new_ids = {row[0] for row in self.rows["form_versions"]}
        self.rows["form_versions"] = [
            row[:6] + (row[0] not in self.superseded,) + row[7:] for row in self.rows["form_versions"]
        ]
        old = sorted(self.superseded - new_ids)
        if old:
            cur.execute("UPDATE form_versions SET is_current = false WHERE list_contains(?, id)", [old]).fetchall()
        for table in ("imports", "form_versions", "fund_lines", "indicators", "findings", "audit"):
            _insert(cur, table, self.rows[table])
        return reports

    def _states(self, keys: set[Key]) -> dict[Key, _KeyState]:
        states = {key: _KeyState() for key in keys}
        if not keys:
            return states
        years, units, projects = (list(col) for col in zip(*keys, strict=True))
        rows = self.cur.execute(
            f"""
            SELECT k.year, k.unit, k.project, max(v.version_no),
                   any_value(v.id) FILTER (WHERE v.is_current),
                   any_value(v.content_hash) FILTER (WHERE v.is_current)
            FROM (SELECT unnest(?::INTEGER[]) AS year, unnest(?::VARCHAR[]) AS unit,
                         unnest(?::VARCHAR[]) AS project) k
            JOIN form_versions v
              ON v.year IS NOT DISTINCT FROM k.year AND v.unit = k.unit AND v.project = k.project
            GROUP BY k.year, k.unit, k.project
            """,
            [years, units, projects],
        ).fetchall()
        for year, unit, project, max_version, current_id, current_hash in rows:
            states[(year, unit, project)] = _KeyState(max_version, current_id, current_hash)
        return states

    def _file(
        self,
        item: ImportFile,
        sha: str,
        known: dict[str, int],
        states: dict[Key, _KeyState],
    ) -> ImportReport:
        records = item.prepared()
        if sha in known:
            return ImportReport(
                import_id=known[sha],
                file=item.file_name,
                sha256=sha,
                skipped=[_item(r.key, states[r.key].current_id, reason="file") for r in records],
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
                report.skipped.append(_item(key, state.current_id, reason="same"))
                continue
            vid = self.next_version
            self.next_version += 1
            state.max_version += 1
            self._version_rows(vid, state.max_version, record, import_id, item.file_name)
            if state.current_id is None:
                report.stored.append(_item(key, vid, version_no=state.max_version))
            else:
                self.superseded.add(state.current_id)
                report.replaced.append(
                    _item(key, vid, version_no=state.max_version, previous_version_id=state.current_id)
                )
            state.current_id, state.current_hash = vid, digest
        self.rows["imports"].append(
            (
                import_id, item.file_name, sha, self.now, self.user, len(records),
                len(report.stored), len(report.replaced), len(report.skipped), report.status,
            )
        )
        detail = f"新增 {len(report.stored)}，替换 {len(report.replaced)}，跳过（内容未变）{len(report.skipped)}"
        actions = [(a, items) for a, items in (("import", report.stored), ("replace", report.replaced)) if items]
        for action, items in actions or [("import", [])]:
            self._audit(action, item.file_name, sha, import_id, items, detail)
        return report

    def _audit(
        self, action: str, file_name: str, sha: str, import_id: int | None, items: list[dict[str, Any]], detail: str
    ) -> None:
        self.rows["audit"].append(
            (
                self.next_audit, self.now, action, self.user, file_name, sha, import_id,
                [it["version_id"] for it in items], _describe(items), detail,
            )
        )
        self.next_audit += 1

    def _version_rows(self, vid: int, version_no: int, record: FormRecord, import_id: int, file_name: str) -> None:
        """The record's rows with the ids, version, file and user of this import filled in."""
        self.rows["form_versions"].append(
            (vid, *record.head, version_no, True, False, None, None, record.digest, import_id, file_name,
             *record.place, self.now, self.user, *record.body)
        )
        self.rows["fund_lines"].extend((vid, *row) for row in record.fund_lines)
        self.rows["indicators"].extend((vid, *row) for row in record.indicators)
        self.rows["findings"].extend((vid, *row) for row in record.findings)


def _set_deleted(cur: duckdb.DuckDBPyConnection, ids: list[int], deleted: bool, user: str) -> list[int]:
    """Mark versions deleted / restored, move is_current to each key's newest live version, audit it."""
    rows = cur.execute(
        "SELECT id, year, unit, project, deleted FROM form_versions WHERE list_contains(?, id)", [ids]
    ).fetchall()
    if len(rows) < len(set(ids)):
        missing = sorted(set(ids) - {r[0] for r in rows})
        raise StoreError(f"没有编号为 {', '.join(map(str, missing))} 的表单版本。")
    changed = [r for r in rows if r[4] != deleted]
    if not changed:
        return []
    now = _now()
    changed_ids = [r[0] for r in changed]
    cur.execute(
        "UPDATE form_versions SET deleted = ?, deleted_at = ?, deleted_by = ? WHERE list_contains(?, id)",
        [deleted, now if deleted else None, user if deleted else None, changed_ids],
    )
    for key in sorted({(r[1], r[2], r[3]) for r in changed}, key=str):
        cur.execute(
            f"""
            UPDATE form_versions SET is_current = coalesce(id = (
                SELECT id FROM form_versions WHERE {_KEY_MATCH} AND NOT deleted
                ORDER BY version_no DESC LIMIT 1), false)
            WHERE {_KEY_MATCH}
            """,
            [*key, *key],
        )
    items = [_item((r[1], r[2], r[3]), r[0]) for r in changed]
    next_id = cur.execute("SELECT coalesce(max(id), 0) + 1 FROM audit").fetchall()[0][0]
    action = "delete" if deleted else "restore"
    _insert(
        cur, "audit",
        [(next_id, now, action, user, "", "", None, changed_ids, _describe(items), f"{'删除' if deleted else '恢复'} {len(items)} 个版本")],
    )
    return changed_ids
