"""`./run archive --year YYYY`: a past year's closed cases leave the live register for the
year's archive workbook, and nothing the clerk or the managers see changes: every figure of
the bulletin, the 统计 sheet, `letter`, the numbering and the forwarded cases' 上级编号."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from openpyxl import load_workbook

from tests.conftest import Workspace, complaint
from tipdesk.domain.errors import EXIT_UNEXPECTED, TipdeskError
from tipdesk.store.archive import read_archive, write_archive
from tipdesk.domain.identities import row_identities
from tipdesk.store.cache import KeptRegister, WorkbookCache
from tipdesk.store.egress import BLOCKED_FOLDER
from tipdesk.store.register import read_register, save_without_rows
from tipdesk.rules.archive import select_year

NOW = "2026-03-02 09:00"
ARCHIVE_2025 = "安全生产举报台账-2025年归档.xlsx"
ARCHIVE_2024 = "安全生产举报台账-2024年归档.xlsx"
PERIODS = (("--year", "2025"), ("--year", "2026"), ("--quarter", "2026-Q1"), ("--month", "2026-01"),
           ("--quarter", "2025-Q1"))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _closed(year: int, i: int, **extra) -> dict:
    received = datetime(year, 1 + i % 12, 3 + i, 9, 0)
    values = {"案件编号": f"AJ{year}-{i:04d}", "受理时间": received, "来源": "12350热线", "举报人": f"举报人{year}{i}",
              "联系方式": "13812345678", "被举报单位": f"宏达第{i % 3}五金厂", "事发地址": f"东城街道人民路{i}号",
              "举报内容": "车间粉尘大，没有除尘设施。", "类别": "一般", "承办单位": "区应急管理局",
              "交办文号": f"安举交〔{year}〕{i}号", "交办时间": received,
              "办理期限": datetime(received.year, received.month, received.day + 9, 17, 30), "状态": "已办结",
              "反馈时间": datetime(received.year, received.month, received.day + (12 if i % 4 == 0 else 5), 9, 0),
              "是否属实": "属实" if i % 2 else "不属实", "处理结果": "已责令整改。",
              "是否超期": "是" if i % 4 == 0 else "否", "回复举报人": "是" if i % 3 else None}
    values.update(extra)
    return values


@pytest.fixture(scope="module")
def three_years(tmp_path_factory) -> Path:
    """A desk with cases of 2024 and 2025 (all closed, some late, one forwarded by the city
    centre, one not accepted) and of 2026 (referred by daily, still open)."""
    ws = Workspace(tmp_path_factory.mktemp("template") / "ws")
    rows = [_closed(2024, i) for i in range(1, 6)]
    rows += [_closed(2025, i) for i in range(1, 9)]
    rows += [_closed(2025, 9, 来源="市转办", 上级编号="SZB-2025-077", 上报时间=datetime(2025, 10, 20, 9, 0)),
             _closed(2025, 10, 状态="不予受理", 承办单位=None, 交办文号=None, 交办时间=None, 办理期限=None,
                     反馈时间=None, 是否属实=None, 处理结果=None, 是否超期=None, 备注="不属于安全生产")]
    rows += [complaint(受理时间=datetime(2026, 1 + i % 2, 10 + i, 9, 0), 被举报单位=f"宏达第{i % 3}五金厂")
             for i in range(4)]
    ws.add_rows(rows)
    assert ws.run("daily", now="2026-03-02 08:30") == 0
    return ws.root


@pytest.fixture
def ws(three_years, tmp_path) -> Workspace:
    shutil.copytree(three_years, tmp_path / "ws")
    return Workspace(tmp_path / "ws")


def bulletin_figures(ws: Workspace) -> dict[str, tuple]:
    """Every paragraph and table of each bulletin, and every cell of its Excel annex."""
    out = {}
    for flag, period in PERIODS:
        assert ws.run("report", flag, period, now=NOW) == 0
        docx, annex = _bulletin_files(ws)
        document = Document(io.BytesIO(docx.read_bytes()))
        workbook = load_workbook(annex)
        out[period] = ([p.text for p in document.paragraphs],
                       [[[c.text for c in row.cells] for row in t.rows] for t in document.tables],
                       {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in workbook})
        docx.unlink()
        annex.unlink()
    return out


def _bulletin_files(ws: Workspace) -> tuple[Path, Path]:
    folder = ws.root / "outbox" / "2026-03-02"
    (docx,) = folder.glob("*.docx")
    (annex,) = folder.glob("*.xlsx")
    return docx, annex


def stats_sheet(ws: Workspace) -> list[list]:
    return [[c.value for c in row] for row in load_workbook(ws.register)["统计"].iter_rows()]


def case_ids(path: Path) -> list[str]:
    return [str(r.get("案件编号")) for r in read_register(path).rows]


def test_archive_moves_the_closed_cases_and_leaves_every_bulletin_figure_as_it_was(ws):
    before = bulletin_figures(ws)
    journal_changes = sqlite3.connect(ws.root / "tipdesk.sqlite3").execute("SELECT count(*) FROM changes").fetchone()
    live_before = load_workbook(ws.register)["台账"]

    assert ws.run("archive", "--year", "2025", now=NOW) == 0
    assert ws.run("archive", "--year", "2024", now=NOW) == 0

    assert case_ids(ws.register) == [f"AJ2026-000{i}" for i in range(1, 5)]
    assert case_ids(ws.root / ARCHIVE_2025) == [f"AJ2025-{i:04d}" for i in range(1, 11)]
    assert case_ids(ws.root / ARCHIVE_2024) == [f"AJ2024-{i:04d}" for i in range(1, 6)]
    # The archive is the register's sheet: same columns, widths, frozen header, colours, cells.
    archived = load_workbook(ws.root / ARCHIVE_2025)["台账"]
    assert [c.value for c in archived[1]] == [c.value for c in live_before[1]]
    assert archived.freeze_panes == live_before.freeze_panes == "A2"
    assert {k: d.width for k, d in archived.column_dimensions.items()} == \
           {k: d.width for k, d in live_before.column_dimensions.items()}
    assert len(archived.conditional_formatting) == len(live_before.conditional_formatting) > 0
    old_row = next(r for r in live_before.iter_rows(min_row=2) if r[0].value == "AJ2025-0009")
    new_row = next(r for r in archived.iter_rows(min_row=2) if r[0].value == "AJ2025-0009")
    assert [(c.value, c.number_format, c.style_id) for c in new_row] == \
           [(c.value, c.number_format, c.style_id) for c in old_row]
    assert (ws.root / "backups").is_dir()
    # The journal keeps its history.
    db = sqlite3.connect(ws.root / "tipdesk.sqlite3")
    assert db.execute("SELECT count(*) FROM changes").fetchone() == journal_changes
    assert db.execute("SELECT count(*) FROM archived").fetchone() == (15,)

    assert bulletin_figures(ws) == before


def test_archived_cases_stay_counted_found_and_numbered(ws, tmp_path):
    twin = Workspace(Path(shutil.copytree(ws.root, tmp_path / "twin")))
    assert ws.run("archive", "--year", "2025", now=NOW) == 0
    assert ws.run("archive", "--year", "2024", now=NOW) == 0
    # The next day's 统计 sheet (this year against the same span of last year) is the same
    # with 2025 archived as without.
    assert ws.run("daily", now="2026-03-03 08:30") == 0
    assert twin.run("daily", now="2026-03-03 08:30") == 0
    assert stats_sheet(ws) == stats_sheet(twin)
    summary = (ws.root / "outbox" / "2026-03-03" / "每日汇总.txt").read_text(encoding="utf-8")
    twin_summary = (twin.root / "outbox" / "2026-03-03" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "archive --year 2025" in twin_summary and "archive" not in summary

    # A lost letter of an archived case is reissued with its 交办文号.
    assert ws.run("letter", "AJ2025-0003", now=NOW) == 0
    assert (ws.root / "outbox" / "2026-03-02" / "区应急管理局" / "AJ2025-0003-交办单.docx").is_file()

    # A 2025 case typed in late gets the next 2025 number, never an archived one; the city
    # centre's list sent again does not register its archived case a second time; a new
    # complaint about a company of open cases is still marked as a possible duplicate.
    ws.add(**complaint(受理时间=datetime(2025, 12, 30, 16, 0), 被举报单位="迟到登记的公司"))
    ws.add(**complaint(受理时间=datetime(2026, 3, 3, 9, 0), 被举报单位="宏达第1五金厂"))
    export = openpyxl.Workbook()
    sheet = export.active
    sheet.append(["转办编号", "登记时间", "被举报单位", "事发地点", "问题描述", "办理时限", "举报人", "联系电话"])
    sheet.append(["SZB-2025-077", "2025-10-01", "宏达第0五金厂", "东城街道人民路9号", "车间粉尘大", "2025-10-20", "", ""])
    export.save(ws.root / "inbox" / "市转办清单.xlsx")
    assert ws.run("daily", now="2026-03-04 08:30") == 0
    rows = {r["被举报单位"]: r for r in ws.rows()}
    assert rows["迟到登记的公司"]["案件编号"] == "AJ2025-0011"
    assert "疑似重复" in (rows["宏达第1五金厂"]["备注"] or "")
    assert [r["上级编号"] for r in ws.rows() if r["上级编号"]] == []
    summary = (ws.root / "outbox" / "2026-03-04" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "上级编号 SZB-2025-077 已在归档台账中" in summary


def test_archive_refuses_a_year_with_open_cases_and_names_them(ws, capsys):
    ws.add(**complaint(受理时间=datetime(2025, 12, 29, 9, 0), 被举报单位="年底的举报"))
    assert ws.run("daily", now="2026-03-02 08:40") == 0
    before = digest(ws.register)
    capsys.readouterr()
    assert ws.run("archive", "--year", "2025", now=NOW) == 2
    err = capsys.readouterr().err
    assert "2025年受理的案件还有未办结或没有编号的，本次没有归档任何案件：AJ2025-0011（第" in err
    assert "状态“已交办”" in err
    assert digest(ws.register) == before and not (ws.root / ARCHIVE_2025).exists()
    # The current year is never archived; a dry run shows the plan and changes nothing.
    assert ws.run("archive", "--year", "2026", now=NOW) == 2
    assert ws.run("archive", "--year", "2024", "--dry-run", now=NOW) == 0
    assert "【试运行】将把2024年受理、已办结的 5 件案件（AJ2024-0001 至 AJ2024-0005）" in capsys.readouterr().out
    assert digest(ws.register) == before and not (ws.root / ARCHIVE_2024).exists()


def test_an_archive_stopped_before_the_register_was_written_is_finished_by_the_next(ws):
    before = bulletin_figures(ws)
    config = ws.config
    register = read_register(ws.register)
    # The run dies right after writing the archive: the cases are in both files.
    write_archive(register, select_year(register.rows, 2025).closed, ws.root / ARCHIVE_2025,
                  config.backup_folder, config.backup_keep, datetime(2026, 3, 2, 9, 0))
    assert len(case_ids(ws.root / ARCHIVE_2025)) == 10 and len(case_ids(ws.register)) == 19
    assert bulletin_figures(ws) == before   # counted once, not twice
    # Meanwhile the clerk corrects one of them; the next archive keeps the correction.
    row = next(r.number for r in read_register(ws.register).rows if r.get("案件编号") == "AJ2025-0002")
    ws.edit(row, 处理结果="已责令整改，复查合格。")
    assert ws.run("archive", "--year", "2025", now=NOW) == 0
    archived = {r.get("案件编号"): r for r in read_register(ws.root / ARCHIVE_2025).rows}
    assert sorted(archived) == [f"AJ2025-{i:04d}" for i in range(1, 11)]   # each once
    assert archived["AJ2025-0002"].get("处理结果") == "已责令整改，复查合格。"
    assert not any(i.startswith("AJ2025") for i in case_ids(ws.register))


def test_a_damaged_archive_write_is_caught_and_nothing_changes(ws, tmp_path):
    register = read_register(ws.register)
    before = digest(ws.register)
    chosen = {r.number for r in select_year(register.rows, 2025).closed}

    def damage(parts: dict[str, bytes]) -> None:
        # Something corrupts a kept cell on the way to disk (a bug, a bad sector).
        for name in parts:
            if name.startswith("xl/") and name.endswith(".xml"):
                for form in (lambda s: s.encode(), lambda s: "".join(f"&#{ord(c)};" for c in s).encode()):
                    parts[name] = parts[name].replace(form("五金厂"), form("厂"))

    with pytest.raises(TipdeskError) as err:
        save_without_rows(register, chosen, tmp_path / "backups", 5, datetime(2026, 3, 2, 9, 0), edits=[damage])
    assert err.value.exit_code == EXIT_UNEXPECTED and "写入后校验失败" in err.value.message
    assert digest(ws.register) == before and not (tmp_path / "backups").exists()
    assert [p.name for p in ws.root.iterdir() if "tipdesk-tmp" in p.name] == []


def _edit_archive(path: Path, case_id: str, **values) -> None:
    """The clerk opens an archive in Excel and corrects a case there."""
    wb = load_workbook(path)
    sheet = wb["台账"]
    headers = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == case_id)
    for name, value in values.items():
        row[headers.index(name)].value = value
    wb.save(path)


def test_archives_are_read_from_the_cache_until_one_is_edited(ws):
    assert ws.run("archive", "--year", "2025", now=NOW) == 0
    assert ws.run("daily", now="2026-03-02 09:10") == 0
    cache = WorkbookCache(ws.config.cache)
    assert cache.load_register(ARCHIVE_2025, digest(ws.root / ARCHIVE_2025)) is not None
    # What the cache gives is what the workbook holds, dates and all.
    archive = ws.root / ARCHIVE_2025
    kept, fresh = read_archive(archive, cache), read_archive(archive)
    assert [r.values for r in kept.rows] == [r.values for r in fresh.rows]
    assert [r.identities for r in kept.rows] == [row_identities(r) for r in fresh.rows]
    # In Excel the clerk adds the reporter's mobile to an archived case; a new case carries
    # that number where redaction never looks (上级编号): its letter must be held all the same.
    _edit_archive(archive, "AJ2025-0003", 联系方式="13987654321")
    ws.add(**complaint(受理时间=datetime(2026, 3, 2, 9, 0), 举报人="匿名", 联系方式="", 上级编号="13987654321"))
    assert ws.run("daily", now="2026-03-02 09:20") == 0
    held = ws.root / BLOCKED_FOLDER / "2026-03-02"
    assert {p.name for p in held.iterdir()} == {"AJ2026-0005-交办单.docx", "AJ2026-0005-反馈表.xlsx"}
    summary = (ws.root / "outbox" / "2026-03-02" / "每日汇总-0920.txt").read_text(encoding="utf-8")
    assert any("AJ2026-0005-交办单.docx" in s and "AJ2025-0003" in s for s in summary.splitlines())


def test_a_damaged_cache_is_only_slower(ws, tmp_path):
    twin = Workspace(Path(shutil.copytree(ws.root, tmp_path / "twin")))
    for desk in (ws, twin):
        assert desk.run("archive", "--year", "2025", now=NOW) == 0
        assert desk.run("archive", "--year", "2024", now=NOW) == 0
    assert ws.run("daily", now="2026-03-02 09:10") == 0
    ws.config.cache.write_bytes(b"\0garbage, not a database" * 100)   # a bad sector, a stray copy
    assert ws.run("daily", now="2026-03-03 08:30") == 0
    assert twin.run("daily", now="2026-03-03 08:30") == 0
    assert stats_sheet(ws) == stats_sheet(twin)
    # Made anew: the next run reads the archives from it again.
    assert WorkbookCache(ws.config.cache).load_register(ARCHIVE_2024, digest(ws.root / ARCHIVE_2024)) is not None
    # It may be deleted at any time; a dry run writes nothing, the cache neither.
    twin.config.cache.unlink()
    assert twin.run("report", "--year", "2025", "--dry-run", now=NOW) == 0
    assert not twin.config.cache.exists()


def test_a_cache_entry_changed_on_disk_is_not_believed(ws):
    # SQLite has no checksums of its own: a flipped digit would hide an archived reporter's
    # number from the egress gate.
    assert ws.run("archive", "--year", "2025", now=NOW) == 0
    assert ws.run("daily", now="2026-03-02 09:10") == 0
    db = sqlite3.connect(ws.config.cache)
    with db:
        changed = db.execute("UPDATE registers_v1 SET entry = replace(entry, '13812345678', '13812345670') "
                             "WHERE name = ?", (ARCHIVE_2025,))
    assert changed.rowcount == 1
    db.close()
    archive = ws.root / ARCHIVE_2025
    rows = read_archive(archive, WorkbookCache(ws.config.cache)).rows
    assert {r.get("联系方式") for r in rows} == {"13812345678"}
    assert [r.values for r in rows] == [r.values for r in read_register(archive).rows]
    # A dry run of `letter` for an archived case writes nothing, the cache neither.
    ws.config.cache.unlink()
    assert ws.run("letter", "AJ2025-0003", "--dry-run", now=NOW) == 0
    assert not ws.config.cache.exists()


def test_a_letter_reissued_for_an_archived_case_names_no_reporter(ws):
    # The reporter's name typed into the complaint's text: the gate must know the archived
    # case's reporter to take it out, as daily does for a live one.
    row = next(r.number for r in read_register(ws.register).rows if r.get("案件编号") == "AJ2025-0004")
    ws.edit(row, 举报人="欧阳明远", 举报内容="我是欧阳明远，车间粉尘大，没有除尘设施。")
    assert ws.run("archive", "--year", "2025", now=NOW) == 0
    assert ws.run("letter", "AJ2025-0004", now=NOW) == 0
    letter = ws.root / "outbox" / "2026-03-02" / "区应急管理局" / "AJ2025-0004-交办单.docx"
    document = Document(io.BytesIO(letter.read_bytes()))
    text = "\n".join([p.text for p in document.paragraphs] +
                     [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    assert "车间粉尘大" in text and "欧阳明远" not in text
    # And in a live case's letter: the archived reporter named in its text is taken out too.
    live = next(r.number for r in read_register(ws.register).rows if r.get("案件编号") == "AJ2026-0001")
    ws.edit(live, 举报内容="欧阳明远也看见了，工地脚手架没有连墙件。")
    day = ws.root / "outbox" / "2026-03-02"
    before = set(day.rglob("AJ2026-0001-交办单*.docx"))
    assert ws.run("letter", "AJ2026-0001", now=NOW) == 0
    (letter,) = set(day.rglob("AJ2026-0001-交办单*.docx")) - before
    document = Document(io.BytesIO(letter.read_bytes()))
    text = "\n".join([p.text for p in document.paragraphs] +
                     [cell.text for table in document.tables for row in table.rows for cell in row.cells])
    assert "脚手架" in text and "欧阳明远" not in text


def test_the_cache_gives_back_every_kind_of_cell_value(tmp_path):
    grid = [["案件编号", "受理时间", "备注", "数字"],
            ["AJ2025-0001", datetime(2025, 1, 3, 9, 0, 0, 123000), "", 13812345678.0],
            ["AJ2025-0002", "", "长" * 40000, -0.0],
            ["AJ2025-0003", "待定", True, float("inf")],          # a date column with a text in it
            ["AJ2025-0004", date(2025, 2, 1), time(8, 30, 15, 500), timedelta(days=100000, microseconds=640000)],
            ["AJ2025-0005"],                                        # a short row
            ["\0D2025-02-03", "\0", "", ""],                          # calamine reads _x0000_ as NUL
            []]
    cache = WorkbookCache(tmp_path / "cache.sqlite3")
    found = [("AJ2025-0001", [("王建国", "王", "建国")], ["13812345678"])]
    cache.keep_register("归档.xlsx", "abc", KeptRegister({"台账": grid}, ["台账"], [], found))
    kept = cache.load_register("归档.xlsx", "abc")
    padded = [row + [""] * (4 - len(row)) for row in grid]
    assert kept.grids["台账"] == padded
    assert [[type(v) for v in row] for row in kept.grids["台账"]] == [[type(v) for v in row] for row in padded]
    assert kept.identities == found and kept.sheet_names == ["台账"]
    assert cache.load_register("归档.xlsx", "another digest") is None
    assert WorkbookCache(tmp_path / "cache.sqlite3").load_register("归档.xlsx", "abc").grids["台账"] == padded


def test_the_cache_keeps_columns_of_texts_and_of_date_times_whatever_they_hold(tmp_path):
    # Such columns are kept as one text, the values between a separator (\x1f): a value
    # holding the separator itself (calamine reads _x001F_ as one), empty values, one row.
    grids = {"台账": [["来源", "受理时间", "备注"],
                      ["12350热线", datetime(2025, 1, 3, 9, 0), "甲\x1f乙"],
                      ["", "", ""],
                      ["市长热线", datetime(2025, 1, 4, 10, 30, 0, 5000), "\x1f"]],
             "联络人": [["单位"], ["东城街道"]]}
    cache = WorkbookCache(tmp_path / "cache.sqlite3")
    cache.keep_register("台账.xlsx", "abc", KeptRegister(grids, ["台账", "联络人"], [], []))
    kept = WorkbookCache(tmp_path / "cache.sqlite3").load_register("台账.xlsx", "abc")
    assert kept.grids == grids
    assert [[type(v) for v in row] for row in kept.grids["台账"]] == [[type(v) for v in row] for row in grids["台账"]]


def test_a_run_whose_code_was_replaced_under_it_keeps_nothing(tmp_path):
    # A `watch` started weeks ago runs the old code; tipdesk is updated meanwhile. What the old
    # code finds must not be filed under the new code's fingerprint.
    shutil.copytree(Path(__file__).resolve().parent.parent / "tipdesk", tmp_path / "tipdesk",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys; from pathlib import Path\n"
        "from tipdesk.store.cache import KeptRegister, WorkbookCache\n"
        "if sys.argv[1] == 'update':\n"
        "    source = Path('tipdesk/domain/identities.py'); source.write_text(source.read_text() + '# new')\n"
        "WorkbookCache(Path('cache.sqlite3')).keep_register('归档.xlsx', 'abc', KeptRegister({'台账': [['案件编号']]}, [], [], []))\n"
        "print(WorkbookCache(Path('cache.sqlite3')).load_register('归档.xlsx', 'abc') is not None)\n")
    run = lambda how: subprocess.run([sys.executable, "-c", script, how], cwd=tmp_path, capture_output=True,
                                     text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)}, check=True)
    assert run("update").stdout.strip() == "False"
    assert run("as is").stdout.strip() == "True"
