"""Archive workbooks: one a year, beside the register, named after it
(举报台账.xlsx -> 举报台账-2025年归档.xlsx), with the register's sheet 台账, its columns and
formatting, holding that year's closed cases.

The first archive of a year is the register itself with every other case row taken out, so it
looks exactly like the register. A later one (cases of that year closed after the first
archive) adds its rows to the end of the archive, written like the daily run's changes
(register.save_changes: backup, temp file, read back, atomic replace).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable

from tipdesk.domain.columns import REGISTER_SHEET
from tipdesk.domain.rows import CellChange, Register, Row
from tipdesk.rules.archive import case_id_of, same_value
from tipdesk.store.cache import WorkbookCache
from tipdesk.store.register import (
    keep_read, read_register, refuse_if_open, save_changes, save_without_rows,
)

SUFFIX = "年归档"
# Backups of archives go apart, so that the register's own rotation (backups.keep) never
# counts or deletes them.
BACKUP_SUBFOLDER = "归档"


def archive_path(register: Path, year: int) -> Path:
    return register.with_name(f"{register.stem}-{year}{SUFFIX}{register.suffix}")


def archive_paths(register: Path) -> dict[int, Path]:
    """year -> archive workbook, of every year archived so far."""
    pattern = re.compile(rf"^{re.escape(register.stem)}-(\d{{4}}){SUFFIX}{re.escape(register.suffix)}$")
    found = {}
    if register.parent.is_dir():
        for path in register.parent.iterdir():
            match = pattern.match(path.name)
            if match and path.is_file():
                found[int(match.group(1))] = path
    return dict(sorted(found.items()))


@dataclass
class Archive:
    """One archive's workbook and its case rows (each row keeps what row_identities finds in it,
    kept in the cache with the rows)."""

    path: Path
    rows: list[Row]


def archived_by_year(register: Path, years: Iterable[int] | None = None,
                     cache: WorkbookCache | None = None) -> dict[int, Archive]:
    """year -> that year's archive (every archive when `years` is None), oldest first."""
    wanted = None if years is None else set(years)
    return {year: read_archive(path, cache) for year, path in archive_paths(register).items()
            if wanted is None or year in wanted}


def archived_rows(archives: dict[int, Archive]) -> list[Row]:
    """Every archived case row, oldest year first (for the egress gate and the statistics)."""
    return [row for archive in archives.values() for row in archive.rows]


def find_archived(archives: dict[int, Archive], case_id: str) -> tuple[Path, Row] | None:
    """The archive holding `case_id`, and its row there (the year in the number first)."""
    year = re.search(r"(\d{4})-\d+$", case_id)
    order = sorted(archives, key=lambda y: (not year or y != int(year.group(1)), y))
    for y in order:
        for row in archives[y].rows:
            if case_id_of(row) == case_id:
                return archives[y].path, row
    return None


def read_archive(path: Path, cache: WorkbookCache | None = None) -> Archive:
    """One archive, from `cache` while the file is as it was read (kept there the first time,
    with its rows' identities, as the live register is)."""
    register = read_register(path, cache)
    if cache is not None:
        keep_read(register, cache)
    return Archive(path, register.rows)


def _archive_columns(archive: Register, live: Register) -> tuple[dict[str, int], list[CellChange]]:
    """The archive's columns, with any the live register gained since (the clerk's new
    column) added after its last one; and the header cells those need."""
    columns = dict(archive.sheets[REGISTER_SHEET].columns)
    last = max(columns.values(), default=0)
    headers = []
    for name in sorted(live.columns, key=live.columns.get):
        if name not in columns:
            last += 1
            columns[name] = last
            headers.append(CellChange(1, "", name, None, name, "归档：台账新增的列"))
    return columns, headers


def _into_archive(archive: Register, live: Register, rows: list[Row]) -> list[CellChange]:
    """The cells that make the archive hold `rows` as the live register has them: new cases
    at its end, a case already there (an earlier archive stopped before the register was
    written, and the clerk changed the case since) brought up to date."""
    columns, changes = _archive_columns(archive, live)
    archive.columns.update(columns)  # the same dict as its sheet's and its rows'
    there = {case_id_of(row): row for row in archive.rows}
    next_row = archive.last_data_row
    for row in rows:
        case_id = case_id_of(row)
        old = there.get(case_id)
        if old is None:
            next_row += 1
        number = old.number if old else next_row
        for name in live.columns:
            new = row.get(name)
            before = old.get(name) if old else None
            if not same_value(before, new):
                changes.append(CellChange(number, case_id, name, before, new, "归档"))
    return changes


def write_archive(live: Register, rows: list[Row], target: Path, backup_folder: Path, keep: int,
                  now: datetime) -> None:
    """Make the archive workbook `target` hold `rows` of the live register (safely)."""
    if not target.exists():
        keep_rows = {row.number for row in rows}
        others = {n for n in range(2, len(live.grid) + 1) if n not in keep_rows}
        save_without_rows(live, others, backup_folder, keep, now, target=target)
        return
    refuse_if_open(target)
    archive = read_register(target)
    changes = _into_archive(archive, live, rows)
    save_changes(archive, changes, backup_folder / BACKUP_SUBFOLDER, keep, now)
