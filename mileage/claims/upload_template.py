"""The .xlsx template coordinators fill in: the card-number column is text, so Excel keeps all 16 digits."""

from __future__ import annotations

import io

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
INSTRUCTIONS = (
    "봉사시간 올리기 안내 (How to fill in this sheet)",
    "",
    "첫 시트의 2행부터 한 행에 봉사 한 건씩 입력하세요. 머리글(1행)은 바꾸지 마세요.",
    "봉사자는 카드번호, 1365 ID, 또는 이름+연락처 중 하나로 알려 주세요.",
    "카드번호 열은 텍스트 형식입니다. 16자리가 그대로 남도록 숫자 형식으로 바꾸지 마세요.",
    "날짜: 2026-11-03, 2026.11.03, 2026/11/3 또는 날짜 셀. 시간: 09:00, 9:00, 오전 9:00, 오후 1:30 또는 시간 셀.",
    "하루 최대 8시간, 봉사일로부터 90일 안에 올려야 하며, 시간이 겹치는 봉사는 인정되지 않습니다.",
    "기관ID는 코디네이터가 올릴 때 비워 두면 자기 기관으로 처리됩니다.",
    "",
    "One activity per row from row 2 of the first sheet; keep the header row as it is.",
    "Name the volunteer by card number, 1365 id, or name and phone number.",
    "The card number column is text so that Excel keeps all 16 digits; do not turn it into numbers.",
)


def build_upload_template() -> bytes:
    """Return the .xlsx template for uploading hours."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "봉사시간"
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
    guide = book.create_sheet("안내")
    for line in INSTRUCTIONS:
        guide.append([line])
    guide.column_dimensions["A"].width = 110
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
