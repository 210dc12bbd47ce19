"""A new year's holiday notice through the daily run: deadlines counted on weekends alone are
corrected once the notice is imported, the unit is told once, the clerk's own are kept."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


from tests.conftest import complaint
from tests.test_daily_mail import ZJ, mail_to, received

NOTICES = Path(__file__).parent / "data" / "holiday_notices"


def summary(ws, day: str) -> str:
    return (ws.root / "outbox" / day / "每日汇总.txt").read_text(encoding="utf-8")


def test_a_december_deadline_is_corrected_when_the_notice_arrives_and_the_unit_is_told(ws, smtp_server, capsys):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    computed = ws.add(**complaint(类别="一般", 受理时间=datetime(2026, 12, 24, 9, 0)))
    typed = ws.add(**complaint(类别="一般", 受理时间=datetime(2026, 12, 24, 9, 5),
                               办理期限=datetime(2027, 1, 4, 18, 0)))
    assert ws.run("daily", now="2026-12-24 10:00") == 0
    # 2027 unknown: 12-25, 12-28 … 12-31, then 1月1日 (a Friday) counted as a working day.
    assert ws.row(computed)["办理期限"] == datetime(2027, 1, 4, 23, 59, 59)
    assert "2027年的放假安排尚未导入，1件在办案件的办理期限暂按周末计算" in summary(ws, "2026-12-24")
    assert ws.run("daily", now="2026-12-25 08:30") == 0  # the warning stays until 2027 is covered
    assert "2027年的放假安排尚未导入" in summary(ws, "2026-12-25")

    assert ws.run("calendar", "import", str(NOTICES / "2027.txt"), now="2026-12-25 09:00") == 0
    assert "春节：放假 2月5日（周五）至2月12日（周五），共8天" in capsys.readouterr().out
    assert (ws.root / "calendar" / "2027.txt").is_file()
    before = len(recorder.messages)
    assert ws.run("daily", now="2026-12-28 08:30") == 0
    case = ws.row(computed)
    # 1月1日–3日 are days off: the seventh working day is now 1月5日.
    assert case["办理期限"] == datetime(2027, 1, 5, 23, 59, 59)
    assert "〔期限更正：2026-12-28按2027年放假安排更正，原期限2027-01-04 23:59〕" in case["备注"]
    assert ws.row(typed)["办理期限"] == datetime(2027, 1, 4, 18, 0)  # the clerk's own stays
    text = summary(ws, "2026-12-28")
    assert "【办理期限更正（工作日历更新）】（1）" in text
    assert f"{ZJ}｜期限 2027-01-04 23:59 → 2027-01-05 23:59（2027年放假安排）" in text
    assert "尚未导入" not in text
    notices = [m for m in received(recorder)[before:] if "期限更正" in str(m["Subject"])]
    assert len(notices) == 1
    assert str(notices[0]["Subject"]) == f"【期限更正】{ZJ}：AJ2026-0001办理期限更正"
    body = notices[0].get_body(("plain",)).get_content()
    assert "原办理期限：2027年1月4日" in body and "更正后办理期限：2027年1月5日" in body
    assert "根据2027年放假安排" in body
    assert "王建国" not in body and "13812345678" not in body

    assert ws.run("daily", now="2026-12-28 11:00") == 0  # nothing twice
    assert sum("期限更正" in str(m["Subject"]) for m in received(recorder)) == 1
    assert ws.row(computed)["办理期限"] == datetime(2027, 1, 5, 23, 59, 59)


def test_a_broken_stored_notice_stops_every_command_naming_the_file_and_line(ws, capsys):
    folder = ws.root / "calendar"
    folder.mkdir()
    (folder / "2027.txt").write_text((NOTICES / "bad-count.txt").read_text(encoding="utf-8"), encoding="utf-8")
    assert ws.run("check") == 2
    assert capsys.readouterr().err.startswith("错误：calendar/2027.txt 第10行：写的是共8天")
    assert ws.run("daily") == 2
