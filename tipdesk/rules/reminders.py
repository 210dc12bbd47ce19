"""The reminder ladder (跟踪督办): 预警 before the deadline, 催办 once overdue, 督办 when a case
stays overdue. Pure: cases, the clock and what was already sent in; reminders out.

Rules (notice 三(三) 跟踪督办, contract "Deadlines"):
- Only cases with the unit (已交办, 办理中) are chased. 申请延期 and 申请退回 wait for the
  clerk; 待分派 and 已办结 are never chased.
- Day-scale cases (一般, and 事故 after interim feedback, whose follow-up deadline is weeks
  away) are chased on working days only, from `send_from` on: a 预警 on the working day
  `warning_working_days` before the deadline day, a 催办 once overdue, a 督办 from the
  `escalate_after_working_days`-th working day after the deadline day.
- Hour-scale cases (紧急, and 事故 before interim feedback: 24 hours) are checked hourly: the
  预警 `warning_hours` before the deadline and the 催办 right after it go out any day, since
  the deadline itself runs through weekends and holidays. Their 督办, a numbered letter to a
  leader, waits for a working day like every other.
- Each stage once per case; a 预警 is skipped when the case is already overdue (the 催办 says
  more) or was referred after the warning moment (the referral letter names the deadline).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Collection, Iterable, Mapping

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import (
    ACCIDENT, CASE_ID, CATEGORIES, CATEGORY, DEADLINE, GENERAL, IN_PROGRESS, REFERRED,
    REFERRED_AT, STATUS, UNIT, URGENT,
)
from tipdesk.config import Ladder

WARNING, CHASE, ESCALATION = "预警", "催办", "督办"
STAGES = (WARNING, CHASE, ESCALATION)
CHASED_STATUSES = (REFERRED, IN_PROGRESS)


@dataclass(frozen=True)
class Reminder:
    case_id: str
    unit: str
    stage: str
    deadline: datetime
    overdue_by: timedelta             # negative for a 预警: the time left
    category: str = GENERAL
    overdue_working_days: int = 0     # working days after the deadline day, for 一般 wording
    hourly: bool = False              # an hour-scale case (wording: hours, not working days)


def is_hourly(category: str, status: str) -> bool:
    """Whether a case's deadline is counted in hours (see the module docstring)."""
    return category == URGENT or (category == ACCIDENT and status != IN_PROGRESS)


def as_deadline(value: Any) -> datetime | None:
    """A 办理期限 cell as a moment: a bare date means the end of that day."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59))
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _due_stages(deadline: datetime, referred_at: datetime | None, hourly: bool, now: datetime,
                calendar: WorkCalendar, ladder: Ladder) -> list[str]:
    office_time = calendar.is_workday(now.date()) and now.time() >= ladder.send_from
    overdue = now > deadline
    stages = []
    if not overdue:
        if hourly:
            warn_at = deadline - timedelta(hours=ladder.warning_hours)
        else:
            warn_day = calendar.add_working_days(deadline.date(), -ladder.warning_working_days)
            warn_at = datetime.combine(warn_day, ladder.send_from)
        if now >= warn_at and (hourly or office_time) and not (referred_at and referred_at > warn_at):
            stages.append(WARNING)
        return stages
    if hourly or office_time:
        stages.append(CHASE)
    late_days = calendar.working_days_between(deadline.date(), now.date())
    if office_time and late_days >= ladder.escalate_after_working_days:
        stages.append(ESCALATION)
    return stages


def plan_reminders(cases: Iterable[Mapping[str, Any]], now: datetime, calendar: WorkCalendar,
                   ladder: Ladder, sent: Collection[tuple[str, str]],
                   categories: Collection[str] = CATEGORIES) -> list[Reminder]:
    """The reminders due at `now` and not yet sent, ordered by unit, case and stage.

    `cases` are register rows keyed by the Chinese headers; `sent` holds (case_id, stage)
    pairs already delivered (delivery.sent_stages); `categories` narrows the check, e.g. to
    紧急 and 事故 for the hourly pass.
    """
    out = []
    for case in cases:
        case_id, unit = _text(case.get(CASE_ID)), _text(case.get(UNIT))
        status, category = _text(case.get(STATUS)), _text(case.get(CATEGORY))
        deadline = as_deadline(case.get(DEADLINE))
        if (not case_id or not unit or deadline is None or status not in CHASED_STATUSES
                or category not in categories or category not in CATEGORIES):
            continue
        hourly = is_hourly(category, status)
        referred_at = case.get(REFERRED_AT) if isinstance(case.get(REFERRED_AT), datetime) else None
        for stage in _due_stages(deadline, referred_at, hourly, now, calendar, ladder):
            if (case_id, stage) in sent:
                continue
            out.append(Reminder(
                case_id=case_id, unit=unit, stage=stage, deadline=deadline,
                overdue_by=now - deadline, category=category, hourly=hourly,
                overdue_working_days=calendar.working_days_between(deadline.date(), now.date())))
    out.sort(key=lambda r: (r.unit, r.case_id, STAGES.index(r.stage)))
    return out
