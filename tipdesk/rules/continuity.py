"""Did the register go back? What the last run wrote, compared with the register now.

A clerk edits the register between runs, and may even delete a row; but when an older copy
is saved over it (a copy edited at home, Excel saving a workbook it had open since before
the run), the cells the last run wrote hold their old values again, and the cases it
registered are gone. Then the next run must stop before it numbers the same complaints
again and issues second letters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from tipdesk.domain.columns import CASE_ID, REGISTER_SHEET
from tipdesk.domain.textnorm import as_text

# Fewer reverted cells than this is a clerk's own edit, not an older copy (unless a case is gone).
AT_LEAST = 3


@dataclass
class Reversal:
    """The cells one run wrote, against the register now."""

    missing: dict[str, int] = field(default_factory=dict)          # case gone -> cells the run wrote in it
    reverted: dict[str, list[str]] = field(default_factory=dict)  # case -> columns back to old values
    held: int = 0                                                  # cells still as written (or edited on)

    @property
    def went_back(self) -> bool:
        """Most of what the run wrote is gone: an older copy. A clerk deleting a case (even
        the only one a run registered) or undoing a cell leaves the rest of the run's work;
        it takes cells of cases still there back to their old values, or two cases gone."""
        reverted = sum(len(c) for c in self.reverted.values())
        count = sum(self.missing.values()) + reverted
        return (reverted >= AT_LEAST or len(self.missing) >= 2) and count > self.held


def _text(value: Any) -> str:
    text = (as_text(value) or "").strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _same(a: Any, b: Any) -> bool:
    a, b = _text(a), _text(b)
    # A date-time written to the second is read back to the second; to the minute is enough.
    return a == b or (len(a) >= 16 and len(b) >= 16 and a[:16] == b[:16] and a[4] == "-")


def reversal(rows: Iterable[dict[str, Any]], changes: Iterable[tuple[str, str, str, str, str]],
             moved_out: set[str] = frozenset()) -> Reversal:
    """`rows`: the register's 台账 rows now; `changes`: (sheet, case_id, column, old, new) of
    every cell the last run wrote; `moved_out`: cases archived or deleted on purpose."""
    by_case = {str(r.get(CASE_ID) or "").strip(): r for r in rows}
    out = Reversal()
    for sheet, case_id, column, old, new in changes:
        if sheet != REGISTER_SHEET or not case_id or _text(new) == "" or case_id in moved_out:
            continue
        row = by_case.get(case_id)
        if row is None:
            out.missing[case_id] = out.missing.get(case_id, 0) + 1
        elif _same(row.get(column), new) or not _same(row.get(column), old):
            out.held += 1
        else:
            out.reverted.setdefault(case_id, []).append(column)
    return out
