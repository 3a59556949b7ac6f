"""A seeded layout fuzzer: one self-evaluation form written in many template variants.

Counties print the same form in hundreds of templates: labels with qualifiers and
near-synonyms (``预算数(A)``, ``全年实际值(B)``, ``参考分值``), columns in another order, one- or
two-row headers, level labels merged or not, amounts as numbers or as text with units
(``150万``), 元 or 万元, the total in a 总分 row or in the header, budget execution in the
funds block or as an indicator row, outline rows (``一、产出指标`` with a subtotal, then
``1、…``), ``其中…`` breakdown rows under an indicator (its parts, no 分值 / 得分).
``variant(seed)`` picks one such template, ``write_variant(form, variant)`` writes
the form in it, and ``reading(form)`` is what every variant must read to (tests/test_reader_fuzz.py).
A variant is a pure function of its seed, so a failure replays:
``python -m perfcore.fuzz SEED out.xlsx`` writes the failing workbook.
"""
from __future__ import annotations

import io
import random
import re
import sys
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from perfcore.model import Form

__all__ = ["FuzzForm", "FuzzIndicator", "Variant", "base_form", "reading", "variant", "write_variant"]

# --- the form every variant prints ----------------------------------------------------------


@dataclass(frozen=True)
class FuzzIndicator:
    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: float
    score: float
    detail: bool = False  # a 其中… breakdown row of the indicator above: no weight, no score printed


@dataclass(frozen=True)
class FuzzForm:
    """What is printed, whatever the template: amounts in yuan, execution weight 10."""

    project: str
    department: str
    unit: str
    year: int
    initial: float
    budget: float
    executed: float
    indicators: tuple[FuzzIndicator, ...]
    execution_weight: float = 10.0

    @property
    def rate(self) -> float:
        return self.executed / self.budget

    @property
    def execution_score(self) -> float:
        return round(self.execution_weight * min(self.rate, 1.0), 2)

    @property
    def total(self) -> float:
        return round(self.execution_score + sum(ind.score for ind in self.indicators), 2)


_POOL: dict[str, list[tuple[str, str, str, str]]] = {  # level 1 → (level 2, name, target, actual)
    "产出指标": [
        ("数量指标", "培训人次", "≥1200人次", "1350人次"), ("数量指标", "补助发放户数", "=350户", "350户"),
        ("质量指标", "验收合格率", "=100%", "100%"), ("质量指标", "系统正常运行率", "≥98%", "99.2%"),
        ("时效指标", "资金拨付及时率", "≥95%", "100%"), ("时效指标", "完成时限", "≤12月", "11月"),
        ("成本指标", "人均培训成本", "≤5300元/户", "5100元/户"), ("成本指标", "护工补助标准", "≥4754元/人*月", "4800元/人*月"),
    ],
    "效益指标": [
        ("社会效益指标", "群众知晓率", "≥90%", "93%"), ("社会效益指标", "服务覆盖人次", "≥800人次/年", "860人次/年"),
        ("可持续影响指标", "长效管理机制", "健全", "健全"), ("经济效益指标", "带动就业人数", "≥30人", "34人"),
    ],
    "满意度指标": [("服务对象满意度指标", "服务对象满意度", "≥90%", "96%"), ("服务对象满意度指标", "群众满意度", "≥85%", "91%")],
}
_POINTS = {"产出指标": 50.0, "效益指标": 30.0, "满意度指标": 10.0}


def base_form(seed: int) -> FuzzForm:
    """A form with every target met (so its rule score equals what it declares), from the seed."""
    rng = random.Random(f"form-{seed}")
    indicators: list[FuzzIndicator] = []
    for level1, points in _POINTS.items():
        picked = rng.sample(_POOL[level1], k=min(len(_POOL[level1]), rng.randint(2, 4) if points > 10 else 1))
        picked.sort(key=lambda item: [p[0] for p in _POOL[level1]].index(item[0]))
        share = round(points / len(picked), 2)
        weights = [share] * (len(picked) - 1) + [round(points - share * (len(picked) - 1), 2)]
        indicators += [FuzzIndicator(level1, l2, name, t, a, w, w) for (l2, name, t, a), w in zip(picked, weights)]
    budget = float(rng.randrange(20, 900) * 10000)
    executed = round(budget * rng.choice([1.0, 0.98, 0.955, 0.9]), 2)
    return FuzzForm(
        project=rng.choice(["农村饮水安全维修养护项目", "城乡居民养老服务补助", "基层医疗卫生机构运行补助"]),
        department=rng.choice(["某县财政局", "某县民政局", "某县卫生健康委员会"]),
        unit=rng.choice(["某县社会福利中心", "某县疾病预防控制中心", "某县水利工程管理站"]),
        year=rng.choice([2021, 2022, 2023]),
        initial=budget, budget=budget, executed=executed, indicators=tuple(indicators),
    )


# --- the template --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One template: how each label is spelled, where each column goes, how amounts and totals are printed."""

    seed: int
    labels: dict[str, str] = field(default_factory=dict)  # role → printed label
    order: tuple[str, ...] = ("target", "actual", "weight", "score")
    two_row_header: bool = False
    levels: str = "merged"  # merged | first | repeated
    wan: bool = False
    amounts: str = "number"  # number | text_unit | text_plain | fullwidth
    total_in_header: bool = False
    execution_row: bool = False
    outline: bool = False
    level_points: bool = False  # 产出指标(50分): the weights under it must add to its points
    split_target: bool = False  # 指标性质 / 指标值 / 度量单位 in three columns
    breakdown: bool = False  # 其中… rows under the first indicator: its parts, never indicators

    def describe(self) -> str:
        knobs = {k: v for k, v in self.__dict__.items() if k not in ("seed", "labels")}
        return f"seed {self.seed}: {knobs}; labels {self.labels}"


_LABELS: dict[str, list[str]] = {
    "project": ["项目名称", "专项资金名称", "项目名称："],
    "department": ["主管部门", "县级主管部门", "主管部门及代码"],
    "unit": ["实施单位", "项目实施单位", "实施单位名称"],
    "initial": ["年初预算数", "年初预算数（A）", "年初预算"],
    "budget": ["全年预算数", "预算数(A)", "调整后预算数", "全年预算数（B）"],
    "executed": ["全年执行数", "执行数(B)", "实际支出数", "全年执行数（C）"],
    "rate": ["执行率", "执行率(B/A)", "预算执行率"],
    "fund_weight": ["分值", "权重", "分值(10分)"],
    "fund_score": ["得分", "得分(10分*执行率)", "自评得分"],
    "name": ["三级指标", "指标名称", "三级指标名称"],
    "target": ["年度指标值", "年度指标值(A)", "年初目标值(A)", "指标值", "预期指标值"],
    "actual": ["实际完成值", "实际完成值(B)", "全年实际值(B)", "完成值", "实际完成指标值"],
    "weight": ["分值", "权重", "参考分值", "分值（分）", "标准分"],
    "score": ["得分", "自评得分", "得分(分)", "评分"],
    "note": ["偏差原因分析及改进措施", "未完成原因分析", "偏差原因及改进措施"],
    "level2_suffix": ["", "等"],
}


def variant(seed: int) -> Variant:
    """The template of a seed (seed 0 is the standard layout)."""
    if seed == 0:
        return Variant(0, {role: spellings[0] for role, spellings in _LABELS.items()})
    rng = random.Random(f"variant-{seed}")
    labels = {role: rng.choice(spellings) for role, spellings in _LABELS.items()}
    order = ["target", "actual", "weight", "score"]
    rng.shuffle(order)
    outline = rng.random() < 0.25
    return Variant(
        seed=seed, labels=labels, order=tuple(order), two_row_header=not outline and rng.random() < 0.3,
        levels=rng.choice(["merged", "first", "repeated"]), wan=rng.random() < 0.4,
        amounts=rng.choice(["number", "number", "text_unit", "text_plain", "fullwidth"]),
        total_in_header=rng.random() < 0.3, execution_row=rng.random() < 0.3, outline=outline,
        level_points=rng.random() < 0.4, split_target=rng.random() < 0.25,
        breakdown=not outline and rng.random() < 0.3,
    )


# --- writing ----------------------------------------------------------------------------------

_FULLWIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")


def _figure(value: float) -> str:
    """1,432.5 rather than 1,432.50 or 1,432.500000: as a person types it, no digit lost."""
    return f"{value:,.6f}".rstrip("0").rstrip(".")


def _amount(value: float, v: Variant) -> object:
    shown = value / 10000 if v.wan else value
    if v.amounts == "number":
        return shown
    if v.amounts == "fullwidth":
        return _figure(shown).translate(_FULLWIDTH)
    if v.amounts == "text_plain":
        return f"{_figure(shown)} "
    return f"{value / 10000:g}万" if value % 100 == 0 else f"{value:,.2f}元"  # text_unit: its own unit


def _put(ws: Worksheet, row: int, col: int, value: object, merge_to: tuple[int, int] | None = None) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # typed text (=100%), not a formula
    if merge_to is not None and merge_to != (row, col):
        ws.merge_cells(start_row=row, start_column=col, end_row=merge_to[0], end_column=merge_to[1])


def write_variant(form: FuzzForm, v: Variant) -> bytes:
    """The form written in the variant's template, as .xlsx bytes."""
    book = Workbook()
    ws = book.active
    ws.title = "自评表"
    L = v.labels  # noqa: N806 - a table of labels reads best short
    _put(ws, 1, 1, "项目支出绩效自评表", (1, 9))
    _put(ws, 2, 1, f"（{form.year}年度）", (2, 9))
    inline = L["project"].endswith("：")
    _put(ws, 3, 1, f"{L['project']}{form.project}" if inline else L["project"])
    if not inline:
        _put(ws, 3, 2, form.project, (3, 9))
    _put(ws, 4, 1, L["department"])
    _put(ws, 4, 2, form.department, (4, 4))
    _put(ws, 4, 5, L["unit"])
    _put(ws, 4, 6, form.unit, (4, 9))
    row = 5
    if v.total_in_header:
        _put(ws, row, 1, "自评得分")
        _put(ws, row, 2, form.total)
        _put(ws, row, 5, "财政审核评分")
        row += 1
    row = _write_funds(ws, form, v, row)
    _put(ws, row, 1, "年度总体目标")
    _put(ws, row, 2, "预期目标", (row, 5))
    _put(ws, row, 6, "实际完成情况", (row, 9))
    _put(ws, row + 1, 2, "按计划完成年度任务", (row + 1, 5))
    _put(ws, row + 1, 6, "已完成年度任务", (row + 1, 9))
    _write_indicators(ws, form, v, row + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_funds(ws: Worksheet, form: FuzzForm, v: Variant, row: int) -> int:
    L = v.labels  # noqa: N806
    heads = [L["initial"], L["budget"], L["executed"]]
    if not v.execution_row:
        heads += [L["fund_weight"], L["rate"], L["fund_score"]]
    _put(ws, row, 1, "项目资金（万元）" if v.wan else "项目资金（元）", (row + 3, 1))
    for offset, head in enumerate(heads):
        _put(ws, row, 3 + offset, head)
    amounts = (form.initial, form.budget, form.executed)
    lines = [("年度资金总额", *amounts), ("其中：当年财政拨款", *amounts), ("上年结转资金", 0.0, 0.0, 0.0)]
    for offset, (label, initial, budget, executed) in enumerate(lines, start=1):
        _put(ws, row + offset, 2, label)
        for col, value in enumerate((initial, budget, executed), start=3):
            _put(ws, row + offset, col, _amount(value, v) if value else 0)
    if not v.execution_row:
        _put(ws, row + 1, 6, form.execution_weight)
        _put(ws, row + 1, 7, f"{form.rate:.2%}")
        _put(ws, row + 1, 8, form.execution_score)
    return row + len(lines) + 1


def _indicator_rows(form: FuzzForm, v: Variant) -> list[FuzzIndicator]:
    rows = list(form.indicators)
    if v.execution_row:  # 预算执行率 as an ordinary row: the funds block prints no weight
        rows.insert(0, FuzzIndicator("产出指标", "资金管理", "预算执行率", "=100%",
                                     f"{form.rate * 100:g}%", form.execution_weight, form.execution_score))
    if v.breakdown:  # the first indicator's parts (城区 / 乡镇 halves) right below it
        at = 1 if v.execution_row else 0
        rows[at + 1:at + 1] = _breakdown(rows[at])
    return rows


def _half(text: str) -> str:
    op, value, unit = _split_target(text)
    return f"{op}{_figure(float(value) / 2)}{unit}" if value[:1].isdigit() else text


def _breakdown(ind: FuzzIndicator) -> list[FuzzIndicator]:
    return [FuzzIndicator(ind.level1, ind.level2, f"其中{part}{ind.name}", _half(ind.target), _half(ind.actual), 0.0, 0.0,
                          detail=True) for part in ("城区", "乡镇")]


def _write_indicators(ws: Worksheet, form: FuzzForm, v: Variant, row: int) -> None:
    L = v.labels  # noqa: N806
    rows = _indicator_rows(form, v)
    levels = [] if v.outline else ["一级指标", "二级指标"]
    value_cols: dict[str, int] = {}
    col = len(levels) + 2
    for role in v.order:
        value_cols[role] = col
        if role == "target" and v.split_target:
            value_cols["op"], value_cols["target"], value_cols["unit"] = col, col + 1, col + 2
            col += 2
        col += 1
    note_col = col
    name_col = len(levels) + 1
    header = row
    if v.two_row_header:  # levels and name merged down, the value columns under one spanning label
        for col, label in enumerate([*levels, L["name"]], start=1):
            _put(ws, row, col, label, (row + 1, col))
        _put(ws, row, value_cols[v.order[0]], "年度绩效指标完成情况", (row, note_col))
        row += 1
    else:
        for col, label in enumerate([*levels, L["name"]], start=1):
            _put(ws, row, col, label)
    for role, col in value_cols.items():
        _put(ws, row, col, {"op": "指标性质", "unit": "度量单位"}.get(role) or L[role])
    _put(ws, row, note_col, L["note"])
    row += 1
    _ = header
    if v.outline:
        _write_outline(ws, rows, v, row, name_col, value_cols, form)
        return
    first = row
    groups: list[tuple[str, int, int]] = []
    for ind in rows:
        _write_row(ws, row, ind, v, name_col, value_cols, numbered="")
        if not groups or groups[-1][0] != ind.level1:
            groups.append((ind.level1, row, row))
        groups[-1] = (groups[-1][0], groups[-1][1], row)
        row += 1
    _write_levels(ws, rows, v, first)
    _put(ws, row, 1, "总分", (row, name_col))
    if not v.total_in_header:
        _put(ws, row, value_cols["weight"], 100)
        _put(ws, row, value_cols["score"], form.total)
    else:
        _put(ws, row, value_cols["weight"], 100)


def _write_row(ws: Worksheet, row: int, ind: FuzzIndicator, v: Variant, name_col: int, value_cols: dict[str, int],
               numbered: str) -> None:
    _put(ws, row, name_col, f"{numbered}{ind.name}")
    if "op" in value_cols:  # ≥1200人次 as ≥ | 1200 | 人次; a word target in the value column alone
        op, value, unit = _split_target(ind.target)
        _put(ws, row, value_cols["op"], op)
        _put(ws, row, value_cols["unit"], unit)
        _put(ws, row, value_cols["target"], value)
    else:
        _put(ws, row, value_cols["target"], ind.target)
    _put(ws, row, value_cols["actual"], ind.actual)
    if not ind.detail:
        _put(ws, row, value_cols["weight"], ind.weight)
        _put(ws, row, value_cols["score"], ind.score)


_SPLIT = re.compile(r"^([≥≤=<>]?)(\d+(?:\.\d+)?)(.*)$")


def _split_target(target: str) -> tuple[str, str, str]:
    found = _SPLIT.match(target)
    return (found[1], found[2], found[3]) if found else ("", target, "")


def _write_levels(ws: Worksheet, rows: list[FuzzIndicator], v: Variant, first: int) -> None:
    for col, attr in ((1, "level1"), (2, "level2")):
        start = 0
        for i in range(1, len(rows) + 1):
            if i < len(rows) and getattr(rows[i], attr) == getattr(rows[start], attr) and \
                    (col == 1 or rows[i].level1 == rows[start].level1):
                continue
            text = getattr(rows[start], attr)
            if col == 2:
                text += v.labels["level2_suffix"]
            elif v.level_points:
                text += f"({_figure(sum(r.weight for r in rows if r.level1 == text))}分)"
            if v.levels == "repeated":
                for r in range(start, i):
                    _put(ws, first + r, col, text)
            else:
                _put(ws, first + start, col, text, (first + i - 1, col) if v.levels == "merged" else None)
            start = i


_NUMERALS = "一二三四五六七八九十"


def _write_outline(ws: Worksheet, rows: list[FuzzIndicator], v: Variant, row: int, name_col: int,
                   value_cols: dict[str, int], form: FuzzForm) -> None:
    """一、产出指标 (subtotal) / （一）数量指标 / 1、name rows: subtotals must not count twice."""
    level1s = list(dict.fromkeys(ind.level1 for ind in rows))
    for n1, level1 in enumerate(level1s):
        under = [ind for ind in rows if ind.level1 == level1]
        points = f"({_figure(sum(ind.weight for ind in under))}分)" if v.level_points else ""
        _put(ws, row, name_col, f"{_NUMERALS[n1]}、{level1}{points}")
        _put(ws, row, value_cols["weight"], round(sum(ind.weight for ind in under), 2))
        _put(ws, row, value_cols["score"], round(sum(ind.score for ind in under), 2))
        row += 1
        level2s = list(dict.fromkeys(ind.level2 for ind in under))
        number = 1
        for n2, level2 in enumerate(level2s):
            _put(ws, row, name_col, f"（{_NUMERALS[n2]}）{level2}{v.labels['level2_suffix']}")
            row += 1
            for ind in (i for i in under if i.level2 == level2):
                _write_row(ws, row, ind, v, name_col, value_cols, numbered=f"{number}、")
                number += 1
                row += 1
    _put(ws, row, name_col, "总分")
    _put(ws, row, value_cols["weight"], 100)
    if not v.total_in_header:
        _put(ws, row, value_cols["score"], form.total)


# --- what every variant must read to ------------------------------------------------------------


def reading(form: Form, card: object | None = None) -> dict[str, object]:
    """The template-free content of a read form: names, amounts in yuan, indicators (预算执行率
    rows aside), declared total, and when a scorecard is given its state, total and grade."""
    total = form.fund("total")
    out: dict[str, object] = {
        "project": form.project.value, "department": form.department.value, "unit": form.unit.value,
        "year": form.year,
        "budget": total.budget.value if total else None, "executed": total.executed.value if total else None,
        "indicators": [
            (ind.level1, ind.level2, ind.name, ind.target.value, ind.actual.value, ind.weight.value, ind.declared_score.value)
            for ind in form.indicators if ind.name != "预算执行率"
        ],
        "declared_total": form.total_declared.value,
    }
    if card is not None:
        out.update(state=card.reading.state, total=card.total, grade=card.grade)  # type: ignore[attr-defined]
    return out


def expected_reading(form: FuzzForm) -> dict[str, object]:
    """What ``reading`` must give for every variant of ``form``."""
    return {
        "project": form.project, "department": form.department, "unit": form.unit, "year": form.year,
        "budget": form.budget, "executed": form.executed,
        "indicators": [(i.level1, i.level2, i.name, i.target, i.actual, i.weight, i.score) for i in form.indicators],
        "declared_total": form.total, "state": "完整", "total": form.total, "grade": "优" if form.total >= 90 else "良",
    }


def main(argv: list[str]) -> int:
    """``python -m perfcore.fuzz SEED [OUT.xlsx]``: describe a seed's variant and write its workbook."""
    seed = int(argv[0])
    v = variant(seed)
    print(v.describe())
    if len(argv) > 1:
        with open(argv[1], "wb") as out:
            out.write(write_variant(base_form(seed), v))
        print(f"written: {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
