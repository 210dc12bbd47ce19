"""The live register in the cache (store/cache.py): kept as each run leaves it, believed only
while the file is byte for byte what was kept, and never less than the workbook for the gate."""

from __future__ import annotations

import io
import shutil
import sqlite3
import zipfile

import pytest

from docx import Document
from openpyxl import load_workbook

from tests.conftest import complaint, saved_by_libreoffice
from tipdesk.domain.identities import row_identities
from tipdesk.store.cache import WorkbookCache
from tipdesk.store.register import digest_of, read_register

NOW = "2026-11-30 08:30"


def _as_kept(ws):
    """The register as the cache holds it for the file's present content (None: not kept)."""
    return WorkbookCache(ws.config.cache).load_register(ws.register.name, digest_of(ws.register))


def _letter_text(path) -> str:
    document = Document(io.BytesIO(path.read_bytes()))
    return "\n".join([p.text for p in document.paragraphs] +
                     [cell.text for table in document.tables for row in table.rows for cell in row.cells])


def _reissued(ws, case_id: str):
    """The letter `letter CASE_ID` writes beside the one daily wrote."""
    day = ws.root / "outbox" / "2026-11-30"
    before = set(day.rglob(f"{case_id}-交办单*.docx"))
    assert before and ws.run("letter", case_id, now="2026-11-30 09:00") == 0
    (new,) = set(day.rglob(f"{case_id}-交办单*.docx")) - before
    return new


def test_the_register_a_run_writes_is_kept_as_it_reads_back(ws):
    ws.add(**complaint(类别="紧急", 举报人="王志远", 联系方式="13987654321"))
    ws.add(**complaint(举报人="李秀英", 联系方式="", 举报内容="我叫李秀英，电话 0571-86001234，厂里夜里偷偷生产。"))
    assert ws.run("daily", now=NOW) == 0
    kept = _as_kept(ws)
    fresh = read_register(ws.register)  # the workbook itself, as Excel saved it from the run
    assert kept is not None
    assert kept.grids == {name: data.grid for name, data in fresh.sheets.items()}
    # 1, 1.0 and True are equal in Python, not in a cell: the types too.
    assert {name: [[type(v) for v in row] for row in grid] for name, grid in kept.grids.items()} == {
        name: [[type(v) for v in row] for row in data.grid] for name, data in fresh.sheets.items()}
    assert kept.sheet_names == fresh.sheet_names and "统计" in kept.sheet_names
    assert kept.identities == [row_identities(row) for row in fresh.rows]
    # What the run wrote is in it: the numbers, the units, the deadlines.
    assert [row[fresh.columns["案件编号"] - 1] for row in kept.grids["台账"][1:]] == ["AJ2026-0001", "AJ2026-0002"]
    assert any("05718600123" in value or "86001234" in value for value in kept.identities[1][2])


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_register_saved_by_libreoffice_is_kept_as_it_reads_back(ws, tmp_path):
    """Its texts are shared strings and its dates formats of its own: the run reads back only
    the rows it changed, and what it keeps is still the workbook cell for cell."""
    ws.add_rows([complaint(类别="一般") for _ in range(30)])
    assert ws.run("daily", now=NOW) == 0
    ws.add(**complaint(类别="紧急", 举报人="周晓梅"))
    saved_by_libreoffice(ws.register, tmp_path)
    assert ws.run("daily", now="2026-11-30 09:30") == 0
    kept, fresh = _as_kept(ws), read_register(ws.register)
    assert kept is not None and "xl/sharedStrings.xml" in zipfile.ZipFile(ws.register).namelist()
    assert kept.grids == {name: data.grid for name, data in fresh.sheets.items()}
    assert {name: [[type(v) for v in row] for row in grid] for name, grid in kept.grids.items()} == {
        name: [[type(v) for v in row] for row in data.grid] for name, data in fresh.sheets.items()}
    assert [row.get("案件编号") for row in fresh.rows][-1] == "AJ2026-0031"


def test_the_next_run_reads_the_register_as_the_last_run_left_it(ws):
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=NOW) == 0
    assert read_register(ws.register, WorkbookCache(ws.config.cache)).from_cache
    assert ws.run("daily", now="2026-11-30 10:00") == 0  # nothing to do: the register is left as it is
    assert read_register(ws.register, WorkbookCache(ws.config.cache)).from_cache


def test_a_register_saved_in_excel_since_is_read_from_the_workbook(ws):
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=NOW) == 0
    ws.add(**complaint(类别="一般", 被举报单位="新华木业有限公司"))  # the clerk types a case and saves
    assert _as_kept(ws) is None
    assert not read_register(ws.register, WorkbookCache(ws.config.cache)).from_cache
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    rows = ws.rows()
    assert [r["案件编号"] for r in rows] == ["AJ2026-0001", "AJ2026-0002"]
    assert rows[1]["被举报单位"] == "新华木业有限公司" and rows[1]["承办单位"]


def test_a_run_that_wrote_nothing_keeps_the_register_it_read(ws):
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=NOW) == 0
    ws.config.cache.unlink()
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    assert _as_kept(ws) is not None


def test_the_gate_knows_every_reporter_of_a_register_read_from_the_cache(ws):
    """A reporter's name typed into another case's text (only the gate knows it is one):
    `letter` for that case, reading the register from the cache, still takes it out."""
    ws.add(**complaint(类别="一般", 举报人="王志远", 联系方式="13987654321"))
    ws.add(**complaint(类别="一般", 举报人="匿名", 联系方式="", 举报内容="王志远说厂里夜里偷偷生产。"))
    assert ws.run("daily", now=NOW) == 0
    assert read_register(ws.register, WorkbookCache(ws.config.cache)).from_cache
    text = _letter_text(_reissued(ws, "AJ2026-0002"))
    assert "偷偷生产" in text and "王志远" not in text


def test_a_damaged_entry_is_not_believed(ws):
    """A bad sector in the cache, a reporter's name changed in the kept text: the register is
    read from the workbook, and the gate knows the reporter."""
    ws.add(**complaint(类别="一般", 举报人="王志远", 联系方式="13987654321"))
    ws.add(**complaint(类别="一般", 举报人="匿名", 联系方式="", 举报内容="王志远说厂里夜里偷偷生产。"))
    assert ws.run("daily", now=NOW) == 0
    with sqlite3.connect(ws.config.cache) as db:
        # The register's entry and the one of its rows' identities by key (identity_key).
        assert db.execute("UPDATE registers_v1 SET entry = replace(entry, '王志远', '赵钱孙')").rowcount == 2
    assert _as_kept(ws) is None
    assert not read_register(ws.register, WorkbookCache(ws.config.cache)).from_cache
    assert "王志远" not in _letter_text(_reissued(ws, "AJ2026-0002"))


def test_an_hourly_pass_keeps_the_register_it_read(ws):
    from datetime import datetime

    from tipdesk.commands.daily import run_hourly

    ws.add(**complaint(类别="紧急"))
    assert ws.run("daily", now=NOW) == 0
    ws.config.cache.unlink()
    run_hourly(ws.config, datetime(2026, 11, 30, 9, 30), echo=lambda line: None)
    assert _as_kept(ws) is not None  # the next hour reads it from there


def test_entries_are_filed_under_the_installed_calamine_version():
    # Another calamine may read a workbook differently: its version is part of every entry's
    # key, read from its installed metadata folder's name.
    from importlib.metadata import version

    from tipdesk.store.cache import _format

    assert f"calamine {version('python-calamine')}" in _format()


def test_a_write_deferred_is_done_in_a_child_and_done_before_the_run_ends(tmp_path, monkeypatch):
    """daily keeps the register it wrote in a forked child while it sends its mail
    (WorkbookCache.writing_later): done by the end, in the child, or here without fork."""
    import os

    cache = WorkbookCache(tmp_path / "cache.sqlite3")
    done = tmp_path / "done.txt"
    with cache.writing_later():
        cache.defer(lambda: done.write_text(str(os.getpid())))
        assert not done.exists()  # not before it is asked for
        cache.write_deferred()
    assert done.read_text() != str(os.getpid())
    done.unlink()
    with cache.writing_later():  # asked for by nobody: written on leaving all the same
        cache.defer(lambda: done.write_text(str(os.getpid())))
    assert done.exists()
    monkeypatch.delattr(os, "fork")
    with cache.writing_later():
        cache.defer(lambda: done.write_text(str(os.getpid())))
        cache.write_deferred()
    assert done.read_text() == str(os.getpid())
    cache.defer(lambda: done.write_text("at once"))  # outside: at once
    assert done.read_text() == "at once"


def test_a_register_edited_since_it_was_kept_has_only_its_edited_rows_worked_out(ws):
    """Saved in Excel, the register is read from the workbook again; the identities of rows
    the clerk left alone are those kept (by what the gate reads of a row), the edited rows'
    are worked out anew: the new reporter, the number typed into the complaint."""
    ws.add_rows([complaint(举报人=f"举报人{n}", 联系方式=f"1391234{n:04d}") for n in range(12)])
    assert ws.run("daily", now=NOW) == 0
    wb = load_workbook(ws.register)
    sheet = wb["台账"]
    headers = [c.value for c in sheet[1]]
    sheet.cell(3, headers.index("举报人") + 1, "周晓梅")
    sheet.cell(5, headers.index("举报内容") + 1, "厂里夜里偷偷生产，我的电话 0571-86001234。")
    sheet.cell(6, headers.index("联系方式") + 1, 13987654321)  # typed as a number
    wb.save(ws.register)
    register = read_register(ws.register, WorkbookCache(ws.config.cache))
    assert not register.from_cache
    known = [row.identities is not None for row in register.rows]
    assert known == [row.number not in (3, 5, 6) for row in register.rows]
    fresh = read_register(ws.register)  # no cache: every row worked out
    assert [row_identities(row) for row in register.rows] == [row_identities(row) for row in fresh.rows]
    by_row = {row.number: row_identities(row) for row in register.rows}
    assert ("周晓梅", "周", "晓梅") in by_row[3][1]
    assert any("86001234" in value for value in by_row[5][2])
    assert "13987654321" in by_row[6][2]
