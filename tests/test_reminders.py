"""The reminder ladder over a simulated fortnight around National Day 2026 (10-01..07 off,
Saturday 10-10 a make-up working day), hour by hour and day by day."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.config import Deadlines
from tipdesk.rules.deadlines import deadline_for
from tipdesk.domain.errors import TipdeskError
from tipdesk.rules.reminders import (
    CHASE, ESCALATION, WARNING, plan_reminders,
)
from tipdesk.config import config_from
from tipdesk.config import Ladder
from pathlib import Path


# Settings come from config.yaml as a whole; these build one around the section under test.
_BASE = {"centre": {"name": "区应急管理局指挥中心"}, "units": [{"name": "区应急管理局"}]}


def ladder_settings(raw: dict):
    return config_from({**_BASE, **raw}, Path("config.yaml")).reminders

CAL = WorkCalendar()
LADDER = Ladder()
HOLIDAY = {datetime(2026, 10, d).date() for d in range(1, 8)}


def case(case_id, category="一般", status="已交办", deadline=None, referred=None, unit="区住房和城乡建设局"):
    return {"案件编号": case_id, "类别": category, "承办单位": unit, "状态": status,
            "办理期限": deadline, "交办时间": referred, "举报人": "王建国", "联系方式": "13812345678"}


def general_deadline(referred: datetime) -> datetime:
    return deadline_for("一般", referred, CAL, Deadlines())[0]


def simulate(cases_at, start, end, step, **kwargs):
    """Run the ladder at each step, as the daily/hourly runs would, marking what went out."""
    sent, log, now = set(), {}, start
    while now <= end:
        for reminder in plan_reminders(cases_at(now), now, CAL, LADDER, sent, **kwargs):
            key = (reminder.case_id, reminder.stage)
            assert key not in sent, f"{key} twice"
            sent.add(key)
            log[key] = now
        now += step
    return log


def fortnight_cases(now):
    a_referred = datetime(2026, 9, 18, 10, 0)
    closes = case("C", deadline=general_deadline(a_referred), referred=a_referred)
    if now >= datetime(2026, 9, 29, 12, 0):
        closes["状态"] = "已办结"
    return [
        case("A", deadline=general_deadline(a_referred), referred=a_referred),
        case("B", status="办理中", deadline=datetime(2026, 10, 8, 23, 59, 59),
             referred=datetime(2026, 9, 28, 9, 0)),
        closes,
        case("D", status="申请延期", deadline=datetime(2026, 9, 24, 23, 59, 59),
             referred=datetime(2026, 9, 14, 9, 0)),
        case("R", status="申请退回", deadline=datetime(2026, 9, 24, 23, 59, 59)),
        case("E", category="紧急", deadline=datetime(2026, 10, 4, 14, 0),
             referred=datetime(2026, 10, 3, 14, 0), unit="东城街道"),
        case("U", status="待分派", deadline=datetime(2026, 9, 24, 23, 59, 59), unit=""),
        case("Z", status="已办结", deadline=datetime(2026, 9, 24, 23, 59, 59)),
    ]


def test_deadline_of_case_a_is_the_7th_working_day_counting_the_sunday_make_up_day():
    assert general_deadline(datetime(2026, 9, 18, 10, 0)) == datetime(2026, 9, 29, 23, 59, 59)


def test_fortnight_hour_by_hour():
    log = simulate(fortnight_cases, datetime(2026, 9, 18, 0, 0), datetime(2026, 10, 16, 23, 0),
                   timedelta(hours=1))
    assert log == {
        # 一般: warning on the working day before the deadline day, from 08:00.
        ("A", WARNING): datetime(2026, 9, 28, 8, 0),
        ("A", CHASE): datetime(2026, 9, 30, 8, 0),
        # 2 overdue working days: 9-30 and (after the holiday) 10-08.
        ("A", ESCALATION): datetime(2026, 10, 8, 8, 0),
        # Deadline 10-08: warned before the holiday, chased 10-09, escalated on the make-up Saturday.
        ("B", WARNING): datetime(2026, 9, 30, 8, 0),
        ("B", CHASE): datetime(2026, 10, 9, 8, 0),
        ("B", ESCALATION): datetime(2026, 10, 10, 8, 0),
        # Closed on 9-29: warned, never chased.
        ("C", WARNING): datetime(2026, 9, 28, 8, 0),
        # 紧急 on a holiday: warning 4 hours before and 催办 right after, any day; 督办 waits
        # for the second working day after the deadline day (10-08, 10-09).
        ("E", WARNING): datetime(2026, 10, 4, 10, 0),
        ("E", CHASE): datetime(2026, 10, 4, 15, 0),
        ("E", ESCALATION): datetime(2026, 10, 9, 8, 0),
    }


def test_day_by_day_run_sends_nothing_on_holidays_or_the_sunday():
    log = simulate(fortnight_cases, datetime(2026, 9, 18, 8, 30), datetime(2026, 10, 16, 8, 30),
                   timedelta(days=1))
    day_scale = {k: v for k, v in log.items() if k[0] != "E"}
    assert {k: v.date() for k, v in day_scale.items()} == {
        ("A", WARNING): datetime(2026, 9, 28).date(), ("A", CHASE): datetime(2026, 9, 30).date(),
        ("A", ESCALATION): datetime(2026, 10, 8).date(), ("B", WARNING): datetime(2026, 9, 30).date(),
        ("B", CHASE): datetime(2026, 10, 9).date(), ("B", ESCALATION): datetime(2026, 10, 10).date(),
        ("C", WARNING): datetime(2026, 9, 28).date(),
    }
    assert not {v.date() for v in day_scale.values()} & HOLIDAY
    # The daily run alone reaches the urgent case on its first run after the deadline.
    assert log[("E", CHASE)] == datetime(2026, 10, 5, 8, 30)


def test_hourly_pass_can_be_limited_to_urgent_and_accident_cases():
    cases = fortnight_cases(datetime(2026, 10, 9, 9, 0))
    found = plan_reminders(cases, datetime(2026, 10, 9, 9, 0), CAL, LADDER, set(),
                           categories=("紧急", "事故"))
    assert {r.case_id for r in found} == {"E"}


def test_accident_after_interim_feedback_follows_the_working_day_ladder():
    followup = case("F", category="事故", status="办理中", deadline=datetime(2026, 10, 2, 12, 0))
    verify = case("V", category="事故", status="已交办", deadline=datetime(2026, 10, 2, 12, 0))
    holiday = datetime(2026, 10, 3, 9, 0)
    found = plan_reminders([followup, verify], holiday, CAL, LADDER, set())
    assert [(r.case_id, r.stage, r.hourly) for r in found] == [("V", CHASE, True)]
    found = plan_reminders([followup], datetime(2026, 10, 8, 8, 0), CAL, LADDER, set())
    assert [(r.case_id, r.stage) for r in found] == [("F", CHASE)]


def test_missed_stages_come_together_and_each_only_once():
    late = case("L", deadline=datetime(2026, 9, 29, 23, 59, 59))
    now = datetime(2026, 10, 12, 9, 0)
    first = plan_reminders([late], now, CAL, LADDER, set())
    assert [r.stage for r in first] == [CHASE, ESCALATION]  # the warning moment has passed
    assert first[1].overdue_working_days == 5  # 9-30, 10-08, 10-09, 10-10, 10-12
    assert plan_reminders([late], now, CAL, LADDER, {("L", CHASE), ("L", ESCALATION)}) == []


def test_no_warning_for_a_case_referred_after_its_warning_moment():
    # A forwarded case whose upstream deadline left one day: the letter names the deadline.
    short = case("S", deadline=datetime(2026, 10, 13, 23, 59, 59), referred=datetime(2026, 10, 12, 15, 0))
    assert plan_reminders([short], datetime(2026, 10, 12, 16, 0), CAL, LADDER, set()) == []
    assert [r.stage for r in plan_reminders([short], datetime(2026, 10, 14, 8, 0), CAL, LADDER, set())] == [CHASE]


def test_a_date_only_deadline_means_the_end_of_that_day():
    typed = case("T", deadline=datetime(2026, 10, 13).date())
    assert plan_reminders([typed], datetime(2026, 10, 13, 20, 0), CAL, LADDER, set())[0].stage == WARNING
    assert plan_reminders([typed], datetime(2026, 10, 14, 8, 0), CAL, LADDER, set())[0].stage == CHASE


def test_ladder_settings_defaults_and_values():
    assert ladder_settings({}) == Ladder()
    ladder = ladder_settings({"reminders": {"warning_hours": 6, "escalate_after_working_days": 3,
                                            "send_from": 510, "escalation_number": "督〔{year}〕第{n}号"}})
    assert (ladder.warning_hours, ladder.escalate_after_working_days) == (6, 3)
    assert ladder.send_from == time(8, 30)  # YAML 1.1 reads an unquoted 8:30 as 510
    assert ladder.number(2026, 3) == "督〔2026〕第3号"
    assert Ladder().number(2026, 3) == "安举督〔2026〕3号"


@pytest.mark.parametrize("section, key", [
    ({"escalate_after_working_days": "两天"}, "reminders.escalate_after_working_days"),
    ({"warning_hours": -1}, "reminders.warning_hours"),
    ({"send_from": "早上"}, "reminders.send_from"),
    ({"escalation_number": "安举督〔{year}〕号"}, "reminders.escalation_number"),
    ({"escalation_number": "安举督〔{nian}〕{n}号"}, "reminders.escalation_number"),
])
def test_ladder_settings_errors_name_the_key(section, key):
    with pytest.raises(TipdeskError) as err:
        ladder_settings({"reminders": section})
    assert key in err.value.message


def test_a_section_that_is_not_a_mapping_is_named():
    with pytest.raises(TipdeskError, match="配置项 reminders "):
        ladder_settings({"reminders": "每天"})
