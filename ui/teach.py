"""对照: staff teach the reader a template it cannot place, once, on 上传与校验; admins list,
delete and export the mappings on 数据管理.

The sheet is shown as printed (row numbers, column letters, what the reader found and what
the person chose marked); the person picks the indicator header row, the column of each field
and the budget / spent / total cells, all pre-filled from what the reader located. Saving
stores the mapping for the department (perfcore.store.layouts) and the uploads are read again
at once with it. A form read with a stored mapping says so and offers to undo it.
"""
from __future__ import annotations

import html
from typing import Any

import streamlit as st

from perfcore import ingest, layouts
from perfcore.errors import PermissionDenied, StoreError
from perfcore.ingest import FilePreview, FormPreview
from perfcore.layouts import CELL_ROLES, COLUMN_ROLES, Teaching, role_label
from perfcore.reader.grid import Grid, column_letter
from perfcore.views import md_escape
from ui import common

NOTICE_KEY = "teach_notice"    # what the last save or undo did, shown once after the rerun
GRIDS_KEY = "teach_grids"      # upload file_id → (WorkbookResult, {sheet: Grid}): each file read for 对照 once
TARGET_KEY = "teach_target"    # the (file, sheet) the 对照 form's widgets belong to
OPEN_KEY = "teach_open"        # the 对照 form is shown
DELETE_KEY = "teach_deleting"  # the mapping id waiting for its delete confirmation (数据管理)
MAX_ROWS, MAX_COLS = 150, 30   # of a sheet shown (forms are ~40 × 10)
NONE = ""                      # "no column" in the column pickers
WIDGETS = ("teach_row", "teach_dept", *(f"teach_col_{r}" for r in COLUMN_ROLES), *(f"teach_cell_{r}" for r in CELL_ROLES))
NEEDS_TEACHING = ("需核实", "无法计分")


def notice() -> None:
    """The result of the last save or undo (once)."""
    if done := st.session_state.pop(NOTICE_KEY, None):
        (st.success if done[0] else st.error)(done[1])


def _grids(upload: Any) -> tuple[Any, dict[str, Grid]]:
    known: dict[str, Any] = st.session_state.setdefault(GRIDS_KEY, {})
    if upload.file_id not in known:
        known.clear()  # one file at a time: grids are large
        # in one of the app's confined workers: the app never reads an untrusted file itself
        known[upload.file_id] = ingest.read_sheets((upload.name, upload.getvalue()), common.import_pool())
    return known[upload.file_id]


def _reread(previews_key: str) -> None:
    """Every upload is read again on the rerun, with the mappings as they now are."""
    st.session_state.pop(previews_key, None)
    st.session_state.pop(GRIDS_KEY, None)
    common.clear_caches()


def offer(store: Any, upload: Any, preview: FilePreview, form: FormPreview | None, previews_key: str) -> None:
    """Below one form's findings: the undo of the mapping it was read with, or the 对照 form when
    it reads 需核实 / 无法计分 (``form`` None: a file in which no form was found)."""
    sheet = form.sheet if form is not None else None
    used = preview.taught.get(sheet) if sheet is not None else None
    if used is not None:
        _undo_offer(store, used, previews_key)
        return
    if form is not None and form.state not in NEEDS_TEACHING:
        return
    if form is None and (preview.error is None or preview.error.code != "no_form"):
        return
    # A keyed toggle, not an expander: the page's first run after an upload draws a progress bar, so
    # the elements below it move by one on the next run and an expander would fold up again.
    if st.toggle("对照：告诉系统这张表的表头、各列和金额在哪里（约一分钟，同一模板以后自动识别）", key=OPEN_KEY):
        with st.container(border=True):
            _teach_form(store, upload, preview, form, previews_key)


def _undo_offer(store: Any, layout_id: int, previews_key: str) -> None:
    try:
        found = store.layout(layout_id)
    except StoreError:
        return
    st.info(f"本表按已保存的对照 #{layout_id} 读取（{md_escape(found['user'] or '（未填写）')} 于 "
            f"{found['created_at']:%Y-%m-%d %H:%M} 保存；{md_escape(layouts.describe(found['taught']))}）。"
            "读错了可以撤销这个对照，本次上传的文件会立即按原样重新读取。")
    if st.button(f"撤销对照 #{layout_id}", key=f"teach_undo_{layout_id}", icon=":material/undo:"):
        try:
            store.undo_layout(layout_id, user=common.operator())
        except (StoreError, PermissionDenied) as exc:
            st.session_state[NOTICE_KEY] = (False, f"撤销失败：{exc}")
        else:
            st.session_state[NOTICE_KEY] = (True, f"已撤销对照 #{layout_id}：之后的表不再按它读取，本次上传的文件已重新读取。")
        _reread(previews_key)
        st.rerun()


# --- the 对照 form -------------------------------------------------------------------------------


def _defaults(grid: Grid, form: Any) -> Teaching:
    """What the reader located, with a guessed header row and columns where it found none."""
    found = layouts.located(grid, form)
    if found.header_row is None:
        after = max((layouts.parse_cell(a1) or (0, 0))[0] for a1 in found.cells.values()) + 1 if found.cells else 0
        found.header_row = layouts.header_guess(grid, after) or layouts.header_guess(grid)
    if found.header_row is not None and len(found.columns) < 3:
        found.columns = {**layouts.column_guess(grid, found.header_row), **found.columns}
    return found


def _start(target: tuple[str, str], defaults: Teaching, department: str) -> None:
    """Fresh widgets, set to the defaults, whenever the 对照 form opens on another sheet."""
    if st.session_state.get(TARGET_KEY) == target:
        return
    for key in WIDGETS:
        st.session_state.pop(key, None)
    st.session_state[TARGET_KEY] = target
    st.session_state["teach_row"] = defaults.header_row or 1
    st.session_state["teach_dept"] = department
    for role in COLUMN_ROLES:
        st.session_state[f"teach_col_{role}"] = defaults.columns.get(role, NONE)
    for role in CELL_ROLES:
        st.session_state[f"teach_cell_{role}"] = defaults.cells.get(role, "")


def _row_label(grid: Grid, row: int) -> str:
    texts = [t for t in grid.texts[row - 1][:MAX_COLS] if t] if 0 < row <= grid.nrows else []
    shown = " | ".join(t.replace("\n", "")[:10] for t in texts[:8])
    return f"第 {row} 行：{shown}" if shown else f"第 {row} 行（空）"


def _chosen() -> Teaching:
    return Teaching(
        header_row=st.session_state.get("teach_row"),
        columns={r: st.session_state.get(f"teach_col_{r}") or "" for r in COLUMN_ROLES},
        cells={r: str(st.session_state.get(f"teach_cell_{r}") or "") for r in CELL_ROLES},
    )


def _teach_form(store: Any, upload: Any, preview: FilePreview, form: FormPreview | None, previews_key: str) -> None:
    result, grids = _grids(upload)
    read = {f.source.sheet: f for f in result.forms}
    sheets = list(grids)
    if not sheets:
        st.caption(md_escape(str(result.error)) if result.error is not None and result.error.code != "no_form"
                   else "这个文件里没有可以对照的工作表。")
        return
    sheet = form.sheet if form is not None and form.sheet in grids else None
    if sheet is None:
        sheet = st.selectbox("工作表", sheets, key="teach_sheet")
    grid = grids[sheet]
    located = read.get(sheet)
    department = located.department.value.strip() if located is not None else ""
    account = common.account()
    if not department and account is not None and len(account.effective_scope.departments) == 1:
        department = next(iter(account.effective_scope.departments))
    _start((upload.file_id, sheet), _defaults(grid, located), department)

    st.markdown("按下表核对系统的预填（蓝色是系统找到的位置，橙色是当前所选），改正不对的几项后点“保存对照”。"
                "保存后本次上传立即按对照重新读取；以后同一模板（表头和金额标签相同）的表自动按它读取。")
    rows = list(range(1, min(grid.nrows, MAX_ROWS) + 1))
    c1, c2 = st.columns([3, 2])
    c1.selectbox("指标表头所在的行（印有“三级指标”“分值”等列名的一行）", rows, key="teach_row",
                 format_func=lambda r: _row_label(grid, r))
    c2.text_input("主管部门（对照按主管部门保存）", key="teach_dept",
                  help="之后本部门上传的同一模板的表都按这个对照读取；管理员留空则适用于全部主管部门")
    header = st.session_state.get("teach_row") or 1
    width = min(max((grid.width(r) for r in range(grid.nrows)), default=0), MAX_COLS)
    letters = [NONE, *(column_letter(c) for c in range(width))]

    def column_name(letter: str) -> str:
        if letter == NONE:
            return "（无）"
        text = grid.text(header - 1, layouts.column_index(letter)).replace("\n", "")[:12]
        return f"{letter}：{text}" if text else letter

    st.markdown("**各列**（按所选表头行上的列名）")
    for place, role in zip(st.columns(4) * 2, COLUMN_ROLES, strict=True):
        current = st.session_state.get(f"teach_col_{role}", NONE)
        place.selectbox(role_label(role) + ("（必选）" if role in layouts.REQUIRED_COLUMNS else ""),
                        letters if current in letters else [*letters, current], key=f"teach_col_{role}",
                        format_func=column_name)
    st.markdown("**金额与总分单元格**（年度资金总额一行的全年预算数、全年执行数，以及自评总分；不需要的留空）")
    for place, role in zip(st.columns(3), CELL_ROLES, strict=True):
        place.text_input(role_label(role), key=f"teach_cell_{role}", placeholder="例如 D6")
    chosen = _chosen()
    st.html(sheet_html(grid, located.layout if located is not None else {}, chosen))
    who = common.operator()
    if not who:
        st.info("请先在上方“导入人”处填写姓名：对照记入操作日志，须写明由谁保存。")
    if st.button("保存对照并重新读取", key="teach_save", type="primary", icon=":material/save:", disabled=not who):
        _save(store, upload, grid, chosen, previews_key, located)


def _save(store: Any, upload: Any, grid: Grid, chosen: Teaching, previews_key: str, located: Any) -> None:
    taught, errors = layouts.check(grid, chosen)
    if taught is None:
        st.error("对照未保存：\n\n" + "\n".join(f"- {md_escape(e)}" for e in errors))
        return
    try:
        new_id = store.save_layout(
            department=str(st.session_state.get("teach_dept") or ""),
            unit=located.unit.value if located is not None else "",
            labels=layouts.signature(grid, taught), anchors=layouts.anchors_of(grid, taught), taught=taught,
            file_name=upload.name, sheet=grid.sheet, user=common.operator())
    except (StoreError, PermissionDenied) as exc:
        st.error(f"对照未保存：{md_escape(str(exc))}")
        return
    st.session_state[NOTICE_KEY] = (True, f"已保存对照 #{new_id}（{md_escape(layouts.describe(taught))}），"
                                          "本次上传的文件已按它重新读取，结果见下表。")
    st.session_state.pop(TARGET_KEY, None)
    _reread(previews_key)
    st.rerun()


# --- the sheet as printed -------------------------------------------------------------------------

_STYLE = """<style>
.teach-sheet{border-collapse:collapse;font-size:12px;font-family:sans-serif}
.teach-sheet td,.teach-sheet th{border:1px solid #d0d0d0;padding:2px 4px;max-width:14em;overflow:hidden;
white-space:nowrap;text-overflow:ellipsis}
.teach-sheet th{background:#f0f2f6;color:#555;font-weight:normal}
.teach-sheet tr.header td{background:#fff4d6}
.teach-sheet td.found{background:#dbeafe}
.teach-sheet td.chosen{outline:2px solid #f59e0b;outline-offset:-2px;font-weight:bold}
.teach-sheet .role{color:#b45309;font-size:11px}
</style>"""


def sheet_html(grid: Grid, found: dict[str, str], chosen: Teaching) -> str:
    """The sheet as a table with row numbers and column letters (text escaped): the reader's
    findings (``Form.layout``) in blue, the chosen header row, column headers and cells in orange."""
    width = min(max((grid.width(r) for r in range(grid.nrows)), default=0), MAX_COLS)
    marks: dict[tuple[int, int], list[str]] = {}
    for what, ref in found.items():
        place = layouts.parse_cell(ref.rsplit("!", 1)[-1].split(" ")[-1])
        if place is not None:
            marks.setdefault(place, []).append(f"系统找到：{what}")
    picked: dict[tuple[int, int], list[str]] = {}
    header = (chosen.header_row or 0) - 1
    for role, letter in chosen.columns.items():
        if letter:
            picked.setdefault((header, layouts.column_index(letter)), []).append(role_label(role))
    for role, a1 in chosen.cells.items():
        place = layouts.parse_cell(a1) if a1 else None
        if place is not None:
            picked.setdefault(place, []).append(role_label(role))
    out = [_STYLE, '<div style="max-height:480px;overflow:auto"><table class="teach-sheet"><tr><th></th>']
    out += [f"<th>{column_letter(c)}</th>" for c in range(width)]
    out.append("</tr>")
    for row in range(min(grid.nrows, MAX_ROWS)):
        out.append('<tr class="header">' if row == header else "<tr>")
        out.append(f"<th>{row + 1}</th>")
        for col in range(width):
            text = grid.text(row, col)
            classes, tips = [], []
            if (row, col) in marks:
                classes.append("found")
                tips += marks[(row, col)]
            roles = picked.get((row, col), [])
            if roles:
                classes.append("chosen")
                tips += [f"所选：{r}" for r in roles]
            badge = f'<span class="role">〔{html.escape("、".join(roles))}〕</span>' if roles else ""
            attrs = f' class="{" ".join(classes)}"' if classes else ""
            title = html.escape("；".join([text, *tips]) if text else "；".join(tips), quote=True)
            out.append(f'<td{attrs} title="{title}">{badge}{html.escape(text[:24])}</td>')
        out.append("</tr>")
    out.append("</table></div>")
    if grid.nrows > MAX_ROWS:
        out.append(f"<p>（只显示前 {MAX_ROWS} 行，共 {grid.nrows} 行）</p>")
    return "".join(out)


# --- 数据管理: the list, delete, export -------------------------------------------------------------


def admin_section(store: Any) -> None:
    """Every mapping; delete one (confirmed, audited); the labels as a synonyms.toml fragment."""
    import pandas as pd

    notice()
    items = store.layouts()
    if not items:
        st.caption("还没有保存的对照。工作人员在“上传与校验”中为读不全的表保存对照后，会列在这里。")
        return
    st.dataframe(pd.DataFrame([{
        "编号": it["id"], "主管部门": it["department"] or "（全部）", "对照": layouts.describe(it["taught"]),
        "来源": f"{it['file_name']} · {it['sheet']}", "保存人": it["user"], "保存时间": it["created_at"],
        "状态": "在用" if it["active"] else "已撤销"} for it in items]), hide_index=True, placeholder="—",
        column_config={"保存时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    by_id = {it["id"]: it for it in items}
    c1, c2 = st.columns([2, 1])
    chosen = c1.selectbox("对照", list(by_id), key="teach_admin_pick",
                          format_func=lambda i: f"#{i} {by_id[i]['department'] or '（全部）'} · {by_id[i]['file_name']}")
    if st.session_state.get(DELETE_KEY) == chosen:
        st.warning(f"确认删除对照 #{chosen}？删除后同一模板的表不再按它读取，已导入的表不受影响。")
        if not common.operator():
            st.info("请先在本页上方填写操作人：删除记入操作日志。")
        b1, b2 = st.columns(2)
        if b1.button("确认删除", key="teach_admin_confirm", type="primary", disabled=not common.operator()):
            st.session_state.pop(DELETE_KEY, None)
            try:
                store.delete_layout(chosen, user=common.operator())
                st.session_state[NOTICE_KEY] = (True, f"已删除对照 #{chosen}（操作人：{md_escape(common.operator())}）。")
            except (StoreError, PermissionDenied) as exc:
                st.session_state[NOTICE_KEY] = (False, str(exc))
            st.rerun()
        if b2.button("取消", key="teach_admin_cancel"):
            st.session_state.pop(DELETE_KEY, None)
            st.rerun()
    elif c2.button("删除此对照", key="teach_admin_delete", icon=":material/delete:"):
        st.session_state[DELETE_KEY] = chosen
        st.rerun()
    text = layouts.synonyms_toml([it for it in items if it["active"]])
    st.markdown("**导出为 synonyms.toml 片段**：在用对照里的列名和单元格标签（发布版已认识的除外），"
                "维护人员并入 perfcore/reader/synonyms.toml 后，发布版无需对照即可识别这些模板。")
    if text:
        st.code(text, language="toml")
        st.download_button("下载 synonyms.toml 片段", data=text.encode("utf-8"), file_name="synonyms-对照.toml",
                           mime="application/toml", icon=":material/download:", key="teach_admin_export")
    else:
        st.caption("在用的对照没有发布版不认识的标签。")
