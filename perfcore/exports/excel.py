"""The Excel exports: a scorecard (the official layout with rule scores, the app's scoring
table, the review findings) and the department overview (one sheet per table).

Why openpyxl and perfcore.writer: the scorecard's first sheet is the form in the standard
layout that the team's writer produces everywhere; every cell goes through ``writer.put``,
so text from a form is never a formula (formula injection) and fonts match.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from perfcore import fmt, views
from perfcore.exports.department import REPORT_TITLE, DepartmentData, kpi_values, ranked_projects
from perfcore.exports.scorecard import findings_table, loss_line
from perfcore.exports.stamp import Stamp, selection, selection_text, stamp
from perfcore.exports.words import code_title, policy_label
from perfcore.model import Scorecard
from perfcore.vocab import SEVERITY_LABELS, year_label
from perfcore.writer import DEDUCTED_FILL, display_width, forms_workbook, put

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill(fill_type="solid", start_color="E8ECF1", end_color="E8ECF1")
MAX_WIDTH = 60  # characters: longer text wraps inside its cell instead of widening the column
FINDINGS_SHEET = "审核发现"
DETAIL_SHEET = "评分明细"


@dataclass(frozen=True)
class Sheet:
    """One table of an export: sheet name, frame, the writer style of some columns, rows to mark."""

    name: str
    frame: pd.DataFrame
    kinds: dict[str, str]            # column → writer style: money, rate, score, value (default text)
    marked: Sequence[bool] = ()      # rows that lost points (filled light red)


def _cell(value: object) -> object:
    """A frame value as a cell value: NaN / NA become an empty cell."""
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def write_table(ws: Worksheet, sheet: Sheet, top: int = 1) -> int:
    """``sheet.frame`` at row ``top`` with a header row; widths fit every label. Returns the next free row."""
    columns = list(sheet.frame.columns)
    widths = [display_width(str(c)) + 4 for c in columns]
    for col, name in enumerate(columns, 1):
        put(ws, top, col, str(name), "header").fill = HEADER_FILL
    marks = list(sheet.marked)
    for r, row in enumerate(sheet.frame.itertuples(index=False), top + 1):
        for col, (name, value) in enumerate(zip(columns, row), 1):
            value = _cell(value)
            cell = put(ws, r, col, value, sheet.kinds.get(name, "text" if isinstance(value, str) else "value"))
            if marks and marks[r - top - 1]:
                cell.fill = DEDUCTED_FILL
            shown = fmt.thousands(value) if isinstance(value, float) else str(value or "")
            widths[col - 1] = max(widths[col - 1], min(MAX_WIDTH, display_width(shown) + 2))
    for col, width in enumerate(widths, 1):
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, width)
    return top + len(sheet.frame) + 1


def _table_sheet(wb: Workbook, sheet: Sheet) -> Worksheet:
    ws = wb.create_sheet(sheet.name)
    write_table(ws, sheet)
    ws.freeze_panes = "A2"
    if not sheet.frame.empty:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.frame.columns))}{len(sheet.frame) + 1}"
    _landscape(ws)
    return ws


def _landscape(ws: Worksheet) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- one scorecard ---------------------------------------------------------------------------


def findings_sheet(sc: Scorecard) -> Sheet:
    """审核发现: severity in Chinese, the check's name, message and cell, errors first."""
    return Sheet(FINDINGS_SHEET, findings_table(sc), {})


def detail_sheet(sc: Scorecard) -> Sheet:
    """评分明细: every indicator and the execution block in the app's words, deducted rows marked."""
    frame = views.indicator_frame(sc).drop(columns=["序号"])
    ex = sc.execution
    execution = {"一级指标": views.EXECUTION_LABEL, "实际完成值": fmt.percent(ex.rate), "分值": ex.weight,
                 "规则得分": ex.score, "自评得分": ex.declared,
                 "扣分": round(ex.weight - ex.score, 2) if ex.score is not None else None,  # not read is not lost
                 "得分率": (ex.score / ex.weight) if ex.score is not None and ex.weight else None,
                 "评分说明": ex.explanation}
    frame = pd.concat([frame, pd.DataFrame([execution])], ignore_index=True)
    kinds = {"分值": "score", "规则得分": "score", "自评得分": "score", "扣分": "score", "得分率": "rate",
             "自评得分率": "rate"}
    return Sheet(DETAIL_SHEET, frame, kinds, [float(d or 0) > 0 for d in frame["扣分"]])


def scorecard_workbook(sc: Scorecard, *, made: Stamp | None = None) -> bytes:
    """The scorecard export: the form in the official layout with 规则得分 (deducted rows filled),
    then 评分明细 (the totals and every indicator in the app's words, who made it and when), then 审核发现."""
    made = made or stamp()
    wb = forms_workbook([sc.form], layout="sheets", scorecards=[sc])
    form, k = sc.form, views.form_kpis(sc)
    ws = wb.create_sheet(DETAIL_SHEET)
    head = [("项目名称", form.project.value, "text"), ("主管部门", form.department.value, "text"),
            ("实施单位", form.unit.value, "text"), ("年度", year_label(form.year), "text"),
            ("评分规则", policy_label(sc.policy), "text"), ("规则得分", k.total, "score"), ("等级", k.grade, "text"),
            ("自评总分", k.declared, "score"), ("差额（自评 − 规则）", k.difference, "score"),
            ("预算执行率", k.rate, "rate"), ("扣分情况", loss_line(sc), "text"),
            ("生成人", made.who, "text"), ("生成时间", made.when, "text")]
    for row, (label, value, kind) in enumerate(head, 1):
        put(ws, row, 1, label, "header").fill = HEADER_FILL
        put(ws, row, 2, value, kind)
    detail = detail_sheet(sc)
    write_table(ws, detail, len(head) + 2)
    for letter, texts in (("A", [label for label, _, _ in head]), ("B", [str(v or "") for _, v, _ in head])):
        needed = min(MAX_WIDTH, max(display_width(t) for t in texts) + 2)
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, needed)
    _landscape(ws)
    ws.print_title_rows = None
    _table_sheet(wb, findings_sheet(sc))
    return _save(wb)


# --- the department overview ---------------------------------------------------------------------


def department_sheets(data: DepartmentData, unit: str = "元") -> list[Sheet]:
    """The overview's tables, each a sheet; amounts in ``unit``, named in their headers."""
    money, scale = fmt.money_label(unit), fmt.MONEY_UNITS[unit]
    kpis = pd.DataFrame([(label, value) for label, value, _ in kpi_values(data.summary, unit)], columns=["指标", "数值"])
    ranked = ranked_projects(data.forms, unit)
    ranked.insert(0, "排名", range(1, len(ranked) + 1))
    ranked["年度"] = ranked["年度"].map(year_label)
    ranked = ranked[["排名", "项目", "实施单位", "主管部门", "年度"]
                    + [c for c in ranked.columns if c not in ("排名", "项目", "实施单位", "主管部门", "年度")]]
    ranked = ranked.rename(columns={c: f"{c}{money}" for c in ("年初预算数", "全年预算数", "全年执行数")})
    units = data.units.rename(columns={"unit": "实施单位", "n_projects": "项目数", "n_forms": "自评表数",
                                       "budget": f"全年预算数{money}", "executed": f"全年执行数{money}",
                                       "rate": "预算执行率", "mean_score": "平均规则得分", "n_scored": "读取完整",
                                       "n_to_verify": "需核实", "n_unscorable": "无法计分", "n_errors": "错误",
                                       "n_warnings": "警告"})
    units = units[["实施单位", "项目数", "自评表数", f"全年预算数{money}", f"全年执行数{money}", "预算执行率", "平均规则得分",
                   "读取完整", "需核实", "无法计分", "错误", "警告"]]
    for column in (f"全年预算数{money}", f"全年执行数{money}"):
        units[column] = units[column].astype(float) / scale
    deductions = data.level1.rename(columns={"level1": "一级指标", "n_items": "指标数", "weight": "分值合计",
                                             "score": "规则得分合计", "deduction": "扣分合计"})
    deductions = deductions[["一级指标", "指标数", "分值合计", "规则得分合计", "扣分合计"]]
    codes = pd.DataFrame({"代码": data.codes["code"], "审核项目": data.codes["code"].map(code_title),
                          "严重程度": data.codes["severity"].map(lambda s: SEVERITY_LABELS.get(s, s)),
                          "条数": data.codes["n"], "涉及表数": data.codes["n_forms"], "示例": data.codes["example"]})
    amounts = {c: "money" for c in ranked.columns if c.endswith(money)} | {c: "money" for c in units.columns if c.endswith(money)}
    scores = {"规则总分": "score", "自评总分": "score", "差额": "score", "平均规则得分": "score", "分值合计": "score",
              "规则得分合计": "score", "扣分合计": "score"}
    kinds = amounts | scores | {"执行率": "rate", "预算执行率": "rate"}
    return [
        Sheet("总览", kpis, {}),
        Sheet("项目", ranked, kinds, [g == "差" or g in ("需核实", "无法计分") for g in ranked["等级"]]),
        Sheet("实施单位", units, kinds),
        Sheet("扣分（按一级指标）", deductions, kinds),
        Sheet(FINDINGS_SHEET, codes, {}),
    ]


ABOUT_SHEET = "报表说明"


def about_sheet(data: DepartmentData, unit: str, made: Stamp) -> Sheet:
    """报表说明: what the workbook covers (its filters, money unit, forms) and who made it when."""
    rows = [("报表", REPORT_TITLE), *selection(data.filters), ("金额单位", unit),
            ("自评表数", str(int(data.summary["n_forms"]))), ("生成人", made.who), ("生成时间", made.when)]
    return Sheet(ABOUT_SHEET, pd.DataFrame(rows, columns=["项目", "内容"]), {})


def _print_furniture(ws: Worksheet, data: DepartmentData, unit: str, made: Stamp) -> None:
    """Every printed page names the selection and who made it when (a sheet printed alone still says so)."""
    ws.oddHeader.center.text = f"{REPORT_TITLE}　{selection_text(data.filters)}　金额单位：{unit}".replace("&", "&&")
    ws.oddFooter.left.text = made.line().replace("&", "&&")
    ws.oddFooter.right.text = "第 &P 页 / 共 &N 页"


def department_workbook(data: DepartmentData, unit: str = "元", *, made: Stamp | None = None) -> bytes:
    """The department overview export: 报表说明 (its filters, who, when), then 总览, 项目, 实施单位, 扣分,
    审核发现 (one sheet each)."""
    made = made or stamp()
    wb = Workbook()
    wb.properties.creator = made.who
    wb.properties.title = f"{REPORT_TITLE}（{selection_text(data.filters)}）"
    wb.remove(wb.active)
    for sheet in [about_sheet(data, unit, made), *department_sheets(data, unit)]:
        ws = _table_sheet(wb, sheet)
        _print_furniture(ws, data, unit, made)
        if sheet.name == "总览":
            for row, (_, _, kind) in enumerate(kpi_values(data.summary, unit), 2):
                ws.cell(row=row, column=2).number_format = {"money": fmt.EXCEL_FORMATS["money"],
                                                            "rate": fmt.EXCEL_FORMATS["rate"],
                                                            "score": fmt.EXCEL_FORMATS["score"]}.get(kind, "General")
    return _save(wb)
