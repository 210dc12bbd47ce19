"""Dates that cannot be right are flagged, never silently used; `report` refuses a period not
begun; `check` and `daily` agree on what they accept; the demo's own dates are consistent."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import complaint
from tests.test_inbox import fill, referred, sheet_of, summary

ZJ = "区住房和城乡建设局"


def test_a_complaint_received_in_the_future_is_not_numbered_until_corrected(ws):
    row = ws.add(**complaint(受理时间=datetime(2026, 12, 30, 9, 0)))   # typo for 11-30
    ok = ws.add(**complaint())
    assert ws.run("daily") == 0
    case = ws.row(row)
    assert case["案件编号"] is None and case["状态"] is None and case["交办时间"] is None
    assert "〔日期存疑：受理时间2026-12-30 09:00晚于现在（2026-11-30 08:30），请核对改正〕" in case["备注"]
    assert ws.row(ok)["案件编号"] == "AJ2026-0001"
    text = summary(ws, "2026-11-30")
    assert "日期存疑：受理时间2026-12-30 09:00晚于现在（2026-11-30 08:30），本行暂不编号、不交办" in text
    ws.edit(row, 受理时间=datetime(2026, 11, 30, 9, 0))
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    case = ws.row(row)
    assert case["案件编号"] == "AJ2026-0002" and case["状态"] == "已交办" and "日期存疑" not in (case["备注"] or "")


def test_a_referral_before_the_complaint_came_in_is_flagged(ws):
    new = ws.add(**complaint(交办时间=datetime(2026, 11, 29, 9, 0)))
    assert ws.run("daily") == 0
    assert ws.row(new)["案件编号"] is None
    assert "交办时间2026-11-29 09:00早于受理时间2026-11-30 08:00" in ws.row(new)["备注"]
    # Corrected, it is referred at the time typed; then the clerk makes 受理时间 later than that.
    ws.edit(new, 交办时间=datetime(2026, 11, 30, 9, 0))
    assert ws.run("daily", now="2026-11-30 09:00") == 0
    assert ws.row(new)["案件编号"] == "AJ2026-0001" and "日期存疑" not in (ws.row(new)["备注"] or "")
    ws.edit(new, 受理时间=datetime(2026, 11, 30, 11, 0))
    assert ws.run("daily", now="2026-11-30 12:00") == 0
    case = ws.row(new)
    assert case["案件编号"] == "AJ2026-0001" and case["交办时间"] == datetime(2026, 11, 30, 9, 0)
    assert "〔日期存疑：交办时间2026-11-30 09:00早于受理时间2026-11-30 11:00，请核对改正〕" in case["备注"]
    assert "交办时间2026-11-30 09:00早于受理时间2026-11-30 11:00，请核对改正。" in summary(ws, "2026-11-30")


def test_a_returned_sheet_with_impossible_dates_is_applied_and_flagged(ws, tmp_path):
    row = referred(ws, 类别="一般")
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "回复.xlsx",
         {"办理状态": "已办结", "是否属实": "属实", "核查情况": "已核查。", "处理结果": "已整改。",
          "办结日期": "2026年11月20日", "经办人": "李四", "联系电话": "0571-1"},
         saved_at=datetime(2026, 12, 2, 9, 0))
    assert ws.run("daily", now="2026-12-02 09:30") == 0
    case = ws.row(row)
    assert case["状态"] == "已办结" and case["反馈时间"] == datetime(2026, 12, 2, 9, 0)  # arrival, not 办结日期
    assert f"〔反馈日期存疑：办结日期2026-11-20早于交办时间2026-11-30 08:30，请与{ZJ}核实〕" in case["备注"]
    assert "反馈表日期存疑：办结日期2026-11-20早于交办时间2026-11-30 08:30（回复.xlsx）" in summary(ws, "2026-12-02")


def test_an_extension_asked_to_a_day_already_past_is_flagged(ws):
    row = referred(ws, 类别="一般")
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "延期.xlsx",
         {"办理状态": "申请延期", "申请延期至": "2026.12.01", "申请理由": "需检测报告"},
         saved_at=datetime(2026, 12, 3, 9, 0))
    assert ws.run("daily", now="2026-12-03 09:30") == 0
    case = ws.row(row)
    assert case["状态"] == "申请延期"
    assert "申请延期至2026-12-01早于收到反馈表的日期2026-12-03" in case["备注"]
    assert "反馈表日期存疑：申请延期至2026-12-01早于收到反馈表的日期2026-12-03" in summary(ws, "2026-12-03")


def test_a_report_for_a_period_not_begun_is_refused(ws, capsys):
    assert ws.run("report", "--month", "2027-01", now="2026-12-01 09:00") == 2
    err = capsys.readouterr().err
    assert "2027年1月还没有开始（现在是2026年12月1日9时）" in err
    assert not list((ws.root / "outbox").glob("*/通报-*"))
    assert ws.run("report", "--year", "2027", now="2026-12-01 09:00") == 2
    assert ws.run("report", "--month", "2026-12", now="2026-12-01 09:00") == 0   # under way: so far


def test_check_and_daily_agree(ws, capsys):
    tidy = ws.add(**complaint(类别="一般类", 承办单位="住建局", 受理时间="2026年11月30日 8:10"))
    future = ws.add(**complaint(受理时间=datetime(2026, 12, 30, 9, 0)))
    assert ws.run("check") == 2
    out = capsys.readouterr().out
    # What daily only tidies is a note, not a problem; what it refuses is a problem, by cell.
    assert "M2（类别）：“一般类”，daily 会写成“一般”" in out and "“一般类”无效" not in out
    assert "B2（受理时间）：“2026年11月30日 8:10”是文字不是日期，daily 会自动改为日期" in out
    assert "住建局" not in out
    assert f"B{future}（受理时间）：受理时间2026-12-30 09:00晚于现在（2026-11-30 08:30），本行不会编号和交办" in out
    assert "发现 1 个问题" in out
    assert ws.run("daily") == 0
    assert ws.row(tidy)["案件编号"] == "AJ2026-0001" and ws.row(tidy)["类别"] == "一般"
    assert ws.row(future)["案件编号"] is None
    ws.edit(future, 受理时间=datetime(2026, 11, 30, 8, 20))
    capsys.readouterr()
    assert ws.run("check", now="2026-11-30 09:00") == 0


def test_the_demo_keeps_its_own_dates_consistent(tmp_path):
    from tipdesk.commands.demo import build_demo
    from tipdesk.commands.daily import run_daily
    from tipdesk.config import load_config

    now = datetime(2026, 12, 1, 7, 5)   # earlier in the day than the demo's old fixed 07:50
    config = load_config(build_demo(tmp_path / "demo", now))
    run_daily(config, now, echo=lambda _text: None)
    from tipdesk.store.register import read_register

    rows = [r.values for r in read_register(config.register).rows]
    assert len(rows) > 20
    for row in rows:
        assert "日期存疑" not in str(row["备注"] or ""), row["案件编号"]
        if row["交办时间"]:
            assert row["受理时间"] <= row["交办时间"] <= now, row["案件编号"]
