"""E-mail to units: referral letters, reminder digests (预警/催办/督办), and their delivery log.

Compose: jinja2 templates in templates/mail/ (a workspace's own templates/mail/ wins), one
mail per unit per run, from register rows passed through `redact_case`, so no mail carries
举报人, 联系方式 or personal data inside the complaint (DESIGN.md, "The whistleblower").

Deliver, by `mail.mode`:
- `outbox` (default): a complete .eml per mail in the day's outbox folder, marked X-Unsent
  so Outlook opens it as a draft ready to send (Thunderbird: 打开后“编辑为新消息”);
- `smtp`: sent through the office's mail server over SSL or STARTTLS.

Messages are built with the stdlib `EmailMessage` and yagmail serves only as the SMTP
connection (host, port, SSL/STARTTLS, login). yagmail's own `send()` cannot take a prepared
message: it rebuilds every mail from "contents" (HTML conversion, its own MIME tree, file
names from paths), and it swallows failures (retries with sleeps, then returns False), while
the journal must know for each mail whether the server accepted it and which recipients it
refused. The .eml files and the SMTP mails are therefore the same bytes.

Idempotence: the `mails` table in the journal records each (case, stage) a mail carries. A
row is written as `sending` before the server is contacted and becomes `sent` only once the
server accepted the mail (`written` once the .eml is on disk). A failed mail is `failed` and
goes out again when the next run plans it. A row left `sending` means the run died during the
SMTP conversation: the mail may have arrived, so it is not sent again; the clerk is asked to
check the sent folder instead (a lost reminder is found there, a doubled one cannot be undone).
"""

from __future__ import annotations

import io
import os
import re
import smtplib
import sqlite3
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

import jinja2
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from tipdesk.columns import CASE_ID, CATEGORY, DEADLINE, LETTER_NO, SUBJECT, UNIT
from tipdesk.contacts import Contact
from tipdesk.documents import chinese_date
from tipdesk.files import free_path
from tipdesk.errors import TipdeskError
from tipdesk.journal import as_text
from tipdesk.redact import redact_case
from tipdesk.reminders import (
    CHASE, ESCALATION, STAGES, WARNING, ConfigSection, Ladder, Reminder, as_deadline,
)

REFERRAL = "交办"
MODES = ("outbox", "smtp")
SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
DEFAULT_PASSWORD_ENV = "TIPDESK_SMTP_PASSWORD"
# yagmail.register(user, password) stores the password under this keyring service name.
KEYRING_SERVICE = "yagmail"
BUILTIN_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "mail"
ESCALATION_SEQUENCE = "督办"
NOTICE_TITLE = "安全生产举报事项督办通知"

# Statuses of a mails row; the first four mean "done, never again".
SENT, WRITTEN, PAPER, UNCERTAIN, SENDING, FAILED = (
    "sent", "written", "paper", "uncertain", "sending", "failed")
DONE = (SENT, WRITTEN, PAPER, UNCERTAIN)

SCHEMA = """
CREATE TABLE IF NOT EXISTS mails (
    id INTEGER PRIMARY KEY,
    attempt TEXT NOT NULL,        -- one delivery attempt of one mail
    at TEXT NOT NULL,             -- the run's clock
    mode TEXT NOT NULL,           -- smtp | outbox | paper
    kind TEXT NOT NULL,           -- 交办 / 预警 / 催办 / 督办: the mail's highest stage
    case_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    unit TEXT NOT NULL,
    deadline TEXT,
    recipients TEXT,              -- names reached, for the register's 催办记录
    addresses TEXT,
    number TEXT,                  -- 督办通知 number
    status TEXT NOT NULL,
    detail TEXT                   -- .eml path, refused addresses or the error
);
CREATE INDEX IF NOT EXISTS mails_case ON mails (case_id, stage);
"""

# Header values: no CR/LF (header injection) nor other control characters.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")
_FILENAME_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
# Raw attachment headers below are written unfolded; everything else is folded as usual.
_POLICY = policy.SMTP.clone(refold_source="none")
_MIME_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".txt": "text/plain",
}


# --- settings -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 465
    security: str = "ssl"
    user: str = ""
    password_env: str = DEFAULT_PASSWORD_ENV
    ca_file: Path | None = None
    timeout: int = 30


@dataclass(frozen=True)
class MailSettings:
    mode: str = "outbox"
    from_address: str = ""
    from_name: str = ""
    smtp: SmtpSettings = SmtpSettings()
    centre: Mapping[str, str] = field(default_factory=dict)
    templates: tuple[Path, ...] = (BUILTIN_TEMPLATES,)


def _is_address(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", text))


def mail_settings(config) -> MailSettings:
    """The `mail:` section of config.yaml; absent means .eml files in the outbox."""
    section = ConfigSection(config.raw, "mail")
    password_env = section.text("smtp.password_env", DEFAULT_PASSWORD_ENV)
    for key in ("smtp.password", "password"):
        if section.has(key):
            raise section.fail(key, f"不能写在配置文件中：请把密码放在环境变量 {password_env} 中，"
                                    "或保存到系统密钥环（见 README）。")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        raise section.fail("smtp.password_env", f"应为环境变量名（英文字母、数字、下划线），现为“{password_env}”。")
    mode = section.choice("mode", "outbox", MODES)
    security = section.choice("smtp.security", "ssl", SECURITIES)
    smtp = SmtpSettings(
        host=section.text("smtp.host"),
        port=section.integer("smtp.port", DEFAULT_PORTS[security], 1, 65535),
        security=security,
        user=section.text("smtp.user"),
        password_env=password_env,
        ca_file=(config.root / section.text("smtp.ca_file")).resolve() if section.text("smtp.ca_file") else None,
        timeout=section.integer("smtp.timeout", 30, 1, 600),
    )
    from_address = section.text("from_address", config.centre.get("email", ""))
    if from_address and not _is_address(from_address):
        raise section.fail("from_address", f"“{from_address}”不是有效的电子邮箱地址。")
    if mode == "smtp":
        if not smtp.host:
            raise section.fail("smtp.host", "缺失：mode 为 smtp 时须填写邮件服务器地址，例如 smtp.example.gov.cn。")
        if not from_address:
            raise section.fail("from_address", "缺失：mode 为 smtp 时须填写发件邮箱（或填写 centre.email）。")
        if smtp.security == "none" and smtp.user:
            raise section.fail("smtp.security", "为 none 时不能登录（密码会明文传输），请改为 ssl 或 starttls。")
        if smtp.ca_file and not smtp.ca_file.is_file():
            raise section.fail("smtp.ca_file", f"指定的证书文件 {smtp.ca_file} 不存在。")
    return MailSettings(
        mode=mode, from_address=from_address,
        from_name=section.text("from_name", config.centre.get("name", "")),
        smtp=smtp, centre=dict(config.centre),
        templates=(config.root / "templates" / "mail", BUILTIN_TEMPLATES))


# --- what a mail is -------------------------------------------------------------------------

@dataclass(frozen=True)
class MailItem:
    """One (case, stage) a mail carries; the unit of idempotence."""
    case_id: str
    stage: str
    unit: str
    deadline: str = ""     # as_text of the deadline the stage was computed for
    who: str = ""          # the people it reaches, for the 催办记录 line

    @property
    def key(self) -> tuple[str, str, str, str]:
        # A referral is once per unit; a reminder once per unit and deadline, so an extension
        # or a re-referral starts the ladder again.
        return (self.case_id, self.stage, self.unit, "" if self.stage == REFERRAL else self.deadline)


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes


@dataclass(frozen=True)
class Mail:
    kind: str                                # 交办 or the highest reminder stage
    unit: str
    at: datetime
    items: tuple[MailItem, ...]
    subject: str
    body: str
    to: tuple[Recipient, ...] = ()
    cc: tuple[Recipient, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    number: str = ""                         # the 督办通知 number, if any
    note: str = ""                           # why it goes to the office or on paper

    @property
    def paper(self) -> bool:
        """No address: the unit gets it on paper (需纸质送达)."""
        return not self.to

    @property
    def addresses(self) -> list[str]:
        return [r.address for r in (*self.to, *self.cc)]

    def describe(self) -> str:
        cases = "、".join(dict.fromkeys(i.case_id for i in self.items))
        text = f"{self.unit} {self.kind}（{cases}）"
        if self.number:
            text += f" {self.number}"
        if self.to:
            text += " → " + "、".join(r.address for r in self.to)
        if self.cc:
            text += "；抄送 " + "、".join(r.address for r in self.cc)
        return text + (f"（{self.note}）" if self.note else "")


# --- composing ------------------------------------------------------------------------------

def _environment(settings: MailSettings) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in settings.templates]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True, autoescape=False)


def _render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateError as exc:
        raise TipdeskError(f"邮件模板 {name} 有误：{exc}。请检查 templates/mail/{name}，"
                           "或删除它以使用内置模板。")


def _one_line(text: str) -> str:
    return " ".join(_HEADER_UNSAFE.sub(" ", text).split())


def _deadline_text(deadline: datetime | None) -> str:
    if deadline is None:
        return "—"
    return chinese_date(deadline, with_time=deadline.time() < time(23, 59))


def _case_view(case: Mapping[str, Any]) -> dict[str, str]:
    """What a mail may say about a case: never the reporter (redact_case drops 举报人 and
    联系方式 and hides personal data in the remaining text)."""
    safe = redact_case(dict(case))

    def text(column: str) -> str:
        value = safe.get(column)
        return _one_line(str(value)) if value not in (None, "") else ""

    return {"case_id": text(CASE_ID), "category": text(CATEGORY), "subject": text(SUBJECT),
            "letter_no": text(LETTER_NO), "unit": text(UNIT),
            "deadline": _deadline_text(as_deadline(case.get(DEADLINE)))}


def _timing(reminder: Reminder) -> str:
    if reminder.stage == WARNING:
        if reminder.hourly:
            hours = -reminder.overdue_by.total_seconds() / 3600
            return f"距办理期限约{max(1, round(hours))}小时"
        return "即将到期"
    if reminder.hourly:
        hours = int(reminder.overdue_by.total_seconds() // 3600)
        return f"已超期{max(1, hours)}小时" if hours < 48 else f"已超期{hours // 24}天"
    return f"已超期{max(1, reminder.overdue_working_days)}个工作日"


def _names(*names: str) -> str:
    return "、".join(dict.fromkeys(n for n in names if n))


def _who(contact: Contact | None, stage: str) -> str:
    """The people a stage is meant for (notice: 催办 to 经办人 and 科长, 督办 to 分管领导)."""
    if contact is None:
        return ""
    if stage == ESCALATION:
        return _names(contact.leader) or _names(contact.handler)
    if stage == CHASE:
        return _names(contact.handler, contact.chief)
    return _names(contact.handler)


def _recipients(contact: Contact | None, escalate: bool) -> tuple[tuple[Recipient, ...], tuple[Recipient, ...]]:
    """(to, cc): the handler's address with the 科长 in copy; a 督办 also to the 分管领导."""
    if contact is None:
        return (), ()
    unit = contact.unit
    to = [Recipient(f"{unit} {contact.handler}".strip(), a) for a in contact.emails]
    if escalate:
        leader = [Recipient(f"{unit} {contact.leader}".strip(), a) for a in contact.leader_emails]
        to = leader + to
    cc = [Recipient(f"{unit} {contact.chief}".strip(), a) for a in contact.chief_emails]
    seen: set[str] = set()
    to = [r for r in to if not (r.address.lower() in seen or seen.add(r.address.lower()))]
    cc = [r for r in cc if not (r.address.lower() in seen or seen.add(r.address.lower()))]
    return tuple(to), tuple(cc)


def _paper_note(contact: Contact | None) -> str:
    if contact is None:
        return "联络人表中没有该单位，需纸质送达"
    return "，".join(filter(None, [contact.note, "无电子邮箱，需纸质送达"]))


def _common_context(settings: MailSettings, unit: str, now: datetime) -> dict[str, Any]:
    return {"unit": unit, "centre": {k: settings.centre.get(k, "") for k in ("name", "phone", "email", "address")},
            "date": chinese_date(now), "now_text": chinese_date(now, with_time=True)}


def _read_attachment(path: Path, case_id: str) -> Attachment:
    try:
        return Attachment(path.name, path.read_bytes())
    except OSError:
        raise TipdeskError(f"案件{case_id}的附件 {path} 无法读取（已被移动或删除？）。"
                           f"请运行 ./run letter {case_id} 补发交办单和反馈表。")


def plan_referral_mails(referrals: Mapping[str, Sequence[tuple[str, Sequence[Path]]]],
                        cases: Mapping[str, Mapping[str, Any]], contacts: Mapping[str, Contact],
                        settings: MailSettings, now: datetime,
                        sent: Iterable[tuple[str, str]] = ()) -> list[Mail]:
    """One mail per unit with that unit's letters and feedback sheets attached.

    `referrals`: unit -> [(case_id, [attachment paths])]; `cases`: case_id -> register row
    (for the list in the body); `sent`: (case_id, stage) pairs already delivered."""
    env, done, mails = _environment(settings), set(sent), []
    for unit, entries in sorted(referrals.items()):
        contact = contacts.get(unit)
        views, items, attachments = [], [], []
        for case_id, paths in entries:
            if (case_id, REFERRAL) in done:
                continue
            case = cases.get(case_id, {CASE_ID: case_id, UNIT: unit})
            views.append(_case_view(case))
            items.append(MailItem(case_id, REFERRAL, unit, as_text(as_deadline(case.get(DEADLINE))) or "",
                                  _who(contact, REFERRAL)))
            attachments += [_read_attachment(Path(p), case_id) for p in paths]
        if not items:
            continue
        context = {**_common_context(settings, unit, now), "items": views,
                   "attachments": [a.name for a in attachments]}
        to, cc = _recipients(contact, escalate=False)
        mails.append(Mail(
            kind=REFERRAL, unit=unit, at=now, items=tuple(items),
            subject=_one_line(_render(env, "referral_subject.j2", context)),
            body=_render(env, "referral_body.j2", context), to=to, cc=cc,
            attachments=tuple(attachments),
            note=_paper_note(contact) if not to else (contact.note if contact else "")))
    return mails


def plan_reminder_mails(reminders: Sequence[Reminder], cases: Mapping[str, Mapping[str, Any]],
                        contacts: Mapping[str, Contact], settings: MailSettings, ladder: Ladder,
                        now: datetime, number: Callable[[str, int], str]) -> list[Mail]:
    """One digest per unit listing all its cases with their stage; with a 督办 among them it
    also goes to the 分管领导 and carries the numbered 督办通知 (.docx).

    `number(unit, year)` gives the 督办通知 number (see `escalation_numbering`); it is asked
    only for units with a 督办. A dry run passes one that reserves nothing."""
    env, mails = _environment(settings), []
    by_unit: dict[str, list[Reminder]] = {}
    for reminder in reminders:
        by_unit.setdefault(reminder.unit, []).append(reminder)
    for unit, group in sorted(by_unit.items()):
        group.sort(key=lambda r: (-STAGES.index(r.stage), r.case_id))
        contact = contacts.get(unit)
        kind = group[0].stage
        # A case listed once, under its highest stage: a 督办 implies the 催办 that came with it.
        highest = {r.case_id: r for r in reversed(group)}
        views = [{**_case_view(cases.get(r.case_id, {CASE_ID: r.case_id, UNIT: unit})),
                  "stage": r.stage, "timing": _timing(r), "deadline": _deadline_text(r.deadline)}
                 for r in sorted(highest.values(), key=lambda r: (-STAGES.index(r.stage), r.case_id))]
        escalate = kind == ESCALATION
        context = {**_common_context(settings, unit, now), "items": views, "kind": kind,
                   "number": number(unit, now.year) if escalate else "",
                   "escalate_after": ladder.escalate_after_working_days,
                   "leader": contact.leader if contact else "",
                   "has_warning": any(r.stage == WARNING for r in group),
                   "has_chase": any(r.stage == CHASE for r in group),
                   "has_escalation": escalate}
        attachments = ()
        if escalate:
            notice = _render(env, "escalation_notice.j2",
                             {**context, "items": [v for v in views if v["stage"] == ESCALATION]})
            name = _safe_filename(f"督办通知-{context['number']}.docx")
            attachments = (Attachment(name, notice_docx(notice, settings.centre.get("name", ""), now)),)
        to, cc = _recipients(contact, escalate)
        mails.append(Mail(
            kind=kind, unit=unit, at=now,
            items=tuple(MailItem(r.case_id, r.stage, unit, as_text(r.deadline), _who(contact, r.stage))
                        for r in group),
            subject=_one_line(_render(env, "digest_subject.j2", context)),
            body=_render(env, "digest_body.j2", context), to=to, cc=cc,
            attachments=attachments, number=context["number"],
            note=_paper_note(contact) if not to else (contact.note if contact else "")))
    return mails


def _east_asian_font(run, name: str, size: int) -> None:
    run.font.name, run.font.size = name, Pt(size)
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def notice_docx(text: str, author: str, at: datetime) -> bytes:
    """The 督办通知 as a short Word document: title and number centred, sender and date to the
    right, the rest as body paragraphs (GB/T 9704 fonts: 小标宋 二号 title, 仿宋 三号 body)."""
    lines = [line.rstrip() for line in text.strip().split("\n")]
    tail = [i for i, line in enumerate(lines) if line.strip()][-2:]
    doc = Document()
    for i, line in enumerate(lines):
        paragraph = doc.add_paragraph()
        if i < 2:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif i in tail:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _east_asian_font(paragraph.add_run(line), "方正小标宋简体" if i == 0 else "仿宋_GB2312", 22 if i == 0 else 16)
    props = doc.core_properties
    props.author = props.last_modified_by = author
    props.title, props.subject = NOTICE_TITLE, lines[1].strip() if len(lines) > 1 else ""
    props.comments = props.keywords = props.category = ""
    props.created = props.modified = at
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- the journal ----------------------------------------------------------------------------

def _has_table(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'mails'").fetchone() is not None


def ensure_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)


def sent_stages(db: sqlite3.Connection, cases: Iterable[Mapping[str, Any]] | None = None) -> set[tuple[str, str]]:
    """(case_id, stage) pairs already delivered (sent, written as .eml, or due on paper).

    With `cases` (register rows), a stage delivered for another unit or (for reminders)
    another deadline no longer counts: after 改派 or an extension the ladder starts again."""
    if not _has_table(db):  # a dry run before the first delivery: nothing sent yet
        return set()
    marks = ",".join("?" * len(DONE))
    rows = db.execute(f"SELECT DISTINCT case_id, stage, unit, deadline FROM mails WHERE status IN ({marks})",
                      DONE).fetchall()
    if cases is None:
        return {(case_id, stage) for case_id, stage, _, _ in rows}
    current = {str(c.get(CASE_ID) or "").strip(): c for c in cases}
    out = set()
    for case_id, stage, unit, deadline in rows:
        case = current.get(case_id)
        if case is not None:
            item = MailItem(case_id, stage, str(case.get(UNIT) or "").strip(),
                            as_text(as_deadline(case.get(DEADLINE))) or "")
            if MailItem(case_id, stage, unit, deadline or "").key != item.key:
                continue
        out.add((case_id, stage))
    return out


_HOW = {SENT: "邮件", WRITTEN: "邮件，发件箱待发", PAPER: "无邮箱，需纸质送达", UNCERTAIN: "邮件，送达待核实"}


def chase_log_lines(db: sqlite3.Connection, case_id: str) -> list[str]:
    """Dated lines for the register's 催办记录, e.g. "2026-12-03 08:30 催办（邮件）→ 张三、李四"."""
    if not _has_table(db):
        return []
    marks = ",".join("?" * len(DONE))
    rows = db.execute(
        f"SELECT at, stage, status, recipients, number FROM mails WHERE case_id = ? AND stage IN (?, ?, ?) "
        f"AND status IN ({marks}) ORDER BY id", (case_id, *STAGES, *DONE)).fetchall()
    rows.sort(key=lambda row: (row[0], STAGES.index(row[1])))  # one digest: 催办 before 督办
    lines = []
    for at, stage, status, who, number in rows:
        how = _HOW[status] + (f"，{number}" if number and stage == ESCALATION else "")
        line = f"{at[:16]} {stage}（{how}）" + (f"→ {who}" if who else "")
        if line not in lines:
            lines.append(line)
    return lines


def escalation_numbering(journal, ladder: Ladder) -> Callable[[str, int], str]:
    """`number(unit, year)` for plan_reminder_mails, on the journal's yearly sequences.

    A number whose 督办通知 never went out (every attempt failed) is given again to the same
    unit, so a server outage leaves no gap in the 督办 numbers."""
    ensure_schema(journal.db)

    def number(unit: str, year: int) -> str:
        marks = ",".join("?" * len(DONE + (SENDING,)))
        row = journal.db.execute(
            f"SELECT number FROM mails WHERE unit = ? AND stage = ? AND number != '' AND substr(at, 1, 4) = ? "
            f"GROUP BY number HAVING sum(status IN ({marks})) = 0 ORDER BY max(id) DESC LIMIT 1",
            (unit, ESCALATION, str(year), *DONE, SENDING)).fetchone()
        if row:
            return row[0]
        n = journal.last_number(ESCALATION_SEQUENCE, year) + 1
        journal.set_last_number(ESCALATION_SEQUENCE, year, n)
        return ladder.number(year, n)

    return number


def _record(db: sqlite3.Connection, attempt: str, mail: Mail, mode: str, status: str, detail: str = "") -> None:
    db.executemany(
        "INSERT INTO mails (attempt, at, mode, kind, case_id, stage, unit, deadline, recipients, addresses, "
        "number, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(attempt, as_text(mail.at), mode, mail.kind, i.case_id, i.stage, i.unit, i.deadline, i.who,
          ", ".join(mail.addresses), mail.number, status, detail) for i in mail.items])


def _update(db: sqlite3.Connection, attempt: str, status: str, detail: str = "") -> None:
    db.execute("UPDATE mails SET status = ?, detail = ? WHERE attempt = ?", (status, detail, attempt))


def _settle_interrupted(db: sqlite3.Connection) -> list[str]:
    """Attempts a previous run left `sending` (it died mid-delivery): an .eml on disk counts
    as written, one missing is retried; an SMTP mail may have arrived, so it is not resent."""
    out = []
    rows = db.execute("SELECT attempt, mode, detail, unit, kind, group_concat(case_id, '、') FROM mails "
                      "WHERE status = ? GROUP BY attempt", (SENDING,)).fetchall()
    for attempt, mode, detail, unit, kind, cases in rows:
        if mode == "outbox":
            exists = bool(detail) and Path(detail).is_file()
            _update(db, attempt, WRITTEN if exists else FAILED, detail)
            continue
        _update(db, attempt, UNCERTAIN, "上次运行在发送中途中断")
        out.append(f"{unit} {kind}（{cases}）：上次运行在发送过程中中断，无法确认对方是否收到；"
                   "为避免重复，系统不会重发。请在发件邮箱的“已发送”中核对，未发出的请手工补发。")
    return out


# --- building and delivering ----------------------------------------------------------------

def _clean(text: str) -> str:
    return _HEADER_UNSAFE.sub(" ", str(text)).strip()


def _safe_filename(name: str) -> str:
    return _FILENAME_UNSAFE.sub("_", _clean(name)).strip(" ._") or "附件"


def _attach(message: EmailMessage, attachment: Attachment) -> None:
    """Attach with a Chinese file name every common client shows: RFC 2231 `filename*` in one
    piece (the standard, read by Thunderbird, Foxmail, Apple Mail and Outlook 2010+) and an
    RFC 2047 `name` on Content-Type, which older Outlook falls back to. Python's folding
    would split the first into filename*0*/filename*1* continuations, which some Outlook
    versions misread, so both headers are set raw (lines stay under the 998 limit)."""
    name = _safe_filename(attachment.name)
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
    message = EmailMessage(policy=_POLICY)
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


def _write_atomic(path: Path, data: bytes) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def _file_stem(mail: Mail) -> str:
    return _safe_filename(f"{mail.at:%H%M}-{mail.kind}-{mail.unit}")


def _deliver_paper(mail: Mail, db: sqlite3.Connection, day_folder: Path) -> Outcome:
    """Recorded once, so the summary names it once; a reminder's text and notice are saved
    for printing (a referral's letters are already in the outbox)."""
    files = []
    if mail.kind != REFERRAL:
        day_folder.mkdir(parents=True, exist_ok=True)
        text = free_path(day_folder / f"{_file_stem(mail)}（纸质送达）.txt")
        _write_atomic(text, mail.body.encode("utf-8"))
        files.append(text)
        for attachment in mail.attachments:
            target = free_path(day_folder / _safe_filename(attachment.name))
            _write_atomic(target, attachment.data)
            files.append(target)
    _record(db, uuid.uuid4().hex, mail, "paper", PAPER, "; ".join(str(f) for f in files))
    return Outcome(mail, "已存打印件 " + "、".join(f.name for f in files) if files else "")


def _deliver_outbox(mail: Mail, settings: MailSettings, db: sqlite3.Connection, day_folder: Path) -> Outcome:
    day_folder.mkdir(parents=True, exist_ok=True)
    path = free_path(day_folder / f"{_file_stem(mail)}.eml")
    attempt = uuid.uuid4().hex
    _record(db, attempt, mail, "outbox", SENDING, str(path))
    try:
        _write_atomic(path, build_message(mail, settings).as_bytes())
    except OSError as exc:
        _update(db, attempt, FAILED, f"无法写入 {path}：{exc}")
        raise
    _update(db, attempt, WRITTEN, str(path))
    return Outcome(mail, path.name)


def smtp_password(settings: MailSettings) -> str:
    """The login password: the environment variable named in config, else the system keyring
    (entry written by yagmail.register(user, password)). Never read from config, never logged."""
    user = settings.smtp.user
    if not user:
        return ""
    password = os.environ.get(settings.smtp.password_env, "")
    if password:
        return password
    try:
        import keyring  # optional: only offices that keep the password in the keyring install it

        password = keyring.get_password(KEYRING_SERVICE, user) or ""
    except Exception:  # no keyring package or no usable backend: fall through to the message
        password = ""
    if password:
        return password
    raise TipdeskError(
        f"未找到邮箱 {user} 的密码：请设置环境变量 {settings.smtp.password_env}，或安装 keyring 后运行 "
        f"python -c \"import yagmail; yagmail.register('{user}', '密码')\" 保存到系统密钥环。")


def _connect(settings: MailSettings, password: str):
    # Imported here: yagmail pulls in premailer and lxml, which outbox mode never needs.
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


def _send_one(client, mail: Mail, settings: MailSettings, db: sqlite3.Connection) -> tuple[bool, str, bool]:
    """(delivered, detail, connection still usable).

    Delivered once the server accepted the mail for at least one of its To addresses. A
    mail whose every To address was refused is retried next run: a second copy for the Cc
    is a lesser evil than a handler who never got it."""
    attempt = uuid.uuid4().hex
    _record(db, attempt, mail, "smtp", SENDING)
    try:
        refused = client.smtp.send_message(build_message(mail, settings),
                                           from_addr=settings.from_address, to_addrs=mail.addresses)
    except (OSError, smtplib.SMTPException) as exc:
        reason = _smtp_error(exc, settings)
        _update(db, attempt, FAILED, reason)
        # After a refusal the server is still talking (smtplib sent RSET); otherwise the
        # connection is gone and the next mail reconnects.
        alive = isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException))
        return False, reason, alive
    if refused and all(r.address in refused for r in mail.to):
        reason = f"收件地址被拒收：{_refused(refused)}"
        _update(db, attempt, FAILED, reason)
        return False, reason, True
    detail = f"以下地址被拒收，请核对联络人邮箱：{_refused(refused)}" if refused else ""
    _update(db, attempt, SENT, detail)
    return True, detail, True


def _deliver_smtp(mails: list[Mail], settings: MailSettings, db: sqlite3.Connection,
                  report: DeliveryReport) -> None:
    """All mails over one connection. If the server cannot be reached or refuses the login,
    every mail fails with that reason (no timeout per mail); a mail the server refuses fails
    alone."""
    client, down = None, ""
    try:
        for mail in mails:
            if client is None and not down:
                try:
                    client = _connect(settings, smtp_password(settings))
                except TipdeskError as exc:
                    down = exc.message
                except (OSError, smtplib.SMTPException) as exc:
                    down = _smtp_error(exc, settings)
            if down:
                # Recorded too: the log shows the attempt, and a 督办 number is kept for the retry.
                _record(db, uuid.uuid4().hex, mail, "smtp", FAILED, down)
                report.failed.append(Outcome(mail, down))
                continue
            delivered, detail, alive = _send_one(client, mail, settings, db)
            (report.sent if delivered else report.failed).append(Outcome(mail, detail))
            if not alive:
                client.close()
                client = None
    finally:
        if client is not None:
            client.close()


def deliver(mails: Sequence[Mail], settings: MailSettings, db: sqlite3.Connection,
            day_folder: Path) -> DeliveryReport:
    """Send (smtp) or write (.eml in `day_folder`) each mail, record each (case, stage) once
    it is delivered, and report what was sent, what failed (retried next run) and which
    units need paper. A mail whose every (case, stage) was delivered before is skipped, so
    delivering the same plan twice sends nothing twice. Call it outside a journal
    transaction: each record must be on disk before the next mail goes out."""
    ensure_schema(db)
    report = DeliveryReport(settings.mode)
    report.uncertain += _settle_interrupted(db)
    marks = ",".join("?" * len(DONE))
    done = {MailItem(case_id, stage, unit, deadline or "").key for case_id, stage, unit, deadline in db.execute(
        f"SELECT case_id, stage, unit, deadline FROM mails WHERE status IN ({marks})", DONE)}
    todo = [m for m in mails if not all(i.key in done for i in m.items)]
    electronic = []
    for mail in todo:
        if mail.paper:
            report.paper.append(_deliver_paper(mail, db, day_folder))
        else:
            electronic.append(mail)
    if settings.mode == "outbox":
        for mail in electronic:
            try:
                report.sent.append(_deliver_outbox(mail, settings, db, day_folder))
            except OSError as exc:
                report.failed.append(Outcome(mail, f"无法写入发件箱：{exc}"))
    else:
        _deliver_smtp(electronic, settings, db, report)
    return report
