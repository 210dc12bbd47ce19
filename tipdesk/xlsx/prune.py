"""Take whole rows out of one worksheet of an .xlsx, moving the rows below up, as Excel's
"delete row" does: the archive takes a year's closed cases out of the register this way.

Like patch.py it works on the sheet's bytes: only row and cell references change, every cell
keeps its style and value byte for byte. The references Excel moves along with the rows
(dimension, filter, merged cells, hyperlinks, conditional formats, drop-downs, selection)
move too; a merged cell or hyperlink on a removed row goes with it.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable

from tipdesk.xlsx.graft import sheet_part
from tipdesk.xlsx.patch import PackageEdit

EXCEL_LAST_ROW = 1048576
_ROW_START = re.compile(rb"<(\w+:)?row\b[^>]*?(/?)>")
_ROW_R = re.compile(rb'\br="(\d+)"')
_CELL_R = re.compile(rb'(<(?:\w+:)?c\b[^>]*?\br=")([A-Z]+)\d+"')
# Attributes holding cell references outside the rows.
_REF_ATTR = re.compile(rb'\b(ref|sqref|topLeftCell|activeCell)="([^"]*)"')
_ONE_REF = re.compile(rb"^(\$?[A-Z]{1,3})(\$?)(\d+)$")
_DROPPABLE = re.compile(rb"<(\w+:)?(mergeCell|hyperlink)\b[^>]*?/>")


class _Shift:
    """Where row n goes once the rows `drop` are gone."""

    def __init__(self, drop: Iterable[int]):
        self.drop = sorted(set(drop))
        self.gone = set(self.drop)

    def start(self, n: int) -> int:
        """The new number of row n, or of the first row kept after it."""
        return n - bisect.bisect_left(self.drop, n)

    def end(self, n: int) -> int:
        """The new number of row n, or of the last row kept before it."""
        return n if n >= EXCEL_LAST_ROW else n - bisect.bisect_right(self.drop, n)


def _moved_range(text: bytes, shift: _Shift) -> bytes | None:
    """"A2:C9" (or "B5") with its rows moved; None when every row of it is gone (a single
    cell on a removed row: None too, its element goes; as an attribute it is the next row)."""
    ends = text.split(b":")
    found = [_ONE_REF.match(e) for e in ends]
    if not all(found):
        return text  # a whole column ("A:A") or something else: rows do not matter
    rows = [int(m.group(3)) for m in found]
    if len(rows) == 1:
        if rows[0] in shift.gone:
            return None
        new = [shift.start(rows[0])]
    else:
        new = [shift.start(rows[0]), shift.end(rows[1])]
        if new[1] < new[0]:
            return None
    return b":".join(m.group(1) + m.group(2) + b"%d" % n for m, n in zip(found, new))


def _next_row(text: bytes, shift: _Shift) -> bytes:
    """A selection or pane corner on removed rows: the first row kept after them."""
    first = _ONE_REF.match(text.split(b":")[0])
    return first.group(1) + first.group(2) + b"%d" % shift.start(int(first.group(3)))


def _moved_refs(xml: bytes, shift: _Shift) -> bytes:
    """Move every reference attribute; drop merged cells and hyperlinks on removed rows."""
    def element(match: re.Match) -> bytes:
        ref = re.search(rb'\bref="([^"]*)"', match.group(0))
        if ref and _moved_range(ref.group(1), shift) is None:
            return b""
        return match.group(0)

    def attribute(match: re.Match) -> bytes:
        ranges = [_moved_range(r, shift) or _next_row(r, shift) for r in match.group(2).split()]
        kept = b" ".join(ranges)
        return match.group(1) + b'="' + kept + b'"'

    return _REF_ATTR.sub(attribute, _DROPPABLE.sub(element, xml))


def _fix_counts(xml: bytes) -> bytes:
    """<mergeCells count="n"> and <hyperlinks> after some were dropped (gone when empty)."""
    def count(match: re.Match) -> bytes:
        prefix, tag, attrs, body, close = match.groups()
        inner = len(re.findall(rb"<%s%s\b" % (prefix or b"", tag[:-1]), body))
        if not inner:
            return b""
        attrs = re.sub(rb'\bcount="\d+"', b'count="%d"' % inner, attrs)
        return b"<" + (prefix or b"") + tag + attrs + body + close
    return re.sub(rb"<(\w+:)?(mergeCells|hyperlinks)\b([^>]*>)(.*?)(</(?:\w+:)?\2>)", count, xml, flags=re.S)


def prune_sheet(xml: bytes, drop: Iterable[int]) -> bytes:
    """The sheet XML without the rows `drop`, the rows below moved up."""
    shift = _Shift(drop)
    found = re.search(rb"<(\w+:)?sheetData\b[^>]*?(/?)>", xml)
    if not found or found.group(2) or not shift.drop:
        return xml
    prefix = found.group(1) or b""
    row_end = b"</%srow>" % prefix
    end = xml.index(b"</%ssheetData>" % prefix, found.end())
    pieces, pos, number = [], found.end(), 0
    for match in _ROW_START.finditer(xml, found.end(), end):
        if match.start() < pos:
            continue  # inside a row already copied (cannot happen in a valid sheet)
        ref = _ROW_R.search(match.group(0))
        number = int(ref.group(1)) if ref else number + 1
        stop = match.end() if match.group(2) else xml.index(row_end, match.end()) + len(row_end)
        if number not in shift.gone:
            new = shift.start(number)
            row = xml[match.start():stop]
            if new != number:
                row = _ROW_R.sub(b'r="%d"' % new, row, count=1)
                row = _CELL_R.sub(lambda m: m.group(1) + m.group(2) + b'%d"' % new, row)
            pieces.append(row)
        pos = stop
    head, tail = xml[:found.end()], xml[end:]
    return _moved_refs(head, shift) + b"".join(pieces) + _fix_counts(_moved_refs(tail, shift))


def drop_rows(sheet_name: str, drop: Iterable[int]) -> PackageEdit:
    """An edit removing the rows `drop` (sheet row numbers) from sheet `sheet_name`."""
    drop = frozenset(drop)

    def edit(parts: dict[str, bytes]) -> None:
        part = sheet_part(parts, sheet_name)
        if part is None:
            raise ValueError(f"no sheet {sheet_name!r}")
        parts[part] = prune_sheet(parts[part], drop)

    return edit
