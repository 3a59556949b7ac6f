"""perfcore.reader on workbooks written here with openpyxl: the standard layout and every variant
of domain.md §2 (units, synonyms, split target columns, stacked forms, merged / unmerged /
page-broken labels, placeholders, blank actuals, 20-point execution, extra fund rows)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers.workbook_builder import FormSpec, Ind, one_form, workbook_bytes

from perfcore.model import Form
from perfcore.reader import read_workbook

FIXTURES = Path(__file__).parent / "fixtures"


def read_one(data: bytes, name: str = "单位自评.xlsx") -> Form:
    result = read_workbook(data, name)
    assert result.error is None, result.error
    assert len(result.forms) == 1, result.notes
    return result.forms[0]


def names(form: Form) -> list[str]:
    return [ind.name for ind in form.indicators]


def levels(form: Form) -> list[tuple[str, str]]:
    return [(ind.level1, ind.level2) for ind in form.indicators]


def weight_by_level1(form: Form) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for ind in form.indicators:
        totals[ind.level1] += ind.weight.value or 0
    return dict(totals)


STANDARD_LEVELS = [
    ("产出指标", "数量指标"),
    ("产出指标", "数量指标"),
    ("产出指标", "质量指标"),
    ("产出指标", "时效指标"),
    ("效益指标", "社会效益指标"),
    ("效益指标", "可持续影响指标"),
    ("满意度指标", "服务对象满意度指标"),
]


# --- the standard layout ---------------------------------------------------------------


def test_standard_layout_reads_every_field_with_its_cell():
    form = read_one(one_form(sheet="自评表"), "松江.xlsx")
    assert (form.source.file, form.source.sheet, form.source.first_row) == ("松江.xlsx", "自评表", 1)
    assert form.year == 2021
    assert (form.project.value, form.project.cell) == ("深化“一网通办”专项费用", "自评表!B3")
    assert (form.department.value, form.department.cell) == ("上海市松江区行政服务中心", "自评表!B4")
    assert form.unit.cell == "自评表!F4"
    assert form.money_unit == "元"
    assert [f.kind for f in form.funds] == ["total", "appropriation", "carryover", "other"]
    total = form.fund("total")
    assert (total.initial.value, total.budget.value, total.executed.value) == (8340000, 6261700, 6261700)
    assert (total.initial.cell, total.budget.cell, total.executed.cell) == ("自评表!C6", "自评表!D6", "自评表!E6")
    assert form.fund("appropriation").label == "当年财政拨款"
    carry = form.fund("carryover")
    assert (carry.executed.value, carry.executed.raw, carry.executed.cell) == (None, "—", "自评表!E8")
    assert (form.execution.weight.value, form.execution.weight.cell) == (10, "自评表!F6")
    assert (form.execution.rate.value, form.execution.rate.cell) == (1.0, "自评表!G6")
    assert (form.execution.declared_score.value, form.execution.declared_score.cell) == (10, "自评表!H6")
    assert (form.goals.planned.value, form.goals.planned.cell) == ("深化“一网通办”改革工作", "自评表!B11")
    assert (form.goals.actual.value, form.goals.actual.cell) == ("基本完成预期目标", "自评表!F11")
    # 8 rows written, the empty 成本指标 block gives no indicator
    assert levels(form) == STANDARD_LEVELS
    second = form.indicators[1]
    assert (second.name, second.cell, second.row) == ("服务新开办企业数量", "自评表!D14", 14)
    assert (second.target.value, second.target.cell) == (">=29000家", "自评表!E14")
    assert (second.actual.value, second.actual.cell) == ("3146", "自评表!F14")
    assert (second.weight.value, second.declared_score.value) == (10, 6)
    assert (second.note.value, second.note.cell) == ("预算调整", "自评表!I14")
    assert form.indicators[-1].cell == "自评表!D20"
    assert (form.total_weight.value, form.total_weight.cell) == (100, "自评表!G21")
    assert (form.total_declared.value, form.total_declared.cell) == (96, "自评表!H21")
    assert weight_by_level1(form) == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
    assert form.notes == []


def test_chinese_punctuation_and_full_width_text_stay_as_printed():
    spec = FormSpec(project="系统（软件）运维", planned="一、保障运行；二、提升效能，按时完成。")
    spec.indicators[2].name = "宣传活动与宣传主题匹 配率"
    form = read_one(one_form(spec))
    assert form.project.value == "系统（软件）运维"
    assert form.goals.planned.value == "一、保障运行；二、提升效能，按时完成。"
    assert form.indicators[2].name == "宣传活动与宣传主题匹配率"  # PDF artefact: space inside a word


@pytest.mark.parametrize(
    "year_text, title, year",
    [
        ("(2021 年度)", "财政项目支出绩效自评表", 2021),
        ("2022年度", "财政项目支出绩效自评表", 2022),
        (None, "财政项目支出绩效自评表（2020年度）", 2020),
    ],
)
def test_year_from_its_own_line_or_the_title(year_text, title, year):
    assert read_one(one_form(FormSpec(year_text=year_text, title=title))).year == year


def test_optional_header_fields_go_to_extra_and_unit_code_prefix_is_kept():
    spec = FormSpec(
        unit="219-上海市松江区行政服务中心",
        extra_header=[("项目负责人", "张三"), ("财务负责人：", "李四"), ("填报日期", "2022-01-10")],
    )
    form = read_one(one_form(spec))
    assert form.extra == {"项目负责人": "张三", "财务负责人": "李四", "填报日期": "2022-01-10"}
    assert form.unit.value == "219-上海市松江区行政服务中心"
    assert form.fund("total").budget.value == 6261700


# --- money -----------------------------------------------------------------------------


def test_wan_yuan_amounts_are_stored_in_yuan_with_raw_text_kept():
    funds = [("年度资金总额", 834, 626.17, "626.17"), ("其中：当年财政拨款", 834, 626.17, 626.17),
             ("上年结转资金", 0, 0, 0), ("其他资金", 0, 0, 0)]
    form = read_one(one_form(FormSpec(money_label="项目资金（万元）", funds=funds)))
    total = form.fund("total")
    assert form.money_unit == "万元"
    assert (total.initial.value, total.budget.value, total.executed.value) == (8340000, 6261700, 6261700)
    assert (total.executed.raw, total.budget.raw) == ("626.17", "626.17")
    assert form.execution.weight.value == 10  # points are not money


def test_wan_yuan_printed_in_the_column_headers():
    headers = ("年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分")
    funds = [("年度资金总额", 1.8, 0.798, 0.798)]
    form = read_one(one_form(FormSpec(money_label="项目资金", fund_headers=headers, funds=funds)))
    assert form.money_unit == "万元"
    assert (form.fund("total").initial.value, form.fund("total").executed.value) == (18000, 7980)


def test_numbers_printed_as_text():
    funds = [("年度资金总额", "8340000.00", "６，２６１，７００", "6,261,700"),
             ("其中：当年财政拨款", "８３４００００", "6261700", "6261700.00"),
             ("上年结转资金", "/", "-", ""), ("其他资金", "0", "0", "—")]
    spec = FormSpec(funds=funds, execution=("１０", "100.00%", "10"))
    spec.indicators[0].weight, spec.indicators[0].score = "２０", "20.00"
    form = read_one(one_form(spec))
    total, approp, carry = form.fund("total"), form.fund("appropriation"), form.fund("carryover")
    assert (total.initial.value, total.budget.value, total.executed.value) == (8340000, 6261700, 6261700)
    assert (total.budget.raw, total.executed.raw) == ("６，２６１，７００", "6,261,700")
    assert approp.initial.value == 8340000
    assert (carry.initial.value, carry.budget.value, carry.executed.value) == (None, None, None)
    assert (form.execution.weight.value, form.execution.rate.value) == (10, 1.0)
    assert form.execution.rate.raw == "100.00%"
    assert (form.indicators[0].weight.value, form.indicators[0].declared_score.value) == (20, 20)


def test_extra_fund_rows_and_fiscal_funds_synonym():
    funds = [("年度资金总额", 300, 300, 290), ("财政资金", 100, 100, 100), ("财政专户管理资金", 50, 50, 40),
             ("单位资金", 150, 150, 150), ("上年结转资金", 0, 0, 0), ("其他资金", 0, 0, 0)]
    form = read_one(one_form(FormSpec(funds=funds)))
    assert [(f.kind, f.label) for f in form.funds] == [
        ("total", "年度资金总额"), ("appropriation", "财政资金"), ("extra", "财政专户管理资金"),
        ("extra", "单位资金"), ("carryover", "上年结转资金"), ("other", "其他资金"),
    ]
    assert [f.executed.value for f in form.funds] == [290, 100, 40, 150, 0, 0]
    assert form.goals.planned.value == "深化“一网通办”改革工作"  # the goals block still follows


@pytest.mark.parametrize("rate, expected", [(0.95, 0.95), ("95.00%", 0.95), ("98.5", 0.985)])
def test_twenty_point_execution_block(rate, expected):
    spec = FormSpec(execution=(20, rate, 19), total=(100, 99))
    spec.indicators[0].weight = spec.indicators[0].score = 10  # indicators worth 80
    form = read_one(one_form(spec))
    assert (form.execution.weight.value, form.execution.declared_score.value) == (20, 19)
    assert form.execution.rate.value == pytest.approx(expected)
    assert sum(ind.weight.value for ind in form.indicators) == 80


# --- header synonyms and split target columns ----------------------------------------------


SYNONYMS = FormSpec(
    planned_label="预期目标",
    fund_headers=("年初预算数", "调整后预算数", "全年执行数", "分值", "执行率", "得分"),
    funds=[("年度资金总额", 100, 90, 81), ("其中：本年财政拨款", 100, 90, 81)],
    ind_headers=("一级指标", "二级指标", "三级指标", "指标值", "完成值", "权重", "得分", "未完成原因分析"),
)
SYNONYMS_AB = FormSpec(
    fund_headers=("年初预算数", "全年预算数(A)", "全年执行数(B)", "分值", "执行率(B/A)", "得分"),
    funds=[("年度资金总额", 100, 90, 81), ("其中：当年财政拨款", 100, 90, 81)],
    execution=(10, "90%", 9),
    ind_headers=("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分", "偏差原因"),
)


@pytest.mark.parametrize("spec", [SYNONYMS, SYNONYMS_AB], ids=["adjusted-weight", "A-B"])
def test_header_synonyms(spec):
    form = read_one(one_form(spec))
    total = form.fund("total")
    assert (total.initial.value, total.budget.value, total.executed.value) == (100, 90, 81)
    assert form.fund("appropriation").executed.value == 81
    assert form.execution.weight.value == 10
    assert form.goals.planned.value == "深化“一网通办”改革工作"
    second = form.indicators[1]
    assert (second.target.value, second.actual.value, second.weight.value) == (">=29000家", "3146", 10)
    assert (second.declared_score.value, second.note.value) == (6, "预算调整")
    assert levels(form) == STANDARD_LEVELS


SPLIT_INDICATORS = [
    Ind("产出指标", "数量指标", "培训场次", (">=", 3, "次"), "3次", 25, 25),
    Ind("产出指标", "质量指标", "培训考核通过率", ("≥", 100, "%"), "100%", 25, 25),
    Ind("效益指标", "社会效益指标", "办事效率提升度", ("", "提升", ""), "提升", 30, 30),
    Ind("满意度指标", "服务对象满意度指标", "培训对象满意度", ("≥", 90, "%"), "", 10, ""),
]


@pytest.mark.parametrize("layout", ["one_row", "two_rows"])
def test_split_operator_value_unit_columns_join_into_one_target(layout):
    spec = FormSpec(split_target=layout, indicators=SPLIT_INDICATORS, total=(100, 90))
    form = read_one(one_form(spec))
    assert [ind.target.value for ind in form.indicators] == [">=3次", "≥100%", "提升", "≥90%"]
    header = 12
    first = header + (2 if layout == "two_rows" else 1)
    assert form.indicators[0].target.cell == f"表1!F{first}"  # the 指标值 column
    assert [ind.actual.value for ind in form.indicators] == ["3次", "100%", "提升", ""]
    assert form.indicators[0].actual.cell == f"表1!H{first}"
    assert [ind.weight.value for ind in form.indicators] == [25, 25, 30, 10]
    assert form.indicators[3].declared_score.value is None
    assert (form.total_weight.cell, form.total_declared.value) == (f"表1!I{first + 4}", 90)


# --- several forms ---------------------------------------------------------------------------


def test_stacked_forms_in_one_sheet():
    specs = [FormSpec(project=name) for name in ("业务培训", "宣传与推广", "窗口业务管理")]
    specs[1].indicators = specs[1].indicators[:3]
    result = read_workbook(workbook_bytes({"自评表": specs}), "stacked.xlsx")
    assert result.error is None and result.notes == []
    assert [f.project.value for f in result.forms] == ["业务培训", "宣传与推广", "窗口业务管理"]
    assert [f.source.first_row for f in result.forms] == [1, 23, 40]
    assert [len(f.indicators) for f in result.forms] == [7, 3, 7]
    assert result.forms[1].project.cell == "自评表!B25"
    assert result.forms[2].fund("total").budget.cell == "自评表!D45"
    assert [f.total_declared.value for f in result.forms] == [96, 96, 96]


def test_stacked_forms_without_titles_split_at_project_name():
    specs = [FormSpec(project=name, title=None, year_text=None) for name in ("甲项目", "乙项目")]
    result = read_workbook(workbook_bytes({"Sheet1": specs}), "no-title.xlsx")
    assert [f.project.value for f in result.forms] == ["甲项目", "乙项目"]
    assert [f.source.first_row for f in result.forms] == [1, 21]
    assert [len(f.indicators) for f in result.forms] == [7, 7]
    assert all(f.year is None for f in result.forms)
    assert "未找到年度" in result.forms[0].notes[0]


def test_one_form_per_sheet_in_sheet_order():
    data = workbook_bytes({"项目A": [FormSpec(project="A")], "项目B": [FormSpec(project="B")]})
    result = read_workbook(data, "sheets.xlsx")
    assert [(f.source.sheet, f.project.value) for f in result.forms] == [("项目A", "A"), ("项目B", "B")]
    assert result.forms[1].indicators[0].cell == "项目B!D13"


# --- level labels ---------------------------------------------------------------------------


def test_unmerged_level_labels_fill_down_like_merged_ones():
    form = read_one(one_form(FormSpec(merge_levels=False)))
    assert levels(form) == STANDARD_LEVELS


OUTPUT, BENEFIT, SATISFACTION = "产出指标", "效益指标", "满意度指标"
LEVEL_CASES = {
    "points in level 1": (
        [("产出指标(50分)", "数量指标"), ("效益指标（30分）", "社会效益"), ("满意度指标10分", "服务对象满意度指标")],
        [(OUTPUT, "数量指标"), (BENEFIT, "社会效益指标"), (SATISFACTION, "服务对象满意度指标")],
    ),
    "level 1 missing, inferred from level 2": (
        [("", "数量"), ("", "成本指标"), ("", "经济效益指标"), ("", "生态效益指标"), ("", "服务对象满意度指标")],
        [(OUTPUT, "数量指标"), (OUTPUT, "成本指标"), (BENEFIT, "经济效益指标"), (BENEFIT, "生态效益指标"),
         (SATISFACTION, "服务对象满意度指标")],
    ),
    "labels one column off as pasted from PDF": (
        [("数量指标", ""), ("效益指标", "社会效益指标"), ("", "满意度指标")],
        [(OUTPUT, "数量指标"), (BENEFIT, "社会效益指标"), (SATISFACTION, "")],
    ),
    "成本指标 as its own level 1": (
        [("产出指标", "数量指标"), ("成本指标", "经济成本指标"), ("效益指标", "社会效益指标")],
        [(OUTPUT, "数量指标"), ("成本指标", "经济成本指标"), (BENEFIT, "社会效益指标")],
    ),
}


@pytest.mark.parametrize("printed, expected", LEVEL_CASES.values(), ids=LEVEL_CASES.keys())
def test_level_labels_are_read_by_what_they_say(printed, expected):
    inds = [Ind(level1, level2, f"考核项{i}", "=100%", "100%", 10, 10) for i, (level1, level2) in enumerate(printed)]
    form = read_one(one_form(FormSpec(indicators=inds)))
    assert names(form) == [f"考核项{i}" for i in range(len(printed))]
    assert levels(form) == expected


def test_page_break_labels_and_missing_level1_on_continuation_rows():
    printed = [("产出指标", "数量指标"), ("产出指标", "时效指标"),
               ("", "社会效益指标"), ("", "可持续影响指标"), ("", "服务对象满意度指标")]  # next page: no level 1
    inds = [Ind(level1, level2, f"考核项{i}") for i, (level1, level2) in enumerate(printed)]
    spec = FormSpec(indicators=inds, vertical_labels={0: "绩效", 3: "指标"}, merge_levels=False)
    form = read_one(one_form(spec))
    assert len(form.indicators) == 5
    assert levels(form) == [(OUTPUT, "数量指标"), (OUTPUT, "时效指标"), (BENEFIT, "社会效益指标"),
                            (BENEFIT, "可持续影响指标"), (SATISFACTION, "服务对象满意度指标")]


def test_placeholder_rows_and_empty_level2_blocks_give_no_indicator():
    inds = [Ind("产出指标", "数量指标", "培训场次", ">=3次", "3次", 50, 50),
            Ind("产出指标", "质量指标", "指标1:", "", "", "", ""),
            Ind("产出指标", "质量指标", "指标2：", "", "", "", ""),
            Ind("产出指标", "时效指标", "……", "", "", "", ""),
            Ind("产出指标", "成本指标", "", "", "", "", ""),
            Ind("效益指标", "社会效益指标", "覆盖率", ">=90%", "90%", 30, 30),
            Ind("满意度指标", "服务对象满意度指标", "满意度", ">=90%", "90%", 10, 10)]
    form = read_one(one_form(FormSpec(indicators=inds)))
    assert names(form) == ["培训场次", "覆盖率", "满意度"]
    assert [ind.row for ind in form.indicators] == [13, 18, 19]
    assert (form.total_weight.value, form.total_weight.cell) == (100, "表1!G20")


def test_blank_actuals_and_scores_are_read_as_missing():
    inds = [Ind("产出指标", "数量指标", "培训场次", ">=3次", "", 50, ""),
            Ind("效益指标", "社会效益指标", "覆盖率", ">=90%", "", 30, ""),
            Ind("满意度指标", "服务对象满意度指标", "满意度", ">=90%", "", 10, "")]
    spec = FormSpec(indicators=inds, execution=(10, "", ""), total=(100, ""))
    spec.funds[0] = ("年度资金总额", 8340000, 6261700, "")
    form = read_one(one_form(spec))
    assert [(ind.actual.value, ind.declared_score.value) for ind in form.indicators] == [("", None)] * 3
    assert form.indicators[0].actual.cell == "表1!F13"
    assert form.indicators[0].declared_score.cell == "表1!H13"
    assert [ind.weight.value for ind in form.indicators] == [50, 30, 10]
    assert form.fund("total").executed.value is None
    assert (form.execution.rate.value, form.execution.declared_score.value) == (None, None)
    assert (form.total_weight.value, form.total_declared.value) == (100, None)


# --- legacy .xls -----------------------------------------------------------------------------


def test_legacy_xls_fixture_written_by_xlwt():
    """tests/fixtures/legacy_form.xls comes from make_legacy_xls.py: WPS-era 万元 form, two stacked."""
    result = read_workbook(FIXTURES / "legacy_form.xls")
    assert result.error is None, result.error
    assert result.file == "legacy_form.xls"
    first, second = result.forms
    assert (first.year, first.project.value, first.money_unit) == (2020, "政务服务热线运行", "万元")
    total = first.fund("total")
    assert (total.initial.value, total.budget.value, total.executed.value) == (1234567.8, 1200000, 1150000)
    assert total.initial.raw == "123.45678"
    assert (first.fund("appropriation").label, first.fund("appropriation").executed.value) == ("本年财政拨款", 1150000)
    assert first.execution.rate.value == pytest.approx(0.9583)
    assert first.goals.planned.value == "热线接通率保持高位"
    assert levels(first) == [("产出指标", "数量指标"), ("产出指标", "数量指标"), ("产出指标", "时效指标"),
                             ("效益指标", "社会效益指标"), ("满意度指标", "服务对象满意度指标")]
    assert [ind.target.value for ind in first.indicators] == ["≥95%", "≥100000件", "及时", "提升", "≥90%"]
    assert (first.indicators[1].actual.cell, first.indicators[1].target.cell) == ("热线!H13", "热线!F13")
    assert (first.total_weight.value, first.total_declared.value) == (100, 97.08)
    assert (second.project.value, second.source.first_row, len(second.indicators)) == ("热线知识库维护", 19, 2)
