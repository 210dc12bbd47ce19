"""The State Council's yearly holiday notice (国务院办公厅关于YYYY年部分节假日安排的通知), read.

Each November the notice fixes next year's days off and make-up workdays (调休) in one
numbered line per festival:

    一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    六、中秋节、国庆节：10月1日至8日放假调休，共8天。9月30日（星期六）上班。

`parse_notice` turns such a text into a `HolidaySchedule`, checking what a careful clerk
would: every numbered section names known festivals and yields days off; each weekday
annotation ((周四), （星期四）, （农历除夕、周二）) fits its date; "共N天" equals the days of
its range; make-up workdays fall on weekends. Ranges may cross a month or the year
(2018年12月30日至2019年1月1日, 12月31日至1月2日), digits may be full-width, and the sentence
forms "与周末连休", "不调休" and "M月D日（星期一）补休" are understood. Anything else on a
section line, or a section with no day off, is refused naming the line. Lines outside the
sections (title, intro, the closing paragraph, the signature date) are not read for dates.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from datetime import datetime as datetime_type

from tipdesk.domain.errors import EXIT_USAGE, TipdeskError

FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_ORDINAL = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．]\s*(.+)$")
_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年.{0,12}节假日")
_ANY_YEAR = re.compile(r"(\d{4})\s*年\s*(?:元旦|部分节假日|节假日)")
# One date: optional year, optional month, a day; then an optional bracketed annotation.
_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*日"
    r"\s*(?:[（(](?P<note>[^（）()]*)[）)])?")
_RANGE_SEPARATORS = ("至", "—", "－", "-", "～", "~", "到")
_COUNT = re.compile(r"共\s*(\d{1,2})\s*天")


@dataclass(frozen=True)
class NoticeSection:
    """One numbered line: its festivals, days off and make-up workdays, for the clerk's table."""

    line: int
    festivals: tuple[str, ...]
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]


@dataclass(frozen=True)
class HolidaySchedule:
    """A year's official days off (holidays) and make-up workdays on weekends (workdays)."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    sections: tuple[NoticeSection, ...] = field(default=(), compare=False)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def _normal(text: str) -> str:
    """Full-width digits and letters to ASCII; full-width brackets and punctuation kept."""
    out = []
    for ch in text:
        if "０" <= ch <= "９" or "Ａ" <= ch <= "ｚ":
            out.append(unicodedata.normalize("NFKC", ch))
        elif ch in "\u3000\u00a0":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


class _LineError(Exception):
    pass


def _cn(day: date, year: bool = False) -> str:
    return (f"{day.year}年" if year else "") + f"{day.month}月{day.day}日"


def notice_year(text: str) -> int | None:
    """The year a notice is about: its title's, else the first "YYYY年元旦/部分节假日"."""
    text = _normal(text)
    found = _TITLE_YEAR.search(text) or _ANY_YEAR.search(text)
    return int(found.group(1)) if found else None


_INLINE_ORDINAL = re.compile(r"(?<=[。；：:])\s*([一二三四五六七八九十]{1,2}、)(?=[^：:。]{1,20}[：:])")
_CONTINUES = re.compile(r"\d\s*日.*(?:上班|放假|补休|连休)")


def _lines_of(text: str) -> str:
    """One line per section, whatever the copy did: a notice pasted as one paragraph (a web
    page) is split before each "二、…：", and a section wrapped onto the next line (a PDF,
    a narrow Word column) is joined back, so no make-up day is lost on a line of its own."""
    text = _INLINE_ORDINAL.sub(lambda m: "\n" + m.group(1), text)
    text = re.sub(r"(?<=。)\s*(节假日期间|国务院办公厅)", lambda m: "\n" + m.group(1), text)
    out: list[str] = []
    in_section = False
    for raw in text.split("\n"):
        line = raw.strip()
        if _ORDINAL.match(line):
            in_section = True
        elif in_section and line and _CONTINUES.search(line) and not line.startswith("节假日期间"):
            out[-1] = out[-1].rstrip() + line
            out.append("")  # keep the line numbers of what follows
            continue
        else:
            in_section = in_section and not line
        out.append(line)
    return "\n".join(out)


def parse_notice(text: str, source: str = "通知", year: int | None = None,
                 complete: bool = True) -> HolidaySchedule:
    """Read a holiday notice; TipdeskError (exit 2) naming `source` and the line on anything
    it cannot read or that does not add up. `complete`: all seven festivals must be there
    (every notice lists them; a missing one is a section lost in the copy)."""
    text = _lines_of(_normal(text.replace("\r\n", "\n").replace("\r", "\n")))
    year = year or notice_year(text)
    if year is None:
        raise TipdeskError(f"{source}：找不到年份。通知的标题应为“国务院办公厅关于2027年部分节假日安排的通知”，"
                           "请把标题一并复制进来后重新导入。", EXIT_USAGE)
    sections = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        head = _ORDINAL.match(line)
        if not head or "：" not in head.group(2) and ":" not in head.group(2):
            continue
        names, _, body = re.split(r"([：:])", head.group(2), maxsplit=1)
        festivals = tuple(n.strip() for n in re.split(r"[、,，和及与]", names) if n.strip())
        if not festivals or any(f not in FESTIVALS for f in festivals):
            if any(f in names for f in FESTIVALS):
                raise TipdeskError(f"{source} 第{number}行：“{names}”中有无法识别的节日名称"
                                   f"（应为{'、'.join(FESTIVALS)}）。", EXIT_USAGE)
            continue  # a numbered line of some other list, not a festival
        try:
            sections.append(_section(number, festivals, body, year))
        except _LineError as exc:
            raise TipdeskError(f"{source} 第{number}行：{exc}（原文：{line}）", EXIT_USAGE) from None
    if not sections:
        raise TipdeskError(f"{source}：没有读到任何节日安排。每个节日应单独一行，形如"
                           "“一、元旦：1月1日（周五）至3日（周日）放假，共3天。”", EXIT_USAGE)
    missing = [f for f in FESTIVALS if not any(f in s.festivals for s in sections)]
    if missing and complete:
        raise TipdeskError(f"{source}：没有读到{'、'.join(missing)}的安排。国务院的通知每年都列出这七个节日，"
                           "请核对是否漏复制了某一节。", EXIT_USAGE)
    holidays = frozenset(d for s in sections for d in s.holidays)
    workdays = frozenset(d for s in sections for d in s.workdays)
    both = sorted(holidays & workdays)
    if both:
        raise TipdeskError(f"{source}：{_cn(both[0], True)}既是放假日又是上班日，请核对原文。", EXIT_USAGE)
    return HolidaySchedule(year, holidays, workdays, tuple(sections))


def _section(number: int, festivals: tuple[str, ...], body: str, year: int) -> NoticeSection:
    holidays: list[date] = []
    workdays: list[date] = []
    understood = False
    sentences = []
    for sentence in (s.strip() for s in re.split(r"[。；;]", body)):
        # "…放假，共3天，4月7日（周日）上班" in one sentence: the 上班 clause on its own.
        tail = re.search(r"[，,]([^，,]*\d\s*日[^，,]*上班)$", sentence)
        if tail and "放假" in sentence[:tail.start()]:
            sentences += [sentence[:tail.start()], tail.group(1)]
        else:
            sentences.append(sentence)
    for sentence in sentences:
        if not sentence:
            continue
        if "放假" in sentence or "补休" in sentence:
            understood = True
            holidays += _days_off(sentence, year, festivals)
        elif sentence.endswith("上班"):
            understood = True
            for found in _dates(sentence, year, festivals):
                if found.weekday() < 5:
                    raise _LineError(f"上班日{_cn(found)}是周{'一二三四五'[found.weekday()]}，调休上班日应在周末，请核对")
                workdays.append(found)
        elif "连休" in sentence or "调休" in sentence or sentence.startswith(("鼓励", "共")):
            continue  # "与周末连休", "不调休", an encouragement: no days of their own
        elif _DATE.search(sentence):
            raise _LineError(f"看不懂“{sentence}”：日期后应写明“放假”“补休”或“上班”")
    if not understood or not holidays:
        raise _LineError("没有读到放假日期，日期应写成“1月1日”或“1月1日至3日”的形式")
    return NoticeSection(number, festivals, tuple(sorted(set(holidays))), tuple(sorted(set(workdays))))


def _days_off(sentence: str, year: int, festivals: tuple[str, ...]) -> list[date]:
    """The days off of a "…放假…" or "…补休" sentence: ranges and single days, and "共N天" checked."""
    before, _, after = sentence.partition("放假")
    days: list[date] = []
    dates = list(_date_matches(before, year, festivals))
    i = 0
    while i < len(dates):
        start, start_end, _ = dates[i]
        gap = before[start_end:dates[i + 1][2]] if i + 1 < len(dates) else ""
        if i + 1 < len(dates) and gap.strip() in _RANGE_SEPARATORS:
            end = dates[i + 1][0]
            if not 0 < (end - start).days <= 31:
                raise _LineError(f"{_cn(start)}至{_cn(end)}不是一段假期（结束日早于开始日或相隔一个月以上）")
            days += [start + timedelta(n) for n in range((end - start).days + 1)]
            i += 2
        else:
            days.append(start)
            i += 1
    count = _COUNT.search(after) or _COUNT.search(sentence)
    if count and days and int(count.group(1)) != len(days):
        raise _LineError(f"写的是共{count.group(1)}天，但{_cn(days[0])}至{_cn(days[-1])}共{len(days)}天")
    # "1月1日放假，1月2日（星期一）补休": the 补休 day is off too.
    if "补休" in after:
        days += [d for d in _dates(after.split("补休")[0], year, festivals)]
    elif "补休" in before and not days:
        days += _dates(before, year, festivals)
    return days


def _dates(text: str, year: int, festivals: tuple[str, ...]) -> list[date]:
    return [d for d, _, _ in _date_matches(text, year, festivals)]


def _date_matches(text: str, year: int, festivals: tuple[str, ...]):
    """(date, end offset, start offset) of each date in `text`.

    A day without its month ("至3日") takes the previous date's month and year. A date without
    its year takes the notice's, but a December date of 元旦 belongs to the year before, and
    the end of a range that would fall before its start is in the next year (12月31日至1月2日).
    """
    out: list[tuple[date, int, int]] = []
    for found in _DATE.finditer(text):
        prev = out[-1][0] if out else None
        if found["m"] is None and found["y"] is None:
            if prev is None:
                raise _LineError(f"“{found.group(0).strip()}”没有月份")
            y, m = prev.year, prev.month
        else:
            m = int(found["m"]) if found["m"] else prev.month if prev else 1
            if found["y"]:
                y = int(found["y"])
            elif prev is not None and found["m"] is None:
                y = prev.year
            else:
                y = year - 1 if (m == 12 and "元旦" in festivals) else year
        try:
            day = date(y, m, int(found["d"]))
        except ValueError:
            raise _LineError(f"“{found.group(0).strip()}”不是有效的日期") from None
        if prev is not None and day < prev and not found["y"] and prev.month == 12 and day.month == 1:
            try:
                day = day.replace(year=day.year + 1)
            except ValueError:
                raise _LineError(f"“{found.group(0).strip()}”不是有效的日期") from None
        _check_weekday(day, found["note"], found.group(0))
        out.append((day, found.end(), found.start()))
    return out


def _check_weekday(day: date, note: str | None, written: str) -> None:
    if not note:
        return
    said = re.search(r"(?:周|星期|礼拜)\s*([一二三四五六日天])", note)
    if said and _WEEKDAYS[said.group(1)] != day.weekday():
        real = "一二三四五六日"[day.weekday()]
        raise _LineError(f"{_cn(day, True)}是星期{real}，原文写作“{written.strip()}”，"
                         "请核对日期或星期是否抄错")


_ISO = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_CHINESE = re.compile(r"^(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日?$")
_SPAN = re.compile(r"\s*(?:\.\.|至|～|~|—|到)\s*")


def config_dates(value: object) -> list[date]:
    """The days a config entry names: a date, "2027-01-01", "2027年1月1日", or a range
    "2027-01-01..2027-01-03" / "2027年1月1日至3日" (the end may leave out year and month).
    ValueError when it is none of these."""
    if isinstance(value, datetime_type):
        return [value.date()]
    if isinstance(value, date):
        return [value]
    text = _normal(str(value)).strip()
    parts = _SPAN.split(text)
    if len(parts) > 2 or not all(parts):
        raise ValueError(text)
    start = _one_date(parts[0], None)
    if len(parts) == 1:
        return [start]
    end = _one_date(parts[1], start)
    if end < start or (end - start).days > 366:
        raise ValueError(text)
    return [start + timedelta(n) for n in range((end - start).days + 1)]


def _one_date(text: str, base: date | None) -> date:
    found = _ISO.match(text)
    if found:
        return date(int(found[1]), int(found[2]), int(found[3]))
    found = _MONTH_DAY.match(text)
    if found and base is not None:
        return date(base.year, int(found[1]), int(found[2]))
    found = _CHINESE.match(text)
    if not found or (found[1] is None and base is None) or (found[2] is None and base is None):
        raise ValueError(text)
    year = int(found[1]) if found[1] else base.year
    month = int(found[2]) if found[2] else base.month
    return date(year, month, int(found[3]))
