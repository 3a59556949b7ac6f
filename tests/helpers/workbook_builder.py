"""Test-side builder of self-evaluation workbooks with openpyxl, one knob per real-world variant.

The reader tests describe a form as data (FormSpec) and write it in the standard
layout of the brief or in a variant (万元, synonyms, split target columns, unmerged
or page-broken labels, stacked forms ...), so each test asserts on a real file.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from itertools import groupby

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

STANDARD_FUNDS = [
    ("年度资金总额", 8340000, 6261700, 6261700),
    ("其中：当年财政拨款", 8340000, 6261700, 6261700),
    ("上年结转资金", 0, 0, "—"),
    ("其他资金", 0, 0, "—"),
]


@dataclass
class Ind:
    """One indicator row; ``target`` is a tuple (op, value, unit) for split-target layouts."""

    level1: str
    level2: str
    name: str
    target: object = "=100%"
    actual: object = "100%"
    weight: object = 10
    score: object = 10
    note: str = ""


def standard_indicators() -> list[Ind]:
    """Nine indicators with 产出 50 / 效益 30 / 满意度 10 and an empty 成本指标 block."""
    return [
        Ind("产出指标", "数量指标", "项目计划完成率", "=100%", "=100%", 20, 20),
        Ind("产出指标", "数量指标", "服务新开办企业数量", ">=29000家", "3146", 10, 6, "预算调整"),
        Ind("产出指标", "质量指标", "系统正常运转率", "=100%", "100%", 10, 10),
        Ind("产出指标", "时效指标", "项目完工及时率", "及时", "及时", 10, 10),
        Ind("产出指标", "成本指标", "", "", "", "", ""),
        Ind("效益指标", "社会效益指标", "重大事故发生数", "=0", "0", 15, 15),
        Ind("效益指标", "可持续影响指标", "长效管理制度健全性", "健全", "健全", 15, 15),
        Ind("满意度指标", "服务对象满意度指标", "使用者满意度", ">=90%", "≥90%", 10, 10),
    ]


@dataclass
class FormSpec:
    """Everything printed on one form; defaults give the brief's standard layout."""

    project: str = "深化“一网通办”专项费用"
    department: str = "上海市松江区行政服务中心"
    unit: str = "上海市松江区行政服务中心"
    title: str | None = "财政项目支出绩效自评表"
    year_text: str | None = "（2021年度）"
    extra_header: list[tuple[str, str]] = field(default_factory=list)
    money_label: str = "项目资金（元）"
    fund_headers: tuple[str, ...] = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
    funds: list[tuple] = field(default_factory=lambda: list(STANDARD_FUNDS))
    execution: tuple = (10, 1.0, 10)  # weight, rate, score on the 年度资金总额 row
    planned_label: str = "预算目标"
    actual_label: str = "实际完成情况"
    planned: str = "深化“一网通办”改革工作"
    achieved: str = "基本完成预期目标"
    ind_headers: tuple[str, ...] = (
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"
    )
    split_target: str = ""  # "" | "one_row" | "two_rows": 指标性质 / 指标值 / 度量单位 columns
    indicators: list[Ind] = field(default_factory=standard_indicators)
    merge_levels: bool = True  # False: label in the first row of its block only, cells below blank
    vertical_labels: dict[int, str] | None = None  # offset from the header row → col-A text (page breaks)
    total: tuple = (100, 96)

    @property
    def width(self) -> int:
        return 11 if self.split_target else 9


def put(ws: Worksheet, row: int, col: int, value: object):
    """Write a cell; text starting with ``=`` (``=100%``) stays text, as staff type it, not a formula."""
    cell = ws.cell(row, col, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def write_form(ws: Worksheet, spec: FormSpec, top: int = 1) -> int:
    """Write one form with its title at row ``top``; returns the row where a next form may start."""
    last = get_column_letter(spec.width)
    row = top
    for text in (spec.title, spec.year_text):
        if text is not None:
            put(ws, row, 1, text)
            ws.merge_cells(f"A{row}:{last}{row}")
            row += 1
    put(ws, row, 1, "项目名称")
    put(ws, row, 2, spec.project)
    ws.merge_cells(f"B{row}:{last}{row}")
    put(ws, row + 1, 1, "主管部门")
    put(ws, row + 1, 2, spec.department)
    ws.merge_cells(f"B{row + 1}:D{row + 1}")
    put(ws, row + 1, 5, "实施单位")
    put(ws, row + 1, 6, spec.unit)
    ws.merge_cells(f"F{row + 1}:{last}{row + 1}")
    row += 2
    for label, value in spec.extra_header:
        put(ws, row, 1, label)
        put(ws, row, 2, value)
        row += 1
    row = _write_funds(ws, spec, row)
    row = _write_goals(ws, spec, row)
    return _write_indicators(ws, spec, row) + 2


def _write_funds(ws: Worksheet, spec: FormSpec, row: int) -> int:
    put(ws, row, 1, spec.money_label)
    ws.merge_cells(f"A{row}:A{row + len(spec.funds)}")
    for offset, header in enumerate(spec.fund_headers):
        put(ws, row, 3 + offset, header)
    for index, (label, *amounts) in enumerate(spec.funds, start=1):
        put(ws, row + index, 2, label)
        for offset, amount in enumerate(amounts):
            put(ws, row + index, 3 + offset, amount)
        put(ws, row + index, 6, "—")
    weight, rate, score = spec.execution
    put(ws, row + 1, 6, weight)
    put(ws, row + 1, 7, rate).number_format = "0.00%"
    put(ws, row + 1, 8, score)
    return row + len(spec.funds) + 1


def _write_goals(ws: Worksheet, spec: FormSpec, row: int) -> int:
    last = get_column_letter(spec.width)
    put(ws, row, 1, "年度总体目标")
    ws.merge_cells(f"A{row}:A{row + 1}")
    for r, (left, right) in ((row, (spec.planned_label, spec.actual_label)), (row + 1, (spec.planned, spec.achieved))):
        put(ws, r, 2, left)
        ws.merge_cells(f"B{r}:E{r}")
        put(ws, r, 6, right)
        ws.merge_cells(f"F{r}:{last}{r}")
    return row + 2


def _headers(spec: FormSpec) -> list[str]:
    level1, level2, name, target, *rest = spec.ind_headers
    middle = ["指标性质", "指标值", "度量单位"] if spec.split_target else [target]
    return [level1, level2, name, *middle, *rest]


def _write_indicators(ws: Worksheet, spec: FormSpec, row: int) -> int:
    """Header, indicator rows with level labels merged or not, then the 总分 row; returns its row."""
    header = row
    if spec.split_target == "two_rows":
        for col, text in enumerate(spec.ind_headers, start=2):
            col = col if col <= 5 else col + 2
            put(ws, row, col, text)
            if text != spec.ind_headers[3]:
                ws.merge_cells(start_row=row, start_column=col, end_row=row + 1, end_column=col)
        ws.merge_cells(start_row=row, start_column=5, end_row=row, end_column=7)
        for col, text in enumerate(("指标性质", "指标值", "度量单位"), start=5):
            put(ws, row + 1, col, text)
        row += 1
    else:
        for col, text in enumerate(_headers(spec), start=2):
            put(ws, row, col, text)
    first = row + 1
    for offset, ind in enumerate(spec.indicators):
        r = first + offset
        target = list(ind.target) if isinstance(ind.target, tuple) else [ind.target]
        for col, value in enumerate([ind.name, *target, ind.actual, ind.weight, ind.score, ind.note], start=4):
            if value != "":
                put(ws, r, col, value)
    _write_levels(ws, spec, first)
    total = first + len(spec.indicators)
    _write_vertical(ws, spec, header, total)
    put(ws, total, 1, "总分")
    weight_col = spec.width - 2
    ws.merge_cells(start_row=total, start_column=1, end_row=total, end_column=weight_col - 1)
    put(ws, total, weight_col, spec.total[0])
    put(ws, total, weight_col + 1, spec.total[1])
    return total


def _write_levels(ws: Worksheet, spec: FormSpec, first: int) -> None:
    """Level-1 / level-2 labels: printed once per consecutive block; merged down when asked."""
    for col, key in ((2, lambda ind: ind.level1), (3, lambda ind: (ind.level1, ind.level2))):
        r = first
        for value, group in groupby(spec.indicators, key=key):
            size = len(list(group))
            text = value if col == 2 else value[1]
            if text:
                put(ws, r, col, text)
                if spec.merge_levels and size > 1:
                    ws.merge_cells(start_row=r, start_column=col, end_row=r + size - 1, end_column=col)
            r += size


def _write_vertical(ws: Worksheet, spec: FormSpec, header: int, total: int) -> None:
    """Column A: 绩效指标 merged over the table, or fragments cut by page breaks."""
    if spec.vertical_labels is None:
        put(ws, header, 1, "绩效指标")
        ws.merge_cells(start_row=header, start_column=1, end_row=total - 1, end_column=1)
        return
    for offset, text in spec.vertical_labels.items():
        put(ws, header + offset, 1, text)


def workbook_bytes(sheets: dict[str, list[FormSpec]], hidden: tuple[str, ...] = ()) -> bytes:
    """A workbook with one sheet per key, its forms stacked; sheets named in ``hidden`` hidden."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, specs in sheets.items():
        ws = wb.create_sheet(name)
        row = 1
        for spec in specs:
            row = write_form(ws, spec, row)
        if name in hidden:
            ws.sheet_state = "hidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def one_form(spec: FormSpec | None = None, sheet: str = "表1") -> bytes:
    return workbook_bytes({sheet: [spec or FormSpec()]})
