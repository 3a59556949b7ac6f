"""项目评分卡 page: the seed's 窗口业务管理 through deep links, KPIs, deductions, findings, downloads."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

from apphelp import ROOT, open_page, seed, texts, unescape
from drawn import tables

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
    assert metrics["规则得分"] == "92.01" and metrics["等级"] == "优" and metrics["自评得分"] == "98.00"
    assert metrics["预算执行率"] == "100.00%"
    assert metrics["年中预算调整"] == "-77.69%"  # 3,596,500.00 → 802,257.18
    # indicator tables: the two missed quantity targets lost 6.24 and 1.75 points
    frames = [t for t in tables(at)]
    deducted = {r["三级指标"]: unescape(r["扣分"]) for f in frames if "扣分" in f for r in f.to_dict("records")
                if unescape(r["扣分"]) != "0.00"}
    assert sorted(deducted.values()) == ["1.75", "6.24"]
    page = texts(at)
    assert "错误（2）" in page  # the two inflation findings, expanded, with their cells
    inflation = [t for t in tables(at) if "代码" in t and t["代码"].eq("C09").any()][0]
    assert [unescape(c) for c in inflation["单元格"]] == ["D13", "D14"]  # as the messages name them
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载评分表（Excel）"]  # the PDF is built when asked (tests/test_exports.py)


def test_version_link_and_money_unit_switch(app_db):
    seed(app_db)
    store = Store(app_db)
    try:
        version = int(store.forms_table().query("project == '业务培训'")["version_id"].iloc[0])
    finally:
        store.close()
    at = open_page("scorecard", {"v": str(version)})
    assert at.selectbox(key="project").value == "业务培训"
    funds = _funds(at)
    assert unescape(funds.iloc[0]["年初预算数"]) == "18,000.00"
    # AppTest drops the sidebar's elements after switch_page (the widget still runs): set its state
    at.session_state["money_unit"] = "万元"
    at.run()
    funds = _funds(at)
    assert unescape(funds.iloc[0]["年初预算数"]) == "1.80"
    assert "项目资金（万元）" in texts(at)
    # the execution arithmetic follows the unit and names it
    assert "执行率 = 0.80 万元 ÷ 0.80 万元 = 100.00%" in texts(at)


def _funds(at):
    return next(t for t in tables(at) if "年初预算数" in t)


ENGLISH = ("Upload", "per file", "Choose an option", "Select all", "Show data", "Download as", "Copy Vega",
           "Fullscreen", "Search", "Print", "Record screen", "Made with Streamlit", "None", "mof-2020")


def test_top_of_the_page_says_where_the_points_went(app_db):
    seed(app_db)
    at = open_page("scorecard", WINDOW)
    sentence = at.info[0].value
    assert sentence == "规则得分 92.01 分（优），扣 7.99 分：服务新开办企业数量 −6.24，政务服务免费快递业务量 −1.75。"
    page = texts(at)
    assert "评分规则：财预〔2020〕10号（上海两位小数）" in page
    # scores with two decimals in tiles and tables alike; no English, no "None"
    assert {m.label: m.value for m in at.metric}["自评得分"] == "98.00"
    cells = "\n".join(t.astype(str).to_csv() for t in tables(at))
    assert not [w for w in ENGLISH if w in page or w in cells]
    # the indicator table wraps (a static table): 评分说明 and 偏差原因分析 are whole, nothing in a scrolled grid
    indicators = next(t for t in tables(at) if "评分说明" in t)
    assert list(indicators.columns)[-3:] == ["评分说明", "偏差原因分析", "单元格"]
    assert "未达标：7 × 3146 ÷ 29000 = 0.76" in [unescape(x) for x in indicators["评分说明"]]


def _two_years(db) -> None:
    """The seed as 2021 (全部执行: 窗口业务管理 92.01) and again as 2022 (80% spent: 90.01)."""
    seed(db)
    seed(db, year=2022, spent=0.8)


def _follow(at, label: str):
    """Click a st.page_link in the same session: its page with exactly its query parameters."""
    link = next(e for e in at.get("page_link") if e.proto.label == label)
    page = {p["page_script_hash"]: p["script_path"] for p in at._registered_pages.values()}[link.proto.page_script_hash]
    at.query_params.clear()
    at.query_params.update(dict(parse_qsl(link.proto.query_string)))
    at.switch_page(str(Path(page).relative_to(ROOT))).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_deep_link_names_the_year_when_two_years_are_stored(app_db):
    _two_years(app_db)
    at = open_page("scorecard", WINDOW)
    assert at.selectbox(key="year").value == 2021 and at.selectbox(key="project").value == "窗口业务管理"
    assert _metrics(at)["规则得分"] == "92.01" and "年度：2021年" in texts(at)
    # the year as the selector shows it works too, and so does the newer year
    assert _metrics(open_page("scorecard", {**WINDOW, "year": "2021年"}))["规则得分"] == "92.01"
    assert _metrics(open_page("scorecard", {**WINDOW, "year": "2022"}))["规则得分"] == "90.01"


def test_whatif_link_opens_the_same_form(app_db):
    _two_years(app_db)
    at = _follow(open_page("scorecard", WINDOW), "用此表做模拟测算")
    assert at.title[0].value == "模拟测算"
    assert at.selectbox(key="year").value == 2021 and at.selectbox(key="project").value == "窗口业务管理"
    assert _metrics(at)["入库版本规则得分"] == "92.01（优）"
    # ... and the 2022 scorecard's link opens the 2022 form
    at = open_page("scorecard", {**WINDOW, "year": "2022"})
    assert _metrics(_follow(at, "用此表做模拟测算"))["入库版本规则得分"] == "90.01（优）"


def test_a_deep_link_to_no_stored_form_says_so(app_db):
    _two_years(app_db)
    for wrong in ({**WINDOW, "project": "不存在的项目"}, {**WINDOW, "year": "2019"}, {**WINDOW, "year": "明年"}):
        at = open_page("scorecard", wrong)
        warnings = [w.value for w in at.warning]
        assert any("数据库中没有链接所指的自评表" in w for w in warnings), (wrong, warnings)


def test_picking_another_form_rewrites_the_address(app_db):
    _two_years(app_db)
    at = open_page("scorecard", WINDOW)
    at.selectbox(key="project").set_value("业务培训").run()
    assert at.header[0].value == "业务培训"
    assert at.query_params["year"] == "2021" and at.query_params["project"] == "业务培训"
    at.selectbox(key="year").set_value(2022).run()  # the unit and project stay, the year changes
    assert at.selectbox(key="project").value == "业务培训" and at.query_params["year"] == "2022"
    at.run()  # a rerun with the address the picker wrote keeps the choice
    assert at.selectbox(key="year").value == 2022 and at.header[0].value == "业务培训"


def test_links_to_a_form_without_a_year(app_db):
    seed(app_db)
    seed(app_db, year=None, spent=0.8)
    at = open_page("scorecard", {**WINDOW, "year": "未填年度"})
    assert at.selectbox(key="year").value is None and _metrics(at)["规则得分"] == "90.01"
    assert "年度：未填年度" in texts(at)
    at = _follow(at, "用此表做模拟测算")
    assert at.selectbox(key="year").value is None and _metrics(at)["入库版本规则得分"] == "90.01（优）"


def test_versions_are_named_by_their_number_not_the_database_id(app_db):
    seed(app_db)
    seed(app_db, spent=0.8)  # a second version of each 2021 form (database ids 6–10)
    with Store(app_db) as store:
        history = store.history(2021, WINDOW["unit"], WINDOW["project"])
    first = int(history.loc[history["version_no"] == 1, "version_id"].iloc[0])
    at = open_page("scorecard", WINDOW)
    page = texts(at)
    assert "正在查看版本 2（当前版本）" in page and "版本编号" not in page
    history_table = next(t for t in tables(at) if "查看" in t.columns and "版本" in t.columns)
    assert list(history_table["版本"]) == ["2", "1"]
    old = open_page("scorecard", {"v": str(first)})
    assert "正在查看版本 1（历史版本）" in texts(old) and _metrics(old)["规则得分"] == "92.01"
    assert "数据库中没有链接所指的版本（v=999）" in texts(open_page("scorecard", {"v": "999"}))


def test_the_version_history_shows_what_changed_between_two_versions(app_db):
    """Version 2 of 窗口业务管理 spends 80 % of its budget: the history counts one change against
    version 1, and the comparison names it with both amounts as the stored forms hold them."""
    seed(app_db)
    seed(app_db, spent=0.8)
    with Store(app_db) as store:
        history = store.history(2021, WINDOW["unit"], WINDOW["project"])
        ids = dict(zip(history["version_no"], history["version_id"], strict=True))
        old, new = store.load_form(int(ids[1])), store.load_form(int(ids[2]))
    label = old.fund("total").label
    before, after = old.fund("total").executed.value, new.fund("total").executed.value
    assert before != after
    at = open_page("scorecard", WINDOW)
    assert not at.exception
    history_table = next(t for t in tables(at) if "与上一版本相比" in t.columns)
    assert list(history_table["与上一版本相比"]) == ["改动 1 处", "—"]
    assert "版本 1 → 版本 2：改动 1 处" in texts(at)
    diff = tables(at)[-1]
    assert list(diff.columns) == ["内容", "版本 1", "版本 2"]
    assert diff.values.tolist() == [[f"项目资金 · {label} · 全年执行数", f"{before:,.2f} 元", f"{after:,.2f} 元"]]
    # the other way round, and the same version twice
    at.selectbox(key=f"diff_old_{int(ids[2])}").set_value(2).run()
    at.selectbox(key=f"diff_new_{int(ids[2])}").set_value(1).run()
    assert tables(at)[-1].values.tolist() == [[f"项目资金 · {label} · 全年执行数", f"{after:,.2f} 元", f"{before:,.2f} 元"]]
    at.selectbox(key=f"diff_new_{int(ids[2])}").set_value(2).run()
    assert "请选择两个不同的版本" in texts(at)


def test_a_single_version_has_no_comparison(app_db):
    seed(app_db)
    at = open_page("scorecard", WINDOW)
    assert "版本比较" not in texts(at)
    history_table = next(t for t in tables(at) if "查看" in t.columns and "版本" in t.columns)
    assert "与上一版本相比" not in history_table.columns
