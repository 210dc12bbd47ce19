"""Each safety mechanism of the register write and the inbox, shown by the failure it stops.

Every test here was checked by removing its mechanism once and watching it go red: the
read-back verification (store.register._verify), the "saved meanwhile" checks before the
patch, before the replace and of the backup's copy, the inbox moving files only after the
save, and the lock. The commit protocol's own (intent, resume, 督办 numbers held, an older
copy refused) are shown by tests/test_commit.py, each also seen red without its mechanism.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sys
import zipfile
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook

from tests.conftest import complaint, saved_by_libreoffice
from tipdesk.domain.errors import EXIT_BUSY, EXIT_UNEXPECTED, TipdeskError
from tipdesk.domain.rows import CellChange
from tipdesk.store.register import read_grids, read_register, save_changes

NOW = datetime(2026, 11, 30, 8, 30)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def typed_register(ws):
    ws.add(**complaint(被举报单位="鑫源化工"))
    ws.add(**complaint(被举报单位="宏达五金厂"))
    return read_register(ws.register)


def a_change(register) -> CellChange:
    row = register.rows[0]
    return CellChange(row.number, "", "备注", None, "核对过", "测试")


def clerk_saves(path, text: str = "文员刚改的") -> None:
    """The clerk saves the register in Excel (no lock file left: WPS and some tools do that)."""
    wb = load_workbook(path)
    wb["台账"]["Y3"] = text
    wb.save(path)


def test_a_damaged_write_is_caught_by_the_read_back_and_the_register_is_untouched(ws, tmp_path):
    register = typed_register(ws)
    before = digest(ws.register)

    def damage(parts: dict[str, bytes]) -> None:
        # Something corrupts another cell of 台账 on the way to disk (a bug, a bad sector).
        for name in parts:
            if name.startswith("xl/") and name.endswith(".xml"):
                for form in (lambda s: s.encode(), lambda s: "".join(f"&#{ord(c)};" for c in s).encode()):
                    parts[name] = parts[name].replace(form("宏达五金厂"), form("宏达"))

    with pytest.raises(TipdeskError) as err:
        save_changes(register, [a_change(register)], tmp_path / "backups", 5, NOW, [damage])
    assert err.value.exit_code == EXIT_UNEXPECTED
    assert re.search(r"写入后校验失败（工作表“台账”单元格 H3 应为“宏达五金厂”，读回“宏达”）", err.value.message)
    assert digest(ws.register) == before
    assert not (tmp_path / "backups").exists()
    assert [p.name for p in ws.register.parent.iterdir() if "tipdesk-tmp" in p.name] == []


def test_a_changed_cell_format_is_caught_though_the_rows_using_it_are_left_alone(ws, tmp_path):
    """The read-back reads only the rows a write changed (xlsx/rowdiff.py): a row left byte for
    byte as it was reads as before only while its cell formats do. One changed under it (a
    date shown as a number) sends the check back to reading the whole sheet."""
    register = typed_register(ws)

    def damage(parts: dict[str, bytes]) -> None:
        parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b'formatCode="yyyy-mm-dd hh:mm"', b'formatCode="0.00"')

    before = digest(ws.register)
    third = CellChange(register.rows[1].number, "", "备注", None, "核对过", "测试")  # row 2 left alone
    with pytest.raises(TipdeskError) as err:
        save_changes(register, [third], tmp_path / "backups", 5, NOW, [damage])
    assert err.value.exit_code == EXIT_UNEXPECTED
    assert re.search(r"写入后校验失败（工作表“台账”单元格 B2 应为“2026-11-30 08:00:00”，读回“46356.33", err.value.message)
    assert digest(ws.register) == before


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_a_changed_shared_string_is_caught_in_a_register_saved_by_libreoffice(ws, tmp_path):
    """Excel, WPS and LibreOffice keep a sheet's texts apart (shared strings): a row left
    alone shows another text when they change, which the whole read-back then catches."""
    typed_register(ws)
    saved_by_libreoffice(ws.register, tmp_path)
    register = read_register(ws.register)
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(ws.register).namelist()

    def damage(parts: dict[str, bytes]) -> None:
        parts["xl/sharedStrings.xml"] = parts["xl/sharedStrings.xml"].replace("宏达五金厂".encode(), "宏达".encode())

    with pytest.raises(TipdeskError) as err:
        save_changes(register, [a_change(register)], tmp_path / "backups", 5, NOW, [damage])
    assert re.search(r"写入后校验失败（工作表“台账”单元格 H3 应为“宏达五金厂”，读回“宏达”）", err.value.message)


def test_a_save_by_the_clerk_before_the_write_stops_it(ws, tmp_path):
    register = typed_register(ws)
    clerk_saves(ws.register)
    mine = digest(ws.register)
    with pytest.raises(TipdeskError) as err:
        save_changes(register, [a_change(register)], tmp_path / "backups", 5, NOW)
    assert err.value.exit_code == EXIT_BUSY and "被别人保存过" in err.value.message
    assert digest(ws.register) == mine


def test_a_save_by_the_clerk_during_the_write_is_not_overwritten(ws, tmp_path):
    # The letters render while the new register is written; a clerk who saves meanwhile
    # keeps the edit, and the run stops instead of replacing it.
    register = typed_register(ws)
    with pytest.raises(TipdeskError) as err:
        save_changes(register, [a_change(register)], tmp_path / "backups", 5, NOW,
                     before_commit=lambda digest, skipped: clerk_saves(ws.register))
    assert err.value.exit_code == EXIT_BUSY and "被别人保存过" in err.value.message
    assert load_workbook(ws.register)["台账"]["Y3"].value == "文员刚改的"


def test_a_save_by_the_clerk_just_before_the_backup_is_not_overwritten(ws, tmp_path):
    # The last moment: after the final "saved meanwhile" check, as the backup is copied. The
    # clerk's Excel acts then (a profile hook stands in for the clock); the copy shows it.
    register = typed_register(ws)

    def clerk_at_the_backup(frame, event, arg):
        if event == "call" and frame.f_code.co_name == "backup" and frame.f_code.co_filename.endswith("register.py"):
            sys.setprofile(None)
            clerk_saves(ws.register)

    sys.setprofile(clerk_at_the_backup)
    try:
        with pytest.raises(TipdeskError) as err:
            save_changes(register, [a_change(register)], tmp_path / "backups", 5, NOW)
    finally:
        sys.setprofile(None)
    assert err.value.exit_code == EXIT_BUSY and "被别人保存过" in err.value.message
    assert load_workbook(ws.register)["台账"]["Y3"].value == "文员刚改的"


def test_inbox_files_stay_when_the_save_fails(ws):
    # The new register cannot be written (a folder holds the temporary file's name): the run
    # fails after reading the inbox; the returned sheet must still be there for the next run.
    ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    sheet = next((ws.root / "outbox" / "2026-11-30").rglob("*-反馈表.xlsx"))
    wb = load_workbook(sheet)
    form = wb["反馈表"]
    for row in form.iter_rows():
        for cell in row:
            if cell.value == "办理状态":
                form.cell(cell.row, cell.column + 1).value = "阶段性反馈"
            if cell.value == "核查情况":
                form.cell(cell.row, cell.column + 1).value = "正在核查。"
            if cell.value == "经办人":
                form.cell(cell.row, cell.column + 1).value = "李四"
            if cell.value == "联系电话":
                form.cell(cell.row, cell.column + 1).value = "0571-12345678"
    dropped = ws.root / "inbox" / "回传.xlsx"
    wb.save(dropped)
    register_before = digest(ws.register)
    blocker = ws.register.with_name(ws.register.name + ".tipdesk-tmp")
    blocker.mkdir()
    assert ws.run("daily", now="2026-12-01 08:30") == 1
    assert dropped.is_file()
    assert not (ws.root / "inbox" / "processed").exists() or not any((ws.root / "inbox" / "processed").rglob("*.xlsx"))
    assert digest(ws.register) == register_before
    blocker.rmdir()
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert not dropped.exists()
    assert any((ws.root / "inbox" / "processed").rglob("回传.xlsx"))


def test_the_written_register_is_a_whole_package(ws, tmp_path):
    register = typed_register(ws)
    save_changes(register, [a_change(register)], tmp_path / "backups", 5, NOW)
    with zipfile.ZipFile(ws.register) as zf:
        assert zf.testzip() is None
    assert read_register(ws.register).rows[0].get("备注") == "核对过"


def test_every_cell_is_read_where_it_is_on_a_sheet_that_starts_below_a1(tmp_path):
    # calamine's rows start at row 1 but at the first used column: both must land in place.
    # (The read-back after a write reads rows with the same helper.)
    path = tmp_path / "台账.xlsx"
    wb = Workbook()
    wb.active.title = "台账"
    wb.active["C3"], wb.active["D5"] = "文字", 1.5
    wb.save(path)
    grid = read_grids(path, ["台账"])[0]["台账"]
    assert [(r, c, v) for r, row in enumerate(grid, 1) for c, v in enumerate(row, 1) if v != ""] == \
        [(3, 3, "文字"), (5, 4, 1.5)]
    assert len(grid) == 5 and {len(row) for row in grid} == {4}


def test_the_register_keeps_one_copy_of_each_short_text(ws):
    # On 50,000 cases the repeated categories (来源, 状态, 承办单位…) are a third of its memory.
    register = typed_register(ws)
    first, second = register.rows
    assert first.get("来源") == second.get("来源") == "12350热线"
    assert first.get("来源") is second.get("来源")
