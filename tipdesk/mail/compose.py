"""E-mail to units: what a mail is, and composing them (referral letters, reminder digests).

Compose: jinja2 templates in templates/mail/ (a workspace's own templates/mail/ wins), one
mail per unit per run; the 督办通知 a 督办 carries is the Word template templates/督办通知.docx
(the workspace's own copy wins too), from register rows passed through `redact_case`, so no mail carries
举报人, 联系方式 or personal data inside the complaint (DESIGN.md, "The whistleblower").
Sending them, and the log that makes each (case, stage) go once, is `deliver.py`.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from tipdesk.domain.columns import (
    CASE_ID, CATEGORY, DEADLINE, LETTER_NO, NOTES, REPORTER, REPORTER_CONTACT, SUBJECT, UNIT,
)
from tipdesk.domain.notices import GRANTED, NOTICE_KINDS, NOTICE_TITLES
from tipdesk.domain.notices import REDO as REDO_NOTICE
from tipdesk.rules.contacts import Contact
from tipdesk.domain.textnorm import chinese_date
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.textnorm import as_text
from tipdesk.domain.redact import redact_case
from tipdesk.rules.reminders import (
    CHASE, ESCALATION, STAGES, WARNING, Ladder, Reminder, as_deadline,
)
from tipdesk.config import MailSettings
from tipdesk.domain.textnorm import fullwidth_brackets, safe_name
from tipdesk.domain.launcher import RUN
from tipdesk.domain.notices import CATEGORY_CHANGE, LETTER_KEY, REFERRAL

# The same referral sent once more to a unit that has not acknowledged it (签收).
REFERRAL_AGAIN = "再次交办"
ESCALATION_SEQUENCE = "督办"
NOTICE_TITLE = "安全生产举报事项督办通知"
NOTICE_TEMPLATE = "督办通知.docx"
UNIT_NOTICE_TEMPLATE = "通知函.docx"

# Header values: no CR/LF (header injection) nor other control characters.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def _clean(text: str) -> str:
    return _HEADER_UNSAFE.sub(" ", str(text)).strip()


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
        # A referral is once per unit and 交办文号 (`deadline` holds LETTER_KEY + the number),
        # so a case sent back to a unit it had before is mailed again; a reminder once per
        # unit and deadline, so an extension or a re-referral starts the ladder again.
        return (self.case_id, self.stage, self.unit, self.deadline)


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
    attempt: str = ""                        # the ledger attempt reserved for it (reminders)

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


class _Templates:
    """The mail templates, jinja2 loaded when the first mail is composed: a run with nothing
    to send (most of the day's reruns and hourly passes) never pays for it."""

    def __init__(self, settings: MailSettings):
        self._settings, self._env = settings, None

    def render(self, name: str, context: Mapping[str, Any]) -> str:
        import jinja2

        if self._env is None:
            self._env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(p) for p in self._settings.templates]),
                undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=True, autoescape=False)
        try:
            return self._env.get_template(name).render(context)
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
    rules = settings.deadlines
    return {"unit": unit, "centre": {k: settings.centre.get(k, "") for k in ("name", "phone", "email", "address")},
            "date": chinese_date(now), "now_text": chinese_date(now, with_time=True),
            "deadlines": {"urgent_hours": rules.urgent_hours, "general_working_days": rules.general_working_days,
                          "accident_verify_hours": rules.accident_verify_hours}}


def _read_attachment(path: Path, case_id: str) -> Attachment:
    try:
        return Attachment(path.name, path.read_bytes())
    except OSError:
        raise TipdeskError(f"案件{case_id}的附件 {path} 无法读取（已被移动或删除？）。"
                           f"请运行 {RUN} letter {case_id} 补发交办单和反馈表。")


def plan_referral_mails(referrals: Mapping[str, Sequence[tuple[str, Sequence[Path]]]],
                        cases: Mapping[str, Mapping[str, Any]], contacts: Mapping[str, Contact],
                        settings: MailSettings, now: datetime,
                        sent: Iterable[tuple[str, str]] = (), again: bool = False) -> list[Mail]:
    """One mail per unit with that unit's letters and feedback sheets attached.

    `referrals`: unit -> [(case_id, [attachment paths])]; `cases`: case_id -> register row
    (for the list in the body); `sent`: (case_id, stage) pairs already delivered. With
    `again`, the referral goes a second time to a unit that has not acknowledged it (签收),
    once per 交办文号."""
    stage = REFERRAL_AGAIN if again else REFERRAL
    templates, done, mails = _Templates(settings), set(sent), []
    for unit, entries in sorted(referrals.items()):
        contact = contacts.get(unit)
        views, items, attachments = [], [], []
        for case_id, paths in entries:
            if (case_id, stage) in done:
                continue
            case = cases.get(case_id, {CASE_ID: case_id, UNIT: unit})
            views.append(_case_view(case))
            key = str(case.get(LETTER_NO) or "") if again else LETTER_KEY + str(case.get(LETTER_NO) or "")
            items.append(MailItem(case_id, stage, unit, key, _who(contact, REFERRAL)))
            attachments += [_read_attachment(Path(p), case_id) for p in paths]
        if not items:
            continue
        context = {**_common_context(settings, unit, now), "items": views,
                   "attachments": [a.name for a in attachments], "again": again}
        to, cc = _recipients(contact, escalate=False)
        mails.append(Mail(
            kind=stage, unit=unit, at=now, items=tuple(items),
            subject=_one_line(templates.render("referral_subject.j2", context)),
            body=templates.render("referral_body.j2", context), to=to, cc=cc,
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
    templates, mails = _Templates(settings), []
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
            notice = notice_document(settings, {**context, "items": [v for v in views if v["stage"] == ESCALATION]}, now)
            name = safe_name(f"督办通知-{context['number']}.docx", "附件")
            attachments = (Attachment(name, notice),)
        to, cc = _recipients(contact, escalate)
        mails.append(Mail(
            kind=kind, unit=unit, at=now,
            items=tuple(MailItem(r.case_id, r.stage, unit, as_text(r.deadline), _who(contact, r.stage))
                        for r in group),
            subject=_one_line(templates.render("digest_subject.j2", context)),
            body=templates.render("digest_body.j2", context), to=to, cc=cc,
            attachments=attachments, number=context["number"],
            note=_paper_note(contact) if not to else (contact.note if contact else "")))
    return mails


def _when_text(value: str) -> str:
    """A notice's old/new value as a person reads it: a deadline in Chinese, else as it is."""
    try:
        return _deadline_text(datetime.fromisoformat(value))
    except (TypeError, ValueError):
        return value or ""


def plan_notice_mails(notices: Sequence[Mapping[str, Any]], cases: Mapping[str, Mapping[str, Any]],
                      contacts: Mapping[str, Contact], settings: MailSettings, now: datetime,
                      files: Callable[[str, str], Sequence[Path]] = lambda case_id, letter_no: ()) -> list[Mail]:
    """One mail per notice (a decision for one unit about one case), from the kind's templates
    notice_<stem>_subject.j2 / _body.j2; the ledger keys it by the notice's journal id.

    `notices`: journal rows (Journal.owed_notices); `cases`: register rows by case id, for the
    view and for redacting the reason (a clerk's or a unit's words) against that case's
    reporter; `files(case_id, letter_no)`: the letter and sheet a 重新办理 carries."""
    templates, mails = _Templates(settings), []
    for row in notices:
        kind, unit, case_id = row["kind"], row["unit"], row["case_id"]
        stem = NOTICE_KINDS[kind][0]
        contact = contacts.get(unit)
        case = cases.get(case_id, {CASE_ID: case_id, UNIT: unit})
        detail = redact_case({REPORTER: case.get(REPORTER), REPORTER_CONTACT: case.get(REPORTER_CONTACT),
                              NOTES: row.get("detail") or ""})[NOTES] or ""
        attachments: list[Attachment] = []
        if row.get("attachment"):
            attachments.append(Attachment(row["attachment_name"] or "反馈表.xlsx", bytes(row["attachment"])))
        if kind == REDO_NOTICE:
            try:
                attachments += [_read_attachment(Path(p), case_id) for p in files(case_id, row.get("letter_no") or "")]
            except TipdeskError:
                continue  # the letters were moved away: still owed; `letter CASE_ID` reissues them
        context = {**_common_context(settings, unit, now), "case": _case_view(case), "kind": kind,
                   "letter_no": row.get("letter_no") or "", "number": row.get("number") or "",
                   "old": _when_text(row.get("old") or ""), "new": _when_text(row.get("new") or ""),
                   "granted": row.get("decision") == GRANTED, "decision": row.get("decision") or "",
                   "detail_lines": [line.strip() for line in str(detail).split("\n") if line.strip()],
                   "category_change": detail[len(CATEGORY_CHANGE):] if detail.startswith(CATEGORY_CHANGE) else "",
                   "attached": bool(row.get("attachment"))}
        body = templates.render(f"notice_{stem}_body.j2", context)
        attachments.insert(0, Attachment(safe_name(f"{kind}-{row.get('number') or case_id}.docx", "通知.docx"),
                                         unit_notice_document(settings, kind, context, body, now)))
        to, cc = _recipients(contact, escalate=False)
        mails.append(Mail(
            kind=kind, unit=unit, at=now,
            items=(MailItem(case_id, kind, unit, f"#{row['id']}", _who(contact, kind)),),
            subject=_one_line(templates.render(f"notice_{stem}_subject.j2", context)),
            body=body, to=to, cc=cc,
            attachments=tuple(attachments), number=row.get("number") or "",
            note=_paper_note(contact) if not to else (contact.note if contact else "")))
    return mails


def _paragraphs(body: str, unit: str, centre_name: str) -> list[str]:
    """The paragraphs of a notice mail's body between its greeting and its signature."""
    lines = [line.strip().lstrip("\u3000") for line in body.split("\n")]
    start = next((i + 1 for i, line in enumerate(lines) if line == f"{unit}："), 0)
    end = next((i for i in range(len(lines) - 1, start - 1, -1) if lines[i] == centre_name), len(lines))
    return [line for line in lines[start:end] if line]


def unit_notice_document(settings: MailSettings, kind: str, context: Mapping[str, Any], body: str,
                         now: datetime) -> bytes:
    """The notice as the document a unit files (templates/通知函.docx, GB/T 9704 on A4): its
    wording is the mail's, so the office rewords a notice in one template."""
    import jinja2  # its errors, for a template the office broke

    from tipdesk.word.template import compiled  # lxml with it: only a run that writes a notice

    documents, centre = settings.documents, settings.centre
    path = documents.template(UNIT_NOTICE_TEMPLATE)
    values = {"letterhead": documents.letterhead_for(centre.get("name", "")), "number": context.get("number", ""),
              "title": NOTICE_TITLES[kind], "unit": context["unit"],
              "paragraphs": _paragraphs(body, context["unit"], centre.get("name", "")),
              "centre_name": centre.get("name", ""), "centre_phone": centre.get("phone", ""),
              "centre_email": centre.get("email", ""), "date": context.get("date", "")}
    try:
        return compiled(path, documents.fonts).render(
            values, author=centre.get("name", ""), title=NOTICE_TITLES[kind], subject=context.get("number", ""),
            when=now)
    except (jinja2.TemplateError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TipdeskError(f"通知模板 {path.name} 有误：{exc}。请在 Word 中检查 templates/{path.name} 的 "
                           "{{ }} 标记是否完整，或删除它以使用内置模板。")


def _fullwidth(value: Any) -> Any:
    """Every text in a document context with Chinese round brackets (names from forms)."""
    if isinstance(value, str):
        return fullwidth_brackets(value)
    if isinstance(value, Mapping):
        return {k: _fullwidth(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_fullwidth(v) for v in value]
    return value


def notice_document(settings: MailSettings, context: Mapping[str, Any], now: datetime) -> bytes:
    """The numbered 督办通知 (.docx) from the Word template 督办通知.docx (GB/T 9704: 版头 with
    the number, 主送, the overdue cases, 落款, 成文日期, page numbers). `context` is the digest's:
    unit, number, escalate_after, leader, date, centre, and the 督办 items (already redacted)."""
    import jinja2  # its errors, for a template the office broke

    from tipdesk.word.template import compiled  # lxml with it: only a run that writes a notice

    documents, centre = settings.documents, settings.centre
    path = documents.template(NOTICE_TEMPLATE)
    values = _fullwidth({**context, "letterhead": documents.letterhead_for(centre.get("name", "")),
                         "centre_name": centre.get("name", ""), "centre_phone": centre.get("phone", ""),
                         "centre_email": centre.get("email", "")})
    try:
        return compiled(path, documents.fonts).render(
            values, author=centre.get("name", ""), title=NOTICE_TITLE, subject=context.get("number", ""), when=now)
    except (jinja2.TemplateError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise TipdeskError(f"督办通知模板 {path.name} 有误：{exc}。请在 Word 中检查 templates/{path.name} 的 "
                           "{{ }} 标记是否完整，或删除它以使用内置模板。")
