"""read_workbook on real files: what openpyxl, LibreOffice and careless senders produce.

Tests that need LibreOffice (cached formula values, .xls, .ods written by a real office
suite, password-protected files) skip when `soffice` is not on PATH. LibreOffice runs with
a private profile so that it neither collides with another soffice on the machine nor
depends on the user's settings.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from tipdesk.domain.errors import TipdeskError
from tipdesk.xlsx.package import column_letter
from tipdesk.xlsx.sheetfile import (
    CellRange,
    Grid,
    Workbook,
    ole_entry_names,
    read_workbook,
    ref,
)

SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


# --- building real files --------------------------------------------------------------------

def write_feedback_xlsx(path: Path) -> Path:
    """A feedback sheet laid out the way units see it: labels merged, answers beside them."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "反馈表"
    sheet["B1"] = "安全生产举报办理情况反馈表"
    sheet.merge_cells("B1:F1")
    sheet["B3"] = "案件编号"
    sheet.merge_cells("B3:C3")
    sheet["D3"] = "AJ-2026-0001"
    sheet["B4"] = "承办单位"
    sheet["D4"] = "区住房和城乡建设局"
    sheet["B5"] = "核查情况"
    sheet.merge_cells("B5:B6")
    sheet["C5"] = "经核查，举报基本属实。"
    sheet.merge_cells("C5:F6")
    sheet["B7"] = "联系电话"
    sheet["D7"] = 13800138000
    sheet["B8"] = "办结日期"
    sheet["D8"] = datetime(2026, 12, 3, 14, 30)
    sheet["D8"].number_format = "yyyy-mm-dd hh:mm"
    sheet["E8"] = date(2026, 12, 3)
    sheet["E8"].number_format = "yyyy-mm-dd"
    sheet["F8"] = time(9, 15)
    sheet["F8"].number_format = "hh:mm"
    sheet["A10"] = 2
    sheet["B10"] = 3.5
    sheet["C10"] = "=A10*B10"
    sheet["D10"] = '=CONCATENATE("已","办结")'
    sheet["E10"] = True
    sheet["F10"] = "=1/0"
    sheet["B12"] = "未填写的合并格"
    sheet.merge_cells("C12:E12")  # an empty answer range
    notes = book.create_sheet("填表说明")
    notes["A1"] = "请在灰色格子内填写"
    hidden = book.create_sheet("选项")
    hidden["A1"] = "已办结"
    hidden["A2"] = "阶段性反馈"
    hidden.sheet_state = "hidden"
    book.create_sheet("空白页")
    book.save(path)
    return path


def cfb_bytes(stream_names: list[str]) -> bytes:
    """A minimal OLE compound file (MS-CFB v3) whose root holds empty streams of these names.

    Enough for the container check that tells an encrypted .xlsx or an .xls apart.
    """
    assert len(stream_names) <= 3, "one directory sector holds four entries"
    sector = 512
    free, end, fat_sector, no_stream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    header = bytearray(sector)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, end, 0, end, 0)
    difat = [0] + [free] * 108
    struct.pack_into("<109I", header, 0x4C, *difat)
    fat = [fat_sector, end] + [free] * 126
    fat_block = struct.pack("<128I", *fat)

    def entry(name: str, kind: int, child: int, right: int) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\0").encode("utf-16-le")
        raw[: len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)
        struct.pack_into("<III", raw, 68, no_stream, right, child)
        struct.pack_into("<IQ", raw, 116, end, 0)
        return bytes(raw)

    entries = [entry("Root Entry", 5, 1 if stream_names else no_stream, no_stream)]
    for index, name in enumerate(stream_names, start=1):
        right = index + 1 if index < len(stream_names) else no_stream
        entries.append(entry(name, 2, no_stream, right))
    directory = b"".join(entries).ljust(sector, b"\0")
    return bytes(header) + fat_block + directory


def rezip(source: Path, target: Path, *, add: dict[str, bytes] | None = None,
          replace: dict[str, bytes] | None = None, drop: set[str] = frozenset()) -> Path:
    """Copy a zip-based document, adding, replacing or dropping members."""
    add, replace = add or {}, replace or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            new.writestr(info, replace.get(info.filename, old.read(info.filename)))
        for name, data in add.items():
            new.writestr(name, data)
    return target


ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet>
<table:table table:name="反馈表">
 <table:table-column table:number-columns-repeated="6"/>
 <table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="6"/></table:table-row>
 <table:table-row>
  <table:table-cell/>
  <table:table-cell office:value-type="string" table:number-columns-spanned="2" table:number-rows-spanned="1"><text:p>案件编号</text:p></table:table-cell>
  <table:covered-table-cell/>
  <table:table-cell office:value-type="string"><text:p>AJ-2026-0001</text:p></table:table-cell>
 </table:table-row>
 <table:table-row-group>
  <table:table-row>
   <table:table-cell/>
   <table:table-cell office:value-type="string" table:number-columns-spanned="1" table:number-rows-spanned="2"><text:p>核查情况</text:p></table:table-cell>
   <table:table-cell office:value-type="string" table:number-columns-spanned="3" table:number-rows-spanned="2"><text:p>属实</text:p></table:table-cell>
   <table:covered-table-cell table:number-columns-repeated="2"/>
  </table:table-row>
  <table:table-row>
   <table:table-cell/>
   <table:covered-table-cell table:number-columns-repeated="4"/>
  </table:table-row>
 </table:table-row-group>
 <table:table-row table:number-rows-repeated="2">
  <table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>重复</text:p></table:table-cell>
  <table:covered-table-cell/>
 </table:table-row>
 <table:table-row>
  <table:table-cell office:value-type="float" office:value="13800138000"><text:p>13800138000</text:p></table:table-cell>
  <table:table-cell office:value-type="date" office:date-value="2026-12-03T14:30:00"><text:p>2026-12-03 14:30</text:p></table:table-cell>
  <table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>TRUE</text:p></table:table-cell>
  <table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"><text:p>2</text:p></table:table-cell>
 </table:table-row>
</table:table>
<table:table table:name="第二页">
 <table:table-row><table:table-cell office:value-type="string" table:number-columns-spanned="2"><text:p>标题</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
</table:table>
</office:spreadsheet></office:body></office:document-content>
"""

ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def write_ods(path: Path, content: str = ODS_CONTENT, manifest: str = ODS_MANIFEST) -> Path:
    """An .ods written member by member, as the ODF spec lays it out (mimetype first, stored)."""
    # Office suites write content.xml without indentation, and calamine expects that.
    content = re.sub(r">\s+<", "><", content)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


class LibreOffice:
    """soffice in headless mode with a private profile holding one helper macro."""

    MACRO = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub SaveWithPassword(src As String, dst As String, filterName As String, pwd As String)
  On Error GoTo Failed
  Dim loadArgs(0) As New com.sun.star.beans.PropertyValue
  loadArgs(0).Name = &quot;Hidden&quot;
  loadArgs(0).Value = True
  doc = StarDesktop.loadComponentFromURL(ConvertToURL(src), &quot;_blank&quot;, 0, loadArgs())
  Dim saveArgs(1) As New com.sun.star.beans.PropertyValue
  saveArgs(0).Name = &quot;FilterName&quot;
  saveArgs(0).Value = filterName
  If filterName = &quot;Calc MS Excel 2007 XML&quot; Then
    Rem OOXML encryption (an OLE file with EncryptionInfo/EncryptedPackage) needs the
    Rem password as EncryptionData naming the engine; a plain Password is ignored.
    Dim enc(1) As New com.sun.star.beans.NamedValue
    enc(0).Name = &quot;OOXPassword&quot;
    enc(0).Value = pwd
    enc(1).Name = &quot;CryptoType&quot;
    enc(1).Value = &quot;Standard&quot;
    saveArgs(1).Name = &quot;EncryptionData&quot;
    saveArgs(1).Value = enc()
  Else
    saveArgs(1).Name = &quot;Password&quot;
    saveArgs(1).Value = pwd
  End If
  doc.storeToURL(ConvertToURL(dst), saveArgs())
  doc.close(True)
  StarDesktop.terminate()
  Exit Sub
Failed:
  StarDesktop.terminate()
End Sub
</script:module>
"""

    def __init__(self, profile: Path):
        self.profile = profile
        self.env = {**os.environ, "HOME": str(profile)}

    def _run(self, *args: str) -> None:
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation={self.profile.as_uri()}", "--headless", "--norestore", *args],
            check=True, capture_output=True, timeout=180, env=self.env,
        )

    def convert(self, source: Path, fmt: str, outdir: Path) -> Path:
        """soffice --convert-to: loads, recalculates, and saves with cached formula values."""
        outdir.mkdir(parents=True, exist_ok=True)
        self._run("--convert-to", fmt, "--outdir", str(outdir), str(source))
        result = outdir / f"{source.stem}.{fmt}"
        assert result.exists(), f"LibreOffice did not write {result}"
        return result

    def install_macro(self) -> None:
        module = self.profile / "user" / "basic" / "Standard" / "Module1.xba"
        assert module.exists(), "LibreOffice did not create its profile"
        module.write_text(self.MACRO, encoding="utf-8")

    def save_with_password(self, source: Path, target: Path, filter_name: str) -> Path:
        call = f'macro:///Standard.Module1.SaveWithPassword("{source}","{target}","{filter_name}","tipdesk")'
        self._run(call)
        if not target.exists():
            pytest.skip(f"this LibreOffice cannot save with a password using {filter_name}")
        return target


@pytest.fixture(scope="session")
def office(tmp_path_factory) -> LibreOffice:
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    root = tmp_path_factory.mktemp("libreoffice")
    lo = LibreOffice(root / "profile")
    # The first run creates the profile; the helper macro goes into it afterwards.
    source = write_feedback_xlsx(root / "warmup.xlsx")
    lo.convert(source, "ods", root / "warmup")
    lo.install_macro()
    return lo


@pytest.fixture(scope="session")
def office_files(office, tmp_path_factory) -> dict[str, Path]:
    """The feedback sheet as Excel, LibreOffice and WPS users' software would save it."""
    root = tmp_path_factory.mktemp("converted")
    source = write_feedback_xlsx(root / "反馈表.xlsx")
    return {fmt: office.convert(source, fmt, root / fmt) for fmt in ("xlsx", "xls", "ods")}


def refusal(path: Path) -> str:
    with pytest.raises(TipdeskError) as caught:
        read_workbook(path)
    message = str(caught.value)
    assert message.startswith(f"{path.name}："), message
    return message


# --- cell names ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("col", "letters"),
    [(0, "A"), (1, "B"), (25, "Z"), (26, "AA"), (27, "AB"), (51, "AZ"), (52, "BA"), (701, "ZZ"),
     (702, "AAA"), (16383, "XFD")],
)
def test_column_letters(col, letters):
    assert column_letter(col + 1) == letters  # 0-based grid index, 1-based column


def test_ref_names_cells_as_excel_shows_them():
    assert ref(0, 0) == "A1"
    assert ref(6, 1) == "B7"
    assert ref(99, 27) == "AB100"
    assert Grid.ref(6, 1) == "B7"
    with pytest.raises(ValueError):
        ref(-1, 0)
    with pytest.raises(ValueError):
        ref(0, -1)


# --- .xlsx written by openpyxl -------------------------------------------------------------

def test_sheets_in_file_order_with_hidden_flag(tmp_path):
    book = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx"))
    assert isinstance(book, Workbook)
    assert book.kind == "xlsx"
    assert book.path == tmp_path / "反馈表.xlsx"
    assert list(book.sheets) == ["反馈表", "填表说明", "选项", "空白页"]
    assert [grid.hidden for grid in book.sheets.values()] == [False, False, True, False]
    assert book.sheets["空白页"].rows == []
    assert book.sheets["空白页"].n_cols == 0
    assert book.sheets["选项"].cell(1, 0) == "阶段性反馈"


def test_positions_count_from_a1_even_when_the_first_rows_and_columns_are_empty(tmp_path):
    book = openpyxl.Workbook()
    book.active["C4"] = "只有这一格"
    book.save(tmp_path / "a.xlsx")
    grid = next(iter(read_workbook(tmp_path / "a.xlsx").sheets.values()))
    assert grid.cell(3, 2) == "只有这一格"
    assert grid.n_rows == 4 and grid.n_cols == 3
    assert grid.rows[0] == [None, None, None]


def test_values_and_types(tmp_path):
    grid = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx")).sheets["反馈表"]
    assert grid.cell(2, 3) == "AJ-2026-0001"  # D3
    assert grid.cell(6, 3) == 13800138000 and isinstance(grid.cell(6, 3), int)  # not 13800138000.0
    assert grid.cell(7, 3) == datetime(2026, 12, 3, 14, 30)
    assert grid.cell(7, 4) == date(2026, 12, 3) and not isinstance(grid.cell(7, 4), datetime)
    assert grid.cell(7, 5) == time(9, 15)
    assert grid.cell(9, 0) == 2 and isinstance(grid.cell(9, 0), int)
    assert grid.cell(9, 1) == 3.5
    assert grid.cell(9, 4) is True
    assert grid.cell(0, 0) is None  # empty cells are None, never ""
    assert all(len(row) == grid.n_cols for row in grid.rows)


def test_cells_outside_the_data_are_none(tmp_path):
    grid = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx")).sheets["反馈表"]
    assert grid.cell(500, 0) is None
    assert grid.cell(0, 500) is None
    assert grid.cell(-1, 0) is None
    assert grid.cell(0, -1) is None


def test_openpyxl_formulas_carry_no_cached_value(tmp_path):
    # openpyxl writes the formula only; what Excel would show is unknown until recalculated.
    grid = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx")).sheets["反馈表"]
    assert grid.cell(9, 2) is None
    assert grid.cell(9, 3) is None


def test_merged_label_is_found_at_every_cell_and_its_answer_right_of_the_merge(tmp_path):
    grid = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx")).sheets["反馈表"]
    assert grid.cell(2, 1) == grid.cell(2, 2) == "案件编号"  # B3:C3
    assert grid.merge_at(2, 2) == CellRange(2, 1, 2, 2)
    assert grid.right_of(2, 1) == (2, 3)
    assert grid.cell(*grid.right_of(2, 1)) == "AJ-2026-0001"
    assert grid.right_of(3, 1) == (3, 3)  # unmerged label: skips the blank C4


def test_merged_block_is_filled_in_both_directions(tmp_path):
    grid = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx")).sheets["反馈表"]
    for row in (4, 5):
        assert grid.cell(row, 1) == "核查情况"  # B5:B6
        for col in range(2, 6):
            assert grid.cell(row, col) == "经核查，举报基本属实。"  # C5:F6
    assert grid.right_of(5, 1) == (5, 2)
    assert grid.cell(0, 1) == grid.cell(0, 5) == "安全生产举报办理情况反馈表"  # B1:F1


def test_empty_merged_range_stays_empty(tmp_path):
    grid = read_workbook(write_feedback_xlsx(tmp_path / "反馈表.xlsx")).sheets["反馈表"]
    assert [grid.cell(11, col) for col in range(2, 5)] == [None, None, None]
    assert grid.merge_at(11, 3) == CellRange(11, 2, 11, 4)
    assert grid.right_of(11, 1) is None


def test_merge_beyond_the_data_extends_the_grid(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "x"
    sheet["C3"] = "标题"
    sheet.merge_cells("C3:H4")
    book.save(tmp_path / "a.xlsx")
    grid = next(iter(read_workbook(tmp_path / "a.xlsx").sheets.values()))
    assert grid.n_rows == 4 and grid.n_cols == 8
    assert grid.cell(3, 7) == "标题"
    assert all(len(row) == 8 for row in grid.rows)


def test_a_whole_row_merge_does_not_blow_up_the_grid(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "整行标题"
    sheet.merge_cells("A1:XFD1")
    sheet["A2"] = "a"
    sheet["B2"] = "b"
    book.save(tmp_path / "a.xlsx")
    grid = next(iter(read_workbook(tmp_path / "a.xlsx").sheets.values()))
    assert grid.n_cols <= 200
    assert grid.cell(0, 1) == "整行标题"
    assert grid.merge_at(0, 16000) == CellRange(0, 0, 0, 16383)


def test_macro_enabled_workbook_is_read_not_run(tmp_path):
    plain = write_feedback_xlsx(tmp_path / "plain.xlsx")
    with zipfile.ZipFile(plain) as archive:
        types = archive.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    target = rezip(
        plain, tmp_path / "反馈表.xlsm",
        replace={"[Content_Types].xml": types.encode()},
        add={"xl/vbaProject.bin": cfb_bytes(["VBA", "PROJECT"])},
    )
    book = read_workbook(target)
    assert book.kind == "xlsx"
    assert book.sheets["反馈表"].cell(2, 3) == "AJ-2026-0001"


def test_real_format_wins_over_the_name(tmp_path):
    source = write_feedback_xlsx(tmp_path / "a.xlsx")
    renamed = tmp_path / "反馈表.xls"
    shutil.copyfile(source, renamed)
    book = read_workbook(renamed)
    assert book.kind == "xlsx"
    assert book.path == renamed
    assert book.sheets["反馈表"].cell(2, 3) == "AJ-2026-0001"


def test_upper_case_suffix(tmp_path):
    source = write_feedback_xlsx(tmp_path / "a.xlsx")
    shouted = tmp_path / "反馈表.XLSX"
    shutil.copyfile(source, shouted)
    assert read_workbook(shouted).sheets["反馈表"].cell(2, 3) == "AJ-2026-0001"


def test_reading_leaves_the_file_untouched_and_closed(tmp_path):
    path = write_feedback_xlsx(tmp_path / "反馈表.xlsx")
    before = path.read_bytes()
    read_workbook(path)
    assert path.read_bytes() == before
    path.rename(tmp_path / "moved.xlsx")  # the inbox step moves files right after reading


def test_accepts_a_str_path(tmp_path):
    path = write_feedback_xlsx(tmp_path / "反馈表.xlsx")
    assert read_workbook(str(path)).path == path


# --- .ods (merges read from content.xml) ---------------------------------------------------

def test_ods_values_and_merges(tmp_path):
    book = read_workbook(write_ods(tmp_path / "反馈表.ods"))
    assert book.kind == "ods"
    assert list(book.sheets) == ["反馈表", "第二页"]
    grid = book.sheets["反馈表"]
    assert grid.cell(2, 1) == grid.cell(2, 2) == "案件编号"
    assert grid.right_of(2, 1) == (2, 3)
    assert grid.cell(2, 3) == "AJ-2026-0001"
    # Rows inside a row group count like any other; a 3x2 block fills all its cells.
    assert grid.merge_at(4, 4) == CellRange(3, 2, 4, 4)
    assert grid.cell(4, 1) == "核查情况"
    assert grid.cell(4, 4) == "属实"
    # A merge in a repeated row repeats with it.
    assert grid.merge_at(5, 1) == CellRange(5, 0, 5, 1)
    assert grid.merge_at(6, 1) == CellRange(6, 0, 6, 1)
    assert grid.cell(6, 1) == "重复"
    assert grid.cell(7, 0) == 13800138000
    assert grid.cell(7, 1) == datetime(2026, 12, 3, 14, 30)
    assert grid.cell(7, 2) is True
    assert grid.cell(7, 3) == 2  # the formula's stored value
    assert book.sheets["第二页"].cell(0, 1) == "标题"


def test_ods_renamed_xlsx_is_read_as_ods(tmp_path):
    ods = write_ods(tmp_path / "a.ods")
    renamed = tmp_path / "反馈表.xlsx"
    shutil.copyfile(ods, renamed)
    book = read_workbook(renamed)
    assert book.kind == "ods"
    assert book.sheets["反馈表"].cell(2, 2) == "案件编号"


def test_ods_with_encrypted_members_is_refused(tmp_path):
    manifest = ODS_MANIFEST.replace(
        'manifest:media-type="text/xml"/>',
        'manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
        'manifest:checksum="AAAA"/></manifest:file-entry>',
    )
    message = refusal(write_ods(tmp_path / "反馈表.ods", manifest=manifest))
    assert "密码" in message


# --- refusals by name ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["反馈表.et", "反馈表.ET", "反馈表模板.ett"])
def test_wps_native_files_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(cfb_bytes(["Workbook"]))
    message = refusal(path)
    assert "请在 WPS 中另存为 .xlsx 后重新发送" in message


def test_csv_is_refused(tmp_path):
    path = tmp_path / "反馈表.csv"
    path.write_text("案件编号,AJ-2026-0001\n", encoding="utf-8")
    assert "不接受 CSV，请使用下发的 Excel 表格" in refusal(path)


def test_text_file_is_refused(tmp_path):
    path = tmp_path / "反馈.txt"
    path.write_text("案件编号 AJ-2026-0001", encoding="utf-8")
    assert "请使用下发的 Excel 表格" in refusal(path)


@pytest.mark.parametrize("name", ["反馈表.pdf", "反馈表.docx", "反馈表", "反馈表.xlsx.1", "反馈表.zip"])
def test_unknown_extensions_are_refused(tmp_path, name):
    path = tmp_path / name
    shutil.copyfile(write_feedback_xlsx(tmp_path / "source.xlsx"), path)
    message = refusal(path)
    assert "不支持的文件类型" in message
    assert ".xlsx" in message


def test_office_lock_file_is_refused(tmp_path):
    path = tmp_path / "~$反馈表.xlsx"
    path.write_bytes(b"\x06clerk" + b"\x00" * 100)
    assert "临时文件" in refusal(path)


def test_missing_file(tmp_path):
    assert "找不到文件" in refusal(tmp_path / "不存在.xlsx")


# --- refusals by content ---------------------------------------------------------------------

def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "反馈表.xlsx"
    path.write_bytes(b"")
    assert "文件是空的" in refusal(path)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_xlsx_is_refused(tmp_path, fraction):
    whole = write_feedback_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "反馈表.xlsx"
    path.write_bytes(whole[: int(len(whole) * fraction)])
    message = refusal(path)
    assert "损坏或不完整" in message
    assert "重新发送" in message


def test_xlsx_with_a_corrupt_worksheet_is_refused(tmp_path):
    source = write_feedback_xlsx(tmp_path / "whole.xlsx")
    path = rezip(source, tmp_path / "反馈表.xlsx", replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"})
    assert "损坏或不完整" in refusal(path)


@pytest.mark.parametrize("name", ["反馈表.xlsx", "反馈表.xls", "反馈表.ods", "反馈表.xlsm"])
def test_random_bytes_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(bytes((i * 131 + 7) % 256 for i in range(20000)))
    assert "损坏或不完整" in refusal(path)


def test_random_bytes_behind_a_zip_signature_are_refused(tmp_path):
    path = tmp_path / "反馈表.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes((i * 37) % 256 for i in range(5000)))
    assert "损坏或不完整" in refusal(path)


def test_random_bytes_behind_an_ole_signature_are_refused(tmp_path):
    path = tmp_path / "反馈表.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes((i * 37) % 256 for i in range(5000)))
    assert "损坏或不完整" in refusal(path)


def test_zip_without_a_workbook_is_refused(tmp_path):
    path = tmp_path / "反馈表.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "损坏或不完整" in refusal(path)


def test_word_document_renamed_is_refused(tmp_path):
    path = tmp_path / "反馈表.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert "Word 文档" in refusal(path)


def test_old_word_document_renamed_is_refused(tmp_path):
    path = tmp_path / "反馈表.xls"
    path.write_bytes(cfb_bytes(["WordDocument", "1Table"]))
    assert "Word 文档" in refusal(path)


def test_xlsb_is_refused(tmp_path):
    path = tmp_path / "反馈表.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    assert "另存为 .xlsx" in refusal(path)


@pytest.mark.parametrize(
    "content",
    [
        "<html><body><table><tr><td>案件编号</td></tr></table></body></html>",
        '<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
        "MIME-Version: 1.0\r\nContent-Type: multipart/related\r\n",
    ],
)
def test_web_page_saved_as_xls_is_refused(tmp_path, content):
    path = tmp_path / "导出.xls"
    path.write_text(content, encoding="utf-8")
    message = refusal(path)
    assert "不是真正的 Excel 文件" in message
    assert "另存为 .xlsx" in message


@pytest.mark.parametrize("name", ["反馈表.xlsx", "反馈表.xlsm", "反馈表.xls"])
def test_password_protected_ooxml_is_refused(tmp_path, name):
    # Excel saves a password-protected workbook as an OLE container with these two streams,
    # whatever the name says.
    path = tmp_path / name
    path.write_bytes(cfb_bytes(["EncryptionInfo", "EncryptedPackage"]))
    message = refusal(path)
    assert "密码" in message
    assert "重新发送" in message


def test_ole_container_without_a_workbook_is_refused(tmp_path):
    path = tmp_path / "反馈表.xls"
    path.write_bytes(cfb_bytes(["Contents"]))
    assert "损坏或不完整" in refusal(path)


# --- the OLE directory reader ----------------------------------------------------------------

def test_ole_entry_names_of_a_built_container():
    names = ole_entry_names(cfb_bytes(["EncryptionInfo", "EncryptedPackage"]))
    assert names[0] == "Root Entry"
    assert sorted(names[1:]) == ["EncryptedPackage", "EncryptionInfo"]


@pytest.mark.parametrize("cut", [0, 100, 511, 700])
def test_ole_entry_names_of_a_truncated_container(cut):
    with pytest.raises(ValueError):
        ole_entry_names(cfb_bytes(["Workbook"])[:cut])


def test_ole_entry_names_survives_a_looping_chain():
    # The directory sector points to itself: olefile reads the one sector once and stops,
    # and whatever it says, the reader answers rather than spinning.
    data = bytearray(cfb_bytes(["Workbook"]))
    struct.pack_into("<I", data, 512 + 4, 1)
    try:
        assert "Workbook" in ole_entry_names(bytes(data))
    except ValueError:
        pass


def test_ole_entry_names_refuses_random_bytes_behind_the_signature():
    with pytest.raises(ValueError):
        ole_entry_names(bytes.fromhex("D0CF11E0A1B11AE1") + bytes((i * 37) % 256 for i in range(5000)))


# --- files saved by a real office suite (LibreOffice) ----------------------------------------

@needs_soffice
@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_office_saved_files_read_alike(office_files, fmt):
    book = read_workbook(office_files[fmt])
    assert book.kind == fmt
    assert list(book.sheets) == ["反馈表", "填表说明", "选项", "空白页"]
    assert book.sheets["选项"].hidden
    grid = book.sheets["反馈表"]
    assert grid.cell(2, 1) == grid.cell(2, 2) == "案件编号"
    assert grid.cell(*grid.right_of(2, 1)) == "AJ-2026-0001"
    assert grid.cell(5, 5) == "经核查，举报基本属实。"
    assert grid.right_of(4, 1) == (4, 2)
    assert grid.cell(6, 3) == 13800138000 and isinstance(grid.cell(6, 3), int)
    assert grid.cell(7, 3) == datetime(2026, 12, 3, 14, 30)
    assert grid.cell(7, 4) == date(2026, 12, 3)
    assert grid.cell(7, 5) == time(9, 15)
    assert grid.cell(9, 1) == 3.5
    # Recalculated on saving, so the formulas now carry cached values.
    assert grid.cell(9, 2) == 7
    assert grid.cell(9, 3) == "已办结"
    assert grid.cell(9, 5) is None  # #DIV/0! reads as empty
    # LibreOffice stores a boolean in .ods as the number 1 with a boolean format.
    assert grid.cell(9, 4) == (1 if fmt == "ods" else True)
    assert [grid.cell(11, col) for col in range(2, 5)] == [None, None, None]


@needs_soffice
def test_office_saved_merges_match_across_formats(office_files):
    merges = {fmt: sorted(read_workbook(path).sheets["反馈表"].merges) for fmt, path in office_files.items()}
    assert merges["xlsx"] == merges["xls"] == merges["ods"]
    assert CellRange(2, 1, 2, 2) in merges["ods"]
    assert CellRange(4, 2, 5, 5) in merges["ods"]


@needs_soffice
def test_real_xls_renamed_xlsx_is_read_as_xls(office_files, tmp_path):
    renamed = tmp_path / "反馈表.xlsx"
    shutil.copyfile(office_files["xls"], renamed)
    book = read_workbook(renamed)
    assert book.kind == "xls"
    assert book.sheets["反馈表"].cell(2, 3) == "AJ-2026-0001"


@needs_soffice
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_truncated_office_files_are_refused(office_files, tmp_path, fmt):
    whole = office_files[fmt].read_bytes()
    path = tmp_path / f"反馈表.{fmt}"
    path.write_bytes(whole[: len(whole) // 2])
    assert "损坏或不完整" in refusal(path)


@needs_soffice
@pytest.mark.parametrize(
    ("suffix", "filter_name"),
    [("xlsx", "Calc MS Excel 2007 XML"), ("xls", "MS Excel 97"), ("ods", "calc8")],
)
def test_password_protected_office_files_are_refused(office, tmp_path, suffix, filter_name):
    source = write_feedback_xlsx(tmp_path / "source.xlsx")
    target = office.save_with_password(source, tmp_path / f"加密反馈表.{suffix}", filter_name)
    if suffix == "xlsx":
        assert target.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")
    message = refusal(target)
    assert "文件设置了打开密码" in message
    assert "另存为 .xlsx 后重新发送" in message


@needs_soffice
def test_password_protected_xls_renamed_xlsx_is_refused(office, tmp_path):
    source = write_feedback_xlsx(tmp_path / "source.xlsx")
    target = office.save_with_password(source, tmp_path / "加密.xls", "MS Excel 97")
    renamed = tmp_path / "加密反馈表.xlsx"
    shutil.copyfile(target, renamed)
    assert "密码" in refusal(renamed)
