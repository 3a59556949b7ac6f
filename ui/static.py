"""Charts and tables the server draws (SVG, HTML) for the pages leaders read.

Why: on 部门总览 and 项目评分卡 the browser, not the server, was what people waited for
(issue 14). Streamlit's chart (Vega) and grid code cost every new browser about a second to
load and draw; a finished SVG and a plain table cost it almost nothing. A chart is drawn
once per spec by vl-convert (the PDF's renderer) and shared by every session, like the data
it shows. Editable grids (模拟测算, 上传与校验) stay Streamlit's.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import altair as alt
import streamlit as st

from perfcore import markup
from perfcore.exports import charts_svg

# Streamlit's look for the drawn parts: its font sizes, grey header, thin rules.
CSS = """
<style>
div.pb-table { overflow-x: auto; margin-bottom: 0.5rem; }
div.pb-table.pb-scroll { max-height: 32rem; overflow-y: auto; }
div.pb-table table { border-collapse: collapse; width: 100%; font-size: 0.875rem; line-height: 1.4; }
div.pb-table th, div.pb-table td { border-bottom: 1px solid rgba(49, 51, 63, 0.1); padding: 0.3rem 0.5rem;
  text-align: left; vertical-align: top; white-space: pre-wrap; overflow-wrap: anywhere; }
div.pb-table thead th { background: #f0f2f6; font-weight: 600; white-space: nowrap; position: sticky; top: 0; }
div.pb-table td.n, div.pb-table th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
div.pb-table td.c, div.pb-table th.c { text-align: center; white-space: nowrap; }
div.pb-table tr.lost td { background: #fdecea; }
div.pb-table a { white-space: nowrap; }
</style>
"""


def styles() -> None:
    """The stylesheet of the drawn charts and tables (app.py, every run: a style-only st.html takes no space)."""
    st.html(CSS)


@st.cache_resource(max_entries=512, show_spinner=False)
def _svg(spec: str) -> str:
    return charts_svg.page_svg(spec)


def chart(place: Any, chart: alt.TopLevelMixin, note: str = "", width: int = charts_svg.PAGE_WIDTH) -> None:
    """An Altair chart drawn on the server: a picture (SVG) no wider than its column, ``note`` under it.

    A picture, not inline SVG: st.html keeps HTML tags only, and an image costs the browser the least.
    """
    title = getattr(chart, "title", None)
    title = title if isinstance(title, str) else None
    place.image(_svg(charts_svg.page_spec(chart, width)), caption=note or None, alt=title)


def table(place: Any, columns: Sequence[markup.Column], rows: Iterable[Sequence[object]], *,
          lost: Iterable[bool] | None = None, empty: str = "无", scroll: bool = False) -> None:
    """An escaped HTML table (perfcore.markup, the reports' table); ``scroll``: a tall one scrolls under its header."""
    css = "pb-table pb-scroll" if scroll else "pb-table"
    place.html(f'<div class="{css}">{markup.table(columns, rows, lost=lost, empty=empty)}</div>')


class Later:
    """Chart slots in the page's layout, drawn at the end of its run.

    Why: the first drawing of a chart (after a server start or an import) takes ~0.2 s on the
    server; the tables and the project list below should not wait for eight of them. The slot
    says it is being drawn until its picture replaces it, later in the same run.
    """

    def __init__(self) -> None:
        self._slots: list[tuple[Any, Callable[[], alt.TopLevelMixin], str]] = []

    def chart(self, place: Any, build: Callable[[], alt.TopLevelMixin], note: str = "") -> None:
        slot = place.empty()
        slot.caption("图表绘制中…")
        self._slots.append((slot, build, note))

    def draw(self) -> None:
        for slot, build, note in self._slots:
            chart(slot, build(), note)
        self._slots.clear()
