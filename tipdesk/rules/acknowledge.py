"""签收: has the unit acknowledged its referral? Pure: cases, the clock and the calendar in;
the cases to phone about and the cases to refer again out.

A unit acknowledges by returning any feedback sheet, by a reply mail (issue "mail both
ways"), or the clerk types 签收时间 after a phone call or on paper. An hour-scale case (紧急,
事故 before its interim feedback) not acknowledged `urgent_hours` after its referral is put
in front of the clerk (phone the unit); a general one not acknowledged by the end of the
`general_working_days`-th working day after the referral day is referred again, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping

from tipdesk.config import AcknowledgeSettings
from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import (
    ACCIDENT, ACKNOWLEDGED_AT, CASE_ID, CATEGORY, GENERAL, REFERRED, REFERRED_AT, STATUS, UNIT, URGENT,
)


def _referred_at(case: Mapping[str, Any]) -> datetime | None:
    value = case.get(REFERRED_AT)
    return value if isinstance(value, datetime) else None


def unacknowledged(cases: Iterable[Mapping[str, Any]], now: datetime, calendar: WorkCalendar,
                   settings: AcknowledgeSettings) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """(urgent cases to phone about, general cases to refer again), each still 已交办 and
    without 签收时间."""
    phone, again = [], []
    for case in cases:
        referred = _referred_at(case)
        if (referred is None or case.get(ACKNOWLEDGED_AT) or str(case.get(STATUS) or "").strip() != REFERRED
                or not str(case.get(CASE_ID) or "").strip() or not str(case.get(UNIT) or "").strip()):
            continue
        category = str(case.get(CATEGORY) or "").strip()
        if category in (URGENT, ACCIDENT):
            if now - referred >= timedelta(hours=settings.urgent_hours):
                phone.append(case)
        elif category == GENERAL:
            limit = calendar.end_of(calendar.add_working_days(referred.date(), settings.general_working_days))
            if now > limit:
                again.append(case)
    return phone, again


def hours_since(case: Mapping[str, Any], now: datetime) -> int:
    referred = _referred_at(case)
    return int((now - referred).total_seconds() // 3600) if referred else 0
