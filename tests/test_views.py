"""台账 as the clerk reads and prints it: drop-downs from config kept current, long text
wrapped in rows of a sensible height, a print setup; the liaison form on one page, due on a
date with its year, and a desk started in December not calling every unit late."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from tests.conftest import complaint
from tipdesk.xlsx.patch import LINE_POINTS, MAX_LINES
from tipdesk.xlsx.views import LISTS_SHEET

LONG = "工地脚手架没有连墙件，工人高空作业不系安全带，塔吊司机无证上岗。" * 8


def validations(ws) -> dict[str, str]:
    return {str(v.sqref).split(":")[0]: v.formula1 for v in ws.data_validations.dataValidation}


def lists_of(wb) -> dict[str, list[str]]:
    sheet = wb[LISTS_SHEET]
    columns = {}
    for column in sheet.iter_cols(min_row=1, max_col=3, values_only=True):
        columns[column[0]] = [v for v in column[1:] if v]
    return columns


def test_a_new_register_has_drop_downs_from_config_and_a_print_setup(ws):
    wb = load_workbook(ws.register)
    assert wb[LISTS_SHEET].sheet_state == "veryHidden" and wb.sheetnames[0] == "台账"
    lists = lists_of(wb)
    assert lists["承办单位"][:2] == ["区住房和城乡建设局", "区应急管理局"] and len(lists["承办单位"]) == 11
    assert lists["所属镇街"] == ["东城街道", "西城街道", "南城街道", "北城街道", "青山镇"]
    assert lists["行业领域"][:2] == ["建筑施工", "危险化学品"]
    cases = wb["台账"]
    found = validations(cases)
    assert found["N2"] == f"'{LISTS_SHEET}'!$A$2:$A$12"          # 承办单位
    assert found["J2"] == f"'{LISTS_SHEET}'!$B$2:$B$6"           # 所属镇街
    assert found["K2"] == f"'{LISTS_SHEET}'!$C$2:$C$9"           # 行业领域
    assert found["C2"].startswith('"12350热线')                 # the fixed lists as before
    rule = next(v for v in cases.data_validations.dataValidation if str(v.sqref).startswith("N2"))
    assert rule.errorStyle == "warning"  # 住建局 may still be typed; daily makes it the full name
    setup = cases.page_setup
    assert (setup.orientation, setup.paperSize, setup.fitToWidth, setup.fitToHeight) == ("landscape", 9, 1, 0)
    assert cases.sheet_properties.pageSetUpPr.fitToPage and cases.print_title_rows == "$1:$1"
    assert cases.print_options.gridLines and "第 &P 页" in cases.oddFooter.center.text
    assert cases.column_dimensions["L"].alignment.wrap_text and cases.column_dimensions["L"].alignment.vertical == "top"


def test_drop_downs_follow_config_without_rewriting_the_register(ws):
    ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    assert ws.run("daily", now="2026-11-30 09:00") == 0
    before = ws.register.read_bytes()
    assert ws.run("daily", now="2026-11-30 09:30") == 0
    assert ws.register.read_bytes() == before            # nothing new: not even the views
    ws.set_config("  - name: 青山镇\n", "  - name: 新区管委会\n    type: 镇街\n    areas: [新区]\n  - name: 青山镇\n")
    ws.set_config("  消防: [", "  城镇燃气: [管道燃气]\n  消防: [")
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    wb = load_workbook(ws.register)
    lists = lists_of(wb)
    assert "新区管委会" in lists["承办单位"] and "新区管委会" in lists["所属镇街"] and "城镇燃气" in lists["行业领域"]
    found = validations(wb["台账"])
    assert found["N2"].endswith("$A$13") and found["J2"].endswith("$B$7") and found["K2"].endswith("$C$10")
    assert sum(1 for v in wb["台账"].data_validations.dataValidation if LISTS_SHEET in v.formula1) == 3
    assert wb.sheetnames.count(LISTS_SHEET) == 1
    assert ws.rows()[0]["案件编号"] == "AJ2026-0001"


def test_the_clerks_own_print_setup_and_validation_are_kept(ws):
    wb = load_workbook(ws.register)
    cases = wb["台账"]
    cases.page_setup.orientation = "portrait"
    for rule in list(cases.data_validations.dataValidation):
        if str(rule.sqref).startswith("K2"):
            cases.data_validations.dataValidation.remove(rule)
    from openpyxl.worksheet.datavalidation import DataValidation

    own = DataValidation(type="list", formula1='"工贸,其他"')
    own.add("K2:K500")
    cases.add_data_validation(own)
    wb.save(ws.register)
    ws.add(**complaint())
    assert ws.run("daily") == 0
    cases = load_workbook(ws.register)["台账"]
    assert cases.page_setup.orientation == "portrait"
    found = validations(cases)
    assert found["K2"] == '"工贸,其他"' and found["N2"].startswith(f"'{LISTS_SHEET}'")


def row_xml(ws, number: int) -> str:
    with zipfile.ZipFile(ws.register) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode("utf-8")
    return re.search(rf'<row r="{number}"[^>]*>', sheet).group(0)


def test_rows_tipdesk_writes_show_their_long_text_in_a_few_wrapped_lines(ws):
    long_row = ws.add(**complaint(举报内容=LONG))
    short_row = ws.add(**complaint(举报内容="消防通道堵塞。", 被举报单位="某店", 事发地址="东城街道人民路1号"))
    assert ws.run("daily") == 0
    tall = row_xml(ws, long_row)
    assert f'ht="{round(MAX_LINES * LINE_POINTS + 3, 2)}"' in tall and 'customHeight="1"' in tall
    # The short complaint's row is as tall as its 备注 note needs, less than the cap.
    short = float(re.search(r'ht="([\d.]+)"', row_xml(ws, short_row)).group(1))
    assert LINE_POINTS < short < MAX_LINES * LINE_POINTS
    # A cell tipdesk adds takes its column's format: 备注 wraps at the top of its cell.
    cell = load_workbook(ws.register)["台账"].cell(long_row, 25)
    assert cell.value and cell.alignment.wrap_text and cell.alignment.vertical == "top"
    # A height the clerk set is theirs.
    wb = load_workbook(ws.register)
    wb["台账"].row_dimensions[short_row].height = 80
    wb.save(ws.register)
    ws.edit(short_row, 备注="文员的备注，写得很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长很长")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert 'ht="80"' in row_xml(ws, short_row)


def test_the_liaison_form_is_due_on_a_date_with_its_year(ws, capsys):
    assert ws.run("liaison", now="2026-12-01 09:00") == 0
    out = capsys.readouterr().out
    assert "2027年1月24日前报送" in out and "截止 2027年1月24日" in out
    form = load_workbook(ws.root / "outbox" / "2026-12-01" / "联络单" / "青山镇-联络单.xlsx").active
    assert form["A6"].value.startswith("请于2027年1月24日前填写")
    assert form.sheet_properties.pageSetUpPr.fitToPage and (form.page_setup.fitToWidth, form.page_setup.fitToHeight) == (1, 1)
    assert form.print_area == "'联络单'!$A$1:$G$6"
    assert ws.run("liaison", now="2026-01-10 09:00") == 0
    assert "2026年1月24日前报送" in capsys.readouterr().out


def test_a_desk_started_in_december_does_not_call_every_unit_late(ws):
    ws.add(**complaint(受理时间=datetime(2026, 12, 1, 8, 0)))
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "逾期未报送联络单" not in summary
    statuses = [r[9] for r in load_workbook(ws.register)["联络人"].iter_rows(min_row=2, values_only=True)]
    assert set(statuses) == {"未报送"}
    # Next year's deadline is the one that counts: after it, the notice's default applies.
    assert ws.run("daily", now="2027-01-25 08:30") == 0
    summary = (ws.root / "outbox" / "2027-01-25" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "逾期未报送联络单" in summary


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) or poppler not installed")
def test_liaison_form_and_register_print_as_set_up(ws, tmp_path):
    for n in range(40):
        ws.add(**complaint(举报内容=LONG if n % 5 == 0 else "消防通道堵塞。"))
    assert ws.run("daily") == 0
    assert ws.run("liaison") == 0
    form = ws.root / "outbox" / "2026-11-30" / "联络单" / "青山镇-联络单.xlsx"
    for source in (form, ws.register):
        subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                        "pdf", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=180)
    form_pdf = subprocess.run(["pdfinfo", str(tmp_path / "青山镇-联络单.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", form_pdf) and "841.89 x 595" in form_pdf.replace("841.89 x 595.276", "841.89 x 595")
    # The register (all its sheets): 台账 landscape, one page wide, first of the pages.
    register_pdf = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(tmp_path / (ws.register.stem + ".pdf"))],
                                  capture_output=True, text=True).stdout
    assert "(A4)" in register_pdf and re.search(r"Page\s+1 size:\s+841\.\d+ x 595", register_pdf)
