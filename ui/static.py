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

# Streamlit's look for the drawn parts: its font sizes, grey header, thin rules. Tables fit their box:
# headers wrap between words (年初预算数 / （元）), names keep a readable width (never a character or
# two a line), figures never wrap; a table that still cannot fit scrolls sideways inside its box, with
# a shade at the edge that has more columns behind it and a line saying so (shown only while the box
# can scroll: a scroll-driven animation; browsers without them get the shades only). On a phone
# (≤ 640 px) charts keep their drawn size (text ≥ 10 px) and scroll sideways too, and a page's
# filters (common.filter_area) and its figure tiles sit two to a row, not one a screen.
CSS = """
<style>
div.pb-table { overflow-x: auto; margin-bottom: 0.5rem; scroll-timeline: --pb-x x;
  background: linear-gradient(to right, #fff 30%, rgba(255, 255, 255, 0)) left / 2rem 100% no-repeat local,
    linear-gradient(to left, #fff 30%, rgba(255, 255, 255, 0)) right / 2rem 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, rgba(49, 51, 63, 0.22), transparent) left / 0.8rem 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, rgba(49, 51, 63, 0.22), transparent) right / 0.8rem 100% no-repeat scroll; }
div.pb-table.pb-scroll { max-height: 32rem; overflow-y: auto; }
div.pb-table table { border-collapse: collapse; width: 100%; font-size: 0.875rem; line-height: 1.4; }
div.pb-table th, div.pb-table td { border-bottom: 1px solid rgba(49, 51, 63, 0.1); padding: 0.3rem 0.5rem;
  text-align: left; vertical-align: top; white-space: pre-wrap; overflow-wrap: anywhere; }
div.pb-table td:not(.n):not(.c) { min-width: 6em; }
div.pb-table thead th { background: #f0f2f6; font-weight: 600; white-space: normal; word-break: keep-all;
  overflow-wrap: normal; position: sticky; top: 0; z-index: 1; }
div.pb-table td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
div.pb-table th.n { text-align: right; }
div.pb-table td.c, div.pb-table th.c { text-align: center; white-space: nowrap; }
div.pb-table tr.lost td { background: #fdecea; }
div.pb-table a { white-space: nowrap; }
div.pb-table .pb-hint { height: 0; overflow: hidden; position: sticky; left: 0; font-size: 0.8rem;
  color: rgba(49, 51, 63, 0.6); }
@supports (animation-timeline: scroll()) {
  div.pb-table .pb-hint { animation: pb-can-scroll linear both; animation-timeline: --pb-x; }
}
@keyframes pb-can-scroll { from, to { height: 1.5em; } }
@media (max-width: 640px) {
  [data-testid="stImageContainer"] { overflow-x: auto; justify-content: flex-start; }
  [data-testid="stImageContainer"] img { width: max-content !important; max-width: none !important; flex: none; }
  .st-key-pb-filters [data-testid="stHorizontalBlock"],
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) {
    flex-flow: row wrap; gap: 0.5rem; }
  .st-key-pb-filters [data-testid="stColumn"],
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]) > [data-testid="stColumn"] {
    flex: 1 1 calc(50% - 0.5rem) !important; min-width: calc(50% - 0.5rem) !important; }
  [data-testid="stMetric"] { padding: 0.6rem 0.7rem; }
  [data-testid="stMetricValue"] { font-size: 1.15rem; }
  [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * { white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; }
}
</style>
"""
SCROLL_HINT = "← 表格较宽，左右滑动可查看全部列 →"


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
    place.html(f'<div class="{css}"><div class="pb-hint">{SCROLL_HINT}</div>'
               f'{markup.table(columns, rows, lost=lost, empty=empty)}</div>')


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
