"""The State Council's holiday notices, read (tipdesk/domain/holidays.py) and used by the
working-day calendar. The notices of 2017–2026 in tests/data/holiday_notices/ are the texts
as published; 2027 is written in the same form (not yet published)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.holidays import config_dates, notice_year, parse_notice

NOTICES = Path(__file__).parent / "data" / "holiday_notices"
TITLE = "国务院办公厅关于2027年部分节假日安排的通知\n"

# Days where chinesecalendar follows a later State Council notice that changed the first one:
# 2019's Labour Day was lengthened (调整2019年劳动节假期安排, March 2019) and 2020's Spring
# Festival extended (延长2020年春节假期, January 2020). The yearly notices say otherwise.
LATER_ADJUSTMENTS = {date(2019, 4, 28), date(2019, 5, 2), date(2019, 5, 3), date(2019, 5, 5),
                     date(2020, 1, 31), date(2020, 2, 1)}


def read(name: str):
    path = NOTICES / name
    return parse_notice(path.read_text(encoding="utf-8"), path.name)


def days_of(year: int):
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def test_ten_years_of_notices_agree_with_chinesecalendar_day_by_day():
    calendar = WorkCalendar(notices={y: read(f"{y}.txt") for y in range(2017, 2027)})
    differ = [d for y in range(2017, 2027) for d in days_of(y)
              if calendar.is_workday(d) != chinese_calendar.is_workday(d)]
    assert set(differ) == LATER_ADJUSTMENTS
    assert calendar.uncovered_years == set()


def test_a_cross_year_new_year_is_read_into_both_years():
    # 2019's notice: 元旦 2018年12月30日至2019年1月1日, and 2018年12月29日（星期六）上班.
    schedule = read("2019.txt")
    assert {date(2018, 12, 30), date(2018, 12, 31), date(2019, 1, 1)} <= schedule.holidays
    assert date(2018, 12, 29) in schedule.workdays
    calendar = WorkCalendar(notices={2018: read("2018.txt"), 2019: schedule})
    assert calendar.is_workday(date(2018, 12, 29)) and not calendar.is_workday(date(2018, 12, 31))


@pytest.mark.parametrize("name", ["2027.txt", "2027-fullwidth.txt"])
def test_2027_as_typed_officially_and_as_retyped_with_full_width_digits(name):
    expected = {}
    for line in (NOTICES / "2027-expected.txt").read_text(encoding="utf-8").split("\n"):
        if line.strip():
            day, kind = line.split()
            expected[date.fromisoformat(day)] = kind
    schedule = read(name)
    assert schedule.year == 2027
    assert {d: "休" for d in schedule.holidays} | {d: "班" for d in schedule.workdays} == expected
    assert [s.festivals for s in schedule.sections][-2:] == [("中秋节",), ("国庆节",)]


@pytest.mark.parametrize("name, message", [
    ("bad-weekday.txt", "bad-weekday.txt 第4行：2027年1月1日是星期五，原文写作“1月1日（周四）”，请核对日期或星期是否抄错"),
    ("bad-unreadable.txt", "bad-unreadable.txt 第6行：没有读到放假日期"),
    ("bad-count.txt", "bad-count.txt 第10行：写的是共8天，但10月1日至10月7日共7天"),
])
def test_malformed_notices_are_refused_naming_the_line(name, message):
    with pytest.raises(TipdeskError) as err:
        read(name)
    assert err.value.message.startswith(message)
    assert "（原文：" in err.value.message


@pytest.mark.parametrize("line, off, on", [
    ("一、元旦：1月1日放假，1月4日（星期一）补休。", ["2027-01-01", "2027-01-04"], []),
    ("一、元旦：1月1日（周五）放假1天，不调休。", ["2027-01-01"], []),
    ("三、清明节：4月5日放假，与周末连休。", ["2027-04-05"], []),
    ("一、元旦：12月31日(周四)至1月2日(周六)放假，共3天。", ["2026-12-31", "2027-01-01", "2027-01-02"], []),
    ("一、元旦：2026年12月30日至2027年1月1日放假调休，共3天。2026年12月27日（星期日）上班。",
     ["2026-12-30", "2026-12-31", "2027-01-01"], ["2026-12-27"]),
    ("二、春节：1月30日（农历腊月二十三、周六）至2月7日放假调休，共9天。1月24日（周日）、2月20日（周六）上班。",
     [f"2027-01-{d}" for d in (30, 31)] + [f"2027-02-0{d}" for d in range(1, 8)], ["2027-01-24", "2027-02-20"]),
    ("六、中秋节、国庆节：9月30日至10月7日放假调休，共8天。", ["2027-09-30"] + [f"2027-10-0{d}" for d in range(1, 8)], []),
    ("四、劳动节：４月３０日至５月４日放假，共５天。", ["2027-04-30"] + [f"2027-05-0{d}" for d in range(1, 5)], []),
])
def test_the_sentence_forms_of_past_notices(line, off, on):
    schedule = parse_notice(TITLE + line, "通知.txt", complete=False)
    assert sorted(schedule.holidays) == [date.fromisoformat(d) for d in off]
    assert sorted(schedule.workdays) == [date.fromisoformat(d) for d in on]


@pytest.mark.parametrize("text, message", [
    ("一、元旦：1月1日放假。", "通知.txt：找不到年份"),
    (TITLE + "正文没有编号。", "通知.txt：没有读到任何节日安排"),
    (TITLE + "一、元宵节、春节：2月1日放假。", "通知.txt 第2行：“元宵节、春节”中有无法识别的节日名称"),
    (TITLE + "四、劳动节：5月1日放假。5月6日（周四）上班。", "通知.txt 第2行：上班日5月6日是周四"),
    (TITLE + "四、劳动节：5月1日放假。5月8日调整。", "通知.txt 第2行：看不懂“5月8日调整”"),
    (TITLE + "四、劳动节：5月1日至2月3日放假。", "通知.txt 第2行：5月1日至2月3日不是一段假期"),
    (TITLE + "四、劳动节：2月30日放假。", "通知.txt 第2行：“2月30日”不是有效的日期"),
    (TITLE + "四、劳动节：5月1日放假。\n五、端午节：6月9日放假。5月1日（周六）上班。",
     "通知.txt：2027年5月1日既是放假日又是上班日"),
])
def test_adversarial_notices(text, message):
    with pytest.raises(TipdeskError) as err:
        parse_notice(text, "通知.txt", complete=False)
    assert err.value.message.startswith(message)


def test_the_year_comes_from_the_title():
    assert notice_year("国务院办公厅关于２０２７年部分节假日安排的通知") == 2027
    assert notice_year("经国务院批准，现将2027年元旦、春节……") == 2027
    assert notice_year("放假安排") is None


@pytest.mark.parametrize("value, days", [
    ("2027-01-01..2027-01-03", ["2027-01-01", "2027-01-02", "2027-01-03"]),
    ("2027-01-01 .. 01-03", ["2027-01-01", "2027-01-02", "2027-01-03"]),
    ("2027年1月1日", ["2027-01-01"]),
    ("２０２７年２月１０日至１２日", ["2027-02-10", "2027-02-11", "2027-02-12"]),
    (date(2027, 5, 1), ["2027-05-01"]),
])
def test_config_dates_accept_ranges_and_chinese_dates(value, days):
    assert config_dates(value) == [date.fromisoformat(d) for d in days]


@pytest.mark.parametrize("value", ["明年元旦", "2027-02-30", "2027-01-03..2027-01-01", "1月1日", "2027-01-01..2027-01-02..03"])
def test_config_dates_refuse_what_they_cannot_read(value):
    with pytest.raises(ValueError):
        config_dates(value)


@pytest.mark.parametrize("year", range(2017, 2028))
def test_a_notice_pasted_as_one_paragraph_or_wrapped_reads_the_same(year):
    # A web page copied whole arrives as one paragraph; a PDF or a narrow column wraps a
    # section, putting its make-up days on a line of their own.
    text = (NOTICES / f"{year}.txt").read_text(encoding="utf-8")
    official = parse_notice(text)
    for copy in (text.replace("\n", ""), text.replace("天。", "天。\n")):
        again = parse_notice(copy)
        assert (again.holidays, again.workdays) == (official.holidays, official.workdays)


def test_import_reads_a_word_copy_and_replaces_the_year(tmp_path, capsys):
    from docx import Document

    from tipdesk.cli import main
    from tipdesk.commands.init import init_workspace

    init_workspace(tmp_path / "ws")
    config = str(tmp_path / "ws" / "config.yaml")
    word = Document()
    for line in (NOTICES / "2027.txt").read_text(encoding="utf-8").split("\n"):
        word.add_paragraph(line)
    word.save(tmp_path / "国务院办公厅关于2027年部分节假日安排的通知.docx")
    gbk = tmp_path / "通知.txt"
    gbk.write_bytes((NOTICES / "2027-fullwidth.txt").read_text(encoding="utf-8").encode("gbk"))
    assert main(["calendar", "import", str(tmp_path / "国务院办公厅关于2027年部分节假日安排的通知.docx"),
                 "--config", config, "--now", "2026-12-01 09:00"]) == 0
    assert "已保存" in capsys.readouterr().out
    assert main(["calendar", "import", str(gbk), "--config", config, "--now", "2026-12-01 09:00"]) == 0
    assert "已替换" in capsys.readouterr().out
    stored = parse_notice((tmp_path / "ws" / "calendar" / "2027.txt").read_text(encoding="utf-8"))
    assert stored.holidays == read("2027.txt").holidays
    assert main(["calendar", "--config", config, "--now", "2026-12-01 09:00"]) == 0
    shown = capsys.readouterr().out
    assert "2027年：已导入的国务院通知（calendar/2027.txt）" in shown
    assert "2026年：chinesecalendar 软件包" in shown and "2025年：chinesecalendar 软件包" in shown
    assert main(["calendar", "import", str(NOTICES / "bad-weekday.txt"), "--config", config]) == 2
    assert "第4行" in capsys.readouterr().err
    assert main(["calendar", "import", "--config", config]) == 2


def test_a_notice_missing_a_festival_or_a_make_up_day_in_a_clause_is_caught():
    text = (NOTICES / "2026.txt").read_text(encoding="utf-8")
    without_dragon_boat = "\n".join(line for line in text.split("\n") if "端午节" not in line)
    with pytest.raises(TipdeskError) as err:
        parse_notice(without_dragon_boat, "通知.txt")
    assert "没有读到端午节的安排" in err.value.message
    clause = parse_notice(TITLE + "三、清明节：4月3日至5日放假调休，共3天，4月11日（周日）上班。", "通知.txt", complete=False)
    assert clause.workdays == {date(2027, 4, 11)}
    one_line = text.replace("\n", "").replace("如下。", "如下：")
    assert parse_notice(one_line).holidays == parse_notice(text).holidays
