"""The liaison form (联络单): blank forms for the units, and the notice's default rule.

The notice asks every unit to return the form by 1月24日 (`liaison.deadline`); a unit that
has not is taken to have its office (单位办公室) in charge. `./run liaison` writes a blank form per unit and lists
who is missing; the daily run applies the default once the deadline has passed.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from tipdesk.config import Config
from tipdesk.domain.textnorm import chinese_date, safe_name
from tipdesk.store.egress import Gate

FORM_TITLE = "安全生产投诉举报受理工作联络单"
FORM_LABELS = ("分管领导", "联系电话", "科  长", "联系电话", "经办人", "联系电话", "电子邮箱")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)




# Column widths (characters): the six name/phone columns and the e-mail column fill the
# width of a landscape A4 page; the values row is tall enough to write in by hand.
NAME_WIDTH, MAIL_WIDTH = 16, 30


def blank_form(unit: str, config: Config, issued: date) -> bytes:
    """The notice's attachment as a sheet: the unit prefilled, one row of labels, values
    beneath, due by the next deadline (with its year: a form issued in December is due next
    January). Prints on one landscape A4 page."""
    due = config.liaison.next_due(issued)
    wb = Workbook()
    ws = wb.active
    ws.title = "联络单"
    ws.merge_cells("A1:G1")
    ws["A1"] = FORM_TITLE
    ws["A1"].font = Font(name="宋体", size=18, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 44
    ws.merge_cells("A2:G2")
    ws["A2"] = f"单位：{unit}（公   章）"
    ws["A2"].font = Font(name="仿宋", size=14)
    ws["A2"].alignment = Alignment(vertical="center")
    ws.row_dimensions[2].height = 32
    for column, label in enumerate(FORM_LABELS, start=1):
        cell = ws.cell(row=3, column=column, value=label)
        cell.font = Font(name="宋体", size=12, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        value = ws.cell(row=4, column=column)
        value.border = _BORDER
        value.font = Font(name="仿宋", size=12)
        value.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        value.number_format = "@"  # a phone number stays as typed
        ws.column_dimensions[cell.column_letter].width = MAIL_WIDTH if label == "电子邮箱" else NAME_WIDTH
    ws.row_dimensions[3].height = 30
    ws.row_dimensions[4].height = 48
    ws.merge_cells("A6:G6")
    ws["A6"] = (f"请于{chinese_date(due)}前填写，加盖公章后送{config.centre['name']}"
                f"（{config.centre.get('address', '')}），并将本表电子版发回。逾期未报送的，视为由本单位办公室负责。")
    ws["A6"].alignment = Alignment(wrap_text=True, vertical="top")
    ws["A6"].font = Font(name="仿宋", size=12)
    ws.row_dimensions[6].height = 40
    ws.print_area = "A1:G6"
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # without it the fit is ignored: two pages
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.8
    wb.properties.creator = config.centre["name"]
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_blank_forms(config: Config, units: list[str], folder: Path, issued: date, gate: Gate) -> list[Path]:
    """One blank form per unit, past the gate, each replacing one written earlier today."""
    paths = [gate.write(folder / f"{safe_name(unit)}-联络单.xlsx", blank_form(unit, config, issued),
                        overwrite=True) for unit in units]
    return [p for p in paths if p]


