"""数据管理: import history, the audit trail, soft delete and restore of form versions."""
from __future__ import annotations

import streamlit as st

from perfcore import views
from perfcore.errors import StoreError
from ui import common

NOTICE_KEY = "manage_notice"


def change_version(store, version_id: int, delete: bool) -> None:
    """Button callback: soft-delete or restore one version, then refresh every page's data."""
    user = st.session_state.get(common.USER_KEY, "").strip()
    try:
        changed = store.delete_version(version_id, user) if delete else store.restore_version(version_id, user)
    except StoreError as exc:
        st.session_state[NOTICE_KEY] = ("error", str(exc))
        return
    common.clear_caches()
    verb = "删除" if delete else "恢复"
    st.session_state[NOTICE_KEY] = ("success", f"已{verb}版本 {version_id}。" if changed else f"版本 {version_id} 无需{verb}。")


def version_actions(store, version_ids: list[int], key: str) -> None:
    """A version picker with delete / restore buttons (only the one that applies is enabled)."""
    infos = {vid: store.version_info(vid) for vid in version_ids}
    chosen = st.selectbox("版本", version_ids, format_func=lambda v: views.version_label(infos[v]), key=key)
    deleted = bool(infos[chosen]["deleted"])
    b1, b2 = st.columns(2)
    b1.button("删除此版本", key=f"{key}_delete", disabled=deleted, icon=":material/delete:",
              on_click=change_version, args=(store, chosen, True),
              help="软删除：数据保留，可随时恢复；删除当前版本后，上一版本成为当前版本")
    b2.button("恢复此版本", key=f"{key}_restore", disabled=not deleted, icon=":material/restore:",
              on_click=change_version, args=(store, chosen, False))


store = common.start_page("数据管理")
if notice := st.session_state.pop(NOTICE_KEY, None):
    (st.error if notice[0] == "error" else st.success)(notice[1])

log = store.audit_table()
imports, versions, audit = st.tabs(["导入记录", "删除与恢复", "操作日志"])

with imports:
    table = store.imports_table()
    if table.empty:
        common.empty_state("查看导入记录")
    else:
        st.dataframe(views.imports_frame(table), hide_index=True, column_config={
            "导入时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})

with versions:
    st.text_input("操作人（记入操作日志）", key=common.USER_KEY, placeholder="例如：张三")
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

with audit:
    if log.empty:
        st.caption("还没有任何操作记录。")
    else:
        st.dataframe(views.audit_frame(log), hide_index=True, column_config={
            "时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")})
