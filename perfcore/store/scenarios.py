"""What-if scenarios kept for a form version: a name and a list of change dicts (perfcore.whatif)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from perfcore.accounts import Permission
from perfcore.errors import PermissionDenied, StoreError
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx
from perfcore.store.schema import column_names, row

if TYPE_CHECKING:
    import pandas as pd


def save(db: Database, version_id: int, name: str, changes: list[dict[str, Any]], simulated: bool, user: str) -> int:
    """Keep a what-if for a version (uploaders and administrators, within the scope); returns the scenario id."""
    access.require(db, Permission.UPLOAD)
    access.check_version(db, version_id)
    user = access.who(db, user)
    text = json.dumps(changes, ensure_ascii=False)

    def run(tx: Tx) -> int:
        new_id = tx.rows("SELECT coalesce(max(id), 0) + 1 FROM scenarios")[0][0]
        tx.insert("scenarios", column_names("scenarios"), [row(
            "scenarios", id=new_id, version_id=int(version_id), name=name, changes_json=text,
            simulated=bool(simulated), created_at=audit.now(), user_name=user,
        )])
        return new_id

    return db.write(run)


def listing(db: Database, version_id: int) -> pd.DataFrame:
    """The scenarios of a version, newest first: scenario_id, name, simulated, n_changes, created_at, user."""
    access.check_version(db, version_id)
    return db.frame(
        """
        SELECT id AS scenario_id, name, simulated, json_array_length(changes_json) AS n_changes,
               created_at, user_name AS "user"
        FROM scenarios WHERE version_id = ? ORDER BY id DESC
        """,
        [version_id],
    )


def load(db: Database, scenario_id: int) -> dict[str, Any]:
    """{scenario_id, version_id, name, changes, simulated, created_at, user}."""
    found = db.record(
        """
        SELECT id AS scenario_id, version_id, name, changes_json, simulated, created_at, user_name AS "user"
        FROM scenarios WHERE id = ?
        """,
        [scenario_id],
    )
    if access.scope(db) is not None:  # one answer whether it does not exist or lies outside the scope
        try:
            if found is None:
                raise access.unknown_or_outside(db, "模拟方案", scenario_id)
            access.check_version(db, found["version_id"])
        except PermissionDenied:
            raise access.unknown_or_outside(db, "模拟方案", scenario_id) from None
    if found is None:
        raise StoreError(f"没有编号为 {scenario_id} 的模拟方案。")
    found["changes"] = json.loads(found.pop("changes_json"))
    return found


def delete(db: Database, scenario_id: int) -> None:
    """Forget a scenario (uploaders and administrators, of a version within the scope)."""
    access.require(db, Permission.UPLOAD)
    load(db, scenario_id)
    db.write(lambda tx: tx.run("DELETE FROM scenarios WHERE id = ?", [int(scenario_id)]))
