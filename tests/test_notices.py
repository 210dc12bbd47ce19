"""Every decision reaches the unit: 撤回, 延期批复, 退回批复, 反馈表退回, 重新办理, each once,
through the real SMTP test server (and as .eml in outbox mode)."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import complaint
from tests.test_daily_mail import ZJ, mail_to, received
from tests.test_inbox import CLOSED, fill, sheet_of

ISSUED = "2026-11-30 08:30"


def notices(recorder, kind: str) -> list:
    return [m for m in received(recorder) if str(m["Subject"]).startswith(f"【{kind}】")]


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def referred(ws, recorder, **values) -> int:
    row = ws.add(**complaint(类别="一般", **values))
    assert ws.run("daily", now=ISSUED) == 0
    return row


def test_reassignment_withdraws_the_old_letter_once(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = referred(ws, recorder)
    assert ws.row(row)["交办文号"] == "安举交〔2026〕1号"
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    (withdrawn,) = notices(recorder, "撤回")
    assert str(withdrawn["Subject"]) == f"【撤回】{ZJ}：撤回AJ2026-0001交办（安举交〔2026〕1号作废）—安举函〔2026〕1号"
    assert withdrawn["To"].addresses[0].addr_spec == "zl@zj.gov.cn"
    text = body(withdrawn)
    assert "安举函〔2026〕1号" in text and "已改由东城街道办理" in text and "原交办单（安举交〔2026〕1号）及所附反馈表即日作废" in text
    assert "王建国" not in text and "13812345678" not in text
    # 东城街道 has no address yet: its referral is listed for paper delivery, not lost.
    assert "需纸质送达" in (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    assert len(notices(recorder, "撤回")) == 1


def test_extension_granted_and_refused(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    first = referred(ws, recorder)
    second = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=ISSUED) == 0
    for case_id, row in (("AJ2026-0001", first), ("AJ2026-0002", second)):
        fill(sheet_of(ws, case_id, ZJ), ws.root / "inbox" / f"{case_id}.xlsx",
             {"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需第三方检测"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert ws.row(first)["签收时间"] is not None  # the sheet is an acknowledgement
    ws.edit(first, 状态="办理中", 办理期限=datetime(2026, 12, 20, 23, 59))
    ws.edit(second, 状态="办理中")
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    replies = {str(m["Subject"]): body(m) for m in notices(recorder, "延期批复")}
    assert set(replies) == {f"【延期批复】{ZJ}：AJ2026-0001延期申请已同意—安举函〔2026〕1号",
                            f"【延期批复】{ZJ}：AJ2026-0002延期申请未同意—安举函〔2026〕2号"}
    granted = replies[f"【延期批复】{ZJ}：AJ2026-0001延期申请已同意—安举函〔2026〕1号"]
    assert "同意延期。办理期限由2026年12月9日延至2026年12月20日，" in granted
    refused = replies[f"【延期批复】{ZJ}：AJ2026-0002延期申请未同意—安举函〔2026〕2号"]
    assert "不同意延期。请按原办理期限（2026年12月9日）办结并反馈" in refused


def test_return_granted_by_reassigning_and_refused(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    first = referred(ws, recorder)
    second = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=ISSUED) == 0
    for case_id in ("AJ2026-0001", "AJ2026-0002"):
        fill(sheet_of(ws, case_id, ZJ), ws.root / "inbox" / f"{case_id}.xlsx",
             {"办理状态": "申请退回", "申请理由": "属地管理，应由东城街道办理"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    ws.edit(first, 承办单位="东城街道")
    ws.edit(second, 状态="办理中")
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    replies = {str(m["Subject"]): body(m) for m in notices(recorder, "退回批复")}
    assert set(replies) == {f"【退回批复】{ZJ}：AJ2026-0001退回申请已同意—安举函〔2026〕1号",
                            f"【退回批复】{ZJ}：AJ2026-0002退回申请未同意—安举函〔2026〕2号"}
    assert "同意退回，本案已改由东城街道办理" in replies[f"【退回批复】{ZJ}：AJ2026-0001退回申请已同意—安举函〔2026〕1号"]
    assert "不同意退回，本案仍由你单位办理" in replies[f"【退回批复】{ZJ}：AJ2026-0002退回申请未同意—安举函〔2026〕2号"]
    assert notices(recorder, "撤回") == []  # a granted return is answered once, by its reply
    assert ws.row(first)["交办文号"] == "安举交〔2026〕3号"


def test_a_faulty_sheet_goes_back_with_every_fault_and_itself(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    referred(ws, recorder)
    dropped = fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "回传.xlsx",
                   {**CLOSED, "是否属实": None, "处理结果": None, "办结日期": None})
    sent_back = dropped.read_bytes()
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    (returned,) = notices(recorder, "反馈表退回")
    assert str(returned["Subject"]) == f"【反馈表退回】{ZJ}：AJ2026-0001办理情况反馈表需修改后重新报送"
    text = body(returned)
    assert "1. 回传.xlsx 工作表“反馈表” 单元格" in text and "（是否属实）" in text
    assert "2. " in text and "（处理结果）" in text and "3. " in text and "（办结日期）" in text
    attached = {p.get_filename(): p.get_payload(decode=True) for p in returned.iter_attachments()}
    assert attached.pop("回传.xlsx") == sent_back
    assert list(attached) == ["反馈表退回-AJ2026-0001.docx"]  # the notice as a document to file
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    assert len(notices(recorder, "反馈表退回")) == 1


def test_a_sheet_carrying_a_reporter_is_not_sent_back(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    referred(ws, recorder)
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "回传.xlsx",
         {**CLOSED, "是否属实": None, "核查情况": "已电话联系举报人，手机13900001111，说明情况。"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    (returned,) = notices(recorder, "反馈表退回")
    assert [p.get_filename() for p in returned.iter_attachments()] == ["反馈表退回-AJ2026-0001.docx"]
    assert "请在本单位留存的原表上逐项改正" in body(returned)
    assert "13900001111" not in returned.as_string()


def test_redo_refers_again_with_a_new_number_and_the_new_letter(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = referred(ws, recorder)
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "a.xlsx", CLOSED)
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert ws.row(row)["状态"] == "已办结"
    ws.edit(row, 状态="退回重办", 备注="来电人住3号楼，回访时很不满意\n退回理由：整改照片与现场不符，需重新核查")
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    case = ws.row(row)
    assert (case["状态"], case["交办文号"], case["承办单位"]) == ("已交办", "安举交〔2026〕2号", ZJ)
    assert case["办理期限"] == datetime(2026, 12, 11, 23, 59, 59)
    assert case["反馈时间"] is None and case["处理结果"] is None
    assert "退回重办（原安举交〔2026〕1号的办结不予认可）" in case["备注"]
    (redo,) = notices(recorder, "重新办理")
    assert str(redo["Subject"]) == f"【重新办理】{ZJ}：AJ2026-0001退回重办（安举交〔2026〕2号）—安举函〔2026〕1号"
    text = body(redo)
    assert "退回理由：整改照片与现场不符，需重新核查" in text and "办理期限至2026年12月11日" in text
    assert "3号楼" not in text and "不满意" not in text      # only the line marked for the unit leaves
    assert sorted(p.get_filename() for p in redo.iter_attachments()) == [
        "AJ2026-0001-交办单.docx", "AJ2026-0001-反馈表.xlsx", "重新办理-安举函〔2026〕1号.docx"]
    assert ws.run("daily", now="2026-12-02 11:00") == 0
    assert len(notices(recorder, "重新办理")) == 1


def test_closed_without_referral_is_never_chased_and_the_unit_is_told(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = referred(ws, recorder)
    plain = ws.add(**complaint(类别="一般", 状态="不予受理", 备注="非安全生产领域，已告知来电人向市场监管部门反映"))
    ws.edit(row, 状态="已转办", 备注="转市消防支队办理")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    (withdrawn,) = notices(recorder, "撤回")
    assert "本案已转办，无需继续办理" in body(withdrawn)
    new = ws.row(plain)
    assert new["案件编号"] == "AJ2026-0002" and new["状态"] == "不予受理" and new["交办文号"] is None
    for day in ("2026-12-10 08:30", "2026-12-15 08:30"):
        assert ws.run("daily", now=day) == 0
    assert [m for m in received(recorder) if "催办" in str(m["Subject"]) or "督办" in str(m["Subject"])] == []
    assert ws.row(row)["状态"] == "已转办"
    assert len(notices(recorder, "撤回")) == 1  # withdrawn once, not on every later run


def test_a_merged_case_closes_with_its_main_case(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    main = referred(ws, recorder)
    merged = ws.add(**complaint(类别="一般", 状态="已并案", 备注="同一工地重复举报〔并入 AJ2026-0001〕"))
    assert ws.run("daily", now="2026-11-30 09:00") == 0
    assert ws.row(merged)["反馈时间"] is None
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "a.xlsx", CLOSED)
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    case = ws.row(merged)
    assert case["状态"] == "已并案" and case["反馈时间"] == ws.row(main)["反馈时间"]
    assert case["是否属实"] == "属实" and case["处理结果"].startswith("并入AJ2026-0001办理：")


def test_notices_as_eml_in_outbox_mode(ws):
    row = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=ISSUED) == 0
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    day = ws.root / "outbox" / "2026-12-01"
    # 区住房和城乡建设局 has only its office in the sample config, with no address: paper.
    printable = sorted(p.name for p in day.iterdir() if "撤回" in p.name)
    assert printable == ["0830-撤回-区住房和城乡建设局（纸质送达）.txt", "撤回-安举函〔2026〕1号.docx"]
    text = (day / printable[0]).read_text(encoding="utf-8")
    assert "原交办单（安举交〔2026〕1号）及所附反馈表即日作废" in text


def test_an_unacknowledged_urgent_case_is_put_before_the_clerk_until_signed(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = ws.add(**complaint(类别="紧急"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    assert ws.run("daily", now="2026-11-30 10:00") == 0
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert f"AJ2026-0001：{ZJ}：紧急类交办已1小时" not in summary
    assert ws.run("daily", now="2026-11-30 10:45") == 0
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert f"AJ2026-0001：{ZJ}：紧急类交办已2小时仍未签收，请电话联系该单位确认收到并立即处置。" in summary
    ws.edit(row, 签收时间=datetime(2026, 11, 30, 11, 0))  # the clerk phoned: signed for
    assert ws.run("daily", now="2026-11-30 11:30") == 0
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总-1130.txt").read_text(encoding="utf-8")
    assert "未签收" not in summary
    assert ws.row(row)["签收时间"] == datetime(2026, 11, 30, 11, 0)


def test_a_general_case_signed_by_the_clerk_is_not_referred_again(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    signed = ws.add(**complaint(类别="一般"))
    ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    ws.edit(signed, 签收时间=datetime(2026, 11, 30, 15, 0))
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    again = [m for m in received(recorder) if "再次发送" in str(m["Subject"])]
    assert len(again) == 1 and "AJ2026-0002" in body(again[0]) and "AJ2026-0001" not in body(again[0])
    assert ws.run("daily", now="2026-12-03 08:30") == 0
    assert len([m for m in received(recorder) if "再次发送" in str(m["Subject"])]) == 1


def test_forwarded_results_are_reported_upward_once_per_centre(ws):
    from openpyxl import load_workbook

    city = ws.add(**complaint(类别="一般", 来源="市转办", 上级编号="SZ-001", 上级期限=datetime(2026, 12, 20)))
    province = ws.add(**complaint(类别="一般", 来源="省转办", 上级编号="SJ-9", 上级期限=datetime(2026, 12, 1)))
    ws.add(**complaint(类别="一般"))  # a hotline case: never reported upward
    assert ws.run("daily", now=ISSUED) == 0
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "【上级转件临近上级期限、尚无结果】（1）" in summary and "省转办 SJ-9｜上级期限 2026-12-01（临近）" in summary
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "a.xlsx",
         {**CLOSED, "处理结果": "已责令整改。举报人王建国电话13812345678反映属实。"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    folder = ws.root / "outbox" / "2026-12-01" / "上报"
    (report,) = list(folder.iterdir())
    assert report.name == "市转办-办理结果上报-20261201-0830.xlsx"
    sheet = load_workbook(report)["上报"]
    assert [c.value for c in sheet[3]] == ["上级编号", "案件编号", "承办单位", "办理状态", "是否属实", "处理结果", "办结时间"]
    row = [c.value for c in sheet[4]]
    assert row[:5] == ["SZ-001", "AJ2026-0001", ZJ, "已办结", "属实"] and row[6] == "2026年12月1日"
    assert "王建国" not in row[5] and "13812345678" not in row[5]
    assert ws.row(city)["上报时间"] == datetime(2026, 12, 1, 8, 30)
    assert ws.row(province)["上报时间"] is None
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    assert list(folder.iterdir()) == [report]  # reported once


def test_closed_cases_await_the_call_back_without_any_identity(ws):
    row = ws.add(**complaint(类别="一般"))
    other = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=ISSUED) == 0
    for case_id in ("AJ2026-0001", "AJ2026-0002"):
        fill(sheet_of(ws, case_id, ZJ), ws.root / "inbox" / f"{case_id}.xlsx", CLOSED)
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    ws.edit(other, 回访时间=datetime(2026, 12, 1, 10, 0), 回访结果="不满意")
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    summary = (ws.root / "outbox" / "2026-12-01" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "【已办结、待回访举报人（请电话回访后填写回访时间和回访结果）】（1）" in summary
    assert f"AJ2026-0001：{ZJ}｜2026-12-01办结" in summary
    assert "AJ2026-0002：回访结果为不满意" in summary and "退回重办" in summary
    assert "王建国" not in summary and "13812345678" not in summary
    assert ws.row(row)["回访时间"] is None


def test_an_extension_granted_over_two_saves_is_still_granted(ws, smtp_server):
    # The clerk types the new date, a run happens (watch), then sets 办理中.
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = referred(ws, recorder)
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "a.xlsx",
         {"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需检测"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    ws.edit(row, 办理期限=datetime(2026, 12, 20, 23, 59))
    assert ws.run("daily", now="2026-12-01 11:00") == 0
    assert notices(recorder, "延期批复") == []
    ws.edit(row, 状态="办理中")
    assert ws.run("daily", now="2026-12-01 14:00") == 0
    (reply,) = notices(recorder, "延期批复")
    assert "已同意" in str(reply["Subject"]) and "办理期限由2026年12月9日延至2026年12月20日" in body(reply)


def test_the_units_own_interim_sheet_is_no_answer_to_its_request(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    referred(ws, recorder)
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "a.xlsx",
         {"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需检测"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "b.xlsx",
         {"办理状态": "阶段性反馈", "核查情况": "已完成现场检查，等待检测报告。"})
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    assert notices(recorder, "延期批复") == []


def test_a_notice_is_an_eml_in_outbox_mode_for_a_unit_with_an_address(ws):
    from email import message_from_bytes, policy

    from openpyxl import load_workbook

    book = load_workbook(ws.register)
    for cells in book["联络人"].iter_rows(min_row=2):
        if cells[0].value == ZJ:
            cells[8].value, cells[9].value = "zl@zj.gov.cn", "已报送"
    book.save(ws.register)
    row = ws.add(**complaint(类别="一般"))
    assert ws.run("daily", now=ISSUED) == 0
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    (eml,) = (ws.root / "outbox" / "2026-12-01").glob("*撤回*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert str(message["Subject"]).startswith(f"【撤回】{ZJ}：撤回AJ2026-0001交办")
    assert message["To"].addresses[0].addr_spec == "zl@zj.gov.cn" and message["X-Unsent"] == "1"
    assert [p.get_filename() for p in message.iter_attachments()] == ["撤回-安举函〔2026〕1号.docx"]


def test_a_case_sent_back_to_a_unit_it_had_before_is_mailed_again(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = referred(ws, recorder)
    ws.edit(row, 承办单位="东城街道")
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    ws.edit(row, 承办单位=ZJ)
    assert ws.run("daily", now="2026-12-02 08:30") == 0
    referrals = [m for m in received(recorder) if str(m["Subject"]).startswith("【交办】")]
    assert [str(m["To"].addresses[0].addr_spec) for m in referrals] == ["zl@zj.gov.cn", "zl@zj.gov.cn"]
    names = {p.get_filename() for p in referrals[1].iter_attachments()}
    assert names == {"AJ2026-0001-交办单.docx", "AJ2026-0001-反馈表.xlsx"}
    assert ws.row(row)["交办文号"] == "安举交〔2026〕3号"
    assert ws.run("daily", now="2026-12-02 11:00") == 0
    assert len([m for m in received(recorder) if str(m["Subject"]).startswith("【交办】")]) == 2


def test_a_journal_from_before_the_letter_key_sends_no_referral_again(ws, smtp_server):
    import sqlite3

    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    referred(ws, recorder)
    db = sqlite3.connect(ws.config.journal)
    with db:  # as an older tipdesk left it: referral rows keyed by the deadline, no migration mark
        db.execute("UPDATE mails SET deadline = '2026-12-09 23:59:00' WHERE stage = '交办'")
        db.execute("DELETE FROM marks WHERE key = 'referrals_keyed_by_letter'")
    db.close()
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    assert len([m for m in received(recorder) if str(m["Subject"]).startswith("【交办】")]) == 1


def test_a_category_change_is_told_and_a_refusal_saved_with_it_quotes_the_new_deadline(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    row = referred(ws, recorder)
    fill(sheet_of(ws, "AJ2026-0001", ZJ), ws.root / "inbox" / "a.xlsx",
         {"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需第三方检测"})
    assert ws.run("daily", now="2026-12-01 08:30") == 0
    ws.edit(row, 类别="紧急", 状态="办理中")     # one save: more urgent, and no extension
    assert ws.run("daily", now="2026-12-01 10:00") == 0
    assert ws.row(row)["办理期限"] == datetime(2026, 12, 1, 8, 30)
    (refusal,) = notices(recorder, "延期批复")
    assert "不同意延期。请按原办理期限（2026年12月1日8时30分）办结并反馈" in body(refusal)
    (correction,) = notices(recorder, "期限更正")
    text = body(correction)
    assert "类别调整为紧急类" in text and "原办理期限：2026年12月9日" in text and "更正后办理期限：2026年12月1日8时30分" in text
    assert "放假安排" not in text


def test_closed_cases_without_a_call_back_are_listed_when_recent_and_counted_when_older(ws):
    # Cases closed before tipdesk (typed in closed): the recent one is listed for 回访, the
    # old ones only counted, the called-back one and the unsatisfied old one not at all.
    closed = dict(状态="已办结", 是否超期="否", 承办单位=ZJ, 交办时间=datetime(2026, 8, 3, 9, 0))
    ws.add(**complaint(案件编号="AJ2026-0001", 反馈时间=datetime(2026, 8, 20, 16, 0), **closed))
    ws.add(**complaint(案件编号="AJ2026-0002", 反馈时间=datetime(2026, 11, 20, 16, 0), **closed))
    ws.add(**complaint(案件编号="AJ2026-0003", 反馈时间="2026-08-21", **closed))  # typed as text
    ws.add(**complaint(案件编号="AJ2026-0004", 反馈时间=datetime(2026, 11, 21, 9, 0), 回访时间=datetime(2026, 11, 22, 9, 0),
                       回访结果="满意", **closed))
    ws.add(**complaint(案件编号="AJ2026-0005", 反馈时间=datetime(2026, 9, 1, 9, 0), 回访时间=datetime(2026, 9, 2, 9, 0),
                       回访结果="不满意", **closed))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "【已办结、待回访举报人（请电话回访后填写回访时间和回访结果）】（2）" in summary
    assert f"AJ2026-0002：{ZJ}｜2026-11-20办结" in summary
    assert "另有2件30天前办结的案件未记录回访。" in summary
    assert "AJ2026-0004" not in summary and "AJ2026-0005" not in summary
