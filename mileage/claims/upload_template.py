"""The .xlsx template coordinators fill in: the card-number column is text, so Excel keeps all 16 digits."""

from __future__ import annotations

import io

from mileage import i18n
from mileage.i18n import N_

TEMPLATE_ROWS = 2000
# (header, width, number format) in the order of the sheet; "@" is Excel's text format.
TEMPLATE_COLUMNS = (
    ("카드번호", 22, "@"),
    ("1365 ID", 14, "@"),
    ("이름", 10, "@"),
    ("연락처", 16, "@"),
    ("기관ID", 8, "0"),
    ("날짜", 12, "yyyy-mm-dd"),
    ("시작", 8, "hh:mm"),
    ("종료", 8, "hh:mm"),
    ("분야", 12, "@"),
    ("비고", 30, "@"),
)
# The guide sheet, in the language of whoever downloads the template (the headers above stay as the
# file's column names, which the upload reads in Korean or English).
INSTRUCTIONS = (
    N_("How to fill in this sheet"),
    "",
    N_("One activity per row from row 2 of the first sheet; keep the header row (row 1) as it is."),
    N_("Name the volunteer by card number, 1365 ID, or name and phone number."),
    N_("The card number column is text so that Excel keeps all 16 digits; do not turn it into numbers."),
    N_("Dates: 2026-11-03, 2026.11.03, 2026/11/3 or a date cell. Times: 09:00, 9:00, 1:30 PM or a time cell."),
    N_("At most 8 hours a day, uploaded within 90 days of the day worked; overlapping hours are not counted."),
    N_("A coordinator may leave the organisation id empty: the rows are then their own organisation's."),
)


def build_upload_template(language: str | None = "ko") -> bytes:
    """Return the .xlsx template for uploading hours, its guide in a language."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = i18n.translate(language, N_("Hours"))
    sheet.append([header for header, _width, _format in TEMPLATE_COLUMNS])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for position, (_header, width, number_format) in enumerate(TEMPLATE_COLUMNS, start=1):
        heading = sheet.cell(row=1, column=position)
        heading.font, heading.fill = bold, fill
        sheet.column_dimensions[heading.column_letter].width = width
        # Formatting the empty cells is what makes Excel store what is typed there as text.
        for row in range(2, TEMPLATE_ROWS + 2):
            sheet.cell(row=row, column=position).number_format = number_format
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(i18n.translate(language, N_("Guide")))
    for line in INSTRUCTIONS:
        guide.append([i18n.translate(language, line) if line else ""])
    guide.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
