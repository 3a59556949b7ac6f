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
    at.session_state["pick_0_按建议"] = {"edited_rows": {0: {"导入": True}}, "added_rows": [], "deleted_rows": []}
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
