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

from perfcore.accounts import Account, SignInRules
from perfcore.store import SignInFailed
from ui import common

COOKIE = "perfboard_session"
TOKEN_KEY = "_session_token"
COOKIE_SCRIPT_KEY = "_cookie_script"  # what the page last had to tell the browser about its cookie
SSO_ENV = "PERFBOARD_SSO_HEADER"


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


def sign_in_page() -> None:
    """The only page an anonymous visitor sees: no data, no menu, a Chinese sign-in form."""
    st.title("登录绩效自评看板")
    st.caption("请用管理员为您创建的账号登录。连续多次输错密码，账号会被暂时锁定。")
    with st.form("signin", clear_on_submit=True):
        name = st.text_input("账号", key="signin_name")
        password = st.text_input("密码", type="password", key="signin_password")
        submitted = st.form_submit_button("登录", type="primary", icon=":material/login:")
    if not submitted:
        return
    rules = SignInRules.from_env()
    try:
        account, token = common.base_store().sign_in(name, password, rules)
    except SignInFailed as exc:
        time.sleep(rules.delay_seconds)  # each wrong guess costs the guesser time
        st.error(str(exc))
        return
    st.session_state[TOKEN_KEY] = token
    st.session_state[common.ACCOUNT_KEY] = account
    st.session_state[common.MODE_KEY] = common.SIGNED_IN
    st.session_state[COOKIE_SCRIPT_KEY] = _cookie_script(token, int(rules.session_hours * 3600))
    st.rerun()  # no cache to clear: cached reads are kept per account (common.data_key)


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
                   "创建第一个管理员账号后启用登录："
                   "`python -m perfcore user add 姓名 --role admin --password-stdin`")
    elif account is not None:
        st.caption(f"已登录：{common.md_escape(account.label())}")
        st.button("退出登录", key="signout", icon=":material/logout:", on_click=sign_out)
