"""`init`: a new workspace with a commented config, an empty register a good office keeps, and
每日运行.bat, which the clerk double-clicks (or Task Scheduler starts) for the daily run."""

from __future__ import annotations

import shutil
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation

from tipdesk.domain.columns import (
    CATEGORIES, CATEGORY, CONTACT_COLUMNS, CONTACT_EXTRA_COLUMNS, CONTACTS_SHEET, DATE_COLUMNS,
    LONG_TEXT_COLUMNS, NO, OVERDUE, REGISTER_COLUMNS, REGISTER_SHEET, REPLIED, SOURCE, SOURCES, STATUS,
    STATUSES, VERIFIED, VERIFIED_VALUES, YES,
)
from tipdesk.config import Config, load_config
from tipdesk.config import PACKAGE_TEMPLATES
from tipdesk.output.views import view_edits
from tipdesk.xlsx.package import column_letter
from tipdesk.domain.columns import CALL_BACK_RESULT, CALL_BACK_RESULTS
from tipdesk.xlsx.patch import patch_workbook


DATE_FORMAT = "yyyy-mm-dd hh:mm"
WIDTHS = {"案件编号": 14, "受理时间": 17, "来源": 11, "上级编号": 14, "上级期限": 17, "举报人": 10,
          "联系方式": 14, "被举报单位": 22, "事发地址": 26, "所属镇街": 11, "行业领域": 11,
          "举报内容": 48, "类别": 7, "承办单位": 20, "交办文号": 18, "交办时间": 17, "办理期限": 17,
          "状态": 9, "催办记录": 30, "反馈时间": 17, "是否属实": 10, "处理结果": 36, "是否超期": 9,
          "回复举报人": 11, "备注": 36, "签收时间": 17, "回访时间": 17, "回访结果": 10, "上报时间": 17}
CHOICES = {SOURCE: SOURCES, CATEGORY: CATEGORIES, STATUS: STATUSES, VERIFIED: VERIFIED_VALUES,
           OVERDUE: (YES, NO), REPLIED: (YES, NO), CALL_BACK_RESULT: CALL_BACK_RESULTS}
# Where tipdesk itself is: the workspace's 每日运行.bat calls this checkout's run.bat.
TIPDESK_HOME = Path(__file__).resolve().parent.parent.parent
DAILY_BAT = "每日运行.bat"
# The batch file, with {tipdesk} the path of run.bat. UTF-8 with CRLF line endings: the
# console is switched to UTF-8 for its messages. /nopause is for Task Scheduler.
DAILY_BAT_TEXT = r"""@echo off
rem tipdesk daily run: double-click this file every morning, or let Task Scheduler start it
rem with /nopause (README, "Windows"). It runs run.bat daily on the config.yaml beside it.
setlocal EnableExtensions DisableDelayedExpansion
set "TIPDESK_CP="
for /f "tokens=2 delims=:" %%c in ('chcp') do set "TIPDESK_CP=%%c"
chcp 65001 >nul
rem ---- 以下两行可以用记事本修改：tipdesk 程序的 run.bat，和本工作区的配置文件 ----
set "TIPDESK={tipdesk}"
set "CONFIG=%~dp0config.yaml"
rem ------------------------------------------------------------------------------
set "WAIT=1"
if /i "%~1"=="/nopause" set "WAIT="
set "RC=1"
if not exist "%TIPDESK%" goto no_tipdesk
call "%TIPDESK%" daily --config "%CONFIG%"
set "RC=%errorlevel%"
echo.
if "%RC%"=="0" echo 完成。今天每次运行的汇总都在发件箱（outbox）当天日期文件夹的 每日汇总.txt 中，最新一次在最前面。
if "%RC%"=="1" echo 意外错误：见上面一行所说的日志文件，请发给维护人员。台账没有被写坏。
if "%RC%"=="2" echo 配置文件或台账有误：按上面的说明改正后，再双击本文件。
if "%RC%"=="3" echo 台账正被 Excel/WPS 打开，或另一次运行正在处理，本次什么也没改：请关闭台账后再双击本文件。
goto end

:no_tipdesk
echo 找不到 tipdesk 程序：%TIPDESK%
echo 请用记事本打开本文件，把 set "TIPDESK=..." 一行改为 tipdesk 文件夹中 run.bat 的位置。

:end
if defined WAIT pause
if defined TIPDESK_CP chcp %TIPDESK_CP% >nul
exit /b %RC%
"""


def daily_bat(tipdesk: str) -> bytes:
    """每日运行.bat calling the run.bat at `tipdesk` (a path, or %~dp0run.bat beside it)."""
    text = DAILY_BAT_TEXT.replace("{tipdesk}", tipdesk)
    return text.replace("\n", "\r\n").encode("utf-8")


HEADER_FONT = Font(name="宋体", bold=True, size=11)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="999999")
LAST_ROW = 1048576


def _header_row(ws, headers, widths) -> None:
    ws.append(list(headers))
    for index, name in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=index)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
        ws.column_dimensions[column_letter(index)].width = widths.get(name, 14)
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{column_letter(len(headers))}1"


def empty_register(units: list[tuple[str, str]]) -> Workbook:
    """The register with both sheets: headers, frozen row, filters, widths, formats, drop-downs."""
    wb = Workbook()
    ws = wb.active
    ws.title = REGISTER_SHEET
    _header_row(ws, REGISTER_COLUMNS, WIDTHS)
    for index, name in enumerate(REGISTER_COLUMNS, start=1):
        letter = column_letter(index)
        dimension = ws.column_dimensions[letter]
        # What the clerk types, and what tipdesk writes, sits at the top of its cell; long
        # text wraps (the daily run sizes the rows it writes to show a few lines).
        dimension.alignment = Alignment(vertical="top", wrap_text=name in LONG_TEXT_COLUMNS)
        if name in DATE_COLUMNS:
            dimension.number_format = DATE_FORMAT
        if name in CHOICES:
            rule = DataValidation(type="list", formula1='"' + ",".join(CHOICES[name]) + '"', allow_blank=True,
                                  showErrorMessage=True, errorTitle="输入有误",
                                  error=f"{name}只能选择：{'、'.join(CHOICES[name])}")
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(rule)
        if name in DATE_COLUMNS:
            rule = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                                  showErrorMessage=True, errorTitle="请输入日期",
                                  error=f"{name}请填写日期，例如 2026-12-03 14:30")
            rule.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(rule)
    contacts = wb.create_sheet(CONTACTS_SHEET)
    _header_row(contacts, CONTACT_COLUMNS + CONTACT_EXTRA_COLUMNS,
                {"单位": 22, "电子邮箱": 24, "更新时间": 17, "科长邮箱": 24, "分管领导邮箱": 24})
    contacts.column_dimensions[column_letter(CONTACT_COLUMNS.index("更新时间") + 1)].number_format = DATE_FORMAT
    for name, kind in units:
        contacts.append([name, kind] + [None] * 7 + ["未报送", None])
    wb.properties.creator = "tipdesk"
    return wb


def init_workspace(folder: Path) -> list[str]:
    """Create what is missing in `folder`; never overwrites an existing file. Returns what was made."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    config_path = folder / "config.yaml"
    if not config_path.exists():
        shutil.copyfile(PACKAGE_TEMPLATES / "config.yaml", config_path)
        made.append(str(config_path))
    config = load_config(config_path)
    for path in (config.inbox, config.outbox):
        if not path.exists():
            path.mkdir(parents=True)
            made.append(str(path) + "/")
    # The office's own copies of every document a person receives: the Word templates (wording
    # and layout changed in Word or WPS) and the mail subjects and bodies (in Notepad). A file
    # here wins over the package's; one a later tipdesk adds comes from the package until then.
    for source in sorted([*PACKAGE_TEMPLATES.glob("*.docx"), *(PACKAGE_TEMPLATES / "mail").glob("*.j2")]):
        target = folder / "templates" / source.relative_to(PACKAGE_TEMPLATES)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            made.append(str(target))
    bat = folder / DAILY_BAT
    if not bat.exists():
        # A % in the path would be read by cmd.exe as a variable.
        bat.write_bytes(daily_bat(str(TIPDESK_HOME / "run.bat").replace("%", "%%")))
        made.append(str(bat))
    if not config.register.exists():
        config.register.parent.mkdir(parents=True, exist_ok=True)
        write_empty_register(config)
        made.append(str(config.register))
    return made


def write_empty_register(config: Config) -> None:
    """The empty register, with the views daily keeps current (drop-downs from config, print
    setup) put in the way daily does it: as edits of the saved package."""
    draft = config.register.with_name(config.register.name + ".draft")
    empty_register([(u.name, u.type) for u in config.units]).save(draft)
    try:
        patch_workbook(draft, config.register, {}, edits=view_edits(config))
    finally:
        draft.unlink(missing_ok=True)
