"""Cells as office software stores them: typed percentages and amounts are numbers with a
number format, constants typed as formulas, dates, General floats.

Each test writes a real workbook with openpyxl the way Excel / WPS store typed values and
checks that the reader sees what a person sees on screen. The LibreOffice-saved copies of
the seed are in tests/test_reader_office.py.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
import xlwt

from perfcore.reader import read_workbook
from perfcore.reader.numfmt import display, general
from perfcore.scoring import score_form

SEED = Path(__file__).resolve().parent.parent / "data" / "samples" / "seed-2021-sheets.xlsx"
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_INTEGER = re.compile(r"^\d+$")


@pytest.mark.parametrize(
    ("value", "code", "shown"),
    [
        (1, "0%", "100%"),
        (0.9, "0%", "90%"),
        (0.8618, "0.00%", "86.18%"),
        (6261700, "#,##0.00", "6,261,700.00"),
        (802257.18, "#,##0.00_);[Red](#,##0.00)", "802,257.18 "),
        (-5, '"¥"#,##0.00;"¥"-#,##0.00', "¥-5.00"),
        (7, "[$¥-804]#,##0.00", "¥7.00"),
        (2.675, "0.00", "2.68"),  # Excel rounds half away from zero
        (0, '#,##0.00;-#,##0.00;"-"', "-"),
        (98, '0"分"', "98分"),
        (44621, 'yyyy"年"m"月"d"日"', "2022-03-01"),
        (12345, "0.00E+00", "1.23E+04"),
    ],
)
def test_a_number_prints_as_its_format_shows_it(value, code, shown):
    assert display(value, code) == shown


def test_general_prints_like_excel_without_float_noise():
    assert general(0.1 + 0.2) == "0.3"
    assert general(98.62) == "98.62"
    assert general(6261700.0) == "6261700"
    assert general(1 / 3) == "0.3333333333"


def _patched(wb: openpyxl.Workbook, part: str, edit) -> bytes:
    """The workbook saved, with one XML part rewritten by ``edit`` (what openpyxl cannot write)."""
    import zipfile

    out = io.BytesIO()
    wb.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, edit(data.decode()).encode() if item.filename == part else data)
    return patched.getvalue()


def _office_typed(data: bytes, *, formula_targets: bool = False) -> bytes:
    """The seed as a person types it into Excel: ``100%`` → 1 with ``0%``, ``3146`` → the number,
    amounts with ``#,##0.00``, the printed 执行率 with ``0.00%``; optionally ``=100%`` typed as a formula."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, str) and (match := _PERCENT.match(value)):
                    number = float(match[1]) / 100
                    cell.value, cell.number_format = number, "0.00%" if "." in match[1] else "0%"
                elif isinstance(value, str) and _INTEGER.match(value):
                    cell.value = int(value)
                elif isinstance(value, str) and formula_targets and value in ("=100%", "=0%", "=0"):
                    cell.value = value  # openpyxl writes it as a formula (no cached value)
                elif isinstance(value, (int, float)) and cell.column in (3, 4, 5) and 6 <= cell.row <= 9:
                    cell.number_format = "#,##0.00"
                elif cell.column == 7 and cell.row == 6 and isinstance(value, (int, float)):
                    cell.number_format = "0.00%"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _scores(data: bytes, name: str) -> list[tuple]:
    result = read_workbook(data, name)
    assert result.error is None, result.error
    cards = [score_form(form) for form in result.forms]
    return [
        (
            card.form.project.value,
            card.total,
            card.grade,
            card.execution.score,
            tuple((s.score, s.status) for s in card.indicators),
            tuple(sorted((f.code, f.indicator) for f in card.findings)),
        )
        for card in cards
    ]


@pytest.mark.parametrize("formula_targets", [False, True], ids=["typed", "targets-as-formulas"])
def test_the_seed_typed_as_office_software_stores_it_scores_as_the_original(formula_targets):
    original = SEED.read_bytes()
    typed = _office_typed(original, formula_targets=formula_targets)
    assert _scores(typed, "typed.xlsx") == _scores(original, SEED.name)
    totals = {project: total for project, total, *_ in _scores(typed, "typed.xlsx")}
    assert totals["窗口业务管理"] == 92.01
    assert sorted(totals.values()) == [92.01, 100, 100, 100, 100]


def test_a_typed_percentage_reads_as_the_percentage_on_screen():
    typed = _office_typed(SEED.read_bytes())
    form = read_workbook(typed, "typed.xlsx").forms[3]
    by_name = {ind.name: ind for ind in form.indicators}
    assert by_name["刻章验收合格率"].actual.value == "100%"
    assert by_name["窗口人员满意度"].actual.value == "90%"
    assert by_name["服务新开办企业数量"].actual.value == "3146"
    total = form.fund("total")
    assert total.budget.value == 802257.18 and total.budget.raw == "802,257.18"
    assert form.execution.rate.value == 1.0 and form.execution.rate.raw == "100.00%"


def test_a_constant_typed_as_a_formula_reads_as_typed():
    typed = _office_typed(SEED.read_bytes(), formula_targets=True)
    form = read_workbook(typed, "typed.xlsx").forms[3]
    by_name = {ind.name: ind for ind in form.indicators}
    assert by_name["刻章验收合格率"].target.value == "=100%"
    assert by_name["重大事故发生数"].target.value == "=0"


def test_numbers_stored_as_text_stay_text_and_dates_read_as_dates():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "财政项目支出绩效自评表"
    ws["A2"] = "项目名称"
    ws["B2"] = "甲"
    ws["A3"] = "填报日期"
    ws["B3"] = dt.date(2022, 3, 1)
    ws["B3"].number_format = 'yyyy"年"m"月"d"日"'
    ws["A4"] = "项目资金（元）"
    ws["C4"], ws["D4"], ws["E4"] = "年初预算数", "全年预算数", "全年执行数"
    ws["B5"], ws["C5"], ws["D5"], ws["E5"] = "年度资金总额", "001000", 1000, 1000
    out = io.BytesIO()
    wb.save(out)
    form = read_workbook(out.getvalue(), "日期.xlsx").forms[0]
    assert form.extra["填报日期"] == "2022-03-01"
    assert form.fund("total").initial.raw == "001000"  # text keeps its leading zeros


def test_an_xls_with_percent_formats_reads_as_on_screen():
    book = xlwt.Workbook()
    ws = book.add_sheet("自评表")
    percent = xlwt.easyxf(num_format_str="0%")
    money = xlwt.easyxf(num_format_str="#,##0.00")
    rows = [
        ["财政项目支出绩效自评表"], ["（2021年度）"], ["项目名称", "甲"], ["实施单位", "乙"],
        ["项目资金（元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["", "年度资金总额", (1000, money), (1000, money), (1000, money), 10, (1, percent), 10],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["", "产出指标", "质量指标", "合格率", "=100%", (1, percent), 90, 90],
        ["总分", "", "", "", "", "", 100, 100],
    ]
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, tuple):
                ws.write(r, c, value[0], value[1])
            elif value != "":
                ws.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    result = read_workbook(out.getvalue(), "旧版.xls")
    assert result.error is None, result.error
    form = result.forms[0]
    assert form.indicators[0].actual.value == "100%"
    assert form.fund("total").budget.raw == "1,000.00"
    card = score_form(form)
    assert card.total == 100 and card.indicators[0].status == "met"


def test_a_shared_constant_formula_reads_as_typed_in_every_cell_it_fills():
    """Excel writes a filled-down ``=100%`` once, as a shared formula the other cells point to."""

    wb = openpyxl.load_workbook(SEED)
    for name in wb.sheetnames[1:]:
        del wb[name]
    def share(text: str) -> str:
        for ref, formula in (("E14", '<f t="shared" ref="E14:E15" si="0">100%</f>'), ("E15", '<f t="shared" si="0"/>')):
            start = text.index(f'<c r="{ref}"')
            end = text.index("</c>", start) + 4
            text = text[:start] + f'<c r="{ref}" s="0">{formula}<v>1</v></c>' + text[end:]
        return text

    form = read_workbook(_patched(wb, "xl/worksheets/sheet1.xml", share), "共享公式.xlsx").forms[0]
    by_row = {ind.row: ind for ind in form.indicators}
    assert by_row[14].target.value == "=100%" and by_row[15].target.value == "=100%"


def test_excel_builtin_chinese_date_formats_read_as_dates():
    """Format id 31 (yyyy"年"m"月"d"日" in a Chinese Excel) has no <numFmt> entry in styles.xml."""

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["A2"], ws["B2"] = "财政项目支出绩效自评表", "项目名称", "甲"
    ws["A3"], ws["B3"] = "填报日期", 44621
    ws["B3"].number_format = "0.000"  # a style of its own, renumbered to the built-in id below
    ws["A4"], ws["C4"], ws["D4"], ws["E4"] = "项目资金（元）", "年初预算数", "全年预算数", "全年执行数"
    ws["B5"], ws["C5"], ws["D5"], ws["E5"] = "年度资金总额", 1000, 1000, 1000
    def builtin_31(text: str) -> str:
        code = re.search(r'<numFmt numFmtId="(\d+)" formatCode="0.000"\s*/>', text)
        return text.replace(code[0], "").replace(f'numFmtId="{code[1]}"', 'numFmtId="31"')

    form = read_workbook(_patched(wb, "xl/styles.xml", builtin_31), "日期.xlsx").forms[0]
    assert form.extra["填报日期"] == "2022-03-01"
