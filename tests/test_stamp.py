"""Reports say who made them, when, for which selection; their files are named by year and scope (issue 19)."""
from __future__ import annotations

import getpass
import io
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from apphelp import seed
from pypdf import PdfReader

from perfcore import cli
from perfcore.exports.department import department_data, department_pdf
from perfcore.exports.excel import department_workbook, scorecard_workbook
from perfcore.exports.scorecard import scorecard_pdf
from perfcore.exports.stamp import Stamp, department_file_name, scorecard_file_name, selection_text, stamp
from perfcore.scoring import score_form
from perfcore.store import Filters, Store

MADE = Stamp("张三", datetime(2026, 12, 6, 9, 5, 30))
UNIT = "上海市松江区行政服务中心"


def _text(pdf: bytes) -> str:
    """The PDF's text without white space (a line may wrap anywhere in CJK text)."""
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stamp") / "stamp.duckdb"
    seed(path)
    return path


def test_file_names_carry_year_and_scope():
    assert department_file_name(Filters(year=2021, department="部门甲"), "pdf") == "部门总览-2021-部门甲.pdf"
    assert department_file_name(Filters(year=[2021]), "xlsx") == "部门总览-2021-全部单位.xlsx"
    assert department_file_name(Filters(), "pdf") == "部门总览-全部年度-全部单位.pdf"
    assert department_file_name(Filters(year=[2019, 2020, 2021, None]), "pdf") == "部门总览-2019至2021、未填年度-全部单位.pdf"
    assert (department_file_name(Filters(year=2021, department=["甲", "乙", "丙"], unit=["单位A"], grade=["优", "良"]),
                                 "pdf") == "部门总览-2021-甲等3个-单位A-优良.pdf")
    assert department_file_name(Filters(year=2021, department=[""]), "pdf") == "部门总览-2021-未填主管部门.pdf"
    assert department_file_name(Filters(year=2021, unit='a/b:c*"d"'), "pdf") == "部门总览-2021-a_b_c_d_.pdf"
    assert scorecard_file_name(2021, UNIT, "窗口业务管理", "pdf") == f"评分卡-2021-{UNIT}-窗口业务管理.pdf"
    assert scorecard_file_name(None, "", "", "xlsx", "评分表") == "评分表-未填年度-未填实施单位-未填项目名称.xlsx"
    assert len(scorecard_file_name(2021, "单" * 300, "项" * 300, "pdf")) < 100


def test_a_stamp_names_the_user_or_the_os_user():
    assert MADE.line() == "生成人：张三 · 生成时间：2026-12-06 09:05"
    assert Stamp("").line().startswith("生成人：未记录 · 生成时间：")
    assert stamp("李四").by == "李四" and stamp(None).by == getpass.getuser() and stamp("  ").by == getpass.getuser()


def test_department_pdf_states_selection_unit_user_and_time(db):
    filters = Filters(year=2021, unit=[UNIT])
    with Store(db) as store:
        text = _text(department_pdf(store, filters, "万元", made=MADE))
    head = text[:text.index("总体情况")]
    assert _bare(f"年度：2021年；主管部门：全部；实施单位：{UNIT}；等级：全部 · 金额单位：万元 · {MADE.line()}") in head


def test_department_workbook_states_its_filters(db):
    filters = Filters(year=2021, grade=["优"])
    with Store(db) as store:
        data = department_data(store, filters)
    wb = openpyxl.load_workbook(io.BytesIO(department_workbook(data, "万元", made=MADE)))
    assert wb.sheetnames[0] == "报表说明"
    about = dict(wb["报表说明"].iter_rows(min_row=2, values_only=True))
    assert about == {"报表": "部门绩效自评总览", "年度": "2021年", "主管部门": "全部", "实施单位": "全部", "等级": "优",
                     "金额单位": "万元", "自评表数": "5", "生成人": "张三", "生成时间": "2026-12-06 09:05"}
    for ws in wb.worksheets:  # a sheet printed alone still names its selection and maker
        assert selection_text(filters) in ws.oddHeader.center.text and "金额单位：万元" in ws.oddHeader.center.text
        assert ws.oddFooter.left.text == "生成人：张三 · 生成时间：2026-12-06 09:05"
    assert wb.properties.creator == "张三"


def test_scorecard_reports_name_user_and_time(db):
    with Store(db) as store:
        table = store.forms_table()
        card = score_form(store.load_form(int(table[table["project"] == "窗口业务管理"]["version_id"].iloc[0])))
    text = _text(scorecard_pdf(card, "元", made=MADE))
    assert _bare(f"2021年 · 金额单位：元 · 来源：{card.form.source.file} / {card.form.source.sheet} · {MADE.line()}") in text
    detail = openpyxl.load_workbook(io.BytesIO(scorecard_workbook(card, made=MADE)))["评分明细"]
    head = {detail.cell(r, 1).value: detail.cell(r, 2).value for r in range(1, 14)}
    assert head["生成人"] == "张三" and head["生成时间"] == "2026-12-06 09:05"


def test_cli_export_names_the_user_given_or_the_os_user(db, tmp_path):
    out = tmp_path / "dept.xlsx"
    assert cli.main(["export", "xlsx", "--year", "2021", "--user", "李四", "--db", str(db), "-o", str(out)]) == 0
    assert dict(openpyxl.load_workbook(out)["报表说明"].iter_rows(min_row=2, values_only=True))["生成人"] == "李四"
    assert cli.main(["export", "xlsx", "--year", "2021", "--db", str(db), "-o", str(out)]) == 0
    assert dict(openpyxl.load_workbook(out)["报表说明"].iter_rows(min_row=2, values_only=True))["生成人"] == getpass.getuser()
