"""HTML → PDF with WeasyPrint (A4, page counters, repeated table headers, fonts embedded).

Why WeasyPrint: with Debian's fonts-noto-cjk it lays out Chinese offline, embeds the
font subset so the text stays copyable, and honours CSS ``@page`` counters and named
landscape pages; Chromium's print-to-PDF turns some CJK characters into look-alike
radicals when copied, and ReportLab refuses the Noto CJK fonts. It runs no JavaScript:
charts come in as SVG (perfcore.exports.charts_svg).
"""
from __future__ import annotations

PDF_MIME = "application/pdf"


def html_to_pdf(document: str) -> bytes:
    """Render a complete HTML document (perfcore.exports.templates.document) to PDF bytes."""
    from weasyprint import HTML  # heavy (pango, fonts): imported when a PDF is asked for
    from weasyprint.text.fonts import FontConfiguration

    return HTML(string=document, base_url=None).write_pdf(font_config=FontConfiguration())
