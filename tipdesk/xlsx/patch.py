"""Change a few cells of one worksheet inside an .xlsx without rewriting the rest.

A register of 50,000 cases is tens of megabytes of sheet XML; loading it into openpyxl and
saving it back takes minutes and drops what openpyxl does not model. The daily run changes a
few dozen cells, so this module copies every part of the package as it is and rewrites only
the <row> elements that hold a changed cell (bytes in, bytes out), plus styles.xml when a
date format has to be added. Text is written as inline strings, so a unit's "=SUM(...)" can
never become a formula. Cells that hold a formula are the clerk's and are never overwritten.
"""

from __future__ import annotations

import html
import math
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from lxml import etree

from tipdesk.xlsx.package import MAIN_NS, column_index, column_letter, workbook_parts
from tipdesk.xlsx.text import excel_text

DATE_FORMAT = "yyyy-mm-dd hh:mm"
# Built-in number formats that are dates or times (ECMA-376 18.8.30, plus the CJK ones).
BUILTIN_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
# zlib level 3 packs a 100 MB sheet 3x faster than the default 6, for a file about 10% larger.
COMPRESS_LEVEL = 3


@dataclass(frozen=True)
class Package:
    """Where the parts of one worksheet live inside the zip."""

    sheet_part: str
    styles_part: str | None
    date1904: bool


def locate(zf: zipfile.ZipFile, sheet_name: str) -> Package:
    """Find the part holding `sheet_name`; KeyError when the workbook has no such sheet."""
    found = workbook_parts(zf.read)
    return Package(found.sheets[sheet_name], found.styles, found.date1904)


def excel_serial(value: datetime | date, date1904: bool = False) -> float:
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    delta = value - base
    return delta.days + delta.seconds / 86400


class _Styles:
    """cellXfs lookups and additions: which style shows a date, and a date twin of any style."""

    def __init__(self, xml: bytes | None):
        self.root = etree.fromstring(xml) if xml else None
        self.changed = False
        self._twins: dict[int, int] = {}
        if self.root is None:
            return
        self.num_fmts = self.root.find(f"{{{MAIN_NS}}}numFmts")
        self.cell_xfs = self.root.find(f"{{{MAIN_NS}}}cellXfs")
        self.custom = {}
        if self.num_fmts is not None:
            for fmt in self.num_fmts:
                self.custom[int(fmt.get("numFmtId"))] = fmt.get("formatCode", "")

    def _fmt_id(self, style: int) -> int:
        xfs = list(self.cell_xfs) if self.cell_xfs is not None else []
        return int(xfs[style].get("numFmtId", "0")) if style < len(xfs) else 0

    def number_formats(self) -> list[tuple[int, str | None]]:
        """Each cell format's number format: its id, and its code when the workbook defines it."""
        if self.root is None or self.cell_xfs is None:
            return []
        return [(fmt, self.custom.get(fmt)) for fmt in (int(xf.get("numFmtId", "0")) for xf in self.cell_xfs)]

    def is_date(self, style: int) -> bool:
        if self.root is None:
            return False
        fmt = self._fmt_id(style)
        if fmt in BUILTIN_DATE_FORMATS:
            return True
        code = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", self.custom.get(fmt, "")).lower()
        return bool(code) and any(ch in code for ch in "ymdhs")

    def date_style(self, style: int) -> int:
        """`style` if it already shows a date, else a copy of it that does (added once)."""
        if self.root is None or self.is_date(style):
            return style
        if style in self._twins:
            return self._twins[style]
        fmt_id = self._date_fmt_id()
        xfs = self.cell_xfs
        twin = etree.fromstring(etree.tostring(xfs[style])) if style < len(xfs) else \
            etree.Element(f"{{{MAIN_NS}}}xf", fontId="0", fillId="0", borderId="0", xfId="0")
        twin.set("numFmtId", str(fmt_id))
        twin.set("applyNumberFormat", "1")
        xfs.append(twin)
        xfs.set("count", str(len(xfs)))
        self._twins[style] = len(xfs) - 1
        self.changed = True
        return self._twins[style]

    def _date_fmt_id(self) -> int:
        for fmt_id, code in self.custom.items():
            if code == DATE_FORMAT:
                return fmt_id
        if self.num_fmts is None:
            self.num_fmts = etree.Element(f"{{{MAIN_NS}}}numFmts")
            self.root.insert(0, self.num_fmts)
        fmt_id = max([163, *self.custom]) + 1
        etree.SubElement(self.num_fmts, f"{{{MAIN_NS}}}numFmt", numFmtId=str(fmt_id), formatCode=DATE_FORMAT)
        self.num_fmts.set("count", str(len(self.num_fmts)))
        self.custom[fmt_id] = DATE_FORMAT
        return fmt_id

    def xml(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


def number_formats(styles_xml: bytes) -> list[tuple[int, str | None]]:
    """The number format of each cell format (cellXfs) of a styles part: (id, custom code)."""
    return _Styles(styles_xml).number_formats()


def _cell_xml(ref: str, value: Any, style: int | None, styles: _Styles, date1904: bool) -> bytes:
    if isinstance(value, (datetime, date)):
        style = styles.date_style(style or 0)
        body, kind = f"<v>{repr(excel_serial(value, date1904))}</v>", ""
    elif value is None or value == "":
        body, kind = "", ""
    elif isinstance(value, bool):
        body, kind = f"<v>{int(value)}</v>", ' t="b"'
    elif isinstance(value, (int, float)) and not (isinstance(value, float) and not math.isfinite(value)):
        body, kind = f"<v>{repr(value)}</v>", ""
    else:
        text = html.escape(excel_text(str(value)), quote=False)
        body, kind = f'<is><t xml:space="preserve">{text}</t></is>', ' t="inlineStr"'
    s = f' s="{style}"' if style else ""
    if not body:
        return f'<c r="{ref}"{s}/>'.encode()
    return f'<c r="{ref}"{s}{kind}>{body}</c>'.encode()


# A written row shows at most this many wrapped lines; the rest is one click away.
MAX_LINES = 5
LINE_POINTS = 14.25        # one line of 11 pt text in Excel
DEFAULT_WIDTH = 8.43       # Excel's column width when <cols> says nothing

_ROW_R = re.compile(rb'\sr="(\d+)"')
_COL = re.compile(rb"<(?:\w+:)?col\b([^>]*?)/?>")
_ATTR = re.compile(rb'(\w+)="([^"]*)"')
_CELL_R = re.compile(rb'\sr="([A-Z]+)\d+"')
_CELL_S = re.compile(rb'\ss="(\d+)"')
_SPANS = re.compile(rb'\sspans="[^"]*"')


@dataclass(frozen=True)
class Columns:
    """The sheet's <cols>: each column's width (in characters of "0") and default format."""

    widths: dict[int, float]
    styles: dict[int, int]

    @classmethod
    def of(cls, xml: bytes) -> "Columns":
        head = xml[:xml.find(b"sheetData")]
        widths, styles = {}, {}
        for match in _COL.finditer(head):
            attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(match.group(1))}
            if "min" not in attrs:
                continue
            for column in range(int(attrs["min"]), int(attrs.get("max", attrs["min"])) + 1):
                if "width" in attrs:
                    widths[column] = float(attrs["width"])
                if attrs.get("style", "0") != "0":
                    styles[column] = int(attrs["style"])
        return cls(widths, styles)


def _display_width(text: str) -> int:
    """In widths of "0": a Chinese character takes about two."""
    return sum(1 if ord(ch) < 0x2E80 else 2 for ch in text)


def wrapped_height(texts: dict[int, str], columns: Columns) -> float | None:
    """The row height (points) showing the longest of `texts` (column -> text) wrapped in its
    column, up to MAX_LINES lines; None when everything fits on one line."""
    lines = 1
    for column, text in texts.items():
        per_line = max(1.0, columns.widths.get(column, DEFAULT_WIDTH) - 1)
        lines = max(lines, sum(max(1, math.ceil(_display_width(part) / per_line))
                               for part in str(text).split("\n")))
    if lines == 1:
        return None
    return round(min(lines, MAX_LINES) * LINE_POINTS + 3, 2)


def _with_height(start_tag: bytes, height: float | None) -> bytes:
    """A row's start tag with height `height`, unless the clerk set one (customHeight)."""
    if height is None or re.search(rb'\scustomHeight="(?:1|true)"', start_tag):
        return start_tag
    start_tag = re.sub(rb'\s(?:ht|customHeight)="[^"]*"', b"", start_tag)
    return start_tag[:-1] + b' ht="%s" customHeight="1">' % str(height).encode()


def _patch_row(row: bytes, prefix: bytes, number: int, changes: dict[int, Any],
               styles: _Styles, date1904: bool, skipped: set,
               columns: Columns = Columns({}, {}), height: float | None = None) -> bytes:
    head = re.match(rb"<%srow\b[^>]*?(/?)>" % prefix, row)
    attrs_end = head.end() - (2 if head.group(1) else 1)
    start_tag = _with_height(_SPANS.sub(b"", row[:attrs_end]) + b">", height)
    body = b"" if head.group(1) else row[head.end():-len(b"</%srow>" % prefix)]
    cell_re = re.compile(rb"<%sc\b[^>]*?(?:/>|>.*?</%sc>)" % (prefix, prefix), re.S)
    cells: list[tuple[int, bytes]] = []
    tail, col = b"", 0
    last = 0
    for match in cell_re.finditer(body):
        raw = match.group(0)
        ref = _CELL_R.search(raw[: raw.find(b">") + 1])
        col = column_index(ref.group(1).decode()) if ref else col + 1
        cells.append((col, raw))
        last = match.end()
    tail = body[last:]
    existing = dict(cells)
    for col, value in changes.items():
        raw = existing.get(col)
        style = columns.styles.get(col)  # a new cell is formatted as its column
        if raw is not None:
            open_tag = raw[: raw.find(b">") + 1]
            if re.search(rb"<%sf[\s/>]" % prefix, raw):
                skipped.add((number, col))
                continue
            found = _CELL_S.search(open_tag)
            style = int(found.group(1)) if found else None
        cell = _cell_xml(f"{column_letter(col)}{number}", value, style, styles, date1904)
        if prefix:
            cell = cell.replace(b"<c ", b"<" + prefix + b"c ").replace(b"</c>", b"</" + prefix + b"c>")
            cell = cell.replace(b"<is>", b"<" + prefix + b"is>").replace(b"</is>", b"</" + prefix + b"is>")
            cell = cell.replace(b"<t ", b"<" + prefix + b"t ").replace(b"</t>", b"</" + prefix + b"t>")
            cell = cell.replace(b"<v>", b"<" + prefix + b"v>").replace(b"</v>", b"</" + prefix + b"v>")
        existing[col] = cell
    ordered = b"".join(existing[c] for c in sorted(existing))
    return start_tag + ordered + tail + b"</%srow>" % prefix


def patch_sheet(xml: bytes, changes: dict[int, dict[int, Any]], styles: _Styles,
                date1904: bool, last_row: int | None = None,
                texts: dict[int, dict[int, str]] | None = None) -> tuple[bytes, set[tuple[int, int]]]:
    """Apply {row: {col: value}} to the sheet XML; rows not there yet are created in order.
    `texts` gives, for rows to size, the long texts they hold ({row: {col: text}}).

    Returns the new XML and the formula cells left alone.
    """
    pieces, skipped = _patched_pieces(xml, changes, styles, date1904, last_row, texts)
    return b"".join(pieces), skipped


def _patched_pieces(xml: bytes, changes: dict[int, dict[int, Any]], styles: _Styles,
                    date1904: bool, last_row: int | None,
                    texts: dict[int, dict[int, str]] | None) -> tuple[list, set[tuple[int, int]]]:
    """patch_sheet's XML as pieces: the head (up to <sheetData>), the rows (views of `xml`
    and rewritten rows), the tail (from </sheetData>)."""
    columns = Columns.of(xml)
    heights = {row: wrapped_height(cells, columns) for row, cells in (texts or {}).items()}
    found = re.search(rb"<(\w+:)?sheetData\b[^>]*?(/?)>", xml)
    if not found:
        raise ValueError("no sheetData")
    prefix = found.group(1) or b""
    row_end = b"</%srow>" % prefix
    skipped: set[tuple[int, int]] = set()
    todo = sorted(changes)

    def new_rows(upto: int | None) -> bytes:
        """Rows to create before row `upto` (all the rest when None)."""
        made = []
        while todo and (upto is None or todo[0] < upto):
            number = todo.pop(0)
            made.append(_patch_row(b'<%srow r="%d"/>' % (prefix, number), prefix, number,
                                   changes[number], styles, date1904, skipped, columns, heights.get(number)))
        return b"".join(made)

    if found.group(2):  # <sheetData/>: an empty sheet
        body = new_rows(None)
        head = _fix_extent(xml[:found.start()] + b"<%ssheetData>" % prefix, prefix, last_row)
        return [head, body, _fix_extent(b"</%ssheetData>" % prefix + xml[found.end():], prefix, last_row)], skipped
    end = xml.index(b"</%ssheetData>" % prefix, found.end())
    # Only start tags are matched: scanning every row's content with a regex is the slow part.
    row_start = re.compile(rb"<%srow\b[^>]*?(/?)>" % prefix)
    # The rows in between are views of `xml`, not copies: the output is the one copy made.
    view = memoryview(xml)
    pieces, pos, number = [], found.end(), 0
    for match in row_start.finditer(xml, found.end(), end):
        if not todo:
            break
        ref = _ROW_R.search(match.group(0))
        number = int(ref.group(1)) if ref else number + 1
        if todo[0] < number:
            pieces += [view[pos:match.start()], new_rows(number)]
            pos = match.start()
        if todo and todo[0] == number:
            todo.pop(0)
            stop = match.end() if match.group(1) else xml.index(row_end, match.end()) + len(row_end)
            pieces.append(view[pos:match.start()])
            pieces.append(_patch_row(xml[match.start():stop], prefix, number, changes[number],
                                     styles, date1904, skipped, columns, heights.get(number)))
            pos = stop
    pieces += [view[pos:end], new_rows(None)]
    # <dimension> is before the rows, the filter after them: fixed there, not in the whole.
    head, tail = _fix_extent(xml[:found.end()], prefix, last_row), _fix_extent(xml[end:], prefix, last_row)
    return [head, *pieces, tail], skipped


def _fix_extent(xml: bytes, prefix: bytes, last_row: int | None) -> bytes:
    """Keep <dimension> and the clerk's filter covering every case row, as Excel does."""
    if not last_row:
        return xml
    xml = re.sub(rb'(<%sdimension\b[^>]*?ref="[A-Z]+\d+:[A-Z]+)(\d+)"' % prefix,
                 lambda m: m.group(1) + b'%d"' % max(int(m.group(2)), last_row), xml, count=1)
    return _widen_autofilter(xml, prefix, last_row)


def _widen_autofilter(xml: bytes, prefix: bytes, last_row: int) -> bytes:
    """Keep the clerk's filter covering every case row, as Excel does when rows are typed in."""
    def widen(match: re.Match) -> bytes:
        first_col, first_row, last_col = match.group(2), match.group(3), match.group(4)
        return match.group(1) + b'ref="%s%s:%s%d"' % (first_col, first_row, last_col, last_row)
    return re.sub(rb'(<%sautoFilter\b[^>]*?)ref="([A-Z]+)(\d+):([A-Z]+)\d+"' % prefix, widen, xml, count=1)


# A further edit of the package, given every part by name (add, replace or delete parts).
PackageEdit = Callable[[dict[str, bytes]], None]


def keeps_rows(edit: PackageEdit) -> PackageEdit:
    """Mark `edit` as one that reads and writes worksheets only outside their rows (the
    header row apart): it is then given a sheet being patched without its other rows, which
    stay where they are instead of being copied (on a large register, tens of megabytes)."""
    edit.keeps_rows = True
    return edit


class _Rows:
    """A patched sheet kept as pieces: edits that keep rows see the head, the header row and
    the tail (the stub); the other rows are written straight from the pieces."""

    def __init__(self, pieces: list, prefix: bytes):
        head, *rest, tail = pieces
        row_end = re.compile(re.escape(b"</%srow>" % prefix))
        self.tail_tag = b"</%ssheetData>" % prefix
        header, self.has_header = [], False
        while rest:  # the header row: up to the first row end, searched in place
            piece = rest.pop(0)
            found = row_end.search(piece)
            if found:
                header.append(piece[:found.end()])
                rest.insert(0, piece[found.end():])
                self.has_header = True
                break
            header.append(piece)
        self.row_end, self.rest = row_end, rest
        self.stub = bytes(head + b"".join(header) + tail)

    def pieces(self, stub: bytes) -> list:
        """The whole sheet again, around the (edited) stub's head and tail."""
        end = stub.rindex(self.tail_tag)
        split = self.row_end.search(stub).end() if self.has_header else end
        return [stub[:split], *self.rest, stub[end:]]


# Parts larger than this are read in pieces into one buffer: ZipFile.read would hold the
# decompressed sheet twice over for a moment (100 MB at 50,000 cases).
LARGE_PART = 16 << 20


def _read_part(zin: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | bytearray:
    if info.file_size <= LARGE_PART:
        return zin.read(info)
    buffer = bytearray(info.file_size)
    view, pos = memoryview(buffer), 0
    with zin.open(info) as member:  # checks the CRC at the end, as read() does
        while chunk := member.read(1 << 20):
            view[pos:pos + len(chunk)] = chunk
            pos += len(chunk)
    if pos != info.file_size:
        raise zipfile.BadZipFile(f"{info.filename}: {pos} bytes, not {info.file_size}")
    return buffer


def _set_level(info: zipfile.ZipInfo, level: int) -> None:
    """The compression level of a member written with ZipFile.open (named so from 3.13)."""
    if hasattr(zipfile.ZipInfo, "compress_level"):
        info.compress_level = level
    else:
        info._compresslevel = level


def patch_workbook(src: Path, dst: Path, changes: dict[str, dict[int, dict[int, Any]]],
                   last_rows: dict[str, int] | None = None, edits: Iterable[PackageEdit] = (),
                   texts: dict[str, dict[int, dict[int, str]]] | None = None
                   ) -> dict[str, set[tuple[int, int]]]:
    """Write `src` with {sheet: {row: {col: value}}} (and `edits`) applied to `dst`; rows in
    `texts` ({sheet: {row: {col: text}}}) are sized to show their long text (wrapped_height).

    Every other part is copied as it is. Returns, per sheet, the formula cells left alone.
    """
    with zipfile.ZipFile(src) as zin:
        infos = {info.filename: info for info in zin.infolist()}
        parts = {name: _read_part(zin, info) for name, info in infos.items()}
        packages = {name: locate(zin, name) for name in changes}
    skipped = {}
    styles = None
    patched: dict[str, _Rows] = {}
    for sheet_name, sheet_changes in changes.items():
        package = packages[sheet_name]
        if styles is None:
            styles = _Styles(parts[package.styles_part] if package.styles_part else None)
        xml = parts[package.sheet_part]
        pieces, skipped[sheet_name] = _patched_pieces(
            xml, sheet_changes, styles, package.date1904,
            (last_rows or {}).get(sheet_name), (texts or {}).get(sheet_name))
        prefix = re.search(rb"<(\w+:)?sheetData\b", xml).group(1) or b""
        patched[package.sheet_part] = _Rows(pieces, prefix)
        parts[package.sheet_part] = patched[package.sheet_part].stub
        del xml
    if styles is not None and styles.changed:
        parts[package.styles_part] = styles.xml()
    whole: dict[str, list] = {}
    for edit in edits:
        if not getattr(edit, "keeps_rows", False):  # it may read any row: give it every row
            for part, rows in patched.items():
                parts[part] = b"".join(rows.pieces(parts[part]))
            patched.clear()
        edit(parts)
    for part, rows in patched.items():
        whole[part] = rows.pieces(parts[part])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            info = infos.get(name)
            out = zipfile.ZipInfo(name, date_time=info.date_time if info else (2026, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            out.external_attr = info.external_attr if info else 0o600 << 16
            if name in whole:
                _set_level(out, COMPRESS_LEVEL)
                with zout.open(out, "w") as stream:  # piece by piece: the rows are never joined
                    for piece in whole[name]:
                        stream.write(piece)
            else:
                zout.writestr(out, data, compresslevel=COMPRESS_LEVEL)
    return skipped
