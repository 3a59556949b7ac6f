"""What the server-drawn parts of a page show (ui/static.py): its HTML tables and its chart pictures.

Read the way a person reads them: a table's cells as their text (a link as its text, with its
address beside it), a chart's picture as the words and figures written on it.
"""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pandas as pd
from streamlit.testing.v1 import AppTest

LINK_SUFFIX = "·链接"  # a link cell's address, in the column "<header>·链接"


class _Tables(HTMLParser):
    """Every <table> of a fragment: headers, rows of cell text, each cell's link and each row's class."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None
        self._href = ""
        self._row: list[tuple[str, str]] = []
        self._lost = False  # the current row is shaded (class "lost")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"headers": [], "rows": [], "lost": []})
        elif tag == "tr":
            self._row = []
            self._lost = "lost" in (a.get("class") or "")
        elif tag in ("td", "th"):
            self._cell, self._href = [], ""
        elif tag == "a" and self._cell is not None:
            self._href = a.get("href") or ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("".join(self._cell).strip(), self._href))
            self._cell = None
        elif tag == "tr" and self.tables:
            table = self.tables[-1]
            if not table["headers"]:
                table["headers"] = [text for text, _ in self._row]
            else:
                table["rows"].append(self._row)
                table["lost"].append(self._lost)


def tables(at: AppTest) -> list[pd.DataFrame]:
    """The page's HTML tables in order, as frames of cell text; a linked column also as "<header>·链接".

    ``frame.attrs["lost"]``: per row, whether it is shaded as having lost points.
    """
    out = []
    for element in at.get("html"):
        parser = _Tables()
        parser.feed(element.proto.body)
        for t in parser.tables:
            headers = t["headers"]
            data: dict[str, list[str]] = {h: [] for h in headers}
            links = {h for row in t["rows"] for h, (_, href) in zip(headers, row) if href}
            for h in links:
                data[h + LINK_SUFFIX] = []
            for row in t["rows"]:
                for h, (text, href) in zip(headers, row):
                    data[h].append(text)
                    if h in links:
                        data[h + LINK_SUFFIX].append(href)
            frame = pd.DataFrame(data)
            frame.attrs["lost"] = t["lost"]
            out.append(frame)
    return out


def pictures(at: AppTest) -> list[str]:
    """The page's chart pictures (st.image of an SVG) as SVG markup, in order."""
    out = []
    for element in at.get("image"):
        for img in element.proto.imgs:
            head, _, data = img.url.partition(",")
            assert head == "data:image/svg+xml;base64", head
            out.append(base64.b64decode(data).decode("utf-8"))
    return out


def words(svg: str) -> list[str]:
    """The texts written on a chart (title, axis labels, value labels, legend), in drawing order."""
    import html

    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def captions(at: AppTest) -> list[str]:
    """The notes under the chart pictures (st.image captions), in order; "" for a picture without one."""
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def figures(column: pd.Series) -> list[float | None]:
    """A column of shown figures ("6,261,700.00", "86.18%", "+5.99", "—") as numbers (None for "—")."""
    return [None if v in ("—", "") else float(v.replace(",", "").rstrip("%")) for v in column]
