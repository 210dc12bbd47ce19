"""Working days on China's official calendar (调休 included), with the office's own overrides.

Order of truth, per day: the clerk's `calendar.extra_holidays` / `extra_workdays` in config;
then the State Council notice imported for that year (`./run calendar import`, see
holidays.py); then the package `chinesecalendar`; then, for a year neither covers, weekends
alone, and the year is reported on every run until it is covered (a config date overrides
one day; it does not make a year's schedule known).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Iterable, Mapping

import chinese_calendar

from tipdesk.domain.holidays import HolidaySchedule

END_OF_DAY = time(23, 59, 59)
SOURCE_NOTICE, SOURCE_PACKAGE, SOURCE_WEEKENDS = "notice", "package", "weekends"
SOURCE_LABELS = {SOURCE_NOTICE: "已导入的国务院通知", SOURCE_PACKAGE: "chinesecalendar 软件包",
                 SOURCE_WEEKENDS: "未收录：仅按周末计算"}


def package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


class WorkCalendar:
    """Answers 'is this a working day' and counts working days forward and back."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = (),
                 notices: Mapping[int, HolidaySchedule] | None = None):
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self.notices = dict(notices or {})
        # A notice may name days of the year before (元旦 from 12月31日): those days too.
        self._notice_days: dict[date, bool] = {}
        for year in sorted(self.notices):
            schedule = self.notices[year]
            self._notice_days.update({d: False for d in schedule.holidays})
            self._notice_days.update({d: True for d in schedule.workdays})
        # Years looked up that neither a notice nor the package covers; the run reports them.
        self.uncovered_years: set[int] = set()
        # chinesecalendar scans its whole holiday table on every call; a run asks about the
        # same few hundred days thousands of times (overdue counts over years of cases).
        self._known: dict[date, bool] = {}
        self._fingerprints: dict[int, str] = {}
        # Per year, the working days from 1 January up to each day: a count over years (a case
        # overdue since long ago, chased every run) is then a few look-ups, not a walk.
        self._running: dict[int, list[int]] = {}

    def source(self, year: int) -> str:
        """Where `year`'s schedule comes from: notice, package or weekends."""
        if year in self.notices:
            return SOURCE_NOTICE
        return SOURCE_PACKAGE if package_covers(year) else SOURCE_WEEKENDS

    def covers(self, year: int) -> bool:
        """Whether the official schedule of `year` is known (an imported notice or the package)."""
        return self.source(year) != SOURCE_WEEKENDS

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if day in self._notice_days:
            return self._notice_days[day]
        if day.year in self.notices:
            return day.weekday() < 5  # a notice lists every day off and make-up day of its year
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            self.uncovered_years.add(day.year)
            return day.weekday() < 5

    def fingerprint(self, year: int) -> str:
        """Changes exactly when some day of `year` changes between working day and day off
        (a notice imported, a config date added, a newer package): "2027:notice:3f9a…"."""
        found = self._fingerprints.get(year)
        if found is None:
            running = self._running_of(year)  # a working day is where the count goes up
            bits = "".join("1" if now > before else "0" for before, now in zip([0, *running], running))
            digest = hashlib.sha1(bits.encode()).hexdigest()[:12]
            found = self._fingerprints[year] = f"{year}:{self.source(year)}:{digest}"
        return found

    def basis(self, start: date, end: date) -> str:
        """The fingerprints of the years a count from `start` to `end` went through."""
        return ";".join(self.fingerprint(y) for y in range(start.year, max(start.year, end.year) + 1))

    def add_working_days(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (start itself not counted); negative goes back."""
        step = 1 if count >= 0 else -1
        day, left = start, abs(count)
        while left:
            day += timedelta(days=step)
            if self.is_workday(day):
                left -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        count = self._through(end) - self._through(start)
        for year in range(start.year, end.year):
            count += self._running_of(year)[-1]
        return count

    def _through(self, day: date) -> int:
        """Working days from 1 January of `day`'s year up to and including `day`."""
        return self._running_of(day.year)[day.timetuple().tm_yday - 1]

    def _running_of(self, year: int) -> list[int]:
        """Per day of `year`, the working days from 1 January up to it: the one walk over a
        year's days, which the counts and the fingerprint read."""
        found = self._running.get(year)
        if found is None:
            found, count, day = [], 0, date(year, 1, 1)
            while day.year == year:
                count += self.is_workday(day)
                found.append(count)
                day += timedelta(days=1)
            self._running[year] = found
        return found

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY)
