"""perfcore.report: the Chinese review report printed by `check`."""
from __future__ import annotations

from formfactory import Row, make_form

from perfcore.reader import read_workbook
from perfcore.report import scorecard_report
from perfcore.samples import SHEETS_WORKBOOK
from perfcore.scoring import score_form


def test_seed_report_shows_totals_deductions_and_findings() -> None:
    window = next(f for f in read_workbook(SHEETS_WORKBOOK).forms if f.project.value == "窗口业务管理")
    text = scorecard_report(score_form(window))
    lines = text.splitlines()
    assert lines[0] == "【窗口业务管理】上海市松江区行政服务中心 · 2021年度"
    assert "评分规则：财预〔2020〕10号（上海两位小数）" in lines
    assert "规则总分 92.01（优）  自评总分 98.00  差额 +5.99" in lines
    assert ("  D13 服务新开办企业数量（目标 >=29000家，实际 3146，分值 7.00）：未达标：7 × 3146 ÷ 29000 = 0.76；自评 6.00"
            in lines)
    assert "审核发现：错误 2 项，警告 1 项，提示 0 项" in lines
    assert lines[-3].startswith("  [错误] C09 窗口业务管理：D13 服务新开办企业数量")
    assert lines[-1].startswith("  [警告] C07A 窗口业务管理：D6 全年预算数")
    assert len([line for line in lines if line.startswith("  D")]) == 2  # only the two deducted indicators


def test_clean_form_and_all_indicators() -> None:
    card = score_form(make_form([Row("a", ">=10家", "", 90, declared=None)], project="空白表"))
    text = scorecard_report(card, all_indicators=True)
    assert "  D13 a（目标 >=10家，实际 —，分值 90.00）：实际完成值缺失，无法计分；自评 未填" in text
    assert "[警告] C13A" in text and "[提示] C14" in text
    assert scorecard_report(score_form(make_form())).endswith("扣分或自评不同的指标：无\n审核发现：无")
