"""上传与校验 page: real workbooks through the uploader, previews, findings, import, errors per file."""
from __future__ import annotations

from apphelp import XLSX, open_page, texts
from drawn import tables

from perfcore.samples import SHEETS_WORKBOOK, STACKED_WORKBOOK
from perfcore.store import Store


def _upload(at, *files):
    at.file_uploader(key="uploader_0").set_value(list(files)).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_empty_database_explains_and_offers_template(app_db):
    at = open_page()
    assert at.title[0].value == "上传与校验"
    assert "数据库还是空的" in texts(at)
    assert at.get("download_button")


def test_upload_previews_findings_and_imports(app_db):
    at = _upload(open_page(), (SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), XLSX))
    page = texts(at)
    assert "1 个文件，5 张自评表" in page and "有错误 1 张" in page
    preview = at.dataframe[0].value  # the data editor's frame: one row a form, problems first
    assert len(preview) == 5 and preview["项目"].iloc[0] == "窗口业务管理" and preview["错误"].iloc[0] == 2
    assert list(preview["状态"]) == ["新表"] * 5
    assert list(preview["导入"]) == [False, True, True, True, True]  # a form with errors is not pre-ticked
    # the first row's findings are shown below the table: the inflated rows with their cells
    assert "窗口业务管理" in page and "规则 92.01（优）" in page and "自评 98" in page
    inflation = [t for t in tables(at) if t["代码"].eq("C09").any()]
    assert inflation and all(inflation[0]["单元格"].str.contains("!"))
    assert at.button[0].label == "导入选中的 4 张表"

    # the user ticks it too (AppTest sets a data editor's edits through its session state)
    at.session_state["pick_0_0_按建议"] = {"edited_rows": {0: {"导入": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.button[0].label == "导入选中的 5 张表"
    at.button[0].click().run()
    assert not at.exception
    assert "新增 5 张" in texts(at)
    store = Store(app_db)
    try:
        assert store.count_forms() == 5
    finally:
        store.close()


def test_reupload_marks_stored_forms_and_bad_file_blocks_nothing(app_db):
    at = _upload(open_page(), (SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), XLSX))
    at.button[0].click().run()  # the four pre-ticked forms: 窗口业务管理 (two errors) stays out
    # fresh uploader after the import: the same forms stacked in one sheet, plus a file that is no workbook
    at.file_uploader(key="uploader_1").set_value([
        (STACKED_WORKBOOK.name, STACKED_WORKBOOK.read_bytes(), XLSX),
        ("坏文件.xlsx", b"this is not a workbook", XLSX),
    ]).run()
    assert not at.exception
    page = texts(at)
    assert "2 个文件，5 张自评表，1 个文件无法读取" in page
    assert "坏文件.xlsx" in page and "未导入，其他文件不受影响" in page
    preview = at.dataframe[0].value
    assert list(preview["文件"])[0] == "坏文件.xlsx" and preview["读取状态"].iloc[0] == "无法读取"  # listed first
    forms = preview.iloc[1:].set_index("项目")["状态"]
    assert forms.pop("窗口业务管理") == "新表" and set(forms) == {"已导入（内容相同）"} and len(forms) == 4
    assert not preview["导入"].any()  # stored ones, the unreadable file and the form with errors alike


def test_sidebar_has_money_unit_switch(app_db):
    at = open_page()
    switch = at.sidebar.get("button_group")[0]
    assert switch.options == ["元", "万元"] and switch.value == "元"


def test_database_held_by_another_process_is_explained(app_db):
    import subprocess
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from perfcore.store import Store; s = Store(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(120)", str(app_db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        at = open_page()
        assert "数据库文件正被另一个进程" in texts(at)
        assert not at.get("file_uploader")
    finally:
        holder.kill()
        holder.wait()


def test_hostile_files_in_one_upload_are_explained_and_only_the_good_one_is_imported(app_db):
    """Issue 5's promise in the app: each bad file named with its Chinese reason, no traceback,
    nothing of it stored, the good file of the same upload imported."""
    from pathlib import Path

    from perfcore.errors import ReadError
    from perfcore.reader import read_workbook

    corpus = Path(__file__).parent / "fixtures" / "hostile"
    bad = ["zip_bomb.xlsx", "encrypted.xlsx", "formula_no_cache.xlsx", "pdf_renamed.xlsx", "negative_amount.xlsx"]
    files = [(name, (corpus / name).read_bytes(), XLSX) for name in [*bad, "valid_form.xlsx"]]
    at = _upload(open_page(), *files)
    page = texts(at)
    assert "Traceback" not in page
    assert f"{len(files)} 个文件，1 张自评表，{len(bad)} 个文件无法读取" in page
    for name in bad:
        error: ReadError = read_workbook(corpus / name).error
        assert name in page and error.message in page, name  # the reader's own Chinese message
    at.button[0].click().run()
    assert not at.exception
    with Store(app_db) as store:
        assert store.count_forms() == 1
        assert set(store.imports_table()["file_name"]) == {"valid_form.xlsx"}


# --- the import service behind the page -------------------------------------------------------------


def _season(folder):
    """Twelve generated workbooks (24 forms, many with error findings), one to verify, one that is no workbook."""
    from helpers.workbook_builder import one_form
    from test_reading import BLANK_ACTUAL

    from perfcore import synth

    paths = synth.write_workbooks(24, 12, folder, seed=3)
    (folder / "未填完成值.xlsx").write_bytes(one_form(BLANK_ACTUAL))
    (folder / "坏文件.xlsx").write_bytes(b"this is not a workbook")
    return [*paths, folder / "未填完成值.xlsx", folder / "坏文件.xlsx"]


def _tuples(frame, *prefix) -> list[tuple]:
    plain = frame.astype(object).where(frame.notna(), None)  # NaN ≠ NaN; None == None
    return [(*prefix, *row) for row in plain.itertuples(index=False)]


def _everything(db) -> dict[str, list[tuple]]:
    """Every stored row that does not depend on when the import ran or on the ids it drew."""
    with Store(db) as store:  # not read-only: the app's connection to the file is read-write
        table = store.forms_table()
        keys = {int(v): (y, u, p) for v, y, u, p in table[["version_id", "year", "unit", "project"]]
                .itertuples(index=False)}
        return {
            "forms": sorted(_tuples(table.drop(columns=["version_id", "imported_at"])), key=repr),
            "findings": sorted(_tuples(store.findings().drop(columns=["version_id"])), key=repr),
            "indicators": sorted((row for v, key in keys.items() for row in _tuples(store.indicator_scores(v), key)),
                                 key=repr),
            "funds": sorted((row for v, key in keys.items() for row in _tuples(store.fund_lines(v), key)), key=repr),
            "imports": sorted(_tuples(store.imports_table().drop(columns=["import_id", "imported_at"])), key=repr),
        }


def test_the_page_and_the_command_line_store_identical_rows(app_db, tmp_path, caplog):
    """The same season's files through `python -m perfcore import` and through the page (worker
    processes both: 14 files): the same rows in both databases, the same error for the bad file."""
    import os
    import subprocess
    import sys

    from apphelp import ROOT

    from perfcore.reader import read_workbook

    files = _season(tmp_path / "season")
    cli_db = tmp_path / "cli.duckdb"
    cli = subprocess.run(
        [sys.executable, "-m", "perfcore", "import", *map(str, files), "--db", str(cli_db), "--user", "测试"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert cli.returncode == 1, cli.stderr  # one file could not be read
    message = str(read_workbook(files[-1]).error)
    assert message in cli.stderr

    at = _upload(open_page(), *[(p.name, p.read_bytes(), XLSX) for p in files])
    assert "14 个文件，25 张自评表，1 个文件无法读取" in texts(at) and message in texts(at)
    preview = at.dataframe[0].value
    assert preview["读取状态"].iloc[0] == "无法读取" and (preview["读取状态"] == "需核实").sum() == 1
    assert at.button[0].label != "导入选中的 25 张表"  # forms with errors, and the one to verify, not pre-ticked
    at.get("button_group")[0].set_value("全部").run()  # 预先勾选: every form
    at.text_input(key="import_user").set_value("测试").run()
    assert at.button[0].label == "导入选中的 25 张表"
    at.button[0].click().run()
    assert not at.exception
    assert texts(at).count("新增 ") == 13  # a line per stored file
    assert "import worker" not in caplog.text  # the page's worker processes did the reading
    page, command_line = _everything(app_db), _everything(cli_db)
    assert len(page["forms"]) == 25 and len(page["imports"]) == 13 and page["findings"] and page["indicators"]
    assert page == command_line


def test_a_scoring_error_is_reported_per_file_on_the_page_too(app_db, monkeypatch, request):
    """A scorer bug on one form: that file is listed with the service's message, the others go on
    (the page used to raise it, the command line to report it)."""
    from perfcore import ingest

    real = ingest.score_form

    def broken_for_training(form, policy=None):
        if form.project.value == "业务培训":
            raise ZeroDivisionError("division by zero")
        return real(form, policy)

    monkeypatch.setattr(ingest, "score_form", broken_for_training)
    # Uploads are read in worker processes only: forked now, the workers inherit the broken scorer.
    from ui import common

    pool = ingest.WorkerPool(2, method="fork")
    request.addfinalizer(pool.close)
    assert len(pool.ready()) == 2
    monkeypatch.setattr(common, "import_pool", lambda: pool)
    from helpers.workbook_builder import FormSpec, one_form

    at = _upload(open_page(), (SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), XLSX),
                 ("另一个.xlsx", one_form(FormSpec(project="另一个项目")), XLSX))
    page = texts(at)
    assert "Traceback" not in page
    assert "2 个文件，1 张自评表，1 个文件无法读取" in page
    assert f"文件“{SHEETS_WORKBOOK.name}”：评分时出错，本文件未导入：division by zero" in page
    assert at.dataframe[0].value["项目"].tolist() == ["", "另一个项目"]


def test_ticking_modes_and_picking_a_row_show_its_findings(app_db):
    at = _upload(open_page(), (SHEETS_WORKBOOK.name, SHEETS_WORKBOOK.read_bytes(), XLSX))
    picker = at.selectbox(key="detail_0")
    assert picker.value == 0 and len(picker.options) == 5 and picker.options[0].startswith("1. ")
    assert "规则 92.01（优）" in texts(at)  # the first row (the form with errors) is shown by default
    training = next(n for n, label in enumerate(picker.options) if label.endswith("业务培训"))
    picker.set_value(training).run()
    page = texts(at)
    assert "业务培训 · 上海市松江区行政服务中心 · 2021年" in page and "规则 100.00（优），自评 100.00" in page
    assert "规则 92.01（优）" not in page  # one form's findings at a time, no expander per form
    assert [e.label for e in at.expander] == ["读取报告：找到了哪些部分、在哪里、缺少什么"]
    assert "表头：" in at.text[0].value and "读取状态：完整" in at.text[0].value

    mode = at.get("button_group")[0]
    assert mode.options == ["按建议", "全部", "全不选"] and mode.value == "按建议"
    mode.set_value("全部").run()
    assert at.dataframe[0].value["导入"].all() and at.button[0].label == "导入选中的 5 张表"
    at.get("button_group")[0].set_value("全不选").run()
    assert not at.dataframe[0].value["导入"].any() and at.button[0].disabled


def test_the_page_keeps_one_worker_pool_and_releases_it_with_the_caches(app_db):
    import streamlit as st

    from ui import common

    open_page()
    pool = common.import_pool()
    assert common.import_pool() is pool and len(pool.ready()) == 2  # started by the page, kept across reruns
    st.cache_resource.clear()
    assert pool._executor is None  # on_release stopped its workers


# --- an account's scope in the preview ---------------------------------------------------------------

UNIT_A = "上海市松江区行政服务中心"  # the seed's unit, filed under the department of the same name
UNIT_B = "乙单位"
PASSWORD = "一个足够长的测试密码"


def _workbook(*forms) -> bytes:
    import io

    from perfcore.writer import write_forms

    out = io.BytesIO()
    write_forms(list(forms), out)
    return out.getvalue()


def _signed_in_upload(db, name: str, *files):
    at = open_page()
    at.text_input(key="signin_name").set_value(name)
    at.text_input(key="signin_password").set_value(PASSWORD)
    at.button[0].click().run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception and at.title[0].value == "上传与校验"
    return _upload(at, *files)


def test_a_scoped_preview_refuses_a_replacement_of_another_units_form_and_imports_the_rest(app_db, monkeypatch):
    """Issue 19: an uploader of department A brings a form naming unit B's project (same year +
    unit + project) under department A, beside one of its own. The preview marks B's form
    refused with the reason and leaves it out, even ticked by hand; the refusal is audited once;
    the other form imports; the files stay on the page; B's version is untouched."""
    import dataclasses

    from apphelp import seed

    from perfcore.accounts import Scope
    from perfcore.model import Text
    from perfcore.reader import read_workbook
    from perfcore.views import REFUSED_LABEL

    monkeypatch.setenv("PERFBOARD_SIGNIN_DELAY", "0")
    seed(app_db)
    seed(app_db, unit=Text(UNIT_B), department=Text("乙部门"))
    with Store(app_db) as store:
        store.add_account("甲部门填报", "uploader", Scope.of(departments=[UNIT_A]), password=PASSWORD, by="测试")
        b_before = store.forms_table().query("unit == @UNIT_B and project == '业务培训'")["version_id"].tolist()
    seed_forms = read_workbook(SHEETS_WORKBOOK).forms
    mine = dataclasses.replace(seed_forms[1], project=Text("新的培训项目"))
    theirs = dataclasses.replace(seed_forms[1], unit=Text(UNIT_B))  # department stays 甲's: inside the scope
    at = _signed_in_upload(app_db, "甲部门填报", ("混合.xlsx", _workbook(mine, theirs), XLSX))
    page = texts(at)
    preview = at.dataframe[0].value
    assert list(preview["项目"]) == ["业务培训", "新的培训项目"]  # refused first
    assert list(preview["状态"]) == [REFUSED_LABEL, "新表"] and list(preview["导入"]) == [False, True]
    reason = f"它会替换一张不在账号“甲部门填报”的单位范围（主管部门：{UNIT_A}）内的已导入自评表（年度、实施单位、项目名称相同）"
    assert preview["主要问题"].iloc[0] == reason
    assert "1 张表不能由账号“甲部门填报”导入" in page and f"2021年 {UNIT_B}·业务培训：{reason}" in page
    assert "不能导入 1 张" in page
    # ticking the refused row by hand does not make it importable
    at.session_state["pick_0_0_按建议"] = {"edited_rows": {0: {"导入": True}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.button[0].label == "导入选中的 1 张表"
    at.button[0].click().run()
    assert not at.exception
    page = texts(at)
    assert "文件“混合.xlsx”：新增 1 张，替换 0 张" in page
    assert [e.proto.label for e in at.get("page_link") if "部门总览" in e.proto.label]  # something was imported
    # the files stay: the same uploader, its preview now reading the imported form as stored
    assert len(at.file_uploader(key="uploader_0").value) == 1
    preview = at.dataframe[0].value
    assert list(preview["状态"]) == [REFUSED_LABEL, "已导入（内容相同）"] and not preview["导入"].any()
    with Store(app_db) as store:
        assert store.forms_table().query("unit == @UNIT_B and project == '业务培训'")["version_id"].tolist() == b_before
        assert len(store.history(2021, UNIT_B, "业务培训")) == 1
        assert "新的培训项目" in set(store.forms_table()["project"])
        refusals = store.audit_table(action="refuse")
        assert len(refusals) == 1  # recorded once, however often the page reran
        entry = refusals.iloc[0]
        assert (entry["user"], entry["file_name"], entry["forms"]) == ("甲部门填报", "混合.xlsx", f"2021年 {UNIT_B}·业务培训")
        assert reason in entry["detail"]


def test_a_unit_filed_under_another_department_is_refused_and_nothing_imported_keeps_the_files(app_db, monkeypatch):
    """An uploader of unit A files A's form under department 乙: refused in the preview (a unit's
    forms only under its own department). With nothing importable, no link to the overview."""
    import dataclasses

    from apphelp import seed

    from perfcore.accounts import Scope
    from perfcore.model import Text
    from perfcore.reader import read_workbook

    monkeypatch.setenv("PERFBOARD_SIGNIN_DELAY", "0")
    seed(app_db)
    with Store(app_db) as store:
        store.add_account("甲填报", "uploader", Scope.of(units=[UNIT_A]), password=PASSWORD, by="测试")
    stored = read_workbook(SHEETS_WORKBOOK).forms[1]
    moved = dataclasses.replace(stored, project=Text("另一个项目"), department=Text("乙部门"))
    moved_file = ("改部门.xlsx", _workbook(moved), XLSX)
    at = _signed_in_upload(app_db, "甲填报", moved_file)
    preview = at.dataframe[0].value
    assert preview["主要问题"].iloc[0] == (
        f"实施单位“{UNIT_A}”已导入的自评表归在主管部门“{UNIT_A}”下，本表填的是“乙部门”："
        "一个单位的自评表只能归在它自己的主管部门下，请核对表上的主管部门")
    assert not preview["导入"].any() and at.button[0].disabled
    # beside it a form stored already with the same content, ticked (全部): importing it stores nothing,
    # says so, and shows no link to imported projects; the files stay
    at.file_uploader(key="uploader_0").set_value([moved_file, ("原表.xlsx", _workbook(stored), XLSX)]).run()
    at.get("button_group")[0].set_value("全部").run()
    assert list(at.dataframe[0].value["导入"]) == [False, True] and at.button[0].label == "导入选中的 1 张表"
    at.button[0].click().run()
    assert not at.exception
    assert "文件“原表.xlsx”：新增 0 张，替换 0 张，1 张内容未变，未新建版本" in texts(at)
    assert not [e for e in at.get("page_link") if "部门总览" in e.proto.label]
    assert len(at.file_uploader(key="uploader_0").value) == 2
    with Store(app_db) as store:  # the same file chosen again is no new attempt: recorded once
        assert store.count_forms() == 5 and len(store.audit_table(action="refuse")) == 1
