"""Copies of the database: Parquet backups, restoring one into a new file, the copy before an upgrade.

``export`` writes every table as Parquet (plus DuckDB's schema.sql / load.sql) in one
consistent snapshot (EXPORT DATABASE runs in one transaction; writes wait for it);
``import_into`` makes a new file from such a folder and never overwrites one. A backup of
an older schema restores as that schema and is upgraded when the new file is opened.
``copy_beside`` is the plain file copy migrations take before they change a file.
"""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from perfcore.errors import StoreError
from perfcore.store.connection import Database


def _literal(path: Path) -> str:
    """A path as a SQL string literal: EXPORT / IMPORT DATABASE take no parameters."""
    return "'" + str(path).replace("'", "''") + "'"


def export(db: Database, folder: str | os.PathLike[str]) -> Path:
    """Every table as Parquet into a new or empty folder."""
    dest = Path(folder)
    if dest.exists() and any(dest.iterdir()):
        raise StoreError(f"备份目录“{dest}”不是空的，请换一个新目录。")
    dest.parent.mkdir(parents=True, exist_ok=True)
    db.run_alone(f"EXPORT DATABASE {_literal(dest)} (FORMAT parquet)")
    return dest


def import_into(folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> Path:
    """A new database file at ``path`` from an ``export`` folder (the caller opens it)."""
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
    return target


def copy_beside(path: Path, tag: str) -> Path:
    """Copy a closed database file (and its WAL, if one was left) to ``<name>.<tag>-<time>``.

    Each copy is written under a temporary name, flushed to disk and only then renamed: a
    kill or a full disk mid-copy never leaves a truncated file under the backup's name.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.{tag}-{stamp}")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.{tag}-{stamp}-{n}")
    try:
        wal = path.with_name(path.name + ".wal")
        if wal.exists():  # the WAL first: the main file's name is what marks a complete copy
            durable_copy(wal, dest.with_name(dest.name + ".wal"))
        durable_copy(path, dest)
    except OSError as exc:
        raise StoreError(f"升级数据库前无法保存副本“{dest}”，数据库未作改动：{exc}") from None
    return dest


def durable_copy(src: Path, dest: Path) -> None:
    """``src`` copied to ``dest`` all or nothing: a hidden temporary file, fsync, rename, fsync the folder."""
    temp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        shutil.copy2(src, temp)
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, dest)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    folder = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
