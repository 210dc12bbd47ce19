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
    NOTE_POSSIBLE_DUPLICATE, NOTE_RETURN, NOTE_UNASSIGNED,
)
from tipdesk.rules.apply import apply_arrivals
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
from tipdesk.rules.routing import infer_area, infer_industry, propose_category, route
from tipdesk.domain.textnorm import parse_when
from tipdesk.domain.columns import LIAISON_DEFAULTED, LIAISON_RETURNED
from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.domain.columns import IN_PROGRESS, SOURCE, SOURCES, normal_category
from tipdesk.domain.notes import NOTE_DATE, NOTE_DEADLINE_CORRECTED, NOTE_SOURCE
from tipdesk.rules.dates import impossible_dates, moment as _when
from tipdesk.domain.launcher import RUN

OPEN_STATUSES = tuple(s for s in STATUSES if s not in (UNASSIGNED, CLOSED))



@dataclass
class Finding:
    """One line of the clerk's summary."""

    kind: str        # new | referred | corrected | clerk | overdue | due_soon | warning
    case: str
    text: str


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
    corrected: list[DeadlineCorrection] = field(default_factory=list)  # deadlines a new calendar moved

    def final_rows(self, register: Register) -> list[Any]:
        """Every case row as it will be after this run, for the statistics: things with
        `.get(column)`; untouched rows stay lazy Rows (building 50,000 dicts costs seconds)."""
        return [self.edited[r.number] if r.number in self.edited else r
                for r in register.rows] + self.new_rows

    def of_kind(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


@dataclass(frozen=True)
class DeadlineCorrection:
    """A deadline tipdesk had computed, moved because a year's calendar changed."""

    case_id: str
    unit: str
    letter_no: str
    old: datetime
    new: datetime
    years: str        # the years whose calendar changed, "2027年"


class _RowEdit:
    """A working copy of one row that records each change with its reason."""

    def __init__(self, row: Row, plan: Plan):
        self.row, self.plan = row, plan
        self.values = dict(row.values)
        # Set when this run computed the deadline: its rule and the calendar it counted on.
        self.deadline_rule: str | None = None
        self.deadline_basis: str | None = None

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

    def find(self, kind: str, text: str) -> None:
        self.plan.findings.append(Finding(kind, self.label, text))


def _fmt(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "—"


class Planner:
    def __init__(self, config: Config, calendar: WorkCalendar, now: datetime,
                 last_numbers: dict[int, int], states: dict[str, dict[str, Any]],
                 last_letter_numbers: dict[int, int] | None = None, started: date | None = None):
        self.config, self.calendar, self.now = config, calendar, now
        self.started = started or now.date()  # the desk's first run: this one, for a new desk
        self.last_numbers = dict(last_numbers)
        self.last_letters = dict(last_letter_numbers or {})
        self.states = states
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
                      answered: set[str] | None = None) -> Plan:
        self.register = register
        self.edits: dict[int, _RowEdit] = {}
        self._new_contacts: dict[str, int] = {}
        self._open: dict[str, list[tuple[str, datetime | None]]] | None = None
        self._weekend_years: dict[int, set[str]] = {}
        self._floor_numbers(register)
        new_rows = apply_arrivals(self, register, arrivals or [], issued_sheets or {}, set(answered or ()))
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
        self._calendar_warnings()
        return self.plan

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
        if row.raw(STATUS) != CLOSED or row.raw(OVERDUE) in ("", None):
            return False
        for column in DATE_COLUMNS:
            value = row.raw(column)
            if value != "" and not isinstance(value, date):
                return False
        case_id = str(row.raw(CASE_ID)).strip()
        if not case_id or case_id in seen:
            return False
        seen[case_id] = row.number
        return True

    def _floor_numbers(self, register: Register) -> None:
        """Numbers already in the register count as used, even if the journal was lost."""
        pattern = re.compile(rf"^{re.escape(self.config.case_prefix)}(\d{{4}})-(\d+)$")
        letter = re.compile(rf"^{re.escape(self.config.letter_prefix)}〔(\d{{4}})〕(\d+)号$")
        for row in register.rows:
            for regex, last, column in ((pattern, self.last_numbers, CASE_ID),
                                        (letter, self.last_letters, LETTER_NO)):
                found = regex.match(str(row.get(column) or "").strip())
                if found:
                    year, n = int(found.group(1)), int(found.group(2))
                    last[year] = max(last.get(year, 0), n)

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
        category = self._category(edit)
        self._source(edit)
        self._area_and_industry(edit)
        unit = self._unit(edit)
        state = self.states.get(case_id)
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

    def _area_and_industry(self, edit: _RowEdit) -> None:
        if not edit.text(AREA) and edit.text(ADDRESS):
            area = infer_area(edit.text(ADDRESS), self.config)
            if area.value:
                edit.set(AREA, area.value, f"所属镇街：{area.why}")
        if not edit.text(INDUSTRY) and not edit.text(UNIT):
            industry = infer_industry(edit.text(CONTENT), edit.text(SUBJECT), self.config)
            if industry.value:
                edit.set(INDUSTRY, industry.value, f"行业领域：{industry.why}")

    def _unit(self, edit: _RowEdit) -> str | None:
        decision = route(edit.text(UNIT), edit.text(INDUSTRY), edit.text(AREA), self.config)
        if decision.value:
            if decision.value != edit.text(UNIT):
                edit.set(UNIT, decision.value, decision.why)
            edit.note(NOTE_UNASSIGNED, None)
            return decision.value
        edit.note(NOTE_UNASSIGNED, f"{decision.why}，请在承办单位中选定")
        edit.find("clerk", f"待分派：{decision.why}，请填写承办单位。")
        return None

    def _refer(self, edit: _RowEdit, category: str, unit: str, referred_at: datetime, why: str,
               recompute: bool = False, reassigned: bool = False) -> None:
        """Issue the case to `unit` now; a deadline the clerk typed is kept unless `recompute`."""
        edit.set(REFERRED_AT, referred_at, why)
        if recompute or not edit.get(DEADLINE):
            self._compute_deadline(edit, category, referred_at, "")
        edit.set(STATUS, REFERRED, f"交办{unit}")
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
            self._refer(edit, category, unit, self.now, why,
                        recompute=deadline_text == state.get("deadline"), reassigned=True)
            edit.note("改派", f"{self.now:%Y-%m-%d}由{state['unit']}改派{unit}")
            edit.find("referred", f"改派：{state['unit']} → {unit}｜期限 {_fmt(_when(edit.get(DEADLINE)))}")
            return
        if category and state.get("category") and category != state["category"] \
                and deadline_text == state.get("deadline") and edit.get(REFERRED_AT):
            deadline = self._compute_deadline(edit, category, _when(edit.get(REFERRED_AT)), f"类别改为{category}：")
            edit.note(NOTE_CATEGORY, None)
            edit.find("referred", f"类别改为{category}，期限改为 {_fmt(deadline)}")

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
        self.plan.corrected.append(DeadlineCorrection(
            edit.text(CASE_ID), edit.text(UNIT), edit.text(LETTER_NO), deadline, new, years))

    def _overdue(self, edit: _RowEdit) -> None:
        deadline = _when(edit.get(DEADLINE))
        status = edit.text(STATUS)
        if status not in OPEN_STATUSES or deadline is None:
            return
        late = is_overdue(deadline, self.now)
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
            if edit.deadline_rule is not None:
                rule, basis = edit.deadline_rule, edit.deadline_basis
            elif as_text(edit.get(DEADLINE)) == before.get("deadline"):
                rule, basis = before.get("deadline_rule"), before.get("deadline_basis")
            else:
                rule = basis = None  # typed or changed by the clerk, or set by a feedback sheet
            self.plan.states[case_id] = {
                "category": edit.text(CATEGORY) or None, "unit": edit.text(UNIT) or None,
                "deadline": edit.get(DEADLINE), "referred_at": edit.get(REFERRED_AT),
                "deadline_rule": rule, "deadline_basis": basis}
            for part in (basis or "").split(";"):
                year, _, source = part.partition(":")
                if source.startswith("weekends") and not self.calendar.covers(int(year)):
                    self._weekend_years.setdefault(int(year), set()).add(case_id)


def _place_key(value: Any) -> str | None:
    text = "".join(str(value or "").split())
    return text if len(text) >= 4 and text not in VAGUE_PLACES else None


def _late_by(deadline: datetime, now: datetime) -> str:
    late = now - deadline
    if late < timedelta(days=1):
        return f"{max(1, int(late.total_seconds() // 3600))}小时"
    return f"{late.days}天"


def plan_register(register: Register, config: Config, calendar: WorkCalendar, now: datetime,
                  last_numbers: dict[int, int], states: dict[str, dict[str, Any]],
                  last_letter_numbers: dict[int, int] | None = None, arrivals: list | None = None,
                  issued_sheets: dict[str, dict] | None = None, answered: set[str] | None = None,
                  started: date | None = None) -> Plan:
    """Everything the daily run would change in the register, with reasons, and the findings.
    `started`: the day of the desk's first run (none yet: this one)."""
    return Planner(config, calendar, now, last_numbers, states, last_letter_numbers, started).plan_register(
        register, arrivals, issued_sheets, answered)
