"""Text in the cells we write stays text, and fits in a cell.

A unit's answer, a forwarded list or the clerk's register can hold text that Excel would
take for something else: "=HYPERLINK(…)" or "=1+1" becomes a live formula, "#N/A" an error
value. openpyxl does both when given such a string; `put` stores every string as a string
(the XML's string type: Excel shows it, never evaluates it — also for "+", "-" and "@"),
drops the control characters a cell cannot hold (a line break pasted from Word arrives as
\\x0b) and cuts text at Excel's limit of 32,767 characters, saying so at the cut.
"""

from __future__ import annotations

import re
from typing import Any

EXCEL_TEXT_LIMIT = 32767
CUT_NOTE = "〔以下超出 Excel 单元格 32767 字的上限，已截去；全文见原件〕"
# XML 1.0 allows tab, line feed and carriage return among the control characters, no others.
ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def excel_text(text: str) -> str:
    """`text` as a cell can hold it: no illegal characters, at most EXCEL_TEXT_LIMIT long."""
    text = ILLEGAL_XML.sub("", text)
    if len(text) <= EXCEL_TEXT_LIMIT:
        return text
    return text[:EXCEL_TEXT_LIMIT - len(CUT_NOTE)] + CUT_NOTE


def put(cell, value: Any):
    """Set an openpyxl cell; a string is stored as text whatever it starts with, "" as an
    empty cell. Returns the cell."""
    if value == "":
        value = None
    if isinstance(value, str):
        cell.value = excel_text(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell
