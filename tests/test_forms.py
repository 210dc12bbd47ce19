"""The importers of returned files (tipdesk/intake/forms): feedback sheets, liaison forms and
forwarded-case exports, read from real files the way units and upstream systems make them.

Feedback sheets are the ones documents.feedback_sheet() issues, filled with openpyxl as a
unit fills them in Excel. Tests that re-save files through LibreOffice skip when `soffice`
is not on PATH; LibreOffice runs with a private profile so that it neither collides with
another soffice on the machine nor depends on the user's settings.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from tipdesk.domain import columns as col
from tipdesk.output.referral import feedback_sheet, referral_context
from tipdesk.domain.errors import TipdeskError
from tipdesk.intake.forms import IMPORTERS, classify, feedback, forwarded, liaison
from tipdesk.intake.forms.common import ReadContext
from tipdesk.domain.arrivals import FeedbackAnswer
from tipdesk.domain.arrivals import ForwardedCase
from tipdesk.domain.arrivals import LiaisonForm
from tipdesk.xlsx.sheetfile import read_workbook

SOFFICE = shutil.which("soffice")

CENTRE = {"name": "区应急管理局指挥中心", "phone": "0571-8888 1234",
          "address": "区政务中心502室", "email": "zhihui@example.gov.cn"}
ISSUED_AT = datetime(2026, 11, 30, 14, 30)
TODAY = date(2026, 12, 5)
UNIT = "区住房和城乡建设局"
SHEET_NAME = f"{UNIT}-反馈表.xlsx"


# --- building real files --------------------------------------------------------------------

def issue(folder: Path, case_id: str = "AJ2026-0001") -> Path:
    """The feedback sheet as the desk issues it for one case."""
    case = {header: None for header in col.REGISTER_COLUMNS}
    case.update({
        col.CASE_ID: case_id, col.RECEIVED_AT: datetime(2026, 11, 30, 9, 0),
        col.SOURCE: "12350热线", col.REPORTER: "王建国", col.REPORTER_CONTACT: "13812345678",
        col.SUBJECT: "宏达建设工程有限公司", col.ADDRESS: "东城街道人民路88号",
        col.CONTENT: "工地脚手架没有连墙件，工人高空作业不系安全带。", col.CATEGORY: col.GENERAL,
        col.UNIT: UNIT, col.LETTER_NO: "安举交〔2026〕20号", col.REFERRED_AT: ISSUED_AT,
        col.DEADLINE: datetime(2026, 12, 9, 23, 59), col.STATUS: col.REFERRED,
    })
    path = folder / SHEET_NAME
    path.write_bytes(feedback_sheet(referral_context(case, CENTRE, ISSUED_AT), "FB-000007"))
    return path


def answer_cell(ws, label: str):
    """The cell right of a label, where a unit types (the issued labels are not merged)."""
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == label:
                return ws.cell(cell.row, cell.column + 1)
    raise AssertionError(f"label {label} not on the sheet")


def fill(path: Path, answers: dict, target: Path | None = None) -> Path:
    """Type answers beside their labels, as a unit does in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb[col.FEEDBACK_SHEET]
    for label, value in answers.items():
        cell = answer_cell(ws, label)
        cell.value = value
        if isinstance(value, str) and value[:1] == "=":
            # Typed as '=1+1: Excel keeps it as text with a quote prefix, no formula.
            cell.data_type = "s"
            cell.quotePrefix = True
    target = target or path
    wb.save(target)
    return target


CLOSED_ANSWERS = {
    "核查情况": "  经核查：\n\u3000\u3000一、该工地脚手架未设连墙件；\n二、工人未系安全带。  \n",
    "是否属实": "属实",
    "办理状态": "已办结",
    "处理结果": "已责令停工整改，整改完毕后复查合格（罚款２万元）。",
    "办结日期": "2026年12月3日",
    "经办人": " 王  芳\u3000",
    "联系电话": "１３７-0000-2222",
}


def write_book(path: Path, sheets: dict[str, tuple[list[list], list[str]]]) -> Path:
    """A workbook of plain rows per sheet, with merged ranges such as "A1:H1"."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (rows, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for merged in merges:
            ws.merge_cells(merged)
    wb.save(path)
    return path


def error_of(call, *args) -> str:
    with pytest.raises(TipdeskError) as info:
        call(*args)
    assert info.value.exit_code == TipdeskError("").exit_code
    return str(info.value)


# --- feedback sheet: answers ------------------------------------------------------------------

def test_closed_feedback_is_read_with_marker_and_cells(tmp_path):
    path = fill(issue(tmp_path), CLOSED_ANSWERS)
    [answer] = feedback.extract(read_workbook(path), ReadContext(TODAY))
    assert answer == FeedbackAnswer(
        file=path, sheet="反馈表", case_id="AJ2026-0001", unit=UNIT,
        findings="经核查：\n一、该工地脚手架未设连墙件；\n二、工人未系安全带。",
        verified="属实", result="已责令停工整改，整改完毕后复查合格（罚款2万元）。",
        state="已办结", extend_to=None, reason="", handler="王 芳", phone="137-0000-2222",
        closed_on=datetime(2026, 12, 3),
        marker={"format": "tipdesk-feedback-v1", "case_id": "AJ2026-0001",
                "letter_no": "安举交〔2026〕20号", "unit": UNIT, "sheet_id": "FB-000007",
                "issued_at": "2026-11-30T14:30:00"},
        cells={"案件编号": "B4", "承办单位": "B5", "核查情况": "B12", "是否属实": "B13",
               "办理状态": "D13", "处理结果": "B14", "申请延期至": "B15", "办结日期": "D15",
               "申请理由": "B16", "经办人": "B17", "联系电话": "D17"},
    )


@pytest.mark.parametrize(("typed", "today", "expected"), [
    ("2026年12月3日", TODAY, datetime(2026, 12, 3)),
    ("2026.12.3", TODAY, datetime(2026, 12, 3)),
    ("12月3日", TODAY, datetime(2026, 12, 3)),
    ("２０２６年１２月３日", TODAY, datetime(2026, 12, 3)),
    (" 2026 年 12 月 3 日 ", TODAY, datetime(2026, 12, 3)),
    (datetime(2026, 12, 3), TODAY, datetime(2026, 12, 3)),
    # Read early in January, a December date without a year is last December.
    ("12月30日", date(2027, 1, 4), datetime(2026, 12, 30)),
])
def test_closing_date_forms(tmp_path, typed, today, expected):
    path = fill(issue(tmp_path), {**CLOSED_ANSWERS, "办结日期": typed})
    [answer] = feedback.extract(read_workbook(path), ReadContext(today))
    assert answer.closed_on == expected


@pytest.mark.parametrize(("answers", "expected"), [
    ({"办理状态": "阶段性反馈", "核查情况": "正在核查。"},
     {"state": "阶段性反馈", "findings": "正在核查。", "verified": "", "closed_on": None}),
    ({"办理状态": "阶段性反馈", "处理结果": "已下达整改通知。", "是否属实": "部分属实"},
     {"state": "阶段性反馈", "result": "已下达整改通知。", "verified": "部分属实"}),
    ({"办理状态": "申请延期", "申请延期至": "2026.12.20", "申请理由": "需第三方检测。"},
     {"state": "申请延期", "extend_to": datetime(2026, 12, 20), "reason": "需第三方检测。"}),
    ({"办理状态": "申请退回", "申请理由": "不属本单位职责，\n属青山镇辖区。"},
     {"state": "申请退回", "reason": "不属本单位职责，\n属青山镇辖区。", "extend_to": None}),
    ({"办理状态": " 已 办结 ", "是否属实": "不属实", "处理结果": "现场未发现问题。",
      "办结日期": "12月4日"},
     {"state": "已办结", "verified": "不属实", "closed_on": datetime(2026, 12, 4)}),
])
def test_each_state(tmp_path, answers, expected):
    path = fill(issue(tmp_path), answers)
    [answer] = feedback.extract(read_workbook(path), ReadContext(TODAY))
    got = {name: getattr(answer, name) for name in expected}
    assert got == expected


def test_formula_looking_answers_stay_text(tmp_path):
    path = fill(issue(tmp_path), {**CLOSED_ANSWERS, "处理结果": "=1+1", "核查情况": "+86 与 @所有人"})
    [answer] = feedback.extract(read_workbook(path), ReadContext(TODAY))
    assert (answer.result, answer.findings) == ("=1+1", "+86 与 @所有人")


# --- feedback sheet: what a unit must fix -----------------------------------------------------

WHERE = f"{SHEET_NAME} 工作表“反馈表” 单元格"


@pytest.mark.parametrize(("answers", "message"), [
    ({**CLOSED_ANSWERS, "是否属实": None},
     f"{WHERE} B13（是否属实）：办理状态为“已办结”时必须填写是否属实，"
     "请从下拉列表选择 属实/部分属实/不属实 后重新发送。"),
    ({**CLOSED_ANSWERS, "是否属实": "真的"},
     f"{WHERE} B13（是否属实）：“真的”不是可选值，请从下拉列表选择 属实/部分属实/不属实 后重新发送。"),
    ({**CLOSED_ANSWERS, "处理结果": "  "},
     f"{WHERE} B14（处理结果）：办理状态为“已办结”时必须填写此项，请写明处理结果后重新发送。"),
    ({**CLOSED_ANSWERS, "办结日期": None},
     f"{WHERE} D15（办结日期）：办理状态为“已办结”时必须填写此项，"
     "请填写办结日期（例如 2026年12月3日）后重新发送。"),
    ({**CLOSED_ANSWERS, "办理状态": None},
     f"{WHERE} D13（办理状态）：没有选择办理状态，"
     "请从下拉列表选择 已办结/阶段性反馈/申请延期/申请退回 后重新发送。"),
    ({**CLOSED_ANSWERS, "办理状态": "办完了"},
     f"{WHERE} D13（办理状态）：“办完了”不是可选值，"
     "请从下拉列表选择 已办结/阶段性反馈/申请延期/申请退回 后重新发送。"),
    ({"办理状态": "申请延期", "申请理由": "需检测。"},
     f"{WHERE} B15（申请延期至）：办理状态为“申请延期”时必须填写此项，"
     "请填写申请延期到哪一天（例如 2026年12月3日）后重新发送。"),
    ({"办理状态": "申请延期", "申请延期至": "2026-12-20"},
     f"{WHERE} B16（申请理由）：办理状态为“申请延期”时必须填写此项，请写明申请理由后重新发送。"),
    ({"办理状态": "申请退回"},
     f"{WHERE} B16（申请理由）：办理状态为“申请退回”时必须填写此项，请写明申请理由后重新发送。"),
    ({"办理状态": "阶段性反馈", "经办人": "王芳"},
     f"{WHERE} B12（核查情况）：办理状态为“阶段性反馈”时，核查情况和处理结果至少要填写一项，"
     "请写明目前的核查或处理进展后重新发送。"),
    ({**CLOSED_ANSWERS, "案件编号": None},
     f"{WHERE} B4（案件编号）：案件编号是空的。请使用下发给本单位的反馈表（案件编号已预先填好）"
     "填写后重新发送。"),
])
def test_missing_or_wrong_answers(tmp_path, answers, message):
    path = fill(issue(tmp_path), answers)
    assert error_of(feedback.extract, read_workbook(path), ReadContext(TODAY)) == message


def test_unreadable_date_names_the_cell(tmp_path):
    path = fill(issue(tmp_path), {**CLOSED_ANSWERS, "办结日期": "下周三"})
    message = error_of(feedback.extract, read_workbook(path), ReadContext(TODAY))
    assert message.startswith(f"{WHERE} D15（办结日期）：无法识别日期“下周三”。请填写日期，例如 2026-12-03")
    assert message.endswith("；改正后请重新发送。")


def test_marker_and_case_number_disagree(tmp_path):
    path = fill(issue(tmp_path), {**CLOSED_ANSWERS, "案件编号": "AJ2026-0002"})
    assert error_of(feedback.extract, read_workbook(path), ReadContext(TODAY)) == (
        f"{WHERE} B4（案件编号）：这张反馈表是为案件 AJ2026-0001 下发的，但案件编号填的是 "
        "AJ2026-0002，可能复制错了表；请使用该案件自己的反馈表。")


def test_deleted_label_is_reported(tmp_path):
    path = fill(issue(tmp_path), {"办理状态": "申请退回", "申请理由": "不属本单位职责。"})
    wb = openpyxl.load_workbook(path)
    wb[col.FEEDBACK_SHEET]["A16"] = None  # a unit cleared the label of the row it filled
    wb.save(path)
    assert error_of(feedback.extract, read_workbook(path), ReadContext(TODAY)) == (
        f"{SHEET_NAME} 工作表“反馈表”：找不到“申请理由”一栏，可能被删除或改了名字。"
        "请使用下发的反馈表填写，不要改动左侧的栏目名称，然后重新发送。")


# --- feedback sheet: copied, re-saved ---------------------------------------------------------

def copy_into_own_workbook(source: Path, target: Path) -> Path:
    """What a unit does that keeps its own files: the form's cells pasted two rows and one
    column further into a sheet of its own, after a cover sheet, labels retyped its way."""
    src = openpyxl.load_workbook(source)[col.FEEDBACK_SHEET]
    wb = openpyxl.Workbook()
    wb.active.title = "封面"
    wb.active["A1"] = "区住房和城乡建设局举报件办理材料"
    ws = wb.create_sheet("办理情况")
    ws["A1"] = "区住房和城乡建设局 安全生产举报件办理情况"
    retyped = {"案件编号": "*案 件 编 号：", "是否属实": "是否属实:", "办理状态": "办理状态（下拉选择）",
               "经办人": "经办人："}
    for row in src.iter_rows():
        for cell in row:
            if cell.value is not None:
                ws.cell(cell.row + 2, cell.column + 1, retyped.get(cell.value, cell.value))
    for merged in src.merged_cells.ranges:
        ws.merge_cells(start_row=merged.min_row + 2, start_column=merged.min_col + 1,
                       end_row=merged.max_row + 2, end_column=merged.max_col + 1)
    wb.save(target)
    return target


def test_sheet_copied_into_units_own_workbook(tmp_path):
    issued = fill(issue(tmp_path), CLOSED_ANSWERS)
    copy = copy_into_own_workbook(issued, tmp_path / "住建局办理情况.xlsx")
    book = read_workbook(copy)
    assert feedback.identify(book)
    [answer] = feedback.extract(book, ReadContext(TODAY))
    [original] = feedback.extract(read_workbook(issued), ReadContext(TODAY))
    shifted = {label: openpyxl.utils.get_column_letter(openpyxl.utils.column_index_from_string(ref[0]) + 1)
               + str(int(ref[1:]) + 2) for label, ref in original.cells.items()}
    assert answer == dataclasses.replace(original, file=copy, sheet="办理情况", marker=None, cells=shifted)


def test_copied_sheet_errors_name_its_own_sheet_and_cell(tmp_path):
    issued = fill(issue(tmp_path), {**CLOSED_ANSWERS, "是否属实": "真的"})
    copy = copy_into_own_workbook(issued, tmp_path / "住建局办理情况.xlsx")
    assert error_of(feedback.extract, read_workbook(copy), ReadContext(TODAY)) == (
        "住建局办理情况.xlsx 工作表“办理情况” 单元格 C15（是否属实）：“真的”不是可选值，"
        "请从下拉列表选择 属实/部分属实/不属实 后重新发送。")


@pytest.fixture(scope="module")
def convert(tmp_path_factory):
    """soffice --convert-to with a private profile: re-saves a file as LibreOffice users do."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = tmp_path_factory.mktemp("libreoffice-profile")

    def run(source: Path, fmt: str, outdir: Path) -> Path:
        outdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
             "--convert-to", fmt, "--outdir", str(outdir), str(source)],
            check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(profile)})
        result = outdir / f"{source.stem}.{fmt}"
        assert result.exists(), f"LibreOffice did not write {result}"
        return result

    return run


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_sheet_resaved_by_libreoffice(tmp_path, convert, fmt):
    issued = fill(issue(tmp_path), {**CLOSED_ANSWERS, "处理结果": "=1+1",
                                    "办结日期": datetime(2026, 12, 3)})
    [original] = feedback.extract(read_workbook(issued), ReadContext(TODAY))
    resaved = convert(issued, fmt, tmp_path / "resaved")
    book = read_workbook(resaved)
    assert classify(book) is feedback
    [answer] = feedback.extract(book, ReadContext(TODAY))
    assert answer == dataclasses.replace(original, file=resaved)
    assert answer.marker is not None and answer.result == "=1+1"


# --- liaison form -----------------------------------------------------------------------------

LIAISON_TITLE = "安全生产投诉举报受理工作联络单"
NOTICE_HEADER = [None, "分管领导", "联系电话", "科  长", "联系电话", "经办人", "联系电话", "电子邮箱"]
BLANK_ROW = [None] * 8


def notice_form(path: Path, unit_line: str, value_rows: list[list]) -> Path:
    """The notice's attachment: title, 单位 line, one row of labels, answers beneath."""
    rows = [[LIAISON_TITLE], [unit_line], NOTICE_HEADER, *value_rows]
    return write_book(path, {"联络单": (rows, ["A1:H1", "A2:H2"])})


def test_liaison_in_notice_table_layout(tmp_path):
    path = notice_form(tmp_path / "住建局联络单.xlsx", "单位：区住房和城乡建设局（公章）", [
        [None, "张建华", "0571-8765 4321", "李明", 13900001111, "王芳", "１３７００００２２２２",
         "zhujian@example.gov.cn"],
        BLANK_ROW,
    ])
    book = read_workbook(path)
    assert liaison.identify(book) and not feedback.identify(book)
    assert liaison.extract(book, ReadContext(TODAY)) == [LiaisonForm(
        file=path, sheet="联络单", unit="区住房和城乡建设局", leader="张建华",
        leader_phone="0571-8765 4321", chief="李明", chief_phone="13900001111", handler="王芳",
        handler_phone="13700002222", email="zhujian@example.gov.cn",
        cells={"单位": "A2", "电子邮箱": "H4", "分管领导": "B4", "分管领导电话": "C4",
               "科长": "D4", "科长电话": "E4", "经办人": "F4", "经办人电话": "G4"})]


def test_liaison_table_with_one_row_per_person(tmp_path):
    # A blank row first, then each person on a row of their own, as some units fill it.
    path = notice_form(tmp_path / "联络单.xlsx", "单位：区住房和城乡建设局（盖章）", [
        BLANK_ROW,
        [None, "张建华", "0571-8765 4321", None, None, None, None, None],
        [None, None, None, "李明", "13900001111", None, None, None],
        [None, None, None, None, None, "王芳", "13700002222", "zhujian@example.gov.cn"],
    ])
    [form] = liaison.extract(read_workbook(path), ReadContext(TODAY))
    assert (form.unit, form.leader, form.leader_phone, form.chief, form.chief_phone,
            form.handler, form.handler_phone, form.email) == (
        "区住房和城乡建设局", "张建华", "0571-8765 4321", "李明", "13900001111",
        "王芳", "13700002222", "zhujian@example.gov.cn")
    assert form.cells["经办人"] == "F7" and form.cells["分管领导"] == "B5"


def test_liaison_table_answers_stop_at_the_next_labels(tmp_path):
    # The e-mail as a label/value pair under the table, below the empty leader phone cell:
    # it is the e-mail, not the leader's phone.
    path = notice_form(tmp_path / "联络单.xlsx", "单位：区住房和城乡建设局", [
        [None, "张建华", None, "李明", "13900001111", "王芳", "13700002222"],
        BLANK_ROW,
        [None, "电子邮箱", "zhujian@example.gov.cn"],
    ])
    [form] = liaison.extract(read_workbook(path), ReadContext(TODAY))
    assert (form.leader_phone, form.email) == ("", "zhujian@example.gov.cn")
    assert (form.cells["分管领导电话"], form.cells["电子邮箱"]) == ("C4", "C6")


PAIRS = [
    [LIAISON_TITLE],
    ["单位", "区市场监督管理局"],
    ["分管领导", "赵强"],
    ["联系电话", "0571-8000 0001"],
    ["科长", "钱进"],
    ["联系电话", "13900003333"],
    ["经办人", "孙丽"],
    ["联系电话", "１３７-0000-4444"],
    ["电子邮箱", "sunli＠example.gov.cn"],
]


def pairs_form(path: Path, changes: dict[str, object] | None = None) -> Path:
    """The form as label/value pairs down column A/B; `changes` overrides values by row label
    (the first row of that label; "联系电话#3" is the third phone)."""
    rows = [list(row) for row in PAIRS]
    for key, value in (changes or {}).items():
        label, _, nth = key.partition("#")
        matching = [row for row in rows if row[0] == label]
        matching[int(nth or 1) - 1][1] = value
    return write_book(path, {"Sheet1": (rows, ["A1:B1"])})


def test_liaison_as_label_value_pairs(tmp_path):
    path = pairs_form(tmp_path / "市场监管局.xlsx")
    assert liaison.extract(read_workbook(path), ReadContext(TODAY)) == [LiaisonForm(
        file=path, sheet="Sheet1", unit="区市场监督管理局", leader="赵强",
        leader_phone="0571-8000 0001", chief="钱进", chief_phone="13900003333", handler="孙丽",
        handler_phone="137-0000-4444", email="sunli@example.gov.cn",
        cells={"单位": "B2", "电子邮箱": "B9", "分管领导": "B3", "分管领导电话": "B4",
               "科长": "B5", "科长电话": "B6", "经办人": "B7", "经办人电话": "B8"})]


def test_liaison_retyped_with_titles_merges_and_own_labels(tmp_path):
    rows = [
        ["2027年度安全生产投诉举报受理工作联络单"],
        ["填报日期：2027年1月20日"],
        ["单位名称", None, "区交通运输局（盖章）"],
        ["分管领导姓名", None, "周杰", "手机", "13800005555", "办公电话", "0571-8000 3333"],
        ["科长姓名", None, "吴敏", "联系方式", "0571-8111 2222"],
        ["经办人姓名", None, "郑浩", "手机：", "13800006666"],
        ["E-mail", None, "zhenghao@example.gov.cn"],
    ]
    merges = ["A1:G1", "A2:G2", "A3:B3", "C3:G3", "A4:B4", "A5:B5", "A6:B6", "A7:B7", "C7:G7"]
    path = write_book(tmp_path / "交通局联络单.xlsx",
                      {"填报说明": ([["请于1月24日前报送"]], []), "Sheet1": (rows, merges)})
    book = read_workbook(path)
    assert classify(book) is liaison
    assert liaison.extract(book, ReadContext(TODAY)) == [LiaisonForm(
        file=path, sheet="Sheet1", unit="区交通运输局", leader="周杰",
        leader_phone="13800005555、0571-8000 3333", chief="吴敏", chief_phone="0571-8111 2222",
        handler="郑浩", handler_phone="13800006666", email="zhenghao@example.gov.cn",
        cells={"单位": "C3", "电子邮箱": "C7", "分管领导": "C4", "分管领导电话": "E4",
               "科长": "C5", "科长电话": "E5", "经办人": "C6", "经办人电话": "E6"})]


def test_liaison_blank_notice_has_no_unit(tmp_path):
    path = notice_form(tmp_path / "联络单.xlsx", "单位：（公   章）", [BLANK_ROW, BLANK_ROW])
    assert error_of(liaison.extract, read_workbook(path), ReadContext(TODAY)) == (
        "联络单.xlsx 工作表“联络单” 单元格 A2（单位）：没有填写单位名称。"
        "请在联络单上写明“单位：单位全称”，加盖公章后重新发送。")


@pytest.mark.parametrize(("changes", "message"), [
    ({"经办人": None},
     "单元格 B7（经办人）：没有填写经办人姓名。请填写后重新发送。"),
    ({"联系电话#3": None, "电子邮箱": None},
     "单元格 B8（经办人电话）：经办人的联系电话和电子邮箱都没有填写，无法联系。请至少填写一项后重新发送。"),
    ({"电子邮箱": "孙丽"},
     "单元格 B9（电子邮箱）：“孙丽”不是有效的电子邮箱地址。"
     "请填写完整的地址（例如 anquan@example.gov.cn）后重新发送。"),
    ({"单位": None},
     "单元格 B2（单位）：没有填写单位名称。请在联络单上写明“单位：单位全称”，加盖公章后重新发送。"),
])
def test_liaison_errors(tmp_path, changes, message):
    path = pairs_form(tmp_path / "联络单.xlsx", changes)
    assert error_of(liaison.extract, read_workbook(path), ReadContext(TODAY)) == f"联络单.xlsx 工作表“Sheet1” {message}"


def test_liaison_reachable_by_email_alone(tmp_path):
    path = pairs_form(tmp_path / "联络单.xlsx", {"联系电话#3": None})
    [form] = liaison.extract(read_workbook(path), ReadContext(TODAY))
    assert (form.handler_phone, form.email) == ("", "sunli@example.gov.cn")


# --- forwarded cases --------------------------------------------------------------------------

EXPORT_HEADER = ["序号", "工单编号", "来电时间", "举报人", "联系电话", "被举报对象", "事发地点",
                 "问题描述", "举报类别", "行业", "办理时限", "来源"]


def export(path: Path, rows: list[list], header: list[str] = EXPORT_HEADER, title_rows: int = 2) -> Path:
    titles = [["省安全生产举报中心转办件清单"], ["导出时间：2026-12-01 09:00"]][:title_rows]
    merges = ["A1:L1"] if title_rows else []
    return write_book(path, {"转办件": ([*titles, header, *rows], merges)})


def test_forwarded_export_with_titles_synonyms_and_text_dates(tmp_path):
    path = export(tmp_path / "转件清单.xlsx", [
        [1, "SZ20261130001", "2026年11月30日 14:30", "李四", 13900007777, "青山镇宏达五金厂",
         "青山镇工业园3号", "车间粉尘大，\n除尘设备不开。 ", "一般类", "工贸", "12月10日", "省12345转办"],
        [2, "SZ20261130002", datetime(2026, 11, 30, 16, 5), None, None, "阳光小区",
         "东城街道人民路", "小区燃气管道漏气。", "紧急", "燃气", datetime(2026, 12, 1, 16, 5), "国家转办"],
        [None] * 12,
        [3, "ＳＺ２０２６１２０１００３", "２０２６.１２.１", None, None, None, None,
         "仓库堆放大量油漆。", None, None, None, None],
        ["合计：3件"],
    ])
    book = read_workbook(path)
    assert classify(book) is forwarded
    assert forwarded.extract(book, ReadContext(date(2026, 12, 1))) == [
        ForwardedCase(file=path, sheet="转办件", row=4, values={
            "上级编号": "SZ20261130001", "受理时间": datetime(2026, 11, 30, 14, 30),
            "举报人": "李四", "联系方式": "13900007777", "被举报单位": "青山镇宏达五金厂",
            "事发地址": "青山镇工业园3号", "举报内容": "车间粉尘大，\n除尘设备不开。",
            "类别": "一般", "行业领域": "工贸", "上级期限": datetime(2026, 12, 10),
            "来源": "省转办"}),
        ForwardedCase(file=path, sheet="转办件", row=5, values={
            "上级编号": "SZ20261130002", "受理时间": datetime(2026, 11, 30, 16, 5),
            "被举报单位": "阳光小区", "事发地址": "东城街道人民路", "举报内容": "小区燃气管道漏气。",
            "类别": "紧急", "行业领域": "燃气", "上级期限": datetime(2026, 12, 1, 16, 5),
            "来源": "国家转办"}),
        ForwardedCase(file=path, sheet="转办件", row=7, values={
            "上级编号": "SZ20261201003", "受理时间": datetime(2026, 12, 1),
            "举报内容": "仓库堆放大量油漆。", "来源": "市转办"}),
    ]


def test_forwarded_two_row_header(tmp_path):
    # Columns merged over both header rows, the reporter's columns grouped under one title.
    rows = [
        ["工单编号", "受理时间", "举报人信息", None, "举报内容"],
        [None, None, "举报人", "联系方式", None],
        ["GJ-7", "2026-11-28 08:00", "赵六", "13600001111", "矿山夜间违规爆破。"],
    ]
    merges = ["A1:A2", "B1:B2", "C1:D1", "E1:E2"]
    path = write_book(tmp_path / "国家中心转办.xlsx", {"Sheet1": (rows, merges)})
    [case] = forwarded.extract(read_workbook(path), ReadContext(TODAY))
    assert (case.row, case.values) == (3, {
        "上级编号": "GJ-7", "受理时间": datetime(2026, 11, 28, 8, 0), "举报人": "赵六",
        "联系方式": "13600001111", "举报内容": "矿山夜间违规爆破。", "来源": "国家转办"})


@pytest.mark.parametrize(("file_name", "source"), [
    ("国家局转办件.xlsx", "国家转办"),
    ("省中心转件2026-12.xlsx", "省转办"),
    ("转件.xlsx", "市转办"),
])
def test_forwarded_source_from_file_name(tmp_path, file_name, source):
    header = ["转办编号", "登记时间", "诉求内容"]
    path = export(tmp_path / file_name, [["A-1", "2026-11-30", "塔吊无证操作。"]], header, title_rows=0)
    [case] = forwarded.extract(read_workbook(path), ReadContext(TODAY))
    assert case.values == {"上级编号": "A-1", "受理时间": datetime(2026, 11, 30),
                           "举报内容": "塔吊无证操作。", "来源": source}
    assert case.row == 2


def test_forwarded_with_configured_mapping(tmp_path):
    header = ["件号", "收件日期", "内容摘要", "涉及企业"]
    path = export(tmp_path / "市转办.xlsx", [["J-9", "12月2日", "无证经营加油点。", "某加油点"]],
                  header, title_rows=1)
    mapping = {"上级编号": ["件号"], "受理时间": ["收件日期"], "举报内容": ["内容摘要"],
               "被举报单位": ["涉及企业"]}
    book = read_workbook(path)
    assert not forwarded.identify(book)  # the default names do not fit this system
    assert classify(book, ReadContext(TODAY, mapping)) is forwarded
    [case] = forwarded.extract(book, ReadContext(TODAY, mapping))
    assert case.values == {"上级编号": "J-9", "受理时间": datetime(2026, 12, 2),
                           "举报内容": "无证经营加油点。", "被举报单位": "某加油点", "来源": "市转办"}


ROW = [1, "SZ1", "2026-11-30 10:00", None, None, None, None, "脚手架坍塌风险。", None, None, None, None]
EXPORT_WHERE = "转件.xlsx 工作表“转办件” 单元格"


@pytest.mark.parametrize(("rows", "message"), [
    ([ROW, [2, *ROW[1:]]],
     f"{EXPORT_WHERE} B5（工单编号）：编号 SZ1 在第4行已经出现过，同一件不能导入两次。"
     "请删除重复的行后重新放入收件箱。"),
    ([ROW, [2, None, *ROW[2:]]],
     f"{EXPORT_WHERE} B5（工单编号）：第5行有内容但没有工单编号。"
     "请在原表中补上，或删除这一行，然后重新放入收件箱。"),
    ([ROW, [2, "SZ2", *ROW[2:7], None, *ROW[8:]]],
     f"{EXPORT_WHERE} H5（问题描述）：第5行有内容但没有问题描述。"
     "请在原表中补上，或删除这一行，然后重新放入收件箱。"),
    ([[*ROW[:8], "特急", *ROW[9:]]],
     f"{EXPORT_WHERE} I4（举报类别）：“特急”不是紧急/一般/事故之一。请改为其中之一或清空，"
     "然后重新放入收件箱。"),
])
def test_forwarded_errors(tmp_path, rows, message):
    path = export(tmp_path / "转件.xlsx", rows)
    assert error_of(forwarded.extract, read_workbook(path), ReadContext(TODAY)) == message


def test_forwarded_unreadable_date(tmp_path):
    path = export(tmp_path / "转件.xlsx", [[1, "SZ1", "上周五", *ROW[3:]]])
    message = error_of(forwarded.extract, read_workbook(path), ReadContext(TODAY))
    assert message.startswith(f"{EXPORT_WHERE} C4（来电时间）：无法识别日期“上周五”。")
    assert message.endswith("；请在原表中改正后重新放入收件箱。")


def test_forwarded_header_must_be_near_the_top(tmp_path):
    rows = [[f"说明第{n}行"] for n in range(10)] + [EXPORT_HEADER, ROW]
    path = write_book(tmp_path / "转件.xlsx", {"转办件": (rows, [])})
    book = read_workbook(path)
    assert not forwarded.identify(book)
    assert error_of(forwarded.extract, book, ReadContext(TODAY)) == (
        "转件.xlsx：前10行里找不到上级转件清单的表头（需要有上级编号、转办编号、举报内容、问题描述等列）。"
        "请从上级系统重新导出，或在配置中补充列名。")


# --- telling the kinds apart ------------------------------------------------------------------

def test_classify_each_kind(tmp_path):
    sheet = fill(issue(tmp_path), CLOSED_ANSWERS)
    pairs = pairs_form(tmp_path / "联络单.xlsx")
    export_file = export(tmp_path / "转件.xlsx", [ROW])
    assert [classify(read_workbook(p)) for p in (sheet, pairs, export_file)] == [feedback, liaison, forwarded]
    claims = {p.name: [m.KIND for m in IMPORTERS if m.identify(read_workbook(p))]
              for p in (sheet, pairs, export_file)}
    assert claims == {SHEET_NAME: ["反馈表"], "联络单.xlsx": ["联络单"], "转件.xlsx": ["上级转件"]}


def test_export_with_feedback_columns_is_not_a_feedback_sheet(tmp_path):
    # An upstream export that also lists 办理状态, 处理结果 … in its header row.
    header = ["工单编号", "举报内容", "承办单位", "办理状态", "是否属实", "处理结果", "办结日期", "联系电话"]
    path = export(tmp_path / "转件.xlsx", [["SZ9", "噪声扰民。", "区城市管理局"]], header, title_rows=0)
    book = read_workbook(path)
    assert not feedback.identify(book)
    assert classify(book) is forwarded


def test_unrelated_spreadsheet_is_refused(tmp_path):
    path = write_book(tmp_path / "工资表.xlsx", {
        "Sheet1": ([["姓名", "部门", "工资"], ["张三", "办公室", 5000.5], [None, datetime(2026, 1, 1), True]], []),
        "空白": ([], []),
    })
    assert error_of(classify, read_workbook(path)) == (
        "工资表.xlsx：无法识别这是什么表格（不是反馈表、联络单，也不是上级转件清单）。"
        "请使用下发的反馈表或联络单模板填写后重新发送。")


def test_file_holding_two_kinds_is_refused(tmp_path):
    sheet = fill(issue(tmp_path), CLOSED_ANSWERS)
    wb = openpyxl.load_workbook(sheet)
    ws = wb.create_sheet("联络单")
    for row in PAIRS:
        ws.append(row)
    wb.save(sheet)
    assert error_of(classify, read_workbook(sheet)) == (
        f"{SHEET_NAME}：同时像反馈表和联络单，无法确定按哪一种处理。"
        "请把不同的表格分成单独的文件，分别重新发送。")


def test_no_feedback_sheet_in_file(tmp_path):
    path = pairs_form(tmp_path / "联络单.xlsx")
    assert error_of(feedback.extract, read_workbook(path), ReadContext(TODAY)) == (
        "联络单.xlsx：找不到反馈表（没有“反馈表”工作表，也没有哪个工作表含有反馈表的各栏）。"
        "请使用下发的反馈表填写后重新发送。")


def test_feedback_sheet_and_forwarded_list_in_one_file_is_refused(tmp_path):
    # Each reader decides alone: a forwarded list pasted into a returned feedback sheet is
    # claimed by both, and the clerk is asked to split the file rather than one being guessed.
    sheet = fill(issue(tmp_path), CLOSED_ANSWERS)
    wb = openpyxl.load_workbook(sheet)
    ws = wb.create_sheet("转办件")
    for row in [EXPORT_HEADER, ROW]:
        ws.append(row)
    wb.save(sheet)
    assert [m.KIND for m in IMPORTERS if m.identify(read_workbook(sheet))] == ["反馈表", "上级转件"]
    assert error_of(classify, read_workbook(sheet)) == (
        f"{SHEET_NAME}：同时像反馈表和上级转件，无法确定按哪一种处理。"
        "请把不同的表格分成单独的文件，分别重新发送。")


def test_every_fault_of_a_sheet_is_named_in_one_go(tmp_path):
    # Three empty answers: the unit is told of all three at once, not one per round trip.
    path = fill(issue(tmp_path), {**CLOSED_ANSWERS, "是否属实": None, "处理结果": None, "办结日期": None})
    assert error_of(feedback.extract, read_workbook(path), ReadContext(TODAY)).split("\n") == [
        f"{WHERE} B13（是否属实）：办理状态为“已办结”时必须填写是否属实，"
        "请从下拉列表选择 属实/部分属实/不属实 后重新发送。",
        f"{WHERE} B14（处理结果）：办理状态为“已办结”时必须填写此项，请写明处理结果后重新发送。",
        f"{WHERE} D15（办结日期）：办理状态为“已办结”时必须填写此项，"
        "请填写办结日期（例如 2026年12月3日）后重新发送。",
    ]


def test_a_12345_export_names_the_reporter_its_own_way(tmp_path):
    # 来电人姓名 / 来电人电话 must land in 举报人 / 联系方式, the columns that never leave.
    header = ["工单编号", "来电时间", "来电人姓名", "来电人电话", "诉求内容", "事发地点"]
    path = export(tmp_path / "12345.xlsx", [["GD-1", "2026-11-30 10:00", "张小明", "13900007777",
                                             "工地夜间施工无防护。", "东城街道人民路5号"]], header, title_rows=1)
    [case] = forwarded.extract(read_workbook(path), ReadContext(TODAY))
    assert case.values["举报人"] == "张小明" and case.values["联系方式"] == "13900007777"
    assert "张小明" not in str({k: v for k, v in case.values.items() if k not in ("举报人", "联系方式")})
