"""Referral and reminder mails through a real SMTP server on localhost (aiosmtpd), plain,
STARTTLS and SSL with a certificate made in the test; .eml files in the outbox; the journal's
`mails` table; the contacts rule; and that no reporter ever appears in anything sent."""

from __future__ import annotations

import email
import io
import os
import shutil
import signal
import ssl
import subprocess
import sys
import textwrap
from datetime import date, datetime
from email import policy
from pathlib import Path

import pytest
from docx import Document

from tests.conftest import free_port
from tipdesk.config import load_config
from tipdesk.rules.contacts import effective_contacts, split_emails
from tipdesk.domain.errors import TipdeskError
from tipdesk.store.journal import Journal
from tipdesk.store.egress import Gate
from tipdesk.domain.identities import Identities
from tipdesk.mail.deliver import build_message, chase_logs, deliver, escalation_numbering, sent_stages
from tipdesk.mail.compose import plan_referral_mails, plan_reminder_mails
from tipdesk.config import Ladder
from tipdesk.rules.reminders import plan_reminders

REPORTER, PHONE, REPORTER_MAIL = "王建国", "13812345678", "wjg1968@qq.com"
NOW = datetime(2026, 12, 3, 8, 30)
ZJ, DC, YJ = "区住房和城乡建设局", "东城街道", "区应急管理局"

CONFIG = """\
centre:
  name: 区应急管理局指挥中心
  phone: "0000-12345678"
  address: 区政务中心502室
  email: zhzx@yjj.example.cn
register: 台账.xlsx
industries:
  建筑施工: [工地]
units:
  - name: 区住房和城乡建设局
    type: 机关部门
    aliases: [住建局]
    industries: [建筑施工]
    office: {name: 办公室, phone: "0000-12345601", email: bgs@zj.example.cn}
  - name: 东城街道
    type: 镇街
    areas: [东城]
    office: {name: 党政办, phone: "0000-12345611", email: ""}
  - name: 区应急管理局
    type: 机关部门
    office: {name: 办公室, phone: "0000-12345602", email: bgs@yj.example.cn}
"""

HEADERS = ["电子邮箱", "单位", "单位类型", "分管领导", "分管领导电话", "科长", "科长电话", "经办人",
           "经办人电话", "联络单状态", "更新时间", "科长邮箱", "分管领导邮箱", "备注"]


def contact_row(unit, emails, status="已报送", chief_email="", leader_email="", handler="张三"):
    values = {"单位": unit, "单位类型": "机关部门", "分管领导": "赵局长", "分管领导电话": 13900000001.0,
              "科长": "李四", "科长电话": "0000-1234", "经办人": handler, "经办人电话": 13900000003,
              "电子邮箱": emails, "联络单状态": status, "更新时间": datetime(2026, 1, 10),
              "科长邮箱": chief_email, "分管领导邮箱": leader_email, "备注": "其他列保留"}
    return [values[h] for h in HEADERS]


CONTACT_ROWS = [
    HEADERS,
    contact_row("住建局", "zhang@zj.example.cn", chief_email="li@zj.example.cn",
                leader_email="zhao@zj.example.cn"),
    contact_row(DC, "", status="未报送", handler=""),
]


def register_row(case_id, unit=ZJ, category="一般", deadline=datetime(2026, 12, 8, 23, 59, 59),
                 status="已交办", letter_no=None):
    return {"案件编号": case_id, "受理时间": datetime(2026, 11, 27, 9, 0), "来源": "12350热线",
            "举报人": REPORTER, "联系方式": f"{PHONE}，邮箱 {REPORTER_MAIL}",
            "被举报单位": f"宏达建设工程有限公司（{REPORTER}反映，电话{PHONE}）",
            "事发地址": "东城街道人民路88号",
            "举报内容": f"我是{REPORTER}，手机{PHONE}，工地脚手架没有连墙件。",
            "类别": category, "承办单位": unit, "交办文号": letter_no or f"安举交〔2026〕{case_id[-2:]}号",
            "交办时间": datetime(2026, 11, 27, 10, 0), "办理期限": deadline, "状态": status}


# --- fixtures -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made with the openssl tool."""
    if not shutil.which("openssl"):
        pytest.skip("openssl 不可用，跳过 TLS 测试（明文 SMTP 测试照常运行）")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return folder / "cert.pem", context


def open_gate(tmp_path: Path) -> Gate:
    """The gate of a workspace whose register knows no reporter: these tests are about delivery."""
    return Gate(Identities(), tmp_path, tmp_path / "拦截")


def make_config(tmp_path: Path, mail_yaml: str = ""):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG + textwrap.dedent(mail_yaml), encoding="utf-8")
    return load_config(path)


def smtp_yaml(port, security="none", user="", extra=""):
    return f"""
mail:
  mode: smtp
  smtp:
    host: 127.0.0.1
    port: {port}
    security: {security}
    user: "{user}"
    timeout: 5
{extra}"""


@pytest.fixture
def journal(tmp_path):
    journal = Journal(tmp_path / "tipdesk.sqlite3")
    yield journal
    journal.close()


def letters(tmp_path: Path, case_ids) -> dict[str, list[Path]]:
    """Stand-ins for the day's letters and sheets: distinct bytes under the real file names."""
    out = {}
    for case_id in case_ids:
        folder = tmp_path / "outbox" / "2026-12-03" / "letters"
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for suffix in ("交办单.docx", "反馈表.xlsx"):
            path = folder / f"{case_id}-{suffix}"
            path.write_bytes(os.urandom(3000) + case_id.encode())
            paths.append(path)
        out[case_id] = paths
    return out


def referral_plan(config, tmp_path, journal, today=NOW.date()):
    files = letters(tmp_path, ["AJ2026-0001", "AJ2026-0002", "AJ2026-0003"])
    referrals = {ZJ: [("AJ2026-0001", files["AJ2026-0001"]), ("AJ2026-0002", files["AJ2026-0002"])],
                 DC: [("AJ2026-0003", files["AJ2026-0003"])]}
    cases = {"AJ2026-0001": register_row("AJ2026-0001"), "AJ2026-0002": register_row("AJ2026-0002"),
             "AJ2026-0003": register_row("AJ2026-0003", unit=DC)}
    contacts = effective_contacts(CONTACT_ROWS, config, today)
    settings = config.mail
    return (plan_referral_mails(referrals, cases, contacts, settings, NOW, sent_stages(journal)),
            settings, files, cases, contacts)


def texts_of(message) -> list[str]:
    """Every header and decoded text in a message, our 督办通知 .docx read as text (the
    letters are the stand-ins above; documents.py has its own whistleblower tests)."""
    out = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if part.is_multipart():
            continue
        out += [f"{k}: {v}" for k, v in part.items()]
        if part.get_content_type() == "text/plain":
            out.append(part.get_content())
        elif (part.get_filename() or "").startswith("督办通知"):
            document = Document(io.BytesIO(part.get_payload(decode=True)))
            out += [p.text for p in document.paragraphs]
    return out


def assert_no_reporter(texts):
    joined = "\n".join(texts)
    for secret in (REPORTER, PHONE, REPORTER_MAIL, "13812345678", "举报人：", "联系方式："):
        assert secret not in joined


# --- contacts -------------------------------------------------------------------------------

def test_contacts_follow_the_liaison_form_rule(tmp_path):
    config = make_config(tmp_path)
    rows = [HEADERS,
            contact_row("住建局", "zhang@zj.example.cn；wang@zj.example.cn, 不是邮箱"),
            contact_row(DC, "dc@dc.example.cn", status="未报送")]
    before = effective_contacts(rows, config, date(2026, 1, 20))
    zj = before[ZJ]
    assert (zj.handler, zj.handler_phone, zj.leader_phone, zj.by_office) == ("张三", "13900000003", "13900000001", False)
    assert zj.emails == ["zhang@zj.example.cn", "wang@zj.example.cn"] and zj.invalid_emails == ["不是邮箱"]
    # Before 1月24日 an earlier form still serves; a unit with none goes to its office, flagged.
    assert before[DC].handler == "张三" and not before[DC].by_office
    assert before[YJ].by_office and before[YJ].emails == ["bgs@yj.example.cn"]
    assert "尚未报送联络单" in before[YJ].note
    after = effective_contacts(rows, config, date(2026, 1, 25))
    assert not after[ZJ].by_office
    assert after[DC].by_office and after[DC].handler == "党政办" and after[DC].emails == []
    assert "视为由单位办公室负责" in after[DC].note
    assert effective_contacts(rows, config, date(2026, 1, 24))[DC].handler == "张三"  # the last day


def test_liaison_deadline_comes_from_config(tmp_path):
    config = make_config(tmp_path, "liaison:\n  deadline: \"02-10\"\n")
    rows = [HEADERS, contact_row(DC, "dc@dc.example.cn", status="未报送")]
    assert not effective_contacts(rows, config, date(2026, 2, 10))[DC].by_office
    assert effective_contacts(rows, config, date(2026, 2, 11))[DC].by_office
    with pytest.raises(TipdeskError, match="liaison.deadline"):
        effective_contacts(rows, make_config(tmp_path, "liaison:\n  deadline: 二月\n"), date(2026, 2, 1))


def test_returned_form_without_address_uses_the_office_address(tmp_path):
    config = make_config(tmp_path)
    contact = effective_contacts([HEADERS, contact_row("住建局", "")], config, date(2026, 3, 1))[ZJ]
    assert contact.handler == "张三" and contact.emails == ["bgs@zj.example.cn"]
    assert "办公室邮箱" in contact.note


def test_split_emails_accepts_every_separator():
    assert split_emails("a@x.cn;b@x.cn；c@x.cn,d@x.cn，e@x.cn、f@x.cn g@x.cn\nh＠x.cn")[0] == \
        [f"{c}@x.cn" for c in "abcdefgh"]


# --- settings -------------------------------------------------------------------------------

def test_absent_mail_section_means_outbox_from_the_centre(tmp_path):
    settings = make_config(tmp_path).mail
    assert settings.mode == "outbox"
    assert (settings.from_address, settings.from_name) == ("zhzx@yjj.example.cn", "区应急管理局指挥中心")
    assert settings.smtp.password_env == "TIPDESK_SMTP_PASSWORD" and settings.smtp.port == 465


@pytest.mark.parametrize("yaml, key", [
    ("mail:\n  mode: smtp\n  smtp: {host: h.example.cn, port: 邮件端口}\n", "mail.smtp.port"),
    ("mail:\n  mode: smtp\n  smtp: {host: h.example.cn, port: 70000}\n", "mail.smtp.port"),
    ("mail:\n  smtp: {password: secret}\n", "mail.smtp.password"),
    ("mail:\n  mode: 自动\n", "mail.mode"),
    ("mail:\n  mode: smtp\n", "mail.smtp.host"),
    ("mail:\n  smtp: {security: tls}\n", "mail.smtp.security"),
    ("mail:\n  mode: smtp\n  smtp: {host: h, security: none, user: a@b.cn}\n", "mail.smtp.security"),
    ("mail:\n  from_address: 指挥中心\n", "mail.from_address"),
    ("mail:\n  mode: smtp\n  smtp: {host: h, ca_file: 没有.pem}\n", "mail.smtp.ca_file"),
])
def test_mail_settings_errors_name_the_key(tmp_path, yaml, key):
    with pytest.raises(TipdeskError) as err:
        make_config(tmp_path, yaml).mail
    assert key in err.value.message
    assert "secret" not in err.value.message


# --- referral mails over SMTP ---------------------------------------------------------------

def test_referral_mails_one_per_unit_with_attachments(tmp_path, smtp_server, journal):
    controller, server = smtp_server()
    config = make_config(tmp_path, smtp_yaml(controller.port))
    mails, settings, files, cases, _ = referral_plan(config, tmp_path, journal)
    day = tmp_path / "outbox" / "2026-12-03"
    report = deliver(mails, settings, journal, day, open_gate(tmp_path))

    assert len(report.sent) == 1 and len(report.failed) == 0
    # 东城街道 has no form and its office no address: paper.
    assert [o.mail.unit for o in report.paper] == [DC]
    assert "需纸质送达" in report.sections()["需纸质送达"][0]
    (mail_from, rcpt, _), = server.messages
    message = server.parsed()[0]
    assert mail_from == "zhzx@yjj.example.cn"
    assert sorted(rcpt) == ["li@zj.example.cn", "zhang@zj.example.cn"]
    assert message["To"].addresses[0].addr_spec == "zhang@zj.example.cn"
    assert message["To"].addresses[0].display_name == f"{ZJ} 张三"
    assert message["Cc"].addresses[0].addr_spec == "li@zj.example.cn"
    assert message["Subject"] == f"【交办】{ZJ}：安全生产举报事项交办单（2件，2026年12月3日）"
    assert b"=?utf-8?" in server.messages[0][2]  # the subject went out RFC 2047-encoded
    attachments = {a.get_filename(): a.get_payload(decode=True) for a in message.iter_attachments()}
    expected = {p.name: p.read_bytes() for cid in ("AJ2026-0001", "AJ2026-0002") for p in files[cid]}
    assert attachments == expected
    assert "filename*=utf-8''AJ2026-0001-%E4%BA%A4%E5%8A%9E%E5%8D%95.docx" in server.messages[0][2].decode()
    body = message.get_body(("plain",)).get_content()
    assert "AJ2026-0001" in body and "安举交〔2026〕01号" in body and "2026年12月8日前" in body
    assert_no_reporter(texts_of(message))
    assert sent_stages(journal) == {("AJ2026-0001", "交办"), ("AJ2026-0002", "交办"),
                                       ("AJ2026-0003", "交办")}

    # A rerun plans nothing; delivering the old plan again sends nothing either.
    again, *_ = referral_plan(config, tmp_path, journal)
    assert again == []
    report = deliver(mails, settings, journal, day, open_gate(tmp_path))
    assert (report.sent, report.failed, report.paper) == ([], [], [])
    assert len(server.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login_with_the_password_from_the_environment(
        tmp_path, smtp_server, journal, certificate, monkeypatch, security):
    cert_file, server_context = certificate
    if security == "starttls":
        controller, server = smtp_server(tls_context=server_context, require_starttls=True,
                                         authenticator=True, auth_required=True)
    else:
        controller, server = smtp_server(ssl_context=server_context, authenticator=True,
                                         auth_required=True, auth_require_tls=False)
    config = make_config(tmp_path, smtp_yaml(controller.port, security, "zhzx@yjj.example.cn",
                                             f"    ca_file: {cert_file}\n"))
    mails, settings, *_ = referral_plan(config, tmp_path, journal)

    monkeypatch.delenv("TIPDESK_SMTP_PASSWORD", raising=False)
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert not report.sent and "TIPDESK_SMTP_PASSWORD" in report.failed[0].detail
    assert not server.messages

    monkeypatch.setenv("TIPDESK_SMTP_PASSWORD", "s3cret-pass")
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert len(report.sent) == 1 and not report.failed
    assert server.logins == [("zhzx@yjj.example.cn", "s3cret-pass")]
    assert server.parsed()[0]["Subject"].startswith("【交办】")
    assert "s3cret-pass" not in "\n".join(report.sections()["邮件已发送"])


def test_an_untrusted_certificate_fails_and_says_where_to_fix_it(tmp_path, smtp_server, journal, certificate):
    _, server_context = certificate
    controller, server = smtp_server(tls_context=server_context, require_starttls=True)
    config = make_config(tmp_path, smtp_yaml(controller.port, "starttls"))
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert "mail.smtp.ca_file" in report.failed[0].detail and not server.messages


def test_server_down_then_up_the_mail_goes_on_the_next_run(tmp_path, smtp_server, journal):
    port = free_port()  # nothing listens yet
    config = make_config(tmp_path, smtp_yaml(port))
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert len(report.failed) == 1 and "无法连接邮件服务器" in report.failed[0].detail
    assert "邮件发送失败（下次运行自动重试）" in report.sections()
    assert ("AJ2026-0001", "交办") not in sent_stages(journal)

    _, server = smtp_server(port=port)
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    assert [m.unit for m in mails] == [ZJ]  # planned again; the paper note was given once
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert len(report.sent) == 1 and len(server.messages) == 1 and report.paper == []


def test_a_refused_recipient_is_retried_until_accepted(tmp_path, smtp_server, journal):
    controller, server = smtp_server()
    server.refuse = {"zhang@zj.example.cn", "li@zj.example.cn"}
    config = make_config(tmp_path, smtp_yaml(controller.port))
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert "zhang@zj.example.cn（550" in report.failed[0].detail and not server.messages

    server.refuse = {"li@zj.example.cn"}  # the handler's box works again; the chief's does not
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert len(report.sent) == 1 and "li@zj.example.cn" in report.sent[0].detail
    assert server.messages[0][1] == ["zhang@zj.example.cn"]
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    assert [m.unit for m in mails] == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_crash_after_the_server_took_the_mail_never_sends_it_again(tmp_path, smtp_server, journal):
    controller, server = smtp_server()
    config = make_config(tmp_path, smtp_yaml(controller.port))
    letters(tmp_path, ["AJ2026-0001"])
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
        from test_mail import *
        config = load_config(Path({str(config.path)!r}))
        journal = Journal(Path({str(tmp_path / "tipdesk.sqlite3")!r}))
        mails, settings, *_ = referral_plan(config, Path({str(tmp_path)!r}), journal)
        deliver(mails, settings, journal, Path({str(tmp_path / "day")!r}), open_gate(Path({str(tmp_path)!r})))
        print("not killed")
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).resolve().parent.parent,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    server.kill_pid = child.pid
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err.decode()
    server.kill_pid = None
    assert len(server.messages) == 1

    # The next run plans the mail again, finds the interrupted attempt, and does not resend.
    mails, settings, *_ = referral_plan(config, tmp_path, journal)
    assert [m.unit for m in mails] == [ZJ]
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert report.sent == [] and report.failed == [] and len(server.messages) == 1
    (line,) = report.sections()["邮件是否送达待核实"]
    assert ZJ in line and "无法确认对方是否收到" in line
    assert ("AJ2026-0001", "交办") in sent_stages(journal)
    assert referral_plan(config, tmp_path, journal)[0] == []


# --- reminder digests -----------------------------------------------------------------------

def reminder_cases():
    return [
        register_row("AJ2026-0101", deadline=datetime(2026, 12, 3, 23, 59, 59)),            # 预警
        register_row("AJ2026-0102", deadline=datetime(2026, 12, 2, 23, 59, 59)),            # 催办
        register_row("AJ2026-0103", deadline=datetime(2026, 11, 30, 23, 59, 59)),           # 催办+督办
        register_row("AJ2026-0104", deadline=datetime(2026, 11, 30, 23, 59, 59), status="申请延期"),
        register_row("AJ2026-0201", unit=YJ, category="紧急", deadline=datetime(2026, 12, 3, 11, 0)),
        register_row("AJ2026-0301", unit=DC, deadline=datetime(2026, 11, 30, 23, 59, 59)),
    ]


def reminder_plan(config, journal, now=NOW, cases=None):
    cases = cases or reminder_cases()
    ladder = Ladder()
    contacts = effective_contacts(CONTACT_ROWS, config, now.date())
    settings = config.mail
    reminders = plan_reminders(cases, now, config.calendar(), ladder, sent_stages(journal, cases))
    by_id = {c["案件编号"]: c for c in cases}
    return plan_reminder_mails(reminders, by_id, contacts, settings, ladder, now,
                               escalation_numbering(journal, ladder)), settings


def test_reminder_digest_one_mail_per_unit_with_the_numbered_notice(tmp_path, smtp_server, journal):
    controller, server = smtp_server()
    config = make_config(tmp_path, smtp_yaml(controller.port))
    mails, settings = reminder_plan(config, journal)
    assert [(m.unit, m.kind) for m in mails] == [(DC, "督办"), (ZJ, "督办"), (YJ, "预警")]
    report = deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert len(report.sent) == 2 and [o.mail.unit for o in report.paper] == [DC]

    messages = {m["Subject"]: (m, rcpt) for m, (_, rcpt, _) in zip(server.parsed(), server.messages)}
    zj_subject = f"【督办】{ZJ}：安全生产举报事项办理提醒（3件）—安举督〔2026〕2号"
    zj, zj_rcpt = messages[zj_subject]
    assert [a.addr_spec for a in zj["To"].addresses] == ["zhao@zj.example.cn", "zhang@zj.example.cn"]
    assert [a.addr_spec for a in zj["Cc"].addresses] == ["li@zj.example.cn"]
    assert sorted(zj_rcpt) == ["li@zj.example.cn", "zhang@zj.example.cn", "zhao@zj.example.cn"]
    body = zj.get_body(("plain",)).get_content()
    for line in ("1. 【督办】AJ2026-0103", "2. 【催办】AJ2026-0102", "3. 【预警】AJ2026-0101",
                 "已超期3个工作日", "安举督〔2026〕2号"):
        assert line in body
    assert body.count("AJ2026-0103") == 1
    assert "AJ2026-0104" not in body  # 申请延期 waits for the clerk
    (notice,) = list(zj.iter_attachments())
    assert notice.get_filename() == "督办通知-安举督〔2026〕2号.docx"
    paragraphs = [p.text for p in Document(io.BytesIO(notice.get_payload(decode=True))).paragraphs]
    # GB/T 9704: the 版头 (issuing office, then the number over the red rule), then the title.
    assert paragraphs[:3] == ["区应急管理局指挥中心", "安举督〔2026〕2号", "安全生产举报事项督办通知"]
    assert any("AJ2026-0103" in p for p in paragraphs) and not any("AJ2026-0102" in p for p in paragraphs)
    assert any("赵局长同志督促" in p for p in paragraphs)

    yj, yj_rcpt = messages[f"【预警】{YJ}：安全生产举报事项办理提醒（1件）"]
    assert yj_rcpt == ["bgs@yj.example.cn"]  # no form: the office
    assert "距办理期限约2小时" in yj.get_body(("plain",)).get_content() and not list(yj.iter_attachments())
    for message in server.parsed():
        assert_no_reporter(texts_of(message))

    # 东城街道 has no address: its notice (number 1) and text are saved for printing.
    paper_files = sorted(p.name for p in (tmp_path / "day").iterdir())
    assert "督办通知-安举督〔2026〕1号.docx" in paper_files
    assert any(name.endswith("（纸质送达）.txt") for name in paper_files)

    assert chase_logs(journal, ["AJ2026-0103"])["AJ2026-0103"] == [
        "2026-12-03 08:30 催办（邮件）→ 张三、李四",
        "2026-12-03 08:30 督办（邮件，安举督〔2026〕2号）→ 赵局长"]
    assert chase_logs(journal, ["AJ2026-0301", "AJ2026-0999"])["AJ2026-0301"][0].startswith("2026-12-03 08:30 催办（无邮箱，需纸质送达）")
    # Asked for every open case at once (a few queries of a few hundred), each as asked alone.
    many = chase_logs(journal, [f"AJ2026-{n:04d}" for n in range(1500, 0, -1)])
    assert {"AJ2026-0103", "AJ2026-0301"} <= set(many)
    assert all(many[case_id] == chase_logs(journal, [case_id])[case_id] for case_id in many)

    # The same morning again, and the next day: nothing new for these stages.
    again, _ = reminder_plan(config, journal)
    assert again == []
    later, settings = reminder_plan(config, journal, now=datetime(2026, 12, 4, 8, 30))
    assert [(m.unit, [(i.case_id, i.stage) for i in m.items]) for m in later] == [
        (ZJ, [("AJ2026-0102", "督办"), ("AJ2026-0101", "催办")]), (YJ, [("AJ2026-0201", "催办")])]
    assert later[0].number == "安举督〔2026〕3号"
    deliver(later, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert len(server.messages) == 4


def test_an_extension_restarts_the_ladder(tmp_path, smtp_server, journal):
    controller, server = smtp_server()
    config = make_config(tmp_path, smtp_yaml(controller.port))
    cases = [register_row("AJ2026-0102", deadline=datetime(2026, 12, 2, 23, 59, 59))]
    mails, settings = reminder_plan(config, journal, cases=cases)
    deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    cases[0]["办理期限"] = datetime(2026, 12, 4, 23, 59, 59)  # extension granted, then overdue again
    assert ("AJ2026-0102", "催办") not in sent_stages(journal, cases)
    mails, settings = reminder_plan(config, journal, now=datetime(2026, 12, 7, 8, 30), cases=cases)
    deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    assert [m["Subject"][:4] for m in server.parsed()] == ["【催办】", "【催办】"]


def test_a_failed_escalation_keeps_its_number(tmp_path, smtp_server, journal):
    port = free_port()
    config = make_config(tmp_path, smtp_yaml(port))
    cases = [register_row("AJ2026-0103", deadline=datetime(2026, 11, 30, 23, 59, 59))]
    mails, settings = reminder_plan(config, journal, cases=cases)
    assert mails[0].number == "安举督〔2026〕1号"
    assert deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path)).failed
    _, server = smtp_server(port=port)
    mails, settings = reminder_plan(config, journal, cases=cases)
    assert mails[0].number == "安举督〔2026〕1号"  # no gap in the numbers
    deliver(mails, settings, journal, tmp_path / "day", open_gate(tmp_path))
    cases.append(register_row("AJ2026-0105", deadline=datetime(2026, 11, 30, 23, 59, 59)))
    mails, settings = reminder_plan(config, journal, cases=cases)
    assert mails[0].number == "安举督〔2026〕2号"
    assert journal.last_number("督办", 2026) == 2


# --- outbox mode ----------------------------------------------------------------------------

def test_outbox_writes_eml_files_that_open_as_drafts(tmp_path, journal):
    config = make_config(tmp_path)
    mails, settings, files, *_ = referral_plan(config, tmp_path, journal)
    day = tmp_path / "outbox" / "2026-12-03"
    report = deliver(mails, settings, journal, day, open_gate(tmp_path))
    (eml,) = sorted(day.glob("*.eml"))
    assert eml.name == f"0830-交办-{ZJ}.eml" and report.sent[0].detail == eml.name
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["X-Unsent"] == "1" and message["Subject"].startswith("【交办】")
    assert {a.get_filename(): a.get_payload(decode=True) for a in message.iter_attachments()} == \
        {p.name: p.read_bytes() for cid in ("AJ2026-0001", "AJ2026-0002") for p in files[cid]}
    assert_no_reporter(texts_of(message))
    assert "双击打开后发送" in next(iter(report.sections()))

    reminders, settings = reminder_plan(config, journal)
    deliver(reminders, settings, journal, day, open_gate(tmp_path))
    for path in day.glob("*督办*.eml"):
        assert_no_reporter(texts_of(email.message_from_bytes(path.read_bytes(), policy=policy.default)))
    assert chase_logs(journal, ["AJ2026-0102"]) == {"AJ2026-0102": ["2026-12-03 08:30 催办（邮件，发件箱待发）→ 张三、李四"]}

    # Nothing is planned again, and delivering the first plans again writes nothing.
    assert referral_plan(config, tmp_path, journal)[0] == [] and reminder_plan(config, journal)[0] == []
    count = len(list(day.iterdir()))
    report = deliver(mails + reminders, settings, journal, day, open_gate(tmp_path))
    assert (report.sent, report.paper) == ([], []) and len(list(day.iterdir())) == count


def test_header_values_are_cleaned_of_line_breaks(tmp_path, journal):
    config = make_config(tmp_path)
    rows = [HEADERS, contact_row("住建局", "zhang@zj.example.cn", handler="张三\r\nBcc: evil@x.example.cn")]
    contacts = effective_contacts(rows, config, NOW.date())
    cases = {"AJ2026-0001": register_row("AJ2026-0001") | {"被举报单位": "宏达\r\nBcc: evil@x.example.cn"}}
    mails = plan_referral_mails({ZJ: [("AJ2026-0001", [])]}, cases, contacts, config.mail, NOW)
    raw = build_message(mails[0], config.mail).as_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Bcc"] is None and [a.addr_spec for a in message["To"].addresses] == ["zhang@zj.example.cn"]
    assert all("\n" not in str(v) and "\r" not in str(v) for v in message.values())


def test_a_subsection_that_is_not_a_mapping_is_named(tmp_path):
    with pytest.raises(TipdeskError, match="mail.smtp "):
        make_config(tmp_path, "mail:\n  smtp: smtp.example.cn\n").mail
