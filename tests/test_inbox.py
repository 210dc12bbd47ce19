"""Files units and upper centres send back, through the daily run: applied, held or rejected."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl import load_workbook

from tests.conftest import complaint
from tipdesk.domain.columns import FEEDBACK_SHEET

ISSUED = "2026-11-30 08:30"


def sheet_of(ws, case_id: str, unit: str, day: str = "2026-11-30") -> Path:
    return ws.root / "outbox" / day / unit / f"{case_id}-反馈表.xlsx"


def fill(source: Path, target: Path, answers: dict, saved_at: datetime | None = None) -> Path:
    """A unit types its answers beside the labels and saves the sheet into our inbox."""
    wb = load_workbook(source)
    sheet = wb[FEEDBACK_SHEET]
    for label, value in answers.items():
        cell = next(c for row in sheet.iter_rows() for c in row if c.value == label)
        answer = sheet.cell(cell.row, cell.column + 1)
        answer.value = value
        if isinstance(value, str) and value[:1] in "=+-@":
            answer.data_type = "s"   # typed with a leading quote: text, as Excel keeps it
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    if saved_at:
        os.utime(target, (saved_at.timestamp(), saved_at.timestamp()))
    return target


CLOSED = {"核查情况": "经现场核查，脚手架未设连墙件。", "是否属实": "属实", "处理结果": "已责令整改，复查合格。",
          "办理状态": "已办结", "办结日期": "2026年12月3日", "经办人": "李四", "联系电话": "0571-12345678"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def referred(ws, **overrides) -> int:
    row = ws.add(**complaint(**overrides))
    assert ws.run("daily", now=ISSUED) == 0
    return row


def summary(ws, day: str) -> str:
    return (ws.root / "outbox" / day / "每日汇总.txt").read_text(encoding="utf-8")


def test_closed_feedback_closes_the_case_and_the_file_is_kept_byte_for_byte(ws):
    row = referred(ws, 类别="一般")
    dropped = fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "住建局回复.xlsx",
                   {**CLOSED, "处理结果": "=已整改（单位以等号开头）"}, saved_at=datetime(2026, 12, 3, 16, 20))
    original = digest(dropped)
    assert ws.run("daily", now="2026-12-04 08:30") == 0
    case = ws.row(row)
    assert case["状态"] == "已办结"
    assert case["反馈时间"] == datetime(2026, 12, 3, 16, 20)
    assert case["是否属实"] == "属实"
    assert case["处理结果"] == "经现场核查，脚手架未设连墙件。\n=已整改（单位以等号开头）"
    assert case["是否超期"] == "否"
    assert "收到已办结反馈（李四、0571-12345678）" in case["备注"]
    kept = ws.root / "inbox" / "processed" / "2026-12-04" / "住建局回复.xlsx"
    assert digest(kept) == original and not dropped.exists()
    cell = load_workbook(ws.register)["台账"].cell(row=row, column=22)
    assert cell.data_type == "s"          # stored as text, never a formula
    assert "住建局回复.xlsx（反馈表）：AJ2026-0001 已办结" in summary(ws, "2026-12-04")


def test_late_answer_is_marked_overdue(ws):
    row = referred(ws, 类别="紧急")
    fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx", CLOSED,
         saved_at=datetime(2026, 12, 2, 9, 0))
    assert ws.run("daily", now="2026-12-02 10:00") == 0
    assert ws.row(row)["是否超期"] == "是"


def test_interim_feedback_starts_the_accident_follow_up_deadline(ws):
    row = referred(ws, 类别="事故")
    fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx",
         {"核查情况": "已核实，1人轻伤。", "办理状态": "阶段性反馈"}, saved_at=datetime(2026, 11, 30, 20, 0))
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    case = ws.row(row)
    assert case["状态"] == "办理中"
    assert case["办理期限"] == datetime(2027, 1, 29, 20, 0)
    assert case["是否超期"] == "否"


def test_extension_request_waits_for_the_clerk_who_approves_by_setting_the_date(ws):
    row = referred(ws, 类别="一般")
    fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx",
         {"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需检测报告"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    case = ws.row(row)
    assert case["状态"] == "申请延期"
    assert "申请延期至2026-12-20，理由：需检测报告" in case["备注"]
    assert "申请延期，等待指挥中心处理" in summary(ws, "2026-12-01")
    ws.edit(row, 状态="办理中", 办理期限=datetime(2026, 12, 20, 23, 59))
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    case = ws.row(row)
    assert case["办理期限"] == datetime(2026, 12, 20, 23, 59)
    assert "申请延期至" not in case["备注"]


def test_return_request_then_reassignment_refers_the_case_again(ws):
    row = referred(ws, 类别="一般")
    fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx",
         {"办理状态": "申请退回", "申请理由": "不属于本单位职责，属地为东城街道"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert ws.row(row)["状态"] == "申请退回"
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    case = ws.row(row)
    assert (case["状态"], case["承办单位"], case["交办文号"]) == ("已交办", "东城街道", "安举交〔2026〕2号")
    assert "〔申请退回" not in case["备注"]
    # the old unit's sheet no longer counts
    fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "old.xlsx", CLOSED)
    assert ws.run("daily", now="2026-12-03 08:30") == 0
    reason = (ws.root / "inbox" / "rejected" / "2026-12-03" / "old.xlsx.原因.txt").read_text(encoding="utf-8")
    assert "交给了" not in reason and "东城街道" in reason


def test_second_feedback_updates_and_says_so_feedback_for_a_closed_case_is_held(ws):
    row = referred(ws, 类别="一般")
    source = sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局")
    fill(source, ws.root / "inbox" / "1.xlsx", {"核查情况": "正在核查", "办理状态": "阶段性反馈"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    fill(source, ws.root / "inbox" / "2.xlsx", CLOSED)
    assert ws.run("daily", now="2026-12-04 08:30") == 0
    assert ws.row(row)["状态"] == "已办结"
    assert "AJ2026-0001 已办结（此前已收到反馈，本次更新）" in summary(ws, "2026-12-04")
    fill(source, ws.root / "inbox" / "3.xlsx", {**CLOSED, "是否属实": "不属实"})
    assert ws.run("daily", now="2026-12-05 08:30") == 0
    assert ws.row(row)["是否属实"] == "属实"
    held = ws.root / "inbox" / "rejected" / "2026-12-05" / "3.xlsx.原因.txt"
    assert "已办结" in held.read_text(encoding="utf-8") and "暂缓" in held.read_text(encoding="utf-8")
    assert "暂缓，待指挥中心决定" in summary(ws, "2026-12-05")


def test_the_same_file_dropped_twice_is_recognised(ws):
    row = referred(ws, 类别="一般")
    first = fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx", CLOSED)
    copy = ws.root / "a-copy.xlsx"
    shutil.copy(first, copy)
    assert ws.run("daily", now="2026-12-04 08:30") == 0
    ws.edit(row, 处理结果="指挥中心核对后改写")
    shutil.move(copy, ws.root / "inbox" / "再发一次.xlsx")
    assert ws.run("daily", now="2026-12-05 08:30") == 0
    assert ws.row(row)["处理结果"] == "指挥中心核对后改写"
    assert (ws.root / "inbox" / "processed" / "2026-12-05" / "再发一次.xlsx").exists()
    assert "内容相同，未重复登记" in summary(ws, "2026-12-05")


def test_bad_files_are_rejected_with_reasons_and_the_run_goes_on(ws):
    referred(ws, 类别="一般")
    inbox = ws.root / "inbox"
    (inbox / "名单.csv").write_text("a,b\n", encoding="utf-8")
    (inbox / "表格.et").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    (inbox / "坏了.xlsx").write_bytes(b"PK\x03\x04broken")
    (inbox / "空.xlsx").write_bytes(b"")
    other = openpyxl.Workbook()
    other.active["A1"] = "本月加班统计"
    other.save(inbox / "无关.xlsx")
    good = fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), inbox / "好.xlsx", CLOSED)
    assert ws.run("daily", now="2026-12-04 08:30") == 0
    rejected = ws.root / "inbox" / "rejected" / "2026-12-04"
    for name, words in (("名单.csv", "CSV"), ("表格.et", "WPS"), ("坏了.xlsx", "损坏"),
                        ("空.xlsx", "空"), ("无关.xlsx", "无法识别")):
        assert (rejected / name).exists(), name
        reason = (rejected / f"{name}.原因.txt").read_text(encoding="utf-8")
        assert reason.startswith(name) and words in reason, reason
    assert not good.exists() and ws.rows()[0]["状态"] == "已办结"
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []


def test_a_run_that_cannot_save_leaves_inbox_and_register_as_they_were(ws):
    referred(ws, 类别="一般")
    dropped = fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx", CLOSED)
    before = digest(ws.register)
    lock = ws.register.parent / f".~lock.{ws.register.name}#"
    lock.write_text("x")
    assert ws.run("daily", now="2026-12-04 08:30") == 3
    assert dropped.exists() and digest(ws.register) == before
    assert not (ws.root / "inbox" / "processed").exists()
    lock.unlink()
    assert ws.run("daily", now="2026-12-04 09:00") == 0
    assert ws.rows()[0]["状态"] == "已办结"


def test_forwarded_cases_enter_once_and_possible_duplicates_are_marked(ws):
    ws.add(**complaint(被举报单位="鑫源化工有限公司", 事发地址="北城街道工业园12号"))
    assert ws.run("daily", now=ISSUED) == 0
    export = openpyxl.Workbook()
    sheet = export.active
    sheet.append(["市安全生产举报中心转办清单"])
    sheet.append(["转办编号", "登记时间", "被举报单位", "事发地点", "问题描述", "办理时限", "举报人", "联系电话"])
    sheet.append(["SZB-001", "2026年11月29日 10:00", "鑫源化工有限公司", "北城街道工业园12号",
                  "储罐区有异味，疑似泄漏", "2026-12-10", "赵六", "13900002222"])
    sheet.append(["SZB-002", "2026.11.29", "顺风物流", "南城街道迎宾大道", "货车超载", "2026-12-20", "钱七", ""])
    export.save(ws.root / "inbox" / "市转办清单.xlsx")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    rows = ws.rows()
    assert [r["上级编号"] for r in rows] == [None, "SZB-001", "SZB-002"]
    new = rows[1]
    assert (new["案件编号"], new["来源"], new["举报人"], new["状态"]) == ("AJ2026-0002", "市转办", "赵六", "已交办")
    assert new["类别"] == "紧急" and new["承办单位"] == "区应急管理局"
    assert new["办理期限"] == datetime(2026, 12, 2, 8, 30)
    assert "疑似重复" in new["备注"] and "AJ2026-0001" in new["备注"]
    assert rows[2]["办理期限"] == datetime(2026, 12, 10, 23, 59, 59)
    # the same export again (a corrected copy with one more row): no 上级编号 enters twice
    sheet.append(["SZB-003", "2026-11-30", "某酒店", "东城街道东湖路", "燃气管道异味", "2026-12-20", "", ""])
    export.save(ws.root / "inbox" / "市转办清单-更新.xlsx")
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    assert [r["上级编号"] for r in ws.rows()] == [None, "SZB-001", "SZB-002", "SZB-003"]
    assert "上级编号 SZB-001 已在台账中，未重复登记" in summary(ws, "2026-12-02")


def test_liaison_form_fills_the_contacts_sheet_and_the_rest_default_to_their_office(ws):
    form = openpyxl.Workbook()
    sheet = form.active
    sheet.append(["安全生产投诉举报受理工作联络单"])
    sheet.append(["单位：住建局（公章）"])
    sheet.append(["分管领导", "联系电话", "科长", "联系电话", "经办人", "联系电话", "电子邮箱"])
    sheet.append(["张局", "13800000001", "李科", "13800000002", "王办", "０５７１－８８８８１２３４", "wang@zj.gov.cn"])
    form.save(ws.root / "inbox" / "住建局联络单.xlsx")
    assert ws.run("daily", now="2026-02-01 08:30") == 0
    contacts = load_workbook(ws.register)["联络人"]
    rows = {r[0]: r for r in contacts.iter_rows(min_row=2, values_only=True)}
    zj = rows["区住房和城乡建设局"]
    assert zj[2:10] == ("张局", "13800000001", "李科", "13800000002", "王办", "0571-88881234",
                        "wang@zj.gov.cn", "已报送")
    east = rows["东城街道"]
    assert (east[6], east[7], east[9]) == ("党政办", "0000-12345611", "默认由单位办公室负责")
    assert "逾期未报送联络单" in summary(ws, "2026-02-01")


def test_liaison_command_issues_blank_forms_and_lists_the_missing(ws, capsys):
    assert ws.run("liaison", now="2026-01-10 09:00") == 0
    out = capsys.readouterr().out
    folder = ws.root / "outbox" / "2026-01-10" / "联络单"
    assert len(list(folder.glob("*-联络单.xlsx"))) == 11
    assert "尚未报送联络单的单位（11 个" in out and "区住房和城乡建设局" in out
    blank = load_workbook(folder / "青山镇-联络单.xlsx").active
    assert blank["A2"].value.startswith("单位：青山镇")


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice 未安装")
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_sheet_resaved_by_libreoffice_as_xls_or_ods_is_applied(ws, tmp_path, fmt):
    import subprocess

    row = referred(ws, 类别="一般")
    filled = fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), tmp_path / "回复.xlsx", CLOSED)
    profile = tmp_path / "profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(ws.root / "inbox"), str(filled)], check=True, capture_output=True, timeout=120)
    assert ws.run("daily", now="2026-12-04 08:30") == 0
    case = ws.row(row)
    assert (case["状态"], case["是否属实"]) == ("已办结", "属实")
    assert (ws.root / "inbox" / "processed" / "2026-12-04" / f"回复.{fmt}").exists()


def test_a_copy_of_the_register_dropped_in_the_inbox_is_refused_not_imported(ws):
    referred(ws, 类别="一般")
    shutil.copy(ws.register, ws.root / "inbox" / "台账备份.xlsx")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert len(ws.rows()) == 1
    reason = (ws.root / "inbox" / "rejected" / "2026-12-01" / "台账备份.xlsx.原因.txt").read_text(encoding="utf-8")
    assert "这是案件台账" in reason


def test_a_request_stays_counted_from_the_journal_after_the_clerk_decides(ws):
    # The 统计 sheet counts 延期 from the journal's feedback table: once the clerk grants the
    # extension and clears 备注 it still counts, and a clerk's remark alone counts nothing.
    row = referred(ws, 类别="一般")
    other = referred(ws, 类别="一般", 被举报单位="鑫源化工")
    fill(sheet_of(ws, "AJ2026-0001", "区住房和城乡建设局"), ws.root / "inbox" / "a.xlsx",
         {"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需检测报告"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    ws.edit(row, 状态="办理中", 办理期限=datetime(2026, 12, 20, 23, 59), 备注=None)
    ws.edit(other, 备注="单位来电说想申请退回、申请延期，已答复不同意")
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    totals = next(r for r in load_workbook(ws.register)["统计"].iter_rows(values_only=True)
                  if isinstance(r[0], str) and r[0].endswith("（本期）"))
    # 受理 办结 按时办结 应办结 按时办结率 在办 超期 退回 延期 属实 待回复
    assert (totals[2], totals[9], totals[10]) == (2, 0, 1)


def test_a_long_chinese_file_name_still_gets_its_reason(ws):
    name = "关于" + "某某区某某街道某某社区某某化工有限公司安全生产举报事项" * 2 + "的办理情况反馈表（第二次修改稿）（定稿）（新版）.xlsx"
    # a name the file system takes (≤255 bytes) but not with ".原因.txt" after it
    assert 243 < len(name.encode("utf-8")) <= 255
    (ws.root / "inbox" / name).write_bytes(b"not a workbook at all")
    assert ws.run("daily") == 0
    rejected = next((ws.root / "inbox" / "rejected").iterdir())
    assert (rejected / name).is_file()
    (reason,) = [p for p in rejected.iterdir() if p.name.endswith(".原因.txt")]
    assert name[:40] in reason.name and len(reason.name.encode("utf-8")) <= 240
