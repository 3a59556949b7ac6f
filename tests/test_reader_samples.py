"""The committed sample workbooks (data/samples, both layouts) read back with every figure of
the seed (domain.md §7): budgets, execution, declared totals, indicator counts and weights."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from perfcore.reader import read_workbook

SAMPLES = sorted((Path(__file__).parent.parent / "data" / "samples").glob("*.xlsx"))

# project, 年初预算数, 全年预算数, 全年执行数, declared total, indicators (domain.md §7, seed text)
SEED = [
    ("深化“一网通办”专项费用", 8_340_000.00, 6_261_700.00, 6_261_700.00, 100, 18),
    ("业务培训", 18_000.00, 7_980.00, 7_980.00, 100, 15),
    ("宣传与推广", 730_000.00, 667_136.24, 667_136.24, 100, 19),
    ("窗口业务管理", 3_596_500.00, 802_257.18, 802_257.18, 98, 18),
    ("网络信息系统运行与维护", 1_000_000.00, 935_600.00, 935_600.00, 100, 19),
]


def test_both_sample_layouts_are_committed():
    assert [p.name for p in SAMPLES] == ["seed-2021-sheets.xlsx", "seed-2021-stacked.xlsx"]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_seed_figure_reads_back(path):
    result = read_workbook(path)
    assert result.error is None and result.notes == []
    assert len(result.forms) == 5
    for form, (project, initial, budget, executed, declared, count) in zip(result.forms, SEED):
        assert (form.year, form.project.value) == (2021, project)
        assert form.department.value == form.unit.value == "上海市松江区行政服务中心"
        total, approp = form.fund("total"), form.fund("appropriation")
        assert (total.initial.value, total.budget.value, total.executed.value) == (initial, budget, executed)
        assert (approp.initial.value, approp.budget.value, approp.executed.value) == (initial, budget, executed)
        assert form.fund("carryover").budget.value == form.fund("other").budget.value == 0
        assert (form.execution.weight.value, form.execution.rate.value) == (10, 1.0)
        assert form.execution.declared_score.value == 10
        assert (form.total_weight.value, form.total_declared.value) == (100, declared)
        assert form.goals.planned.value and form.goals.actual.value.startswith("基本完成预期目标")
        assert len(form.indicators) == count
        split: Counter[str] = Counter()
        for ind in form.indicators:
            split[ind.level1] += ind.weight.value
        assert dict(split) == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}  # + execution 10 = 100
        assert all(ind.level2 and ind.target.value and ind.actual.value for ind in form.indicators)
        assert not form.notes


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_the_inflated_self_score_of_window_management(path):
    form = read_workbook(path).forms[3]
    missed = [ind for ind in form.indicators if ind.note.value]
    assert [(i.name, i.target.value, i.actual.value, i.weight.value, i.declared_score.value) for i in missed] == [
        ("服务新开办企业数量", ">=29000家", "3146", 7, 6),
        ("政务服务免费快递业务量", ">=18000件", "13500", 7, 6),
    ]
    assert missed[0].row == form.source.first_row + 12  # first indicator row of the standard layout
    assert missed[0].cell == f"{form.source.sheet}!D{missed[0].row}"
    assert [ind.name for ind in form.indicators if ind.level2 == "成本指标"] == ["资金使用率"]
    assert {ind.level2 for ind in form.indicators if ind.level1 == "效益指标"} == {
        "经济效益指标", "社会效益指标", "可持续影响指标"}
