"""Who uses the app: the local single-user mode, the sign-in page, a session kept across reloads, sign-out.

Modes (``common.mode()``, decided once per run by ``resolve``): while the database holds no
account the app is a local single-user instance (as before accounts existed); once one
exists, a visitor is anonymous until signed in and sees only the sign-in page.

Surviving a reload: Streamlit 1.67 reads cookies (``st.context.cookies``, from the request
that opened the page) but cannot set them from Python. After a sign-in the page sets one
itself: ``st.html(<script>, unsafe_allow_javascript=True)`` runs in the app's own document
(not an iframe) and writes ``document.cookie`` with a random token (``secrets.token_urlsafe``),
``SameSite=Strict``, ``Max-Age`` = the session's lifetime, ``Secure`` under https. The
database keeps only the token's SHA-256 and the expiry, so a copied database signs nobody
in, and sign-out or a disabled account ends the session whatever the browser keeps. (Not
HttpOnly: a script sets it. Alternatives weighed: a same-origin components iframe writing
``window.parent.document.cookie`` does the same with an extra iframe; Streamlit's ASGI
middleware, experimental in 1.67, can set HttpOnly cookies only on HTTP responses, not
from a sign-in inside the websocket session; ``st.login`` needs an OIDC provider.)

Single sign-on (optional): with ``PERFBOARD_SSO_HEADER`` naming a header that a trusted
reverse proxy sets (e.g. ``X-Remote-User``) and strips from clients, a request carrying an
enabled account's name there is signed in as that account. Only for a proxy in front of
an app bound to localhost: anyone who reaches Streamlit directly could send the header.
"""
from __future__ import annotations

import json
import os
import time

import streamlit as st

from perfcore.accounts import MIN_PASSWORD, Account, SignInRules
from perfcore.errors import StoreError
from perfcore.store import SignInFailed
from ui import common

COOKIE = "perfboard_session"
TOKEN_KEY = "_session_token"
COOKIE_SCRIPT_KEY = "_cookie_script"  # what the page last had to tell the browser about its cookie
SSO_ENV = "PERFBOARD_SSO_HEADER"
NOTICE_KEY = "acc_notice"  # what an account change says on the next run (ui.accounts_admin shows it too)
SETUP_URL = "setup"  # the first-run page's address (app.py registers it, hidden from the menu)
CLI_HINT = ("命令行 `python -m perfcore user …` 只能在看板停止时使用（看板运行时数据库文件由看板占用，命令会退出并说明）。")


def _cookie_script(value: str, max_age: int) -> str:
    cookie = json.dumps(f"{COOKIE}={value}; Path=/; Max-Age={max_age}; SameSite=Strict")
    return f"<script>document.cookie = {cookie} + (location.protocol === 'https:' ? '; Secure' : '');</script>"


def resolve() -> None:
    """Decide this run's mode and account (app.py, before the pages are built).

    Outside a script run it does nothing: the import workers' forkserver preloads the main
    module (app.py under AppTest) and must not open the database the app holds."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None:
        return
    store = common.base_store()
    if store.count_accounts() == 0:
        st.session_state[common.MODE_KEY] = common.LOCAL
        st.session_state.pop(common.ACCOUNT_KEY, None)
        return
    token = st.session_state.get(TOKEN_KEY) or _text(st.context.cookies.get(COOKIE))
    account = store.session_account(token) if token else None
    if account is not None:
        st.session_state[TOKEN_KEY] = token
    else:
        st.session_state.pop(TOKEN_KEY, None)
        account = _sso_account()
    st.session_state[common.MODE_KEY] = common.SIGNED_IN if account else common.ANONYMOUS
    if account is None:
        st.session_state.pop(common.ACCOUNT_KEY, None)
    else:
        st.session_state[common.ACCOUNT_KEY] = account


def _text(value: object) -> str:
    """A cookie or header value as text ("" when absent; AppTest has no request to read)."""
    return value if isinstance(value, str) else ""


def _sso_account() -> Account | None:
    header = os.environ.get(SSO_ENV, "").strip()
    name = _text(st.context.headers.get(header)).strip() if header else ""
    if not name:
        return None
    account = common.base_store().account_named(name)
    return account if account is not None and not account.disabled else None


def cookie_element() -> None:
    """Tell the browser what to keep (a new session's cookie, or that it ended), once per change."""
    script = st.session_state.get(COOKIE_SCRIPT_KEY)
    if script:
        st.html(script, unsafe_allow_javascript=True, width="content")


def _start_session(account: Account, token: str, rules: SignInRules) -> None:
    st.session_state[TOKEN_KEY] = token
    st.session_state[common.ACCOUNT_KEY] = account
    st.session_state[common.MODE_KEY] = common.SIGNED_IN
    st.session_state[COOKIE_SCRIPT_KEY] = _cookie_script(token, int(rules.session_hours * 3600))


def sign_in_page() -> None:
    """The only page an anonymous visitor sees: no data, no menu, a Chinese sign-in form.

    Every refusal reads the same (perfcore.store.accounts.WRONG), so the page tells nobody
    which names exist or that an account is locked; the caption says how the lock works."""
    rules = SignInRules.from_env()
    st.title("登录绩效自评看板")
    st.caption(f"请用管理员为您创建的账号登录。连续输错 {rules.max_failures} 次密码，账号会被锁定 "
               f"{rules.lock_minutes:g} 分钟（锁定期间正确的密码也无法登录）；如需立即解锁或忘记密码，请联系管理员。")
    store = common.base_store()
    if not store.count_admins():
        st.warning("看板还没有可用的管理员账号，无法在看板里管理账号。请先停止看板，再用命令行创建管理员："
                   "`python -m perfcore user add 姓名 --role admin --password-stdin`，然后重新启动看板。")
    with st.form("signin", clear_on_submit=True):
        name = st.text_input("账号", key="signin_name")
        password = st.text_input("密码", type="password", key="signin_password")
        submitted = st.form_submit_button("登录", type="primary", icon=":material/login:")
    if not submitted:
        return
    try:
        account, token = store.sign_in(name, password, rules)
    except SignInFailed as exc:
        time.sleep(rules.delay_seconds)  # each wrong guess costs the guesser time
        st.error(str(exc))
        return
    _start_session(account, token, rules)
    st.rerun()  # no cache to clear: cached reads are kept per account (common.data_key)


def first_admin_form(key: str = "first") -> None:
    """Create the first administrator (only while no account exists: the store checks it in the
    same transaction that writes it), then sign them in."""
    st.markdown(f"**创建第一个管理员账号**：管理员可管理全部单位的数据和账号。密码至少 {MIN_PASSWORD} 个字符，"
                "不能是常见密码、同一个字符重复或连续的字符。")
    name = st.text_input("管理员账号名称", key=f"{key}_name", max_chars=64, help="登录名，也是操作日志里的姓名")
    c1, c2 = st.columns(2)
    password = c1.text_input("密码", type="password", key=f"{key}_password")
    again = c2.text_input("再次输入密码", type="password", key=f"{key}_again")
    if not st.button("创建管理员并登录", key=f"{key}_create", type="primary", icon=":material/admin_panel_settings:"):
        return
    if password != again:
        st.error("两次输入的密码不一致。")
        return
    store, rules = common.base_store(), SignInRules.from_env()
    try:
        account = store.first_admin(name, password)
    except (StoreError, ValueError) as exc:
        st.error(common.md_escape(str(exc)))  # it may repeat the typed name: text, never markdown
        return
    signed, token = store.sign_in(account.name, password, rules)
    _start_session(signed, token, rules)
    st.session_state[NOTICE_KEY] = ("success", f"已创建管理员账号“{common.md_escape(account.name)}”并登录："
                                               "看板已启用登录，其他人的账号请在“数据管理 → 账号管理”中创建。")
    for field in ("password", "again"):
        st.session_state.pop(f"{key}_{field}", None)
    st.rerun()


def setup_entry() -> st.Page:
    """The first-run page as app.py registers it (hidden from the menu; the sidebar links it in
    single-user mode). Pages are told apart by address, so each call names the same page."""
    return st.Page(setup_page, title="创建管理员账号", icon=":material/admin_panel_settings:", url_path=SETUP_URL,
                   visibility="hidden")


def setup_page() -> None:
    """The first-run page (/setup): the first administrator while no account exists, else where to go."""
    st.title("创建第一个管理员账号")
    if notice := st.session_state.pop(NOTICE_KEY, None):
        getattr(st, notice[0])(notice[1])
    if common.base_store().count_accounts():
        current = common.account()
        if current is not None and current.is_admin:
            st.page_link(common.MANAGE_PAGE, label="去数据管理 → 账号管理", icon=":material/manage_accounts:")
        else:
            st.info("看板已有账号，不能再在这里创建管理员：请登录；新的账号由管理员在“数据管理 → 账号管理”中创建。")
        return
    st.caption("现在是本机单用户模式：还没有任何账号，能打开看板的人都可查看和修改全部数据。"
               "创建第一个管理员账号后看板启用登录，此后每个人用自己的账号登录。")
    first_admin_form()


def sign_out() -> None:
    """Button callback: end the session in the database and in the browser."""
    token = st.session_state.pop(TOKEN_KEY, None)
    if token:
        common.base_store().sign_out(token)
    for key in (common.ACCOUNT_KEY, common.USER_KEY):
        st.session_state.pop(key, None)
    st.session_state[common.MODE_KEY] = common.ANONYMOUS
    st.session_state[COOKIE_SCRIPT_KEY] = _cookie_script("", 0)


def sidebar_status() -> None:
    """Who is signed in (with the sign-out button), or that this is the local single-user mode."""
    mode, account = common.mode(), common.account()
    if mode == common.LOCAL:
        st.caption("本机单用户模式：尚未创建账号，能打开本页的人都可查看和修改全部数据。"
                   "创建第一个管理员账号后启用登录。" + CLI_HINT)
        st.page_link(setup_entry(), label="创建第一个管理员账号", icon=":material/admin_panel_settings:")
    elif account is not None:
        st.caption(f"已登录：{common.md_escape(account.label())}")
        st.button("退出登录", key="signout", icon=":material/logout:", on_click=sign_out)
