"""模拟测算 page: edit the seed's 窗口业务管理 through the editor state and see the new total."""
from __future__ import annotations

import pytest
from apphelp import ROOT, open_page, seed, texts, unescape
from drawn import tables

WINDOW = {"year": "2021", "unit": "上海市松江区行政服务中心", "project": "窗口业务管理"}


def _editor(at, suffix: str):
    return next(d for d in at.dataframe if d.key and d.key.endswith(suffix))


def _edit(at, suffix: str, rows: dict) -> None:
    at.session_state[_editor(at, suffix).key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _row(at, name: str) -> int:
    return list(_editor(at, "_ind").value["三级指标"]).index(name)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _missed_row(at) -> int:
    """The indicator with target 29000 家 (3146 achieved, 0.76 of 7 points)."""
    frame = _editor(at, "_ind").value
    return int(frame.index[frame["年度指标值"].str.contains("29000")][0])


def test_empty_database_links_to_upload(app_db):
    assert "数据库里还没有自评表" in texts(open_page("whatif"))


def test_editing_an_actual_updates_total_and_grade_shows_against_stored(app_db):
    seed(app_db)
    at = open_page("whatif", WINDOW)
    assert _metrics(at)["模拟后规则得分"] == "92.01"
    row = _missed_row(at)
    _edit(at, "_ind", {row: {"实际完成值": "29000家"}})
    metrics = _metrics(at)
    assert metrics["模拟后规则得分"] == "98.25"  # 92.01 + (7 − 0.76)
    assert metrics["入库版本规则得分"] == "92.01（优）"
    diff = [t for t in tables(at) if "变化" in t.columns][0]
    assert [unescape(v) for v in diff["变化"]] == ["+6.24"]
    # targets are locked unless the simulation toggle is on: editing one changes nothing
    _edit(at, "_ind", {row: {"年度指标值": "≥3146家"}})
    assert _metrics(at)["模拟后规则得分"] == "92.01"
    at.toggle(key="wi_simulate").set_value(True).run()
    _edit(at, "_ind", {row: {"年度指标值": "≥3146家"}})
    assert _metrics(at)["模拟后规则得分"] == "98.25"
    assert "属于模拟测算" in texts(at)


def test_execution_amount_and_reverse_what_if(app_db):
    seed(app_db)
    at = open_page("whatif", WINDOW)
    # spend 80% of the full-year budget (802,257.18 元): execution score 10 → 8
    _edit(at, "_funds", {0: {"全年执行数": 641805.74}})
    metrics = _metrics(at)
    assert metrics["模拟后预算执行率"] == "80.00%"
    assert metrics["模拟后规则得分"] == "90.01"
    # reverse: what it takes to reach 优 again is shown; full marks needs 29000家 on the missed row
    marks = [t for t in tables(at) if "满分所需实际值" in t.columns][0]
    assert "29000家" in [unescape(v) for v in marks["满分所需实际值"]]
    at.selectbox(key="wi_goal").set_value("优").run()
    assert "当前方案已达到“优”" in texts(at)


def test_scenarios_save_and_reload(app_db):
    seed(app_db)
    at = open_page("whatif", WINDOW)
    _edit(at, "_ind", {_missed_row(at): {"实际完成值": "29000家"}})
    at.text_input(key="wi_name").set_value("受益企业全覆盖").run()
    next(b for b in at.button if b.label == "保存方案").click().run()
    assert not at.exception
    assert at.selectbox(key="wi_saved").options == ["受益企业全覆盖（1 处修改）"]
    # a fresh session: load the scenario and see its total again
    fresh = open_page("whatif", WINDOW)
    assert _metrics(fresh)["模拟后规则得分"] == "92.01"
    next(b for b in fresh.button if b.label == "载入方案").click().run()
    assert not fresh.exception
    assert _metrics(fresh)["模拟后规则得分"] == "98.25"


def test_reverse_path_to_grade_fills_the_editor(app_db):
    seed(app_db)
    at = open_page("whatif", WINDOW)
    _edit(at, "_funds", {0: {"全年执行数": 401128.59}})  # half the budget spent: 92.01 − 5 = 87.01 (良)
    assert _metrics(at)["模拟后规则得分"] == "87.01" and _metrics(at)["模拟后等级"] == "良"
    assert "至少需要改变以下 1 项，才能达到“优”" in texts(at)
    at.button(key="wi_apply_path").click().run()
    assert not at.exception
    assert _metrics(at)["模拟后规则得分"] == "93.25" and _metrics(at)["模拟后等级"] == "优"
    assert _editor(at, "_ind").value.iloc[_missed_row(at)]["实际完成值"] == "29000家"


PUTUO = ROOT / "tests" / "fixtures" / "provinces" / "02_shanghai_putuo_sports_2022.xlsx"
AID = {"year": "2022", "unit": "上海市普陀区体育事业管理中心", "project": "援滇对口支援及结对帮扶经费"}


def test_reverse_what_if_counts_the_execution_score(app_db):
    """Issue 19: after raising 经费使用率 to 100% the page said “所有指标都已得满分” while 预算执行率
    (45.17% spent) still cost 5.48 points."""
    seed(app_db, PUTUO)
    at = open_page("whatif", AID)
    _edit(at, "_ind", {_row(at, "经费使用率"): {"实际完成值": "100%"}})
    assert _metrics(at)["模拟后规则得分"] == "94.52"
    shown = texts(at)
    assert "所有指标和预算执行率都已得满分" not in shown and "所有指标都已得满分" not in shown
    assert "还可挽回：扣 5.48 分：预算执行率 −5.48。" in shown
    marks = [t for t in tables(at) if "满分所需实际值" in t.columns][0]
    row = marks[marks["三级指标"] == "预算执行率"].iloc[0]
    assert (row["实际完成值"], row["扣分"]) == ("45.17%", "5.48")
    assert unescape(row["满分所需实际值"]) == "全年执行数 20,000.00 元（执行率 100.00%）"
    at.selectbox(key="wi_goal").set_value("优").run()
    assert "当前方案已达到“优”（94.52 分）" in texts(at)


def test_reverse_path_raises_spending_when_that_reaches_the_grade(app_db):
    seed(app_db, PUTUO)
    at = open_page("whatif", AID)  # 89.04 (良): 经费使用率 and 预算执行率 each cost 5.48
    at.selectbox(key="wi_goal").set_value("优").run()
    assert "至少需要改变以下 1 项，才能达到“优”" in texts(at)
    at.button(key="wi_apply_path").click().run()
    assert not at.exception
    assert _metrics(at)["模拟后等级"] == "优"


def _unit(at, unit: str) -> None:
    """The sidebar's 元/万元 switch. AppTest drops the sidebar's elements after switch_page (the
    widget still runs, with its default): set its state before every run."""
    at.session_state["money_unit"] = unit


def test_switching_the_money_unit_keeps_the_edits(app_db):
    seed(app_db)
    at = open_page("whatif", WINDOW)
    row = _missed_row(at)
    _edit(at, "_ind", {row: {"实际完成值": "29000家"}})
    _edit(at, "_funds", {0: {"全年执行数": 641805.74}})  # 80% of 802,257.18 元: execution 10 → 8
    assert _metrics(at)["模拟后规则得分"] == "96.25"
    _unit(at, "万元")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metrics(at)["模拟后规则得分"] == "96.25" and _metrics(at)["模拟后预算执行率"] == "80.00%"
    assert _editor(at, "_ind").value.iloc[row]["实际完成值"] == "29000家"
    assert _editor(at, "_funds").value.iloc[0]["全年执行数"] == pytest.approx(64.180574)
    assert "金额单位：万元" in texts(at)
    # an edit in 万元 counts in 万元 and replaces the earlier amount (the rows it adds up with follow)
    _unit(at, "万元")
    _edit(at, "_funds", {0: {"全年执行数": 40.112859}})  # half the budget: execution 10 → 5
    assert _metrics(at)["模拟后规则得分"] == "93.25" and _metrics(at)["模拟后预算执行率"] == "50.00%"
    # back to 元: both edits are still there, the amount in yuan
    _unit(at, "元")
    at.run()
    assert _metrics(at)["模拟后规则得分"] == "93.25"
    assert _editor(at, "_funds").value.iloc[0]["全年执行数"] == pytest.approx(401128.59)
    assert _editor(at, "_ind").value.iloc[row]["实际完成值"] == "29000家"
    # a further edit after the switches counts together with the earlier ones
    _edit(at, "_funds", {0: {"全年执行数": 802257.18}})
    assert _metrics(at)["模拟后规则得分"] == "98.25"
    diff = [t for t in tables(at) if "变化" in t.columns][0]
    assert [unescape(v) for v in diff["三级指标"]] == ["服务新开办企业数量"]
