"""Accounts managed while the service runs, on a real DuckDB file: concurrent wrong guesses all
counted, one answer for unknown / wrong / locked, the lock's length on an injected clock, the
password rule, names normalised before they are compared, scopes that name stored units, the
first administrator created once, and the last administrator kept."""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from perfcore.accounts import Scope, SignInRules, account_name, password_problem, typed_name
from perfcore.errors import StoreError
from perfcore.store import Store
from perfcore.store.accounts import FIRST_TAKEN, WRONG, SignInFailed
from tests.test_store import form, full

PASSWORD = "正确的密码-correct-1"
RULES = SignInRules(max_failures=5, lock_minutes=15, session_hours=8, delay_seconds=0)
GUESSERS = 12  # the browser sessions of the report that were counted as 2 failures


def together(n: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run fn(0..n-1) in n threads released at once by a barrier; each result or the exception it raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def one(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[i] = fn(i)
        except Exception as exc:  # kept to be asserted on
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return results


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "accounts.duckdb") as s:
        a, b = form("项目甲", "单位A"), form("项目乙", "单位B", department="部门二")
        s.import_forms("ab.xlsx", b"ab", [a, b], [full(a), full(b)])
        s.add_account("管理员", "admin", password=PASSWORD, by="测试")
        yield s


def details(store: Store, action: str) -> list[str]:
    log = store.audit_table(action=action)
    return list(log["detail"])


def test_concurrent_wrong_guesses_are_each_counted_and_the_lock_holds(store: Store, tmp_path: Path) -> None:
    # half the guessers through a second Store object on the same file, as a second page would
    with Store(tmp_path / "accounts.duckdb") as other:
        outcomes = together(GUESSERS, lambda i: (store if i % 2 else other).sign_in("管理员", f"猜的密码-{i}", RULES))
    assert all(isinstance(o, SignInFailed) and str(o) == WRONG for o in outcomes), outcomes
    failed = details(store, "sign_in_failed")
    assert len(failed) == GUESSERS
    assert sum("密码错误" in d for d in failed) == RULES.max_failures  # every guess up to the lock counted
    assert sum("账号锁定中" in d for d in failed) == GUESSERS - RULES.max_failures
    assert len(details(store, "lock")) == 1
    with pytest.raises(SignInFailed, match=WRONG):
        store.sign_in("管理员", PASSWORD, RULES)  # the right password does not get past the lock
    listed = store.accounts()[0]
    assert listed["locked"] and listed["failed"] == RULES.max_failures


def test_right_and_wrong_passwords_at_once_never_slip_past_a_lock(store: Store) -> None:
    """Guesses and the right password raced: whatever order the writes take, no sign-in
    succeeds after the lock's entry, and the count at the lock is the configured one."""
    outcomes = together(GUESSERS, lambda i: store.sign_in("管理员", PASSWORD if i == GUESSERS - 1 else f"错-{i}", RULES))
    log = store.audit_table(action=["sign_in", "lock"]).iloc[::-1]
    actions = list(log["action"])
    assert actions.count("lock") <= 1 and actions.count("sign_in") <= 1
    if "lock" in actions and "sign_in" in actions:
        assert actions.index("sign_in") < actions.index("lock")
    signed_in = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(signed_in) == actions.count("sign_in")


def test_the_lock_lasts_its_minutes_on_an_injected_clock_and_an_admin_unlocks(store: Store) -> None:
    store.add_account("李四", "viewer", password=PASSWORD, by="测试")
    start = datetime(2026, 12, 6, 9, 0, 0)

    def at(minutes: float) -> Callable[[], datetime]:
        return lambda: start + timedelta(minutes=minutes)

    for i in range(RULES.max_failures):
        with pytest.raises(SignInFailed, match=WRONG):
            store.sign_in("李四", f"错-{i}", RULES, clock=at(i * 0.1))
    with pytest.raises(SignInFailed, match=WRONG):
        store.sign_in("李四", PASSWORD, RULES, clock=at(14.9))  # locked until 9:15.4
    lisi = {a["name"]: a for a in store.accounts(now=start + timedelta(minutes=15))}["李四"]
    assert lisi["locked"] and lisi["locked_until"] == "2026-12-06 09:15:24"
    account, _ = store.sign_in("李四", PASSWORD, RULES, clock=at(15.5))  # the lock ran out
    assert account.name == "李四"
    # counting starts afresh: four more wrong ones do not lock, the fifth does
    for i in range(RULES.max_failures - 1):
        with pytest.raises(SignInFailed):
            store.sign_in("李四", f"错-{i}", RULES, clock=at(20))
    store.sign_in("李四", PASSWORD, RULES, clock=at(20))  # and a right one resets it
    for i in range(RULES.max_failures):
        with pytest.raises(SignInFailed):
            store.sign_in("李四", f"错-{i}", RULES, clock=at(30))
    with pytest.raises(SignInFailed):
        store.sign_in("李四", PASSWORD, RULES, clock=at(31))
    store.as_user(store.account_named("管理员")).unlock_account("李四", by="伪造")
    assert store.sign_in("李四", PASSWORD, RULES, clock=at(31))[0].name == "李四"
    assert details(store, "account")[0] == "解除账号“李四”的锁定"
    assert store.audit_table(action="account")["user"].iloc[0] == "管理员"  # the signed-in admin, not the typed name
    assert len(details(store, "lock")) == 2


@pytest.mark.parametrize(("password", "why"), [
    ("", "不能为空"), (" " * 12, "不能为空"), ("\u3000" * 10, "不能为空"), ("12345678", "至少 10 个字符（现在 8 个）"),
    ("短密码", "至少 10 个字符（现在 3 个）"), ("aaaaaaaaaaaa", "同一个字符"), ("哈" * 10, "同一个字符"),
    ("abcdefghijkl", "连续"), ("9876543210", "连续"), ("1212121212", "重复"), ("abcabcabcabc", "重复"),
    ("1234567890", "常见密码"), ("Password123", "常见密码"), ("  admin12345 ", "常见密码"), ("QWERTYUIOP", "常见密码"),
])
def test_the_password_rule_says_why_in_chinese(password: str, why: str) -> None:
    assert why in (password_problem(password) or "")


@pytest.mark.parametrize("password", [PASSWORD, "财政项目绩效自评十个字", "correct horse battery", "k3#Lp9!vQz"])
def test_the_password_rule_keeps_good_ones(password: str) -> None:
    assert password_problem(password) is None


def test_names_are_normalised_and_unique_after_it(store: Store) -> None:
    assert account_name(" 管理员\u200b ") == "管理员" and account_name("ＡＢＣ\ufeff") == "ABC"
    assert typed_name("管\u200d理\u2060员\x00") == "管理员"
    for same in ("管理员\u200b", "\u200b管理员", "管\u200c理员", " 管理员\u00ad"):
        with pytest.raises(StoreError, match="账号“管理员”已存在"):
            store.add_account(same, "admin", password=PASSWORD, by="测试")
    for bad, why in (("\u200b", "不能为空"), ("   ", "不能为空"), ("张\n三", "控制字符"), ("张\t三", "控制字符"),
                     ("长" * 65, "最多 64 个字符")):
        with pytest.raises(StoreError, match=why):
            store.add_account(bad, "viewer", password=PASSWORD, by="测试")
    added = store.add_account("ＷＡＮＧ\u200b五", "viewer", password=PASSWORD, by="测试")
    assert added.name == "WANG五" and {a["name"] for a in store.accounts()} == {"管理员", "WANG五"}
    # sign-in normalises the same way
    assert store.sign_in("管理员\u200b", PASSWORD, RULES)[0].name == "管理员"
    assert store.sign_in(" ＷＡＮＧ五 ", PASSWORD, RULES)[0].name == "WANG五"
    store.disable_account("ＷＡＮＧ五", by="测试")  # administrators' commands too
    assert store.account_named("WANG五").disabled


def test_scopes_name_stored_units_and_departments(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="实施单位名称不能为空"):
        Scope.typed(units=[""])
    with pytest.raises(ValueError, match="主管部门名称不能为空"):
        Scope.typed(departments=["  "])
    with pytest.raises(StoreError, match=r"没有实施单位“单位A1”（相近的名称：单位A、单位B）"):
        store.add_account("甲", "viewer", Scope.typed(units=["单位A1"]), password=PASSWORD, by="测试")
    with pytest.raises(StoreError, match=r"没有主管部门“不存在的部门”.*范围只能写已导入自评表中的名称"):
        store.add_account("甲", "viewer", Scope.typed(departments=["不存在的部门"]), password=PASSWORD, by="测试")
    assert store.accounts()[-1]["name"] == "管理员" and len(store.accounts()) == 1  # nothing stored
    assert store.scope_choices() == (["部门一", "部门二"], ["单位A", "单位B"])
    store.add_account("甲", "uploader", Scope.typed(units=["单位A"]), password=PASSWORD, by="测试")
    _, token = store.sign_in("甲", PASSWORD, RULES)
    store.set_scope("甲", Scope.typed(departments=["部门二"]), by="测试")
    assert store.session_account(token) is None  # the next page follows the new scope
    assert store.account_named("甲").scope == Scope.of(departments=["部门二"])
    with pytest.raises(StoreError, match="没有实施单位“单位C”"):
        store.set_scope("甲", Scope.typed(units=["单位C"]), by="测试")
    with Store(tmp_path / "empty.duckdb") as empty:
        with pytest.raises(StoreError, match="数据库里还没有任何自评表"):
            empty.add_account("乙", "viewer", Scope.typed(units=["单位A"]), password=PASSWORD, by="测试")


def test_roles_change_accounts_disable_and_enable_and_the_last_admin_stays(store: Store) -> None:
    store.add_account("乙", "viewer", password=PASSWORD, by="测试")
    _, token = store.sign_in("乙", PASSWORD, RULES)
    store.set_role("乙", "uploader", by="测试")
    assert store.account_named("乙").role.name == "uploader" and store.session_account(token) is None
    for change in (lambda: store.disable_account("管理员", by="测试"), lambda: store.set_role("管理员", "viewer", by="测试")):
        with pytest.raises(StoreError, match="“管理员”是唯一可用的管理员账号"):
            change()
    store.set_role("乙", "admin", by="测试")
    store.disable_account("管理员", by="测试")  # another admin exists now
    with pytest.raises(StoreError, match="唯一可用的管理员账号"):
        store.set_role("乙", "viewer", by="测试")
    store.enable_account("管理员", by="测试")
    assert store.sign_in("管理员", PASSWORD, RULES)[0].is_admin
    assert details(store, "account")[:5][::-1] == [
        "新建账号“乙”：角色 查看，范围 全部单位", "账号“乙”的角色由 查看 改为 填报（已有登录失效）",
        "账号“乙”的角色由 填报 改为 管理（已有登录失效）", "停用账号“管理员”（已有登录失效）", "启用账号“管理员”"]
    with pytest.raises(StoreError, match="没有账号“丙”"):
        store.enable_account("丙", by="测试")


def test_the_first_admin_is_created_once_even_by_browsers_racing(tmp_path: Path) -> None:
    with Store(tmp_path / "first.duckdb") as store:
        outcomes = together(6, lambda i: store.first_admin(f"管理员{i}", PASSWORD))
        made = [o for o in outcomes if not isinstance(o, Exception)]
        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert len(made) == 1 and made[0].is_admin
        assert all(isinstance(o, StoreError) and str(o) == FIRST_TAKEN for o in refused)
        assert [a["name"] for a in store.accounts()] == [made[0].name] and store.count_admins() == 1
        log = store.audit_table(action="account")
        assert list(log["user"]) == [made[0].name] and "首次设置" in log["detail"].iloc[0]
        with pytest.raises(StoreError, match="已有账号"):
            store.first_admin("后来者", PASSWORD)
    with Store(tmp_path / "weak.duckdb") as store:
        with pytest.raises(ValueError, match="常见密码"):
            store.first_admin("管理员", "password123")
        with pytest.raises(StoreError, match="账号名称不能为空"):
            store.first_admin("\u200b", PASSWORD)
        assert store.count_accounts() == 0
