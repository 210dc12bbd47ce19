"""Referral letters (交办单, docxtpl on templates/交办单.docx, see word/) and pre-filled feedback sheets
(办理情况反馈表, openpyxl) for one case.

Everything here starts from `referral_context`, which passes the register row through
`redact_case` first: 举报人 and 联系方式 never reach a template, and names, phone numbers,
ID-card numbers and e-mail addresses inside free text are replaced (DESIGN.md, "The
whistleblower"). The outputs are byte-for-byte reproducible for the same input: document
timestamps are the issue time and zip entries carry that time too.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.writer.excel import ExcelWriter

from tipdesk.config import Deadlines, DocumentSettings, Fonts
from tipdesk.domain import columns as col
from tipdesk.domain.redact import redact_case
from tipdesk.domain.columns import MARKER_FORMAT, MARKER_KEYS, MARKER_SHEET
from tipdesk.domain.textnorm import chinese_date, fullwidth_brackets
from tipdesk.domain.textnorm import safe_name
from tipdesk.word.template import compiled, repack, write_package
from tipdesk.xlsx.text import excel_text, put

LETTER_TITLE = "安全生产举报事项交办单"
FEEDBACK_TITLE = "安全生产举报办理情况反馈表"



def category_requirements(rules: Deadlines = Deadlines()) -> dict[str, str]:
    """What the notice (四(二)) requires for each category, in its words, with the office's
    deadlines (`deadlines:` in config; the notice's 24 hours and 7 working days by default)."""
    return {
        col.URGENT: f"本件为紧急类举报，承办单位必须在{rules.urgent_hours}小时内完成调查处理并及时反馈处理结果。",
        col.GENERAL: f"本件为一般类举报，承办单位应在{rules.general_working_days}个工作日内完成调查处理并反馈。",
        col.ACCIDENT: (
            "本件为事故类举报，承办单位要迅速进行核实，并严格依照有关法规进行严肃认真的调查处理；"
            f"请于{rules.accident_verify_hours}小时内（办理期限前）反馈核实情况，调查处理结束后反馈最终结果。"
        ),
    }


CATEGORY_REQUIREMENTS = category_requirements()
# Categories whose deadline is counted in hours, so the letter names the hour too.
HOURLY_CATEGORIES = (col.URGENT, col.ACCIDENT)


# Characters Windows does not allow in file names.
# Control characters are invalid in XML (and in Word/Excel cells); newlines are kept.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- context --------------------------------------------------------------------------------


def _text(value: object) -> str:
    """A register cell as letter text: None is empty, numbers lose a spurious ".0"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return chinese_date(value, with_time=value.time() != time(0, 0))
    if isinstance(value, date):
        return chinese_date(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARS.sub("", text).strip()


def _category(case: dict) -> str:
    category = col.normal_category(_text(case.get(col.CATEGORY)))
    if category not in col.CATEGORIES:
        raise ValueError(
            f"案件{_text(case.get(col.CASE_ID))}的类别“{category}”无效，"
            f"应为{'、'.join(col.CATEGORIES)}之一，无法生成交办单")
    return category


def _deadline(case: dict, category: str) -> str:
    deadline = case.get(col.DEADLINE)
    if not isinstance(deadline, (date, datetime)):
        raise ValueError(f"案件{_text(case.get(col.CASE_ID))}没有办理期限，无法生成交办单")
    return chinese_date(deadline, with_time=category in HOURLY_CATEGORIES)


def referral_context(case: dict, centre: dict, issued_at: datetime, rules: Deadlines = Deadlines(),
                     documents: DocumentSettings | None = None) -> dict:
    """The template context for one case's letter and feedback sheet.

    `case` is a register row keyed by the Chinese headers; `centre` has name, phone,
    address and email; `rules` the configured deadlines the letter states; `documents` the
    版头 (issuing office, whether it is printed). Keys: case_id, letter_no, unit, received_at,
    source, upstream_no, category, subject, address, area, industry, content, deadline,
    requirements, centre_name, centre_phone, centre_address, centre_email, issued_date,
    issued_at, letterhead (the issuing office printed in the red 版头, empty when the office
    prints on letterhead paper). All values are strings (issued_at in ISO form, for the
    hidden marker).
    """
    safe = redact_case(case)  # from here on, no reporter identity
    category = _category(safe)
    documents = documents or DocumentSettings()
    return {
        "case_id": _text(safe.get(col.CASE_ID)),
        "letter_no": _text(safe.get(col.LETTER_NO)),
        "unit": _text(safe.get(col.UNIT)),
        "received_at": _text(safe.get(col.RECEIVED_AT)),
        "source": _text(safe.get(col.SOURCE)),
        "upstream_no": _text(safe.get(col.UPSTREAM_NO)),
        "category": category,
        "subject": fullwidth_brackets(_text(safe.get(col.SUBJECT))),
        "address": fullwidth_brackets(_text(safe.get(col.ADDRESS))),
        "area": fullwidth_brackets(_text(safe.get(col.AREA))),
        "industry": _text(safe.get(col.INDUSTRY)),
        "content": fullwidth_brackets(_text(safe.get(col.CONTENT))),
        "deadline": _deadline(safe, category),
        "requirements": category_requirements(rules)[category],
        "centre_name": _text(centre.get("name")),
        "centre_phone": _text(centre.get("phone")),
        "centre_address": _text(centre.get("address")),
        "centre_email": _text(centre.get("email")),
        "issued_date": chinese_date(issued_at),
        "issued_at": issued_at.replace(microsecond=0).isoformat(),
        "letterhead": _text(documents.letterhead_for(centre.get("name", ""))),
    }


def file_names(context: dict) -> tuple[str, str]:
    """(letter, sheet) file names: the case number only, never a person."""
    case_id = safe_name(context.get("case_id", ""), "")
    if not case_id:
        raise ValueError("案件编号为空，无法生成文件名")
    return f"{case_id}-交办单.docx", f"{case_id}-反馈表.xlsx"


def _issued_at(context: dict) -> datetime:
    return datetime.fromisoformat(context["issued_at"])


# --- the letter -----------------------------------------------------------------------------

def referral_letter(context: dict, template_path: Path, fonts: Fonts = Fonts()) -> bytes:
    """The referral letter (.docx bytes) rendered from the Word template."""
    # A line break inside a justified paragraph stretches the line across the page; a new
    # paragraph (docxtpl's \a) keeps each line of the complaint as typed.
    letter = {**context, "content": context.get("content", "").replace("\n", "\a")}
    return compiled(Path(template_path), fonts).render(
        letter, author=context.get("centre_name", ""), title=LETTER_TITLE,
        subject=context.get("case_id", ""), when=_issued_at(context))


# --- the feedback sheet ---------------------------------------------------------------------

SHEET_COLUMNS = {"A": 13, "B": 27, "C": 13, "D": 27}
# Characters per line in a merged B:D cell, and in a single B or D cell (CJK = 1, ASCII = ½).
WIDE_CHARS, NARROW_CHARS = 32, 12
LINE_HEIGHT = 17  # points per line of 11-12 pt 仿宋, with some air
MAX_ROW_HEIGHT = 409  # Excel's limit

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_FONT = Font(name="宋体", size=18, bold=True)
NOTE_FONT = Font(name="仿宋", size=10)
SECTION_FONT = Font(name="宋体", size=11, bold=True)
LABEL_FONT = Font(name="宋体", size=11, bold=True)
VALUE_FONT = Font(name="仿宋", size=12)
LABEL_FILL = PatternFill("solid", fgColor="DDEBF7")
FACT_FILL = PatternFill("solid", fgColor="F2F2F2")
ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
SECTION_FILL = PatternFill("solid", fgColor="BDD7EE")
WRAP_TOP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center")
LABEL_ALIGN = Alignment(wrap_text=True, horizontal="center", vertical="center")
DATE_FORMAT = 'yyyy"年"m"月"d"日"'

INSTRUCTIONS = (
    "填写说明：请在浅黄色单元格内填写，灰色单元格为交办信息，不能修改；“是否属实”“办理状态”"
    "请从下拉列表中选择；日期按2026-10-20格式填写；申请延期或申请退回的，须写明申请理由。"
    "请勿填写或转述举报人信息。"
)
FACTS_HEADING = "一、交办信息（请勿改动）"
ANSWERS_HEADING = "二、办理情况（由承办单位填写）"


def _display_width(text: str) -> float:
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


def _row_height(text: str, chars_per_line: int, min_lines: int = 1) -> float:
    lines = sum(max(1, -(-int(_display_width(part) + 0.99) // chars_per_line))
                for part in text.split("\n"))
    return min(MAX_ROW_HEIGHT, max(lines, min_lines) * LINE_HEIGHT + 6)


class _SheetWriter:
    """Lays the feedback sheet out row by row: a label cell, then its value to the right,
    either one value over B:D or two label/value pairs (A,B) and (C,D)."""

    def __init__(self, ws, stamp: "_Stamp | None" = None):
        self.ws = ws
        self.row = 0
        self.stamp = stamp

    def _height(self, height_of: Callable[..., float], *texts: str) -> None:
        """The row's height, from its texts; building a stamp, a row whose texts are a case's
        gets a height no real row has, which the stamp puts the case's height in for."""
        height = height_of(*texts)
        if self.stamp is not None and any(_STAMP_MARK.search(text) for text in texts):
            height = self.stamp.hold_height(self.row, height_of, texts)
        self.ws.row_dimensions[self.row].height = height

    def banner(self, text: str, font: Font, height: float, fill: PatternFill | None = None,
               align: Alignment = WRAP_CENTER) -> None:
        self.row += 1
        cell = put(self.ws.cell(self.row, 1), text)
        self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=4)
        cell.font, cell.alignment = font, align
        if fill is not None:
            for column in range(1, 5):
                self.ws.cell(self.row, column).fill = fill
                self.ws.cell(self.row, column).border = BORDER
        self.ws.row_dimensions[self.row].height = height

    def _label(self, column: int, text: str) -> None:
        cell = put(self.ws.cell(self.row, column), text)
        cell.font, cell.fill, cell.border = LABEL_FONT, LABEL_FILL, BORDER
        cell.alignment = LABEL_ALIGN

    def _value(self, column: int, value, answer: bool, last_column: int | None = None):
        cell = put(self.ws.cell(self.row, column), value)
        last_column = last_column or column
        if last_column > column:
            self.ws.merge_cells(start_row=self.row, start_column=column,
                                end_row=self.row, end_column=last_column)
        for c in range(column, last_column + 1):
            part = self.ws.cell(self.row, c)
            part.border = BORDER
            part.fill = ANSWER_FILL if answer else FACT_FILL
            part.protection = Protection(locked=not answer)
        cell.font = VALUE_FONT
        cell.alignment = WRAP_TOP if answer or last_column > column else WRAP_CENTER
        return cell

    def wide(self, label: str, value: str = "", *, answer: bool = False,
             min_lines: int = 1):
        self.row += 1
        self._label(1, label)
        cell = self._value(2, value, answer, last_column=4)
        self._height(lambda text: _row_height(text, WIDE_CHARS, min_lines), value)
        return cell

    def pair(self, left: tuple[str, str, bool], right: tuple[str, str, bool]):
        """Two label/value pairs on one row; each tuple is (label, value, is_answer)."""
        self.row += 1
        cells = []
        for column, (label, value, answer) in ((1, left), (3, right)):
            self._label(column, label)
            cells.append(self._value(column + 1, value, answer))
        self._height(_pair_height, left[1], right[1])
        return cells


def _pair_height(*texts: str) -> float:
    lines = max([1] + [-(-int(_display_width(text) + 0.99) // NARROW_CHARS) for text in texts])
    return min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + 8)


def _list_validation(options, cell: str, title: str) -> DataValidation:
    shown = "、".join(options)
    validation = DataValidation(
        type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
        showDropDown=False, showErrorMessage=True, showInputMessage=True,
        errorStyle="stop", errorTitle="输入有误", error=f"请从下拉列表中选择：{shown}。",
        promptTitle=title, prompt=f"请从下拉列表中选择：{shown}")
    validation.add(cell)
    return validation


def _date_validation(cells: str, not_before: date) -> DataValidation:
    validation = DataValidation(
        type="date", operator="greaterThanOrEqual",
        formula1=str(int(to_excel(datetime.combine(not_before, time(0, 0))))),
        allow_blank=True, showErrorMessage=True, errorStyle="stop", errorTitle="日期有误",
        error=(f"请填写日期，格式如2026-10-20，且不早于交办日期"
               f"{chinese_date(not_before)}。"))
    for cell in cells.split():
        validation.add(cell)
    return validation


def _write_facts(sheet: _SheetWriter, context: dict) -> None:
    sheet.banner(FACTS_HEADING, SECTION_FONT, 22, SECTION_FILL)
    sheet.pair(("案件编号", context["case_id"], False), ("交办文号", context["letter_no"], False))
    sheet.wide("承办单位", context["unit"])
    sheet.pair(("受理时间", context["received_at"], False), ("类别", context["category"], False))
    sheet.wide("被举报单位", context["subject"])
    sheet.wide("事发地址", context["address"])
    sheet.wide("举报内容", context["content"], min_lines=2)
    sheet.wide("办理期限", context["deadline"] + "前")


def _write_answers(sheet: _SheetWriter, ws, issued: date) -> str:
    """The unit's part; returns the first answer cell, where the cursor starts."""
    sheet.banner(ANSWERS_HEADING, SECTION_FONT, 22, SECTION_FILL)
    first = sheet.wide("核查情况", answer=True, min_lines=8)
    verified, state = sheet.pair(("是否属实", "", True), ("办理状态", "", True))
    ws.add_data_validation(_list_validation(col.VERIFIED_VALUES, verified.coordinate, "是否属实"))
    ws.add_data_validation(_list_validation(col.FEEDBACK_STATES, state.coordinate, "办理状态"))
    sheet.wide("处理结果", answer=True, min_lines=7)
    extend_to, closed_on = sheet.pair(("申请延期至", "", True), ("办结日期", "", True))
    for cell in (extend_to, closed_on):
        cell.number_format = DATE_FORMAT
        cell.alignment = WRAP_CENTER
    ws.add_data_validation(
        _date_validation(f"{extend_to.coordinate} {closed_on.coordinate}", issued))
    sheet.wide("申请理由", answer=True, min_lines=4)
    handler, phone = sheet.pair(("经办人", "", True), ("联系电话", "", True))
    phone.number_format = "@"  # a phone number stays text, not 1.38E+10
    for cell in (handler, phone):
        cell.alignment = WRAP_CENTER
    return first.coordinate


def _send_to(context: dict) -> str:
    """Where the unit returns the sheet: the centre's own address, never a person's."""
    parts = [f"请于办理期限前将本表反馈{context['centre_name']}"]
    for label, key in (("电子邮箱", "centre_email"), ("联系电话", "centre_phone"),
                       ("地址", "centre_address")):
        if context.get(key):
            parts.append(f"{label}：{context[key]}")
    return "；".join(parts) + "。"


def _page_setup(ws, last_row: int) -> None:
    ws.print_area = f"A1:D{last_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.sheet_view.showGridLines = False


def _protect(ws) -> None:
    """Locked cells stay as issued; no password, so a unit that must can still unprotect.
    Rows may be resized so a long answer can be made visible."""
    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


def _write_marker(wb: Workbook, context: dict, sheet_id: str) -> None:
    ws = wb.create_sheet(MARKER_SHEET)
    values = {"format": MARKER_FORMAT, "case_id": context["case_id"],
              "letter_no": context["letter_no"], "unit": context["unit"],
              "sheet_id": str(sheet_id), "issued_at": context["issued_at"]}
    for row, key in enumerate(MARKER_KEYS, start=1):
        ws.cell(row, 1, key)
        put(ws.cell(row, 2), values[key]).number_format = "@"
    ws.sheet_state = "veryHidden"  # not listed under "unhide" in Excel or WPS
    ws.protection.sheet = True


def _set_sheet_properties(wb: Workbook, context: dict, issued_at: datetime) -> None:
    props = wb.properties
    props.creator = context.get("centre_name", "")
    props.lastModifiedBy = context.get("centre_name", "")
    props.title = FEEDBACK_TITLE
    props.subject = context.get("case_id", "")
    props.description = props.keywords = props.category = None
    props.created = props.modified = issued_at
    props.lastPrinted = None


def feedback_sheet(context: dict, sheet_id: str) -> bytes:
    """The pre-filled feedback sheet (.xlsx bytes) for one issued letter."""
    stamped = _stamp_for(context).fill(context, sheet_id)
    return stamped if stamped is not None else built_feedback_sheet(context, sheet_id)


def built_feedback_sheet(context: dict, sheet_id: str, stamp: "_Stamp | None" = None) -> bytes:
    """feedback_sheet as openpyxl builds it (each sheet so takes 25 ms; a stamp, under 1)."""
    issued_at = _issued_at(context)
    wb = Workbook()
    ws = wb.active
    ws.title = col.FEEDBACK_SHEET
    for letter, width in SHEET_COLUMNS.items():
        ws.column_dimensions[letter].width = width
    sheet = _SheetWriter(ws, stamp)
    sheet.banner(FEEDBACK_TITLE, TITLE_FONT, 36,
                 align=Alignment(horizontal="center", vertical="center"))
    sheet.banner(INSTRUCTIONS, NOTE_FONT, _row_height(INSTRUCTIONS, 50) + 4,
                 align=Alignment(wrap_text=True, vertical="center"))
    _write_facts(sheet, context)
    first_answer = _write_answers(sheet, ws, issued_at.date())
    sheet.banner(_send_to(context), NOTE_FONT, 30,
                 align=Alignment(wrap_text=True, vertical="center"))
    _page_setup(ws, sheet.row)
    _protect(ws)
    ws.sheet_view.selection[0].activeCell = first_answer
    ws.sheet_view.selection[0].sqref = first_answer
    _write_marker(wb, context, sheet_id)
    _set_sheet_properties(wb, context, issued_at)
    buffer = io.BytesIO()
    # ExcelWriter directly: save_workbook() would stamp "modified" with the wall clock.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return repack(buffer.getvalue(), issued_at)


# --- the feedback sheet, stamped -------------------------------------------------------------
# A run's sheets differ only in each case's texts and the heights of the rows holding them:
# openpyxl builds the sheet once with a mark in place of each text, and every sheet is that
# package with the marks replaced (tests/test_documents.py: byte for byte openpyxl's sheet).

_STAMPED = ("case_id", "letter_no", "unit", "received_at", "category", "subject", "address", "content",
            "deadline", "sheet_id")
_STAMP_MARK = re.compile(r"TIPDESK(\d\d)MARK")
# Heights no row of a real sheet has (Excel's limit is 409 points), one per row held.
_HELD_HEIGHT = 1000


# What else the sheet shows: the same for every case of a run (one centre, one moment).
_SHEET_KEYS = ("centre_name", "centre_email", "centre_phone", "centre_address", "issued_at")
_STAMPS: dict[tuple, "_Stamp"] = {}


def _stamp_for(context: dict) -> "_Stamp":
    key = tuple(context.get(k) for k in _SHEET_KEYS)
    if key not in _STAMPS:
        _STAMPS.clear()
        _STAMPS[key] = _Stamp({k: context[k] for k in _SHEET_KEYS if k in context})
    return _STAMPS[key]


class _Stamp:
    """The feedback sheet of `context`'s run, built with marks for each case's texts."""

    def __init__(self, context: dict):
        self.heights: dict[int, tuple[Callable[..., float], tuple[str, ...]]] = {}
        marks = {key: f"TIPDESK{i:02d}MARK" for i, key in enumerate(_STAMPED)}
        package = built_feedback_sheet({**context, **marks}, marks["sheet_id"], self)
        with zipfile.ZipFile(io.BytesIO(package)) as zf:
            self.parts = {info.filename: zf.read(info) for info in zf.infolist()}
        self.when = _issued_at(context)
        # The parts with a mark, and how a text is written in each (the sheets as openpyxl's
        # lxml writes them: ASCII, other characters as references; the properties in UTF-8).
        try:
            self.marked = {name: part.decode("ascii" if name.startswith("xl/") else "utf-8")
                           for name, part in self.parts.items() if _STAMP_MARK.search(part.decode("latin-1"))}
        except UnicodeDecodeError:  # written otherwise by another openpyxl: every sheet built
            self.marked = None

    def hold_height(self, row: int, height_of: Callable[..., float], texts: tuple[str, ...]) -> float:
        held = _HELD_HEIGHT + row
        self.heights[held] = (height_of, texts)
        return held

    def fill(self, context: dict, sheet_id: str) -> bytes | None:
        """The sheet for `context`, or None for a text the stamp cannot stand for as openpyxl
        writes it (empty: no cell at all; spaces at an end; characters a cell drops)."""
        values = [context.get(key) for key in _STAMPED[:-1]] + [sheet_id]
        if self.marked is None or not all(map(_stampable, values)):
            return None
        written = [html.escape(v, quote=False) for v in values]
        heights = [(f' ht="{held}"', ' ht="%.16g"' % height_of(*(_STAMP_MARK.sub(lambda m: values[int(m[1])], t)
                                                                   for t in texts)))  # as openpyxl writes it
                   for held, (height_of, texts) in self.heights.items()]
        parts = dict(self.parts)
        for name, text in self.marked.items():
            text = _STAMP_MARK.sub(lambda m: written[int(m[1])], text)
            if name.startswith("xl/"):
                for held, height in heights:
                    text = text.replace(held, height)
                parts[name] = text.encode("ascii", "xmlcharrefreplace")
            else:
                parts[name] = text.encode("utf-8")
        return write_package(parts, self.when)


def _stampable(value: object) -> bool:
    """A text openpyxl writes as it is: not empty (no cell at all), no spaces at an end
    (xml:space), nothing a cell drops or lxml writes otherwise (\r), not a mark itself."""
    return (isinstance(value, str) and bool(value) and value == value.strip() and excel_text(value) == value
            and "\r" not in value and not _STAMP_MARK.search(value))


def read_feedback_marker(path: Path) -> dict | None:
    """The hidden marker of an issued feedback sheet, or None when the file has none
    (or is no workbook at all). Values are strings, keyed as MARKER_KEYS."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError):
        return None
    try:
        if MARKER_SHEET not in wb.sheetnames:
            return None
        marker = {}
        for row in wb[MARKER_SHEET].iter_rows(min_col=1, max_col=2, values_only=True):
            if row and row[0] is not None:
                marker[str(row[0])] = "" if len(row) < 2 or row[1] is None else str(row[1])
    finally:
        wb.close()
    if not marker.get("format", "").startswith("tipdesk-feedback"):
        return None
    return marker
