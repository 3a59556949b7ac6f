"""Accounts and sign-in sessions: who exists, with which role and scope, and who is signed in.

Passwords arrive here only to be hashed (argon2id, perfcore.accounts) or verified; the
tables hold the hashes, never the text. A session is a random token the browser keeps in
a cookie; the table keeps its SHA-256 and an expiry. Every change, sign-in, failed sign-in,
lock and sign-out is an audit entry named after the account (or the name typed).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from perfcore.accounts import (
    Account,
    Permission,
    Scope,
    SignInRules,
    hash_password,
    new_token,
    role,
    token_hash,
    verify_password,
)
from perfcore.errors import PermissionDenied, StoreError
from perfcore.store import access, audit
from perfcore.store.connection import Database, Tx
from perfcore.store.schema import column_names, row

WRONG = "账号或密码不正确。"
NAME_LIMIT = 64  # characters of a typed name kept in the audit trail


class SignInFailed(PermissionDenied):
    """A sign-in refused: wrong name or password, a locked or a disabled account (Chinese message)."""


def count(db: Database) -> int:
    """How many accounts exist (disabled ones too): none means the local single-user mode."""
    return int(db.rows("SELECT count(*) FROM accounts")[0][0])


def _account(values: dict[str, Any]) -> Account:
    return Account(values["name"], role(values["role"]), Scope.of(values["departments"], values["units"]),
                   bool(values["disabled"]))


def get(db: Database, name: str) -> Account | None:
    found = db.record("SELECT name, role, departments, units, disabled FROM accounts WHERE name = ?", [name])
    return None if found is None else _account(found)


def listing(db: Database) -> list[dict[str, Any]]:
    """Every account (no hashes): name, role, role_label, departments, units, disabled, failed,
    locked_until, created_at, updated_at (datetimes as ISO text)."""
    access.require(db, Permission.MANAGE)
    rows = db.rows("SELECT name, role, departments, units, disabled, failed, locked_until, created_at, updated_at "
                   "FROM accounts ORDER BY name")
    keys = ("name", "role", "departments", "units", "disabled", "failed", "locked_until", "created_at", "updated_at")
    out = []
    for values in rows:
        item = dict(zip(keys, values, strict=True))
        item["role_label"] = role(item["role"]).label
        item["departments"], item["units"] = sorted(item["departments"]), sorted(item["units"])
        for key in ("locked_until", "created_at", "updated_at"):
            item[key] = item[key].isoformat(sep=" ") if item[key] is not None else None
        out.append(item)
    return out


def _log(tx: Tx, action: str, user: str, detail: str) -> None:
    audit.append(tx, action, user, version_ids=[], forms="", detail=detail)


def add(db: Database, name: str, role_name: str, scope: Scope, password: str, by: str) -> Account:
    """A new account (administrators only); the first one switches sign-in on."""
    access.require(db, Permission.MANAGE)
    name = name.strip()
    if not name:
        raise StoreError("账号名称不能为空。")
    kind = role(role_name)
    hashed = hash_password(password)  # ValueError (Chinese) for a password too short
    now = audit.now()

    def run(tx: Tx) -> None:
        if tx.rows("SELECT 1 FROM accounts WHERE name = ?", [name]):
            raise StoreError(f"账号“{name}”已存在。")
        tx.insert("accounts", column_names("accounts"), [row(
            "accounts", name=name, role=kind.name, departments=sorted(scope.departments), units=sorted(scope.units),
            password_hash=hashed, disabled=False, failed=0, locked_until=None, created_at=now, updated_at=now,
        )])
        _log(tx, "account", access.who(db, by), f"新建账号“{name}”：角色 {kind.label}，范围 {scope.label()}")

    db.write(run)
    return Account(name, kind, scope)


def _existing(tx: Tx, name: str) -> None:
    if not tx.rows("SELECT 1 FROM accounts WHERE name = ?", [name]):
        raise StoreError(f"没有账号“{name}”。")


def set_password(db: Database, name: str, password: str, by: str) -> None:
    """A new password; the lock and failure count are cleared and every session of the account ends."""
    access.require(db, Permission.MANAGE)
    hashed = hash_password(password)

    def run(tx: Tx) -> None:
        _existing(tx, name)
        tx.run("UPDATE accounts SET password_hash = ?, failed = 0, locked_until = NULL, updated_at = ? WHERE name = ?",
               [hashed, audit.now(), name])
        tx.run("DELETE FROM sessions WHERE account = ?", [name])
        _log(tx, "account", access.who(db, by), f"重设账号“{name}”的密码（已解除锁定，已有登录失效）")

    db.write(run)


def disable(db: Database, name: str, by: str) -> None:
    """The account can no longer sign in; its sessions end at once."""
    access.require(db, Permission.MANAGE)

    def run(tx: Tx) -> None:
        _existing(tx, name)
        tx.run("UPDATE accounts SET disabled = true, updated_at = ? WHERE name = ?", [audit.now(), name])
        tx.run("DELETE FROM sessions WHERE account = ?", [name])
        _log(tx, "account", access.who(db, by), f"停用账号“{name}”（已有登录失效）")

    db.write(run)


def sign_in(db: Database, name: str, password: str, rules: SignInRules) -> tuple[Account, str]:
    """(the account, a new session token) for the right password; SignInFailed otherwise.

    Wrong passwords count up; at ``rules.max_failures`` in a row the account locks for
    ``rules.lock_minutes`` (audited), and while locked even the right password is refused.
    The password is verified before the lock is looked at only when the account is not locked.
    """
    name = name.strip()
    typed = name[:NAME_LIMIT]
    found = db.record("SELECT name, role, departments, units, disabled, password_hash, failed, locked_until "
                      "FROM accounts WHERE name = ?", [name])
    now = audit.now()
    if found is None:
        verify_password(None, password)  # as slow as a wrong password: names cannot be probed by timing
        db.write(lambda tx: _log(tx, "sign_in_failed", typed, "登录失败：账号不存在"))
        raise SignInFailed(WRONG)
    if found["locked_until"] is not None and found["locked_until"] > now:
        db.write(lambda tx: _log(tx, "sign_in_failed", name, "登录失败：账号已锁定"))
        raise SignInFailed(locked_message(found["locked_until"]))
    if not verify_password(found["password_hash"], password):
        return _failed(db, name, int(found["failed"]) + 1, rules, now)
    if found["disabled"]:
        db.write(lambda tx: _log(tx, "sign_in_failed", name, "登录失败：账号已停用"))
        raise SignInFailed("该账号已停用，请联系管理员。")
    token = new_token()
    expires = now + timedelta(hours=rules.session_hours)

    def run(tx: Tx) -> None:
        tx.run("UPDATE accounts SET failed = 0, locked_until = NULL WHERE name = ?", [name])
        tx.run("DELETE FROM sessions WHERE expires_at <= ?", [now])
        tx.insert("sessions", column_names("sessions"), [row(
            "sessions", token_hash=token_hash(token), account=name, created_at=now, expires_at=expires)])
        _log(tx, "sign_in", name, f"登录（有效至 {expires:%Y-%m-%d %H:%M}）")

    db.write(run)
    return _account(found), token


def locked_message(until: datetime) -> str:
    return f"该账号因多次输错密码已锁定，请于 {until:%H:%M} 后再试，或请管理员重设密码。"


def _failed(db: Database, name: str, failures: int, rules: SignInRules, now: datetime) -> tuple[Account, str]:
    """Count a wrong password; lock the account at the configured count. Always raises SignInFailed."""
    lock = failures >= rules.max_failures
    until = now + timedelta(minutes=rules.lock_minutes) if lock else None

    def run(tx: Tx) -> None:
        tx.run("UPDATE accounts SET failed = ?, locked_until = ? WHERE name = ?", [0 if lock else failures, until, name])
        _log(tx, "sign_in_failed", name, f"登录失败：密码错误（连续第 {failures} 次）")
        if lock:
            _log(tx, "lock", name, f"连续 {failures} 次密码错误，账号锁定至 {until:%Y-%m-%d %H:%M}")

    db.write(run)
    if until is not None:
        raise SignInFailed(locked_message(until))
    left = rules.max_failures - failures
    raise SignInFailed(f"{WRONG}再错 {left} 次账号将被锁定。")


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
