"""模拟测算: edit actuals and amounts of a copy of a stored form, see the new total at once;
the reverse question (what reaches 优 / full marks); scenarios saved and reloaded by name.

The stored form is never changed. Editor inputs stay fixed per (version, draft) so
Streamlit keeps the user's edits; loading a scenario starts a new draft, and so does a
switch of 元/万元: the edits so far (held in yuan) become the new draft, shown in the new unit.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from perfcore import fmt, views
from perfcore.accounts import Permission
from perfcore.errors import StoreError
from perfcore.model import Form, Scorecard
from perfcore.report import total_text
from perfcore.whatif import Change, WhatIfResult, apply_changes, combine, path_to_grade, what_if
from ui import charts, common

SIMULATE_KEY = "wi_simulate"
ERROR_KEY = "wi_error"
# What the editors start from: {"version": id, "changes": [change dicts], "rev": n, "unit": 元/万元,
# "live": [change dicts]}; "live" is every edit of the last run against the stored form, amounts in yuan.
DRAFT_KEY = "wi_draft"


def draft(version_id: int, unit: str) -> dict:
    """The editors' starting point for this version (the stored form unless a scenario was loaded).

    A switch of 元/万元 carries the edits over: the editors restart (a new key, amounts in the
    new unit) from the last run's edits, so nothing typed is lost and no amount is misread.
    """
    current = st.session_state.get(DRAFT_KEY)
    if not current or current["version"] != version_id:
        current = {"version": version_id, "changes": [], "rev": 0, "unit": unit}
    elif current.get("unit") != unit:
        current = {"version": version_id, "changes": current.get("live", current["changes"]),
                   "rev": current["rev"] + 1, "unit": unit}
    st.session_state[DRAFT_KEY] = current
    return current


def start_draft(version_id: int, changes: list[Change], simulated: bool) -> None:
    """Restart the editors from these changes (a loaded scenario or a reverse what-if answer).

    Called from button callbacks: they run before the widgets exist, so the toggle may be set.
    """
    rev = st.session_state.get(DRAFT_KEY, {}).get("rev", 0) + 1
    st.session_state[DRAFT_KEY] = {"version": version_id, "changes": [c.to_dict() for c in changes], "rev": rev,
                                   "unit": common.money_unit()}
    st.session_state[SIMULATE_KEY] = simulated or st.session_state.get(SIMULATE_KEY, False)


def editor_inputs(start: Form, unit: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the two editors (indicators, funds) show of ``start``, amounts in the display unit."""
    return views.whatif_indicator_input(start), views.whatif_funds_input(start, unit)


def editors(start: Form, inputs: tuple[pd.DataFrame, pd.DataFrame], key: str, unit: str,
            simulate: bool) -> list[Change]:
    """The two data editors showing ``inputs`` (editor_inputs of ``start``); the edits made in them, against it."""
    locked = [] if simulate else ["年度指标值", "分值"]
    st.markdown("**绩效指标**（可修改实际完成值和自评得分" + ("；已开启模拟，可修改指标值和分值" if simulate else "") + "）")
    indicators = st.data_editor(
        inputs[0], key=f"{key}_ind", hide_index=True, num_rows="fixed", placeholder="—",
        disabled=["一级指标", "二级指标", "三级指标", *locked],
        column_config={"分值": st.column_config.NumberColumn(format="%.2f", min_value=0),
                       "自评得分": st.column_config.NumberColumn(format="%.2f", min_value=0)},
    )
    st.markdown(f"**项目资金**（金额单位：{unit}；执行率 = 年度资金总额的全年执行数 ÷ 全年预算数）")
    funds = st.data_editor(
        inputs[1], key=f"{key}_funds", hide_index=True, num_rows="fixed", placeholder="—",
        disabled=["资金"],
        column_config={c: st.column_config.NumberColumn(format="accounting", min_value=0)
                       for c in ("全年预算数", "全年执行数")},
    )
    return views.whatif_changes(start, indicators, funds, unit, simulate=simulate)


def result_tiles(result: WhatIfResult) -> None:
    base, new = result.base, result.new
    tiles = st.columns(4)
    tiles[0].metric("模拟后规则得分", fmt.score(new.total), border=True,
                    delta=f"{fmt.signed(result.total_delta)} 分" if result.total_delta else None,
                    help=f"入库版本的规则得分为 {fmt.score(base.total)}")
    tiles[1].metric("模拟后等级", new.grade_label, border=True,
                    delta=f"原为 {base.grade_label}" if new.grade_label != base.grade_label else None,
                    delta_color="off")
    tiles[2].metric("入库版本规则得分", total_text(base), border=True)
    tiles[3].metric("模拟后预算执行率", fmt.percent(new.execution.rate), border=True,
                    help=f"入库版本为 {fmt.percent(base.execution.rate)}；执行得分 {fmt.score(new.execution.score)}")


def reverse(card: Scorecard, version_id: int, changes: list[Change]) -> None:
    """What does it take: the actual value for full marks, and the fewest changes to reach a grade."""
    st.markdown("**每个扣分指标的满分所需实际值**")
    marks = views.full_marks_frame(card)
    (st.success if marks.empty and not views.unscored(card) else st.caption)(views.remaining_line(card))
    if not marks.empty:
        common.safe_table(marks, points=("扣分",))
    grades = [g for g in views.GRADES if g != "差"]
    c1, c2 = st.columns([1, 3])
    goal = c1.selectbox("目标等级", grades, key="wi_goal")
    path = path_to_grade(card.form, goal)
    if path is None:
        c2.warning(f"即使把所有可推算的指标和预算执行率都做到满分，也达不到“{goal}”。")
    elif not path:
        c2.success(f"当前方案已达到“{goal}”（{fmt.score(card.total)} 分）。")
    else:
        c2.info(f"至少需要改变以下 {len(path)} 项，才能达到“{goal}”：")
        common.safe_table(views.path_frame(card, path), points=("可挽回分数",))
        st.button("把这些实际值填入上方编辑表", key="wi_apply_path", on_click=start_draft,
                  args=(version_id, [*changes, *path], False))


def scenarios(store, version_id: int, changes: list[Change], simulated: bool) -> None:
    """Save the current edits by name; reload or delete saved ones."""
    c1, c2 = st.columns(2)
    with c1:
        name = st.text_input("方案名称", key="wi_name", placeholder="例如：受益企业数达到 20000 家")
        may_save = store.can(Permission.UPLOAD)
        if st.button("保存方案", disabled=not changes or not name.strip() or not may_save, icon=":material/bookmark_add:",
                     help=None if may_save else "查看角色可以测算，但不能保存方案"):
            store.save_scenario(version_id, name.strip(), [c.to_dict() for c in changes], simulated,
                                user=common.operator())
            st.toast(f"已保存方案“{name.strip()}”")
    saved = store.scenarios(version_id)
    with c2:
        if saved.empty:
            st.caption("此版本还没有保存的方案。")
            return
        labels = {int(r.scenario_id): f"{r.name}（{r.n_changes} 处修改{'，模拟' if r.simulated else ''}）"
                  for r in saved.itertuples()}
        chosen = st.selectbox("已保存的方案", list(labels), format_func=labels.get, key="wi_saved")
        b1, b2 = st.columns(2)
        b1.button("载入方案", icon=":material/upload:", on_click=load_scenario, args=(store, version_id, chosen))
        if b2.button("删除方案", icon=":material/delete:", disabled=not store.can(Permission.UPLOAD)):
            store.delete_scenario(chosen)
            st.rerun()


def load_scenario(store, version_id: int, scenario_id: int) -> None:
    """Button callback: restart the editors from a saved scenario."""
    try:
        scenario = store.load_scenario(scenario_id)
    except StoreError as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    start_draft(version_id, [Change.from_dict(d) for d in scenario["changes"]], scenario["simulated"])


def show_result(place, stored: Form, changes: list[Change], version_id: int) -> WhatIfResult | None:
    """The what-if of ``changes`` in ``place`` (an st.empty: drawn again, it replaces what was there)."""
    try:
        result = what_if(stored, changes, base=common.scorecard(version_id))
    except ValueError as exc:
        place.error(f"修改无法计算：{exc}")
        return None
    with place.container():
        if result.simulated:
            st.warning("本方案修改了年度指标值或分值，属于模拟测算，不能作为自评结果。")
        result_tiles(result)
    return result


@st.fragment
def workspace(store, stored: Form, version_id: int, unit: str) -> None:
    """The editors and everything that follows from them; an edit reruns only this part.

    Why a fragment: the form picker and the sidebar above it read the forms table and the
    stored form, which an edit cannot change; a fragment rerun answers an edit without them
    and sends the browser only what is below. The arguments are those of the last full run
    (the picked version, 元/万元): switching either reruns the page, and draft() carries the
    edits over.
    """
    if message := st.session_state.pop(ERROR_KEY, None):
        st.error(message)
    state = draft(version_id, unit)
    drafted = [Change.from_dict(d) for d in state["changes"]]
    start = apply_changes(stored, drafted)

    results = st.empty()  # above the editors: the answer stays in view, and is sent before the grids
    simulate = st.toggle("模拟修改指标值", key=SIMULATE_KEY,
                         help="自评不得更改批复的年度指标值和分值；开启后可以修改，方案会被标记为“模拟”")
    key = f"wi_{version_id}_{state['rev']}"
    # The edits as the editors hold them (their session state), read before the grids are drawn:
    # the new total reaches the browser first. The editors' own answer below is the one that counts.
    inputs = editor_inputs(start, unit)
    early = combine(drafted, views.whatif_changes(
        start, views.with_grid_edits(inputs[0], st.session_state.get(f"{key}_ind")),
        views.with_grid_edits(inputs[1], st.session_state.get(f"{key}_funds")), unit, simulate=simulate))
    result = show_result(results, stored, early, version_id)
    current_changes = combine(drafted, editors(start, inputs, key, unit, simulate))
    state["live"] = [c.to_dict() for c in current_changes]
    if current_changes != early:  # (not seen: the state is what the editors return) redraw from theirs
        result = show_result(results, stored, current_changes, version_id)
    if result is None:
        return

    st.subheader("各指标得分变化")
    diff = views.whatif_diff_frame(result)
    if diff.empty:
        st.caption("尚未修改任何影响得分的内容。修改上表中的实际完成值或执行数即可看到变化。")
    else:
        left, right = st.columns([3, 2])
        with left:
            common.safe_table(diff.assign(变化=diff["变化"].map(fmt.signed)), points=("原得分", "新得分"))
        moved = diff[diff["三级指标"] != views.EXECUTION_LABEL]
        if not moved.empty:
            right.altair_chart(charts.whatif_changes(moved), width="stretch")

    st.subheader("反向测算：要做到什么程度？")
    reverse(result.new, version_id, current_changes)

    st.subheader("保存与载入方案")
    scenarios(store, version_id, current_changes, result.simulated)


store = common.start_page("模拟测算")
st.caption("在入库表单的副本上修改实际完成值或资金金额，立即看到得分和等级的变化；入库数据不会被改动。")
version_id = common.require_form("进行模拟测算")
workspace(store, common.load_form(version_id), version_id, common.money_unit())
