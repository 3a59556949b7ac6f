"""The print stylesheet and page furniture of perfboard's PDF reports.

Tables come from ``perfcore.markup`` (the pages draw the same ones); every value is
escaped there and here, so form text (project names, notes: typed by anyone) stays inert.
"""
from __future__ import annotations

from collections.abc import Sequence

from perfcore.markup import esc

FONT = '"Noto Sans CJK SC", "Noto Sans CJK", "Source Han Sans SC", sans-serif'

# A4; pages named "wide" are landscape (the tables that need the width). Every page
# carries the page number as finance offices write it, the report's title at the top.
CSS = f"""
@page {{
  size: A4 portrait;
  margin: 16mm 14mm 18mm 14mm;
  @top-center {{ content: string(report-title); font-family: {FONT}; font-size: 8pt; color: #666; }}
  @bottom-center {{ content: "第 " counter(page) " 页 / 共 " counter(pages) " 页";
                    font-family: {FONT}; font-size: 8pt; color: #444; }}
}}
@page wide {{ size: A4 landscape; margin: 14mm 12mm 16mm 12mm; }}
html {{ font-family: {FONT}; font-size: 9pt; color: #111; line-height: 1.35; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 2mm; string-set: report-title content(); }}
h2 {{ font-size: 11.5pt; margin: 5mm 0 2mm; border-left: 3pt solid #1f5fa8; padding-left: 2mm;
      break-after: avoid; }}
p.sub {{ text-align: center; margin: 0 0 4mm; color: #333; }}
p.note {{ color: #444; margin: 1mm 0 3mm; }}
p.lead {{ font-size: 10.5pt; margin: 2mm 0 3mm; padding: 2mm 3mm; background: #f4f6f9; }}
section.wide {{ page: wide; }}
table {{ border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }}
th, td {{ border: 0.6pt solid #555; padding: 1.2mm 1.6mm; vertical-align: top; text-align: left; }}
thead {{ display: table-header-group; }}
thead th {{ background: #e8ecf1; text-align: center; vertical-align: middle; }}
tr {{ break-inside: avoid; }}
td.n, th.n {{ text-align: right; white-space: nowrap; }}
td.c, th.c {{ text-align: center; white-space: nowrap; }}
tr.lost td {{ background: #fdecea; }}
table.pairs th {{ background: #f1f3f6; width: 16%; white-space: nowrap; }}
td.big {{ font-size: 13pt; font-weight: bold; }}
div.chart {{ margin: 2mm 0 4mm; text-align: center; break-inside: avoid; }}
div.chart svg {{ max-width: 100%; height: auto; }}
div.charts {{ display: flex; flex-wrap: wrap; gap: 4mm; }}
div.charts div.chart {{ flex: 1 1 45%; }}
table.sign {{ margin-top: 12mm; break-inside: avoid; }}
table.sign td {{ border: none; padding: 0 2mm; width: 33%; font-size: 10.5pt; }}
table.sign span {{ display: inline-block; width: 38mm; border-bottom: 0.6pt solid #111; }}
"""


def pairs(items: Sequence[tuple[str, object]], per_row: int = 2, *, big: Sequence[str] = ()) -> str:
    """Label / value cells, ``per_row`` pairs a row (the report's header and KPI blocks)."""
    rows = []
    for start in range(0, len(items), per_row):
        chunk = items[start:start + per_row]
        cells = "".join(f'<th>{esc(k)}</th><td{" class=big" if k in big else ""}>{esc(v)}</td>' for k, v in chunk)
        if len(chunk) < per_row:
            cells += f'<td colspan="{2 * (per_row - len(chunk))}" style="border:none"></td>'
        rows.append(f"<tr>{cells}</tr>")
    return f'<table class="pairs"><tbody>{"".join(rows)}</tbody></table>'


def chart(svg: str) -> str:
    """An SVG chart (vl-convert output, trusted markup) placed in the flow."""
    return f'<div class="chart">{svg}</div>'


def signatures() -> str:
    """The lines a printed report is signed on: 填报人 / 审核人 / 日期."""
    cells = "".join(f"<td>{label}：<span>&#160;</span></td>" for label in ("填报人", "审核人", "日期"))
    return f'<table class="sign"><tbody><tr>{cells}</tr></tbody></table>'


def document(title: str, body: str) -> str:
    """A whole HTML document with the print stylesheet."""
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>")
