"""Layouts staff taught (对照), kept per 主管部门: saved, listed, undone and deleted, each audited.

An uploader teaches for a department inside their scope; the import reads later uploads of
that department's templates with the mapping (``reading``). Undo (``deactivate``) keeps the
row, inactive, so the trail can show what was read with it; an administrator's ``delete``
removes it. The reader never sees this module: ``reading`` hands out plain ``Layout`` data.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from perfcore.accounts import Permission
from perfcore.errors import PermissionDenied, StoreError
from perfcore.layouts import Layout, describe, taught_from_json, taught_to_json
from perfcore.reader import Taught
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx
from perfcore.store.schema import column_names, row

ALL_DEPARTMENTS = ""  # a mapping for every department (administrators and the command line only)


def _where(department: str) -> str:
    return f"主管部门“{department}”" if department else "全部主管部门"


def _log(tx: Tx, action: str, user: str, detail: str) -> None:
    audit.append(tx, action, user, version_ids=[], forms="", detail=detail)


def _check_department(db: Database, department: str, unit: str) -> None:
    """PermissionDenied unless the account may teach for ``department`` (its own, or that of a unit it covers)."""
    covered = access.scope(db)
    if covered is None:
        return
    if not department:
        raise PermissionDenied("请填写这张表的主管部门：对照按主管部门保存，只有管理员可以保存适用于全部主管部门的对照。")
    if not covered.covers(department, unit):
        raise PermissionDenied(f"主管部门“{department}”{access.outside(db)}，不能为它保存对照。")


def save(db: Database, *, department: str, unit: str, labels: frozenset[str], anchors: Mapping[str, tuple[str, str]],
         taught: Taught, file_name: str, sheet: str, user: str) -> int:
    """Keep a mapping (uploaders within their scope); an active one of the same department and labels
    is replaced (made inactive). Returns the new id."""
    access.require(db, Permission.UPLOAD)
    department, unit = department.strip(), unit.strip()
    _check_department(db, department, unit)
    if not labels:
        raise StoreError(f"工作表“{sheet}”所选的行和单元格上没有可识别的标签，无法据此识别同一模板的其他表。")
    user = access.who(db, user)
    ordered = sorted(labels)

    def run(tx: Tx) -> int:
        new_id = tx.rows("SELECT coalesce(max(id), 0) + 1 FROM layouts")[0][0]
        old = [r[0] for r in tx.rows("SELECT id FROM layouts WHERE active AND department = ? AND labels = ?::VARCHAR[]",
                                     [department, ordered])]
        now = audit.now()
        if old:
            tx.run(f"UPDATE layouts SET active = false, ended_at = ?, ended_by = ? WHERE id IN ({', '.join('?' * len(old))})",
                   [now, user, *old])
        tx.insert("layouts", column_names("layouts"), [row(
            "layouts", id=new_id, department=department, labels=ordered,
            anchors_json=json.dumps(dict(anchors), ensure_ascii=False, sort_keys=True), taught_json=taught_to_json(taught),
            file_name=file_name, sheet=sheet, user_name=user, created_at=now, active=True, ended_at=None, ended_by=None,
        )])
        replaced = f"，取代对照 {'、'.join(f'#{i}' for i in old)}" if old else ""
        _log(tx, "layout_save", user, f"保存对照 #{new_id}（{_where(department)}；文件“{file_name}”工作表“{sheet}”；"
                                      f"{describe(taught)}{replaced}）")
        return int(new_id)

    return db.write(run)


_COLUMNS = ("id, department, labels, anchors_json, taught_json, file_name, sheet, user_name, created_at, active, "
            "ended_at, ended_by")


def _item(values: dict[str, Any]) -> dict[str, Any]:
    values["labels"] = sorted(values["labels"])
    values["anchors"] = {k: tuple(v) for k, v in json.loads(values.pop("anchors_json")).items()}
    values["taught"] = taught_from_json(values.pop("taught_json"))
    values["user"] = values.pop("user_name")
    return values


def _visible(db: Database) -> tuple[str, list[Any]]:
    """A WHERE fragment for the mappings an account reads with: every one for the system and
    administrators; else those of its departments, of the departments its units' forms name,
    for every department, and its own."""
    covered = access.scope(db)
    if covered is None:
        return "true", []
    scope_sql, scope_params = access.scope_sql(db, "v")
    account = db.account
    assert account is not None
    parts = ["department = ''", "user_name = ?",
             f"department IN (SELECT DISTINCT v.department FROM form_versions v WHERE {scope_sql})"]
    params: list[Any] = [account.name, *scope_params]
    if covered.departments:
        parts.insert(2, db.any_of("department"))
        params.insert(1, sorted(covered.departments))
    return f"({' OR '.join(parts)})", params


def reading(db: Database) -> list[Layout]:
    """The active mappings this account's uploads are read with (plain data for worker processes)."""
    where, params = _visible(db)
    rows = db.rows(f"SELECT id, department, labels, anchors_json, taught_json FROM layouts WHERE active AND {where}",
                   params)
    return [Layout(id=int(i), department=d, labels=frozenset(labels),
                   anchors=tuple(sorted((role, a1, key) for role, (a1, key) in json.loads(anchors).items())),
                   taught=taught_from_json(taught)) for i, d, labels, anchors, taught in rows]


def get(db: Database, layout_id: int) -> dict[str, Any]:
    """One mapping (inactive ones too): id, department, labels, anchors, taught, file_name, sheet, user,
    created_at, active, ended_at, ended_by."""
    where, params = _visible(db)
    found = db.record(f"SELECT {_COLUMNS} FROM layouts WHERE id = ? AND {where}", [int(layout_id), *params])
    if found is None:
        raise StoreError(f"没有编号为 {layout_id} 的对照（或不在本账号的范围内）。")
    return _item(found)


def listing(db: Database) -> list[dict[str, Any]]:
    """Every mapping, newest first (administrators), as ``get`` gives each."""
    access.require(db, Permission.MANAGE)
    return [_item(r) for r in db.frame(f"SELECT {_COLUMNS} FROM layouts ORDER BY id DESC").to_dict("records")]


def deactivate(db: Database, layout_id: int, user: str) -> bool:
    """Undo a mapping: later reads no longer use it (uploaders within its department, administrators).
    False when it was not active."""
    access.require(db, Permission.UPLOAD)
    found = get(db, layout_id)
    if db.account is not None and not db.account.is_admin and found["user"] != db.account.name:
        _check_department(db, found["department"], "")
    user = access.who(db, user)

    def run(tx: Tx) -> bool:
        if not tx.rows("SELECT 1 FROM layouts WHERE id = ? AND active", [int(layout_id)]):
            return False
        tx.run("UPDATE layouts SET active = false, ended_at = ?, ended_by = ? WHERE id = ?",
               [audit.now(), user, int(layout_id)])
        _log(tx, "layout_undo", user, f"撤销对照 #{layout_id}（{_where(found['department'])}；"
                                      f"文件“{found['file_name']}”工作表“{found['sheet']}”）：之后的表不再按它读取")
        return True

    return db.write(run)


def delete(db: Database, layout_id: int, user: str) -> None:
    """Remove a mapping for good (administrators)."""
    access.require(db, Permission.MANAGE)
    found = get(db, layout_id)
    user = access.who(db, user)

    def run(tx: Tx) -> None:
        tx.run("DELETE FROM layouts WHERE id = ?", [int(layout_id)])
        _log(tx, "layout_delete", user, f"删除对照 #{layout_id}（{_where(found['department'])}；"
                                        f"文件“{found['file_name']}”工作表“{found['sheet']}”；{describe(found['taught'])}）")

    db.write(run)

