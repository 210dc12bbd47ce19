"""What tipdesk read of its workbooks, kept in a cache database beside the journal
(tipdesk-cache.sqlite3): the archives, and the live register as the last run left it.

Every daily run needs every archived case (the egress gate knows their reporters; the 统计
sheet compares with last year), but an archive changes about once a year. Parsing one with
calamine and working out its reporters' identities cost more than a second per 10,000 cases,
every morning, growing each January; both from the cache cost a tenth of that. The live
register is kept the same way, once per file name, each time a run writes it (and when a run
that did not write it read it from the workbook): a second run the same morning, watch's
hourly passes, `letter` and `report` then read the register as that run left it in a quarter
of the time.

The cache is derived data, never state. An entry is found only under its file's SHA-256 (a
workbook edited in Excel is read again), the fingerprint of tipdesk's own code (what it
reads and which identities it finds may change with any release) and calamine's version;
the stored text carries its own SHA-256, so a damaged entry is never believed (the gate must
know every reporter). The file may be deleted at any time; whatever goes wrong with it, the
workbooks are read. Values are stored as JSON, not pickle: the workspace may be a shared
folder, and a cache must not be a way to run code.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from tipdesk.domain.identities import RowIdentities

# A new layout gets a new table: an old cache is then simply empty, never misread. The live
# register has a table of its own: one entry per file name, replaced at each write.
_ARCHIVES, _REGISTERS = "archives_v1", "registers_v1"
_SCHEMA = "CREATE TABLE IF NOT EXISTS {} (name TEXT PRIMARY KEY, digest TEXT NOT NULL, " \
          "format TEXT NOT NULL, checksum TEXT NOT NULL, entry TEXT NOT NULL)"
# Another process holding the file (a second tool, a DB browser) must not hold up the run.
_WAIT_SECONDS = 0.5

_ONE_MICROSECOND = timedelta(microseconds=1)
# In a column of mixed values, what JSON lacks, as text: NUL, a tag, the value. A text that
# itself starts with NUL (calamine reads _x0000_ as one) is tagged too.
_TO_TEXT = ((datetime, "T", datetime.isoformat), (date, "D", date.isoformat), (time, "H", time.isoformat),
            (timedelta, "U", lambda span: str(span // _ONE_MICROSECOND)))
_FROM_TEXT = {"T": datetime.fromisoformat, "D": date.fromisoformat, "H": time.fromisoformat,
              "U": lambda text: timedelta(microseconds=int(text)), "S": str}
# How a column is kept: every value a date-time (or empty), as ISO text; every value a text;
# every value one JSON holds as it is (texts, numbers, true/false); anything else, one by one.
_DATETIMES, _TEXTS, _PLAIN, _MIXED = "T", "S", "", "*"


@dataclass
class KeptArchive:
    grid: list[list[Any]]
    identities: list[RowIdentities]  # store.archive.Archive.identities, row by row


@dataclass
class KeptRegister:
    """The live register as store.register.read_register reads it."""

    grids: dict[str, list[list[Any]]]   # 台账 and, if the file has it, 联络人
    sheet_names: list[str]
    notes: list[str]                    # Register.notes (far cells left out)
    identities: list[RowIdentities]     # of each case row of 台账, in order


class WorkbookCache:
    """Archives' and the live register's grids and identities by file name and SHA-256;
    `readonly` (a dry run) writes nothing. After the first failure to use the file it is left
    alone for the rest of the run."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path, self.readonly, self.failed = path, readonly, False

    def load(self, name: str, digest: str) -> KeptArchive | None:
        """What was kept of archive `name` when its content had `digest`, if anything."""
        try:
            found = self._load(_ARCHIVES, name, digest)
            if found is None:
                return None
            grid, kept = found
            return KeptArchive(_grid_from_json(grid), _identities_from_json(kept))
        except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the workbook is read
            return None

    def keep(self, name: str, digest: str, grid: list[list[Any]], identities: list[RowIdentities]) -> None:
        """Remember archive `name`'s grid and identities while its content has `digest`
        (best effort: whatever fails, the next run reads the workbook again)."""
        self._keep(_ARCHIVES, name, digest, lambda: [_grid_to_json(grid), identities])

    def load_register(self, name: str, digest: str) -> KeptRegister | None:
        """The live register `name` as read when its content had `digest`, if kept."""
        try:
            found = self._load(_REGISTERS, name, digest)
            if found is None:
                return None
            grids, sheet_names, notes, kept = found
            return KeptRegister({sheet: _grid_from_json(grid) for sheet, grid in grids.items()},
                                list(sheet_names), list(notes), _identities_from_json(kept))
        except Exception:  # noqa: BLE001 - as load()
            return None

    def keep_register(self, name: str, digest: str, kept: KeptRegister) -> None:
        """Remember the live register `name` while its content has `digest` (in place of the
        entry of its earlier content; best effort, as keep())."""
        self._keep(_REGISTERS, name, digest, lambda: [
            {sheet: _grid_to_json(grid) for sheet, grid in kept.grids.items()}, kept.sheet_names,
            kept.notes, kept.identities])

    def _load(self, table: str, name: str, digest: str) -> Any:
        """The JSON value kept under (`name`, `digest`) in `table`, or None."""
        if self.failed:
            return None
        try:
            if not self.path.is_file():
                return None
            with closing(self._connect()) as db:
                found = db.execute(f"SELECT checksum, entry FROM {table} WHERE name = ? AND digest = ? "
                                   f"AND format = ?", (name, digest, _format())).fetchone()
        except sqlite3.DatabaseError as exc:
            # Damaged, or made by another version: keep() makes it anew. Locked: left alone.
            self.failed = not (_damaged(exc) or "no such table" in str(exc))
            return None
        except (sqlite3.Error, OSError):
            self.failed = True
            return None
        if found is None:
            return None
        checksum, text = found
        if hashlib.sha256(text.encode()).hexdigest() != checksum:
            return None  # damaged on disk: the workbook is read, and kept anew
        return json.loads(text)

    def _keep(self, table: str, name: str, digest: str, value: Callable[[], Any]) -> None:
        if self.readonly or self.failed:
            return
        try:
            text = json.dumps(value(), ensure_ascii=False, separators=(",", ":"))
            entry = (name, digest, _format(), hashlib.sha256(text.encode()).hexdigest(), text)
        except (TypeError, ValueError, OSError):
            return  # a value JSON cannot hold, or tipdesk's code unreadable: read each time
        del text  # the entry holds it: one copy less of a large register's text
        if self._write(table, entry) == "damaged":
            # Not a database any more (a bad sector, a stray copy): nothing in it is worth
            # keeping, so it is made anew.
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                self.failed = True
                return
            self._write(table, entry)

    def _write(self, table: str, entry: tuple) -> str:
        try:
            with closing(self._connect()) as db, db:
                db.execute(_SCHEMA.format(table))
                db.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?, ?)", entry)
            return "written"
        except sqlite3.DatabaseError as exc:
            if _damaged(exc):
                return "damaged"
            self.failed = True  # locked, a full disk, a grid too large for one value...
            return "failed"
        except (sqlite3.Error, OSError):
            self.failed = True
            return "failed"

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.path), timeout=_WAIT_SECONDS)


def _identities_from_json(kept: list) -> list[RowIdentities]:
    """As row_identities gives them (JSON has no tuples)."""
    return [(case_id, [(bare, surname, given) for bare, surname, given in names], values)
            for case_id, names, values in kept]


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """The file is not (or no longer) a sound database, as opposed to busy or full."""
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


def _code_files() -> dict[Path, tuple[int, int]]:
    """tipdesk's source files, each with its modification time and size."""
    package = Path(__file__).resolve().parent.parent
    return {path: (stat.st_mtime_ns, stat.st_size)
            for path in sorted(package.rglob("*.py")) if (stat := path.stat())}


# The code this process runs, as its files were when it started: a `watch` running for weeks
# must not file entries under the fingerprint of a newer tipdesk installed meanwhile.
_STARTED_WITH = _code_files()


@lru_cache(maxsize=None)
def _format() -> str:
    """What a kept entry depends on besides the file: tipdesk's code, byte for byte (any
    change to how a grid is read or which identities are found makes every entry stale),
    Python's and its Unicode tables' versions, and calamine's. Raises OSError when that
    cannot be told (no sources, or sources changed since this process started): the
    archives are then read from their workbooks."""
    from importlib.metadata import PackageNotFoundError, version  # only when there are archives

    files = _code_files()
    if not files or files != _STARTED_WITH:
        raise OSError("tipdesk's code cannot be fingerprinted, or changed since this run started")
    package = Path(__file__).resolve().parent.parent
    code = hashlib.sha256()
    for source in files:
        code.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    try:
        calamine = version("python-calamine")
    except PackageNotFoundError:
        calamine = "?"
    python = "%d.%d" % sys.version_info[:2]
    return f"tipdesk {code.hexdigest()[:16]}, python {python}, unicode {unicodedata.unidata_version}, " \
           f"calamine {calamine}"


def _grid_to_json(grid: list[list[Any]]) -> list:
    """[rows, columns]: a grid kept column by column, each as [kind, values], so that reading
    it back is a few calls per column, not one per cell."""
    width = max(map(len, grid), default=0)
    # calamine gives every row the sheet's width; only a ragged grid is padded (a copy).
    rows = grid if all(len(row) == width for row in grid) else [row + [""] * (width - len(row)) for row in grid]
    columns = []
    for column in zip(*rows):
        kinds = set(map(type, column))
        if str in kinds and not any(value for value in column if value.__class__ is str):
            kinds.discard(str)  # only empty cells: '' goes with any kind
        if kinds == {datetime}:
            columns.append([_DATETIMES, [value.isoformat() if value != "" else "" for value in column]])
        elif kinds <= {str}:
            columns.append([_TEXTS, column])
        elif kinds <= {str, float, int, bool}:
            columns.append([_PLAIN, column])
        else:
            columns.append([_MIXED, [_as_text(value) for value in column]])
    return [len(grid), columns]


def _grid_from_json(kept: list) -> list[list[Any]]:
    """The grid _grid_to_json kept; in a column of texts each text is one object however
    many cells hold it (store.register shares short texts the same way, for memory)."""
    count, columns = kept
    seen: dict[str, str] = {}
    share = seen.setdefault
    decoded = []
    for kind, values in columns:
        if kind == _DATETIMES:
            decoded.append([datetime.fromisoformat(value) if value else value for value in values])
        elif kind == _TEXTS:
            decoded.append(list(map(share, values, values)))
        elif kind == _PLAIN:  # not shared: 1.0 and True are one key to a dict
            decoded.append(values)
        elif kind == _MIXED:
            decoded.append([_FROM_TEXT[value[1]](value[2:]) if value.__class__ is str and value[:1] == "\0"
                            else value for value in values])
        else:
            raise ValueError(f"unknown column kind {kind!r}")
    if not decoded:
        return [[] for _ in range(count)]
    return list(map(list, zip(*decoded)))


def _as_text(value: Any) -> Any:
    for kind, tag, text in _TO_TEXT:
        if isinstance(value, kind):
            return f"\0{tag}{text(value)}"
    if isinstance(value, str) and value[:1] == "\0":
        return f"\0S{value}"
    if isinstance(value, (str, float, int, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")
