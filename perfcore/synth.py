"""Synthetic but realistic self-evaluation forms, deterministic by seed.

Why: the benchmark (bench/), load tests and demos need thousands of forms that look
like the real ones (standard layout, 15–35 indicators, missed targets, inflated
self-scores, budgets cut mid-year) without shipping anyone's real data.
Form ``i`` of a seed is always the same form, whatever batch it is generated in.
"""
from __future__ import annotations

import os
import random
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from perfcore.fmt import EXCEL_FORMATS
from perfcore.model import Execution, Form, FundLine, Goals, Indicator, Num, Source, Text
from perfcore.reader.numfmt import display

YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
FORMS_PER_UNIT_YEAR = 10  # consecutive forms share unit and year, like one unit's submission

_DISTRICTS = ("松江区", "青浦区", "闵行区")
_BUREAUS = (
    "教育局", "卫生健康委员会", "民政局", "交通委员会", "生态环境局",
    "文化和旅游局", "农业农村委员会", "人力资源和社会保障局", "行政服务中心", "城市管理行政执法局",
)
_UNIT_SUFFIXES = ("事务管理中心", "信息中心", "综合保障中心", "服务指导中心", "监测站")

DEPARTMENTS: tuple[str, ...] = tuple(f"上海市{d}{b}" for d in _DISTRICTS for b in _BUREAUS)
# (department, unit): the department itself and five units under it, interleaved so that even
# a small sample of forms spans many departments.
UNITS: tuple[tuple[str, str], ...] = tuple(
    (dept, dept if suffix is None else dept.removesuffix("局").removesuffix("委员会") + suffix)
    for suffix in (None, *_UNIT_SUFFIXES)
    for dept in DEPARTMENTS
)

_TOPICS = (
    "深化“一网通办”专项费用", "业务培训", "宣传与推广", "窗口业务管理", "网络信息系统运行与维护",
    "专用设备购置", "办公用房维修改造", "档案数字化加工", "安全生产专项检查", "社区服务运营",
    "应急物资储备", "校舍维修改造", "环境质量监测运维", "河道保洁养护", "公共绿地养护",
    "群众文化活动", "全民健身赛事组织", "就业创业补贴发放", "老年人助餐服务", "课后托管服务",
    "食品安全抽检", "农业技术推广", "住房保障补贴发放", "道路设施养护", "智慧城市平台建设",
    "政务服务热线运营", "信息安全等级保护测评", "法律顾问服务", "第三方绩效评估服务", "志愿服务项目",
)

# (level2, name, op, low, high, unit); op None = qualitative, low = the word.
_Q = tuple[str, str, str | None, Any, float, str]  # low: a number, or the word of a qualitative target
_OUTPUT: tuple[_Q, ...] = (
    ("数量指标", "项目计划完成率", "=", 100, 100, "%"),
    ("数量指标", "培训场次", ">=", 3, 40, "次"),
    ("数量指标", "培训人次", ">=", 100, 5000, "人次"),
    ("数量指标", "设备购置数", "=", 2, 60, "台"),
    ("数量指标", "受益企业数", ">=", 50, 30000, "家"),
    ("数量指标", "业务办理件数", ">=", 1000, 200000, "件"),
    ("数量指标", "巡查次数", ">=", 12, 400, "次"),
    ("数量指标", "覆盖社区数", ">=", 5, 120, "个"),
    ("数量指标", "宣传材料发放数", ">=", 500, 20000, "份"),
    ("数量指标", "服务对象人数", ">=", 200, 80000, "人"),
    ("数量指标", "维护系统数", "=", 1, 20, "个"),
    ("数量指标", "活动举办场次", ">=", 4, 60, "场"),
    ("质量指标", "项目一次性验收通过率", "=", 100, 100, "%"),
    ("质量指标", "系统正常运转率", ">=", 95, 99.9, "%"),
    ("质量指标", "培训考核通过率", ">=", 85, 98, "%"),
    ("质量指标", "投诉处理率", "=", 100, 100, "%"),
    ("质量指标", "抽检合格率", ">=", 90, 99, "%"),
    ("质量指标", "服务规范达标情况", None, "达标", 0, ""),
    ("质量指标", "档案完整率", ">=", 95, 100, "%"),
    ("质量指标", "设备完好率", ">=", 90, 99, "%"),
    ("时效指标", "项目完工及时率", None, "及时", 0, ""),
    ("时效指标", "项目工作开展及时率", None, "及时", 0, ""),
    ("时效指标", "资金支付及时率", ">=", 90, 100, "%"),
    ("时效指标", "问题整改时限", "<=", 7, 60, "天"),
    ("时效指标", "故障响应时间", "<=", 1, 24, "小时"),
    ("时效指标", "系统上线及时性", None, "及时", 0, ""),
    ("成本指标", "预算控制率", "<=", 100, 100, "%"),
    ("成本指标", "单次培训成本", "<=", 2000, 30000, "元"),
    ("成本指标", "设备采购单价", "<=", 5000, 200000, "元"),
    ("成本指标", "成本节约率", ">=", 1, 10, "%"),
)
_BENEFIT: tuple[_Q, ...] = (
    ("经济效益指标", "带动就业人数", ">=", 10, 2000, "人"),
    ("经济效益指标", "节约行政成本", ">=", 5, 500, "万元"),
    ("社会效益指标", "系统重要储存信息丢失率", "=", 0, 0, "%"),
    ("社会效益指标", "重大安全事故发生次数", "=", 0, 0, "起"),
    ("社会效益指标", "办事效率提升", None, "提升", 0, ""),
    ("社会效益指标", "政策知晓率", ">=", 80, 95, "%"),
    ("社会效益指标", "服务覆盖率", ">=", 85, 100, "%"),
    ("社会效益指标", "群众获得感", None, "提高", 0, ""),
    ("生态效益指标", "垃圾分类达标率", ">=", 90, 98, "%"),
    ("生态效益指标", "环境质量改善情况", None, "优化", 0, ""),
    ("可持续影响指标", "长效管理制度健全性", None, "健全", 0, ""),
    ("可持续影响指标", "档案管理机制健全性", None, "健全", 0, ""),
    ("可持续影响指标", "信息共享情况", None, "共享", 0, ""),
    ("可持续影响指标", "信息公开情况", None, "公开", 0, ""),
    ("可持续影响指标", "运维保障机制", None, "健全", 0, ""),
)
_SATISFACTION: tuple[_Q, ...] = (
    ("服务对象满意度指标", "服务对象满意度", ">=", 85, 95, "%"),
    ("服务对象满意度指标", "群众满意度", ">=", 80, 95, "%"),
    ("服务对象满意度指标", "使用者满意度", ">=", 85, 95, "%"),
    ("服务对象满意度指标", "参训人员满意度", ">=", 85, 95, "%"),
)
_LEVEL1 = (("产出指标", _OUTPUT, 50), ("效益指标", _BENEFIT, 30), ("满意度指标", _SATISFACTION, 10))

_PARTIAL = ("部分完成", "基本及时", "部分达成")
_NEGATIVE = ("未完成", "滞后", "未健全")
_REASONS = (
    "受疫情影响，部分活动延期举办，下一年度将提前谋划。",
    "年中预算调整，部分采购未实施，已纳入下年度计划。",
    "服务需求低于预期，后续将加强宣传。",
    "供应商交付延迟，已督促整改并完善合同约束。",
    "指标设置偏高，下一年度将结合实际合理设定。",
)
_GOALS = (
    "完成年度各项工作任务，提升服务效能和群众满意度。",
    "保障系统稳定运行，推进数据共享和业务协同。",
    "按计划完成采购和维护工作，确保资金使用规范高效。",
)


def _fmt(x: float) -> str:
    """A number as a person types it: 100, 98.5, 0.75."""
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0")


def _money(value: float | None, cell: str, wan: bool) -> Num:
    """An amount in yuan; raw is the cell as the reader sees it (in 万元 when the form uses 万元)."""
    if value is None:
        return Num(None, "", cell)
    return Num(value, display(round(value / 10000, 6) if wan else value, EXCEL_FORMATS["money"]), cell)


def _shown(value: float, kind: str) -> str:
    """A figure as perfcore.writer's number format for ``kind`` prints it (the reader's raw text)."""
    return display(value, EXCEL_FORMATS[kind])


def _op_text(op: str, rng: random.Random) -> str:
    return {"=": "=", ">=": rng.choice((">=", "≥")), "<=": rng.choice(("<=", "≤"))}[op]


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` points over ``parts`` indicators as whole points, near equal, shuffled."""
    base, extra = divmod(total, parts)
    weights = [base + 1] * extra + [base] * (parts - extra)
    rng.shuffle(weights)
    return weights


def _indicator(spec: _Q, weight: int, level1: str, row: int, at: str, rng: random.Random) -> Indicator:
    """One indicator with target, actual (met ~80 %, missed, over-achieved) and a declared score."""
    level2, name, op, low, high, unit = spec
    roll = rng.random()
    note = ""
    if op is None:  # qualitative
        word = str(low)
        target = word
        if roll < 0.85:
            actual, ratio = word, 1.0
        elif roll < 0.95:
            actual, ratio = rng.choice(_PARTIAL), 0.7
        else:
            actual, ratio = rng.choice(_NEGATIVE), 0.0
    else:
        t = float(low) if low == high else round(rng.uniform(float(low), high), 1 if unit == "%" and high < 20 else 0)
        target = f"{_op_text(op, rng)}{_fmt(t)}{unit}"
        if roll < 0.8:  # met, sometimes written with the operator as the seed does
            a = t if op == "=" or rng.random() < 0.6 else (t * rng.uniform(1.0, 1.2) if op == ">=" else t * rng.uniform(0.7, 1.0))
            if unit == "%" and op == ">=":
                a = min(a, 100.0)
            actual = (f"{_op_text(op, rng)}{_fmt(t)}{unit}" if a == t and rng.random() < 0.5
                      else f"{_fmt(round(a, 2 if unit == '%' else 0))}{unit}")
            ratio = 1.0
        elif roll < 0.95 or t == 0:  # missed
            if t == 0:
                a = float(rng.randint(1, 3))
                ratio = 0.0
            elif op == "<=":
                a = round(t * rng.uniform(1.01, 1.3) if unit == "%" else t * rng.uniform(1.1, 2.0), 1)
                ratio = t / a
            else:
                a = round(t * rng.uniform(0.1, 0.97), 2 if unit == "%" else 0)
                ratio = a / t
            actual = f"{_fmt(a)}{unit}"
        elif unit == "%" and op != "<=":  # a rate cannot be over-achieved: met exactly
            actual, ratio = f"{_fmt(t)}{unit}", 1.0
        else:  # large over-achievement (target possibly set too low)
            a = t * 2 if op != "<=" else t / 3
            actual, ratio = f"{_fmt(round(a, 1))}{unit}", 1.0
    rule = round(weight * ratio, 2)
    if ratio < 1.0:
        inflate = rng.random()
        declared = float(weight) if inflate < 0.25 else (min(weight, round(rule) + 1.0) if inflate < 0.35 else rule)
        if rng.random() < 0.75:
            note = rng.choice(_REASONS)
    else:
        declared = float(weight)
    return Indicator(
        level1=level1,
        level2=level2,
        name=name,
        target=Text(target, f"{at}E{row}"),
        actual=Text(actual, f"{at}F{row}"),
        weight=Num(float(weight), _fmt(weight), f"{at}G{row}"),
        declared_score=Num(declared, _shown(declared, "score"), f"{at}H{row}"),
        note=Text(note, f"{at}I{row}"),
        cell=f"{at}D{row}",
        row=row,
    )


def _identity(i: int) -> tuple[int, str, str, str]:
    """Form index → (year, department, unit, project), unique per index (a bijection)."""
    seq_lo, group = i % FORMS_PER_UNIT_YEAR, i // FORMS_PER_UNIT_YEAR
    year = YEARS[group % len(YEARS)]
    unit_index = (group // len(YEARS)) % len(UNITS)
    seq = (group // (len(YEARS) * len(UNITS))) * FORMS_PER_UNIT_YEAR + seq_lo
    dept, unit = UNITS[unit_index]
    topic = _TOPICS[(seq + unit_index * 7) % len(_TOPICS)]
    project = topic if seq < len(_TOPICS) else f"{topic}（{seq // len(_TOPICS) + 1}期）"
    return year, dept, unit, project


def make_form(i: int, seed: int = 0, *, n_indicators: int | None = None, file: str = "", sheet: str = "") -> Form:
    """Form number ``i`` of ``seed``; cells follow the standard layout with the title on row 1.

    ``n_indicators`` forces the indicator count (15–35 otherwise, drawn from the seed).
    """
    rng = random.Random(f"{seed}:{i}")
    year, dept, unit, project = _identity(i)
    sheet = sheet or project[:31]  # perfcore.writer names a sheet after its project
    at = f"{sheet}!"  # cell prefix, the title is on row 1
    n = n_indicators or rng.randint(15, 35)
    n_sat = 1 if n < 25 else 2
    n_benefit = max(3, round((n - n_sat) * 0.3))
    counts = (n - n_sat - n_benefit, n_benefit, n_sat)

    # Funds: most budgets are cut mid-year; a few spend less than the adjusted budget.
    initial = round(rng.uniform(10_000, 9_000_000), -2)
    budget = round(initial * rng.uniform(0.2, 0.98), 2) if rng.random() < 0.6 else initial
    executed = budget if rng.random() < 0.75 else round(budget * rng.uniform(0.6, 0.99), 2)
    carry = round(budget * 0.1, 2) if rng.random() < 0.15 else 0.0
    appropriation = (initial, round(budget - carry, 2), round(executed - carry, 2))
    rows = (("total", "年度资金总额", (initial, budget, executed)),
            ("appropriation", "当年财政拨款", appropriation),
            ("carryover", "上年结转资金", (0.0, carry, carry if carry else None)),
            ("other", "其他资金", (0.0, 0.0, None)))
    wan = rng.random() < 0.2  # some units print 万元
    funds = [FundLine(kind, label, *(_money(v, f"{at}{c}{r}", wan) for v, c in zip(values, "CDE")))
             for r, (kind, label, values) in enumerate(rows, start=6)]
    rate = executed / budget
    exec_score = round(10 * min(rate, 1.0), 2)
    execution = Execution(Num(10.0, "10", f"{at}F6"), Num(rate, _shown(rate, "rate"), f"{at}G6"),
                          Num(exec_score, _shown(exec_score, "score"), f"{at}H6"))

    indicators: list[Indicator] = []
    row = 13
    for (level1, pool, points), count in zip(_LEVEL1, counts):
        specs = sorted(rng.sample(pool, min(count, len(pool))), key=pool.index)  # level-2 blocks stay together
        for spec, weight in zip(specs, _split(points, len(specs), rng)):
            indicators.append(_indicator(spec, weight, level1, row, at, rng))
            row += 1
    declared = exec_score + sum(ind.declared_score.value or 0.0 for ind in indicators)
    if rng.random() < 0.03:  # a declared total that does not add up
        declared += rng.choice((-2.0, 1.0, 2.0))
    declared = round(min(declared, 100.0), 2)
    return Form(
        source=Source(file, sheet, 1),
        year=year,
        project=Text(project, f"{at}B3"),
        department=Text(dept, f"{at}B4"),
        unit=Text(unit, f"{at}F4"),
        money_unit="万元" if wan else "元",
        funds=funds,
        execution=execution,
        goals=Goals(Text(rng.choice(_GOALS), f"{at}B11"), Text("基本完成预期目标", f"{at}F11")),
        indicators=indicators,
        total_weight=Num(100.0, "100", f"{at}G{row}"),
        total_declared=Num(declared, _shown(declared, "score"), f"{at}H{row}"),
    )


def iter_forms(n_forms: int, seed: int = 0, start: int = 0) -> Iterator[Form]:
    """Forms ``start`` .. ``start + n_forms - 1`` of ``seed``."""
    return (make_form(i, seed) for i in range(start, start + n_forms))


def workbook_name(w: int) -> str:
    return f"synth_{w:05d}.xlsx"


def _plan(n_forms: int, n_workbooks: int) -> list[tuple[int, int, int]]:
    """(workbook number, first form, form count): consecutive forms, sizes differing by at most one."""
    base, extra = divmod(n_forms, n_workbooks)
    plan, start = [], 0
    for w in range(n_workbooks):
        size = base + (1 if w < extra else 0)
        plan.append((w, start, size))
        start += size
    return plan


def _write_part(out: Path, seed: int, part: list[tuple[int, int, int]]) -> list[Path]:
    from perfcore.writer import write_forms  # only this path needs openpyxl

    paths = []
    for w, start, size in part:
        path = out / workbook_name(w)
        write_forms([make_form(i, seed, file=path.name) for i in range(start, start + size)], path, layout="sheets")
        paths.append(path)
    return paths


def write_workbooks(n_forms: int, n_workbooks: int, out_dir: str | os.PathLike, seed: int = 0,
                    *, workers: int = 1) -> list[Path]:
    """Write ``n_forms`` forms over ``n_workbooks`` workbooks (standard layout, one form per sheet).

    Consecutive forms share a workbook, so a workbook is mostly one unit's submission for a year.
    ``workers`` > 1 writes in that many processes (openpyxl is the slow part).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = _plan(n_forms, n_workbooks)
    if workers <= 1 or len(plan) < 2:
        return _write_part(out, seed, plan)
    parts = [plan[k::workers] for k in range(workers)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write_part, [out] * workers, [seed] * workers, parts))
    return [out / workbook_name(w) for w, _, _ in plan]


def _scored(seed: int, start: int, size: int, name: str) -> tuple[list[Form], list]:
    """Forms ``start``.. of a bulk batch with their scorecards (runs in a worker process)."""
    from perfcore.scoring import score_form

    forms = [make_form(i, seed, file=name) for i in range(start, start + size)]
    return forms, [score_form(f) for f in forms]


def store_forms(store, n_forms: int, seed: int = 0, *, batch: int = 5000, workers: int = 1,
                progress: Callable[[int], None] | None = None) -> int:
    """Put ``n_forms`` synthetic forms into ``store`` through its public bulk import, ``batch`` at a time.

    Why not the workbook path: 100,000 forms as workbooks take an hour to write; the store is
    filled the way an import fills it, with scorecards from ``perfcore.scoring``. With
    ``workers`` > 1, forms are generated and scored in worker processes while the store writes.
    """
    jobs = [(start, min(batch, n_forms - start), f"synth-bulk-{seed}-{start:07d}.xlsx")
            for start in range(0, n_forms, batch)]

    def put(start: int, size: int, name: str, forms: list[Form], cards: list) -> None:
        content = f"perfcore.synth seed={seed} forms {start}..{start + size}".encode()
        store.import_forms(name, content, forms, cards)
        if progress:
            progress(start + size)

    if workers <= 1:
        for start, size, name in jobs:
            put(start, size, name, *_scored(seed, start, size, name))
        return n_forms
    with ProcessPoolExecutor(workers) as pool:
        pending: deque = deque()
        for job in jobs:
            pending.append((job, pool.submit(_scored, seed, *job)))
            if len(pending) > workers:  # bounded: at most workers + 1 batches in memory
                done, future = pending.popleft()
                put(*done, *future.result())
        while pending:
            done, future = pending.popleft()
            put(*done, *future.result())
    return n_forms
