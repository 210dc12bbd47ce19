"""Working days on China's official calendar (调休 included), with the office's own overrides.

The package `chinesecalendar` carries each year's State Council schedule once it is published.
For a year it does not know and the config does not cover, weekends alone are used and the
year is reported, so the clerk can add that year's dates to `calendar.extra_*` in config.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterable

import chinese_calendar

END_OF_DAY = time(23, 59, 59)


class WorkCalendar:
    """Answers 'is this a working day' and counts working days forward and back."""

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()):
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self._config_years = {d.year for d in self.extra_holidays | self.extra_workdays}
        # Years looked up that neither the package nor the config covers; the run reports them.
        self.uncovered_years: set[int] = set()
        # chinesecalendar scans its whole holiday table on every call; a run asks about the
        # same few hundred days thousands of times (overdue counts over years of cases).
        self._known: dict[date, bool] = {}

    def covers(self, year: int) -> bool:
        """Whether the official schedule (package or config) of `year` is known."""
        if year in self._config_years:
            return True
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
            return True
        except NotImplementedError:
            return False

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
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            # Not published in the package: the office's own lists (above) plus weekends.
            if day.year not in self._config_years:
                self.uncovered_years.add(day.year)
            return day.weekday() < 5

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
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def end_of(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY)
