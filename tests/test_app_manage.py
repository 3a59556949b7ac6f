"""数据管理 page: import history, audit trail, soft delete and restore seen on the other pages."""
from __future__ import annotations

from apphelp import open_page, seed, texts

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


def test_delete_and_restore_a_version(app_db):
    seed(app_db)
    at = open_page("manage", TRAINING)
    at.text_input(key="import_user").set_value("王五").run()
    assert at.selectbox(key="mg_version").options == ["业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1（当前版本）"]
    at.button(key="mg_version_delete").click().run()
    assert not at.exception
    assert "已删除版本" in texts(at)
    # its only version is gone from the current forms: the picker no longer offers it ...
    assert "业务培训" not in at.selectbox(key="project").options
    dept = open_page("department")
    assert {m.label: m.value for m in dept.metric}["项目数"] == "4"
    # ... and the deleted list offers the restore
    assert at.selectbox(key="mg_deleted").options == ["业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1（已删除）"]
    at.button(key="mg_deleted_restore").click().run()
    assert "已恢复版本" in texts(at)
    audit = at.dataframe[-1].value
    assert list(audit["操作"])[:2] == ["恢复", "删除"] and list(audit["操作人"])[:2] == ["王五", "王五"]
    assert {m.label: m.value for m in open_page("department").metric}["项目数"] == "5"
