"""Referral documents through the daily run: numbering, outbox layout, reruns, reissue, leaks."""

from __future__ import annotations

import hashlib
import html
import re
import sqlite3
import zipfile
from pathlib import Path

from docx import Document

from tests.conftest import complaint
from tipdesk.output.referral import read_feedback_marker


def outbox_files(ws) -> list[Path]:
    return sorted(p for p in (ws.root / "outbox").rglob("*") if p.is_file())


def letter_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def test_each_referred_case_gets_a_numbered_letter_and_sheet_in_its_units_folder(ws):
    ws.add(**complaint(类别="一般"))
    ws.add(**complaint(类别="紧急", 承办单位="青山镇"))
    ws.add(**complaint(举报内容="有人违规作业", 事发地址="不详"))        # 待分派: no letter
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    rows = ws.rows()
    assert [r["交办文号"] for r in rows] == ["安举交〔2026〕1号", "安举交〔2026〕2号", None]
    day = ws.root / "outbox" / "2026-11-30"
    letter = day / "区住房和城乡建设局" / "AJ2026-0001-交办单.docx"
    sheet = day / "青山镇" / "AJ2026-0002-反馈表.xlsx"
    assert letter.is_file() and sheet.is_file()
    text = letter_text(letter)
    assert "安举交〔2026〕1号" in text and "2026年12月9日" in text and "区住房和城乡建设局" in text
    marker = read_feedback_marker(sheet)
    assert marker["case_id"] == "AJ2026-0002" and marker["letter_no"] == "安举交〔2026〕2号"
    with sqlite3.connect(ws.config.journal) as db:
        known = {r[0] for r in db.execute("SELECT sheet_id FROM letters")}
    assert marker["sheet_id"] in known
    assert not (day / "待分派").exists()
    summary = (day / "每日汇总.txt").read_text(encoding="utf-8")
    assert "AJ2026-0001（安举交〔2026〕1号）→ 区住房和城乡建设局" in summary


def test_rerun_issues_no_second_letter(ws):
    ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    files = outbox_files(ws)
    assert ws.run("daily", now="2026-11-30 15:00") == 0
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    letters = [p for p in outbox_files(ws) if p.suffix in (".docx", ".xlsx")]
    assert letters == [p for p in files if p.suffix in (".docx", ".xlsx")]


def test_a_letter_the_clerk_numbered_by_hand_keeps_its_number(ws):
    ws.add(**complaint(交办文号="安举交〔2026〕30号"))
    ws.add(**complaint())
    assert ws.run("daily") == 0
    assert [r["交办文号"] for r in ws.rows()] == ["安举交〔2026〕30号", "安举交〔2026〕31号"]


def test_reassignment_issues_a_new_letter_with_a_new_number(ws):
    row = ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert ws.row(row)["交办文号"] == "安举交〔2026〕2号"
    letter = ws.root / "outbox" / "2026-12-01" / "东城街道" / "AJ2026-0001-交办单.docx"
    assert "安举交〔2026〕2号" in letter_text(letter)


def test_letter_command_reissues_with_the_same_number(ws, capsys):
    ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    register_before = hashlib.sha256(ws.register.read_bytes()).hexdigest()
    assert ws.run("letter", "AJ2026-0001", now="2026-11-30 10:00") == 0
    folder = ws.root / "outbox" / "2026-11-30" / "区住房和城乡建设局"
    again = folder / "AJ2026-0001-交办单-2.docx"
    assert "安举交〔2026〕1号" in letter_text(again)
    marker = read_feedback_marker(folder / "AJ2026-0001-反馈表-2.xlsx")
    assert marker["letter_no"] == "安举交〔2026〕1号"
    assert hashlib.sha256(ws.register.read_bytes()).hexdigest() == register_before
    assert ws.run("letter", "AJ2099-0001") == 2
    assert "找不到案件编号“AJ2099-0001”" in capsys.readouterr().err


def test_dry_run_lists_the_documents_and_writes_none(ws, capsys):
    ws.add(**complaint())
    assert ws.run("daily", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "AJ2026-0001-交办单.docx（安举交〔2026〕1号）" in out
    assert outbox_files(ws) == []


def test_a_broken_office_template_stops_before_the_register_changes(ws, capsys):
    from docx import Document as NewDocument

    broken = NewDocument()
    broken.add_paragraph("{{ case_id ")
    broken.save(str(ws.root / "templates" / "交办单.docx"))
    ws.add(**complaint())
    before = hashlib.sha256(ws.register.read_bytes()).hexdigest()
    assert ws.run("daily") != 0
    assert hashlib.sha256(ws.register.read_bytes()).hexdigest() == before
    assert outbox_files(ws) == []
    capsys.readouterr()
    assert ws.run("check") == 2
    assert "模板 交办单.docx 无法使用" in capsys.readouterr().out


# ---- the whistleblower ----------------------------------------------------------------------

REPORTERS = [
    ("司马春燕", "13912345678", "我叫司马春燕，手机139 1234 5678，请回电。"),
    ("欧阳国栋", "0571-88776655", "举报人欧阳国栋（电话0571-88776655）反映"),
    ("诸葛小明", "15800001111", "联系人：诸葛先生，１５８－００００－１１１１。"),
    ("上官婉", "18688889999", "请联系上官婉，邮箱 shangguan.wan@example.com，身份证330102199001011234。"),
    ("东方红", "13700007777", "工地脚手架不牢"),
]


def _all_text(path: Path) -> str:
    """Every byte a unit receives, as text: file names, and each XML part of zipped documents."""
    parts = [str(path.relative_to(path.parents[2]))]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                parts.append(name)
                parts.append(html.unescape(zf.read(name).decode("utf-8", errors="replace")))
    else:
        parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_nothing_in_the_outbox_reveals_a_reporter(ws):
    for name, phone, text in REPORTERS:
        ws.add(**complaint(举报人=name, 联系方式=phone, 举报内容=f"工地脚手架没有连墙件。{text}"))
    assert ws.run("daily") == 0
    files = outbox_files(ws)
    assert len([f for f in files if f.suffix == ".docx"]) == len(REPORTERS)
    everything = "\n".join(_all_text(f) for f in files)
    digits_only = re.sub(r"\D", "", everything)
    for name, phone, _ in REPORTERS:
        assert name not in everything, name
        assert re.sub(r"\D", "", phone) not in digits_only, phone
    for leak in ("司马先生", "诸葛先生", "shangguan.wan@example.com", "330102199001011234", "１５８"):
        assert leak not in everything
    # the register itself still holds them: only the register may
    assert ws.rows()[0]["举报人"] == "司马春燕"


def test_a_busy_morning_renders_in_parallel_with_the_same_result(ws):
    for i in range(8):
        ws.add(**complaint(类别="一般", 承办单位="青山镇" if i % 2 else "东城街道"))
    assert ws.run("daily") == 0
    day = ws.root / "outbox" / "2026-11-30"
    letters = sorted(p.name for p in day.rglob("*-交办单.docx"))
    assert letters == [f"AJ2026-{n:04d}-交办单.docx" for n in range(1, 9)]
    numbers = {read_feedback_marker(p)["letter_no"] for p in day.rglob("*-反馈表.xlsx")}
    assert numbers == {f"安举交〔2026〕{n}号" for n in range(1, 9)}
    with sqlite3.connect(ws.config.journal) as db:
        assert db.execute("SELECT count(*) FROM letters").fetchone()[0] == 8


def test_letters_of_a_run_that_died_are_cleared_and_issued_again(ws):
    ws.add(**complaint(类别="一般"))
    stale = ws.root / "outbox" / ".staging-20261130-083000-999" / "区住房和城乡建设局"
    stale.mkdir(parents=True)
    (stale / "AJ2026-0001-交办单.docx").write_bytes(b"half written")
    assert ws.run("daily") == 0
    assert not stale.parent.exists()
    assert (ws.root / "outbox" / "2026-11-30" / "区住房和城乡建设局" / "AJ2026-0001-交办单.docx").is_file()
