"""perfcore.synth: synthetic forms are deterministic, realistic, and read back exactly as generated."""
from __future__ import annotations

from perfcore import synth
from perfcore.reader import read_workbook
from perfcore.serialize import form_to_dict


def test_same_seed_same_form_other_seed_other_form():
    assert form_to_dict(synth.make_form(7, seed=3)) == form_to_dict(synth.make_form(7, seed=3))
    assert form_to_dict(synth.make_form(7, seed=3)) != form_to_dict(synth.make_form(7, seed=4))


def test_forms_look_like_real_ones():
    forms = list(synth.iter_forms(400, seed=1))
    assert len({f.key for f in forms}) == 400  # year + unit + project never repeat
    assert {len(f.indicators) for f in forms} <= set(range(15, 36))
    assert min(len(f.indicators) for f in forms) < 20 and max(len(f.indicators) for f in forms) > 30
    assert len({f.year for f in forms}) == len(synth.YEARS)
    assert len({f.department.value for f in forms}) > 3
    for form in forms:
        weights = {}
        for ind in form.indicators:
            weights[ind.level1] = weights.get(ind.level1, 0) + ind.weight.value
        assert weights == {"产出指标": 50, "效益指标": 30, "满意度指标": 10}
        assert form.execution.weight.value == 10
    budgets = [(f.fund("total").initial.value, f.fund("total").budget.value) for f in forms]
    assert sum(budget < initial for initial, budget in budgets) > 100  # cut mid-year
    inds = [ind for f in forms for ind in f.indicators]
    qualitative = [ind for ind in inds if ind.target.value in ("及时", "健全", "共享", "公开", "提升")]
    assert len(qualitative) > len(inds) // 10
    under = [ind for ind in inds if (ind.declared_score.value or 0) < ind.weight.value]
    assert len(under) > len(inds) // 50  # missed targets scored down
    assert any(ind.actual.value != ind.target.value and ind.declared_score.value == ind.weight.value
               and ind.note.value == "" for ind in inds)  # some self-scores look inflated
    assert any(f.money_unit == "万元" for f in forms)


def test_written_workbooks_read_back_as_the_generated_forms(tmp_path):
    paths = synth.write_workbooks(7, 3, tmp_path, seed=2)
    assert [p.name for p in paths] == [synth.workbook_name(w) for w in range(3)]
    results = [read_workbook(path) for path in paths]
    assert [r.error for r in results] == [None, None, None]
    assert [len(r.forms) for r in results] == [3, 2, 2]
    read = [f for r in results for f in r.forms]
    generated = [synth.make_form(i, 2, file=f.source.file) for i, f in enumerate(read)]
    layouts = [f.layout for f in read]
    assert all(set(layout) == {"标题", "年度", "表头", "项目资金", "年度总体目标", "绩效指标", "总分"} for layout in layouts)
    for form in read:
        form.layout = {}  # where the reader found each block; the generator does not say
    assert [form_to_dict(f) for f in read] == [form_to_dict(f) for f in generated]  # raw text and cells too
