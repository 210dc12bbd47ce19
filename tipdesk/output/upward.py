"""The upward report (上报): for each upper centre, the results of the cases it forwarded.

One .xlsx per centre (来源 国家转办 / 省转办 / 市转办) in outbox/DATE/上报/, listing the cases
whose result is ready and not yet reported, with the columns the contract names. 处理结果
passes through `redact_case`: a unit's words never carry a reporter out.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence


from tipdesk.domain.columns import (
    CASE_ID, FEEDBACK_AT, RESULT, STATUS, UNIT, UPSTREAM_NO, VERIFIED,
)
from tipdesk.domain.redact import redact_case
from tipdesk.domain.textnorm import chinese_date, safe_name
from tipdesk.store.commit import MOVE, FileOp
from tipdesk.store.egress import Gate
from tipdesk.store.files import free_path
from tipdesk.xlsx.text import put

HEADERS = ("上级编号", "案件编号", "承办单位", "办理状态", "是否属实", "处理结果", "办结时间")
WIDTHS = (18, 14, 20, 10, 10, 60, 14)
FOLDER = "上报"


def file_name(source: str, now: datetime) -> str:
    return safe_name(f"{source}-办理结果上报-{now:%Y%m%d-%H%M}.xlsx")


def upward_report(source: str, rows: Sequence[Mapping[str, Any]], centre: Mapping[str, str],
                  now: datetime) -> bytes:
    """The report to one upper centre: a titled, printable list (A4 landscape, header repeated)."""
    # openpyxl loads only on a run that has results to report (most runs have none).
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb = Workbook()
    ws = wb.active
    ws.title = "上报"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws["A1"] = f"安全生产举报转办件办理结果（报{source.removesuffix('转办')}级指挥中心）"
    ws["A1"].font = Font(name="黑体", size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws["A2"] = f"填报单位：{centre.get('name', '')}　　填报时间：{chinese_date(now, with_time=True)}　　共{len(rows)}件"
    ws["A2"].font = Font(name="宋体", size=10)
    for column, (header, width) in enumerate(zip(HEADERS, WIDTHS), start=1):
        cell = ws.cell(3, column, header)
        cell.font = Font(name="宋体", size=11, bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[cell.column_letter].width = width
    for number, row in enumerate(rows, start=4):
        safe = redact_case(dict(row))
        closed = row.get(FEEDBACK_AT)
        values = (safe.get(UPSTREAM_NO), safe.get(CASE_ID), safe.get(UNIT), safe.get(STATUS), safe.get(VERIFIED),
                  safe.get(RESULT), chinese_date(closed) if isinstance(closed, datetime) else "")
        for column, value in enumerate(values, start=1):
            cell = put(ws.cell(number, column), "" if value is None else str(value))
            cell.font = Font(name="宋体", size=10)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
        lines = max(1, len(str(safe.get(RESULT) or "")) // 30 + 1)
        ws.row_dimensions[number].height = min(409, 15 * lines)
    ws.print_title_rows = "3:3"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    wb.properties.creator = centre.get("name", "")
    wb.properties.created = wb.properties.modified = now
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def staged_reports(reports: dict[str, bytes], staging: Path, folder: Path, now: datetime, gate: Gate
                   ) -> tuple[list[tuple[str, Path]], list[FileOp]]:
    """The reports written into staging, and where each goes in outbox/DATE/上报/ once the
    register is saved (store/commit.py). One the egress gate holds goes nowhere: the clerk
    clears those cases' 上报时间 again once the text is mended."""
    out, ops = [], []
    for source, data in sorted(reports.items()):
        name = file_name(source, now)
        staged = staging / FOLDER / name
        staged.parent.mkdir(parents=True, exist_ok=True)
        staged.write_bytes(data)
        target = free_path(folder / FOLDER / name)
        if gate.hold([staged], [target], fix="改好后清空这些案件的“上报时间”，下次运行会重新上报"):
            continue
        ops.append(FileOp(MOVE, str(target), str(staged)))
        out.append((source, target))
    return out, ops
