"""The managers' view inside the register (tipdesk/xlsx/graft.py, output/statsheet.register_edits):
the 统计 sheet grafted as package parts, and the colour rules on 台账.

The register is made as `init` makes it (workspace.empty_register), filled with the October
2026 cases of test_stats.py, and patched through xlsxpatch.patch_workbook as the daily run
does. The 统计 sheet of the daily run covers 2026 up to NOW; its figures, worked out by hand
from test_stats.py (August's 0080, September's 0091-0094, October's 0101-0118):
  received 23, closed 14 (10 + 4 September), on time 10 (7 + 3), due 17 (14 + open past
  deadline 0107, 0118, 0080), rate 10/17, open 9, overdue 7 (October 5, 0093, 0080),
  returned 1, extended 1, verified 11 (8 + 0091 0092 0093), awaiting reply 3.
  Units: 消防 5 cases (+0092), 5 closed, 4 on time, 5 due, 80%, overdue 1;
  住建 6 (+0091), 3, 3, 4, 75%, 1; 应急 6 (+0093), 4, 2, 4, 50%, 2;
  东城 5 (+0094, 0080), 2, 1 (0094), 4, 25%, 3 (0110, 0107, 0080).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

from test_report import cells_by_label
from test_stats import NOW, OCTOBER_PERIOD, OCTOBER_REQUESTS, OCTOBER_ROWS
from tipdesk.domain import columns as col
from tipdesk.store.register import read_register
from tipdesk.rules.stats import period_stats
from tipdesk.output.statsheet import SHEET, register_edits, stats_donor, stats_workbook
from tipdesk.commands.init import empty_register
from tipdesk.xlsx.graft import conditional_formats, graft_sheet, sheet_part
from tipdesk.xlsx.patch import MAIN_NS, patch_workbook

M = f"{{{MAIN_NS}}}"
RED, AMBER, GREY = (
    'AND($R2<>"已办结",OR($W2="是",AND(ISNUMBER($Q2),$Q2<NOW())))',
    'AND($R2<>"已办结",ISNUMBER($Q2),$Q2>=NOW(),$Q2<WORKDAY(TODAY(),1)+1)',
    '$R2="已办结"',
)


def make_register(path: Path, rows=OCTOBER_ROWS, headers=col.REGISTER_COLUMNS) -> Path:
    wb = empty_register([("区住房和城乡建设局", "机关部门"), ("东城街道", "镇街")])
    ws = wb[col.REGISTER_SHEET]
    if headers != col.REGISTER_COLUMNS:
        for n, header in enumerate(headers, start=1):
            ws.cell(1, n, header)
    for row in rows:
        ws.append([row.get(header) for header in headers])
    wb.save(path)
    return path


def apply(src: Path, dst: Path, edits) -> Path:
    patch_workbook(src, dst, changes={}, edits=edits)
    return dst


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def grafted(tmp_path_factory):
    """(original, after one daily run, after a second one) register files."""
    folder = tmp_path_factory.mktemp("graft")
    original = make_register(folder / "台账.xlsx")
    once = apply(original, folder / "once.xlsx", register_edits(stats_donor(OCTOBER_ROWS, NOW, OCTOBER_REQUESTS)))
    # As the daily run gives it: the sheet asked for only when the register is written.
    twice = apply(once, folder / "twice.xlsx", register_edits(lambda: stats_donor(OCTOBER_ROWS, NOW, OCTOBER_REQUESTS)))
    return original, once, twice


# --- the 统计 sheet -------------------------------------------------------------------------

def test_grafted_register_opens_with_the_statistics(grafted):
    wb = load_workbook(grafted[2])
    assert wb.sheetnames == [col.REGISTER_SHEET, col.CONTACTS_SHEET, SHEET]
    ws = wb[SHEET]
    assert ws["A1"].value == "安全生产举报受理处置统计（2026年1月1日至11月2日）"
    rows = cells_by_label(ws)
    # 受理 办结 按时办结 应办结 按时办结率 在办 超期 退回 延期 属实 待回复
    assert rows["2026年1月1日至11月2日（本期）"] == \
        [23, 14, 10, 17, pytest.approx(10 / 17), 9, 7, 1, 1, 11, 3]
    assert rows["2025年1月1日至11月2日（上期）"] == [0, 0, 0, 0, "—", 0, 0, 0, 0, 0, 0]
    units = cells_by_label(ws, column=2)
    assert units["区消防救援大队"] == [5, 5, 4, 5, 0.8, 0, 1, 0, 0, 5, 2]
    assert units["区住房和城乡建设局"] == [6, 3, 3, 4, 0.75, 3, 1, 0, 1, 2, 0]
    assert units["区应急管理局"] == [6, 4, 2, 4, 0.5, 2, 2, 0, 0, 4, 1]
    assert units["东城街道"] == [5, 2, 1, 4, 0.25, 3, 3, 1, 0, 0, 0]
    assert rows["8月"][0] == 1 and rows["9月"][0] == 4 and rows["10月"][0] == 18
    assert rows["12月"] == [None] * 11  # not begun
    # Native charts: units, 类别 pie, 来源, 行业领域, 所属镇街, months.
    assert len(ws._charts) == 6
    assert ws.print_area.startswith(f"'{SHEET}'!$A$1:$O$")


def test_the_statistics_look_as_managers_read_them(grafted):
    """Each cell keeps its own style (statsheet works each combination out once): rates as
    percentages, counts whole, changes signed, this period shaded, headers filled."""
    ws = load_workbook(grafted[2])[SHEET]
    rows = {row[0].value: row for row in ws.iter_rows() if isinstance(row[0].value, str)}
    current = rows["2026年1月1日至11月2日（本期）"]
    change = rows["增减（率为百分点）"]
    header = rows["期间"]
    assert [c.number_format for c in current[2:7]] == ["0", "0", "0", "0", "0.0%"]
    # Last year had no case: its rates are undefined, and so is their change ("—").
    assert [c.number_format for c in change[2:7]] == ["+0;-0;0"] * 4 + ["General"]
    assert change[6].value == "—"
    previous = rows["2025年1月1日至11月2日（上期）"]
    assert current[2].fill.fgColor.rgb == "00FFF2CC" and previous[2].fill.fill_type is None
    assert header[2].fill.fgColor.rgb == "00DDEBF7" and header[2].font.b and not current[2].font.b
    assert current[2].border.left.style == "thin" and ws["A1"].font.sz == 16
    assert current[0].alignment.horizontal == "center"
    unit = next(row for row in ws.iter_rows() if row[1].value == "区消防救援大队")
    assert unit[1].alignment.horizontal == "left" and unit[6].number_format == "0.0%"


def test_register_still_reads(grafted):
    register = read_register(grafted[2])
    assert register.sheet_names == [col.REGISTER_SHEET, col.CONTACTS_SHEET, SHEET]
    assert [r.values[col.CASE_ID] for r in register.rows] == [r[col.CASE_ID] for r in OCTOBER_ROWS]


def test_the_rest_of_the_register_is_untouched(grafted):
    original, once, twice = (parts_of(p) for p in grafted)
    for name, data in original.items():
        if name in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                    "xl/styles.xml", sheet_part(original, col.REGISTER_SHEET)):
            continue
        assert once[name] == data, name
    # 台账: every row byte for byte; only the colour rules are added after the rows.
    ledger = sheet_part(original, col.REGISTER_SHEET)
    end = original[ledger].index(b"</sheetData>")
    assert once[ledger][:end] == original[ledger][:end]
    # The original styles stay where they are (cell s="N" in 台账 keep their meaning).
    old_xfs = etree.fromstring(original["xl/styles.xml"]).find(f"{M}cellXfs")
    new_xfs = etree.fromstring(once["xl/styles.xml"]).find(f"{M}cellXfs")
    assert [etree.tostring(x) for x in old_xfs] == \
        [etree.tostring(x) for x in new_xfs[:len(old_xfs)]]
    # A second run replaces the sheet: the package comes out the same, nothing left behind.
    assert twice == once


def test_replacing_leaves_one_sheet_and_no_orphans(grafted):
    parts = parts_of(grafted[2])
    assert sorted(n for n in parts if "worksheets/sheet" in n and n.endswith(".xml")) == \
        ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml"]
    assert len([n for n in parts if n.startswith("xl/drawings/drawing")]) == 1
    assert len([n for n in parts if n.startswith("xl/charts/chart")]) == 6
    types = etree.fromstring(parts["[Content_Types].xml"])
    overrides = {o.get("PartName").lstrip("/") for o in types if o.get("PartName")}
    assert overrides <= set(parts)
    assert all(n in overrides or n.endswith((".rels", ".xml")) for n in parts)
    for name, data in parts.items():
        if name.endswith(".rels"):
            source = name.replace("_rels/", "").removesuffix(".rels")
            for rel in etree.fromstring(data):
                target = rel.get("Target")
                resolved = target.lstrip("/") if target.startswith("/") else \
                    str(Path(source).parent / target).replace("\\", "/")
                resolved = re.sub(r"[^/]+/\.\./", "", resolved)
                assert resolved in parts, (name, target)
    styles = etree.fromstring(parts["xl/styles.xml"])
    sheet = etree.fromstring(parts["xl/worksheets/sheet3.xml"])
    count = len(styles.find(f"{M}cellXfs"))
    assert all(int(c.get("s", "0")) < count for c in sheet.iter(f"{M}c"))
    assert not any(c.get("t") == "s" for c in sheet.iter(f"{M}c"))  # strings travel inline


def test_an_old_sheet_is_replaced_in_its_place(tmp_path):
    """A 统计 the clerk made by hand, between two sheets, with a print area and a formula
    (so calcChain.xml lists it): the new one takes its tab, nothing of the old remains."""
    wb = empty_register([])
    old = wb.create_sheet(SHEET, index=1)
    old["A1"] = "旧统计"
    old["A2"] = "=1+1"
    old.print_area = "A1:B2"
    wb[col.CONTACTS_SHEET].print_area = "A1:K10"
    path = tmp_path / "台账.xlsx"
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    # Excel's calculation chain, as Excel would have written it for the formula in 统计.
    parts["xl/calcChain.xml"] = f'<calcChain xmlns="{MAIN_NS}"><c r="A2" i="2"/></calcChain>'.encode()
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>", b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>", b'<Override PartName="/xl/calcChain.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>')
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)

    donor = stats_workbook(period_stats(OCTOBER_ROWS, OCTOBER_PERIOD, NOW, OCTOBER_REQUESTS))
    out = apply(path, tmp_path / "out.xlsx", [graft_sheet(donor, SHEET)])
    result = load_workbook(out)
    assert result.sheetnames == [col.REGISTER_SHEET, SHEET, col.CONTACTS_SHEET]
    assert result[SHEET]["A1"].value == "安全生产举报受理处置统计（2026年10月）"
    assert result[SHEET]["A2"].value != "=1+1"
    assert result[SHEET].print_area.startswith(f"'{SHEET}'!$A$1:$O$")
    assert result[col.CONTACTS_SHEET].print_area == f"'{col.CONTACTS_SHEET}'!$A$1:$K$10"
    new_parts = parts_of(out)
    assert "xl/calcChain.xml" not in new_parts
    assert b"calcChain" not in new_parts["[Content_Types].xml"]
    assert b"calcChain" not in new_parts["xl/_rels/workbook.xml.rels"]
    assert "旧统计" not in b"".join(new_parts.values()).decode("utf-8", "replace")
    names = etree.fromstring(new_parts["xl/workbook.xml"]).find(f"{M}definedNames")
    assert sorted((n.get("name"), n.get("localSheetId")) for n in names) == [
        ("_xlnm.Print_Area", "1"), ("_xlnm.Print_Area", "2"),
        ("_xlnm._FilterDatabase", "0"), ("_xlnm._FilterDatabase", "2")]


def test_a_selected_donor_tab_is_not_selected_in_the_register(tmp_path):
    """A donor saved by Excel marks its only sheet as the selected tab; in the register a
    second selected tab would be grouped with 台账 and take the clerk's typing too."""
    with zipfile.ZipFile(io.BytesIO(stats_workbook(period_stats(OCTOBER_ROWS, OCTOBER_PERIOD,
                                                                NOW, OCTOBER_REQUESTS)))) as zf:
        donor_parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    donor_parts[sheet] = donor_parts[sheet].replace(b"<sheetView ", b'<sheetView tabSelected="1" ')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in donor_parts.items():
            zf.writestr(name, data)
    register = make_register(tmp_path / "台账.xlsx", OCTOBER_ROWS[:2])
    out = parts_of(apply(register, tmp_path / "out.xlsx", [graft_sheet(buffer.getvalue(), SHEET)]))
    assert b"tabSelected" not in out[sheet_part(out, SHEET)]


def test_a_donor_without_the_sheet_is_refused():
    buffer = io.BytesIO()
    Workbook().save(buffer)
    with pytest.raises(ValueError, match=SHEET):
        graft_sheet(buffer.getvalue(), SHEET)


# --- the colour rules on 台账 ---------------------------------------------------------------

def rules(path: Path) -> list[tuple[str, int, str]]:
    ws = load_workbook(path)[col.REGISTER_SHEET]
    return [(str(cf.sqref), rule.priority, rule.formula[0])
            for cf in ws.conditional_formatting for rule in cf.rules]


def test_colour_rules_once_after_two_runs(grafted):
    _, once, twice = grafted
    expected = [("A2:AC1048576", 1, RED), ("A2:AC1048576", 2, AMBER), ("A2:AC1048576", 3, GREY)]
    assert rules(once) == rules(twice) == expected
    styles = etree.fromstring(parts_of(twice)["xl/styles.xml"])
    dxfs = styles.find(f"{M}dxfs")
    assert len(dxfs) == 3
    fills = [d.find(f"{M}fill/{M}patternFill/{M}bgColor") for d in dxfs]
    assert [None if f is None else f.get("rgb") for f in fills] == ["FFFFC7CE", "FFFFEB9C", None]
    ws = load_workbook(twice)[col.REGISTER_SHEET]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:AC1"


def test_colour_rules_follow_the_columns_and_keep_the_clerks(tmp_path):
    """The clerk moved 状态 to column B and has a rule of her own: ours use the new
    letters, hers stays first; running again swaps nothing."""
    headers = list(col.REGISTER_COLUMNS)
    headers.insert(1, headers.pop(headers.index(col.STATUS)))
    path = make_register(tmp_path / "台账.xlsx", OCTOBER_ROWS[:3], headers)
    wb = load_workbook(path)
    wb[col.REGISTER_SHEET].conditional_formatting.add(
        "H2:H100", FormulaRule(formula=['$H2="宏达建设工程有限公司"'],
                               fill=PatternFill("solid", bgColor="FF00FF")))
    wb.save(path)
    once = apply(path, tmp_path / "once.xlsx", [conditional_formats()])
    twice = apply(once, tmp_path / "twice.xlsx", [conditional_formats()])
    assert [get_column_letter(headers.index(c) + 1) for c in (col.STATUS, col.DEADLINE,
                                                                col.OVERDUE)] == ["B", "R", "W"]
    moved = {"$R2": "$B2", "$Q2": "$R2"}
    found = rules(twice)
    assert found[0] == ("H2:H100", 1, '$H2="宏达建设工程有限公司"')
    assert [(p, f) for _, p, f in found[1:]] == [
        (n, re.sub(r"\$[QR]2", lambda m: moved[m.group(0)], formula))
        for n, formula in ((2, RED), (3, AMBER), (4, GREY))]
    assert parts_of(twice) == parts_of(once)


# --- on paper -------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_prints_the_grafted_register(grafted, tmp_path):
    source = tmp_path / "台账.xlsx"
    shutil.copyfile(grafted[2], source)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), source.name],
                   cwd=tmp_path, check=True, capture_output=True, timeout=240)
    pdf = tmp_path / "台账.pdf"
    assert pdf.stat().st_size > 20_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "安全生产举报受理处置统计（2026年1月1日至11月2日）" in text
        assert "各承办单位交办、按时办结和超期件数" in text  # a chart title: charts were drawn
