"""The liaison form (联络单): blank forms for the units, and the notice's default rule.

The notice asks every unit to return the form by 1月24日; a unit that has not is taken to
have its office (单位办公室) in charge. `./run liaison` writes a blank form per unit and lists
who is missing; the daily run applies the default once the deadline has passed.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from tipdesk.columns import CONTACTS_SHEET
from tipdesk.config import Config
from tipdesk.files import safe_name
from tipdesk.contacts import liaison_deadline as configured_deadline

FORM_TITLE = "安全生产投诉举报受理工作联络单"
FORM_LABELS = ("分管领导", "联系电话", "科  长", "联系电话", "经办人", "联系电话", "电子邮箱")
DONE = "已报送"
DEFAULTED = "默认由单位办公室负责"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def liaison_deadline(config: Config, year: int) -> date:
    month, day = configured_deadline(config.raw)
    return date(year, month, day)


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
    ws["A6"] = (f"请于{liaison_deadline(config, date.today().year):%m月%d日}前填写，加盖公章后送{config.centre['name']}"
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


def contact_rows(grid: list[list[Any]], columns: dict[str, int]) -> dict[str, tuple[int, dict[str, Any]]]:
    """联络人 sheet: unit name as written -> (row number, values by header)."""
    out = {}
    for number, values in enumerate(grid[1:], start=2):
        row = {name: (values[col - 1] if col - 1 < len(values) else None) for name, col in columns.items()}
        unit = str(row.get("单位") or "").strip()
        if unit:
            out[unit] = (number, row)
    return out


def missing_units(config: Config, grid: list[list[Any]], columns: dict[str, int]) -> list[str]:
    """Units with no returned form (联络单状态 not 已报送)."""
    status = {}
    for name, (_, row) in contact_rows(grid, columns).items():
        unit = config.unit_named(name)
        if unit:
            status[unit.name] = str(row.get("联络单状态") or "").strip()
    return [u.name for u in config.units if status.get(u.name) != DONE]


def default_office_values(config: Config, unit_name: str, now: datetime) -> dict[str, Any]:
    """What the notice's default puts in a unit's 联络人 row: its office, from config."""
    unit = config.unit_named(unit_name)
    office = unit.office if unit else {}
    return {"单位": unit_name, "单位类型": unit.type if unit else "",
            "经办人": office.get("name") or "单位办公室", "经办人电话": office.get("phone", ""),
            "电子邮箱": office.get("email", ""), "联络单状态": DEFAULTED, "更新时间": now}


def write_blank_forms(config: Config, units: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for unit in units:
        path = folder / f"{safe_name(unit)}-联络单.xlsx"
        path.write_bytes(blank_form(unit, config))
        paths.append(path)
    return paths


def run_liaison(config: Config, now: datetime, dry_run: bool = False) -> int:
    """`./run liaison`: a blank form per unit in the outbox, and who has not returned one."""
    from tipdesk.register import read_register

    register = read_register(config.register)
    sheet = register.sheets.get(CONTACTS_SHEET)
    grid, columns = (sheet.grid, sheet.columns) if sheet else ([], {})
    missing = missing_units(config, grid, columns) if sheet else [u.name for u in config.units]
    folder = config.outbox / f"{now:%Y-%m-%d}" / "联络单"
    units = [u.name for u in config.units]
    if dry_run:
        print(f"将在 {folder} 生成 {len(units)} 份空白联络单。")
    else:
        write_blank_forms(config, units, folder)
        print(f"已在 {folder} 生成 {len(units)} 份空白联络单（已预填单位名称）。")
    deadline = liaison_deadline(config, now.year)
    if missing:
        print(f"尚未报送联络单的单位（{len(missing)} 个，截止 {deadline:%m月%d日}）：")
        for name in missing:
            print(f"  - {name}")
        if now.date() > deadline:
            print("已过截止日期：每日运行会把这些单位标为“默认由单位办公室负责”，使用配置中的办公室联系人。")
    else:
        print("所有单位均已报送联络单。")
    return 0
