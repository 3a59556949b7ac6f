"""Accounts in the app (AppTest on a real database): sign-in, pages per role, refusals, the
scope on every page, the signed-in account in the audit trail; no account = single-user mode."""
from __future__ import annotations

import dataclasses
import io

import pytest
from apphelp import XLSX, open_page, seed, texts

from perfcore.accounts import Scope
from perfcore.model import Text
from perfcore.reader import read_workbook
from perfcore.samples import SHEETS_WORKBOOK
from perfcore.store import Store
from perfcore.writer import write_forms

UNIT_A = "上海市松江区行政服务中心"
UNIT_B = "乙单位"
PASSWORD = "一个足够长的测试密码"
TRAINING = {"year": "2021", "unit": UNIT_A, "project": "业务培训"}


@pytest.fixture
def accounts_db(app_db, monkeypatch):
    """The seed (unit A) plus the seed forms as unit B's, and one account per role (the uploader: unit A)."""
    monkeypatch.setenv("PERFBOARD_SIGNIN_DELAY", "0")
    monkeypatch.setenv("PERFBOARD_MAX_FAILURES", "3")
    seed(app_db)
    seed(app_db, unit=Text(UNIT_B), department=Text(UNIT_B))
    with Store(app_db) as store:
        store.add_account("管理员", "admin", password=PASSWORD, by="测试")
        store.add_account("领导", "viewer", password=PASSWORD, by="测试")
        store.add_account("甲填报", "uploader", Scope.of(units=[UNIT_A]), password=PASSWORD, by="测试")
    return app_db


def sign_in(name: str, password: str = PASSWORD, page: str | None = None, query: dict | None = None):
    at = open_page(page, query)
    at.text_input(key="signin_name").set_value(name)
    at.text_input(key="signin_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def visible_pages(at) -> set[str]:
    """The pages the menu shows (the addresses app_pages made visible; AppTest does not record visibility)."""
    from ui.common import MENU_KEY

    return set(at.session_state[MENU_KEY])


def every_text(at) -> str:
    """All text an element of the page carries, widgets included (labels, options, values)."""
    parts = [texts(at)]
    for kind in ("selectbox", "multiselect", "text_input", "radio", "button", "button_group", "dataframe",
                 "table", "download_button", "page_link"):
        for el in at.get(kind):
            parts.append(repr(getattr(el, "proto", el)))
    return "\n".join(parts)


def keys(at) -> list[str]:
    return [t.key for t in at.text_input]


def projects(db) -> set[str]:
    with Store(db) as store:
        return set(store.forms_table()["project"])


def test_no_account_is_single_user_mode_as_before(app_db):
    seed(app_db)
    at = open_page()
    assert at.title[0].value == "上传与校验" and "本机单用户模式" in " ".join(c.value for c in at.sidebar.caption)
    assert visible_pages(at) == {"upload", "scorecard", "department", "whatif", "manage"}
    at.switch_page("pages/manage.py").run()
    assert "import_user" in keys(at)  # the typed operator name, as before accounts


def test_anonymous_visitors_see_only_the_sign_in_page(accounts_db):
    names = projects(accounts_db) | {UNIT_B}
    for page in (None, "scorecard", "department", "whatif", "manage", "upload"):
        at = open_page(page, TRAINING if page else None)
        assert at.title[0].value == "登录绩效自评看板", page
        shown = every_text(at)
        assert not [n for n in names if n in shown], page
        assert not at.dataframe and not at.metric and not at.get("selectbox")
    assert visible_pages(at) == set()


def test_a_wrong_password_is_refused_and_locks_after_the_configured_count(accounts_db):
    answers = []
    for name, password in (("领导", "wrong-password"), ("领导", "wrong-again"), ("领导", "wrong-third"),
                           ("领导", PASSWORD), ("没有这个人", PASSWORD)):  # the right one while locked; an unknown name
        at = sign_in(name, password)
        assert at.title[0].value == "登录绩效自评看板"
        answers.append([e.value for e in at.error])
    assert answers == [["账号或密码不正确。"]] * 5  # nothing tells a real, a locked or an unknown name apart
    assert "连续输错 3 次密码，账号会被锁定 15 分钟" in texts(at)
    with Store(accounts_db) as store:
        log = store.audit_table(user="领导")
    assert list(log["action"])[::-1] == ["sign_in_failed"] * 3 + ["lock", "sign_in_failed"]


def test_a_viewer_reads_everything_but_has_no_upload_or_data_pages(accounts_db):
    at = sign_in("领导")
    assert visible_pages(at) == {"scorecard", "department", "whatif"}
    assert at.title[0].value == "项目评分卡"  # the first page the role may use
    assert "已登录：领导（查看 · 全部单位）" in " ".join(c.value for c in at.sidebar.caption)
    for page, title in (("upload", "上传与校验"), ("manage", "数据管理")):
        at.switch_page(f"pages/{page}.py").run()
        assert f"账号“领导”（查看）无权使用“{title}”页面" in texts(at)
        assert not at.get("file_uploader") and not at.dataframe
    at.switch_page("pages/department.py").run()
    assert {m.label: m.value for m in at.metric}["项目数"] == "10"


def test_an_uploader_sees_only_its_unit_and_cannot_import_another(accounts_db):
    at = sign_in("甲填报", page="department")  # signed in at a page's own address: that page opens
    assert at.title[0].value == "部门总览"
    at = sign_in("甲填报")
    at.switch_page("pages/department.py").run()
    assert visible_pages(at) == {"upload", "scorecard", "department", "whatif"}
    assert {m.label: m.value for m in at.metric}["项目数"] == "5"
    assert UNIT_B not in every_text(at)
    at.switch_page("pages/scorecard.py").run()
    assert at.selectbox(key="unit").options == [UNIT_A]
    # unit B's workbook: refused with a Chinese message, nothing stored
    forms = [dataclasses.replace(f, unit=Text("丙单位"), department=Text("丙单位"))
             for f in read_workbook(SHEETS_WORKBOOK).forms]
    out = io.BytesIO()
    write_forms(forms, out)
    with Store(accounts_db) as store:
        before = (len(store.forms_table()), len(store.imports_table()))
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key="uploader_0").set_value([("丙单位.xlsx", out.getvalue(), XLSX)]).run()
    at.get("button_group")[0].set_value("全部").run()
    assert "导入人：甲填报（已登录账号" in texts(at) and "import_user" not in keys(at)
    # the preview marks every form refused, with the reason; none can be ticked for import
    shown = texts(at)
    assert "5 张表不能由账号“甲填报”导入" in shown and "不在账号“甲填报”的单位范围" in shown
    assert not at.dataframe[0].value["导入"].any() and at.button[0].label == "导入选中的 0 张表"
    assert at.button[0].disabled
    with Store(accounts_db) as store:
        assert (len(store.forms_table()), len(store.imports_table())) == before
        assert list(store.audit_table(action="refuse")["user"]) == ["甲填报"]


def test_an_admin_deletes_and_restores_and_the_audit_names_them(accounts_db):
    at = sign_in("管理员", page="manage", query=TRAINING)
    at.switch_page("pages/manage.py").run()
    assert at.title[0].value == "数据管理" and "import_user" not in keys(at)
    assert "操作人：管理员（已登录账号" in texts(at)
    at.button(key="mg_version_delete").click().run()
    at.button(key="mg_version_confirm").click().run()
    assert "已删除：业务培训 · 上海市松江区行政服务中心 · 2021年 · 版本 1（操作人：管理员）" in texts(at)
    at.button(key="mg_deleted_restore").click().run()
    at.button(key="mg_deleted_confirm").click().run()
    assert "已恢复：业务培训" in texts(at)
    audit = at.dataframe[-1].value
    assert list(audit["操作"])[:3] == ["恢复", "删除", "登录"] and list(audit["操作人"])[:3] == ["管理员"] * 3
    # the audit filtered by person, unit and action
    at.selectbox(key="mg_audit_action").set_value("delete").run()
    assert list(at.dataframe[-1].value["操作"]) == ["删除"]
    at.selectbox(key="mg_audit_action").set_value("（全部）").run()
    at.selectbox(key="mg_audit_unit").set_value(UNIT_B).run()
    assert list(at.dataframe[-1].value["操作"]) == ["导入"]
    at.selectbox(key="mg_audit_unit").set_value("（全部）").run()
    at.selectbox(key="mg_audit_user").set_value("测试").run()
    assert set(at.dataframe[-1].value["操作"]) == {"导入", "账号变更"}


def test_sign_out_returns_to_the_sign_in_page(accounts_db):
    at = sign_in("领导")
    at.sidebar.button(key="signout").click().run()
    assert at.title[0].value == "登录绩效自评看板" and not at.metric
    with Store(accounts_db) as store:
        assert store.audit_table(user="领导")["action"].iloc[0] == "sign_out"
