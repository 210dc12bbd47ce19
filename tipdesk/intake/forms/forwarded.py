"""Cases forwarded by the national, provincial and city centres (上级转件).

They arrive as spreadsheet exports of the upstream systems: a few title rows, a header row,
then one case a row. Each system names its columns its own way, so a mapping from register
column to the header names in use decides which column is which (DEFAULT_MAPPING below; the
workspace config may replace it). The clerk drops these files into the inbox, so messages
speak to the clerk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Mapping, Sequence

from tipdesk.domain import columns as col
from tipdesk.domain.errors import TipdeskError
from tipdesk.intake.forms.common import ReadContext, at_cell, label_key, prose
from tipdesk.xlsx.sheetfile import Grid, Workbook
from tipdesk.domain.textnorm import normalize_text, parse_when
from tipdesk.domain.arrivals import ForwardedCase

KIND = "上级转件"

DEFAULT_MAPPING: dict[str, list[str]] = {
    col.UPSTREAM_NO: ["上级编号", "转办编号", "工单编号", "工单号", "举报编号", "信件编号", "编号"],
    col.RECEIVED_AT: ["受理时间", "登记时间", "来电时间", "举报时间", "受理日期"],
    col.SOURCE: ["来源", "来源渠道", "信息来源", "转办单位"],
    col.UPSTREAM_DEADLINE: ["上级期限", "办理时限", "要求办结时间", "反馈期限", "办结时限", "截止时间"],
    # 12345 platforms call the reporter 来电人 / 诉求人 / 投诉人: every such column must land in
    # 举报人 / 联系方式, or the name would ride along in another column into letters.
    col.REPORTER: ["举报人", "举报人姓名", "来电人", "来电人姓名", "反映人", "反映人姓名", "诉求人", "诉求人姓名",
                   "投诉人", "投诉人姓名", "姓名"],
    col.REPORTER_CONTACT: ["联系方式", "举报人电话", "举报人联系方式", "来电号码", "来电人电话", "来电人联系方式",
                           "诉求人电话", "投诉人电话", "反映人电话", "联系电话", "手机号码", "手机"],
    col.SUBJECT: ["被举报单位", "被举报对象", "涉事单位", "被投诉单位"],
    col.ADDRESS: ["事发地址", "事发地点", "详细地址", "地址"],
    col.AREA: ["所属镇街", "所属街道", "镇街"],
    col.CONTENT: ["举报内容", "问题描述", "诉求内容", "反映内容", "来电内容"],
    col.CATEGORY: ["类别", "举报类别", "紧急程度"],
    col.INDUSTRY: ["行业领域", "所属行业", "行业"],
}

# Exports put a title and the export time above the header, rarely more.
HEADER_SEARCH_ROWS = 10
# Codes and short words compared as such; all other text is kept as prose.
_CODE_COLUMNS = (col.UPSTREAM_NO, col.REPORTER_CONTACT, col.SOURCE, col.CATEGORY, col.INDUSTRY, col.AREA)
# Words in the source text or file name that tell which centre sent the case; 国家 first,
# because "国家" texts may name a province too.
_SOURCE_WORDS = (("国家", "国家转办"), ("省", "省转办"), ("市", "市转办"))
DEFAULT_SOURCE = "市转办"
_FIX = "请在原表中改正后重新放入收件箱。"


@dataclass
class _Header:
    columns: dict[str, int]  # register column -> sheet column
    names: dict[str, str]  # register column -> the header as the export spells it
    data_start: int


def _match_columns(keys: list[str], mapping: dict[str, list[str]]) -> dict[str, int]:
    """Register column -> sheet column; a mapping's earlier names win, no column used twice."""
    columns: dict[str, int] = {}
    for register_column, names in mapping.items():
        for name in names:
            wanted = label_key(name)
            taken = columns.values()
            found = next((c for c, key in enumerate(keys) if key == wanted and c not in taken), None)
            if found is not None:
                columns[register_column] = found
                break
    return columns


def _header(grid: Grid, mapping: dict[str, list[str]]) -> _Header | None:
    for row in range(min(grid.n_rows, HEADER_SEARCH_ROWS)):
        columns = _match_columns(_keys(grid, row), mapping)
        if col.UPSTREAM_NO in columns and col.CONTENT in columns and len(columns) >= 3:
            return _complete_header(grid, row, columns, mapping)
    return None


def _keys(grid: Grid, row: int) -> list[str]:
    return [label_key(grid.cell(row, c)) for c in range(grid.n_cols)]


def _complete_header(grid: Grid, row: int, columns: dict[str, int],
                     mapping: dict[str, list[str]]) -> _Header:
    """The header including its lower rows: exports merge most headers over two rows and
    group some columns under a title ("举报人信息" over 举报人 | 联系方式)."""
    last_row = max([row] + [merge.last_row for c in columns.values()
                            if (merge := grid.merge_at(row, c)) is not None])
    names = {name: normalize_text(grid.cell(row, c)) for name, c in columns.items()}
    for sub_row in range(row + 1, last_row + 1):
        for name, c in _match_columns(_keys(grid, sub_row), mapping).items():
            if name not in columns and c not in columns.values():
                columns[name] = c
                names[name] = normalize_text(grid.cell(sub_row, c))
    return _Header(columns, names, last_row + 1)


def columns_of(context: ReadContext | None) -> Mapping[str, Sequence[str]]:
    """The header names to look for: config's `forwarded.columns` for the columns it names,
    the built-in names for the rest."""
    if context is None or not context.forwarded_columns:
        return DEFAULT_MAPPING
    return {**DEFAULT_MAPPING, **{column: list(names) for column, names in context.forwarded_columns.items()}}


def identify(book: Workbook, context: ReadContext | None = None) -> bool:
    """True when a sheet has a header row naming at least 上级编号, 举报内容 and one more
    mapped column."""
    mapping = columns_of(context)
    return any(_header(grid, mapping) is not None for grid in book.sheets.values())


def extract(book: Workbook, context: ReadContext) -> list[ForwardedCase]:
    """Every case of the export, or TipdeskError naming the row and cell to fix.

    `context.today` is the day the file came in; it decides the year of a date typed without one."""
    mapping, today = columns_of(context), context.today
    sheets = [(grid, header) for grid in book.sheets.values()
              if (header := _header(grid, mapping)) is not None]
    if not sheets:
        names = "、".join(mapping.get(col.UPSTREAM_NO, [])[:2] + mapping.get(col.CONTENT, [])[:2])
        raise TipdeskError(
            f"{book.path.name}：前{HEADER_SEARCH_ROWS}行里找不到上级转件清单的表头（需要有{names}等列）。"
            "请从上级系统重新导出，或在配置中补充列名。")
    cases: list[ForwardedCase] = []
    seen: dict[str, tuple[str, int]] = {}  # upstream number -> (sheet, row) of its first row
    for grid, header in sheets:
        for row in range(header.data_start, grid.n_rows):
            if not any(normalize_text(grid.cell(row, c)) for c in header.columns.values()):
                continue
            case = _case(book, grid, header, row, today)
            _check_unique(book, grid, header, case, seen)
            cases.append(case)
    return cases


def _case(book: Workbook, grid: Grid, header: _Header, row: int, today: date) -> ForwardedCase:
    values: dict[str, Any] = {}
    for register_column, column in header.columns.items():
        value = _value(book, grid, header, row, register_column, today)
        if value not in ("", None):
            values[register_column] = value
    for required in (col.UPSTREAM_NO, col.CONTENT):
        if required not in values:
            raise _error(book, grid, header, row, required,
                         f"第{row + 1}行有内容但没有{header.names[required]}。"
                         "请在原表中补上，或删除这一行，然后重新放入收件箱。")
    values[col.SOURCE] = _source(values.get(col.SOURCE, ""), book.path)
    return ForwardedCase(file=book.path, sheet=grid.name, row=row + 1, values=values)


def _value(book: Workbook, grid: Grid, header: _Header, row: int, register_column: str, today: date) -> Any:
    raw = grid.cell(row, header.columns[register_column])
    if register_column in col.DATE_COLUMNS:
        try:
            when = parse_when(raw, today=today)
        except ValueError as exc:
            raise _error(book, grid, header, row, register_column, f"{exc}；{_FIX}") from None
        return when.at if when else None
    if register_column == col.CATEGORY:
        return _category(book, grid, header, row, raw)
    if register_column in _CODE_COLUMNS:
        return normalize_text(raw)
    return prose(raw)


def _category(book: Workbook, grid: Grid, header: _Header, row: int, raw: Any) -> str:
    text = normalize_text(raw)
    category = text.replace(" ", "").removesuffix("类")
    if text and category not in col.CATEGORIES:
        raise _error(book, grid, header, row, col.CATEGORY,
                     f"“{text}”不是{'/'.join(col.CATEGORIES)}之一。请改为其中之一或清空，"
                     "然后重新放入收件箱。")
    return category


def _source(text: str, path: Path) -> str:
    """来源 as the register knows it: the file's own word when it is one, else the centre
    named in the source text or the file name, else the city centre, which forwards most."""
    if text in col.SOURCES:
        return text
    for hint in (text, path.stem):
        for word, source in _SOURCE_WORDS:
            if word in hint:
                return source
    return DEFAULT_SOURCE


def _check_unique(book: Workbook, grid: Grid, header: _Header, case: ForwardedCase,
                  seen: dict[str, tuple[str, int]]) -> None:
    number = case.values[col.UPSTREAM_NO]
    if number in seen:
        sheet, first_row = seen[number]
        where = f"第{first_row}行" if sheet == grid.name else f"工作表“{sheet}”第{first_row}行"
        raise _error(book, grid, header, case.row - 1, col.UPSTREAM_NO,
                     f"编号 {number} 在{where}已经出现过，同一件不能导入两次。"
                     "请删除重复的行后重新放入收件箱。")
    seen[number] = (grid.name, case.row)


def _error(book: Workbook, grid: Grid, header: _Header, row: int, register_column: str,
           text: str) -> TipdeskError:
    column, name = header.columns[register_column], header.names[register_column]
    return TipdeskError(f"{at_cell(book, grid, row, column, name)}：{text}")
