"""The archives' case rows, kept in a cache database beside the journal (tipdesk-cache.sqlite3).

Every daily run needs every archived case (the egress gate knows their reporters; the 统计
sheet compares with last year), but an archive changes about once a year. Reading one with
calamine costs most of a second per 10,000 cases, every morning, growing each January; its
grid from the cache costs a tenth of that.

The cache is derived data, never state: an archive's grid is found only under that file's
SHA-256 (an archive edited in Excel is read again), and under the tipdesk and calamine
versions that read it. The file may be deleted at any time; when it cannot be read or written
the archives are simply read from their workbooks. Values are stored as JSON (no pickle: the
workspace may be a shared folder, and a cache must not be a way to run code).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from tipdesk.store.register import shared_texts

# Raise it when store.register's reading changes what a grid holds (far cells, padding).
_READER = 1

_SCHEMA = "CREATE TABLE IF NOT EXISTS archives (name TEXT PRIMARY KEY, digest TEXT NOT NULL, " \
          "format TEXT NOT NULL, grid TEXT NOT NULL)"

# calamine's value types that JSON does not have, tagged as one-key objects.
_ENCODE = ((datetime, "dt", datetime.isoformat), (date, "d", date.isoformat),
           (time, "t", time.isoformat), (timedelta, "td", timedelta.total_seconds))
_DECODE = {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat,
           "td": lambda seconds: timedelta(seconds=seconds)}


class ArchiveCache:
    """Archive grids by file name and SHA-256; `readonly` (a dry run) writes nothing."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path, self.readonly = path, readonly

    def grid(self, name: str, digest: str) -> list[list[Any]] | None:
        """The grid of archive `name` as it was read when its content had `digest`, if kept."""
        if not self.path.is_file():
            return None
        try:
            with closing(self._connect()) as db:
                found = db.execute("SELECT grid FROM archives WHERE name = ? AND digest = ? AND format = ?",
                                   (name, digest, _format())).fetchone()
            return None if found is None else shared_texts(json.loads(found[0], object_hook=_decoded))
        except (sqlite3.Error, OSError, ValueError, TypeError, KeyError):
            return None  # a damaged or foreign cache: the workbook is read instead

    def keep(self, name: str, digest: str, grid: list[list[Any]]) -> None:
        """Remember `grid` as archive `name`'s while its content has `digest` (best effort)."""
        if self.readonly:
            return
        try:
            text = json.dumps(grid, default=_encoded, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError):
            return  # a value JSON cannot hold: this archive is read from its workbook each time
        for _attempt in range(2):
            try:
                with closing(self._connect()) as db, db:
                    db.execute(_SCHEMA)
                    db.execute("INSERT OR REPLACE INTO archives VALUES (?, ?, ?, ?)",
                               (name, digest, _format(), text))
                return
            except sqlite3.OperationalError:
                return  # locked, or a full disk: the next run reads the workbook and tries again
            except sqlite3.DatabaseError:
                # Not a database any more (a bad sector, a stray copy): nothing in it is worth keeping.
                try:
                    self.path.unlink(missing_ok=True)
                except OSError:
                    return
            except (sqlite3.Error, OSError):
                return

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(str(self.path), timeout=5)


@lru_cache(maxsize=None)
def _format() -> str:
    """What a cached grid depends on besides the file: the reader, and calamine's version."""
    from importlib.metadata import PackageNotFoundError, version  # only when there are archives

    try:
        calamine = version("python-calamine")
    except PackageNotFoundError:
        calamine = "?"
    return f"reader {_READER}, calamine {calamine}"


def _encoded(value: Any) -> dict:
    for kind, tag, text in _ENCODE:
        if isinstance(value, kind):
            return {tag: text(value)}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decoded(tagged: dict) -> Any:
    ((tag, value),) = tagged.items()
    return _DECODE[tag](value)
