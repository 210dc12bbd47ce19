"""The commit protocol: a daily run SIGKILLed at each step is finished by the next run, which
ends where an uninterrupted run ends (same register, one letter per case, each mail once);
and a register an older copy was saved over is refused before anything changes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from aiosmtpd.controller import Controller

from tests.conftest import Recorder, Workspace, complaint, free_port
from tests.test_daily_mail import ZJ, mail_to
from tipdesk.store.register import read_register

ROOT = Path(__file__).resolve().parents[1]
DAY1, DAY2 = "2026-11-30 08:30", "2026-12-01 10:00"


def answer(sheet: Path, target: Path, **answers: str) -> None:
    """A unit fills in the feedback sheet it was sent, as in Excel."""
    wb = load_workbook(sheet)
    form = wb["反馈表"]
    for row in form.iter_rows():
        for cell in row:
            if cell.value in answers:
                form.cell(cell.row, cell.column + 1).value = answers[cell.value]
    wb.save(target)


def day_two_workspace(root: Path, port: int) -> Workspace:
    """Day 1 referred two cases; by day 2 one is answered, a stray file and a new complaint
    came, and the urgent one is overdue: day 2 applies, rejects, refers, reminds."""
    ws = Workspace(root)
    mail_to(ws, port)
    ws.add(**complaint(类别="一般", 被举报单位="宏达建设第一工程有限公司", 事发地址="东城街道人民路1号"))
    ws.add(**complaint(类别="紧急", 被举报单位="宏达建设第二工程有限公司", 事发地址="东城街道人民路2号"))
    assert ws.run("daily", now=DAY1) == 0
    sheet = next((ws.root / "outbox" / "2026-11-30" / ZJ).glob("AJ2026-0001-反馈表.xlsx"))
    answer(sheet, ws.root / "inbox" / "回传-宏达一.xlsx", 办理状态="已办结", 核查情况="已责令整改，连墙件已补齐。",
           是否属实="属实", 处理结果="责令整改，罚款一万元。", 经办人="郑丽", 联系电话="0571-1", 办结日期="2026-11-30")
    (ws.root / "inbox" / "会议通知.txt").write_text("周五开会", encoding="utf-8")
    ws.add(**complaint(类别="一般", 被举报单位="宏达建设第三工程有限公司", 事发地址="东城街道人民路3号"))
    return ws


def kill_daily(ws: Workspace, suffix: str, function: str, event: str, nth: int) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "tools" / "killer.py"), suffix, function, event,
                           str(nth), "--", "daily", "--config", str(ws.config_path), "--now", DAY2],
                          cwd=ROOT, env=env, capture_output=True, timeout=300)
    return done.returncode


def state(ws: Workspace, messages: list) -> dict:
    register = read_register(ws.register)
    outbox = sorted(str(p.relative_to(ws.root / "outbox")) for p in (ws.root / "outbox").rglob("*")
                    if p.is_file() and "汇总" not in p.name and not p.name.startswith("."))
    inbox = sorted(str(p.relative_to(ws.root / "inbox")) for p in (ws.root / "inbox").rglob("*") if p.is_file())
    mails = Counter((str(m["Subject"]), str(m["To"])) for m in messages)
    return {"register": [r.values for r in register.rows], "outbox": outbox, "inbox": inbox, "mails": mails}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The twin every killed run is compared with, built once: the same day two, not killed."""
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        ws = day_two_workspace(tmp_path_factory.mktemp("twin") / "ws", controller.port)
        assert ws.run("daily", now=DAY2) == 0
        return state(ws, recorder.parsed())
    finally:
        controller.stop()


# Each step of the commit, as (file, function, event, nth): before the intent, after it, after
# the register was replaced, after the journal recorded it, during the letters' moves, during
# the inbox moves, before each of the two mails.
KILL_POINTS = {
    "before the intent": ("store/register.py", "save_changes", "call", 1),
    "after the intent": ("store/journal.py", "record_intent", "return", 1),
    "after the replace": ("store/register.py", "keep_written", "call", 1),
    "after the journal": ("store/commit.py", "apply_intent", "return", 1),
    "during the letters": ("shutil.py", "move", "call", 2),
    "during the inbox moves": ("shutil.py", "move", "call", 3),
    "before the first mail": ("mail/deliver.py", "_send_one", "call", 1),
    "before the second mail": ("mail/deliver.py", "_send_one", "call", 2),
}


@pytest.mark.parametrize("point", KILL_POINTS, ids=list(KILL_POINTS))
def test_a_run_killed_at_each_step_is_finished_by_the_next(point, tmp_path, smtp_server, uninterrupted):
    controller, recorder = smtp_server()
    ws = day_two_workspace(tmp_path / "ws", controller.port)
    day_one = len(recorder.messages)
    assert kill_daily(ws, *KILL_POINTS[point]) == -signal.SIGKILL
    if point in ("before the intent", "after the intent", "after the replace"):
        assert len(recorder.messages) == day_one  # nothing left before the register held it
    assert ws.run("daily", now=DAY2) == 0
    after = state(ws, recorder.parsed())
    assert after["register"] == uninterrupted["register"]
    assert after["outbox"] == uninterrupted["outbox"]
    assert after["inbox"] == uninterrupted["inbox"]
    assert after["mails"] == uninterrupted["mails"]
    assert len(recorder.messages) - day_one == sum(uninterrupted["mails"].values()) - 1  # day 1 sent one
    letters = [p for p in after["outbox"] if p.endswith("交办单.docx")]
    assert len(letters) == len(set(letters)) == 3 and not any("-2." in p for p in after["outbox"])


# ---- an older copy saved over the register --------------------------------------------------

def test_an_older_copy_saved_over_the_register_stops_the_next_run(tmp_path, smtp_server, capsys):
    controller, recorder = smtp_server()
    ws = day_two_workspace(tmp_path / "ws", controller.port)
    older = ws.register.read_bytes()            # the clerk's copy from before day 2
    assert ws.run("daily", now=DAY2) == 0
    written = ws.register.read_bytes()
    assert ws.run("daily", now="2026-12-01 16:00") == 0   # a run with nothing to change
    ws.register.write_bytes(older)              # … saved over the register that evening
    late = ws.root / "inbox" / "晚到的回传.xlsx"
    late.write_bytes(b"not looked at")
    mails = len(recorder.messages)
    capsys.readouterr()
    assert ws.run("daily", now="2026-12-02 08:30") == 3
    err = capsys.readouterr().err
    assert "台账似乎被一份较早的副本覆盖了" in err and "运行（2026-12-01 10:00）写入后的台账" in err
    assert "不在台账中的案件：AJ2026-0003" in err
    assert "AJ2026-0001 的“" in err and "处理结果" in err      # the answer applied on day 2
    copy = ws.root / "backups" / "安全生产举报台账-20261201-100000-写入后.xlsx"
    assert copy.name in err and copy.read_bytes() == written
    assert ws.register.read_bytes() == older and late.exists() and len(recorder.messages) == mails
    # The clerk puts the named copy back: the next run goes on as if nothing happened.
    ws.register.write_bytes(copy.read_bytes())
    late.unlink()
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    numbers = [r["案件编号"] for r in ws.rows()]
    assert numbers == ["AJ2026-0001", "AJ2026-0002", "AJ2026-0003"]


def test_a_clerk_who_deleted_the_rows_on_purpose_can_say_so(tmp_path, smtp_server, capsys):
    controller, recorder = smtp_server()
    ws = day_two_workspace(tmp_path / "ws", controller.port)
    older = ws.register.read_bytes()
    assert ws.run("daily", now=DAY2) == 0
    ws.register.write_bytes(older)
    assert ws.run("daily", now="2026-12-02 08:30") == 3
    assert ws.run("daily", "--accept-register", now="2026-12-02 08:30") == 0
    # Numbers are never reused: the complaint typed again gets a new one.
    assert [r["案件编号"] for r in ws.rows()][-1] == "AJ2026-0004"


def test_ordinary_edits_after_a_run_do_not_stop_the_next(tmp_path, smtp_server):
    controller, recorder = smtp_server()
    ws = day_two_workspace(tmp_path / "ws", controller.port)
    assert ws.run("daily", now=DAY2) == 0
    rows = {r["案件编号"]: n for n, r in enumerate(ws.rows(), start=2)}
    ws.edit(rows["AJ2026-0003"], 备注="已电话联系")
    ws.edit(rows["AJ2026-0001"], 回访时间="2026-12-01 15:00", 回访结果="满意")
    assert ws.run("daily", now="2026-12-02 08:30") == 0


# ---- 督办 numbers: never skipped, never given twice ------------------------------------------

def test_a_run_killed_among_the_escalations_skips_no_number(tmp_path, smtp_server):
    controller, recorder = smtp_server()
    ws = Workspace(tmp_path / "ws")
    mail_to(ws, controller.port)
    ws.add(**complaint(类别="一般"))
    ws.add(**complaint(类别="一般", 被举报单位="鑫源食品超市", 行业领域="商贸", 举报内容="超市消防通道堆放货物。"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    # 12-11: both overdue by two working days; 东城街道 has no address (paper, written first),
    # the other is mailed: the run dies before the mail goes.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "tools" / "killer.py"), "mail/deliver.py",
                           "_send_one", "call", "1", "--", "daily", "--config", str(ws.config_path),
                           "--now", "2026-12-11 08:30"], cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL
    assert ws.run("daily", now="2026-12-11 08:30") == 0
    escalations = [str(m["Subject"]) for m in recorder.parsed() if "【督办】" in str(m["Subject"])]
    assert escalations == [f"【督办】{ZJ}：安全生产举报事项办理提醒（1件）—安举督〔2026〕2号"]
    paper = sorted(p.name for p in (ws.root / "outbox" / "2026-12-11").glob("督办通知-*.docx"))
    assert paper == ["督办通知-安举督〔2026〕1号.docx"]
    log = {r["承办单位"]: r["催办记录"] for r in ws.rows()}
    assert "安举督〔2026〕2号" in log[ZJ] and "安举督〔2026〕1号" in log["东城街道"]


def test_letters_that_cannot_reach_the_outbox_go_with_the_next_run(tmp_path, smtp_server, capsys):
    controller, recorder = smtp_server()
    ws = day_two_workspace(tmp_path / "ws", controller.port)
    blocker = ws.root / "outbox" / "2026-12-01" / ZJ     # a file where the unit's folder goes
    blocker.parent.mkdir(parents=True)
    blocker.write_text("占位", encoding="utf-8")
    mails = len(recorder.messages)
    assert ws.run("daily", now=DAY2) == 0
    out = capsys.readouterr().out
    assert "【未能放入发件箱（下次运行再试）】" in out and "AJ2026-0003-交办单.docx" in out
    assert not any("交办" in str(m["Subject"]) for m in recorder.parsed()[mails:])
    assert [r["交办文号"] for r in ws.rows()][-1] == "安举交〔2026〕3号"
    blocker.unlink()
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    assert ("上次运行（2026-12-01 10:00）未能放入发件箱的文件已放入：AJ2026-0003-交办单.docx、AJ2026-0003-反馈表.xlsx"
            in capsys.readouterr().out)
    assert (ws.root / "outbox" / "2026-12-01" / ZJ / "AJ2026-0003-交办单.docx").is_file()
    referrals = [m for m in recorder.parsed()[mails:] if "【交办】" in str(m["Subject"])]
    assert len(referrals) == 1 and {p.get_filename() for p in referrals[0].iter_attachments()} == {
        "AJ2026-0003-交办单.docx", "AJ2026-0003-反馈表.xlsx"}
    assert not list((ws.root / "outbox").glob(".staging-*"))


def test_a_case_the_clerk_deleted_is_told_once_and_the_run_goes_on(ws, capsys):
    ws.add(**complaint())
    ws.add(**complaint())
    assert ws.run("daily") == 0
    wb = load_workbook(ws.register)
    wb["台账"].delete_rows(3)
    wb.save(ws.register)
    capsys.readouterr()
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert "AJ2026-0002 已不在台账中（编号不再使用）" in capsys.readouterr().out
    assert ws.run("daily", now="2026-12-01 09:30") == 0
    assert "AJ2026-0002 已不在台账中" not in capsys.readouterr().out


def test_a_cell_a_later_run_set_back_is_no_sign_of_an_older_copy(ws):
    # Run 1 marked three cases overdue; the clerk extended them and run 2 set them back. The
    # register now holds run 1's old values: that is run 2's work, not an older copy.
    from datetime import datetime

    from tipdesk.domain.rows import CellChange
    from tipdesk.store.commit import refuse_if_went_back
    from tipdesk.store.journal import open_journal

    ids = [f"AJ2026-00{n:02d}" for n in (1, 2, 3)]
    rows = [ws.add(**complaint(案件编号=case_id, 是否超期="否")) for case_id in ids]
    journal = open_journal(ws.config.journal)
    try:
        for before, after, old, new in (("d0", "d1", "否", "是"), ("d1", "d2", "是", "否")):
            run = journal.start_run("daily", datetime(2026, 12, 1, 8, 30))
            journal.record_changes(run, datetime(2026, 12, 1, 8, 30),
                                   [CellChange(row, case_id, "是否超期", old, new, "超期") for row, case_id in zip(rows, ids)])
            journal.set_digests(run, before, after)
            journal.finish_run(run, "ok")
        assert refuse_if_went_back(read_register(ws.register), journal, datetime(2026, 12, 2, 8, 30)) == []
    finally:
        journal.close()


def test_the_only_case_a_run_registered_may_be_deleted(ws, capsys):
    ws.add(**complaint())
    assert ws.run("daily") == 0
    ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 10:00") == 0      # registers AJ2026-0002 alone
    wb = load_workbook(ws.register)
    wb["台账"].delete_rows(3)                                 # a duplicate, the clerk says
    wb.save(ws.register)
    capsys.readouterr()
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert "AJ2026-0002 已不在台账中（编号不再使用）" in capsys.readouterr().out
