"""Which cases `archive --year` moves out of the live register, and how the archived cases
join the live ones again for statistics, the bulletin and letters. Pure: rows in, data out.

A case is archived by the year it was received (受理时间), once it is closed: 已办结, or
closed without referral (不予受理, 已转办, 已并案). A year with a case still open (or not yet
numbered) is not archived at all, so a year is always in one place or the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from tipdesk.domain.columns import CASE_ID, CLOSED, CLOSED_WITHOUT_REFERRAL, RECEIVED_AT, STATUS
from tipdesk.domain.rows import Row, clean_cell

ARCHIVED_STATUSES = (CLOSED, *CLOSED_WITHOUT_REFERRAL)


def received_year(row: Any) -> int | None:
    value = row.get(RECEIVED_AT)
    return value.year if isinstance(value, (datetime, date)) else None


def case_id_of(row: Any) -> str:
    return str(row.get(CASE_ID) or "").strip()


@dataclass
class Selection:
    """The register's cases of one year: to move, and those that stop the move."""

    year: int
    closed: list[Row] = field(default_factory=list)
    still_open: list[Row] = field(default_factory=list)      # not closed (any other 状态)
    unnumbered: list[Row] = field(default_factory=list)      # no 案件编号 yet: daily numbers it

    @property
    def blocked(self) -> bool:
        return bool(self.still_open or self.unnumbered)


def select_year(rows: Iterable[Row], year: int) -> Selection:
    found = Selection(year)
    for row in rows:
        if received_year(row) != year:
            continue
        if not case_id_of(row):
            found.unnumbered.append(row)
        elif str(row.get(STATUS) or "").strip() in ARCHIVED_STATUSES:
            found.closed.append(row)
        else:
            found.still_open.append(row)
    return found


def archivable_years(rows: Iterable[Row], now: datetime) -> dict[int, tuple[int, int]]:
    """Past years the live register still holds closed cases of: year -> (closed, not yet
    closed). For daily's suggestion to archive."""
    counts: dict[int, list[int]] = {}
    for row in rows:
        raw, status, case_id = row.raw_cells((RECEIVED_AT, STATUS, CASE_ID))
        if not isinstance(raw, (datetime, date)) or raw.year >= now.year:
            continue
        closed = str(status or "").strip() in ARCHIVED_STATUSES and bool(str(case_id or "").strip())
        counts.setdefault(raw.year, [0, 0])[0 if closed else 1] += 1
    return {year: (closed, other) for year, (closed, other) in sorted(counts.items()) if closed}


def same_value(a: Any, b: Any) -> bool:
    """One cell of a case in the register and in its archive: the same, as Excel shows it."""
    a, b = clean_cell(a if a is not None else ""), clean_cell(b if b is not None else "")
    if isinstance(a, str) and not a.strip():
        a = None
    if isinstance(b, str) and not b.strip():
        b = None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    return a == b


def with_archived(live: list[Any], archived: Iterable[Any]) -> list[Any]:
    """The live rows and, after them, the archived ones the live register does not hold (an
    archive interrupted before the register was written holds cases both have: the live
    copy counts, once)."""
    archived = list(archived)
    if not archived:
        return live  # a register not yet archived: no pass over every live row
    live_ids = {case_id_of(row) for row in live}
    return live + [row for row in archived if case_id_of(row) not in live_ids]
