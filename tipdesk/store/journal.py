"""The SQLite journal: the one source of tipdesk's state, and the only module that holds SQL.

Tables: `runs`; `sequences` (yearly case, letter and 督办 numbers, never reused, even when the
clerk deletes a row); `changes` (every register cell tipdesk changed: case, column, old, new,
why; for people to audit, never parsed back); `case_state` (the last values tipdesk saw of the
fields a clerk may override, so a later edit by the clerk is told apart from tipdesk's own);
`marks`; `inbox_files` (each file's digest and outcome); `letters` (every referral letter and
feedback sheet issued); `feedback` (each feedback sheet applied, with its 办理状态: which cases
were answered, which asked for an extension or a return); `mails` (the mail ledger: one row
per (case, stage) per delivery attempt, which makes each mail go once, with the Message-ID
and subject a reply refers to); `imap_folders` (the UIDVALIDITY of the mailbox folder read) and
`fetched` (each mail of the centre's mailbox taken or passed over, by folder, UIDVALIDITY and
UID, with its sender, date, Message-ID and the inbox files it gave: intake/imap.py); `bounces`
(addresses a delivery status notification said failed); `archived` (each case `archive` moved
out of the register, with its 上级编号 and archive workbook).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.notices import LETTER_KEY, NOTICE_KINDS, REFERRAL, Notice
from tipdesk.domain.notices import REDO as REDO_NOTICE
from tipdesk.domain.columns import REDO as REDO_STATUS
from tipdesk.domain.textnorm import as_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, command TEXT, started_at TEXT, run_now TEXT,
    outcome TEXT,                 -- intent | replaced | files | ok | dropped (store/commit.py)
    intent TEXT,                  -- what the run records once its register is replaced (JSON)
    register_before TEXT,         -- SHA-256 of the register the run read
    register_after TEXT,          -- and of the file it wrote
    backup_after TEXT);           -- the copy of that file kept in backups/
CREATE TABLE IF NOT EXISTS sequences (
    name TEXT, year INTEGER, last INTEGER NOT NULL, PRIMARY KEY (name, year));
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT, sheet TEXT, case_id TEXT, row INTEGER,
    column_name TEXT, old TEXT, new TEXT, why TEXT);
CREATE INDEX IF NOT EXISTS changes_case ON changes (case_id);
CREATE TABLE IF NOT EXISTS case_state (
    case_id TEXT PRIMARY KEY, category TEXT, unit TEXT, deadline TEXT, referred_at TEXT,
    deadline_rule TEXT,           -- the rule tipdesk computed the deadline by; NULL: the clerk's
    deadline_basis TEXT,          -- the calendar it counted on, per year ("2027:weekends:…")
    status TEXT);                 -- the 状态 last seen, to tell the clerk's decision on a request
CREATE TABLE IF NOT EXISTS marks (
    key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS inbox_files (
    id INTEGER PRIMARY KEY, digest TEXT, name TEXT, kind TEXT, outcome TEXT, at TEXT, reason TEXT);
CREATE INDEX IF NOT EXISTS inbox_digest ON inbox_files (digest);
CREATE TABLE IF NOT EXISTS letters (
    sheet_id TEXT PRIMARY KEY, case_id TEXT, letter_no TEXT, unit TEXT, issued_at TEXT,
    letter_path TEXT, sheet_path TEXT);
CREATE INDEX IF NOT EXISTS letters_case ON letters (case_id);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT, case_id TEXT NOT NULL,
    state TEXT NOT NULL,          -- 办理状态 of the sheet: 已办结 / 阶段性反馈 / 申请延期 / 申请退回
    file TEXT, digest TEXT);
CREATE INDEX IF NOT EXISTS feedback_case ON feedback (case_id);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT,
    kind TEXT NOT NULL,           -- 撤回, 延期批复, 退回批复, 反馈表退回, 重新办理, 期限更正
    case_id TEXT NOT NULL, unit TEXT NOT NULL, letter_no TEXT,
    old TEXT, new TEXT, decision TEXT, detail TEXT,
    number TEXT,                  -- 安举函〔2026〕3号, for the kinds an office numbers
    attachment_name TEXT, attachment BLOB);
CREATE TABLE IF NOT EXISTS mails (
    id INTEGER PRIMARY KEY,
    attempt TEXT NOT NULL,        -- one delivery attempt of one mail
    at TEXT NOT NULL,             -- the run's clock
    mode TEXT NOT NULL,           -- smtp | outbox | paper
    kind TEXT NOT NULL,           -- 交办 / 预警 / 催办 / 督办: the mail's highest stage
    case_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    unit TEXT NOT NULL,
    deadline TEXT,
    recipients TEXT,              -- names reached, for the register's 催办记录
    addresses TEXT,
    number TEXT,                  -- 督办通知 number
    status TEXT NOT NULL,
    detail TEXT,                  -- .eml path, refused addresses or the error
    message_id TEXT,              -- the mail's Message-ID: a unit's reply refers to it
    subject TEXT                  -- and its subject ("回复：【交办】…" is a reply too)
);
CREATE INDEX IF NOT EXISTS mails_case ON mails (case_id, stage);
CREATE TABLE IF NOT EXISTS imap_folders (
    folder TEXT PRIMARY KEY, uidvalidity INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fetched (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
    at TEXT NOT NULL,             -- the run's clock when it was first seen
    message_id TEXT, sender TEXT, sent_at TEXT, subject TEXT,
    refs TEXT,                    -- In-Reply-To and References, space separated
    status TEXT NOT NULL,         -- saving | saved | moved | ignored | duplicate
    kind TEXT,                    -- files | reply | bounce | sent | nothing
    files TEXT,                   -- inbox paths of the saved attachments, one a line
    detail TEXT,
    UNIQUE (folder, uidvalidity, uid));
CREATE INDEX IF NOT EXISTS fetched_message ON fetched (message_id);
CREATE TABLE IF NOT EXISTS absent_cases (
    case_id TEXT PRIMARY KEY, at TEXT NOT NULL,
    why TEXT NOT NULL);           -- archived, or removed from the register by the clerk on purpose
CREATE TABLE IF NOT EXISTS bounces (
    address TEXT PRIMARY KEY, at TEXT NOT NULL, message_id TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS archived (
    case_id TEXT PRIMARY KEY, year INTEGER NOT NULL, upstream_no TEXT, archive TEXT NOT NULL,
    run_id INTEGER, at TEXT);
"""

# Statuses of a mails row; the first four mean "done, never again".
SENT, WRITTEN, PAPER, UNCERTAIN, SENDING, FAILED = (
    "sent", "written", "paper", "uncertain", "sending", "failed")
# A reminder composed and numbered but not yet handed to delivery: its 督办 number is held.
OWED = "owed"
DONE = (SENT, WRITTEN, PAPER, UNCERTAIN)
# feedback.state values that are requests the clerk decides (counted as 延期 / 退回).
REQUEST_STATES = ("申请延期", "申请退回")
# Journals written before the feedback table: the state a feedback sheet set, by 状态 value.
_LEGACY_FEEDBACK_STATES = {"已办结": "已办结", "办理中": "阶段性反馈", "申请延期": "申请延期", "申请退回": "申请退回"}
_FEEDBACK_BACKFILLED = "feedback_table_backfilled"
_REFERRALS_KEYED = "referrals_keyed_by_letter"


@dataclass(frozen=True)
class MailRow:
    """One (case, stage) of a mail attempt, as the ledger keeps it."""

    case_id: str
    stage: str
    unit: str
    deadline: str = ""
    who: str = ""


# Case numbers in one IN (...) list: well under any SQLite's limit on parameters.
_CASES_PER_QUERY = 500


def _marks(values: tuple) -> str:
    return ",".join("?" * len(values))


class Journal:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        self.db.executescript(SCHEMA)
        self._add_columns()
        self._backfill_feedback()
        self._key_referrals_by_letter()

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a crash before the end leaves the journal as it was."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.db.in_transaction:  # SQLite rolls back by itself on a full disk
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def start_run(self, command: str, now: datetime) -> int:
        cur = self.db.execute("INSERT INTO runs (command, started_at, run_now) VALUES (?, ?, ?)",
                              (command, as_text(datetime.now()), as_text(now)))
        return cur.lastrowid

    def record_intent(self, run_id: int, intent: str, before: str, after: str) -> None:
        self.db.execute("UPDATE runs SET outcome = 'intent', intent = ?, register_before = ?, register_after = ? "
                        "WHERE id = ?", (intent, before, after, run_id))

    def set_digests(self, run_id: int, before: str, after: str) -> None:
        """The register's digest before and after a write outside the daily protocol."""
        self.db.execute("UPDATE runs SET register_before = ?, register_after = ? WHERE id = ?",
                        (before, after, run_id))

    def set_backup_after(self, run_id: int, path: str) -> None:
        self.db.execute("UPDATE runs SET backup_after = ? WHERE id = ?", (path, run_id))

    def pending_runs(self) -> list[dict[str, Any]]:
        """Runs that recorded an intent and did not finish (store/commit.py), oldest first."""
        cursor = self.db.execute("SELECT id, command, run_now, outcome, intent, register_before, register_after "
                                 "FROM runs WHERE outcome IN ('intent', 'replaced', 'files') ORDER BY id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def last_writes(self, limit: int) -> list[dict[str, Any]]:
        """The latest runs that changed the register and whose replace is certain, newest
        first: id, clock, the digest of the file each wrote and the copy kept of it."""
        cursor = self.db.execute("SELECT id, run_now, register_after, backup_after FROM runs "
                                 "WHERE outcome IN ('ok', 'replaced', 'files') AND coalesce(register_after, '') != '' "
                                 "AND register_after != coalesce(register_before, '') ORDER BY id DESC LIMIT ?",
                                 (limit,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def tracked_cases(self) -> set[str]:
        """Cases tipdesk has handled that should be in the live register (not archived, not
        removed on purpose)."""
        return {r[0] for r in self.db.execute(
            "SELECT case_id FROM case_state WHERE case_id NOT IN (SELECT case_id FROM absent_cases) "
            "AND case_id NOT IN (SELECT case_id FROM archived)")}

    def moved_out(self) -> set[str]:
        """Cases no longer in the live register on purpose: archived, or deleted and told."""
        return {r[0] for r in self.db.execute("SELECT case_id FROM absent_cases UNION SELECT case_id FROM archived")}

    def set_absent(self, case_ids: Iterable[str], at: datetime, why: str) -> None:
        self.db.executemany("INSERT OR REPLACE INTO absent_cases (case_id, at, why) VALUES (?, ?, ?)",
                            [(c, as_text(at), why) for c in case_ids])

    def run_changes(self, run_id: int) -> list[tuple[str, str, str, str, str]]:
        """(sheet, case_id, column, old, new) of every cell one run changed."""
        return self.db.execute("SELECT sheet, case_id, column_name, old, new FROM changes WHERE run_id = ? "
                               "ORDER BY id", (run_id,)).fetchall()

    def first_run(self) -> date | None:
        """The day of the earliest run that finished (by the run's own clock): when this desk
        started working, for the first liaison deadline."""
        row = self.db.execute("SELECT MIN(run_now) FROM runs WHERE outcome IN ('ok', 'replaced', 'files')").fetchone()
        return date.fromisoformat(row[0][:10]) if row and row[0] else None

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

    def record_archived(self, run_id: int, at: datetime, year: int, archive: str,
                        cases: list[tuple[str, str]]) -> None:
        """(case id, 上级编号) of each case moved into `archive`: the daily run still knows
        those 上级编号 (a forwarded case is never registered twice)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO archived (case_id, year, upstream_no, archive, run_id, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(case_id, year, upstream or None, archive, run_id, as_text(at)) for case_id, upstream in cases])

    def archived_upstream(self) -> set[str]:
        return {n for (n,) in self.db.execute("SELECT upstream_no FROM archived WHERE upstream_no IS NOT NULL")}

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
            [(a.digest, a.name, a.kind, a.outcome, as_text(at), a.error) for a in arrivals])

    # --- feedback: which cases were answered, which asked for more time or a return ----------

    def record_feedback(self, run_id: int, events: Iterable[FeedbackEvent]) -> None:
        self.db.executemany(
            "INSERT INTO feedback (run_id, at, case_id, state, file, digest) VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, as_text(e.at), e.case_id, e.state, e.file, e.digest) for e in events])

    def answered_cases(self) -> set[str]:
        """Cases that have had feedback applied before (a new sheet updates and says so)."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT case_id FROM feedback")}

    def requests(self) -> dict[str, frozenset[str]]:
        """case_id -> the requests (申请延期, 申请退回) its unit ever made and 退回重办 if a closure
        was not accepted, for the statistics."""
        out: dict[str, set[str]] = {}
        rows = self.db.execute(f"SELECT case_id, state FROM feedback WHERE state IN ({_marks(REQUEST_STATES)})",
                               REQUEST_STATES)
        for case_id, state in rows:
            out.setdefault(case_id, set()).add(state)
        for (case_id,) in self.db.execute("SELECT case_id FROM notices WHERE kind = ?", (REDO_NOTICE,)):
            out.setdefault(case_id, set()).add(REDO_STATUS)  # a closure not accepted (退回重办)
        return {case_id: frozenset(states) for case_id, states in out.items()}

    def _backfill_feedback(self) -> None:
        """Journals from before the feedback table knew answers only from `changes`: their
        状态 cells set by a feedback sheet are read once into the table (a migration)."""
        if self.mark(_FEEDBACK_BACKFILLED):
            return
        with self.transaction():
            state = ("CASE new " + " ".join(f"WHEN '{old}' THEN '{new}'" for old, new in _LEGACY_FEEDBACK_STATES.items())
                     + " END")
            self.db.execute(
                "INSERT INTO feedback (run_id, at, case_id, state, file) "
                f"SELECT run_id, min(at), case_id, coalesce(max(CASE WHEN column_name = '状态' THEN {state} END), ''), "
                "min(substr(why, 5)) FROM changes WHERE why LIKE '反馈表 %' GROUP BY run_id, case_id")
            self.set_mark(_FEEDBACK_BACKFILLED, "1")

    def _key_referrals_by_letter(self) -> None:
        """Journals from before referral mails were keyed by 交办文号 (once per unit) get each
        referral row's 交办文号 from the letters it carried (a migration): none goes again."""
        if self.mark(_REFERRALS_KEYED):
            return
        with self.transaction():
            self.db.execute(
                "UPDATE mails SET deadline = coalesce(? || (SELECT l.letter_no FROM letters l "
                "WHERE l.case_id = mails.case_id AND l.unit = mails.unit "
                "AND substr(l.issued_at, 1, 16) <= substr(mails.at, 1, 16) ORDER BY l.issued_at DESC LIMIT 1), "
                "deadline) WHERE stage = ? AND coalesce(deadline, '') NOT LIKE ? || '%'",
                (LETTER_KEY, REFERRAL, LETTER_KEY))
            self.set_mark(_REFERRALS_KEYED, "1")

    def case_states(self) -> dict[str, dict[str, str | None]]:
        rows = self.db.execute("SELECT case_id, category, unit, deadline, referred_at, deadline_rule, "
                               "deadline_basis, status FROM case_state")
        return {r[0]: {"category": r[1], "unit": r[2], "deadline": r[3], "referred_at": r[4],
                       "deadline_rule": r[5], "deadline_basis": r[6], "status": r[7]} for r in rows}

    def save_case_states(self, states: dict[str, dict[str, Any]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO case_state (case_id, category, unit, deadline, referred_at, deadline_rule, "
            "deadline_basis, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(cid, as_text(s["category"]), as_text(s["unit"]), as_text(s["deadline"]),
              as_text(s["referred_at"]), s.get("deadline_rule"), s.get("deadline_basis"), s.get("status"))
             for cid, s in states.items()])

    def _add_columns(self) -> None:
        """Journals from before a column was added get it (empty) when first opened."""
        for table, column in (("case_state", "deadline_rule"), ("case_state", "deadline_basis"),
                              ("case_state", "status"), ("mails", "message_id"), ("mails", "subject"),
                              ("runs", "intent"), ("runs", "register_before"), ("runs", "register_after"),
                              ("runs", "backup_after")):
            have = {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")

    # --- notices: what a unit must be told, owed until the mail ledger has it -------------

    def record_notices(self, run_id: int, at: datetime, notices: Iterable[Notice],
                       number: Callable[[int], str]) -> None:
        """Each decision to tell a unit of; `number(year)` numbers the kinds an office numbers."""
        self.db.executemany(
            "INSERT INTO notices (run_id, at, kind, case_id, unit, letter_no, old, new, decision, detail, number, "
            "attachment_name, attachment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(run_id, as_text(at), n.kind, n.case_id, n.unit, n.letter_no, n.old, n.new, n.decision, n.detail,
              number(at.year) if NOTICE_KINDS[n.kind][1] else "", n.attachment_name, n.attachment or None)
             for n in notices])

    def owed_notices(self) -> list[dict[str, Any]]:
        """Notices no delivered mail carries yet (the ledger keys a notice by '#id'), oldest first."""
        cursor = self.db.execute(
            "SELECT id, kind, case_id, unit, letter_no, old, new, decision, detail, number, attachment_name, "
            "attachment FROM notices n WHERE NOT EXISTS (SELECT 1 FROM mails m WHERE m.case_id = n.case_id "
            f"AND m.stage = n.kind AND m.deadline = '#' || n.id AND m.status IN ({_marks(DONE)})) ORDER BY id", DONE)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    # --- letters ---------------------------------------------------------------------------

    def record_letters(self, issued: Iterable[Any], at: datetime) -> None:
        """Each issued letter and feedback sheet (output.letters.IssuedDocuments)."""
        self.db.executemany(
            "INSERT INTO letters (sheet_id, case_id, letter_no, unit, issued_at, letter_path, sheet_path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(d.sheet_id, d.case_id, d.letter_no, d.unit, at.isoformat(sep=" "), str(d.letter), str(d.sheet))
             for d in issued])

    def issued_sheets(self) -> dict[str, dict]:
        """Every feedback sheet ever issued, by sheet id."""
        rows = self.db.execute("SELECT sheet_id, case_id, letter_no, unit, issued_at FROM letters")
        return {r[0]: {"case_id": r[1], "letter_no": r[2], "unit": r[3], "issued_at": r[4]} for r in rows}

    def latest_letters(self) -> dict[tuple[str, str], tuple[Path, Path]]:
        """(case_id, 交办文号) -> (letter, sheet) files of the latest issue."""
        return {(case_id, letter_no): (Path(letter), Path(sheet)) for case_id, letter_no, letter, sheet
                in self.db.execute("SELECT case_id, letter_no, letter_path, sheet_path FROM letters "
                                   "ORDER BY issued_at")}

    # --- the mail ledger -----------------------------------------------------------------------

    def delivered(self) -> list[MailRow]:
        """Every (case, stage, unit, deadline) delivered: sent, written as .eml, or due on paper."""
        rows = self.db.execute(f"SELECT DISTINCT case_id, stage, unit, deadline FROM mails WHERE status IN "
                               f"({_marks(DONE)})", DONE)
        return [MailRow(case_id, stage, unit, deadline or "") for case_id, stage, unit, deadline in rows]

    def delivered_history(self, case_ids: Iterable[str], stages: tuple[str, ...]
                          ) -> dict[str, list[tuple[str, str, str, str, str, str]]]:
        """Case -> (at, stage, status, mode, recipients, number) of its `stages` delivered, or
        owed by this run (they go out right after the register is saved), in order. Asked a
        few hundred cases at a time: a query per open case costs more than the query."""
        wanted, out = sorted(set(case_ids)), {}
        for start in range(0, len(wanted), _CASES_PER_QUERY):
            chunk = wanted[start:start + _CASES_PER_QUERY]
            for case_id, *row in self.db.execute(
                    f"SELECT case_id, at, stage, status, mode, recipients, number FROM mails WHERE case_id IN "
                    f"({_marks(tuple(chunk))}) AND stage IN ({_marks(stages)}) AND status IN ({_marks(DONE + (OWED,))}) "
                    f"ORDER BY id", (*chunk, *stages, *DONE, OWED)):
                out.setdefault(case_id, []).append(tuple(row))
        return out

    def release_owed(self, detail: str) -> int:
        """Reminders a dead run composed but never handed over: failed, so the next plan sends
        them again under the same 督办 number (undelivered_number)."""
        return self.db.execute("UPDATE mails SET status = ?, detail = ? WHERE status = ?",
                               (FAILED, detail, OWED)).rowcount

    def undelivered_number(self, unit: str, stage: str, year: int) -> str | None:
        """A number of `unit`'s `stage` mail (督办) in `year` whose every attempt failed."""
        row = self.db.execute(
            f"SELECT number FROM mails WHERE unit = ? AND stage = ? AND number != '' AND substr(at, 1, 4) = ? "
            f"GROUP BY number HAVING sum(status IN ({_marks(DONE + (SENDING,))})) = 0 ORDER BY max(id) DESC LIMIT 1",
            (unit, stage, str(year), *DONE, SENDING)).fetchone()
        return row[0] if row else None

    def record_attempt(self, attempt: str, at: datetime, mode: str, kind: str, items: Iterable[MailRow],
                       addresses: Iterable[str], number: str, status: str, detail: str = "",
                       message_id: str = "", subject: str = "") -> None:
        """One attempt's rows; they take the place of the attempt's reservation (OWED), if any."""
        if self.db.in_transaction:
            self._record_attempt(attempt, at, mode, kind, items, addresses, number, status, detail,
                                 message_id, subject)
            return
        with self.transaction():
            self._record_attempt(attempt, at, mode, kind, items, addresses, number, status, detail,
                                 message_id, subject)

    def _record_attempt(self, attempt, at, mode, kind, items, addresses, number, status, detail,
                        message_id, subject) -> None:
        self.db.execute("DELETE FROM mails WHERE attempt = ? AND status = ?", (attempt, OWED))
        self.db.executemany(
            "INSERT INTO mails (attempt, at, mode, kind, case_id, stage, unit, deadline, recipients, addresses, "
            "number, status, detail, message_id, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(attempt, as_text(at), mode, kind, i.case_id, i.stage, i.unit, i.deadline, i.who,
              ", ".join(addresses), number, status, detail, message_id, subject) for i in items])

    def update_attempt(self, attempt: str, status: str, detail: str = "") -> None:
        self.db.execute("UPDATE mails SET status = ?, detail = ? WHERE attempt = ?", (status, detail, attempt))

    def written_unconfirmed(self, since: datetime) -> dict[str, list[str]]:
        """Message-ID -> attempts of mails written as .eml (outbox mode) since `since` whose
        sending the mailbox has not confirmed yet."""
        out: dict[str, list[str]] = {}
        for attempt, message_id in self.db.execute(
                "SELECT DISTINCT attempt, message_id FROM mails WHERE status = ? AND coalesce(message_id, '') != '' "
                "AND at >= ?", (WRITTEN, as_text(since))):
            out.setdefault(message_id.strip(), []).append(attempt)
        return out

    def confirm_sent(self, attempts: Iterable[str], detail: str) -> None:
        """The .eml of these attempts was found in the Sent folder: it really left."""
        self.db.executemany("UPDATE mails SET status = ?, detail = detail || '；' || ? WHERE attempt = ? AND status = ?",
                            [(SENT, detail, attempt, WRITTEN) for attempt in attempts])

    def sent_references(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """(Message-ID -> case ids, subject -> case ids) of every referral and notice that left,
        for matching a unit's reply to what it answers."""
        by_id: dict[str, set[str]] = {}
        by_subject: dict[str, set[str]] = {}
        rows = self.db.execute(f"SELECT message_id, subject, case_id FROM mails WHERE status IN ({_marks(DONE)}) "
                               "AND (coalesce(message_id, '') != '' OR coalesce(subject, '') != '')", DONE)
        for message_id, subject, case_id in rows:
            if message_id:
                by_id.setdefault(message_id.strip(), set()).add(case_id)
            if subject:
                by_subject.setdefault(subject.strip(), set()).add(case_id)
        return by_id, by_subject

    def interrupted_attempts(self) -> list[tuple[str, str, str, str, str, str]]:
        """(attempt, mode, detail, unit, kind, cases) of attempts a dead run left `sending`."""
        return self.db.execute("SELECT attempt, mode, detail, unit, kind, group_concat(case_id, '、') FROM mails "
                               "WHERE status = ? GROUP BY attempt", (SENDING,)).fetchall()


    # --- mail intake (IMAP): each mail of the centre's mailbox taken once ----------------------

    def set_imap_uidvalidity(self, folder: str, uidvalidity: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO imap_folders (folder, uidvalidity) VALUES (?, ?)",
                        (folder, uidvalidity))

    def fetched_in(self, folder: str, uidvalidity: int) -> dict[int, dict[str, Any]]:
        """uid -> its row, for the mails of `folder` (under this UIDVALIDITY) seen before."""
        cursor = self.db.execute("SELECT id, uid, status, kind, files, message_id FROM fetched "
                                 "WHERE folder = ? AND uidvalidity = ?", (folder, uidvalidity))
        return {row[1]: {"id": row[0], "status": row[2], "kind": row[3], "files": row[4] or "",
                         "message_id": row[5] or ""} for row in cursor}

    def taken_message_ids(self) -> set[str]:
        """Message-IDs of mails already taken (their files saved), in any folder or UIDVALIDITY."""
        rows = self.db.execute("SELECT message_id FROM fetched WHERE status IN ('saved', 'moved') "
                               "AND coalesce(message_id, '') != ''")
        return {r[0] for r in rows}

    def record_fetched(self, folder: str, uidvalidity: int, uid: int, at: datetime, message_id: str,
                       sender: str, sent_at: datetime | None, subject: str, refs: str, status: str,
                       kind: str, files: Iterable[str] = (), detail: str = "") -> int:
        cur = self.db.execute(
            "INSERT OR REPLACE INTO fetched (folder, uidvalidity, uid, at, message_id, sender, sent_at, subject, "
            "refs, status, kind, files, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (folder, uidvalidity, uid, as_text(at), message_id, sender, as_text(sent_at), subject, refs, status,
             kind, "\n".join(files), detail))
        return cur.lastrowid

    def set_fetched_status(self, row_id: int, status: str) -> None:
        self.db.execute("UPDATE fetched SET status = ? WHERE id = ?", (status, row_id))

    def replies(self, since: datetime) -> list[dict[str, Any]]:
        """The mails taken from the mailbox since `since` that may answer a referral: when it
        was sent (a datetime), by whom, its subject and the Message-IDs it refers to."""
        cursor = self.db.execute("SELECT sent_at, sender, subject, refs FROM fetched "
                                 "WHERE status IN ('saved', 'moved') AND kind IN ('files', 'reply') AND at >= ?",
                                 (as_text(since),))
        out = []
        for sent_at, sender, subject, refs in cursor:
            try:
                when = datetime.fromisoformat(sent_at) if sent_at else None
            except ValueError:
                when = None
            out.append({"sent_at": when, "sender": sender, "subject": subject, "refs": refs})
        return out

    def fetched_senders(self) -> dict[str, str]:
        """Inbox file path -> the address of the mail it came in (for the unit check)."""
        out = {}
        for sender, files in self.db.execute("SELECT sender, files FROM fetched WHERE coalesce(files, '') != '' "
                                             "ORDER BY id"):
            for path in files.split("\n"):
                out[path] = sender or ""
        return out

    def record_bounce(self, address: str, at: datetime, message_id: str, detail: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO bounces (address, at, message_id, detail) VALUES (?, ?, ?, ?)",
                        (address.lower(), as_text(at), message_id, detail))

    def bounced_addresses(self) -> dict[str, tuple[str, str]]:
        """address -> (when, why) of every address a delivery status notification said failed."""
        return {a: (at, detail) for a, at, detail in self.db.execute("SELECT address, at, detail FROM bounces")}

    def mail_bounced(self, message_id: str, detail: str) -> list[tuple[str, str, str]]:
        """The mail `message_id` came back undelivered: it is due on paper (需纸质送达) now.
        Returns its (unit, kind, case ids)."""
        rows = self.db.execute("SELECT unit, kind, group_concat(case_id, '、') FROM mails WHERE message_id = ? "
                               "GROUP BY attempt", (message_id,)).fetchall()
        self.db.execute("UPDATE mails SET status = ?, detail = ? WHERE message_id = ?", (PAPER, detail, message_id))
        return rows


def open_journal(path: Path, readonly: bool = False) -> Journal:
    """The workspace journal, or a Chinese refusal when the file is not a readable journal
    (damaged by a disk fault, or another file saved under its name)."""
    try:
        return _open_journal(path, readonly)
    except sqlite3.DatabaseError as exc:
        raise TipdeskError(f"{Path(path).name}：工作记录文件已损坏或不是 tipdesk 的记录文件，本次没有做任何修改。"
                           f"请用该文件的备份替换它；没有备份时请把它改名保存，并联系维护人员。", EXIT_USAGE) from exc


def _open_journal(path: Path, readonly: bool) -> Journal:
    """A dry run works on a copy in memory, so it reads everything the journal holds and can
    neither create nor change the file."""
    if not readonly:
        return Journal(path)
    journal = Journal.__new__(Journal)
    journal.path = Path(path)
    journal.db = sqlite3.connect(":memory:", isolation_level=None)
    if journal.path.is_file():
        source = sqlite3.connect(f"{journal.path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.backup(journal.db)
        finally:
            source.close()
    journal.db.executescript(SCHEMA)
    journal._add_columns()
    journal._backfill_feedback()
    journal._key_referrals_by_letter()
    return journal
