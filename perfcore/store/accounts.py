"""Accounts and sign-in sessions: who exists, with which role and scope, and who is signed in.

Passwords arrive here only to be hashed (argon2id, perfcore.accounts) or verified; the
tables hold the hashes, never the text. A session is a random token the browser keeps in
a cookie; the table keeps its SHA-256 and an expiry. Every change, sign-in, failed sign-in,
lock and sign-out is an audit entry named after the account (or the name typed).

Sign-in answers an unknown name, a wrong password and a locked account with the same words
(``WRONG``), so nobody learns which names exist or that a lock holds. The slow password check
runs outside the write lock; what it leads to (count a failure, lock, or open a session) is
decided in one transaction that reads the account again under the lock, so concurrent
guesses are each counted and none slips past a lock another guess has just set.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from perfcore.accounts import (
    Account,
    Permission,
    Role,
    Scope,
    SignInRules,
    account_name,
    hash_password,
    new_token,
    role,
    token_hash,
    typed_name,
    verify_password,
)
from perfcore.errors import PermissionDenied, StoreError
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx
from perfcore.store.schema import column_names, row

WRONG = "账号或密码不正确。"
DISABLED = "该账号已停用，请联系管理员。"
NAME_LIMIT = 64  # characters of a typed name kept in the audit trail
Clock = Callable[[], datetime]


class SignInFailed(PermissionDenied):
    """A sign-in refused: wrong name or password, a locked or a disabled account (Chinese message)."""


def count(db: Database) -> int:
    """How many accounts exist (disabled ones too): none means the local single-user mode."""
    return int(db.rows("SELECT count(*) FROM accounts")[0][0])


def count_admins(db: Database) -> int:
    """How many enabled administrators exist (none: nobody can manage accounts from the app)."""
    return int(db.rows("SELECT count(*) FROM accounts WHERE role = 'admin' AND NOT disabled")[0][0])


def _account(values: dict[str, Any]) -> Account:
    return Account(values["name"], role(values["role"]), Scope.of(values["departments"], values["units"]),
                   bool(values["disabled"]))


def get(db: Database, name: str) -> Account | None:
    found = db.record("SELECT name, role, departments, units, disabled FROM accounts WHERE name = ?",
                      [typed_name(name)])
    return None if found is None else _account(found)


def listing(db: Database, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every account (no hashes): name, role, role_label, departments, units, disabled, failed,
    locked_until, locked (the lock holds now), created_at, updated_at (datetimes as ISO text)."""
    access.require(db, Permission.MANAGE)
    now = now or audit.now()
    rows = db.rows("SELECT name, role, departments, units, disabled, failed, locked_until, created_at, updated_at "
                   "FROM accounts ORDER BY name")
    keys = ("name", "role", "departments", "units", "disabled", "failed", "locked_until", "created_at", "updated_at")
    out = []
    for values in rows:
        item = dict(zip(keys, values, strict=True))
        item["role_label"] = role(item["role"]).label
        item["departments"], item["units"] = sorted(item["departments"]), sorted(item["units"])
        item["locked"] = item["locked_until"] is not None and item["locked_until"] > now
        for key in ("locked_until", "created_at", "updated_at"):
            item[key] = item[key].isoformat(sep=" ") if item[key] is not None else None
        out.append(item)
    return out


def scope_choices(db: Database) -> tuple[list[str], list[str]]:
    """(主管部门, 实施单位) a scope may name: those of every stored form version, deleted ones too."""
    departments = [r[0] for r in db.rows("SELECT DISTINCT department FROM form_versions WHERE department <> '' ORDER BY 1")]
    units = [r[0] for r in db.rows("SELECT DISTINCT unit FROM form_versions WHERE unit <> '' ORDER BY 1")]
    return departments, units


def _check_scope(tx: Tx, scope: Scope) -> None:
    """StoreError (Chinese) when the scope names a 主管部门 or 实施单位 no stored form has, with
    the close names (a scope naming nothing real would show its account nothing)."""
    problems = []
    for what, column, names in (("主管部门", "department", scope.departments), ("实施单位", "unit", scope.units)):
        if not names:
            continue
        known = [r[0] for r in tx.rows(f"SELECT DISTINCT {column} FROM form_versions ORDER BY 1")]
        for name in sorted(set(names) - set(known)):
            close = difflib.get_close_matches(name, known, n=5, cutoff=0.3)
            hint = (f"相近的名称：{'、'.join(close)}" if close else
                    "数据库里还没有任何自评表" if not known else f"已有的{what}：{'、'.join(known[:10])}"
                    + ("等" if len(known) > 10 else ""))
            problems.append(f"没有{what}“{name}”（{hint}）")
    if problems:
        raise StoreError("；".join(problems) + "。范围只能写已导入自评表中的名称。")


def _log(tx: Tx, action: str, user: str, detail: str) -> None:
    audit.append(tx, action, user, version_ids=[], forms="", detail=detail)


def _taken(tx: Tx, name: str) -> str | None:
    """The stored name that reads as ``name`` once normalised (older names may not be), or None."""
    for (stored,) in tx.rows("SELECT name FROM accounts"):
        if typed_name(stored) == name:
            return str(stored)
    return None


def _insert(tx: Tx, name: str, kind: Role, scope: Scope, hashed: str) -> None:
    if (same := _taken(tx, name)) is not None:
        raise StoreError(f"账号“{name}”已存在" + ("。" if same == name else f"（与“{same}”写法不同但看起来相同）。"))
    now = audit.now()
    tx.insert("accounts", column_names("accounts"), [row(
        "accounts", name=name, role=kind.name, departments=sorted(scope.departments), units=sorted(scope.units),
        password_hash=hashed, disabled=False, failed=0, locked_until=None, created_at=now, updated_at=now,
    )])


def _name(name: str) -> str:
    try:
        return account_name(name)
    except ValueError as exc:
        raise StoreError(str(exc)) from None


def add(db: Database, name: str, role_name: str, scope: Scope, password: str, by: str) -> Account:
    """A new account (administrators only); the first one switches sign-in on. The name is
    normalised (``account_name``) and must differ from every other once normalised; the scope
    must name stored 主管部门 / 实施单位; ValueError (Chinese) for a password the rule refuses."""
    access.require(db, Permission.MANAGE)
    name = _name(name)
    kind = role(role_name)
    hashed = hash_password(password)

    def run(tx: Tx) -> None:
        _check_scope(tx, scope)
        _insert(tx, name, kind, scope, hashed)
        _log(tx, "account", access.who(db, by), f"新建账号“{name}”：角色 {kind.label}，范围 {scope.label()}")

    db.write(run)
    return Account(name, kind, scope)


FIRST_TAKEN = "已有账号，不能再用首次设置创建管理员：请登录后在“数据管理 → 账号管理”中新建账号。"


def first_admin(db: Database, name: str, password: str) -> Account:
    """The first administrator, from the app's first-run page: only while no account exists at
    all (then anyone at the page may do everything anyway), checked and written in one
    transaction, so of two browsers racing only one creates it. StoreError otherwise."""
    name = _name(name)
    hashed = hash_password(password)
    kind = role("admin")

    def run(tx: Tx) -> None:
        if tx.rows("SELECT 1 FROM accounts LIMIT 1"):
            raise StoreError(FIRST_TAKEN)
        _insert(tx, name, kind, Scope(), hashed)
        _log(tx, "account", name, f"首次设置：新建第一个管理员账号“{name}”，看板启用登录")

    db.write(run)
    return Account(name, kind)


def _stored(tx: Tx, name: str) -> str:
    """The stored name an administrator's ``name`` refers to (as typed, else normalised); StoreError if none."""
    if tx.rows("SELECT 1 FROM accounts WHERE name = ?", [name]):
        return name
    if (same := _taken(tx, typed_name(name))) is not None:
        return same
    raise StoreError(f"没有账号“{name}”。")


def _keep_an_admin(tx: Tx, name: str, what: str) -> None:
    """StoreError when ``name`` is the last enabled administrator: nobody could manage accounts
    from the app any more (the command line works only while the app is stopped)."""
    others = tx.rows("SELECT count(*) FROM accounts WHERE role = 'admin' AND NOT disabled AND name <> ?", [name])[0][0]
    mine = tx.rows("SELECT 1 FROM accounts WHERE role = 'admin' AND NOT disabled AND name = ?", [name])
    if mine and not others:
        raise StoreError(f"“{name}”是唯一可用的管理员账号，不能{what}：请先新建或启用另一个管理员账号。")


def _change(db: Database, name: str, by: str, fn: Callable[[Tx, str], str]) -> None:
    """One administrator's change to one account, in one transaction with its audit entry;
    ``fn`` makes the change and returns the entry's text."""
    access.require(db, Permission.MANAGE)

    def run(tx: Tx) -> None:
        stored = _stored(tx, name)
        _log(tx, "account", access.who(db, by), fn(tx, stored))

    db.write(run)


def set_password(db: Database, name: str, password: str, by: str) -> None:
    """A new password; the lock and failure count are cleared and every session of the account ends."""
    hashed = hash_password(password)

    def change(tx: Tx, stored: str) -> str:
        tx.run("UPDATE accounts SET password_hash = ?, failed = 0, locked_until = NULL, updated_at = ? WHERE name = ?",
               [hashed, audit.now(), stored])
        tx.run("DELETE FROM sessions WHERE account = ?", [stored])
        return f"重设账号“{stored}”的密码（已解除锁定，已有登录失效）"

    _change(db, name, by, change)


def set_role(db: Database, name: str, role_name: str, by: str) -> None:
    """Another role; the account's sessions end, so the next page it opens follows the new role."""
    kind = role(role_name)

    def change(tx: Tx, stored: str) -> str:
        if kind.name != "admin":
            _keep_an_admin(tx, stored, f"改为{kind.label}")
        old = role(tx.rows("SELECT role FROM accounts WHERE name = ?", [stored])[0][0])
        tx.run("UPDATE accounts SET role = ?, updated_at = ? WHERE name = ?", [kind.name, audit.now(), stored])
        tx.run("DELETE FROM sessions WHERE account = ?", [stored])
        return f"账号“{stored}”的角色由 {old.label} 改为 {kind.label}（已有登录失效）"

    _change(db, name, by, change)


def set_scope(db: Database, name: str, scope: Scope, by: str) -> None:
    """Another scope (stored 主管部门 / 实施单位 only); the account's sessions end."""
    def change(tx: Tx, stored: str) -> str:
        _check_scope(tx, scope)
        tx.run("UPDATE accounts SET departments = ?, units = ?, updated_at = ? WHERE name = ?",
               [sorted(scope.departments), sorted(scope.units), audit.now(), stored])
        tx.run("DELETE FROM sessions WHERE account = ?", [stored])
        return f"账号“{stored}”的范围改为 {scope.label()}（已有登录失效）"

    _change(db, name, by, change)


def disable(db: Database, name: str, by: str) -> None:
    """The account can no longer sign in; its sessions end at once. The last enabled
    administrator cannot be disabled."""
    def change(tx: Tx, stored: str) -> str:
        _keep_an_admin(tx, stored, "停用")
        tx.run("UPDATE accounts SET disabled = true, updated_at = ? WHERE name = ?", [audit.now(), stored])
        tx.run("DELETE FROM sessions WHERE account = ?", [stored])
        return f"停用账号“{stored}”（已有登录失效）"

    _change(db, name, by, change)


def enable(db: Database, name: str, by: str) -> None:
    """A disabled account may sign in again (with its old password)."""
    def change(tx: Tx, stored: str) -> str:
        tx.run("UPDATE accounts SET disabled = false, updated_at = ? WHERE name = ?", [audit.now(), stored])
        return f"启用账号“{stored}”"

    _change(db, name, by, change)


def unlock(db: Database, name: str, by: str) -> None:
    """End a lock at once and start counting wrong passwords from zero."""
    def change(tx: Tx, stored: str) -> str:
        tx.run("UPDATE accounts SET failed = 0, locked_until = NULL, updated_at = ? WHERE name = ?",
               [audit.now(), stored])
        return f"解除账号“{stored}”的锁定"

    _change(db, name, by, change)


def sign_in(db: Database, name: str, password: str, rules: SignInRules,
            clock: Clock = audit.now) -> tuple[Account, str]:
    """(the account, a new session token) for the right password; SignInFailed otherwise.

    Wrong passwords count up per account; at ``rules.max_failures`` in a row the account locks
    for ``rules.lock_minutes`` (audited), and while locked even the right password is refused
    with the same words as a wrong one. Once the lock has run out, counting starts again; an
    administrator may unlock at once. ``clock`` gives "now" (tests move it instead of sleeping).
    """
    typed = typed_name(name)
    found = db.record("SELECT password_hash FROM accounts WHERE name = ?", [typed])
    stored_hash = None if found is None else found["password_hash"]
    right = verify_password(stored_hash, password)  # as slow for an unknown name: no probing by timing
    now = clock()
    token = new_token()
    expires = now + timedelta(hours=rules.session_hours)

    def run(tx: Tx) -> Account | str:
        rows = tx.rows("SELECT name, role, departments, units, disabled, password_hash, failed, locked_until "
                       "FROM accounts WHERE name = ?", [typed])
        if not rows:
            _log(tx, "sign_in_failed", typed, "登录失败：账号不存在")
            return WRONG
        keys = ("name", "role", "departments", "units", "disabled", "password_hash", "failed", "locked_until")
        current = dict(zip(keys, rows[0], strict=True))
        until = current["locked_until"]
        if until is not None and until > now:
            _log(tx, "sign_in_failed", typed, f"登录失败：账号锁定中（至 {until:%Y-%m-%d %H:%M}），未核对密码")
            return WRONG
        failed = 0 if until is not None else int(current["failed"])  # a lock that ran out: count afresh
        if not right or current["password_hash"] != stored_hash:  # (a password changed meanwhile: not right)
            failed += 1
            lock = failed >= rules.max_failures
            locked_until = now + timedelta(minutes=rules.lock_minutes) if lock else None
            tx.run("UPDATE accounts SET failed = ?, locked_until = ? WHERE name = ?", [failed, locked_until, typed])
            _log(tx, "sign_in_failed", typed, f"登录失败：密码错误（连续第 {failed} 次）")
            if locked_until is not None:
                _log(tx, "lock", typed, f"连续 {failed} 次密码错误，账号锁定至 {locked_until:%Y-%m-%d %H:%M}")
            return WRONG
        if current["disabled"]:
            _log(tx, "sign_in_failed", typed, "登录失败：账号已停用")
            return DISABLED
        tx.run("UPDATE accounts SET failed = 0, locked_until = NULL WHERE name = ?", [typed])
        tx.run("DELETE FROM sessions WHERE expires_at <= ?", [now])
        tx.insert("sessions", column_names("sessions"), [row(
            "sessions", token_hash=token_hash(token), account=typed, created_at=now, expires_at=expires)])
        _log(tx, "sign_in", typed, f"登录（有效至 {expires:%Y-%m-%d %H:%M}）")
        return _account(current)

    outcome = db.write(run)
    if isinstance(outcome, str):
        raise SignInFailed(outcome)
    return outcome, token


def session_account(db: Database, token: str) -> Account | None:
    """The account a session token signs in, while the session lasts and the account is enabled."""
    if not token:
        return None
    found = db.record(
        "SELECT a.name, a.role, a.departments, a.units, a.disabled FROM sessions s JOIN accounts a ON a.name = s.account "
        "WHERE s.token_hash = ? AND s.expires_at > ? AND NOT a.disabled",
        [token_hash(token), audit.now()],
    )
    return None if found is None else _account(found)


def sign_out(db: Database, token: str) -> None:
    """End a session (the token stops working at once, whatever the browser still keeps)."""
    digest = token_hash(token)

    def run(tx: Tx) -> None:
        rows = tx.rows("SELECT account FROM sessions WHERE token_hash = ?", [digest])
        tx.run("DELETE FROM sessions WHERE token_hash = ?", [digest])
        if rows:
            _log(tx, "sign_out", rows[0][0], "退出登录")

    db.write(run)
