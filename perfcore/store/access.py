"""Who may read and change what, enforced where every read and write passes: the store.

A ``Database`` carries the account it acts for (``Database.as_account``; None = the system:
command line, migrations, tests). Every filtered query gets ``scope_sql`` through
``queries._where``; reads of one version by id go through ``check_version``; writes call
``require`` for their permission and ``check_import`` (inside the import's transaction) for
the forms they bring and the versions those replace; and ``who`` names the account in the
audit trail, whatever name a page passed. A page that forgets a check therefore still shows
nothing outside the scope and changes nothing.

One rule for a unit's department: an uploader files a unit's forms only under the 主管部门 its
current forms are filed under (the first form of a new unit decides, within the scope).
Administrators and the system may move a unit (a reorganisation); the audit trail records it.
An id outside the scope reads exactly like an id that does not exist, so ids cannot be probed.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from perfcore.accounts import Permission, Scope, denied
from perfcore.errors import PermissionDenied
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


def unknown_or_outside(db: Database, what: str, ident: int) -> PermissionDenied:
    """The one refusal for an id a scoped account may not use, whether it exists or not."""
    return PermissionDenied(f"编号为 {ident} 的{what}不存在，或{outside(db)}，无权查看或修改。")


def check_version(db: Database, version_id: int) -> None:
    """For a scoped account, one PermissionDenied whether the version does not exist or lies
    outside the scope (telling them apart would let ids be probed); the full scope passes (each
    reader then says when the id does not exist)."""
    covered = scope(db)
    if covered is None:
        return
    rows = db.rows("SELECT department, unit FROM form_versions WHERE id = ?", [int(version_id)])
    if not rows or not covered.covers(*rows[0]):
        raise unknown_or_outside(db, "表单版本", version_id)


class Reader(Protocol):
    """A Database or the Tx of a write: what the import rules read through."""

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...


Incoming = tuple[int | None, str, str, str]  # year, 主管部门, 实施单位, 项目名称 of a form to import


def refusals(db: Database, forms: Sequence[Incoming], reader: Reader | None = None) -> list[str]:
    """Why each form may not be imported by this account ("" = it may), read through ``reader``
    (the import's own transaction; else ``db``). The system and administrators may import anything.

    Refused: a form whose department and unit lie outside the scope; a form that would replace
    a version (any stored version of its year + unit + project) outside the scope; a form of a
    known unit naming another 主管部门 than the unit's current forms (the first form of a new
    unit in a batch decides for the rest). Another unit's department is named only when the
    scope covers it.
    """
    account = db.account
    if account is None or account.is_admin:
        return [""] * len(forms)
    covered = account.effective_scope
    units = sorted({unit for _, _, unit, _ in forms})
    stored = (reader or db).rows(
        f"SELECT year, unit, project, department, is_current AND NOT deleted FROM form_versions "
        f"WHERE {db.any_of('unit')}", [units]) if units else []
    by_key: dict[tuple[int | None, str, str], list[str]] = {}
    homes: dict[str, set[str]] = {}
    for year, unit, project, department, current in stored:
        by_key.setdefault((year, unit, project), []).append(department)
        if current:
            homes.setdefault(unit, set()).add(department)
    out = []
    for year, department, unit, project in forms:
        out.append(_refusal(db, covered, department, unit, by_key.get((year, unit, project), []), homes))
        if not out[-1]:
            homes.setdefault(unit, {department})
    return out


def _refusal(db: Database, covered: Scope, department: str, unit: str, replaced: list[str],
             homes: dict[str, set[str]]) -> str:
    if not covered.covers(department, unit):
        return f"主管部门“{department or '（未填）'}”、实施单位“{unit}”{outside(db)}"
    if any(not covered.covers(old, unit) for old in replaced):
        return f"它会替换一张{outside(db)}的已导入自评表（年度、实施单位、项目名称相同）"
    home = homes.get(unit)
    if home and department not in home:
        named = sorted(d for d in home if covered.covers(d, unit))
        where = f"主管部门“{'、'.join(named)}”" if named else "另一个主管部门"
        return (f"实施单位“{unit}”已导入的自评表归在{where}下，本表填的是“{department or '（未填）'}”："
                "一个单位的自评表只能归在它自己的主管部门下，请核对表上的主管部门")
    return ""


def refused_text(forms: Sequence[Incoming], reasons: Sequence[str], limit: int = 5) -> str:
    """``2021年 单位·项目：原因；…`` for the refused forms (the first ``limit``, then how many)."""
    refused = [f"{year_label(year)} {unit}·{project}：{reason}"
               for (year, _, unit, project), reason in zip(forms, reasons, strict=True) if reason]
    return "；".join(refused[:limit]) + (f"；等共 {len(refused)} 张" if len(refused) > limit else "")


def check_import(db: Database, forms: Sequence[Incoming], reader: Reader | None = None) -> None:
    """Before an import writes anything (inside its transaction, ``reader``): the role may import
    and no form is refused (``refusals``); otherwise PermissionDenied naming the forms refused and why."""
    require(db, Permission.UPLOAD)
    reasons = refusals(db, forms, reader)
    if any(reasons):
        raise PermissionDenied(f"以下自评表不能由账号“{db.account.name if db.account else ''}”导入，"
                               f"本次未导入任何表：{refused_text(forms, reasons)}。")
