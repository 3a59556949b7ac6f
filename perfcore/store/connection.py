"""The DuckDB backend: the connection to one database file, its readers and its one writer.

Everything else in the package talks to the database through the small interface of
``Database`` (reads: ``rows``, ``record``, ``frame``; writes: ``write(fn)``, which hands
``fn`` a ``Tx`` with ``rows``, ``run``, ``insert``, ``update``) and the one SQL fragment that
differs between engines, ``any_of``. Nothing outside this module imports duckdb, except
``backup`` (EXPORT / IMPORT DATABASE are DuckDB's own).

Concurrency (DuckDB 2.0): one connection per Database, a ``cursor()`` per call (a connection
is not shareable across threads), one ``threading.Lock`` per database file and process
serialising writes, each write one transaction, so readers never see half an import.
Another process holding the file gives ``StoreLockedError`` with a Chinese message.
"""
from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import numpy as np

from perfcore.errors import StoreError, StoreLockedError
from perfcore.store.schema import column_types
from perfcore.vocab import LOCKED_MESSAGE

if TYPE_CHECKING:
    import pandas as pd

    from perfcore.accounts import Account

T = TypeVar("T")

DEFAULT_DB = Path("data") / "perfboard.duckdb"
READ_ONLY_MESSAGE = "数据库以只读方式打开，不能写入。"


def default_db_path() -> Path:
    """``$PERFBOARD_DB`` or ``data/perfboard.duckdb`` (its folder is created when missing)."""
    path = Path(os.environ.get("PERFBOARD_DB") or DEFAULT_DB)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def plain(value: Any) -> Any:
    """numpy / pandas scalars (ids taken from a DataFrame) as Python values DuckDB can bind."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if not isinstance(value, (str, bytes, int, float, bool)) and hasattr(value, "item"):
        return value.item()
    return value


def any_of(column: str) -> str:
    """SQL true when ``column`` is one of the values of a list bound to its one ``?``.

    (PostgreSQL would say ``column = ANY(?)``.)"""
    return f"list_contains(?, {column})"


_PATH_LOCKS: dict[str, threading.Lock] = {}
_PATH_LOCKS_GUARD = threading.Lock()


def _path_lock(path: str) -> threading.Lock:
    """One write lock per database file in this process: two Store objects on the same file
    share DuckDB's database instance, so their writes must queue behind the same lock."""
    key = str(Path(path).resolve())
    with _PATH_LOCKS_GUARD:
        return _PATH_LOCKS.setdefault(key, threading.Lock())


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreLockedError(f"{LOCKED_MESSAGE}（{path}）") from None
        raise StoreError(f"无法打开数据库文件“{path}”：{exc}") from None
    except duckdb.Error as exc:
        raise StoreError(f"无法打开数据库文件“{path}”：{exc}") from None


def _columns(cur: duckdb.DuckDBPyConnection, table: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Register ``rows`` (tuples aligned with ``names``) as the view ``_batch``; returns the
    SELECT list that casts each column to its type in ``table``.

    The columns go in as NumPy object arrays that DuckDB scans natively: ten times faster
    than binding Python lists to ``unnest(?)`` (``executemany`` costs ~0.5 ms a row), and
    unlike Arrow it does not pull pandas into the command line. (DuckDB 2.0: every earlier
    result on this cursor must be fully fetched before ``register``.)
    """
    types = column_types(table)
    unknown = [name for name in names if name not in types]
    if unknown:
        raise ValueError(f"{table} has no column {', '.join(unknown)}")
    batch = {
        name: np.fromiter(values, dtype=object, count=len(rows))
        for name, values in zip(names, zip(*rows, strict=True), strict=True)
    }
    cur.register("_batch", batch)
    return ", ".join(f"b.{name}::{types[name]} AS {name}" for name in names)


class Tx:
    """One write transaction: what ``Database.write`` hands to its function."""

    any_of = staticmethod(any_of)

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._cur.execute(sql, plain(list(params))).fetchall()

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        """A statement whose result nobody reads (drained: DuckDB blocks on unfinished results)."""
        self._cur.execute(sql, plain(list(params))).fetchall()

    def insert(self, table: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows (tuples aligned with the column ``names``) with one statement."""
        if not rows:
            return
        select = _columns(self._cur, table, names, rows)
        try:
            self.run(f"INSERT INTO {table} ({', '.join(names)}) SELECT {select} FROM _batch b")
        finally:
            self._cur.unregister("_batch")

    def update(self, table: str, key: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Set the columns ``names`` of the rows whose ``key`` matches; rows = (key, *values)."""
        if not rows:
            return
        _columns(self._cur, table, (key, *names), rows)
        types = column_types(table)
        assignments = ", ".join(f"{name} = b.{name}::{types[name]}" for name in names)
        try:
            self.run(f"UPDATE {table} SET {assignments} FROM _batch b WHERE {table}.{key} = b.{key}::{types[key]}")
        finally:
            self._cur.unregister("_batch")


class Database:
    """One DuckDB database file (or ``:memory:``): a cursor per read, writes one at a time.

    ``prepare`` runs once the connection is open, holding the write lock, before anyone
    reads (``perfcore.store.migrations.prepare``: create, check or upgrade the schema). It
    may close and reopen the file (``while_closed``) and write through ``transaction``.
    """

    any_of = staticmethod(any_of)
    # Who reads and writes through this object (perfcore.store.access applies its role and
    # scope); None is the system itself: the command line, migrations, tests.
    account: Account | None = None

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        prepare: Callable[[Database], None] | None = None,
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.in_memory = self.path == ":memory:"
        self._lock = threading.Lock() if self.in_memory else _path_lock(self.path)
        if not self.in_memory:
            if read_only and not Path(self.path).exists():
                raise StoreError(f"数据库文件“{self.path}”不存在。")
            if not read_only:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._con = _connect(self.path, read_only)
            if prepare is not None:
                try:
                    prepare(self)
                except BaseException:
                    self._con.close()
                    raise

    # --- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self._con.close()

    def as_account(self, account: Account | None) -> Database:
        """This database as one account sees it: the same connection and the same writer
        (one lock per file), with the account's role and scope applied by every module."""
        view = copy.copy(self)
        view.account = account
        return view

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def while_closed(self, fn: Callable[[], T]) -> T:
        """Close the file, run ``fn`` (which may copy it), reopen it. Only from ``prepare``."""
        self._con.close()
        try:
            return fn()
        finally:
            self._con = _connect(self.path, self.read_only)

    # --- reads ----------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._cursor() as cur:
            return cur.execute(sql, plain(list(params))).fetchall()

    def record(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row as {column: value}, or None."""
        with self._cursor() as cur:
            cur.execute(sql, plain(list(params)))
            row = cur.fetchone()
            names = [d[0] for d in cur.description]
            cur.fetchall()
        return None if row is None else dict(zip(names, row, strict=True))

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """A query's result as a DataFrame, through Arrow: 2× faster than ``.df()`` on the
        100,000-row tables of the department page (bench/README.md), same frame."""
        from pyarrow import types as arrow_types  # here, not at import: the CLI's import path needs no pandas

        with self._cursor() as cur:
            table = cur.sql(sql, params=plain(list(params)) or None).to_arrow_table()
        frame = table.to_pandas()
        for column in table.schema:  # integers with NULLs stay integers (as .df() gives them)
            if arrow_types.is_integer(column.type) and table.column(column.name).null_count:
                frame[column.name] = frame[column.name].astype(f"Int{column.type.bit_width}")
        return frame

    # --- the one writer ------------------------------------------------------------------------

    def write(self, fn: Callable[[Tx], T]) -> T:
        """Run fn in one transaction under the write lock; roll back on any error."""
        if self.read_only:
            raise StoreError(READ_ONLY_MESSAGE)
        with self._lock:
            return self.transaction(fn)

    def transaction(self, fn: Callable[[Tx], T]) -> T:
        """``write`` without taking the lock: only for ``prepare``, which holds it already."""
        with self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                result = fn(Tx(cur))
                cur.execute("COMMIT")
            except BaseException:
                try:
                    cur.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            return result

    def run_alone(self, sql: str) -> None:
        """One statement under the write lock, outside any transaction of ours (EXPORT DATABASE)."""
        with self._lock, self._cursor() as cur:
            cur.execute(sql).fetchall()
