"""Mail through the daily run, against a real SMTP server on localhost (aiosmtpd)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from tests.conftest import complaint
from tests.conftest import free_port

ZJ = "区住房和城乡建设局"


def mail_to(ws, port: int) -> None:
    ws.set_config("mode: outbox", "mode: smtp")
    ws.set_config('host: ""', "host: 127.0.0.1")
    ws.set_config("port: 465", f"port: {port}")
    ws.set_config("security: ssl", "security: none")
    ws.set_config("timeout: 30", "timeout: 5")
    ws.set_config('from_address: ""', "from_address: zhihui@example.gov.cn")
    contacts = load_workbook(ws.register)
    sheet = contacts["联络人"]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == ZJ:
            for cell, value in zip(row[2:11], ("周局", "138", "吴科", "139", "郑丽", "0571-1", "zl@zj.gov.cn",
                                               "已报送", datetime(2026, 1, 10))):
                cell.value = value
    contacts.save(ws.register)


def received(recorder) -> list:
    return recorder.parsed()


def stages_of(message) -> str:
    return str(message["Subject"])


def test_referral_mail_carries_the_days_letters_and_no_reporter(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    ws.add(**complaint(类别="一般", 举报人="欧阳春花", 联系方式="13900001111",
                       举报内容="脚手架不牢，我是欧阳春花，电话13900001111"))
    ws.add(**complaint(类别="紧急"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    (message,) = received(recorder)
    assert "交办" in str(message["Subject"]) and "2件" in str(message["Subject"])
    assert message["To"].addresses[0].addr_spec == "zl@zj.gov.cn"
    attached = {p.get_filename(): p.get_payload(decode=True) for p in message.iter_attachments()}
    folder = ws.root / "outbox" / "2026-11-30" / ZJ
    assert attached == {p.name: p.read_bytes() for p in folder.iterdir()}
    raw = recorder.messages[0][2].decode("utf-8", "replace") + message.get_body(("plain",)).get_content()
    assert "欧阳春花" not in raw and "13900001111" not in raw
    assert ws.run("daily", now="2026-11-30 11:00") == 0
    assert len(recorder.messages) == 1


def test_the_ladder_over_a_fortnight_through_daily(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = ws.add(**complaint(类别="一般"))
    day, log = date(2026, 11, 30), {}
    while day <= date(2026, 12, 15):
        before = len(recorder.messages)
        assert ws.run("daily", now=f"{day:%Y-%m-%d} 08:30") == 0
        log[day] = [str(m["Subject"]) for m in received(recorder)[before:]]
        day += timedelta(days=1)
    days_with = {stage: [d for d, subjects in log.items() if any(stage in s for s in subjects)]
                 for stage in ("交办", "预警", "催办", "督办")}
    # deadline 12-09 23:59: warning the working day before, 催办 the next working day, 督办 after 2;
    # never acknowledged (签收) by the end of 12-01, the referral goes once more on 12-02.
    assert days_with == {"交办": [date(2026, 11, 30), date(2026, 12, 2)], "预警": [date(2026, 12, 8)],
                         "催办": [date(2026, 12, 10)], "督办": [date(2026, 12, 11)]}
    assert log[date(2026, 12, 2)] == [f"【交办】{ZJ}：安全生产举报事项交办单（1件，2026年12月2日）——再次发送，请签收"]
    escalation = next(m for m in received(recorder) if "督办" in str(m["Subject"]))
    assert any("督办通知" in (p.get_filename() or "") for p in escalation.iter_attachments())
    chase_log = ws.row(row)["催办记录"]
    assert "2026-12-10 08:30 催办（邮件）" in chase_log and "督办（邮件，安举督〔2026〕1号）" in chase_log


def test_a_server_that_refuses_then_recovers(ws, smtp_server):
    port = free_port()
    mail_to(ws, port)
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0          # server down: the run still works
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "邮件发送失败（下次运行自动重试）" in summary
    assert ws.rows()[0]["状态"] == "已交办"
    controller, recorder = smtp_server(port=port)
    assert ws.run("daily", now="2026-11-30 09:30") == 0
    assert len(recorder.messages) == 1 and "交办" in str(received(recorder)[0]["Subject"])
    assert ws.run("daily", now="2026-11-30 10:30") == 0
    assert len(recorder.messages) == 1


def test_no_reminders_after_closing_or_while_an_extension_waits(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    first = ws.add(**complaint(类别="一般"))
    second = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    ws.edit(first, 状态="已办结", 反馈时间=datetime(2026, 12, 1, 9, 0))
    ws.edit(second, 状态="申请延期")
    for day in range(1, 16):
        assert ws.run("daily", now=f"2026-12-{day:02d} 08:30") == 0
    assert [str(m["Subject"]) for m in received(recorder) if "交办" not in str(m["Subject"])] == []


def test_units_without_email_are_listed_for_paper(ws):
    ws.add(**complaint(类别="一般", 承办单位="青山镇"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "需纸质送达" in summary and "青山镇" in summary.split("需纸质送达")[1]


def test_outbox_mode_writes_eml_files_with_the_attachments(ws):
    import email
    from email import policy

    contacts = load_workbook(ws.register)
    sheet = contacts["联络人"]
    for r in sheet.iter_rows(min_row=2):
        if r[0].value == "东城街道":
            r[8].value, r[9].value = "dc@example.gov.cn", "已报送"
    contacts.save(ws.register)
    ws.add(**complaint(类别="一般", 承办单位="东城街道"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    (eml,) = (ws.root / "outbox" / "2026-11-30").glob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    names = sorted(p.get_filename() for p in message.iter_attachments())
    assert names == ["AJ2026-0001-交办单.docx", "AJ2026-0001-反馈表.xlsx"]
    assert message["X-Unsent"] == "1"


def test_the_hourly_pass_warns_and_chases_urgent_cases_even_on_a_sunday(ws, smtp_server):
    from tipdesk.commands.daily import run_hourly

    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = ws.add(**complaint(类别="紧急", 受理时间=datetime(2026, 12, 5, 9, 0)))   # a Saturday
    assert ws.run("daily", now="2026-12-05 09:30") == 0
    lines = []
    for hour in range(10, 24):
        run_hourly(ws.config, datetime(2026, 12, 5, hour, 0), echo=lines.append)
    for hour in range(0, 12):
        run_hourly(ws.config, datetime(2026, 12, 6, hour, 0), echo=lines.append)
    subjects = [str(m["Subject"]) for m in received(recorder)]
    assert [s for s in subjects if "预警" in s or "催办" in s] == [
        next(s for s in subjects if "预警" in s), next(s for s in subjects if "催办" in s)]
    assert "催办" in ws.row(row)["催办记录"] and "预警" in ws.row(row)["催办记录"]
    # What the clerk's watch window shows: one line per mail, and every hour from the 2nd on
    # the unacknowledged urgent case to phone about (no sheet, no reply came back).
    assert [line for line in lines if line.startswith("邮件")] == [
        "邮件已发送：区住房和城乡建设局 预警（AJ2026-0001） → zl@zj.gov.cn",
        "邮件已发送：区住房和城乡建设局 催办（AJ2026-0001） → zl@zj.gov.cn"]
    assert "未签收：AJ2026-0001（区住房和城乡建设局，紧急类）交办已2小时仍未签收，请电话联系该单位。" in lines
