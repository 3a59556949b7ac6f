"""数据管理 → 账号管理 in the app (AppTest on a real database): the first administrator from the
app, then accounts created, changed, disabled, enabled, unlocked and given a new password by a
signed-in administrator, every change refused in Chinese when a rule says no and audited."""
from __future__ import annotations

import test_app_accounts
from apphelp import open_page, seed, texts
from test_app_accounts import PASSWORD, UNIT_A, UNIT_B, sign_in

from perfcore.store import Store

accounts_db = test_app_accounts.accounts_db  # the fixture, shared

NEW_PASSWORD = "新人的密码-足够长-1"


def accounts_table(at):
    """The 账号管理 tab's table (the one dataframe with a 账号 column)."""
    [frame] = [d.value for d in at.dataframe if "账号" in d.value.columns]
    return frame


def sidebar(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_the_first_admin_is_created_in_the_app_and_signed_in(app_db):
    seed(app_db)
    at = open_page()
    assert "只能在看板停止时使用" in sidebar(at)  # the command line is no longer offered as if it worked
    assert [link.label for link in at.sidebar.get("page_link")] == ["创建第一个管理员账号"]
    at.switch_page("pages/manage.py").run()
    assert "本机单用户模式" in texts(at)
    at.text_input(key="acc_first_name").set_value("管理员\u200b")
    for password, again, why in (("12345678", "12345678", "密码至少 10 个字符"),
                                 ("password123", "password123", "常见密码"),
                                 (PASSWORD, PASSWORD + "x", "两次输入的密码不一致")):
        at.text_input(key="acc_first_password").set_value(password)
        at.text_input(key="acc_first_again").set_value(again)
        at.button(key="acc_first_create").click().run()
        assert why in texts(at), why
        assert at.text_input(key="acc_first_name").value == "管理员\u200b"  # the input is kept
    with Store(app_db) as store:
        assert store.count_accounts() == 0
    at.text_input(key="acc_first_password").set_value(PASSWORD)
    at.text_input(key="acc_first_again").set_value(PASSWORD)
    at.button(key="acc_first_create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["_auth_mode"] == "signed_in"  # signed in at once, under the normalised name
    assert at.session_state["_account"].label() == "管理员（管理 · 全部单位）"
    assert at.title[0].value == "数据管理" and "acc_first_name" not in [t.key for t in at.text_input]
    assert "已创建管理员账号“管理员”并登录" in texts(at)
    assert list(accounts_table(at)["账号"]) == ["管理员"]
    with Store(app_db) as store:
        assert [a["name"] for a in store.accounts()] == ["管理员"]
        log = store.audit_table(action=["account", "sign_in"])
        assert list(log["action"]) == ["sign_in", "account"] and set(log["user"]) == {"管理员"}
        assert "首次设置" in log["detail"].iloc[1]


def test_an_admin_creates_an_account_and_every_refusal_says_why(accounts_db):
    at = sign_in("管理员", page="manage")
    at.switch_page("pages/manage.py").run()
    accounts = accounts_table(at)
    assert list(accounts["账号"]) == ["甲填报", "管理员", "领导"] and "argon2" not in accounts.to_string()
    assert at.multiselect(key="acc_new_0_units").options == sorted([UNIT_A, UNIT_B])
    at.text_input(key="acc_new_0_name").set_value("甲填报\u200b")
    at.selectbox(key="acc_new_0_role").set_value("uploader")
    at.multiselect(key="acc_new_0_units").set_value([UNIT_A])
    for password, why in (("        ", "不能为空"), ("1111111111", "同一个字符"), (NEW_PASSWORD, "账号“甲填报”已存在")):
        at.text_input(key="acc_new_0_password").set_value(password)
        at.text_input(key="acc_new_0_again").set_value(password)
        at.button(key="acc_create").click().run()
        assert why in texts(at), (why, texts(at))
        assert at.multiselect(key="acc_new_0_units").value == [UNIT_A]  # nothing typed or chosen is lost
    at.text_input(key="acc_new_0_name").set_value("乙填报")
    at.button(key="acc_create").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已新建账号“乙填报”（填报）" in texts(at)
    assert at.text_input(key="acc_new_1_name").value == ""  # the form starts empty for the next one
    row = accounts_table(at).set_index("账号").loc["乙填报"]
    assert (row["角色"], row["范围"], row["状态"], row["连续输错"]) == ("填报", f"实施单位：{UNIT_A}", "可用", 0)
    with Store(accounts_db) as store:
        entry = store.audit_table(action="account").iloc[0]
        assert (entry["user"], entry["detail"]) == ("管理员", f"新建账号“乙填报”：角色 填报，范围 实施单位：{UNIT_A}")
    # a name with markdown in it is shown as typed, in the notice of success and of a refusal
    for round_no, expect in ((1, "success"), (2, "error")):
        at.text_input(key=f"acc_new_{round_no}_name").set_value("[点我](http://example.com)")
        at.text_input(key=f"acc_new_{round_no}_password").set_value(NEW_PASSWORD)
        at.text_input(key=f"acc_new_{round_no}_again").set_value(NEW_PASSWORD)
        at.button(key="acc_create").click().run()
        [notice] = [e.value for e in at.get(expect) if "点我" in e.value]
        assert "\\[点我\\]\\(http" in notice, notice
    signed = sign_in("乙填报", NEW_PASSWORD)
    assert "已登录：乙填报（填报 · 实施单位：" in sidebar(signed)


def test_an_admin_changes_role_and_scope_disables_enables_unlocks_and_resets(accounts_db):
    for guess in ("wrong-1", "wrong-2", "wrong-3"):  # 领导 locked (PERFBOARD_MAX_FAILURES=3)
        sign_in("领导", guess)
    at = sign_in("管理员", page="manage")
    at.switch_page("pages/manage.py").run()
    assert accounts_table(at).set_index("账号").loc["领导", "状态"].startswith("锁定至 ")
    # role and scope
    at.selectbox(key="acc_pick").set_value("甲填报").run()
    at.selectbox(key="acc_edit_甲填报_role").set_value("viewer")
    at.multiselect(key="acc_edit_甲填报_units").set_value([UNIT_B])
    at.button(key="acc_save").click().run()
    assert f"已保存账号“甲填报”：查看 · 实施单位：{UNIT_B}" in texts(at)
    with Store(accounts_db) as store:
        changed = store.account_named("甲填报")
        assert changed.role.name == "viewer" and changed.scope.units == {UNIT_B}
    # the last administrator cannot be demoted or disabled
    at.selectbox(key="acc_pick").set_value("管理员").run()
    at.button(key="acc_disable").click().run()
    assert "“管理员”是唯一可用的管理员账号，不能停用" in texts(at)
    # unlock, then 领导 signs in with the right password
    at.selectbox(key="acc_pick").set_value("领导").run()
    assert not at.button(key="acc_unlock").disabled
    at.button(key="acc_unlock").click().run()
    assert "已解除账号“领导”的锁定" in texts(at)
    assert "已登录：领导" in sidebar(sign_in("领导"))
    # disable: the right password no longer signs in; enable again
    at.button(key="acc_disable").click().run()
    assert "已停用账号“领导”" in texts(at)
    assert "已停用" in texts(sign_in("领导"))
    at.button(key="acc_enable").click().run()
    assert "已启用账号“领导”" in texts(at)
    # a new password: mismatched and weak refused, then kept; the old one stops working
    for password, again, why in (("另一个足够长的密码-2", "不一样", "两次输入的密码不一致"),
                                 ("qwertyuiop", "qwertyuiop", "常见密码")):
        at.text_input(key="acc_edit_领导_password").set_value(password)
        at.text_input(key="acc_edit_领导_again").set_value(again)
        at.button(key="acc_password").click().run()
        assert why in texts(at)
    at.text_input(key="acc_edit_领导_password").set_value("另一个足够长的密码-2")
    at.text_input(key="acc_edit_领导_again").set_value("另一个足够长的密码-2")
    at.button(key="acc_password").click().run()
    assert "已重设账号“领导”的密码，并解除锁定" in texts(at)
    assert at.text_input(key="acc_edit_领导_password").value == ""
    assert "账号或密码不正确" in texts(sign_in("领导"))
    assert "已登录：领导" in sidebar(sign_in("领导", "另一个足够长的密码-2"))
    with Store(accounts_db) as store:
        log = store.audit_table(action="account")
        assert set(log["user"].iloc[:6]) == {"管理员"}
        assert list(log["detail"].iloc[:6])[::-1] == [
            "账号“甲填报”的角色由 填报 改为 查看（已有登录失效）",
            f"账号“甲填报”的范围改为 实施单位：{UNIT_B}（已有登录失效）",
            "解除账号“领导”的锁定", "停用账号“领导”（已有登录失效）", "启用账号“领导”",
            "重设账号“领导”的密码（已解除锁定，已有登录失效）"]


def test_accounts_without_an_administrator_say_how_to_make_one(app_db):
    """A database from before the first-admin rule (accounts, none an enabled administrator): the
    sign-in page says the app cannot manage accounts and how to make an administrator."""
    seed(app_db)
    with Store(app_db) as store:
        store.add_account("领导", "viewer", password=PASSWORD, by="测试")  # the system may; the CLI now refuses it
    at = open_page()
    assert at.title[0].value == "登录绩效自评看板"
    [warning] = [w.value for w in at.warning]
    assert "还没有可用的管理员账号" in warning and "先停止看板" in warning and "--role admin" in warning
