"""数据管理 → 账号管理: administrators manage accounts while the service runs (the command line
cannot: the running app owns the database file).

Create an account (name, role, scope chosen from the stored 主管部门 / 实施单位, first password),
change its role and scope, disable / enable it, reset its password, unlock it. The store checks
every rule (password, normalised unique name, scope naming stored units, the last administrator
kept) and writes each change with its 操作日志 entry under the signed-in administrator. In the
local single-user mode (no account yet) the tab offers the first administrator instead.
"""
from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from perfcore.accounts import ROLES, Scope
from perfcore.errors import StoreError
from perfcore.views import md_escape
from ui import auth, common

NOTICE_KEY = auth.NOTICE_KEY  # one notice for the first-run form and this tab
ROUND_KEY = "acc_round"  # bumped after a new account: the create form starts empty again
ROLE_NAMES = list(ROLES)


def _role_label(name: str) -> str:
    return f"{ROLES[name].label}（{name}）"


def _state(item: dict[str, Any]) -> str:
    if item["disabled"]:
        return "已停用"
    if item["locked"]:
        return f"锁定至 {item['locked_until'][:16]}"
    return "可用"


def _notify(kind: str, text: str) -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


def _run(action, done: str) -> bool:
    """Call a store write; a refusal (Chinese, from the store or the password rule) becomes the
    page's notice instead of a traceback. True when it was done."""
    try:
        action()
    except (StoreError, ValueError) as exc:
        _notify("error", md_escape(str(exc)))  # it may repeat a typed name: shown as text, never markdown
        return False
    _notify("success", done)
    return True


def accounts_frame(listing: list[dict[str, Any]]) -> pd.DataFrame:
    """The accounts as an administrator reads them (never a hash)."""
    return pd.DataFrame([{
        "账号": item["name"], "角色": item["role_label"],
        "范围": Scope.of(item["departments"], item["units"]).label(),
        "状态": _state(item), "连续输错": int(item["failed"]),
        "创建时间": pd.Timestamp(item["created_at"]), "更新时间": pd.Timestamp(item["updated_at"]),
    } for item in listing], columns=["账号", "角色", "范围", "状态", "连续输错", "创建时间", "更新时间"])


def _scope_inputs(store, key: str, current: Scope | None = None) -> tuple[list[str], list[str]]:
    """Two multiselects of the stored 主管部门 and 实施单位 (plus any the account already names)."""
    current = current or Scope()
    departments, units = store.scope_choices()
    c1, c2 = st.columns(2)
    chosen_departments = c1.multiselect(
        "主管部门", sorted(set(departments) | current.departments), default=sorted(current.departments),
        key=f"{key}_departments", placeholder="不限", help="可查看和填报的主管部门；与实施单位都不选表示全部单位")
    chosen_units = c2.multiselect(
        "实施单位", sorted(set(units) | current.units), default=sorted(current.units),
        key=f"{key}_units", placeholder="不限", help="可查看和填报的实施单位；管理员总是可以查看全部单位")
    return chosen_departments, chosen_units


def _new_account(store) -> None:
    st.markdown("**新建账号**")
    key = f"acc_new_{st.session_state.get(ROUND_KEY, 0)}"
    name = st.text_input("账号名称", key=f"{key}_name", max_chars=64, help="登录名，也是操作日志里的姓名")
    kind = st.selectbox("角色", ROLE_NAMES, format_func=_role_label, key=f"{key}_role")
    departments, units = _scope_inputs(store, key)
    c1, c2 = st.columns(2)
    password = c1.text_input("初始密码", type="password", key=f"{key}_password",
                             help="至少 10 个字符；不能是常见密码、同一字符或连续字符")
    again = c2.text_input("再次输入密码", type="password", key=f"{key}_again")
    if not st.button("新建账号", key="acc_create", type="primary", icon=":material/person_add:"):
        return
    if password != again:
        _notify("error", "两次输入的密码不一致。")
    elif _run(lambda: store.add_account(name, kind, Scope.typed(departments, units), password=password,
                                        by=common.operator()),
              f"已新建账号“{md_escape(name.strip())}”（{ROLES[kind].label}）。"):
        st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
    st.rerun()


def _edit_account(store, listing: list[dict[str, Any]]) -> None:
    st.markdown("**修改账号**")
    by_name = {item["name"]: item for item in listing}
    name = st.selectbox("账号", list(by_name), key="acc_pick",
                        format_func=lambda n: f"{n}（{by_name[n]['role_label']} · {_state(by_name[n])}）")
    item = by_name[name]
    key = f"acc_edit_{name}"
    current = Scope.of(item["departments"], item["units"])
    kind = st.selectbox("角色", ROLE_NAMES, index=ROLE_NAMES.index(item["role"]), format_func=_role_label,
                        key=f"{key}_role")
    departments, units = _scope_inputs(store, key, current)
    if st.button("保存角色和范围", key="acc_save", icon=":material/save:"):
        scope = Scope.of(departments, units)
        changes = []
        if kind != item["role"]:
            changes.append(lambda: store.set_role(name, kind, by=common.operator()))
        if scope != current:
            changes.append(lambda: store.set_scope(name, scope, by=common.operator()))
        if not changes:
            _notify("info", "角色和范围都没有改动。")
        else:
            _run(lambda: [change() for change in changes],
                 f"已保存账号“{md_escape(name)}”：{ROLES[kind].label} · {scope.label()}（该账号需重新登录）。")
        st.rerun()
    b1, b2 = st.columns(2)
    if item["disabled"]:
        if b1.button("启用账号", key="acc_enable", icon=":material/person_check:"):
            _run(lambda: store.enable_account(name, by=common.operator()), f"已启用账号“{md_escape(name)}”。")
            st.rerun()
    elif b1.button("停用账号", key="acc_disable", icon=":material/person_off:", help="不能再登录，已有的登录立即失效"):
        _run(lambda: store.disable_account(name, by=common.operator()), f"已停用账号“{md_escape(name)}”。")
        st.rerun()
    if b2.button("解除锁定", key="acc_unlock", icon=":material/lock_open:", disabled=not item["locked"],
                 help="解除因多次输错密码而加的锁定" if item["locked"] else "该账号没有被锁定"):
        _run(lambda: store.unlock_account(name, by=common.operator()), f"已解除账号“{md_escape(name)}”的锁定。")
        st.rerun()
    c1, c2 = st.columns(2)
    password = c1.text_input("新密码", type="password", key=f"{key}_password",
                             help="至少 10 个字符；重设后同时解除锁定，该账号已有的登录失效")
    again = c2.text_input("再次输入新密码", type="password", key=f"{key}_again")
    if st.button("重设密码", key="acc_password", icon=":material/password:"):
        if password != again:
            _notify("error", "两次输入的密码不一致。")
        elif _run(lambda: store.set_password(name, password, by=common.operator()),
                  f"已重设账号“{md_escape(name)}”的密码，并解除锁定。"):
            for field in ("password", "again"):
                st.session_state.pop(f"{key}_{field}", None)
        st.rerun()


def section(store) -> None:
    """The 账号管理 tab: the first administrator in single-user mode, else the accounts and their changes."""
    if notice := st.session_state.pop(NOTICE_KEY, None):
        getattr(st, notice[0])(notice[1])
    if common.mode() == common.LOCAL:
        st.info("现在是本机单用户模式：还没有任何账号，能打开本页的人都可查看和修改全部数据。"
                "创建第一个管理员账号后看板启用登录，之后的账号在这里由管理员管理。")
        auth.first_admin_form(key="acc_first")
        return
    listing = store.accounts()
    st.caption(f"共 {len(listing)} 个账号。账号的每项改动都记入操作日志；改角色、范围、密码或停用后，该账号已有的登录失效。")
    st.dataframe(accounts_frame(listing), hide_index=True, column_config={
        "创建时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "更新时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
        "连续输错": st.column_config.NumberColumn(format="%d 次")})
    with st.container(border=True):
        _new_account(store)
    with st.container(border=True):
        _edit_account(store, listing)
