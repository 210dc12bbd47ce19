"""Lenient reading of what people type into cells: text for matching, and dates.

Clerks and units type on Chinese keyboards in Excel or WPS, so the same answer arrives with
full-width digits, ideographic spaces, non-breaking spaces pasted from web pages, or as a
date written in one of a dozen customary ways. Everything here is pure and has no I/O.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

# Invisible characters that NFKC keeps but that no one means to type (they come from web
# pages, Word and WeChat copy-paste): zero-width space/joiners, word joiner, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")
_WHITESPACE = re.compile(r"\s+")

# Integral floats below this print exactly as integers (2**53: the float mantissa limit).
_EXACT_INT_LIMIT = 2**53


def normalize_text(value: Any) -> str:
    """The text of a cell value, fit for comparing and parsing.

    NFKC folds full-width digits, letters and punctuation and the ideographic space to their
    half-width forms; invisible characters are dropped; whitespace runs (newlines included)
    become one space. Use it to match labels and read short answers, not to store free text
    whose line breaks matter.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", _plain_str(value))
    text = _INVISIBLE.sub("", text)
    return _WHITESPACE.sub(" ", text).strip()


def _plain_str(value: Any) -> str:
    # A phone number or case number typed into a General cell comes back as 13800138000.0;
    # people mean the digits they typed, not Python's float spelling.
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT_INT_LIMIT:
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class When:
    """A point in time read from a cell; has_time tells whether a time of day was given."""

    at: datetime
    has_time: bool


# How far ahead a date typed without a year may lie: in January "12月28日" is last December
# and "2月3日" next month; in December "1月5日" is next January.
_YEARLESS_FUTURE_DAYS = 60

# Excel serial numbers we accept as dates: 1990-01-01 .. 2099-12-31 in the 1900 system.
# Smaller or larger numbers in a date column are far more likely typos than dates.
_SERIAL_MIN = 32874
_SERIAL_MAX = 73050
# Day 0 of the 1900 system as Excel counts after its fictitious 1900-02-29 (serial 60).
_SERIAL_EPOCH = datetime(1899, 12, 30)

_EXAMPLES = "例如 2026-12-03 或 2026年12月3日 14:30（也可写 2026/12/3、2026.12.3、20261203、12月3日、下午3点）"

# Spaces are dropped wherever they do not sit between two digits, so "2026 年 12 月 3 日" and
# "下午 3 点" read like their tight forms while "2026-12-3 14:30" keeps its date/time gap.
_LOOSE_SPACE = re.compile(r"(?<!\d) | (?!\d)")
_WEEKDAY = re.compile(r"\(?(?:星期|礼拜|周)[一二三四五六日天]\)?")

_DATE_FORMS = (
    # 2026-12-03, 2026/12/3, 2026.12.3
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    # 2026年12月3日, 2026年12月3号
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    # 20261203
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    # 12月3日, 12月3号
    re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?"),
    # 12/3
    re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})"),
)

_TIME_FORM = re.compile(
    r"(?P<part>上午|早上|早晨|凌晨|中午|下午|晚上|傍晚|夜里|夜间)?"
    r"(?P<h>\d{1,2})"
    r"(?:"
    r":(?P<mi>\d{1,2})(?::(?P<s>\d{1,2})(?:\.\d+)?)?"
    r"|[时点](?:(?P<half>半)|(?P<mi2>\d{1,2})分?(?:(?P<s2>\d{1,2})秒)?)?钟?"
    r")"
    r"(?P<ampm>am|pm)?",
    re.IGNORECASE,
)

# A date whose year has only two digits: refused because 26-12-03 could be read three ways.
_SHORT_YEAR = re.compile(r"\d{2}(?:[-/.]\d{1,2}[-/.]\d{1,2}|年\d{1,2}月\d{1,2})(?!\d)")

_AFTERNOON = ("下午", "晚上", "傍晚", "夜里", "夜间")


def parse_when(value: Any, *, today: date) -> When | None:
    """Read a date or date-time from a cell value; None for an empty cell.

    Accepts datetime/date objects, Excel serial numbers and text in the customary Chinese
    and ISO forms. `today` decides the year of a date typed without one. Raises ValueError
    with a Chinese message naming what was not understood and the accepted forms.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return _from_datetime(value.replace(tzinfo=None))
    if isinstance(value, date):
        return When(datetime(value.year, value.month, value.day), False)
    if isinstance(value, time):
        raise ValueError(f"“{value}”只有时间，没有日期。请写完整日期，{_EXAMPLES}")
    if isinstance(value, bool):
        raise ValueError(f"“{value}”不是日期。请填写日期，{_EXAMPLES}")
    if isinstance(value, (int, float)):
        return _from_number(value, today)
    return _from_text(str(value), today)


def _from_datetime(value: datetime) -> When:
    # A spreadsheet cannot tell "no time given" from midnight; midnight almost always means
    # a date typed into a date-time formatted cell.
    return When(value, value.time() != time(0, 0))


def _from_number(value: int | float, today: date) -> When:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"“{value}”不是日期。请填写日期，{_EXAMPLES}")
    # 20261203 typed into a General cell arrives as a number, not as text.
    if float(value).is_integer() and 19000101 <= value <= 21001231:
        return _from_text(str(int(value)), today)
    if not _SERIAL_MIN <= value <= _SERIAL_MAX:
        raise ValueError(f"数字“{_plain_str(value)}”不是有效的日期。请填写日期，{_EXAMPLES}")
    at = _SERIAL_EPOCH + timedelta(days=float(value))
    # Serial fractions carry float noise (14:30 is 0.604166…); whole seconds are what was meant.
    at = (at + timedelta(microseconds=500_000)).replace(microsecond=0)
    return _from_datetime(at)


# 二〇二六年十二月一日: the way official documents write a date, in Chinese numerals.
_CN_DIGITS = {c: n for n, chars in enumerate(("〇零○Ｏ", "一", "二", "三", "四", "五", "六", "七", "八", "九"))
              for c in chars}
_CN_DATE = re.compile(r"([〇零○Ｏ一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})([日号])")


def _cn_number(text: str) -> int:
    """一 -> 1, 十 -> 10, 十二 -> 12, 二十 -> 20, 三十一 -> 31; -1 for what is no number."""
    tens, ten, ones = text.partition("十")
    if not ten:
        tens, ones = "", tens
    if len(tens) > 1 or len(ones) > 1 or any(c not in _CN_DIGITS for c in tens + ones) or not (ten or ones):
        return -1
    if not ten:
        return _CN_DIGITS[ones]
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _arabic_date(text: str) -> str:
    def digits(match: re.Match[str]) -> str:
        year = "".join(str(_CN_DIGITS[c]) for c in match[1])
        return f"{year}年{_cn_number(match[2])}月{_cn_number(match[3])}{match[4]}"
    return _CN_DATE.sub(digits, text)


def _from_text(raw: str, today: date) -> When | None:
    text = normalize_text(raw)
    if not text:
        return None
    compact = _arabic_date(_WEEKDAY.sub("", _LOOSE_SPACE.sub("", text)))
    for form in _DATE_FORMS:
        match = form.match(compact)
        if match is None:
            continue
        rest = compact[match.end():].lstrip(" T")
        clock = _parse_clock(rest)
        if clock is None:
            continue
        day = _make_date(match, today, text)
        if clock is _NO_TIME:
            return When(datetime.combine(day, time(0, 0)), False)
        return When(datetime.combine(day, clock), True)
    raise ValueError(_not_understood(text, compact))


# Marks "no time written" apart from a parse failure (None) and from a real midnight.
_NO_TIME = object()


def _parse_clock(rest: str) -> time | object | None:
    """The time after a date: _NO_TIME when nothing follows, None when it is not a time."""
    if not rest:
        return _NO_TIME
    match = _TIME_FORM.fullmatch(rest)
    if match is None:
        return None
    hour = int(match["h"])
    minute = 30 if match["half"] else int(match["mi"] or match["mi2"] or 0)
    second = int(match["s"] or match["s2"] or 0)
    hour = _twenty_four_hour(hour, match["part"], (match["ampm"] or "").lower())
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise ValueError(f"时间“{rest}”不存在。请按 24 小时制填写，{_EXAMPLES}")
    return time(hour, minute, second)


def _twenty_four_hour(hour: int, part: str | None, ampm: str) -> int:
    """Turn 下午3点 / 3pm into 15; hours already past 12 are kept as written."""
    if part in _AFTERNOON or ampm == "pm":
        return hour + 12 if hour < 12 else hour
    if part == "中午":
        # 中午12点 is noon, 中午1点 is 13:00; nobody means 1 a.m. by 中午.
        return hour + 12 if 1 <= hour <= 3 else hour
    if (part == "凌晨" or ampm == "am") and hour == 12:
        return 0
    return hour


def _make_date(match: re.Match[str], today: date, text: str) -> date:
    month, day = int(match["m"]), int(match["d"])
    year_text = match.groupdict().get("y")
    if year_text:
        return _valid_date(int(year_text), month, day, text)
    # The latest of next year, this year and last year that is not too far ahead: in
    # December "1月5日" (an upstream deadline) is next January, in January "12月28日" last December.
    latest = today + timedelta(days=_YEARLESS_FUTURE_DAYS)
    for year in (today.year + 1, today.year, today.year - 1):
        try:
            result = date(year, month, day)
        except ValueError:
            continue  # 2月29日 in a year that has none
        if result <= latest:
            return result
    return _valid_date(today.year, month, day, text)


def _valid_date(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"日期“{text}”不存在（{year}年{month}月{day}日）。请核对后填写，{_EXAMPLES}") from None


def _not_understood(text: str, compact: str) -> str:
    if _SHORT_YEAR.match(compact):
        return f"无法识别日期“{text}”：年份请写完整的 4 位数字，{_EXAMPLES}"
    return f"无法识别日期“{text}”。请填写日期，{_EXAMPLES}"


def chinese_date(value: date | datetime | None, with_time: bool = False) -> str:
    """2026年10月15日, or 2026年10月15日14时30分 (14时 on the hour); GB/T 9704 writes no
    leading zeros. None gives ""."""
    if value is None:
        return ""
    text = f"{value.year}年{value.month}月{value.day}日"
    if with_time and isinstance(value, datetime):
        text += f"{value.hour}时"
        if value.minute:
            text += f"{value.minute}分"
    return text


def as_text(value: Any) -> str | None:
    """How a cell value is stored in the journal: ISO text for dates, str otherwise."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# One rule for an e-mail address, wherever one is checked: config, the 联络人 sheet, returned
# liaison forms, recipients. (redact.py finds addresses inside prose, a looser job of its own.)
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Several addresses in one cell are separated by any of these.
EMAIL_SEPARATORS = re.compile(r"[;；,，、\s]+")


def is_email_address(text: object) -> bool:
    """True for one well-formed address such as anquan@example.gov.cn."""
    return bool(EMAIL_ADDRESS.fullmatch(str(text or "").strip()))


# Characters Windows does not allow in file names, control characters, and whitespace (which
# confuses mail clients): the one rule for every file and folder name tipdesk makes.
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\s\x00-\x1f\x7f]+')
# Long enough for any case, unit or attachment name; short enough that a dated outbox folder
# on Windows stays well inside its 260-character path limit.
MAX_NAME_LENGTH = 80


def safe_name(text: str, fallback: str = "未命名") -> str:
    """A file or folder name made from a unit, case or attachment name; its extension is kept
    when a long name is shortened."""
    name = _UNSAFE_IN_NAMES.sub("_", str(text or "")).strip("._ ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        keep = f"{dot}{ext}" if dot and 0 < len(ext) <= 5 else ""
        name = name[: MAX_NAME_LENGTH - len(keep)].rstrip("._ ") + keep
    return name or fallback


_HALF_BRACKETS = str.maketrans({"(": "（", ")": "）"})


def fullwidth_brackets(text: str) -> str:
    """Round brackets as Chinese official text writes them (GB/T 9704): "吴志刚(副局长)" ->
    "吴志刚（副局长）". Names read from forms come half-width (NFKC folds them)."""
    return str(text).translate(_HALF_BRACKETS)
