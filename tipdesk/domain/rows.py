"""The register as data: rows, sheets and the cell changes a run plans (no file access).

Read by store.register, planned on by rules, written back by store.register again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from tipdesk.domain.columns import REGISTER_SHEET


class Row:
    """One case row: its sheet row number and its values by header (cleaned when first asked)."""

    __slots__ = ("number", "_raw", "_columns", "_values", "identities")

    def __init__(self, number: int, raw: list[Any], columns: dict[str, int]):
        self.number, self._raw, self._columns, self._values = number, raw, columns, None
        # What domain.identities.row_identities found in the cells, once worked out (or as
        # the cache kept it with them): a row's cells never change once read.
        self.identities: Any = None

    def same_cells(self, other: "Row") -> bool:
        """Both rows were made from one list of cells (a row the last write left as it was)."""
        return self._raw is other._raw

    def get(self, column: str) -> Any:
        """One value without building the whole row; most rows (closed cases) need only a few."""
        values = self._values
        if values is not None:
            return values.get(column)
        index, raw = self._columns[column] - 1, self._raw
        return clean_cell(raw[index]) if index < len(raw) else None

    def raw(self, column: str) -> Any:
        """The value as calamine read it ('' for empty, float-noisy date-times): for fast checks."""
        index = self._columns[column] - 1
        return self._raw[index] if index < len(self._raw) else ""

    def raw_cells(self, columns: tuple[str, ...]) -> list[Any]:
        """Several raw values at once (see raw): what a pass over every row reads."""
        raw, width, at = self._raw, len(self._raw), self._columns
        return [raw[at[c] - 1] if at[c] <= width else "" for c in columns]

    @property
    def values(self) -> dict[str, Any]:
        if self._values is None:
            raw, width = self._raw, len(self._raw)
            values = {}
            for name, col in self._columns.items():
                value = raw[col - 1] if col <= width else None
                # Only dates need more than '' -> None (a whole register is built for statistics).
                values[name] = None if value == "" else clean_cell(value) if isinstance(value, date) else value
            self._values = values
        return self._values

    def __repr__(self) -> str:
        return f"Row({self.number}, {self.values!r})"


@dataclass
class SheetData:
    columns: dict[str, int]          # header -> 1-based column
    grid: list[list[Any]]            # the sheet as calamine read it


@dataclass
class Register:
    path: Path
    columns: dict[str, int]          # header -> 1-based column
    rows: list[Row]                  # rows with any content, in sheet order
    grid: list[list[Any]]            # the whole sheet as calamine read it, for verification
    digest: str                      # sha256 of the file as read, to notice a save in between
    sheet_names: list[str] = field(default_factory=list)
    sheets: dict[str, SheetData] = field(default_factory=dict)   # 台账 and, if present, 联络人
    added_columns: list[str] = field(default_factory=list)  # contract columns the file lacks (headers to write)
    notes: list[str] = field(default_factory=list)  # what the clerk should know about the file (far cells)
    from_cache: bool = False  # read from the cache (store/cache.py), not from the workbook

    @property
    def last_row(self) -> int:
        return len(self.grid)

    @property
    def last_data_row(self) -> int:
        """The sheet row of the last case row (1, the header, when there is none)."""
        return self.rows[-1].number if self.rows else 1

    def raw_column(self, column: str) -> list[Any]:
        """Every case row's raw value of `column` (see Row.raw), in order: for a pass over a
        large register that asks one column, without a call per row."""
        i = self.columns[column] - 1
        return [raw[i] if i < len(raw) else "" for raw in [row._raw for row in self.rows]]


@dataclass(frozen=True)
class CellChange:
    """One cell tipdesk changes: which case and column, the old and new value, and why."""

    row: int
    case_id: str
    column: str
    old: Any
    new: Any
    why: str
    sheet: str = REGISTER_SHEET


def clean_cell(value: Any) -> Any:
    """Calamine's '' means empty; a date is a date-time at midnight (one type for dates)."""
    if value.__class__ is str:  # most cells, asked for millions of times on a large register
        return value or None
    if isinstance(value, datetime):
        if value.microsecond:
            # Excel stores times as fractions of a day; round off the float noise.
            return (value.replace(microsecond=0) if value.microsecond < 500000
                    else value.replace(microsecond=0) + timedelta(seconds=1))
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    return value


def header_key(value: Any) -> str:
    """A header cell as the contract names it: spaces (also full-width) removed."""
    return "".join(str(value or "").split())


def header_columns(header: list[Any]) -> dict[str, int]:
    """Header text -> 1-based column, first occurrence wins."""
    columns: dict[str, int] = {}
    for index, value in enumerate(header, start=1):
        key = header_key(clean_cell(value))
        if key and key not in columns:
            columns[key] = index
    return columns
