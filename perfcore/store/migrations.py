"""Migrations: numbered, recorded steps from each older schema to the current one.

The database outlives many versions of perfboard, so every change to the tables is one
more step here (the sqlite-utils style): a name, a number (its position), the statements.
A database records the steps it has had in ``migrations (name, applied_at)`` and its
version in ``meta.schema_version`` (= the number of the last step).

Opening a file (``prepare``, run by the connection before anyone reads):

* a new (empty) file gets the current tables of ``schema.TABLES`` and every step recorded;
* an older file is first copied next to itself (``perfboard.duckdb.v1-backup-<time>``,
  a plain file copy while no connection holds it), then upgraded by its pending steps in
  one transaction: all of them or, on any error, none (the file stays as it was);
* a file from a newer perfboard (a version above ``SCHEMA_VERSION``) is refused, read-write
  or read-only, so that older code never writes into tables it does not know;
* a read-only open refuses an older file too (it cannot upgrade it): open it once
  read-write, e.g. by starting the app or running any command with ``--db``.

Version 1 is the schema as perfboard wrote it before this module existed (commit e298a55;
its ``meta.schema_version`` was already "1"); tests/fixtures/store/v1.duckdb.gz is such a file.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from perfcore.errors import StoreError
from perfcore.serialize import content_hash
from perfcore.store import backup
from perfcore.store.connection import Database, Tx
from perfcore.store.schema import schema_sql


@dataclass(frozen=True)
class Step:
    name: str
    statements: tuple[str, ...]
    why: str
    run: Callable[[Tx], None] | None = None  # Python work after the statements (same transaction)


def _canonical_hashes(tx: Tx) -> None:
    """Every stored version's content hash again, from its own form JSON (perfcore.formdiff rules)."""
    rows = tx.rows("SELECT id, content_hash, form_json FROM form_versions")
    fresh = [(vid, content_hash(json.loads(text))) for vid, old, text in rows]
    tx.update("form_versions", "id", ("content_hash",),
              [(vid, digest) for (vid, digest), (_, old, _) in zip(fresh, rows, strict=True) if digest != old])


# Never edit or reorder a step once released: add a new one. Statements must also be safe
# on files that gained the change some other way (ADD COLUMN IF NOT EXISTS): files written
# between e298a55 and the migrations already had reading_state, added on open.
MIGRATIONS: tuple[Step, ...] = (
    Step("0001_initial", (), "the tables as perfboard wrote them at schema version 1 (commit e298a55)"),
    Step(
        "0002_reading_state",
        ("ALTER TABLE form_versions ADD COLUMN IF NOT EXISTS reading_state VARCHAR",),
        "完整 / 需核实 / 无法计分 of each version; NULL (stored before) counts as 完整 until rescored",
    ),
    Step(
        "0003_rules_version",
        ("ALTER TABLE form_versions ADD COLUMN IF NOT EXISTS rules_version VARCHAR",),
        "which rules scored each version (perfcore.scoring.rules_version); NULL = unknown, so stale",
    ),
    Step(
        "0004_accounts",
        (
            "CREATE TABLE IF NOT EXISTS accounts (name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, "
            "departments VARCHAR[] NOT NULL, units VARCHAR[] NOT NULL, password_hash VARCHAR NOT NULL, "
            "disabled BOOLEAN NOT NULL, failed INTEGER NOT NULL, locked_until TIMESTAMP, "
            "created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)",
            "CREATE TABLE IF NOT EXISTS sessions (token_hash VARCHAR PRIMARY KEY, account VARCHAR NOT NULL, "
            "created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL)",
        ),
        "accounts (roles, unit scopes, argon2id hashes, locks) and sign-in sessions; none = single-user mode",
    ),
    Step(
        "0005_canonical_content_hash",
        (),
        "content hashes of what a form says, canonical (a re-save printing 100% as 100.00% is no new version)",
        _canonical_hashes,
    ),
    Step(
        "0006_layouts",
        (
            "CREATE TABLE IF NOT EXISTS layouts (id BIGINT PRIMARY KEY, department VARCHAR NOT NULL, "
            "labels VARCHAR[] NOT NULL, anchors_json VARCHAR NOT NULL, taught_json VARCHAR NOT NULL, "
            "file_name VARCHAR NOT NULL, sheet VARCHAR NOT NULL, user_name VARCHAR NOT NULL, "
            "created_at TIMESTAMP NOT NULL, active BOOLEAN NOT NULL, ended_at TIMESTAMP, ended_by VARCHAR)",
        ),
        "layouts staff taught (对照) per department: header row, columns and cells of a template the reader cannot place",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_MIGRATIONS_DDL = "CREATE TABLE IF NOT EXISTS migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL)"


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def file_version(db: Database) -> int | None:
    """The schema version a database records; None for a database without perfboard tables."""
    tables = {r[0] for r in db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")}
    if "meta" not in tables:
        if "form_versions" in tables:
            raise StoreError(f"数据库文件“{db.path}”缺少结构版本记录（meta 表），不是完整的 perfboard 数据库，无法打开。")
        return None
    rows = db.rows("SELECT value FROM meta WHERE key = 'schema_version'")
    try:
        return int(rows[0][0])
    except (IndexError, TypeError, ValueError):
        raise StoreError(f"数据库文件“{db.path}”的结构版本记录无法识别（{rows[0][0] if rows else '缺失'}）。") from None


def newer_message(path: str, version: int) -> str:
    return (
        f"数据库文件“{path}”由更新版本的 perfboard 创建（数据结构版本 {version}，本程序只认识到版本 "
        f"{SCHEMA_VERSION}）：请升级 perfboard 后再打开。为免损坏数据，本程序不会读写这个文件。"
    )


def older_read_only_message(path: str, version: int) -> str:
    return (
        f"数据库文件“{path}”是旧版数据结构（版本 {version}，当前为 {SCHEMA_VERSION}），只读方式无法升级：请先以读写方式"
        f"打开一次（启动看板，或运行任一带 --db 的命令，如 python -m perfcore seed --if-empty --db 该文件），"
        f"升级前会自动在旁边保存一份副本。"
    )


def prepare(db: Database) -> None:
    """Create, check or upgrade the schema of a freshly opened database (see the module doc)."""
    version = file_version(db)
    if version is None:
        if db.read_only:
            raise StoreError(f"数据库文件“{db.path}”里没有 perfboard 的数据表，不是 perfboard 数据库。")
        db.transaction(_create)
        return
    if version > SCHEMA_VERSION:
        raise StoreError(newer_message(db.path, version))
    if version == SCHEMA_VERSION:
        return
    if db.read_only:
        raise StoreError(older_read_only_message(db.path, version))
    copy: Path | None = None
    if not db.in_memory:
        copy = db.while_closed(lambda: backup.copy_beside(Path(db.path), f"v{version}-backup"))
    try:
        db.transaction(lambda tx: _upgrade(tx, version))
    except Exception as exc:
        kept = f"升级前的副本在“{copy}”。" if copy else ""
        raise StoreError(
            f"数据库文件“{db.path}”从数据结构版本 {version} 升级到 {SCHEMA_VERSION} 失败，文件未作任何改动：{exc}。{kept}"
        ) from exc


def _create(tx: Tx) -> None:
    """A new database: the current tables, every step recorded as applied now."""
    for statement in schema_sql():
        tx.run(statement)
    _record(tx, MIGRATIONS)


def _upgrade(tx: Tx, version: int) -> None:
    """The pending steps of a version-``version`` database, in order (inside one transaction)."""
    tx.run(_MIGRATIONS_DDL)
    applied = {r[0] for r in tx.rows("SELECT name FROM migrations")}
    # A version-1 file predates the migrations table: its step 1 is recorded when it is upgraded.
    done = [step for step in MIGRATIONS[:version] if step.name not in applied]
    pending = MIGRATIONS[version:]
    for step in pending:
        for statement in step.statements:
            tx.run(statement)
        if step.run is not None:
            step.run(tx)
    _record(tx, (*done, *pending))


def _record(tx: Tx, steps: Sequence[Step]) -> None:
    now = _now()
    tx.insert("migrations", ("name", "applied_at"), [(step.name, now) for step in steps])
    tx.run(
        "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [str(SCHEMA_VERSION)],
    )


def applied(db: Database) -> list[tuple[str, datetime]]:
    """The steps a database records, in order: (name, applied_at)."""
    return db.rows("SELECT name, applied_at FROM migrations ORDER BY name")

