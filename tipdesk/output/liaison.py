"""The liaison form (联络单): blank forms for the units, and the notice's default rule.

The notice asks every unit to return the form by 1月24日; a unit that has not is taken to
have its office (单位办公室) in charge. `./run liaison` writes a blank form per unit and lists
who is missing; the daily run applies the default once the deadline has passed.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from tipdesk.config import Config
from tipdesk.domain.textnorm import safe_name

FORM_TITLE = "安全生产投诉举报受理工作联络单"
FORM_LABELS = ("分管领导", "联系电话", "科  长", "联系电话", "经办人", "联系电话", "电子邮箱")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def blank_form(unit: str, config: Config) -> bytes:
    """The notice's attachment as a sheet: the unit prefilled, one row of labels, values beneath."""
    wb = Workbook()
    ws = wb.active
    ws.title = "联络单"
    ws.merge_cells("A1:G1")
    ws["A1"] = FORM_TITLE
    ws["A1"].font = Font(name="宋体", size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 36
    ws.merge_cells("A2:G2")
    ws["A2"] = f"单位：{unit}（公   章）"
    ws["A2"].font = Font(name="仿宋", size=12)
    for column, label in enumerate(FORM_LABELS, start=1):
        cell = ws.cell(row=3, column=column, value=label)
        cell.font = Font(name="宋体", size=11, bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
        ws.cell(row=4, column=column).border = _BORDER
        ws.column_dimensions[cell.column_letter].width = 26 if label == "电子邮箱" else 14
    ws.row_dimensions[4].height = 30
    ws.merge_cells("A6:G6")
    ws["A6"] = (f"请于{config.liaison.due(date.today().year):%m月%d日}前填写，加盖公章后送{config.centre['name']}"
                f"（{config.centre.get('address', '')}），并将本表电子版发回。逾期未报送的，视为由本单位办公室负责。")
    ws["A6"].alignment = Alignment(wrap_text=True, vertical="top")
    ws["A6"].font = Font(name="仿宋", size=10)
    ws.row_dimensions[6].height = 40
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    wb.properties.creator = config.centre["name"]
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def write_blank_forms(config: Config, units: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit in units:
        path = folder / f"{safe_name(unit)}-联络单.xlsx"
        path.write_bytes(blank_form(unit, config))
        paths.append(path)
    return paths


