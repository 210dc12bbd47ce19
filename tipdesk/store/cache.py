"""The archives' case rows, kept in a cache database beside the journal (tipdesk-cache.sqlite3).

Every daily run needs every archived case (the egress gate knows their reporters; the 统计
sheet compares with last year), but an archive changes about once a year. Parsing one with
calamine costs most of a second per 10,000 cases, every morning, growing each January; its
grid from the cache costs a tenth of that.

The cache is derived data, never state. An archive's grid is found only under that file's
SHA-256 (an archive edited in Excel is read again) and the reader's GRID_FORMAT and calamine
version; the stored text carries its own SHA-256, so a damaged entry is never believed (the
gate must know every archived reporter). The file may be deleted at any time; whatever goes
wrong with it, the archives are read from their workbooks. Values are stored as JSON, not
pickle: the workspace may be a shared folder, and a cache must not be a way to run code.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from contextlib import closing
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from tipdesk.store.register import GRID_FORMAT, shared_texts

# A new layout gets a new table: an old cache is then simply empty, never misread.
_TABLE = "archive_grids_v1"
_SCHEMA = f"CREATE TABLE IF NOT EXISTS {_TABLE} (name TEXT PRIMARY KEY, digest TEXT NOT NULL, " \
          "format TEXT NOT NULL, checksum TEXT NOT NULL, grid TEXT NOT NULL)"
# Another process holding the file (a second tool, a DB browser) must not hold up the run.
_WAIT_SECONDS = 0.5

_ONE_MICROSECOND = timedelta(microseconds=1)
# calamine's value types that JSON does not have, as one-key objects: (type, tag, to JSON).
_ENCODE = ((datetime, "dt", datetime.isoformat), (date, "d", date.isoformat),
           (time, "t", time.isoformat), (timedelta, "us", lambda span: span // _ONE_MICROSECOND))
_DECODE = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat,
           "us": lambda count: timedelta(microseconds=count)}


class ArchiveCache:
    """Archive grids by file name and SHA-256; `readonly` (a dry run) writes nothing. After
    the first failure to use the file it is left alone for the rest of the run."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path, self.readonly, self.failed = path, readonly, False

    def grid(self, name: str, digest: str) -> list[list[Any]] | None:
        """The grid of archive `name` as it was read when its content had `digest`, if kept."""
        if self.failed:
            return None
        try:
            if not self.path.is_file():
                return None
            with closing(self._connect()) as db:
                found = db.execute(f"SELECT checksum, grid FROM {_TABLE} WHERE name = ? AND digest = ? "
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
            return None  # damaged on disk: read the workbook, and keep() writes it anew
        try:
            grid = json.loads(text, object_hook=_decoded)
        except (ValueError, TypeError, KeyError, RecursionError):
            return None
        if not isinstance(grid, list) or not all(isinstance(row, list) for row in grid):
            return None
        return shared_texts(grid)

    def keep(self, name: str, digest: str, grid: list[list[Any]]) -> None:
        """Remember `grid` as archive `name`'s while its content has `digest` (best effort)."""
        if self.readonly or self.failed:
            return
        try:
            text = json.dumps(grid, default=_encoded, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return  # a value JSON cannot hold: this archive is read from its workbook each time
        entry = (name, digest, _format(), hashlib.sha256(text.encode()).hexdigest(), text)
        if self._write(entry) == "damaged":
            # Not a database any more (a bad sector, a stray copy): nothing in it is worth
            # keeping, so it is made anew.
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                self.failed = True
                return
            self._write(entry)

    def _write(self, entry: tuple) -> str:
        try:
            with closing(self._connect()) as db, db:
                db.execute(_SCHEMA)
                db.execute(f"INSERT OR REPLACE INTO {_TABLE} VALUES (?, ?, ?, ?, ?)", entry)
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


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    """The file is not (or no longer) a sound database, as opposed to busy or full."""
    return getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


@lru_cache(maxsize=None)
def _format() -> str:
    """What a cached grid depends on besides the file: the reader, and calamine's version."""
    from importlib.metadata import PackageNotFoundError, version  # only when there are archives

    try:
        calamine = version("python-calamine")
    except PackageNotFoundError:
        calamine = "?"
    return f"grid {GRID_FORMAT}, calamine {calamine}"


def _encoded(value: Any) -> dict:
    for kind, tag, encode in _ENCODE:
        if isinstance(value, kind):
            return {tag: encode(value)}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decoded(tagged: dict) -> Any:
    ((tag, value),) = tagged.items()
    return _DECODE[tag](value)
