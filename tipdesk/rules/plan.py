"""Decide what the daily run changes in the register; no I/O, so every rule is testable alone.

For each row, in sheet order: make typed dates real dates, number new cases, propose a
category, find the area, industry and unit, refer the case with its deadline, notice what
the clerk changed since the last run, and keep 是否超期 true. A row is never dropped or
reordered; what cannot be handled is noted in 备注 and in the clerk's summary.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tipdesk.domain import notes as N
from tipdesk.domain.notes import (
    NOTE_BAD_VALUE, NOTE_CATEGORY, NOTE_DUPLICATE, NOTE_EXTENSION, NOTE_INCOMPLETE,
    NOTE_POSSIBLE_DUPLICATE, NOTE_RETURN, NOTE_ROUTED, NOTE_UNASSIGNED,
)
from tipdesk.rules.apply import apply_acknowledgements, apply_arrivals
from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import (
    ADDRESS, AREA, CASE_ID, CONTACTS_SHEET, REGISTER_SHEET, CATEGORIES, CATEGORY, CLOSED, CONTENT, DATE_COLUMNS, DEADLINE,
    EXTENSION_REQUESTED, FEEDBACK_AT, INDUSTRY, LETTER_NO, NO, NOTES, OVERDUE, RECEIVED_AT, REFERRED,
    REFERRED_AT, REPORTER, REPORTER_CONTACT, RETURN_REQUESTED, STATUS, STATUSES, SUBJECT, UNASSIGNED, UNIT,
    UPSTREAM_DEADLINE, VAGUE_PLACES, YES,
)
from tipdesk.config import Config
from tipdesk.rules.deadlines import deadline_for, is_overdue
from tipdesk.domain.textnorm import as_text
from tipdesk.rules.contacts import contact_rows, default_office_values
from tipdesk.domain.redact import redact_case
from tipdesk.domain.rows import CellChange, Register, Row
from tipdesk.rules.routing import Decision, given, infer_area, infer_industry, propose_category, route
from tipdesk.domain.textnorm import parse_when
from tipdesk.domain.columns import LIAISON_DEFAULTED, LIAISON_RETURNED
from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.domain.columns import IN_PROGRESS
from tipdesk.domain.notes import NOTE_DEADLINE_CORRECTED
from tipdesk.domain.columns import OPEN_STATUSES
from tipdesk.domain.columns import ACKNOWLEDGED_AT, CLOSED_WITHOUT_REFERRAL, MERGED, REDO
from tipdesk.domain.notices import REDO as REDO_NOTICE
from tipdesk.domain.notices import CATEGORY_CHANGE, CORRECTION, EXTENSION_REPLY, GRANTED, Notice, REFUSED, RETURN_REPLY, WITHDRAWAL
from tipdesk.domain.columns import RESULT, VERIFIED
from tipdesk.rules.acknowledge import hours_since, unacknowledged
from tipdesk.rules.archive import archivable_years
from tipdesk.domain.columns import CALLED_BACK_AT, CALL_BACK_RESULT, REPORTED_UP_AT, SOURCE, UPSTREAM_NO, UPSTREAM_SOURCES
from tipdesk.domain.columns import SOURCES, normal_category
from tipdesk.domain.notes import NOTE_DATE, NOTE_SOURCE
from tipdesk.rules.dates import impossible_dates, moment as _when
from tipdesk.domain.launcher import RUN
from tipdesk.rules.contacts import split_emails


@dataclass
class Finding:
    """One line of the clerk's summary."""

    kind: str        # new | referred | corrected | clerk | unassigned | overdue | due_soon | warning
    case: str
    text: str
    candidates: tuple[str, ...] = ()  # unassigned: the units routing hesitated between


@dataclass
class Plan:
    changes: list[CellChange] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    numbers: dict[int, int] = field(default_factory=dict)   # year -> last case number used
    letter_numbers: dict[int, int] = field(default_factory=dict)  # year -> last 交办文号 used
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    referred: list[dict[str, Any]] = field(default_factory=list)  # rows referred this run (final values)
    open_cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> final values
    edited: dict[int, dict[str, Any]] = field(default_factory=dict)  # sheet row -> final values
    new_rows: list[dict[str, Any]] = field(default_factory=list)     # rows added (forwarded cases)
    feedback: list[FeedbackEvent] = field(default_factory=list)  # sheets applied, for the journal
    notices: list[Notice] = field(default_factory=list)  # decisions to tell units of (journal, then mail)
    refer_again: list[str] = field(default_factory=list)  # general cases not acknowledged in time
    upward: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # 来源 -> results to report (上报)

    def final_rows(self, register: Register) -> list[Any]:
        """Every case row as it will be after this run, for the statistics: things with
        `.get(column)`; untouched rows stay lazy Rows (building 50,000 dicts costs seconds)."""
        return [self.edited[r.number] if r.number in self.edited else r
                for r in register.rows] + self.new_rows

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


class _RowEdit:
    """A working copy of one row that records each change with its reason."""

    def __init__(self, row: Row, plan: Plan):
        self.row, self.plan = row, plan
        self.values = dict(row.values)
        # Set when this run computed the deadline: its rule and the calendar it counted on.
        self.deadline_rule: str | None = None
        self.deadline_basis: str | None = None
        self.fed_back = False  # a feedback sheet was applied to this row this run

    @property
    def label(self) -> str:
        return str(self.values.get(CASE_ID) or f"第{self.row.number}行")

    def get(self, column: str) -> Any:
        return self.values.get(column)

    def text(self, column: str) -> str:
        value = self.values.get(column)
        return "" if value is None else str(value).strip()

    def set(self, column: str, new: Any, why: str) -> None:
        old = self.values.get(column)
        if as_text(old) == as_text(new):
            return
        self.values[column] = new
        self.plan.changes.append(CellChange(self.row.number, str(self.values.get(CASE_ID) or ""),
                                            column, old, new, why))

    def shown(self, column: str) -> str:
        """A value as the summary may show it: the summary leaves the centre, the reporter not."""
        case = {c: self.values.get(c) for c in (REPORTER, REPORTER_CONTACT)}
        return str(redact_case({**case, column: self.text(column)})[column])

    def note(self, key: str, text: str | None) -> None:
        current = self.values.get(NOTES)
        if text is None and (not current or N.OPEN + key not in str(current)):
            return  # nothing to remove: skip the regex work (most rows, every run)
        self.set(NOTES, N.with_note(self.get(NOTES), key, text), f"备注：{key}")

    def find(self, kind: str, text: str, candidates: tuple[str, ...] = ()) -> None:
        self.plan.findings.append(Finding(kind, self.label, text, candidates))


def _fmt(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "—"


# What _settled reads of each row, in this order (the date columns last).
_SETTLED_COLUMNS = (STATUS, OVERDUE, SOURCE, REPORTED_UP_AT, CASE_ID, *DATE_COLUMNS)


class Planner:
    def __init__(self, config: Config, calendar: WorkCalendar, now: datetime,
                 last_numbers: dict[int, int], states: dict[str, dict[str, Any]],
                 last_letter_numbers: dict[int, int] | None = None, started: date | None = None):
        self.config, self.calendar, self.now = config, calendar, now
        self.started = started or now.date()  # the desk's first run: this one, for a new desk
        self.last_numbers = dict(last_numbers)
        self.last_letters = dict(last_letter_numbers or {})
        self.states = states
        self.archived_upstream: set[str] = set()
        self.plan = Plan()

    # ---- edits other steps make before the row plan (the inbox) -------------------------
    def edit_for(self, row: Row) -> _RowEdit:
        """The one working copy of `row` for this run."""
        edit = self.edits.get(row.number)
        if edit is None:
            edit = self.edits[row.number] = _RowEdit(row, self.plan)
        return edit

    def contact_row(self, unit: str) -> int:
        """The 联络人 sheet row of `unit` (by name or alias), or a new row at the bottom."""
        sheet = self.register.sheets[CONTACTS_SHEET]
        column = sheet.columns["单位"] - 1
        for number, values in enumerate(sheet.grid[1:], start=2):
            name = str(values[column] if column < len(values) else "").strip()
            found = self.config.unit_named(name) if name else None
            if found and found.name == unit:
                return number
        if unit not in self._new_contacts:
            self._new_contacts[unit] = len(sheet.grid) + 1 + len(self._new_contacts)
        return self._new_contacts[unit]

    def set_contact(self, number: int, values: dict[str, Any], why: str) -> None:
        sheet = self.register.sheets[CONTACTS_SHEET]
        current = sheet.grid[number - 1] if number - 1 < len(sheet.grid) else []
        for column, new in values.items():
            index = sheet.columns[column] - 1
            old = current[index] if index < len(current) else None
            old = None if old == "" else old
            if as_text(old) != as_text(new):
                self.plan.changes.append(CellChange(number, str(values.get("单位") or ""), column, old, new,
                                                    why, CONTACTS_SHEET))

    def _bounce_marks(self, bounced: dict[str, tuple[str, str]]) -> None:
        """联络人: a unit whose address bounced gets a line in 邮箱状态 (added after the last
        column when missing) until the clerk corrects the address; mail to it goes on paper."""
        sheet = self.register.sheets.get(CONTACTS_SHEET)
        if sheet is None or not sheet.grid:
            return
        marked = MAIL_STATE in sheet.columns
        if not bounced and not marked:
            return
        address_columns = [c for c in ("电子邮箱", "科长邮箱", "分管领导邮箱") if c in sheet.columns]
        for number, values in enumerate(sheet.grid[1:], start=2):
            cells = {c: (values[sheet.columns[c] - 1] if sheet.columns[c] - 1 < len(values) else "") for c in
                     address_columns + ([MAIL_STATE] if marked else [])}
            unit = str(values[sheet.columns["单位"] - 1] if "单位" in sheet.columns and
                       sheet.columns["单位"] - 1 < len(values) else "").strip()
            failing = [a for c in address_columns for a in split_emails(cells[c])[0] if a.lower() in bounced]
            text = "；".join(f"{a} 退信（{bounced[a.lower()][0][:10]}），已改为纸质送达，请核对后改正邮箱"
                            for a in dict.fromkeys(failing)) or None
            current = str(cells.get(MAIL_STATE) or "").strip() or None
            if text == current:
                continue
            if not marked:
                sheet.columns[MAIL_STATE] = max(len(r) for r in sheet.grid) + 1
                self.plan.changes.append(CellChange(1, "", MAIL_STATE, None, MAIL_STATE, "退信：补上邮箱状态列",
                                                    CONTACTS_SHEET))
                marked = True
            self.plan.changes.append(CellChange(number, unit, MAIL_STATE, current, text,
                                                "退信" if text else "邮箱已改正", CONTACTS_SHEET))
            if text:
                self.plan.findings.append(Finding("clerk", "", f"{unit}：{text}（联络人表第{number}行）。"))

    def _liaison_defaults(self) -> None:
        """After the notice's deadline, a unit with no liaison form is handled by its office."""
        sheet = self.register.sheets.get(CONTACTS_SHEET)
        if sheet is None or "联络单状态" not in sheet.columns:
            return
        if self.now.date() <= self.config.liaison.governing(self.now.date(), self.started):
            return  # not yet due (a desk started in December waits for next January's)
        rows = {}
        for name, (number, values) in contact_rows(sheet.grid, sheet.columns).items():
            unit = self.config.unit_named(name)
            if unit:
                rows[unit.name] = (number, values)
        planned = {c.row for c in self.plan.changes if c.sheet == CONTACTS_SHEET and c.column == "联络单状态"}
        for unit in self.config.units:
            number, values = rows.get(unit.name, (None, {}))
            status = str(values.get("联络单状态") or "").strip()
            if status in (LIAISON_RETURNED, LIAISON_DEFAULTED) or (number in planned):
                continue
            number = number or self.contact_row(unit.name)
            if number in planned:
                continue
            self.set_contact(number, default_office_values(self.config, unit.name, self.now),
                             "逾期未报送联络单，默认由单位办公室负责")
            self.plan.findings.append(Finding("clerk", "", f"{unit.name}逾期未报送联络单，已按通知默认由单位办公室负责。"))

    # ---- the whole register -------------------------------------------------------------
    def plan_register(self, register: Register, arrivals: list | None = None,
                      issued_sheets: dict[str, dict] | None = None,
                      answered: set[str] | None = None, acknowledgements: list | None = None,
                      bounced: dict[str, tuple[str, str]] | None = None) -> Plan:
        self.register = register
        self.edits: dict[int, _RowEdit] = {}
        self._new_contacts: dict[str, int] = {}
        self._open: dict[str, list[tuple[str, datetime | None]]] | None = None
        self._weekend_years: dict[int, set[str]] = {}
        self._floor_numbers(register)
        for name in register.added_columns:
            self.plan.changes.append(CellChange(1, "", name, None, name, "补上约定新增的列"))
        if register.added_columns:
            self.plan.findings.append(Finding(
                "warning", "", f"台账已在最后一列之后补上新增的列：{'、'.join(register.added_columns)}。"))
        new_rows = apply_arrivals(self, register, arrivals or [], issued_sheets or {}, set(answered or ()))
        apply_acknowledgements(self, register, acknowledgements or [])
        seen: dict[str, int] = {}
        for row in [*register.rows, *new_rows]:
            edit = self.edits.get(row.number)
            if edit is None:
                if self._settled(row, seen):
                    continue
                edit = self.edits[row.number] = _RowEdit(row, self.plan)
            self._plan_row(edit, seen)
        self.plan.open_cases = {e.text(CASE_ID): e.values for e in self.edits.values()
                                if e.text(CASE_ID) and e.text(STATUS) in OPEN_STATUSES}
        self.plan.edited = {n: e.values for n, e in self.edits.items()}
        self.plan.new_rows = [self.edits[r.number].values for r in new_rows]
        # Changes made before a row got its number carry the number too, for the journal.
        for i, change in enumerate(self.plan.changes):
            if not change.case_id and change.sheet == REGISTER_SHEET and change.row in self.edits:
                case_id = self.edits[change.row].text(CASE_ID)
                if case_id:
                    self.plan.changes[i] = dataclasses.replace(change, case_id=case_id)
        self._liaison_defaults()
        self._bounce_marks({a.lower(): v for a, v in (bounced or {}).items()})
        self._acknowledgements()
        self._callbacks(register)
        self._calendar_warnings()
        self._archive_hint(register)
        return self.plan

    def _archive_hint(self, register: Register) -> None:
        """A past year's closed cases still in the live register: suggest archiving them."""
        for year, (closed, still_open) in archivable_years(register.rows, self.now).items():
            wait = f"（该年还有 {still_open} 件未办结，全部办结后才能归档）" if still_open else ""
            self.plan.findings.append(Finding(
                "warning", "", f"台账中还有{year}年受理、已办结的案件 {closed} 件{wait}：每年 1 月运行 "
                               f"{RUN} archive --year {year} 把它们移入归档台账，台账更小、运行更快；"
                               f"编号不变，统计和通报照常计入。"))

    def _report_upward(self, edit: _RowEdit) -> None:
        """A forwarded case with its result: into this run's upward report to its centre, once."""
        source = edit.text(SOURCE)
        if source not in UPSTREAM_SOURCES or edit.get(REPORTED_UP_AT):
            return
        if edit.text(STATUS) == MERGED and not edit.get(FEEDBACK_AT):
            return  # its result comes with the main case
        edit.set(REPORTED_UP_AT, self.now, f"上报{source}")
        self.plan.upward.setdefault(source, []).append(edit.values)

    def _upstream_due(self, edit: _RowEdit) -> None:
        """An open forwarded case whose 上级期限 is a working day away or past, with no result."""
        upstream = _when(edit.get(UPSTREAM_DEADLINE))
        if upstream is None or edit.text(SOURCE) not in UPSTREAM_SOURCES:
            return
        day = upstream.date()
        if self.now.date() >= self.calendar.add_working_days(day, -1):
            late = "已过" if self.now > self.calendar.end_of(day) else "临近"
            edit.find("upstream", f"{edit.text(SOURCE)} {edit.text(UPSTREAM_NO) or ''}｜上级期限 {day:%Y-%m-%d}（{late}）"
                                  f"｜尚无办理结果｜{edit.text(UNIT) or UNASSIGNED}")

    def _callbacks(self, register: Register) -> None:
        """Closed cases whose reporter has not been called back (回访), closed in the last 30
        days, and recent 不满意 answers (a candidate for 退回重办). Case numbers and units only."""
        since = self.now - timedelta(days=CALLBACK_WINDOW_DAYS)
        waiting, older = [], 0
        for row in register.rows:
            edit = self.edits.get(row.number)
            get = edit.get if edit else row.get
            if edit is None:
                raw_status, raw_called, raw_result, answered = row.raw_cells(
                    (STATUS, CALLED_BACK_AT, CALL_BACK_RESULT, FEEDBACK_AT))
                if raw_status != CLOSED or (raw_called not in ("", None) and raw_result != "不满意"):
                    continue  # the common case, decided on raw values (50,000 rows)
                if raw_called in ("", None) and raw_result in ("", None) and answered.__class__ is datetime:
                    # Never called back, closed at a real date-time as read: nothing to clean.
                    called, result, closed_at = None, "", answered
                else:
                    called, result, closed_at = self._callback_cells(get, answered)
            elif str(get(STATUS) or "").strip() != CLOSED:
                continue
            else:
                called, result, closed_at = self._callback_cells(get)
            if result == "不满意" and isinstance(called, datetime) and called >= since:
                self.plan.findings.append(Finding(
                    "clerk", str(get(CASE_ID)), f"回访结果为不满意（{get(UNIT)}）：可考虑把状态改为退回重办。"))
            if called or result or closed_at is None:
                continue
            if closed_at >= since:
                waiting.append(Finding("callback", str(get(CASE_ID)), f"{get(UNIT)}｜{closed_at:%Y-%m-%d}办结"))
            else:
                older += 1
        self.plan.findings += waiting
        if older:
            self.plan.findings.append(Finding("callback", "", f"另有{older}件{CALLBACK_WINDOW_DAYS}天前办结的案件未记录回访。"))

    @staticmethod
    def _callback_cells(get, answered: Any = None) -> tuple[Any, str, datetime | None]:
        """(回访时间, 回访结果, 办结 time) of a closed case as the run leaves it; `answered`:
        反馈时间 as read, which as a real date-time needs no parsing."""
        closed_at = answered if answered.__class__ is datetime else _when(get(FEEDBACK_AT))
        return get(CALLED_BACK_AT), str(get(CALL_BACK_RESULT) or "").strip(), closed_at

    def _acknowledgements(self) -> None:
        """Referrals not acknowledged (签收) in time: the clerk phones about urgent ones, the
        general ones are mailed again."""
        phone, again = unacknowledged(self.plan.open_cases.values(), self.now, self.calendar,
                                      self.config.acknowledge)
        for case in phone:
            self.plan.findings.append(Finding(
                "clerk", str(case.get(CASE_ID)), f"{case.get(UNIT)}：{case.get(CATEGORY)}类交办已"
                f"{hours_since(case, self.now)}小时仍未签收，请电话联系该单位确认收到并立即处置。"))
        for case in again:
            self.plan.refer_again.append(str(case.get(CASE_ID)))
            self.plan.findings.append(Finding(
                "clerk", str(case.get(CASE_ID)), f"{case.get(UNIT)}：交办后超过"
                f"{self.config.acknowledge.general_working_days}个工作日未签收，已再次发送交办（仅一次），"
                "仍无回音请电话联系。"))

    def _calendar_warnings(self) -> None:
        """A year without its official schedule is named on every run until it is covered:
        while this run counted on it, while open cases carry deadlines counted on weekends
        alone, and in December for the coming year."""
        years = set(self.calendar.uncovered_years) | set(self._weekend_years)
        if self.now.month == 12 and not self.calendar.covers(self.now.year + 1):
            years.add(self.now.year + 1)
        for year in sorted(years):
            cases = self._weekend_years.get(year, set())
            held = f"{len(cases)}件在办案件的办理期限暂按周末计算；" if cases else "期限暂按周末计算；"
            self.plan.findings.append(Finding(
                "warning", "", f"{year}年的放假安排尚未导入，{held}国务院办公厅发布通知后，请运行 "
                               f"{RUN} calendar import 通知文件，下次运行会自动更正这些期限并通知承办单位。"))

    @staticmethod
    def _settled(row: Row, seen: dict[str, int]) -> bool:
        """A closed case with its 是否超期 and real dates needs nothing (most of a register)."""
        status, overdue, source, reported, case_id, *dates = row.raw_cells(_SETTLED_COLUMNS)
        if status != CLOSED or overdue in ("", None):
            return False
        if source in UPSTREAM_SOURCES and reported in ("", None):
            return False  # a forwarded result still to report upward
        for value in dates:
            if value != "" and not isinstance(value, date):
                return False
        case_id = str(case_id).strip()
        if not case_id or case_id in seen:
            return False
        seen[case_id] = row.number
        return True

    def _floor_numbers(self, register: Register) -> None:
        """Numbers already in the register count as used, even if the journal was lost."""
        # One search per column over its texts, a line each (only text can be a number): on
        # 50,000 rows a match per cell costs a quarter of a second. A cell whose text holds a
        # line break is no number (as matching it alone would say) and is left out.
        pattern = re.compile(rf"^{re.escape(self.config.case_prefix)}(\d{{4}})-(\d+)$", re.M)
        letter = re.compile(rf"^{re.escape(self.config.letter_prefix)}〔(\d{{4}})〕(\d+)号$", re.M)
        for column, regex, last in ((CASE_ID, pattern, self.last_numbers), (LETTER_NO, letter, self.last_letters)):
            stripped = (v.strip() for v in register.raw_column(column) if v.__class__ is str)
            texts = "\n".join(text for text in stripped if "\n" not in text)
            for year, n in regex.findall(texts):
                year, n = int(year), int(n)
                if n > last.get(year, 0):
                    last[year] = n

    def _next_letter_no(self, year: int) -> str:
        n = self.last_letters.get(year, 0) + 1
        self.last_letters[year] = n
        self.plan.letter_numbers[year] = n
        return f"{self.config.letter_prefix}〔{year}〕{n}号"

    def _next_case_id(self, year: int) -> str:
        n = self.last_numbers.get(year, 0) + 1
        self.last_numbers[year] = n
        self.plan.numbers[year] = n
        return f"{self.config.case_prefix}{year}-{n:0{self.config.case_digits}d}"

    # ---- one row ------------------------------------------------------------------------
    def _plan_row(self, edit: _RowEdit, seen: dict[str, int]) -> None:
        dates_ok = self._real_dates(edit)
        case_id = edit.text(CASE_ID)
        if case_id:
            if case_id in seen:
                edit.note(NOTE_DUPLICATE, f"与第{seen[case_id]}行编号相同，请核对后改正")
                edit.find("clerk", f"第{edit.row.number}行的案件编号与第{seen[case_id]}行相同，本行暂不处理。")
                return
            seen[case_id] = edit.row.number
            edit.note(NOTE_DUPLICATE, None)
        status = edit.text(STATUS)
        if status == CLOSED:
            self._closed_overdue(edit)
            self._clear_request_notes(edit)
            self._report_upward(edit)
            state = self.states.get(case_id) if case_id else None
            if state and state.get("status") != CLOSED:
                self.plan.states[case_id] = {**state, "status": CLOSED}  # closed: nothing to withdraw later
            return
        missing = [c for c in (RECEIVED_AT, CONTENT) if not edit.get(c)]
        if missing or not dates_ok:
            if missing:
                edit.note(NOTE_INCOMPLETE, f"缺少{'、'.join(missing)}，补全后自动处理")
                edit.find("clerk", f"缺少{'、'.join(missing)}，未处理；补全后下次运行自动处理。")
            return
        edit.note(NOTE_INCOMPLETE, None)
        is_new = not case_id
        wrong = impossible_dates(edit.values, self.now, new=is_new)
        edit.note(NOTE_DATE, f"{'；'.join(wrong.values())}，请核对改正" if wrong else None)
        if wrong:
            edit.find("clerk", f"日期存疑：{'；'.join(wrong.values())}，"
                               + ("本行暂不编号、不交办，改正后下次运行自动处理。" if is_new else "请核对改正。"))
            if is_new:
                return
        if is_new:
            case_id = self._next_case_id(_when(edit.get(RECEIVED_AT)).year)
            edit.set(CASE_ID, case_id, "新案件编号")
            seen[case_id] = edit.row.number
        if status and status not in STATUSES:
            edit.note(NOTE_BAD_VALUE, f"状态“{status}”无效，应为{'/'.join(STATUSES)}")
            edit.find("clerk", f"状态“{status}”无效，请改为{'/'.join(STATUSES)}之一。")
            return
        state = self.states.get(case_id)
        if status in CLOSED_WITHOUT_REFERRAL:
            self._without_referral(edit, state)
            self._report_upward(edit)
            return
        category = self._category(edit)
        self._source(edit)
        unit = self._unit(edit, *self._area_and_industry(edit))
        if status == REDO:
            self._redo(edit, category, unit)
            self._overdue(edit)
            self._remember(edit)
            return
        # 已交办 typed by the clerk without a 交办时间 still needs its dates.
        not_referred = status in ("", UNASSIGNED) or (status == REFERRED and not edit.get(REFERRED_AT))
        if status in OPEN_STATUSES and state and not not_referred:
            self._clerk_edits(edit, state, category, unit)
            self._recheck_deadline(edit, state, category)
        elif unit and category and not_referred:
            self._refer(edit, category, unit, _when(edit.get(REFERRED_AT)) or self.now, "交办")
            if not is_new:
                edit.find("referred", f"{unit}｜期限 {_fmt(_when(edit.get(DEADLINE)))}")
        elif not unit and not_referred:
            edit.set(STATUS, UNASSIGNED, "无法确定承办单位")
        self._overdue(edit)
        self._clear_request_notes(edit)
        if is_new:
            self._possible_duplicate(edit)
            where = edit.text(UNIT) or UNASSIGNED
            edit.find("new", f"{edit.text(CATEGORY) or '类别未定'}｜{where}｜期限 {_fmt(_when(edit.get(DEADLINE)))}"
                             f"｜{edit.shown(SUBJECT) or edit.shown(ADDRESS)}")
        self._remember(edit)

    @staticmethod
    def _clear_request_notes(edit: _RowEdit) -> None:
        """A request note goes once the clerk has decided (the status moved on)."""
        for key, status in ((NOTE_EXTENSION, EXTENSION_REQUESTED), (NOTE_RETURN, RETURN_REQUESTED)):
            if edit.text(STATUS) != status:
                edit.note(key, None)

    def _open_index(self) -> dict[str, list[tuple[str, datetime | None]]]:
        """被举报单位 and 事发地址 of the cases still open, for spotting repeated complaints."""
        if self._open is None:
            self._open = {}
            for row in self.register.rows:
                status = row.raw(STATUS)
                case_id = str(row.raw(CASE_ID) or "").strip()
                if status == CLOSED or not case_id:
                    continue
                for column in (SUBJECT, ADDRESS):
                    key = _place_key(row.get(column))
                    if key:
                        self._open.setdefault(key, []).append((case_id, _when(row.get(RECEIVED_AT))))
        return self._open

    def _possible_duplicate(self, edit: _RowEdit) -> None:
        window = timedelta(days=self.config.duplicate_window_days)
        received = _when(edit.get(RECEIVED_AT))
        own = edit.text(CASE_ID)
        index = self._open_index()
        keys = [(column, _place_key(edit.get(column))) for column in (SUBJECT, ADDRESS)]
        for column, key in keys:
            match = next((other for other, when in index.get(key, []) if key and other != own and (
                when is None or received is None or abs(received - when) <= window)), None)
            if match:
                edit.note(NOTE_POSSIBLE_DUPLICATE, f"与{match}的{column}相同，请核对是否同一事项")
                edit.find("clerk", f"疑似重复：与{match}的{column}“{edit.shown(column)}”相同，请核对。")
                break
        # A case numbered today counts as open for the rows after it (two calls, same company).
        for _, key in keys:
            if key:
                index.setdefault(key, []).append((own, received))

    def _real_dates(self, edit: _RowEdit) -> bool:
        """Dates typed as text (2026年12月3日, 2026.12.3, full-width digits) become real dates."""
        ok = True
        problems = []
        for column in DATE_COLUMNS:
            value = edit.get(column)
            if value is None or isinstance(value, (datetime, date)):
                continue
            try:
                when = parse_when(value, today=self.now.date())
            except ValueError:
                when = None
            if when is None:
                problems.append(f"{column}“{value}”不是日期")
                ok = False
                continue
            edit.set(column, when.at, f"{column}由文字“{value}”改为日期")
        if problems:
            edit.note(NOTE_BAD_VALUE, "；".join(problems) + "，请改为 2026-12-03 14:30 这样的日期")
            edit.find("clerk", f"{'；'.join(problems)}，请改为日期。")
        elif edit.get(STATUS) in (None, "") or edit.text(STATUS) in STATUSES:
            edit.note(NOTE_BAD_VALUE, None)
        return ok

    def _category(self, edit: _RowEdit) -> str | None:
        typed = normal_category(edit.text(CATEGORY))
        if typed in CATEGORIES:
            if typed != edit.text(CATEGORY):
                edit.set(CATEGORY, typed, "类别统一写法")
            return typed
        if typed:
            edit.note(NOTE_BAD_VALUE, f"类别“{edit.text(CATEGORY)}”无效，应为紧急/一般/事故")
            edit.find("clerk", f"类别“{edit.text(CATEGORY)}”无效，请改为紧急、一般或事故。")
            return None
        proposal = propose_category(edit.text(CONTENT), self.config)
        edit.set(CATEGORY, proposal.value, f"建议类别：{proposal.why}")
        edit.note(NOTE_CATEGORY, f"系统按{proposal.why}建议为{proposal.value}类，核对后删除本条")
        edit.find("clerk", f"类别为系统建议“{proposal.value}”（{proposal.why}），请核对。")
        return proposal.value

    @staticmethod
    def _source(edit: _RowEdit) -> None:
        """A 来源 outside the contract's list is flagged (the statistics count by source); the
        case is referred all the same."""
        source = edit.text(SOURCE)
        bad = bool(source) and source not in SOURCES
        edit.note(NOTE_SOURCE, f"来源“{source}”无效，应为{'/'.join(SOURCES)}" if bad else None)
        if bad:
            edit.find("clerk", f"来源“{source}”无效，请改为{'、'.join(SOURCES)}之一。")

    def _area_and_industry(self, edit: _RowEdit) -> tuple[Decision, Decision]:
        """所属镇街 and 行业领域 as the register holds them, inferred (and filled in) when empty."""
        area = given(edit.text(AREA), AREA)
        if not area.value and edit.text(ADDRESS):
            area = infer_area(edit.text(ADDRESS), self.config)
            if area.value:
                edit.set(AREA, area.value, f"所属镇街：{area.why}")
        industry = given(edit.text(INDUSTRY), INDUSTRY)
        if not industry.value:
            industry = infer_industry(edit.text(CONTENT), edit.text(SUBJECT), self.config)
            if industry.value and not edit.text(UNIT):  # the clerk's unit: their 行业领域 stays theirs
                edit.set(INDUSTRY, industry.value, f"行业领域：{industry.why}")
        return area, industry

    def _unit(self, edit: _RowEdit, area: Decision, industry: Decision) -> str | None:
        """承办单位 by `route`; a unit tipdesk chose carries its reason in 〔归口：…〕, a case
        without one names its candidates in 〔待分派：…〕 and in the summary."""
        decision = route(edit.text(UNIT), industry, area, self.config)
        if decision.value:
            if decision.value != edit.text(UNIT):
                edit.set(UNIT, decision.value, decision.why)
            edit.note(NOTE_UNASSIGNED, None)
            if decision.note:
                edit.note(NOTE_ROUTED, decision.note)
            elif N.has_note(edit.get(NOTES), NOTE_ROUTED) and \
                    route(None, industry, area, self.config).value != decision.value:
                edit.note(NOTE_ROUTED, None)  # the clerk chose another unit: the reason is stale
            return decision.value
        edit.note(NOTE_ROUTED, None)
        edit.note(NOTE_UNASSIGNED, f"{decision.why}，请填写承办单位")
        where = "｜".join(dict.fromkeys(v for v in (edit.shown(SUBJECT), edit.shown(ADDRESS)) if v)) or "—"
        edit.find("unassigned", f"{decision.why}｜{where}", decision.candidates)
        return None

    def _refer(self, edit: _RowEdit, category: str, unit: str, referred_at: datetime, why: str,
               recompute: bool = False, reassigned: bool = False) -> None:
        """Issue the case to `unit` now; a deadline the clerk typed is kept unless `recompute`."""
        edit.set(REFERRED_AT, referred_at, why)
        if recompute or not edit.get(DEADLINE):
            self._compute_deadline(edit, category, referred_at, "")
        edit.set(STATUS, REFERRED, f"交办{unit}")
        if reassigned:
            edit.set(ACKNOWLEDGED_AT, None, f"{why}：新单位尚未签收")
        # A reassignment is a new document with its own number; a number the clerk typed for a
        # first referral (issued by hand) is kept.
        if reassigned or not edit.text(LETTER_NO):
            edit.set(LETTER_NO, self._next_letter_no(referred_at.year), f"交办{unit}")
        self.plan.referred.append(edit.values)

    def _clerk_edits(self, edit: _RowEdit, state: dict, category: str | None, unit: str | None) -> None:
        """What the clerk changed since the last run wins; follow its consequences."""
        deadline_text = as_text(edit.get(DEADLINE))
        if unit and category and state.get("unit") and unit != state["unit"]:
            why = f"改派：原承办单位{state['unit']}"
            void = edit.text(LETTER_NO)
            if state.get("status") == RETURN_REQUESTED:
                self._notify(edit, RETURN_REPLY, unit=state["unit"], letter_no=void, old=state["unit"],
                             new=unit, decision=GRANTED)
            else:
                self._notify(edit, WITHDRAWAL, unit=state["unit"], letter_no=void, new=unit,
                             detail=f"已改由{unit}办理")
            self._refer(edit, category, unit, self.now, why,
                        recompute=deadline_text == state.get("deadline"), reassigned=True)
            edit.note("改派", f"{self.now:%Y-%m-%d}由{state['unit']}改派{unit}")
            edit.find("referred", f"改派：{state['unit']} → {unit}｜期限 {_fmt(_when(edit.get(DEADLINE)))}")
            return
        if category and state.get("category") and category != state["category"] \
                and deadline_text == state.get("deadline") and edit.get(REFERRED_AT):
            old = edit.get(DEADLINE)
            deadline = self._compute_deadline(edit, category, _when(edit.get(REFERRED_AT)), f"类别改为{category}：")
            edit.note(NOTE_CATEGORY, None)
            if as_text(deadline) != as_text(old):  # the unit's letter says otherwise: it is told
                self._notify(edit, CORRECTION, old=as_text(old) or "", new=as_text(deadline) or "",
                             detail=CATEGORY_CHANGE + category)
            edit.find("referred", f"类别改为{category}，期限改为 {_fmt(deadline)}，已通知{edit.text(UNIT)}")
        # After a category change: a refused extension quotes the deadline as it now is.
        self._replies(edit, state, deadline_text)

    def _notify(self, edit: _RowEdit, kind: str, **fields: Any) -> None:
        """A decision the unit must be told of (the journal keeps it until a mail carries it)."""
        fields.setdefault("unit", edit.text(UNIT))
        fields.setdefault("letter_no", edit.text(LETTER_NO))
        self.plan.notices.append(Notice(kind, edit.text(CASE_ID), **fields))

    def _replies(self, edit: _RowEdit, state: dict, deadline_text: str | None) -> None:
        """The clerk decided a request by setting 状态 back to 办理中 (and, for an extension
        granted, a new 办理期限); a return granted is a reassignment (see _clerk_edits)."""
        asked, now = state.get("status"), edit.text(STATUS)
        if asked not in (EXTENSION_REQUESTED, RETURN_REQUESTED) or now not in (IN_PROGRESS, REFERRED):
            return
        if edit.fed_back:
            return  # the unit's own sheet moved the status on, not a decision of the centre
        if asked == EXTENSION_REQUESTED:
            granted = deadline_text != state.get("deadline") and edit.get(DEADLINE) is not None
            self._notify(edit, EXTENSION_REPLY, decision=GRANTED if granted else REFUSED,
                         old=state.get("deadline") or "" if granted else as_text(edit.get(DEADLINE)) or "",
                         new=deadline_text or "")
            edit.find("referred", f"延期申请{'已同意，期限改为 ' + _fmt(_when(edit.get(DEADLINE))) if granted else '未同意'}"
                                  f"，已通知{edit.text(UNIT)}")
        else:
            self._notify(edit, RETURN_REPLY, decision=REFUSED, old=edit.text(UNIT))
            edit.find("referred", f"退回申请未同意，仍由{edit.text(UNIT)}办理，已通知该单位")

    def _redo(self, edit: _RowEdit, category: str | None, unit: str | None) -> None:
        """退回重办: the unit's closure is not accepted; refer it again to the same unit with a
        new 交办文号 and deadline, the reason (the 备注 line “退回理由：…”) going with it."""
        if not unit or not category:
            edit.find("clerk", "状态为退回重办，但没有承办单位或类别，无法重新交办，请补全。")
            return
        old_letter, result = edit.text(LETTER_NO), edit.text(RESULT)
        reason = N.redo_reason(edit.get(NOTES))
        history = f"{self.now:%Y-%m-%d} 退回重办（原{old_letter or '交办'}的办结不予认可）" + (
            f"，原处理结果：{result[:200]}" if result else "")
        edit.set(NOTES, N.append_line(edit.get(NOTES), history), "退回重办")
        for column in (FEEDBACK_AT, VERIFIED, RESULT, OVERDUE, ACKNOWLEDGED_AT, REPORTED_UP_AT,
                       CALLED_BACK_AT, CALL_BACK_RESULT):
            edit.set(column, None, "退回重办：重新办理")
        self._refer(edit, category, unit, self.now, "退回重办", recompute=True, reassigned=True)
        self._notify(edit, REDO_NOTICE, old=old_letter, new=as_text(edit.get(DEADLINE)) or "",
                     detail=reason or "办理结果未达到要求")
        edit.find("referred", f"退回重办：{unit}｜新文号 {edit.text(LETTER_NO)}｜期限 {_fmt(_when(edit.get(DEADLINE)))}"
                              + ("" if reason else f"｜备注中没有“{N.REDO_REASON}：”一行，通知只写了“办理结果未达到要求”"))

    def _without_referral(self, edit: _RowEdit, state: dict | None) -> None:
        """不予受理, 已转办, 已并案: closed without a unit's answer, never chased. A unit that had
        the case is told its 交办 is withdrawn; a merged case closes with its main case."""
        status = edit.text(STATUS)
        if state and state.get("unit") and state.get("status") in OPEN_STATUSES:
            self._notify(edit, WITHDRAWAL, unit=state["unit"], detail=f"本案{status}，无需继续办理")
            edit.find("referred", f"{status}：已通知{state['unit']}撤回交办")
        if state and state.get("status") != status:
            # Journal the closing status, or the next run would withdraw the case again.
            self.plan.states[edit.text(CASE_ID)] = {**state, "status": status}
        if status != MERGED:
            return
        found = re.search(r"并入\s*([A-Za-z]+\d{4}-\d+)", str(edit.get(NOTES) or ""))
        if not found:
            edit.find("clerk", "状态为已并案，但备注中没有写明并入哪一件，请写“〔并入 AJ2026-0012〕”。")
            return
        main = self._by_id().get(found.group(1))
        if main is None:
            edit.find("clerk", f"备注中的并入案件{found.group(1)}在台账中找不到，请核对编号。")
        elif str(main.get(STATUS) or "").strip() == CLOSED and not edit.get(FEEDBACK_AT):
            why = f"随{found.group(1)}办结"
            edit.set(FEEDBACK_AT, main.get(FEEDBACK_AT), why)
            edit.set(VERIFIED, main.get(VERIFIED), why)
            edit.set(RESULT, f"并入{found.group(1)}办理：{main.get(RESULT) or ''}".rstrip("："), why)

    def _by_id(self) -> dict[str, Any]:
        """case_id -> the row as it will be after this run (for a merged case's main case)."""
        index = getattr(self, "_id_index", None)
        if index is None:
            index = {}
            for row in self.register.rows:
                case_id = str(row.get(CASE_ID) or "").strip()
                if case_id:
                    edit = self.edits.get(row.number)
                    index[case_id] = edit.values if edit else row.values
            self._id_index = index
        return index

    def _compute_deadline(self, edit: _RowEdit, category: str, referred_at: datetime, why: str) -> datetime:
        """Set the deadline by the rules, remembering the rule and the calendar it counted on."""
        deadline, rule = deadline_for(category, referred_at, self.calendar, self.config.deadlines,
                                      edit.get(UPSTREAM_DEADLINE))
        edit.set(DEADLINE, deadline, why + rule)
        edit.deadline_rule = rule
        edit.deadline_basis = self.calendar.basis(referred_at.date(), deadline.date())
        return deadline

    def _recheck_deadline(self, edit: _RowEdit, state: dict, category: str | None) -> None:
        """A deadline tipdesk computed on a calendar that has changed since (a notice imported,
        a config date added) is computed again; one the clerk typed or changed is left alone."""
        deadline, referred_at = _when(edit.get(DEADLINE)), _when(edit.get(REFERRED_AT))
        basis = state.get("deadline_basis")
        if (edit.deadline_rule is not None or not state.get("deadline_rule") or not basis
                or deadline is None or referred_at is None or category is None
                or as_text(edit.get(DEADLINE)) != state.get("deadline")
                or edit.text(STATUS) not in (REFERRED, IN_PROGRESS, EXTENSION_REQUESTED, RETURN_REQUESTED)):
            return
        now_basis = self.calendar.basis(referred_at.date(), deadline.date())
        if now_basis == basis:
            return
        changed = sorted(set(basis.split(";")) - set(now_basis.split(";")))
        years = "、".join(f"{part.split(':')[0]}年" for part in changed) or f"{deadline.year}年"
        new = self._compute_deadline(edit, category, referred_at, f"{years}工作日历更新：")
        if new == deadline:
            return
        edit.note(NOTE_DEADLINE_CORRECTED, f"{self.now:%Y-%m-%d}按{years}放假安排更正，原期限{_fmt(deadline)}")
        edit.find("corrected", f"{edit.text(UNIT)}｜期限 {_fmt(deadline)} → {_fmt(new)}（{years}放假安排）")
        self._notify(edit, CORRECTION, old=as_text(deadline), new=as_text(new), detail=years)

    def _overdue(self, edit: _RowEdit) -> None:
        deadline = _when(edit.get(DEADLINE))
        status = edit.text(STATUS)
        if status not in OPEN_STATUSES or deadline is None:
            return
        late = is_overdue(deadline, self.now)
        self._upstream_due(edit)
        edit.set(OVERDUE, YES if late else NO, "已超过办理期限" if late else "未超期")
        if late:
            edit.find("overdue", f"{edit.text(UNIT)}｜期限 {_fmt(deadline)}｜已超期{_late_by(deadline, self.now)}"
                                 f"｜{status}")
        elif status in (REFERRED,) and deadline <= self.calendar.end_of(
                self.calendar.add_working_days(self.now.date(), 1)):
            edit.find("due_soon", f"{edit.text(UNIT)}｜期限 {_fmt(deadline)}")
        if status in (EXTENSION_REQUESTED, RETURN_REQUESTED):
            edit.find("clerk", f"{status}，等待指挥中心处理（{edit.text(UNIT)}）。")

    def _closed_overdue(self, edit: _RowEdit) -> None:
        if edit.text(OVERDUE):
            return
        deadline, answered = _when(edit.get(DEADLINE)), _when(edit.get(FEEDBACK_AT))
        if deadline and answered:
            edit.set(OVERDUE, YES if answered > deadline else NO, "按反馈时间与办理期限比较")

    def _remember(self, edit: _RowEdit) -> None:
        case_id = edit.text(CASE_ID)
        if case_id and edit.text(STATUS) in OPEN_STATUSES:
            before = self.states.get(case_id) or {}
            waiting = (edit.text(STATUS) == EXTENSION_REQUESTED and before.get("status") == EXTENSION_REQUESTED
                       and not edit.fed_back)
            if waiting and as_text(edit.get(DEADLINE)) != before.get("deadline"):
                # The clerk typed the new date before setting 办理中: the deadline in force when
                # the request came stays the one the reply compares with.
                self.plan.states[case_id] = {**before, "category": edit.text(CATEGORY) or None,
                                             "unit": edit.text(UNIT) or None}
                return
            if edit.deadline_rule is not None:
                rule, basis = edit.deadline_rule, edit.deadline_basis
            elif as_text(edit.get(DEADLINE)) == before.get("deadline"):
                rule, basis = before.get("deadline_rule"), before.get("deadline_basis")
            else:
                rule = basis = None  # typed or changed by the clerk, or set by a feedback sheet
            self.plan.states[case_id] = {
                "category": edit.text(CATEGORY) or None, "unit": edit.text(UNIT) or None,
                "deadline": edit.get(DEADLINE), "referred_at": edit.get(REFERRED_AT),
                "deadline_rule": rule, "deadline_basis": basis, "status": edit.text(STATUS)}
            for part in (basis or "").split(";"):
                year, _, source = part.partition(":")
                if source.startswith("weekends") and not self.calendar.covers(int(year)):
                    self._weekend_years.setdefault(int(year), set()).add(case_id)


def _place_key(value: Any) -> str | None:
    text = "".join(str(value or "").split())
    return text if len(text) >= 4 and text not in VAGUE_PLACES else None


# The 联络人 column where a bounced address is marked (not in the contract: added when needed).
MAIL_STATE = "邮箱状态"
# How far back the summary lists closed cases awaiting the call back (回访).
CALLBACK_WINDOW_DAYS = 30


def _late_by(deadline: datetime, now: datetime) -> str:
    late = now - deadline
    if late < timedelta(days=1):
        return f"{max(1, int(late.total_seconds() // 3600))}小时"
    return f"{late.days}天"


def plan_register(register: Register, config: Config, calendar: WorkCalendar, now: datetime,
                  last_numbers: dict[int, int], states: dict[str, dict[str, Any]],
                  last_letter_numbers: dict[int, int] | None = None, arrivals: list | None = None,
                  issued_sheets: dict[str, dict] | None = None, answered: set[str] | None = None,
                  started: date | None = None, acknowledgements: list | None = None,
                  bounced: dict[str, tuple[str, str]] | None = None,
                  archived_upstream: set[str] | None = None) -> Plan:
    """Everything the daily run would change in the register, with reasons, and the findings.
    `started`: the day of the desk's first run (none yet: this one); `acknowledgements`
    (rules.acknowledge.Acknowledgement): units' replies by mail (签收); `archived_upstream`:
    上级编号 of the cases archived (out of the register, still never registered twice)."""
    planner = Planner(config, calendar, now, last_numbers, states, last_letter_numbers, started)
    planner.archived_upstream = set(archived_upstream or ())
    return planner.plan_register(register, arrivals, issued_sheets, answered, acknowledgements, bounced)
