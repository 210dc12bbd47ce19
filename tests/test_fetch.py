"""Mail intake against a real IMAP server (Dovecot started by the tests, tests/conftest.py):
units' replies taken once into inbox/, moved to the done folder only after the files are on
disk, a killed fetch losing nothing and taking nothing twice, 签收 by reply, bounces."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import IMAP_PASSWORD, IMAP_USER, complaint, free_port, imap_to

DONE = "tipdesk已处理"
ROOT = Path(__file__).resolve().parent.parent


def sheet_bytes(tmp_path: Path, text: str = "反馈") -> bytes:
    wb = Workbook()
    wb.active["A1"] = text
    path = tmp_path / f"sheet-{text}.xlsx"
    wb.save(path)
    return path.read_bytes()


def unit_mail(subject: str, sender: str = "zl@zj.gov.cn", attachments=(), when=datetime(2026, 12, 1, 15, 0),
              in_reply_to: str = "", body: str = "附件是反馈表，请查收。") -> EmailMessage:
    """A mail as a unit's client writes it."""
    message = EmailMessage()
    message["From"] = f"郑丽 <{sender}>"
    message["To"] = IMAP_USER
    message["Subject"] = subject
    message["Date"] = format_datetime(when.astimezone())
    message["Message-ID"] = make_msgid(domain="zj.gov.cn")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message.set_content(body)
    for name, data in attachments:
        message.add_attachment(data, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
    return message


def inbox_names(ws) -> list[str]:
    return sorted(p.name for p in (ws.root / "inbox").iterdir() if p.is_file())


def test_a_reply_with_a_sheet_is_taken_once_and_moved_never_deleted(ws, dovecot, monkeypatch, tmp_path, capsys):
    imap_to(ws, dovecot, monkeypatch)
    data = sheet_bytes(tmp_path)
    dovecot.deliver(unit_mail("AJ2026-0001 反馈表", attachments=[("AJ2026-0001-反馈表.xlsx", data)]))
    dovecot.deliver(unit_mail("开会通知", body="明天开会。"))
    assert ws.run("fetch", now="2026-12-01 16:00") == 0
    out = capsys.readouterr().out
    assert inbox_names(ws) == ["AJ2026-0001-反馈表.xlsx"]
    assert (ws.root / "inbox" / "AJ2026-0001-反馈表.xlsx").read_bytes() == data
    saved = datetime.fromtimestamp((ws.root / "inbox" / "AJ2026-0001-反馈表.xlsx").stat().st_mtime)
    assert saved == datetime(2026, 12, 1, 15, 0)      # the mail's date: it becomes 反馈时间
    assert dovecot.subjects(DONE) == ["AJ2026-0001 反馈表"]
    assert dovecot.subjects("INBOX") == ["开会通知"]   # nothing for us: left where it was, listed
    assert "附件已存入 inbox：AJ2026-0001-反馈表.xlsx（zl@zj.gov.cn" in out
    assert "留在邮箱原处：zl@zj.gov.cn“开会通知”" in out
    assert ws.run("fetch", now="2026-12-01 17:00") == 0
    assert "邮箱中没有新邮件。" in capsys.readouterr().out
    assert inbox_names(ws) == ["AJ2026-0001-反馈表.xlsx"]
    assert dovecot.subjects("INBOX") == ["开会通知"] and dovecot.subjects(DONE) == ["AJ2026-0001 反馈表"]


# ---- a fetch killed at any point --------------------------------------------------------------

class KillingProxy:
    """Between tipdesk and Dovecot: forwards the IMAP conversation and SIGKILLs the client
    process when it sends the `nth` command containing `trigger` (before the server sees it)."""

    def __init__(self, upstream: int, trigger: bytes, nth: int = 1):
        self.upstream, self.trigger, self.nth, self.seen, self.pid = upstream, trigger, nth, 0, None
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(5)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source, target, from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and self.trigger in data and self.pid:
                    self.seen += data.count(self.trigger)
                    if self.seen >= self.nth:
                        os.kill(self.pid, signal.SIGKILL)
                        return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self.listener.close()


def fetch_in_a_process(ws, now: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TIPDESK_IMAP_PASSWORD": IMAP_PASSWORD}
    return subprocess.Popen([sys.executable, "-m", "tipdesk", "fetch", "--config", str(ws.config_path), "--now", now],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("trigger, nth", [(b"BODY.PEEK[]", 1), (b"MOVE", 1), (b"MOVE", 2)],
                         ids=["before-saving", "saved-not-moved", "second-mail-saved-not-moved"])
def test_a_fetch_killed_at_any_point_loses_no_mail_and_takes_none_twice(ws, dovecot, monkeypatch, tmp_path,
                                                                         trigger, nth):
    imap_to(ws, dovecot, monkeypatch)
    first, second = sheet_bytes(tmp_path, "一"), sheet_bytes(tmp_path, "二")
    dovecot.deliver(unit_mail("AJ2026-0001 反馈", attachments=[("AJ2026-0001-反馈表.xlsx", first)]))
    dovecot.deliver(unit_mail("AJ2026-0002 反馈", attachments=[("AJ2026-0002-反馈表.xlsx", second)]))
    proxy = KillingProxy(dovecot.port, trigger, nth)
    ws.set_config(f"port: {dovecot.port}", f"port: {proxy.port}")
    process = fetch_in_a_process(ws, "2026-12-01 16:00")
    proxy.pid = process.pid
    process.wait(timeout=60)
    proxy.close()
    assert process.returncode == -signal.SIGKILL
    # What the kill left: files already written stay; every mail is still on the server.
    on_disk = {"before-saving": [], "saved-not-moved": ["AJ2026-0001-反馈表.xlsx"],
               "second-mail-saved-not-moved": ["AJ2026-0001-反馈表.xlsx", "AJ2026-0002-反馈表.xlsx"]}
    assert inbox_names(ws) == on_disk[{(b"BODY.PEEK[]", 1): "before-saving", (b"MOVE", 1): "saved-not-moved",
                                       (b"MOVE", 2): "second-mail-saved-not-moved"}[(trigger, nth)]]
    assert sorted(dovecot.subjects("INBOX") + dovecot.subjects(DONE)) == ["AJ2026-0001 反馈", "AJ2026-0002 反馈"]
    # The next run finishes: each mail moved once, each file in the inbox once, byte for byte.
    ws.set_config(f"port: {proxy.port}", f"port: {dovecot.port}")
    assert ws.run("fetch", now="2026-12-01 16:05") == 0
    assert inbox_names(ws) == ["AJ2026-0001-反馈表.xlsx", "AJ2026-0002-反馈表.xlsx"]
    assert (ws.root / "inbox" / "AJ2026-0001-反馈表.xlsx").read_bytes() == first
    assert (ws.root / "inbox" / "AJ2026-0002-反馈表.xlsx").read_bytes() == second
    assert dovecot.subjects("INBOX") == [] and sorted(dovecot.subjects(DONE)) == ["AJ2026-0001 反馈", "AJ2026-0002 反馈"]
    assert ws.run("fetch", now="2026-12-01 16:10") == 0
    assert len(inbox_names(ws)) == 2 and len(dovecot.subjects(DONE)) == 2


# ---- end to end: referral out by SMTP, the reply back by IMAP, the case closed ---------------

def test_referral_out_reply_in_and_the_case_closes_within_the_hour(ws, dovecot, smtp_server, monkeypatch, tmp_path):
    from tests.test_daily_mail import ZJ, mail_to
    from tests.test_inbox import CLOSED, fill
    from tipdesk.commands.daily import run_hourly

    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    imap_to(ws, dovecot, monkeypatch)
    row = ws.add(**complaint(类别="紧急", 受理时间=datetime(2026, 12, 1, 13, 50)))
    assert ws.run("daily", now="2026-12-01 14:00") == 0
    (referral,) = recorder.parsed()
    assert ws.row(row)["状态"] == "已交办" and not ws.row(row)["签收时间"]
    # The unit fills the sheet that came with the mail and answers it from its own client.
    sheet = fill(ws.root / "outbox" / "2026-12-01" / ZJ / "AJ2026-0001-反馈表.xlsx", tmp_path / "filled.xlsx", CLOSED)
    reply = unit_mail("回复：" + str(referral["Subject"]), attachments=[("AJ2026-0001-反馈表.xlsx", sheet.read_bytes())],
                      in_reply_to=str(referral["Message-ID"]), when=datetime(2026, 12, 1, 15, 0))
    dovecot.deliver(reply)
    lines = []
    run_hourly(ws.config, datetime(2026, 12, 1, 16, 0), echo=lines.append)
    after = ws.row(row)
    assert after["状态"] == "已办结"
    assert after["签收时间"] == datetime(2026, 12, 1, 15, 0)
    assert after["反馈时间"] == datetime(2026, 12, 1, 15, 0) and after["是否属实"] == "属实"
    assert dovecot.subjects("INBOX") == [] and dovecot.subjects(DONE) == ["回复：" + str(referral["Subject"])]
    assert inbox_names(ws) == []
    assert (ws.root / "inbox" / "processed" / "2026-12-01" / "AJ2026-0001-反馈表.xlsx").read_bytes() == sheet.read_bytes()
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert f"zl@zj.gov.cn（{ZJ}） 2026-12-01 15:00 回复：AJ2026-0001" in summary


def test_a_reply_without_a_sheet_is_the_acknowledgement(ws, dovecot, smtp_server, monkeypatch):
    from tests.test_daily_mail import mail_to

    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    imap_to(ws, dovecot, monkeypatch)
    first = ws.add(**complaint(类别="一般"))
    second = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    (referral,) = recorder.parsed()
    dovecot.deliver(unit_mail("回复：" + str(referral["Subject"]), body="收到，马上办理。",
                              in_reply_to=str(referral["Message-ID"]), when=datetime(2026, 12, 1, 9, 40)))
    assert ws.run("daily", now="2026-12-01 10:00") == 0
    assert ws.row(first)["签收时间"] == datetime(2026, 12, 1, 9, 40)
    assert ws.row(second)["签收时间"] == datetime(2026, 12, 1, 9, 40)
    assert ws.row(first)["状态"] == "已交办"
    assert dovecot.subjects("INBOX") == []


# ---- what old Chinese clients send, and servers that fail --------------------------------------

def gbk_mail(sheet: bytes) -> bytes:
    """As an old Foxmail/Outlook Express writes it: GBK RFC 2047 subject and sender name, the
    file name once RFC 2231 in GBK and once as GBK RFC 2047 words in `name` only."""
    return (
        "From: =?GBK?B?" + __import__("base64").b64encode("南城街道".encode("gbk")).decode() + "?= <nc@nc.gov.cn>\r\n"
        "To: " + IMAP_USER + "\r\n"
        "Subject: =?GBK?B?" + __import__("base64").b64encode("AJ2026-0003 反馈表（南城）".encode("gbk")).decode() + "?=\r\n"
        "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
        "Message-ID: <old-client-1@nc.gov.cn>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + "请查收。".encode("gbk") + (
        "\r\n--b1\r\nContent-Type: application/vnd.ms-excel\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename*=gbk''" + __import__("urllib.parse").parse.quote("南城-反馈表.xlsx".encode("gbk"))
        + "\r\n\r\n" + __import__("base64").encodebytes(sheet).decode() + "\r\n"
        "--b1\r\nContent-Type: application/octet-stream; name=\"=?GBK?B?"
        + __import__("base64").b64encode("第二张.xlsx".encode("gbk")).decode() + "?=\"\r\n"
        "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n"
        + __import__("base64").encodebytes(sheet).decode() + "\r\n--b1--\r\n").encode("ascii")


def test_gbk_headers_and_rfc2231_names_from_old_clients(ws, dovecot, monkeypatch, tmp_path, capsys):
    imap_to(ws, dovecot, monkeypatch)
    data = sheet_bytes(tmp_path)
    dovecot.deliver(gbk_mail(data))
    assert ws.run("fetch", now="2026-12-01 16:00") == 0
    out = capsys.readouterr().out
    assert inbox_names(ws) == ["南城-反馈表.xlsx", "第二张.xlsx"]
    assert (ws.root / "inbox" / "南城-反馈表.xlsx").read_bytes() == data
    assert dovecot.subjects(DONE) == ["AJ2026-0003 反馈表（南城）"]
    assert "南城-反馈表.xlsx（nc@nc.gov.cn" in out


def test_a_server_that_cannot_check_the_password_for_a_moment_is_asked_again(ws, tmp_path, monkeypatch, capsys):
    """Dovecot whose password lookup fails for a while ("NO [UNAVAILABLE] Temporary
    authentication failure", as on a loaded server): the login is tried again, and when it
    still fails the clerk is not sent to check a password that is right."""
    import shutil

    if shutil.which("dovecot") is None:
        pytest.skip("dovecot 未安装（apt-get install dovecot-imapd）：跳过真实 IMAP 服务器的测试")
    from tests.conftest import Dovecot

    failures = tmp_path / "failures"  # how many lookups are still to fail, counted down by the script
    failures.write_text("0")
    os.chmod(failures, 0o666)
    script = tmp_path / "checkpassword.sh"
    script.write_text(f"""#!/bin/sh
n=$(cat {failures})
if [ "$n" -gt 0 ]; then echo $((n - 1)) > {failures}; exit 111; fi
creds=$(tr '\\0' '\\n' <&3)
[ "$(printf '%s\\n' "$creds" | sed -n 1p)" = "{IMAP_USER}" ] || exit 1
[ "$(printf '%s\\n' "$creds" | sed -n 2p)" = "{IMAP_PASSWORD}" ] || exit 1
exec "$1"
""")
    os.chmod(script, 0o755)
    server = Dovecot(tmp_path / "dovecot", passdb=f"driver = checkpassword\n  args = {script}")
    try:
        imap_to(ws, server, monkeypatch)
        failures.write_text("1")
        assert ws.run("fetch", now="2026-12-01 16:00") == 0
        out = capsys.readouterr().out
        assert "邮箱中没有新邮件。" in out and "登录" not in out
        failures.write_text("9")
        assert ws.run("fetch", now="2026-12-01 17:00") == 0
        out = capsys.readouterr().out
        assert "暂时无法验证登录" in out and "不是密码错误" in out and "核对" not in out
    finally:
        server.stop()


def test_server_unreachable_or_wrong_password_is_one_chinese_line_and_daily_goes_on(ws, dovecot, monkeypatch):
    imap_to(ws, dovecot, monkeypatch)
    monkeypatch.setenv("TIPDESK_IMAP_PASSWORD", "wrong")
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "【邮箱收件：问题】" in summary and f"收件邮箱 {IMAP_USER} 登录失败" in summary
    assert ws.rows()[0]["状态"] == "已交办"
    ws.set_config(f"port: {dovecot.port}", f"port: {free_port()}")
    monkeypatch.delenv("TIPDESK_IMAP_PASSWORD")
    assert ws.run("daily", now="2026-12-01 10:00") == 0
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "未找到邮箱 zhihui@example.gov.cn 的密码：请设置环境变量 TIPDESK_IMAP_PASSWORD" in summary
    monkeypatch.setenv("TIPDESK_IMAP_PASSWORD", IMAP_PASSWORD)
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "无法连接收件服务器 127.0.0.1" in summary and "下次运行自动重试" in summary


def test_a_bounce_sends_that_units_next_referral_on_paper(ws, dovecot, smtp_server, monkeypatch):
    from tests.test_daily_mail import ZJ, mail_to

    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    imap_to(ws, dovecot, monkeypatch)
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    (referral,) = recorder.parsed()
    dsn = (  # as Postfix writes a delivery status notification (RFC 3464)
        "From: Mail Delivery System <MAILER-DAEMON@mail.zj.gov.cn>\r\n"
        f"To: {IMAP_USER}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(datetime(2026, 12, 1, 9, 5).astimezone())}\r\n"
        f"Message-ID: {make_msgid(domain='mail.zj.gov.cn')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"\r\n\r\n'
        "--dsn\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your mail could not be delivered.\r\n"
        "--dsn\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.zj.gov.cn\r\n\r\n"
        "Final-Recipient: rfc822; zl@zj.gov.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--dsn\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {referral['Message-ID']}\r\nSubject: referral\r\n\r\n--dsn--\r\n").encode("utf-8")
    dovecot.deliver(dsn)
    second = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-12-01 10:00") == 0
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "zl@zj.gov.cn：smtp; 550 5.1.1 user unknown；今后发往该地址的邮件改为需纸质送达" in summary
    assert f"{ZJ} 交办（AJ2026-0001）未送达，需纸质送达" in summary
    assert f"{ZJ} 交办（AJ2026-0002）" in summary.split("【需纸质送达】")[1]
    assert len(recorder.messages) == 1                      # nothing more to the failing address
    assert dovecot.subjects(DONE) == ["Undelivered Mail Returned to Sender"]
    assert ws.row(second)["状态"] == "已交办"
    # The 联络人 sheet says so, beside the address, until the clerk corrects it.
    from openpyxl import load_workbook

    def contact_row():
        sheet = load_workbook(ws.register)["联络人"]
        headers = [c.value for c in sheet[1]]
        row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == ZJ)
        return headers, dict(zip(headers, row))

    headers, values = contact_row()
    assert headers[-1] == "邮箱状态"
    assert values["邮箱状态"] == "zl@zj.gov.cn 退信（2026-12-01），已改为纸质送达，请核对后改正邮箱"
    book = load_workbook(ws.register)
    sheet = book["联络人"]
    for cells in sheet.iter_rows(min_row=2):
        if cells[0].value == ZJ:
            cells[headers.index("电子邮箱")].value = "zhengli@zj.gov.cn"
    book.save(ws.register)
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    assert contact_row()[1]["邮箱状态"] is None


@pytest.mark.parametrize("old, new, key", [
    ("password_env: TIPDESK_IMAP_PASSWORD", "password: 123456", "mail.imap.password"),
    ("host: ''", "host: imap.example.gov.cn", "mail.imap.user"),
    ("security: \"ssl\"", "security: none\n    host: imap.example.gov.cn\n    user: a@b.cn", "mail.imap.security"),
    ("done_folder: tipdesk已处理", "done_folder: INBOX", "mail.imap.done_folder"),
])
def test_mail_imap_settings_are_checked_naming_the_key(ws, capsys, old, new, key):
    text = ws.config_path.read_text(encoding="utf-8")
    if old == "security: \"ssl\"":
        text = text.replace("host: ''", "").replace("user: ''", "")
    ws.config_path.write_text(text.replace(old, new), encoding="utf-8")
    if key == "mail.imap.done_folder":
        ws.set_config("host: ''", "host: imap.example.gov.cn")
        ws.set_config("user: ''", "user: a@b.cn")
    assert ws.run("check") == 2
    assert f"配置项 {key}" in capsys.readouterr().err


def test_fetch_without_a_mailbox_says_what_to_fill_in(ws, capsys):
    assert ws.run("fetch") == 2
    assert "mail.imap.host" in capsys.readouterr().err


def test_a_30_mb_attachment_arrives_whole(ws, dovecot, monkeypatch):
    imap_to(ws, dovecot, monkeypatch)
    big = os.urandom(30 * 1024 * 1024)
    dovecot.deliver(unit_mail("AJ2026-0009 现场照片和反馈表", attachments=[("AJ2026-0009-反馈表.xlsx", big)]))
    assert ws.run("fetch", now="2026-12-01 16:00") == 0
    assert (ws.root / "inbox" / "AJ2026-0009-反馈表.xlsx").read_bytes() == big
    assert dovecot.subjects(DONE) == ["AJ2026-0009 现场照片和反馈表"]


def test_a_plain_reply_that_only_quotes_the_subject_is_the_acknowledgement(ws, dovecot, monkeypatch):
    """Outbox mode: the clerk sent the .eml from Outlook, which may give it a Message-ID of its
    own; the unit's client answers "答复: 【交办】…" in plain text, without In-Reply-To."""
    imap_to(ws, dovecot, monkeypatch)
    from openpyxl import load_workbook

    contacts = load_workbook(ws.register)
    for r in contacts["联络人"].iter_rows(min_row=2):
        if r[0].value == "东城街道":
            r[8].value, r[9].value = "dc@dc.gov.cn", "已报送"
    contacts.save(ws.register)
    row = ws.add(**complaint(类别="一般", 承办单位="东城街道"))
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    (eml,) = (ws.root / "outbox" / "2026-12-01").glob("*.eml")
    import email
    from email import policy

    subject = str(email.message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"])
    dovecot.deliver(unit_mail("答复: " + subject, sender="dc@dc.gov.cn", body="已收到。",
                              when=datetime(2026, 12, 1, 11, 20)))
    assert ws.run("daily", now="2026-12-01 14:00") == 0
    assert ws.row(row)["签收时间"] == datetime(2026, 12, 1, 11, 20)
    assert dovecot.subjects("INBOX") == [] and dovecot.subjects(DONE) == ["答复: " + subject]


def test_a_folder_that_does_not_exist_is_named(ws, dovecot, monkeypatch, capsys):
    imap_to(ws, dovecot, monkeypatch)
    ws.set_config("folder: INBOX ", "folder: 单位来件 ")
    assert ws.run("fetch", now="2026-12-01 16:00") == 0
    assert "找不到邮箱文件夹“单位来件”（mail.imap.folder）" in capsys.readouterr().out


def test_an_eml_sent_from_the_clerks_client_is_confirmed_from_the_sent_folder(ws, dovecot, monkeypatch):
    # Outbox mode: tipdesk writes the .eml, the clerk sends it from Foxmail, which keeps a copy
    # in 已发送; the next run finds our Message-ID there and 催办记录 stops saying 发件箱待发.
    from openpyxl import load_workbook

    from tests.test_daily_mail import ZJ

    imap_to(ws, dovecot, monkeypatch)
    ws.set_config("sent_folder: ''", "sent_folder: 已发送")
    book = load_workbook(ws.register)
    for row in book["联络人"].iter_rows(min_row=2):
        if row[0].value == ZJ:
            for cell, value in zip(row[2:11], ("周局", "138", "吴科", "139", "郑丽", "0571-1", "zl@zj.gov.cn",
                                               "已报送", datetime(2026, 1, 10))):
                cell.value = value
    book.save(ws.register)
    row = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    assert ws.run("daily", now="2026-12-08 08:30") == 0
    assert "预警（邮件，发件箱待发）" in ws.row(row)["催办记录"]
    (eml,) = (ws.root / "outbox" / "2026-12-08").glob("*预警*.eml")
    from email import message_from_bytes, policy

    dovecot.deliver(message_from_bytes(eml.read_bytes(), policy=policy.SMTP), folder="已发送")
    assert ws.run("daily", now="2026-12-08 10:00") == 0
    log = ws.row(row)["催办记录"]
    assert "2026-12-08 08:30 预警（邮件）" in log and "发件箱待发" not in log
    assert dovecot.subjects("已发送") == [str(message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"])]
