"""The case register: read it into rows, and write changes back without ever damaging it.

Writing goes: refuse while the file is open in Excel/WPS/LibreOffice; copy a dated backup;
patch the changed cells into a temporary file beside the register; read that file back and
check every cell; only then replace the register in one atomic rename. A power cut at any
point leaves either the old register or the new one, never half of each.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import python_calamine

from tipdesk.xlsx.extent import far_note, without_far_cells
from tipdesk.xlsx.text import excel_text
from tipdesk.xlsx.package import cell_ref
from tipdesk.domain.columns import CONTACTS_SHEET, LATER_COLUMNS, LONG_TEXT_COLUMNS, REGISTER_COLUMNS, REGISTER_SHEET
from tipdesk.domain.errors import EXIT_BUSY, EXIT_UNEXPECTED, EXIT_USAGE, TipdeskError
from tipdesk.domain.rows import CellChange, Register, Row, SheetData, clean_cell, header_columns
from tipdesk.domain.launcher import RUN
from tipdesk.domain.identities import identity_key, row_identities
from tipdesk.store.cache import KeptRegister, WorkbookCache

if TYPE_CHECKING:  # the patcher (and lxml) loads with the first write: most reruns write nothing
    from tipdesk.xlsx.patch import PackageEdit
    from tipdesk.xlsx.rowdiff import RowDiff

TEMP_SUFFIX = ".tipdesk-tmp"


def digest_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_grids(path: Path, sheets: Iterable[str], optional: Iterable[str] = ()
               ) -> tuple[dict[str, list[list[Any]]], list[str], dict[str, list[str]]]:
    """The named sheets as grids (one opening of the file), every sheet's name, and the cells
    far beyond the data that were left out (sheet -> references; see xlsx/extent.py).

    A missing sheet of `sheets` is an error; one of `optional` is simply left out."""
    with without_far_cells(path) as (source, far):
        try:
            book = python_calamine.CalamineWorkbook.from_path(str(source))
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise TipdeskError(f"{path.name}：无法读取台账（文件可能已损坏或不是 .xlsx）：{exc}。"
                               f"可从 backups 文件夹中的备份恢复。", EXIT_USAGE)
        with book:
            grids = {}
            for sheet in sheets:
                if sheet not in book.sheet_names:
                    raise TipdeskError(f"{path.name}：找不到工作表“{sheet}”。台账的案件表必须命名为“{sheet}”"
                                       f"（现有：{'、'.join(book.sheet_names)}）。", EXIT_USAGE)
                grids[sheet] = _sheet_grid(path, book, sheet)
            for sheet in optional:
                if sheet in book.sheet_names:
                    grids[sheet] = _sheet_grid(path, book, sheet)
            return grids, list(book.sheet_names), {s: refs for s, refs in far.items() if s in grids}


def _sheet_grid(path: Path, book: Any, sheet: str) -> list[list[Any]]:
    try:
        return _shared_texts(_grid_rows(book.get_sheet_by_name(sheet)))
    except Exception as exc:  # OverflowError: a phone number in a cell formatted as a duration
        raise TipdeskError(f"{path.name}：工作表“{sheet}”中有无法读取的单元格（{exc}），常见原因是很大的数字"
                           f"（例如电话号码）所在单元格被设成了“时间”格式。请在 Excel 中把最近改过的单元格设为“常规”或"
                           f"“文本”格式后重新运行，或从 backups 文件夹中的备份恢复。", EXIT_USAGE)


def read_grid(path: Path, sheet: str) -> tuple[list[list[Any]], list[str]]:
    grids, names, _ = read_grids(path, [sheet])
    return grids[sheet], names


def read_register(path: Path, cache: WorkbookCache | None = None) -> Register:
    """Read sheet 台账 (from `cache` while the file is as a run left it or last read it);
    raises naming the file and the missing headers."""
    path = Path(path)
    if not path.is_file():
        raise TipdeskError(f"{path}：找不到台账文件。请运行 {RUN} init 创建，或检查配置项 register。",
                           EXIT_USAGE)
    if not zipfile.is_zipfile(path):
        # calamine would read an .xls renamed .xlsx; it could not be written back safely.
        raise TipdeskError(f"{path.name}：台账不是 .xlsx 格式（可能是旧版 .xls 或 WPS .et 改了扩展名）。"
                           f"请在 Excel/WPS 中打开，另存为“Excel 工作簿 (.xlsx)”，再运行。", EXIT_USAGE)
    digest = digest_of(path)
    kept = cache.load_register(path.name, digest) if cache else None
    if kept is not None:
        try:
            register = _register_of(path, digest, kept.grids, kept.sheet_names, kept.notes)
            if len(register.rows) == len(kept.identities):
                for row, found in zip(register.rows, kept.identities):
                    row.identities = found
                register.from_cache = True
                return register
        except Exception:  # noqa: BLE001 - not the grids of a register after all: the workbook says
            pass
    grids, sheets, far = read_grids(path, [REGISTER_SHEET], optional=[CONTACTS_SHEET])
    register = _register_of(path, digest, grids, sheets, [far_note(sheet, refs) for sheet, refs in far.items()])
    if cache is not None:
        _known_identities(register, cache)
    return register


def _known_identities(register: Register, cache: WorkbookCache) -> None:
    """The identities of the rows the register had when last kept (a clerk edited a few rows
    since, in Excel): only the others are worked out by the gate."""
    known = cache.load_identities(register.path.name)
    if known:
        for row in register.rows:
            row.identities = known.get(identity_key(row))


def _register_of(path: Path, digest: str, grids: dict[str, list[list[Any]]], sheet_names: list[str],
                 notes: list[str]) -> Register:
    grid = grids[REGISTER_SHEET]
    columns, rows, added = case_rows(path.name, grid)
    data = {REGISTER_SHEET: SheetData(columns, grid)}
    if CONTACTS_SHEET in grids:
        contacts = grids[CONTACTS_SHEET]
        data[CONTACTS_SHEET] = SheetData(header_columns(contacts[0] if contacts else []), contacts)
    return Register(path, columns, rows, grid, digest, sheet_names, data, added, notes)


def keep_read(register: Register, cache: WorkbookCache) -> None:
    """Keep a register workbook as this run read it, for the next runs: the live register
    when this run did not write it (watch's hourly pass, the day's second run), an archive
    the first time it is read. Its rows' identities are worked out here if the gate has not
    yet."""
    if register.from_cache or cache.readonly:
        return
    try:
        if digest_of(register.path) != register.digest:
            return  # saved since it was read: what was read may be of neither content
        _cache_register(cache, register.path.name, register.digest, register)
    except Exception:  # noqa: BLE001 - a cache that fails costs the next run a read, never this run
        pass


def _cache_register(cache: WorkbookCache, name: str, digest: str, register: Register) -> None:
    identities = [row_identities(row) for row in register.rows]
    cache.keep_register(name, digest, KeptRegister(
        {sheet: data.grid for sheet, data in register.sheets.items()}, register.sheet_names, register.notes,
        identities))
    cache.keep_identities(name, [identity_key(row) for row in register.rows], identities)


def case_rows(file_name: str, grid: list[list[Any]]) -> tuple[dict[str, int], list[Row], list[str]]:
    """The columns (header -> column), the case rows and the columns still to add of a 台账
    grid; raises naming the file and the missing headers."""
    columns = header_columns(grid[0] if grid else [])
    missing = [c for c in REGISTER_COLUMNS if c not in columns and c not in LATER_COLUMNS]
    if missing:
        raise TipdeskError(
            f"{file_name}：工作表“{REGISTER_SHEET}”第 1 行缺少列：{'、'.join(missing)}。"
            f"请在第 1 行补上这些列名（顺序不限，多余的列会原样保留）。", EXIT_USAGE)
    # Columns the contract gained later go after the last used column; daily writes their
    # headers (Register.added_columns), never moving a column the clerk has.
    added = [c for c in LATER_COLUMNS if c not in columns]
    if added:
        last = max((i for row in grid for i, v in enumerate(row, start=1) if v not in ("", None)), default=0)
        for offset, name in enumerate(added, start=1):
            columns[name] = last + offset
    rows = [Row(number, values, columns) for number, values in enumerate(grid[1:], start=2)
            if any(v != "" and (not isinstance(v, str) or v.strip()) for v in values)]
    return columns, rows, added


def lock_files(path: Path) -> list[Path]:
    """Owner files Excel, WPS and LibreOffice leave beside a workbook they have open."""
    found = []
    name = path.name
    for other in path.parent.iterdir():
        o = other.name
        if o == f".~lock.{name}#" or o == f".~{name}":
            found.append(other)
        # Excel/WPS write "~$" + the name, dropping the first one or two characters of long names.
        elif o.startswith("~$") and len(o) > 2 and name.endswith(o[2:]) and len(o[2:]) >= len(name) - 2:
            found.append(other)
    return found


def refuse_if_open(path: Path) -> None:
    locks = lock_files(path)
    if locks:
        raise TipdeskError(
            f"{path.name}：台账正在被 Excel/WPS/LibreOffice 打开（发现锁文件 {locks[0].name}），"
            f"本次没有做任何修改。请关闭台账后重新运行；如确认无人打开，可删除该锁文件。", EXIT_BUSY)


def backup(path: Path, folder: Path, keep: int, now: datetime) -> Path:
    """Copy the register to folder/<name>-YYYYMMDD-HHMMSS.xlsx and keep the newest `keep`."""
    folder.mkdir(parents=True, exist_ok=True)
    target = free_path_in(folder, f"{path.stem}-{now:%Y%m%d-%H%M%S}", path.suffix)
    _copy_whole(path, target)
    olds = sorted((p for p in folder.glob(f"{path.stem}-*{path.suffix}") if not p.stem.endswith(WRITTEN_SUFFIX)),
                  key=lambda p: p.stat().st_mtime)
    for old in olds[:-keep]:
        old.unlink()
    return target


# The register as a run left it, kept until two later runs wrote theirs: when an older copy is
# saved over the register, this is where the run's cases and answers are found again.
WRITTEN_SUFFIX = "-写入后"
WRITTEN_KEEP = 2


def keep_written(path: Path, folder: Path, now: datetime) -> Path:
    """Copy the register just written to folder/<name>-YYYYMMDD-HHMMSS-写入后.xlsx."""
    folder.mkdir(parents=True, exist_ok=True)
    target = free_path_in(folder, f"{path.stem}-{now:%Y%m%d-%H%M%S}{WRITTEN_SUFFIX}", path.suffix)
    _copy_whole(path, target)
    olds = sorted(folder.glob(f"{path.stem}-*{WRITTEN_SUFFIX}*{path.suffix}"), key=lambda p: p.stat().st_mtime)
    for old in olds[:-WRITTEN_KEEP]:
        old.unlink()
    return target


def _copy_whole(source: Path, target: Path) -> None:
    """A copy that is whole or absent: a power cut mid-copy leaves no half backup that a
    clerk might restore."""
    temp = target.with_name(target.name + TEMP_SUFFIX)
    shutil.copy2(source, temp)
    os.replace(temp, target)


def free_path_in(folder: Path, stem: str, suffix: str) -> Path:
    target, n = folder / f"{stem}{suffix}", 1
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (datetime, date)) and isinstance(b, (datetime, date)):
        # Excel keeps a date-time as a fraction of a day: equal to the second is equal.
        return abs(_as_datetime(clean_cell(a)) - _as_datetime(clean_cell(b))) <= timedelta(seconds=1)
    if isinstance(a, (datetime, date)) or isinstance(b, (datetime, date)):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) < 1e-9
    return (a if a not in ("", None) else None) == (b if b not in ("", None) else None)


def _as_datetime(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(microsecond=0)
    if isinstance(value, date):
        return datetime.combine(value, time())
    return value


def _refuse_if_changed(register: Register) -> None:
    """Exit 3 when the register is open now, or its bytes are not those this run read."""
    refuse_if_open(register.path)
    _refuse_if_not_read(register, register.path)


def _refuse_if_not_read(register: Register, copy: Path) -> None:
    """Exit 3 when `copy` (the register, or the backup just made of it) is not what this run read."""
    if digest_of(copy) != register.digest:
        raise TipdeskError(f"{register.path.name}：台账在本次运行期间被别人保存过，本次没有做任何修改。"
                           f"请重新运行。", EXIT_BUSY)


def _long_texts(register: Register, rows: dict[int, dict[int, Any]]) -> dict[int, dict[int, str]]:
    """The long texts (LONG_TEXT_COLUMNS) each written 台账 row will hold, for its height."""
    if not rows or REGISTER_SHEET not in register.sheets:
        return {}
    columns = {name: register.columns[name] for name in LONG_TEXT_COLUMNS if name in register.columns}
    by_number = {row.number: row for row in register.rows if row.number in rows}
    out = {}
    for number, cells in rows.items():
        row = by_number.get(number)
        texts = {}
        for name, column in columns.items():
            value = cells[column] if column in cells else (row.get(name) if row else None)
            if value not in (None, ""):
                texts[column] = str(value)
        out[number] = texts
    return out


def save_changes(register: Register, changes: list[CellChange], backup_folder: Path,
                 keep: int, now: datetime, edits: Iterable[PackageEdit] = (),
                 before_commit: Callable[[str, set[tuple[str, int, int]]], Any] | None = None,
                 cache: WorkbookCache | None = None) -> tuple[Path | None, set[tuple[str, int, int]]]:
    """Apply `changes` (and package `edits`, e.g. whole sheets) to the register file safely.

    `before_commit(digest, skipped)` runs once the new file is written and verified, just
    before it replaces the register, with the new file's SHA-256 and the formula cells left
    alone: what it raises leaves the register untouched (the run records its intent there).
    `cache`: the new register is kept there as it was read back (the next run reads it so).
    Returns the backup made and the formula cells (sheet, row, column) that were left alone.
    """
    edits = list(edits)
    if not changes and not edits:
        return None, set()
    path = register.path
    _refuse_if_changed(register)
    by_sheet: dict[str, dict[int, dict[int, Any]]] = {}
    for change in changes:
        columns = register.sheets[change.sheet].columns
        by_sheet.setdefault(change.sheet, {}).setdefault(change.row, {})[columns[change.column]] = change.new
    last_rows = {name: max(len(register.sheets[name].grid), max(rows)) for name, rows in by_sheet.items()}
    from tipdesk.xlsx.patch import patch_workbook

    temp = path.with_name(path.name + TEMP_SUFFIX)
    try:
        skipped = patch_workbook(path, temp, by_sheet, last_rows, edits,
                                 {REGISTER_SHEET: _long_texts(register, by_sheet.get(REGISTER_SHEET, {}))})
        # Kept in the cache, the register is all read back: 联络人 too (it is small).
        keeping = cache is not None and not cache.readonly and not cache.failed and REGISTER_SHEET in by_sheet
        checked = list(by_sheet) + [name for name in register.sheets if keeping and name not in by_sheet]
        # Only the rows whose bytes changed are read back, when the rest reads as it did.
        changed = None if register.notes else _changes_back(path, temp, checked)
        try:
            if changed is not None:
                backs, sheet_names = changed
                read_back = {name: _verify_changes(path.name, name, register.sheets[name].grid, *backs[name],
                                                   by_sheet.get(name, {}), skipped.get(name, set()), collect=keeping)
                             for name in checked}
            else:
                written, sheet_names = _read_back(path.name, temp, checked, far=bool(register.notes))
                read_back = {name: _verify(path.name, name, register.sheets[name].grid, written[name],
                                           by_sheet.get(name, {}), skipped.get(name, set()), collect=keeping)
                             for name in checked}
        except TipdeskError:
            _refuse_if_changed(register)  # saved meanwhile: that is what differs, and the clerk's to keep
            raise
        cells = {(name, r, c) for name, by_cell in skipped.items() for r, c in by_cell}
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        digest = digest_of(temp) if before_commit or keeping else ""
        if before_commit:
            before_commit(digest, cells)
        # Writing and verifying take seconds on a large register: a clerk who saved (or
        # opened) it meanwhile keeps that, and this run stops instead of replacing it.
        _refuse_if_changed(register)
        saved = backup(path, backup_folder, keep, now)
        # Saved between the check and the copy (a tool that leaves no lock file): the copy shows it.
        _refuse_if_not_read(register, saved)
        try:
            os.replace(temp, path)
        except PermissionError:
            raise TipdeskError(f"{path.name}：台账被其他程序占用，无法写入，本次没有做任何修改。"
                               f"请关闭台账后重新运行。", EXIT_BUSY)
        _sync_folder(path.parent)
    finally:
        temp.unlink(missing_ok=True)
    if keeping and all(grid is not None for grid in read_back.values()):
        def keep() -> None:
            try:
                _cache_written(cache, register, digest, read_back, sheet_names)
            except Exception:  # noqa: BLE001 - the register is replaced: a cache that fails costs the next run a read
                pass

        cache.defer(keep)
    return saved, cells


def _cache_written(cache: WorkbookCache, old: Register, digest: str, grids: dict[str, list[list[Any]]],
                  sheet_names: list[str]) -> None:
    """Keep the register just written as it was read back. A row the write left alone is the
    same list as before, and keeps the identities the run found in it. The far cells are
    those of the register as read: a patch adds none (xlsx/extent.py)."""
    new = _register_of(old.path, digest, grids, sheet_names, old.notes)
    before = {row.number: row for row in old.rows} if new.columns == old.columns else {}
    for row in new.rows:
        was = before.get(row.number)
        if was is not None and was.same_cells(row):
            row.identities = row_identities(was)
    _cache_register(cache, old.path.name, digest, new)


def _sync_folder(folder: Path) -> None:
    """The rename itself on disk before the journal says it happened (POSIX; Windows has no
    handle for a folder and makes renames durable on its own)."""
    if os.name != "nt":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_without_rows(register: Register, drop: set[int], backup_folder: Path, keep: int,
                      now: datetime, target: Path | None = None,
                      edits: Iterable[PackageEdit] = ()) -> Path | None:
    """The register without its 台账 rows `drop` (the rows below move up), written as
    save_changes writes: temp file, read back and check every remaining cell in its new row,
    then one atomic rename. Without `target` it replaces the register (backed up first);
    with it, it becomes that new file (an archive made from the register, formatting and all).
    `edits` change the package further, as in save_changes. Returns the backup made."""
    from tipdesk.xlsx.patch import patch_workbook
    from tipdesk.xlsx.prune import drop_rows

    path = register.path
    dst = target or path
    _refuse_if_changed(register)
    expected = [values for number, values in enumerate(register.grid, start=1) if number not in drop]
    temp = dst.with_name(dst.name + TEMP_SUFFIX)
    saved = None
    try:
        patch_workbook(path, temp, {}, {}, [drop_rows(REGISTER_SHEET, drop), *edits])
        written, _ = _read_back(dst.name, temp, [REGISTER_SHEET], far=bool(register.notes))
        _verify(dst.name, REGISTER_SHEET, expected, written[REGISTER_SHEET], {}, set())
        _refuse_if_changed(register)
        if target is None:
            saved = backup(path, backup_folder, keep, now)
        elif target.exists():
            raise TipdeskError(f"{target.name}：文件已存在，本次没有做任何修改。请重新运行。", EXIT_BUSY)
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        try:
            os.replace(temp, dst)
        except PermissionError:
            raise TipdeskError(f"{dst.name}：文件被其他程序占用，无法写入，本次没有做任何修改。"
                               f"请关闭该文件后重新运行。", EXIT_BUSY)
    finally:
        temp.unlink(missing_ok=True)
    return saved


def _read_back(file_name: str, temp: Path, sheets: list[str], far: bool
               ) -> tuple[dict[str, Iterator[list[Any]]], list[str]]:
    """The new file, read as the clerk's Excel would: a whole, readable package. Each sheet
    comes row by row, so that the check never holds a second copy of a large register; with
    every sheet's name.
    `far`: the register had far cells when read (a patch adds none, so only then is the new
    file measured again: on 50,000 rows that is a second unpacking of the sheet)."""
    try:
        with zipfile.ZipFile(temp) as zf:
            bad = zf.testzip()
        if bad:
            raise ValueError(f"zip member {bad} is corrupt")
        # Far cells are left out as when the register was read (xlsx/extent.py): a value at
        # XFD1048576 would make calamine allocate the whole grid.
        if not far:
            book = python_calamine.CalamineWorkbook.from_path(str(temp))
            return {sheet: _grid_rows(book.get_sheet_by_name(sheet)) for sheet in sheets}, list(book.sheet_names)
        with without_far_cells(temp) as (source, _):
            book = python_calamine.CalamineWorkbook.from_path(str(source))
            return {sheet: _grid_rows(book.get_sheet_by_name(sheet)) for sheet in sheets}, list(book.sheet_names)
    except Exception as exc:  # calamine's own error types for a package it cannot read
        raise TipdeskError(f"{file_name}：写入后校验失败（{exc}），台账未被修改。", EXIT_UNEXPECTED)


def _changes_back(source: Path, temp: Path, sheets: list[str]
                  ) -> tuple[dict[str, tuple[RowDiff, list[list[Any]]]], list[str]] | None:
    """The rows of `sheets` that differ between the register and the new file, read back from
    a package holding only them (xlsx/rowdiff.py), with every sheet's name; every other member
    of the new file is read whole, which checks it. None when a row left alone could read
    differently from before (the shared strings or a cell format changed, the sheets moved,
    a row without its number): then the new file is read back whole."""
    from tipdesk.xlsx.package import workbook_parts
    from tipdesk.xlsx.rowdiff import changed_rows, rows_read_alike

    try:
        with zipfile.ZipFile(source) as old, zipfile.ZipFile(temp) as new:
            before, after = workbook_parts(old.read), workbook_parts(new.read)
            if (not rows_read_alike(old, new, before, after)
                    or any(s not in after.sheets or before.sheets.get(s) != after.sheets[s] for s in sheets)):
                return None
            streamed = {after.sheets[s]: s for s in sheets}
            diffs = {}
            for part, sheet in streamed.items():
                with old.open(part) as was, new.open(part) as now:  # read to its end: its CRC checked
                    diffs[sheet] = changed_rows(was, now)
                if diffs[sheet] is None:
                    return None
            package = io.BytesIO()
            with zipfile.ZipFile(package, "w", zipfile.ZIP_STORED) as small:
                for info in new.infolist():
                    name = info.filename
                    small.writestr(name, diffs[streamed[name]].sheet() if name in streamed else new.read(info))
        package.seek(0)
        book = python_calamine.CalamineWorkbook.from_filelike(package)
        return ({sheet: (diffs[sheet], list(_grid_rows(book.get_sheet_by_name(sheet)))) for sheet in sheets},
                list(book.sheet_names))
    except Exception:  # noqa: BLE001 - read back whole, which names what is wrong with the file
        return None


def _verify_changes(file_name: str, sheet: str, old_grid: list[list[Any]], diff: RowDiff,
                    back: list[list[Any]], by_row: dict[int, dict[int, Any]], skipped: set[tuple[int, int]],
                    collect: bool = False) -> list[list[Any]] | None:
    """_verify for a write read back in part: the rows that differ as read back (`back`, from
    row 1), every other row as it was. `collect`: the sheet as a whole read would give it, or
    None when that cannot be told from the rows read (the rows the sheet's extent rests on
    changed), so that nothing is kept of this write."""
    width = max((len(r) for r in old_grid), default=0)
    changed, gone = set(diff.numbers), set(diff.gone)

    def read(r: int) -> list[Any]:
        return back[r - 1] if r - 1 < len(back) else []

    for r in sorted(changed | gone | set(by_row)):
        old_row = old_grid[r - 1] if r - 1 < len(old_grid) else []
        new_row = read(r) if r in changed else [] if r in gone else old_row
        _verify_row(file_name, sheet, r, old_row, new_row, by_row.get(r, {}), skipped, width)
    if not collect:
        return None
    # The extent of a whole read: that of the rows read back (calamine gives each row the
    # width of the sheet's used range), or that of the rows left alone, where the last row
    # (or, for the width, the header reaching the last column) tells it.
    last, wide = len(old_grid), max((len(row) for row in back), default=0)
    if not last or (last in changed | gone and len(back) < last) or wide > width or (
            wide < width and (1 in changed | gone or len(old_grid[0]) != width or old_grid[0][width - 1] in ("", None))):
        return None
    grid = list(old_grid) + [[""] * width for _ in range(max(last, len(back)) - last)]
    for r in changed:
        row = read(r)
        grid[r - 1] = row + [""] * (width - len(row)) if len(row) < width else row
    return grid


def _grid_rows(sheet: Any) -> Iterator[list[Any]]:
    """The rows of `sheet` from A1, as to_python(skip_empty_area=False) gives them, one at a
    time. (calamine's iter_rows starts at row 1 but at the first used column.)"""
    pad = [""] * (sheet.start or (0, 0))[1]
    for row in sheet.iter_rows():
        yield pad + row if pad else row


# Texts up to this length are mostly the register's categories (状态, 类别, 承办单位, 是否属实…):
# the same few values in every row.
_SHARED_TEXT = 20


def _shared_texts(rows: Iterable[list[Any]]) -> list[list[Any]]:
    """The rows as a grid, each short text one object however many cells hold it: on a large
    register that is a third less memory."""
    seen: dict[str, str] = {}
    share = seen.setdefault
    return [[share(v, v) if v.__class__ is str and len(v) <= _SHARED_TEXT else v for v in row]
            for row in rows]


def _verify(file_name: str, sheet: str, old_grid: list[list[Any]], grid: Iterable[list[Any]],
            by_row: dict[int, dict[int, Any]], skipped: set[tuple[int, int]],
            collect: bool = False) -> list[list[Any]] | None:
    """Every cell must be what was there, or what we meant to write. `collect`: returns the
    sheet as read back, where a row equal to the old one is the old list (no second copy of a
    large register); None when a row that was not to change reads differently (a sheet grown
    wider), so that nothing is kept of this write."""
    width = max((len(r) for r in old_grid), default=0)
    last = max(len(old_grid), max(by_row, default=0))
    read_back: list[list[Any]] | None = [] if collect else None
    r = 0
    for r, new_row in enumerate(grid, start=1):
        old_row = old_grid[r - 1] if r - 1 < len(old_grid) else []
        wanted = by_row.get(r, {})
        _verify_row(file_name, sheet, r, old_row, new_row, wanted, skipped, width)
        if read_back is not None:
            if old_row == new_row:
                read_back.append(old_row)
            elif wanted or r > len(old_grid):
                read_back.append(new_row)
            else:
                read_back = None
    for r in range(r + 1, last + 1):  # rows the new file ends before: must have been empty
        _verify_row(file_name, sheet, r, old_grid[r - 1] if r - 1 < len(old_grid) else [], [],
                    by_row.get(r, {}), skipped, width)
    return read_back


def _verify_row(file_name: str, sheet: str, r: int, old_row: list[Any], new_row: list[Any],
                wanted: dict[int, Any], skipped: set[tuple[int, int]], width: int) -> None:
    if not wanted and old_row == new_row:
        return  # the common case, compared in C
    for c in range(1, max(width, len(new_row), max(wanted, default=0)) + 1):
        old = old_row[c - 1] if c - 1 < len(old_row) else None
        new = new_row[c - 1] if c - 1 < len(new_row) else None
        expect = wanted[c] if c in wanted and (r, c) not in skipped else old
        if isinstance(expect, str) and c in wanted:
            expect = excel_text(expect)  # what the patch writes: a cell's limits apply
        if not _same(expect, new):
            ref = cell_ref(r, c)
            raise TipdeskError(f"{file_name}：写入后校验失败（工作表“{sheet}”单元格 {ref} 应为“{expect}”，"
                               f"读回“{new}”），台账未被修改。", EXIT_UNEXPECTED)
