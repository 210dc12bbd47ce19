"""`./run report`: the bulletin (通报) and its annex for a month, quarter or year."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable
from tipdesk.config import Config
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.textnorm import chinese_date
from tipdesk.output.bulletin import build_bulletin, file_names
from tipdesk.rules.stats import parse_period
from tipdesk.rules.archive import with_archived
from tipdesk.store.archive import archived_by_year, archived_rows
from tipdesk.store.cache import WorkbookCache
from tipdesk.store.egress import register_gate
from tipdesk.store.register import read_register
from tipdesk.store.journal import open_journal


def run_report(config: Config, period_text: str, now: datetime, dry_run: bool = False,
               echo: Callable[[str], None] = print) -> list[Path]:
    """Write the bulletin and its annex into outbox/YYYY-MM-DD/; returns their paths (the
    paths it would write, with dry_run, which writes nothing)."""
    period = parse_period(period_text)
    if period.start > now:
        raise TipdeskError(f"{period.label}还没有开始（现在是{chinese_date(now, with_time=True)}），没有可通报的数据。"
                           f"请写已经开始的月份、季度或年份；正在进行中的期间统计到现在。", EXIT_USAGE)
    cache = WorkbookCache(config.cache, readonly=dry_run)
    register = read_register(config.register, cache)
    archived = archived_rows(archived_by_year(config.register, cache=cache))
    # Archived years count as they did before the archive (year-on-year, repeated reports).
    rows = with_archived([row.values for row in register.rows], [row.values for row in archived])
    folder = config.outbox / f"{now:%Y-%m-%d}"
    paths = [folder / name for name in file_names(period)]
    if dry_run:
        echo("【试运行】将生成：\n  " + "\n  ".join(str(p) for p in paths))
        return paths
    journal = open_journal(config.journal, readonly=True)
    try:
        requests = journal.requests()
    finally:
        journal.close()
    gate = register_gate(config, register, f"{now:%Y-%m-%d}", archived)
    documents = build_bulletin([gate.clean(row) for row in rows], period, now, config, requests)
    # Never a half-written bulletin under the real name (the gate writes atomically), and a
    # new bulletin replaces the one of an earlier run today.
    written = [gate.write(path, data, fix="改好后重新运行 report", overwrite=True)
               for path, data in zip(paths, documents)]
    written = [p for p in written if p]
    if written:
        echo("已生成：\n  " + "\n  ".join(str(p) for p in written))
    for line in gate.lines:
        echo("出口拦截：" + line)
    return written
