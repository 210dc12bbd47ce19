"""What tipdesk read of its workbooks, kept in a cache database beside the journal
(tipdesk-cache.sqlite3): the live register as the last run left it, and the archives.

Every daily run needs every archived case (the egress gate knows their reporters; the 统计
sheet compares with last year), but an archive changes about once a year. Parsing one with
calamine and working out its reporters' identities cost more than a second per 10,000 cases,
every morning, growing each January; both from the cache cost a tenth of that. The live
register is kept the same way, each time a run writes it (and when a run that did not write
it read it from the workbook): a second run the same morning, watch's hourly passes,
`letter` and `report` then read the register as that run left it in a quarter of the time.
One entry per workbook's file name, replaced when its content changes.

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
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tipdesk.domain.identities import RowIdentities
from tipdesk.store.aside import Aside

# Every entry's key holds the fingerprint of the code that made it (_format), so an entry of
# another layout is never read.
_TABLE = "registers_v1"
# Tables of earlier releases: dropped when an entry is written, their space reused.
_OLD_TABLES = ("archive_grids_v1", "archives_v1")
_SCHEMA = f"CREATE TABLE IF NOT EXISTS {_TABLE} (name TEXT PRIMARY KEY, digest TEXT NOT NULL, " \
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
# The first two as one text, the values between _SEP: JSON decodes one long string a few times
# faster than as many short ones (the largest part of reading a register from the cache). A
# column with _SEP in a value (calamine reads _x001F_ as one) is kept as a list.
_DATETIMES, _TEXTS, _PLAIN, _MIXED = "T", "S", "", "*"
_JOINED = {_DATETIMES: "t", _TEXTS: "s"}
_UNJOINED = {joined: kind for kind, joined in _JOINED.items()}
_SEP = "\x1f"
# The entry beside a register's own holding its rows' identities by identity_key (32 digits).
_BY_KEY, _KEY_LENGTH = "\x00identities", 32


@dataclass
class KeptRegister:
    """A register workbook (the live one or an archive) as store.register.read_register reads it."""

    grids: dict[str, list[list[Any]]]   # 台账 and, if the file has it, 联络人
    sheet_names: list[str]
    notes: list[str]                    # Register.notes (far cells left out)
    identities: list[RowIdentities]     # of each case row of 台账, in order


class WorkbookCache:
    """Register workbooks' grids and identities by file name and SHA-256; `readonly` (a dry
    run) writes nothing. After the first failure to use the file it is left alone for the rest
    of the run."""

    def __init__(self, path: Path, readonly: bool = False):
        self.path, self.readonly, self.failed = path, readonly, False
        self._later: list[Callable[[], None]] | None = None
        self._aside: Aside | None = None

    @contextmanager
    def writing_later(self) -> Iterator[None]:
        """While this lasts, what `defer` is given waits for `write_deferred()`: the daily run
        has the register it wrote kept in a forked child (store.aside) while it sends its mail.
        All of it is written before this ends (here, if the child could not)."""
        self._later = []
        try:
            yield
        finally:
            self.write_deferred()
            aside, self._aside, self._later = self._aside, None, None
            if aside is not None:
                aside.result()

    def defer(self, write: Callable[[], None]) -> None:
        """Run `write` (which keeps something, and never raises) now, or while writing_later
        lasts, when write_deferred() is called."""
        if self._later is None:
            write()
        else:
            self._later.append(write)

    def write_deferred(self) -> None:
        """Start what was deferred, in a child (once)."""
        if self._later and self._aside is None:
            writes = self._later

            def write_all() -> None:
                for write in writes:
                    write()

            self._aside = Aside(write_all)

    def load_register(self, name: str, digest: str) -> KeptRegister | None:
        """The register workbook `name` as read when its content had `digest`, if kept."""
        try:
            found = self._load(name, digest)
            if found is None:
                return None
            grids, sheet_names, notes, kept = found
            return KeptRegister({sheet: _grid_from_json(grid) for sheet, grid in grids.items()},
                                list(sheet_names), list(notes), _identities_from_json(kept))
        except Exception:  # noqa: BLE001 - whatever is wrong with an entry, the workbook is read
            return None

    def keep_register(self, name: str, digest: str, kept: KeptRegister) -> None:
        """Remember the register workbook `name` while its content has `digest`, in place of
        the entry of its earlier content (best effort: whatever fails, the next run reads the
        workbook again)."""
        def grids() -> Iterator[str]:
            yield "{"
            for i, (sheet, grid) in enumerate(kept.grids.items()):
                yield f"{',' if i else ''}{_json(sheet)}:"
                yield from _grid_pieces(grid)
            yield "}"

        self._keep(name, digest, lambda: _list_pieces(
            grids(), [_json(kept.sheet_names)], [_json(kept.notes)], _rows_pieces(kept.identities)))

    def keep_identities(self, name: str, keys: list[str], identities: list[RowIdentities]) -> None:
        """Remember the identities of register `name`'s rows by their identity_key, whatever
        its content: beside its own entry, in place of the earlier ones."""
        self._keep(name + _BY_KEY, "", lambda: _list_pieces(
            [_json("".join(keys))], _rows_pieces(identities)))

    def load_identities(self, name: str) -> dict[str, RowIdentities]:
        """identity_key -> identities of the rows register `name` had when last kept."""
        try:
            found = self._load(name + _BY_KEY, "")
            if found is None:
                return {}
            keys, kept = found
            width = _KEY_LENGTH
            return dict(zip((keys[i:i + width] for i in range(0, len(keys), width)), _identities_from_json(kept)))
        except Exception:  # noqa: BLE001 - whatever is wrong with it, the identities are worked out
            return {}

    def _load(self, name: str, digest: str) -> Any:
        """The JSON value kept under (`name`, `digest`), or None."""
        if self.failed:
            return None
        try:
            if not self.path.is_file():
                return None
            with closing(self._connect()) as db:
                found = db.execute(f"SELECT checksum, entry FROM {_TABLE} WHERE name = ? AND digest = ? "
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
        checksum, data = found
        data = data if isinstance(data, bytes) else data.encode()  # a text put there by hand
        if hashlib.sha256(data).hexdigest() != checksum:
            return None  # damaged on disk: the workbook is read, and kept anew
        return json.loads(data)

    def _keep(self, name: str, digest: str, pieces: Callable[[], Iterable[str]]) -> None:
        """Keep the JSON text `pieces` gives, as UTF-8 chunks written one by one into a blob: a
        register of 50,000 cases is 35 MB of it, held once as the chunks, where one text and
        sqlite's copy of it would be three times that (the run's peak). Never raises."""
        if self.readonly or self.failed:
            return
        try:
            chunks = [piece.encode() for piece in pieces()]
            checksum = hashlib.sha256()
            for chunk in chunks:
                checksum.update(chunk)
            entry = (name, digest, _format(), checksum.hexdigest(), sum(map(len, chunks)))
        except Exception:  # noqa: BLE001 - a value JSON cannot hold, tipdesk's code unreadable, no memory
            self.failed = True
            return
        if self._write(entry, chunks) == "damaged":
            # Not a database any more (a bad sector, a stray copy): nothing in it is worth
            # keeping, so it is made anew.
            try:
                self.path.unlink(missing_ok=True)
            except OSError:
                self.failed = True
                return
            self._write(entry, chunks)

    def _write(self, entry: tuple, chunks: list[bytes]) -> str:
        try:
            with closing(self._connect()) as db, db:
                for old in _OLD_TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {old}")
                db.execute(_SCHEMA)
                row = db.execute(f"INSERT OR REPLACE INTO {_TABLE} VALUES (?, ?, ?, ?, zeroblob(?))", entry).lastrowid
                with db.blobopen(_TABLE, "entry", row) as blob:
                    for chunk in chunks:
                        blob.write(chunk)
            return "written"
        except sqlite3.DatabaseError as exc:
            if _damaged(exc):
                return "damaged"
            self.failed = True  # locked, a full disk, a grid too large for one value...
            return "failed"
        except Exception:  # noqa: BLE001 - sqlite's other errors, a full disk, no memory: derived data, left
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
    workbooks are then read."""
    files = _code_files()
    if not files or files != _STARTED_WITH:
        raise OSError("tipdesk's code cannot be fingerprinted, or changed since this run started")
    package = Path(__file__).resolve().parent.parent
    code = hashlib.sha256()
    for source in files:
        code.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    calamine = _calamine_version()
    python = "%d.%d" % sys.version_info[:2]
    return f"tipdesk {code.hexdigest()[:16]}, python {python}, unicode {unicodedata.unidata_version}, " \
           f"calamine {calamine}"


def _calamine_version() -> str:
    """python-calamine's version, from the name of its installed metadata folder (importing
    importlib.metadata to ask would cost more than the whole look-up of an entry)."""
    import python_calamine

    site = Path(python_calamine.__file__).resolve().parent.parent
    # A folder an upgrade left behind stays in the key: which of two is in use cannot be told.
    found = sorted(p.name.removeprefix("python_calamine-").removesuffix(".dist-info")
                   for p in site.glob("python_calamine-*.dist-info"))
    return "+".join(found) or "?"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _list_pieces(*items: Iterable[str]) -> Iterator[str]:
    """A JSON list of `items`, each given as pieces of JSON text."""
    yield "["
    for i, pieces in enumerate(items):
        if i:
            yield ","
        yield from pieces
    yield "]"


def _rows_pieces(rows: list, size: int = 5000) -> Iterator[str]:
    """A JSON list of `rows`, a few thousand at a time."""
    yield "["
    for start in range(0, len(rows), size):
        yield ("," if start else "") + _json(rows[start:start + size])[1:-1]
    yield "]"


def _grid_pieces(grid: list[list[Any]]) -> Iterator[str]:
    """[rows, header row, columns]: a grid kept column by column, each as [kind, values], so
    that reading it back is a few calls per column, not one per cell."""
    width = max(map(len, grid), default=0)
    # calamine gives every row the sheet's width; only a ragged grid is padded (a copy).
    rows = grid if all(len(row) == width for row in grid) else [row + [""] * (width - len(row)) for row in grid]
    # The header row apart: its texts would make every date column one of mixed values.
    yield f"[{len(grid)},{_json([_as_text(value) for value in rows[0]] if rows else [])},["
    for i, column in enumerate(zip(*rows[1:])):
        yield ("," if i else "") + _json(_column(column))
    yield "]]"


def _column(column: tuple) -> list:
    """[kind, values] of one column (see _DATETIMES...)."""
    kinds = set(map(type, column))
    if datetime in kinds and kinds <= {datetime, str}:
        try:
            return _joined(_DATETIMES, [value.isoformat() if value != "" else "" for value in column])
        except AttributeError:
            pass  # a text among the date-times: kept one by one
    elif kinds <= {str}:
        return _joined(_TEXTS, column)
    elif kinds <= {str, float, int, bool}:
        return [_PLAIN, column]
    return [_MIXED, [_as_text(value) for value in column]]


def _joined(kind: str, texts: list[str] | tuple[str, ...]) -> list:
    """[kind, texts] as one text between _SEP (see _JOINED), unless a text holds _SEP."""
    text = _SEP.join(texts)
    if text.count(_SEP) != len(texts) - 1:
        return [kind, texts]
    return [_JOINED[kind], text]


def _grid_from_json(kept: list) -> list[list[Any]]:
    """The grid _grid_pieces kept; in a column of texts each text is one object however
    many cells hold it (store.register shares short texts the same way, for memory)."""
    count, head, columns = kept
    seen: dict[str, str] = {}
    share = seen.setdefault
    decoded = []
    for kind, values in columns:
        if kind in _UNJOINED:
            kind, values = _UNJOINED[kind], values.split(_SEP)
        if kind == _DATETIMES:
            decoded.append([datetime.fromisoformat(value) if value else value for value in values])
        elif kind == _TEXTS:
            decoded.append(list(map(share, values, values)))
        elif kind == _PLAIN:  # not shared: 1.0 and True are one key to a dict
            decoded.append(values)
        elif kind == _MIXED:
            decoded.append(_from_mixed(values))
        else:
            raise ValueError(f"unknown column kind {kind!r}")
    if not count:
        return []
    body = list(map(list, zip(*decoded))) if decoded else [[] for _ in range(count - 1)]
    return [_from_mixed(head), *body]


def _from_mixed(values: list) -> list:
    return [_FROM_TEXT[value[1]](value[2:]) if value.__class__ is str and value[:1] == "\0" else value
            for value in values]


def _as_text(value: Any) -> Any:
    for kind, tag, text in _TO_TEXT:
        if isinstance(value, kind):
            return f"\0{tag}{text(value)}"
    if isinstance(value, str) and value[:1] == "\0":
        return f"\0S{value}"
    if isinstance(value, (str, float, int, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")
