"""Reports to hand round: a scorecard and a department overview as PDF and as Excel.

No Streamlit here: the pages (pages/scorecard.py, pages/department.py) and the command
line (``python -m perfcore export``) call the same functions.

| module | job |
|---|---|
| ``templates`` | the A4 print stylesheet and page furniture (tables: ``perfcore.markup``, shared with the pages) |
| ``pdf`` | HTML → PDF with WeasyPrint |
| ``charts_svg`` | Altair charts drawn to SVG by vl-convert, for the reports (no JavaScript) and the pages (pictures) |
| ``words`` | how the reports print scores, differences, rules' and checks' names |
| ``stamp`` | who made a report and when, the selection in words, the download file names |
| ``scorecard`` | one form's scorecard report |
| ``department`` | the department overview of the forms a ``Filters`` selects |
| ``excel`` | the scorecard and department workbooks |
"""
