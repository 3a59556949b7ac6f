"""A layout taught once (perfcore.reader.taught): the header row, columns and cells staff name
override what the reader located, so a template it cannot place reads completely."""
from __future__ import annotations

from helpers.workbook_builder import FormSpec, one_form

from perfcore.reader import Taught, read_workbook
from perfcore.reader.grid import Grid
from perfcore.reader.taught import sheet_labels
from perfcore.scoring import score_form

# Labels no synonym or meaning rule knows: the reader finds no indicator table.
UNKNOWN = FormSpec(
    project="自创模板项目",
    ind_headers=("类别", "小类", "考核事项", "计划数", "实绩", "占比", "自评", "说明"),
)
TAUGHT = Taught(header_row=12, columns={"level1": "B", "level2": "C", "name": "D", "target": "E", "actual": "F",
                                        "weight": "G", "score": "H"})


def test_a_template_the_reader_cannot_place_is_unscorable_without_a_mapping():
    result = read_workbook(one_form(UNKNOWN), "自创.xlsx")
    assert result.error is None
    card = score_form(result.forms[0])
    assert not result.forms[0].indicators and card.reading.state == "无法计分"


def test_a_taught_layout_reads_it_completely_and_says_so():
    seen: list[frozenset[str]] = []

    def taught(grid: Grid) -> Taught | None:
        seen.append(sheet_labels(grid))
        return TAUGHT

    result = read_workbook(one_form(UNKNOWN), "自创.xlsx", taught=taught)
    form = result.forms[0]
    standard = read_workbook(one_form(FormSpec(project="自创模板项目")), "标准.xlsx").forms[0]
    assert [(i.level1, i.level2, i.name, i.target.value, i.actual.value, i.weight.value, i.declared_score.value)
            for i in form.indicators] == \
        [(i.level1, i.level2, i.name, i.target.value, i.actual.value, i.weight.value, i.declared_score.value)
         for i in standard.indicators]
    assert any(note.startswith("按已保存的对照读取") for note in form.notes)
    card = score_form(form)
    assert card.reading.state == "完整" and card.grade == "优"
    assert "考核事项" in seen[0] and "计划数" in seen[0]  # what a store matches later uploads on


def test_taught_cells_give_the_budget_spent_and_total():
    def edit_free(grid: Grid) -> Taught:
        return Taught(cells={"budget": "D6", "executed": "E6", "total": "H21"})

    spec = FormSpec(fund_headers=("甲栏", "乙栏", "丙栏", "分值", "执行率", "得分"))  # funds columns unknown
    plain = read_workbook(one_form(spec), "金额.xlsx").forms[0]
    assert plain.fund("total") is None or plain.fund("total").budget.value is None
    form = read_workbook(one_form(spec), "金额.xlsx", taught=edit_free).forms[0]
    total = form.fund("total")
    assert (total.budget.value, total.executed.value) == (6261700, 6261700)
    assert total.budget.cell == "表1!D6" and form.total_declared.value == 96 and form.layout["总分"] == "表1!H21"
