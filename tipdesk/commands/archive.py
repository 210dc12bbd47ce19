"""`./run archive --year YYYY`: move that year's closed cases out of the live register into
the year's archive workbook beside it, so the register the clerk opens every day stays small.

Order, so that a run killed anywhere loses nothing: the journal first records the numbers
the cases used (never reused: the register no longer shows them) and which cases go; then the
archive is written and verified; only then are the rows taken out of the register (verified,
atomic). Killed before the last step, the cases are in both files: statistics count the live
copy once, and the next archive finds them already in the archive (by 案件编号) and only
removes them from the register.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from tipdesk.config import Config
from tipdesk.domain.columns import CASE_ID, LETTER_NO, STATUS, UPSTREAM_NO
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.launcher import RUN
from tipdesk.rules.archive import Selection, case_id_of, select_year
from tipdesk.store.archive import archive_path, write_archive
from tipdesk.store.commit import finish_pending, refuse_if_went_back
from tipdesk.store.journal import open_journal
from tipdesk.store.lock import workspace_lock
from tipdesk.store.register import read_register, refuse_if_open, save_without_rows

# How many blocking cases are named (the rest are counted).
SHOWN = 30


@dataclass
class ArchiveResult:
    archive: Path
    moved: list[str]           # case ids taken out of the register
    backup: Path | None


def _refusal(config: Config, selection: Selection) -> TipdeskError:
    lines = [f"{row.get(CASE_ID)}（第{row.number}行，状态“{row.get(STATUS) or '空'}”）" for row in selection.still_open]
    lines += [f"第{row.number}行（没有案件编号）" for row in selection.unnumbered]
    more = f"等 {len(lines)} 件" if len(lines) > SHOWN else f"共 {len(lines)} 件"
    return TipdeskError(
        f"{config.register.name}：{selection.year}年受理的案件还有未办结或没有编号的，本次没有归档任何案件："
        f"{'、'.join(lines[:SHOWN])}{more}。一年的案件须全部办结（已办结、不予受理、已转办或已并案）"
        f"后才能归档；没有案件编号的行，新登记的运行 {RUN} daily 即编号，已办结的请在台账中补上编号。",
        EXIT_USAGE)


def _floors(rows: list, prefix: str, letter_prefix: str) -> dict[str, dict[int, int]]:
    """The highest case number and 交办文号 of each year among `rows`."""
    found: dict[str, dict[int, int]] = {"case": {}, "letter": {}}
    patterns = (("case", CASE_ID, re.compile(rf"^{re.escape(prefix)}(\d{{4}})-(\d+)$")),
                ("letter", LETTER_NO, re.compile(rf"^{re.escape(letter_prefix)}〔(\d{{4}})〕(\d+)号$")))
    for row in rows:
        for name, column, pattern in patterns:
            match = pattern.match(str(row.get(column) or "").strip())
            if match:
                year, n = int(match.group(1)), int(match.group(2))
                found[name][year] = max(found[name].get(year, 0), n)
    return found


def run_archive(config: Config, year: int, now: datetime, dry_run: bool = False,
                echo: Callable[[str], None] = print) -> ArchiveResult:
    if year >= now.year:
        raise TipdeskError(f"{year}年还没有过去，不能归档。归档在每年 1 月做，归档的是上一年及更早的案件，"
                           f"例如 {RUN} archive --year {now.year - 1}。", EXIT_USAGE)
    target = archive_path(config.register, year)
    with workspace_lock(config):
        refuse_if_open(config.register)
        if target.exists():
            refuse_if_open(target)
        if not dry_run:  # a daily run that died is finished first, and an older copy refused
            journal = open_journal(config.journal)
            try:
                for line in finish_pending(journal, config):
                    echo(line)
                refuse_if_went_back(read_register(config.register), journal, now, tell=False)
            finally:
                journal.close()
        register = read_register(config.register)
        selection = select_year(register.rows, year)
        if selection.blocked:
            raise _refusal(config, selection)
        moved = [case_id_of(row) for row in selection.closed]
        if not moved:
            echo(f"台账中没有{year}年受理的案件，无需归档。")
            return ArchiveResult(target, [], None)
        action = "加入" if target.exists() else "移入新建的"
        echo(f"{'【试运行】将' if dry_run else '正在'}把{year}年受理、已办结的 {len(moved)} 件案件"
             f"（{moved[0]} 至 {moved[-1]}）从 {config.register.name} {action} {target.name}；"
             f"案件编号不变，统计、通报、{RUN} letter 照常能找到它们。")
        if dry_run:
            return ArchiveResult(target, moved, None)
        journal = open_journal(config.journal)
        try:
            with journal.transaction():
                run_id = journal.start_run("archive", now)
                for name, years in _floors(selection.closed, config.case_prefix, config.letter_prefix).items():
                    for y, last in years.items():
                        journal.set_last_number(name, y, last)
                journal.record_archived(run_id, now, year, target.name,
                                        [(case_id_of(r), str(r.get(UPSTREAM_NO) or "").strip()) for r in selection.closed])
            write_archive(register, selection.closed, target, config.backup_folder, config.backup_keep, now)
            saved = save_without_rows(register, {row.number for row in selection.closed},
                                      config.backup_folder, config.backup_keep, now)
            with journal.transaction():
                journal.finish_run(run_id, "ok")
        finally:
            journal.close()
    echo(f"已归档 {len(moved)} 件到 {target}；台账已备份到 {saved}。")
    return ArchiveResult(target, moved, saved)
