"""Who may see and change what: roles, their permissions, unit scopes, accounts, passwords.

Defined once here (no Streamlit, no SQL) for the store, which enforces them, the pages,
which build their menus from them, and the command line, which manages accounts.

Roles (CLI name → the word people read): viewer 查看 (pages that read, what-if without
saving), uploader 填报 (also upload / import and save scenarios, within the scope), admin
管理 (everything, all units: delete / restore, rescore, backup, accounts). A scope is a set
of 主管部门 and / or 实施单位: a form is inside when its department or its unit is listed;
an empty scope means every form.

Passwords are hashed with argon2id (argon2-cffi's defaults): no length limit that would cut a
Chinese password short (bcrypt stops at 72 bytes, 24 Chinese characters), memory-hard. A
password must pass ``check_password`` (length, not blank, not one character or a short run
repeated, not a run like 1234567890, not in data/common_passwords.txt).

Account names are compared as ``account_name`` writes them (NFKC, invisible format characters
removed, spaces trimmed): “管理员” followed by a zero-width space is “管理员”, in a new account
and at sign-in alike.
"""
from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD = 10  # characters; a Chinese character counts as one
NAME_MAX = 64  # characters of an account name
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


class Permission(Enum):
    READ = "read"        # every page that reads; what-if without saving
    UPLOAD = "upload"    # import / replace forms, save and delete what-if scenarios (within the scope)
    MANAGE = "manage"    # delete / restore, rescore, backup, audit trail, accounts (all units)


@dataclass(frozen=True)
class Role:
    name: str    # the command line's word: viewer / uploader / admin
    label: str   # the word people read: 查看 / 填报 / 管理
    permissions: frozenset[Permission]


ROLES: dict[str, Role] = {
    "viewer": Role("viewer", "查看", frozenset({Permission.READ})),
    "uploader": Role("uploader", "填报", frozenset({Permission.READ, Permission.UPLOAD})),
    "admin": Role("admin", "管理", frozenset(Permission)),
}
PERMISSION_LABELS = {Permission.READ: "查看数据", Permission.UPLOAD: "上传和导入自评表、保存模拟方案",
                     Permission.MANAGE: "删除与恢复、重新评分、备份、查看操作日志和管理账号"}


def role(name: str) -> Role:
    """A role by its CLI name or its Chinese label; KeyError (Chinese) otherwise."""
    for r in ROLES.values():
        if name in (r.name, r.label):
            return r
    raise KeyError(f"没有角色“{name}”：可选 {'、'.join(f'{r.name}（{r.label}）' for r in ROLES.values())}。")


@dataclass(frozen=True)
class Scope:
    """The 主管部门 and 实施单位 an account covers; both empty = every form."""

    departments: frozenset[str] = field(default_factory=frozenset)
    units: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, departments: Iterable[str] = (), units: Iterable[str] = ()) -> Scope:
        return cls(frozenset(d.strip() for d in departments if d.strip()),
                   frozenset(u.strip() for u in units if u.strip()))

    @classmethod
    def typed(cls, departments: Iterable[str] = (), units: Iterable[str] = ()) -> Scope:
        """A scope as a person typed it: ValueError (Chinese) for a blank name, which ``of``
        would drop silently and so widen the scope to every unit (``--unit ''``)."""
        for what, names in (("主管部门", departments), ("实施单位", units)):
            if any(not name.strip() for name in names):
                raise ValueError(f"{what}名称不能为空：请写出已导入的{what}名称，不限范围时不要写这一项。")
        return cls.of(departments, units)

    @property
    def everything(self) -> bool:
        return not self.departments and not self.units

    def covers(self, department: str | None, unit: str | None) -> bool:
        return self.everything or department in self.departments or unit in self.units

    def label(self) -> str:
        """“全部单位” or “主管部门：A、B；实施单位：C”."""
        if self.everything:
            return "全部单位"
        parts = [f"{what}：{'、'.join(sorted(names))}" for what, names in
                 (("主管部门", self.departments), ("实施单位", self.units)) if names]
        return "；".join(parts)


@dataclass(frozen=True)
class Account:
    """A signed-in person as the store and the pages see them (never the password hash)."""

    name: str
    role: Role
    scope: Scope = Scope()
    disabled: bool = False

    def can(self, permission: Permission) -> bool:
        return permission in self.role.permissions and not self.disabled

    @property
    def is_admin(self) -> bool:
        return self.can(Permission.MANAGE)

    @property
    def effective_scope(self) -> Scope:
        """What the store filters by: admins see every unit whatever scope was written down."""
        return Scope() if self.is_admin else self.scope

    def label(self) -> str:
        """“张三（填报 · 实施单位：A）”."""
        return f"{self.name}（{self.role.label} · {self.effective_scope.label()}）"


def denied(account: Account, permission: Permission) -> str:
    """The Chinese refusal of an action outside an account's role."""
    return (f"账号“{account.name}”（{account.role.label}）没有{PERMISSION_LABELS[permission]}的权限。"
            "如需此权限，请联系管理员。")


# --- passwords and session tokens -------------------------------------------------------------

_HASHER = PasswordHasher()  # argon2id, argon2-cffi's RFC 9106 low-memory profile


@cache
def _dummy() -> str:
    """Verified against when the name is unknown, so a wrong name costs as long as a wrong
    password (made on first use: hashing at import would slow every start)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


# --- account names ------------------------------------------------------------------------------


def _visible(name: str) -> str:
    """NFKC, format characters (zero-width spaces, joiners, BOM, direction marks: category Cf)
    removed, outer spaces trimmed: two names a person cannot tell apart become one."""
    text = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()


def account_name(name: str) -> str:
    """The name an account is stored and found under; ValueError (Chinese) for a name that
    is empty, too long, or holds control characters (tabs, line breaks, NUL …)."""
    text = _visible(name)
    if not text:
        raise ValueError("账号名称不能为空。")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError("账号名称不能含控制字符（如换行、制表符）。")
    if len(text) > NAME_MAX:
        raise ValueError(f"账号名称最多 {NAME_MAX} 个字符。")
    return text


def typed_name(name: str) -> str:
    """A name typed at sign-in, normalised as ``account_name`` but never refused ("" when
    nothing is left): whatever was typed is answered the same way."""
    return "".join(ch for ch in _visible(name) if unicodedata.category(ch) != "Cc")[:NAME_MAX]


# --- passwords and their rule -------------------------------------------------------------------


@cache
def common_passwords() -> frozenset[str]:
    """The list in data/common_passwords.txt, case-folded."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def _run(text: str) -> bool:
    """Every character one more (or one less) than the one before: 0123456789, abcdefghij, 9876543210."""
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return steps in ({1}, {-1})


def _repeated(text: str) -> bool:
    """A piece of at most four characters written again and again: 1212121212, abcabcabca."""
    return any(text == (text[:n] * (len(text) // n + 1))[:len(text)] for n in range(1, 5))


def password_problem(password: str) -> str | None:
    """Why a password may not be kept (Chinese), or None when it may."""
    if not password.strip():
        return "密码不能为空，也不能只有空格。"
    if len(password) < MIN_PASSWORD:
        return f"密码至少 {MIN_PASSWORD} 个字符（现在 {len(password)} 个）；中文字符也算一个。"
    folded = password.strip().casefold()
    if len(set(folded)) == 1:
        return "密码不能由同一个字符重复组成。"
    if _run(folded):
        return "密码不能是一串连续的字符（如 1234567890、abcdefghij）。"
    if _repeated(folded):
        return "密码不能是几个字符的简单重复（如 1212121212、abcabcabc）。"
    if folded in common_passwords():
        return "这是常见密码，很容易被猜到，请换一个。"
    return None


def check_password(password: str) -> None:
    """ValueError (Chinese, saying why) for a password that may not be kept."""
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)


def hash_password(password: str) -> str:
    check_password(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing or unreadable hash never matches."""
    try:
        return _HASHER.verify(stored_hash or _dummy(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A session token for the browser's cookie (256 random bits)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the sessions table keeps: a stolen database file gives no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInRules:
    """How sign-in resists guessing, and how long a session lasts (environment variables)."""

    max_failures: int = 5        # PERFBOARD_MAX_FAILURES: wrong passwords in a row before the lock
    lock_minutes: float = 15     # PERFBOARD_LOCK_MINUTES: how long; then counting starts again
    session_hours: float = 8     # PERFBOARD_SESSION_HOURS: a reload within this keeps one signed in
    delay_seconds: float = 1.0   # PERFBOARD_SIGNIN_DELAY: the pause after each wrong password

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> SignInRules:
        import os

        env = dict(os.environ) if env is None else env
        defaults = cls()

        def number(name: str, default: float) -> float:
            try:
                return float(env[name])
            except (KeyError, ValueError):
                return default

        return cls(
            max_failures=max(1, int(number("PERFBOARD_MAX_FAILURES", defaults.max_failures))),
            lock_minutes=number("PERFBOARD_LOCK_MINUTES", defaults.lock_minutes),
            session_hours=number("PERFBOARD_SESSION_HOURS", defaults.session_hours),
            delay_seconds=max(0.0, number("PERFBOARD_SIGNIN_DELAY", defaults.delay_seconds)),
        )
