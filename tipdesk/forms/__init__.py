"""Readers of the files that come back into the inbox, one module per kind.

Each module has KIND (its Chinese name), identify(book) -> bool, which is cheap and never
raises, and extract(book, ...) -> list, which raises TipdeskError naming the sheet and cell
to fix. They only read: applying what they return to the register is done elsewhere.
"""

from __future__ import annotations

from types import ModuleType

from tipdesk.errors import TipdeskError
from tipdesk.forms import feedback, forwarded, liaison
from tipdesk.sheetfile import Workbook

IMPORTERS: tuple[ModuleType, ...] = (feedback, liaison, forwarded)


def classify(book: Workbook, mapping: dict[str, list[str]] = forwarded.DEFAULT_MAPPING) -> ModuleType:
    """The one importer that claims the file; `mapping` is the forwarded-case header mapping."""
    claims = [
        module for module in IMPORTERS
        if (module.identify(book, mapping) if module is forwarded else module.identify(book))
    ]
    if not claims:
        raise TipdeskError(
            f"{book.path.name}：无法识别这是什么表格（不是反馈表、联络单，也不是上级转件清单）。"
            "请使用下发的反馈表或联络单模板填写后重新发送。")
    if len(claims) > 1:
        kinds = "和".join(module.KIND for module in claims)
        raise TipdeskError(
            f"{book.path.name}：同时像{kinds}，无法确定按哪一种处理。"
            "请把不同的表格分成单独的文件，分别重新发送。")
    return claims[0]
