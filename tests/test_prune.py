"""xlsx/prune.py: rows leave a sheet as Excel's "delete row" takes them, the rest moved up."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from tipdesk.xlsx.prune import prune_sheet


def _sheet_xml() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for n in range(1, 9):
        ws.append([f"A{n}", n, f"C{n}"])
    ws.merge_cells("A3:B3")      # on a removed row: goes
    ws.merge_cells("A6:C6")      # below: moves up
    ws["C7"].hyperlink = "https://example.gov.cn/7"
    ws["C4"].hyperlink = "https://example.gov.cn/4"   # removed
    ws.auto_filter.ref = "A1:C8"
    ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as zf:
        return zf.read("xl/worksheets/sheet1.xml")


def test_rows_go_and_the_rows_below_move_up_with_their_merges_links_and_filter():
    xml = prune_sheet(_sheet_xml(), {3, 4})
    assert b'<row r="3"' in xml and b'<row r="7"' not in xml
    assert b'r="A3"' in xml and b'r="A5"' in xml   # old rows 5 and 7 are now 3 and 5
    assert b'<mergeCell ref="A4:C4"/>' in xml and b"A3:B3" not in xml
    assert b'<mergeCells count="1">' in xml
    assert b'ref="C5"' in xml and b'ref="C4"' not in xml.split(b"<hyperlinks>")[1]
    assert b'<autoFilter ref="A1:C6"' in xml
    assert b'<dimension ref="A1:C6"' in xml
    assert b'topLeftCell="A2"' in xml
