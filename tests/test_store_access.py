"""Accounts, roles and unit scopes in the store, on a real DuckDB file: what a scoped account
reads and writes through every query, passwords, the lock after failures, sessions."""
from __future__ import annotations

from pathlib import Path

import pytest

from perfcore.accounts import Account, Scope, SignInRules, role, token_hash
from perfcore.errors import PermissionDenied, StoreError
from perfcore.store import Filters, Store
from perfcore.store.accounts import SignInFailed
from perfcore.store.queries import DEDUCTION_GROUPS, SUMMARY_GROUPS
from tests.test_store import card, form, full

PASSWORD = "正确的密码-correct-1"
RULES = SignInRules(max_failures=3, lock_minutes=30, session_hours=8, delay_seconds=0)


def uploader_a() -> Account:
    return Account("甲单位填报员", role("uploader"), Scope.of(units=["单位A"]))


@pytest.fixture
def two_units(tmp_path: Path):
    """Two units' forms (A: two projects, one with two versions; B: one project, another department)."""
    with Store(tmp_path / "access.duckdb") as store:
        a1, a2, b1 = form("项目甲", "单位A"), form("项目乙", "单位A"), form("项目丙", "单位B", department="部门二")
        store.import_forms("a.xlsx", b"a", [a1, a2], [full(a1), card(a2, [10, 30, 30, 10], codes=("E1",))])
        store.import_forms("b.xlsx", b"b", [b1], [card(b1, [0, 30, 30, 10], codes=("W1",))])
        a1_new = form("项目甲", "单位A", executed=90.0)
        store.import_forms("a2.xlsx", b"a2", [a1_new], [full(a1_new)])
        yield store


def ids(store: Store, unit: str) -> list[int]:
    table = store.forms_table()
    return [int(v) for v in table[table["unit"] == unit]["version_id"]]


def test_a_scoped_account_sees_only_its_units_in_every_query(two_units: Store) -> None:
    full_store, scoped = two_units, two_units.as_user(uploader_a())
    b_id = ids(full_store, "单位B")[0]
    assert set(scoped.forms_table()["unit"]) == {"单位A"} and scoped.count_forms() == 2
    assert scoped.count_forms(Filters(unit="单位B")) == 0 and scoped.forms_table(Filters(unit="单位B")).empty
    summary = scoped.dept_summary()
    assert summary["n_forms"] == 2 and summary["n_units"] == 1 and summary["n_departments"] == 1
    assert full_store.dept_summary()["n_forms"] == 3
    for by in SUMMARY_GROUPS:
        assert scoped.summary_by(by=by)["n_forms"].sum() == 2, by
    for by in DEDUCTION_GROUPS:
        frame = scoped.deductions(by=by)
        if "unit" in frame:
            assert set(frame["unit"]) == {"单位A"}, by
    assert scoped.deductions(by="level1")["n_items"].sum() == 2 * 5  # 4 indicators + execution, two forms
    assert set(scoped.declared_vs_rule()["unit"]) == {"单位A"}
    assert set(scoped.findings()["unit"]) == {"单位A"} and "W1" not in set(scoped.findings_by_code()["code"])
    assert "W1" in set(full_store.findings_by_code()["code"])
    assert scoped.history(2021, "单位B", "项目丙").empty
    assert list(scoped.history(2021, "单位A", "项目甲")["version_no"]) == [2, 1]
    assert scoped.score_status("x", "y")["n_versions"] == 3 and full_store.score_status("x", "y")["n_versions"] == 4
    assert set(scoped.imports_table()["file_name"]) == {"a.xlsx", "a2.xlsx"}
    # one version of another unit, by id: refused in Chinese, without naming it, exactly as an id
    # that does not exist (an id cannot be probed)
    missing = 10_000
    for read in (scoped.load_form, scoped.version_info, scoped.indicator_scores, scoped.fund_lines,
                 lambda v: scoped.findings(version_id=v), scoped.scenarios):
        with pytest.raises(PermissionDenied, match="不在账号“甲单位填报员”的单位范围（实施单位：单位A）内") as err:
            read(b_id)
        assert "项目丙" not in str(err.value)
        with pytest.raises(PermissionDenied) as unknown:
            read(missing)
        assert str(unknown.value) == str(err.value).replace(str(b_id), str(missing))
    assert scoped.form_status(form("项目丙", "单位B", department="部门二")) == "new"
    assert full_store.form_status(form("项目丙", "单位B", department="部门二")) == "same"


def test_a_department_scope_covers_its_units(two_units: Store) -> None:
    leader = two_units.as_user(Account("部门二领导", role("viewer"), Scope.of(departments=["部门二"])))
    assert set(leader.forms_table()["unit"]) == {"单位B"}
    both = two_units.as_user(Account("两者", role("viewer"), Scope.of(departments=["部门二"], units=["单位A"])))
    assert both.count_forms() == 3


def test_an_uploader_cannot_import_another_units_form_and_nothing_is_stored(two_units: Store) -> None:
    scoped = two_units.as_user(uploader_a())
    before = (len(two_units.forms_table()), len(two_units.imports_table()), len(two_units.audit_table()))
    mine, theirs = form("项目丁", "单位A"), form("项目戊", "单位B", department="部门二")
    with pytest.raises(PermissionDenied, match="本次未导入任何表：2021年 单位B·项目戊：.*不在账号“甲单位填报员”的单位范围"):
        scoped.import_forms("mixed.xlsx", b"mixed", [mine, theirs], [full(mine), full(theirs)], user="伪造的名字")
    assert (len(two_units.forms_table()), len(two_units.imports_table())) == before[:2]
    refused = two_units.audit_table().iloc[0]  # nothing stored, the refusal recorded
    assert len(two_units.audit_table()) == before[2] + 1
    assert (refused["action"], refused["user"], refused["file_name"]) == ("refuse", "甲单位填报员", "mixed.xlsx")
    assert refused["forms"] == "2021年 单位B·项目戊" and "不在账号“甲单位填报员”的单位范围" in refused["detail"]
    report = scoped.import_forms("mine.xlsx", b"mine", [mine], [full(mine)], user="伪造的名字")
    assert report.stored and two_units.audit_table()["user"].iloc[0] == "甲单位填报员"  # the account, not the typed name
    assert two_units.version_info(report.stored[0]["version_id"])["user"] == "甲单位填报员"


def test_roles_limit_the_writes(two_units: Store, tmp_path: Path) -> None:
    a_id, b_id = ids(two_units, "单位A")[0], ids(two_units, "单位B")[0]
    viewer = two_units.as_user(Account("查看员", role("viewer")))
    uploader = two_units.as_user(uploader_a())
    admin = two_units.as_user(Account("管理员", role("admin"), Scope.of(units=["单位A"])))  # admins: all units
    f = form("项目己", "单位A")
    with pytest.raises(PermissionDenied, match="账号“查看员”（查看）没有上传和导入自评表"):
        viewer.import_forms("v.xlsx", b"v", [f], [full(f)])
    with pytest.raises(PermissionDenied, match="没有上传和导入自评表、保存模拟方案的权限"):
        viewer.save_scenario(a_id, "s", [], True)
    assert len(viewer.forms_table()) == 3  # a viewer without a scope reads everything
    for write in (lambda s: s.delete_version(a_id), lambda s: s.restore_version(a_id), lambda s: s.rescore(),
                  lambda s: s.backup(tmp_path / "bk"), lambda s: s.audit_table(), lambda s: s.accounts(),
                  lambda s: s.add_account("x", "viewer", password=PASSWORD)):
        for who in (viewer, uploader):
            with pytest.raises(PermissionDenied, match="删除与恢复、重新评分、备份、查看操作日志和管理账号"):
                write(who)
    scenario = uploader.save_scenario(a_id, "方案", [], True, user="伪造")
    assert uploader.load_scenario(scenario)["user"] == "甲单位填报员"
    with pytest.raises(PermissionDenied):
        uploader.save_scenario(b_id, "方案", [], True)
    uploader.delete_scenario(scenario)
    assert admin.forms_table()["unit"].nunique() == 2
    assert admin.delete_version(b_id, "伪造") and admin.restore_version(b_id)
    log = admin.audit_table(action=["delete", "restore"])
    assert list(log["action"]) == ["restore", "delete"] and set(log["user"]) == {"管理员"}
    assert set(admin.audit_table(unit="单位B")["action"]) == {"import", "delete", "restore"}
    assert set(admin.audit_table(unit="单位A")["action"]) == {"import", "replace"}
    assert set(admin.audit_table(user="管理员")["action"]) == {"delete", "restore"}


def current(store: Store, unit: str, project: str) -> dict:
    table = store.forms_table()
    row = table[(table["unit"] == unit) & (table["project"] == project)]
    assert len(row) == 1
    return store.version_info(int(row["version_id"].iloc[0]))


def test_an_import_that_would_replace_another_units_version_is_refused(two_units: Store) -> None:
    """A department's uploader brings a form inside its scope (its own department) whose key
    (year + unit + project) is another department's unit's form: refused at the preview and in
    the import, nothing stored, the version it would replace still current, the refusal audited."""
    dept_one = two_units.as_user(Account("部门一填报员", role("uploader"), Scope.of(departments=["部门一"])))
    before = current(two_units, "单位B", "项目丙")
    intruder = form("项目丙", "单位B", department="部门一", executed=10.0)
    reasons = dept_one.import_refusals([(2021, "部门一", "单位B", "项目丙")])
    assert reasons == ["它会替换一张不在账号“部门一填报员”的单位范围（主管部门：部门一）内的已导入自评表（年度、实施单位、项目名称相同）"]
    with pytest.raises(PermissionDenied, match="本次未导入任何表：2021年 单位B·项目丙：它会替换一张不在账号"):
        dept_one.import_forms("b1.xlsx", b"b1", [intruder], [full(intruder)])
    after = current(two_units, "单位B", "项目丙")
    assert (after["version_id"], after["version_no"], after["department"]) == (before["version_id"], 1, "部门二")
    assert len(two_units.history(2021, "单位B", "项目丙")) == 1
    entry = two_units.audit_table().iloc[0]
    assert (entry["action"], entry["user"], entry["forms"]) == ("refuse", "部门一填报员", "2021年 单位B·项目丙")
    # also when the unit's other forms were moved to 部门一 (so the department rule lets it pass):
    # the version it would replace is still 部门二's
    moved = form("项目庚", "单位B", department="部门一")
    two_units.import_forms("moved.xlsx", b"moved", [moved], [full(moved)])  # the system moves a unit
    assert dept_one.import_refusals([(2021, "部门一", "单位B", "项目丙"), (2021, "部门一", "单位B", "项目新")]) == [
        reasons[0], ""]
    with pytest.raises(PermissionDenied):
        dept_one.import_forms("b1.xlsx", b"b1", [intruder], [full(intruder)])
    assert current(two_units, "单位B", "项目丙")["version_id"] == before["version_id"]
    # a deleted version of another department counts too: its key is not free to take
    two_units.delete_version(before["version_id"])
    with pytest.raises(PermissionDenied, match="它会替换一张"):
        dept_one.import_forms("b1.xlsx", b"b1", [intruder], [full(intruder)])


def test_a_units_forms_go_only_under_its_own_department(two_units: Store) -> None:
    scoped = two_units.as_user(uploader_a())
    elsewhere = form("项目新", "单位A", department="部门二")
    reason = ("实施单位“单位A”已导入的自评表归在主管部门“部门一”下，本表填的是“部门二”：一个单位的自评表只能归在它自己的"
              "主管部门下，请核对表上的主管部门")
    assert scoped.import_refusals([(2021, "部门二", "单位A", "项目新"), (2021, "部门一", "单位A", "项目新")]) == [reason, ""]
    with pytest.raises(PermissionDenied, match=f"2021年 单位A·项目新：{reason}"):
        scoped.import_forms("elsewhere.xlsx", b"e", [elsewhere], [full(elsewhere)])
    assert scoped.count_forms() == 2 and two_units.count_forms() == 3
    # a unit outside the scope: its department is not named
    dept_two = two_units.as_user(Account("部门二填报员", role("uploader"), Scope.of(departments=["部门二"])))
    assert dept_two.import_refusals([(2022, "部门二", "单位A", "项目新")]) == [
        "实施单位“单位A”已导入的自评表归在另一个主管部门下，本表填的是“部门二”：一个单位的自评表只能归在它自己的主管部门下，"
        "请核对表上的主管部门"]
    # a new unit: its first form decides, in the same batch too; a blank department is another department
    new_unit = two_units.as_user(Account("丙", role("uploader"), Scope.of(units=["单位C"])))
    assert [bool(r) for r in new_unit.import_refusals(
        [(2021, "部门三", "单位C", "一"), (2021, "部门三", "单位C", "二"), (2021, "部门四", "单位C", "三"),
         (2021, "", "单位C", "四")])] == [False, False, True, True]
    # an administrator may move a unit (a reorganisation): imported, and the audit names it
    admin = two_units.as_user(Account("管理员", role("admin")))
    assert admin.import_refusals([(2021, "部门二", "单位A", "项目新")]) == [""]
    assert admin.import_forms("moved.xlsx", b"m", [elsewhere], [full(elsewhere)]).stored


def test_a_scenario_outside_the_scope_reads_as_one_that_does_not_exist(two_units: Store) -> None:
    b_id = ids(two_units, "单位B")[0]
    theirs = two_units.save_scenario(b_id, "乙的方案", [], True)
    scoped = two_units.as_user(uploader_a())
    answers = []
    for scenario_id in (theirs, theirs + 100):
        for call in (scoped.load_scenario, scoped.delete_scenario):
            with pytest.raises(PermissionDenied) as err:
                call(scenario_id)
            answers.append(str(err.value).replace(str(scenario_id), "N"))
    assert len(set(answers)) == 1 and "乙的方案" not in answers[0] and str(b_id) not in answers[0]
    assert answers[0] == "编号为 N 的模拟方案不存在，或不在账号“甲单位填报员”的单位范围（实施单位：单位A）内，无权查看或修改。"
    assert two_units.load_scenario(theirs)["name"] == "乙的方案"  # still there
    with pytest.raises(StoreError, match="没有编号为 999 的模拟方案"):
        two_units.load_scenario(999)


def test_passwords_are_argon2id_and_never_stored(tmp_path: Path) -> None:
    long_chinese = "财政项目支出绩效自评表的密码应当足够长才能抵御猜测攻击三十字"
    assert len(long_chinese) == 30
    path = tmp_path / "pw.duckdb"
    with Store(path) as store:
        a = form("项目甲", "单位A")
        store.import_forms("a.xlsx", b"a", [a], [full(a)])
        store.add_account("张三", "uploader", Scope.of(units=["单位A"]), password=long_chinese, by="测试")
        with store._db._cursor() as cur:  # the stored hash, read directly
            stored = cur.execute("SELECT password_hash FROM accounts").fetchall()[0][0]
        assert stored.startswith("$argon2id$")
        with pytest.raises(SignInFailed, match="账号或密码不正确"):
            store.sign_in("张三", long_chinese[:-1] + "错", RULES)  # the last character differs
        with pytest.raises(SignInFailed):
            store.sign_in("张三", long_chinese[:24], RULES)  # what bcrypt would have kept
        account, token = store.sign_in("张三", long_chinese, RULES)
        assert account.name == "张三" and account.scope.units == {"单位A"}
        store.set_password("张三", "另一个足够长的新密码啊", by="测试")
        assert store.session_account(token) is None  # a new password ends the sessions
        with pytest.raises(ValueError, match="密码至少 10 个字符"):
            store.set_password("张三", "短", by="测试")
    for file in [path, *path.parent.glob(f"{path.name}.wal")]:
        data = file.read_bytes()
        for secret in (long_chinese, "另一个足够长的新密码啊", token):
            assert secret.encode() not in data and secret.encode("utf-16-le") not in data, file


def test_wrong_passwords_lock_the_account_after_the_configured_count(tmp_path: Path) -> None:
    with Store(tmp_path / "lock.duckdb") as store:
        store.add_account("李四", "viewer", password=PASSWORD, by="测试")
        answers = []
        for guess in ("wrong-1", "wrong-2", "wrong-3", PASSWORD):  # even the right password, while locked
            with pytest.raises(SignInFailed) as err:
                store.sign_in("李四", guess, RULES)
            answers.append(str(err.value))
        with pytest.raises(SignInFailed) as err:
            store.sign_in("不存在的人", PASSWORD, RULES)
        answers.append(str(err.value))
        assert set(answers) == {"账号或密码不正确。"}  # unknown, wrong and locked read alike
        log = store.audit_table()
        assert list(log["action"])[::-1] == ["account", "sign_in_failed", "sign_in_failed", "sign_in_failed", "lock",
                                             "sign_in_failed", "sign_in_failed"]
        assert list(log["user"])[:2] == ["不存在的人", "李四"]
        assert "账号锁定中" in log["detail"].iloc[1] and "账号不存在" in log["detail"].iloc[0]
        assert store.accounts()[0]["locked"] and (store.accounts()[0]["locked_until"] or "") > ""
        store.set_password("李四", PASSWORD, by="管理员")  # an administrator unlocks it
        account, token = store.sign_in("李四", PASSWORD, RULES)
        assert account.role.name == "viewer"
        # sessions: by token hash only; sign-out and disabling end them
        with store._db._cursor() as cur:
            assert cur.execute("SELECT token_hash FROM sessions").fetchall() == [(token_hash(token),)]
        store.sign_out(token)
        assert store.session_account(token) is None
        _, token = store.sign_in("李四", PASSWORD, RULES)
        store.disable_account("李四", by="管理员")
        assert store.session_account(token) is None
        with pytest.raises(SignInFailed, match="已停用"):  # said only to whoever knows the password
            store.sign_in("李四", PASSWORD, RULES)


def test_an_expired_session_signs_nobody_in(tmp_path: Path) -> None:
    with Store(tmp_path / "exp.duckdb") as store:
        store.add_account("王五", "viewer", password=PASSWORD)
        _, token = store.sign_in("王五", PASSWORD, SignInRules(session_hours=-1))
        assert store.session_account(token) is None
        _, token = store.sign_in("王五", PASSWORD, RULES)
        assert store.session_account(token) == Account("王五", role("viewer"))
        assert store.session_account("forged") is None and store.session_account("") is None
        with pytest.raises(StoreError, match="已存在"):
            store.add_account("王五", "viewer", password=PASSWORD)


def test_a_version_outside_the_scope_reads_as_one_that_does_not_exist(two_units: Store) -> None:
    """Issue 19: the store told “no such id” apart from “not in your scope” for versions too. Every
    call that takes a version id gives a scoped account one answer for another unit's version and
    for an id that does not exist, naming neither the form nor its unit."""
    b_id = ids(two_units, "单位B")[0]
    missing = max(ids(two_units, "单位A") + [b_id]) + 100
    scoped = two_units.as_user(uploader_a())
    calls = (scoped.load_form, scoped.version_info, scoped.indicator_scores, scoped.fund_lines,
             scoped.findings, scoped.scenarios, lambda v: scoped.save_scenario(v, "方案", [], True))
    for call in calls:
        answers = []
        for version_id in (b_id, missing):
            with pytest.raises(PermissionDenied) as err:
                call(version_id)
            answers.append(str(err.value).replace(str(version_id), "N"))
        assert answers[0] == answers[1], answers
        assert "单位B" not in answers[0] and "项目丙" not in answers[0] and "不存在，或不在账号" in answers[0]
    assert two_units.version_info(b_id)["unit"] == "单位B"  # still there for the full scope
    with pytest.raises(StoreError, match=f"没有编号为 {missing} 的表单版本"):
        two_units.load_form(missing)
