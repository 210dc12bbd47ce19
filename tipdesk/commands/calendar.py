"""`./run calendar`: where each year's working days come from; `calendar import FILE` reads
the State Council's holiday notice into the workspace (calendar/YYYY.txt).

The stored file is the notice's own text, so the office can open it in a text editor; it is
read again on every run through the same parser, so what `import` accepted is what `daily`
uses. Importing a year again replaces it. The next `daily` corrects the deadlines it had
computed on the old calendar (rules/plan.py) and tells the units.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

import chinese_calendar

from tipdesk.config import Config
from tipdesk.domain.calendar import SOURCE_LABELS, SOURCE_NOTICE, SOURCE_PACKAGE, WorkCalendar
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.holidays import HolidaySchedule, parse_notice
from tipdesk.domain.launcher import RUN

WEEKDAYS = "一二三四五六日"
# chinesecalendar names its holidays in English.
PACKAGE_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
                 "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
                 "Mid-autumn Festival": "中秋节"}


def _day(d: date) -> str:
    return f"{d.month}月{d.day}日（周{WEEKDAYS[d.weekday()]}）"


def _spans(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs."""
    out: list[tuple[date, date]] = []
    for d in sorted(days):
        if out and d == out[-1][1] + timedelta(days=1):
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


def _span_text(first: date, last: date) -> str:
    return _day(first) if first == last else f"{_day(first)}至{_day(last)}"


def schedule_table(schedule: HolidaySchedule) -> list[str]:
    """The notice as the clerk should check it: one line per festival."""
    lines = []
    for section in schedule.sections:
        off = "、".join(_span_text(a, b) for a, b in _spans(list(section.holidays)))
        line = f"  {'、'.join(section.festivals)}：放假 {off}，共{len(section.holidays)}天"
        if section.workdays:
            line += f"；{'、'.join(_day(d) for d in section.workdays)}上班"
        lines.append(line)
    return lines


def _package_lines(year: int) -> list[str]:
    days = chinese_calendar.get_holidays(date(year, 1, 1), date(year, 12, 31), include_weekends=True)
    by_name: dict[str, list[date]] = {}
    for d in days:
        name = chinese_calendar.get_holiday_detail(d)[1]
        if name:
            by_name.setdefault(PACKAGE_NAMES.get(name, name), []).append(d)
    workdays = [d for d in chinese_calendar.get_workdays(date(year, 1, 1), date(year, 12, 31)) if d.weekday() >= 5]
    lines = [f"  {name}：放假 {'、'.join(_span_text(a, b) for a, b in _spans(ds))}" for name, ds in by_name.items()]
    if workdays:
        lines.append(f"  调休上班：{'、'.join(_day(d) for d in workdays)}")
    return lines


def run_calendar(config: Config, now: datetime, echo: Callable[[str], None] = print) -> int:
    """Each year from last year to next (and every imported one): its source and days."""
    calendar = config.calendar()
    years = sorted(set(range(now.year - 1, now.year + 2)) | set(config.notices))
    for year in years:
        source = calendar.source(year)
        echo(f"{year}年：{SOURCE_LABELS[source]}"
             + (f"（{config.notice_folder.name}/{year}.txt）" if source == SOURCE_NOTICE else ""))
        if source == SOURCE_NOTICE:
            for line in schedule_table(config.notices[year]):
                echo(line)
        elif source == SOURCE_PACKAGE:
            for line in _package_lines(year):
                echo(line)
        else:
            echo(f"  尚无{year}年的放假安排，期限暂按周末计算。国务院办公厅的通知发布后（通常在前一年11月），"
                 f"请运行 {RUN} calendar import 通知文件 导入。")
        overrides = sorted(d for d in calendar.extra_holidays if d.year == year)
        extra = sorted(d for d in calendar.extra_workdays if d.year == year)
        if overrides or extra:
            echo("  配置中的调整（优先）：" + "；".join(
                part for part in (
                    "放假 " + "、".join(_day(d) for d in overrides) if overrides else "",
                    "上班 " + "、".join(_day(d) for d in extra) if extra else "") if part))
    return 0


def read_notice_file(path: Path) -> str:
    """The text of a notice saved as .txt (UTF-8, GBK, UTF-16) or .docx."""
    if not path.is_file():
        raise TipdeskError(f"{path}：找不到文件。", EXIT_USAGE)
    suffix = path.suffix.lower()
    if suffix == ".docx":
        from docx import Document

        try:
            document = Document(str(path))
        except Exception as exc:  # python-docx raises several kinds on a damaged file
            raise TipdeskError(f"{path.name}：无法读取这个 Word 文件（{exc}）。请在 Word 中另存为 .docx 或 .txt 后重试。",
                               EXIT_USAGE)
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            lines += [cell.text for row in table.rows for cell in row.cells]
        return "\n".join(lines)
    if suffix in (".doc", ".wps", ".pdf"):
        raise TipdeskError(f"{path.name}：请在 Word/WPS 中把通知另存为 .docx 或纯文本 .txt，再导入。", EXIT_USAGE)
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TipdeskError(f"{path.name}：无法识别文字编码，请用记事本另存为 UTF-8 后重试。", EXIT_USAGE)


def run_calendar_import(config: Config, file: Path, now: datetime, dry_run: bool = False,
                        echo: Callable[[str], None] = print) -> int:
    """Read, check and store a holiday notice; print what was understood."""
    text = read_notice_file(file)
    schedule = parse_notice(text, file.name)
    if schedule.year < now.year - 1:
        raise TipdeskError(f"{file.name}：这是{schedule.year}年的通知，已经过去，无需导入。", EXIT_USAGE)
    echo(f"读到 {schedule.year} 年的放假安排（{file.name}）：")
    for line in schedule_table(schedule):
        echo(line)
    echo(f"  合计放假 {len(schedule.holidays)} 天，调休上班 {len(schedule.workdays)} 天；星期与日期逐一核对无误。")
    target = config.notice_folder / f"{schedule.year}.txt"
    replacing = target.exists()
    if dry_run:
        echo(f"【试运行】将{'替换' if replacing else '保存到'} {target}。")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".tmp")
    temp.write_text(text.replace("\r\n", "\n").strip() + "\n", encoding="utf-8")
    with open(temp, "rb") as f:
        os.fsync(f.fileno())
    temp.replace(target)
    before = WorkCalendar(config.extra_holidays, config.extra_workdays,
                          {y: s for y, s in config.notices.items() if y != schedule.year})
    echo(f"已{'替换' if replacing else '保存'}：{target}（原来：{SOURCE_LABELS[before.source(schedule.year)]}）。")
    echo("下次每日运行将按新的放假安排计算期限，并更正此前按旧日历算出、仍在办理中的办理期限，同时通知承办单位。")
    return 0
