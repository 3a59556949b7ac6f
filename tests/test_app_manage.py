"""数据管理 page: import history, audit trail, soft delete and restore seen on the other pages."""
from __future__ import annotations

from apphelp import open_page, seed, texts

from perfcore.store import Store

TRAINING = {"year": "2021", "unit": "上海市松江区行政服务中心", "project": "业务培训"}


def test_empty_database(app_db):
    at = open_page("manage")
    assert "数据库里还没有自评表" in texts(at)


def test_import_history_and_audit(app_db):
    seed(app_db, user="李四")
    at = open_page("manage")
    imports, audit = at.dataframe[0].value, at.dataframe[-1].value
    assert list(imports["文件"]) == ["seed-2021-sheets.xlsx"] and list(imports["新增"]) == [5]
    assert list(imports["导入人"]) == ["李四"] and list(imports["结果"]) == ["已导入"]
    assert list(audit["操作"]) == ["导入"]


def _current(db) -> list[str]:
    with Store(db) as store:
        return sorted(store.forms_table()["project"])


def test_delete_and_restore_a_version_each_confirmed(app_db):
    seed(app_db)
    at = open_page("manage", TRAINING)
    at.text_input(key="import_user").set_value("王五").run()
    assert at.selectbox(key="mg_version").options == ["业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1（当前版本）"]
    at.button(key="mg_version_delete").click().run()  # the first click only asks
    assert "确认删除“业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1”" in texts(at)
    assert "业务培训" in _current(app_db)
    at.button(key="mg_version_cancel").click().run()  # 取消 changes nothing
    assert "确认删除" not in texts(at) and "业务培训" in _current(app_db)
    at.button(key="mg_version_delete").click().run()
    at.button(key="mg_version_confirm").click().run()
    assert not at.exception
    assert "已删除：业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1（操作人：王五）" in texts(at)
    assert "业务培训" not in _current(app_db)
    # its only version is gone from the current forms: the picker no longer offers it ...
    assert "业务培训" not in at.selectbox(key="project").options
    dept = open_page("department")
    assert {m.label: m.value for m in dept.metric}["项目数"] == "4"
    # ... and the deleted list offers the restore, confirmed the same way
    assert at.selectbox(key="mg_deleted").options == ["业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1（已删除）"]
    at.button(key="mg_deleted_restore").click().run()
    assert "确认恢复“业务培训" in texts(at) and "业务培训" not in _current(app_db)
    at.button(key="mg_deleted_confirm").click().run()
    assert "已恢复：业务培训" in texts(at)
    audit = at.dataframe[-1].value
    assert list(audit["操作"])[:2] == ["恢复", "删除"] and list(audit["操作人"])[:2] == ["王五", "王五"]
    assert {m.label: m.value for m in open_page("department").metric}["项目数"] == "5"


def test_no_delete_restore_or_rescore_without_an_operator(app_db):
    seed(app_db)
    at = open_page("manage", TRAINING)
    for name in ("", "   "):  # none, or only spaces
        at.text_input(key="import_user").set_value(name).run()
        at.button(key="mg_version_delete").click().run()
        assert "请先在本页上方填写操作人" in texts(at)
        assert at.button(key="mg_version_confirm").disabled
        assert "业务培训" in _current(app_db)
        at.button(key="mg_version_cancel").click().run()
    at.button(key="mg_rescore").click().run()
    assert at.button(key="mg_rescore_confirm").disabled and "请先在本页上方填写操作人" in texts(at)
    # naming the operator enables the pending confirmation
    at.text_input(key="import_user").set_value(" 赵六 ").run()
    assert not at.button(key="mg_rescore_confirm").disabled
    at.button(key="mg_rescore_cancel").click().run()
    at.button(key="mg_version_delete").click().run()
    at.button(key="mg_version_confirm").click().run()
    assert "业务培训" not in _current(app_db)
    with Store(app_db) as store:
        log = store.audit_table()
    assert list(log["action"]) == ["delete", "import"] and list(log["user"])[0] == "赵六"


def _metric(at, label: str) -> str:
    return {m.label: m.value for m in at.metric}[label]


def test_stale_scores_are_shown_and_a_confirmed_rescore_makes_the_pages_agree(app_db):
    import duckdb

    from perfcore import fmt
    from perfcore.scoring import score_form
    from perfcore.store import Store

    seed(app_db)
    # as if older rules had given 业务培训 seven points less (and recorded no rules version)
    con = duckdb.connect(str(app_db))
    con.execute("UPDATE form_versions SET rule_total = rule_total - 7, rules_version = NULL WHERE project = '业务培训'")
    con.close()
    with Store(app_db) as store:
        live = [score_form(store.load_form(int(v))).total for v in store.forms_table()["version_id"]]
    agreed = fmt.score(sum(live) / len(live))

    dept = open_page("department")
    assert "得分需要重新计算" in texts(dept) and "1 张当前自评表" in texts(dept)
    assert _metric(dept, "平均规则得分") != agreed
    assert "得分需要重新计算" in texts(open_page("scorecard", TRAINING))
    assert "得分需要重新计算" not in texts(open_page("scorecard", {**TRAINING, "project": "宣传与推广"}))

    at = open_page("manage")
    at.text_input(key="import_user").set_value("王五").run()
    assert "1 个版本（其中当前版本 1 个）" in texts(at)
    at.button(key="mg_rescore").click().run()
    assert "确认按现行评分规则重新计算全部 5 个版本的得分" in texts(at)
    at.button(key="mg_rescore_cancel").click().run()  # the first click changes nothing
    assert "确认按现行评分规则" not in texts(at) and "1 个版本（其中当前版本 1 个）" in texts(at)
    at.button(key="mg_rescore").click().run()
    at.button(key="mg_rescore_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已按现行规则重新评分 5 个版本：1 个有变化" in texts(at)
    assert "全部 5 个版本的得分都已按现行评分规则计算" in texts(at)
    audit = at.dataframe[-1].value
    assert list(audit["操作"])[0] == "重新评分" and list(audit["操作人"])[0] == "王五"

    dept = open_page("department")
    assert "得分需要重新计算" not in texts(dept)
    assert _metric(dept, "平均规则得分") == agreed
    assert "得分需要重新计算" not in texts(open_page("scorecard", TRAINING))


def test_audit_names_forms_without_a_year_and_by_version_number(app_db):
    seed(app_db)
    seed(app_db, spent=0.8)  # 业务培训 2021 version 2 (a later database id)
    seed(app_db, year=None)
    at = open_page("manage", TRAINING)
    at.text_input(key="import_user").set_value("王五").run()
    at.button(key="mg_version_delete").click().run()
    assert "确认删除“业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 2”" in texts(at)
    at.button(key="mg_version_confirm").click().run()
    assert "已删除：业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 2（操作人：王五）" in texts(at)
    audit = at.dataframe[-1].value
    forms = list(audit["涉及表单"])
    assert forms[0] == "2021年 上海市松江区行政服务中心·业务培训（版本 2）"
    assert "未填年度 上海市松江区行政服务中心·业务培训（版本 1）" in forms[1]  # the import of the forms without a year
    assert not any("年度不详" in f for f in forms)
