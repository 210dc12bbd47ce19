"""The liaison form (联络单) each unit returns once a year: who handles complaints there.

The notice's attachment is a table: "单位：……（公章）" above one row of labels (分管领导,
联系电话, 科长, 联系电话, 经办人, 联系电话; we add 电子邮箱) with the answers in the
row(s) beneath. Units also retype it as label/value pairs running down the sheet, with title
rows, merged cells and their own wording (分管领导姓名, 手机, 办公电话 …). Both are read
from the labels: a row holding two or more person labels and nothing but labels is the
table's header and its answers lie below; every other label's answer lies to its right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tipdesk.domain.errors import TipdeskError
from tipdesk.intake.forms.common import ReadContext, answer_beside, at_cell, at_sheet, label_cells, label_key
from tipdesk.xlsx.sheetfile import Grid, Workbook, ref
from tipdesk.domain.textnorm import normalize_text
from tipdesk.domain.arrivals import LiaisonForm
from tipdesk.domain.textnorm import is_email_address

KIND = "联络单"

UNIT, LEADER, CHIEF, HANDLER, PHONE, EMAIL = "单位", "分管领导", "科长", "经办人", "联系电话", "电子邮箱"
PERSONS = (LEADER, CHIEF, HANDLER)

# How units word each label. Compared through label_key, so spaces ("科  长"), colons and
# case ("E-mail") do not matter.
SYNONYMS = {
    UNIT: ("单位", "单位名称", "填报单位", "报送单位"),
    LEADER: ("分管领导", "分管领导姓名", "分管负责人", "分管局领导"),
    CHIEF: ("科长", "科长姓名", "科室负责人", "负责科室负责人"),
    HANDLER: ("经办人", "经办人姓名", "具体经办人", "联络员"),
    PHONE: ("联系电话", "电话", "手机", "手机号", "手机号码", "办公电话", "固定电话", "联系方式"),
    EMAIL: ("电子邮箱", "邮箱", "e-mail", "email", "电子邮件", "邮箱地址"),
}
_ROLE_OF = {label_key(word): role for role, words in SYNONYMS.items() for word in words}

# Answers of the table are looked for this many rows below its header: the notice leaves two
# blank rows, and a unit writing one person a row needs three.
TABLE_DEPTH = 4

# "（公章）", "（盖章）", "（加盖公章）": where the seal goes, not part of the name.
_SEAL = re.compile(r"\(\s*(?:加\s*盖\s*)?(?:公\s*章|盖\s*章|印\s*章)\s*\)")
# Good enough to catch a name or phone number typed into the e-mail field.
_EMAIL_EXAMPLE = "anquan@example.gov.cn"


@dataclass
class _Label:
    role: str
    row: int
    col: int
    last_row: int
    last_col: int
    inline: str  # an answer typed into the label's own cell: "单位：区住建局"


@dataclass
class _Answer:
    role: str
    row: int
    col: int
    value: str
    owner: str = ""  # for a phone: the person it belongs to


def _role(value: Any) -> str | None:
    return _ROLE_OF.get(label_key(value))


def _parse_label(value: str) -> tuple[str, str] | None:
    """(role, inline answer) for a label cell, None for any other text."""
    text = normalize_text(value)
    head, colon, tail = text.partition(":")
    if colon and tail.strip() and _role(head) is not None:
        return _role(head), tail.strip()
    role = _role(value)
    return (role, "") if role is not None else None


def _scan(grid: Grid) -> list[_Label]:
    labels = []
    for row, column, value in label_cells(grid):
        parsed = _parse_label(value)
        if parsed is None:
            continue
        merge = grid.merge_at(row, column)
        labels.append(_Label(parsed[0], row, column, merge.last_row if merge else row,
                             merge.last_col if merge else column, parsed[1]))
    return labels


def _looks_like_form(labels: list[_Label]) -> bool:
    # The feedback sheet has 经办人 and 联系电话 too; only this form names the leader or chief.
    roles = {label.role for label in labels}
    return HANDLER in roles and PHONE in roles and bool(roles & {LEADER, CHIEF})


def identify(book: Workbook, context: ReadContext | None = None) -> bool:
    """True when a sheet carries the liaison form's labels, in either layout."""
    return any(_looks_like_form(_scan(grid)) for grid in book.sheets.values())


# --- finding the answers --------------------------------------------------------------------

def _header_row(grid: Grid, labels: list[_Label]) -> int | None:
    """The row of the notice's table header: two or more person labels and only labels.

    Label/value pairs side by side (分管领导 | 张三 | 科长 | 李四) have values between the
    labels and so are not a header."""
    for row in sorted({label.row for label in labels}):
        on_row = [label for label in labels if label.row == row]
        if sum(label.role in PERSONS for label in on_row) < 2:
            continue
        first = min(label.col for label in on_row)
        last = max(label.last_col for label in on_row)
        between = (grid.cell(row, c) for c in range(first, last + 1))
        if all(value is None or _role(value) is not None for value in between):
            return row
    return None


def _answer_below(grid: Grid, label: _Label, label_rows: set[int]) -> _Answer:
    """The first filled cell under a header label, before the next row of labels.

    The notice leaves blank rows beneath its header, and some units put each person on a
    row of their own, so the answers need not all be on the first row."""
    for row in range(label.last_row + 1, label.last_row + 1 + TABLE_DEPTH):
        if row in label_rows:
            break
        value = grid.cell(row, label.col)
        if normalize_text(value):
            return _Answer(label.role, row, label.col, _clean(label.role, value))
    return _Answer(label.role, label.last_row + 1, label.col, "")


def _answer_right(grid: Grid, label: _Label) -> _Answer:
    inline = _clean(label.role, label.inline)
    if inline:
        return _Answer(label.role, label.row, label.col, inline)
    row, column, value = answer_beside(grid, label.row, label.col, lambda v: _role(v) is not None)
    if value is None and label.inline:
        # "单位：（公章）" left as printed: the name belongs in that very cell.
        return _Answer(label.role, label.row, label.col, "")
    return _Answer(label.role, row, column, _clean(label.role, value))


def _clean(role: str, value: Any) -> str:
    text = normalize_text(value)
    if role == UNIT:
        text = _SEAL.sub("", text).strip()
    return text


def _owner(phone: _Label, labels: list[_Label], header: int | None) -> str:
    """The person a phone label belongs to: the nearest person label to its left on the
    same row, else (label/value pairs down the sheet) the nearest one above it."""
    persons = [label for label in labels if label.role in PERSONS]
    left = [p for p in persons if p.row == phone.row and p.col < phone.col]
    if left:
        return max(left, key=lambda p: p.col).role
    if phone.row == header:
        return ""
    above = [p for p in persons if p.row < phone.row and p.col <= phone.last_col and phone.col <= p.last_col]
    return max(above, key=lambda p: p.row).role if above else ""


def _answers(grid: Grid, labels: list[_Label]) -> list[_Answer]:
    header = _header_row(grid, labels)
    label_rows = {row for label in labels for row in range(label.row, label.last_row + 1)}
    answers = []
    for label in labels:
        answer = _answer_below(grid, label, label_rows) if label.row == header else _answer_right(grid, label)
        if label.role == PHONE:
            answer.owner = _owner(label, labels, header)
        answers.append(answer)
    return answers


# --- the form -------------------------------------------------------------------------------

class _Collected:
    """The answers of one sheet by role, with messages naming the cell of each."""

    def __init__(self, book: Workbook, grid: Grid, answers: list[_Answer]):
        self.book, self.grid, self.answers = book, grid, answers

    def first(self, role: str, owner: str = "") -> _Answer | None:
        """The first filled answer for a role, else its first (empty) place, else None."""
        matching = [a for a in self.answers if a.role == role and a.owner == owner]
        return next((a for a in matching if a.value), matching[0] if matching else None)

    def value(self, role: str) -> str:
        answer = self.first(role)
        return answer.value if answer else ""

    def phones(self, person: str) -> str:
        numbers = [a.value for a in self.answers if a.role == PHONE and a.owner == person and a.value]
        return "、".join(dict.fromkeys(numbers))

    def cells(self) -> dict[str, str]:
        places = {UNIT: self.first(UNIT), EMAIL: self.first(EMAIL)}
        for person in PERSONS:
            places[person] = self.first(person)
            places[f"{person}电话"] = self.first(PHONE, person)
        return {name: ref(a.row, a.col) for name, a in places.items() if a is not None}

    def error(self, answer: _Answer | None, name: str, text: str) -> TipdeskError:
        if answer is None:
            return TipdeskError(f"{at_sheet(self.book, self.grid)}：{text}")
        return TipdeskError(f"{at_cell(self.book, self.grid, answer.row, answer.col, name)}：{text}")


def _find_sheet(book: Workbook) -> tuple[Grid, list[_Label]] | None:
    for grid in book.sheets.values():
        labels = _scan(grid)
        if _looks_like_form(labels):
            return grid, labels
    return None


def extract(book: Workbook, context: ReadContext) -> list[LiaisonForm]:
    """The one liaison form in the file, or TipdeskError naming the cell to fix."""
    found = _find_sheet(book)
    if found is None:
        raise TipdeskError(
            f"{book.path.name}：找不到联络单的栏目（分管领导、科长、经办人、联系电话）。"
            "请使用下发的联络单模板填写后重新发送。")
    grid, labels = found
    form = _Collected(book, grid, _answers(grid, labels))
    result = LiaisonForm(
        file=book.path, sheet=grid.name, unit=form.value(UNIT),
        leader=form.value(LEADER), leader_phone=form.phones(LEADER),
        chief=form.value(CHIEF), chief_phone=form.phones(CHIEF),
        handler=form.value(HANDLER), handler_phone=form.phones(HANDLER),
        email=form.value(EMAIL), cells=form.cells())
    _check(form, result)
    return [result]


def _check(form: _Collected, result: LiaisonForm) -> None:
    if not result.unit:
        raise form.error(form.first(UNIT), UNIT,
                         "没有填写单位名称。请在联络单上写明“单位：单位全称”，加盖公章后重新发送。")
    if not result.handler:
        raise form.error(form.first(HANDLER), HANDLER, "没有填写经办人姓名。请填写后重新发送。")
    if not (result.handler_phone or result.email):
        place = form.first(PHONE, HANDLER) or form.first(HANDLER)
        raise form.error(place, f"{HANDLER}电话",
                         "经办人的联系电话和电子邮箱都没有填写，无法联系。请至少填写一项后重新发送。")
    if result.email and not is_email_address(result.email):
        raise form.error(form.first(EMAIL), EMAIL,
                         f"“{result.email}”不是有效的电子邮箱地址。请填写完整的地址"
                         f"（例如 {_EMAIL_EXAMPLE}）后重新发送。")
