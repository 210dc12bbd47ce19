"""How 台账 reads and prints: drop-down lists from config, long text wrapped, a print setup.

Like graft.py's edits these are `patch.PackageEdit`s on the register package, so a register
of 50,000 cases is never loaded whole and its rows stay byte for byte:

- `list_validations`: drop-downs on columns (承办单位, 所属镇街, 行业领域) whose choices live in
  the hidden sheet 下拉选项 that the daily run grafts in from config, so they follow config.
  Our rules are known by their formula (they point into 下拉选项) and replaced each time; a
  column where the clerk has a validation of their own is left to it. A value not in the list
  is warned about, not refused: daily turns a short name (住建局) into the full one.
- `print_setup`: landscape A4, one page wide, the header row on every page, gridlines and page
  numbers, set once: a sheet whose printing the clerk has set up is left alone.
"""

from __future__ import annotations

import re
from typing import Iterable

from lxml import etree

from tipdesk.domain.columns import REGISTER_SHEET
from tipdesk.xlsx.graft import _AFTER_CF, _bytes, _header, _xml, rewrite_tail, sheet_pieces
from tipdesk.xlsx.package import MAIN_NS, WORKBOOK, column_index, column_letter
from tipdesk.xlsx.patch import PackageEdit, keeps_rows

LISTS_SHEET = "下拉选项"
LAST_ROW = 1048576
_M = f"{{{MAIN_NS}}}"
# CT_Worksheet's children from printOptions on, in schema order.
_PRINT_ORDER = ("printOptions", "pageMargins", "pageSetup", "headerFooter", "rowBreaks", "colBreaks",
                "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
                "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls",
                "webPublishItems", "tableParts", "extLst")
FOOTER = "&C第 &P 页，共 &N 页"
_OUR_FORMULA = re.compile(r"^'?" + re.escape(LISTS_SHEET) + r"'?!")


def _place(root: etree._Element, element: etree._Element, followers: Iterable[str]) -> None:
    """Put `element` before the first of `followers` under root (schema order), else last."""
    followers = tuple(followers)
    follower = next((el for el in root if etree.QName(el).localname in followers), None)
    if follower is not None:
        follower.addprevious(element)
    else:
        root.append(element)


def _columns_of(sqref: str) -> set[int]:
    """The columns a validation's cells touch (rows are not needed: ours cover whole columns)."""
    found = set()
    for ref in sqref.split():
        letters = re.findall(r"[A-Z]+", ref.replace("$", ""))
        if letters:
            first, last = column_index(letters[0]), column_index(letters[-1])
            found.update(range(first, last + 1))
    return found


def list_validations(lists: dict[str, int], sheet_name: str = REGISTER_SHEET) -> PackageEdit:
    """Drop-downs on the columns named in `lists` (header -> how many choices), each reading
    its choices from column A, B, C … of LISTS_SHEET in the order given (row 1 is a title)."""

    def edit(parts: dict[str, bytes]) -> None:
        part, start_tag, head, tail = sheet_pieces(parts, sheet_name)
        header = _header(parts, head, start_tag)
        root = _xml(start_tag + tail)
        block = root.find(f"{_M}dataValidations")
        if block is None:
            block = etree.Element(f"{_M}dataValidations")
            _place(root, block, _AFTER_CF[1:])
        for rule in list(block):
            if _OUR_FORMULA.match(rule.findtext(f"{_M}formula1") or ""):
                block.remove(rule)
        taken = set().union(*(_columns_of(r.get("sqref", "")) for r in block))
        for n, (name, count) in enumerate(lists.items()):
            column = header.get(name)
            if column is None or column in taken or count == 0:
                continue
            letter, source = column_letter(column), column_letter(n + 1)
            rule = etree.SubElement(block, f"{_M}dataValidation", type="list", errorStyle="warning",
                                    allowBlank="1", showInputMessage="1", showErrorMessage="1",
                                    errorTitle="不在名单中", error=f"“{name}”应从下拉列表中选择（名单来自 config.yaml）。"
                                    "确实要填写名单以外的内容，请点“是”。", sqref=f"{letter}2:{letter}{LAST_ROW}")
            etree.SubElement(rule, f"{_M}formula1").text = f"'{LISTS_SHEET}'!${source}$2:${source}${count + 1}"
        if len(block):
            block.set("count", str(len(block)))
        else:
            root.remove(block)
        rewrite_tail(parts, part, head, root)

    return keeps_rows(edit)


def _fit_to_page(head: bytes, prefix: bytes) -> bytes:
    """<sheetPr><pageSetUpPr fitToPage="1"/> in the sheet's head (sheetPr is its first child)."""
    tag = prefix.decode()
    found = re.search(rb"<%ssheetPr\b[^>]*?(/?)>" % prefix, head)
    if found is None:
        start = re.search(rb"<(\w+:)?worksheet\b[^>]*>", head)
        return head[:start.end()] + f'<{tag}sheetPr><{tag}pageSetUpPr fitToPage="1"/></{tag}sheetPr>'.encode() \
            + head[start.end():]
    if found.group(1):  # <sheetPr .../>
        opened = found.group(0)[:-2].rstrip() + b">"
        return head[:found.start()] + opened + f'<{tag}pageSetUpPr fitToPage="1"/></{tag}sheetPr>'.encode() \
            + head[found.end():]
    end = head.index(b"</%ssheetPr>" % prefix, found.end())
    inner = head[found.end():end]
    setup = re.search(rb"<%spageSetUpPr\b[^>]*?/>" % prefix, inner)
    if setup is None:
        inner += f'<{tag}pageSetUpPr fitToPage="1"/>'.encode()
    elif b"fitToPage=" in setup.group(0):
        inner = inner.replace(setup.group(0), re.sub(rb'fitToPage="[^"]*"', b'fitToPage="1"', setup.group(0)))
    else:
        inner = inner.replace(setup.group(0), setup.group(0)[:-2].rstrip() + b' fitToPage="1"/>')
    return head[:found.end()] + inner + head[end:]


def _print_titles(parts: dict[str, bytes], sheet_name: str) -> None:
    """The header row repeats on every printed page (a name local to the sheet)."""
    workbook = _xml(parts[WORKBOOK])
    sheets = [s.get("name") for s in workbook.find(f"{_M}sheets")]
    position = str(sheets.index(sheet_name))
    names = workbook.find(f"{_M}definedNames")
    if names is None:
        names = etree.Element(f"{_M}definedNames")
        workbook.find(f"{_M}sheets").addnext(names)
    if any(n.get("name") == "_xlnm.Print_Titles" and n.get("localSheetId") == position for n in names):
        return
    title = etree.SubElement(names, f"{_M}definedName", name="_xlnm.Print_Titles", localSheetId=position)
    title.text = f"'{sheet_name}'!$1:$1"
    parts[WORKBOOK] = _bytes(workbook)


def print_setup(sheet_name: str = REGISTER_SHEET) -> PackageEdit:
    """Landscape A4, fit to one page wide (as many pages down as it takes), the header row on
    every page, gridlines, "第 1 页，共 N 页" at the foot; only while the sheet has no print
    orientation of its own (the clerk's choice, or ours from an earlier run, wins)."""

    def edit(parts: dict[str, bytes]) -> None:
        part, start_tag, head, tail = sheet_pieces(parts, sheet_name)
        root = _xml(start_tag + tail)
        setup = root.find(f"{_M}pageSetup")
        if setup is not None and setup.get("orientation"):
            return
        prefix = re.match(rb"<(\w+:)?", start_tag).group(1) or b""
        head = _fit_to_page(bytes(head), prefix)  # once: later runs find the orientation set
        if root.find(f"{_M}printOptions") is None:
            _place(root, etree.Element(f"{_M}printOptions", gridLines="1"), _PRINT_ORDER[1:])
        margins = root.find(f"{_M}pageMargins")
        if margins is None:
            margins = etree.Element(f"{_M}pageMargins")
            _place(root, margins, _PRINT_ORDER[2:])
        for side, inches in (("left", "0.25"), ("right", "0.25"), ("top", "0.5"), ("bottom", "0.6"),
                             ("header", "0.3"), ("footer", "0.3")):
            margins.set(side, inches)
        if setup is None:
            setup = etree.Element(f"{_M}pageSetup")
            _place(root, setup, _PRINT_ORDER[3:])
        for name, value in (("paperSize", "9"), ("orientation", "landscape"), ("fitToWidth", "1"),
                            ("fitToHeight", "0")):
            setup.set(name, value)
        if root.find(f"{_M}headerFooter") is None:
            footer = etree.Element(f"{_M}headerFooter")
            etree.SubElement(footer, f"{_M}oddFooter").text = FOOTER
            _place(root, footer, _PRINT_ORDER[4:])
        rewrite_tail(parts, part, head, root)
        _print_titles(parts, sheet_name)

    return keeps_rows(edit)
