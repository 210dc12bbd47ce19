"""The bulletin (tipdesk/report.py, templates/通报.docx) and its annex, on the October 2026
register of test_stats.py, whose figures are worked out by hand in that module's docstring.

Every sentence with a number is asserted in full here, so a change of wording or of a
figure shows up as a readable diff.
"""

from __future__ import annotations

import html
import importlib.util
import io
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from test_stats import NOW, OCTOBER_PERIOD, OCTOBER_REQUESTS, OCTOBER_ROWS, case
from tipdesk.domain import columns as col
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.redact import MARKER
from tipdesk.output.bulletin import build_bulletin, file_names
from tipdesk.commands.report import run_report
from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.store.journal import Journal
from tipdesk.rules.stats import parse_period
from tipdesk.commands.init import empty_register

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "通报.docx"


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    """The sample district's config (templates/config.yaml) in a workspace of its own."""
    from tipdesk.config import load_config

    folder = tmp_path_factory.mktemp("ws")
    shutil.copyfile(ROOT / "templates" / "config.yaml", folder / "config.yaml")
    return load_config(folder / "config.yaml")


@pytest.fixture(scope="module")
def bulletin(config):
    return build_bulletin(OCTOBER_ROWS, OCTOBER_PERIOD, NOW, config, OCTOBER_REQUESTS)


def paragraphs(docx: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(docx)).paragraphs if p.text.strip()]


def tables(docx: bytes) -> list[list[list[str]]]:
    return [[[cell.text for cell in row.cells] for row in table.rows]
            for table in Document(io.BytesIO(docx)).tables]


# --- the text -------------------------------------------------------------------------------

EXPECTED = [
    "区应急管理局指挥中心",  # the red 版头 (GB/T 9704), documents.issuer defaulting to centre.name
    "关于2026年10月\n安全生产举报受理处置情况的通报",
    "机关各部门、四街一镇、直属事业单位：",
    "为贯彻落实《关于进一步加强安全生产举报受理处置工作的通知》要求，现将2026年10月全区安全生产"
    "举报受理处置情况通报如下（数据截至2026年11月2日9时）：",
    "一、总体情况",
    # 18 received against September's 4: +14 = +350.0%; categories and sources as counted.
    "2026年10月，全区共受理安全生产举报18件，较上月增加14件（增长350.0%）。按类别分，紧急类4件、"
    "一般类13件、事故类1件；按来源分，12350热线12件、国家转办1件、省转办1件、市转办1件、来信1件、"
    "网络2件。",
    # 7 of 12 due = 58.3%; September 3 of 4 = 75.0%: down 16.7 points.
    "已交办17件，待分派1件。截至2026年11月2日9时，已办结10件，其中按时办结7件、超期办结3件；"
    "在办8件，其中已超期2件。应办结12件，按时办结率58.3%，较上月（75.0%）下降16.7个百分点。"
    "办理过程中申请退回1件、申请延期1件。",
    "二、各单位办理情况",
    "按按时办结率排名，区消防救援大队居首（75.0%），东城街道居末（0.0%，超期2件）。"
    "各单位办理情况见表1。",
    "表1  各承办单位办理情况（按按时办结率排名）",
    "注：应办结＝已办结＋在办已超期，尚未到期的在办件不计；按时办结率＝按时办结÷应办结；"
    "超期＝超期办结＋在办已超期。",
    "三、超期案件通报批评",
    "本期超期案件5件（超期办结3件、超期未办结2件），涉及东城街道2件、区住房和城乡建设局1件、"
    "区应急管理局1件、区消防救援大队1件；往期案件至今仍超期未办结1件，涉及东城街道1件。"
    "现对东城街道、区住房和城乡建设局、区应急管理局、区消防救援大队予以通报批评，超期案件见表2。",
    "表2  超期案件",
    "四、热点问题分析",
    # Shares of the 18 cases: 5 = 27.8%, 4 = 22.2%, 7 = 38.9%, 3 = 16.7%.
    "（一）从行业领域看，举报主要集中在建筑施工（5件，占27.8%）、工贸（4件，占22.2%）、"
    "消防（4件，占22.2%）。",
    "（二）从所属镇街看，举报较多的是东城街道（7件，占38.9%）、西城街道（3件，占16.7%）、"
    "青山镇（3件，占16.7%）。",
    "（三）重复举报。宏达建设工程有限公司本期被举报3件，此前另有1件；东湖小区物业本期被举报2件，"
    "此前另有1件；东湖商场本期被举报2件；青山镇宏达五金制品有限公司本期被举报2件；"
    "事发地址东城街道人民路88号本期被举报2件，此前另有1件（案件编号见附件）。"
    "反复被举报说明问题可能整改不彻底，请属地和行业主管部门开展重点检查。",
    "五、核查和回复举报人情况",
    "本期受理的举报已办结10件，经核查属实（含部分属实）8件，属实率80.0%。",
    "已办结案件中尚有3件未回复举报人，涉及区消防救援大队2件、区应急管理局1件（见表3）。"
    "请相关单位尽快回复举报人，并将回复情况反馈区应急管理局指挥中心。",
    "已办结的10件均未记录回访，回访率0.0%。请指挥中心对已办结案件逐件回访举报人。",
    "表3  已办结但尚未回复举报人的案件",
    "六、工作要求",
    "（一）被通报批评的单位要立即查明超期原因，加快办理，尽快办结并反馈，同时举一反三，"
    "完善本单位举报承办工作程序。",
    "（二）严格落实办理时限。紧急类举报24小时内、一般类举报7个工作日内完成调查处理并反馈；"
    "事故类举报迅速核实，依法依规调查处理。确需延期或退回的，应在办理期限前提出申请并说明理由。",
    "（三）对反复被举报的单位和地点，属地和行业主管部门要加大执法检查力度，依法依规严肃查处，"
    "确保隐患整改到位。",
    "（四）及时回复举报人，严格为举报人保密，严禁泄露举报人信息。",
    "（五）举报受理处置情况纳入安全生产考核体系，区应急管理局将定期通报。",
    "附件：2026年10月安全生产举报受理处置统计表",
    "区应急管理局指挥中心",
    "2026年11月2日",
]


def test_bulletin_text(bulletin):
    docx, _ = bulletin
    assert paragraphs(docx) == EXPECTED


def test_bulletin_tables(bulletin):
    docx, _ = bulletin
    ranking, late, waiting = tables(docx)
    assert ranking == [
        ["排名", "承办单位", "交办", "办结", "按时办结", "应办结", "按时办结率", "超期"],
        ["1", "区消防救援大队", "4", "4", "3", "4", "75.0%", "1"],
        ["2", "区住房和城乡建设局", "5", "2", "2", "3", "66.7%", "1"],
        ["2", "区应急管理局", "5", "3", "2", "3", "66.7%", "1"],
        ["4", "东城街道", "3", "1", "0", "2", "0.0%", "2"],
    ]
    # Late by: 0107 11 days 9 h at NOW; 0110 1 day 9 h; 0118 22 h 30 min at NOW;
    # 0103 2 days 10 h; 0111 2 h 30 min; 0080 (August, still open) 62 days.
    assert late == [
        ["承办单位", "案件编号", "被举报单位", "办理期限", "办结情况"],
        ["东城街道", "AJ2026-0107", "东湖小区物业", "10月21日", "未办结，已超期11天"],
        ["东城街道", "AJ2026-0110", f"人民路烧烤店（举报人{MARKER}楼下）", "10月28日",
         "10月30日办结，超期1天"],
        ["区住房和城乡建设局", "AJ2026-0118", "宏达建设工程有限公司", "11月1日10时30分",
         "未办结，已超期22小时"],
        ["区应急管理局", "AJ2026-0103", "青山镇宏达五金制品有限公司", "10月16日",
         "10月19日办结，超期2天"],
        ["区消防救援大队", "AJ2026-0111", "东湖商场", "10月21日15时30分", "10月21日办结，超期2小时"],
        ["东城街道", "AJ2026-0080", "解放路废品收购站", "8月31日", "未办结，已超期62天（往期）"],
    ]
    assert waiting == [
        ["承办单位", "案件编号", "被举报单位", "办结日期"],
        ["区应急管理局", "AJ2026-0103", "青山镇宏达五金制品有限公司", "10月19日"],
        ["区消防救援大队", "AJ2026-0105", "南城农贸市场", "10月20日"],
        ["区消防救援大队", "AJ2026-0111", "东湖商场", "10月21日"],
    ]


def test_document_properties_name_the_centre(bulletin):
    props = Document(io.BytesIO(bulletin[0])).core_properties
    assert props.author == "区应急管理局指挥中心"
    assert props.title == "关于2026年10月安全生产举报受理处置情况的通报"
    assert props.created.replace(tzinfo=None) == datetime(2026, 11, 2, 9, 0)


def test_same_input_same_bytes(config, bulletin):
    assert build_bulletin(OCTOBER_ROWS, OCTOBER_PERIOD, NOW, config, OCTOBER_REQUESTS) == bulletin


def test_quiet_period(config):
    """A month without complaints still gives a complete, sensible bulletin."""
    docx, annex = build_bulletin(OCTOBER_ROWS, parse_period("2026-07"), NOW, config)
    text = paragraphs(docx)
    assert "2026年7月，全区共受理安全生产举报0件，与上月持平。" in text
    assert "本期没有交办案件。" in text and "本期没有受理举报。" in text
    # The August case still open counts as carried over only for later periods.
    assert "本期没有超期案件。" in text
    assert "本期受理的举报尚无办结案件。" in text
    assert tables(docx) == []
    assert load_workbook(io.BytesIO(annex)).sheetnames == ["统计", "超期案件", "待回复举报人", "重复举报"]


def test_equal_rates_are_not_ranked_in_words(config):
    september = [row for row in OCTOBER_ROWS if row[col.CASE_ID] in ("AJ2026-0091", "AJ2026-0092")]
    text = paragraphs(build_bulletin(september, parse_period("2026-09"), NOW, config)[0])
    assert "各单位按时办结率均为100.0%。各单位办理情况见表1。" in text


def test_template_script_is_reproducible():
    spec = importlib.util.spec_from_file_location(
        "make_bulletin_template", ROOT / "scripts" / "make_bulletin_template.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == module.build()
    assert module.build() == TEMPLATE.read_bytes(), \
        "templates/通报.docx is stale: run .venv/bin/python scripts/make_bulletin_template.py"


# --- the annex ------------------------------------------------------------------------------

def cells_by_label(ws, column: int = 1) -> dict[str, list]:
    """Each row's values from column C on, keyed by the text in `column` (A or B); a label
    found in several tables (东城街道 is a unit and an area) keeps its first, upper row."""
    found: dict[str, list] = {}
    for row in ws.iter_rows(values_only=True):
        if isinstance(row[column - 1], str):
            found.setdefault(row[column - 1], list(row[2:13]))
    return found


def test_annex_has_the_same_figures(bulletin):
    wb = load_workbook(io.BytesIO(bulletin[1]))
    sheet = wb["统计"]
    assert sheet["A1"].value == "安全生产举报受理处置统计（2026年10月）"
    rows = cells_by_label(sheet)
    # 受理 办结 按时办结 应办结 按时办结率 在办 超期 退回 延期 属实 待回复
    assert rows["2026年10月（本期）"] == [18, 10, 7, 12, pytest.approx(7 / 12), 8, 5, 1, 1, 8, 3]
    assert rows["2026年9月（上期）"] == [4, 4, 3, 4, 0.75, 0, 1, 0, 0, 3, 0]
    assert rows["增减（率为百分点）"] == [14, 6, 4, 8, pytest.approx(7 / 12 - 0.75), 8, 4, 1, 1, 5, 3]
    units = cells_by_label(sheet, column=2)
    assert units["区消防救援大队"] == [4, 4, 3, 4, 0.75, 0, 1, 0, 0, 4, 2]
    assert units["东城街道"] == [3, 1, 0, 2, 0.0, 2, 2, 1, 0, 0, 0]
    assert units["一般"] == [13, 7, 5, 8, 0.625, 6, 3, 1, 1, 5, 2]
    assert units["未填写"][0] == 4  # the 行业领域 table: 0107 0110 0115 0117
    late = [row for row in wb["超期案件"].iter_rows(min_row=3, values_only=True)]
    assert [(r[0], r[1], r[5]) for r in late] == [
        ("东城街道", "AJ2026-0107", "未办结，已超期11天"),
        ("东城街道", "AJ2026-0110", "2026年10月30日办结，超期1天"),
        ("区住房和城乡建设局", "AJ2026-0118", "未办结，已超期22小时"),
        ("区应急管理局", "AJ2026-0103", "2026年10月19日办结，超期2天"),
        ("区消防救援大队", "AJ2026-0111", "2026年10月21日办结，超期2小时"),
        ("东城街道", "AJ2026-0080", "未办结，已超期62天（往期）"),
    ]
    repeats = list(wb["重复举报"].iter_rows(min_row=3, values_only=True))
    assert repeats[0] == ("被举报单位", "宏达建设工程有限公司", 3, 1,
                          "AJ2026-0102、AJ2026-0104、AJ2026-0118")
    assert repeats[-1] == ("事发地址", "东城街道人民路88号", 2, 1, "AJ2026-0104、AJ2026-0118")
    assert [r[1] for r in wb["待回复举报人"].iter_rows(min_row=3, values_only=True)] == \
        ["AJ2026-0103", "AJ2026-0105", "AJ2026-0111"]


# --- the whistleblower ----------------------------------------------------------------------

def package_texts(data: bytes) -> dict[str, str]:
    """Every part as text, XML character references resolved, text runs joined."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        texts = {}
        for name in archive.namelist():
            raw = html.unescape(archive.read(name).decode("utf-8", "replace"))
            texts[name] = raw + "".join(re.findall(r"<(?:w:t|t)(?: [^>]*)?>([^<]*)</", raw))
        return texts


def test_no_reporter_anywhere(config):
    """Names, phones and complaint text stay in the register, even where the clerk typed a
    reporter's name or number into 被举报单位 or 事发地址 of a case the bulletin lists."""
    leaky = [
        case(n, f"10-2{n - 200} 09:00", "12350热线", "一般", "东城街道", "东城街道",
             "王建国家隔壁的五金店", "东城街道人民路9号（王先生 138 1234 5678）",
             referred=f"10-2{n - 200} 09:30", deadline=datetime(2026, 10, 30, 23, 59, 59),
             reporter="王建国", contact="13812345678")
        for n in (201, 202)]
    rows = OCTOBER_ROWS + leaky
    docx, annex = build_bulletin(rows, OCTOBER_PERIOD, NOW, config, OCTOBER_REQUESTS)
    secrets = {"王建国", "王先生", "李秀英", "13812345678", "138 1234 5678", "13900001111"}
    secrets |= {row[col.CONTENT] for row in rows}
    for name, data in (("docx", docx), ("xlsx", annex)):
        parts = package_texts(data)
        for part, text in parts.items():
            for secret in secrets:
                assert secret not in text, (name, part, secret)
        assert MARKER in "".join(parts.values()), name
    assert not any(header in "".join(paragraphs(docx)) for header in ("联系方式", "举报内容"))


# --- run_report: files in the outbox --------------------------------------------------------

def register_with(path: Path, rows: list[dict]) -> None:
    wb = empty_register([])
    ws = wb[col.REGISTER_SHEET]
    for row in rows:
        ws.append([row.get(header) for header in col.REGISTER_COLUMNS])
    wb.save(path)


def test_run_report_writes_the_outbox(config, bulletin):
    register_with(config.register, OCTOBER_ROWS)
    journal = Journal(config.journal)  # the extension 0108's unit asked for, as daily journals it
    journal.record_feedback(1, [FeedbackEvent("AJ2026-0108", "申请延期", datetime(2026, 10, 23, 9, 0))])
    journal.close()
    messages = []
    planned = run_report(config, "2026-10", NOW, dry_run=True, echo=messages.append)
    folder = config.outbox / "2026-11-02"
    assert planned == [folder / "通报-2026年10月.docx", folder / "通报附件-2026年10月.xlsx"]
    assert not folder.exists() and "试运行" in messages[0]
    written = run_report(config, "2026-10", NOW, echo=messages.append)
    assert written == planned and all(p.is_file() for p in written)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)
    assert paragraphs(written[0].read_bytes()) == paragraphs(bulletin[0])
    assert file_names(OCTOBER_PERIOD.previous) == ("通报-2026年9月.docx", "通报附件-2026年9月.xlsx")


def test_run_report_refuses_a_bad_period(config):
    with pytest.raises(TipdeskError) as error:
        run_report(config, "2026-13", NOW, dry_run=True)
    assert error.value.exit_code == 2 and "月份" in error.value.message


def test_a_period_under_way_is_reported_so_far(config):
    docx, _ = build_bulletin(OCTOBER_ROWS, parse_period("2026-11"), NOW, config)
    text = paragraphs(docx)
    assert text[1] == "关于2026年11月1日至11月2日\n安全生产举报受理处置情况的通报"
    assert "2026年11月1日至11月2日，全区共受理安全生产举报0件，与上月同期持平。" in text


# --- on paper -------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_bulletin_and_annex_convert_to_pdf(bulletin, tmp_path):
    names = file_names(OCTOBER_PERIOD)
    for name, data in zip(names, bulletin):
        (tmp_path / name).write_bytes(data)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), *names],
                   cwd=tmp_path, check=True, capture_output=True, timeout=240)
    for name in names:
        assert (tmp_path / (Path(name).stem + ".pdf")).stat().st_size > 10_000, name


def test_call_back_figures_in_the_bulletin_worked_out_by_hand(config):
    # 区消防救援大队: 2 closed, both called back (满意, 不满意) -> 回访率 100%, 满意率 50%.
    # 东城街道: 2 closed, one called back (未联系上, no answer) -> 回访率 50%, 满意率 —.
    # One 不予受理 and one 退回重办 count apart. Totals: 3/4 回访率 75.0%; 1/2 满意率 50.0%.
    def closed(n, unit, area, result=None, called=None):
        row = case(n, "10-10 09:00", "12350热线", "一般", unit, area, f"单位{n}", f"地址{n}",
                   referred="10-10 10:00", deadline=datetime(2026, 10, 21, 23, 59, 59),
                   status=col.CLOSED, answered="10-15 10:00", verified="属实", replied="是")
        row[col.CALLED_BACK_AT], row[col.CALL_BACK_RESULT] = called, result
        return row

    rows = [closed(301, "区消防救援大队", None, "满意", datetime(2026, 10, 16, 9, 0)),
            closed(302, "区消防救援大队", None, "不满意", datetime(2026, 10, 16, 9, 30)),
            closed(303, "东城街道", "东城街道", "未联系上", datetime(2026, 10, 16, 10, 0)),
            closed(304, "东城街道", "东城街道"),
            {**case(305, "10-12 09:00", "12350热线", "一般", None, None, "某店", "某路"), col.STATUS: "不予受理"}]
    stats_text = paragraphs(build_bulletin(rows, OCTOBER_PERIOD, NOW, config,
                                           {"AJ2026-0304": frozenset({"退回重办"})})[0])
    assert ("回访举报人3件，回访率75.0%；有评价的2件中满意（含基本满意）1件，满意率50.0%。"
            "有不满意评价的单位：区消防救援大队。另有不予受理、转办、并案1件，不计入办结和在办。"
            "办结后经审核不予认可、退回重办1件。") in stats_text
    _, annex = build_bulletin(rows, OCTOBER_PERIOD, NOW, config, {"AJ2026-0304": frozenset({"退回重办"})})
    units = {row[1]: row[2:15] for row in load_workbook(io.BytesIO(annex))["统计"].iter_rows(values_only=True)
             if isinstance(row[1], str)}
    assert units["区消防救援大队"][-2:] == (1.0, 0.5)
    assert units["东城街道"][-2:] == (0.5, "—")
