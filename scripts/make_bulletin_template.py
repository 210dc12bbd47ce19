"""Build templates/通报.docx, the Word template of the periodic bulletin (通报).

Run from the repository root:  .venv/bin/python scripts/make_bulletin_template.py

Like the referral letter (make_letter_template.py, whose page, styles and helpers this
reuses), the template is generated so its layout is reviewable and the bytes reproducible;
the office may edit it in Word or WPS afterwards as long as the {{ ... }} tags survive.

GB/T 9704-2012: A4, the red 版头 (issuing office and red rule), title 二号, 主送, body 三号
on a 28.95 pt grid, first-level headings (一、) 黑体 三号, 落款 and 成文日期, page numbers
"— 1 —"; fonts as the letter's (set from `documents.fonts` when rendered). The tables are
set in 小四 so eight columns fit the 156 mm type area. Tags (see tipdesk/output/bulletin.py,
bulletin_context): letterhead, period, recipients, intro, overview, ranking_text, units,
rate_note, criticism_text, late, hotspots, replies, waiting, requirements, closing, annex,
sender, issued_date.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Emu, Mm, Pt

# The letter's page, styles and helpers, loaded by path: scripts/ is not a package.
_spec = importlib.util.spec_from_file_location(
    "make_letter_template", Path(__file__).resolve().parent / "make_letter_template.py")
letter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(letter)

OUTPUT = Path(__file__).resolve().parent.parent / "templates" / "通报.docx"

HEADING_FONT = letter.HEADING_FONT
SMALL_SIZE = Pt(12)      # 小四, for the tables and the note under a table
SMALL_PITCH = Pt(18)

# (header, cell tag, width) of each table; widths add up to the 156 mm type area.
UNIT_COLUMNS = (
    ("排名", "{{ u.rank }}", Mm(11)),
    ("承办单位", "{{ u.name }}", Mm(44)),
    ("交办", "{{ u.received }}", Mm(12)),
    ("办结", "{{ u.closed }}", Mm(12)),
    ("按时办结", "{{ u.on_time }}", Mm(20)),
    ("应办结", "{{ u.due }}", Mm(17)),
    ("按时办结率", "{{ u.rate }}", Mm(25)),
    ("超期", "{{ u.overdue }}", Mm(15)),
)
LATE_COLUMNS = (
    ("承办单位", "{{ c.unit }}", Mm(32)),
    ("案件编号", "{{ c.case_id }}", Mm(31)),
    ("被举报单位", "{{ c.subject }}", Mm(35)),
    ("办理期限", "{{ c.deadline }}", Mm(26)),
    ("办结情况", "{{ c.status }}", Mm(32)),
)
WAITING_COLUMNS = (
    ("承办单位", "{{ c.unit }}", Mm(40)),
    ("案件编号", "{{ c.case_id }}", Mm(34)),
    ("被举报单位", "{{ c.subject }}", Mm(50)),
    ("办结日期", "{{ c.closed }}", Mm(32)),
)


def setup_styles(doc) -> None:
    letter.setup_styles(doc)
    letter.paragraph_style(doc, "一级标题", base="Normal", size=letter.BODY_SIZE,
                           pitch=letter.LINE_PITCH, latin=HEADING_FONT, east_asia=HEADING_FONT,
                           style_id="Heading1CN")
    doc.styles["一级标题"].paragraph_format.first_line_indent = letter.CHAR * 2
    doc.styles["一级标题"].paragraph_format.keep_with_next = True
    letter.paragraph_style(doc, "表题", base="Normal", size=SMALL_SIZE, pitch=Pt(24),
                           latin=HEADING_FONT, east_asia=HEADING_FONT,
                           align=WD_ALIGN_PARAGRAPH.CENTER, style_id="TableCaption")
    doc.styles["表题"].paragraph_format.keep_with_next = True
    letter.paragraph_style(doc, "表内文字", base="Normal", size=SMALL_SIZE, pitch=SMALL_PITCH,
                           latin=letter.LATIN_FONT, east_asia=letter.BODY_FONT,
                           align=WD_ALIGN_PARAGRAPH.CENTER, style_id="TableSmall")
    letter.paragraph_style(doc, "表注", base="Normal", size=SMALL_SIZE, pitch=Pt(22),
                           latin=letter.LATIN_FONT, east_asia=letter.BODY_FONT,
                           style_id="TableNote")


def heading(doc, text: str) -> None:
    doc.add_paragraph(text, style="一级标题")


def each(doc, name: str, items: str) -> None:
    """One body paragraph per item of the list `items` (docxtpl {%p for %})."""
    doc.add_paragraph(f"{{%p for {name} in {items} %}}", style="Normal")
    letter.body(doc, f"{{{{ {name} }}}}")
    doc.add_paragraph("{%p endfor %}", style="Normal")


def _cell(cell, text: str, *, bold: bool = False) -> None:
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph = cell.paragraphs[0]
    paragraph.style = "表内文字"
    paragraph.add_run(text).bold = bold


def _repeat_header(row) -> None:
    """The header row repeats on every page a long table runs over."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _control_row(table, tag: str) -> None:
    row = table.add_row()
    merged = row.cells[0].merge(row.cells[-1])
    merged.paragraphs[0].style = "表内文字"
    merged.paragraphs[0].add_run(tag)


def loop_table(doc, columns, item: str, items: str) -> None:
    """A table: a bold header row, then one row per element of `items` (docxtpl {%tr for %})."""
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    letter.set_cell_margins(table, Pt(3), Pt(1))
    for cell, (header, _, _) in zip(table.rows[0].cells, columns):
        _cell(cell, header, bold=True)
    _repeat_header(table.rows[0])
    _control_row(table, f"{{%tr for {item} in {items} %}}")
    row = table.add_row()
    for cell, (_, tag, _) in zip(row.cells, columns):
        _cell(cell, tag)
    _control_row(table, "{%tr endfor %}")
    # Word takes each cell's own width (tcW), so set it on every cell, merged ones summed.
    widths = [width for _, _, width in columns]
    for column, width in zip(table.columns, widths):
        column.width = width
    for tr in table._tbl.tr_lst:
        start = 0
        for tc in tr.tc_lst:
            tc.width = Emu(sum(widths[start:start + tc.grid_span]))
            start += tc.grid_span


def write_body(doc) -> None:
    doc.add_paragraph("{%p if letterhead %}", style="Normal")
    letter.red_rule(doc.add_paragraph("{{ letterhead }}", style="版头"))
    doc.add_paragraph("{%p endif %}", style="Normal")
    # Two lines broken between words, as GB/T 9704 wants a title to be.
    title = letter.title(doc, "关于{{ period }}")
    title.add_run().add_break()
    title.add_run("安全生产举报受理处置情况的通报")
    letter.body(doc, "", indent=False)
    letter.body(doc, "{{ recipients }}：", indent=False)
    letter.body(doc, "{{ intro }}")

    heading(doc, "一、总体情况")
    each(doc, "text", "overview")

    heading(doc, "二、各单位办理情况")
    letter.body(doc, "{{ ranking_text }}")
    doc.add_paragraph("{%p if units %}", style="Normal")
    doc.add_paragraph("表1  各承办单位办理情况（按按时办结率排名）", style="表题")
    loop_table(doc, UNIT_COLUMNS, "u", "units")
    doc.add_paragraph("{{ rate_note }}", style="表注")
    doc.add_paragraph("{%p endif %}", style="Normal")

    heading(doc, "三、超期案件通报批评")
    letter.body(doc, "{{ criticism_text }}")
    doc.add_paragraph("{%p if late %}", style="Normal")
    doc.add_paragraph("表2  超期案件", style="表题")
    loop_table(doc, LATE_COLUMNS, "c", "late")
    doc.add_paragraph("{%p endif %}", style="Normal")

    heading(doc, "四、热点问题分析")
    each(doc, "text", "hotspots")

    heading(doc, "五、核查和回复举报人情况")
    each(doc, "text", "replies")
    doc.add_paragraph("{%p if waiting %}", style="Normal")
    doc.add_paragraph("表3  已办结但尚未回复举报人的案件", style="表题")
    loop_table(doc, WAITING_COLUMNS, "c", "waiting")
    doc.add_paragraph("{%p endif %}", style="Normal")

    heading(doc, "六、工作要求")
    each(doc, "text", "requirements")
    # The last requirement stays on the page of the signature: GB/T 9704 wants no
    # signature alone on a page.
    letter.body(doc, "{{ closing }}").paragraph_format.keep_with_next = True
    letter.body(doc, "").paragraph_format.keep_with_next = True
    letter.body(doc, "附件：{{ annex }}").paragraph_format.keep_with_next = True
    letter.body(doc, "").paragraph_format.keep_with_next = True
    letter.signature(doc, "{{ sender }}", "{{ issued_date }}")


def build() -> bytes:
    return letter.build_document(setup_styles, write_body)


def main() -> int:
    return letter.save(OUTPUT, build)


if __name__ == "__main__":
    sys.exit(main())
