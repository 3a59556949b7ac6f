"""Escaped HTML tables: one builder for the printed reports and the pages leaders read.

Why string building and not a template engine: a table is a few lines; every value goes
through ``html.escape`` so form text (project names, notes: typed by anyone) stays inert,
and the pages get the same table the PDF prints. Why the pages draw HTML and not a grid:
Streamlit's grid costs each new browser about a second of code to load and draw (issue 14).
"""
from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NUMBER, CENTRE = "n", "c"  # cell classes: right-aligned figures, centred short codes


def esc(value: object) -> str:
    """Any value as inert HTML text (None → "")."""
    return "" if value is None else html.escape(str(value), quote=True)


@dataclass(frozen=True)
class Column:
    """A table column: header text and cell class (n = number, right-aligned; c = centred)."""

    header: str
    css: str = ""
    width: str = ""  # CSS width ("12%"); empty = as the content needs
    help: str = ""   # the header's tooltip (its title attribute)


@dataclass(frozen=True)
class Link:
    """A cell that links: ``text`` shown, ``href`` relative to the page (``scorecard?v=3``).

    Opens in a new tab, as a leader works down a list and keeps it where it was.
    """

    text: str
    href: str

    def html(self) -> str:
        return f'<a href="{esc(self.href)}" target="_blank" rel="noopener">{esc(self.text)}</a>'


def cell(value: object) -> str:
    """A cell's content: a Link as a link, anything else as escaped text."""
    return value.html() if isinstance(value, Link) else esc(value)


def table(columns: Sequence[Column], rows: Iterable[Sequence[object]], *, lost: Iterable[bool] | None = None,
          empty: str = "无", css: str = "") -> str:
    """A table whose header repeats on every printed page it spans; ``lost`` marks rows that lost points."""
    marks = list(lost) if lost is not None else None
    head = "".join(f'<th class="{c.css}"' + (f' style="width:{c.width}"' if c.width else "")
                   + (f' title="{esc(c.help)}"' if c.help else "") + f">{esc(c.header)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cls = ' class="lost"' if marks is not None and marks[i] else ""
        cells = "".join(f'<td class="{c.css}">{cell(v)}</td>' for c, v in zip(columns, row))
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">{esc(empty)}</td></tr>')
    attr = f' class="{esc(css)}"' if css else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
