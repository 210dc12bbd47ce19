"""The bad-input corpus: what real people put in front of the morning run.

Each case builds one odd input in a copy of a workspace that has already issued two cases
(AJ2026-0001 and AJ2026-0002 to 区住房和城乡建设局, whose office has an e-mail address, so
notices are .eml files in the outbox): a file in the inbox, an edit of the register, a
config mistake. Then `daily` runs through the real CLI and every case must show:

- the exit status the contract gives, and the Chinese message the clerk reads (on screen,
  in the summary or in a .原因.txt), naming file, sheet or cell where there is one;
- no traceback and no error log (an unexpected error is a crash, whatever its exit code);
- nothing lost: every dropped file ends in inbox/processed/ or inbox/rejected/ byte for
  byte, or stays in the inbox; a refused run leaves the register byte for byte; an accepted
  one leaves a register that still opens;
- nothing twice: a second run the same day writes no further mail.

The environment (read-only folders, a full disk) runs the CLI in a child process without
root's right to ignore permissions, or on a tiny tmpfs; cases that need what the machine
lacks (LibreOffice, mounting) skip and say why.
"""

from __future__ import annotations

import ctypes
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import openpyxl
import pytest

from tests.conftest import Workspace, complaint
from tests.test_forms import CLOSED_ANSWERS, EXPORT_HEADER, answer_cell, pairs_form
from tests.test_sheetfile import cfb_bytes
from tipdesk.domain import columns as col
from tipdesk.store.register import read_register

ISSUED = "2026-11-30 08:30"
NOW = "2026-12-02 09:00"
LATER = "2026-12-02 11:00"
UNIT = "区住房和城乡建设局"
SOFFICE = shutil.which("soffice")


class Desk(Workspace):
    """A copy of the issued workspace (Workspace without a fresh init)."""

    def __init__(self, root: Path):
        self.root = root
        self.config_path = root / "config.yaml"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def register(self) -> Path:
        """Where the register is, even when the config no longer reads."""
        return self.root / "安全生产举报台账.xlsx"

    def issued(self, case: str = "AJ2026-0001") -> Path:
        return self.root / "outbox" / "2026-11-30" / UNIT / f"{case}-反馈表.xlsx"

    def drop(self, name: str, data: bytes) -> Path:
        path = self.inbox / name
        path.write_bytes(data)
        return path


@pytest.fixture(scope="module")
def issued_desk(tmp_path_factory) -> Path:
    ws = Workspace(tmp_path_factory.mktemp("corpus") / "ws")
    ws.set_config(f'  - name: {UNIT}\n    type: 机关部门\n    aliases: [住建局, 区住建局, 建设局]\n'
                  f'    industries: [建筑施工]\n    office: {{name: 办公室, phone: "0000-12345601", email: ""}}',
                  f'  - name: {UNIT}\n    type: 机关部门\n    aliases: [住建局, 区住建局, 建设局]\n'
                  f'    industries: [建筑施工]\n    office: {{name: 办公室, phone: "0000-12345601", '
                  f'email: "zjj@example.gov.cn"}}')
    ws.add(**complaint())
    ws.add(**complaint())
    assert ws.run("daily", now=ISSUED) == 0
    return ws.root


@pytest.fixture
def desk(issued_desk, tmp_path) -> Desk:
    root = tmp_path / "ws"
    shutil.copytree(issued_desk, root, symlinks=True)
    return Desk(root)


# --- builders --------------------------------------------------------------------------------

def book_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def answered(desk: Desk, case: str = "AJ2026-0001", tweak: Callable | None = None, **answers) -> bytes:
    """The issued sheet filled as a unit does in Excel; `tweak(wb)` then spoils it."""
    wb = openpyxl.load_workbook(desk.issued(case))
    ws = wb[col.FEEDBACK_SHEET]
    # Closed the day the unit saved it (a date after the file's own is questioned).
    for label, value in {**CLOSED_ANSWERS, "办结日期": "2026年12月1日", **answers}.items():
        cell = answer_cell(ws, label)
        cell.value = value
        if isinstance(value, str) and value[:1] == "=":
            cell.data_type = "s"  # Excel keeps '=… as text
    if tweak:
        tweak(wb)
    return book_bytes(wb)


def relabel(old: str, new: str | None):
    def tweak(wb):
        for row in wb[col.FEEDBACK_SHEET].iter_rows():
            for cell in row:
                if cell.value == old:
                    cell.value = new
    return tweak


def far_cell(ref: str, sheet: str | None = None):
    def tweak(wb):
        ws = wb[sheet] if sheet else wb[col.FEEDBACK_SHEET]
        ws[ref] = "x"
    return tweak


def rename_sheet(new: str):
    def tweak(wb):
        wb[col.FEEDBACK_SHEET].title = new
    return tweak


def hide_sheet(wb):
    wb.create_sheet("说明")["A1"] = "见反馈表"
    wb[col.FEEDBACK_SHEET].sheet_state = "hidden"


def second_copy(wb):
    wb.copy_worksheet(wb[col.FEEDBACK_SHEET])


def drop_marker(wb):
    for ws in list(wb.worksheets):
        if ws.sheet_state == "veryHidden":
            wb.remove(ws)


def real_formula(label: str, formula: str):
    def tweak(wb):
        answer_cell(wb[col.FEEDBACK_SHEET], label).value = formula
    return tweak


def merge_answer(wb):
    ws = wb[col.FEEDBACK_SHEET]
    cell = answer_cell(ws, "经办人")
    ws.merge_cells(start_row=cell.row, start_column=cell.column - 1, end_row=cell.row, end_column=cell.column)


def plain(rows: list[list], name: str = "Sheet1", merges: list[str] = ()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = name
    for row in rows:
        ws.append(row)
    for merged in merges:
        ws.merge_cells(merged)
    return book_bytes(wb)


def huge(rows: int) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("数据")
    for n in range(rows):
        ws.append([n, f"第{n}行", "一些文字", n * 2])
    return book_bytes(wb)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def rezipped(data: bytes, edit: Callable[[str, bytes], bytes | None]) -> bytes:
    """The package with each member passed through `edit` (None drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            member = edit(info.filename, old.read(info))
            if member is not None:
                new.writestr(info, member)
    return out.getvalue()


def export_bytes(rows: list[list], header: list[str] = EXPORT_HEADER, title_rows: int = 2) -> bytes:
    titles = [["省安全生产举报中心转办件清单"], ["导出时间：2026-12-01 09:00"]][:title_rows]
    return plain([*titles, header, *rows], "转办件", ["A1:L1"] if title_rows else [])


def forwarded_row(number: str = "SZ20261201001", **over) -> list:
    row = {"序号": 1, "工单编号": number, "来电时间": "2026年12月1日 14:30", "举报人": "李四",
           "联系电话": 13900007777, "被举报对象": "青山镇宏达五金厂", "事发地点": "青山镇工业园3号",
           "问题描述": "车间粉尘大，除尘设备不开。", "举报类别": "一般", "行业": "工贸",
           "办理时限": "2026年12月20日", "来源": "省转办"}
    row.update(over)
    return [row[h] for h in EXPORT_HEADER]


def liaison(desk: Desk, changes: dict | None = None) -> bytes:
    path = pairs_form(desk.root / "liaison-draft.xlsx", changes)
    data = path.read_bytes()
    path.unlink()
    return data


# LibreOffice conversions (a real .xls / .ods / .doc), made once per module.
@pytest.fixture(scope="module")
def office(tmp_path_factory):
    if SOFFICE is None:
        pytest.skip("soffice 未安装：跳过 LibreOffice 另存的 .xls/.ods/.doc 样例")
    folder = tmp_path_factory.mktemp("office")
    profile = (folder / "profile").as_uri()

    def convert(data: bytes, source_suffix: str, fmt: str) -> bytes:
        source = folder / f"source{source_suffix}"
        source.write_bytes(data)
        subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt,
                        "--outdir", str(folder / "out"), str(source)], check=True, capture_output=True, timeout=180)
        return (folder / "out" / f"source.{fmt.split(':')[0]}").read_bytes()
    return convert


def docx_bytes(text: str) -> bytes:
    from docx import Document
    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- the corpus --------------------------------------------------------------------------------

@dataclass
class Bad:
    name: str
    make: Callable[[Desk], object]
    says: tuple[str, ...] = ()
    code: int = 0
    outcome: str | dict[str, str] | None = None   # processed / rejected / stays, for each dropped file

    def __str__(self) -> str:
        return self.name


def dropped(name: str, build: Callable[[Desk], bytes]) -> Callable[[Desk], None]:
    return lambda desk: desk.drop(name, build(desk))


def sheet(name: str = "回传-AJ2026-0001.xlsx", case: str = "AJ2026-0001", tweak=None, **answers):
    return dropped(name, lambda desk: answered(desk, case, tweak, **answers))


def raw(name: str, data: bytes):
    return dropped(name, lambda desk: data)


def feedback_cases() -> list[Bad]:
    long = "整改" * 17000  # 34,000 characters: more than a cell holds
    return [
        Bad("closed", sheet(), ("AJ2026-0001",), outcome="processed"),
        Bad("interim", sheet(办理状态="阶段性反馈", 处理结果=None, 办结日期=None), outcome="processed"),
        Bad("extension", sheet(办理状态="申请延期", 申请延期至="2026-12-20", 申请理由="需检测报告",
                               处理结果=None, 办结日期=None), outcome="processed"),
        Bad("return-request", sheet(办理状态="申请退回", 申请理由="不属于本单位职责", 处理结果=None, 办结日期=None),
            outcome="processed"),
        Bad("state-missing", sheet(办理状态=None), ("办理状态",), outcome="rejected"),
        Bad("state-not-in-list", sheet(办理状态="完成"), ("办理状态",), outcome="rejected"),
        Bad("verified-odd", sheet(是否属实="真的"), ("是否属实",), outcome="rejected"),
        Bad("date-chinese-text", sheet(办结日期="2026年12月1日"), outcome="processed"),
        Bad("date-full-width", sheet(办结日期="２０２６－１２－０１"), outcome="processed"),
        Bad("date-chinese-numerals", sheet(办结日期="二〇二六年十二月一日"), outcome="processed"),
        Bad("date-chinese-numerals-impossible", sheet(办结日期="二〇二六年二月三十日"), ("D15", "不存在"), outcome="rejected"),
        Bad("date-excel-serial", sheet(办结日期=46357), outcome="processed"),
        Bad("date-nonsense", sheet(办结日期="下周"), ("办结日期",), outcome="rejected"),
        Bad("date-in-future", sheet(办结日期="2027-05-01"), ("日期存疑",), outcome="processed"),
        Bad("date-dotted", sheet(办结日期="2026.12.1"), outcome="processed"),
        Bad("extension-before-issue", sheet(办理状态="申请延期", 申请延期至="2026-11-01", 申请理由="x",
                                            处理结果=None, 办结日期=None), ("日期存疑",), outcome="processed"),
        Bad("formula-text-answer", sheet(处理结果="=HYPERLINK(\"http://x\",\"点击\")"), outcome="processed"),
        Bad("plus-minus-at-answer", sheet(处理结果="+已整改 -罚款 @李四"), outcome="processed"),
        Bad("error-text-answer", sheet(处理结果="#N/A"), ("B14",), outcome="rejected"),
        Bad("real-formula-no-cache", sheet(tweak=real_formula("处理结果", "=A1&B1")), ("处理结果",), outcome="rejected"),
        Bad("unknown-case-id", sheet(tweak=real_formula("案件编号", "AJ2026-9999")), ("AJ2026-9999",), outcome="rejected"),
        Bad("other-case-id", sheet(tweak=real_formula("案件编号", "AJ2026-0002")), ("AJ2026-0002",), outcome="rejected"),
        Bad("case-id-full-width", sheet(tweak=real_formula("案件编号", "ＡＪ２０２６－０００１ ")), outcome="processed"),
        Bad("case-id-lower", sheet(tweak=real_formula("案件编号", "aj2026-0001")), ("B4",), outcome="rejected"),
        Bad("unknown-unit", sheet(tweak=real_formula("承办单位", "区农业农村局")), ("区农业农村局",), outcome="rejected"),
        Bad("label-renamed", sheet(tweak=relabel("核查情况", "核查结果")), outcome="processed"),
        Bad("label-deleted", sheet(tweak=relabel("办理状态", None)), ("办理状态",), outcome="rejected"),
        Bad("sheet-renamed", sheet(tweak=rename_sheet("Sheet1")), outcome="processed"),
        Bad("sheet-hidden", sheet(tweak=hide_sheet), outcome="processed"),
        Bad("two-copies-of-sheet", sheet(tweak=second_copy), outcome="processed"),
        Bad("marker-removed", sheet(tweak=drop_marker), outcome="processed"),
        Bad("label-merged-with-answer", sheet(tweak=merge_answer), outcome="processed"),
        Bad("answers-beyond-excel-limit", sheet(核查情况=long[:32767], 处理结果=long[:32767]), outcome="processed"),
        Bad("emoji-answer", sheet(处理结果="已整改完毕👍🏻，复查合格✅"), outcome="processed"),
        Bad("reporter-name-in-answer", sheet(核查情况="经与举报人王建国（13812345678）联系核实"), outcome="processed"),
        Bad("phone-with-letters", sheet(联系电话="电话见上"), outcome="processed"),
        Bad("unfilled-returned", dropped("AJ2026-0001-反馈表.xlsx", lambda d: d.issued().read_bytes()),
            ("办理状态",), outcome="rejected"),
        Bad("far-cell-xfd", sheet(tweak=far_cell("XFD1048576")), ("XFD1048576",), outcome="processed"),
        Bad("far-cell-row", sheet(tweak=far_cell("A1048576")), ("A1048576",), outcome="processed"),
        Bad("far-cell-column", sheet(tweak=far_cell("XFD3")), outcome="processed"),
        Bad("far-cell-other-sheet", sheet(tweak=lambda wb: wb.create_sheet("草稿").__setitem__("XFD1048576", 1)),
            outcome="processed"),
        Bad("stray-cell-near", sheet(tweak=far_cell("Z60")), outcome="processed"),
        Bad("sheet-for-two-cases", sheet(tweak=real_formula("案件编号", "AJ2026-0001、AJ2026-0002")),
            outcome="rejected"),
        Bad("xlsm-suffix", sheet("回传.xlsm"), outcome="processed"),
        Bad("xlsx-named-xls", sheet("回传.xls"), outcome="processed"),
        Bad("upper-case-suffix", sheet("回传.XLSX"), outcome="processed"),
        Bad("same-sheet-twice-two-names", lambda d: [d.drop(n, data) for data in [answered(d)] for n in ("甲.xlsx", "乙.xlsx")],
            ("相同",), outcome="processed"),
        Bad("both-cases-two-files", lambda d: [sheet("一.xlsx")(d), sheet("二.xlsx", "AJ2026-0002")(d)],
            outcome="processed"),
    ]


def file_cases() -> list[Bad]:
    return [
        Bad("zero-bytes", raw("回传.xlsx", b""), ("0 字节",), outcome="rejected"),
        Bad("truncated-zip", dropped("回传.xlsx", lambda d: answered(d)[:3000]), ("不完整",), outcome="rejected"),
        Bad("corrupt-member", dropped("回传.xlsx", lambda d: rezipped(answered(d), lambda n, b: b[:len(b) // 2]
                                                                    if n.endswith("sheet1.xml") else b)),
            ("回传.xlsx",), outcome="rejected"),
        Bad("no-workbook-part", raw("回传.xlsx", zip_of({"a.txt": b"x"})), ("没有工作表",), outcome="rejected"),
        Bad("xlsb", raw("回传.xlsb", zip_of({"xl/workbook.bin": b"x"})), ("回传.xlsb",), outcome="rejected"),
        Bad("xlsb-named-xlsx", raw("回传.xlsx", zip_of({"xl/workbook.bin": b"x"})), (".xlsb",), outcome="rejected"),
        Bad("password-ooxml", raw("回传.xlsx", cfb_bytes(["EncryptionInfo", "EncryptedPackage"])), ("密码",),
            outcome="rejected"),
        Bad("random-ole", raw("回传.xls", cfb_bytes(["Foo"])), ("回传.xls",), outcome="rejected"),
        Bad("garbage-xls", raw("回传.xls", os.urandom(4000)), ("损坏",), outcome="rejected"),
        Bad("html-as-xls", raw("导出.xls", "<html><table><tr><td>案件编号</td></tr></table></html>".encode()),
            ("网页",), outcome="rejected"),
        Bad("xml-2003-as-xls", raw("导出.xls", b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'),
            ("网页或 XML",), outcome="rejected"),
        Bad("wps-et", sheet("回传.et"), ("WPS",), outcome="rejected"),
        Bad("csv", raw("名单.csv", "案件编号,处理结果\nAJ2026-0001,已整改\n".encode("gbk")), ("CSV",), outcome="rejected"),
        Bad("txt", raw("说明.txt", "已办结".encode()), ("文本文件",), outcome="rejected"),
        Bad("pdf", raw("反馈表.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF"), (".pdf",), outcome="rejected"),
        Bad("jpg", raw("拍照.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100), (".jpg",), outcome="rejected"),
        Bad("png", raw("截图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), (".png",), outcome="rejected"),
        Bad("docx", raw("反馈.docx", docx_bytes("已办结")), (".docx",), outcome="rejected"),
        Bad("docx-named-xlsx", raw("反馈.xlsx", docx_bytes("已办结")), ("Word",), outcome="rejected"),
        Bad("word-ole-named-xls", raw("反馈.xls", cfb_bytes(["WordDocument"])), ("Word",), outcome="rejected"),
        Bad("zip-archive", dropped("附件.zip", lambda d: zip_of({"回传.xlsx": answered(d)})), (".zip",), outcome="rejected"),
        Bad("rar", raw("附件.rar", b"Rar!\x1a\x07\x00" + b"\x00" * 50), (".rar",), outcome="rejected"),
        Bad("eml", raw("转发.eml", b"From: a@b\r\nSubject: x\r\n\r\nhi"), (".eml",), outcome="rejected"),
        Bad("no-suffix", raw("回传", b"PK\x03\x04junk"), ("没有扩展名",), outcome="rejected"),
        Bad("double-suffix", sheet("回传.xlsx.xlsx"), outcome="processed"),
        Bad("empty-workbook", raw("空表.xlsx", plain([])), ("空表.xlsx",), outcome="rejected"),
        Bad("unrelated-sheet", raw("工资表.xlsx", plain([["姓名", "工资"], ["张三", 5000]])), ("工资表.xlsx",),
            outcome="rejected"),
        Bad("huge-unrelated-sheet", raw("大表.xlsx", huge(60000)), ("大表.xlsx",), outcome="rejected"),
        Bad("only-a-far-cell", raw("远.xlsx", plain([]) and far_only()), ("远.xlsx",), outcome="rejected"),
        Bad("register-copy", dropped("台账副本.xlsx", lambda d: d.register.read_bytes()), ("台账",), outcome="rejected"),
        Bad("lock-file", raw("~$回传.xlsx", b"\x05lockowner"), outcome="stays"),
        Bad("ds-store", raw(".DS_Store", b"\x00\x00\x00\x01Bud1"), outcome="stays"),
        Bad("mac-resource-fork", raw("._回传.xlsx", b"\x00\x05\x16\x07"), outcome="stays"),
        Bad("thumbs-db", raw("Thumbs.db", cfb_bytes(["Catalog"])), outcome="stays"),
        Bad("desktop-ini", raw("desktop.ini", "[.ShellClassInfo]\r\n".encode("utf-16")), outcome="stays"),
        Bad("reason-file-dropped-back", raw("回传.xlsx.原因.txt", "旧的原因".encode()), outcome="stays"),
        Bad("wps-lock-file", raw(".~回传.xlsx", b"x"), outcome="stays"),
        Bad("libreoffice-lock", raw(".~lock.回传.xlsx#", b"x"), outcome="stays"),
        Bad("office-temp-file", raw("~WRL0001.tmp", b"x"), outcome="stays"),
        Bad("long-chinese-name", sheet("关" * 81 + ".xlsx"), outcome="processed"),
        Bad("long-chinese-name-rejected", raw("关" * 83 + "a.pdf", b"%PDF-1.4"), (".pdf",), outcome="rejected"),
        Bad("name-with-spaces-and-brackets", sheet(" 回传 (1)【住建局】.xlsx"), outcome="processed"),
        Bad("name-with-newline-like", sheet("回传\u3000全角空格.xlsx"), outcome="processed"),
        Bad("long-name-rejected-twice", lambda d: [raw("关" * 83 + "a.pdf", b"%PDF-1")(d), d.run("daily", now="2026-12-02 08:00"),
                                                   raw("关" * 83 + "a.pdf", b"%PDF-2")(d)], (".pdf",), outcome="rejected"),
        Bad("partial-download", dropped("回传.xlsx.crdownload", lambda d: answered(d)[:2000]), outcome="stays"),
        Bad("firefox-part-file", dropped("回传.xlsx.part", lambda d: answered(d)[:2000]), outcome="stays"),
        Bad("sub-folder", lambda d: (d.inbox / "附件").mkdir() or (d.inbox / "附件" / "回传.xlsx").write_bytes(answered(d)),
            ("文件夹“附件”",)),
        Bad("symlink-to-sheet", symlinked, outcome="processed"),
        Bad("dangling-symlink", lambda d: (d.inbox / "回传.xlsx").symlink_to(d.root / "不存在.xlsx")),
        Bad("same-file-after-processed", lambda d: [sheet("回传.xlsx")(d), d.run("daily", now="2026-12-01 09:00"),
                                                    shutil.copy(next((d.inbox / "processed").rglob("回传.xlsx")),
                                                                d.inbox / "回传-再发.xlsx")], ("相同",), outcome="processed"),
        Bad("mtime-in-future", lambda d: os.utime(d.drop("回传.xlsx", answered(d)), (1_900_000_000, 1_900_000_000)),
            outcome="processed"),
        Bad("mtime-1970", lambda d: os.utime(d.drop("回传.xlsx", answered(d)), (0, 0)), outcome="processed"),
    ]


def symlinked(desk: Desk) -> None:
    target = desk.root / "别处" / "回传.xlsx"
    target.parent.mkdir()
    target.write_bytes(answered(desk))
    (desk.inbox / "回传.xlsx").symlink_to(target)


def far_only() -> bytes:
    wb = openpyxl.Workbook()
    wb.active["XFD1048576"] = "x"
    return book_bytes(wb)


def liaison_cases() -> list[Bad]:
    form = lambda name, changes=None: dropped(name, lambda d: liaison(d, changes))  # noqa: E731
    return [
        Bad("liaison-ok", form("联络单.xlsx"), outcome="processed"),
        Bad("liaison-no-unit", form("联络单.xlsx", {"单位": None}), ("单位",), outcome="rejected"),
        Bad("liaison-unknown-unit", form("联络单.xlsx", {"单位": "区外星人管理局"}), ("区外星人管理局",), outcome="rejected"),
        Bad("liaison-unit-alias", form("联络单.xlsx", {"单位": "市场监管局"}), outcome="processed"),
        Bad("liaison-bad-phone", form("联络单.xlsx", {"联系电话": "不详"}), outcome="processed"),
        Bad("liaison-bad-email", form("联络单.xlsx", {"电子邮箱": "sunli at example"}), ("电子邮箱",), outcome="rejected"),
        Bad("liaison-formula-name", form("联络单.xlsx", {"经办人": "=孙丽"}), ("B7",), outcome="rejected"),
        Bad("liaison-far-cell", dropped("联络单.xlsx", lambda d: with_far(liaison(d))), ("XFD1048576",),
            outcome="processed"),
    ]


def with_far(data: bytes) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb.active["XFD1048576"] = "x"
    return book_bytes(wb)


def forwarded_cases() -> list[Bad]:
    lst = lambda name, rows, **kw: raw(name, export_bytes(rows, **kw))  # noqa: E731
    evil = "=cmd|' /C calc'!A0"
    return [
        Bad("forwarded-ok", lst("省转办清单.xlsx", [forwarded_row()]), outcome="processed"),
        Bad("forwarded-formula-texts", lst("省转办清单.xlsx", [forwarded_row(被举报对象=evil, 事发地点="+东城街道",
                                                                           问题描述="@SUM(1)-2 工地无防护")]),
            outcome="processed"),
        Bad("forwarded-error-text", lst("省转办清单.xlsx", [forwarded_row(问题描述="#VALUE! 车间粉尘")]), outcome="processed"),
        Bad("forwarded-no-number-column", lst("省转办清单.xlsx", [forwarded_row()[:1] + forwarded_row()[2:]],
                                              header=[h for h in EXPORT_HEADER if h != "工单编号"]),
            outcome="rejected"),
        Bad("forwarded-bad-date", lst("省转办清单.xlsx", [forwarded_row(来电时间="昨天下午")]), ("来电时间",),
            outcome="rejected"),
        Bad("forwarded-duplicate-numbers", lst("省转办清单.xlsx", [forwarded_row(), forwarded_row()]), ("B5",), outcome="rejected"),
        Bad("forwarded-empty", lst("省转办清单.xlsx", []), outcome="processed"),
        Bad("forwarded-header-low", lst("省转办清单.xlsx", [forwarded_row()], title_rows=0) and
            raw("省转办清单.xlsx", plain([[None]] * 40 + [EXPORT_HEADER, forwarded_row()])), outcome="rejected"),
        Bad("forwarded-deadline-past", lst("省转办清单.xlsx", [forwarded_row(办理时限="2026年11月1日")]),
            outcome="processed"),
        Bad("forwarded-many-rows", lst("省转办清单.xlsx", [forwarded_row(f"SZ2026120{n:04d}") for n in range(80)]),
            outcome="processed"),
        Bad("forwarded-long-text", lst("省转办清单.xlsx", [forwarded_row(问题描述="粉尘" * 16000)]), outcome="processed"),
        Bad("forwarded-control-chars", dropped("省转办清单.xlsx", lambda d: control_chars(export_bytes([forwarded_row()]))),
            outcome="processed"),
        Bad("forwarded-far-cell", dropped("省转办清单.xlsx", lambda d: with_far(export_bytes([forwarded_row()]))),
            ("XFD1048576",), outcome="processed"),
        Bad("forwarded-again-next-day", lambda d: [lst("省转办清单.xlsx", [forwarded_row()])(d),
                                                   d.run("daily", now="2026-12-01 09:00"),
                                                   lst("省转办清单-再次.xlsx", [forwarded_row()])(d)],
            outcome="processed"),
    ]


def control_chars(data: bytes) -> bytes:
    """A vertical tab, as Excel stores a line break pasted from Word (_x000B_)."""
    def edit(name: str, member: bytes) -> bytes:
        if name.startswith("xl/"):
            return member.replace("车间粉尘大".encode(), "车间_x000B_粉尘大".encode())
        return member
    return rezipped(data, edit)


# --- edits to the register, as a clerk makes them in Excel ----------------------------------

def register_edit(change: Callable) -> Callable[[Desk], None]:
    def make(desk: Desk) -> None:
        wb = openpyxl.load_workbook(desk.register)
        change(wb[col.REGISTER_SHEET], wb)
        wb.save(desk.register)
    return make


def header_cell(ws, name: str):
    return next(c for c in ws[1] if c.value == name)


def set_header(old: str, new):
    return register_edit(lambda ws, wb: setattr(header_cell(ws, old), "value", new))


def typed(**values):
    """A new complaint typed at the bottom; a value "=…" is typed as text ('=…)."""
    def change(ws, wb):
        headers = [c.value for c in ws[1]]
        row = ws.max_row + 1
        for name, value in {**complaint(), **values}.items():
            cell = ws.cell(row, headers.index(name) + 1, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
    return register_edit(change)


def in_row(row: int, **values):
    def change(ws, wb):
        headers = [c.value for c in ws[1]]
        for name, value in values.items():
            ws.cell(row, headers.index(name) + 1, value)
    return register_edit(change)


def phone_as_duration(ws, wb):
    """A mobile typed as a number into a cell someone had formatted as a duration: calamine
    cannot make a timedelta of 13812345678 days."""
    cell = ws.cell(2, [c.value for c in ws[1]].index("联系方式") + 1, 13812345678)
    cell.number_format = "[h]:mm:ss"


def raw_register(edit: Callable[[str, bytes], bytes | None]) -> Callable[[Desk], None]:
    def make(desk: Desk) -> None:
        desk.register.write_bytes(rezipped(desk.register.read_bytes(), edit))
    return make


def swap_columns(ws, wb):
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):
        row[0].value, row[1].value = row[1].value, row[0].value


def merge_units(ws, wb):
    column = header_cell(ws, col.UNIT).column
    ws.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)


def copy_row(ws, wb):
    ws.append([c.value for c in ws[2]])


def vertical_tab_in_content(name: str, member: bytes) -> bytes:
    """A line break pasted from Word, as Excel stores it (calamine reads it as nothing)."""
    if name.startswith("xl/"):
        return member.replace("工地脚手架".encode(), "工地_x000B_脚手架".encode(), 1)
    return member


def register_cases() -> list[Bad]:
    huge_text = "工地" * 16383  # 32,766 characters: a full cell
    return [
        Bad("header-row-cleared", register_edit(lambda ws, wb: [setattr(c, "value", None) for c in ws[1]]),
            ("第 1 行缺少列",), code=2),
        Bad("column-renamed", set_header(col.STATUS, "处理状态"), ("状态",), code=2),
        Bad("header-with-spaces", set_header(col.STATUS, " 状 态 "), ()),
        Bad("columns-swapped", register_edit(swap_columns)),
        Bad("duplicate-case-row", register_edit(copy_row), ("第4行的案件编号与第2行相同",)),
        Bad("merged-units", register_edit(merge_units)),
        Bad("formula-in-status", in_row(2, 状态='=IF(1,"已办结","")')),
        Bad("date-as-text", typed(受理时间="2026/12/1 8:00")),
        Bad("date-as-chinese-text", typed(受理时间="2026年12月1日上午8点")),
        Bad("date-as-serial", typed(受理时间=46357.5)),
        Bad("date-in-chinese-numerals", typed(受理时间="二〇二六年十二月一日")),
        Bad("status-not-in-list", in_row(2, 状态="完成了"), ("状态“完成了”无效",)),
        Bad("category-not-in-list", typed(类别="特急"), ("类别“特急”无效",)),
        Bad("unit-unknown", typed(承办单位="区外星人管理局"), ("“区外星人管理局”不在配置的单位名单中",)),
        Bad("row-of-spaces", register_edit(lambda ws, wb: ws.append([" ", "\u3000", "  "]))),
        Bad("filter-and-frozen-panes", register_edit(lambda ws, wb: (setattr(ws, "freeze_panes", "C2"),
                                                                  setattr(ws.auto_filter, "ref", "A1:AC3")))),
        Bad("extra-sheet", register_edit(lambda ws, wb: wb.create_sheet("我的备忘").append(["明天", "=1+1"]))),
        Bad("register-sheet-renamed", register_edit(lambda ws, wb: setattr(ws, "title", "台帐")), ("台账",), code=2),
        Bad("register-far-cell", register_edit(lambda ws, wb: ws.__setitem__("XFD1048576", "x")), ("XFD1048576",)),
        Bad("register-far-row", register_edit(lambda ws, wb: ws.__setitem__("B1048576", "x")), ("B1048576",)),
        Bad("formula-text-in-new-case", typed(被举报单位='=HYPERLINK("http://evil","点此")', 事发地址="+东城街道人民路1号",
                                              举报内容="-工地@脚手架 没有连墙件")),
        Bad("error-text-in-new-case", typed(被举报单位="#N/A 宏达")),
        Bad("full-cell-of-text", typed(举报内容=huge_text)),
        Bad("vertical-tab-from-word", raw_register(vertical_tab_in_content)),
        Bad("extra-clerk-column", register_edit(lambda ws, wb: ws.cell(1, ws.max_column + 1, "我的列"))),
        Bad("hidden-columns", register_edit(lambda ws, wb: setattr(ws.column_dimensions["B"], "hidden", True))),
        Bad("phone-as-number", typed(联系方式=13812345678)),
        Bad("phone-formatted-as-duration", register_edit(phone_as_duration),
            ("安全生产举报台账.xlsx：工作表“台账”中有无法读取的单元格", "“时间”格式"), code=2),
        Bad("future-received", typed(受理时间=datetime(2027, 1, 1, 8, 0))),
        Bad("contacts-sheet-deleted", register_edit(lambda ws, wb: wb.remove(wb[col.CONTACTS_SHEET]))),
        Bad("register-missing", lambda d: d.register.unlink(), ("找不到台账",), code=2),
        Bad("register-zero-bytes", lambda d: d.register.write_bytes(b""), ("台账",), code=2),
        Bad("register-truncated", lambda d: d.register.write_bytes(d.register.read_bytes()[:5000]), ("台账",), code=2),
        Bad("register-is-folder", lambda d: (d.register.unlink(), d.register.mkdir()), ("台账",), code=2),
        Bad("register-is-old-xls", lambda d: d.register.write_bytes(cfb_bytes(["Workbook"])), (".xls",), code=2),
        Bad("register-encrypted", lambda d: d.register.write_bytes(cfb_bytes(["EncryptionInfo", "EncryptedPackage"])),
            ("台账",), code=2),
        Bad("register-open-in-excel", lambda d: (d.register.parent / f"~${d.register.name}").write_bytes(b"x"),
            ("正在被",), code=3),
    ]


# --- config mistakes ---------------------------------------------------------------------------

def config_edit(old: str, new: str) -> Callable[[Desk], None]:
    return lambda desk: desk.set_config(old, new)


def config_bytes(build: Callable[[str], bytes]) -> Callable[[Desk], None]:
    def make(desk: Desk) -> None:
        desk.config_path.write_bytes(build(desk.config_path.read_text(encoding="utf-8")))
    return make


def config_cases() -> list[Bad]:
    return [
        Bad("yaml-tab-indent", config_edit("  keep: 60", "\tkeep: 60"), ("第 24 行用 Tab 键缩进",), code=2),
        Bad("yaml-syntax", config_edit("register: 安全生产举报台账.xlsx", "register: [安全生产举报台账.xlsx"),
            ("config.yaml",), code=2),
        Bad("key-typo", config_edit("register: 安全生产举报台账.xlsx", "registr: 安全生产举报台账.xlsx"),
            ("registr",), code=2),
        Bad("keep-not-a-number", config_edit("keep: 60", "keep: 六十"), ("keep",), code=2),
        Bad("keep-negative", config_edit("keep: 60", "keep: -1"), ("keep",), code=2),
        Bad("register-path-missing", config_edit("register: 安全生产举报台账.xlsx", "register: 台账/不存在.xlsx"),
            ("找不到台账",), code=2),
        Bad("register-path-windows", config_edit("register: 安全生产举报台账.xlsx", "register: D:\\台账\\台账.xlsx"),
            code=2),
        Bad("register-path-folder", config_edit("register: 安全生产举报台账.xlsx", "register: inbox"), code=2),
        Bad("gbk-config", config_bytes(lambda text: text.encode("gbk", errors="replace")), ("config.yaml",), code=2),
        Bad("bom-config", config_bytes(lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"))),
        Bad("crlf-config", config_bytes(lambda text: text.replace("\n", "\r\n").encode("utf-8"))),
        Bad("empty-config", config_bytes(lambda text: b""), code=2),
        Bad("config-a-list", config_bytes(lambda text: b"- a\n- b\n"), code=2),
        Bad("mail-mode-typo", config_edit("mode: outbox", "mode: smpt"), ("mail.mode",), code=2),
        Bad("smtp-without-host", config_edit("mode: outbox", "mode: smtp"), ("smtp",), code=2),
        Bad("urgent-hours-text", config_edit("urgent_hours: 24", "urgent_hours: 二十四"), ("urgent_hours",), code=2),
        Bad("working-days-zero", config_edit("general_working_days: 7", "general_working_days: 0"),
            ("general_working_days",), code=2),
        Bad("holiday-bad-date", config_edit("extra_holidays: []", "extra_holidays: [2026-13-01]"),
            ("第 48 行有无效的日期“2026-13-01”",), code=2),
        Bad("holiday-not-a-list", config_edit("extra_holidays: []", "extra_holidays: 2026-12-25")),
        Bad("prefix-empty", config_edit("prefix: AJ", "prefix: ''")),
        Bad("routing-order-typo", config_edit("order: [clerk, industry, territory]", "order: [clerk, industy]"),
            ("order",), code=2),
        Bad("full-width-colon", config_edit("register: 安全生产举报台账.xlsx", "register：安全生产举报台账.xlsx"),
            ("第 14 行用了中文冒号",), code=2),
        Bad("inbox-is-a-file", lambda d: (shutil.rmtree(d.inbox), d.inbox.write_text("x")), ("inbox",), code=2),
        Bad("outbox-is-a-file", lambda d: (shutil.rmtree(d.root / "outbox"), (d.root / "outbox").write_text("x")),
            ("outbox",), code=2),
        Bad("journal-garbage", lambda d: (d.root / "tipdesk.sqlite3").write_bytes(b"not a database" * 100),
            ("tipdesk.sqlite3",), code=2),
        Bad("journal-zero-bytes", lambda d: (d.root / "tipdesk.sqlite3").write_bytes(b"")),
        Bad("config-missing", lambda d: d.config_path.unlink(), ("config.yaml",), code=2),
    ]


CORPUS = feedback_cases() + file_cases() + liaison_cases() + forwarded_cases() + register_cases() + config_cases()


# --- what every case must show -----------------------------------------------------------------

def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dropped_files(desk: Desk) -> dict[str, bytes]:
    """What lies directly in the inbox: the files a person dropped."""
    if not desk.inbox.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in desk.inbox.iterdir() if p.is_file()}


def where_now(desk: Desk, data: bytes, name: str) -> str | None:
    """processed / rejected / stays: where a dropped file's bytes are now (under its own name
    first: the same bytes may have been dropped under two names)."""
    if (desk.inbox / name).is_file() and (desk.inbox / name).read_bytes() == data:
        return "stays"
    wanted, anywhere = digest(data), None
    for outcome in ("processed", "rejected"):
        for path in (desk.inbox / outcome).rglob("*"):
            if path.is_file() and not path.name.endswith(".原因.txt") and digest(path.read_bytes()) == wanted:
                if path.name == name:
                    return outcome
                anywhere = anywhere or outcome
    return anywhere


def copies(desk: Desk, data: bytes) -> int:
    wanted = digest(data)
    return sum(1 for path in desk.inbox.rglob("*") if path.is_file() and digest(path.read_bytes()) == wanted)


def mails(desk: Desk) -> list[Path]:
    return sorted((desk.root / "outbox").rglob("*.eml")) if (desk.root / "outbox").is_dir() else []


def what_the_clerk_reads(desk: Desk, shown: str) -> str:
    """This run's screen (the summary is printed too) and the reasons beside rejected files."""
    rejected = desk.inbox / "rejected"
    reasons = [p.read_text(encoding="utf-8") for p in rejected.rglob("*.原因.txt")] if rejected.is_dir() else []
    return "\n".join([shown, *reasons])


CHINESE = re.compile("[\u4e00-\u9fff]")


def said_of(desk: Desk, name: str, place: str, shown: str) -> None:
    """The summary names every file it took or refused; a refused one has its reason beside
    it, in Chinese, starting with the file's name."""
    assert name[:40] in shown, f"the summary does not name {name}"
    if place == "rejected":
        reasons = [p.read_text(encoding="utf-8") for p in (desk.inbox / "rejected").rglob("*.原因.txt")]
        assert any(r.startswith(name[:40]) and CHINESE.search(r[len(name):]) for r in reasons), reasons


def run_case(desk: Desk, bad: Bad, capsys) -> None:
    bad.make(desk)
    before = dropped_files(desk)
    register_before = desk.register.read_bytes() if desk.register.is_file() else None
    mails_before = len(mails(desk))
    capsys.readouterr()
    code = desk.run("daily", now=NOW)
    out, err = capsys.readouterr()
    shown = out + err
    assert code == bad.code, shown
    assert "Traceback" not in shown and "意外错误" not in shown, shown
    assert not (desk.root / "logs").exists(), "an unexpected error was logged"
    text = what_the_clerk_reads(desk, shown)
    for fragment in bad.says:
        assert fragment in text, f"{fragment!r} not in:\n{text[-3000:]}"
    for name, data in before.items():
        assert copies(desk, data) >= list(before.values()).count(data), f"a copy of {name} was lost"
        place = where_now(desk, data, name)
        assert place is not None, f"{name} was lost"
        wanted = bad.outcome.get(name) if isinstance(bad.outcome, dict) else bad.outcome
        if code != 0:
            assert place == "stays", f"{name} left the inbox of a failed run"
        elif wanted:
            assert place == wanted, f"{name}: {place}, expected {wanted}\n{text[-2000:]}"
        if code == 0 and place in ("processed", "rejected"):
            said_of(desk, name, place, shown)
    if code != 0:
        if register_before is not None and desk.register.is_file():
            assert desk.register.read_bytes() == register_before, "a refused run changed the register"
        return
    read_register(desk.register)  # still opens, headers intact
    first = len(mails(desk))
    assert desk.run("daily", now=LATER) == 0, capsys.readouterr()
    assert len(mails(desk)) == first, "a second run sent mail again"
    assert first - mails_before <= 2 * len(before) + 2


@pytest.mark.parametrize("bad", CORPUS, ids=str)
def test_bad_input(desk, bad, capsys):
    run_case(desk, bad, capsys)


def test_the_corpus_is_large_and_names_are_unique():
    names = [bad.name for bad in CORPUS]
    assert len(names) == len(set(names))
    assert len(names) >= 150


# --- the environment: read-only places, a full disk ---------------------------------------------

PR_CAPBSET_DROP = 24
# CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER: what lets root ignore permissions.
OVERRIDES = (1, 2, 3)


def _as_ordinary_user() -> None:
    """In the child, before exec: drop root's right to ignore file permissions, so a
    read-only folder is read-only to it as to a clerk's account."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in OVERRIDES:
            if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                os._exit(99)


def run_cli(desk: Desk, now: str = NOW, preexec=_as_ordinary_user) -> tuple[int, str]:
    repo = Path(__file__).resolve().parent.parent
    child = subprocess.run([sys.executable, "-m", "tipdesk", "daily", "--config", str(desk.config_path), "--now", now],
                           cwd=repo, capture_output=True, text=True, timeout=300, preexec_fn=preexec,
                           env={**os.environ, "PYTHONPATH": str(repo)})
    assert child.returncode != 99, "could not drop root's file-permission override"
    return child.returncode, child.stdout + child.stderr


def read_only(*parts: str, mode: int = 0o555):
    def make(desk: Desk) -> list[Path]:
        paths = [desk.root.joinpath(*part.split("/")) for part in parts]
        for path in paths:
            path.mkdir(parents=True, exist_ok=True) if mode & 0o100 and not path.exists() else None
            os.chmod(path, mode)
        return paths
    return make


@dataclass
class Env:
    name: str
    make: Callable[[Desk], list[Path]]
    says: str
    code: int
    outcome: str

    def __str__(self) -> str:
        return self.name


ENVIRONMENT = [
    Env("register-folder-read-only", read_only("."), "无法在此文件夹中写入", 2, "stays"),
    Env("inbox-read-only", read_only("inbox"), "inbox", 2, "stays"),
    Env("outbox-read-only", read_only("outbox"), "outbox", 2, "stays"),
    Env("backups-read-only", read_only("backups"), "backups", 2, "stays"),
    Env("journal-read-only", read_only("tipdesk.sqlite3", mode=0o444), "tipdesk.sqlite3：文件是只读的", 2, "stays"),
    Env("register-read-only", read_only("安全生产举报台账.xlsx", mode=0o444), "文件是只读的", 2, "stays"),
    Env("rejected-folder-read-only", read_only("inbox/rejected"), "未能移出收件箱", 0, "stays"),
    Env("processed-folder-read-only", read_only("inbox/processed"), "未能移出收件箱", 0, "stays"),
]


@pytest.mark.parametrize("env", ENVIRONMENT, ids=str)
def test_read_only_places(desk, env):
    data = answered(desk, 办结日期="2026-12-01") if "rejected" not in env.name else b"%PDF-1.4"
    dropped_as = desk.drop("回传.xlsx" if "rejected" not in env.name else "回传.pdf", data)
    register = desk.register.read_bytes()
    paths = env.make(desk)
    try:
        code, shown = run_cli(desk)
    finally:
        for path in paths:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
    assert code == env.code, shown
    assert env.says in shown, shown
    assert "Traceback" not in shown and "意外错误" not in shown, shown
    assert where_now(desk, data, dropped_as.name) == env.outcome
    if code:
        assert desk.register.read_bytes() == register
    assert run_cli(desk, LATER)[0] == 0  # once the place is writable again the run goes on


def test_an_unreadable_file_is_refused_and_kept(desk):
    path = desk.drop("回传.xlsx", answered(desk))
    data = path.read_bytes()
    os.chmod(path, 0)
    code, shown = run_cli(desk)
    assert code == 0, shown
    assert "无法读取文件" in shown
    assert where_now(desk, data, "回传.xlsx") == "rejected"


@pytest.fixture
def tiny_disk(tmp_path):
    """A 4 MB tmpfs of its own (root only); skips where mounting is not allowed."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("无法挂载 tmpfs（需要 root 和 mount 权限）：跳过磁盘已满的样例")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until `leave` bytes are free."""
    stat = os.statvfs(folder)
    free = stat.f_bavail * stat.f_frsize - leave
    with open(folder / "填充.bin", "wb") as filler:
        while free > 0:
            chunk = min(free, 1 << 20)
            try:
                filler.write(b"\0" * chunk)
                filler.flush()
            except OSError:
                break
            free -= chunk


def full_disk_run(issued_desk: Path, disk: Path, leave: int) -> None:
    shutil.copytree(issued_desk, disk / "ws", symlinks=True)
    desk = Desk(disk / "ws")
    data = answered(desk, 办结日期="2026-12-01")
    desk.drop("回传.xlsx", data)
    desk.add(**complaint())
    register = desk.register.read_bytes()
    fill(disk, leave)
    code, shown = run_cli(desk, preexec=None)
    assert "Traceback" not in shown and "意外错误" not in shown, shown
    if code:
        assert code == 1 and "磁盘空间已满" in shown, shown
        # Stopped before the replace: nothing changed. After it (the journal full at the
        # commit): the intent is recorded, and the next run finishes it (below).
        if desk.register.read_bytes() == register:
            assert where_now(desk, data, "回传.xlsx") == "stays"
    (disk / "填充.bin").unlink()
    code, shown = run_cli(desk, LATER, preexec=None)
    assert code == 0, shown
    assert where_now(desk, data, "回传.xlsx") == "processed"
    assert [r.get(col.STATUS) for r in read_register(desk.register).rows][0] == col.CLOSED


# Free space left: none (the first write fails), a little (the register's temporary copy
# fails), enough for everything.
@pytest.mark.parametrize("leave", [0, 8 * 1024, 64 * 1024, 600 * 1024])
def test_a_full_disk_is_said_and_loses_nothing(issued_desk, tiny_disk, leave):
    full_disk_run(issued_desk, tiny_disk, leave)


def test_a_disk_full_at_the_journal_commit(issued_desk, tiny_disk):
    # With 150 KB left the register's replace succeeds and SQLite's COMMIT is what fails:
    # the intent recorded before the replace lets the next run finish (store/commit.py).
    full_disk_run(issued_desk, tiny_disk, 150 * 1024)


# --- files LibreOffice saved: a real .xls, .ods, .doc ------------------------------------------

OFFICE = [
    # (name, from, to format, spoil before converting, outcome, message)
    ("xls", ".xlsx", "xls", None, "processed", ""),
    ("ods", ".xlsx", "ods", None, "processed", ""),
    ("xls-far-cell", ".xlsx", "xls", far_cell("IV65536"), "processed", ""),
    ("ods-far-cell", ".xlsx", "ods", far_cell("XFD1048576"), "rejected", "Ctrl+End"),
    ("doc", ".docx", "doc", None, "rejected", "Word"),
]


@pytest.mark.parametrize("name, source, fmt, spoil, outcome, says", OFFICE, ids=[o[0] for o in OFFICE])
def test_files_saved_by_libreoffice(desk, office, capsys, name, source, fmt, spoil, outcome, says):
    original = answered(desk, tweak=spoil) if source == ".xlsx" else docx_bytes("已办结")
    converted = office(original, source, fmt)
    target = f"回传.{'xls' if fmt == 'doc' else fmt}"  # a Word file named .xls, as people do
    run_case(desk, Bad(name, raw(target, converted), (says,) if says else (), outcome=outcome), capsys)


def test_check_names_what_daily_would_refuse_or_note(desk):
    # check passes exactly what daily accepts: a read-only inbox, a far cell in 台账.
    register_edit(lambda ws, wb: ws.__setitem__("XFD1048576", "x"))(desk)
    paths = read_only("inbox")(desk)
    try:
        repo = Path(__file__).resolve().parent.parent
        child = subprocess.run([sys.executable, "-m", "tipdesk", "check", "--config", str(desk.config_path)],
                               cwd=repo, capture_output=True, text=True, timeout=300, preexec_fn=_as_ordinary_user,
                               env={**os.environ, "PYTHONPATH": str(repo)})
    finally:
        os.chmod(paths[0], 0o755)
    shown = child.stdout + child.stderr
    assert child.returncode == 2, shown
    assert "inbox：无法在此文件夹中写入" in shown and "XFD1048576" in shown
