"""Edits of the register package that managers see: the 统计 sheet and the 台账 colours.

Both are `patch.PackageEdit`s: functions that take every part of the .xlsx (name -> bytes)
and change a few of them, so the register, which may hold 50,000 cases, is never loaded
whole. Parts nobody needs to change are left byte for byte as they were.

`graft_sheet` puts a worksheet built by openpyxl in a small workbook of its own (the donor,
with its charts) into the register, replacing the sheet of that name if there is one.
`conditional_formats` keeps three colour rules on 台账 whose formulas Excel re-evaluates
as the clerk types, so the colours stay right between two daily runs.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import Callable, Iterable

from lxml import etree

from tipdesk.domain.columns import CLOSED, DEADLINE, OVERDUE, REGISTER_SHEET, STATUS, YES
from tipdesk.domain.rows import header_key
from tipdesk.xlsx.package import (
    MAIN_NS, PKG_REL_NS, REL_NS, WORKBOOK, WORKBOOK_RELS, column_index, column_letter, rels_name,
    resolve, workbook_parts,
)
from tipdesk.xlsx.patch import PackageEdit, keeps_rows

CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CONTENT_TYPES = "[Content_Types].xml"
WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
CALC_CHAIN_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain"

_M = f"{{{MAIN_NS}}}"
_R_ID = f"{{{REL_NS}}}id"
_REL = f"{{{PKG_REL_NS}}}Relationship"


# --- package plumbing -----------------------------------------------------------------------

def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _relationships(parts: dict[str, bytes], source: str) -> list[etree._Element]:
    rels = parts.get(rels_name(source))
    return [] if rels is None else list(_xml(rels).iter(_REL))


def _reachable(parts: dict[str, bytes], start: str) -> list[str]:
    """`start` and every part it leads to through internal relationships, in finding order."""
    found, queue = [start], [start]
    while queue:
        source = queue.pop(0)
        for rel in _relationships(parts, source):
            if rel.get("TargetMode") == "External":
                continue
            target = resolve(source, rel.get("Target"))
            if target in parts and target not in found:
                found.append(target)
                queue.append(target)
    return found


def _content_types(parts: dict[str, bytes]) -> etree._Element:
    return _xml(parts[CONTENT_TYPES])


def _content_type(types: etree._Element, part: str) -> str:
    for override in types.iter(f"{{{CT_NS}}}Override"):
        if override.get("PartName") == "/" + part:
            return override.get("ContentType")
    ext = part.rsplit(".", 1)[-1].lower()
    for default in types.iter(f"{{{CT_NS}}}Default"):
        if default.get("Extension", "").lower() == ext:
            return default.get("ContentType")
    raise ValueError(f"no content type for {part}")


def _drop_override(types: etree._Element, part: str) -> None:
    for override in list(types.iter(f"{{{CT_NS}}}Override")):
        if override.get("PartName") == "/" + part:
            types.remove(override)


def _sheets(workbook: etree._Element) -> etree._Element:
    return workbook.find(f"{_M}sheets")


def sheet_part(parts: dict[str, bytes], name: str) -> str | None:
    """The part holding the worksheet called `name`, or None."""
    return workbook_parts(parts.__getitem__).sheets.get(name)


def _fresh_name(taken: Iterable[str], like: str) -> str:
    """A part name not in `taken`, shaped like `like`: xl/charts/chart1.xml -> chartN.xml."""
    taken = set(taken)
    folder, name = posixpath.split(like)
    stem, ext = posixpath.splitext(name)
    stem = stem.rstrip("0123456789")
    n = 1
    while posixpath.join(folder, f"{stem}{n}{ext}") in taken:
        n += 1
    return posixpath.join(folder, f"{stem}{n}{ext}")


def _next_rel_id(rels: etree._Element) -> str:
    used = {rel.get("Id") for rel in rels}
    n = len(used) + 1
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


# --- removing a sheet -----------------------------------------------------------------------

def _remove_sheet(parts: dict[str, bytes], name: str) -> int | None:
    """Remove sheet `name` with the parts only it uses; returns where it was in the tab order.

    Names local to it go too. So does calcChain.xml, which may list the sheet's formula cells
    by its sheetId; Excel rebuilds the chain on opening, silently. The caller puts the new
    sheet in the same place, so local names and the active tab, which count sheets by
    position, still mean the same sheets."""
    part = sheet_part(parts, name)
    if part is None:
        return None
    workbook = _xml(parts[WORKBOOK])
    sheets = _sheets(workbook)
    position, sheet = next((i, s) for i, s in enumerate(sheets) if s.get("name") == name)
    sheets.remove(sheet)
    names = workbook.find(f"{_M}definedNames")
    if names is not None:
        for defined in list(names):
            if defined.get("localSheetId") == str(position):
                names.remove(defined)
        if not len(names):
            workbook.remove(names)
    rels = _xml(parts[WORKBOOK_RELS])
    for rel in list(rels):
        if rel.get("Id") == sheet.get(_R_ID) or rel.get("Type") == CALC_CHAIN_REL:
            rels.remove(rel)
    parts[WORKBOOK] = _bytes(workbook)
    parts[WORKBOOK_RELS] = _bytes(rels)
    # What the rest of the package still reaches stays (a part may be shared).
    live = set(_reachable(parts, ""))  # "" is the package itself: its rels are _rels/.rels
    types = _content_types(parts)
    for dead in [p for p in _reachable(parts, part) if p not in live]:
        parts.pop(rels_name(dead), None)
        parts.pop(dead, None)
        _drop_override(types, dead)
    for dead in [p for p in parts if p.endswith("calcChain.xml")]:
        parts.pop(dead)
        _drop_override(types, dead)
    parts[CONTENT_TYPES] = _bytes(types)
    return position


# --- merging the donor's styles -------------------------------------------------------------

def _canon(el: etree._Element) -> tuple:
    """What makes two style elements equal: names, attributes, text and children, whatever
    namespace prefixes and attribute order the writing application chose."""
    return (el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(),
            tuple(_canon(child) for child in el if isinstance(child.tag, str)))


def _find_or_add(container: etree._Element, el: etree._Element) -> int:
    """The index of an element equal to `el` in `container`, appending a copy if none."""
    wanted = _canon(el)
    for i, existing in enumerate(container):
        if _canon(existing) == wanted:
            return i
    container.append(etree.fromstring(etree.tostring(el, with_tail=False)))
    container.set("count", str(len(container)))
    return len(container) - 1


def _child(root: etree._Element, tag: str, before: tuple[str, ...]) -> etree._Element:
    """root's <tag>, created in schema position (before the first of `before`) if missing."""
    found = root.find(f"{_M}{tag}")
    if found is not None:
        return found
    el = etree.Element(f"{_M}{tag}", count="0")
    for name in before:
        follower = root.find(f"{_M}{name}")
        if follower is not None:
            follower.addprevious(el)
            return el
    root.append(el)
    return el


# CT_Stylesheet's children in schema order.
_STYLE_ORDER = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
                "dxfs", "tableStyles", "colors", "extLst")


def _after(tag: str) -> tuple[str, ...]:
    return _STYLE_ORDER[_STYLE_ORDER.index(tag) + 1:]


def _merge_styles(register: etree._Element, donor: etree._Element) -> dict[int, int]:
    """Add the donor's cell formats to the register's styles; returns donor xf -> register xf.

    Equal fonts, fills, borders, number formats and formats are reused, so grafting the
    sheet every day does not make styles.xml grow."""
    numfmt_map: dict[str, str] = {}
    donor_fmts = donor.find(f"{_M}numFmts")
    if donor_fmts is not None:
        fmts = _child(register, "numFmts", _after("numFmts"))
        codes = {f.get("formatCode"): f.get("numFmtId") for f in fmts}
        for fmt in donor_fmts:
            code = fmt.get("formatCode")
            if code not in codes:
                new_id = max([163, *(int(f.get("numFmtId")) for f in fmts)]) + 1
                etree.SubElement(fmts, f"{_M}numFmt", numFmtId=str(new_id), formatCode=code)
                fmts.set("count", str(len(fmts)))
                codes[code] = str(new_id)
            numfmt_map[fmt.get("numFmtId")] = codes[code]
    maps = {}
    for tag, item in (("fonts", "fontId"), ("fills", "fillId"), ("borders", "borderId")):
        target = _child(register, tag, _after(tag))
        source = donor.find(f"{_M}{tag}")
        maps[item] = {str(i): str(_find_or_add(target, el))
                      for i, el in enumerate(source if source is not None else [])}
    xfs = _child(register, "cellXfs", _after("cellXfs"))
    mapping = {}
    for i, xf in enumerate(donor.find(f"{_M}cellXfs")):
        xf = etree.fromstring(etree.tostring(xf, with_tail=False))
        for item, ids in maps.items():
            xf.set(item, ids.get(xf.get(item, "0"), "0"))
        fmt_id = xf.get("numFmtId", "0")
        xf.set("numFmtId", numfmt_map.get(fmt_id, fmt_id))
        xf.set("xfId", "0")  # the register's Normal style; the donor's named styles stay behind
        mapping[i] = _find_or_add(xfs, xf)
    return mapping


# --- grafting -------------------------------------------------------------------------------

def _shared_strings(donor: dict[str, bytes]) -> list[etree._Element]:
    name = next((p for p in donor if p.endswith("sharedStrings.xml")), None)
    return [] if name is None else list(_xml(donor[name]).iter(f"{_M}si"))


def _rewrite_sheet(xml: bytes, styles: dict[int, int], strings: list[etree._Element]) -> bytes:
    """The donor sheet as the register needs it: register style ids, strings inline (the
    donor's shared-string indexes mean nothing in the register), and not a selected tab (two
    selected tabs are grouped: the clerk's typing would go into both)."""
    root = _xml(xml)
    for cell in root.iter(f"{_M}c"):
        if cell.get("s"):
            cell.set("s", str(styles[int(cell.get("s"))]))
        if cell.get("t") == "s":
            value = cell.find(f"{_M}v")
            inline = etree.SubElement(cell, f"{_M}is")
            for piece in strings[int(value.text)]:
                inline.append(etree.fromstring(etree.tostring(piece, with_tail=False)))
            cell.remove(value)
            cell.set("t", "inlineStr")
    for row in root.iter(f"{_M}row"):
        if row.get("s"):
            row.set("s", str(styles[int(row.get("s"))]))
    for column in root.iter(f"{_M}col"):
        if column.get("style"):
            column.set("style", str(styles[int(column.get("style"))]))
    for view in root.iter(f"{_M}sheetView"):
        view.attrib.pop("tabSelected", None)
    return _bytes(root)


def _donor_parts(donor_xlsx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(donor_xlsx)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _styles_part(parts: dict[str, bytes]) -> str:
    styles = workbook_parts(parts.__getitem__).styles
    if styles is None:
        raise ValueError("workbook has no styles part")
    return styles


def _add_sheet(parts: dict[str, bytes], donor: dict[str, bytes], name: str,
               position: int | None) -> None:
    source = sheet_part(donor, name)
    # Fresh names for the sheet and all it leads to (drawing, charts), in the register.
    renamed: dict[str, str] = {}
    for part in _reachable(donor, source):
        renamed[part] = _fresh_name([*parts, *renamed.values()], part)
    donor_types = _content_types(donor)
    types = _content_types(parts)
    for old, new in renamed.items():
        parts[new] = donor[old]
        etree.SubElement(types, f"{{{CT_NS}}}Override", PartName="/" + new,
                         ContentType=_content_type(donor_types, old))
        rels = donor.get(rels_name(old))
        if rels is not None:
            root = _xml(rels)
            for rel in root:
                if rel.get("TargetMode") != "External":
                    target = renamed[resolve(old, rel.get("Target"))]
                    rel.set("Target", posixpath.relpath(target, posixpath.dirname(new)))
            parts[rels_name(new)] = _bytes(root)
    parts[CONTENT_TYPES] = _bytes(types)

    styles_name = _styles_part(parts)
    styles = _xml(parts[styles_name])
    mapping = _merge_styles(styles, _xml(donor[_styles_part(donor)]))
    parts[styles_name] = _bytes(styles)
    parts[renamed[source]] = _rewrite_sheet(donor[source], mapping, _shared_strings(donor))

    rels = _xml(parts[WORKBOOK_RELS])
    rel_id = _next_rel_id(rels)
    etree.SubElement(rels, _REL, Id=rel_id, Type=WORKSHEET_REL,
                     Target=posixpath.relpath(renamed[source], "xl"))
    parts[WORKBOOK_RELS] = _bytes(rels)

    workbook = _xml(parts[WORKBOOK])
    sheets = _sheets(workbook)
    sheet_id = max([0, *(int(s.get("sheetId")) for s in sheets)]) + 1
    sheet = etree.Element(f"{_M}sheet", name=name, sheetId=str(sheet_id))
    state = next(s.get("state") for s in _sheets(_xml(donor[WORKBOOK])) if s.get("name") == name)
    if state:  # a hidden sheet (the drop-down lists) stays hidden
        sheet.set("state", state)
    sheet.set(_R_ID, rel_id)
    position = len(sheets) if position is None else position
    sheets.insert(position, sheet)
    _copy_local_names(workbook, _xml(donor[WORKBOOK]), donor_index=_index_of(donor, name),
                      position=position)
    parts[WORKBOOK] = _bytes(workbook)


def _index_of(parts: dict[str, bytes], name: str) -> int:
    return [s.get("name") for s in _sheets(_xml(parts[WORKBOOK]))].index(name)


def _copy_local_names(workbook: etree._Element, donor: etree._Element, donor_index: int,
                      position: int) -> None:
    """The donor sheet's own names (print area, print titles), now local to `position`."""
    donor_names = donor.find(f"{_M}definedNames")
    local = [n for n in (donor_names if donor_names is not None else [])
             if n.get("localSheetId") == str(donor_index)]
    if not local:
        return
    names = workbook.find(f"{_M}definedNames")
    if names is None:
        names = etree.Element(f"{_M}definedNames")
        anchor = next(el for tag in ("externalReferences", "functionGroups", "sheets")
                      if (el := workbook.find(f"{_M}{tag}")) is not None)
        anchor.addnext(names)
    for defined in local:
        copy = etree.fromstring(etree.tostring(defined, with_tail=False))
        copy.set("localSheetId", str(position))
        names.append(copy)


def graft_sheet(donor_xlsx: bytes | Callable[[], bytes], sheet_name: str) -> PackageEdit:
    """An edit putting the donor's sheet `sheet_name` (with its drawings and charts) into the
    package, in the place of the sheet of that name if there is one, else as the last tab.
    `donor_xlsx` may be a function giving the donor, asked only when the edit is applied (the
    daily run's 统计 sheet is still being worked out while the register's rows are patched).

    The donor's cell formats are merged into the register's styles.xml (ids rewritten in the
    grafted sheet); its strings are written inline. Donor conditional formats and tables are
    not carried over: the sheets built for grafting (statsheet.py) have none."""
    def donor_of(xlsx: bytes) -> dict[str, bytes]:
        donor = _donor_parts(xlsx)
        if sheet_part(donor, sheet_name) is None:  # a wrong donor is a bug: fail before any work
            raise ValueError(f"donor workbook has no sheet {sheet_name!r}")
        return donor

    given = None if callable(donor_xlsx) else donor_of(donor_xlsx)

    def edit(parts: dict[str, bytes]) -> None:
        donor = given if given is not None else donor_of(donor_xlsx())
        position = _remove_sheet(parts, sheet_name)
        _add_sheet(parts, donor, sheet_name, position)

    return keeps_rows(edit)


# --- conditional formats on 台账 ------------------------------------------------------------

# The three rules, best first; {status} etc. become "$R2"-style references to row 2 of the
# rule's range, which Excel shifts for every row. Red: open and past its deadline (or marked
# overdue by the daily run). Amber: open and due before the end of the next working day;
# WORKDAY counts weekends only (the official 调休 calendar cannot be a formula), so around
# holidays amber is a hint; the daily summary names the cases due on the real calendar.
# Grey: closed.
RULES = (
    ('AND({status}<>"{closed}",OR({overdue}="{yes}",AND(ISNUMBER({deadline}),{deadline}<NOW())))',
     {"font": "FF9C0006", "fill": "FFFFC7CE"}),
    ('AND({status}<>"{closed}",ISNUMBER({deadline}),{deadline}>=NOW(),'
     '{deadline}<WORKDAY(TODAY(),1)+1)',
     {"font": "FF9C5700", "fill": "FFFFEB9C"}),
    ('{status}="{closed}"', {"font": "FF808080", "fill": None}),
)
_WORDS = {"closed": CLOSED, "yes": YES}
_REFS = ("status", "deadline", "overdue")
# CT_Worksheet's children that come after conditionalFormatting, in schema order.
_AFTER_CF = ("dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
             "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches",
             "ignoredErrors", "smartTags", "drawing", "legacyDrawing", "legacyDrawingHF",
             "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
             "extLst")


def _rule_pattern(template: str) -> re.Pattern[str]:
    """Matches the rule's formula whatever the columns are: this is how we know our rules."""
    text = re.escape(template.format(**_WORDS, **{k: "\0" for k in _REFS}))
    return re.compile("^" + text.replace("\0", r"\$[A-Z]{1,3}\d+") + "$")


_OURS = [_rule_pattern(template) for template, _ in RULES]


def _dxf(colours: dict[str, str | None]) -> etree._Element:
    dxf = etree.Element(f"{_M}dxf")
    font = etree.SubElement(dxf, f"{_M}font")
    etree.SubElement(font, f"{_M}color", rgb=colours["font"])
    if colours["fill"]:
        fill = etree.SubElement(etree.SubElement(dxf, f"{_M}fill"), f"{_M}patternFill")
        etree.SubElement(fill, f"{_M}bgColor", rgb=colours["fill"])
    return dxf


def _split_sheet(xml: bytes) -> tuple[bytes, bytes, bytes]:
    """(root start tag, everything up to the end of sheetData, the rest): the rows are the
    bulk of the sheet and are never parsed."""
    start = re.search(rb"<(\w+:)?worksheet\b[^>]*>", xml)
    close = b"</%ssheetData>" % (start.group(1) or b"")
    end = xml.rfind(close)
    if end < 0:
        raise ValueError("the sheet has no rows, so no header")
    end += len(close)
    # The head (every row) is a view, never copied: on a large register it is most of the file.
    return start.group(0), memoryview(xml)[:end], xml[end:]


def sheet_pieces(parts: dict[str, bytes], sheet_name: str) -> tuple[str, bytes, bytes, bytes]:
    """(part, root start tag, head up to the end of sheetData, tail) of sheet `sheet_name`."""
    part = sheet_part(parts, sheet_name)
    if part is None:
        raise ValueError(f"no sheet {sheet_name!r}")
    return (part, *_split_sheet(parts[part]))


def rewrite_tail(parts: dict[str, bytes], part: str, head: bytes, root: etree._Element) -> None:
    """The sheet as its original head (the rows, untouched) and the re-serialised tail `root`
    (parsed from the start tag and the tail, see sheet_pieces)."""
    serialized = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    parts[part] = b"".join([head, serialized[serialized.index(b">") + 1:]])


def _header(parts: dict[str, bytes], xml: bytes, start_tag: bytes) -> dict[str, int]:
    """Header text -> column number, read from row 1 alone."""
    prefix = re.match(rb"<(\w+:)?", start_tag).group(1) or b""
    row = re.search(rb"<%srow\b[^>]*>.*?</%srow>" % (prefix, prefix), xml, re.S)
    if row is None:
        return {}
    end_tag = b"</%sworksheet>" % prefix
    cells = list(_xml(start_tag + row.group(0) + end_tag).iter(f"{_M}c"))
    wanted = {int(c.find(f"{_M}v").text) for c in cells
              if c.get("t") == "s" and c.find(f"{_M}v") is not None}
    strings = _first_shared_strings(parts, max(wanted) + 1) if wanted else []
    header = {}
    for cell in cells:
        if cell.get("t") == "s":
            value = strings[int(cell.find(f"{_M}v").text)]
        elif cell.get("t") == "inlineStr":
            value = "".join(t.text or "" for t in cell.iter(f"{_M}t"))
        else:
            value = cell.findtext(f"{_M}v") or ""
        key = header_key(value)
        letters = re.match(r"[A-Z]+", cell.get("r")).group(0)
        if key and key not in header:
            header[key] = column_index(letters)
    return header


def _first_shared_strings(parts: dict[str, bytes], count: int) -> list[str]:
    """The first `count` shared strings; the header's come first, so the (large) rest of the
    table is not read."""
    name = next(p for p in parts if p.endswith("sharedStrings.xml"))
    found = []
    for _, si in etree.iterparse(io.BytesIO(parts[name]), tag=f"{_M}si"):
        found.append("".join(t.text or "" for t in si.iter(f"{_M}t")
                             if t.getparent().tag != f"{_M}rPh"))
        if len(found) == count:
            break
    return found


def conditional_formats(sheet_name: str = REGISTER_SHEET) -> PackageEdit:
    """An edit keeping the red / amber / grey row rules on 台账 (see RULES), exactly once.

    Rules already there whose formulas have our shape are replaced (so a moved column is
    followed), the clerk's own rules are kept and stay ahead of ours; the dxf styles are
    added to styles.xml once and reused."""

    def edit(parts: dict[str, bytes]) -> None:
        part, start_tag, head, tail = sheet_pieces(parts, sheet_name)
        header = _header(parts, head, start_tag)
        missing = [c for c in (STATUS, DEADLINE, OVERDUE) if c not in header]
        if missing:
            raise ValueError(f"{sheet_name} has no column {'、'.join(missing)}")
        refs = {key: f"${column_letter(header[c])}2"
                for key, c in zip(_REFS, (STATUS, DEADLINE, OVERDUE))}
        last = column_letter(max(header.values()))

        styles_name = _styles_part(parts)
        styles = _xml(parts[styles_name])
        dxfs = _child(styles, "dxfs", _after("dxfs"))
        dxf_ids = [_find_or_add(dxfs, _dxf(colours)) for _, colours in RULES]
        parts[styles_name] = _bytes(styles)

        root = _xml(start_tag + tail)
        for block in root.findall(f"{_M}conditionalFormatting"):
            for rule in block.findall(f"{_M}cfRule"):
                formula = rule.findtext(f"{_M}formula") or ""
                if any(p.match(formula) for p in _OURS):
                    block.remove(rule)
            if not len(block.findall(f"{_M}cfRule")):
                root.remove(block)
        priorities = [int(r.get("priority", "0")) for r in root.iter(f"{_M}cfRule")]
        block = etree.Element(f"{_M}conditionalFormatting", sqref=f"A2:{last}1048576")
        for n, ((template, _), dxf_id) in enumerate(zip(RULES, dxf_ids), start=1):
            rule = etree.SubElement(block, f"{_M}cfRule", type="expression", dxfId=str(dxf_id),
                                    priority=str(max([0, *priorities]) + n), stopIfTrue="1")
            etree.SubElement(rule, f"{_M}formula").text = template.format(**_WORDS, **refs)
        follower = next((el for el in root if etree.QName(el).localname in _AFTER_CF), None)
        if follower is not None:
            follower.addprevious(block)
        else:
            root.append(block)
        rewrite_tail(parts, part, head, root)

    return keeps_rows(edit)
