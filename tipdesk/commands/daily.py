"""The daily run: read the register, plan every change, then commit it all or nothing.

Order of the commit: the journal transaction opens; the register is written (backup, temp
file, verify, atomic replace); the journal records the numbers used and each cell changed and
commits; then the summary is saved. A failure before the replace leaves register and journal
as they were; a crash between replace and journal commit loses only the audit lines, never a
number (used numbers are also read back from the register).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable


from tipdesk.intake import inbox
from tipdesk.intake.fetch import FetchReport, fetch_mail, unit_by_address
from tipdesk.domain.notices import REDO as REDO_NOTICE
from tipdesk.output import issuing
from tipdesk.output.upward import FOLDER as UPWARD_FOLDER
from tipdesk.output.upward import file_name as upward_file_name
from tipdesk.output.upward import upward_report
from tipdesk.config import Config
from tipdesk.mail.dispatch import (
    HOURLY_CATEGORIES, chase_changes, contacts_of, record_chases, send_notices, send_referrals,
    send_reminders,
)
from tipdesk.store.journal import open_journal
from tipdesk.domain.textnorm import as_text
from tipdesk.domain.columns import CASE_ID, CATEGORY, CONTACTS_SHEET, STATUS
from tipdesk.domain.columns import OPEN_STATUSES
from tipdesk.rules.plan import Plan, plan_register
from tipdesk.store.register import read_register, refuse_if_open, save_changes
from tipdesk.output.statsheet import register_edits
from tipdesk.output.summary import daily_summary, save_summary
from tipdesk.output.views import view_edits, views_signature
from tipdesk.xlsx.package import column_letter
from tipdesk.store.lock import workspace_lock
from tipdesk.rules.stats import requests_after
from tipdesk.rules.acknowledge import hours_since, reply_acknowledgements, unacknowledged
from tipdesk.domain.columns import UNIT
from tipdesk.store.egress import Gate, open_gate, register_gate

# The clerk's list of what the egress gate held back (DESIGN.md, "The whistleblower").
BLOCKED_HEADING = "出口拦截：含举报人身份信息，未发出"

# How far back units' reply mails count as 签收 (a case is answered well within this).
REPLY_WINDOW = timedelta(days=60)
STATS_SHEET = "统计"
STATS_MARK = "stats_day"
NOTICE_SEQUENCE = "notice"
VIEWS_MARK = "views"


@dataclass
class DailyResult:
    plan: Plan
    summary: str
    summary_path: Path | None      # 每日汇总.txt: every run of the day, this one first
    backup: Path | None
    skipped_formulas: set
    issued: list[issuing.IssuedDocuments]


def write_upward_reports(reports: dict[str, bytes], folder: Path, now: datetime, gate: Gate) -> list[tuple[str, Path]]:
    """outbox/DATE/上报/<centre>-办理结果上报-….xlsx, each written whole or not at all, and
    only past the gate."""
    out = []
    for source, data in sorted(reports.items()):
        target = gate.write(folder / UPWARD_FOLDER / upward_file_name(source, now), data,
                            fix="改好后清空这些案件的“上报时间”，下次运行会重新上报")
        if target:
            out.append((source, target))
    return out


def notice_numbering(journal, config: Config) -> Callable[[int], str]:
    """The next number of the centre's letters to units (撤回, 批复, 重新办理), yearly."""
    def number(year: int) -> str:
        n = journal.last_number(NOTICE_SEQUENCE, year) + 1
        journal.set_last_number(NOTICE_SEQUENCE, year, n)
        return config.notice_number.format(year=year, n=n)
    return number


def rows_by_id(register, plan: Plan, case_ids: set[str]) -> dict[str, dict]:
    """The rows of `case_ids` as this run leaves them (only those: 50,000 dicts cost seconds)."""
    out = {}
    for row in register.rows:
        case_id = str(row.get(CASE_ID) or "").strip()
        if case_id in case_ids:
            out[case_id] = plan.edited.get(row.number) or row.values
    return out


def describe_changes(plan: Plan) -> list[str]:
    return [f"{c.case_id or f'第{c.row}行'} {c.column}：“{as_text(c.old) or ''}” → “{as_text(c.new) or ''}”（{c.why}）"
            for c in plan.changes]


def contacts_after(register, plan: Plan) -> list[list]:
    """The 联络人 sheet as it will be after this run (liaison forms, office defaults applied)."""
    sheet = register.sheets.get(CONTACTS_SHEET)
    if sheet is None:
        return []
    grid = [list(row) for row in sheet.grid]
    for change in plan.changes:
        if change.sheet == CONTACTS_SHEET:
            while len(grid) < change.row:
                grid.append([])
            row, col = grid[change.row - 1], sheet.columns[change.column]
            row.extend([""] * (col - len(row)))
            row[col - 1] = change.new
    return grid


def _header_of(register, sheet: str, column: int) -> str:
    return next((name for name, col in register.sheets[sheet].columns.items() if col == column), "")


def _contacts_now(config: Config, register, now: datetime) -> dict:
    sheet = register.sheets.get(CONTACTS_SHEET)
    return contacts_of(config, sheet.grid if sheet else [], now)


def sender_lines(arrivals: list, senders: dict[str, str], contacts: dict) -> list[str]:
    """A feedback sheet that came by mail from an address not its unit's (联络人): still read,
    but the clerk is told."""
    out = []
    for arrival in arrivals:
        sender = senders.get(str(arrival.path))
        if not sender:
            continue
        for item in arrival.items:
            case_unit = str(getattr(item, "unit", "") or "").strip()
            if not case_unit or not hasattr(item, "case_id"):
                continue
            unit = unit_by_address(contacts, sender)
            if unit != case_unit:
                who = f"是{unit}的邮箱" if unit else "不在联络人中"
                out.append(f"{arrival.path.name}（{item.case_id}，{case_unit}）由 {sender} 发来，该地址{who}；"
                           f"表格已照常读取，请核实是否为{case_unit}报送")
    return out


def run_hourly(config: Config, now: datetime, echo: Callable[[str], None] = print) -> str:
    """The hourly pass of `watch`: units' replies from the mailbox first (when any came, the
    whole daily run takes them, so an urgent case answered at 15:00 closes within the hour),
    then reminders for 紧急 and 事故 deadlines only."""
    if config.mail.imap.enabled:
        with workspace_lock(config):
            register = read_register(config.register)
            journal = open_journal(config.journal)
            try:
                fetched = fetch_mail(config, journal, now, _contacts_now(config, register, now))
            finally:
                journal.close()
        for line in fetched.lines():
            echo(line)
        if fetched.anything or inbox.inbox_files(config):
            return "收到单位邮件，已运行每日处理：" + run_daily(config, now, echo=echo, fetched=fetched).summary.splitlines()[2]
    calendar = config.calendar()
    with workspace_lock(config):
        refuse_if_open(config.register)
        register = read_register(config.register)
        open_cases = {str(r.get(CASE_ID)).strip(): r.values for r in register.rows
                      if r.get(CASE_ID) and r.get(CATEGORY) in HOURLY_CATEGORIES and r.get(STATUS) in OPEN_STATUSES}
        journal = open_journal(config.journal)
        try:
            contacts = contacts_of(config, register.sheets[CONTACTS_SHEET].grid
                                   if CONTACTS_SHEET in register.sheets else [], now, journal.first_run(),
                                   journal.bounced_addresses())
            gate = register_gate(config, register, f"{now:%Y-%m-%d}")
            mails = send_reminders(config, now, open_cases, contacts, journal, calendar,
                                   config.day_folder(now), categories=HOURLY_CATEGORIES, gate=gate)
            record_chases(config, register, journal, now, set(open_cases))
        finally:
            journal.close()
    phone, _ = unacknowledged(open_cases.values(), now, calendar, config.acknowledge)
    lines = [f"{heading}：{'；'.join(items)}" for heading, items in mails.sections.items() if items]
    lines += [f"未签收：{c.get(CASE_ID)}（{c.get(UNIT)}，{c.get(CATEGORY)}类）交办已{hours_since(c, now)}小时仍未签收，"
              "请电话联系该单位。" for c in phone]
    lines += [f"出口拦截：{line}" for line in gate.lines]
    for line in lines:
        echo(line)
    return "；".join(lines) or "无需提醒"


def run_daily(config: Config, now: datetime, dry_run: bool = False,
              echo: Callable[[str], None] = print, fetched: FetchReport | None = None) -> DailyResult:
    """`fetched`: the mailbox was just read (watch's hourly pass): shown, not read again."""
    calendar = config.calendar()
    config.register.parent.mkdir(parents=True, exist_ok=True)
    with workspace_lock(config):
        refuse_if_open(config.register)
        if not dry_run:
            # Letters a run rendered before it died (power cut) never reached the outbox.
            for stale in config.outbox.glob(".staging-*"):
                shutil.rmtree(stale, ignore_errors=True)
        register = read_register(config.register)
        journal = open_journal(config.journal, readonly=dry_run)
        try:
            # First the units' replies from the centre's mailbox (mail.imap): into the inbox.
            if fetched is None:
                fetched = FetchReport() if dry_run else fetch_mail(config, journal, now,
                                                                   _contacts_now(config, register, now))
            arrivals = inbox.collect(config, now, journal.inbox_seen())
            started = journal.first_run() or now.date()
            plan = plan_register(register, config, calendar, now, journal.last_numbers("case"),
                                 journal.case_states(), journal.last_numbers("letter"), arrivals,
                                 journal.issued_sheets(), journal.answered_cases(), started,
                                 reply_acknowledgements(journal.replies(now - REPLY_WINDOW), config.case_prefix,
                                                        *journal.sent_references()),
                                 journal.bounced_addresses())
            folder = config.day_folder(now)
            contacts = contacts_of(config, contacts_after(register, plan), now, started, journal.bounced_addresses())
            senders = sender_lines(arrivals, journal.fetched_senders(), contacts)
            if dry_run:
                planned = send_reminders(config, now, plan.open_cases, contacts, journal, calendar,
                                         folder, dry_run=True).planned
                planned += send_referrals(config, now, plan.open_cases, contacts, journal, folder,
                                          dry_run=True).planned
                extra = {**inbox.summary_lines(arrivals), "将发送的邮件（不含今天新交办的）": planned,
                         "将发出的通知": [f"{n.unit}【{n.kind}】{n.case_id}" for n in plan.notices]}
                summary = daily_summary(plan, now, extra, dry_run=True)
                echo("计划修改：" if plan.changes else "台账无需修改。")
                for line in describe_changes(plan):
                    echo("  " + line)
                if plan.referred:
                    echo("将生成交办单和反馈表：")
                    for line in issuing.planned_paths(plan.referred, folder):
                        echo("  " + line)
                echo(summary)
                return DailyResult(plan, summary, None, None, set(), [])
            # Everything that leaves from here on passes this gate (the register as this run leaves it).
            gate = open_gate(config, plan.final_rows(register), contacts_after(register, plan), f"{now:%Y-%m-%d}")
            # The upward reports are built before the save: 上报时间 is written only with them ready.
            reports = {source: upward_report(source, [gate.clean(r) for r in rows], config.centre, now)
                       for source, rows in plan.upward.items()}
            staging = config.outbox / f".staging-{now:%Y%m%d-%H%M%S}-{os.getpid()}"
            try:
                # Letters render while the rest goes on; the register is replaced only once they
                # all exist, so a broken template still leaves the register untouched.
                with issuing.Rendering(plan.referred, config, now, staging, gate) as rendering:
                    reminded = send_reminders(config, now, plan.open_cases, contacts, journal, calendar, folder,
                                              gate=gate)
                    plan.changes += chase_changes(
                        [(n, v) for n, v in plan.edited.items() if v.get(CASE_ID) in plan.open_cases], journal)
                    with journal.transaction():
                        run_id = journal.start_run("daily", now)
                        for name, numbers in (("case", plan.numbers), ("letter", plan.letter_numbers)):
                            for year, last in numbers.items():
                                journal.set_last_number(name, year, last)
                        # The managers' 统计 sheet and colours: with any change, and once a day;
                        # the drop-downs and print setup with them, and when config's lists change.
                        views = views_signature(config)
                        fresh = (plan.changes or journal.mark(STATS_MARK) != f"{now:%Y-%m-%d}"
                                 or STATS_SHEET not in register.sheet_names or journal.mark(VIEWS_MARK) != views)
                        edits = (register_edits(plan.final_rows(register), now, requests_after(journal.requests(), plan.feedback,
                                                                [n.case_id for n in plan.notices if n.kind == REDO_NOTICE]))
                                 + view_edits(config) if fresh else [])
                        saved, skipped = save_changes(register, plan.changes, config.backup_folder,
                                                      config.backup_keep, now, edits, rendering.wait)
                        if fresh:
                            journal.set_mark(STATS_MARK, f"{now:%Y-%m-%d}")
                            journal.set_mark(VIEWS_MARK, views)
                        applied = [c for c in plan.changes
                                   if (c.sheet, c.row, register.sheets[c.sheet].columns[c.column]) not in skipped]
                        journal.record_changes(run_id, now, applied)
                        journal.record_feedback(run_id, plan.feedback)
                        journal.record_notices(run_id, now, plan.notices, notice_numbering(journal, config))
                        journal.save_case_states(plan.states)
                        issued = issuing.publish(rendering.wait(), staging, folder, gate)
                        reported = write_upward_reports(reports, folder, now, gate)
                        journal.record_letters(issued, now)
                        journal.record_inbox(arrivals, now)
                        journal.finish_run(run_id, "ok")
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            # Only now that the register holds what they caused do the files leave the inbox.
            inbox.settle(arrivals, config, now, gate)
            referred = send_referrals(config, now, plan.open_cases, contacts, journal, folder,
                                      again=plan.refer_again, gate=gate)
            owed = journal.owed_notices()
            noticed = send_notices(config, now, owed, rows_by_id(register, plan, {n["case_id"] for n in owed}),
                                   contacts, journal, folder, gate=gate)
        finally:
            journal.close()
    extra = {**fetched.sections(), "邮箱收件：发件地址与承办单位不符": senders,
             **inbox.summary_lines(arrivals), "交办单和反馈表": issuing.describe(issued, config.outbox),
             "上报上级（办理结果）": [f"{p.relative_to(config.outbox)}（{len(plan.upward[s])}件）" for s, p in reported]}
    for heading, lines in (*reminded.sections.items(), *referred.sections.items(), *noticed.sections.items()):
        extra[heading] = extra.get(heading, []) + lines
    if skipped:
        extra["未覆盖的公式单元格"] = [
            f"工作表“{sheet}”单元格 {column_letter(c)}{r}（{_header_of(register, sheet, c)}）是公式，"
            f"tipdesk 不覆盖公式；请改为数值后重跑" for sheet, r, c in sorted(skipped)]
    extra[BLOCKED_HEADING] = gate.lines
    summary = daily_summary(plan, now, extra)
    summary_path, _ = save_summary(folder, now, summary, gate)
    echo(summary)
    return DailyResult(plan, summary, summary_path, saved, skipped, issued)
