"""`watch`: `schedule` runs the daily job at `watch.daily_at` and an urgent check hourly.

`schedule` only knows "every day at 08:30"; whether a day is a working day (调休 included) is
decided here when the job fires, on the office's calendar. A computer that slept past a run
time catches up once when it wakes (schedule runs an overdue job once, then plans the next),
and a watch started after daily_at on a working day runs the daily job at once: it is
idempotent, so a run the clerk already made costs nothing.
"""

from __future__ import annotations

import time as systime
import traceback
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Callable

import schedule

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.errors import TipdeskError
from tipdesk.store.files import write_error_log

DAILY_LABEL = "每日处理"
HOURLY_LABEL = "紧急、事故类期限检查"
# Longest single sleep: short enough to notice a wake from hibernation or a clock change.
MAX_NAP = 60.0


def next_daily(after: datetime, at: time, calendar: WorkCalendar) -> datetime:
    """The first working day's `at` strictly after `after`."""
    day = after.date()
    while True:
        moment = datetime.combine(day, at)
        if moment > after and calendar.is_workday(day):
            return moment
        day += timedelta(days=1)


def _run(label: str, job: Callable[[datetime], Any], now: datetime, log: Callable[[str], None],
         log_folder: Path | None = None) -> None:
    """One job; whatever it raises is logged and the watch goes on. The technical detail of
    an unexpected error goes to the workspace's logs/ folder, the watch's log gets one line."""
    try:
        result = job(now)
    except TipdeskError as exc:
        log(f"{now:%Y-%m-%d %H:%M} {label}：未完成：{exc.message}")
    except Exception:  # an unattended loop must outlive any one failed pass
        try:
            saved = write_error_log(log_folder or Path.cwd(), datetime.now(), traceback.format_exc())
            where = f"详细信息见 {saved}"
        except OSError:
            where = "详细信息无法保存"
        log(f"{now:%Y-%m-%d %H:%M} {label}：意外错误，{where}；下次按时继续。")
    else:
        outcome = result if isinstance(result, str) and result.strip() else "完成"
        log(f"{now:%Y-%m-%d %H:%M} {label}：{outcome}")


def _print(line: str) -> None:
    print(line, flush=True)


def scheduler_for(config, daily: Callable[[datetime], Any], hourly: Callable[[datetime], Any], *,
                  clock: Callable[[], datetime] = datetime.now,
                  log: Callable[[str], None] = _print) -> schedule.Scheduler:
    """The two jobs: `daily(now)` on working days at daily_at, `hourly(now)` at every full hour."""
    settings = config.watch
    calendar = config.calendar()

    def daily_job() -> None:
        now = clock()
        if not calendar.is_workday(now.date()):
            log(f"{now:%Y-%m-%d %H:%M} {DAILY_LABEL}：今天不是工作日，"
                f"下次 {next_daily(now, settings.daily_at, calendar):%Y-%m-%d %H:%M}")
            return
        _run(DAILY_LABEL, daily, now, log, config.root)

    scheduler = schedule.Scheduler()
    scheduler.every().day.at(settings.daily_at.strftime("%H:%M")).do(daily_job).tag("daily")
    scheduler.every().hour.at(":00").do(lambda: _run(HOURLY_LABEL, hourly, clock(), log, config.root)).tag("hourly")
    return scheduler


def load_all_of_tipdesk() -> None:
    """Import every tipdesk module now. A run imports some only when it first needs them (the
    register's patcher, the inbox readers, the mailbox, the statistics); a watch runs for
    weeks, and a pass that imported one from a tipdesk updated meanwhile would mix two
    versions. Loaded at the start, everything a pass runs is the code the watch started
    with; an update takes effect when the watch is started again."""
    import importlib
    import pkgutil

    import tipdesk

    for module in pkgutil.walk_packages(tipdesk.__path__, "tipdesk."):
        if not module.name.endswith(".__main__"):  # that one runs the command line
            importlib.import_module(module.name)


def watch(config, daily: Callable[[datetime], Any], hourly: Callable[[datetime], Any], *,
          clock: Callable[[], datetime] = datetime.now, sleep: Callable[[float], None] = systime.sleep,
          log: Callable[[str], None] = _print, max_passes: int | None = None) -> int:
    """Run until Ctrl-C (or `max_passes` turns of the loop); returns the exit status."""
    load_all_of_tipdesk()
    settings = config.watch
    calendar = config.calendar()
    scheduler = scheduler_for(config, daily, hourly, clock=clock, log=log)
    try:
        now = clock()
        log(f"{now:%Y-%m-%d %H:%M} 值守已启动：工作日 {settings.daily_at:%H:%M} 运行{DAILY_LABEL}，"
            f"每小时整点进行{HOURLY_LABEL}。按 Ctrl+C 停止。")
        if calendar.is_workday(now.date()) and now.time() >= settings.daily_at:
            _run(DAILY_LABEL, daily, now, log, config.root)
        _run(HOURLY_LABEL, hourly, now, log, config.root)
        passes = 0
        while max_passes is None or passes < max_passes:
            scheduler.run_pending()
            passes += 1
            # Short naps: a wake from sleep or a clock change is noticed within a minute.
            sleep(min(MAX_NAP, max(1.0, scheduler.idle_seconds or MAX_NAP)))
    except KeyboardInterrupt:
        log(f"{clock():%Y-%m-%d %H:%M} 已停止")
    return 0
