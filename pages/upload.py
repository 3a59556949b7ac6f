"""上传与校验: read many workbooks, preview every form with its findings, import the chosen ones."""
from __future__ import annotations

import io
import streamlit as st

from perfcore import fmt, views
from perfcore.errors import StoreError, StoreLockedError
from perfcore.model import Scorecard
from perfcore.report import total_text
from perfcore.views import md_escape
from perfcore.writer import write_template
from ui import common

ROUND_KEY = "upload_round"      # bumping it gives a fresh (empty) uploader after an import
SUMMARY_KEY = "import_summary"  # what the last import did, shown once after the rerun


@st.cache_data(show_spinner=False, max_entries=200)
def read_file(name: str, content: bytes) -> views.CheckedFile:
    return views.check_file(name, content)


@st.cache_data(show_spinner=False)
def template_bytes() -> bytes:
    out = io.BytesIO()
    write_template(out)
    return out.getvalue()


def read_all(uploads: list) -> list[views.CheckedFile]:
    """Read every upload (cached by content) with a progress bar naming the file being read."""
    bar = st.progress(0.0, text="正在读取…")
    files = []
    for i, upload in enumerate(uploads):
        bar.progress(i / len(uploads), text=f"正在读取 {md_escape(upload.name)}（{i + 1}/{len(uploads)}）")
        files.append(read_file(upload.name, upload.getvalue()))
    bar.empty()
    return files


def show_form(card: Scorecard, status: str) -> None:
    """One form's preview: headline and its findings grouped by severity with their cells."""
    form = card.form
    counts = views.severity_counts(card.findings)
    label = (f"{md_escape(form.project.value) or '（未填项目名称）'} · {md_escape(form.unit.value)} · "
             f"{common.year_label(form.year)} — 规则 {total_text(card)}，"
             f"自评 {fmt.score(card.declared_total)} · {views.FORM_STATUS_LABELS.get(status, status)}")
    with st.expander(label, expanded=counts["error"] > 0 or not card.reading.complete):
        st.caption(f"工作表“{md_escape(form.source.sheet)}”，第 {form.source.first_row} 行起；"
                   f"错误 {counts['error']} 条，警告 {counts['warning']} 条，提示 {counts['info']} 条")
        common.reading_notice(card)
        if not card.findings:
            st.success("未发现问题。")
        for severity, title, table in views.findings_by_severity(card.findings):
            st.markdown(f"**{title}（{len(table)}）**")
            common.safe_table(table)


def do_import(store, files: list[views.CheckedFile], picked: set[tuple[int, int]]) -> list[tuple[bool, str]]:
    """Store the picked forms, one transaction per file; a failing file does not stop the others."""
    lines = []
    user = st.session_state.get(common.USER_KEY, "").strip()
    for n, f in enumerate(files):
        chosen = [(c.form, c) for i, c in enumerate(f.cards) if (n, i) in picked]
        if not chosen:
            continue
        try:
            report = store.import_forms(f.name, f.content, [form for form, _ in chosen],
                                        [c for _, c in chosen], user=user)
        except (StoreError, StoreLockedError) as exc:
            lines.append((False, f"文件“{f.name}”未导入：{exc}"))
            continue
        lines.append((True, views.import_summary(f.name, len(report.stored), len(report.replaced),
                                                 len(report.skipped))))
    return lines


store = common.start_page("上传与校验")

left, right = st.columns([3, 1])
left.markdown("把一个或多个 Excel 自评表（.xlsx / .xls / .ods）拖到下面。系统会读取每张表、按规则重新计分并列出审核发现，"
              "确认后点击“导入”保存到数据库。")
right.download_button("下载空白自评表模板", data=template_bytes(), file_name="财政项目支出绩效自评表模板.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      icon=":material/download:")

summary = st.session_state.pop(SUMMARY_KEY, [])
for ok, line in summary:
    (st.success if ok else st.error)(md_escape(line))
if summary:
    st.page_link("pages/department.py", label="去部门总览查看导入的项目", icon=":material/monitoring:")

uploads = st.file_uploader("选择或拖入自评表文件", type=["xlsx", "xlsm", "xls", "ods"], accept_multiple_files=True,
                           key=f"uploader_{st.session_state.get(ROUND_KEY, 0)}")
if not uploads:
    if store.count_forms() == 0:
        st.info("数据库还是空的：上传本单位的自评表，或先下载模板按格式填写。")
    st.stop()

files = read_all(uploads)
statuses = [[store.form_status(card.form) for card in f.cards] for f in files]
items = [views.PreviewItem(f.name, card, status)
         for f, row in zip(files, statuses) for card, status in zip(f.cards, row)]
index = [(n, i) for n, f in enumerate(files) for i in range(len(f.cards))]

n_forms = len(items)
n_bad = sum(1 for f in files if f.error)
st.subheader(f"读取结果：{len(files)} 个文件，{n_forms} 张自评表" + (f"，{n_bad} 个文件无法读取" if n_bad else ""))

picked: set[tuple[int, int]] = set()
if items:
    edited = st.data_editor(
        views.preview_frame(items), key=f"pick_{st.session_state.get(ROUND_KEY, 0)}", hide_index=True,
        disabled=[c for c in views.preview_frame([]).columns if c != "导入"],
        column_config={
            "导入": st.column_config.CheckboxColumn("导入", help="勾选要保存到数据库的表"),
            "年度": st.column_config.NumberColumn(format="%d"),
            "自评总分": st.column_config.NumberColumn(format="%.2f"),
            "规则总分": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    picked = {key for key, keep in zip(index, edited["导入"]) if keep}
    c1, c2 = st.columns([1, 3])
    c2.text_input("导入人（记入操作日志）", key=common.USER_KEY, placeholder="例如：张三")
    if c1.button(f"导入选中的 {len(picked)} 张表", type="primary", disabled=not picked, icon=":material/save:"):
        with st.spinner("正在导入…"):
            st.session_state[SUMMARY_KEY] = do_import(store, files, picked)
        common.clear_caches()
        st.session_state[ROUND_KEY] = st.session_state.get(ROUND_KEY, 0) + 1
        st.rerun()

for f, row in zip(files, statuses):
    st.markdown(f"#### :material/description: {md_escape(f.name)}")
    if f.error:
        st.error(f"{md_escape(str(f.error))}\n\n此文件未导入，其他文件不受影响。")
    for note in f.notes:
        st.caption(md_escape(note))
    for card, status in zip(f.cards, row):
        show_form(card, status)
