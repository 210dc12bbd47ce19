"""Text stays text in every .xlsx tipdesk writes, and fits in a cell.

A register, a forwarded list or a unit's answer holds text that Excel would take for a
formula ("=HYPERLINK(…)", "=cmd|…"), an error value ("#N/A") or that no cell can hold (a
vertical tab pasted from Word, more than 32,767 characters). After a daily run and a
bulletin over such cases, every worksheet of every .xlsx in the workspace is opened and no
cell is a formula or an error; the texts are there, as text; a long answer is cut at
Excel's limit with the note saying so.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl

from tests.conftest import complaint
from tests.test_forms import CLOSED_ANSWERS, answer_cell
from tipdesk.domain import columns as col
from tipdesk.output.upward import upward_report
from tipdesk.xlsx.text import CUT_NOTE, EXCEL_TEXT_LIMIT, put

LINK = '=HYPERLINK("http://evil.example/","点此查看")'
FORMULA_TEXTS = [LINK, "+东城街道人民路1号", "-工地@脚手架 =1+1", "@SUM(A1:A9)", "#N/A", "=cmd|' /C calc'!A0"]
CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*>.*?</(?:\w+:)?c>|<(?:\w+:)?c\b[^>]*/>", re.S)


def formulas_and_errors(path: Path) -> list[str]:
    """Every cell of every worksheet that is a formula or an error value: (part, cell xml)."""
    found = []
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                for cell in CELL.findall(zf.read(name)):
                    if b"<f" in cell or b't="e"' in cell:
                        found.append(f"{path.name}:{name}:{cell[:200]!r}")
    return found


def texts_in(path: Path) -> set[str]:
    wb = openpyxl.load_workbook(path)
    return {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def type_as_text(ws, cases: list[dict]) -> None:
    """Rows typed by the clerk; a text starting with "=" typed as text ('=…), as Excel keeps
    it; a vertical tab as Excel stores a line break pasted from Word (_x000B_)."""
    wb = openpyxl.load_workbook(ws.register)
    sheet = wb[col.REGISTER_SHEET]
    headers = [c.value for c in sheet[1]]
    for values in cases:
        row = sheet.max_row + 1
        for name, value in values.items():
            cell = sheet.cell(row, headers.index(name) + 1, value)
            if isinstance(value, str):
                cell.data_type = "s"
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    wb.save(ws.register)
    with zipfile.ZipFile(ws.register) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(ws.register, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data.replace("工地脚手架".encode(), "工地_x000B_脚手架".encode()))


def test_no_text_becomes_a_formula_in_any_workbook(ws):
    type_as_text(ws, [complaint(被举报单位=LINK, 事发地址=f"东城街道{text}", 举报内容=f"{text} 工地脚手架没有连墙件。")
                      for text in FORMULA_TEXTS[:4]])
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    assert ws.run("report", "--month", "2026-12", now="2026-12-20 09:00") == 0
    books = sorted(p for p in ws.root.rglob("*.xlsx") if "backups" not in p.parts)
    sheets = [p for p in books if p.name.endswith("反馈表.xlsx")]
    annexes = [p for p in books if p.name.startswith("通报附件")]
    assert len(sheets) == 4 and annexes and ws.register in books
    assert [hit for book in books for hit in formulas_and_errors(book)] == []
    issued = " ".join(texts_in(sheets[0]))  # the letter's normal form: （）for ()
    assert '=HYPERLINK（"http://evil.example/"' in issued and "工地脚手架没有连墙件。" in issued
    assert any(t.startswith("=HYPERLINK") for t in texts_in(annexes[0]))  # a repeated, overdue subject


def test_upward_report_keeps_a_units_formula_looking_answer_as_text(tmp_path):
    rows = [{col.UPSTREAM_NO: "SZ001", col.CASE_ID: "AJ2026-0001", col.UNIT: "区住房和城乡建设局",
             col.STATUS: col.CLOSED, col.VERIFIED: "属实", col.RESULT: text,
             col.FEEDBACK_AT: datetime(2026, 12, 1, 9)} for text in FORMULA_TEXTS]
    path = tmp_path / "上报.xlsx"
    path.write_bytes(upward_report("省转办", rows, {"name": "区应急管理局指挥中心"}, datetime(2026, 12, 2, 9)))
    assert formulas_and_errors(path) == []
    assert {"=cmd|' /C calc'!A0", "#N/A", LINK} <= texts_in(path)


def test_an_answer_longer_than_a_cell_is_cut_with_a_note_in_the_register(ws):
    ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    issued = next((ws.root / "outbox").rglob("*-反馈表.xlsx"))
    wb = openpyxl.load_workbook(issued)
    form = wb[col.FEEDBACK_SHEET]
    for label, value in {**CLOSED_ANSWERS, "办结日期": "2026-11-30",
                         "核查情况": "查" * EXCEL_TEXT_LIMIT, "处理结果": "改" * EXCEL_TEXT_LIMIT}.items():
        answer_cell(form, label).value = value
    wb.save(ws.root / "inbox" / "回传.xlsx")
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    result = openpyxl.load_workbook(ws.register)[col.REGISTER_SHEET]
    headers = [c.value for c in result[1]]
    text = result.cell(2, headers.index(col.RESULT) + 1).value
    assert len(text) == EXCEL_TEXT_LIMIT and text.endswith(CUT_NOTE) and text.startswith("查查")
    assert any((ws.root / "inbox" / "processed").rglob("回传.xlsx"))


def test_a_cell_takes_any_text_given_to_it():
    # Control characters cannot come through calamine (it drops _x000B_), but can from a
    # mail or the journal: openpyxl would raise on them; they are dropped instead.
    ws = openpyxl.Workbook().active
    assert put(ws["A1"], "工地\x0b脚手架\x07").value == "工地脚手架"
    assert (put(ws["A2"], "=1+1").data_type, put(ws["A3"], "#REF!").data_type) == ("s", "s")
    assert put(ws["A4"], "").value is None and put(ws["A5"], 5).value == 5
    cut = put(ws["A6"], "长" * 40000).value
    assert len(cut) == EXCEL_TEXT_LIMIT and cut.endswith(CUT_NOTE)
