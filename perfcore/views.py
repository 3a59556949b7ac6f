"""Page-ready tables built from scorecards and store frames (pandas only, no Streamlit).

Why: the pages stay thin and everything they show can be tested without a browser.
Column names are the Chinese headers the pages display.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from perfcore import fmt
from perfcore.checks import place
from perfcore.exports.words import code_title
from perfcore.model import Finding, Form, Scorecard
from perfcore.policy import DEFAULT_POLICY, Policy
from perfcore.scoring import execution_arithmetic
from perfcore.vocab import (
    COMPLETE,
    EXECUTION_LABEL,
    GRADES,
    NO_YEAR,
    SEVERITY_LABELS,
    TO_VERIFY,
    UNSCORABLE,
    year_label,
)
from perfcore.whatif import Change, WhatIfResult, execution_change, full_marks_actual

if TYPE_CHECKING:
    from perfcore.ingest import FilePreview, FormPreview

STATUS_LABELS: dict[str, str] = {"met": "达成", "partly": "部分达成", "missed": "未达成", "unknown": "无法评分"}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&])")


def md_escape(text: object) -> str:
    """Form text made inert for st.markdown / headers: every markdown and HTML character escaped.

    Why: project names, goals and notes come from uploaded workbooks; they must show as
    typed, never as links, HTML or formatting (issue 5, security).
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text or ""))
    return escaped.replace("\n", "  \n")


# --- one form -------------------------------------------------------------------


def indicator_frame(sc: Scorecard) -> pd.DataFrame:
    """One row per indicator, in form order, with rule and declared scores side by side."""
    rows = []
    for ind, score in zip(sc.form.indicators, sc.indicators):
        rule = score.score
        rows.append({
            "序号": score.index + 1,
            "一级指标": ind.level1,
            "二级指标": ind.level2,
            "三级指标": ind.name,
            "年度指标值": ind.target.value,
            "实际完成值": ind.actual.value,
            "分值": score.weight,
            "规则得分": rule,
            "自评得分": score.declared,
            "扣分": score.deduction if rule is not None else None,  # not scored is not lost (losses)
            "得分率": (rule / score.weight) if rule is not None and score.weight else None,
            "自评得分率": (score.declared / score.weight) if score.declared is not None and score.weight else None,
            "状态": STATUS_LABELS.get(score.status, score.status),
            "评分说明": score.explanation,
            "偏差原因分析": ind.note.value,
            "单元格": place(ind.cell, sc.form),  # as the findings name it (perfcore.checks.place)
        })
    columns = ["序号", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "规则得分",
               "自评得分", "扣分", "得分率", "自评得分率", "状态", "评分说明", "偏差原因分析", "单元格"]
    return pd.DataFrame(rows, columns=columns)


def level1_summary(sc: Scorecard) -> pd.DataFrame:
    """Weight, rule score, declared score, deduction and weight not scored (未计分) per level 1, execution first.

    Why 未计分 apart: an indicator whose value was not read has no rule score; its weight is
    not points lost (issue 19), and 规则得分 + 扣分 + 未计分 still add up to 分值.
    """
    ex = sc.execution
    head = pd.DataFrame([{
        "一级指标": EXECUTION_LABEL, "分值": ex.weight, "规则得分": ex.score or 0.0,
        "自评得分": ex.declared, "扣分": round(ex.weight - ex.score, 2) if ex.score is not None else 0.0,
        "未计分": ex.weight if ex.score is None else 0.0,
    }])
    table = indicator_frame(sc)
    if not table.empty:
        table = table.assign(未计分=table["分值"].where(table["规则得分"].isna(), 0.0))
        grouped = (table.groupby("一级指标", sort=False, dropna=False)
                   .agg(分值=("分值", "sum"), 规则得分=("规则得分", "sum"),
                        自评得分=("自评得分", lambda s: s.sum(min_count=1)), 扣分=("扣分", "sum"),
                        未计分=("未计分", "sum"))
                   .reset_index())
        head = pd.concat([head, grouped], ignore_index=True)
    head["扣分"] = head["扣分"].astype(float).round(2)
    head["未计分"] = head["未计分"].astype(float).round(2)
    return head


def level1_parts(summary: pd.DataFrame) -> list[str]:
    """The stacked parts of a level-1 bar: 规则得分, 扣分, and 未计分 only when some weight was not scored."""
    unscored = "未计分" in summary and float(summary["未计分"].fillna(0).sum()) > 0
    return ["规则得分", "扣分", *(["未计分"] if unscored else [])]


def check_title(code: str) -> str:
    """A check's Chinese name, the one word pages, charts and reports use for it (the code when unknown)."""
    return code_title(code) or code


def with_check_titles(frame: pd.DataFrame) -> pd.DataFrame:
    """Store.findings_by_code rows with a ``title`` column (the chart labels findings by name, not code)."""
    return frame.assign(title=frame["code"].map(check_title))


def findings_frame(findings: list[Finding], form: Form | None = None) -> pd.DataFrame:
    """Findings as a table, errors first, then warnings, then remarks.

    With the ``form``, cells are written as its messages write them (D13 on a sheet named after
    the project, else 表1!D13), so a message and its 单元格 column read the same.
    """
    order = list(SEVERITY_LABELS)
    rows = sorted(findings, key=lambda f: (order.index(f.severity) if f.severity in order else len(order), f.cell))
    return pd.DataFrame(
        [{"严重程度": SEVERITY_LABELS.get(f.severity, f.severity), "代码": f.code, "审核项目": check_title(f.code),
          "说明": f.message, "单元格": place(f.cell, form) if form is not None else f.cell} for f in rows],
        columns=["严重程度", "代码", "审核项目", "说明", "单元格"],
    )


def findings_by_severity(findings: list[Finding], form: Form | None = None) -> list[tuple[str, str, pd.DataFrame]]:
    """(severity, Chinese label, table of its findings) for each severity present, errors first."""
    table = findings_frame(findings, form)
    groups = []
    for severity, label in SEVERITY_LABELS.items():
        part = table[table["严重程度"] == label].drop(columns="严重程度").reset_index(drop=True)
        if not part.empty:
            groups.append((severity, label, part))
    return groups


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    """How many findings of each severity (all three keys always present)."""
    counts = dict.fromkeys(SEVERITY_LABELS, 0)
    for f in findings:
        if f.severity in counts:
            counts[f.severity] += 1
    return counts


@dataclass(frozen=True)
class FormKpis:
    """The headline numbers of one scorecard (yuan, fractions, points)."""

    total: float | None  # None: the form cannot be scored
    grade: str           # 优 / 良 / 中 / 差, or 需核实 / 无法计分
    declared: float | None
    difference: float | None     # declared − rule
    rate: float | None           # spent / full-year budget
    initial: float | None
    budget: float | None
    executed: float | None
    cut: float | None            # (full-year − initial) / initial, negative = cut during the year


def budget_change(initial: float | None, budget: float | None) -> float | None:
    """Relative change from the initial to the full-year budget (−0.25 = cut by a quarter)."""
    if initial is None or budget is None or not initial:
        return None
    return (budget - initial) / initial


def form_kpis(sc: Scorecard) -> FormKpis:
    """KPI tile values of a scorecard, read from the form's 年度资金总额 row."""
    total = sc.form.fund("total")
    initial = total.initial.value if total else None
    budget = total.budget.value if total else None
    executed = total.executed.value if total else None
    return FormKpis(total=sc.total, grade=sc.grade_label, declared=sc.declared_total, difference=sc.difference,
                    rate=sc.execution.rate, initial=initial, budget=budget, executed=executed,
                    cut=budget_change(initial, budget))


LOSS_ITEMS = 5  # deductions a one-glance sentence names; the rest are “等 N 项”


@dataclass(frozen=True)
class Loss:
    """One item that lost points: the indicator (or 预算执行率), its weight, rule score, deduction, why."""

    name: str
    weight: float
    score: float | None
    deduction: float
    explanation: str


def losses(sc: Scorecard) -> list[Loss]:
    """Items below full marks, largest deduction first (the execution block included).

    Only items that were scored: an indicator (or the execution block) whose value was not
    read or cannot be judged has no rule score, and that is not a deduction (issue 19: a
    需核实 form with blank targets read “扣 60.00 分”); see ``unscored``.
    """
    items = [Loss(_indicator_name(sc, s.index), s.weight, s.score, s.deduction, s.explanation)
             for s in sc.indicators if s.score is not None and s.deduction > 0]
    ex = sc.execution
    if ex.score is not None and round(ex.weight - ex.score, 2) > 0:
        items.append(Loss(EXECUTION_LABEL, ex.weight, ex.score, round(ex.weight - ex.score, 2), ex.explanation))
    return sorted(items, key=lambda item: -item.deduction)


def _indicator_name(sc: Scorecard, index: int) -> str:
    return sc.form.indicators[index].name or f"第 {index + 1} 个指标"


def unscored(sc: Scorecard) -> list[str]:
    """The items with weight that got no rule score (a value not read, or not judgeable): 无法计分, not lost."""
    names = [_indicator_name(sc, s.index) for s in sc.indicators if s.score is None and s.weight > 0]
    return ([EXECUTION_LABEL] if sc.execution.score is None and sc.execution.weight > 0 else []) + names


def _unscored_part(sc: Scorecard, n: int | None) -> str:
    names = unscored(sc)
    if not names:
        return ""
    shown = names if n is None else names[:n]
    more = f"，等 {len(names)} 项" if len(shown) < len(names) else ""
    return f"无法计分 {len(names)} 项（值未读取或无法判断，不算扣分）：" + "，".join(shown) + more


def loss_line(sc: Scorecard, n: int | None = None) -> str:
    """Where the points went: “扣 7.99 分：服务新开办企业数量 −6.24，…” (the first ``n`` items, “等 N 项”),
    then the items that could not be scored (never as points lost).

    The scorecard page, its PDF and its workbook say it in these words."""
    items = losses(sc)
    if sc.total is None:
        return "这张表无法计分：" + "；".join(sc.reading.missing)
    unread = _unscored_part(sc, n)
    if not items:
        return f"读取到的各项均得满分；{unread}" if unread else "各项均得满分，未扣分。"
    shown = items if n is None else items[:n]
    more = f"，等 {len(items)} 项" if len(shown) < len(items) else ""
    total = sum(item.deduction for item in items)
    line = f"扣 {fmt.score(total)} 分：" + "，".join(f"{item.name} −{fmt.score(item.deduction)}" for item in shown) + more
    return f"{line}；{unread}" if unread else line


def loss_sentence(sc: Scorecard, n: int = LOSS_ITEMS) -> str:
    """Where the points went, in one sentence for the top of a scorecard, after the total and grade.

    "规则得分 92.01 分（优），扣 7.99 分：服务新开办企业数量 −6.24，政务服务免费快递业务量 −1.75。"
    A form not read completely says 需核实 (provisional total, no grade) or 无法计分 instead.
    """
    if sc.total is None or sc.reading.state == UNSCORABLE:
        return f"{UNSCORABLE}：这张表缺少计分所需的内容，不计规则得分和等级。"
    head = (f"规则得分 {fmt.points(sc.total)}（{TO_VERIFY}，暂计，不定等级）" if sc.reading.state == TO_VERIFY
            else f"规则得分 {fmt.points(sc.total)}（{sc.grade_label}）")
    if not losses(sc) and not unscored(sc):
        return f"{head}，未扣分。"
    return f"{head}，{loss_line(sc, n)}。"


def execution_line(sc: Scorecard, unit: str = "元") -> str:
    """The execution block's explanation with its amounts in the display unit (the stored one is in 元)."""
    ex, total = sc.execution, sc.form.fund("total")
    if ex.rate is None or total is None:
        return ex.explanation
    stored = execution_arithmetic(total.executed.value, total.budget.value, ex.rate)
    if not ex.explanation.startswith(stored):
        return ex.explanation
    return execution_arithmetic(total.executed.value, total.budget.value, ex.rate, unit) + ex.explanation[len(stored):]


def funds_frame(form: Form, unit: str = "元") -> pd.DataFrame:
    """The funds block as finance staff read it: one row per fund line, amounts formatted in the unit."""
    return pd.DataFrame(
        [{"资金": line.label, "年初预算数": fmt.money(line.initial.value, unit),
          "全年预算数": fmt.money(line.budget.value, unit), "全年执行数": fmt.money(line.executed.value, unit)}
         for line in form.funds],
        columns=["资金", "年初预算数", "全年预算数", "全年执行数"],
    )


# --- upload preview ---------------------------------------------------------------------

FORM_STATUS_LABELS: dict[str, str] = {
    "new": "新表",
    "same": "已导入（内容相同）",
    "changed": "新版本（导入后替换当前版本）",
}
DUPLICATE_LABEL = "本次上传中重复（只导入第一张）"
REFUSED_LABEL = "不能导入（原因见“主要问题”）"  # the store would refuse it for this account (access.refusals)
UNREADABLE = "无法读取"
# The upload table's pre-ticking: the suggestion, every form but in-upload repeats, none.
PICK_MODES: tuple[str, ...] = ("按建议", "全部", "全不选")
UPLOAD_COLUMNS = ["导入", "序号", "文件", "工作表", "项目", "实施单位", "年度", "读取状态", "自评总分", "规则总分",
                  "等级", "错误", "警告", "状态", "主要问题"]
UPLOAD_KEYS = ["_file", "_form", "_refused"]  # which file (index in the upload) and form (FormPreview.index)
# a row is (-1: none), and whether the account may not import it (never importable, whatever is ticked)


def suggested(form: FormPreview, status: str, duplicate: bool) -> bool:
    """Whether a form is ticked for import before the user chooses (the one definition).

    Ticked: new or changed forms (not already stored with the same content), the first of
    their year + unit + project in the upload (one import never stores two versions of a
    form at once), read completely and without error-level findings. Forms with errors,
    forms to verify (需核实) or that cannot be scored (无法计分) are left for the user to
    tick; they are then stored with their findings and state.
    """
    return status != "same" and not duplicate and form.state == COMPLETE and form.n_errors == 0


def _rank(form: FormPreview) -> int:
    """Problems first: (0 unreadable files), errors, 无法计分, 需核实, warnings, the rest."""
    if form.n_errors:
        return 1
    if form.state == UNSCORABLE:
        return 2
    if form.state == TO_VERIFY:
        return 3
    return 4 if form.n_warnings else 5


def upload_frame(files: Sequence[FilePreview], statuses: Sequence[Sequence[str]], mode: str = "按建议",
                 refusals: Sequence[Sequence[str]] | None = None) -> pd.DataFrame:
    """A season's upload as one table: a row per form, and per file that could not be read.

    ``statuses[i][k]`` is Store status (new / same / changed) of ``files[i].forms[k]``;
    ``refusals[i][k]`` why this account may not import it ("" = it may): such a form is
    never ticked, reads REFUSED_LABEL with the reason as its 主要问题, and ``_refused``.
    Problems first (unreadable files and refused forms, forms with errors, 无法计分, 需核实,
    warnings, the rest), upload order within each; 导入 ticked as ``mode`` says (PICK_MODES).
    """
    seen: set[tuple] = set()
    ranked = []
    for i, (f, row_statuses) in enumerate(zip(files, statuses, strict=True)):
        if f.error is not None:
            ranked.append((0, {"导入": False, "文件": f.name, "工作表": "", "项目": "", "实施单位": "", "年度": None,
                               "读取状态": UNREADABLE, "自评总分": None, "规则总分": None, "等级": "", "错误": None,
                               "警告": None, "状态": "未导入", "主要问题": f.error.message, "_file": i, "_form": -1,
                               "_refused": False}))
            continue
        reasons = refusals[i] if refusals is not None else [""] * len(f.forms)
        for form, status, refused in zip(f.forms, row_statuses, reasons, strict=True):
            duplicate = form.key in seen
            seen.add(form.key)
            tick = {"按建议": suggested(form, status, duplicate), "全部": not duplicate}.get(mode, False)
            label = DUPLICATE_LABEL if duplicate else FORM_STATUS_LABELS.get(status, status)
            ranked.append((0 if refused else _rank(form), {
                "导入": tick and not refused, "文件": f.name, "工作表": form.sheet, "项目": form.project,
                "实施单位": form.unit, "年度": form.year, "读取状态": form.state, "自评总分": form.declared_total,
                "规则总分": form.rule_total, "等级": form.grade_label, "错误": form.n_errors, "警告": form.n_warnings,
                "状态": REFUSED_LABEL if refused else label,
                "主要问题": refused or form.problem, "_file": i, "_form": form.index, "_refused": bool(refused),
            }))
    rows = [row for _, row in sorted(ranked, key=lambda pair: pair[0])]  # stable: upload order within a rank
    for n, row in enumerate(rows, 1):
        row["序号"] = n
    frame = pd.DataFrame(rows, columns=UPLOAD_COLUMNS + UPLOAD_KEYS)
    return frame.astype({"导入": bool, "序号": "int64", "年度": "Int64", "自评总分": "float64", "规则总分": "float64",
                         "错误": "Int64", "警告": "Int64", "_file": "int64", "_form": "int64", "_refused": bool})


def upload_row_labels(frame: pd.DataFrame) -> list[str]:
    """Each row of an upload table for a picker: “3. a.xlsx · 表1 · 业务培训”."""
    labels = []
    for n, file, sheet, project, state in zip(frame["序号"], frame["文件"], frame["工作表"], frame["项目"],
                                              frame["读取状态"]):
        what = project or ("（无法读取）" if state == UNREADABLE else "（未填项目名称）")
        labels.append(f"{n}. {file}" + (f" · {sheet}" if sheet else "") + f" · {what}")
    return labels


def upload_counts(frame: pd.DataFrame) -> str:
    """What needs a look in an upload table, e.g. “有错误 2 张，需核实 1 张，已导入且内容相同 3 张”."""
    forms = frame[frame["_form"] >= 0]
    parts = [(int(forms["_refused"].sum()), "不能导入"), (int((forms["错误"] > 0).sum()), "有错误"),
             (int((forms["读取状态"] == UNSCORABLE).sum()), "无法计分"),
             (int((forms["读取状态"] == TO_VERIFY).sum()), "需核实"),
             (int((forms["状态"] == FORM_STATUS_LABELS["same"]).sum()), "已导入且内容相同"),
             (int((forms["状态"] == DUPLICATE_LABEL).sum()), "本次上传中重复")]
    return "，".join(f"{label} {n} 张" for n, label in parts if n)


UNCHANGED = "内容未变，未新建版本"  # a form whose content hash equals its current version's (a re-save, say)


def import_summary(file: str, stored: int, replaced: int, skipped: int) -> str:
    """One line per imported file, e.g. “文件“a.xlsx”：新增 4 张，替换 1 张，1 张内容未变，未新建版本”."""
    return f"文件“{file}”：新增 {stored} 张，替换 {replaced} 张" + (f"，{skipped} 张{UNCHANGED}" if skipped else "")


# --- department overview ---------------------------------------------------------------



def with_labels(table: pd.DataFrame) -> pd.DataFrame:
    """Add a ``label`` column naming each project uniquely for chart axes.

    Two units may run projects of the same name (业务培训) and a project recurs every
    year; the label adds the unit and then the year only where the name alone is ambiguous.
    """
    out = table.copy()
    label = out["project"].astype(str)
    clash = label.duplicated(keep=False)
    label = label.where(~clash, label + "（" + out["unit"].astype(str) + "）")
    clash = label.duplicated(keep=False)
    if "year" in out:
        years = out["year"].map(lambda y: NO_YEAR if pd.isna(y) else f"{int(y)}").astype(str)  # str when empty too
        label = label.where(~clash, label + " " + years)
    out["label"] = label
    return out


CHART_PROJECTS = 30  # bars a per-project chart can show legibly (and render quickly)


def chart_projects(
    table: pd.DataFrame, column: str, what: str, *, ascending: bool, n: int = CHART_PROJECTS
) -> tuple[pd.DataFrame, str]:
    """The rows a per-project chart shows (with their ``label``, see with_labels) and its caption.

    A department-wide selection holds thousands of projects; a chart of all of them is
    unreadable and slow to draw, so it shows the ``n`` that matter most (lowest rates,
    largest budgets, widest gaps) and says so; the project list keeps every row. Only the
    rows shown are labelled: labelling 100,000 rows took a quarter of the page's run.
    """
    if len(table) <= n:
        return with_labels(table), ""
    data = table.dropna(subset=[column])
    picked = data.nsmallest(n, column) if ascending else data.nlargest(n, column)
    return with_labels(picked), f"共 {len(data):,} 个项目，图中为{what}的 {n} 个；完整名单见下方项目列表。"


def project_frame(table: pd.DataFrame, unit: str = "元") -> pd.DataFrame:
    """Store.forms_table rows as the department page's project list, amounts in the display unit."""
    scale = fmt.MONEY_UNITS[unit]
    return pd.DataFrame({
        "项目": table["project"],
        "评分卡": [f"scorecard?v={int(v)}" for v in table["version_id"]],
        "等级": table["grade"].where(table["grade"].notna(), table["reading_state"])
        if "reading_state" in table else table["grade"],
        "规则总分": table["rule_total"].astype(float),
        "自评总分": table["declared_total"].astype(float),
        "差额": table["difference"].astype(float),
        "执行率": table["rate"].astype(float),  # a fraction, as every rate travels (fmt.percent, Excel 0.00%)
        "年初预算数": table["initial"].astype(float) / scale,
        "全年预算数": table["budget"].astype(float) / scale,
        "全年执行数": table["executed"].astype(float) / scale,
        "错误": table["n_errors"],
        "警告": table["n_warnings"],
        "实施单位": table["unit"],
        "主管部门": table["department"],
        "年度": table["year"],
    })


PROJECT_ORDER_LABELS: dict[str, str] = {  # the project list's rankings (Store.project_page orders)
    "rule_low": "规则得分最低", "gap_wide": "自评差额最大", "rate_low": "执行率最低", "budget_large": "全年预算数最大",
}


def page_caption(total: int, offset: int, shown: int) -> str:
    """“共 1,234 个项目，显示第 51–100 个” (or that nothing matches)."""
    if not total or not shown:
        return f"共 {fmt.count(total)} 个项目，本页没有项目。"
    return f"共 {fmt.count(total)} 个项目，显示第 {fmt.count(offset + 1)}–{fmt.count(offset + shown)} 个"


def glance_line(summary: dict) -> str:
    """The department in one line: forms, grade counts, unread forms, execution rate."""
    grades = "，".join(f"{g} {summary['grades'].get(g, 0)} 个" for g in GRADES)
    parts = [f"共 {fmt.count(summary['n_forms'])} 张自评表", f"等级：{grades}",
             f"{TO_VERIFY} {fmt.count(summary.get('n_to_verify') or 0)} 张",
             f"{UNSCORABLE} {fmt.count(summary.get('n_unscorable') or 0)} 张",
             f"部门预算执行率 {fmt.percent(summary.get('rate'))}"]
    return "；".join(parts) + "。"


def unread_line(summary: dict) -> str:
    """The forms left out of means and grade counts, or "" when every form was read completely."""
    parts = [f"{summary[key]} 张{label}" for key, label in (("n_to_verify", "需核实"), ("n_unscorable", "无法计分"))
             if summary.get(key)]
    if not parts:
        return ""
    return "另有 " + "、".join(parts) + " 的自评表未读取完整，不计入平均分、等级统计和扣分分析，请到项目列表中核实。"


def grade_line(grades: dict[str, int]) -> tuple[str, str]:
    """Grade counts as a tile: label “优 / 良 / 中 / 差”, value “4 / 1 / 0 / 0”."""
    return " / ".join(GRADES), " / ".join(str(grades.get(g, 0)) for g in GRADES)


# --- what-if -----------------------------------------------------------------------------

WHATIF_INDICATOR_COLUMNS = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "自评得分"]
WHATIF_FUND_COLUMNS = ["资金", "全年预算数", "全年执行数"]
_AMOUNT_KINDS = {"全年预算数": ("budget", "budget"), "全年执行数": ("executed", "executed")}


def whatif_indicator_input(form: Form) -> pd.DataFrame:
    """The what-if editor's indicator rows, as the form holds them (row n = indicator n)."""
    return pd.DataFrame(
        [{"一级指标": i.level1, "二级指标": i.level2, "三级指标": i.name, "年度指标值": i.target.value,
          "实际完成值": i.actual.value, "分值": i.weight.value, "自评得分": i.declared_score.value}
         for i in form.indicators],
        columns=WHATIF_INDICATOR_COLUMNS,
    ).astype({"分值": "float64", "自评得分": "float64"})


def whatif_funds_input(form: Form, unit: str = "元") -> pd.DataFrame:
    """The what-if editor's fund rows in the display unit (row n = fund line n)."""
    return pd.DataFrame(
        [{"资金": f.label, "全年预算数": fmt.scale(f.budget.value, unit), "全年执行数": fmt.scale(f.executed.value, unit)}
         for f in form.funds],
        columns=WHATIF_FUND_COLUMNS,
    ).astype({"全年预算数": "float64", "全年执行数": "float64"})


def _differs(old: Any, new: Any, tolerance: float = 0.0) -> bool:
    old_blank, new_blank = old is None or pd.isna(old), new is None or pd.isna(new)
    if old_blank or new_blank:
        return old_blank != new_blank
    if isinstance(old, str) or isinstance(new, str):
        return str(old).strip() != str(new).strip()
    return abs(float(old) - float(new)) > tolerance


def with_grid_edits(frame: pd.DataFrame, state: object) -> pd.DataFrame:
    """``frame`` with the edits a data editor holds in its session state applied (a copy).

    Streamlit keeps a fixed-rows editor's edits as ``{"edited_rows": {row: {column: value}}}``
    (its documented state); the what-if page reads them before it draws the editors, so the
    new total is sent ahead of the grids and shown first.
    """
    out = frame.copy()
    edited = state.get("edited_rows", {}) if isinstance(state, dict) else {}
    for row, cells in edited.items():
        position = int(row)
        if not 0 <= position < len(out) or not isinstance(cells, dict):
            continue
        for column, value in cells.items():
            if column not in out.columns:
                continue
            numeric = pd.api.types.is_numeric_dtype(out[column])
            if value is not None and numeric:
                try:
                    value = float(value)
                except (TypeError, ValueError):
                    continue  # a number editor sends numbers; anything else is not an edit to read early
            elif value is not None:
                value = str(value)
            out.iat[position, out.columns.get_loc(column)] = float("nan") if value is None and numeric else value
    return out


def whatif_changes(form: Form, indicators: pd.DataFrame, funds: pd.DataFrame, unit: str = "元",
                   *, simulate: bool = False) -> list[Change]:
    """The edits in the what-if editors as whatif.Change objects, relative to the stored form.

    Targets and weights count only when ``simulate`` is on (a self-evaluation may not
    change them). Amounts are edited in the display unit and converted back to yuan.
    """
    base_ind, base_funds = whatif_indicator_input(form), whatif_funds_input(form, unit)
    changes: list[Change] = []
    columns = {"实际完成值": "actual", "自评得分": "declared_score"}
    if simulate:
        columns |= {"年度指标值": "target", "分值": "weight"}
    for row in range(min(len(base_ind), len(indicators))):
        for column, kind in columns.items():
            old, new = base_ind.at[row, column], indicators.iloc[row][column]
            if _differs(old, new, 1e-9) and not (new is None or pd.isna(new)):
                value = str(new).strip() if kind in ("actual", "target") else float(new)
                changes.append(Change(kind, row, value))
    for row in range(min(len(base_funds), len(funds))):
        for column, (kind, _) in _AMOUNT_KINDS.items():
            old, new = base_funds.at[row, column], funds.iloc[row][column]
            if _differs(old, new, 0.005 / fmt.MONEY_UNITS[unit]) and not (new is None or pd.isna(new)):
                index = None if form.funds[row].kind == "total" else row
                changes.append(Change(kind, index, round(float(new) * fmt.MONEY_UNITS[unit], 2)))
    return changes


def whatif_diff_frame(result: WhatIfResult) -> pd.DataFrame:
    """Per changed indicator (and execution): stored rule score, new score, change, new explanation."""
    rows = []
    if result.execution_delta:
        rows.append({"三级指标": EXECUTION_LABEL, "原得分": result.base.execution.score,
                     "新得分": result.new.execution.score, "变化": result.execution_delta,
                     "新的评分说明": result.new.execution.explanation})
    for d in result.diffs:
        rows.append({"三级指标": d.name, "原得分": d.old, "新得分": d.new, "变化": d.delta,
                     "新的评分说明": result.new.indicators[d.index].explanation})
    return pd.DataFrame(rows, columns=["三级指标", "原得分", "新得分", "变化", "新的评分说明"])


def full_marks_frame(sc: Scorecard, policy: Policy = DEFAULT_POLICY) -> pd.DataFrame:
    """For every item that lost points, indicators and 预算执行率 alike: the value that would earn full marks.

    An item not scored (its value not read) lost nothing and is not listed (see ``remaining_line``).
    """
    rows: list[dict[str, Any]] = [
        {"三级指标": ind.name, "年度指标值": ind.target.value, "实际完成值": ind.actual.value,
         "扣分": s.deduction, "满分所需实际值": full_marks_actual(sc.form, s.index, policy) or "（无法推算）"}
        for ind, s in zip(sc.form.indicators, sc.indicators) if s.score is not None and s.deduction > 0
    ]
    execution = execution_change(sc.form, sc, policy)
    if execution is not None:
        rows.append({"三级指标": EXECUTION_LABEL, "年度指标值": fmt.percent(policy.rate_cap),
                     "实际完成值": fmt.percent(sc.execution.rate), "扣分": round(execution[0], 2),
                     "满分所需实际值": _executed_text(float(execution[1].value), policy)})
    rows.sort(key=lambda r: -r["扣分"])
    return pd.DataFrame(rows, columns=["三级指标", "年度指标值", "实际完成值", "扣分", "满分所需实际值"])


def _executed_text(executed: float, policy: Policy = DEFAULT_POLICY) -> str:
    return f"全年执行数 {fmt.money(executed, suffix=True)}（执行率 {fmt.percent(policy.rate_cap)}）"


def remaining_line(sc: Scorecard) -> str:
    """What still costs points, for the reverse what-if: every deduction (预算执行率 included) and the
    items not scored; “所有指标和预算执行率都已得满分。” only when nothing is lost or unscored."""
    if not losses(sc) and not unscored(sc):
        return "所有指标和预算执行率都已得满分。"
    return f"还可挽回：{loss_line(sc)}。"


def path_frame(sc: Scorecard, changes: list[Change]) -> pd.DataFrame:
    """The reverse what-if's changes as a table: indicator (or 预算执行率), value now, value needed, points gained."""
    by_index = {s.index: s for s in sc.indicators}
    rows = []
    for c in changes:
        if c.kind == "actual" and c.index is not None:
            rows.append({"三级指标": sc.form.indicators[c.index].name,
                         "实际完成值": sc.form.indicators[c.index].actual.value, "需达到": c.value,
                         "可挽回分数": by_index[c.index].deduction})
        elif c.kind == "executed" and c.index is None and sc.execution.score is not None:
            total = sc.form.fund("total")
            now = total.executed.value if total is not None else None
            rows.append({"三级指标": EXECUTION_LABEL,
                         "实际完成值": f"全年执行数 {fmt.money(now, suffix=True)}（执行率 {fmt.percent(sc.execution.rate)}）",
                         "需达到": _executed_text(float(c.value)),
                         "可挽回分数": round(sc.execution.weight - sc.execution.score, 2)})
    return pd.DataFrame(rows, columns=["三级指标", "实际完成值", "需达到", "可挽回分数"])


# --- data management ---------------------------------------------------------------------

ACTION_LABELS: dict[str, str] = {"import": "导入", "replace": "替换", "delete": "删除", "restore": "恢复",
                                 "refuse": "拒绝导入"}
IMPORT_LABELS: dict[str, str] = {
    "import_id": "导入编号", "file_name": "文件", "imported_at": "导入时间", "user": "导入人", "n_forms": "表数",
    "n_stored": "新增", "n_replaced": "替换", "n_skipped": "跳过", "status": "结果", "sha256": "文件指纹",
}
IMPORT_STATUS_LABELS: dict[str, str] = {"imported": "已导入", "skipped": "无变化", "failed": "失败"}
AUDIT_LABELS: dict[str, str] = {
    "at": "时间", "action": "操作", "user": "操作人", "forms": "涉及表单", "file_name": "文件", "detail": "说明",
}


def imports_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Store.imports_table with Chinese headers and status words."""
    out = table.assign(status=table["status"].map(lambda s: IMPORT_STATUS_LABELS.get(s, s)),
                       sha256=table["sha256"].str[:12])
    return out.rename(columns=IMPORT_LABELS)[list(IMPORT_LABELS.values())]


def audit_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Store.audit_table with Chinese headers and action words (entries written before the store said
    未填年度 read “年度不详年”: shown with today's word)."""
    out = table.assign(action=table["action"].map(lambda a: ACTION_LABELS.get(a, a)),
                       forms=table["forms"].str.replace("年度不详年", NO_YEAR, regex=False))
    return out.rename(columns=AUDIT_LABELS)[list(AUDIT_LABELS.values())]


def deleted_candidates(audit: pd.DataFrame) -> list[int]:
    """Version ids named by delete actions in the audit trail, newest first, each once.

    Why: a form whose every version was deleted no longer appears among the current
    forms; the audit trail is where the page finds it again to offer a restore.
    """
    ids: list[int] = []
    for versions in audit.loc[audit["action"] == "delete", "version_ids"]:
        for vid in versions if versions is not None else []:
            if int(vid) not in ids:
                ids.append(int(vid))
    return ids


def version_label(info: dict) -> str:
    """One version for a picker: “业务培训 · 2021年 · 版本 2（已删除）”."""
    year = year_label(info.get("year"))
    state = "已删除" if info.get("deleted") else ("当前版本" if info.get("is_current") else "历史版本")
    return f"{info['project']} · {info['unit']} · {year} · 版本 {info['version_no']}（{state}）"
