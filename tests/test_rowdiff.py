"""Finding the rows a write changed (xlsx/rowdiff.py): compared with a plain split of both
sheets into rows, on sheets of every shape, with the streams read in small pieces so that
rows, tags and </sheetData> fall across every boundary."""

from __future__ import annotations

import io
import random
import re
import tracemalloc

import pytest

from tipdesk.xlsx import rowdiff
from tipdesk.xlsx.rowdiff import changed_rows

HEAD = b'<?xml version="1.0"?><worksheet xmlns="x"><dimension ref="A1:C9"/><sheetData>'
TAIL = b'</sheetData><autoFilter ref="A1:C9"/></worksheet>'


def row(number: int, text: str = "", prefix: bytes = b"") -> bytes:
    if not text:
        return b'<%srow r="%d" spans="1:3"/>' % (prefix, number)
    body = text.encode()
    return (b'<%srow r="%d"><%sc r="A%d" t="inlineStr"><%sis><%st>%s</%st></%sis></%sc></%srow>'
            % (prefix, number, prefix, number, prefix, prefix, body, prefix, prefix, prefix, prefix))


def sheet(rows: dict[int, bytes], head: bytes = HEAD, tail: bytes = TAIL, gap: bytes = b"") -> bytes:
    return head + gap.join(rows[n] for n in sorted(rows)) + tail


def diff(old: bytes, new: bytes):
    return changed_rows(io.BytesIO(old), io.BytesIO(new))


def plainly(old: dict[int, bytes], new: dict[int, bytes]) -> tuple[list[int], list[int]]:
    """What differs, told the slow way: (new rows not byte for byte old, old rows gone)."""
    return ([n for n in sorted(new) if old.get(n) != new[n]], [n for n in sorted(old) if n not in new])


@pytest.fixture
def small_pieces(monkeypatch):
    """Chunks and reads of a few bytes: every boundary falls inside a row, a tag, a name."""
    monkeypatch.setattr(rowdiff, "CHUNK", 37)
    monkeypatch.setattr(rowdiff, "_READ", 53)


def test_an_unchanged_sheet_has_no_changed_rows():
    rows = {n: row(n, f"内容{n}") for n in range(1, 200)}
    found = diff(sheet(rows), sheet(rows))
    assert (found.numbers, found.gone) == ([], [])
    assert found.sheet() == HEAD + TAIL


def test_a_changed_row_an_added_row_and_a_new_tail_are_found():
    old = {n: row(n, f"内容{n}") for n in range(1, 50)}
    new = dict(old) | {7: row(7, "改过的"), 50: row(50, "新案件"), 51: row(51, "又一件")}
    found = diff(sheet(old), sheet(new, tail=TAIL.replace(b"C9", b"C51")))
    assert found.numbers == [7, 50, 51]
    assert found.rows == [new[7], new[50], new[51]]
    assert found.sheet() == HEAD + new[7] + new[50] + new[51] + TAIL.replace(b"C9", b"C51")


@pytest.mark.parametrize("seed", range(300))
def test_every_shape_of_change_is_found_as_a_plain_split_finds_it(seed, small_pieces):
    rng = random.Random(seed)
    prefix = rng.choice([b"", b"x:"])
    head = HEAD.replace(b"<sheetData", b"<%ssheetData" % prefix)
    tail = TAIL.replace(b"</sheetData", b"</%ssheetData" % prefix)
    numbers = sorted(rng.sample(range(1, 400), rng.randint(0, 60)))
    old = {n: row(n, rng.choice(["", "甲", "一段很长的举报内容" * rng.randint(1, 30), f"&lt;{n}&gt;"]), prefix)
           for n in numbers}
    new = dict(old)
    for _ in range(rng.randint(0, 8)):
        kind = rng.choice(["change", "insert", "drop", "append", "same bytes"])
        if kind == "change" and new:
            n = rng.choice(sorted(new))
            new[n] = row(n, rng.choice(["", "改", "改过的内容" * rng.randint(1, 20)]), prefix)
        elif kind == "insert":
            n = rng.randint(1, 450)
            new.setdefault(n, row(n, "插入", prefix))
        elif kind == "drop" and new:
            del new[rng.choice(sorted(new))]
        elif kind == "append":
            n = max(new, default=0) + rng.randint(1, 3)
            new[n] = row(n, "新", prefix)
    gap = rng.choice([b"", b"\n  "])
    found = diff(sheet(old, head, tail, gap), sheet(new, head, tail, gap))
    changed, gone = plainly(old, new)
    assert (found.numbers, found.gone) == (changed, gone)
    assert found.rows == [new[n] for n in changed]
    assert found.sheet() == head + b"".join(new[n] for n in changed) + tail


def test_a_sheet_with_no_rows_on_either_side():
    empty = HEAD[:-len(b">")] + b"/>" + TAIL[len(b"</sheetData>"):]
    found = diff(empty, sheet({1: row(1, "表头"), 2: row(2, "第一件")}))
    assert found.numbers == [1, 2]
    found = diff(sheet({1: row(1, "表头")}), empty)
    assert (found.numbers, found.gone) == ([], [1])
    assert found.sheet() == HEAD + TAIL


def test_rows_that_cannot_be_matched_ask_for_a_whole_read():
    numbered = sheet({1: row(1, "表头"), 2: row(2, "甲")})
    assert diff(numbered, numbered.replace(b'<row r="2">', b"<row>")) is None
    assert diff(numbered, numbered.replace(b"</sheetData>", b"")) is None
    assert diff(numbered, numbered.replace(b'<row r="2">', b'<rowX r="2">')) is None


def test_a_row_larger_than_a_chunk_is_compared_whole():
    long = "很长" * (rowdiff.CHUNK // 3)
    old = {1: row(1, "表头"), 2: row(2, long), 3: row(3, long)}
    new = old | {3: row(3, long[:-1] + "改")}
    found = diff(sheet(old), sheet(new))
    assert found.numbers == [3]
    assert diff(sheet(old), sheet(old)).numbers == []


def test_the_end_of_the_rows_cut_by_a_chunk_boundary_is_seen(small_pieces):
    for pad in range(60):
        rows = {1: row(1, "x" * pad), 2: row(2, "y")}
        found = diff(sheet(rows), sheet(rows, tail=TAIL + b"<extra/>"))
        assert (found.numbers, found.gone) == ([], []), pad
        assert found.tail == TAIL + b"<extra/>"


def test_it_reads_the_sheets_it_compares_in_pieces_not_whole():
    """A large sheet is compared without holding it: the memory it takes stays small."""
    rows = {n: row(n, f"举报内容{n}" * 20) for n in range(1, 20001)}
    old, new = sheet(rows), sheet(rows | {20001: row(20001, "新")})
    tracemalloc.start()
    try:
        assert diff(old, new).numbers == [20001]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(old) > 7 << 20 and peak < 6 * rowdiff._READ


def test_numbers_are_read_from_the_row_tag_only():
    rows = {1: row(1, 'r="9" 不是行号'), 2: row(2, "甲")}
    assert re.search(rb'r="9"', sheet(rows))
    found = diff(sheet(rows), sheet(rows | {2: row(2, "乙")}))
    assert found.numbers == [2]
