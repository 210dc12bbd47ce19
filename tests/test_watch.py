"""`watch`: the real `schedule` scheduler, its jobs fired as the clock would fire them."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from tipdesk.config import load_config
from tipdesk.domain.errors import TipdeskError
from tipdesk.commands.watch import scheduler_for, watch
from tipdesk.config import config_from


# Settings come from config.yaml as a whole; these build one around the section under test.
_BASE = {"centre": {"name": "区应急管理局指挥中心"}, "units": [{"name": "区应急管理局"}]}


def watch_settings(raw: dict):
    return config_from({**_BASE, **raw}, Path("config.yaml")).watch

CONFIG = """\
centre: {name: 区应急管理局指挥中心}
units:
  - name: 东城街道
    areas: [东城]
"""


@pytest.fixture
def config(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return load_config(path)


class Recorder:
    def __init__(self):
        self.daily, self.hourly, self.lines = [], [], []

    def on_daily(self, now):
        self.daily.append(now)
        return "交办 3 件"

    def on_hourly(self, now):
        self.hourly.append(now)


def job(scheduler, tag):
    return next(j for j in scheduler.jobs if tag in j.tags)


def fire_overdue(scheduler, tag):
    """What happens when the clock passes a job's time (or a sleeping computer wakes)."""
    job(scheduler, tag).next_run = datetime.now() - timedelta(minutes=1)
    scheduler.run_pending()


def test_jobs_are_daily_at_the_configured_time_and_every_full_hour(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG + 'watch:\n  daily_at: "09:15"\n', encoding="utf-8")
    rec = Recorder()
    scheduler = scheduler_for(load_config(path), rec.on_daily, rec.on_hourly, log=rec.lines.append)
    daily, hourly = job(scheduler, "daily"), job(scheduler, "hourly")
    assert (daily.unit, daily.at_time) == ("days", time(9, 15))
    assert (hourly.unit, hourly.at_time) == ("hours", time(0, 0, 0))
    assert daily.next_run > datetime.now() and daily.next_run.time() == time(9, 15)


@pytest.mark.parametrize("day, runs", [
    (datetime(2026, 10, 1, 8, 30), False),    # National Day
    (datetime(2026, 10, 4, 8, 30), False),    # a Sunday inside the holiday
    (datetime(2026, 10, 10, 8, 30), True),    # Saturday, a 调休 make-up workday
    (datetime(2026, 10, 12, 8, 30), True),    # an ordinary Monday
])
def test_the_daily_job_runs_on_working_days_only(config, day, runs):
    rec = Recorder()
    scheduler = scheduler_for(config, rec.on_daily, rec.on_hourly, clock=lambda: day, log=rec.lines.append)
    fire_overdue(scheduler, "daily")
    assert rec.daily == ([day] if runs else [])
    if runs:
        assert rec.lines == [f"{day:%Y-%m-%d %H:%M} 每日处理：交办 3 件"]
    else:
        assert "今天不是工作日，下次 2026-10-" in rec.lines[0]


def test_a_missed_run_is_caught_up_once_and_the_next_one_planned(config):
    rec = Recorder()
    day = datetime(2026, 10, 12, 11, 0)
    scheduler = scheduler_for(config, rec.on_daily, rec.on_hourly, clock=lambda: day, log=rec.lines.append)
    fire_overdue(scheduler, "daily")
    scheduler.run_pending()
    assert rec.daily == [day]
    assert job(scheduler, "daily").next_run > datetime.now()


def test_a_failing_pass_is_logged_and_the_watch_goes_on(config):
    rec = Recorder()

    def broken(now):
        raise TipdeskError("安全生产举报台账.xlsx：台账正在被 Excel 打开", 3)

    scheduler = scheduler_for(config, broken, rec.on_hourly, clock=lambda: datetime(2026, 10, 12, 8, 30),
                              log=rec.lines.append)
    fire_overdue(scheduler, "daily")
    fire_overdue(scheduler, "hourly")
    assert rec.lines[0] == "2026-10-12 08:30 每日处理：未完成：安全生产举报台账.xlsx：台账正在被 Excel 打开"
    assert rec.hourly == [datetime(2026, 10, 12, 8, 30)]


def test_started_late_on_a_working_day_it_runs_at_once_and_ctrl_c_stops_cleanly(config):
    rec = Recorder()
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        raise KeyboardInterrupt

    now = datetime(2026, 10, 12, 10, 5)
    status = watch(config, rec.on_daily, rec.on_hourly, clock=lambda: now, sleep=sleep, log=rec.lines.append)
    assert status == 0
    assert rec.daily == [now] and rec.hourly == [now]
    assert rec.lines[0].startswith("2026-10-12 10:05 值守已启动：工作日 08:30")
    assert rec.lines[-1] == "2026-10-12 10:05 已停止"
    assert 1 <= naps[0] <= 60


def test_started_on_a_holiday_it_waits(config):
    rec = Recorder()
    now = datetime(2026, 10, 2, 10, 0)
    assert watch(config, rec.on_daily, rec.on_hourly, clock=lambda: now, sleep=lambda s: None,
                 log=rec.lines.append, max_passes=2) == 0
    assert rec.daily == [] and rec.hourly == [now]


def test_daily_at_from_config():
    assert watch_settings({}).daily_at == time(8, 30)
    assert watch_settings({"watch": {"daily_at": 540}}).daily_at == time(9, 0)  # YAML's 9:00
    assert watch_settings({"watch": {"daily_at": "07：45"}}).daily_at == time(7, 45)
    with pytest.raises(TipdeskError, match="watch.daily_at"):
        watch_settings({"watch": {"daily_at": "25:00"}})


def test_every_module_is_loaded_before_the_first_pass(config):
    # A pass imports some modules only when it first needs them; a watch loads them all at
    # the start, so that a tipdesk updated while it runs is never mixed into it.
    code = f"""
import pkgutil, sys
import tipdesk
from datetime import datetime
from tipdesk.config import load_config
from tipdesk.commands.watch import watch
def hourly(now):
    print([m.name for m in pkgutil.walk_packages(tipdesk.__path__, "tipdesk.")
           if m.name not in sys.modules and not m.name.endswith(".__main__")])
watch(load_config({str(config.root / "config.yaml")!r}), lambda now: None, hourly,
      clock=lambda: datetime(2026, 10, 1, 7, 0), sleep=lambda s: None, log=lambda line: None, max_passes=0)
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
