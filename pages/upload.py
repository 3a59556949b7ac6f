"""上传与校验: a season's workbooks read through the import service, one table of every form, import the chosen ones."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from perfcore import fmt, ingest, views
from perfcore.accounts import Permission
from perfcore.errors import StoreError, StoreLockedError
from perfcore.ingest import FilePreview, FormPreview
from perfcore.report import reading_text, total_text
from perfcore.views import md_escape
from perfcore.writer import write_template
from ui import common, teach

ROUND_KEY = "upload_round"         # bumping it gives a fresh (empty) uploader after an import
PICK_ROUND_KEY = "pick_round"      # bumping it alone gives fresh ticks, the files kept (after a refusal)
SUMMARY_KEY = "import_summary"     # what the last import did, shown once after the rerun
PREVIEWS_KEY = "upload_previews"   # upload file_id → FilePreview: each upload is read once per session
AUDITED_KEY = "upload_refusals_audited"  # (file SHA-256, reasons) whose refusal is in the audit trail already


@st.cache_data(show_spinner=False)
def template_bytes() -> bytes:
    out = io.BytesIO()
    write_template(out)
    return out.getvalue()


@st.cache_data(show_spinner=False)
def form_statuses(db: str, keys: tuple[tuple[tuple, str], ...]) -> list[str]:
    """new / same / changed per (form key, content hash); cached until the next write."""
    del db  # part of the cache key only
    return ingest.form_statuses(common.get_store(), keys)


def refusals(files: list[FilePreview]) -> list[list[str]]:
    """Why this account may not import each form ("" = it may), by the store's own rules; each
    file's refusal put in the audit trail once a session (the same bytes chosen again are not
    a new attempt)."""
    store = common.get_store()
    found = ingest.scope_refusals(store, files)
    audited: set = st.session_state.setdefault(AUDITED_KEY, set())
    new = [(f, reasons, (f.sha256, tuple(reasons))) for f, reasons in zip(files, found, strict=True)
           if any(reasons) and (f.sha256, tuple(reasons)) not in audited]
    if new:
        try:
            ingest.record_refusals(store, [f for f, _, _ in new], [r for _, r, _ in new], user=common.operator())
            audited.update(mark for _, _, mark in new)
        except StoreError as exc:  # a read-only or locked database: the refusal still shows, unrecorded
            st.warning(f"拒绝导入的记录未能写入操作日志：{md_escape(str(exc))}")
    return found


def read_uploads(uploads: list) -> list[FilePreview]:
    """Every upload read, checked and scored once (in the worker processes, with a progress bar);
    reruns (ticking a box, picking a row) take the previews kept in the session."""
    known: dict[str, FilePreview] = st.session_state.setdefault(PREVIEWS_KEY, {})
    new = [u for u in uploads if u.file_id not in known]
    if new:
        bar = st.progress(0.0, text=f"正在读取 {len(new)} 个文件…")

        def moved(done: int, total: int, name: str) -> None:
            bar.progress(done / total, text=f"已读取 {done}/{total}：{md_escape(name)}")

        previews = ingest.preview_files([(u.name, u.getvalue()) for u in new], pool=common.import_pool(),
                                        progress=moved, layouts=common.get_store().reading_layouts())
        bar.empty()
        known.update(zip((u.file_id for u in new), previews))
    current = {u.file_id for u in uploads}
    for stale in [k for k in known if k not in current]:
        del known[stale]
    return [known[u.file_id] for u in uploads]


def show_form(f: FilePreview, form: FormPreview, status: str) -> None:
    """One form's findings and reading report, its scorecard rebuilt from the previewed JSON."""
    card = form.scorecard()
    counts = views.severity_counts(card.findings)
    st.markdown(f"**{md_escape(form.project) or '（未填项目名称）'} · {md_escape(form.unit)} · "
                f"{common.year_label(form.year)}** — 规则 {md_escape(total_text(card))}，"
                f"自评 {md_escape(fmt.score(card.declared_total))} · {md_escape(status)}")
    st.caption(f"文件“{md_escape(f.name)}”工作表“{md_escape(form.sheet)}”，第 {form.first_row} 行起；"
               f"错误 {counts['error']} 条，警告 {counts['warning']} 条，提示 {counts['info']} 条")
    common.reading_notice(card)
    if not card.findings:
        st.success("未发现问题。")
    for _, title, table in views.findings_by_severity(card.findings):
        st.markdown(f"**{title}（{len(table)}）**")
        common.safe_table(table)
    with st.expander("读取报告：找到了哪些部分、在哪里、缺少什么"):
        st.text(reading_text(card))
    for note in f.notes:
        st.caption(md_escape(note))


def do_import(store, files: list[FilePreview], picked: dict[int, set[int]]) -> tuple[list[tuple[bool, str]], bool]:
    """Store the picked forms through the import service: each file whole or not at all.
    The lines to show (ok, text), and whether any form was stored or replaced."""
    user = common.operator()
    try:
        results = ingest.store_previews(store, [(files[i], forms) for i, forms in sorted(picked.items())], user=user)
    except (StoreError, StoreLockedError) as exc:
        return [(False, f"导入失败：{exc}")], False
    if not results:  # every ticked form was refused meanwhile (the table above says why)
        return [(False, "选中的表都不能导入，未导入任何表。")], False
    lines = [(False, str(r.error)) if r.error or r.report is None else
             (True, views.import_summary(r.name, len(r.report.stored), len(r.report.replaced), len(r.report.skipped)))
             for r in results]
    return lines, any(r.report is not None and (r.report.stored or r.report.replaced) for r in results)


store = common.start_page("上传与校验", Permission.UPLOAD)
common.import_pool()  # the workers start now, while the user is still choosing files

left, right = st.columns([3, 1])
left.markdown("把一个或多个 Excel 自评表（.xlsx / .xls / .ods）拖到下面。系统会读取每张表、按规则重新计分并列出审核发现，"
              "确认后点击“导入”保存到数据库。")
right.download_button("下载空白自评表模板", data=template_bytes(), file_name="财政项目支出绩效自评表模板.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/download:")

teach.notice()
summary, imported = st.session_state.pop(SUMMARY_KEY, ([], False))
for ok, line in summary:
    (st.success if ok else st.error)(md_escape(line))
if imported:
    st.page_link("pages/department.py", label="去部门总览查看导入的项目", icon=":material/monitoring:")

upload_round = st.session_state.get(ROUND_KEY, 0)
pick_round = st.session_state.get(PICK_ROUND_KEY, 0)
# no type=: the browser would refuse other files with an English message; the reader refuses them in Chinese
uploads = st.file_uploader("选择或拖入自评表文件", accept_multiple_files=True,
                           key=f"uploader_{upload_round}")
if not uploads:
    st.session_state.pop(PREVIEWS_KEY, None)
    if store.count_forms() == 0:
        st.info("数据库还是空的：上传本单位的自评表，或先下载模板按格式填写。")
    st.stop()

files = read_uploads(uploads)
flat = iter(form_statuses(common.data_key(), tuple((form.key, form.digest) for f in files for form in f.forms)))
statuses = [[next(flat) for _ in f.forms] for f in files]
refused = refusals(files)

n_forms = sum(len(f.forms) for f in files)
bad = [f for f in files if f.error is not None]
st.subheader(f"读取结果：{len(files)} 个文件，{n_forms} 张自评表" + (f"，{len(bad)} 个文件无法读取" if bad else ""))
if bad:
    st.error(f"以下 {len(bad)} 个文件无法读取，未导入，其他文件不受影响：\n\n"
             + "\n".join(f"- {md_escape(str(f.error))}" for f in bad))

n_refused = sum(bool(r) for reasons in refused for r in reasons)
if n_refused:
    who = common.account()
    st.error(f"以下 {n_refused} 张表不能由账号“{md_escape(who.name if who else '')}”导入，已标为“不能导入”且不会导入，"
             "其他表照常导入（此次拒绝已记入操作日志）：\n\n"
             + "\n".join(f"- {md_escape(f'{common.year_label(form.year)} {form.unit}·{form.project}：{reason}')}"
                         for f, reasons in zip(files, refused, strict=True)
                         for form, reason in zip(f.forms, reasons, strict=True) if reason))

mode = st.segmented_control(
    "预先勾选", views.PICK_MODES, default=views.PICK_MODES[0], required=True, key=f"mode_{upload_round}",
    help="按建议：新表和新版本中读取完整、没有错误的表；全部：除本次上传中重复的表以外都勾选；全不选：逐张勾选。")
frame = views.upload_frame(files, statuses, mode, refused)
attention = views.upload_counts(frame)
st.caption((f"需要留意：{attention}。" if attention else "")
           + "有问题的排在前面；点击列名可排序，勾选“导入”列选择要保存的表。")
edited = st.data_editor(
    frame, key=f"pick_{upload_round}_{pick_round}_{mode}", hide_index=True, column_order=views.UPLOAD_COLUMNS,
    placeholder="—",
    disabled=[c for c in frame.columns if c != "导入"],
    column_config={
        "导入": st.column_config.CheckboxColumn("导入", help="勾选要保存到数据库的表"),
        "序号": st.column_config.NumberColumn(help="下方“查看”按此序号选择一行"),
        "年度": st.column_config.NumberColumn(format="%d"),
        "自评总分": st.column_config.NumberColumn(format="%.2f"),
        "规则总分": st.column_config.NumberColumn(format="%.2f"),
        "主要问题": st.column_config.TextColumn(width="large"),
    },
)
# a refused form is never imported, even ticked by hand
chosen = frame[edited["导入"].to_numpy(dtype=bool) & (frame["_form"] >= 0).to_numpy() & ~frame["_refused"].to_numpy()]
picked: dict[int, set[int]] = {}
for i, k in zip(chosen["_file"], chosen["_form"]):
    picked.setdefault(int(i), set()).add(int(k))

c1, c2 = st.columns([1, 3])
if common.account() is None:
    c2.text_input("导入人（记入操作日志）", key=common.USER_KEY, placeholder="例如：张三")
else:
    c2.caption(f"导入人：{md_escape(common.operator())}（已登录账号，记入操作日志）")
if c1.button(f"导入选中的 {len(chosen)} 张表", type="primary", disabled=chosen.empty, icon=":material/save:"):
    with st.spinner("正在导入…"):
        lines, any_stored = do_import(store, files, picked)
    st.session_state[SUMMARY_KEY] = (lines, any_stored)
    common.clear_caches()
    if n_refused or not all(ok for ok, _ in lines):
        # after any refusal or failure the files stay, so nothing has to be chosen again; fresh ticks
        st.session_state[PICK_ROUND_KEY] = pick_round + 1
    else:
        st.session_state[ROUND_KEY] = upload_round + 1
        st.session_state.pop(PREVIEWS_KEY, None)
    st.rerun()

st.markdown("#### 查看一张表的审核发现和读取报告")
labels = views.upload_row_labels(frame)
first_form = next((n for n, k in enumerate(frame["_form"]) if k >= 0), 0)  # unreadable files are listed above
row_no = st.selectbox("选择表格中的一行（按序号，可输入项目名称查找）", range(len(frame)), index=first_form,
                      format_func=labels.__getitem__, key=f"detail_{upload_round}")
row: pd.Series = frame.iloc[row_no or 0]
shown = files[int(row["_file"])]
if int(row["_form"]) < 0:
    st.error(md_escape(str(shown.error)))
    for note in shown.notes:
        st.caption(md_escape(note))
    teach.offer(store, uploads[int(row["_file"])], shown, None, PREVIEWS_KEY)
else:
    show_form(shown, form := next(f for f in shown.forms if f.index == int(row["_form"])), row["状态"])
    teach.offer(store, uploads[int(row["_file"])], shown, form, PREVIEWS_KEY)
