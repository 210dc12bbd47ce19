"""Figures for managers (tipdesk/stats.py), checked against a register worked out by hand.

The fixture: October 2026, which crosses National Day (holidays 10-01..10-07, make-up
working Saturday 10-10; and Mid-Autumn 09-25..09-27 with make-up Sunday 09-20 in September).
Deadlines are the real ones (asserted against deadlines.deadline_for on the real calendar).
The figures are taken at NOW = Monday 2026-11-02 09:00. test_report.py and test_xlsxgraft.py
import OCTOBER_ROWS and NOW from here.

Units: 住建 = 区住房和城乡建设局, 应急 = 区应急管理局, 消防 = 区消防救援大队, 东城 = 东城街道.
"一般" deadlines: the end (23:59:59) of the 7th working day after the referral day:
  referred 09-07 -> 09-16; 09-21 -> 10-08 (09-22,23,24,28,29,30,10-08);
  09-29 -> 10-14 (09-30,10-08,09,10,12,13,14); 10-08 -> 10-16 (10-09,10,12,13,14,15,16);
  10-09 -> 10-19; 10-10 -> 10-20; 10-12 -> 10-21; 10-15 -> 10-26; 10-19 -> 10-28;
  10-22 -> 11-02; 10-26 -> 11-04; 10-28 -> 11-06; 10-29 -> 11-09; 08-20 -> 08-31.
"紧急" and "事故": 24 hours after referral.

October, case by case (✓ on time, ✗ late, "open" = not closed at NOW):
  0101 消防 紧急 dl 10-04 10:30  closed 10-04 09:00 ✓ 属实   replied
  0102 住建 一般 dl 10-16        closed 10-15 16:00 ✓ 属实   replied
  0103 应急 一般 dl 10-16        closed 10-19 10:00 ✗ 部分属实 NOT replied   late 2天10时
  0104 住建 一般 dl 10-19        closed 10-19 17:00 ✓ 不属实 replied
  0105 消防 一般 dl 10-20        closed 10-20 11:00 ✓ 属实   NOT replied
  0106 应急 紧急 dl 10-13 09:00  closed 10-13 08:00 ✓ 属实   replied
  0107 东城 一般 dl 10-21        open 申请退回, past deadline        late 11天9时 at NOW
  0108 住建 一般 dl 11-06 (extended; 催办记录 says 申请延期) open 办理中, not due
  0109 应急 一般 dl 10-28        closed 10-28 15:00 ✓ 属实   replied
  0110 东城 一般 dl 10-28        closed 10-30 09:00 ✗ 不属实 replied        late 1天9时
  0111 消防 紧急 dl 10-21 15:30  closed 10-21 18:00 ✗ 属实   NOT replied   late 2时30分
  0112 住建 一般 dl 11-02 23:59  open 已交办, not yet due at NOW
  0113 应急 一般 dl 11-04        open 办理中, not due
  0114 应急 事故 interim feedback 10-27, follow-up dl 12-26 open 办理中, not due
  0115 东城 一般 dl 11-06        open 已交办, not due
  0116 消防 一般 dl 11-09        closed 10-30 16:00 ✓ 属实   replied
  0117 (待分派, no unit, no deadline) open
  0118 住建 紧急 dl 11-01 10:30  open 已交办, past deadline           late 22时30分 at NOW

October totals: received 18; referred 17, unassigned 1 (0117);
  closed 10 (0101-0106, 0109-0111, 0116); on time 7; closed late 3 (0103, 0110, 0111);
  open 8; open past deadline 2 (0107, 0118); overdue 3 + 2 = 5; due 10 + 2 = 12;
  on-time rate 7/12 = 58.3%; returned 1 (0107); extended 1 (0108);
  verified 8 of 10 closed (0104 and 0110 不属实) = 80%; awaiting reply 3 (0103, 0105, 0111).
Per unit (交办, 办结, 按时, 应办结, 率, 在办, 超期, 退回, 延期, 属实, 待回复):
  住建 0102 0104 0108 0112 0118:  5, 2, 2, 3, 66.7%, 3, 1, 0, 1, 1, 0
  应急 0103 0106 0109 0113 0114:  5, 3, 2, 3, 66.7%, 2, 1, 0, 0, 3, 1
  消防 0101 0105 0111 0116:       4, 4, 3, 4, 75.0%, 0, 1, 0, 0, 4, 2
  东城 0107 0110 0115:            3, 1, 0, 2,  0.0%, 2, 2, 1, 0, 0, 0
  Ranking: 消防 1; 住建 and 应急 share 2 (equal rate and due; 住建 first by name); 东城 4.
By 类别: 紧急 4 (0101 0106 0111 0118), 一般 13, 事故 1 (0114).
By 来源: 12350热线 12, 国家转办 1 (0112), 省转办 1 (0103), 市转办 1 (0107), 来信 1 (0109),
  网络 2 (0105 0115).
By 行业领域: 建筑施工 5, 工贸 4 (0103 0109 0113 0114), 消防 4, 危险化学品 1 (0106),
  未填写 4 (0107 0110 0115 0117, always last).
By 所属镇街: 东城街道 7 (0101 0104 0107 0110 0111 0115 0118), 西城街道 3 (0102 0112 0116),
  青山镇 3 (0103 0109 0114), 北城街道 2 (0106 0113), 南城街道 2 (0105 0108), 未填写 1.
Repeats: 宏达建设工程有限公司 0102 0104 0118 + 0091 in September (3 + 1);
  东湖小区物业 0107 0115 + 0094 (2 + 1); 东湖商场 0101 0111 (2); 青山镇宏达五金 0103 0109 (2).
  Addresses: 东城街道人民路88号 0104 0118 + 0091 (2 + 1); the others repeat exactly a company's
  cases and are not listed twice.
September (previous): 0091 ✓, 0092 ✓, 0093 ✗ (closed 10-09, dl 10-08), 0094 ✓: received 4,
  closed 4, on time 3, due 4, rate 75.0%, overdue 1, verified 3 of 4, awaiting reply 0.
August: 0080 东城, dl 08-31, still open at NOW: carried over, late 62天9时.
Months of 2026: Aug 1, Sep 4, Oct 18, Nov 0 (begun), Dec not begun (NaN), others 0.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pytest

from tipdesk.domain import columns as col
from tipdesk.domain.calendar import WorkCalendar
from tipdesk.config import Deadlines
from tipdesk.rules.deadlines import deadline_for
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.redact import MARKER
from tipdesk.rules.stats import (
    BLANK, case_records, figures, parse_period, period_of, period_stats,
)

NOW = datetime(2026, 11, 2, 9, 0)
JS, YJ, XF, DC = "区住房和城乡建设局", "区应急管理局", "区消防救援大队", "东城街道"
INDUSTRY = {JS: "建筑施工", XF: "消防"}
CALENDAR = WorkCalendar()


def _end(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 23, 59, 59)


def case(n: int, received: str, source: str, category: str, unit: str | None, area: str | None,
         subject: str, address: str, *, referred: str | None = None,
         deadline: datetime | None = None,
         status: str = col.REFERRED, answered: str | None = None, verified: str | None = None,
         replied: str | None = None, industry: str | None = None, log: str | None = None,
         reporter: str = "王建国", contact: str = "13812345678") -> dict:
    """One register row as read_register gives it (every header present, dates as datetime)."""
    at = lambda text: datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M") if text else None
    row = {header: None for header in col.REGISTER_COLUMNS}
    row.update({
        col.CASE_ID: f"AJ2026-{n:04d}", col.RECEIVED_AT: at(received), col.SOURCE: source,
        col.REPORTER: reporter, col.REPORTER_CONTACT: contact,
        col.SUBJECT: subject, col.ADDRESS: address, col.AREA: area,
        col.INDUSTRY: industry if industry is not None else INDUSTRY.get(unit),
        col.CONTENT: f"{subject}存在安全隐患，请核查。联系电话{contact}。",
        col.CATEGORY: category, col.UNIT: unit, col.REFERRED_AT: at(referred),
        col.DEADLINE: deadline, col.STATUS: status, col.CHASE_LOG: log,
        col.FEEDBACK_AT: at(answered), col.VERIFIED: verified, col.REPLIED: replied,
    })
    if status == col.CLOSED:
        row[col.OVERDUE] = col.YES if at(answered) > deadline else col.NO
    return row


HONGDA = "宏达建设工程有限公司"
DONGHU_MALL, DONGHU_ESTATE = "东湖商场", "东湖小区物业"
WUJIN = "青山镇宏达五金制品有限公司"

AUGUST = [
    case(80, "08-20 10:00", "12350热线", "一般", DC, "东城街道", "解放路废品收购站",
         "东城街道解放路66号", referred="08-20 10:30", deadline=_end(8, 31), status=col.IN_PROGRESS),
]
SEPTEMBER = [
    case(91, "09-07 10:00", "12350热线", "一般", JS, "东城街道", HONGDA, "东城街道人民路88号",
         referred="09-07 10:30", deadline=_end(9, 16), status=col.CLOSED, answered="09-15 10:00",
         verified="属实", replied="是"),
    case(92, "09-10 09:00", "12350热线", "紧急", XF, "南城街道", "南门网吧", "南城街道南门路2号",
         referred="09-10 09:30", deadline=datetime(2026, 9, 11, 9, 30), status=col.CLOSED,
         answered="09-11 08:00", verified="属实", replied="是"),
    case(93, "09-21 10:00", "12350热线", "一般", YJ, "北城街道", "北城铸造厂", "北城街道工业园1号",
         referred="09-21 10:30", deadline=_end(10, 8), status=col.CLOSED, answered="10-09 10:00",
         verified="属实", replied="是", industry="工贸"),
    case(94, "09-28 15:00", "来访", "一般", DC, "东城街道", DONGHU_ESTATE, "东城街道东湖小区",
         referred="09-29 08:30", deadline=_end(10, 14), status=col.CLOSED, answered="10-14 16:00",
         verified="不属实", replied="是"),
]
OCTOBER = [
    case(101, "10-03 10:00", "12350热线", "紧急", XF, "东城街道", DONGHU_MALL, "东城街道东湖路1号",
         referred="10-03 10:30", deadline=datetime(2026, 10, 4, 10, 30), status=col.CLOSED,
         answered="10-04 09:00", verified="属实", replied="是"),
    case(102, "10-05 15:00", "12350热线", "一般", JS, "西城街道", HONGDA, "西城街道建设路18号工地",
         referred="10-08 08:30", deadline=_end(10, 16), status=col.CLOSED, answered="10-15 16:00",
         verified="属实", replied="是"),
    case(103, "10-08 09:10", "省转办", "一般", YJ, "青山镇", WUJIN, "青山镇人民路88号",
         referred="10-08 10:00", deadline=_end(10, 16), status=col.CLOSED, answered="10-19 10:00",
         verified="部分属实", replied="否", industry="工贸"),
    case(104, "10-09 14:00", "12350热线", "一般", JS, "东城街道", HONGDA, "东城街道人民路88号",
         referred="10-09 15:00", deadline=_end(10, 19), status=col.CLOSED, answered="10-19 17:00",
         verified="不属实", replied="是"),
    case(105, "10-10 09:00", "网络", "一般", XF, "南城街道", "南城农贸市场", "南城街道南门路6号",
         referred="10-10 09:30", deadline=_end(10, 20), status=col.CLOSED, answered="10-20 11:00",
         verified="属实", replied=None),
    case(106, "10-12 08:40", "12350热线", "紧急", YJ, "北城街道", "北城化工储运站", "北城街道工业园3号",
         referred="10-12 09:00", deadline=datetime(2026, 10, 13, 9, 0), status=col.CLOSED,
         answered="10-13 08:00", verified="属实", replied="是", industry="危险化学品"),
    case(107, "10-12 10:00", "市转办", "一般", DC, "东城街道", DONGHU_ESTATE, "东城街道东湖小区",
         referred="10-12 10:30", deadline=_end(10, 21), status=col.RETURN_REQUESTED),
    case(108, "10-15 09:00", "12350热线", "一般", JS, "南城街道", "南城花园二期项目部",
         "南城街道迎宾大道100号", referred="10-15 09:30", deadline=_end(11, 6),
         status=col.IN_PROGRESS, log="2026-10-23 申请延期至11月6日，已同意"),
    case(109, "10-16 11:00", "来信", "一般", YJ, "青山镇", WUJIN, "青山镇人民路88号",
         referred="10-19 08:30", deadline=_end(10, 28), status=col.CLOSED, answered="10-28 15:00",
         verified="属实", replied="是", industry="工贸"),
    # The clerk typed the reporter's name into 被举报单位: it must not reach the bulletin.
    case(110, "10-19 10:00", "12350热线", "一般", DC, "东城街道", "人民路烧烤店（举报人李秀英楼下）",
         "东城街道人民路120号", referred="10-19 10:30", deadline=_end(10, 28), status=col.CLOSED,
         answered="10-30 09:00", verified="不属实", replied="是", reporter="李秀英",
         contact="13900001111"),
    case(111, "10-20 15:00", "12350热线", "紧急", XF, "东城街道", DONGHU_MALL, "东城街道东湖路1号",
         referred="10-20 15:30", deadline=datetime(2026, 10, 21, 15, 30), status=col.CLOSED,
         answered="10-21 18:00", verified="属实", replied="否"),
    case(112, "10-22 09:00", "国家转办", "一般", JS, "西城街道", "西山路安置房项目", "西城街道西山路9号",
         referred="10-22 10:00", deadline=_end(11, 2)),
    case(113, "10-23 14:00", "12350热线", "一般", YJ, "北城街道", "北城木业加工厂", "北城街道工业园8号",
         referred="10-26 08:30", deadline=_end(11, 4), status=col.IN_PROGRESS, industry="工贸"),
    case(114, "10-26 10:00", "12350热线", "事故", YJ, "青山镇", "青山镇永盛机械厂", "青山镇石桥村5号",
         referred="10-26 10:30", deadline=datetime(2026, 12, 26, 9, 0), status=col.IN_PROGRESS,
         answered="10-27 09:00", industry="工贸"),
    case(115, "10-27 16:00", "网络", "一般", DC, "东城街道", DONGHU_ESTATE, "东城街道东湖小区",
         referred="10-28 08:30", deadline=_end(11, 6)),
    case(116, "10-29 09:00", "12350热线", "一般", XF, "西城街道", "西关群租房", "西城街道西关路5号",
         referred="10-29 09:30", deadline=_end(11, 9), status=col.CLOSED, answered="10-30 16:00",
         verified="属实", replied="是"),
    case(117, "10-30 17:00", "12350热线", "一般", None, None, "某小作坊", "城郊某处",
         status=col.UNASSIGNED),
    case(118, "10-31 10:00", "12350热线", "紧急", JS, "东城街道", HONGDA, "东城街道人民路88号",
         referred="10-31 10:30", deadline=datetime(2026, 11, 1, 10, 30)),
]
OCTOBER_ROWS = AUGUST + SEPTEMBER + OCTOBER
OCTOBER_PERIOD = parse_period("2026-10")
# What the journal's feedback table says of them: 0108's unit asked for an extension (granted).
OCTOBER_REQUESTS = {"AJ2026-0108": frozenset({"申请延期"})}


@pytest.fixture(scope="module")
def october():
    return period_stats(OCTOBER_ROWS, OCTOBER_PERIOD, NOW, OCTOBER_REQUESTS)


# --- the fixture itself ---------------------------------------------------------------------

def test_fixture_deadlines_are_the_real_ones():
    """Every deadline above (bar 0108, extended, and 0114, an accident's follow-up) is what
    the daily run would compute on the official calendar, holidays and make-up days included."""
    for row in OCTOBER_ROWS:
        if row[col.CASE_ID] in ("AJ2026-0108", "AJ2026-0114") or row[col.REFERRED_AT] is None:
            continue
        expected, _ = deadline_for(row[col.CATEGORY], row[col.REFERRED_AT], CALENDAR, Deadlines())
        assert row[col.DEADLINE] == expected, row[col.CASE_ID]
    # The make-up Saturday counts: referred Friday 10-09, the 7th working day is 10-19.
    assert CALENDAR.is_workday(datetime(2026, 10, 10).date())
    assert not CALENDAR.is_workday(datetime(2026, 10, 7).date())


# --- periods --------------------------------------------------------------------------------

def test_parse_period():
    month = parse_period("2026-11")
    assert (month.kind, month.start, month.end, month.label) == \
        ("month", datetime(2026, 11, 1), datetime(2026, 12, 1), "2026年11月")
    assert month.previous.label == "2026年10月" and month.unit_word == "上月"
    assert parse_period("2026-1").previous == parse_period("2025-12")
    assert parse_period("2026-12").end == datetime(2027, 1, 1)
    quarter = parse_period("2026-Q4")
    assert (quarter.start, quarter.end, quarter.label) == \
        (datetime(2026, 10, 1), datetime(2027, 1, 1), "2026年第四季度")
    assert parse_period("2026-q1").previous.label == "2025年第四季度"
    assert parse_period("2026-Q2").previous.label == "2026年第一季度"
    year = parse_period(" 2026 ")
    assert (year.start, year.end, year.label, year.previous.label, year.unit_word) == \
        (datetime(2026, 1, 1), datetime(2027, 1, 1), "2026年", "2025年", "上年")
    assert period_of(NOW) == month and period_of(NOW, "quarter") == quarter


@pytest.mark.parametrize("text,words", [
    ("2026-13", "月份应为 1 至 12"), ("2026-0", "月份应为 1 至 12"), ("2026-Q5", "季度应为 Q1 至 Q4"),
    ("2026年11月", "格式有误"), ("", "格式有误"), ("11-2026", "格式有误"), ("1999", "年份有误"),
])
def test_bad_periods_are_explained_in_chinese(text, words):
    with pytest.raises(TipdeskError) as error:
        parse_period(text)
    assert words in error.value.message and "2026-Q4" in error.value.message
    assert error.value.exit_code == 2


# --- the October figures --------------------------------------------------------------------

def test_october_totals(october):
    t = october.totals
    assert {k: t[k] for k in ("received", "referred", "unassigned", "closed", "on_time",
                              "closed_late", "open", "open_overdue", "overdue", "due",
                              "returned", "extended", "verified", "awaiting_reply")} == {
        "received": 18, "referred": 17, "unassigned": 1, "closed": 10, "on_time": 7,
        "closed_late": 3, "open": 8, "open_overdue": 2, "overdue": 5, "due": 12,
        "returned": 1, "extended": 1, "verified": 8, "awaiting_reply": 3}
    assert t["on_time_rate"] == pytest.approx(7 / 12)
    assert t["verified_rate"] == pytest.approx(0.8)


def test_september_is_the_previous_period(october):
    p = october.previous
    assert (p["received"], p["closed"], p["on_time"], p["due"], p["overdue"], p["verified"],
            p["awaiting_reply"]) == (4, 4, 3, 4, 1, 3, 0)
    assert p["on_time_rate"] == pytest.approx(0.75)


def test_units_ranked_by_on_time_rate(october):
    table = october.by_unit
    assert list(table) == [XF, JS, YJ, DC]
    assert [row["rank"] for row in table.values()] == [1, 2, 2, 4]
    keys = ["received", "closed", "on_time", "due", "open", "overdue", "returned", "extended",
            "verified", "awaiting_reply"]
    assert [table[JS][k] for k in keys] == [5, 2, 2, 3, 3, 1, 0, 1, 1, 0]
    assert [table[YJ][k] for k in keys] == [5, 3, 2, 3, 2, 1, 0, 0, 3, 1]
    assert [table[XF][k] for k in keys] == [4, 4, 3, 4, 0, 1, 0, 0, 4, 2]
    assert [table[DC][k] for k in keys] == [3, 1, 0, 2, 2, 2, 1, 0, 0, 0]
    assert [round(row["on_time_rate"], 4) for row in table.values()] == [0.75, 0.6667, 0.6667, 0.0]


def test_groupings(october):
    def received(table):
        return {name: row["received"] for name, row in table.items()}

    assert received(october.by_category) == {"紧急": 4, "一般": 13, "事故": 1}
    assert received(october.by_source) == {
        "12350热线": 12, "国家转办": 1, "省转办": 1, "市转办": 1, "来信": 1, "网络": 2}
    assert list(received(october.by_industry).items()) == [
        ("建筑施工", 5), ("工贸", 4), ("消防", 4), ("危险化学品", 1), (BLANK, 4)]
    assert list(received(october.by_area).items()) == [
        ("东城街道", 7), ("西城街道", 3), ("青山镇", 3), ("北城街道", 2), ("南城街道", 2), (BLANK, 1)]
    # Each grouping adds up to the period's cases.
    for table in (october.by_category, october.by_source, october.by_industry, october.by_area):
        assert sum(row["received"] for row in table.values()) == 18
        assert sum(row["overdue"] for row in table.values()) == 5


def test_months_of_the_year(october):
    received = {month: row["received"] for month, row in october.monthly.items()}
    assert received[8] == 1 and received[9] == 4 and received[10] == 18 and received[11] == 0
    assert math.isnan(received[12]) and all(math.isnan(v) for v in october.monthly[12].values())
    assert sum(received[m] for m in range(1, 8)) == 0
    assert october.monthly[8]["open_overdue"] == 1


def test_overdue_cases_named_with_their_units(october):
    listed = [(c.unit, c.case_id, c.answered, c.late_by) for c in october.overdue]
    assert listed == [
        (DC, "AJ2026-0107", None, timedelta(days=11, hours=9, seconds=1)),
        (DC, "AJ2026-0110", datetime(2026, 10, 30, 9, 0), timedelta(days=1, hours=9, seconds=1)),
        (JS, "AJ2026-0118", None, timedelta(hours=22, minutes=30)),
        (YJ, "AJ2026-0103", datetime(2026, 10, 19, 10, 0), timedelta(days=2, hours=10, seconds=1)),
        (XF, "AJ2026-0111", datetime(2026, 10, 21, 18, 0), timedelta(hours=2, minutes=30)),
    ]
    assert [(c.case_id, c.late_by.days) for c in october.carried_overdue] == [("AJ2026-0080", 62)]


def test_awaiting_reply(october):
    assert [(c.unit, c.case_id) for c in october.awaiting_reply] == [
        (YJ, "AJ2026-0103"), (XF, "AJ2026-0105"), (XF, "AJ2026-0111")]


def test_repeated_reports(october):
    assert [(r.text, r.count, r.earlier, r.case_ids) for r in october.repeated_subjects] == [
        (HONGDA, 3, 1, ("AJ2026-0102", "AJ2026-0104", "AJ2026-0118")),
        (DONGHU_ESTATE, 2, 1, ("AJ2026-0107", "AJ2026-0115")),
        (DONGHU_MALL, 2, 0, ("AJ2026-0101", "AJ2026-0111")),
        (WUJIN, 2, 0, ("AJ2026-0103", "AJ2026-0109")),
    ]
    assert [(r.text, r.count, r.earlier) for r in october.repeated_addresses] == [
        ("东城街道人民路88号", 2, 1)]


def test_listed_text_is_redacted(october):
    subject = next(c.subject for c in october.overdue if c.case_id == "AJ2026-0110")
    assert subject == f"人民路烧烤店（举报人{MARKER}楼下）"


# --- single rules ---------------------------------------------------------------------------

def test_closed_after_now_counts_as_open_then():
    """A report re-made with an earlier --now sees the register as it stood then."""
    row = case(1, "10-12 10:00", "12350热线", "一般", DC, "东城街道", "甲", "乙",
               referred="10-12 10:30", deadline=_end(10, 21), status=col.CLOSED,
               answered="10-22 10:00", verified="属实", replied="是")
    before = case_records([row], datetime(2026, 10, 22, 9, 0))[0]
    assert (before["closed"], before["open_overdue"], before["overdue"]) == (False, True, True)
    after = case_records([row], NOW)[0]
    assert (after["closed"], after["closed_late"], after["open_overdue"]) == (True, True, False)


def test_closed_without_feedback_time_uses_overdue_column():
    row = case(1, "10-12 10:00", "12350热线", "一般", DC, None, "甲", "乙", referred="10-12 10:30",
               deadline=_end(10, 21), status=col.CLOSED, answered="10-20 10:00")
    row[col.FEEDBACK_AT] = None
    assert case_records([row], NOW)[0]["on_time"]
    row[col.OVERDUE] = col.YES
    assert not case_records([row], NOW)[0]["on_time"]


def test_rows_without_dates_and_empty_registers():
    assert case_records([{col.CASE_ID: "AJ2026-0001"}], NOW) == []
    empty = period_stats([], OCTOBER_PERIOD, NOW)
    assert empty.totals["received"] == 0 and math.isnan(empty.totals["on_time_rate"])
    assert empty.by_unit == {} and empty.overdue == [] and empty.repeated_subjects == []
    assert figures(case_records([], NOW), "category", ["紧急"])["紧急"]["received"] == 0


def test_part_of_a_period_compares_with_the_same_span():
    so_far = parse_period("2026-11").upto(NOW)
    assert (so_far.start, so_far.end, so_far.label, so_far.whole) == \
        (datetime(2026, 11, 1), NOW, "2026年11月1日至11月2日", False)
    assert (so_far.previous.start, so_far.previous.end, so_far.previous.label) == \
        (datetime(2026, 10, 1), datetime(2026, 10, 2, 9, 0), "2026年10月1日至10月2日")
    assert so_far.unit_word == "上月同期"
    assert parse_period("2026-10").upto(NOW) == parse_period("2026-10")
    year = period_stats(OCTOBER_ROWS, period_of(NOW, "year").upto(NOW), NOW, OCTOBER_REQUESTS)
    assert year.period.label == "2026年1月1日至11月2日" and year.totals["received"] == 23
    assert year.period.previous.label == "2025年1月1日至11月2日"
    assert year.previous["received"] == 0


def test_vague_places_are_not_repeated_reports():
    rows = [{"案件编号": f"AJ2026-000{i}", "受理时间": datetime(2026, 10, 20 + i, 9, 0), "来源": "12350热线",
             "被举报单位": "不详", "事发地址": "不详", "类别": "一般", "承办单位": "东城街道", "状态": "待分派"}
            for i in range(1, 4)]
    stats = period_stats(rows, parse_period("2026-10"), datetime(2026, 10, 31, 18, 0))
    assert stats.repeated_subjects == [] and stats.repeated_addresses == []


def test_returns_and_extensions_come_from_the_journal_not_from_remarks():
    # A clerk's remark that mentions 申请退回 is not a return; a request the journal holds
    # counts even once decided (状态 back to 办理中).
    remark = case(201, "10-20 09:00", "12350热线", "一般", "东城街道", "东城街道", "某厂", "人民路1号",
                  referred="10-20 10:00", deadline=datetime(2026, 10, 29, 23, 59, 59),
                  status=col.IN_PROGRESS, log="2026-10-21 单位来电称拟申请退回，已告知先核查")
    remark[col.NOTES] = "申请退回？电话中已说明不予退回；申请延期也不必"
    decided = case(202, "10-20 09:00", "12350热线", "一般", "东城街道", "东城街道", "某店", "人民路2号",
                   referred="10-20 10:00", deadline=datetime(2026, 10, 29, 23, 59, 59),
                   status=col.IN_PROGRESS)
    requests = {"AJ2026-0202": frozenset({"申请退回"})}
    stats = period_stats([remark, decided], parse_period("2026-10"), NOW, requests)
    assert (stats.totals["returned"], stats.totals["extended"]) == (1, 0)
    assert period_stats([remark, decided], parse_period("2026-10"), NOW).totals["returned"] == 0
