"""The daily run: read the register, plan every change, then commit it by the protocol of
store/commit.py — reminders held in the mail ledger, the intent recorded in the journal, the
register replaced, the intent applied, the files moved — and only then send the mails. A run
that dies anywhere is finished by the next; nothing leaves before the register holds it.
"""

from __future__ import annotations

import os
import shutil
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable


from tipdesk.config import Config
from tipdesk.domain.arrivals import FetchReport
from tipdesk.domain.columns import CASE_ID, CATEGORY, CONTACTS_SHEET, OPEN_STATUSES, STATUS, UNIT
from tipdesk.domain.notices import REDO as REDO_NOTICE
from tipdesk.domain.textnorm import as_text
from tipdesk.intake import inbox
from tipdesk.intake.fetch import fetch_mail
from tipdesk.mail.dispatch import (
    HOURLY_CATEGORIES, chase_changes, contacts_of, deliver_mails, record_chases, reserve_reminders,
    send_notices, send_referrals,
)
from tipdesk.output import issuing
from tipdesk.output.summary import daily_summary, save_summary
from tipdesk.output.upward import staged_reports, upward_report
from tipdesk.output.views import view_edits, views_signature
from tipdesk.rules.acknowledge import hours_since, reply_acknowledgements, unacknowledged
from tipdesk.rules.plan import Plan, plan_register
from tipdesk.rules.archive import with_archived
from tipdesk.rules.contacts import unit_by_address
from tipdesk.store.egress import Gate, open_gate, register_gate
from tipdesk.store.commit import (
    DROPPED, InboxRecord, Intent, apply_intent, finish_files, finish_pending, notice_numbering,
    refuse_if_went_back,
)
from tipdesk.store.archive import archived_by_year, archived_rows
from tipdesk.store.aside import Aside
from tipdesk.store.cache import WorkbookCache
from tipdesk.store.journal import open_journal
from tipdesk.store.lock import workspace_lock
from tipdesk.store.register import (
    digest_of, keep_read, keep_written, read_register, refuse_if_open, save_changes,
)
from tipdesk.xlsx.package import column_letter

# The clerk's list of what the egress gate held back (DESIGN.md, "The whistleblower").
BLOCKED_HEADING = "出口拦截：含举报人身份信息，未发出"

# How far back units' reply mails count as 签收 (a case is answered well within this).
REPLY_WINDOW = timedelta(days=60)
STATS_SHEET = "统计"
STATS_MARK = "stats_day"
VIEWS_MARK = "views"


def stats_donor(rows: list, now: datetime, requests: dict, feedback: list, redone: list[str]) -> bytes:
    """The 统计 sheet (output.statsheet.stats_donor), from the journal's extension `requests`
    and this run's `feedback` and 退回重办 cases: the statistics and openpyxl load only on a
    run that rebuilds it, not on every run."""
    from tipdesk.output.statsheet import stats_donor as donor
    from tipdesk.rules.stats import requests_after

    return donor(rows, now, requests_after(requests, feedback, redone))


def _stats_due(config: Config, register, journal, plan: Plan, now: datetime) -> bool:
    """The managers' 统计 sheet and colours are made anew: with any change, and once a day;
    the drop-downs and print setup with them, and when config's lists change."""
    return bool(plan.changes or journal.mark(STATS_MARK) != f"{now:%Y-%m-%d}"
                or STATS_SHEET not in register.sheet_names or journal.mark(VIEWS_MARK) != views_signature(config))


def _stats_aside(config: Config, register, journal, plan: Plan, counted: list, now: datetime) -> Aside | None:
    """The 统计 sheet under way aside (store.aside) when this run will surely rebuild it; the
    journal is read here, the child only computes."""
    if not _stats_due(config, register, journal, plan, now):
        return None  # the day's rerun: nothing to rebuild, unless a chase changes the register
    import tipdesk.output.statsheet  # noqa: F401 - loaded once, before the fork (the parent needs it too)

    requests, redone = journal.requests(), [n.case_id for n in plan.notices if n.kind == REDO_NOTICE]
    return Aside(lambda: stats_donor(counted, now, requests, plan.feedback, redone))


@dataclass
class DailyResult:
    plan: Plan
    summary: str
    summary_path: Path | None      # 每日汇总.txt: every run of the day, this one first
    backup: Path | None
    skipped_formulas: set
    issued: list   # store.commit.IssuedRecord: the letters issued


def rows_by_id(register, plan: Plan, case_ids: set[str]) -> dict[str, dict]:
    """The rows of `case_ids` as this run leaves them (only those: 50,000 dicts cost seconds)."""
    if not case_ids:
        return {}
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
    cache = WorkbookCache(config.cache)
    with workspace_lock(config):
        refuse_if_open(config.register)
        journal = open_journal(config.journal)
        try:
            resumed = finish_pending(journal, config)
            register = read_register(config.register, cache)
            refuse_if_went_back(register, journal, now, tell=False)
            open_cases = {str(r.get(CASE_ID)).strip(): r.values for r in register.rows
                          if r.get(CASE_ID) and r.get(CATEGORY) in HOURLY_CATEGORIES and r.get(STATUS) in OPEN_STATUSES}
            contacts = contacts_of(config, register.sheets[CONTACTS_SHEET].grid
                                   if CONTACTS_SHEET in register.sheets else [], now, journal.first_run(),
                                   journal.bounced_addresses())
            gate = register_gate(config, register, f"{now:%Y-%m-%d}",
                                 archived_rows(archived_by_year(config.register, cache=cache)))
            # Held first, written into 催办记录, then sent: as in the daily run.
            reminders = reserve_reminders(config, now, open_cases, contacts, journal, calendar,
                                          categories=HOURLY_CATEGORIES, gate=gate)
            if not record_chases(config, register, journal, now, set(open_cases)):
                keep_read(register, cache)  # the next hour reads it from there
            mails = deliver_mails(config, reminders, journal, config.day_folder(now), gate)
        finally:
            journal.close()
    phone, _ = unacknowledged(open_cases.values(), now, calendar, config.acknowledge)
    lines = resumed + [f"{heading}：{'；'.join(items)}" for heading, items in mails.sections.items() if items]
    lines += [f"未签收：{c.get(CASE_ID)}（{c.get(UNIT)}，{c.get(CATEGORY)}类）交办已{hours_since(c, now)}小时仍未签收，"
              "请电话联系该单位。" for c in phone]
    lines += [f"出口拦截：{line}" for line in gate.lines]
    for line in lines:
        echo(line)
    return "；".join(lines) or "无需提醒"


def _clear_staging(config: Config, journal) -> None:
    """Letters a run rendered before it died short of its intent never reach the outbox; the
    staging of a run still to be finished (its outbox was full) is kept for the next try."""
    pending = {Intent.decode(run["intent"]).staging for run in journal.pending_runs()}
    for stale in config.outbox.glob(".staging-*"):
        if str(stale) not in pending:
            shutil.rmtree(stale, ignore_errors=True)


def run_daily(config: Config, now: datetime, dry_run: bool = False,
              echo: Callable[[str], None] = print, fetched: FetchReport | None = None,
              accept_register: bool = False) -> DailyResult:
    """`fetched`: the mailbox was just read (watch's hourly pass): shown, not read again.
    `accept_register`: rows the last run wrote are missing on purpose (store.commit)."""
    calendar = config.calendar()
    config.register.parent.mkdir(parents=True, exist_ok=True)
    cache = WorkbookCache(config.cache, readonly=dry_run)
    with workspace_lock(config), cache.writing_later():
        refuse_if_open(config.register)
        journal = open_journal(config.journal, readonly=dry_run)
        try:
            resumed = [] if dry_run else finish_pending(journal, config)
            register = read_register(config.register, cache)
            deleted = refuse_if_went_back(register, journal, now, accept_register)
            if not dry_run:
                _clear_staging(config, journal)
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
                                 journal.bounced_addresses(), archived_upstream=journal.archived_upstream())
            folder = config.day_folder(now)
            contacts = contacts_of(config, contacts_after(register, plan), now, started, journal.bounced_addresses())
            senders = sender_lines(arrivals, journal.fetched_senders(), contacts)
            if dry_run:
                return _dry_run(config, now, register, plan, contacts, journal, calendar, folder, arrivals, echo)
            # Everything that leaves from here on passes this gate: the identities of the register
            # as this run leaves it and of its archives.
            final = plan.final_rows(register)
            archives = archived_by_year(config.register, cache=cache)
            # Last year's archived cases: the 统计 sheet compares with the same span of last year.
            last_year = archives.get(now.year - 1)
            counted = with_archived(final, last_year.rows if last_year else [])
            with _stats_aside(config, register, journal, plan, counted, now) or nullcontext() as stats:
                gate = open_gate(config, [*final, *archived_rows(archives)], contacts_after(register, plan),
                                 f"{now:%Y-%m-%d}")
                committed = _commit(config, now, register, journal, plan, counted, arrivals, contacts, calendar,
                                    folder, gate, cache, stats)
            # The register as written is kept aside while the mail goes out (the letters'
            # worker processes are gone by now: nothing else runs when the child is forked).
            cache.write_deferred()
            if committed.backup is None:  # not written: kept as it is, for the day's next run
                keep_read(register, cache)
            reminded = deliver_mails(config, committed.reminders, journal, folder, gate)
            referred = send_referrals(config, now, plan.open_cases, contacts, journal, folder,
                                      again=plan.refer_again, gate=gate)
            owed = journal.owed_notices()
            noticed = send_notices(config, now, owed, rows_by_id(register, plan, {n["case_id"] for n in owed}),
                                   contacts, journal, folder, gate=gate)
        finally:
            journal.close()
    skipped = committed.skipped
    extra = {"台账提示": register.notes, "收件箱：未读取的文件夹": inbox.stray_folders(config),
             "补完上次中断的运行": resumed, "已从台账删除的案件": deleted, **fetched.sections(), "邮箱收件：发件地址与承办单位不符": senders,
             **inbox.summary_lines(arrivals), "收件箱：未能移出": committed.not_settled,
             "交办单和反馈表": issuing.describe(committed.letters, config.outbox),
             "上报上级（办理结果）": [f"{p.relative_to(config.outbox)}（{len(plan.upward[s])}件）"
                               for s, p in committed.reported],
             "未能放入发件箱（下次运行再试）": committed.not_published}
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
    return DailyResult(plan, summary, summary_path, committed.backup, skipped, committed.letters)


def _dry_run(config, now, register, plan, contacts, journal, calendar, folder, arrivals, echo) -> DailyResult:
    planned = [m.describe() for m in reserve_reminders(config, now, plan.open_cases, contacts, journal,
                                                       calendar, dry_run=True)]
    planned += send_referrals(config, now, plan.open_cases, contacts, journal, folder, dry_run=True).planned
    extra = {"台账提示": register.notes, "收件箱：未读取的文件夹": inbox.stray_folders(config),
             **inbox.summary_lines(arrivals), "将发送的邮件（不含今天新交办的）": planned,
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


@dataclass
class Committed:
    reminders: list
    backup: Path | None = None
    skipped: set = field(default_factory=set)
    letters: list = field(default_factory=list)
    reported: list = field(default_factory=list)
    not_settled: list[str] = field(default_factory=list)
    not_published: list[str] = field(default_factory=list)


def _commit(config: Config, now: datetime, register, journal, plan: Plan, final: list, arrivals: list,
            contacts: dict, calendar, folder: Path, gate: Gate, cache: WorkbookCache,
            stats: Aside | None = None) -> Committed:
    """The commit protocol (store/commit.py): reminders held, intent recorded, register
    replaced, intent applied, files moved. `final`: every case row as the run leaves it (and
    last year's archived ones), for the 统计 sheet, which `stats` may have under way. What it
    raises leaves the register as it was, or a journal intent the next run finishes."""
    # The upward reports are built before the save: 上报时间 is written only with them ready.
    reports = {source: upward_report(source, [gate.clean(r) for r in rows], config.centre, now)
               for source, rows in plan.upward.items()}
    staging = config.outbox / f".staging-{now:%Y%m%d-%H%M%S}-{os.getpid()}"
    intent: list[Intent] = []
    written: list[str] = []  # the digest of the new register, once recorded
    keep_staging = False
    try:
        # Letters render while the rest goes on; the register is replaced only once they all
        # exist, so a broken template still leaves the register untouched.
        with issuing.Rendering(plan.referred, config, now, staging, gate) as rendering:
            done = Committed(reserve_reminders(config, now, plan.open_cases, contacts, journal, calendar, gate=gate))
            plan.changes += chase_changes(
                [(n, v) for n, v in plan.edited.items() if v.get(CASE_ID) in plan.open_cases], journal)
            run_id = journal.start_run("daily", now)
            views = views_signature(config)
            fresh = _stats_due(config, register, journal, plan, now)

            def donor() -> bytes:
                # Asked for only once the register's rows are patched: on a large register the
                # child working it out (_stats_aside) is not done before then.
                return stats.result() if stats else stats_donor(
                    final, now, journal.requests(), plan.feedback,
                    [n.case_id for n in plan.notices if n.kind == REDO_NOTICE])

            edits = []
            if fresh:
                from tipdesk.output.statsheet import register_edits

                edits = register_edits(donor) + view_edits(config)

            def record_intent(digest: str, skipped: set) -> None:
                letters, ops = issuing.publish_ops(rendering.wait(), staging, folder, gate)
                done.reported, report_ops = staged_reports(reports, staging, folder, now, gate)
                intent.append(Intent(
                    as_text(now), {"case": plan.numbers, "letter": plan.letter_numbers},
                    {STATS_MARK: f"{now:%Y-%m-%d}", VIEWS_MARK: views} if fresh else {},
                    [c for c in plan.changes if (c.sheet, c.row, register.sheets[c.sheet].columns[c.column]) not in skipped],
                    plan.feedback, plan.notices, plan.states, letters,
                    [InboxRecord(a.digest, a.path.name, a.kind, a.outcome, a.error) for a in arrivals],
                    ops + report_ops + inbox.settle_ops(arrivals, config, now, gate), str(staging)))
                done.skipped, done.letters = skipped, letters
                encoded = intent[0].encode()
                journal.record_intent(run_id, encoded, register.digest, digest)
                written.append(digest)
                # From here on the run applies what it recorded, as a next run would after a crash.
                intent[0] = Intent.decode(encoded)

            try:
                done.backup, _ = save_changes(register, plan.changes, config.backup_folder,
                                              config.backup_keep, now, edits, record_intent, cache)
                if not intent:  # nothing to change in the register: the journal and files still
                    record_intent(register.digest, set())
            except BaseException:
                if written and digest_of(config.register) == written[0]:
                    keep_staging = True  # replaced after all: the next run finishes it
                else:
                    with suppress(Exception):  # a full disk: the next run drops it just the same
                        journal.finish_run(run_id, DROPPED)
                raise
        keep_staging = True
        if done.backup:
            journal.set_backup_after(run_id, str(keep_written(config.register, config.backup_folder, now)))
        apply_intent(journal, run_id, intent[0], notice_numbering(journal, config))
        failed = finish_files(journal, run_id, intent[0])
        keep_staging = any(op.source.startswith(str(staging)) for op, _ in failed)
        done.not_settled = inbox.not_settled(failed, config)
        done.not_published = [f"{Path(op.target).name}：{why}" for op, why in failed
                              if op.source.startswith(str(staging))]
    finally:
        if not keep_staging:
            shutil.rmtree(staging, ignore_errors=True)
    return done
