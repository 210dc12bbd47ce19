"""Referral letters and feedback sheets (tipdesk/documents.py, templates/交办单.docx).

Golden files: tests/data/golden/letter.txt and feedback_sheet.txt hold a readable dump of
the rendered letter (paragraphs, table cells, footers, page setup, fonts, properties) and of
the feedback sheet (cells with lock flags, merges, validations, print setup, marker). After
an intended change, regenerate them and review the diff:

    TIPDESK_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_documents.py -q
"""

from __future__ import annotations

import html
import importlib.util
import io
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import Workbook, load_workbook

from tipdesk.domain import columns as col
from tipdesk.output.referral import (
    CATEGORY_REQUIREMENTS, feedback_sheet, file_names, read_feedback_marker, referral_context, referral_letter,
)
from tipdesk.domain.textnorm import chinese_date
from tipdesk.domain.columns import MARKER_FORMAT, MARKER_SHEET

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "交办单.docx"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
REGEN = os.environ.get("TIPDESK_REGEN_GOLDEN") == "1"

CENTRE = {"name": "区应急管理局指挥中心", "phone": "0571-8888 1234",
          "address": "区政务中心502室", "email": "zhihui@example.gov.cn"}
ISSUED_AT = datetime(2026, 10, 14, 14, 30)


def make_case(**overrides) -> dict:
    case = {header: None for header in col.REGISTER_COLUMNS}
    case.update({
        col.CASE_ID: "AJ2026-0001", col.RECEIVED_AT: datetime(2026, 10, 14, 9, 30),
        col.SOURCE: "省转办", col.UPSTREAM_NO: "SZB2026101400123",
        col.UPSTREAM_DEADLINE: datetime(2026, 10, 20),
        col.REPORTER: "王建国", col.REPORTER_CONTACT: "13812345678",
        col.SUBJECT: "青山镇宏达五金制品有限公司",
        col.ADDRESS: "青山镇人民路88号（宏达工业园3号厂房）",
        col.AREA: "青山镇", col.INDUSTRY: "工贸",
        col.CONTENT: (
            "举报人王建国反映：该公司抛光车间粉尘很大，除尘设备长期不开，车间内堆放大量铝粉，"
            "工人未经培训上岗，夜间经常加班生产。上周五晚上车间曾冒烟，被工人用灭火器扑灭，"
            "未报告。举报人称该车间与员工宿舍仅一墙之隔，存在较大安全隐患，请有关部门尽快核查"
            "处理。如需了解情况可联系王先生，电话138 1234 5678。"),
        col.CATEGORY: col.URGENT, col.UNIT: "区应急管理局",
        col.LETTER_NO: "安举交〔2026〕15号", col.REFERRED_AT: ISSUED_AT,
        col.DEADLINE: datetime(2026, 10, 15, 14, 30), col.STATUS: col.REFERRED,
    })
    case.update(overrides)
    return case


@pytest.fixture
def context():
    return referral_context(make_case(), CENTRE, ISSUED_AT)


# --- context --------------------------------------------------------------------------------

@pytest.mark.parametrize("value,with_time,text", [
    (datetime(2026, 10, 15, 14, 30), False, "2026年10月15日"),
    (datetime(2026, 10, 15, 14, 30), True, "2026年10月15日14时30分"),
    (datetime(2026, 1, 5, 9, 0), True, "2026年1月5日9时"),
    (datetime(2026, 12, 31).date(), True, "2026年12月31日"),
    (None, True, ""),
])
def test_chinese_date(value, with_time, text):
    assert chinese_date(value, with_time) == text


def test_context_has_no_reporter(context):
    flat = repr(context)
    for fragment in ("王建国", "王先生", "13812345678", "138 1234 5678"):
        assert fragment not in flat
    assert "【已隐去】" in context["content"]


def test_context_values(context):
    assert context["letter_no"] == "安举交〔2026〕15号"
    assert context["unit"] == "区应急管理局"
    assert context["received_at"] == "2026年10月14日9时30分"
    assert context["deadline"] == "2026年10月15日14时30分"
    assert context["issued_date"] == "2026年10月14日"
    assert context["issued_at"] == "2026-10-14T14:30:00"
    assert context["centre_name"] == CENTRE["name"]
    assert all(isinstance(v, str) for v in context.values())


@pytest.mark.parametrize("category,deadline,words", [
    (col.URGENT, "2026年10月15日14时30分", "24小时内完成调查处理并及时反馈处理结果"),
    (col.GENERAL, "2026年10月15日", "7个工作日内完成调查处理并反馈"),
    (col.ACCIDENT, "2026年10月15日14时30分",
     "迅速进行核实，并严格依照有关法规进行严肃认真的调查处理"),
])
def test_category_requirements_and_deadline(category, deadline, words):
    ctx = referral_context(make_case(**{col.CATEGORY: category}), CENTRE, ISSUED_AT)
    assert words in ctx["requirements"] == CATEGORY_REQUIREMENTS[category]
    assert ctx["deadline"] == deadline


def test_context_needs_category_and_deadline():
    with pytest.raises(ValueError, match="类别"):
        referral_context(make_case(**{col.CATEGORY: "特急"}), CENTRE, ISSUED_AT)
    with pytest.raises(ValueError, match="办理期限"):
        referral_context(make_case(**{col.DEADLINE: None}), CENTRE, ISSUED_AT)


def test_file_names(context):
    assert file_names(context) == ("AJ2026-0001-交办单.docx", "AJ2026-0001-反馈表.xlsx")
    assert file_names({"case_id": "AJ/2026 01"})[0] == "AJ_2026_01-交办单.docx"
    with pytest.raises(ValueError):
        file_names({"case_id": ""})


def test_template_uses_only_context_keys(context):
    from docxtpl import DocxTemplate

    used = DocxTemplate(str(TEMPLATE)).get_undeclared_template_variables()
    assert used and used <= set(context)


# --- the letter -----------------------------------------------------------------------------

def letter_dump(data: bytes) -> str:
    """A readable, stable picture of the letter for the golden file."""
    doc = Document(io.BytesIO(data))
    lines = ["[page]"]
    section = doc.sections[0]
    for name in ("page_width", "page_height", "top_margin", "bottom_margin", "left_margin",
                 "right_margin", "footer_distance"):
        lines.append(f"{name} = {getattr(section, name).mm:.1f} mm")
    lines.append("[fonts]")
    for style in ("Normal", "公文标题", "表格文字", "页码"):
        el = doc.styles[style].element
        fonts = el.rPr.find(qn("w:rFonts"))
        size = doc.styles[style].font.size.pt
        spacing = doc.styles[style].paragraph_format.line_spacing.pt
        lines.append(f"{style}: eastAsia={fonts.get(qn('w:eastAsia'))} "
                     f"ascii={fonts.get(qn('w:ascii'))} size={size:g} line={spacing:g}")
    lines.append("[body]")
    body = doc.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append("".join(t.text or "" for t in child.iter(qn("w:t"))))
        elif child.tag == qn("w:tbl"):
            for tr in child.iter(qn("w:tr")):
                cells = ["⏎".join("".join(t.text or "" for t in p.iter(qn("w:t")))
                                   for p in tc.iter(qn("w:p")))
                         for tc in tr.iter(qn("w:tc"))]
                lines.append("| " + " | ".join(cells) + " |")
    lines.append("[footers]")
    for footer in (section.footer, section.even_page_footer):
        lines.append("".join(t.text or "" for t in footer._element.iter(qn("w:t")))
                     + " " + "".join(i.text for i in footer._element.iter(qn("w:instrText"))))
    lines.append("[properties]")
    props = doc.core_properties
    for name in ("author", "last_modified_by", "title", "subject", "keywords", "comments",
                 "category", "created", "modified"):
        lines.append(f"{name} = {getattr(props, name)}")
    return "\n".join(lines) + "\n"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run with TIPDESK_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_letter_golden(context):
    check_golden("letter.txt", letter_dump(referral_letter(context, TEMPLATE)))


def test_letter_is_reproducible(context):
    assert referral_letter(context, TEMPLATE) == referral_letter(context, TEMPLATE)


def test_letter_without_upstream_number_drops_the_row():
    ctx = referral_context(make_case(**{col.UPSTREAM_NO: None, col.SOURCE: "12350热线"}),
                           CENTRE, ISSUED_AT)
    text = letter_dump(referral_letter(ctx, TEMPLATE))
    assert "上级编号" not in text and "12350热线" in text


def test_letter_escapes_markup_and_keeps_line_breaks():
    ctx = referral_context(make_case(**{col.CONTENT: "A<B & C>D\n第二段\x0b"}), CENTRE, ISSUED_AT)
    doc = Document(io.BytesIO(referral_letter(ctx, TEMPLATE)))
    xml = doc.element.xml
    assert "A&lt;B &amp; C&gt;D" in xml and "第二段" in xml


def test_letter_properties_are_impersonal(context):
    doc = Document(io.BytesIO(referral_letter(context, TEMPLATE)))
    props = doc.core_properties
    assert props.author == props.last_modified_by == CENTRE["name"]
    assert props.comments == props.keywords == ""
    # python-docx reads W3CDTF times back as UTC-aware datetimes.
    assert props.created.replace(tzinfo=None) == props.modified.replace(tzinfo=None) == ISSUED_AT


def test_letter_forgets_who_last_saved_the_template(context, tmp_path):
    """The office edits the template in Word: its author, company and manager stay out."""
    edited = tmp_path / "edited.docx"
    with zipfile.ZipFile(TEMPLATE) as src, zipfile.ZipFile(edited, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "docProps/app.xml":
                data = data.replace(b"<Company/>", "<Company>张秘书工作室</Company>".encode())
                data = data.replace(b"<Manager/>", "<Manager>张秘书</Manager>".encode())
            if name == "docProps/core.xml":
                data = data.replace(b"<dc:creator></dc:creator>",
                                    "<dc:creator>张秘书</dc:creator>".encode())
            dst.writestr(name, data)
    assert sum("张秘书" in text for text in package_texts(edited.read_bytes()).values()) == 2
    parts = package_texts(referral_letter(context, edited))
    assert not any("张秘书" in text for text in parts.values())


def test_template_script_is_reproducible():
    spec = importlib.util.spec_from_file_location(
        "make_letter_template", ROOT / "scripts" / "make_letter_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == module.build()


# --- the feedback sheet ---------------------------------------------------------------------

def sheet_dump(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    lines = [f"sheets = {[(ws.title, ws.sheet_state) for ws in wb.worksheets]}"]
    ws = wb[col.FEEDBACK_SHEET]
    lines.append(f"protection: sheet={ws.protection.sheet} password={ws.protection.password} "
                 f"formatRows={ws.protection.formatRows}")
    lines.append(f"print_area = {ws.print_area}")
    setup = ws.page_setup
    lines.append(f"page: paper={setup.paperSize} orientation={setup.orientation} "
                 f"fit={ws.sheet_properties.pageSetUpPr.fitToPage} "
                 f"{setup.fitToWidth}x{setup.fitToHeight}")
    lines.append(f"columns = {[(k, v.width) for k, v in sorted(ws.column_dimensions.items())]}")
    lines.append(f"merged = {sorted(str(r) for r in ws.merged_cells.ranges)}")
    lines.append("[cells] coordinate | locked | fill | font | value")
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None and cell.protection.locked:
                continue
            value = str(cell.value).replace("\n", "⏎") if cell.value is not None else ""
            lines.append(f"{cell.coordinate} | {'locked' if cell.protection.locked else 'open'}"
                         f" | {cell.fill.fgColor.rgb} | {cell.font.name} | {value}")
    lines.append(f"rows = {[(r, ws.row_dimensions[r].height) for r in range(1, ws.max_row + 1)]}")
    lines.append("[validations]")
    for dv in ws.data_validations.dataValidation:
        lines.append(f"{dv.sqref} | {dv.type} {dv.operator} {dv.formula1} | {dv.error}")
    lines.append("[marker]")
    for key, value in wb[MARKER_SHEET].iter_rows(values_only=True):
        lines.append(f"{key} = {value}")
    props = wb.properties
    lines.append(f"[properties] creator={props.creator} lastModifiedBy={props.lastModifiedBy} "
                 f"title={props.title} subject={props.subject} created={props.created} "
                 f"modified={props.modified}")
    return "\n".join(lines) + "\n"


def test_sheet_golden(context):
    check_golden("feedback_sheet.txt", sheet_dump(feedback_sheet(context, "FB-000001")))


def test_sheet_is_reproducible(context):
    assert feedback_sheet(context, "1") == feedback_sheet(context, "1")


# Texts people type, and what is hard to write in XML: markup, quotes, line breaks, tabs,
# full-width and astral characters, numbers, and the mark the stamp itself uses.
_PIECES = ["宏达五金", "A&B", "<空>", '"引号"', "'单'", "\n", "\t", "１２３", "😀", "〔2026〕", "—", "路88号",
           "很长的举报内容，" * 30]
# What a stamp cannot stand for (openpyxl writes no cell, or marks the spaces, or drops it).
_UNSTAMPABLE = [" ", "\r", "TIPDESK03MARK", "\x0b"]


@pytest.mark.parametrize("seed", range(60))
def test_a_stamped_sheet_is_byte_for_byte_the_sheet_openpyxl_builds(seed):
    """Each run's sheets are copies of one built with marks (referral._Stamp); any case's
    text is written as openpyxl writes it, or the sheet is built by openpyxl after all."""
    import random

    from tipdesk.output.referral import _stamp_for, built_feedback_sheet

    rng = random.Random(seed)

    def text() -> str:
        pieces = [rng.choice(_PIECES) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.1:
            pieces.insert(rng.randint(0, len(pieces)), rng.choice(_UNSTAMPABLE))
        return "" if rng.random() < 0.03 else "".join(pieces)

    case = make_case(**{name: text() for name in (col.SUBJECT, col.ADDRESS, col.CONTENT, col.UNIT)},
                     **{col.CATEGORY: rng.choice(["一般", "紧急", "事故"]), col.AREA: rng.choice(["青山镇", "东城街道"]),
                        col.INDUSTRY: rng.choice(["工贸", "建筑施工"]), col.SOURCE: rng.choice(["省转办", "12350热线"])})
    # Cases of one run share one stamp, whatever else differs between them.
    context = referral_context(case, CENTRE, ISSUED_AT)
    assert _stamp_for(context) is _stamp_for(referral_context(make_case(), CENTRE, ISSUED_AT))
    sheet_id = rng.choice(["FB-000001", "a1b2c3d4e5f60718", text()])
    stamped = _stamp_for(context).fill(context, sheet_id)
    values = [context[k] for k in ("subject", "address", "content", "unit")] + [sheet_id]
    plain = all(v and v == v.strip() and "\r" not in v and "\x0b" not in v and "TIPDESK" not in v for v in values)
    assert (stamped is not None) == plain
    assert feedback_sheet(context, sheet_id) == built_feedback_sheet(context, sheet_id)
    if stamped is not None:
        assert stamped == built_feedback_sheet(context, sheet_id)


def test_the_usual_sheet_is_stamped_not_built(context):
    from tipdesk.output.referral import _stamp_for

    assert _stamp_for(context).fill(context, "FB-000001") is not None


def label_cells(ws) -> dict[str, list]:
    found: dict[str, list] = {}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                found.setdefault(cell.value, []).append(cell)
    return found


def test_sheet_labels_follow_the_contract(context, tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(feedback_sheet(context, "7"))
    ws = load_workbook(path)[col.FEEDBACK_SHEET]
    cells = label_cells(ws)
    for label in col.FEEDBACK_LABELS:
        assert len(cells.get(label, [])) == 1, label  # exactly one cell with that text
        cell = cells[label][0]
        answer = ws.cell(cell.row, cell.column + 1)
        assert cell.protection.locked
        if label in ("案件编号", "承办单位"):
            assert answer.protection.locked and answer.value == context[
                "case_id" if label == "案件编号" else "unit"]
        else:
            assert not answer.protection.locked and answer.value is None, label
    assert ws.protection.sheet and not ws.protection.password


def test_sheet_validations(context):
    ws = load_workbook(io.BytesIO(feedback_sheet(context, "7")))[col.FEEDBACK_SHEET]
    cells = label_cells(ws)

    def answer_of(label):
        cell = cells[label][0]
        return ws.cell(cell.row, cell.column + 1).coordinate

    by_cell = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    verified = by_cell[answer_of("是否属实")]
    assert verified.type == "list" and verified.formula1 == '"属实,部分属实,不属实"'
    state = by_cell[answer_of("办理状态")]
    assert state.formula1 == '"' + ",".join(col.FEEDBACK_STATES) + '"'
    dates = by_cell[f"{answer_of('申请延期至')} {answer_of('办结日期')}"]
    assert dates.type == "date" and "日期" in dates.error and dates.showErrorMessage


def test_marker_round_trip(context, tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(feedback_sheet(context, "FB-42"))
    assert read_feedback_marker(path) == {
        "format": MARKER_FORMAT, "case_id": "AJ2026-0001", "letter_no": "安举交〔2026〕15号",
        "unit": "区应急管理局", "sheet_id": "FB-42", "issued_at": "2026-10-14T14:30:00"}
    # A unit fills the sheet in and saves it: the marker survives.
    wb = load_workbook(path)
    assert wb[MARKER_SHEET].sheet_state == "veryHidden"
    wb.save(path)
    assert read_feedback_marker(path)["sheet_id"] == "FB-42"


def test_marker_absent(tmp_path):
    plain = tmp_path / "plain.xlsx"
    Workbook().save(plain)
    assert read_feedback_marker(plain) is None
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    assert read_feedback_marker(junk) is None


# --- the whistleblower never leaves the register ---------------------------------------------

LEAK_CASES = [
    # (register overrides, strings that must appear nowhere)
    ({col.REPORTER: "王建国", col.REPORTER_CONTACT: "13812345678",
      col.CONTENT: "王先生反映，王 建 国本人电话138 1234 5678，也可打138-1234-5678。"},
     ["王建国", "王先生", "王 建 国", "13812345678", "138 1234 5678", "138-1234-5678"]),
    ({col.REPORTER: "欧阳娜娜", col.REPORTER_CONTACT: "+86 139-8765-4321 / ouyang.nana@example.com",
      col.CONTENT: "欧阳女士（１３９８７６５４３２１，ouyang.nana＠example.com，"
                   "身份证11010119900307123X）反映夜间违规动火。"},
     ["欧阳娜娜", "欧阳女士", "13987654321", "１３９８７６５４３２１", "ouyang.nana",
      "11010119900307123X"]),
    ({col.REPORTER: "李梅、张强", col.REPORTER_CONTACT: "0571-87654321；微信 limei_2026",
      col.CONTENT: "李女士和张师傅反映，联系电话：8765 4321，微信：limei_2026，QQ 20261234。"},
     ["李梅", "张强", "李女士", "张师傅", "87654321", "8765 4321", "limei_2026", "20261234"]),
    ({col.REPORTER: "赵 六", col.REPORTER_CONTACT: 13700001111,
      col.CONTENT: "赵先生说(0571)66667777也能找到他，手机１３７ ００００ １１１１。"},
     ["赵六", "赵 六", "赵先生", "13700001111", "66667777"]),
]


def package_texts(data: bytes) -> dict[str, str]:
    """Every part of the package as text, with XML character references resolved
    (openpyxl writes Chinese as &#29579;... which a plain search would miss)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: html.unescape(archive.read(name).decode("utf-8", "replace"))
                for name in archive.namelist()}


def visible_text(part: str) -> str:
    """Text nodes joined, so a number split over two runs is seen whole."""
    return "".join(re.findall(r"<(?:w:t|t)(?: [^>]*)?>([^<]*)</(?:w:t|t)>", part))


@pytest.mark.parametrize("overrides,secrets", LEAK_CASES)
def test_nothing_identifies_the_reporter(overrides, secrets, tmp_path):
    case = make_case(**{col.CASE_ID: "AJ2026-0099", **overrides})
    ctx = referral_context(case, CENTRE, ISSUED_AT)
    letter_name, sheet_name = file_names(ctx)
    (tmp_path / letter_name).write_bytes(referral_letter(ctx, TEMPLATE))
    (tmp_path / sheet_name).write_bytes(feedback_sheet(ctx, "FB-1"))
    digit_secrets = {re.sub(r"\D", "", s) for s in secrets if sum(c.isdigit() for c in s) >= 7}
    for path in tmp_path.iterdir():
        for secret in secrets:
            assert secret not in path.name
        for part, text in package_texts(path.read_bytes()).items():
            squeezed = re.sub(r"[\s\-]", "", visible_text(text))
            for secret in secrets:
                assert secret not in text, (path.name, part, secret)
            for digits in digit_secrets:
                assert digits not in squeezed, (path.name, part, digits)
        assert "【已隐去】" in "".join(package_texts(path.read_bytes()).values())


# --- LibreOffice: one A4 page each ----------------------------------------------------------

def pdf_pages(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                             check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", "10", "-png", str(pdf), str(prefix)], check=True)
    return len(list(pdf.parent.glob(prefix.name + "-*.png")))


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.skipif(shutil.which("pdfinfo") is None and shutil.which("pdftoppm") is None,
                    reason="poppler (pdfinfo/pdftoppm) not installed")
def test_letter_and_sheet_print_on_one_page(context, tmp_path):
    letter_name, sheet_name = file_names(context)
    (tmp_path / letter_name).write_bytes(referral_letter(context, TEMPLATE))
    (tmp_path / sheet_name).write_bytes(feedback_sheet(context, "FB-1"))
    # A private profile: another LibreOffice running on the machine must not interfere.
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), letter_name, sheet_name],
        cwd=tmp_path, check=True, capture_output=True, timeout=240)
    for name in (letter_name, sheet_name):
        pdf = tmp_path / (Path(name).stem + ".pdf")
        assert pdf.exists(), name
        assert pdf_pages(pdf) == 1, name
