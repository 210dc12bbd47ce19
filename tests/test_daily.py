"""The daily run end to end on real .xlsx registers: numbering, routing, deadlines, overrides."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime

from openpyxl import load_workbook

from tests.conftest import complaint


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- numbering ---------------------------------------------------------------------------

def test_new_rows_get_yearly_numbers_in_row_order(ws):
    ws.add(**complaint())
    ws.add(**complaint(被举报单位="鑫源化工"))
    ws.add(**complaint(受理时间=datetime(2027, 1, 2, 9, 0)))
    assert ws.run("daily", now="2027-01-04 08:30") == 0
    assert [r["案件编号"] for r in ws.rows()] == ["AJ2026-0001", "AJ2026-0002", "AJ2027-0001"]


def test_numbers_are_never_reused_nor_changed(ws):
    ws.add(**complaint())
    ws.add(**complaint())
    assert ws.run("daily") == 0
    # The clerk deletes the last case; the next new case must not get its number again.
    wb = load_workbook(ws.register)
    wb["台账"].delete_rows(3)
    wb.save(ws.register)
    ws.add(**complaint())
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert [r["案件编号"] for r in ws.rows()] == ["AJ2026-0001", "AJ2026-0003"]


def test_a_number_typed_by_the_clerk_is_kept_and_counted(ws):
    ws.add(**complaint(案件编号="AJ2026-0040"))
    ws.add(**complaint())
    assert ws.run("daily") == 0
    assert [r["案件编号"] for r in ws.rows()] == ["AJ2026-0040", "AJ2026-0041"]


def test_a_number_typed_with_a_line_break_counts_only_when_it_stands_alone(ws):
    # Alt+Enter after the number is still the number; a second line makes the cell a note.
    ws.add(**complaint(案件编号="AJ2026-0040\n"))
    ws.add(**complaint(案件编号="AJ2026-0090\n（重复件）"))
    ws.add(**complaint(案件编号=" AJ2026-0007 "))
    ws.add(**complaint())
    assert ws.run("daily") == 0
    assert ws.rows()[-1]["案件编号"] == "AJ2026-0041"


def test_incomplete_rows_are_flagged_not_dropped_or_reordered(ws):
    ws.add(**complaint(被举报单位="甲"))
    ws.add(**complaint(被举报单位="乙", 受理时间=None))
    ws.add(**complaint(被举报单位="丙", 举报内容=None))
    ws.add(**complaint(被举报单位="丁"))
    assert ws.run("daily") == 0
    rows = ws.rows()
    assert [r["被举报单位"] for r in rows] == ["甲", "乙", "丙", "丁"]
    assert [r["案件编号"] for r in rows] == ["AJ2026-0001", None, None, "AJ2026-0002"]
    assert "缺少受理时间" in rows[1]["备注"]
    assert "缺少举报内容" in rows[2]["备注"]
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "第3行：缺少受理时间" in summary
    # Once completed, the row is handled and the note goes away.
    ws.edit(3, 受理时间=datetime(2026, 11, 30, 9, 0))
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    row = ws.row(3)
    assert row["案件编号"] == "AJ2026-0003"
    assert row["备注"] is None or "缺少" not in row["备注"]


# ---- category ----------------------------------------------------------------------------

def test_empty_category_is_proposed_from_keywords_and_marked_for_the_clerk(ws):
    ws.add(**complaint(举报内容="化工厂储罐泄漏，气味很大"))
    ws.add(**complaint(举报内容="车间昨天有工人受伤"))
    ws.add(**complaint(举报内容="举报该工地存在事故隐患，脚手架不牢"))
    assert ws.run("daily") == 0
    rows = ws.rows()
    assert [r["类别"] for r in rows] == ["紧急", "事故", "一般"]
    for row in rows:
        assert "类别待确认" in row["备注"]
    assert "泄漏" in rows[0]["备注"]


def test_category_typed_by_the_clerk_wins(ws):
    ws.add(**complaint(类别="紧急", 举报内容="楼道堆放杂物"))
    ws.add(**complaint(类别="一般类", 举报内容="储罐泄漏"))
    assert ws.run("daily") == 0
    rows = ws.rows()
    assert [r["类别"] for r in rows] == ["紧急", "一般"]
    # Nothing to confirm: the only note is why tipdesk chose the unit.
    assert [r["备注"] for r in rows] == ["〔归口：属地 东城街道（地址含“东城街道”）〕",
                                        "〔归口：行业 危险化学品（举报内容含“储罐”）〕"]


def test_invalid_category_is_not_referred_and_said(ws):
    ws.add(**complaint(类别="很急"))
    assert ws.run("daily") == 0
    row = ws.rows()[0]
    assert row["状态"] is None and row["办理期限"] is None
    assert "类别“很急”无效" in row["备注"]


# ---- routing -----------------------------------------------------------------------------

def test_every_routing_path(ws):
    ws.add(**complaint(承办单位="住建局", 事发地址="西城街道建设路"))             # clerk, by alias
    ws.add(**complaint(行业领域="特种设备", 举报内容="小区电梯困人"))           # industry typed
    ws.add(**complaint(举报内容="餐馆液化气瓶软管老化", 事发地址="西城街道西关"))  # industry inferred
    ws.add(**complaint(举报内容="有人长期违规作业", 事发地址="青山镇石桥村"))     # territory
    ws.add(**complaint(举报内容="有人长期违规作业", 事发地址="不详"))             # nobody
    ws.add(**complaint(承办单位="区宣传部"))                                    # unknown unit
    assert ws.run("daily") == 0
    rows = ws.rows()
    assert [r["承办单位"] for r in rows] == [
        "区住房和城乡建设局", "区市场监督管理局", "区城市管理局", "青山镇", None, "区宣传部"]
    assert [r["状态"] for r in rows] == ["已交办", "已交办", "已交办", "已交办", "待分派", "待分派"]
    assert rows[2]["行业领域"] == "燃气"
    assert rows[3]["所属镇街"] == "青山镇"
    assert "待分派" in rows[4]["备注"]
    assert "区宣传部" in rows[5]["备注"]
    with sqlite3.connect(ws.config.journal) as db:
        whys = {r[0] for r in db.execute("SELECT why FROM changes WHERE column_name = '承办单位'")}
    assert any("行业领域“燃气”" in w for w in whys)
    assert any("属地“青山镇”" in w for w in whys)


def test_unassigned_case_is_referred_once_the_clerk_chooses(ws):
    row = ws.add(**complaint(举报内容="有人长期违规作业", 事发地址="不详"))
    assert ws.run("daily") == 0
    assert ws.row(row)["状态"] == "待分派"
    ws.edit(row, 承办单位="西城街道")
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    case = ws.row(row)
    assert case["状态"] == "已交办"
    assert case["交办时间"] == datetime(2026, 12, 1, 9, 0)
    assert case["办理期限"] == datetime(2026, 12, 10, 23, 59, 59)
    assert "待分派" not in (case["备注"] or "")


# ---- deadlines through the register --------------------------------------------------------

def test_deadline_per_category_written_as_real_dates(ws):
    received = datetime(2026, 9, 30, 9, 0)  # before the run: a later one would not be numbered
    ws.add(**complaint(类别="一般", 受理时间=received))
    ws.add(**complaint(类别="紧急", 受理时间=received))
    ws.add(**complaint(类别="事故", 受理时间=received))
    assert ws.run("daily", now="2026-09-30 16:00") == 0
    rows = ws.rows()
    assert [r["办理期限"] for r in rows] == [
        datetime(2026, 10, 15, 23, 59, 59), datetime(2026, 10, 1, 16, 0), datetime(2026, 10, 1, 16, 0)]
    assert all(r["交办时间"] == datetime(2026, 9, 30, 16, 0) for r in rows)
    sheet = load_workbook(ws.register)["台账"]
    cell = sheet.cell(row=2, column=17)
    assert cell.is_date and "yy" in cell.number_format


def test_late_december_referral_does_not_crash_and_warns_once(ws):
    ws.add(**complaint(类别="一般", 受理时间=datetime(2026, 12, 28, 8, 0)))
    ws.add(**complaint(类别="一般", 受理时间=datetime(2026, 12, 28, 8, 5)))
    assert ws.run("daily", now="2026-12-28 09:00") == 0
    assert ws.rows()[0]["办理期限"] == datetime(2027, 1, 6, 23, 59, 59)
    summary = (ws.root / "outbox" / "2026-12-28" / "每日汇总.txt").read_text(encoding="utf-8")
    assert summary.count("2027年的放假安排尚未导入，2件在办案件的办理期限暂按周末计算") == 1


def test_config_holidays_move_the_deadline(ws):
    ws.set_config("extra_holidays: []", "extra_holidays: [2026-12-02]")
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-11-30 09:00") == 0
    assert ws.rows()[0]["办理期限"] == datetime(2026, 12, 10, 23, 59, 59)


def test_forwarded_case_is_capped_by_the_upstream_deadline(ws):
    ws.add(**complaint(来源="市转办", 上级编号="市2026-88", 上级期限=datetime(2026, 12, 4), 类别="一般"))
    assert ws.run("daily", now="2026-11-30 09:00") == 0
    assert ws.rows()[0]["办理期限"] == datetime(2026, 12, 3, 23, 59, 59)


def test_text_dates_become_real_dates(ws):
    ws.add(**complaint(受理时间="2026年11月29日 14:30"))
    ws.add(**complaint(受理时间="２０２６．１１．２９"))
    ws.add(**complaint(受理时间="昨天下午"))
    assert ws.run("daily") == 0
    rows = ws.rows()
    assert rows[0]["受理时间"] == datetime(2026, 11, 29, 14, 30)
    assert rows[1]["受理时间"] == datetime(2026, 11, 29, 0, 0)
    assert rows[2]["案件编号"] is None and "不是日期" in rows[2]["备注"]
    sheet = load_workbook(ws.register)["台账"]
    assert sheet.cell(row=2, column=2).is_date


# ---- the clerk's overrides ------------------------------------------------------------------

def test_typed_deadline_and_referral_time_win(ws):
    # Received before the referral the clerk typed: the other way round is flagged instead.
    ws.add(**complaint(类别="一般", 受理时间=datetime(2026, 11, 27, 9, 0), 交办时间=datetime(2026, 11, 27, 15, 0),
                       办理期限=datetime(2026, 12, 1, 12, 0)))
    assert ws.run("daily") == 0
    row = ws.rows()[0]
    assert row["交办时间"] == datetime(2026, 11, 27, 15, 0)
    assert row["办理期限"] == datetime(2026, 12, 1, 12, 0)
    assert row["状态"] == "已交办"


def test_clerk_changes_category_after_referral_recomputes_deadline(ws):
    row = ws.add(**complaint())
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    assert ws.row(row)["办理期限"] == datetime(2026, 12, 9, 23, 59, 59)
    ws.edit(row, 类别="紧急")
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    case = ws.row(row)
    assert case["办理期限"] == datetime(2026, 12, 1, 8, 30)
    assert "类别待确认" not in (case["备注"] or "")


def test_clerk_reassigns_a_case_it_is_referred_again(ws):
    row = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-02 09:00") == 0
    case = ws.row(row)
    assert case["承办单位"] == "东城街道"
    assert case["交办时间"] == datetime(2026, 12, 2, 9, 0)
    assert case["办理期限"] == datetime(2026, 12, 11, 23, 59, 59)
    assert "由区住房和城乡建设局改派东城街道" in case["备注"]


# ---- overdue -------------------------------------------------------------------------------

def test_overdue_flag_follows_the_clock(ws):
    ws.add(**complaint(类别="紧急"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    assert ws.rows()[0]["是否超期"] == "否"
    assert ws.run("daily", now="2026-12-01 09:00") == 0
    assert ws.rows()[0]["是否超期"] == "是"
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "【已超期】（1）" in summary and "AJ2026-0001" in summary


# ---- safety and idempotence ----------------------------------------------------------------

def test_second_run_the_same_day_changes_nothing(ws):
    for i in range(3):
        ws.add(**complaint(被举报单位=f"单位{i}"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    before = digest(ws.register)
    backups = sorted((ws.root / "backups").iterdir())
    assert ws.run("daily", now="2026-11-30 11:00") == 0
    assert digest(ws.register) == before
    assert sorted((ws.root / "backups").iterdir()) == backups


def test_open_in_excel_or_libreoffice_refuses_with_exit_3_and_changes_nothing(ws, capsys):
    ws.add(**complaint())
    before = digest(ws.register)
    for lock in (f"~${ws.register.name}", f".~lock.{ws.register.name}#"):
        (ws.register.parent / lock).write_text("someone")
        assert ws.run("daily") == 3
        assert digest(ws.register) == before
        assert "正在被 Excel/WPS/LibreOffice 打开" in capsys.readouterr().err
        (ws.register.parent / lock).unlink()
    assert not (ws.root / "backups").exists()
    assert ws.run("daily") == 0


def test_another_run_holding_the_workspace_gives_exit_3(ws, capsys):
    import filelock

    ws.add(**complaint())
    before = digest(ws.register)
    lock = filelock.FileLock(str(ws.register.parent / f".{ws.register.name}.tipdesk.lock"))
    with lock:
        assert ws.run("daily") == 3
    assert digest(ws.register) == before
    assert "另一个 tipdesk 正在处理" in capsys.readouterr().err


def test_hand_added_columns_sheets_and_formulas_are_kept(ws):
    wb = load_workbook(ws.register)
    sheet = wb["台账"]
    sheet.cell(row=1, column=26, value="我的分析")
    sheet.cell(row=1, column=27, value="复核人")
    wb.create_sheet("草稿")["B2"] = "别动我"
    wb.save(ws.register)
    row = ws.add(**complaint())
    ws.edit(row, 是否超期="=IF(1,\"是\",\"否\")")
    wb = load_workbook(ws.register)
    wb["台账"].cell(row=row, column=26, value="=LEN(L2)")
    wb["台账"].cell(row=row, column=27, value="老张")
    wb.save(ws.register)
    assert ws.run("daily") == 0
    wb = load_workbook(ws.register)
    sheet = wb["台账"]
    assert sheet.cell(row=row, column=26).value == "=LEN(L2)"
    assert sheet.cell(row=row, column=27).value == "老张"
    assert sheet.cell(row=row, column=23).value == '=IF(1,"是","否")'   # formula kept, not overwritten
    assert wb["草稿"]["B2"].value == "别动我"
    assert sheet.cell(row=row, column=1).value == "AJ2026-0001"
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "W2（是否超期）是公式" in summary


def test_every_change_is_journaled_with_old_new_and_why(ws):
    ws.add(**complaint())
    assert ws.run("daily") == 0
    with sqlite3.connect(ws.config.journal) as db:
        rows = db.execute("SELECT case_id, column_name, old, new, why FROM changes WHERE sheet = '台账'").fetchall()
    by_column = {r[1]: r for r in rows}
    assert by_column["案件编号"] == ("AJ2026-0001", "案件编号", None, "AJ2026-0001", "新案件编号")
    assert {r[0] for r in rows} == {"AJ2026-0001"}
    assert by_column["办理期限"][0] == "AJ2026-0001"
    assert by_column["办理期限"][3] == "2026-12-09 23:59:59"
    assert "7个工作日" in by_column["办理期限"][4]


def test_dry_run_changes_nothing(ws, capsys):
    ws.add(**complaint())
    before = digest(ws.register)
    assert ws.run("daily", "--dry-run") == 0
    assert digest(ws.register) == before
    assert not ws.config.journal.exists()
    assert not (ws.root / "outbox" / "2026-11-30").exists()
    out = capsys.readouterr().out
    assert "案件编号：“” → “AJ2026-0001”" in out


def test_summary_names_no_reporter(ws):
    ws.add(**complaint(举报人="欧阳春花", 联系方式="13900001111", 举报内容="我是欧阳春花，电话13900001111"))
    # people also put themselves into the company or address cells, which the summary lists
    ws.add(**complaint(举报人="欧阳春花", 联系方式="13900001111", 被举报单位="欧阳春花家楼下的作坊",
                       事发地址="人民路，联系13900001111"))
    ws.add(**complaint(举报人="欧阳春花", 被举报单位="欧阳春花家楼下的作坊"))
    assert ws.run("daily") == 0
    text = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "AJ2026-0001" in text and "疑似重复" in text and "【已隐去】家楼下的作坊" in text
    assert "欧阳春花" not in text and "13900001111" not in text


def test_a_register_from_before_the_new_columns_gets_them_after_its_last_column(ws):
    # A register of the first contract (25 columns) with a column the clerk added at the end.
    wb = load_workbook(ws.register)
    sheet = wb["台账"]
    headers = [c.value for c in sheet[1]]
    for name in ("上报时间", "回访结果", "回访时间", "签收时间"):
        sheet.delete_cols(headers.index(name) + 1)
        headers.remove(name)
    sheet.cell(1, len(headers) + 1, "文员备查")
    wb.save(ws.register)
    row = ws.add(**complaint(), 文员备查="自己的记录")
    assert ws.run("daily") == 0
    after = [c.value for c in load_workbook(ws.register)["台账"][1]]
    assert after[:len(headers)] == headers
    assert after[len(headers):] == ["文员备查", "签收时间", "回访时间", "回访结果", "上报时间"]
    assert load_workbook(ws.register)["台账"].cell(row, len(headers) + 1).value == "自己的记录"
    assert ws.row(row)["状态"] == "已交办"
    assert ws.run("daily") == 0  # once
    assert [c.value for c in load_workbook(ws.register)["台账"][1]] == after


def test_every_run_of_the_day_keeps_its_summary_newest_first(ws):
    """The morning's to-do list survives the runs after it: a rerun, a watch pass, a backfill."""
    ws.add(**complaint(被举报单位="早上登记的公司"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    ws.add(**complaint(被举报单位="中午登记的公司", 受理时间=datetime(2026, 11, 30, 11, 0)))
    assert ws.run("daily", now="2026-11-30 12:00") == 0
    assert ws.run("daily", now="2026-11-30 12:00") == 0          # the same minute again
    day = ws.root / "outbox" / "2026-11-30"
    runs = sorted(p.name for p in day.glob("每日汇总-*.txt"))
    assert runs == ["每日汇总-0830.txt", "每日汇总-1200-2.txt", "每日汇总-1200.txt"]
    morning = (day / "每日汇总-0830.txt").read_text(encoding="utf-8")
    assert "早上登记的公司" in morning and "中午登记的公司" not in morning
    whole = (day / "每日汇总.txt").read_text(encoding="utf-8")
    titles = [line for line in whole.splitlines() if line.startswith("安全生产举报每日汇总")]
    assert titles == ["安全生产举报每日汇总（2026年11月30日 12:00）"] * 2 + ["安全生产举报每日汇总（2026年11月30日 08:30）"]
    assert whole.index("今天没有需要处理的事项") < whole.index("中午登记的公司") < whole.index("早上登记的公司")
    # A backfill of an earlier hour goes below the later runs, and nothing is lost.
    assert ws.run("daily", now="2026-11-30 07:00") == 0
    whole = (day / "每日汇总.txt").read_text(encoding="utf-8")
    assert whole.rstrip().endswith("今天没有需要处理的事项。") and whole.count("安全生产举报每日汇总（") == 4
