"""Messages that match the role (issue 19): a 查看 account is never sent to a page it cannot open
(数据管理, 上传与校验); an admin is. AppTest on a real database with real accounts."""
from __future__ import annotations

import duckdb
import pytest
from apphelp import open_page, seed, texts

from perfcore.store import Store

PASSWORD = "看板测试用的一条很长的口令-7Qx"
TRAINING = {"year": "2021", "unit": "上海市松江区行政服务中心", "project": "业务培训"}


@pytest.fixture
def stale_db(app_db, monkeypatch):
    """The seed with 业务培训's stored score from older rules (so pages ask for a rescore), and two accounts."""
    monkeypatch.setenv("PERFBOARD_SIGNIN_DELAY", "0")
    seed(app_db)
    con = duckdb.connect(str(app_db))
    con.execute("UPDATE form_versions SET rules_version = NULL WHERE project = '业务培训'")
    con.close()
    with Store(app_db) as store:
        store.add_account("管理员", "admin", password=PASSWORD, by="测试")
        store.add_account("领导", "viewer", password=PASSWORD, by="测试")
    return app_db


def _signed_in(name: str, page: str, query: dict | None = None):
    at = open_page(None, query)
    at.text_input(key="signin_name").set_value(name)
    at.text_input(key="signin_password").set_value(PASSWORD)
    at.button[0].click().run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _links(at) -> list[str]:
    return [link.proto.page for link in at.get("page_link")]


@pytest.mark.parametrize(("page", "query"), [("department", None), ("scorecard", TRAINING)])
def test_a_viewer_is_not_sent_to_the_manage_page(stale_db, page, query):
    viewer = texts(_signed_in("领导", page, query))
    assert "得分需要重新计算" in viewer
    assert "请到“数据管理”页" not in viewer and "如需重新评分，请联系管理员（您的账号不能使用“数据管理”页）。" in viewer
    admin = _signed_in("管理员", page, query)
    assert "请到“数据管理”页重新评分。" in texts(admin) and any("manage" in p for p in _links(admin))


def test_the_scorecard_history_sends_only_an_admin_to_delete_or_restore(stale_db):
    assert "如需删除或恢复版本，请联系管理员" in texts(_signed_in("领导", "scorecard", TRAINING))
    assert "请到“数据管理”页删除或恢复版本。" in texts(_signed_in("管理员", "scorecard", TRAINING))


def test_an_empty_database_tells_a_viewer_whom_to_ask(app_db, monkeypatch):
    monkeypatch.setenv("PERFBOARD_SIGNIN_DELAY", "0")
    with Store(app_db) as store:
        store.add_account("领导", "viewer", password=PASSWORD, by="测试")
    at = _signed_in("领导", "department")
    assert "请联系有上传权限的同事或管理员" in texts(at) and not any("upload" in p for p in _links(at))
