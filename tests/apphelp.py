"""Helpers for the AppTest suites: run the app, switch pages, seed a database with real workbooks."""
from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from perfcore.model import Num
from perfcore.reader import read_workbook
from perfcore.samples import SHEETS_WORKBOOK
from perfcore.scoring import score_form
from perfcore.store import Store
from perfcore.writer import write_forms

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds per script run: the machine is shared, reading and scoring take a moment
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def seed(db: Path, workbook: Path = SHEETS_WORKBOOK, user: str = "测试", *, spent: float | None = None,
         **fields: object) -> None:
    """Import a workbook the way the app does (read, score, one transaction), then close the file.

    ``fields`` store its forms changed (``year=2022``, ``year=None`` for forms without a year,
    ``department=Text("")``), ``spent`` with that share of each full-year budget executed; the
    file imported is then those forms written out.
    """
    result = read_workbook(workbook)
    assert result.error is None, result.error
    forms, name, content = result.forms, workbook.name, workbook.read_bytes()
    if fields or spent is not None:
        forms = [dataclasses.replace(f, **fields) for f in forms]
        for form in forms if spent is not None else []:
            total = form.fund("total")
            total.executed = Num(round(total.budget.value * spent, 2))
        out = io.BytesIO()
        write_forms(forms, out)
        changed = [f"{k}{getattr(v, 'value', v)}" for k, v in fields.items()] + ([f"spent{spent}"] if spent else [])
        name, content = f"{workbook.stem}-{'-'.join(changed)}.xlsx", out.getvalue()
    store = Store(db)
    try:
        store.import_forms(name, content, forms, [score_form(f) for f in forms], user=user)
    finally:
        store.close()


def open_page(page: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    """The app run once, then switched to ``pages/<page>.py`` (the default page when None)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    """Every markdown, caption, heading, alert and metric text on the page, joined (for assertions)."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "success", "info",
                                  "warning", "error") for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.label for e in at.expander]
    return unescape("\n".join(str(p) for p in parts))


def unescape(text: str) -> str:
    """Markdown text as the reader sees it (backslash escapes removed)."""
    return re.sub(r"\\(.)", r"\1", text)
