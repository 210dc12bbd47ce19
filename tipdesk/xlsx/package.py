"""The .xlsx package itself: namespaces, cell references, and where a sheet's part lives.

One place answers "which part holds sheet X, which part holds the styles": the register's
patcher (patch.py) and the sheet grafter (graft.py) both ask here, on a zip or on a dict of
parts alike, through a `read(part_name) -> bytes` function.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Callable

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
STYLES_REL = f"{REL_NS}/styles"


def column_letter(index: int) -> str:
    """1 -> "A", 26 -> "Z", 27 -> "AA": Excel's column name of a 1-based column."""
    if index < 1:
        raise ValueError(f"column {index} is before A")
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """"A" -> 1, "AA" -> 27: the 1-based column of an Excel column name."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - 64
    return index


def cell_ref(row: int, column: int) -> str:
    """(1, 1) -> "A1": the reference of a 1-based row and column."""
    return f"{column_letter(column)}{row}"


def rels_name(part: str) -> str:
    """xl/workbook.xml -> xl/_rels/workbook.xml.rels: where a part's relationships are."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """The part a relationship of `source` points at (targets are relative or start with /)."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


@dataclass(frozen=True)
class WorkbookParts:
    """Sheet name -> its part, in workbook order; the styles part; the 1904 date system."""

    sheets: dict[str, str]
    styles: str | None
    date1904: bool


def workbook_parts(read: Callable[[str], bytes]) -> WorkbookParts:
    """Read xl/workbook.xml and its relationships through `read` (zip.read, parts.__getitem__)."""
    from lxml import etree  # here: cell_ref and column_letter serve runs that open no package

    workbook = etree.fromstring(read(WORKBOOK))
    rels = etree.fromstring(read(WORKBOOK_RELS))
    targets, styles = {}, None
    for rel in rels.iter(f"{{{PKG_REL_NS}}}Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        part = resolve(WORKBOOK, rel.get("Target", ""))
        targets[rel.get("Id")] = part
        if rel.get("Type", "") == STYLES_REL:
            styles = part
    sheets = {}
    for sheet in workbook.iter(f"{{{MAIN_NS}}}sheet"):
        part = targets.get(sheet.get(f"{{{REL_NS}}}id"))
        if part is not None:
            sheets[sheet.get("name")] = part
    pr = workbook.find(f"{{{MAIN_NS}}}workbookPr")
    date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
    return WorkbookParts(sheets, styles, date1904)
