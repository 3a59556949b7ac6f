"""The one-glance texts of perfcore.views: where a scorecard's points went, the department line, paging."""
from __future__ import annotations

from formfactory import Row, clean_rows, make_form

from perfcore import views
from perfcore.checks import REGISTRY
from perfcore.reader import read_workbook
from perfcore.samples import SHEETS_WORKBOOK
from perfcore.scoring import score_form

TITLE_C07A = REGISTRY["C07A"].title


def _seed(project: str):
    return score_form(next(f for f in read_workbook(SHEETS_WORKBOOK).forms if f.project.value == project))


def test_loss_sentence_names_the_largest_deductions_first():
    assert views.loss_sentence(_seed("窗口业务管理")) == (
        "规则得分 92.01 分（优），扣 7.99 分：服务新开办企业数量 −6.24，政务服务免费快递业务量 −1.75。")
    assert views.loss_sentence(_seed("业务培训")) == "规则得分 100.00 分（优），未扣分。"


def test_loss_sentence_cuts_a_long_list_and_counts_the_rest():
    rows = [Row(f"指标{i}", ">=10家", "5家", 10, declared=10, note="原因") for i in range(7)]
    sentence = views.loss_sentence(score_form(make_form(rows)), n=3)
    assert sentence.count("−") == 3 and sentence.endswith("，等 7 项。")


def test_a_form_not_read_completely_gets_no_grade_in_the_sentence():
    card = score_form(make_form([Row("a", ">=10家", "", 90, declared=None)]))
    assert card.reading.state == "需核实"
    assert views.loss_sentence(card) == ("规则得分 10.00 分（需核实，暂计，不定等级），读取到的各项均得满分；"
                                         "无法计分 1 项（值未读取或无法判断，不算扣分）：a。")


def test_values_not_read_are_not_points_lost():
    """Issue 19: a 需核实 form with blank targets read “扣 60.00 分：工程质量合格 −10.00…”."""
    rows = [Row(r.name, "" if i < 6 else r.target, r.actual, r.weight, level1=r.level1, level2=r.level2)
            for i, r in enumerate(clean_rows())]
    rows[7] = Row("办事效率提升", "提升", "未提升", 10, level1="效益指标", level2="社会效益指标", note="未达成原因")
    card = score_form(make_form(rows))
    assert card.reading.state == "需核实" and card.total == 30
    assert views.loss_line(card) == ("扣 10.00 分：办事效率提升 −10.00；无法计分 6 项（值未读取或无法判断，不算扣分）："
                                     "服务企业数量，项目计划完成率，系统故障恢复时长，快递邮寄出错率，项目完工及时性，重大事故发生数")
    assert views.loss_sentence(card, n=2).endswith("：服务企业数量，项目计划完成率，等 6 项。")
    assert [loss.name for loss in views.losses(card)] == ["办事效率提升"]
    frame = views.indicator_frame(card)
    assert frame["扣分"].isna().sum() == 6 and frame["扣分"].sum() == 10
    summary = views.level1_summary(card).set_index("一级指标")
    assert summary.loc["产出指标", ["分值", "规则得分", "扣分", "未计分"]].tolist() == [50, 0, 0, 50]
    assert summary.loc["效益指标", ["分值", "规则得分", "扣分", "未计分"]].tolist() == [30, 10, 10, 10]
    assert views.full_marks_frame(card)["三级指标"].tolist() == ["办事效率提升"]


def test_execution_line_in_wan_names_the_unit():
    line = views.execution_line(_seed("深化“一网通办”专项费用"), "万元")
    assert line == "执行率 = 626.17 万元 ÷ 626.17 万元 = 100.00%，得满分 10"


def test_glance_line_and_page_caption():
    summary = {"n_forms": 1234, "grades": {"优": 3, "良": 1}, "n_to_verify": 2, "n_unscorable": 0, "rate": 0.8618}
    assert views.glance_line(summary) == ("共 1,234 张自评表；等级：优 3 个，良 1 个，中 0 个，差 0 个；需核实 2 张；"
                                          "无法计分 0 张；部门预算执行率 86.18%。")
    assert views.page_caption(1234, 50, 50) == "共 1,234 个项目，显示第 51–100 个"
    assert views.page_caption(0, 0, 0) == "共 0 个项目，本页没有项目。"


def test_findings_are_named_by_their_check_title():
    table = views.findings_frame(_seed("窗口业务管理").findings)
    assert set(table["审核项目"]) == {"自评得分虚高", TITLE_C07A}
    assert not table["审核项目"].str.fullmatch(r"C\d+\w?").any()
