"""The egress gate (tipdesk/store/egress.py): what holds an identity the register knows does
not leave, wherever in the file it hides, and the clerk is told which file and which case —
never the identity."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from tests.conftest import complaint
from tests.test_mail import ZJ, make_config, referral_plan, smtp_yaml
from tipdesk.config import MailSettings
from tipdesk.domain.identities import Identities
from tipdesk.mail.compose import Attachment, Mail, MailItem, Recipient
from tipdesk.mail.deliver import build_message, deliver
from tipdesk.store.egress import BLOCKED_FOLDER, Gate
from tipdesk.store.journal import Journal

ROWS = [{"案件编号": "AJ2026-0007", "举报人": "王志远", "联系方式": "139 8765 4321；微信 wzy_2026"}]


@pytest.fixture
def journal(tmp_path):
    journal = Journal(tmp_path / "tipdesk.sqlite3")
    yield journal
    journal.close()


def gate_at(root: Path, rows=ROWS) -> Gate:
    return Gate(Identities(["区住房和城乡建设局"]).add_rows(rows), root, root / BLOCKED_FOLDER / "2026-11-30")


def docx_bytes(*runs: str, author: str = "") -> bytes:
    document = Document()
    paragraph = document.add_paragraph()
    for text in runs:
        paragraph.add_run(text)
    document.core_properties.author = author
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(value, creator: str = "", title: str = "Sheet") -> bytes:
    book = Workbook()
    book.active["B3"] = value
    book.active.title = title
    book.properties.creator = creator
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def mail_bytes(body: str = "请查收。", attachment: tuple[str, bytes] | None = None, subject: str = "交办") -> bytes:
    mail = Mail("交办", ZJ, datetime(2026, 11, 30, 8, 30), (MailItem("AJ2026-0001", "交办", ZJ, ""),),
                subject, body, to=(Recipient("郑丽", "zl@zj.gov.cn"),),
                attachments=(Attachment(*attachment),) if attachment else ())
    return build_message(mail, MailSettings()).as_bytes()


LEAKY = [
    ("AJ2026-0001-交办单.docx", docx_bytes("举报人：王", "志", "远")),           # a name split across runs
    ("AJ2026-0001-交办单.docx", docx_bytes("请核查。", author="王志远")),         # document metadata
    ("AJ2026-0001-反馈表.xlsx", xlsx_bytes(13987654321)),                        # a number cell
    ("AJ2026-0001-反馈表.xlsx", xlsx_bytes("ok", creator="wzy_2026")),
    ("AJ2026-0001-反馈表.xlsx", xlsx_bytes("电话 幺三九 八七六五 四三二一")),
    ("AJ2026-0001-反馈表.xlsx", xlsx_bytes("ok", title="王志远")),                 # a sheet name
    ("每日汇总.txt", "说明：ＷＺＹ＿２０２６".encode("utf-8")),
    ("AJ2026-0001-王志远.docx", docx_bytes("请核查。")),                          # the file name
    ("交办.eml", mail_bytes(body="王志远反映的问题")),                               # base64 body
    ("交办.eml", mail_bytes(subject="交办 139-8765-4321")),                        # RFC 2047 subject
    ("交办.eml", mail_bytes(attachment=("王志远.txt", b"x"))),                     # RFC 2231 file name
    ("交办.eml", mail_bytes(attachment=("a.docx", docx_bytes("v信 wzy-2026")))),   # inside an attachment
]


@pytest.mark.parametrize("name,data", LEAKY)
def test_an_identity_anywhere_in_the_file_is_found(tmp_path, name, data):
    assert gate_at(tmp_path).leaks(name, data) == {"AJ2026-0007"}


@pytest.mark.parametrize("name,data", [
    ("AJ2026-0001-交办单.docx", docx_bytes("区住房和城乡建设局：", "请于2026年12月10日前核查反馈。", author="区应急管理局")),
    ("AJ2026-0001-反馈表.xlsx", xlsx_bytes("王先生称厂里没有灭火器")),  # another case's 王先生 is anybody
    ("交办.eml", mail_bytes(attachment=("AJ2026-0001-交办单.docx", docx_bytes("见附件")))),
])
def test_ordinary_documents_pass(tmp_path, name, data):
    assert gate_at(tmp_path).leaks(name, data) == set()


def test_a_held_file_stays_out_of_the_outbox_and_the_line_names_file_and_case(tmp_path):
    gate = gate_at(tmp_path)
    target = tmp_path / "outbox" / "2026-11-30" / ZJ / "AJ2026-0001-交办单.docx"
    assert gate.write(target, docx_bytes("王志远反映"), about=["AJ2026-0001"]) is None
    assert not target.exists()
    assert (tmp_path / BLOCKED_FOLDER / "2026-11-30" / target.name).exists()
    (line,) = gate.lines
    assert "AJ2026-0001-交办单.docx" in line and "AJ2026-0007" in line and "AJ2026-0001" in line
    assert "王志远" not in line and "志远" not in line


def test_a_clean_file_is_written(tmp_path):
    gate = gate_at(tmp_path)
    target = tmp_path / "outbox" / "a.txt"
    assert gate.write(target, "请核查。".encode()) == target and target.read_text(encoding="utf-8") == "请核查。"
    assert gate.lines == []


def test_a_held_mail_is_not_sent_and_goes_once_the_text_is_mended(tmp_path, smtp_server, journal):
    controller, server = smtp_server()
    config = make_config(tmp_path, smtp_yaml(controller.port))
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    # The reporter of another case is a company: the same company is the subject of these.
    gate = gate_at(tmp_path, [{"案件编号": "AJ2026-0099", "举报人": "宏达建设工程有限公司"}])
    report = deliver(mails, settings, journal, tmp_path / "day", gate)
    assert report.sent == [] and server.messages == []  # (东城街道 has no address: paper)
    assert any(ZJ in line and "AJ2026-0099" in line and "未发出" in line for line in gate.lines)
    assert not any("宏达建设工程有限公司" in line for line in gate.lines)
    # Still owed: once the register no longer names that reporter, the same plan goes out.
    again = deliver(mails, settings, journal, tmp_path / "day", gate_at(tmp_path, []))
    assert {o.mail.unit for o in again.sent} == {ZJ}


def test_a_letter_only_the_gate_can_catch_is_held_then_reissued(ws, smtp_server):
    """A clerk typed a reporter's mobile into another case's 上级编号 (an identifier column,
    which redaction never rewrites): that letter is held, the clerk told, the rest issued."""
    from tests.test_daily_mail import mail_to

    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    ws.add(**complaint(类别="一般", 举报人="王志远", 联系方式="13987654321"))
    slip = ws.add(**complaint(类别="一般", 举报人="匿名", 联系方式="", 上级编号="13987654321"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    day = ws.root / "outbox" / "2026-11-30"
    assert (day / ZJ / "AJ2026-0001-交办单.docx").exists()
    assert not list(day.rglob("AJ2026-0002-*"))
    held = ws.root / BLOCKED_FOLDER / "2026-11-30"
    assert {p.name for p in held.iterdir()} == {"AJ2026-0002-交办单.docx", "AJ2026-0002-反馈表.xlsx"}
    summary = (day / "每日汇总.txt").read_text(encoding="utf-8")
    (line,) = [s for s in summary.splitlines() if "AJ2026-0002-交办单.docx" in s and "拦截" in s]
    assert "AJ2026-0001" in line and "./run letter AJ2026-0002" in line and "13987654321" not in summary
    (message,) = recorder.parsed()
    assert {p.get_filename() for p in message.iter_attachments()} == {"AJ2026-0001-交办单.docx",
                                                                       "AJ2026-0001-反馈表.xlsx"}
    # Reissuing before the fix is refused the same way; after it, the letter goes and is mailed.
    assert ws.run("letter", "AJ2026-0002", now="2026-11-30 09:00") == 2
    ws.edit(slip, 上级编号="")
    assert ws.run("letter", "AJ2026-0002", now="2026-11-30 09:10") == 0
    assert (day / ZJ / "AJ2026-0002-交办单.docx").exists()
    assert ws.run("daily", now="2026-11-30 09:30") == 0
    assert [p.get_filename() for p in recorder.parsed()[-1].iter_attachments()] == [
        "AJ2026-0002-交办单.docx", "AJ2026-0002-反馈表.xlsx"]
