"""The words of the domain that perfboard itself prints, each defined once.

Pages, exports, the command line and the store all name grades, severities, the
execution block, the standard funds rows and the title; a second spelling somewhere is a
second word for a leader to wonder about. (The labels that *forms* print, with all their
provincial synonyms, are data: ``perfcore/reader/synonyms.toml``.)
"""
from __future__ import annotations

TITLE = "财政项目支出绩效自评表"  # the national title, on perfboard's templates and reports

GRADES: tuple[str, ...] = ("优", "良", "中", "差")  # best first; the default policy's bands

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "警告", "info": "提示"}

# The execution block, shown as one more "indicator" in deduction views and tables.
EXECUTION_LABEL = "预算执行率"

# The four standard 项目资金 rows as perfboard prints them.
FUND_LABELS: dict[str, str] = {
    "total": "年度资金总额",
    "appropriation": "其中：当年财政拨款",
    "carryover": "上年结转资金",
    "other": "其他资金",
}

# What a form leaves blank, as every list, picker, filter and audit entry names it.
NO_YEAR = "未填年度"
NO_DEPARTMENT = "未填主管部门"


def year_label(year: object) -> str:
    """A form's year as perfboard prints it: 2021 → "2021年"; None (or NaN, pandas NA) → "未填年度"."""
    try:
        return f"{int(year)}年"  # type: ignore[call-overload]
    except (TypeError, ValueError):  # None, NaN, pandas NA
        return NO_YEAR


# How completely a form was read (perfcore.reading decides): only 完整 forms get a grade.
COMPLETE, TO_VERIFY, UNSCORABLE = "完整", "需核实", "无法计分"
STATES: tuple[str, ...] = (COMPLETE, TO_VERIFY, UNSCORABLE)

# A database file held by another process (DuckDB allows one writer).
LOCKED_MESSAGE = (
    "数据库文件正被另一个进程（通常是正在运行的看板）占用：请先停止应用再导入，或在应用的上传页面导入。"
)

# Audit-trail actions of accounts (perfcore.store.accounts), as 数据管理 names them.
ACCOUNT_ACTION_LABELS: dict[str, str] = {
    "sign_in": "登录", "sign_in_failed": "登录失败", "lock": "锁定账号", "sign_out": "退出登录", "account": "账号变更",
}
# Audit actions of the layouts staff taught (perfcore.store.layouts).
LAYOUT_ACTION_LABELS: dict[str, str] = {"layout_save": "保存对照", "layout_undo": "撤销对照", "layout_delete": "删除对照"}
