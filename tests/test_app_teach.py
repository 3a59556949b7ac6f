"""对照 on 上传与校验 and 数据管理: a template the reader cannot place is taught once on the page,
read again at once, later uploads read with it, the mapping undone; admins list, delete, export."""
from __future__ import annotations

import tomllib

from apphelp import XLSX, open_page, texts
from helpers.workbook_builder import FormSpec, one_form

from perfcore.store import Store

HEADERS = ("类别", "小类", "考核事项", "计划数", "实绩", "占比", "自评", "说明")  # labels no synonym knows
UNKNOWN = FormSpec(project="自创模板项目", ind_headers=HEADERS)
SECOND = FormSpec(project="同模板第二个项目", unit="另一个实施单位", ind_headers=HEADERS)


def _upload(at, key: str, *specs: tuple[str, FormSpec]):
    at.file_uploader(key=key).set_value([(name, one_form(spec), XLSX) for name, spec in specs]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _states(at) -> dict[str, str]:
    frame = at.dataframe[0].value
    return dict(zip(frame["项目"], frame["读取状态"], strict=True))


def _teach_expander(at):
    return [t for t in at.toggle if t.label.startswith("对照")]


def test_a_form_read_unscorable_is_taught_on_the_page_and_read_again_at_once(app_db):
    at = _upload(open_page(), "uploader_0", ("自创.xlsx", UNKNOWN))
    assert _states(at) == {"自创模板项目": "无法计分"}
    assert _teach_expander(at), "the 对照 form is offered for a form read 无法计分"
    at.toggle(key="teach_open").set_value(True).run()
    # pre-filled from what the reader located and the header row's labels in the standard order
    assert at.selectbox(key="teach_row").value == 12
    assert [at.selectbox(key=f"teach_col_{r}").value for r in ("level1", "level2", "name", "target", "actual",
                                                               "weight", "score")] == list("BCDEFGH")
    assert at.text_input(key="teach_cell_budget").value == "D6"
    sheet = next(h.proto.body for h in at.get("html") if "teach-sheet" in h.proto.body)
    assert "<th>12</th>" in sheet and "〔分值〕" in sheet and 'class="header"' in sheet

    assert at.button(key="teach_save").disabled  # who saved it goes into the audit trail
    at.text_input(key=common_user()).set_value("张三").run()
    # a wrong choice is refused in Chinese, nothing stored
    at.selectbox(key="teach_col_weight").set_value("").run()
    at.text_input(key="teach_cell_total").set_value("ZZ9").run()
    at.button(key="teach_save").click().run()
    errors = " ".join(e.value for e in at.error)
    assert "请选择“分值”所在的列" in errors and "单元格 ZZ9（自评总分）是空的" in errors
    at.selectbox(key="teach_col_weight").set_value("G").run()
    at.text_input(key="teach_cell_total").set_value("H21").run()
    at.button(key="teach_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    page = texts(at)
    assert "已保存对照 #1" in page and _states(at) == {"自创模板项目": "完整"}
    assert "本表按已保存的对照 #1 读取" in page, page
    assert any("按已保存的对照读取（" in t.value for t in at.text)  # the reader's note, in the reading report
    assert not _teach_expander(at)

    # a second file of the same template, another project: read with it at once
    at = _upload(at, "uploader_0", ("自创.xlsx", UNKNOWN), ("第二个.xlsx", SECOND))
    assert _states(at) == {"自创模板项目": "完整", "同模板第二个项目": "完整"}

    with Store(app_db) as store:
        (mapping,) = store.layouts()
        assert mapping["user"] == "张三" and mapping["department"] == "上海市松江区行政服务中心"
        assert mapping["taught"].cells == {"budget": "D6", "executed": "E6", "total": "H21"}
        assert "layout_save" in set(store.audit_table()["action"])

    # undo: the files are read again without it
    at.button(key="teach_undo_1").click().run()
    assert not at.exception
    assert "已撤销对照 #1" in texts(at)
    assert _states(at) == {"自创模板项目": "无法计分", "同模板第二个项目": "无法计分"}
    with Store(app_db) as store:
        assert not store.layouts()[0]["active"] and "layout_undo" in set(store.audit_table()["action"])


def common_user() -> str:
    from ui.common import USER_KEY

    return USER_KEY


def test_admins_list_delete_and_export_mappings(app_db):
    at = _upload(open_page(), "uploader_0", ("自创.xlsx", UNKNOWN))
    at.toggle(key="teach_open").set_value(True).run()
    at.text_input(key=common_user()).set_value("填报员乙").run()
    at.button(key="teach_save").click().run()
    assert _states(at) == {"自创模板项目": "完整"}
    at.switch_page("pages/manage.py").run()
    assert not at.exception, [e.value for e in at.exception]
    listed = next(d.value for d in at.dataframe if "对照" in d.value.columns)
    assert list(listed["编号"]) == [1] and list(listed["状态"]) == ["在用"]
    assert listed["对照"].iloc[0].startswith("表头第 12 行；一级指标 B、二级指标 C、三级指标 D")
    fragment = tomllib.loads(at.code[0].value)
    assert fragment["indicators"]["name"] == ["考核事项"] and fragment["indicators"]["weight"] == ["占比"]
    assert fragment["indicators"]["target"] == ["计划数"] and "level1" not in fragment["indicators"]
    assert at.get("download_button")[-1].proto.label == "下载 synonyms.toml 片段"

    at.text_input(key=common_user()).set_value("").run()
    at.button(key="teach_admin_delete").click().run()
    assert "确认删除对照 #1" in texts(at)
    assert at.button(key="teach_admin_confirm").disabled  # the audit must name someone
    at.text_input(key=common_user()).set_value("管理员甲").run()
    at.button(key="teach_admin_confirm").click().run()
    assert not at.exception
    assert "已删除对照 #1" in texts(at) and "还没有保存的对照" in texts(at)
    with Store(app_db) as store:
        log = store.audit_table()
        deleted = log[log["action"] == "layout_delete"]
        assert list(deleted["user"]) == ["管理员甲"] and "删除对照 #1" in deleted["detail"].iloc[0]


def test_a_file_in_which_no_form_was_found_is_taught_too(app_db):
    odd = FormSpec(project="无标题模板项目", title="某某情况表", money_label="资金（元）", ind_headers=HEADERS)
    at = _upload(open_page(), "uploader_0", ("无表.xlsx", odd))
    assert "1 个文件无法读取" in texts(at)
    at.toggle(key="teach_open").set_value(True).run()
    assert at.selectbox(key="teach_sheet").value == "表1"
    assert at.selectbox(key="teach_row").value == 12  # the row with the most labels below the top
    assert at.selectbox(key="teach_col_name").value == "D"
    for role, cell in (("budget", "D6"), ("executed", "E6"), ("total", "H21")):
        at.text_input(key=f"teach_cell_{role}").set_value(cell).run()
    at.text_input(key="teach_dept").set_value("某某主管部门").run()
    at.text_input(key=common_user()).set_value("张三").run()
    at.button(key="teach_save").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已保存对照 #1" in texts(at) and "无法读取" not in texts(at)
    assert _states(at) == {"无标题模板项目": "完整"}
    with Store(app_db) as store:
        assert store.layouts()[0]["department"] == "某某主管部门"


def test_the_sheet_as_printed_escapes_what_the_form_says():
    from perfcore import layouts
    from ui.teach import sheet_html

    hostile = '<img src=x onerror="window.__xss=1">'
    _, grids = layouts.read_with_grids(one_form(FormSpec(project=hostile, ind_headers=HEADERS)), "x.xlsx")
    shown = sheet_html(grids["表1"], {"项目资金": "表1!A5"}, layouts.Teaching(12, {"name": "D"}, {"budget": "D6"}))
    assert "<img" not in shown and "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in shown
    assert '<td class="found" title="项目资金（元）；系统找到：项目资金">' in shown
    assert '<span class="role">〔全年预算数〕</span>' in shown and '<tr class="header"><th>12</th>' in shown
