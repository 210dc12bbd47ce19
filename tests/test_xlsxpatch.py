"""The cell patcher on real packages: untouched parts stay byte-identical, edge layouts work."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from tipdesk.xlsx.patch import patch_workbook


def make(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(["编号", "时间", "备注"])
    ws.append(["A1", datetime(2026, 1, 2, 3, 4), "旧"])
    ws.append([None, None, None])
    ws.append(["A3", None, "=1+1"])
    ws.auto_filter.ref = "A1:C4"
    other = wb.create_sheet("别的")
    other["A1"] = "原样"
    wb.save(path)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_only_the_sheet_and_styles_change_and_values_land(tmp_path):
    src, dst = make(tmp_path / "a.xlsx"), tmp_path / "b.xlsx"
    skipped = patch_workbook(src, dst, {"台账": {2: {3: "新<&>"}, 4: {3: "不该写入"}, 6: {1: "A6", 2: datetime(2026, 5, 6, 7, 8)}}},
                             {"台账": 6})
    assert skipped == {"台账": {(4, 3)}}
    before, after = parts(src), parts(dst)
    changed = {n for n in before if before[n] != after[n]}
    assert changed <= {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    ws = load_workbook(dst)["台账"]
    assert ws["C2"].value == "新<&>"
    assert ws["C4"].value == "=1+1"                      # formulas are the clerk's
    assert ws["A6"].value == "A6" and ws["B6"].value == datetime(2026, 5, 6, 7, 8)
    assert ws["B6"].is_date
    assert ws.auto_filter.ref == "A1:C6"
    assert load_workbook(dst)["别的"]["A1"].value == "原样"


def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path):
    src, dst = make(tmp_path / "a.xlsx"), tmp_path / "b.xlsx"
    patch_workbook(src, dst, {"台账": {2: {3: "=HYPERLINK(\"http://x\")"}, 3: {3: "+1", 1: "@SUM(A1)"}}})
    ws = load_workbook(dst)["台账"]
    assert ws["C2"].data_type == "s" and ws["C2"].value == '=HYPERLINK("http://x")'
    assert ws["A3"].value == "@SUM(A1)" and ws["C3"].value == "+1"


def test_rows_are_created_in_order_in_an_empty_sheet(tmp_path):
    src, dst = make(tmp_path / "a.xlsx"), tmp_path / "b.xlsx"
    patch_workbook(src, dst, {"别的": {5: {2: "五"}, 3: {1: "三"}}})
    ws = load_workbook(dst)["别的"]
    assert ws["A1"].value == "原样" and ws["A3"].value == "三" and ws["B5"].value == "五"
    empty = Workbook()
    empty.active.title = "空"
    empty.save(tmp_path / "e.xlsx")
    patch_workbook(tmp_path / "e.xlsx", tmp_path / "f.xlsx", {"空": {2: {2: 1.5}}})
    assert load_workbook(tmp_path / "f.xlsx")["空"]["B2"].value == 1.5


def test_prefixed_namespace_sheets_are_patched(tmp_path):
    """Some exporters write <x:row>/<x:c>; the patch must keep that prefix."""
    src = make(tmp_path / "a.xlsx")
    data = parts(src)
    sheet = data["xl/worksheets/sheet2.xml"].decode()
    sheet = sheet.replace('<worksheet xmlns="', '<x:worksheet xmlns:x="').replace("</worksheet>", "</x:worksheet>")
    for tag in ("sheetData", "row", "c", "is", "t", "v", "sheetPr", "outlinePr", "pageSetUpPr", "dimension",
                "sheetViews", "sheetView", "selection", "sheetFormatPr", "pageMargins"):
        sheet = sheet.replace(f"<{tag}", f"<x:{tag}").replace(f"</{tag}>", f"</x:{tag}>")
    data["xl/worksheets/sheet2.xml"] = sheet.encode()
    with zipfile.ZipFile(tmp_path / "p.xlsx", "w") as zf:
        for name, payload in data.items():
            zf.writestr(name, payload)
    patch_workbook(tmp_path / "p.xlsx", tmp_path / "q.xlsx", {"别的": {1: {2: "加"}}})
    ws = load_workbook(tmp_path / "q.xlsx")["别的"]
    assert ws["A1"].value == "原样" and ws["B1"].value == "加"
    assert b"<x:c " in parts(tmp_path / "q.xlsx")["xl/worksheets/sheet2.xml"]
