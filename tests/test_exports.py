"""Reports to hand round (perfcore.exports): scorecard and department PDFs and workbooks, built
from a real DuckDB file seeded with the seed workbook; the pages' download buttons; the CLI.

PDFs are read back with pypdf: page count, page size, the text a reader can copy.
"""
from __future__ import annotations

import dataclasses
import io
import time
from pathlib import Path

import openpyxl
import pytest
from apphelp import open_page, seed
from pypdf import PdfReader
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from perfcore import cli
from perfcore.exports.department import department_data, department_html, department_pdf
from perfcore.exports.excel import department_workbook, scorecard_workbook
from perfcore.exports.scorecard import loss_line, scorecard_html, scorecard_pdf
from perfcore.model import Text
from perfcore.samples import load_seed_forms
from perfcore.scoring import score_form
from perfcore.store import Filters, Store
from perfcore.writer import DEDUCTED_FILL, display_width, write_forms

A4 = (595.28, 841.89)  # points, portrait


def pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def sizes(reader: PdfReader) -> list[tuple[float, float]]:
    return [(round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2)) for p in reader.pages]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("exports") / "seed.duckdb"
    seed(db)
    return db


def _card(db: Path, project: str = "窗口业务管理"):
    with Store(db) as store:
        table = store.forms_table()
        version = int(table[table["project"] == project]["version_id"].iloc[0])
        return version, score_form(store.load_form(version))


# --- the scorecard PDF ----------------------------------------------------------------------------


def test_scorecard_pdf_shows_header_total_losses_findings_and_signature_lines(seeded):
    _, card = _card(seeded)
    started = time.perf_counter()
    pdf = scorecard_pdf(card, "元")
    print(f"\nscorecard PDF (窗口业务管理): {time.perf_counter() - started:.2f} s, {len(pdf):,} bytes")
    assert pdf.startswith(b"%PDF")
    reader, text = pdf_text(pdf)
    n = len(reader.pages)
    assert 2 <= n <= 4
    for page in range(1, n + 1):
        assert f"第 {page} 页 / 共 {n} 页" in text
    assert sizes(reader)[0] == A4 and (A4[1], A4[0]) in sizes(reader)  # the indicator table is landscape
    for words in ("项目名称", "窗口业务管理", "主管部门", "实施单位", "上海市松江区行政服务中心", "2021年",
                  "财预〔2020〕10号", "规则得分", "92.01", "自评总分", "98.00", "+5.99",
                  "扣 7.99 分：服务新开办企业数量 −6.24，政务服务免费快递业务量 −1.75",
                  "项目资金（元）", "3,596,500.00", "802,257.18", "年度总体目标", "绩效指标", "审核发现",
                  "C09", "窗口业务管理!D13", "填报人", "审核人", "日期",
                  "各一级指标规则得分与扣分"):  # the last: the chart's title, drawn in as SVG text
        assert words in text, words
    assert "mof-2020-shanghai" not in text  # the rules by their Chinese label, not their code name


def test_scorecard_pdf_in_wan_names_the_unit(seeded):
    _, card = _card(seeded)
    _, text = pdf_text(scorecard_pdf(card, "万元"))
    assert "项目资金（万元）" in text and "359.65" in text and "80.23 万元" in text


def test_scorecard_html_escapes_form_text_and_marks_deducted_rows(seeded):
    _, card = _card(seeded)
    hostile = dataclasses.replace(card.form, project=Text("<script>alert(1)</script>"))
    page = scorecard_html(score_form(hostile), "元")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<tr class="lost">') == 4  # two in 扣分情况, two in the indicator table
    assert page.count("<thead>") >= 4  # every table repeats its header row on each page


def _to_verify_workbook(path: Path) -> Path:
    """The seed's 业务培训 with its first actual value left blank: read, but 需核实."""
    form = next(f for f in load_seed_forms() if f.project.value == "业务培训")
    form.indicators[0].actual = Text("")
    write_forms([form], path)
    return path


def test_a_form_to_verify_shows_its_state_and_no_grade(tmp_path):
    db = tmp_path / "verify.duckdb"
    seed(db, _to_verify_workbook(tmp_path / "verify.xlsx"))
    _, card = _card(db, "业务培训")
    assert card.reading.state == "需核实" and card.grade is None
    _, text = pdf_text(scorecard_pdf(card, "元"))
    assert "等级 需核实" in text and "读取状态：需核实" in text and "等级：需核实" in text
    for grade in ("优", "良", "中", "差"):
        assert f"等级 {grade}" not in text and f"等级：{grade}" not in text


def test_a_form_that_cannot_be_scored_says_so_in_both_exports():
    form = dataclasses.replace(next(f for f in load_seed_forms() if f.project.value == "业务培训"), indicators=[])
    card = score_form(form)
    assert card.reading.state == "无法计分" and card.total is None
    _, text = pdf_text(scorecard_pdf(card, "元"))
    assert "等级 无法计分" in text and "这张表无法计分" in text and "规则得分 —" in text
    detail = openpyxl.load_workbook(io.BytesIO(scorecard_workbook(card)))["评分明细"]
    head = {detail.cell(r, 1).value: detail.cell(r, 2).value for r in range(1, 12)}
    assert head["等级"] == "无法计分" and head["规则得分"] is None


# --- the department PDF ----------------------------------------------------------------------------


def test_department_pdf_kpis_ranked_table_charts_and_signature_lines(seeded):
    with Store(seeded) as store:
        started = time.perf_counter()
        pdf = department_pdf(store, Filters(year=2021), "万元")
    print(f"\ndepartment PDF (seed, 5 projects): {time.perf_counter() - started:.2f} s, {len(pdf):,} bytes")
    reader, text = pdf_text(pdf)
    n = len(reader.pages)
    assert "第 1 页 / 共" in text and f"第 {n} 页 / 共 {n} 页" in text
    assert (A4[1], A4[0]) in sizes(reader)  # the project table is landscape
    for words in ("部门绩效自评总览", "年度：2021年", "金额单位：万元", "项目数", "5", "全年预算数（万元）", "867.47",
                  "预算执行率（对全年预算）", "100.00%", "平均规则得分", "98.40", "等级 优 / 良 / 中 / 差", "5 / 0 / 0 / 0",
                  "需核实", "无法计分", "项目排名", "窗口业务管理", "92.01", "各实施单位", "C09 自评得分虚高",
                  "等级分布", "各项目预算执行率", "扣分最多的指标", "填报人", "审核人"):
        assert words in text, words
    ranked = text[text.index("项目排名"):]
    assert ranked.index("窗口业务管理") < ranked.index("业务培训")  # lowest rule total first


def _pages(db: Path) -> int:
    with Store(db) as store:
        return len(PdfReader(io.BytesIO(department_pdf(store, Filters(), "元"))).pages)


def test_department_pdf_grows_with_the_number_of_projects(tmp_path):
    db = tmp_path / "grow.duckdb"
    seed(db)
    few = _pages(db)
    for year in (2016, 2017, 2018, 2019, 2020, 2022):
        seed(db, year=year)
    with Store(db) as store:
        assert store.count_forms() == 35
        html = department_html(department_data(store, Filters()), "元")
    many = _pages(db)
    assert many > few, (few, many)
    assert html.count("<thead>") >= 3 and html.count("<tr") > 35  # one ranked row per form, headers repeated


def test_department_pdf_of_a_hundred_projects(tmp_path):
    """Not a timing assertion: prints how long 100 synthetic projects take, checks the table holds them."""
    from perfcore.synth import store_forms

    db = tmp_path / "hundred.duckdb"
    with Store(db) as store:
        store_forms(store, 100)
        started = time.perf_counter()
        pdf = department_pdf(store, Filters(), "万元")
        seconds = time.perf_counter() - started
        names = store.forms_table()["project"]
    reader, text = pdf_text(pdf)
    print(f"\ndepartment PDF (100 projects): {seconds:.2f} s, {len(reader.pages)} pages, {len(pdf):,} bytes")
    assert len(reader.pages) >= 5
    assert all(name[:6] in text for name in names)


# --- Excel -------------------------------------------------------------------------------------------


def test_scorecard_workbook_has_findings_marked_deductions_and_the_apps_words(seeded):
    _, card = _card(seeded)
    wb = openpyxl.load_workbook(io.BytesIO(scorecard_workbook(card)))
    assert wb.sheetnames == ["窗口业务管理", "评分明细", "审核发现"]
    form = wb["窗口业务管理"]  # the official layout with 规则得分; the two missed targets filled
    missed = [row for row in range(1, form.max_row + 1) if form.cell(row, 4).value in ("服务新开办企业数量", "政务服务免费快递业务量")]
    assert len(missed) == 2
    assert all(form.cell(row, 4).fill.start_color.rgb == DEDUCTED_FILL.start_color.rgb for row in missed)
    full = next(row for row in range(1, form.max_row + 1) if form.cell(row, 4).value == "刻章验收合格率")
    assert form.cell(full, 4).fill.fill_type is None

    detail = wb["评分明细"]
    head = {detail.cell(r, 1).value: detail.cell(r, 2).value for r in range(1, 12)}
    assert head["规则得分"] == 92.01 and head["自评总分"] == 98 and head["等级"] == "优"
    assert head["评分规则"].startswith("财预〔2020〕10号") and head["扣分情况"] == loss_line(card)
    header_row = next(r for r in range(1, detail.max_row + 1) if detail.cell(r, 1).value == "一级指标")
    headers = [c.value for c in detail[header_row]]
    for word in ("规则得分", "自评得分", "扣分", "评分说明", "偏差原因分析", "单元格"):
        assert word in headers
    lost = headers.index("扣分") + 1
    for row in range(header_row + 1, detail.max_row + 1):
        filled = detail.cell(row, 1).fill.start_color.rgb == DEDUCTED_FILL.start_color.rgb
        assert filled == ((detail.cell(row, lost).value or 0) > 0), row
    for col, name in enumerate(headers, 1):  # no label is clipped: every column at least as wide as its header
        assert detail.column_dimensions[openpyxl.utils.get_column_letter(col)].width >= display_width(name)
    assert detail.column_dimensions["A"].width >= display_width("差额（自评 − 规则）")

    findings = wb["审核发现"]
    rows = list(findings.iter_rows(values_only=True))
    assert rows[0] == ("严重程度", "代码", "审核项目", "说明", "单元格")
    assert [r[0] for r in rows[1:]] == ["错误", "错误", "警告"]
    assert rows[1][2] == "自评得分虚高" and rows[1][4] == "窗口业务管理!D13" and "3146" in rows[1][3]


def test_department_workbook_one_sheet_per_table_amounts_in_the_unit(seeded):
    with Store(seeded) as store:
        wb = openpyxl.load_workbook(io.BytesIO(department_workbook(department_data(store, Filters(year=2021)), "万元")))
    assert wb.sheetnames == ["报表说明", "总览", "项目", "实施单位", "扣分（按一级指标）", "审核发现"]
    projects = wb["项目"]
    headers = [c.value for c in projects[1]]
    assert headers[:5] == ["排名", "项目", "实施单位", "主管部门", "年度"]
    budget = headers.index("全年预算数（万元）") + 1
    assert {"规则总分", "自评总分", "差额", "执行率", "错误", "警告"} <= set(headers)
    first = {h: projects.cell(2, i + 1).value for i, h in enumerate(headers)}
    assert first["项目"] == "窗口业务管理" and first["规则总分"] == 92.01 and first["年度"] == "2021年"
    assert first["错误"] == 2 and first["警告"] == 1
    assert projects.cell(2, budget).value == pytest.approx(80.225718)
    assert projects.cell(2, budget).number_format == "#,##0.00"
    assert projects.cell(2, headers.index("执行率") + 1).number_format == "0.00%"
    summary = {r[0]: r[1] for r in wb["总览"].iter_rows(min_row=2, values_only=True)}
    assert summary["项目数"] == 5 and summary["全年预算数（万元）"] == pytest.approx(867.467342)
    assert summary["需核实"] == 0 and summary["审核发现：错误"] == 2
    codes = list(wb["审核发现"].iter_rows(values_only=True))
    assert codes[0] == ("代码", "审核项目", "严重程度", "条数", "涉及表数", "示例")
    assert ("C09", "自评得分虚高", "错误", 2, 1) == codes[2][:5] or ("C09", "自评得分虚高", "错误", 2, 1) == codes[1][:5]


# --- the command line ----------------------------------------------------------------------------


def test_cli_exports_a_scorecard_and_the_department(seeded, tmp_path, capsys):
    version, _ = _card(seeded)
    out = tmp_path / "card.pdf"
    assert cli.main(["export", "pdf", "--version-id", str(version), "--db", str(seeded), "-o", str(out)]) == 0
    assert "窗口业务管理" in pdf_text(out.read_bytes())[1]
    out = tmp_path / "dept.xlsx"
    assert cli.main(["export", "xlsx", "--year", "2021", "--money", "万元", "--db", str(seeded), "-o", str(out)]) == 0
    assert "部门总览（5 张自评表）" in capsys.readouterr().out
    assert openpyxl.load_workbook(out)["项目"].max_row == 6
    assert cli.main(["export", "pdf", "--year", "2030", "--db", str(seeded), "-o", str(tmp_path / "none.pdf")]) == 1
    assert not (tmp_path / "none.pdf").exists()
    assert cli.main(["export", "pdf", "--year", "去年", "--db", str(seeded), "-o", str(tmp_path / "x.pdf")]) == 2


def test_cli_exports_the_forms_without_a_year(tmp_path):
    db = tmp_path / "no-year.duckdb"
    seed(db)
    seed(db, year=None)
    out = tmp_path / "no-year.xlsx"
    assert cli.main(["export", "xlsx", "--year", "未填年度", "--db", str(db), "-o", str(out)]) == 0
    years = [row[4] for row in openpyxl.load_workbook(out)["项目"].iter_rows(min_row=2, values_only=True)]
    assert years == ["未填年度"] * 5


# --- the pages' downloads (AppTest) ----------------------------------------------------------------


class _Served(MemoryMediaFileStorage):
    """The app's media storage, remembering every file a download button serves (by its URL)."""

    files: dict[str, bytes] = {}
    names: dict[str, str] = {}  # URL → the file name the browser saves it under

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):  # type: ignore[override]
        file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
        _Served.files[self.get_url(file_id)] = self.get_file(file_id).content
        _Served.names[self.get_url(file_id)] = filename or ""
        return file_id


@pytest.fixture
def served(monkeypatch):
    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", _Served)
    _Served.files, _Served.names = {}, {}
    return _Served.files


def _download(at, served: dict[str, bytes], label: str) -> bytes:
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    return served[button.proto.url]


def _file_name(at, label: str) -> str:
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    return _Served.names[button.proto.url]


def test_scorecard_page_prepares_the_pdf_and_serves_the_richer_workbook(app_db, served):
    seed(app_db)
    at = open_page("scorecard", {"year": "2021", "unit": "上海市松江区行政服务中心", "project": "窗口业务管理"})
    assert [b.proto.label for b in at.get("download_button")] == ["下载评分表（Excel）"]
    assert "打印版（HTML）" not in str(at.get("download_button"))
    workbook = openpyxl.load_workbook(io.BytesIO(_download(at, served, "下载评分表（Excel）")))
    assert "审核发现" in workbook.sheetnames
    assert _file_name(at, "下载评分表（Excel）") == "评分表-2021-上海市松江区行政服务中心-窗口业务管理.xlsx"
    at.button(key="make:评分卡（PDF）").click().run()
    assert not at.exception
    pdf = _download(at, served, "下载评分卡（PDF）")
    assert pdf.startswith(b"%PDF") and "窗口业务管理" in pdf_text(pdf)[1]
    assert "生成人：未记录 · 生成时间：" in pdf_text(pdf)[1]  # single-user mode, no name typed
    assert _file_name(at, "下载评分卡（PDF）") == "评分卡-2021-上海市松江区行政服务中心-窗口业务管理.pdf"
    at.run()  # still ready on the next run, for the same form and unit
    assert "下载评分卡（PDF）" in [b.proto.label for b in at.get("download_button")]


def test_department_page_prepares_pdf_and_excel_for_the_filters_and_unit(app_db, served):
    seed(app_db)
    at = open_page("department")
    for name in ("部门总览（PDF）", "部门总览（Excel）"):
        # AppTest drops the sidebar's widgets after switch_page and resets 元/万元 on a click: set it each run
        at.session_state["money_unit"] = "万元"
        at.button(key=f"make:{name}").click().run()
        assert not at.exception
    pdf = _download(at, served, "下载部门总览（PDF）")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)[1]
    assert "金额单位：万元" in text and "年度：2021年" in text
    assert _file_name(at, "下载部门总览（PDF）") == "部门总览-2021-全部单位.pdf"
    workbook = openpyxl.load_workbook(io.BytesIO(_download(at, served, "下载部门总览（Excel）")))
    assert "全年预算数（万元）" in [c.value for c in workbook["项目"][1]]
    assert _file_name(at, "下载部门总览（Excel）") == "部门总览-2021-全部单位.xlsx"
    about = dict(workbook["报表说明"].iter_rows(min_row=2, values_only=True))
    assert about["年度"] == "2021年" and about["金额单位"] == "万元" and about["生成人"] == "未记录"
    at.multiselect(key="dept_grade").set_value(["优"]).run()  # other filters: asked for again
    assert not [b for b in at.get("download_button") if b.proto.label == "下载部门总览（PDF）"]
