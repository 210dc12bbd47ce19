"""Deadlines on the official calendar: 调休, holidays, years the package does not know."""

from datetime import date, datetime, timedelta

import pytest

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.config import Deadlines
from tipdesk.rules.deadlines import deadline_for, upstream_cap

RULES = Deadlines()


def test_general_case_referred_before_national_day_counts_the_make_up_saturday():
    # 2026-10-01..07 are holidays, Saturday 10-10 is a make-up workday; the referral day is not
    # counted: 10-08, 10-09, 10-10, 10-12, 10-13, 10-14, 10-15.
    deadline, why = deadline_for("一般", datetime(2026, 9, 30, 10, 0), WorkCalendar(), RULES)
    assert deadline == datetime(2026, 10, 15, 23, 59, 59)
    assert "7个工作日" in why


def test_general_case_referred_on_a_saturday_starts_counting_monday():
    deadline, _ = deadline_for("一般", datetime(2026, 11, 28, 9, 0), WorkCalendar(), RULES)
    assert deadline == datetime(2026, 12, 8, 23, 59, 59)


def test_urgent_case_across_midnight_is_24_hours_not_working_days():
    deadline, _ = deadline_for("紧急", datetime(2026, 10, 1, 22, 15), WorkCalendar(), RULES)
    assert deadline == datetime(2026, 10, 2, 22, 15)


def test_accident_is_verified_within_24_hours():
    deadline, why = deadline_for("事故", datetime(2026, 12, 31, 23, 0), WorkCalendar(), RULES)
    assert deadline == datetime(2027, 1, 1, 23, 0)
    assert "核实" in why


def test_year_not_in_the_package_uses_weekends_and_is_reported():
    calendar = WorkCalendar()
    deadline, _ = deadline_for("一般", datetime(2026, 12, 28, 9, 0), calendar, RULES)
    # 12-29, 12-30, 12-31 in 2026, then 2027 by weekends alone: 01-01 (Fri), 01-04, 01-05, 01-06.
    assert deadline == datetime(2027, 1, 6, 23, 59, 59)
    assert calendar.uncovered_years == {2027}


def test_a_config_date_overrides_its_day_but_does_not_silence_the_year():
    # Issue 13: one date typed into config used to mark all of 2027 as known.
    calendar = WorkCalendar(extra_holidays=[date(2027, 1, 1)])
    deadline, _ = deadline_for("一般", datetime(2026, 12, 28, 9, 0), calendar, RULES)
    assert deadline == datetime(2027, 1, 7, 23, 59, 59)
    assert calendar.uncovered_years == {2027}
    assert not calendar.covers(2027) and calendar.source(2027) == "weekends"


def test_config_overrides_beat_the_package():
    calendar = WorkCalendar(extra_holidays=[date(2026, 12, 1)], extra_workdays=[date(2026, 12, 5)])
    assert not calendar.is_workday(date(2026, 12, 1))
    assert calendar.is_workday(date(2026, 12, 5))
    deadline, _ = deadline_for("一般", datetime(2026, 11, 30, 9, 0), calendar, RULES)
    # 12-02, 12-03, 12-04, 12-05 (made a workday), 12-07, 12-08, 12-09
    assert deadline == datetime(2026, 12, 9, 23, 59, 59)


def test_forwarded_case_ends_a_working_day_before_the_upstream_deadline():
    calendar = WorkCalendar()
    deadline, why = deadline_for("一般", datetime(2026, 11, 30, 9, 0), calendar, RULES,
                                 upstream=datetime(2026, 12, 7))
    # 12-07 is a Monday; one working day before is Friday 12-04.
    assert deadline == datetime(2026, 12, 4, 23, 59, 59)
    assert "上级期限" in why


def test_upstream_deadline_with_a_time_keeps_the_time():
    cap = upstream_cap(datetime(2026, 12, 7, 17, 0), WorkCalendar(), 1)
    assert cap == datetime(2026, 12, 4, 17, 0)


def test_upstream_deadline_far_away_does_not_extend():
    deadline, why = deadline_for("紧急", datetime(2026, 11, 30, 9, 0), WorkCalendar(), RULES,
                                 upstream=datetime(2026, 12, 30))
    assert deadline == datetime(2026, 12, 1, 9, 0)
    assert "上级" not in why


@pytest.mark.parametrize("category", ["", "急", None])
def test_unknown_category_is_refused(category):
    with pytest.raises(ValueError):
        deadline_for(category, datetime(2026, 11, 30), WorkCalendar(), RULES)


def test_working_days_between_counts_as_walking_day_by_day_over_years():
    # The count of how late a case is (the escalation step of the reminder ladder) is read from
    # per-year running totals: it must equal walking the days, across 调休, a config override,
    # leap years and a year no schedule covers (weekends only, and reported).
    import random

    calendar = WorkCalendar(extra_holidays=[date(2026, 12, 1)], extra_workdays=[date(2026, 12, 5)])

    def walked(start: date, end: date) -> int:
        return sum(calendar.is_workday(date.fromordinal(o)) for o in range(start.toordinal() + 1,
                                                                          end.toordinal() + 1))

    rng = random.Random(7)
    spans = [(date(2024, 2, 28), date(2024, 3, 1)), (date(2026, 9, 30), date(2026, 10, 15)),
             (date(2026, 11, 30), date(2026, 12, 7)), (date(2021, 12, 31), date(2029, 1, 2)),
             (date(2026, 12, 31), date(2027, 1, 1)), (date(2026, 5, 6), date(2026, 5, 6)),
             (date(2026, 5, 6), date(2026, 5, 1))]
    for _ in range(300):
        start = date(2021, 1, 1) + timedelta(days=rng.randrange(8 * 365))
        spans.append((start, start + timedelta(days=rng.randrange(-5, 900))))
    for start, end in spans:
        assert calendar.working_days_between(start, end) == max(0, walked(start, end)), (start, end)
    assert calendar.working_days_between(date(2026, 11, 30), date(2026, 12, 7)) == 5  # 12-1 off, Sat 12-5 on
    assert 2029 in calendar.uncovered_years


def test_a_years_fingerprint_is_what_the_journal_already_holds():
    # Every open case keeps the fingerprints its deadline was counted on (deadline_basis):
    # the same schedule must give the same text in every release, or each case would be
    # recounted and its unit told of a change that is none. A day moved changes it.
    assert WorkCalendar().fingerprint(2026) == "2026:package:30c2403ac555"
    assert WorkCalendar(extra_holidays=[date(2026, 12, 31)]).fingerprint(2026) != "2026:package:30c2403ac555"
