"""Build templates/交办单.docx, the Word template of the referral letter (交办单).

Run from the repository root:  .venv/bin/python scripts/make_letter_template.py

The template is generated rather than drawn by hand so that its layout is reviewable and
reproducible (the output is byte-for-byte the same on every run). The office may still edit
the .docx in Word or WPS afterwards; tipdesk only needs the {{ ... }} tags to survive.

Layout follows GB/T 9704-2012 (党政机关公文格式) where it applies to a one-page letter:
A4, margins 37/35/28/26 mm; 版头: the issuing office in red, centred, and the 发文字号 over a
red rule as wide as the type area (left out, 文号 kept, when the office prints on letterhead
paper); title 二号 centred, 主送, body 三号 on a fixed 28.95 pt line pitch (22 lines a page),
落款 and 成文日期 right, page number "— 1 —" in 四号, outside edge. The case facts go in a
table set one size smaller (四号) so a long complaint still fits on one page.

Fonts are the ones every Chinese Windows has (宋体 title, in bold; 仿宋 body); GB/T 9704's
方正小标宋简体 and 仿宋_GB2312 are not on stock Windows. tipdesk sets the fonts configured in
`documents.fonts` into the styles when it renders (tipdesk/word/template.py, by style id), so
the office changes fonts in config.yaml, and wording here in Word.

Tags used (see tipdesk/output/referral.py, referral_context): letterhead, letter_no, unit,
case_id, received_at, source, upstream_no, category, subject, address, content, deadline,
requirements, centre_name, centre_phone, centre_address, centre_email, issued_date.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor, Twips

OUTPUT = Path(__file__).resolve().parent.parent / "templates" / "交办单.docx"

# Fonts every Chinese Windows has; fontTable.xml names their English names as fallbacks.
TITLE_FONT = "宋体"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
LETTERHEAD_FONT = "宋体"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xFF, 0x00, 0x00)

BODY_SIZE = Pt(16)       # 三号
TITLE_SIZE = Pt(22)      # 二号
LETTERHEAD_SIZE = Pt(26) # 一号: the issuing office in the 版头
TABLE_SIZE = Pt(14)      # 四号
PAGE_NUMBER_SIZE = Pt(14)
LINE_PITCH = Twips(579)  # 28.95 pt: 22 lines in the 225 mm type area
TABLE_PITCH = Pt(20)
CHAR = BODY_SIZE         # "空二字" indents are in body characters

LETTER_TITLE = "安全生产举报事项交办单"

# Fixed so that the template is reproducible.
TEMPLATE_DATE = datetime(2026, 1, 1)

# The case facts: (label, tag) pairs; two pairs share a row where the values are short.
SHORT_ROWS = (
    (("案件编号", "{{ case_id }}"), ("类别", "{{ category }}")),
    (("受理时间", "{{ received_at }}"), ("来源", "{{ source }}")),
)
# Shown only for forwarded cases (docxtpl drops the row when upstream_no is empty).
UPSTREAM_ROW = ("上级编号", "{{ upstream_no }}")
WIDE_ROWS = (
    ("被举报单位", "{{ subject }}"),
    ("事发地址", "{{ address }}"),
    ("举报内容", "{{ content }}"),
    ("办理期限", "{{ deadline }}前"),
)
# The category's requirement (from tipdesk.output.referral.CATEGORY_REQUIREMENTS), then the ones
# every case shares: confidentiality (the notice names leaking as an offence), replying to
# the reporter without learning who they are, and returning the feedback sheet in time.
REQUIREMENTS = (
    "1. {{ requirements }}",
    "2. 严格为举报人保密，泄露举报人信息属违规行为。",
    "3. 及时回复举报人，需联系举报人的请经本中心转达。",
    "4. 于办理期限前填写所附反馈表，反馈本中心。",
)
# Four columns over the 156 mm type area: label, value, label, value.
COLUMN_WIDTHS = (Mm(29), Mm(73), Mm(18), Mm(36))


# --- fonts and styles -----------------------------------------------------------------------

def set_fonts(rpr_parent, latin: str, east_asia: str) -> None:
    """Name the Latin and the East-Asian font explicitly (w:eastAsia), dropping theme fonts,
    so Word, WPS and LibreOffice all pick the Chinese font for Chinese text."""
    rpr = rpr_parent.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


def set_language(rpr) -> None:
    """zh-CN for East-Asian text: LibreOffice picks Simplified glyphs, not Japanese ones."""
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def setup_defaults(doc) -> None:
    styles_el = doc.styles.element
    rpr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr_default.find(qn("w:rFonts"))
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), BODY_FONT)
    fonts.set(qn("w:cs"), LATIN_FONT)
    set_language(rpr_default)
    # No space after paragraphs by default (python-docx's template has 10 pt).
    ppr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.attrib.clear()
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), str(LINE_PITCH.twips))
    spacing.set(qn("w:lineRule"), "exact")
    theme_lang = doc.settings.element.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:eastAsia"), "zh-CN")


def paragraph_style(doc, name: str, *, base: str | None, size, pitch, latin: str,
                    east_asia: str, align=None, bold: bool = False, style_id: str = ""):
    styles = doc.styles
    if name in [s.name for s in styles]:
        style = styles[name]
    else:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        # ASCII ids, as Word itself writes; the Chinese name is what the office sees.
        style.style_id = style_id
    if base:
        style.base_style = styles[base]
    style.quick_style = True
    font = style.font
    font.size = size
    font.bold = bold
    set_fonts(style.element, latin, east_asia)
    fmt = style.paragraph_format
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = pitch
    # Official documents keep a strict line grid: no widow/orphan shuffling.
    fmt.widow_control = False
    if align is not None:
        fmt.alignment = align
    return style


def setup_styles(doc) -> None:
    setup_defaults(doc)
    paragraph_style(doc, "Normal", base=None, size=BODY_SIZE, pitch=LINE_PITCH,
                    latin=LATIN_FONT, east_asia=BODY_FONT, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    set_language(doc.styles["Normal"].element.get_or_add_rPr())
    # Title: 32 pt exact so the taller 二号 glyphs are not clipped at the top.
    paragraph_style(doc, "公文标题", base="Normal", size=TITLE_SIZE, pitch=Pt(32),
                    latin=TITLE_FONT, east_asia=TITLE_FONT, align=WD_ALIGN_PARAGRAPH.CENTER,
                    style_id="DocTitle")
    paragraph_style(doc, "表格文字", base="Normal", size=TABLE_SIZE, pitch=TABLE_PITCH,
                    latin=LATIN_FONT, east_asia=BODY_FONT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                    style_id="TableText")
    paragraph_style(doc, "页码", base="Normal", size=PAGE_NUMBER_SIZE, pitch=Pt(18),
                    latin=PAGE_NUMBER_FONT, east_asia=PAGE_NUMBER_FONT, style_id="PageNumber")
    # 版头: the issuing office in red (GB/T 9704 7.2.1), and the 发文字号 centred under it.
    letterhead = paragraph_style(doc, "版头", base="Normal", size=LETTERHEAD_SIZE, pitch=Pt(34),
                                 latin=LETTERHEAD_FONT, east_asia=LETTERHEAD_FONT,
                                 align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, style_id="Letterhead")
    letterhead.font.color.rgb = RED
    letterhead.paragraph_format.space_after = Pt(4)
    paragraph_style(doc, "发文字号", base="Normal", size=BODY_SIZE, pitch=LINE_PITCH,
                    latin=LATIN_FONT, east_asia=BODY_FONT, align=WD_ALIGN_PARAGRAPH.CENTER,
                    style_id="DocNumber")
    doc.styles["公文标题"].font.bold = True  # 宋体 is light; a 小标宋 face is set upright


# --- page -----------------------------------------------------------------------------------

def setup_page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # GB/T 9704: the page number's dash sits 7 mm below the type area; the footer line is
    # about 6 mm tall, so its bottom is 35 - 7 - 6 = 22 mm above the paper's edge.
    section.footer_distance = Mm(22)
    doc.settings.odd_and_even_pages_header_footer = True
    add_page_number(section.footer.paragraphs[0], odd=True)
    add_page_number(section.even_page_footer.paragraphs[0], odd=False)


def add_field(paragraph, instruction: str, cached: str) -> None:
    """A complex field (PAGE) with a cached result, so viewers that do not update fields
    still show a number."""
    def fld_char(kind: str):
        run = paragraph.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        run._r.append(el)

    fld_char("begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    paragraph.add_run()._r.append(instr)
    fld_char("separate")
    paragraph.add_run(cached)
    fld_char("end")


def add_page_number(paragraph, odd: bool) -> None:
    """ "— 1 —": odd pages at the right, even pages at the left, one character in."""
    paragraph.style = "页码"
    fmt = paragraph.paragraph_format
    if odd:
        fmt.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        fmt.right_indent = PAGE_NUMBER_SIZE
    else:
        fmt.alignment = WD_ALIGN_PARAGRAPH.LEFT
        fmt.left_indent = PAGE_NUMBER_SIZE
    paragraph.add_run("— ")
    add_field(paragraph, "PAGE", "1")
    paragraph.add_run(" —")


# --- body -----------------------------------------------------------------------------------

def body(doc, text: str, *, indent: bool = True, align=None, right_indent=None):
    paragraph = doc.add_paragraph(text, style="Normal")
    fmt = paragraph.paragraph_format
    if indent:
        fmt.first_line_indent = CHAR * 2
    if align is not None:
        fmt.alignment = align
    if right_indent is not None:
        fmt.right_indent = right_indent
    return paragraph


def set_cell_margins(table, left_right: Pt, top_bottom: Pt) -> None:
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", top_bottom), ("left", left_right),
                        ("bottom", top_bottom), ("right", left_right)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(value.twips))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    # Schema order matters to Word: tblCellMar comes before tblLook.
    look = tbl_pr.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(margins)
    else:
        tbl_pr.append(margins)


def fill_cell(cell, texts, *, label: bool) -> None:
    """Write one paragraph per text; labels are spread over the cell (分散对齐)."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    for i, text in enumerate(texts):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.style = "表格文字"
        paragraph.add_run(text)
        if label:
            paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.DISTRIBUTE


def wide_row(table, label: str, texts) -> None:
    row = table.add_row()
    fill_cell(row.cells[0], [label], label=True)
    value = row.cells[1].merge(row.cells[3])
    fill_cell(value, texts, label=False)


def control_row(table, tag: str) -> None:
    """A row holding only a docxtpl {%tr %} tag; docxtpl replaces the whole row by it."""
    row = table.add_row()
    merged = row.cells[0].merge(row.cells[3])
    merged.paragraphs[0].style = "表格文字"
    merged.paragraphs[0].add_run(tag)


def facts_table(doc) -> None:
    table = doc.add_table(rows=0, cols=4)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    set_cell_margins(table, Pt(5), Pt(1))
    for column, width in zip(table.columns, COLUMN_WIDTHS):
        column.width = width
    for pairs in SHORT_ROWS:
        row = table.add_row()
        for i, (label, value) in enumerate(pairs):
            fill_cell(row.cells[2 * i], [label], label=True)
            fill_cell(row.cells[2 * i + 1], [value], label=False)
    control_row(table, "{%tr if upstream_no %}")
    wide_row(table, *UPSTREAM_ROW[:1], [UPSTREAM_ROW[1]])
    control_row(table, "{%tr endif %}")
    for label, value in WIDE_ROWS:
        wide_row(table, label, [value])
    wide_row(table, "办理要求", REQUIREMENTS)
    # Word takes each cell's own width (tcW), so merged cells get the sum of their columns.
    for tr in table._tbl.tr_lst:
        start = 0
        for tc in tr.tc_lst:
            span = tc.grid_span
            tc.width = Emu(sum(COLUMN_WIDTHS[start:start + span]))
            start += span


def red_rule(paragraph) -> None:
    """The 版头's red rule: a bottom border of the 发文字号 paragraph, as wide as the type area,
    4 mm under the number (GB/T 9704 7.2.4)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for attr, value in (("val", "single"), ("sz", "12"), ("space", "4"), ("color", "FF0000")):
        bottom.set(qn(f"w:{attr}"), value)
    borders.append(bottom)
    ppr.append(borders)


def control(doc, tag: str) -> None:
    """A paragraph holding only a docxtpl {%p %} tag; docxtpl replaces the paragraph by it."""
    doc.add_paragraph(tag, style="Normal")


def letterhead(doc, number_tag: str) -> None:
    """版头 when `letterhead` is set (the issuing office), else the 发文字号 alone."""
    control(doc, "{%p if letterhead %}")
    doc.add_paragraph("{{ letterhead }}", style="版头")
    red_rule(doc.add_paragraph(number_tag, style="发文字号"))
    control(doc, "{%p else %}")
    doc.add_paragraph(number_tag, style="发文字号")
    control(doc, "{%p endif %}")


def title(doc, text: str):
    """The title under the 版头 (GB/T 9704 asks two blank lines; less keeps a letter on one page)."""
    paragraph = doc.add_paragraph(text, style="公文标题")
    paragraph.paragraph_format.space_before = Pt(12)
    return paragraph


def signature(doc, sender: str, date: str) -> None:
    """落款 and 成文日期 on the right, two characters in (GB/T 9704 7.3.5.2)."""
    for text in (sender, date):
        body(doc, text, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT,
             right_indent=CHAR * 2).paragraph_format.keep_with_next = True


def contacts(doc, text: str) -> None:
    """The centre's contacts under the date, one size smaller (四号) like the table."""
    paragraph = doc.add_paragraph(text, style="表格文字")
    paragraph.paragraph_format.first_line_indent = TABLE_SIZE * 2


CENTRE_CONTACTS = "（联系电话：{{ centre_phone }}{% if centre_email %}；电子邮箱：{{ centre_email }}{% endif %}）"


def centre_closing(doc) -> None:
    """A blank line kept with the 落款 (no signature alone on a page), the centre's 落款 and
    date, its contacts: how the centre's notices (督办通知, 通知函) end."""
    body(doc, "").paragraph_format.keep_with_next = True
    signature(doc, "{{ centre_name }}", "{{ date }}")
    contacts(doc, CENTRE_CONTACTS)


def write_body(doc) -> None:
    letterhead(doc, "{{ letter_no }}")
    title(doc, LETTER_TITLE)
    body(doc, "{{ unit }}：", indent=False)
    facts_table(doc)
    body(doc, "附件：安全生产举报办理情况反馈表")
    signature(doc, "{{ centre_name }}", "{{ issued_date }}")
    contacts(doc, "（联系电话：{{ centre_phone }}；地址：{{ centre_address }}"
                  "{% if centre_email %}；电子邮箱：{{ centre_email }}{% endif %}）")


# --- package clean-up -----------------------------------------------------------------------

FONT_TABLE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
{fonts}
</w:fonts>"""
# name, alternative, panose, charset (86 = GB2312), family, pitch
FONTS = (
    (LATIN_FONT, None, "02020603050405020304", "00", "roman", "variable"),
    ("仿宋", "FangSong", "02010609060101010101", "86", "modern", "fixed"),
    ("宋体", "SimSun", "02010600030101010101", "86", "auto", "variable"),
    ("黑体", "SimHei", "02010609060101010101", "86", "modern", "fixed"),
)


def font_table_xml() -> bytes:
    """fontTable.xml naming the fonts with their English names (w:altName) and the GB2312
    charset, so Word, WPS and LibreOffice find them (or a Chinese substitute) anywhere."""
    entries = []
    for name, alt, panose, charset, family, pitch in FONTS:
        alt_el = f'<w:altName w:val="{alt}"/>' if alt else ""
        entries.append(
            f'<w:font w:name="{name}">{alt_el}<w:panose1 w:val="{panose}"/>'
            f'<w:charset w:val="{charset}"/><w:family w:val="{family}"/>'
            f'<w:pitch w:val="{pitch}"/></w:font>')
    return FONT_TABLE.format(fonts="\n".join(entries)).encode("utf-8")


def clean_package(doc) -> None:
    """Nothing personal or stray in the template: no author, no thumbnail, our font table."""
    props = doc.core_properties
    for attr in ("author", "last_modified_by", "comments", "title", "subject", "keywords",
                 "category", "content_status", "identifier", "version"):
        setattr(props, attr, "")
    props.revision = 1
    props.created = props.modified = TEMPLATE_DATE
    props._element._remove_lastPrinted()
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            package.rels.pop(rid)
    for rel in doc.part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            rel.target_part._blob = font_table_xml()
    prune_styles(doc)


# Word 2010's copy of styles.xml (python-docx's default template carries 438 KB of it): later
# Word, WPS and LibreOffice ignore it, and Word 2010 rebuilds it on save.
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_STYLE_REFERENCES = ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyle")


def prune_styles(doc) -> None:
    """Keep the styles the template uses (with what they are based on, link to or are
    followed by), the defaults, and every style of our own (the office may use 文号 or a
    table style when it rewords a template in Word): python-docx's default template defines
    some 160 styles more (350 KB), and every letter would carry, compress and have checked
    all of them. The latent styles stay, so Word's style gallery is as usual."""
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS:
            doc.part.drop_rel(rid)
    styles = doc.styles.element
    by_id = {style.get(qn("w:styleId")): style for style in styles.findall(qn("w:style"))}
    built_in = {style.get(qn("w:styleId")) for style in Document().styles.element.findall(qn("w:style"))}
    parts = [doc.part.element, *(p.element for p in _related_xml_parts(doc))]
    wanted = {el.get(qn("w:val")) for part in parts for tag in _STYLE_REFERENCES for el in part.iter(qn(tag))}
    wanted |= {sid for sid, style in by_id.items() if style.get(qn("w:default")) == "1" or sid not in built_in}
    pending = list(wanted)
    while pending:
        style = by_id.get(pending.pop())
        for tag in ("w:basedOn", "w:link", "w:next"):
            el = style.find(qn(tag)) if style is not None else None
            if el is not None and el.get(qn("w:val")) not in wanted:
                wanted.add(el.get(qn("w:val")))
                pending.append(el.get(qn("w:val")))
    for sid, style in by_id.items():
        if sid not in wanted:
            styles.remove(style)


def _related_xml_parts(doc):
    """The document's headers, footers and numbering: they may name styles too."""
    for rel in doc.part.rels.values():
        if not rel.is_external and hasattr(rel.target_part, "element"):
            yield rel.target_part


def fixed_zip(data: bytes, when: datetime) -> bytes:
    """Re-pack a zip with fixed timestamps so the same input gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_document(styles, body) -> bytes:
    """A template on the letter's page: `styles(doc)` sets the styles, `body(doc)` adds the
    content in order (the default document starts with no paragraph); reproducible bytes."""
    doc = Document()
    styles(doc)
    setup_page(doc)
    body(doc)
    clean_package(doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    return fixed_zip(buffer.getvalue(), TEMPLATE_DATE)


def save(output: Path, build) -> int:
    """Write what `build()` makes to `output` (the scripts' main)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(build())
    print(f"已生成 {output}")
    return 0


def build() -> bytes:
    return build_document(setup_styles, write_body)


def main() -> int:
    return save(OUTPUT, build)


if __name__ == "__main__":
    sys.exit(main())
