"""Templates nobody has shown us (issue 20): labels read by meaning, roles checked against content,
amounts as people type them, totals wherever printed, evaluation-style forms, execution as an
indicator row, funds on the appropriation row, weights that do not add up, ``parse --explain``.

Every case is a real workbook written here (tests/helpers/workbook_builder.py, openpyxl).
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from helpers.workbook_builder import STANDARD_FUNDS, FormSpec, Ind, one_form, put, standard_indicators

from perfcore.reader import read_workbook
from perfcore.reader.labels import classify, label_key, level2_name
from perfcore.scoring import score_form

ROOT = Path(__file__).resolve().parent.parent
PROVINCES = Path(__file__).parent / "fixtures" / "provinces"


def _read(data: bytes, file: str = "表.xlsx"):
    result = read_workbook(data, file)
    assert result.error is None, result.error
    assert len(result.forms) == 1
    return result.forms[0]


def _edited(spec: FormSpec, edit) -> bytes:
    """The workbook of ``spec`` with ``edit(ws)`` applied, as a person would change a template."""
    book = openpyxl.load_workbook(io.BytesIO(one_form(spec)))
    edit(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _indicators(form) -> list[tuple]:
    return [(i.level1, i.level2, i.name, i.target.value, i.actual.value, i.weight.value, i.declared_score.value)
            for i in form.indicators]


# --- labels by meaning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "table", "role"),
    [
        ("预算数(A)", "funds", "budget"), ("执行数(B)", "funds", "executed"), ("执行率(B/A)", "funds", "rate"),
        ("得分(20分*执行率)", "funds", "score"), ("年初预算数（万元）", "funds", "initial"),
        ("调整后预算数", "funds", "budget"), ("实际支出数", "funds", "executed"), ("财政审核评分", "funds", None),
        ("年初目标值(A)", "indicators", "target"), ("实际完成值(B)", "indicators", "actual"),
        ("全年实际值(B)", "indicators", "actual"), ("参考分值", "indicators", "weight"), ("标准分", "indicators", "weight"),
        ("自评得分", "indicators", "score"), ("财政审核评分", "indicators", None), ("三级指标名称", "indicators", "name"),
        ("实际完成指标值", "indicators", "actual"), ("指标值", "indicators", "target"),
        ("专项资金名称", "header", "project"), ("县级主管部门", "header", "department"),
        ("项目实施单位", "header", "unit"), ("项目名称规范性", "header", None),
        ("年度\n指标值", "indicators", "target"), ("一、绩效指标完成情况", "indicators", None),
    ],
)
def test_a_label_is_classified_by_the_words_that_carry_its_meaning(printed, table, role):
    got, why = classify(label_key(printed), table)
    assert got == role, why
    assert why  # every decision says why (parse --explain prints it)


def test_a_level2_label_with_a_trailing_deng_is_the_same_level():
    assert level2_name("服务对象满意度指标等") == "服务对象满意度指标"
    assert level2_name("数量（10分）") == "数量指标"


def test_labels_with_qualifiers_and_synonyms_read_like_the_standard_form():
    standard = _read(one_form(FormSpec()))
    spec = FormSpec(
        fund_headers=("年初预算数(A)", "预算数(B)", "执行数(C)", "分值(10分)", "执行率(C/B)", "得分(10分*执行率)"),
        ind_headers=("一级指标", "二级指标", "三级指标名称", "年初目标值(A)", "实际完成值(B)", "参考分值", "自评得分",
                     "偏差原因分析及改进措施"),
    )
    form = _read(one_form(spec))
    assert _indicators(form) == _indicators(standard)
    assert [(f.kind, f.budget.value, f.executed.value) for f in form.funds] == \
        [(f.kind, f.budget.value, f.executed.value) for f in standard.funds]
    assert form.execution.weight.value == 10 and form.execution.rate.value == 1.0
    card = score_form(form)
    assert card.reading.state == "完整" and card.grade == "优"


def test_header_fields_by_meaning_and_their_values_never_taken_for_labels():
    def edit(ws):
        ws["A3"], ws["A4"], ws["E4"] = "专项资金名称", "县级主管部门", "项目实施单位"
        ws["F4"] = "某县项目实施单位"  # a value that ends like a label stays the value
    form = _read(_edited(FormSpec(), edit))
    assert (form.project.value, form.department.value, form.unit.value) == \
        ("深化“一网通办”专项费用", "上海市松江区行政服务中心", "某县项目实施单位")


# --- a column's role agrees with its content --------------------------------------------------


def test_two_filled_columns_claiming_one_role_make_the_form_to_verify_naming_both_cells():
    spec = FormSpec(ind_headers=("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "权重",
                                 "偏差原因分析及改进措施"))
    form = _read(one_form(spec))
    card = score_form(form)
    assert card.reading.state == "需核实" and card.grade is None
    doubt = next(m for m in card.reading.missing if "都标为“分值”列" in m)
    assert "表1!G12" in doubt and "表1!H12" in doubt


def test_an_empty_column_beside_a_filled_one_of_the_same_role_is_not_a_conflict():
    indicators = [Ind(*list(vars(i).values())[:-1], note="") for i in standard_indicators()]
    spec = FormSpec(indicators=indicators, ind_headers=(
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "自评得分"))  # last one empty
    form = _read(one_form(spec))
    assert not form.doubts and score_form(form).reading.state == "完整"


def test_a_role_is_inferred_from_content_where_the_header_is_blank_and_noted():
    def edit(ws):
        ws["G12"] = None  # the 分值 header cell left empty
    form = _read(_edited(FormSpec(), edit))
    assert [i.weight.value for i in form.indicators] == [20, 10, 10, 10, 15, 15, 10]
    assert any("表头为空，按内容推断为分值" in note and "G12" in note for note in form.notes)


def test_a_funds_label_over_the_row_labels_is_not_an_amount_column():
    """Sichuan prints 年度预算数(万元) over the row labels: the role goes to the column holding amounts."""
    form = read_workbook(PROVINCES / "03_sichuan_daying_sifaju_2023.xlsx").forms[0]
    total = form.fund("total")
    assert total is not None and total.budget.cell.endswith("E8") and total.budget.value == 33600


# --- weights and points -----------------------------------------------------------------------------


def test_weights_that_add_to_150_are_to_verify_and_never_graded():
    indicators = standard_indicators()
    indicators[0] = Ind("产出指标", "数量指标", "项目计划完成率", "=100%", "=100%", 70, 70)
    form = _read(one_form(FormSpec(indicators=indicators, total=(100, 146))))
    card = score_form(form)
    assert card.reading.state == "需核实" and card.grade is None
    assert any("分值合计 150" in m and "满分 100" in m for m in card.reading.missing)


def test_weights_under_a_level1_must_add_to_its_printed_points():
    indicators = [Ind("产出指标(60分)" if i.level1 == "产出指标" else i.level1, *list(vars(i).values())[1:])
                  for i in standard_indicators()]
    form = _read(one_form(FormSpec(indicators=indicators)))
    card = score_form(form)
    assert card.reading.state == "需核实" and card.grade is None
    assert any("“产出指标”" in m and "60" in m and "50" in m for m in card.reading.missing)


# --- amounts as people write them ----------------------------------------------------------------


def test_amounts_typed_with_units_are_converted_to_the_tables_unit_and_noted():
    funds = [("年度资金总额", "834万", "834万元", " 626.17 "), ("其中：当年财政拨款", "834", "８３４", "626.17"),
             ("上年结转资金", "1,500元", 0, "—"), ("其他资金", 0, 0, "—")]
    form = _read(one_form(FormSpec(money_label="项目资金（万元）", funds=funds)))
    total, carry = form.fund("total"), form.fund("carryover")
    assert (total.initial.value, total.budget.value, total.executed.value) == (8340000, 8340000, 6261700)
    assert carry.initial.value == 1500  # 1,500元 in a 万元 table is 1,500 yuan
    assert form.fund("appropriation").budget.value == 8340000
    assert any("“834万”" in note and "按所写单位“万”" in note for note in form.notes)
    assert score_form(form).reading.state == "完整"


def test_an_amount_no_person_could_read_either_refuses_the_file_naming_the_cell():
    funds = [("年度资金总额", 8340000, "约834万", 6261700), *STANDARD_FUNDS[1:]]
    result = read_workbook(one_form(FormSpec(funds=funds)), "约.xlsx")
    assert result.error is not None and result.error.code == "bad_amount"
    assert result.error.cell == "D6" and "约834万" in str(result.error)


# --- totals, funds and shapes ------------------------------------------------------------------------


def test_a_total_printed_in_the_header_is_the_declared_total():
    def edit(ws):
        ws["A5"], ws["B5"], ws["E5"] = "自评得分", 96, "财政审核评分"
    spec = FormSpec(extra_header=[("", "")], total=(100, None))
    form = _read(_edited(spec, edit))
    assert form.total_declared.value == 96 and form.total_declared.cell == "表1!B5"
    assert form.layout["总分"] == "表1!A5"
    assert score_form(form).reading.state == "完整"


def test_funds_printed_only_on_the_appropriation_row_are_the_years_total_noted():
    funds = [("年度资金总额", None, None, None), ("其中：当年财政拨款", 8340000, 6261700, 6261700),
             ("上年结转资金", None, None, None), ("其他资金", None, None, None)]
    form = _read(one_form(FormSpec(funds=funds, execution=(10, None, 10))))
    total = form.fund("total")
    assert (total.budget.value, total.executed.value) == (6261700, 6261700)
    assert any("按“当年财政拨款”行" in note for note in form.notes)
    card = score_form(form)
    assert card.execution.rate == 1.0 and card.reading.state == "完整"


def _evaluation_form() -> bytes:
    """An evaluation-style form: 项目决策/项目管理/项目产出/项目效益 with points, the weight column
    before 指标值(A)/全年实际值(B), 预算执行率 (10 分) as an indicator row, a funds block of amounts only."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "自评表"
    rows = [
        ["2023年度项目支出绩效自评表"],
        ["专项资金名称", "乡村道路养护补助"],
        ["县级主管部门", "某县交通运输局", None, "实施单位", "某县公路管理站"],
        ["资金情况（万元）", None, "预算数(A)", "执行数(B)", "执行率(B/A)"],
        [None, "年度资金总额", 200, 190, "95%"],
        [None, "其中：财政拨款", 200, 190, "95%"],
        ["一级指标", "二级指标", "三级指标", "分值", "指标值(A)", "全年实际值(B)", "得分", "偏差原因"],
        ["项目决策(10分)", "项目立项", "立项依据充分性", 5, "充分", "充分", 5],
        [None, "绩效目标", "绩效目标明确性", 5, "明确", "明确", 5],
        ["项目管理(25分)", "资金管理", "预算执行率", 10, "=100%", "95%", 9.5],
        [None, "资金管理", "资金使用合规性", 5, "合规", "合规", 5],
        [None, "组织实施", "管理制度健全性", 10, "健全", "健全", 10],
        ["项目产出(30分)", "产出数量", "养护里程", 15, "≥120公里", "126公里", 15],
        [None, "产出质量", "路况优良率", 15, "≥85%", "88%", 15],
        ["项目效益(35分)", "社会效益", "群众出行满意度", 20, "≥90%", "94%", 20],
        [None, "可持续影响", "长效管护机制", 15, "健全", "健全", 15],
        ["总分", None, None, 100, None, None, 99.5],
    ]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                put(ws, r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_evaluation_style_form_with_execution_as_an_indicator_row_is_scored_once():
    form = _read(_evaluation_form(), "评价.xlsx")
    assert [i.level1 for i in form.indicators] == ["项目决策"] * 2 + ["项目管理"] * 3 + ["项目产出"] * 2 + ["项目效益"] * 2
    assert [i.weight.value for i in form.indicators] == [5, 5, 10, 5, 10, 15, 15, 20, 15]
    assert form.indicators[2].target.value == "=100%" and form.indicators[2].actual.value == "95%"
    assert form.fund("total").budget.value == 2000000
    card = score_form(form)
    assert card.execution.weight == 0 and card.execution.score == 0
    assert card.total == 99.5 and card.reading.state == "完整" and card.grade == "优"
    assert not card.reading.missing


# --- parse --explain ------------------------------------------------------------------------------------


def test_parse_explain_shows_each_header_candidate_its_role_and_why_and_what_was_rejected(tmp_path):
    path = tmp_path / "评价.xlsx"
    path.write_bytes(_evaluation_form())
    proc = subprocess.run([sys.executable, "-m", "perfcore", "parse", "--explain", "--json", str(path)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    form = json.loads(proc.stdout)["forms"][0]
    decisions = {d["cell"]: d for d in form["explain"]}
    assert decisions["自评表!E7"]["role"] == "年度指标值" and "指标值" in decisions["自评表!E7"]["why"]
    assert decisions["自评表!F7"]["role"] == "实际完成值" and decisions["自评表!F7"]["accepted"]
    assert decisions["自评表!A2"]["role"] == "项目名称" and "资金名称" in decisions["自评表!A2"]["why"]
    text = subprocess.run([sys.executable, "-m", "perfcore", "parse", "--explain",
                           str(PROVINCES / "03_sichuan_daying_sifaju_2023.xlsx")],
                          capture_output=True, text=True, cwd=ROOT, check=False).stdout
    assert "表头识别" in text
    rejected = next(line for line in text.splitlines() if "B7" in line and "年度预算数" in line)
    assert rejected.lstrip().startswith("✗") and "未采用" in rejected


def test_a_lone_amount_label_over_the_row_labels_is_not_read_as_amounts():
    """年度预算数(万元) over the row names and no other 全年预算数 column: the role is dropped and
    said so, rather than refusing the file because 总额 is not a number."""
    def edit(ws):
        ws["B5"], ws["D5"] = "全年预算数", "调整数"  # the label over the row names; the real column renamed
    form = _read(_edited(FormSpec(), edit))
    assert form.fund("total").budget.value is None
    assert any("B5" in note and "资金行名称" in note for note in form.notes)
    assert score_form(form).reading.state != "完整"
