"""项目评分卡 page: the seed's 窗口业务管理 through deep links, KPIs, deductions, findings, downloads."""
from __future__ import annotations

from apphelp import open_page, seed, texts, unescape

from perfcore.store import Store

WINDOW = {"year": "2021", "unit": "上海市松江区行政服务中心", "project": "窗口业务管理"}


def test_empty_database_links_to_upload(app_db):
    at = open_page("scorecard")
    assert "数据库里还没有自评表" in texts(at)


def test_deep_link_shows_rule_total_deductions_and_findings(app_db):
    seed(app_db)
    at = open_page("scorecard", WINDOW)
    assert at.selectbox(key="project").value == "窗口业务管理"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["规则得分"] == "92.01" and metrics["等级"] == "优" and metrics["自评得分"] == "98"
    assert metrics["预算执行率"] == "100.00%"
    assert metrics["年中预算调整"] == "-77.69%"  # 3,596,500.00 → 802,257.18
    # indicator tables: the two missed quantity targets lost 6.24 and 1.75 points
    frames = [d.value for d in at.dataframe]
    deducted = {r["三级指标"]: r["扣分"] for f in frames if "扣分" in f for r in f.to_dict("records") if r["扣分"] > 0}
    assert sorted(deducted.values()) == [1.75, 6.24]
    page = texts(at)
    assert "错误（2）" in page  # the two inflation findings, expanded, with their cells
    inflation = [t.value for t in at.table if "代码" in t.value and t.value["代码"].eq("C09").any()][0]
    assert all(unescape(c).startswith("窗口业务管理!D") for c in inflation["单元格"])
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载评分表（Excel）", "打印版（HTML）"]


def test_version_link_and_money_unit_switch(app_db):
    seed(app_db)
    store = Store(app_db)
    try:
        version = int(store.forms_table().query("project == '业务培训'")["version_id"].iloc[0])
    finally:
        store.close()
    at = open_page("scorecard", {"v": str(version)})
    assert at.selectbox(key="project").value == "业务培训"
    funds = at.table[0].value
    assert unescape(funds.iloc[0]["年初预算数"]) == "18,000.00"
    # AppTest drops the sidebar's elements after switch_page (the widget still runs): set its state
    at.session_state["money_unit"] = "万元"
    at.run()
    funds = at.table[0].value
    assert unescape(funds.iloc[0]["年初预算数"]) == "1.80"
    assert "项目资金（万元）" in texts(at)
