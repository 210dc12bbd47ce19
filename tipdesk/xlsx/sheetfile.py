"""Read the spreadsheets people actually send into plain grids of values.

Units fill our forms in Excel or WPS, sometimes LibreOffice, save them as whatever their
software offers, rename them, protect them with passwords and send half-downloaded copies.
This module turns a file into `Workbook` -> `Grid`s of plain values, or refuses it with a
Chinese message that starts with the file name and says what the sender should do.

The format is decided by the bytes, not the name: a .xls that is really an .xlsx (people
rename files to satisfy upload forms) is read as what it is. The reading itself is done by
python-calamine, which reads .xlsx/.xlsm/.xls/.ods and never runs macros. What calamine
gives, as checked with files written by openpyxl and LibreOffice 7.4:

- values: str, float (xlsx/ods) or int (xls), bool, datetime (date-time formatted cells),
  date (date-only formats), time (time-only formats); empty cells and error cells (#DIV/0!,
  #N/A) come back as "". Booleans that LibreOffice wrote into .ods arrive as 1.0/0.0.
  Here "" becomes None and integral floats become int, so all formats read alike.
- formulas: the value cached in the file. openpyxl-written files carry none, so their
  formula cells read as empty; files saved by Excel, WPS or LibreOffice carry them.
- merged ranges: listed for .xlsx and .xls; None for .ods, whose merges are therefore read
  here from content.xml (table:number-columns-spanned / number-rows-spanned).
"""

from __future__ import annotations

import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, NamedTuple

import olefile
import python_calamine

from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.textnorm import normalize_text
from tipdesk.xlsx.extent import far_note, without_far_cells
from tipdesk.xlsx.package import cell_ref

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

READABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_WPS_SUFFIXES = (".et", ".ett")
# Suffixes under which calamine's own extension-based choice matches each real format.
_NATIVE_SUFFIXES = {"xlsx": (".xlsx", ".xlsm"), "xls": (".xls",), "ods": (".ods",)}

_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# Integral floats below this are exact integers (2**53: the float mantissa limit).
_EXACT_INT_LIMIT = 2**53
# A merge reaching further than this past the data (a title merged over a whole row, A1:XFD1)
# is filled only as far as the data goes, so one odd merge cannot blow a grid up to millions
# of cells.
_MERGE_FILL_SLACK = 100
# Cap on the rows of an .ods repeated-row run whose merges we record one by one.
_ODS_REPEAT_CAP = 1000

_RESAVE = "请在 Excel 或 WPS 中打开，另存为 .xlsx 后重新发送"


class CellRange(NamedTuple):
    """A rectangle of cells, 0-based and inclusive at both ends."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    def contains(self, row: int, col: int) -> bool:
        return self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col


def ref(row: int, col: int) -> str:
    """The cell name people see in Excel for 0-based indexes: ref(6, 1) == "B7"."""
    if row < 0:
        raise ValueError(f"negative row index {row}")
    return cell_ref(row + 1, col + 1)


@dataclass
class Grid:
    """One worksheet as a rectangle of plain values, row 0 / column 0 being cell A1.

    Values are str, int (integral numbers), float, bool, datetime, date, time (timedelta for
    a duration format) or None for an empty or error cell. Every cell of a merged range holds
    the range's top-left value; `merges` lists the ranges as the file declares them.
    """

    name: str
    rows: list[list[Any]]
    merges: list[CellRange] = field(default_factory=list)
    hidden: bool = False

    ref = staticmethod(ref)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def cell(self, row: int, col: int) -> Any:
        """The value at (row, col); None for an empty cell or one outside the sheet's data."""
        if 0 <= row < len(self.rows) and 0 <= col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def merge_at(self, row: int, col: int) -> CellRange | None:
        """The merged range that covers (row, col), if any."""
        for merge in self.merges:
            if merge.contains(row, col):
                return merge
        return None

    def right_of(self, row: int, col: int) -> tuple[int, int] | None:
        """The nearest non-blank cell right of (row, col), past the merge that covers it.

        This is where a form's answer sits beside its label, also when the label is merged
        over several columns and so repeated in each of them.
        """
        merge = self.merge_at(row, col)
        start = (merge.last_col if merge else col) + 1
        for c in range(start, self.n_cols):
            if normalize_text(self.cell(row, c)):
                return row, c
        return None


@dataclass
class Workbook:
    """The worksheets of one file, in file order; kind is the real format read."""

    path: Path
    kind: str
    sheets: dict[str, Grid]
    far: dict[str, list[str]] = field(default_factory=dict)  # sheet -> far cells left out (extent.py)

    def notes(self) -> list[str]:
        return [far_note(sheet, refs) for sheet, refs in self.far.items()]


def read_workbook(path: Path) -> Workbook:
    """Read a spreadsheet file into grids, or raise TipdeskError saying what the sender should do."""
    path = Path(path)
    _check_name(path)
    data = _read_bytes(path)
    kind = _sniff(path, data)
    raw_sheets, far = _load(path, data, kind)
    ods_merges = _ods_merges(path, data) if kind == "ods" else {}
    sheets = {}
    for raw in raw_sheets:
        merges = raw.merges if raw.merges is not None else ods_merges.get(raw.name, [])
        sheets[raw.name] = _build_grid(raw.name, raw.rows, merges, raw.hidden)
    return Workbook(path=path, kind=kind, sheets=sheets, far=far)


# --- refusing by name --------------------------------------------------------------------

def _check_name(path: Path) -> None:
    suffix = path.suffix.lower()
    if path.name.startswith("~$"):
        # Excel and WPS leave these lock files beside an open workbook; people attach them by
        # mistake.
        raise _refuse(path, "这是 Excel/WPS 打开表格时自动生成的临时文件，不是表格本身。请发送原表格文件。")
    if suffix in _WPS_SUFFIXES:
        raise _refuse(path, "这是 WPS 表格专用格式，无法读取。请在 WPS 中另存为 .xlsx 后重新发送。")
    if suffix == ".csv":
        raise _refuse(path, "不接受 CSV，请使用下发的 Excel 表格填写后发送。")
    if suffix == ".txt":
        raise _refuse(path, "不接受文本文件，请使用下发的 Excel 表格填写后发送。")
    if suffix not in READABLE_SUFFIXES:
        shown = f"“{path.suffix}”" if path.suffix else "（没有扩展名）"
        raise _refuse(
            path,
            f"不支持的文件类型{shown}。请使用下发的 Excel 表格（.xlsx），"
            "或在 Excel/WPS 中另存为 .xlsx 后重新发送。",
        )


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _refuse(path, "找不到文件。") from None
    except OSError as exc:
        raise _refuse(
            path, f"无法读取文件（{exc.strerror or exc}）。如果文件正在 Excel 或 WPS 中打开，请关闭后重试。"
        ) from None
    if not data:
        raise _refuse(path, "文件是空的（0 字节），可能保存或发送时出了错。请确认表格能正常打开后重新发送。")
    return data


# --- deciding the real format by content --------------------------------------------------

def _sniff(path: Path, data: bytes) -> str:
    """'xlsx', 'xls' or 'ods', judged from the bytes; anything else is refused."""
    if data.startswith(ZIP_MAGIC):
        return _sniff_zip(path, data)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(path, data)
    if _looks_like_markup(data):
        # Many web systems export an HTML or XML 2003 table and call it .xls.
        raise _refuse(
            path,
            "这不是真正的 Excel 文件（内容是网页或 XML 格式，常见于从网上系统导出的表格）。"
            f"{_RESAVE}。",
        )
    raise _damaged(path, "不是可识别的表格文件")


def _sniff_zip(path: Path, data: bytes) -> str:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").strip() if "mimetype" in names else b""
            manifest = archive.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
    except Exception as exc:  # BadZipFile for a cut-off file, zlib.error for a corrupt member
        raise _damaged(path, "压缩包不完整，可能没有下载或保存完") from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise _refuse(path, "这是 Excel 二进制工作簿（.xlsb），无法读取。请在 Excel 中另存为 .xlsx 后重新发送。")
    if mimetype == _ODS_MIMETYPE:
        if b"encryption-data" in manifest:
            raise _encrypted(path)
        return "ods"
    if "word/document.xml" in names or mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        raise _refuse(path, "这是 Word 文档，不是 Excel 表格。请使用下发的 Excel 表格填写后发送。")
    raise _damaged(path, "压缩包里没有工作表")


def _sniff_ole(path: Path, data: bytes) -> str:
    try:
        names = {name.lower() for name in ole_entry_names(data)}
    except ValueError as exc:
        raise _damaged(path, "文件结构损坏") from exc
    # Excel keeps a password-protected .xlsx as an OLE container holding the encrypted
    # package; the .xlsx name stays, so only the content tells.
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise _encrypted(path)
    if "workbook" in names or "book" in names:
        return "xls"
    if "worddocument" in names:
        raise _refuse(path, "这是 Word 文档，不是 Excel 表格。请使用下发的 Excel 表格填写后发送。")
    raise _damaged(path, "不是可识别的表格文件")


def _looks_like_markup(data: bytes) -> bool:
    head = data[:512].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    return head.startswith((b"<", b"m\x00i\x00m\x00e", b"mime-version"))


# --- OLE (Compound File Binary) containers: .xls, encrypted .xlsx, old Word -------------------

def ole_entry_names(data: bytes) -> list[str]:
    """Names of the storages and streams in an OLE compound file (MS-CFB), read by olefile:
    enough to tell an encrypted .xlsx (EncryptionInfo, EncryptedPackage) from a .xls
    (Workbook) or a Word file. ValueError for anything olefile cannot read."""
    try:
        ole = olefile.OleFileIO(BytesIO(data))
    except Exception as exc:  # olefile raises OSError subclasses, and worse on random bytes
        raise ValueError(f"not a readable OLE compound file: {exc}") from exc
    try:
        return [ole.root.name] + ["/".join(path) for path in ole.listdir(streams=True, storages=True)]
    except Exception as exc:
        raise ValueError(f"broken OLE directory: {exc}") from exc
    finally:
        ole.close()


# --- reading with calamine ----------------------------------------------------------------

@dataclass
class _RawSheet:
    name: str
    rows: list[list[Any]]
    merges: list[CellRange] | None
    hidden: bool


def _load(path: Path, data: bytes, kind: str) -> tuple[list[_RawSheet], dict[str, list[str]]]:
    """Every worksheet's values and merges as calamine reads them, and the far cells left out
    (.xlsx only: .xls is bounded at 65536 rows by its format); errors become refusals."""
    try:
        with _native_copy(path, data, kind) as source:
            if kind != "xlsx":
                return _load_with_calamine(source), {}
            with without_far_cells(source) as (trimmed, far):
                return _load_with_calamine(trimmed), far
    except python_calamine.PasswordError as exc:
        raise _encrypted(path) from exc
    except python_calamine.CalamineError as exc:
        if "Cell limit exceeded" not in str(exc):
            raise _damaged(path, "内容无法读取") from exc
        # calamine's own guard, met by an .ods with a value far beyond its data.
        raise _refuse(path, "表格中有远离内容的单元格（例如在最后一行或最后一列输入过内容），表格大得无法读取。"
                            "请在 Excel 或 WPS 中按 Ctrl+End 找到并删除这些单元格，另存为 .xlsx 后重新发送。") from exc
    except Exception as exc:  # calamine's ZipError, XmlError, CalamineError: a broken file
        raise _damaged(path, "内容无法读取") from exc
    except BaseException as exc:
        # pyo3 turns a panic inside the Rust reader into PanicException, a BaseException.
        if type(exc).__name__ != "PanicException":
            raise
        raise _damaged(path, "内容无法读取") from exc


@contextmanager
def _native_copy(path: Path, data: bytes, kind: str) -> Iterator[Path]:
    """The file under a name whose suffix matches its real format.

    calamine picks its reader by suffix and only sniffs content when reading from memory,
    where it loses the distinction between a password and a broken file; a renamed file is
    therefore read from a correctly named temporary copy.
    """
    if path.suffix.lower() in _NATIVE_SUFFIXES[kind]:
        yield path
        return
    folder = tempfile.mkdtemp(prefix="tipdesk-")
    try:
        copy = Path(folder) / f"workbook.{kind}"
        copy.write_bytes(data)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _load_with_calamine(source: Path) -> list[_RawSheet]:
    sheets = []
    # The context manager closes the file at once: on Windows an open handle would stop the
    # inbox step from moving the file afterwards.
    with python_calamine.CalamineWorkbook.from_path(str(source)) as book:
        for meta in book.sheets_metadata:
            # Chart sheets and old macro/dialog sheets hold no cells worth reading.
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            ranges = sheet.merged_cell_ranges
            merges = None if ranges is None else [_as_range(start, end) for start, end in ranges]
            sheets.append(_RawSheet(
                name=meta.name,
                rows=sheet.to_python(skip_empty_area=False),
                merges=merges,
                hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible,
            ))
    return sheets


def _as_range(start: tuple[int, int], end: tuple[int, int]) -> CellRange:
    return CellRange(min(start[0], end[0]), min(start[1], end[1]), max(start[0], end[0]), max(start[1], end[1]))


# --- merges in .ods, which calamine does not report ---------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_CELL_TAGS = (_TABLE + "table-cell", _TABLE + "covered-table-cell")


def _ods_merges(path: Path, data: bytes) -> dict[str, list[CellRange]]:
    """Merged ranges per sheet name, from the spans in content.xml."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive, archive.open("content.xml") as content:
            return _scan_ods_content(content)
    except Exception as exc:  # calamine read the same file, so this is a broken member
        raise _damaged(path, "内容无法读取") from exc


def _scan_ods_content(content: Any) -> dict[str, list[CellRange]]:
    merges: dict[str, list[CellRange]] = {}
    current: list[CellRange] | None = None
    row = col = 0
    row_repeat = 1
    for event, elem in ET.iterparse(content, events=("start", "end")):
        if event == "start":
            if elem.tag == _TABLE + "table":
                current = merges.setdefault(elem.get(_TABLE + "name", ""), [])
                row = 0
            elif elem.tag == _TABLE + "table-row":
                col = 0
                row_repeat = int(elem.get(_TABLE + "number-rows-repeated", "1"))
            elif elem.tag in _CELL_TAGS:
                col_repeat = int(elem.get(_TABLE + "number-columns-repeated", "1"))
                if current is not None:
                    current.extend(_ods_cell_spans(elem, row, col, row_repeat, col_repeat))
                col += col_repeat
        elif elem.tag == _TABLE + "table-row":
            row += row_repeat
            elem.clear()  # keep memory flat on long sheets
        elif elem.tag == _TABLE + "table":
            current = None
    return merges


def _ods_cell_spans(elem: ET.Element, row: int, col: int, row_repeat: int, col_repeat: int) -> list[CellRange]:
    row_span = int(elem.get(_TABLE + "number-rows-spanned", "1"))
    col_span = int(elem.get(_TABLE + "number-columns-spanned", "1"))
    if row_span <= 1 and col_span <= 1:
        return []
    # A repeated row or cell repeats its merge too; long runs are empty filler, so capped.
    return [
        CellRange(r, c, r + row_span - 1, c + col_span - 1)
        for r in range(row, row + min(row_repeat, _ODS_REPEAT_CAP))
        for c in range(col, col + min(col_repeat, _ODS_REPEAT_CAP))
    ]


# --- building the grid --------------------------------------------------------------------

def _build_grid(name: str, raw_rows: list[list[Any]], merges: list[CellRange], hidden: bool) -> Grid:
    rows = [[_clean(value) for value in row] for row in raw_rows]
    _fill_merges(rows, merges)
    _make_rectangular(rows)
    return Grid(name=name, rows=rows, merges=list(merges), hidden=hidden)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value if value != "" else None
    # xlsx and ods store every number as a float; a phone number or count typed as 5 should
    # read back as 5, as it does from .xls.
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
        return int(value)
    return value


def _fill_merges(rows: list[list[Any]], merges: list[CellRange]) -> None:
    """Copy each merge's top-left value into all its cells, as people see it on screen."""
    height = len(rows)
    width = max((len(row) for row in rows), default=0)
    for merge in merges:
        top_left = rows[merge.first_row][merge.first_col] if _inside(rows, merge.first_row, merge.first_col) else None
        if top_left is None:
            continue
        last_row = _reach(merge.first_row, merge.last_row, height)
        last_col = _reach(merge.first_col, merge.last_col, width)
        for r in range(merge.first_row, last_row + 1):
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            if len(row) <= last_col:
                row.extend([None] * (last_col + 1 - len(row)))
            for c in range(merge.first_col, last_col + 1):
                row[c] = top_left


def _reach(first: int, last: int, extent: int) -> int:
    """How far to fill a merge: all of it, unless it runs far past the sheet's data."""
    if last < extent + _MERGE_FILL_SLACK:
        return last
    return max(first, extent - 1)


def _inside(rows: list[list[Any]], row: int, col: int) -> bool:
    return 0 <= row < len(rows) and 0 <= col < len(rows[row])


def _make_rectangular(rows: list[list[Any]]) -> None:
    width = max((len(row) for row in rows), default=0)
    for row in rows:
        if len(row) < width:
            row.extend([None] * (width - len(row)))


# --- messages -----------------------------------------------------------------------------

def _refuse(path: Path, text: str) -> TipdeskError:
    return TipdeskError(f"{path.name}：{text}")


def _encrypted(path: Path) -> TipdeskError:
    return _refuse(
        path,
        "文件设置了打开密码，无法读取。请在 Excel 或 WPS 中取消文档加密（去掉打开密码），"
        "另存为 .xlsx 后重新发送。",
    )


def _damaged(path: Path, detail: str) -> TipdeskError:
    return _refuse(
        path,
        f"文件已损坏或不完整（{detail}），无法打开。请确认表格能在 Excel 或 WPS 中正常打开，"
        "另存为 .xlsx 后重新发送。",
    )
