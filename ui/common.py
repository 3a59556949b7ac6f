"""Helpers every page shares: the one Store, cached reads, the 元/万元 switch, the form picker.

Why: pages stay thin and never copy each other; one Store per process (DuckDB allows
one writer), read caches that an import clears so every page shows new data at once.
"""
from __future__ import annotations

import importlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from perfcore import fmt, markup, vocab
from perfcore.accounts import Account, Permission
from perfcore.errors import StoreError, StoreLockedError
from perfcore.exports.excel import XLSX_MIME
from perfcore.exports.pdf import PDF_MIME
from perfcore.exports.words import policy_label as words_policy_label
from perfcore.ingest import WorkerPool
from perfcore.model import Form, Scorecard
from perfcore.policy import DEFAULT_POLICY
from perfcore.scoring import rules_version, score_form
from perfcore.store import Filters, Store, default_db_path
from perfcore.views import md_escape
from ui import static

UPLOAD_PAGE = "pages/upload.py"
SCORECARD_PAGE = "pages/scorecard.py"
DEPARTMENT_PAGE = "pages/department.py"
WHATIF_PAGE = "pages/whatif.py"
MANAGE_PAGE = "pages/manage.py"
MONEY_UNIT_KEY = "money_unit"
USER_KEY = "import_user"  # the operator's name typed in single-user mode, shared by the upload and manage pages
MODE_KEY = "_auth_mode"  # LOCAL (no account exists), SIGNED_IN or ANONYMOUS: set by ui.auth.resolve each run
ACCOUNT_KEY = "_account"  # the signed-in perfcore.accounts.Account
LOCAL, SIGNED_IN, ANONYMOUS = "local", "signed_in", "anonymous"
MENU_KEY = "_menu"  # the addresses the menu shows this visitor (app_pages; tests read it)
PIN_KEY = "_pinned_version"
PAGE_KEY = "_page_title"  # the page this session runs now (start_page sets it)
# The policy the scorecard scores by and a rescore from the app uses: the department page's
# stored scores agree with the scorecard when they were computed by it under today's rules.
APP_POLICY = DEFAULT_POLICY
_warmed = False  # the chart module's background import has been started (mark_app_started)
# Session state: this session has run app.py (mark_app_started). Per session, not per process:
# sessions opened together right after a server start run their deep links without app.py while
# another session's app.py run may already have set a process-wide flag.
VIA_APP_KEY = "_via_app"
TIMING_ENV = "PERFBOARD_TIMING"  # a file: app.py appends each script run's server time to it (bench/browser.py)


# --- navigation and page start ----------------------------------------------------------


# (page file, title, icon, address, what a role needs to see it), in menu order
PAGES: tuple[tuple[str, str, str, str, Permission], ...] = (
    (UPLOAD_PAGE, "上传与校验", ":material/upload_file:", "upload", Permission.UPLOAD),
    (SCORECARD_PAGE, "项目评分卡", ":material/assignment:", "scorecard", Permission.READ),
    (DEPARTMENT_PAGE, "部门总览", ":material/monitoring:", "department", Permission.READ),
    (WHATIF_PAGE, "模拟测算", ":material/calculate:", "whatif", Permission.READ),
    (MANAGE_PAGE, "数据管理", ":material/database:", "manage", Permission.MANAGE),
)


def mode() -> str:
    """LOCAL, SIGNED_IN or ANONYMOUS for this run (LOCAL until ui.auth.resolve says otherwise)."""
    return st.session_state.get(MODE_KEY, LOCAL)


def account() -> Account | None:
    """The signed-in account (None in single-user mode and for anonymous visitors)."""
    return st.session_state.get(ACCOUNT_KEY) if mode() == SIGNED_IN else None


def allowed(permission: Permission) -> bool:
    """Whether this visitor may use what ``permission`` covers (single-user mode: everything)."""
    current = account()
    return mode() == LOCAL or (current is not None and current.can(permission))


def go_to(page: str, action: str) -> str:
    """A sentence sending this visitor to ``page`` (MANAGE_PAGE, …) to ``action`` ("重新评分"), or, when
    the role may not open that page, saying who can (a viewer is never sent to a page they cannot open)."""
    title, need = next((title, need) for path, title, _, _, need in PAGES if path == page)
    if allowed(need):
        return f"请到“{title}”页{action}。"
    who = "管理员" if need is Permission.MANAGE else "有上传权限的同事或管理员"
    return f"如需{action}，请联系{who}（您的账号不能使用“{title}”页）。"


def operator() -> str:
    """Who the audit trail names: the signed-in account, else the name typed (spaces trimmed, "" for none)."""
    current = account()
    return current.name if current is not None else str(st.session_state.get(USER_KEY) or "").strip()


def _start() -> None:
    """The app's root address: the sign-in form for anonymous visitors, else the first page the
    role may use, at its own address (query parameters kept)."""
    if mode() == ANONYMOUS:
        from ui import auth

        auth.sign_in_page()
        return
    first = next(path for path, *_, need in PAGES if allowed(need))
    try:
        st.switch_page(first, query_params=st.query_params.to_dict())
    except StreamlitAPIException:  # a parameter bound to a widget (部门总览's filters) cannot be passed on
        st.switch_page(first, query_params={})


NOT_FOUND_TITLE = "找不到页面"
NOT_FOUND_KEY = "_not_found_address"  # the unknown address this session opened (its 找不到页面 page's address)


def asked_address() -> str:
    """The address the browser opened, as Streamlit resolves pages by it ("abc" for /abc), or "" for
    the root and for a run asked by page (a menu click, a rerun).

    Streamlit offers no public reading of it; this reads its page manager, and gives "" when a
    Streamlit version has none (then an unknown address shows Streamlit's own dialog again: the
    browser test of an unknown address says so).
    """
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    manager = getattr(get_script_run_ctx(), "pages_manager", None)
    if manager is None or getattr(manager, "intended_page_script_hash", None):
        return ""
    return str(getattr(manager, "intended_page_name", None) or "").strip("/")


def _not_found() -> None:
    """An address no page has (a mistyped or old link): said in Chinese, with the way on.

    Why a page and not Streamlit's fallback: for an unknown address Streamlit runs the default
    page under an English "Page not found … Running the app's main page." dialog.
    """
    st.session_state[PAGE_KEY] = NOT_FOUND_TITLE
    st.title(NOT_FOUND_TITLE)
    st.warning(f"本看板没有地址为“/{md_escape(st.session_state.get(NOT_FOUND_KEY, ''))}”的页面：链接可能输错了，或者来自旧版本。"
               + ("请先登录，再从左侧菜单选择页面。" if mode() == ANONYMOUS else "请从左侧菜单选择要打开的页面。"))
    if mode() == ANONYMOUS:
        from ui import auth

        auth.sign_in_page()
        return
    first = next(((path, title, icon) for path, title, icon, _, need in PAGES if allowed(need)), None)
    if first is not None:
        st.page_link(first[0], label=f"打开{first[1]}", icon=first[2])


def app_pages(other_addresses: Iterable[str] = ()) -> list[st.Page]:
    """The five pages, in menu order, each at the address of its file (/upload, /scorecard, ...);
    the menu shows those the role may use (an anonymous visitor: only 登录).

    An address no page has gets a hidden page of its own that says so in Chinese (_not_found);
    ``other_addresses`` are those of pages app.py registers beside these (the first-run /setup).

    Why the hidden start page: Streamlit serves the default page at "/" only, so with the
    upload page as default a bookmarked /upload was "Page not found"; the root now switches
    to the upload page instead. Pages outside the role stay registered but hidden, so their
    addresses show a Chinese refusal (start_page) instead of Streamlit's English "not found".
    """
    anonymous = mode() == ANONYMOUS
    st.session_state[MENU_KEY] = [url for _, _, _, url, need in PAGES if allowed(need) and not anonymous]
    pages = [st.Page(_start, title="登录" if anonymous else "开始", icon=":material/login:", url_path="start",
                     default=True, visibility="visible" if anonymous else "hidden")]
    pages += [st.Page(path, title=title, icon=icon, url_path=url,
                      visibility="visible" if allowed(need) and not anonymous else "hidden")
              for path, title, icon, url, need in PAGES]
    # the addresses from PAGES, not the Page objects: a worker process re-runs app.py without Streamlit,
    # where a Page has no url_path
    asked, known = asked_address(), {url for _, _, _, url, _ in PAGES} | set(other_addresses)
    if asked and "/" not in asked and asked not in known:
        st.session_state[NOT_FOUND_KEY] = asked
    # registered again on every run of the session: a rerun (a widget, the sign-in cookie) asks for the
    # page by its hash, not its address, and the page's hash is its address's
    missing = st.session_state.get(NOT_FOUND_KEY)
    if missing and missing not in known:
        pages.append(st.Page(_not_found, title=NOT_FOUND_TITLE, icon=":material/help:", url_path=missing,
                             visibility="hidden"))
    return pages


ICON = Path(__file__).resolve().parent / "icon.png"


def page_config() -> None:
    """Title, local icon and wide layout. The icon is a file the app serves: a ":material/…" page_icon
    (or a page's icon when none is set) makes the browser fetch the favicon from fonts.gstatic.com."""
    st.set_page_config(page_title="绩效自评看板", page_icon=str(ICON), layout="wide")


def _warm_charts() -> None:
    importlib.import_module("ui.charts")
    from perfcore.exports import charts_svg

    charts_svg.warm_up()


def mark_app_started() -> None:
    """Called by app.py at the start of every run: this session runs its pages through app.py.

    The first call also imports the chart module (Altair: ≈1 s, 3 s under load) and starts the
    chart drawer's JavaScript engine (≈0.4 s) in a thread, so the first leader to open a page with
    charts does not wait for them; Python's import lock makes a page that needs the module
    meanwhile wait for that one import instead of starting another.
    """
    global _warmed
    if not _warmed:
        _warmed = True
        threading.Thread(target=_warm_charts, name="perfboard-warm-charts", daemon=True).start()
    st.session_state[VIA_APP_KEY] = True


def start_page(title: str, need: Permission = Permission.READ) -> Store:
    """Every page's first line: make sure app.py is in charge, check who may see it, show the
    title, return the Store (as the signed-in account sees it).

    An anonymous visitor gets the sign-in form at any address; an account whose role lacks
    ``need`` gets a Chinese refusal and nothing of the page.

    Why: Streamlit treats a folder named ``pages/`` as the old multipage layout until
    ``st.navigation`` has run once in the process. So the first request after a server
    start that is a deep link (``/scorecard?v=3``) would run the page without app.py (no
    sidebar, no wide layout). Registering the same pages and rerunning hands the request
    to app.py; the page and its query parameters are kept. Decided per session (not once per
    process): of several sessions opening deep links at once after a start, each one that has
    not run app.py is handed over, even when another session's app.py has run meanwhile.
    """
    if not st.session_state.get(VIA_APP_KEY):
        page_config()  # before st.navigation: else the browser fetches the page's icon as favicon from Google
        st.navigation(app_pages(), position="hidden")
        st.rerun()
    if mode() == ANONYMOUS:
        from ui import auth

        auth.sign_in_page()
        st.stop()
    current = account()
    if not allowed(need) and current is not None:
        st.error(f"账号“{md_escape(current.name)}”（{current.role.label}）无权使用“{title}”页面。如需此权限，请联系管理员。")
        st.stop()
    st.session_state[PAGE_KEY] = title
    st.title(title)
    return get_store()


@contextmanager
def timed_run(page: Any) -> Iterator[None]:
    """With env PERFBOARD_TIMING=<file>, append one JSON line per script run (page, seconds, outcome).

    Why: bench/browser.py reads the server's own time per run beside what the browser waits
    for. Off by default (one environment lookup); a rerun or stop is logged with its outcome.
    """
    path = os.environ.get(TIMING_ENV)
    if not path:
        yield
        return
    start, outcome = time.perf_counter(), "ok"
    try:
        yield
    except BaseException as exc:  # st.rerun / st.stop end a run by raising: log them, then let them go
        outcome = type(exc).__name__
        raise
    finally:
        ctx = st.runtime.scriptrunner.get_script_run_ctx()
        line = {"page": getattr(page, "title", None), "seconds": round(time.perf_counter() - start, 4), "outcome": outcome,
                "session": ctx.session_id if ctx else None, "end": time.time()}
        # one write of the whole line to a file opened for appending: a reader (bench/browser.py) sees
        # whole lines only, and the first line creates the file, so the file's existence is the signal
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8"))
        finally:
            os.close(fd)


# --- the store and cached reads ------------------------------------------------------


def db_path() -> str:
    """The database file of this process (env PERFBOARD_DB or data/perfboard.duckdb)."""
    return str(default_db_path())


@st.cache_resource(show_spinner=False)
def _open_store(path: str) -> Store:
    return Store(path)


def data_key() -> str:
    """What the cached reads are kept by: the database file and who reads it (each account's scope
    has its own entries, so one person's cached figures never reach another)."""
    current = account()
    who = "" if current is None else f"|{current.name}|{current.role.name}|{sorted(current.effective_scope.units)}" \
        f"|{sorted(current.effective_scope.departments)}"
    return db_path() + who


def get_store() -> Store:
    """The Store as this visitor may use it: the signed-in account's view, the whole database in
    single-user mode; an anonymous visitor gets nothing (the page stops)."""
    store = base_store()
    if mode() == ANONYMOUS:
        st.stop()
    return store.as_user(account())


def base_store() -> Store:
    """The process-wide Store, unrestricted (sign-in needs it); a locked database stops the page
    with a Chinese explanation."""
    try:
        return _open_store(db_path())
    except StoreLockedError as exc:
        st.error(str(exc))  # vocab.LOCKED_MESSAGE and the file
        st.info("请先停止命令行导入或另一个正在运行的看板，然后刷新本页面。")
        st.stop()
        raise  # st.stop() raises; this line keeps type checkers calm
    except StoreError as exc:
        st.error(f"无法打开数据库：{exc}")
        st.stop()
        raise


def _close_pool(pool: WorkerPool) -> None:
    pool.close()


@st.cache_resource(show_spinner=False, on_release=_close_pool)
def import_pool() -> WorkerPool:
    """The process-wide import workers (perfcore.ingest.WorkerPool), started at once.

    Why: reading and scoring a season's upload takes CPU seconds; worker processes keep it
    off the server's threads and use every core. Their start-up (a forkserver, then one
    process a core) is paid once per server, while the user is still choosing files.
    """
    pool = WorkerPool()
    pool.executor()
    return pool


def clear_caches() -> None:
    """After any write (import, delete, restore, rescore): every page must show the new state."""
    st.cache_data.clear()
    _query.clear()


# Why cache_resource: st.cache_data pickles a result when stored and unpickles a copy on every
# read, which for a year's 20,000-row forms table costs more than the query (≈0.1 s a read, 1 s
# to store at 100,000 forms). These results are shared read-only by every session (pandas
# copy-on-write keeps derived frames from writing back), keyed by immutable filter tuples and
# dropped only by clear_caches. max_entries bounds the memory of many filter combinations.
@st.cache_resource(show_spinner=False, max_entries=256)
def _query(db: str, method: str, filters: tuple, kwargs: tuple) -> Any:
    del db  # part of the cache key only: each database file has its own entries
    return getattr(get_store(), method)(Filters(*filters), **dict(kwargs))


def _key(value: Any) -> Any:
    """A filter value as an immutable, hashable cache key part (lists become tuples)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def query(method: str, filters: Filters | None = None, **kwargs: Any) -> Any:
    """A cached Store read that takes Filters (forms_table, dept_summary, deductions, ...).

    Cached until the next write (clear_caches), so pages rerun without touching DuckDB. The
    result is shared by every session: read it, never change it in place.
    """
    return _query(data_key(), method, tuple(_key(v) for v in astuple(filters or Filters())),
                  tuple(sorted((k, _key(v)) for k, v in kwargs.items())))


def forms(filters: Filters | None = None) -> pd.DataFrame:
    """Current form versions matching the filters."""
    return query("forms_table", filters)


def has_forms() -> bool:
    """Whether the database holds any current form (a cached count, not the forms table)."""
    return bool(query("count_forms"))


def choices(column: str, filters: Filters | None = None) -> list:
    """The distinct values of year / department / unit / project / grade among the selected forms.

    Sorted, blank (None) last; years as int. For selectors: a cached GROUP BY, not the forms table.
    """
    values = query("distinct_values", filters, column=column)[column]
    return [None if pd.isna(v) else (int(v) if column == "year" else v) for v in values]


def count_forms(filters: Filters | None = None) -> int:
    """How many current forms the filters select (cached)."""
    return int(query("count_forms", filters))


@st.cache_data(show_spinner=False)
def _scorecard(db: str, version_id: int) -> Scorecard:
    del db
    return score_form(get_store().load_form(version_id), APP_POLICY)


def scorecard(version_id: int) -> Scorecard:
    """The stored form of a version scored now under the app's policy (cached)."""
    return _scorecard(data_key(), int(version_id))


@st.cache_data(show_spinner=False)
def _score_status(db: str) -> dict[str, Any]:
    del db
    return get_store().score_status(APP_POLICY.name, rules_version(APP_POLICY))


def score_status() -> dict[str, Any]:
    """How many stored versions were scored by older rules or another policy (cached until a write)."""
    return _score_status(data_key())


@st.cache_data(show_spinner=False)
def _scored_by(db: str, version_id: int) -> tuple[str | None, str | None]:
    del db
    info = get_store().version_info(version_id)
    return info["policy"], info["rules_version"]


def policy_label(name: str) -> str:
    """A policy's Chinese label (perfcore.exports.words.policy_label: one wording in the app and the reports)."""
    return words_policy_label(name)


def stale_scores_notice(version_id: int | None = None) -> None:
    """Say when stored scores were computed by older rules or another policy, and offer the rescore.

    Without a version: the current forms (部门总览's figures); with one: that version (项目评分卡,
    which scores live, so it is the department page that would show other numbers for it).
    """
    if version_id is None:
        status = score_status()
        n = status["n_current_stale"]
        if not n:
            return
        others = [policy_label(p) for p in status["stale_policies"] if p and p != APP_POLICY.name]
        by = "旧版评分规则" + (f"或其他评分规则（{'、'.join(others)}）" if others else "")
        st.warning(f"**得分需要重新计算**：{n} 张当前自评表的规则得分、等级和审核意见是按{by}保存的，"
                   "本页的平均分、等级统计和扣分可能与项目评分卡（按现行规则即时计算）不一致。"
                   + go_to(MANAGE_PAGE, "重新评分"))
    else:
        policy, version = _scored_by(data_key(), int(version_id))
        if (policy, version) == (APP_POLICY.name, rules_version(APP_POLICY)):
            return
        by = "旧版评分规则" if policy in (None, APP_POLICY.name) else f"评分规则“{policy_label(policy)}”"
        st.warning(f"**得分需要重新计算**：数据库中本版本的得分是按{by}保存的，部门总览中本项目的得分和等级"
                   "可能与本页（按现行规则即时计算）不一致。" + go_to(MANAGE_PAGE, "重新评分"))
    if allowed(Permission.MANAGE):
        st.page_link(MANAGE_PAGE, label="去数据管理页重新评分", icon=":material/refresh:")


def load_form(version_id: int) -> Form:
    """The stored form of a version, read from the cached scorecard."""
    return scorecard(version_id).form


# --- reports to hand round (perfcore.exports) ----------------------------------------------
#
# PDFs take seconds (WeasyPrint lays out every page, vl-convert draws the charts), so a page
# builds one only when asked, once per version or filters and money unit (cached until a write).

REPORTS_KEY = "_reports_ready"  # the (report, selection) pairs this session asked for


# A report names who made it (perfcore.exports.stamp): the signed-in name, or the name typed in
# single-user mode (未记录 when none: the server's OS user is not the reader); the cache is per
# user too, and its time is when the bytes were built.


@st.cache_data(show_spinner=False, max_entries=64)
def _scorecard_pdf(db: str, version_id: int, unit: str, user: str) -> bytes:
    from perfcore.exports.scorecard import scorecard_pdf
    from perfcore.exports.stamp import Stamp

    return scorecard_pdf(_scorecard(db, version_id), unit, made=Stamp(user))


@st.cache_data(show_spinner=False, max_entries=64)
def _scorecard_xlsx(db: str, version_id: int, user: str) -> bytes:
    from perfcore.exports.excel import scorecard_workbook
    from perfcore.exports.stamp import Stamp

    return scorecard_workbook(_scorecard(db, version_id), made=Stamp(user))


@st.cache_data(show_spinner=False, max_entries=16)
def _department_report(db: str, kind: str, filters: tuple, unit: str, user: str) -> bytes:
    from perfcore.exports.department import department_data, department_html
    from perfcore.exports.excel import department_workbook
    from perfcore.exports.pdf import html_to_pdf
    from perfcore.exports.stamp import Stamp

    del db  # cache key only
    data, made = department_data(get_store(), Filters(*filters)), Stamp(user)
    return (html_to_pdf(department_html(data, unit, made=made)) if kind == "pdf"
            else department_workbook(data, unit, made=made))


def scorecard_pdf(version_id: int, unit: str) -> bytes:
    """The scorecard report of a version as PDF (cached per version, money unit and user)."""
    return _scorecard_pdf(data_key(), int(version_id), unit, operator())


def scorecard_xlsx(version_id: int) -> bytes:
    """The scorecard Excel export of a version (official layout, 评分明细, 审核发现; cached)."""
    return _scorecard_xlsx(data_key(), int(version_id), operator())


def department_report(kind: str, filters: Filters, unit: str) -> bytes:
    """The department overview of these filters as "pdf" or "xlsx" bytes (cached)."""
    return _department_report(data_key(), kind, astuple(filters), unit, operator())


def report_download(place: Any, name: str, kind: str, build: Callable[[], bytes], selection: object,
                    file_name: str) -> None:
    """A report built only when asked: “生成{name}” first, then “下载{name}” for this selection.

    ``kind`` is "pdf" or "xlsx"; ``selection`` (version or filters, and unit) says when a
    built report still fits: a new selection asks again, the same one stays ready.
    """
    ready = st.session_state.setdefault(REPORTS_KEY, set())
    token = (name, repr(selection))
    slot = place.empty()  # the 生成 button, then the spinner, then the download: one at a time
    if token not in ready:
        if not slot.button(f"生成{name}", key=f"make:{name}", icon=":material/description:"):
            return
        ready.add(token)
    with slot, st.spinner(f"正在生成 {'PDF' if kind == 'pdf' else 'Excel'}…"):
        data = build()
    slot.download_button(f"下载{name}", data=data, file_name=file_name, key=f"get:{name}",
                         mime=PDF_MIME if kind == "pdf" else XLSX_MIME, icon=":material/download:")


# --- sidebar and small widgets --------------------------------------------------------


# Streamlit built-ins without Chinese text (1.67 offers no option for these): the element
# toolbar of charts and tables (Show data / Download as PNG / Copy Vega-Lite spec / Search /
# Fullscreen) is hidden; the file uploader's Upload / Drag and drop / 20MB per file texts and the
# keyboard's "Skip to main content" link are replaced with Chinese ones. The main menu is off in
# .streamlit/config.toml (toolbarMode).
_CHINESE_ONLY_CSS = """
<style>
[data-testid="stElementToolbar"] { display: none !important; }
[data-testid="stFileUploaderDropzoneInstructions"] span,
[data-testid="stFileUploaderDropzoneInstructions"] small { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "把文件拖到这里，或点击“选择文件”；每个文件不超过 %(mb)s MB（XLSX、XLSM、XLS、ODS）";
  font-size: 0.875rem; color: rgba(49, 51, 63, 0.6);
}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] {
  display: none;
}
[data-testid="stFileUploaderDropzone"] button[data-testid="stBaseButton-secondary"]::after { content: "选择文件"; }
a[data-testid="stSkipToContent"] { font-size: 0; }
a[data-testid="stSkipToContent"]::after { content: "跳到正文"; font-size: 1rem; }
</style>
"""


def chinese_only() -> None:
    """Hide or replace the English texts of Streamlit's built-ins (called by app.py on every run)."""
    st.html(_CHINESE_ONLY_CSS % {"mb": st.get_option("server.maxUploadSize")})


def sidebar() -> None:
    """The global 元/万元 switch (its value lives in session state for every page, and in the address
    as ?money_unit=万元 so a view can be bookmarked or sent) and who is signed in.

    The database file is not named here (a leader has no use for a server path; 数据管理 shows it).
    """
    from ui import auth

    with st.sidebar:
        auth.cookie_element()
        auth.sidebar_status()
        if mode() == ANONYMOUS:
            return
        bad = _money_from_address()
        st.session_state.setdefault(MONEY_UNIT_KEY, "元")
        unit = st.segmented_control("金额单位", list(fmt.MONEY_UNITS), required=True, key=MONEY_UNIT_KEY,
                                    help="所有页面的金额按此单位显示")
        if bad is not None and (unit or "元") == "元":  # a unit chosen meanwhile replaces the wrong one
            st.warning(f"链接中的金额单位“{md_escape(bad)}”无效（可选：{'、'.join(fmt.MONEY_UNITS)}），已按元显示。")
        _money_to_address(unit or "元")


MONEY_LINK_KEY = "_money_link"  # the 金额单位 as the sidebar last wrote it to the address


def _money_from_address() -> str | None:
    """A 金额单位 the address names (a link, a bookmark, back / forward) and the sidebar did not write:
    chosen before the switch is drawn. Returns the value when it is no unit (the caller says so).

    Why not bind="query-params": a bound parameter on every page makes st.switch_page raise
    ("Cannot clear query parameters") whenever the address carries it.
    """
    asked = st.query_params.get(MONEY_UNIT_KEY)
    if asked is None or asked == st.session_state.get(MONEY_LINK_KEY):
        return None
    if asked not in fmt.MONEY_UNITS:  # kept in the address (and the note on the page) until a unit is chosen
        return asked
    st.session_state[MONEY_UNIT_KEY] = asked
    return None


def _money_to_address(unit: str) -> None:
    """The address names the unit shown (元, the default, is left out), so a view can be sent as it is."""
    if unit == "元":
        if st.query_params.get(MONEY_UNIT_KEY) in fmt.MONEY_UNITS:
            del st.query_params[MONEY_UNIT_KEY]
    elif st.query_params.get(MONEY_UNIT_KEY) != unit:
        st.query_params[MONEY_UNIT_KEY] = unit
    st.session_state[MONEY_LINK_KEY] = unit


FILTERS_KEY = "pb-filters"  # a page's filter row: its container's CSS class st-key-pb-filters (ui/static.py)


def filter_area() -> Any:
    """The container of a page's filters: on a phone they sit two to a row (ui/static.CSS), not one a screen."""
    return st.container(key=FILTERS_KEY)


def money_unit() -> str:
    """The display unit chosen in the sidebar (元 until the user switches)."""
    unit = st.session_state.get(MONEY_UNIT_KEY) or "元"
    return unit if unit in fmt.MONEY_UNITS else "元"


def empty_state(what: str) -> None:
    """An empty database: say what to do and link to the upload page."""
    current = account()
    where = "您的单位范围内" if current is not None and not current.effective_scope.everything else "数据库里"
    uploads = allowed(Permission.UPLOAD)
    st.info(f"{where}还没有自评表，{what}需要先导入数据。" + ("" if uploads else go_to(UPLOAD_PAGE, "导入自评表")))
    if uploads:
        st.page_link(UPLOAD_PAGE, label="去上传与校验页面导入自评表", icon=":material/upload_file:")


def show_text(label: str, value: str) -> None:
    """A labelled piece of form text shown literally (escaped, never HTML or markdown)."""
    st.markdown(f"**{label}**")
    st.markdown(md_escape(value) if value.strip() else "（未填写）")


def _cell(value: object, points: bool) -> object:
    """A table cell as shown: points as scores (92.01), other figures plainly, a missing value as “—”."""
    if fmt.blank(value):
        return fmt.DASH
    if points:
        return fmt.score(value)  # type: ignore[arg-type]
    return fmt.figure(value) if isinstance(value, float) else value


def safe_table(frame: pd.DataFrame, points: tuple[str, ...] = (), highlight: list[bool] | None = None) -> None:
    """A static table drawn on the server (ui/static.py): form text shown as typed (escaped, never HTML or
    markdown) and wrapped inside the page width, figures right-aligned.

    ``points`` columns are shown as scores (92.01, 7.00, 1.75); ``highlight``: per row, whether it
    lost points (shaded).
    """
    numeric = {c for c in frame.columns if c in points or pd.api.types.is_numeric_dtype(frame[c])}
    columns = [markup.Column(str(c), markup.NUMBER if c in numeric else "") for c in frame.columns]
    rows = [tuple(_cell(v, c in points) for c, v in zip(frame.columns, record))
            for record in frame.itertuples(index=False)]
    static.table(st, columns, rows, lost=highlight)


def year_label(year: object) -> str:
    """2021 → "2021年", no year → "未填年度" (perfcore.vocab.year_label: one wording everywhere)."""
    return vocab.year_label(year)


# --- the form picker (scorecard, what-if, manage) --------------------------------------
#
# Links carry the form as ?year=2021&unit=…&project=… (year_param: the plain number, or
# 未填年度) or as ?v=<version id>. The picker reads the URL itself when the user arrived by
# one (a typed or shared link, st.page_link, the menu, back / forward: another page or an
# address the picker did not write) and writes the selection back, so the address always
# names the form on the page. (Streamlit's bind="query-params" puts the selector's label,
# "2021年", in the URL and silently picks another form when a link does not match it.)

PICK_KEYS = ("year", "unit", "project")  # the selectors' keys and the links' parameter names
LINK_KEY = "_picker_link"  # (page, the picker's query parameters) as it last wrote them
CHOICE_KEY = "_picker_choice"  # the last form picked, kept when the menu opens another picker page


def year_param(year: object) -> str:
    """A year as links carry it: 2021 → "2021"; no year → "未填年度"."""
    label = year_label(year)
    return label if label == vocab.NO_YEAR else label.removesuffix("年")


def parse_year(raw: str) -> int | None:
    """A link's year: "2021" or "2021年" (the selector's label) → 2021, "未填年度" → None; else ValueError."""
    text = raw.strip()
    if text == vocab.NO_YEAR:
        return None
    match = re.fullmatch(r"(\d{4})\s*年?", text)
    if match is None:
        raise ValueError(raw)
    return int(match.group(1))


def link_params(form: Form) -> dict[str, str]:
    """Query parameters that open this form's project on the scorecard or what-if page."""
    year, unit, project = form.key
    return {"year": year_param(year), "unit": unit, "project": project}


def _link() -> tuple[str | None, ...]:
    return tuple(st.query_params.get(k) for k in ("v", *PICK_KEYS))


def _arrived() -> bool:
    """Another page, or an address the picker did not write: the user followed a link."""
    return (st.session_state.get(PAGE_KEY), _link()) != st.session_state.get(LINK_KEY)


def _select(key: tuple[int | None, str, str]) -> None:
    st.session_state["year"], st.session_state["unit"], st.session_state["project"] = key


def _apply_version_link(raw: str) -> None:
    """?v=<version id>: preselect its year / unit / project and pin that version."""
    del st.query_params["v"]
    try:
        version_id = int(raw)
        form = load_form(version_id)
    except (ValueError, StoreError):  # unknown or malformed id: fall back to the normal picker
        st.warning(f"数据库中没有链接所指的版本（v={md_escape(raw)}），请在下方重新选择项目。")
        return
    _select(form.key)
    st.session_state[PIN_KEY] = (version_id, form.key)


def _first_form(year: int | None, unit: str | None, project: str | None, *, any_year: bool = False,
                ) -> tuple[tuple[int | None, str, str], int] | None:
    """The first current form (newest year, then unit, project) with these key parts; (key, version id).

    None for unit or project, or ``any_year``, does not restrict; year None is the forms without
    a year. A cached lookup of one row (Store.form_keys), so the picker never loads the forms table.
    """
    keys = query("form_keys", Filters(year=None if any_year else [year], unit=unit, project=project), limit=1)
    if keys.empty:
        return None
    row = keys.iloc[0]
    return (None if pd.isna(row["year"]) else int(row["year"]), row["unit"], row["project"]), int(row["version_id"])


def _apply_link() -> None:
    """The page was reached by a link: select the form it names, or say that no stored form matches.

    Parameters left out do not restrict (the newest year first); no parameters at all keep
    the form picked last on another page.
    """
    raw_version, *named = _link()
    if raw_version is not None:
        _apply_version_link(raw_version)
        return
    if all(v is None for v in named):
        chosen = st.session_state.get(CHOICE_KEY)
        if chosen is not None and _first_form(*chosen) is not None:
            _select(chosen)
        return
    raw_year, unit, project = named
    try:
        year = parse_year(raw_year) if raw_year is not None else None
    except ValueError:
        match = None
    else:
        match = _first_form(year, unit, project, any_year=raw_year is None)
    if match is None:
        asked = "、".join(f"{label}“{md_escape(v)}”" for label, v in zip(("年度", "实施单位", "项目"), named)
                         if v is not None)
        st.warning(f"数据库中没有链接所指的自评表（{asked}），下面显示的是另一张表，请在下方重新选择项目。")
        return
    _select(match[0])


def _write_link(key: tuple[int | None, str, str]) -> None:
    """The address names the form on the page (shareable, and back / forward return to it)."""
    for name, value in zip(PICK_KEYS, (year_param(key[0]), key[1], key[2])):
        if st.query_params.get(name) != value:
            st.query_params[name] = value
    st.session_state[LINK_KEY] = (st.session_state.get(PAGE_KEY), _link())
    st.session_state[CHOICE_KEY] = key


def pick_form() -> int | None:
    """Year / unit / project selectors that follow the URL (?year=&unit=&project= or ?v=); the version id.

    Returns the current version of the chosen project, or the version pinned by ?v=. Each list
    is a cached distinct-values query, so a 100,000-form database costs the picker milliseconds.
    """
    if not has_forms():
        return None
    if _arrived():
        _apply_link()
    years = sorted(choices("year"), key=lambda y: (y is None, -(y or 0)))
    c1, c2, c3 = st.columns([1, 2, 3])
    year = c1.selectbox("年度", years, format_func=year_label, key="year")
    unit = c2.selectbox("实施单位", choices("unit", Filters(year=[year])), key="unit")
    project = c3.selectbox("项目", choices("project", Filters(year=[year], unit=unit)), key="project")
    found = _first_form(year, unit, project) if unit is not None and project is not None else None
    if found is None:
        return None
    _write_link((year, unit, project))
    current = found[1]
    pinned = st.session_state.get(PIN_KEY)
    if pinned and pinned[1] == (year, unit, project):
        if pinned[0] != current:
            st.warning("正在查看该项目的历史版本（非当前版本）。在下方“版本历史”中可查看当前版本。")
        return pinned[0]
    st.session_state.pop(PIN_KEY, None)
    return current


def require_form(what: str) -> int:
    """The chosen form's version id; stops the page (with guidance) when there is none."""
    if not has_forms():
        empty_state(what)
        st.stop()
    version_id = pick_form()
    if version_id is None:
        st.stop()
    return version_id


def reading_notice(card: Scorecard) -> None:
    """A form not read completely says so before any number: 需核实 (provisional) or 无法计分."""
    reading = card.reading
    if reading.complete:
        return
    items = "\n".join(f"- {md_escape(item)}" for item in reading.missing)
    if reading.state == "无法计分":
        st.error(f"**无法计分**：这张表缺少计分所需的内容，不计规则得分和等级，也不计入部门平均分和等级统计。\n\n{items}")
    else:
        st.warning(f"**需核实**：以下计分所需内容缺失或无法识别，规则得分只是暂计，不定等级，"
                   f"也不计入部门平均分和等级统计。\n\n{items}")
