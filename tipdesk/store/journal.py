"""The SQLite journal: what tipdesk did, so reruns are idempotent and every change auditable.

It holds the yearly number sequences (case numbers and letter numbers are never reused, even
when the clerk deletes a row), every register cell tipdesk changed (case, column, old, new,
why), and the last values tipdesk saw of the fields a clerk may override, so a later edit by
the clerk can be told apart from tipdesk's own value.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator
from tipdesk.domain.textnorm import as_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, command TEXT, started_at TEXT, run_now TEXT, outcome TEXT);
CREATE TABLE IF NOT EXISTS sequences (
    name TEXT, year INTEGER, last INTEGER NOT NULL, PRIMARY KEY (name, year));
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT, sheet TEXT, case_id TEXT, row INTEGER,
    column_name TEXT, old TEXT, new TEXT, why TEXT);
CREATE INDEX IF NOT EXISTS changes_case ON changes (case_id);
CREATE TABLE IF NOT EXISTS case_state (
    case_id TEXT PRIMARY KEY, category TEXT, unit TEXT, deadline TEXT, referred_at TEXT);
CREATE TABLE IF NOT EXISTS marks (
    key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS inbox_files (
    id INTEGER PRIMARY KEY, digest TEXT, name TEXT, kind TEXT, outcome TEXT, at TEXT, reason TEXT);
CREATE INDEX IF NOT EXISTS inbox_digest ON inbox_files (digest);
CREATE TABLE IF NOT EXISTS letters (
    sheet_id TEXT PRIMARY KEY, case_id TEXT, letter_no TEXT, unit TEXT, issued_at TEXT,
    letter_path TEXT, sheet_path TEXT);
CREATE INDEX IF NOT EXISTS letters_case ON letters (case_id);
"""




class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a crash before the end leaves the journal as it was."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def start_run(self, command: str, now: datetime) -> int:
        cur = self.db.execute("INSERT INTO runs (command, started_at, run_now) VALUES (?, ?, ?)",
                              (command, as_text(datetime.now()), as_text(now)))
        return cur.lastrowid

    def finish_run(self, run_id: int, outcome: str) -> None:
        self.db.execute("UPDATE runs SET outcome = ? WHERE id = ?", (outcome, run_id))

    def last_number(self, name: str, year: int) -> int:
        row = self.db.execute("SELECT last FROM sequences WHERE name = ? AND year = ?",
                              (name, year)).fetchone()
        return row[0] if row else 0

    def last_numbers(self, name: str) -> dict[int, int]:
        rows = self.db.execute("SELECT year, last FROM sequences WHERE name = ?", (name,))
        return {year: last for year, last in rows}

    def set_last_number(self, name: str, year: int, last: int) -> None:
        self.db.execute(
            "INSERT INTO sequences (name, year, last) VALUES (?, ?, ?) "
            "ON CONFLICT (name, year) DO UPDATE SET last = max(last, excluded.last)",
            (name, year, last))

    def record_changes(self, run_id: int, at: datetime, changes: list) -> None:
        self.db.executemany(
            "INSERT INTO changes (run_id, at, sheet, case_id, row, column_name, old, new, why) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, as_text(at), c.sheet, c.case_id, c.row, c.column, as_text(c.old), as_text(c.new), c.why)
             for c in changes])

    def mark(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM marks WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_mark(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO marks (key, value) VALUES (?, ?)", (key, value))

    def inbox_seen(self) -> dict[str, tuple[str, str]]:
        """digest -> (outcome, when) of the last time each file's bytes were handled."""
        rows = self.db.execute("SELECT digest, outcome, at FROM inbox_files ORDER BY id")
        return {digest: (outcome, at) for digest, outcome, at in rows}

    def record_inbox(self, arrivals: list, at: datetime) -> None:
        self.db.executemany(
            "INSERT INTO inbox_files (digest, name, kind, outcome, at, reason) VALUES (?, ?, ?, ?, ?, ?)",
            [(a.digest, a.path.name, a.kind, a.outcome, as_text(at), a.error) for a in arrivals])

    def answered_cases(self) -> set[str]:
        """Cases that have had feedback applied before (a new sheet updates and says so)."""
        rows = self.db.execute("SELECT DISTINCT case_id FROM changes WHERE why LIKE '反馈表 %'")
        return {r[0] for r in rows}

    def case_states(self) -> dict[str, dict[str, str | None]]:
        rows = self.db.execute("SELECT case_id, category, unit, deadline, referred_at FROM case_state")
        return {r[0]: {"category": r[1], "unit": r[2], "deadline": r[3], "referred_at": r[4]}
                for r in rows}

    def save_case_states(self, states: dict[str, dict[str, Any]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO case_state (case_id, category, unit, deadline, referred_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(cid, as_text(s["category"]), as_text(s["unit"]), as_text(s["deadline"]),
              as_text(s["referred_at"])) for cid, s in states.items()])


def open_journal(path: Path, readonly: bool = False) -> Journal:
    """The workspace journal; a dry run reads it without creating or changing anything."""
    if not readonly:
        return Journal(path)
    journal = Journal.__new__(Journal)
    journal.path = Path(path)
    if journal.path.is_file():
        journal.db = sqlite3.connect(f"file:{journal.path}?mode=ro", uri=True, isolation_level=None)
    else:
        journal.db = sqlite3.connect(":memory:", isolation_level=None)
        journal.db.executescript(SCHEMA)
    return journal
