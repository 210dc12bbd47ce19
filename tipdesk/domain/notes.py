"""tipdesk's own notes inside the clerk's 备注 cell: 〔key：text〕, added and removed by key.

The clerk's own words in 备注 are never touched; tipdesk only manages the bracketed notes it
wrote itself, so a note disappears by itself once its cause is fixed.
"""

from __future__ import annotations

import re

OPEN, CLOSE, SEP = "〔", "〕", "："

# The keys of the notes tipdesk writes.
NOTE_INCOMPLETE = "待补全"
NOTE_CATEGORY = "类别待确认"
NOTE_UNASSIGNED = "待分派"
NOTE_ROUTED = "归口"
NOTE_BAD_VALUE = "填写有误"
NOTE_DUPLICATE = "编号重复"
NOTE_POSSIBLE_DUPLICATE = "疑似重复"
NOTE_EXTENSION = "申请延期"
NOTE_RETURN = "申请退回"
NOTE_DEADLINE_CORRECTED = "期限更正"
NOTE_SOURCE = "来源有误"
NOTE_DATE = "日期存疑"                 # a register date that cannot be right (rules/dates.py)
NOTE_FEEDBACK_DATE = "反馈日期存疑"     # a returned sheet's 办结日期 / 申请延期至 that cannot be


def _pattern(key: str) -> re.Pattern:
    return re.compile(re.escape(OPEN + key + SEP) + r"[^" + CLOSE + r"]*" + re.escape(CLOSE))


def has_note(notes: str | None, key: str) -> bool:
    return bool(_pattern(key).search(str(notes or "")))


def with_note(notes: str | None, key: str, text: str | None) -> str | None:
    """`notes` with tipdesk's note `key` set to `text` (or removed when text is None)."""
    current = str(notes or "")
    if text and f"{OPEN}{key}{SEP}{text}{CLOSE}" in current:
        return notes  # already there: leave the cell exactly as it is
    stripped = _pattern(key).sub("", current).strip()
    if text:
        stripped = (stripped + " " if stripped else "") + f"{OPEN}{key}{SEP}{text}{CLOSE}"
    return stripped or None


def append_line(log: str | None, line: str) -> str:
    """Add a dated history line to 催办记录 or 备注 (one line per event)."""
    current = str(log or "").rstrip()
    return f"{current}\n{line}" if current else line


REDO_REASON = "退回理由"


def redo_reason(notes: str | None) -> str:
    """The reason for a 退回重办 that goes to the unit: only what the clerk marked for it, a
    line of 备注 starting “退回理由：”. Other remarks (a call back, where the reporter lives)
    never leave the centre."""
    for line in str(notes or "").split("\n"):
        found = re.match(r"\s*" + REDO_REASON + r"\s*[:：]\s*(.+)", line)
        if found:
            return found.group(1).strip()
    return ""
