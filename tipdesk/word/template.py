"""Render the office's Word templates (docxtpl tags in a .docx edited in Word or WPS).

`compiled(path, fonts)` reads a template once, compiles its tags and sets the configured fonts
in its styles; `render(context, ...)` then gives the document's bytes: the same input, the
same bytes (zip entries and document times are the given moment), no author or company of
whoever last saved the template, and core properties naming the centre only.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from tipdesk.config import Fonts

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W = f"{{{W_NS}}}"
_APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
# Extended properties Word/Excel fill from the machine that last saved the template.
_APP_PERSONAL = ("Manager", "Company", "HyperlinkBase")

# The styles of tipdesk's templates (scripts/make_*_template.py) by the font role they take.
# Body text keeps its Latin font (Times New Roman, as GB/T 9704 sets digits); the others are
# set in the role's font throughout.
STYLE_ROLES = {
    "Normal": "body", "TableText": "body", "TableSmall": "body", "TableNote": "body",
    "DocNumber": "body", "DocTitle": "title", "Heading1CN": "heading", "TableCaption": "heading",
    "Letterhead": "letterhead", "PageNumber": "page_number",
}
# Roles set in bold unless their font is a 小标宋 face, heavy by itself.
BOLD_ROLES = ("title", "letterhead")


def _scrub_app_xml(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for name in _APP_PERSONAL:
        for el in root.iter(f"{{{_APP_NS}}}{name}"):
            el.text = None
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def write_package(parts: dict[str, bytes], when: datetime) -> bytes:
    """A zip of `parts` in their order, every entry stamped `when`: the same input, the same
    bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, payload in parts.items():
            entry = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(entry, payload)
    return out.getvalue()


def repack(data: bytes, when: datetime) -> bytes:
    """The same zip with fixed entry timestamps (reproducible bytes) and scrubbed app.xml."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        parts = {info.filename: src.read(info.filename) for info in src.infolist()}
    if "docProps/app.xml" in parts:
        parts["docProps/app.xml"] = _scrub_app_xml(parts["docProps/app.xml"])
    return write_package(parts, when)


def set_properties(props, *, author: str, title: str, subject: str, when: datetime) -> None:
    """Core properties: the centre as author, the document's title, no person. The template
    may have been saved in Word by a clerk, so every field is overwritten."""
    props.author = props.last_modified_by = author
    props.title = title
    props.subject = subject
    for attr in ("comments", "keywords", "category", "content_status", "identifier",
                 "version", "language"):
        setattr(props, attr, "")
    props.revision = 1
    props.created = props.modified = when
    props._element._remove_lastPrinted()  # never printed; Word would record the printer's clock


def _set_fonts(rpr: etree._Element, font: str, latin_too: bool) -> None:
    fonts = rpr.find(f"{_W}rFonts")
    if fonts is None:
        fonts = etree.Element(f"{_W}rFonts")
        rpr.insert(0, fonts)
    for attr in [a for a in fonts.attrib if a.endswith("Theme")]:
        del fonts.attrib[attr]  # a theme font would win over the named one
    fonts.set(f"{_W}eastAsia", font)
    if latin_too:
        for attr in ("ascii", "hAnsi", "cs"):
            fonts.set(f"{_W}{attr}", font)


def _set_bold(rpr: etree._Element, bold: bool) -> None:
    for el in rpr.findall(f"{_W}b"):
        rpr.remove(el)
    if bold:
        anchor = rpr.find(f"{_W}rFonts")
        element = etree.Element(f"{_W}b")
        if anchor is not None:
            anchor.addnext(element)
        else:
            rpr.insert(0, element)


def apply_fonts(styles_xml: bytes, fonts: Fonts) -> bytes:
    """styles.xml with the configured font of each role in tipdesk's styles (STYLE_ROLES)."""
    root = etree.fromstring(styles_xml)
    default = root.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr")
    if default is not None:
        _set_fonts(default, fonts.body, latin_too=False)
    for style in root.iter(f"{_W}style"):
        role = STYLE_ROLES.get(style.get(f"{_W}styleId", ""))
        if role is None:
            continue
        font = getattr(fonts, role)
        rpr = style.find(f"{_W}rPr")
        if rpr is None:
            rpr = etree.SubElement(style, f"{_W}rPr")
        _set_fonts(rpr, font, latin_too=role != "body")
        if role in BOLD_ROLES:
            _set_bold(rpr, "小标宋" not in font)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


@lru_cache(maxsize=None)
def _jinja() -> Any:
    """A jinja2 environment that compiles each part's XML once: docxtpl compiles every part
    on every render, and the XML is the same each time. jinja2 loads only when a document is
    made."""
    from jinja2 import Environment

    class CompiledOnce(Environment):
        def __init__(self) -> None:
            # autoescape: a "<" or "&" in a complaint must not break the document XML.
            super().__init__(autoescape=True)
            self._compiled: dict[str, Any] = {}

        def from_string(self, source, globals=None, template_class=None):  # noqa: A002 - jinja's name
            if globals is not None or template_class is not None:
                return super().from_string(source, globals, template_class)
            if source not in self._compiled:
                self._compiled[source] = super().from_string(source)
            return self._compiled[source]

    return CompiledOnce()


class CompiledTemplate:
    """The Word template read and its tags compiled once; each document is then a render of the
    tagged parts (docxtpl's own patch and render steps) written into a copy of the package.

    docxtpl alone parses the template, renders and re-serialises the whole document through
    python-docx for every letter; on a morning with dozens of new cases that is most of the
    run. Its table-merging tags ({% colspan %}, {% cellbg %}) and images are not used here."""

    def __init__(self, path: Path, fonts: Fonts):
        from docxtpl import DocxTemplate  # docxtpl and python-docx load only when a document is made

        self.template = DocxTemplate(str(path))
        self.template.init_docx()
        with zipfile.ZipFile(path) as package:
            self.parts = {info.filename: package.read(info) for info in package.infolist()}
        if "word/styles.xml" in self.parts:
            self.parts["word/styles.xml"] = apply_fonts(self.parts["word/styles.xml"], fonts)
        if "docProps/app.xml" in self.parts:
            self.parts["docProps/app.xml"] = _scrub_app_xml(self.parts["docProps/app.xml"])
        document = self.parts["word/document.xml"].decode("utf-8")
        body = re.search(r"<w:body\b.*</w:body>", document, re.S)
        self.document = (document[:body.start()], document[body.end():])
        tpl = self.template
        self.tagged = {"word/document.xml": (tpl.patch_xml(tpl.get_xml()), tpl.docx._part, "utf-8")}
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _, part in tpl.get_headers_footers(uri):
                xml = tpl.get_part_xml(part)
                name = str(part.partname).lstrip("/")
                self.tagged[name] = (tpl.patch_xml(xml), part, tpl.get_headers_footers_encoding(xml))

    def render(self, context: dict, *, author: str, title: str, subject: str, when: datetime) -> bytes:
        parts = dict(self.parts)
        for name, (source, part, encoding) in self.tagged.items():
            xml = self.template.render_xml_part(source, part, context, _jinja())
            if name == "word/document.xml":
                before, after = self.document
                xml = before + xml + after
            parts[name] = xml.encode(encoding)
        set_properties(self.template.docx.core_properties, author=author, title=title,
                       subject=subject, when=when)
        parts["docProps/core.xml"] = self.template.docx.part.package._core_properties_part.blob
        return write_package(parts, when)


_COMPILED: dict[tuple[str, int, Fonts], CompiledTemplate] = {}


def compiled(template_path: Path, fonts: Fonts = Fonts()) -> CompiledTemplate:
    """The compiled template, kept while the file is unchanged (the office may edit it)."""
    template_path = Path(template_path)
    key = (str(template_path), template_path.stat().st_mtime_ns, fonts)
    if key not in _COMPILED:
        for old in [k for k in _COMPILED if k[0] == key[0]]:
            del _COMPILED[old]
        from docx.opc.exceptions import PackageNotFoundError

        try:
            _COMPILED[key] = CompiledTemplate(template_path, fonts)
        except (zipfile.BadZipFile, PackageNotFoundError, KeyError, etree.XMLSyntaxError):
            raise ValueError("无法作为 Word 文档打开（文件已损坏，或被另存为了 .doc 等其他格式）")
    return _COMPILED[key]
