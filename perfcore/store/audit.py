"""The audit trail: who imported, replaced, deleted, restored or rescored which versions, and when.

One entry per action, written in the same transaction as the change it records, so the
trail and the data never disagree. Actions: import / replace / delete / restore / rescore,
and refuse (an import the account's scope refused: nothing changed, so its own entry).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from perfcore.records import Key
from perfcore.store.connection import Tx
from perfcore.store.schema import column_names, row
from perfcore.vocab import year_label

NAMES = column_names("audit")


def now() -> datetime:
    return datetime.now().replace(microsecond=0)


def item(key: Key, version_id: int | None, **extra: Any) -> dict[str, Any]:
    """A form version as import reports and audit entries name it."""
    year, unit, project = key
    return {"year": year, "unit": unit, "project": project, "version_id": version_id, **extra}


def name(it: dict[str, Any]) -> str:
    """``2021年 单位·项目（版本 3）``: a version as a person reads it, by the form's own version number
    (``version_no``; the database id ``version_id`` is for links and the audit's id list)."""
    number = f"（版本 {it['version_no']}）" if it.get("version_no") is not None else ""
    return f"{year_label(it['year'])} {it['unit']}·{it['project']}{number}"


def describe(items: Iterable[dict[str, Any]], limit: int | None = None) -> str:
    """``2021年 单位·项目（版本 3）；…`` (the first ``limit`` items, then how many more)."""
    items = list(items)
    shown = items if limit is None else items[:limit]
    text = "；".join(name(it) for it in shown)
    if len(items) > len(shown):
        text += f"；等共 {len(items)} 个版本"
    return text


def entry(
    entry_id: int,
    at: datetime,
    action: str,
    user: str,
    *,
    version_ids: Sequence[int],
    forms: str,
    detail: str,
    file_name: str = "",
    sha256: str = "",
    import_id: int | None = None,
) -> tuple[object, ...]:
    """One audit row (for a batch that assigns its own ids, as an import does)."""
    return row(
        "audit", id=entry_id, at_time=at, action=action, user_name=user, file_name=file_name, sha256=sha256,
        import_id=import_id, version_ids=list(version_ids), forms=forms, detail=detail,
    )


def append(tx: Tx, action: str, user: str, *, version_ids: Sequence[int], forms: str, detail: str,
           file_name: str = "", sha256: str = "") -> int:
    """Add one entry outside an import's batch (delete, restore, rescore, refuse); returns its id."""
    entry_id = tx.rows("SELECT coalesce(max(id), 0) + 1 FROM audit")[0][0]
    tx.insert("audit", NAMES, [entry(entry_id, now(), action, user, version_ids=version_ids, forms=forms,
                                     detail=detail, file_name=file_name, sha256=sha256)])
    return entry_id
