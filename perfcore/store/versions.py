"""Versions of one form: what is stored for a key, one version's row and form, soft delete and restore.

``is_current`` marks the newest version of a key that is not deleted, so deleting the
current version shows the previous one again and restoring it brings it back. Views read
``is_current`` rows only; a version's form (any version, deleted ones too) stays loadable.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from perfcore.accounts import Permission
from perfcore.errors import StoreError
from perfcore.model import Form
from perfcore.serialize import content_hash, form_from_dict
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx

if TYPE_CHECKING:
    import pandas as pd

KEY_MATCH = "year IS NOT DISTINCT FROM ? AND unit = ? AND project = ?"


def form_status(db: Database, form: Form) -> str:
    """"new" (no current version), "same" (identical content) or "changed" (a key outside the
    account's scope reads as "new": its import is refused anyway, and nothing about it shows)."""
    scope, params = access.scope_sql(db, "form_versions")
    rows = db.rows(f"SELECT content_hash FROM form_versions WHERE {KEY_MATCH} AND is_current"
                   + (f" AND {scope}" if scope else ""), [*form.key, *params])
    if not rows:
        return "new"
    return "same" if rows[0][0] == content_hash(form) else "changed"


def load_form(db: Database, version_id: int) -> Form:
    """The Form exactly as imported (any version, deleted ones too)."""
    access.check_version(db, version_id)
    rows = db.rows("SELECT form_json FROM form_versions WHERE id = ?", [version_id])
    if not rows:
        raise StoreError(f"没有编号为 {version_id} 的表单版本。")
    return form_from_dict(json.loads(rows[0][0]))


def version_info(db: Database, version_id: int) -> dict[str, Any]:
    """One version's row: key, version_no, is_current, deleted, totals, grade, file, and the
    policy and rules version its stored scores were computed by."""
    access.check_version(db, version_id)
    info = db.record(
        """
        SELECT id AS version_id, year, department, unit, project, version_no, is_current,
               deleted, content_hash, import_id, file_name, sheet, imported_at,
               user_name AS "user", policy, declared_total, rule_total, difference, grade,
               initial, budget, executed, rate, exec_score, n_errors, n_warnings,
               reading_state, rules_version
        FROM form_versions WHERE id = ?
        """,
        [version_id],
    )
    if info is None:
        raise StoreError(f"没有编号为 {version_id} 的表单版本。")
    return info


def history(db: Database, year: int | None, unit: str, project: str) -> pd.DataFrame:
    """Every version of one form, newest first, deleted ones included (none outside the scope)."""
    scope, params = access.scope_sql(db)
    return db.frame(
        f"""
        SELECT v.id AS version_id, v.version_no, v.is_current, v.deleted, v.deleted_at,
               v.deleted_by, v.imported_at, v.file_name, v.sheet, v.user_name AS "user",
               v.import_id, v.content_hash, v.declared_total, v.rule_total, v.grade
        FROM form_versions v WHERE {KEY_MATCH} {"AND " + scope if scope else ""}
        ORDER BY v.version_no DESC
        """,
        [year, unit, project, *params],
    )


def set_deleted(db: Database, version_id: int, deleted: bool, user: str) -> bool:
    """Soft-delete (or restore) one version; False when it already was (or was not) deleted.
    Administrators only; the audit names the signed-in account."""
    access.require(db, Permission.MANAGE)
    user = access.who(db, user)
    return bool(db.write(lambda tx: _set_deleted(tx, [int(version_id)], deleted, user)))


def _set_deleted(tx: Tx, ids: list[int], deleted: bool, user: str) -> list[int]:
    """Mark versions deleted / restored, move is_current to each key's newest live version, audit it."""
    rows = tx.rows(
        f"SELECT id, year, unit, project, deleted, version_no FROM form_versions WHERE {tx.any_of('id')}", [ids]
    )
    if len(rows) < len(set(ids)):
        missing = sorted(set(ids) - {r[0] for r in rows})
        raise StoreError(f"没有编号为 {', '.join(map(str, missing))} 的表单版本。")
    changed = [r for r in rows if r[4] != deleted]
    if not changed:
        return []
    now = audit.now()
    changed_ids = [r[0] for r in changed]
    tx.run(
        f"UPDATE form_versions SET deleted = ?, deleted_at = ?, deleted_by = ? WHERE {tx.any_of('id')}",
        [deleted, now if deleted else None, user if deleted else None, changed_ids],
    )
    for key in sorted({(r[1], r[2], r[3]) for r in changed}, key=str):
        tx.run(
            f"""
            UPDATE form_versions SET is_current = coalesce(id = (
                SELECT id FROM form_versions WHERE {KEY_MATCH} AND NOT deleted
                ORDER BY version_no DESC LIMIT 1), false)
            WHERE {KEY_MATCH}
            """,
            [*key, *key],
        )
    items = [audit.item((r[1], r[2], r[3]), r[0], version_no=r[5]) for r in changed]
    audit.append(
        tx, "delete" if deleted else "restore", user, version_ids=changed_ids, forms=audit.describe(items),
        detail=f"{'删除' if deleted else '恢复'} {len(items)} 个版本",
    )
    return changed_ids
