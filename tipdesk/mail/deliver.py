"""Delivery of composed mails, and the mail log that makes each (case, stage) go once.

By `mail.mode`: `outbox` (default) writes a complete .eml per mail in the day's outbox
folder, marked X-Unsent so Outlook opens it as a draft ready to send; `smtp` sends through
the office's server over SSL or STARTTLS, yagmail serving only as the connection (its own
`send()` rebuilds messages and swallows failures, while the log must know for each mail
whether the server accepted it and which recipients it refused). The .eml files and the
SMTP mails are the same bytes.

Idempotence: the mail ledger (table `mails`, store/journal.py) records each (case, stage). A
row is written as `sending` before the server is contacted and becomes `sent` only once the
server accepted the mail (`written` once the .eml is on disk). A failed mail is `failed` and
goes out again when the next run plans it. A row left `sending` means the run died during the
SMTP conversation: the mail may have arrived, so it is not sent again; the clerk is asked to
check the sent folder instead (a lost reminder is found there, a doubled one cannot be undone).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

from tipdesk.domain.errors import TipdeskError
from tipdesk.store.egress import Gate
from tipdesk.store.files import free_path
from tipdesk.store.secrets import login_password
from tipdesk.store.journal import (
    FAILED, OWED, PAPER, SENDING, SENT, UNCERTAIN, WRITTEN, Journal, MailRow,
)
from tipdesk.domain.textnorm import as_text
from tipdesk.mail.compose import (
    ESCALATION_SEQUENCE, REFERRAL, Attachment, Mail, MailItem,
    MailSettings, _clean, _one_line,
)
from tipdesk.rules.reminders import ESCALATION, STAGES, Ladder, as_deadline
from tipdesk.domain.columns import CASE_ID, DEADLINE, LETTER_NO, UNIT
from tipdesk.domain.notices import LETTER_KEY
from tipdesk.domain.textnorm import safe_name

if TYPE_CHECKING:
    from email.message import EmailMessage

# The email package, smtplib and ssl are imported where a mail is built or a server is
# reached: a run with no mail to deliver (most reruns of a day) never loads them.
_MIME_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}


# --- the ledger ------------------------------------------------------------------------------

def _rows(mail: Mail) -> list[MailRow]:
    return [MailRow(i.case_id, i.stage, i.unit, i.deadline, i.who) for i in mail.items]


def sent_stages(journal: Journal, cases: Iterable[Mapping[str, Any]] | None = None) -> set[tuple[str, str]]:
    """(case_id, stage) pairs already delivered (sent, written as .eml, or due on paper).

    With `cases` (register rows), a stage delivered for another unit or (for reminders)
    another deadline no longer counts: after 改派 or an extension the ladder starts again."""
    rows = journal.delivered()
    if cases is None:
        return {(r.case_id, r.stage) for r in rows}
    current = {str(c.get(CASE_ID) or "").strip(): c for c in cases}
    out = set()
    for r in rows:
        case = current.get(r.case_id)
        if case is not None:
            qualifier = (LETTER_KEY + str(case.get(LETTER_NO) or "") if r.stage == REFERRAL
                         else as_text(as_deadline(case.get(DEADLINE))) or "")
            item = MailItem(r.case_id, r.stage, str(case.get(UNIT) or "").strip(), qualifier)
            if MailItem(r.case_id, r.stage, r.unit, r.deadline).key != item.key:
                continue
        out.add((r.case_id, r.stage))
    return out


_HOW = {SENT: "邮件", WRITTEN: "邮件，发件箱待发", PAPER: "无邮箱，需纸质送达", UNCERTAIN: "邮件，送达待核实"}
# A reminder owed by this run (it goes out right after the save), by how it will go.
_HOW_OWED = {"smtp": SENT, "outbox": WRITTEN, "paper": PAPER}


def chase_logs(journal: Journal, case_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each case's dated lines for the register's 催办记录 (none: not chased), e.g.
    "2026-12-03 08:30 催办（邮件）→ 张三、李四"."""
    out = {}
    for case_id, rows in journal.delivered_history(case_ids, STAGES).items():
        rows.sort(key=lambda row: (row[0], STAGES.index(row[1])))  # one digest: 催办 before 督办
        lines = out[case_id] = []
        for at, stage, status, mode, who, number in rows:
            how = _HOW[_HOW_OWED.get(mode, SENT) if status == OWED else status] + (f"，{number}" if number and stage == ESCALATION else "")
            line = f"{at[:16]} {stage}（{how}）" + (f"→ {who}" if who else "")
            if line not in lines:
                lines.append(line)
    return out


def escalation_numbering(journal: Journal, ladder: Ladder) -> Callable[[str, int], str]:
    """`number(unit, year)` for plan_reminder_mails, on the journal's yearly sequences.

    A number whose 督办通知 never went out (every attempt failed) is given again to the same
    unit, so a server outage leaves no gap in the 督办 numbers."""

    def number(unit: str, year: int) -> str:
        again = journal.undelivered_number(unit, ESCALATION, year)
        if again:
            return again
        n = journal.last_number(ESCALATION_SEQUENCE, year) + 1
        journal.set_last_number(ESCALATION_SEQUENCE, year, n)
        return ladder.number(year, n)

    return number


def reserve(mails: Sequence[Mail], mode: str, journal: Journal) -> list[Mail]:
    """Hold each mail's place in the ledger (OWED) before the register is saved: its 督办
    number is then taken for good, and the register's 催办记录 can already name it. Call it
    inside the transaction that numbered the mails."""
    if not mails:
        return []
    import uuid

    out = []
    for mail in mails:
        mail = replace(mail, attempt=uuid.uuid4().hex)
        _record(journal, mail.attempt, mail, "paper" if mail.paper else mode, OWED)
        out.append(mail)
    return out


def _attempt(mail: Mail) -> str:
    if mail.attempt:
        return mail.attempt
    import uuid

    return uuid.uuid4().hex


def _record(journal: Journal, attempt: str, mail: Mail, mode: str, status: str, detail: str = "",
            message: EmailMessage | None = None) -> None:
    """One attempt in the ledger; with its Message-ID and subject, so replies are matched."""
    journal.record_attempt(attempt, mail.at, mode, mail.kind, _rows(mail), mail.addresses, mail.number,
                           status, detail, message_id=str(message["Message-ID"]) if message else "",
                           subject=str(message["Subject"]) if message else "")


def _settle_interrupted(journal: Journal) -> list[str]:
    """Attempts a previous run left `sending` (it died mid-delivery): an .eml on disk counts
    as written, one missing is retried; an SMTP mail may have arrived, so it is not resent."""
    out = []
    for attempt, mode, detail, unit, kind, cases in journal.interrupted_attempts():
        if mode == "outbox":
            exists = bool(detail) and Path(detail).is_file()
            journal.update_attempt(attempt, WRITTEN if exists else FAILED, detail)
            continue
        journal.update_attempt(attempt, UNCERTAIN, "上次运行在发送中途中断")
        out.append(f"{unit} {kind}（{cases}）：上次运行在发送过程中中断，无法确认对方是否收到；"
                   "为避免重复，系统不会重发。请在发件邮箱的“已发送”中核对，未发出的请手工补发。")
    return out


# --- building and delivering ----------------------------------------------------------------

def _attach(message: EmailMessage, attachment: Attachment) -> None:
    """Attach with a Chinese file name every common client shows: RFC 2231 `filename*` in one
    piece (the standard, read by Thunderbird, Foxmail, Apple Mail and Outlook 2010+) and an
    RFC 2047 `name` on Content-Type, which older Outlook falls back to. Python's folding
    would split the first into filename*0*/filename*1* continuations, which some Outlook
    versions misread, so both headers are set raw (lines stay under the 998 limit)."""
    from email.header import Header

    name = safe_name(attachment.name, "附件")
    mime = _MIME_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    maintype, subtype = mime.split("/")
    message.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=name)
    part = message.get_payload()[-1]
    del part["Content-Type"]
    del part["Content-Disposition"]
    encoded_name = Header(name, "utf-8").encode(maxlinelen=76).replace("\n", "")
    part.set_raw("Content-Type", f'{mime};\n name="{encoded_name}"')
    part.set_raw("Content-Disposition", f"attachment;\n filename*=utf-8''{quote(name, safe='')}")


def build_message(mail: Mail, settings: MailSettings) -> EmailMessage:
    """The mail as an RFC 5322 message: Chinese names and subject RFC 2047-encoded, body
    UTF-8 in base64 (safe through any relay), headers free of CR/LF."""
    from email import policy
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime, make_msgid

    # Raw attachment headers (_attach) are written unfolded; everything else is folded as usual.
    message = EmailMessage(policy=policy.SMTP.clone(refold_source="none"))
    if settings.from_address:
        message["From"] = Address(_clean(settings.from_name), addr_spec=settings.from_address)
    message["To"] = [Address(_clean(r.name), addr_spec=r.address) for r in mail.to]
    if mail.cc:
        message["Cc"] = [Address(_clean(r.name), addr_spec=r.address) for r in mail.cc]
    message["Subject"] = _one_line(mail.subject)
    message["Date"] = format_datetime(mail.at.astimezone())
    domain = settings.from_address.rpartition("@")[2] or "tipdesk.local"
    message["Message-ID"] = make_msgid("tipdesk", domain=domain)
    if settings.mode == "outbox":
        message["X-Unsent"] = "1"  # Outlook opens the .eml as a draft, ready to send
    message.set_content(mail.body, cte="base64")
    for attachment in mail.attachments:
        _attach(message, attachment)
    return message


@dataclass(frozen=True)
class Outcome:
    mail: Mail
    detail: str = ""

    @property
    def line(self) -> str:
        return self.mail.describe() + (f"：{self.detail}" if self.detail else "")


@dataclass
class DeliveryReport:
    mode: str
    sent: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    paper: list[Outcome] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)

    def sections(self) -> dict[str, list[str]]:
        """Headings and lines for the daily summary (daily_summary's `extra`)."""
        sent = "邮件已发送" if self.mode == "smtp" else "邮件已生成（outbox 中的 .eml，双击打开后发送）"
        return {sent: [o.line for o in self.sent],
                "邮件发送失败（下次运行自动重试）": [o.line for o in self.failed],
                "需纸质送达": [o.line for o in self.paper],
                "邮件是否送达待核实": list(self.uncertain)}


BLOCKED_DETAIL = "出口拦截：含举报人身份信息，未发出"


def _cases(mail: Mail) -> list[str]:
    return [i.case_id for i in mail.items]


def _blocked(gate: Gate, message: EmailMessage, mail: Mail, journal: Journal, mode: str) -> bool:
    """The gate on the very bytes that would leave. A held mail is recorded as failed, so it
    stays owed (and a 督办 keeps its number for when it goes)."""
    if gate.passes_mail(message.as_bytes(), mail.describe(), _cases(mail)):
        return False
    _record(journal, _attempt(mail), mail, mode, FAILED, BLOCKED_DETAIL)
    return True


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _file_stem(mail: Mail) -> str:
    return safe_name(f"{mail.at:%H%M}-{mail.kind}-{mail.unit}", "邮件")


def _deliver_paper(mail: Mail, journal: Journal, day_folder: Path, gate: Gate) -> Outcome | None:
    """Recorded once, so the summary names it once; a reminder's text and notice are saved
    for printing (a referral's letters are already in the outbox). None: the gate held the
    print-out (the mail stays owed)."""
    files = []
    if mail.kind != REFERRAL:
        if _blocked(gate, build_message(mail, MailSettings()), mail, journal, "paper"):
            return None
        pieces = [(f"{_file_stem(mail)}（纸质送达）.txt", mail.body.encode("utf-8"))]
        pieces += [(safe_name(a.name, "附件"), a.data) for a in mail.attachments]
        files = [gate.write(day_folder / name, data, _cases(mail)) for name, data in pieces]
        files = [f for f in files if f]
    _record(journal, _attempt(mail), mail, "paper", PAPER, "; ".join(str(f) for f in files))
    return Outcome(mail, "已存打印件 " + "、".join(f.name for f in files) if files else "")


def _deliver_outbox(mail: Mail, settings: MailSettings, journal: Journal, day_folder: Path,
                    gate: Gate) -> Outcome | None:
    message = build_message(mail, settings)
    if _blocked(gate, message, mail, journal, "outbox"):
        return None
    day_folder.mkdir(parents=True, exist_ok=True)
    path = free_path(day_folder / f"{_file_stem(mail)}.eml")
    attempt = _attempt(mail)
    _record(journal, attempt, mail, "outbox", SENDING, str(path), message)
    try:
        _write_atomic(path, message.as_bytes())
    except OSError as exc:
        journal.update_attempt(attempt, FAILED, f"无法写入 {path}：{exc}")
        raise
    journal.update_attempt(attempt, WRITTEN, str(path))
    return Outcome(mail, path.name)


def smtp_password(settings: MailSettings) -> str:
    """The login password (store.secrets: environment variable, else the system keyring)."""
    user = settings.smtp.user
    return login_password(user, settings.smtp.password_env) if user else ""


def _connect(settings: MailSettings, password: str):
    # Imported here: yagmail pulls in premailer and lxml, which outbox mode never needs.
    import ssl

    import yagmail

    smtp = settings.smtp
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    login = smtp.user or settings.from_address
    # A one-entry dict keeps the login as given: yagmail appends "@gmail.com" to a bare string
    # without "@", and some servers log in with a user name, not an address.
    options: dict[str, Any] = dict(
        host=smtp.host, port=smtp.port, smtp_skip_login=not smtp.user,
        soft_email_validation=False, timeout=smtp.timeout)
    if smtp.security == "ssl":
        options.update(smtp_ssl=True, context=context)
    else:
        options.update(smtp_ssl=False,
                       smtp_starttls={"context": context} if smtp.security == "starttls" else False)
    client = yagmail.SMTP({login: login}, password, **options)
    client.login()
    return client


def _refused(recipients: Mapping[str, tuple[int, bytes]]) -> str:
    return "、".join(f"{address}（{code} {reply.decode(errors='replace')}）"
                    for address, (code, reply) in recipients.items())


def _smtp_error(exc: BaseException, settings: MailSettings) -> str:
    import smtplib
    import ssl

    where = f"{settings.smtp.host}:{settings.smtp.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"邮箱登录失败，请核对账号和密码（服务器答复 {exc.smtp_code}）"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"收件地址被拒收：{_refused(exc.recipients)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"邮件服务器拒绝（{exc.smtp_code} {reply}）"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"无法验证邮件服务器 {where} 的证书（{exc.verify_message}）；自签名证书请在 mail.smtp.ca_file 中指定"
    if isinstance(exc, ssl.SSLError):
        return f"与邮件服务器 {where} 建立加密连接失败（{exc}），请核对 mail.smtp.security 和端口"
    return f"无法连接邮件服务器 {where}（{exc.__class__.__name__}：{exc}）"


def _send_one(client, mail: Mail, settings: MailSettings, journal: Journal, message: EmailMessage) -> tuple[bool, str, bool]:
    """(delivered, detail, connection still usable).

    Delivered once the server accepted the mail for at least one of its To addresses. A
    mail whose every To address was refused is retried next run: a second copy for the Cc
    is a lesser evil than a handler who never got it."""
    import smtplib

    attempt = _attempt(mail)
    _record(journal, attempt, mail, "smtp", SENDING, message=message)
    try:
        refused = client.smtp.send_message(message,
                                           from_addr=settings.from_address, to_addrs=mail.addresses)
    except (OSError, smtplib.SMTPException) as exc:
        reason = _smtp_error(exc, settings)
        journal.update_attempt(attempt, FAILED, reason)
        # After a refusal the server is still talking (smtplib sent RSET); otherwise the
        # connection is gone and the next mail reconnects.
        alive = isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException))
        return False, reason, alive
    if refused and all(r.address in refused for r in mail.to):
        reason = f"收件地址被拒收：{_refused(refused)}"
        journal.update_attempt(attempt, FAILED, reason)
        return False, reason, True
    detail = f"以下地址被拒收，请核对联络人邮箱：{_refused(refused)}" if refused else ""
    journal.update_attempt(attempt, SENT, detail)
    return True, detail, True


def _deliver_smtp(mails: list[Mail], settings: MailSettings, journal: Journal,
                  report: DeliveryReport, gate: Gate) -> None:
    """All mails over one connection. If the server cannot be reached or refuses the login,
    every mail fails with that reason (no timeout per mail); a mail the server refuses fails
    alone."""
    import smtplib

    client, down = None, ""
    try:
        for mail in mails:
            message = build_message(mail, settings)
            if _blocked(gate, message, mail, journal, "smtp"):
                continue
            if client is None and not down:
                try:
                    client = _connect(settings, smtp_password(settings))
                except TipdeskError as exc:
                    down = exc.message
                except (OSError, smtplib.SMTPException) as exc:
                    down = _smtp_error(exc, settings)
            if down:
                # Recorded too: the log shows the attempt, and a 督办 number is kept for the retry.
                _record(journal, _attempt(mail), mail, "smtp", FAILED, down)
                report.failed.append(Outcome(mail, down))
                continue
            delivered, detail, alive = _send_one(client, mail, settings, journal, message)
            (report.sent if delivered else report.failed).append(Outcome(mail, detail))
            if not alive:
                client.close()
                client = None
    finally:
        if client is not None:
            client.close()


def deliver(mails: Sequence[Mail], settings: MailSettings, journal: Journal,
            day_folder: Path, gate: Gate) -> DeliveryReport:
    """Send (smtp) or write (.eml in `day_folder`) each mail, record each (case, stage) once
    it is delivered, and report what was sent, what failed (retried next run) and which
    units need paper. Every mail passes the egress `gate` first; one it holds is not sent
    and stays owed (the gate's lines say which). A mail whose every (case, stage) was delivered before is skipped, so
    delivering the same plan twice sends nothing twice. Call it outside a journal
    transaction: each record must be on disk before the next mail goes out."""
    report = DeliveryReport(settings.mode)
    report.uncertain += _settle_interrupted(journal)
    done = {MailItem(r.case_id, r.stage, r.unit, r.deadline).key for r in journal.delivered()}
    todo = [m for m in mails if not all(i.key in done for i in m.items)]
    electronic = []
    for mail in todo:
        if mail.paper:
            outcome = _deliver_paper(mail, journal, day_folder, gate)
            report.paper += [outcome] if outcome else []
        else:
            electronic.append(mail)
    if settings.mode == "outbox":
        for mail in electronic:
            try:
                outcome = _deliver_outbox(mail, settings, journal, day_folder, gate)
                report.sent += [outcome] if outcome else []
            except OSError as exc:
                report.failed.append(Outcome(mail, f"无法写入发件箱：{exc}"))
    else:
        _deliver_smtp(electronic, settings, journal, report, gate)
    return report
