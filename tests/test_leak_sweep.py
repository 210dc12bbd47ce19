"""The leak sweep (issue 12): a register full of reporters written every way people write
them, identities crossing cases, lived through a fortnight of the desk — daily with mail
(to a real SMTP server, and as .eml in the outbox), a unit's answer quoting names, a rejected
sheet, reminders up to 督办, the bulletin, liaison forms, a reissued letter. Then everything
that left is read back — every file in the outbox and every part of its zip, every mail part
decoded, every .原因.txt, every file name — and searched for every form of every identity.

The sweep reads files its own way (not the gate's code), so a blind spot of the gate is not
shared by its test."""

from __future__ import annotations

import html
import io
import re
import unicodedata
import zipfile
from email import message_from_bytes, policy
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import complaint
from tests.test_daily_mail import mail_to
from tests.test_inbox import fill

ZJ = "区住房和城乡建设局"
WORK = "工地脚手架没有连墙件，工人高空作业不系安全带。"

CASES = [
    dict(举报人="王志远", 联系方式="0571-8765 4321；微信 wzy_2026",
         举报内容=WORK + "我是王老师（王志远），志远的手机幺三九八七六五四三二一，加V：wzy_2026，扣扣 5566778899，"
                         "身份证33010619900307123X，邮箱 wzy@163.com，座机8765 4321。"),
    # Another case's reporter named in the reported unit and the address.
    dict(举报人="李秀兰女士", 联系方式="+86 139-1111-2222", 被举报单位="陈国栋承包的宏达建设工地",
         事发地址="王志远家隔壁，东城街道人民路5号",
         举报内容=WORK + "李师傅（李女士）说，vx lxl-8899，企鹅号 223344556，电话 一三九 1111 2222。"),
    dict(举报人="陈国栋", 联系方式="QQ 7788990011 / chen.gd@qq.com",
         举报内容=WORK + "陈工反映：国栋说老板不让讲，可找李秀兰，她电话13911112222。"),
    dict(举报人="匿名", 联系方式="",
         举报内容=WORK + "来电人称王志远也知道此事，可拨0571-87654321问他，或者加他V信 wzy_2026。"),
    dict(举报人="Zhang Wei", 联系方式="zw1990@example.com", 举报内容=WORK + "Zhang Wei reported it, 幺三九八七六五四三二一."),
    # Only the gate can catch this one: a mobile typed into 上级编号, which redaction never rewrites.
    dict(举报人="匿名", 联系方式="", 上级编号="13987654321"),
]

# Every form of every identity above, as the sweep looks for it (canonical: see `canonical`).
NEEDLES = [
    "王志远", "李秀兰", "陈国栋", "Zhang Wei",                      # names
    "王老师", "李师傅", "李女士", "陈工",                           # surname + title
    "志远", "秀兰", "国栋",                                         # given names alone
    "87654321", "13987654321", "13911112222", "5566778899", "223344556", "7788990011",
    "33010619900307123X", "wzy_2026", "lxl-8899", "wzy@163.com", "chen.gd@qq.com", "zw1990@example.com",
]

_DIGITS = dict(zip("幺〇零一二三四五六七八九", "100123456789"))


def canonical(text: str) -> str:
    """Full-width folded, lower case, Chinese numerals as digits, separators gone."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(_DIGITS.get(c, c) for c in text)
    return re.sub(r"[\s\-_.()+·]", "", text)


def readable(name: str, data: bytes) -> list[str]:
    """What a person could read in a file: its name, and its text, zip parts and mail parts
    opened (XML with and without its tags, entities decoded)."""
    out = [name]
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            for part in package.namelist():
                xml = package.read(part).decode("utf-8", "replace")
                out += [part, html.unescape(xml), html.unescape(re.sub(r"<[^>]+>", "", xml))]
        return out
    if name.endswith(".eml") or data.startswith((b"From:", b"To:", b"Subject:", b"MIME-Version:", b"Content-")):
        message = message_from_bytes(data, policy=policy.default)
        for part in message.walk():
            out += [str(value) for _, value in part.items()] + [part.get_filename() or ""]
            if not part.is_multipart():
                out += readable(part.get_filename() or "", part.get_payload(decode=True) or b"")
    out.append(data.decode("utf-8", "replace"))
    return out


def leaks(name: str, data: bytes) -> list[tuple[str, str]]:
    texts = [canonical(t) for t in readable(name, data)]
    return [(name, needle) for needle in NEEDLES if any(canonical(needle) in t for t in texts)]


def live_a_fortnight(ws) -> list[bytes]:
    for case in CASES:
        ws.add(**complaint(类别="一般", **case))
    assert ws.run("daily", now="2026-11-30 08:30") == 0
    # A unit answers quoting names and numbers; another unit's sheet is rejected quoting them.
    day = ws.root / "outbox" / "2026-11-30" / ZJ
    inbox = ws.root / "inbox"
    fill(day / "AJ2026-0001-反馈表.xlsx", inbox / "AJ2026-0001-反馈表.xlsx",
         {"核查情况": "已联系王老师（王志远，电话8765-4321）核实，陈国栋也在场。", "是否属实": "属实",
          "处理结果": "已责令整改，王志远表示满意。", "办理状态": "已办结", "办结日期": "2026年12月2日",
          "经办人": "郑丽", "联系电话": "0571-12345678"})
    fill(day / "AJ2026-0002-反馈表.xlsx", inbox / "AJ2026-0002-反馈表.xlsx",
         {"核查情况": "已核查。", "是否属实": "陈国栋说属实，13911112222", "处理结果": "已整改。",
          "办理状态": "已办结", "办结日期": "2026年12月2日", "经办人": "郑丽", "联系电话": "0571-12345678"})
    assert ws.run("daily", now="2026-12-03 08:30") == 0
    assert ws.rows()[0]["状态"] == "已办结"
    assert (inbox / "rejected" / "2026-12-03" / "AJ2026-0002-反馈表.xlsx.原因.txt").exists()
    for when in ("2026-12-08 08:30", "2026-12-10 08:30", "2026-12-11 08:30"):  # 预警, 催办, 督办
        assert ws.run("daily", now=when) == 0
    assert ws.run("report", "--month", "2026-11", now="2026-12-11 09:00") == 0
    assert ws.run("liaison", now="2026-12-11 09:10") == 0
    assert ws.run("letter", "AJ2026-0003", now="2026-12-11 09:20") == 0
    return [ws.root / "outbox", *sorted((ws.root / "inbox" / "rejected").rglob("*.原因.txt"))]


def every_file(paths) -> list[Path]:
    return [f for path in paths for f in ([path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file()))]


def swept(paths) -> list[tuple[str, str]]:
    files = every_file(paths)
    # The sweep is not vacuous: every kind of thing that leaves is among what it read.
    kinds = {f.name.split("-")[-1] if f.suffix == ".xlsx" else f.suffix for f in files}
    assert {".docx", "反馈表.xlsx", "联络单.xlsx", ".txt"} <= kinds, kinds
    assert any(f.name.endswith(".原因.txt") for f in files) and any("通报" in f.name for f in files)
    return [hit for f in files for hit in leaks(str(f.relative_to(f.parents[2])), f.read_bytes())]


def test_nothing_that_left_by_smtp_or_file_names_a_reporter(ws, smtp_server):
    controller, recorder = smtp_server()
    mail_to(ws, controller.port)
    left = live_a_fortnight(ws)
    subjects = [str(m["Subject"]) for m in recorder.parsed()]
    assert any("交办" in s for s in subjects) and any("督办" in s for s in subjects)
    assert any("反馈表退回" in s or "退回" in s for s in subjects)
    found = swept(left)
    assert len(recorder.messages) >= 6 and any(list(m.iter_attachments()) for m in recorder.parsed())
    for i, (_, _, raw) in enumerate(recorder.messages):
        found += leaks(f"mail-{i}.eml", raw)
    assert found == []
    _the_desk_still_works(ws)


def test_nothing_in_the_outbox_eml_mode_names_a_reporter(ws):
    contacts = load_workbook(ws.register)
    for row in contacts["联络人"].iter_rows(min_row=2):
        if row[0].value == ZJ:
            row[8].value, row[9].value = "zl@zj.gov.cn", "已报送"
    contacts.save(ws.register)
    left = live_a_fortnight(ws)
    assert list((ws.root / "outbox").rglob("*.eml"))
    assert swept(left) == []
    _the_desk_still_works(ws)


def _the_desk_still_works(ws) -> None:
    """No false alarm: every letter but the one with a reporter's number in 上级编号 went out."""
    day = ws.root / "outbox" / "2026-11-30" / ZJ
    issued = {p.name.split("-交办单")[0] for p in day.glob("*-交办单.docx")}
    assert issued == {f"AJ2026-000{n}" for n in range(1, 6)}
    held = ws.root / "拦截" / "2026-11-30"
    assert {p.name for p in held.iterdir()} == {"AJ2026-0006-交办单.docx", "AJ2026-0006-反馈表.xlsx"}
    summary = (ws.root / "outbox" / "2026-11-30" / "每日汇总.txt").read_text(encoding="utf-8")
    assert "AJ2026-0006" in summary and "出口拦截" in summary
    held_lines = [line for path in (ws.root / "outbox").rglob("每日汇总-*.txt")
                  for line in path.read_text(encoding="utf-8").splitlines() if "举报人的身份信息" in line]
    assert held_lines and all("AJ2026-0006-" in line for line in held_lines)  # no mail, no other letter
