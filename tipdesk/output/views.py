"""The register's views that follow config: the drop-down lists of 承办单位, 所属镇街 and
行业领域 (a hidden sheet grafted in, and the 台账 drop-downs reading it) and the print setup.

`init` puts them into a new register; `daily` refreshes them on its first run of a day and
whenever config's units or industries change (`views_signature`), never by rewriting the
register: they are package edits (xlsx/views.py, xlsx/graft.py).
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import TYPE_CHECKING

from tipdesk.config import Config
from tipdesk.domain.columns import AREA, INDUSTRY, UNIT
from tipdesk.xlsx.text import put

# The grafting helpers (xlsx/graft.py, xlsx/views.py) bring lxml: they are imported where
# the views are built, so a run that only asks for views_signature (most runs) loads none.
if TYPE_CHECKING:
    from tipdesk.xlsx.patch import PackageEdit

# Bumped when what view_edits writes changes, so every register gets the new version once.
VIEWS_VERSION = 1


def choices(config: Config) -> dict[str, list[str]]:
    """The drop-down choices, by 台账 column: every unit, the units that are towns or
    subdistricts (those with `areas`), every industry."""
    return {UNIT: [u.name for u in config.units],
            AREA: [u.name for u in config.units if u.areas],
            INDUSTRY: list(config.industries)}


def views_signature(config: Config) -> str:
    data = json.dumps([VIEWS_VERSION, choices(config)], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def lists_workbook(lists: dict[str, list[str]]) -> bytes:
    """A small workbook holding LISTS_SHEET (hidden): one column per list, its title in row 1."""
    from openpyxl import Workbook  # only on a run that rebuilds the views
    from openpyxl.styles import Font

    from tipdesk.xlsx.views import LISTS_SHEET

    wb = Workbook()
    wb.active.title = "说明"
    ws = wb.create_sheet(LISTS_SHEET)
    for column, (name, values) in enumerate(lists.items(), start=1):
        ws.cell(1, column, name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            put(ws.cell(row, column), value)
        ws.column_dimensions[ws.cell(1, column).column_letter].width = 24
    ws.cell(1, len(lists) + 2, "本表由 tipdesk 按 config.yaml 生成，供台账下拉列表使用，请勿修改。")
    ws.sheet_state = "veryHidden"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def view_edits(config: Config) -> list[PackageEdit]:
    from tipdesk.xlsx.graft import graft_sheet
    from tipdesk.xlsx.views import LISTS_SHEET, list_validations, print_setup

    lists = choices(config)
    return [graft_sheet(lists_workbook(lists), LISTS_SHEET),
            list_validations({name: len(values) for name, values in lists.items()}),
            print_setup()]
