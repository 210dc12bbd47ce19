"""The journal is the one source of state: answers and requests are columns, not prose."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.store.journal import Journal, open_journal

AT = datetime(2026, 12, 1, 8, 30)


def test_feedback_events_answer_cases_and_record_requests(tmp_path):
    journal = Journal(tmp_path / "tipdesk.sqlite3")
    journal.record_feedback(1, [FeedbackEvent("AJ2026-0001", "申请延期", AT, "a.xlsx"),
                                FeedbackEvent("AJ2026-0002", "已办结", AT, "b.xlsx")])
    assert journal.answered_cases() == {"AJ2026-0001", "AJ2026-0002"}
    assert journal.requests() == {"AJ2026-0001": frozenset({"申请延期"})}
    journal.close()


def test_an_old_journal_is_migrated_once_from_its_change_log(tmp_path):
    # Before the feedback table, answers were only known from `changes`; a remark that merely
    # mentions 申请退回 (why not 反馈表 …) is not an answer.
    path = tmp_path / "tipdesk.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE changes (id INTEGER PRIMARY KEY, run_id INTEGER, at TEXT, sheet TEXT, case_id TEXT,
            row INTEGER, column_name TEXT, old TEXT, new TEXT, why TEXT);
        INSERT INTO changes (run_id, at, case_id, column_name, old, new, why) VALUES
            (3, '2026-11-20 08:30:00', 'AJ2026-0007', '状态', '已交办', '申请退回', '反馈表 退回.xlsx'),
            (3, '2026-11-20 08:30:00', 'AJ2026-0007', '备注', NULL, '〔申请退回：…〕', '反馈表 退回.xlsx'),
            (4, '2026-11-21 08:30:00', 'AJ2026-0008', '备注', NULL, '阶段性反馈…', '反馈表 进展.xlsx'),
            (4, '2026-11-21 08:30:00', 'AJ2026-0009', '备注', NULL, '申请退回？', '文员备注');
    """)
    db.commit()
    db.close()
    readonly = open_journal(path, readonly=True)  # a dry run sees the migrated state, writes nothing
    assert readonly.requests() == {"AJ2026-0007": frozenset({"申请退回"})}
    readonly.close()
    assert sqlite3.connect(path).execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'feedback'").fetchone() == (0,)
    journal = Journal(path)
    assert journal.answered_cases() == {"AJ2026-0007", "AJ2026-0008"}
    assert journal.requests() == {"AJ2026-0007": frozenset({"申请退回"})}
    journal.close()
    again = Journal(path)  # once: a second opening adds nothing
    assert again.db.execute("SELECT count(*) FROM feedback").fetchone() == (2,)
    again.close()
