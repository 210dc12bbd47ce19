"""The rows of a worksheet that differ between two versions of its XML, found byte for byte.

A daily run changes a few dozen rows of a register that may hold 50,000. To check what it
wrote, the new sheet is compared with the old one as two streams (never held whole): equal
stretches are skipped in large chunks, and only where the bytes differ is a row taken out.
Those rows, between the new sheet's head and tail, make a small sheet that is read back
cell by cell (store/register.py); a row whose bytes are the old row's reads as it did, as
long as the package around it reads rows alike (`rows_read_alike`).
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from typing import IO

from tipdesk.xlsx.package import WorkbookParts

# Bytes compared at a time while both sheets agree.
CHUNK = 1 << 16
_READ = 1 << 20
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_SPACE = b" \t\r\n"


@dataclass
class RowDiff:
    """What differs in the rows of a sheet: the new sheet's head (up to and with <sheetData>)
    and tail (from </sheetData>), its rows that are new or not byte for byte the old ones
    (with their numbers), and the numbers of old rows the new sheet no longer has."""

    head: bytes = b""
    tail: bytes = b""
    rows: list[bytes] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)

    def sheet(self) -> bytes:
        """The new sheet with only the rows that differ: what is read back."""
        return self.head + b"".join(self.rows) + self.tail


def rows_read_alike(old: zipfile.ZipFile, new: zipfile.ZipFile, before: WorkbookParts, after: WorkbookParts) -> bool:
    """Whether a row left byte for byte as it was reads in `new` as it did in `old`: the same
    date system, the same shared strings, and every cell format a row can use shows numbers
    the same way (formats may only be added)."""
    from tipdesk.xlsx.patch import number_formats

    def shared(zf: zipfile.ZipFile) -> dict[str, tuple[int, int]]:
        return {i.filename: (i.CRC, i.file_size) for i in zf.infolist() if i.filename.endswith("sharedStrings.xml")}

    if before.date1904 != after.date1904 or shared(old) != shared(new) or (before.styles is None) != (after.styles is None):
        return False
    if before.styles is None:
        return True
    a, b = old.getinfo(before.styles), new.getinfo(after.styles)
    if (a.CRC, a.file_size) == (b.CRC, b.file_size):
        return True
    was = number_formats(old.read(before.styles))
    return number_formats(new.read(after.styles))[:len(was)] == was


class _Stream:
    """A sheet's XML read in pieces, with what is still needed kept: from `mark` on."""

    def __init__(self, source: IO[bytes]):
        self.source, self.buf, self.pos, self.mark, self.eof = source, b"", 0, 0, False

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.source.read(_READ)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.mark:] + chunk
        self.pos -= self.mark
        self.mark = 0
        return True

    def ahead(self, n: int) -> bytes:
        """The next `n` bytes (fewer at the end), without moving on."""
        while len(self.buf) - self.pos < n and self.more():
            pass
        return self.buf[self.pos:self.pos + n]

    def find(self, what: bytes | re.Pattern, start: int = 0):
        """Where `what` next occurs, `start` bytes on (a match for a pattern), or None."""
        while True:
            if isinstance(what, bytes):
                at = self.buf.find(what, self.pos + start)
                if at >= 0:
                    return at - self.pos
            else:
                found = what.search(self.buf, self.pos + start)
                if found:
                    return found
            if not self.more():
                return None

    def take(self, n: int) -> bytes:
        self.ahead(n)
        out = self.buf[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def skip_space(self) -> None:
        while True:
            rest = self.ahead(1)
            if not rest or rest not in _SPACE:
                return
            self.pos += 1

    def rest(self) -> bytes:
        while self.more():
            pass
        out = self.buf[self.pos:]
        self.pos = len(self.buf)
        return out


class _Unmatched(Exception):
    """The two sheets cannot be matched row by row (a row without its number, an unknown
    element among the rows): the caller reads the whole sheet instead."""


def _head(stream: _Stream) -> tuple[bytes, bytes, bool]:
    """The XML up to and with <sheetData>, its namespace prefix, and whether it has rows."""
    found = stream.find(_SHEET_DATA)
    if found is None:
        raise _Unmatched("no sheetData")
    prefix, empty = found.group(1) or b"", bool(found.group(2))
    return stream.take(found.end() - stream.pos), prefix, not empty


def changed_rows(old: IO[bytes], new: IO[bytes]) -> RowDiff | None:
    """The rows of sheet XML `new` that are not those of `old` (both binary streams);
    None when the two cannot be matched row by row."""
    try:
        return _diff(_Stream(old), _Stream(new))
    except _Unmatched:
        return None


def _diff(old: _Stream, new: _Stream) -> RowDiff:
    _, old_prefix, old_rows = _head(old)
    diff = RowDiff()
    diff.head, prefix, new_rows = _head(new)
    if prefix != old_prefix:
        raise _Unmatched("prefix")
    rows = _Rows(prefix)

    def at_end(stream: _Stream, has_rows: bool) -> bool:
        return not has_rows or stream.ahead(len(rows.data_end)) == rows.data_end

    while True:
        for stream in (old, new):
            stream.skip_space()
            stream.mark = stream.pos
        done_old, done_new = at_end(old, old_rows), at_end(new, new_rows)
        if not done_old and not done_new:
            rows.skip_equal(old, new)
            done_old, done_new = at_end(old, old_rows), at_end(new, new_rows)
        if done_old and done_new:
            break
        old_number = None if done_old else rows.number(old)
        new_number = None if done_new else rows.number(new)
        if new_number is None or (old_number is not None and old_number < new_number):
            rows.take(old)  # an old row the new sheet has not: read back as empty
            diff.gone.append(old_number)
            continue
        written = rows.take(new)
        if old_number == new_number and rows.take(old) == written:
            continue
        diff.rows.append(written)
        diff.numbers.append(new_number)
    if new_rows:
        diff.tail = new.rest()
    else:  # <sheetData/>: the rows written go between a pair of tags
        diff.head = diff.head[:-2] + b">"
        diff.tail = rows.data_end + new.rest()
    return diff


class _Rows:
    """Reading rows off a stream: the tags of one namespace prefix."""

    def __init__(self, prefix: bytes):
        self.tag, self.end, self.data_end = b"<%srow" % prefix, b"</%srow>" % prefix, b"</%ssheetData>" % prefix
        self.start = re.compile(rb"<%srow\b[^>]*?(/?)>" % prefix)

    def _start_tag(self, stream: _Stream) -> re.Match:
        if stream.find(b">") is None:
            raise _Unmatched("a row cut short")
        tag = self.start.match(stream.buf, stream.pos)
        if tag is None:
            raise _Unmatched("not a row")
        return tag

    def number(self, stream: _Stream) -> int:
        """The number of the row starting here."""
        found = _ROW_NUMBER.search(self._start_tag(stream).group(0))
        if found is None:
            raise _Unmatched("a row without r")
        return int(found.group(1))

    def take(self, stream: _Stream) -> bytes:
        """The row starting here, whole; the stream moves past it."""
        tag = self._start_tag(stream)
        length = tag.end() - stream.pos
        if not tag.group(1):
            end = stream.find(self.end, length)
            if end is None:
                raise _Unmatched("a row not closed")
            length = end + len(self.end)
        return stream.take(length)

    def skip_equal(self, old: _Stream, new: _Stream) -> None:
        """Move both streams (each at a row, `mark` there) past the rows they have in common:
        to the start of the first row that differs, or to the end of the rows."""
        while True:
            a, b = old.ahead(CHUNK), new.ahead(CHUNK)
            same = _common_length(a, b)
            end = b.find(self.data_end, 0, same)
            if end >= 0:  # the end of the rows in both: what follows is the tail
                old.pos += end
                new.pos += end
                return
            if same == len(a) == len(b):
                if len(b) < CHUNK:
                    raise _Unmatched("no end of the rows")
                # Equal: on from the last row start in it (or nearly the whole chunk, so that
                # a </sheetData> cut in two is seen whole next time).
                last = b.rfind(self.tag, 1)
                step = last if last > 0 else len(b) - len(self.data_end)
                old.pos += step
                new.pos += step
                if last > 0:
                    old.mark, new.mark = old.pos, new.pos
                continue
            if same in (len(a), len(b)):
                raise _Unmatched("one sheet ends inside the other")
            # Back to the start of the row the first difference is in (at most to `mark`,
            # a row both have from there to the difference).
            start = new.buf.rfind(self.tag, new.mark, new.pos + same + len(self.tag))
            back = max(start, new.mark) - new.pos
            old.pos += back
            new.pos += back
            return


def _common_length(a: bytes, b: bytes) -> int:
    """How many bytes `a` and `b` have in common from the start."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    low, high = 0, n  # a[:low] == b[:low], a[:high] != b[:high]
    while high - low > 1:
        mid = (low + high) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid
    return low
