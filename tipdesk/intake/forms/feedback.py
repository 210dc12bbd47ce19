"""The feedback sheet (反馈表) a unit sends back: its answers, checked as far as the file allows.

The sheet is the one `documents.feedback_sheet()` issues, filled in Excel, WPS or LibreOffice
and saved in whatever format; units also copy it into a workbook of their own under another
sheet name. Answers are found by their labels, never by fixed cell addresses: the answer is
the nearest filled cell to the right of the label. Only what this one file can settle is
checked here; whether the case exists and what the answer does to it is decided against the
register by the caller.

The helpers every form reader needs (label matching, free text, message prefixes) live here
too, because this is the form the others are told apart from.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tipdesk.domain import columns as col
from tipdesk.domain.columns import MARKER_FORMAT, MARKER_SHEET
from tipdesk.domain.errors import TipdeskError
from tipdesk.xlsx.sheetfile import Grid, Workbook, ref
from tipdesk.domain.textnorm import normalize_text, parse_when
from tipdesk.domain.arrivals import FeedbackAnswer
from tipdesk.intake.forms.common import ReadContext, answer_beside, at_cell, at_sheet, label_cells, label_key, prose
from tipdesk.domain.arrivals import FEEDBACK_KIND

KIND = FEEDBACK_KIND

# A sheet copied into a unit's own workbook is recognised by its labels; 6 of the 11 leaves
# room for a unit that deleted a row or two, and no other form has that many of them.
MIN_LABELS = 6

FINDINGS, VERIFIED, RESULT, STATE = "核查情况", "是否属实", "处理结果", "办理状态"
EXTEND_TO, REASON, HANDLER, PHONE, CLOSED_ON = "申请延期至", "申请理由", "经办人", "联系电话", "办结日期"

# The marker format is versioned ("tipdesk-feedback-v1"); any version is ours.
_MARKER_FAMILY = MARKER_FORMAT.rsplit("-", 1)[0]

_FILL_HINTS = {
    RESULT: "请写明处理结果",
    CLOSED_ON: "请填写办结日期（例如 2026年12月3日）",
    EXTEND_TO: "请填写申请延期到哪一天（例如 2026年12月3日）",
    REASON: "请写明申请理由",
}
# What each state needs beyond the state itself (是否属实 is checked as a choice).
_REQUIRED = {
    col.CLOSED: (RESULT, CLOSED_ON),
    col.EXTENSION_REQUESTED: (EXTEND_TO, REASON),
    col.RETURN_REQUESTED: (REASON,),
}
_INTERIM = "阶段性反馈"


# --- helpers shared by the form readers -----------------------------------------------------


# --- the answers ----------------------------------------------------------------------------


# Labels of the issued facts (documents._write_facts) sit beside answer labels on a row; an
# answer search that reaches one of them has found no answer.
_FACT_LABELS = (col.LETTER_NO, col.RECEIVED_AT, col.CATEGORY, col.SUBJECT, col.ADDRESS,
                col.CONTENT, col.DEADLINE)


def _is_label(value: Any) -> bool:
    key = label_key(value)
    return key in col.FEEDBACK_LABELS or key in _FACT_LABELS


def _label_places(grid: Grid) -> dict[str, tuple[int, int]]:
    """Each feedback label's first cell (row, col) on the sheet."""
    places: dict[str, tuple[int, int]] = {}
    for row, column, value in label_cells(grid):
        key = label_key(value)
        if key in col.FEEDBACK_LABELS:
            places.setdefault(key, (row, column))
    return places


def _looks_like_form(places: dict[str, tuple[int, int]]) -> bool:
    # An export whose header row names 办理状态, 处理结果 … is a table, not this form: on the
    # form the labels run down the sheet, so they sit on several rows.
    rows = {row for row, _ in places.values()}
    return len(places) >= MIN_LABELS and len(rows) >= 3


def _find_sheet(book: Workbook) -> Grid | None:
    """The `反馈表` sheet, or else the first sheet that carries the form's labels."""
    if col.FEEDBACK_SHEET in book.sheets:
        return book.sheets[col.FEEDBACK_SHEET]
    for grid in book.sheets.values():
        if _looks_like_form(_label_places(grid)):
            return grid
    return None


def read_marker(book: Workbook) -> dict[str, str] | None:
    """The hidden marker documents.feedback_sheet() writes, read from the workbook's grids.

    Same result as documents.read_feedback_marker(), but from any format calamine reads
    (the sheet survives re-saving as .xls or .ods)."""
    grid = book.sheets.get(MARKER_SHEET)
    if grid is None:
        return None
    marker = {
        str(row[0]): "" if len(row) < 2 or row[1] is None else str(row[1])
        for row in grid.rows
        if row and row[0] is not None
    }
    if not marker.get("format", "").startswith(_MARKER_FAMILY):
        return None
    return marker


def written_texts(book: Workbook) -> list[str]:
    """Every text of the file but the unit's own 经办人 and 联系电话 answers: what must hold
    no personal data before the sheet may be carried back out (反馈表退回)."""
    grid = _find_sheet(book)
    own = set()
    if grid is not None:
        for label, (row, column) in _label_places(grid).items():
            if label in (HANDLER, PHONE):
                found = answer_beside(grid, row, column, _is_label)
                own.add((grid.name, found[0], found[1]))
    return [value for g in book.sheets.values() if g.name != MARKER_SHEET
            for r, cells in enumerate(g.rows) for c, value in enumerate(cells)
            if isinstance(value, str) and value.strip() and (g.name, r, c) not in own]


def identify(book: Workbook, context: ReadContext | None = None) -> bool:
    """True when the file is one of our feedback sheets: by its marker or its labels."""
    if read_marker(book) is not None:
        return True
    return any(_looks_like_form(_label_places(grid)) for grid in book.sheets.values())


class _Filled:
    """The answers on one sheet, with messages that name the cell of each."""

    def __init__(self, book: Workbook, grid: Grid, today: date):
        self.book, self.grid, self.today = book, grid, today
        self.answers = {
            label: answer_beside(grid, row, column, _is_label)
            for label, (row, column) in _label_places(grid).items()
        }

    def raw(self, label: str) -> Any:
        return self.answers[label][2] if label in self.answers else None

    def text(self, label: str) -> str:
        return normalize_text(self.raw(label))

    def prose(self, label: str) -> str:
        return prose(self.raw(label))

    def when(self, label: str) -> datetime | None:
        try:
            when = parse_when(self.raw(label), today=self.today)
        except ValueError as exc:
            raise self.error(label, f"{exc}；改正后请重新发送。") from None
        return when.at if when else None

    def choice(self, label: str, options: tuple[str, ...], needed_for: str | None) -> str:
        """One of the drop-down options, or "" when empty and not needed."""
        value = self.text(label)
        choose = f"请从下拉列表选择 {'/'.join(options)} 后重新发送。"
        if not value:
            if needed_for is None:
                return ""
            raise self.error(label, f"{needed_for}，{choose}")
        if value.replace(" ", "") not in options:
            raise self.error(label, f"“{value}”不是可选值，{choose}")
        return value.replace(" ", "")

    def cells(self) -> dict[str, str]:
        return {label: ref(row, column) for label, (row, column, _) in self.answers.items()}

    def error(self, label: str, text: str) -> TipdeskError:
        if label not in self.answers:
            return TipdeskError(
                f"{at_sheet(self.book, self.grid)}：找不到“{label}”一栏，可能被删除或改了名字。"
                "请使用下发的反馈表填写，不要改动左侧的栏目名称，然后重新发送。")
        row, column, _ = self.answers[label]
        return TipdeskError(f"{at_cell(self.book, self.grid, row, column, label)}：{text}")


def extract(book: Workbook, context: ReadContext) -> list[FeedbackAnswer]:
    """The one answer in a returned feedback sheet, or TipdeskError naming the cell to fix.

    `context.today` is the day the file came in; it decides the year of a date typed without
    one ("12月3日")."""
    today = context.today
    grid = _find_sheet(book)
    if grid is None:
        raise TipdeskError(
            f"{book.path.name}：找不到反馈表（没有“{col.FEEDBACK_SHEET}”工作表，也没有哪个工作表"
            "含有反馈表的各栏）。请使用下发的反馈表填写后重新发送。")
    form = _Filled(book, grid, today)
    case_id = _case_id(form)
    marker = read_marker(book)
    _check_marker(form, marker, case_id)
    # Every fault of the sheet in one go: the unit fixes them all before sending it again.
    faults: list[TipdeskError] = []

    def checked(step, default=None):
        try:
            return step()
        except TipdeskError as exc:
            faults.append(exc)
            return default

    state = checked(lambda: form.choice(STATE, col.FEEDBACK_STATES, needed_for="没有选择办理状态"), "")
    verified = checked(lambda: form.choice(
        VERIFIED, col.VERIFIED_VALUES,
        needed_for=f"办理状态为“{col.CLOSED}”时必须填写是否属实" if state == col.CLOSED else None), "")
    extend_to = checked(lambda: form.when(EXTEND_TO))
    closed_on = checked(lambda: form.when(CLOSED_ON))
    answer = FeedbackAnswer(
        file=book.path, sheet=grid.name, case_id=case_id, unit=form.text(col.UNIT),
        findings=form.prose(FINDINGS), verified=verified, result=form.prose(RESULT),
        state=state, extend_to=extend_to, reason=form.prose(REASON),
        handler=form.text(HANDLER), phone=form.text(PHONE), closed_on=closed_on,
        marker=marker, cells=form.cells())
    if state:
        unreadable = {label for label in (EXTEND_TO, CLOSED_ON) if any(f"（{label}）" in f.message for f in faults)}
        faults += _state_needs(form, answer, skip=unreadable)
    if faults:
        raise TipdeskError("\n".join(f.message for f in faults))
    return [answer]


def _case_id(form: _Filled) -> str:
    case_id = form.text(col.CASE_ID)
    if not case_id:
        raise form.error(
            col.CASE_ID,
            "案件编号是空的。请使用下发给本单位的反馈表（案件编号已预先填好）填写后重新发送。")
    return case_id


def _check_marker(form: _Filled, marker: dict[str, str] | None, case_id: str) -> None:
    # The marker says which case the sheet was issued for; a differing 案件编号 means the
    # unit reused another case's sheet, and its answer would land on the wrong case.
    if marker is None:
        return
    issued_for = normalize_text(marker.get("case_id"))
    if issued_for and issued_for != case_id:
        raise form.error(
            col.CASE_ID,
            f"这张反馈表是为案件 {issued_for} 下发的，但案件编号填的是 {case_id}，可能复制错了表；"
            "请使用该案件自己的反馈表。")


def _state_needs(form: _Filled, answer: FeedbackAnswer, skip: set[str]) -> list[TipdeskError]:
    """What the chosen 办理状态 requires and the sheet lacks (`skip`: cells already faulted)."""
    filled = {RESULT: answer.result, CLOSED_ON: answer.closed_on,
              EXTEND_TO: answer.extend_to, REASON: answer.reason}
    faults = [form.error(label, f"办理状态为“{answer.state}”时必须填写此项，{_FILL_HINTS[label]}后重新发送。")
              for label in _REQUIRED.get(answer.state, ()) if not filled[label] and label not in skip]
    if answer.state == _INTERIM and not (answer.findings or answer.result):
        faults.append(form.error(
            FINDINGS,
            f"办理状态为“{_INTERIM}”时，{FINDINGS}和{RESULT}至少要填写一项，"
            "请写明目前的核查或处理进展后重新发送。"))
    return faults
