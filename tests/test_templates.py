"""Every document a person receives comes from a template in the workspace's templates/:
the 督办通知 (Word, docxtpl) like the letter and the bulletin, and every mail's subject and
body (jinja2); GB/T 9704 layout on A4; wording from config; fonts configurable."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn

from tipdesk.commands.check import SAMPLE_CASE
from tipdesk.config import PACKAGE_TEMPLATES
from tipdesk.mail.compose import notice_document, plan_referral_mails
from tipdesk.output.referral import referral_context, referral_letter

AT = datetime(2026, 12, 3, 8, 30)
ITEM = {"case_id": "AJ2026-0103", "category": "一般", "subject": "宏达建设（东城项目部）", "letter_no": "安举交〔2026〕3号",
        "deadline": "2026年11月30日", "timing": "已超期3个工作日"}
NOTICE = {"unit": "区住房和城乡建设局", "number": "安举督〔2026〕2号", "escalate_after": 2, "leader": "赵局长",
          "date": "2026年12月3日", "items": [ITEM]}


def notice_of(ws, **overrides) -> Document:
    config = ws.config
    return Document(io.BytesIO(notice_document(config.mail, {**NOTICE, "centre": config.mail.centre, **overrides}, AT)))


def texts(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs if p.text.strip()]


def style_fonts(doc: Document, style: str) -> tuple[str, str, bool]:
    el = doc.styles[style].element
    fonts = el.rPr.find(qn("w:rFonts"))
    return fonts.get(qn("w:eastAsia")), fonts.get(qn("w:ascii")), el.rPr.find(qn("w:b")) is not None


def test_init_copies_every_template_into_the_workspace(ws):
    own = ws.root / "templates"
    for source in [*PACKAGE_TEMPLATES.glob("*.docx"), *(PACKAGE_TEMPLATES / "mail").glob("*.j2")]:
        copy = own / source.relative_to(PACKAGE_TEMPLATES)
        assert copy.read_bytes() == source.read_bytes(), copy
    assert (own / "督办通知.docx").exists() and (own / "mail" / "notice_correction_body.j2").exists()


def test_the_escalation_notice_is_a_gbt9704_document_on_a4(ws):
    doc = notice_of(ws)
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                  section.right_margin)] == [37, 35, 28, 26]
    lines = texts(doc)
    # 版头 (issuing office, 发文字号 over the red rule), title, 主送, the case, 落款, 成文日期.
    assert lines[:4] == ["区应急管理局指挥中心", "安举督〔2026〕2号", "安全生产举报事项督办通知", "区住房和城乡建设局："]
    assert lines[5] == ("（1）AJ2026-0103，一般类，被举报单位：宏达建设（东城项目部），交办文号：安举交〔2026〕3号，"
                        "办理期限：2026年11月30日，已超期3个工作日。")
    assert "请赵局长同志督促承办科室立即调查处理" in lines[6]
    assert lines[-3:-1] == ["区应急管理局指挥中心", "2026年12月3日"]
    red = [p for p in doc.paragraphs if p.text == "安举督〔2026〕2号"][0]._p.pPr.find(qn("w:pBdr"))
    assert red.find(qn("w:bottom")).get(qn("w:color")) == "FF0000"
    assert doc.paragraphs[0].style.font.color.rgb == (0xFF, 0x00, 0x00)
    # Page numbers "— 1 —" on odd and even pages; full-width brackets only.
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in "".join(i.text for i in footer._element.iter(qn("w:instrText"))) and "— " in xml
    assert not re.search(r"[()\[\]]", "".join(lines))
    # Names read from liaison forms arrive half-width (NFKC): the notice writes them Chinese.
    named = texts(notice_of(ws, leader="吴志刚(副局长)", items=[{**ITEM, "subject": "宏达(东城)公司"}]))
    assert "请吴志刚（副局长）同志督促" in named[6] and "被举报单位：宏达（东城）公司" in named[5]
    assert not re.search(r"[()]", "".join(named))
    props = doc.core_properties
    assert (props.title, props.subject, props.author) == ("安全生产举报事项督办通知", "安举督〔2026〕2号", "区应急管理局指挥中心")


def test_fonts_letterhead_and_addressees_come_from_config(ws):
    doc = notice_of(ws)
    assert style_fonts(doc, "Normal")[:2] == ("仿宋", "Times New Roman")
    assert style_fonts(doc, "公文标题") == ("宋体", "宋体", True)       # 宋体 is set bold
    ws.set_config("    title: 宋体 ", "    title: 方正小标宋简体 ")
    ws.set_config("    body: 仿宋 ", "    body: 仿宋_GB2312 ")
    ws.set_config("letterhead: true ", "letterhead: false ")
    doc = notice_of(ws)
    assert style_fonts(doc, "Normal")[0] == "仿宋_GB2312"
    assert style_fonts(doc, "公文标题") == ("方正小标宋简体", "方正小标宋简体", False)  # heavy by itself
    assert texts(doc)[:2] == ["安举督〔2026〕2号", "安全生产举报事项督办通知"]  # no red 版头, number kept
    ws.set_config('issuer: ""', "issuer: 某区应急管理局")
    ws.set_config("letterhead: false ", "letterhead: true ")
    ws.set_config("bulletin_recipients: 机关各部门、四街一镇、直属事业单位", "bulletin_recipients: 各镇街、各有关部门")
    config = ws.config
    assert texts(notice_of(ws))[0] == "某区应急管理局"
    assert config.documents.bulletin_recipients == "各镇街、各有关部门"
    from tipdesk.output.bulletin import bulletin_context
    from tipdesk.rules.stats import parse_period, period_stats

    context = bulletin_context(period_stats([], parse_period("2026-11"), AT), config.centre, config.deadlines,
                               config.documents)
    assert (context["recipients"], context["letterhead"]) == ("各镇街、各有关部门", "某区应急管理局")


def test_letter_and_mail_state_the_configured_deadlines(ws, tmp_path):
    ws.set_config("urgent_hours: 24", "urgent_hours: 12")
    ws.set_config("general_working_days: 7", "general_working_days: 5")
    config = ws.config
    for category, words in (("紧急", "必须在12小时内完成调查处理"), ("一般", "应在5个工作日内完成调查处理")):
        context = referral_context({**SAMPLE_CASE, "类别": category}, config.centre, AT, config.deadlines, config.documents)
        letter = Document(io.BytesIO(referral_letter(context, config.documents.template("交办单.docx"))))
        assert words in "".join(c.text for t in letter.tables for r in t.rows for c in r.cells)
    sheet = tmp_path / "a.xlsx"
    sheet.write_bytes(b"x")
    (mail,) = plan_referral_mails({"区住房和城乡建设局": [("AJ2026-0001", [sheet])]}, {}, {}, config.mail, AT)
    assert "紧急类举报在12小时内" in mail.body and "一般类举报在5个工作日内" in mail.body
    assert "在24小时内完成" not in mail.body and "7个工作日" not in mail.body


def test_the_workspace_templates_win_over_the_packages(ws, tmp_path):
    own = ws.root / "templates"
    (own / "mail" / "referral_subject.j2").write_text("【交办】{{ unit }}：本区举报件（{{ items|length }}件）\n", encoding="utf-8")
    sheet = tmp_path / "a.xlsx"
    sheet.write_bytes(b"x")
    (mail,) = plan_referral_mails({"东城街道": [("AJ2026-0001", [sheet])]}, {}, {}, ws.config.mail, AT)
    assert mail.subject == "【交办】东城街道：本区举报件（1件）"
    # The office rewords the 督办通知 in Word: its copy is the one used.
    path = own / "督办通知.docx"
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace("督促承办科室".encode(), "亲自督促承办科室".encode())
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    assert any("请赵局长同志亲自督促承办科室" in line for line in texts(notice_of(ws)))


def test_check_tries_every_template(ws, capsys):
    own = ws.root / "templates"
    path = own / "督办通知.docx"
    with zipfile.ZipFile(path) as src:
        parts = {n: src.read(n) for n in src.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"{{ number }}", b"{{ numbr }}", 1)
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)
    (own / "mail" / "digest_body.j2").write_text("{{ unit }：\n{% for x in items %}\n", encoding="utf-8")
    assert ws.run("check") == 2
    out = capsys.readouterr().out
    assert "模板 督办通知.docx 中的 {{ numbr }} 无法填写" in out
    assert "邮件模板 templates/mail/digest_body.j2 有误" in out


def test_a_broken_notice_template_is_a_clear_error_not_a_traceback(ws):
    from tipdesk.domain.errors import TipdeskError

    (ws.root / "templates" / "督办通知.docx").write_bytes(b"not a word file")
    with pytest.raises(TipdeskError) as error:
        notice_of(ws)
    assert "督办通知模板 督办通知.docx 有误" in error.value.message


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) or poppler not installed")
def test_the_notice_prints_on_one_a4_page(ws, tmp_path):
    out = tmp_path / "督办通知.docx"
    out.write_bytes(notice_document(ws.config.mail, {**NOTICE, "items": [ITEM, {**ITEM, "case_id": "AJ2026-0104"}],
                                                      "centre": ws.config.mail.centre}, AT))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(out)], check=True, capture_output=True, timeout=180)
    info = subprocess.run(["pdfinfo", str(tmp_path / "督办通知.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", info) and "(A4)" in info


@pytest.mark.parametrize("script, template", [("make_letter_template.py", "交办单.docx"),
                                              ("make_notice_template.py", "督办通知.docx"),
                                              ("make_bulletin_template.py", "通报.docx")])
def test_the_templates_are_what_their_scripts_build(script, template):
    import importlib.util

    spec = importlib.util.spec_from_file_location(script[:-3], Path(__file__).resolve().parent.parent / "scripts" / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == (PACKAGE_TEMPLATES / template).read_bytes()


@pytest.mark.parametrize("template", ["交办单.docx", "督办通知.docx", "通报.docx", "通知函.docx"])
def test_the_templates_carry_only_the_styles_they_use(template):
    """python-docx's default template defines some 160 styles and a Word 2010 copy of them
    (830 KB of XML): every letter would carry, compress and have the egress gate read it.
    Our own styles stay in every template, for the office rewording one in Word."""
    built_in = {s.get(qn("w:styleId")) for s in Document().styles.element.findall(qn("w:style"))}
    with zipfile.ZipFile(PACKAGE_TEMPLATES / template) as package:
        names = package.namelist()
        styles = package.read("word/styles.xml").decode("utf-8")
        used = "".join(package.read(n).decode("utf-8") for n in names
                       if n.startswith("word/") and n.endswith(".xml") and n != "word/styles.xml")
        size = sum(info.file_size for info in package.infolist())
    assert "word/stylesWithEffects.xml" not in names
    assert size < 100_000
    blocks = {m.group(1): m.group(0) for m in
              re.finditer(r'<w:style\b[^>]*w:styleId="([^"]+)"[^>]*?(?:/>|>.*?</w:style>)', styles, re.S)}
    assert {"DocTitle", "Letterhead", "PageNumber", "TableText"} <= set(blocks)
    for style_id, block in blocks.items():
        others = used + "".join(b for other, b in blocks.items() if other != style_id)
        kept = 'w:default="1"' in block[:block.index(">")] or style_id not in built_in
        assert kept or f'w:val="{style_id}"' in others, f"{template}: unused style {style_id}"
