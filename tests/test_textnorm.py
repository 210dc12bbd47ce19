"""normalize_text and parse_when: what clerks and units type, read leniently."""

from datetime import date, datetime, time

import pytest

from tipdesk.domain.textnorm import When, normalize_text, parse_when

TODAY = date(2026, 11, 29)


# --- normalize_text ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("", ""),
        ("  案件编号  ", "案件编号"),
        ("ＡＪ－２０２６－０００１", "AJ-2026-0001"),  # full-width letters, digits, hyphen
        ("案件\u3000编号", "案件 编号"),  # ideographic space
        ("\u3000\u3000承办单位\u3000", "承办单位"),
        ("联系\u00a0电话", "联系 电话"),  # non-breaking space from web pages
        ("是否\u200b属实", "是否属实"),  # zero-width space from copy-paste
        ("\ufeff经办人\u200d", "经办人"),  # BOM and zero-width joiner
        ("核查\n\n情况\t 说明", "核查 情况 说明"),  # newlines, tabs, runs
        ("（已办结）", "(已办结)"),  # full-width parentheses
        ("办理状态：已办结", "办理状态:已办结"),  # full-width colon
        (13800138000.0, "13800138000"),  # phone number typed into a General cell
        (3.5, "3.5"),
        (42, "42"),
        (True, "True"),
        (date(2026, 12, 3), "2026-12-03"),
    ],
)
def test_normalize_text(value, expected):
    assert normalize_text(value) == expected


def test_normalize_text_is_idempotent():
    once = normalize_text("  ＡＢ\u3000Ｃ\u00a0\u200bｄ  ")
    assert normalize_text(once) == once == "AB C d"


def test_normalize_text_keeps_chinese_punctuation_without_half_width_forms():
    # NFKC has no half-width form for 。 and 、; they stay as typed.
    assert normalize_text("属实。已整改、已处罚") == "属实。已整改、已处罚"


# --- parse_when: empty ------------------------------------------------------------------

@pytest.mark.parametrize("value", [None, "", "   ", "\u3000", "\u200b"])
def test_empty_is_none(value):
    assert parse_when(value, today=TODAY) is None


# --- parse_when: objects from spreadsheet readers ----------------------------------------

def test_datetime_keeps_time():
    assert parse_when(datetime(2026, 12, 3, 14, 30), today=TODAY) == When(datetime(2026, 12, 3, 14, 30), True)


def test_datetime_at_midnight_counts_as_date_only():
    # A date typed into a date-time formatted cell reads back as midnight.
    assert parse_when(datetime(2026, 12, 3), today=TODAY) == When(datetime(2026, 12, 3), False)


def test_date_becomes_midnight_without_time():
    assert parse_when(date(2026, 12, 3), today=TODAY) == When(datetime(2026, 12, 3), False)


def test_aware_datetime_is_made_naive():
    from datetime import timedelta, timezone

    aware = datetime(2026, 12, 3, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    assert parse_when(aware, today=TODAY) == When(datetime(2026, 12, 3, 9, 0), True)


def test_when_is_frozen():
    when = parse_when("2026-12-03", today=TODAY)
    with pytest.raises(AttributeError):
        when.has_time = True  # type: ignore[misc]


# --- parse_when: Excel serial numbers -------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (46359, When(datetime(2026, 12, 3), False)),
        (46359.0, When(datetime(2026, 12, 3), False)),
        (46359.604166666664, When(datetime(2026, 12, 3, 14, 30), True)),  # float noise
        (46359.6041666667, When(datetime(2026, 12, 3, 14, 30), True)),
        (45658, When(datetime(2025, 1, 1), False)),
        (20261203, When(datetime(2026, 12, 3), False)),  # 20261203 typed into a General cell
        (20261203.0, When(datetime(2026, 12, 3), False)),
    ],
)
def test_excel_serial_numbers(value, expected):
    assert parse_when(value, today=TODAY) == expected


@pytest.mark.parametrize("value", [0, 5, 60, 1000, 99999, -46359, 3.5, float("nan"), float("inf")])
def test_implausible_numbers_are_refused(value):
    with pytest.raises(ValueError, match="不是"):
        parse_when(value, today=TODAY)


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_not_dates(value):
    # bool is an int in Python; True must not become serial 1.
    with pytest.raises(ValueError, match="不是日期"):
        parse_when(value, today=TODAY)


def test_time_alone_is_refused():
    with pytest.raises(ValueError, match="只有时间"):
        parse_when(time(14, 30), today=TODAY)


# --- parse_when: text ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "2026-12-03",
        "2026-12-3",
        "2026/12/3",
        "2026/12/03",
        "2026.12.3",
        "2026年12月3日",
        "2026年12月3号",
        "2026年12月03日",
        "20261203",
        "２０２６年１２月３日",  # full-width digits
        "２０２６－１２－０３",
        " 2026 年 12 月 3 日 ",  # stray spaces
        "\u30002026-12-03\u3000",
        "2026年12月3日（星期四）",
        "2026年12月3日 周四",
    ],
)
def test_dates_in_text(text):
    assert parse_when(text, today=TODAY) == When(datetime(2026, 12, 3), False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-03 14:30", datetime(2026, 12, 3, 14, 30)),
        ("2026-12-3 14:30", datetime(2026, 12, 3, 14, 30)),  # 3 and 14 must not run together
        ("2026-12-03 14:30:15", datetime(2026, 12, 3, 14, 30, 15)),
        ("2026-12-03T14:30:00", datetime(2026, 12, 3, 14, 30)),
        ("2026/12/3 9:05", datetime(2026, 12, 3, 9, 5)),
        ("2026.12.3 14:30", datetime(2026, 12, 3, 14, 30)),
        ("20261203 14:30", datetime(2026, 12, 3, 14, 30)),
        ("2026年12月3日14:30", datetime(2026, 12, 3, 14, 30)),
        ("2026年12月3日 14时30分", datetime(2026, 12, 3, 14, 30)),
        ("2026年12月3日14时30分15秒", datetime(2026, 12, 3, 14, 30, 15)),
        ("2026年12月3日 14点30分", datetime(2026, 12, 3, 14, 30)),
        ("2026年12月3日 14点30", datetime(2026, 12, 3, 14, 30)),
        ("2026年12月3日 14点", datetime(2026, 12, 3, 14, 0)),
        ("2026年12月3日 14时", datetime(2026, 12, 3, 14, 0)),
        ("2026年12月3日下午3点", datetime(2026, 12, 3, 15, 0)),
        ("2026年12月3日 下午 3 点", datetime(2026, 12, 3, 15, 0)),
        ("2026年12月3日下午3点半", datetime(2026, 12, 3, 15, 30)),
        ("2026年12月3日下午3:20", datetime(2026, 12, 3, 15, 20)),
        ("2026年12月3日下午15点", datetime(2026, 12, 3, 15, 0)),  # already 24-hour
        ("2026年12月3日上午9点", datetime(2026, 12, 3, 9, 0)),
        ("2026年12月3日早上8点", datetime(2026, 12, 3, 8, 0)),
        ("2026年12月3日晚上8点", datetime(2026, 12, 3, 20, 0)),
        ("2026年12月3日中午12点", datetime(2026, 12, 3, 12, 0)),
        ("2026年12月3日中午1点", datetime(2026, 12, 3, 13, 0)),
        ("2026年12月3日凌晨12点", datetime(2026, 12, 3, 0, 0)),
        ("2026年12月3日凌晨2点", datetime(2026, 12, 3, 2, 0)),
        ("2026年12月3号 8点钟", datetime(2026, 12, 3, 8, 0)),
        ("2026-12-03 2:30 PM", datetime(2026, 12, 3, 14, 30)),
        ("2026-12-03 12:00am", datetime(2026, 12, 3, 0, 0)),
        ("２０２６年１２月３日　１４：３０", datetime(2026, 12, 3, 14, 30)),
        ("2026年12月3日（星期四）上午9点", datetime(2026, 12, 3, 9, 0)),
        ("2026-12-03 00:00", datetime(2026, 12, 3, 0, 0)),  # written out, so a time was given
    ],
)
def test_dates_with_times_in_text(text, expected):
    assert parse_when(text, today=TODAY) == When(expected, True)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("12月3日", date(2026, 11, 29), date(2026, 12, 3)),
        ("12月3号", date(2026, 11, 29), date(2026, 12, 3)),
        ("12/3", date(2026, 11, 29), date(2026, 12, 3)),
        ("１２月３日", date(2026, 11, 29), date(2026, 12, 3)),
        ("3月1日", date(2026, 11, 29), date(2026, 3, 1)),  # in the past: this year
        # In early January, December is last year's December, not 11 months ahead.
        ("12月28日", date(2027, 1, 5), date(2026, 12, 28)),
        ("12/28", date(2027, 1, 5), date(2026, 12, 28)),
        # Up to about two months ahead stays this year (a deadline being asked for).
        ("2月20日", date(2026, 1, 5), date(2026, 2, 20)),
        ("3月6日", date(2026, 1, 5), date(2026, 3, 6)),
        ("3月7日", date(2026, 1, 5), date(2025, 3, 7)),
    ],
)
def test_dates_without_year(text, today, expected):
    assert parse_when(text, today=today) == When(datetime.combine(expected, time(0, 0)), False)


def test_date_without_year_with_time():
    assert parse_when("12月3日下午3点", today=TODAY) == When(datetime(2026, 12, 3, 15, 0), True)
    assert parse_when("12/3 14:30", today=TODAY) == When(datetime(2026, 12, 3, 14, 30), True)


def test_leap_day_without_year_in_a_leap_year():
    assert parse_when("2月29日", today=date(2028, 3, 1)).at == datetime(2028, 2, 29)


# --- parse_when: refusals ---------------------------------------------------------------

@pytest.mark.parametrize(
    "text",
    [
        "26-12-03",
        "26/12/3",
        "26.12.3",
        "26年12月3日",
    ],
)
def test_two_digit_years_are_refused(text):
    with pytest.raises(ValueError, match="4 位"):
        parse_when(text, today=TODAY)


@pytest.mark.parametrize(
    "text",
    [
        "明天",
        "下周一",
        "12/3/2026",  # month-first with year last: ambiguous, not a customary form here
        "2026年12月",
        "2026-12",
        "2026 12 03",
        "2026-12-03 14",
        "2026-12-03 下午",
        "2026-12-03 随后",
        "202612",
        "2026120",
        "12月",
        "已办结",
    ],
)
def test_text_not_understood(text):
    with pytest.raises(ValueError) as caught:
        parse_when(text, today=TODAY)
    message = str(caught.value)
    assert "无法识别日期" in message
    assert text.strip() in message  # says what was not understood
    assert "2026-12-03" in message and "2026年12月3日 14:30" in message  # and how to write it


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "2026年2月29日", "20260230", "2月30日"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(ValueError, match="不存在"):
        parse_when(text, today=TODAY)


@pytest.mark.parametrize("text", ["2026-12-03 25:00", "2026-12-03 14:60", "2026年12月3日24点"])
def test_impossible_times_are_refused(text):
    with pytest.raises(ValueError, match="不存在"):
        parse_when(text, today=TODAY)


def test_leap_day_without_year_in_a_common_year():
    with pytest.raises(ValueError, match="不存在（2027年2月29日）"):
        parse_when("2月29日", today=date(2027, 12, 1))


def test_messages_are_chinese_and_show_examples():
    with pytest.raises(ValueError) as caught:
        parse_when("abc", today=TODAY)
    assert str(caught.value).startswith("无法识别日期“abc”")
    assert "例如 2026-12-03 或 2026年12月3日 14:30" in str(caught.value)


def test_safe_name_is_the_one_rule_for_file_names():
    from tipdesk.domain.textnorm import MAX_NAME_LENGTH, safe_name

    assert safe_name('区住建局/安监:科 "二组"') == "区住建局_安监_科_二组"
    assert safe_name("\x07督办\r\n通知.docx") == "督办_通知.docx"
    assert safe_name("...", "附件") == "附件"
    long = safe_name("关于" + "某某化工有限公司" * 20 + "的举报反馈表.xlsx")
    assert len(long) == MAX_NAME_LENGTH and long.endswith(".xlsx")


@pytest.mark.parametrize("text, today, expected", [
    ("1月5日", date(2026, 12, 20), datetime(2027, 1, 5)),     # an upstream deadline in late December
    ("1月5日", date(2026, 12, 1), datetime(2027, 1, 5)),
    ("12月28日", date(2027, 1, 3), datetime(2026, 12, 28)),   # typed in January: last December
    ("2月3日", date(2027, 1, 3), datetime(2027, 2, 3)),
    ("6月1日", date(2026, 12, 1), datetime(2026, 6, 1)),      # far ahead means last time round
    ("12月28日", date(2026, 12, 1), datetime(2026, 12, 28)),
])
def test_a_date_without_a_year_takes_the_nearest_sensible_year(text, today, expected):
    assert parse_when(text, today=today).at == expected


@pytest.mark.parametrize("text, expected", [
    ("二〇二六年十二月一日", datetime(2026, 12, 1)),
    ("二零二六年一月十五号", datetime(2026, 1, 15)),
    ("二〇二六年十月二十日", datetime(2026, 10, 20)),
    ("二〇二六年十二月三十一日", datetime(2026, 12, 31)),
    ("二〇二六年十二月一日下午3点", datetime(2026, 12, 1, 15)),
])
def test_dates_in_chinese_numerals(text, expected):
    # How official documents write dates; units copy them into the sheet.
    assert parse_when(text, today=date(2026, 12, 2)).at == expected


@pytest.mark.parametrize("text, says", [("二〇二六年二月三十日", "不存在"), ("二〇二六年十十月一日", "无法识别")])
def test_impossible_chinese_numeral_dates_are_refused(text, says):
    with pytest.raises(ValueError, match=says):
        parse_when(text, today=date(2026, 12, 2))
