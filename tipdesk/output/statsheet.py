"""The 统计 sheet managers open in the register, and the bulletin's annex: tables and charts.

Built with openpyxl in a small workbook of its own (`stats_workbook`), which the daily run
grafts into the register (xlsx.graft.graft_sheet) and the report saves as the annex. Every
table has the same columns (the figures of stats.py), so the sheet reads as one grid and
prints on landscape A4, one section a page.
"""

from __future__ import annotations

import io
import math
import zipfile
from copy import copy
from datetime import datetime

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.writer.excel import ExcelWriter

from tipdesk.domain.calendar import END_OF_DAY
from tipdesk.domain.textnorm import chinese_date
from tipdesk.rules.stats import LABELS, CaseRef, PeriodStats, Repeat, cases_since, period_of, period_stats
from tipdesk.xlsx.graft import conditional_formats, graft_sheet
from tipdesk.xlsx.patch import PackageEdit
from typing import Callable, Collection, Mapping
from tipdesk.xlsx.package import column_letter
from tipdesk.xlsx.text import put

SHEET = "统计"
# The figures every table shows, in column order from C.
TABLE_FIGURES = ("received", "closed", "on_time", "due", "on_time_rate", "open", "overdue",
                 "returned", "extended", "verified", "awaiting_reply", "callback_rate", "satisfaction_rate")
RATE_FIGURES = ("on_time_rate", "callback_rate", "satisfaction_rate")
FIRST_FIGURE_COLUMN = 3
LAST_COLUMN = FIRST_FIGURE_COLUMN + len(TABLE_FIGURES) - 1
WIDTHS = {"A": 7, "B": 22}
FIGURE_WIDTH = 9.5
ROW_HEIGHT = 16  # points; charts are sized in rows of this height
NOTE = ("注：应办结＝已办结＋在办已超期（未到期的在办件不计）；按时办结率＝按时办结÷应办结；"
        "超期＝超期办结＋在办已超期；待回复＝已办结但尚未回复举报人；回访率＝已回访÷已办结；"
        "满意率＝（满意＋基本满意）÷回访有评价的件数。不予受理、转办、并案的另计，不计入办结和在办。")

FONT = "宋体"
TITLE_FONT = Font(name=FONT, size=16, bold=True)
SUBTITLE_FONT = Font(name=FONT, size=10, color="595959")
SECTION_FONT = Font(name=FONT, size=12, bold=True)
HEADER_FONT = Font(name=FONT, size=10, bold=True)
CELL_FONT = Font(name=FONT, size=10)
NOTE_FONT = Font(name=FONT, size=9, color="595959")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CURRENT_FILL = PatternFill("solid", fgColor="FFF2CC")
_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
PERCENT = "0.0%"
CHANGE_PERCENT = "+0.0%;-0.0%;0.0%"
CHANGE_COUNT = "+0;-0;0"
MISSING = "—"
REGISTER_NOTE = "本表由 tipdesk 每次运行时重新生成，请勿在本表中修改。"


def _figure_headers(first: str) -> list[str]:
    return [first if key == "received" else LABELS[key] for key in TABLE_FIGURES]


def as_of(now: datetime) -> str:
    """2026年11月2日9时 (30分): the moment the figures were taken."""
    return chinese_date(now, with_time=True)


class _Styles:
    """The cell styles given in one sheet, each combination worked out once (what is copied
    is an index into the sheet's own workbook). openpyxl hashes the font, border, fill and
    alignment given at every assignment: that was most of the time a sheet took to build."""

    def __init__(self):
        # key -> (the style as openpyxl keeps it on a cell, the objects named in the key:
        # held, so that their ids stay theirs)
        self._known: dict[tuple, tuple] = {}

    def apply(self, cell, font: Font, border: Border | None = None, alignment: Alignment | None = None,
              fill: PatternFill | None = None, number_format: str | None = None):
        """Give `cell`, a new one, this style (None: the default); returns the cell. The
        style is copied whole: what an earlier assignment left on the cell does not stay."""
        key = (id(font), id(border), id(alignment), id(fill), number_format)
        known = self._known.get(key)
        if known is not None:
            cell._style = copy(known[0])
            return cell
        cell.font = font
        if border is not None:
            cell.border = border
        if alignment is not None:
            cell.alignment = alignment
        if fill is not None:
            cell.fill = fill
        if number_format is not None:
            cell.number_format = number_format
        self._known[key] = (copy(cell._style), (font, border, alignment, fill))
        return cell


class _Sheet:
    """Writes the sheet top to bottom: `row` is the last row used."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 0
        self.styles = _Styles()

    def banner(self, text: str, font: Font, height: float = ROW_HEIGHT) -> None:
        self.row += 1
        self.styles.apply(put(self.ws.cell(self.row, 1), text), font, alignment=LEFT)
        self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row,
                            end_column=LAST_COLUMN)
        self.ws.row_dimensions[self.row].height = height

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def page_break(self) -> None:
        self.ws.row_breaks.append(Break(id=self.row))

    def header(self, first: str, second: str | None, figures_first: str) -> int:
        """A header row; `second` None merges A:B under `first`. Returns its row."""
        self.row += 1
        labels = [first, second] + _figure_headers(figures_first)
        for column, label in enumerate(labels, start=1):
            self.styles.apply(put(self.ws.cell(self.row, column), label), HEADER_FONT, BORDER, CENTER, HEADER_FILL)
        if second is None:
            self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=2)
        self.ws.row_dimensions[self.row].height = ROW_HEIGHT * 2
        return self.row

    def line(self, first, second, values: dict, *, formats: dict[str, str] | None = None,
             fill: PatternFill | None = None, blank_missing: bool = False) -> None:
        """One table row: A, B (None merges A:B), then the figures of `values`. An undefined
        figure (a rate of nothing) shows MISSING, or nothing with `blank_missing`, which
        leaves a gap in a line chart."""
        self.row += 1
        for column, value in ((1, first), (2, second)):
            self._cell(column, value, fill, LEFT if column == 2 and second is not None else CENTER)
        for column, key in enumerate(TABLE_FIGURES, start=FIRST_FIGURE_COLUMN):
            value = values.get(key)
            if value is None or math.isnan(value):
                self._cell(column, None if blank_missing else MISSING, fill)
                continue
            if key not in RATE_FIGURES and not formats:
                value = int(value)
            self._cell(column, value, fill,
                       number_format=(formats or {}).get(key, PERCENT if key in RATE_FIGURES else "0"))
        if second is None:
            self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=2)
        self.ws.row_dimensions[self.row].height = ROW_HEIGHT

    def _cell(self, column: int, value, fill: PatternFill | None, alignment: Alignment = CENTER,
              number_format: str | None = None) -> None:
        self.styles.apply(put(self.ws.cell(self.row, column), value), CELL_FONT, BORDER, alignment, fill,
                          number_format)

    def table(self, first: str, second: str, figures_first: str, table: dict, *,
              numbered: bool = False) -> tuple[int, int]:
        """A grouped-figures table (rules.stats: group name -> figures), numbered 1, 2, ...
        or by the figures' `rank`; returns (header row, last row)."""
        top = self.header(first, second, figures_first)
        for n, (name, values) in enumerate(table.items(), start=1):
            if numbered:
                label = n
            else:
                label = MISSING if math.isnan(values["rank"]) else int(values["rank"])
            self.line(label, str(name), values)
        return top, self.row

    def chart(self, chart, first_column: int, last_column: int, rows: int,
              indent: int = 0) -> None:
        """Put `chart` over columns first..last of the `rows` rows after the next one, its
        left edge `indent` EMU into the first column; the caller then skips past the rows
        (two charts may share them).

        Anchored to cells at both corners, so a chart spans exactly the tables' width,
        whatever the application's idea of a character's width."""
        top = self.row + 1  # 0-based: leaves one blank row after the current one
        chart.anchor = TwoCellAnchor(
            _from=AnchorMarker(col=first_column - 1, colOff=indent, row=top),
            to=AnchorMarker(col=last_column, row=top + rows))
        self.ws.add_chart(chart)


def _chart_rows(categories: int) -> int:
    return max(14, min(24, 8 + categories))


def _series(chart, ws, top: int, last: int, keys: tuple[str, ...], categories_column: int) -> None:
    for key in keys:
        column = FIRST_FIGURE_COLUMN + TABLE_FIGURES.index(key)
        chart.add_data(Reference(ws, min_col=column, min_row=top, max_row=last),
                       titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=categories_column, min_row=top + 1, max_row=last))


def _bar(title: str, ws, top: int, last: int, keys: tuple[str, ...] = ("received",)):
    """Columns per unit for several figures; for one figure, horizontal bars in table order."""
    chart = BarChart()
    chart.title = title
    chart.grouping = "clustered"
    chart.x_axis.delete = chart.y_axis.delete = False  # openpyxl hides axes by default
    chart.y_axis.numFmt = "0"
    chart.y_axis.majorUnit = 1 if _largest(ws, top, last, keys) <= 10 else None
    _series(chart, ws, top, last, keys, 2)
    if len(keys) == 1:
        chart.type = "bar"
        chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
        chart.y_axis.crosses = "max"  # and the values' axis at the bottom all the same
        chart.legend = None
    else:
        chart.type = "col"
        chart.legend.position = "b"
    return chart


def _largest(ws, top: int, last: int, keys: tuple[str, ...]) -> float:
    values = [ws.cell(r, FIRST_FIGURE_COLUMN + TABLE_FIGURES.index(k)).value
              for r in range(top + 1, last + 1) for k in keys]
    return max([0, *(v for v in values if isinstance(v, (int, float)))])


def _pie(title: str, ws, top: int, last: int):
    chart = PieChart()
    chart.title = title
    _series(chart, ws, top, last, ("received",), 2)
    labels = chart.dataLabels = DataLabelList()
    labels.showCatName = labels.showPercent = True
    labels.showVal = labels.showSerName = labels.showLegendKey = False
    chart.legend = None  # the labels name the categories
    return chart


def _line(title: str, ws, top: int, last: int):
    chart = LineChart()
    chart.title = title
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.y_axis.numFmt = "0"
    _series(chart, ws, top, last, ("received", "closed", "overdue"), 1)
    for series in chart.series:
        series.smooth = False  # a curve would invent values between the months
        series.marker.symbol = "circle"
    chart.legend.position = "b"
    return chart


def _change(current: dict, previous: dict) -> dict:
    return {key: current[key] - previous[key] for key in TABLE_FIGURES}


def _totals_section(sheet: _Sheet, stats: PeriodStats) -> None:
    sheet.banner("一、总体情况", SECTION_FONT, 22)
    sheet.header("期间", None, "受理")
    previous = stats.period.previous
    sheet.line(f"{stats.period.label}（本期）", None, stats.totals, fill=CURRENT_FILL)
    sheet.line(f"{previous.label}（上期）", None, stats.previous)
    formats = {key: CHANGE_PERCENT if key in RATE_FIGURES else CHANGE_COUNT
               for key in TABLE_FIGURES}
    sheet.line("增减（率为百分点）", None, _change(stats.totals, stats.previous), formats=formats)
    unassigned = int(stats.totals["unassigned"])
    text = (f"本期受理{int(stats.totals['received'])}件，已交办{int(stats.totals['referred'])}件"
            + (f"，待分派{unassigned}件" if unassigned else "") + "。")
    sheet.banner(text, NOTE_FONT)


def _units_section(sheet: _Sheet, stats: PeriodStats) -> None:
    sheet.skip()
    sheet.banner("二、各承办单位办理情况（按按时办结率排名）", SECTION_FONT, 22)
    if not stats.by_unit:
        sheet.banner("本期没有交办案件。", CELL_FONT)
        return
    top, last = sheet.table("排名", "承办单位", "交办", stats.by_unit)
    sheet.banner(NOTE, NOTE_FONT, ROW_HEIGHT * 1.6)
    rows = _chart_rows(last - top)
    sheet.chart(_bar("各承办单位交办、按时办结和超期件数", sheet.ws, top, last,
                     ("received", "on_time", "overdue")), 1, LAST_COLUMN, rows)
    sheet.skip(rows + 1)


# The left chart of a pair covers A..F, the right one G..M, 3 mm in: about half each.
HALVES = ((1, 6, 0), (7, LAST_COLUMN, 108000))


def _pair_section(sheet: _Sheet, heading: str, left: tuple, right: tuple) -> None:
    """Two tables one under the other, and their two charts side by side below."""
    sheet.skip()
    sheet.page_break()
    sheet.banner(heading, SECTION_FONT, 22)
    spans = []
    for label, table, _ in (left, right):
        spans.append(sheet.table("序号", label, "受理", table, numbered=True))
        sheet.skip()
    rows = _chart_rows(max(last - top for top, last in spans))
    for (label, _, make), (top, last), (first, end, indent) in zip((left, right), spans, HALVES):
        if last > top:
            sheet.chart(make(f"按{label}受理件数", sheet.ws, top, last), first, end, rows, indent)
    sheet.skip(rows + 1)


def _monthly_section(sheet: _Sheet, stats: PeriodStats) -> None:
    sheet.skip()
    sheet.page_break()
    year = stats.period.start.year
    sheet.banner(f"五、{year}年逐月情况", SECTION_FONT, 22)
    top = sheet.header("月份", None, "受理")
    for month, values in stats.monthly.items():
        begun = not math.isnan(values["received"])
        sheet.line(f"{month}月", None, values, blank_missing=not begun)
    last = sheet.row
    sheet.banner("尚未到来的月份留空。", NOTE_FONT)
    rows = 16
    sheet.chart(_line(f"{year}年逐月受理、办结和超期件数", sheet.ws, top, last),
                1, LAST_COLUMN, rows)
    sheet.skip(rows + 1)


def _page_setup(ws, last_row: int) -> None:
    ws.print_area = f"A1:{column_letter(LAST_COLUMN)}{last_row}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.sheet_view.showGridLines = False


def build_stats_sheet(ws, stats: PeriodStats, note: str) -> None:
    """Make the empty worksheet `ws` the 统计 sheet of `stats`: tables and charts. `note`
    follows the as-of time under the title."""
    ws.title = SHEET  # first: charts name their data by the sheet's title at creation
    ws.column_dimensions["A"].width = WIDTHS["A"]
    ws.column_dimensions["B"].width = WIDTHS["B"]
    for column in range(FIRST_FIGURE_COLUMN, LAST_COLUMN + 1):
        ws.column_dimensions[column_letter(column)].width = FIGURE_WIDTH
    ws.sheet_format.defaultRowHeight = ROW_HEIGHT
    ws.sheet_format.customHeight = True
    sheet = _Sheet(ws)
    sheet.banner(f"安全生产举报受理处置统计（{stats.period.label}）", TITLE_FONT, 30)
    sheet.banner(f"数据截至{as_of(stats.now)}，按受理时间统计。{note}", SUBTITLE_FONT)
    _totals_section(sheet, stats)
    _units_section(sheet, stats)
    _pair_section(sheet, "三、按类别和来源",
                  ("类别", stats.by_category, _pie), ("来源", stats.by_source, _bar))
    _pair_section(sheet, "四、按行业领域和所属镇街",
                  ("行业领域", stats.by_industry, _bar), ("所属镇街", stats.by_area, _bar))
    _monthly_section(sheet, stats)
    _page_setup(ws, sheet.row)


def _save(wb: Workbook, when: datetime) -> bytes:
    """The workbook's bytes, with `when` as its timestamps (same input, same bytes)."""
    wb.properties.creator = wb.properties.lastModifiedBy = "tipdesk"
    wb.properties.created = wb.properties.modified = when
    buffer = io.BytesIO()
    # ExcelWriter directly: save_workbook() would stamp "modified" with the wall clock.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def stats_workbook(stats: PeriodStats) -> bytes:
    """A workbook holding only the 统计 sheet (.xlsx bytes): the donor for the register."""
    wb = Workbook()
    build_stats_sheet(wb.active, stats, REGISTER_NOTE)
    return _save(wb, stats.now)


# --- the annex: the same sheet, plus the cases behind the figures ---------------------------

LIST_COLUMNS = {"承办单位": 22, "案件编号": 15, "被举报单位": 34, "类别": 7, "办理期限": 25,
                "办结情况": 34}


def day_text(when: datetime, year: int | None = None, with_time: bool = False) -> str:
    """2026年10月19日, or 10月19日 when `year` is the year already (in a table of one period)."""
    text = chinese_date(when, with_time=with_time)
    return text.removeprefix(f"{year}年") if year == when.year else text


def deadline_text(deadline: datetime | None, year: int | None = None) -> str:
    """10月16日 for an end-of-day deadline, 10月21日15时30分 for an hourly one."""
    if deadline is None:
        return ""
    return day_text(deadline, year, with_time=deadline.time() != END_OF_DAY)


def late_text(case: CaseRef, year: int | None = None) -> str:
    """办结情况 of an overdue case: 10月19日办结，超期2天 / 未办结，已超期11天."""
    late = case.late_by
    span = f"{late.days}天" if late.days >= 1 else f"{max(1, late.seconds // 3600)}小时"
    if case.answered is not None:
        return f"{day_text(case.answered, year)}办结，超期{span}"
    return f"未办结，已超期{span}"


def _list_sheet(wb: Workbook, title: str, heading: str, rows: list[list], columns: dict) -> None:
    ws = wb.create_sheet(title)
    for n, (name, width) in enumerate(columns.items(), start=1):
        ws.column_dimensions[column_letter(n)].width = width
    styles = _Styles()
    styles.apply(put(ws.cell(1, 1), heading), SECTION_FONT)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    ws.row_dimensions[1].height = 24
    for n, name in enumerate(columns, start=1):
        styles.apply(put(ws.cell(2, n), name), HEADER_FONT, BORDER, CENTER, HEADER_FILL)
    for r, values in enumerate(rows or [["无"] + [None] * (len(columns) - 1)], start=3):
        for n, value in enumerate(values, start=1):
            styles.apply(put(ws.cell(r, n), value), CELL_FONT, BORDER, CENTER if isinstance(value, int) else LEFT)
    ws.print_title_rows = "2:2"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = "A3"


def _case_row(case: CaseRef, status: str) -> list:
    return [case.unit, case.case_id, case.subject, case.category, deadline_text(case.deadline),
            status]


def _repeat_rows(repeats: list[Repeat], kind: str) -> list[list]:
    return [[kind, r.text, r.count, r.earlier, "、".join(r.case_ids)] for r in repeats]


def annex_workbook(stats: PeriodStats) -> bytes:
    """The bulletin's annex (.xlsx bytes): the 统计 sheet and the case lists behind it."""
    wb = Workbook()
    build_stats_sheet(wb.active, stats, "")
    late = [_case_row(c, late_text(c)) for c in stats.overdue]
    late += [_case_row(c, late_text(c) + "（往期）") for c in stats.carried_overdue]
    _list_sheet(wb, "超期案件", f"超期案件（{stats.period.label}及往期未办结）", late, LIST_COLUMNS)
    waiting = [_case_row(c, f"{day_text(c.answered)}办结") for c in stats.awaiting_reply]
    _list_sheet(wb, "待回复举报人", f"已办结但尚未回复举报人的案件（{stats.period.label}）",
                waiting, LIST_COLUMNS)
    repeats = _repeat_rows(stats.repeated_subjects, "被举报单位") + \
        _repeat_rows(stats.repeated_addresses, "事发地址")
    _list_sheet(wb, "重复举报", f"重复举报（{stats.period.label}）", repeats,
                {"类型": 12, "被举报单位或地址": 34, "本期件数": 10, "此前件数": 10, "本期案件编号": 40})
    return _save(wb, stats.now)


# --- the daily run's view ------------------------------------------------------------------

def register_edits(donor: bytes | Callable[[], bytes]) -> list[PackageEdit]:
    """What the daily run adds to the register for managers: the 统计 sheet `donor`
    (stats_donor's, or a function giving it when the register is written) and the red /
    amber / grey rules on 台账."""
    return [graft_sheet(donor, SHEET), conditional_formats()]


def stats_donor(rows: list[dict], now: datetime, requests: Mapping[str, Collection[str]] | None = None) -> bytes:
    """The 统计 sheet register_edits grafts, as a workbook of its own (.xlsx bytes): all of
    its work, and pure (the daily run has it made aside while the gate is built).

    The sheet covers the year so far against the same span of last year: the units' ranking
    over the year is what the notice's 考核 looks at, and unlike the current month it is
    never empty in the first days of a month. The bulletin covers single months."""
    period = period_of(now, "year").upto(now)
    # Earlier years count for nothing here; on a register of many years they are most rows.
    stats = period_stats(cases_since(rows, period.previous.start), period, now, requests)
    return stats_workbook(stats)

