"""What every form reader shares: the reading context, label matching and cell messages.

A reader is a module with KIND (its Chinese name), `identify(book, context) -> bool` (cheap,
never raises) and `extract(book, context) -> list` (raises TipdeskError naming the sheet and
cell to fix). `ReadContext` carries what a reader may need beyond the file itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tipdesk.domain.textnorm import normalize_text
from tipdesk.xlsx.sheetfile import Grid, Workbook, ref

# Forms fit on one page; scanning only this corner keeps identify() cheap on a long export.
SCAN_ROWS, SCAN_COLS = 200, 40


@dataclass(frozen=True)
class ReadContext:
    """The day the file came in (it decides the year of a date typed without one), and the
    forwarded-list header names from config (None: the built-in names)."""

    today: date
    forwarded_columns: Mapping[str, Sequence[str]] | None = None


# A trailing remark in brackets, as in "分管领导（姓名）" or "是否属实（下拉选择）".
_BRACKET_TAIL = re.compile(r"\([^()]*\)$")


def label_key(value: Any) -> str:
    """A cell's text as compared with known labels: "* 案 件 编 号：" -> "案件编号".

    Only text cells are labels. Spaces anywhere, a leading required-mark, a trailing colon
    or bracketed remark are dropped, and Latin letters lowered ("E-mail" -> "e-mail").
    """
    if not isinstance(value, str):
        return ""
    key = normalize_text(value).replace(" ", "").lower().lstrip("*").rstrip(":")
    return _BRACKET_TAIL.sub("", key).rstrip(":")


# Full-width digits and Latin letters, folded one to one to ASCII.
_FULLWIDTH_ALNUM = {
    code: code - 0xFEE0
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(start, end + 1)
}


_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]")


_BLANKS = re.compile(r"[^\S\n]+")


def prose(value: Any) -> str:
    """Free text (核查情况, 举报内容) as it should go into the register.

    Like normalize_text for digits, letters and stray spaces, but line breaks are kept and
    Chinese punctuation stays as typed: NFKC would turn "，（：" into ",(:" in the register
    and in letters.
    """
    if not isinstance(value, str):
        return normalize_text(value)
    text = _INVISIBLE.sub("", value.translate(_FULLWIDTH_ALNUM))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(_BLANKS.sub(" ", line).strip() for line in lines).strip("\n")


def at_sheet(book: Workbook, grid: Grid) -> str:
    """The start of a message about a sheet: "X.xlsx 工作表“反馈表”"."""
    return f"{book.path.name} 工作表“{grid.name}”"


def at_cell(book: Workbook, grid: Grid, row: int, column: int, label: str) -> str:
    """The start of a message about a cell: "X.xlsx 工作表“反馈表” 单元格 B13（是否属实）"."""
    return f"{at_sheet(book, grid)} 单元格 {ref(row, column)}（{label}）"


def label_cells(grid: Grid) -> Iterator[tuple[int, int, Any]]:
    """(row, col, value) of the text cells in the scanned corner, each merge only once.

    A merged label is copied into every cell of its merge; only its top-left cell counts.
    """
    for row in range(min(grid.n_rows, SCAN_ROWS)):
        for column in range(min(grid.n_cols, SCAN_COLS)):
            value = grid.cell(row, column)
            if not isinstance(value, str):
                continue
            merge = grid.merge_at(row, column)
            if merge is None or (merge.first_row, merge.first_col) == (row, column):
                yield row, column, value


def answer_beside(grid: Grid, row: int, column: int, is_label: Callable[[Any], bool]) -> tuple[int, int, Any]:
    """(row, col, value) of the answer right of a label.

    The nearest filled cell to the right, unless that is the next label on the row (then
    the answer was left empty); an empty answer's place is the cell just past the label.
    """
    found = grid.right_of(row, column)
    if found is not None and not is_label(grid.cell(*found)):
        return found[0], found[1], grid.cell(*found)
    merge = grid.merge_at(row, column)
    return row, (merge.last_col if merge else column) + 1, None
