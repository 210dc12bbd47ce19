"""Cells far beyond a sheet's data, dropped before calamine reads an .xlsx.

calamine builds one dense grid over a sheet's whole used range: a single value typed at
XFD1048576 (Ctrl+End and a stray key, or a tool that stamps the last cell) asks it for 17
billion cells, and the process dies on the allocation without an exception. So each sheet is
measured first; when its used range is larger than `CELL_BUDGET`, the values beyond the first
gap of more than `ROW_GAP` empty rows or `COL_GAP` empty columns are left out of a temporary
copy, which calamine reads instead, and the cells left out are named so people can be told.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tipdesk.xlsx.package import cell_ref, column_index, workbook_parts

# A used range up to this many cells is read as it is (a 100,000-case register is 3 million).
CELL_BUDGET = 5_000_000
ROW_GAP = 1000
COL_GAP = 100
# How many far cells a message names.
NAMED = 3

# Only rows have an r="<digits>"; only cells an r="<letters><digits>" (a plain search: fast).
_LAST_ROW = re.compile(rb' r="([0-9]+)"')
_WIDE_COLUMN = re.compile(rb' r="([A-Z]{2,3})[0-9]')
# A cell holding something (a formula, a value or a string, not only a style): column, row.
_VALUED = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>/]*>\s*<(?:\w+:)?(?:f|v|is)\b')
_ELEMENT = re.compile(rb'<(\w+:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(?:/>|>.*?</\1?c>)', re.S)
_DIMENSION = re.compile(rb'<((?:\w+:)?)dimension\s[^>]*?/>')


def _quick_area(xml: bytes) -> int:
    """An upper bound of the used range, cheaply: the last row tag times the widest column."""
    rows = [int(m) for m in _LAST_ROW.findall(xml[-4096:])] or [int(m) for m in _LAST_ROW.findall(xml)]
    wide = set(_WIDE_COLUMN.findall(xml))
    columns = max((column_index(c.decode()) for c in wide), default=26)
    return max(rows, default=0) * columns


def _first_gap(values: set[int], gap: int) -> int:
    """The last value before the first run of more than `gap` missing ones (counted from 1:
    a lone value far out is itself beyond the gap)."""
    last = 0
    for value in sorted(values):
        if value - last > gap + 1:
            break
        last = value
    return last


def far_limits(xml: bytes) -> tuple[int, int, list[str]] | None:
    """(last row, last column) kept and the far cells' references, or None when none is far."""
    if _quick_area(xml) <= CELL_BUDGET:
        return None
    cells = [(int(r), column_index(c.decode())) for c, r in _VALUED.findall(xml)]
    last_row = _first_gap({r for r, _ in cells}, ROW_GAP)
    last_col = _first_gap({c for _, c in cells}, COL_GAP)
    far = [cell_ref(r, c) for r, c in cells if r > last_row or c > last_col]
    if not far:
        return None
    return last_row, last_col, far


def _trim(xml: bytes, last_row: int, last_col: int) -> bytes:
    def keep(match: re.Match) -> bytes:
        far = int(match.group(3)) > last_row or column_index(match.group(2).decode()) > last_col
        return b"" if far else match.group(0)

    xml = _ELEMENT.sub(keep, xml)
    extent = f'ref="A1:{cell_ref(max(last_row, 1), max(last_col, 1))}"'.encode()
    return _DIMENSION.sub(lambda m: b"<" + m.group(1) + b"dimension " + extent + b"/>", xml)


@contextmanager
def without_far_cells(path: Path) -> Iterator[tuple[Path, dict[str, list[str]]]]:
    """`path`, or a temporary copy without its far cells; and sheet name -> far cells left out.

    A package that cannot be measured (not a zip, no workbook part) is passed on as it is:
    the reader that follows says what is wrong with it."""
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = workbook_parts(zf.read).sheets
            limits = {part: far_limits(zf.read(part)) for part in sheets.values() if part in zf.namelist()}
    except Exception:  # a broken package is the reader's to refuse, with its own message
        yield path, {}
        return
    limits = {part: found for part, found in limits.items() if found}
    if not limits:
        yield path, {}
        return
    folder = tempfile.mkdtemp(prefix="tipdesk-far-")
    try:
        copy = Path(folder) / path.name
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename in limits:
                    last_row, last_col, _ = limits[info.filename]
                    data = _trim(data, last_row, last_col)
                dst.writestr(info, data)
        yield copy, {name: limits[part][2] for name, part in sheets.items() if part in limits}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def far_note(sheet: str, refs: list[str]) -> str:
    """The Chinese line that tells people which far cells were left out."""
    shown = "、".join(refs[:NAMED]) + (f" 等 {len(refs)} 个单元格" if len(refs) > NAMED else "")
    return (f"工作表“{sheet}”中 {shown or '远处的空白区域'} 远离表格内容，已忽略；"
            f"如是误输入，请选中该单元格按 Delete 删除")
