"""Every figure a leader reads in a report is the stored number (issue 19: rates printed ×100).

The reports are read the way a person reads them: the PDF's copyable text (pypdf), each
workbook cell as Excel shows it (its value *through* its number format), the page's text
(AppTest). Expected texts are written here from the Store's numbers with this file's own
formatting rules, not with perfcore.fmt, so a wrong formatter fails too.

Data: the seed workbook (5 forms, 100.00% executed) and the Shanghai province fixture
(普陀 86.18%, 援滇 45.17%: a rate that is not 100% shows a ×100 at once).
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from apphelp import open_page, seed
from drawn import tables
from formfactory import Row, clean_rows, make_form
from pypdf import PdfReader

from perfcore.exports.department import department_data, department_pdf
from perfcore.exports.excel import department_workbook, scorecard_workbook
from perfcore.exports.scorecard import scorecard_pdf
from perfcore.scoring import score_form
from perfcore.store import Filters, Store
from perfcore.writer import write_forms

ROOT = Path(__file__).resolve().parent
PUTUO = ROOT / "fixtures" / "provinces" / "02_shanghai_putuo_sports_2022.xlsx"
YUNNAN_AID = "援滇对口支援及结对帮扶经费"
SCALE = {"元": 1.0, "万元": 10_000.0}


# --- how a person reads a figure (written independently of perfcore.fmt) --------------------------


def pct(fraction: float) -> str:
    return f"{fraction * 100:,.2f}%"


def amount(yuan: float, unit: str) -> str:
    return f"{yuan / SCALE[unit]:,.2f}"


def pts(points: float) -> str:
    return f"{points:.2f}"


def signed(points: float) -> str:
    return ("+" if round(points, 2) > 0 else "") + f"{points:.2f}"


def shown(cell) -> str:
    """An Excel cell as Excel displays it, through its number format (the formats perfboard writes)."""
    value, form = cell.value, cell.number_format
    if value is None or isinstance(value, str):
        return "" if value is None else value
    if form == "0.00%":
        return f"{value * 100:.2f}%"
    if form == "#,##0.00":
        return f"{value:,.2f}"
    if form == "0.00":
        return f"{value:.2f}"
    assert form == "General", form
    return str(value)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def percents(text: str) -> list[float]:
    return [float(p.replace(",", "")) for p in re.findall(r"(-?[\d,]+\.\d+)%", text)]


# --- data ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("figures") / "figures.duckdb"
    seed(path)
    seed(path, PUTUO)
    return path


@pytest.fixture(scope="module")
def stored(db: Path) -> pd.DataFrame:
    with Store(db) as store:
        return store.forms_table(Filters())


def test_the_data_holds_rates_other_than_100_percent(stored):
    rates = dict(zip(stored["project"], stored["rate"]))
    assert rates[YUNNAN_AID] == pytest.approx(0.4517)
    assert rates["窗口业务管理"] == pytest.approx(1.0)
    assert len(stored) == 7


# --- the department PDF ------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["元", "万元"])
def test_department_pdf_every_project_row_reads_the_stored_figures(db, stored, unit):
    with Store(db) as store:
        text = pdf_text(department_pdf(store, Filters(), unit))
    ranked = text[text.index("项目排名"):text.index("各实施单位")].replace("\n", " ")
    for r in stored.to_dict("records"):
        row = (f"{r['grade']} {pts(r['rule_total'])} {pts(r['declared_total'])} {signed(r['difference'])} "
               f"{pct(r['rate'])} {amount(r['budget'], unit)} {amount(r['executed'], unit)} "
               f"{int(r['n_errors'])} {int(r['n_warnings'])}")
        assert row in ranked, (r["project"], row)
    assert "45.17%" in ranked and "10,000.00%" not in text and "4,517.00%" not in text
    assert max(percents(text)) <= 100.0  # no rate of these forms is above 100%

    summary = text[text.index("总体情况"):text.index("图表")]
    budget, executed = stored["budget"].sum(), stored["executed"].sum()
    assert f"全年预算数（{unit}） {amount(budget, unit)}" in summary
    assert f"全年执行数（{unit}） {amount(executed, unit)}" in summary
    assert f"预算执行率（对全年预算） {pct(executed / budget)}" in summary
    assert f"预算执行率（对年初预算） {pct(executed / stored['initial'].sum())}" in summary
    assert f"平均规则得分 {pts(stored['rule_total'].mean())}" in summary

    units = text[text.index("各实施单位"):].replace("\n", " ")
    for name, rows in stored.groupby("unit"):
        line = (f"{name} {len(rows)} {len(rows)} {amount(rows['budget'].sum(), unit)} "
                f"{amount(rows['executed'].sum(), unit)} {pct(rows['executed'].sum() / rows['budget'].sum())} "
                f"{pts(rows['rule_total'].mean())}")
        assert line in units, line


def test_department_pdf_rate_chart_labels_read_the_stored_rates(db, stored):
    with Store(db) as store:
        text = pdf_text(department_pdf(store, Filters(), "元"))
    end = text.index("各项目预算执行率")
    chart = text[text.index("等级分布"):end]  # the rate chart: axis, labels, then its title
    for rate in stored["rate"]:
        assert pct(rate) in chart


# --- the department workbook -------------------------------------------------------------------------


def _rows(ws) -> list[dict]:
    headers = [c.value for c in ws[1]]
    return [dict(zip(headers, row)) for row in ws.iter_rows(min_row=2)]


@pytest.mark.parametrize("unit", ["元", "万元"])
def test_department_workbook_values_and_formats_read_the_stored_figures(db, stored, unit):
    with Store(db) as store:
        wb = openpyxl.load_workbook(io.BytesIO(department_workbook(department_data(store, Filters()), unit)))
    by_project = {r["project"]: r for r in stored.to_dict("records")}
    rows = _rows(wb["项目"])
    assert len(rows) == len(stored)
    for row in rows:
        r = by_project[row["项目"].value]
        assert row["执行率"].value == pytest.approx(r["rate"]) and row["执行率"].number_format == "0.00%"
        assert shown(row["执行率"]) == pct(r["rate"])
        for header, key in (("年初预算数", "initial"), ("全年预算数", "budget"), ("全年执行数", "executed")):
            cell = row[f"{header}（{unit}）"]
            assert cell.value == pytest.approx(r[key] / SCALE[unit])
            assert shown(cell) == amount(r[key], unit), header
        for header, key in (("规则总分", "rule_total"), ("自评总分", "declared_total"), ("差额", "difference")):
            assert shown(row[header]) == pts(r[key]), header
        assert row["等级"].value == r["grade"]
    aid = next(row for row in rows if row["项目"].value == YUNNAN_AID)
    assert shown(aid["执行率"]) == "45.17%"

    kpis = {row["指标"].value: row["数值"] for row in _rows(wb["总览"])}
    budget, executed = stored["budget"].sum(), stored["executed"].sum()
    assert shown(kpis[f"全年预算数（{unit}）"]) == amount(budget, unit)
    assert shown(kpis[f"全年执行数（{unit}）"]) == amount(executed, unit)
    assert shown(kpis["预算执行率（对全年预算）"]) == pct(executed / budget)
    assert shown(kpis["平均规则得分"]) == pts(stored["rule_total"].mean())

    for row in _rows(wb["实施单位"]):
        mine = stored[stored["unit"] == row["实施单位"].value]
        assert shown(row["预算执行率"]) == pct(mine["executed"].sum() / mine["budget"].sum())
        assert shown(row[f"全年预算数（{unit}）"]) == amount(mine["budget"].sum(), unit)
        assert shown(row["平均规则得分"]) == pts(mine["rule_total"].mean())


# --- one scorecard -------------------------------------------------------------------------------------


def _card(db: Path, project: str):
    with Store(db) as store:
        table = store.forms_table()
        return score_form(store.load_form(int(table[table["project"] == project]["version_id"].iloc[0])))


@pytest.mark.parametrize("unit", ["元", "万元"])
def test_scorecard_pdf_reads_the_forms_rate_amounts_and_scores(db, unit):
    card = _card(db, YUNNAN_AID)
    total = card.form.fund("total")
    text = pdf_text(scorecard_pdf(card, unit)).replace("\n", " ")
    assert f"预算执行率 {pct(card.execution.rate)}" in text and "45.17%" in text
    assert f"规则得分 {pts(card.total)}" in text and f"自评总分 {pts(card.declared_total)}" in text
    assert (f"全年执行数 {amount(total.executed.value, unit)} {unit} ÷ 全年预算数 {amount(total.budget.value, unit)} "
            f"{unit} = {pct(card.execution.rate)}") in text
    assert f"分值 {pts(card.execution.weight)}，规则得分 {pts(card.execution.score)}" in text
    assert max(percents(text)) <= 100.0


def bare(text: str) -> str:
    """Text without white space: a table cell wraps anywhere in CJK text."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("project", [YUNNAN_AID, "窗口业务管理"])
def test_scorecard_pdf_indicator_and_funds_tables_read_the_scorecard(db, project):
    card = _card(db, project)
    unit = "万元"
    text = bare(pdf_text(scorecard_pdf(card, unit)))
    table = text[text.index("绩效指标（"):text.index("审核发现严重程度")]
    for ind, s in zip(card.form.indicators, card.indicators):
        row = (f"{ind.name}{ind.target.value}{ind.actual.value}{pts(s.weight)}{pts(s.score)}{pts(s.declared)}"
               f"{pts(s.weight - s.score)}")
        assert bare(row) in table, row
    ex = card.execution
    assert bare(f"预算执行率{pct(ex.rate)}{pts(ex.weight)}{pts(ex.score)}{pts(ex.declared)}{pts(ex.weight - ex.score)}") in table
    lost = sum(s.weight - s.score for s in card.indicators) + ex.weight - ex.score
    assert f"总分{pts(ex.weight + sum(s.weight for s in card.indicators))}{pts(card.total)}" in table
    assert f"{pts(card.declared_total)}{pts(lost)}等级：{card.grade}" in table
    total = card.form.fund("total")
    funds = f"年度资金总额{amount(total.initial.value, unit)}{amount(total.budget.value, unit)}{amount(total.executed.value, unit)}"
    assert funds in text
    assert f"执行率={amount(total.executed.value, unit)}万元÷{amount(total.budget.value, unit)}万元={pct(ex.rate)}" in table


def test_values_not_read_are_shown_as_not_scored_never_as_points_lost(tmp_path):
    """Issue 19: a 需核实 form whose targets are blank read “扣 60.00 分：工程质量合格 −10.00…”."""
    rows = [Row(r.name, "" if i < 6 else r.target, r.actual, r.weight, level1=r.level1, level2=r.level2)
            for i, r in enumerate(clean_rows())]
    card = score_form(make_form(rows, project="空白目标"))
    assert card.reading.state == "需核实" and card.total == 40  # 3 indicators read (30) + execution (10)
    text = bare(pdf_text(scorecard_pdf(card, "元")))
    assert "扣60.00分" not in text and "−10.00" not in text
    assert bare("读取到的各项均得满分；无法计分 6 项（值未读取或无法判断，不算扣分）：服务企业数量") in text
    table = text[text.index("绩效指标（"):text.index("审核发现")]
    assert bare(f"服务企业数量{''}120家{pts(10)}—{pts(10)}—无法评分") in table  # no rule score, no deduction
    assert bare(f"总分{pts(100)}{pts(40)}{pts(100)}{pts(0)}等级：需核实") in table
    detail = openpyxl.load_workbook(io.BytesIO(scorecard_workbook(card)))["评分明细"]
    head = {detail.cell(r, 1).value: detail.cell(r, 2).value for r in range(1, 14)}
    assert head["扣分情况"].startswith("读取到的各项均得满分；无法计分 6 项")
    header_row = next(r for r in range(1, detail.max_row + 1) if detail.cell(r, 1).value == "一级指标")
    headers = [c.value for c in detail[header_row]]
    lost = [detail.cell(r, headers.index("扣分") + 1).value for r in range(header_row + 1, detail.max_row + 1)]
    assert lost[:6] == [None] * 6 and lost[6:] == [0] * (len(lost) - 6)


def test_scorecard_workbook_rate_and_scores_through_their_formats(db):
    card = _card(db, YUNNAN_AID)
    detail = openpyxl.load_workbook(io.BytesIO(scorecard_workbook(card)))["评分明细"]
    head = {detail.cell(r, 1).value: detail.cell(r, 2) for r in range(1, 12)}
    assert shown(head["预算执行率"]) == pct(card.execution.rate) == "45.17%"
    assert shown(head["规则得分"]) == pts(card.total)


# --- the page shows the same figures -------------------------------------------------------------------


def test_department_page_project_list_reads_the_stored_figures(app_db):
    seed(app_db)
    seed(app_db, PUTUO)
    with Store(app_db) as store:
        stored = store.forms_table(Filters())
    at = open_page("department")
    at.selectbox(key="dept_year").set_value("全部年度").run()  # the seed is 2021, 普陀 2022
    tiles = {m.label: m.value for m in at.metric}
    budget, executed = stored["budget"].sum(), stored["executed"].sum()
    assert tiles["全年预算数（元）"] == amount(budget, "元") and tiles["全年执行数（元）"] == amount(executed, "元")
    assert tiles["预算执行率（对全年预算）"] == pct(executed / budget)
    assert tiles["平均规则得分"] == pts(stored["rule_total"].mean())
    page = next(t for t in tables(at) if "差额" in t)
    by_project = {r["project"]: r for r in stored.to_dict("records")}
    assert len(page) == len(stored)
    for row in page.to_dict("records"):
        r = by_project[row["项目"]]
        assert row["执行率"] == pct(r["rate"])
        assert row["全年预算数（元）"] == amount(r["budget"], "元")
        assert row["规则总分"] == pts(r["rule_total"])


def test_scorecard_page_tiles_read_what_the_scorecard_pdf_prints(app_db):
    seed(app_db, PUTUO)
    at = open_page("scorecard", {"year": "2022", "unit": "上海市普陀区体育事业管理中心", "project": YUNNAN_AID})
    card = _card(app_db, YUNNAN_AID)
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["规则得分"] == pts(card.total) and tiles["预算执行率"] == pct(card.execution.rate) == "45.17%"
    assert tiles["自评得分"] == pts(card.declared_total)
    printed = pdf_text(scorecard_pdf(card, "元")).replace("\n", " ")
    assert f"规则得分 {tiles['规则得分']}" in printed and f"预算执行率 {tiles['预算执行率']}" in printed


def test_scorecard_page_says_weight_not_scored_apart_from_points_lost(app_db):
    """The page's level-1 line, like the PDF, keeps a value that was not read out of 扣分 (issue 19)."""
    rows = [Row(r.name, "" if i < 6 else r.target, r.actual, r.weight, level1=r.level1, level2=r.level2)
            for i, r in enumerate(clean_rows())]
    form = make_form(rows, project="空白目标")
    out = io.BytesIO()
    write_forms([form], out)
    with Store(app_db) as store:
        store.import_forms("空白目标.xlsx", out.getvalue(), [form], [score_form(form)], user="测试")
    at = open_page("scorecard", {"year": str(form.year), "unit": form.unit.value, "project": "空白目标"})
    lines = [m.value for m in at.markdown if "未计分" in m.value]
    assert lines, "no level-1 line names the weight not scored"
    assert any(re.search(r"扣分 0\.00 · 未计分 \d+\.00", line) for line in lines), lines
