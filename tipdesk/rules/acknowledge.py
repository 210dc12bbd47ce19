"""签收: has the unit acknowledged its referral? Pure: cases, the clock and the calendar in;
the cases to phone about and the cases to refer again out.

A unit acknowledges by returning any feedback sheet, by a reply mail (issue "mail both
ways"), or the clerk types 签收时间 after a phone call or on paper. An hour-scale case (紧急,
事故 before its interim feedback) not acknowledged `urgent_hours` after its referral is put
in front of the clerk (phone the unit); a general one not acknowledged by the end of the
`general_working_days`-th working day after the referral day is referred again, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


# --- 签收 by reply: which cases a unit's mail answers ------------------------------------------

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*)+", re.I)


@dataclass(frozen=True)
class Acknowledgement:
    """A unit's mail that answers a referral: the case, when it was sent, and why it counts."""

    case_id: str
    at: datetime
    why: str


def strip_reply_prefix(subject: str) -> str:
    """"回复：RE: 【交办】…" -> "【交办】…"."""
    return _REPLY_PREFIX.sub("", subject or "").strip()


def case_numbers(subject: str, prefix: str) -> list[str]:
    """Case numbers (AJ2026-0001) named in a subject, in order, once each."""
    found = re.findall(rf"{re.escape(prefix)}\d{{4}}-\d+", subject or "", flags=re.I)
    return list(dict.fromkeys(m.upper() for m in found))


def answered_cases(refs: Iterable[str], subject: str, prefix: str, sent_ids: Mapping[str, set[str]],
                   sent_subjects: Mapping[str, set[str]]) -> list[str]:
    """The cases a mail answers: those of the mails we sent whose Message-ID it refers to
    (In-Reply-To, References), of a mail we sent with its subject ("回复：【交办】…"), and the
    case numbers its subject names."""
    found: set[str] = set()
    for ref in refs:
        found |= set(sent_ids.get(ref, ()))
    found |= set(sent_subjects.get(strip_reply_prefix(subject), ()))
    return sorted(found | set(case_numbers(subject, prefix)))


def reply_acknowledgements(replies: Iterable[Mapping[str, Any]], prefix: str, sent_ids: Mapping[str, set[str]],
                           sent_subjects: Mapping[str, set[str]]) -> list[Acknowledgement]:
    """Acknowledgements from the mails taken from the centre's mailbox (journal rows:
    sent_at, sender, subject, refs)."""
    out = []
    for reply in replies:
        at = reply.get("sent_at")
        if not isinstance(at, datetime):
            continue
        for case_id in answered_cases(str(reply.get("refs") or "").split(), str(reply.get("subject") or ""),
                                      prefix, sent_ids, sent_subjects):
            out.append(Acknowledgement(case_id, at, f"回复邮件（{reply.get('sender') or '发件人不明'}）：单位已签收"))
    return out
