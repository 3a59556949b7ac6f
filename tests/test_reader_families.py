"""Layout families rather than layouts: titles, year sources, traditional labels, funds blocks,
ticks, spacer rows and template instructions, each on a real workbook written here.

The seven published provincial forms are tests/test_reader_provinces.py; these cases vary
one feature at a time so a failure names the feature.
"""
from __future__ import annotations

import io

import openpyxl
import pytest
from helpers.workbook_builder import FormSpec, Ind, one_form, standard_indicators, workbook_bytes

from perfcore.reader import read_workbook
from perfcore.scoring import score_form


def _form(spec: FormSpec, file: str = "表.xlsx", sheet: str = "表1"):
    result = read_workbook(workbook_bytes({sheet: [spec]}), file)
    assert result.error is None, result.error
    assert len(result.forms) == 1
    return result.forms[0]


@pytest.mark.parametrize(
    ("title", "year_text", "year"),
    [
        ("财政项目支出绩效自评表", "（2021年度）", 2021),
        ("项目支出绩效自评表", "(2022年度)", 2022),
        ("2020年度项目支出绩效自评表", None, 2020),
        ("部门预算项目支出绩效自评表(2023年度)", None, 2023),
        ("公开08表 2023年度项目支出绩效自评表", None, 2023),
        ("县级专项资金绩效目标自评表", "2019年度)", 2019),
        ("专项资金绩效自评表", "（2024 年度）", 2024),
    ],
)
def test_any_title_of_the_family_starts_a_form_and_gives_its_year(title, year_text, year):
    form = _form(FormSpec(title=title, year_text=year_text))
    assert form.year == year
    assert form.layout["标题"] == "表1!A1"
    assert score_form(form).grade == "优"


def test_a_project_named_like_a_title_is_not_a_title():
    form = _form(FormSpec(title="2020年度项目支出绩效自评表", year_text=None, project="2020年省级补助经费支出绩效自评表"))
    assert form.project.value == "2020年省级补助经费支出绩效自评表" and form.year == 2020


@pytest.mark.parametrize(
    ("file", "sheet", "year", "source"),
    [("自评.xlsx", "2022年度自评表", 2022, "工作表名称"), ("2023年项目自评.xlsx", "表1", 2023, "文件名")],
)
def test_a_year_missing_from_the_form_comes_from_the_sheet_or_file_name_with_a_note(file, sheet, year, source):
    form = _form(FormSpec(year_text=None), file=file, sheet=sheet)
    assert form.year == year and form.layout["年度"].startswith(source)
    assert any(source in note and "请核实" in note for note in form.notes)


def test_no_year_anywhere_stays_unknown_never_today():
    form = _form(FormSpec(year_text=None), file="自评.xlsx", sheet="表1")
    assert form.year is None and any("未找到年度" in note for note in form.notes)


def test_traditional_character_labels_read_like_simplified_ones():
    spec = FormSpec(title="項目支出績效自評表", year_text="（2020年度）", money_label="項目資金（萬元）",
                    fund_headers=("年初預算數", "全年預算數", "全年執行數", "分值", "執行率", "得分"),
                    funds=[("年度資金總額", 7.29, 7.29, 7.29), ("其中：當年財政撥款", 7.29, 7.29, 7.29)],
                    ind_headers=("一級指標", "二級指標", "三級指標", "年度指標值", "實際完成值", "分值", "得分",
                                 "偏差原因分析及改進措施"))
    form = _form(spec)
    assert form.year == 2020 and form.money_unit == "万元"
    assert form.fund("total").budget.value == 72900 and len(form.indicators) == 7


def test_a_sichuan_style_funds_block_with_a_total_row_and_its_weight_in_the_label():
    spec = FormSpec(money_label="预算执行情况(10分)",
                    fund_headers=("年初预算", "调整后预算数", "预算执行数", "权重", "预算执行率", "得分"),
                    funds=[("总额", 3.36, 3.36, 3.36), ("其中：财政资金", 3.36, 3.36, 3.36), ("单位资金", 0, 0, 0)],
                    execution=("", 1.0, 10))
    form = _form(spec)
    assert [line.kind for line in form.funds] == ["total", "appropriation", "extra"]
    assert form.money_unit == "元" and form.execution.weight.value == 10
    assert score_form(form).execution.score == 10


def test_ticks_and_wingdings_glyphs_read_as_achieved():
    indicators = standard_indicators()
    indicators[3] = Ind("产出指标", "时效指标", "项目完工及时率", "及时", "þ", 10, 10)
    form = _form(FormSpec(indicators=indicators))
    by_name = {ind.name: ind for ind in form.indicators}
    assert by_name["项目完工及时率"].actual.value == "√"
    card = score_form(form)
    assert card.indicators[form.indicators.index(by_name["项目完工及时率"])].status == "met"


def test_spacer_rows_inside_the_funds_block_are_skipped():
    wb = openpyxl.load_workbook(io.BytesIO(one_form(FormSpec())))
    ws = wb.active
    ws.insert_rows(7)  # a blank row between 年度资金总额 and 其中：当年财政拨款
    out = io.BytesIO()
    wb.save(out)
    form = read_workbook(out.getvalue(), "空行.xlsx").forms[0]
    assert [line.kind for line in form.funds] == ["total", "appropriation", "carryover", "other"]


def test_template_instructions_and_numbering_are_not_content():
    indicators = [Ind("产出指标", "数量指标", "指标1:完成项目数量", "=1个", "1个", 90, 90), Ind("产出指标", "数量指标", "指标2:", "", "", "", "")]
    spec = FormSpec(indicators=indicators, achieved="对照年度目标，说明相关任务目标的完成情况（100字以内）")
    form = _form(spec)
    assert [ind.name for ind in form.indicators] == ["完成项目数量"]
    assert form.goals.actual.value == ""


def test_columns_in_any_order_read_the_same():
    """分值 printed before 年度指标值 and 实际完成值 (columns E..G rotated, header included)."""
    data = one_form(FormSpec())
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "三级指标")
    for row in range(header, ws.max_row + 1):
        if any(isinstance(ws.cell(row, c), openpyxl.cell.cell.MergedCell) for c in (5, 6, 7)):
            continue  # the 总分 row, merged across A..F
        e, f, g = (ws.cell(row, c).value for c in (5, 6, 7))
        for col, value in zip((5, 6, 7), (g, e, f)):
            ws.cell(row, col).value = value
            if isinstance(value, str) and value.startswith("="):
                ws.cell(row, col).data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    moved = read_workbook(out.getvalue(), "换列.xlsx").forms[0]
    original = read_workbook(data, "原表.xlsx").forms[0]
    fields = [(i.name, i.target.value, i.actual.value, i.weight.value, i.declared_score.value) for i in original.indicators]
    assert [(i.name, i.target.value, i.actual.value, i.weight.value, i.declared_score.value)
            for i in moved.indicators] == fields
    assert score_form(moved).total == score_form(original).total
