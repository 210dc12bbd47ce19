"""办理期限: when a unit's answer is due, per the notice and the contract's deadline rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import ACCIDENT, GENERAL, URGENT
from tipdesk.config import Deadlines


def upstream_cap(upstream: datetime | date, calendar: WorkCalendar, margin: int) -> datetime:
    """The latest deadline a forwarded case may get: `margin` working days before the upstream one."""
    if isinstance(upstream, datetime) and upstream.time() != time(0, 0):
        day, at = upstream.date(), upstream.time()
    else:
        day = upstream.date() if isinstance(upstream, datetime) else upstream
        at = None
    day = calendar.add_working_days(day, -margin) if margin else day
    return datetime.combine(day, at) if at else calendar.end_of(day)


def deadline_for(category: str, referred_at: datetime, calendar: WorkCalendar, rules: Deadlines,
                 upstream: datetime | date | None = None) -> tuple[datetime, str]:
    """The deadline of a case referred at `referred_at`, and the rule that gave it."""
    if category == URGENT:
        deadline = referred_at + timedelta(hours=rules.urgent_hours)
        why = f"紧急类：交办后{rules.urgent_hours}小时"
    elif category == ACCIDENT:
        deadline = referred_at + timedelta(hours=rules.accident_verify_hours)
        why = f"事故类：{rules.accident_verify_hours}小时内核实"
    elif category == GENERAL:
        day = calendar.add_working_days(referred_at.date(), rules.general_working_days)
        deadline = calendar.end_of(day)
        why = f"一般类：交办次日起第{rules.general_working_days}个工作日"
    else:
        raise ValueError(category)
    if upstream is not None:
        cap = upstream_cap(upstream, calendar, rules.upstream_margin_working_days)
        if cap < deadline:
            deadline = cap
            why += f"；按上级期限提前{rules.upstream_margin_working_days}个工作日"
    return deadline, why


def accident_followup(interim_at: datetime, rules: Deadlines) -> datetime:
    """After an accident case's interim feedback, the follow-up deadline (calendar days)."""
    return interim_at + timedelta(days=rules.accident_followup_days)


def is_overdue(deadline: datetime | None, at: datetime) -> bool:
    return deadline is not None and at > deadline
