"""Who may read and change what, enforced where every read and write passes: the store.

A ``Database`` carries the account it acts for (``Database.as_account``; None = the system:
command line, migrations, tests). Every filtered query gets ``scope_sql`` through
``queries._where``; reads of one version by id go through ``check_version``; writes call
``require`` for their permission and ``check_import`` for the forms they bring; and
``who`` names the account in the audit trail, whatever name a page passed. A page that
forgets a check therefore still shows nothing outside the scope and changes nothing.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from perfcore.accounts import Permission, Scope, denied
from perfcore.errors import PermissionDenied, StoreError
from perfcore.store.connection import Database
from perfcore.vocab import year_label


def scope(db: Database) -> Scope | None:
    """The units this database object may show; None = every form."""
    account = db.account
    if account is None or account.effective_scope.everything:
        return None
    return account.effective_scope


def scope_sql(db: Database, alias: str = "v") -> tuple[str, list[Any]]:
    """A WHERE fragment (and its parameters) keeping the versions inside the account's scope;
    ("", []) when it covers everything. A form is inside when its department or unit is listed."""
    covered = scope(db)
    if covered is None:
        return "", []
    parts, params = [], []
    for column, names in (("department", covered.departments), ("unit", covered.units)):
        if names:
            parts.append(db.any_of(f"{alias}.{column}"))
            params.append(sorted(names))
    return f"({' OR '.join(parts)})", params


def require(db: Database, permission: Permission) -> None:
    """PermissionDenied (Chinese) when the account's role lacks ``permission``."""
    account = db.account
    if account is not None and not account.can(permission):
        raise PermissionDenied(denied(account, permission))


def who(db: Database, typed: str) -> str:
    """The name the audit trail records: the signed-in account's, else what the caller gave."""
    return db.account.name if db.account is not None else typed


def outside(db: Database) -> str:
    account = db.account
    assert account is not None
    return f"不在账号“{account.name}”的单位范围（{account.effective_scope.label()}）内"


def check_version(db: Database, version_id: int) -> None:
    """PermissionDenied when a version exists but lies outside the scope (not named: that would leak it)."""
    covered = scope(db)
    if covered is None:
        return
    rows = db.rows("SELECT department, unit FROM form_versions WHERE id = ?", [int(version_id)])
    if not rows:
        raise StoreError(f"没有编号为 {version_id} 的表单版本。")
    if not covered.covers(*rows[0]):
        raise PermissionDenied(f"编号为 {version_id} 的表单版本{outside(db)}，无权查看或修改。")


def check_import(db: Database, forms: Iterable[tuple[int | None, str, str, str]]) -> None:
    """Before an import writes anything: the role may import, and every form (year, department,
    unit, project) lies inside the scope; otherwise PermissionDenied naming the forms refused."""
    require(db, Permission.UPLOAD)
    covered = scope(db)
    if covered is None:
        return
    refused = [f"{year_label(year)} {unit}·{project}" for year, department, unit, project in forms
               if not covered.covers(department, unit)]
    if refused:
        shown = "；".join(refused[:5]) + (f"；等共 {len(refused)} 张" if len(refused) > 5 else "")
        raise PermissionDenied(f"以下自评表{outside(db)}，本次未导入任何表：{shown}。")
