"""Readers of the files that come back into the inbox, one module per kind.

Each reader module has KIND (its Chinese name), `identify(book, context) -> bool`, which is
cheap and never raises, and `extract(book, context) -> list`, which raises TipdeskError naming
the sheet and cell to fix (common.py says more). They only read: applying what they return to
the register is rules.apply's job. May import domain, xlsx and config; nothing above.
"""

from __future__ import annotations

from types import ModuleType

from tipdesk.domain.errors import TipdeskError
from tipdesk.intake.forms import feedback, forwarded, liaison
from tipdesk.intake.forms.common import ReadContext
from tipdesk.xlsx.sheetfile import Workbook

IMPORTERS: tuple[ModuleType, ...] = (feedback, liaison, forwarded)


def claims(book: Workbook, context: ReadContext | None = None) -> list[ModuleType]:
    """Every reader that says the file is of its kind."""
    return [module for module in IMPORTERS if module.identify(book, context)]


def classify(book: Workbook, context: ReadContext | None = None) -> ModuleType:
    """The one reader that claims the file; TipdeskError when none or several do."""
    claimed = claims(book, context)
    if not claimed:
        raise TipdeskError(
            f"{book.path.name}：无法识别这是什么表格（不是反馈表、联络单，也不是上级转件清单）。"
            "请使用下发的反馈表或联络单模板填写后重新发送。")
    if len(claimed) > 1:
        kinds = "和".join(module.KIND for module in claimed)
        raise TipdeskError(
            f"{book.path.name}：同时像{kinds}，无法确定按哪一种处理。"
            "请把不同的表格分成单独的文件，分别重新发送。")
    return claimed[0]
