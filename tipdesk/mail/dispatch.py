"""The mail step of a run: the reminder ladder, referral mails, and 催办记录 from the mail log.

Nothing leaves before the register holds what caused it. Reminders are composed and
numbered before the save and their places held in the mail ledger (`reserve_reminders`), so
the save writes them into 催办记录; they are delivered after it (`deliver_mails`). Referral
mails and notices are sent after the save from what the journal owes. Delivery happens
outside any journal transaction, each mail recorded as it goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import ACCIDENT, CASE_ID, CATEGORIES, CHASE_LOG, LETTER_NO, UNIT, URGENT
from tipdesk.config import Config
from tipdesk.rules.contacts import effective_contacts, without_bounced
from tipdesk.mail.deliver import chase_logs, deliver, escalation_numbering, reserve, sent_stages
from tipdesk.store.egress import Gate
from tipdesk.store.journal import Journal
from tipdesk.domain.textnorm import as_text
from tipdesk.mail.compose import REFERRAL, REFERRAL_AGAIN, plan_notice_mails, plan_referral_mails, plan_reminder_mails
from tipdesk.store.register import save_changes
from tipdesk.domain.rows import CellChange, Register
from tipdesk.rules.reminders import plan_reminders

HOURLY_CATEGORIES = (URGENT, ACCIDENT)


@dataclass
class Dispatch:
    sections: dict[str, list[str]] = field(default_factory=dict)
    planned: list[str] = field(default_factory=list)   # dry run: what would go out


def _deliver(config: Config, mails: list, journal: Journal, day_folder: Path, dry_run: bool,
             gate: Gate | None) -> Dispatch:
    if dry_run:
        return Dispatch(planned=[m.describe() for m in mails])
    if gate is None:
        raise ValueError("mail must pass the egress gate")  # a programming error, not the clerk's
    return Dispatch(sections=deliver(mails, config.mail, journal, day_folder, gate).sections())


def _cleaned(cases: dict[str, dict], gate: Gate | None) -> dict[str, dict]:
    """The rows mails are composed from, with every identity the register knows hidden in
    their text (another case's reporter named in an address); the gate checks the result."""
    return {case_id: gate.clean(case) for case_id, case in cases.items()} if gate else cases


RELEASED = "上次运行在发送前中断，未发出；按需重发，编号沿用"


def reserve_reminders(config: Config, now: datetime, open_cases: dict[str, dict], contacts: dict,
                      journal: Journal, calendar: WorkCalendar, dry_run: bool = False,
                      categories: tuple[str, ...] = CATEGORIES, gate: Gate | None = None) -> list:
    """The ladder: one digest per unit of its 预警/催办/督办 due now and not yet sent, composed,
    numbered and held in the ledger in one transaction (a dry run: composed only)."""
    settings, ladder = config.mail, config.reminders
    open_cases = _cleaned(open_cases, gate)
    sent = sent_stages(journal, open_cases.values())
    reminders = plan_reminders(open_cases.values(), now, calendar, ladder, sent, categories)
    if dry_run:
        return plan_reminder_mails(reminders, open_cases, contacts, settings, ladder, now,
                                   lambda unit, year: "（编号待定）")
    with journal.transaction():
        journal.release_owed(RELEASED)
        mails = plan_reminder_mails(reminders, open_cases, contacts, settings, ladder, now,
                                    escalation_numbering(journal, ladder))
        return reserve(mails, settings.mode, journal)


def deliver_mails(config: Config, mails: list, journal: Journal, day_folder: Path, gate: Gate) -> Dispatch:
    """The reminders `reserve_reminders` held, through the egress gate."""
    return _deliver(config, mails, journal, day_folder, False, gate)


def _owed_referrals(open_cases: dict[str, dict], journal: Journal, sent: set[tuple[str, str]]) -> dict[str, list]:
    """unit -> [(case_id, [letter, sheet])] for open cases whose referral mail is still owed."""
    latest = journal.latest_letters()
    out: dict[str, list] = {}
    for case_id, case in open_cases.items():
        files = latest.get((case_id, str(case.get(LETTER_NO) or "")))
        if files and (case_id, REFERRAL) not in sent and all(Path(p).exists() for p in files):
            out.setdefault(str(case.get(UNIT)), []).append((case_id, [Path(p) for p in files]))
    return out


def send_referrals(config: Config, now: datetime, open_cases: dict[str, dict], contacts: dict,
                   journal: Journal, day_folder: Path, dry_run: bool = False,
                   again: Iterable[str] = (), gate: Gate | None = None) -> Dispatch:
    """One mail per unit with the letters and sheets it has not been mailed yet; and, for the
    cases in `again` (general ones not acknowledged in time), the same once more."""
    open_cases = _cleaned(open_cases, gate)
    sent = sent_stages(journal, open_cases.values())
    mails = plan_referral_mails(_owed_referrals(open_cases, journal, sent), open_cases, contacts,
                                config.mail, now, sent)
    done_again = {(r.case_id, r.deadline) for r in journal.delivered() if r.stage == REFERRAL_AGAIN}
    latest = journal.latest_letters()
    owed: dict[str, list] = {}
    for case_id in again:
        case = open_cases.get(case_id)
        letter_no = str(case.get(LETTER_NO) or "") if case else ""
        files = latest.get((case_id, letter_no))
        if case and files and (case_id, letter_no) not in done_again and all(p.exists() for p in files):
            owed.setdefault(str(case.get(UNIT)), []).append((case_id, list(files)))
    mails += plan_referral_mails(owed, open_cases, contacts, config.mail, now, again=True)
    return _deliver(config, mails, journal, day_folder, dry_run, gate)


def send_notices(config: Config, now: datetime, owed: list[dict[str, Any]], cases: dict[str, dict],
                 contacts: dict, journal: Journal, day_folder: Path, dry_run: bool = False,
                 gate: Gate | None = None) -> Dispatch:
    """Every notice the journal owes a unit (撤回, 批复, 反馈表退回, 重新办理, 期限更正), once
    each: `owed` is Journal.owed_notices(), owed until the mail ledger holds a delivered mail.

    `cases`: register rows by case id for the notices' cases (any status: a withdrawn case
    is no longer open)."""
    latest = journal.latest_letters()
    cases = _cleaned(cases, gate)
    if gate:  # a unit's words quoted in the reason may name another case's reporter
        owed = [{**n, "detail": gate.safe(n.get("detail") or "")} for n in owed]
    mails = plan_notice_mails(owed, cases, contacts, config.mail, now,
                              lambda case_id, letter_no: latest.get((case_id, letter_no), ()))
    return _deliver(config, mails, journal, day_folder, dry_run, gate)


def contacts_of(config: Config, grid: list[list[Any]], now: datetime, started: date | None = None,
                bounced: dict[str, tuple[str, str]] | None = None) -> dict:
    """Who to write to, per unit, from the 联络人 sheet (as it will be after this run); an
    address that bounced (journal) is not written to again."""
    return without_bounced(effective_contacts(grid, config, now.date(), started), bounced or {})


def chase_changes(rows: Iterable[tuple[int, dict]], journal: Journal) -> list[CellChange]:
    """催办记录 cells that differ from what the mail log says was delivered.

    `rows`: (sheet row, values) of the cases to look at (the open ones; the log only grows
    for them)."""
    rows = [(number, values, str(values.get(CASE_ID) or "").strip()) for number, values in rows]
    logs = chase_logs(journal, [case_id for _, _, case_id in rows if case_id])
    out = []
    for number, values, case_id in rows:
        text = "\n".join(logs.get(case_id, ()))
        if text and as_text(values.get(CHASE_LOG)) != text:
            out.append(CellChange(number, case_id, CHASE_LOG, values.get(CHASE_LOG), text, "催办记录（邮件日志）"))
            values[CHASE_LOG] = text
    return out


def record_chases(config: Config, register: Register, journal: Journal, now: datetime,
                  case_ids: set[str]) -> int:
    """The hourly pass has no save of its own: write 催办记录 of `case_ids` in a small one.
    (Not kept in the cache: that would lengthen the moment, inside the journal's transaction,
    where the register is replaced and the journal does not yet say so.)"""
    rows = [(r.number, dict(r.values)) for r in register.rows if str(r.get(CASE_ID) or "").strip() in case_ids]
    changes = chase_changes(rows, journal)
    if not changes:
        return 0
    with journal.transaction():
        run_id = journal.start_run("催办记录", now)
        # Its digests, so the next run knows this write (an older copy saved over it, say).
        save_changes(register, changes, config.backup_folder, config.backup_keep, now,
                     before_commit=lambda digest, skipped: journal.set_digests(run_id, register.digest, digest))
        journal.record_changes(run_id, now, changes)
        journal.finish_run(run_id, "ok")
    return len(changes)
