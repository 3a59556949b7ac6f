"""数据管理: import history, the audit trail, soft delete and restore of form versions, rescoring."""
from __future__ import annotations

import streamlit as st

from perfcore import views
from perfcore.accounts import Permission
from perfcore.errors import StoreError
from perfcore.scoring import rules_version
from perfcore.views import md_escape
from perfcore.vocab import ACCOUNT_ACTION_LABELS, LAYOUT_ACTION_LABELS
from ui import accounts_admin, common, teach

NOTICE_KEY = "manage_notice"
# The write waiting for its confirmation: {"action": delete / restore / rescore, "version": id, "picker": key}.
CONFIRM_KEY = "mg_confirming"
# audit actions perfcore.views does not name
MORE_ACTION_LABELS = {"rescore": "重新评分", **ACCOUNT_ACTION_LABELS, **LAYOUT_ACTION_LABELS}
NO_OPERATOR = "请先在本页上方填写操作人：删除、恢复和重新评分都记入操作日志，须写明由谁操作。"
ALL = "（全部）"


def operator() -> str:
    """Who the audit names: the signed-in account, else the name typed (spaces trimmed); "" when none."""
    return common.operator()


def audit_section(store, log) -> None:
    """The audit trail, filtered by person, 实施单位 and action."""
    if log.empty:
        st.caption("还没有任何操作记录。")
        return
    labels = {**views.ACTION_LABELS, **MORE_ACTION_LABELS}
    units = sorted(set(store.forms_table()["unit"]))
    c1, c2, c3 = st.columns(3)
    person = c1.selectbox("操作人", [ALL, *sorted(set(log["user"]))], key="mg_audit_user",
                          format_func=lambda u: u if u else "（未填写）")
    unit = c2.selectbox("实施单位", [ALL, *units], key="mg_audit_unit")
    action = c3.selectbox("操作", [ALL, *sorted(set(log["action"]))], key="mg_audit_action",
                          format_func=lambda a: labels.get(a, a))
    shown = store.audit_table(user=None if person == ALL else person, unit=None if unit == ALL else unit,
                              action=None if action == ALL else action)
    st.caption(f"共 {len(shown)} 条记录" + ("（已筛选）" if len(shown) != len(log) else ""))
    frame = views.audit_frame(shown)
    frame["操作"] = frame["操作"].replace(MORE_ACTION_LABELS)
    st.dataframe(frame, hide_index=True, placeholder="—", column_config={
        "时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})


def ask(action: str, version_id: int | None = None, picker: str | None = None) -> None:
    """Button callback: the first click of a write only asks for its confirmation."""
    st.session_state[CONFIRM_KEY] = {"action": action, "version": version_id, "picker": picker}


def withdraw() -> None:
    """Button callback (取消), and every write when it runs: no confirmation is pending any more."""
    st.session_state.pop(CONFIRM_KEY, None)


def pending(action: str, version_id: int | None = None, picker: str | None = None) -> bool:
    return st.session_state.get(CONFIRM_KEY) == {"action": action, "version": version_id, "picker": picker}


def confirm_step(key: str, question: str, label: str, on_confirm, args: tuple) -> None:
    """The one confirmation step of every write on this page (delete, restore, rescore).

    The question names what will change; the confirm button works only once an operator
    is named, because the audit trail records who did it; 取消 changes nothing.
    """
    st.warning(question)
    if not operator():
        st.info(NO_OPERATOR)
    b1, b2 = st.columns(2)
    b1.button(label, key=f"{key}_confirm", type="primary", disabled=not operator(), on_click=on_confirm, args=args)
    b2.button("取消", key=f"{key}_cancel", on_click=withdraw)


def version_name(info: dict) -> str:
    """“业务培训 · 单位 · 2021年 · 版本 2”: a version as a person names it (the form's version number)."""
    return views.version_label(info).rsplit("（", 1)[0]


def change_version(store, version_id: int, delete: bool) -> None:
    """Button callback (confirmed): soft-delete or restore one version, then refresh every page's data."""
    withdraw()
    user = operator()
    if not user:  # the button is disabled without one; a forged or stale click changes nothing either
        st.session_state[NOTICE_KEY] = ("error", NO_OPERATOR)
        return
    try:
        name = md_escape(version_name(store.version_info(version_id)))  # shown as markdown: form text escaped
        changed = store.delete_version(version_id, user) if delete else store.restore_version(version_id, user)
    except StoreError as exc:
        st.session_state[NOTICE_KEY] = ("error", str(exc))
        return
    common.clear_caches()
    verb = "删除" if delete else "恢复"
    done = f"已{verb}：{name}（操作人：{md_escape(user)}）。" if changed else f"{name} 无需{verb}。"
    st.session_state[NOTICE_KEY] = ("success", done)


def rescore(store) -> None:
    """Button callback (confirmed): recompute every stored version's scores by today's rules, then refresh every page."""
    withdraw()
    user = operator()
    if not user:
        st.session_state[NOTICE_KEY] = ("error", NO_OPERATOR)
        return
    try:
        report = store.rescore(common.APP_POLICY, user=user)
    except StoreError as exc:
        st.session_state[NOTICE_KEY] = ("error", str(exc))
        return
    common.clear_caches()
    done = (f"已按现行规则重新评分 {report.n_versions} 个版本：{report.n_changed} 个有变化"
            f"（其中总分、等级或读取状态变化 {report.n_totals_changed} 个）。各页面已按新的得分显示。")
    st.session_state[NOTICE_KEY] = ("success", done)


def rescore_section(store) -> None:
    """Whether stored scores follow today's rules, and the rescore with its confirmation step."""
    status = common.score_status()
    if not status["n_versions"]:
        st.caption("数据库里还没有自评表。")
        return
    if status["n_stale"]:
        st.warning(f"{status['n_stale']} 个版本（其中当前版本 {status['n_current_stale']} 个）的规则得分、等级和审核意见"
                   "是按旧版评分规则或其他评分规则保存的，部门总览与项目评分卡可能不一致。")
    else:
        st.success(f"全部 {status['n_versions']} 个版本的得分都已按现行评分规则计算。")
    st.markdown(f"重新评分按现行评分规则“{common.APP_POLICY.label}”（规则版本 {rules_version(common.APP_POLICY)}），"
                "从保存的自评表内容重新计算每个版本（含历史版本和已删除版本）的规则得分、审核意见、等级和读取状态；"
                "自评表内容本身不变。一次完成（要么全部更新，要么不变），记入操作日志。")
    if pending("rescore"):
        confirm_step("mg_rescore", f"确认按现行评分规则重新计算全部 {status['n_versions']} 个版本的得分？",
                     "确认重新评分", rescore, (store,))
        return
    st.button("重新评分", key="mg_rescore", icon=":material/refresh:", on_click=ask, args=("rescore",),
              type="primary" if status["n_stale"] else "secondary")


def version_actions(store, version_ids: list[int], key: str) -> None:
    """A version picker with delete / restore buttons (only the one that applies is enabled), each confirmed."""
    infos = {vid: store.version_info(vid) for vid in version_ids}
    chosen = st.selectbox("版本", version_ids, format_func=lambda v: views.version_label(infos[v]), key=key)
    deleted = bool(infos[chosen]["deleted"])
    action = "restore" if deleted else "delete"
    if pending(action, chosen, key):
        name = md_escape(version_name(infos[chosen]))
        if deleted:
            question = f"确认恢复“{name}”？恢复后它重新计入各页面；若它是该项目最新的版本，将成为当前版本。"
        else:
            question = (f"确认删除“{name}”？这是软删除：数据保留，可随时在本页恢复；"
                        "删除当前版本后，上一版本成为当前版本。")
        confirm_step(key, question, "确认恢复" if deleted else "确认删除", change_version, (store, chosen, not deleted))
        return
    b1, b2 = st.columns(2)
    b1.button("删除此版本", key=f"{key}_delete", disabled=deleted, icon=":material/delete:",
              on_click=ask, args=("delete", chosen, key),
              help="软删除：数据保留，可随时恢复；删除当前版本后，上一版本成为当前版本")
    b2.button("恢复此版本", key=f"{key}_restore", disabled=not deleted, icon=":material/restore:",
              on_click=ask, args=("restore", chosen, key))


store = common.start_page("数据管理", Permission.MANAGE)
if notice := st.session_state.pop(NOTICE_KEY, None):
    (st.error if notice[0] == "error" else st.success)(notice[1])

log = store.audit_table()
if common.account() is None:
    st.text_input("操作人（记入操作日志）", key=common.USER_KEY, placeholder="例如：张三",
                  help="删除、恢复和重新评分须填写操作人，并在确认后才执行")
else:
    st.caption(f"操作人：{md_escape(operator())}（已登录账号，记入操作日志）")
imports, versions, scores, people, audit, taught = st.tabs(["导入记录", "删除与恢复", "重新评分", "账号管理", "操作日志", "对照"])

with imports:
    st.caption(f"数据库文件：{md_escape(common.db_path())}")  # for administrators; not in the sidebar
    table = store.imports_table()
    if table.empty:
        common.empty_state("查看导入记录")
    else:
        st.dataframe(views.imports_frame(table), hide_index=True, placeholder="—", column_config={
            "导入时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})

with versions:
    st.markdown("**在用的表单**：选择项目后可删除或恢复它的任一版本。")
    version_id = common.pick_form()
    if version_id is None:
        st.caption("没有在用的表单。")
    else:
        year, unit, project = common.load_form(version_id).key
        version_actions(store, [int(v) for v in store.history(year, unit, project)["version_id"]], "mg_version")
    gone = [v for v in views.deleted_candidates(log) if store.version_info(v)["deleted"]] if not log.empty else []
    if gone:
        st.markdown("**已删除的版本**（包括所有版本都被删除、已不在列表中的表单）")
        version_actions(store, gone, "mg_deleted")

with scores:
    rescore_section(store)

with people:
    accounts_admin.section(store)

with audit:
    audit_section(store, log)

with taught:
    teach.admin_section(store)
