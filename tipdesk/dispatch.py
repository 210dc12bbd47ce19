"""The mail step of a run: referral mails, the reminder ladder, and 催办记录 in the register.

It runs after the register is saved (a letter number must be in the register before any unit
sees it) and outside the journal transaction (each mail is recorded as it goes). What was
delivered then goes into 催办记录 by a second, small save, so the register records only what
was sent; a run that dies in between is mended by the next run's plan (see `chase_texts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from tipdesk.calendar import WorkCalendar
from tipdesk.columns import (
    ACCIDENT, CASE_ID, CHASE_LOG, CONTACTS_SHEET, LETTER_NO, UNIT, URGENT,
)
from tipdesk.config import Config
from tipdesk.contacts import effective_contacts
from tipdesk.journal import Journal, as_text
from tipdesk.delivery import chase_log_lines, deliver, ensure_schema, escalation_numbering, sent_stages
from tipdesk.mail import REFERRAL, mail_settings, plan_referral_mails, plan_reminder_mails
from tipdesk.register import CellChange, read_register, save_changes
from tipdesk.reminders import ladder_settings, plan_reminders

HOURLY_CATEGORIES = (URGENT, ACCIDENT)


@dataclass
class Dispatch:
    sections: dict[str, list[str]] = field(default_factory=dict)
    planned: list[str] = field(default_factory=list)   # dry run: what would go out


def chase_texts(db) -> dict[str, str]:
    """催办记录 of every case that has had a reminder delivered, from the mail log."""
    ensure_schema(db)
    ids = [r[0] for r in db.execute("SELECT DISTINCT case_id FROM mails WHERE stage != ?", (REFERRAL,))]
    texts = {case_id: "\n".join(chase_log_lines(db, case_id)) for case_id in ids}
    return {k: v for k, v in texts.items() if v}


def _referrals(open_cases: dict[str, dict], db, sent: set[tuple[str, str]]) -> dict[str, list]:
    """unit -> [(case_id, [letter, sheet])] for open cases whose referral mail is still owed."""
    rows = db.execute("SELECT case_id, letter_no, letter_path, sheet_path FROM letters ORDER BY issued_at")
    latest = {}
    for case_id, letter_no, letter, sheet in rows:
        latest[(case_id, letter_no)] = (letter, sheet)
    out: dict[str, list] = {}
    for case_id, case in open_cases.items():
        files = latest.get((case_id, str(case.get(LETTER_NO) or "")))
        if files and (case_id, REFERRAL) not in sent and all(Path(p).exists() for p in files):
            out.setdefault(str(case.get(UNIT)), []).append((case_id, [Path(p) for p in files]))
    return out


def dispatch(config: Config, now: datetime, open_cases: dict[str, dict], contacts_grid: list[list[Any]],
             journal: Journal, calendar: WorkCalendar, day_folder: Path, dry_run: bool = False,
             categories: tuple[str, ...] | None = None) -> Dispatch:
    """Plan and deliver this run's mails; `categories` narrows to the hourly urgent check."""
    settings, ladder = mail_settings(config), ladder_settings(config.raw)
    contacts = effective_contacts(contacts_grid, config, now.date())
    if not dry_run:
        ensure_schema(journal.db)
    sent = sent_stages(journal.db, open_cases.values())
    mails = []
    if categories is None:
        mails += plan_referral_mails(_referrals(open_cases, journal.db, sent), open_cases, contacts,
                                     settings, now, sent)
    reminders = plan_reminders(open_cases.values(), now, calendar, ladder, sent,
                               categories or ("紧急", "一般", "事故"))
    number = (lambda unit, year: "（编号待定）") if dry_run else escalation_numbering(journal, ladder)
    mails += plan_reminder_mails(reminders, open_cases, contacts, settings, ladder, now, number)
    if dry_run:
        return Dispatch(planned=[m.describe() for m in mails])
    report = deliver(mails, settings, journal.db, day_folder)
    return Dispatch(sections=report.sections())


def chase_changes(rows: list, texts: dict[str, str]) -> list[CellChange]:
    """催办记录 cells that differ from the mail log (pure)."""
    out = []
    for row in rows:
        case_id = str(row.get(CASE_ID) or "").strip()
        text = texts.get(case_id)
        if text and as_text(row.get(CHASE_LOG)) != text:
            out.append(CellChange(row.number, case_id, CHASE_LOG, row.get(CHASE_LOG), text, "催办记录（邮件日志）"))
    return out


def record_chases(config: Config, journal: Journal, now: datetime) -> int:
    """Write what the mail log says was delivered into 催办记录; returns cells changed."""
    register = read_register(config.register)
    changes = chase_changes(register.rows, chase_texts(journal.db))
    if not changes:
        return 0
    with journal.transaction():
        run_id = journal.start_run("催办记录", now)
        save_changes(register, changes, config.backup_folder, config.backup_keep, now)
        journal.record_changes(run_id, now, changes)
        journal.finish_run(run_id, "ok")
    return len(changes)


def contacts_grid(config: Config) -> list[list[Any]]:
    from tipdesk.register import read_grid

    try:
        grid, _ = read_grid(config.register, CONTACTS_SHEET)
    except Exception:  # no 联络人 sheet: every unit falls back to its office contact
        return []
    return grid



