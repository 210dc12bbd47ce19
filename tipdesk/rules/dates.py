"""Dates that cannot be right: a complaint received in the future, a referral before the
complaint came in, an answer before the referral. They are flagged (备注 and the summary,
or `check` by cell), never silently used: a new row whose dates cannot be right is not
numbered or referred until the clerk corrects it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Mapping

from tipdesk.domain.columns import DEADLINE, FEEDBACK_AT, RECEIVED_AT, REFERRED_AT, UPSTREAM_DEADLINE


def moment(value: Any) -> datetime | None:
    """A register date or date-time as a datetime (a date at midnight); anything else None."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return None


def _before(a: datetime, b: datetime) -> bool:
    """a earlier than b; a date without a time (midnight) counts as the whole day."""
    if a.time() == time() or b.time() == time():
        return a.date() < b.date()
    return a < b


def _text(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at.time() != time() else f"{at:%Y-%m-%d}"


def impossible_dates(values: Mapping[str, Any], now: datetime, new: bool) -> dict[str, str]:
    """Column -> what cannot be right about its date, in the order of the case's life.

    `new`: the row has no case number yet, so a 受理时间 after `now` is an error (a run at an
    earlier time on a case already numbered, a backfill, is not)."""
    received, referred = moment(values.get(RECEIVED_AT)), moment(values.get(REFERRED_AT))
    answered, deadline = moment(values.get(FEEDBACK_AT)), moment(values.get(DEADLINE))
    upstream = moment(values.get(UPSTREAM_DEADLINE))
    found: dict[str, str] = {}
    if new and received and _before(now, received):
        found[RECEIVED_AT] = f"受理时间{_text(received)}晚于现在（{_text(now)}）"
    if received and upstream and _before(upstream, received):
        found[UPSTREAM_DEADLINE] = f"上级期限{_text(upstream)}早于受理时间{_text(received)}"
    if received and referred and _before(referred, received):
        found[REFERRED_AT] = f"交办时间{_text(referred)}早于受理时间{_text(received)}"
    start = referred or received
    if start and deadline and _before(deadline, start):
        found[DEADLINE] = f"办理期限{_text(deadline)}早于{'交办' if referred else '受理'}时间{_text(start)}"
    if start and answered and _before(answered, start):
        found[FEEDBACK_AT] = f"反馈时间{_text(answered)}早于{'交办' if referred else '受理'}时间{_text(start)}"
    return found


def answer_date_problems(referred: Any, arrived: datetime, closed_on: Any, extend_to: Any) -> list[str]:
    """What cannot be right in a returned feedback sheet's dates: 办结日期 before the referral
    or after the sheet arrived, 申请延期至 already past when it arrived."""
    referred, closed, extend = moment(referred), moment(closed_on), moment(extend_to)
    found = []
    if closed and referred and closed.date() < referred.date():
        found.append(f"办结日期{_text(closed)}早于交办时间{_text(referred)}")
    if closed and closed.date() > arrived.date():
        found.append(f"办结日期{_text(closed)}晚于收到反馈表的日期{arrived:%Y-%m-%d}")
    if extend and extend.date() < arrived.date():
        found.append(f"申请延期至{_text(extend)}早于收到反馈表的日期{arrived:%Y-%m-%d}")
    return found
