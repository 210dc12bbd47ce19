"""Command line: thin wiring from arguments to the library. Everything it shows is Chinese:
argparse's own words (usage, option headings, errors) are translated while it runs, output
never fails on a console or log that cannot show a character (a GBK console on Chinese
Windows), and an unexpected error ends with one line naming the log file that holds the
technical detail, never with a traceback on screen."""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import re
import sqlite3
import sys
import traceback
import unicodedata
import warnings
from datetime import datetime
from pathlib import Path
from typing import Iterator

from tipdesk.domain.errors import EXIT_UNEXPECTED, EXIT_USAGE, TipdeskError
from tipdesk.domain.launcher import RUN
from tipdesk.store.files import write_error_log

DESCRIPTION = f"""tipdesk：安全生产举报受理处置台账自动化。

每天早上运行一次 {RUN} daily：给新案件编号、分类、交办、计算办理期限，
更新台账，并在 outbox/当天日期/ 下生成每日汇总。"""

EPILOG = f"""例子：
  {RUN} init 我的工作区              创建工作区（配置文件、空台账、收发件箱）
  {RUN} daily --config 我的工作区/config.yaml
  {RUN} daily --dry-run              只显示将要做的修改，不改任何文件
  {RUN} daily --now "2026-12-03 08:30"
  {RUN} letter AJ2026-0015           补发某案件的交办单和反馈表（文号不变）
  {RUN} liaison                      下发空白联络单，列出未报送的单位
  {RUN} report --month 2026-11       月度通报（--quarter 2026-Q4、--year 2026）
  {RUN} archive --year 2025          每年 1 月：把上一年已办结的案件移入归档台账
  {RUN} fetch                        从指挥中心邮箱取回单位回复的邮件，附件存入 inbox/
  {RUN} watch                        值守：工作日定时运行，每小时检查紧急、事故类期限
  {RUN} check                        检查配置和台账
  {RUN} calendar                     各年份的工作日历来源、放假和调休上班日
  {RUN} calendar import 通知.docx    导入国务院办公厅的节假日安排通知
  {RUN} demo                         在 demo/ 下生成示例并运行一次

退出码：0 完成；2 用法或配置有误；3 台账被打开或另一运行占用（未做任何修改）；1 意外错误。"""

# argparse's messages (it looks each up through gettext when it builds a parser and when it
# reports an error), in Chinese. A message not listed here stays as argparse wrote it.
ARGPARSE_WORDS = {
    "usage: ": "用法：",
    "positional arguments": "参数",
    "options": "选项",
    "optional arguments": "选项",
    "show this help message and exit": "显示本说明并退出",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s：%(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "“%(value)s”无效，可选的有 %(choices)s",
    "the following arguments are required: %s": "缺少 %s",
    "one of the arguments %s is required": "须指定 %s 之一",
    "expected one argument": "后面要写一个值",
    "expected at most one argument": "后面最多写一个值",
    "expected at least one argument": "后面至少要写一个值",
    "expected %s argument": "后面要写 %s 个值",
    "expected %s arguments": "后面要写 %s 个值",
    "unrecognized arguments: %s": "无法识别 %s",
    "not allowed with argument %s": "不能与 %s 同时使用",
    "ambiguous option: %(option)s could match %(matches)s": "%(option)s 不明确，可能是 %(matches)s",
    "invalid %(type)s value: %(value)r": "“%(value)s”无效",
    "ignored explicit argument %r": "不需要值 %r",
    "unexpected option string: %s": "无法识别 %s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：%(message)s\n",
}


@contextlib.contextmanager
def chinese_argparse() -> Iterator[None]:
    """argparse speaking Chinese while parsers are built and arguments parsed."""
    saved = argparse._, argparse.ngettext

    def gettext(message: str) -> str:
        return ARGPARSE_WORDS.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    argparse._, argparse.ngettext = gettext, ngettext
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def _wide(text: str) -> int:
    """How many characters of `text` take two columns on a console (Chinese ones)."""
    return sum(1 for ch in text if unicodedata.east_asian_width(ch) in "WF")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Chinese headings ("用法：", "选项："), and help columns lined up although a Chinese
    metavar takes two console columns a character (argparse counts one)."""

    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def add_argument(self, action):
        super().add_argument(action)
        if action.help is not argparse.SUPPRESS:
            invocation = self._format_action_invocation(action)
            self._action_max_length = max(self._action_max_length,
                                          len(invocation) + _wide(invocation) + self._current_indent)

    def _format_action(self, action):
        text = super()._format_action(action)
        invocation = self._format_action_invocation(action)
        head = " " * self._current_indent + invocation
        extra = _wide(invocation)
        if extra and text.startswith(head) and text[len(head):len(head) + extra + 2].strip(" ") == "":
            text = head + text[len(head) + extra:]
        return text

    def format_help(self):
        text = super().format_help()
        return re.sub(r"^(\S[^\n]*):\n", r"\1：\n", text, flags=re.M)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # argparse's own words are English; say it in Chinese
        self.print_usage(sys.stderr)
        sys.stderr.write(f"参数有误：{message}。运行 {self.prog} --help 查看用法。\n")
        sys.exit(EXIT_USAGE)


def _now(text: str | None) -> datetime:
    if not text:
        return datetime.now().replace(microsecond=0)
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            pass
    raise TipdeskError(f"--now“{text}”格式有误，应为 \"YYYY-MM-DD HH:MM\"，例如 \"2026-12-03 08:30\"。", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    with chinese_argparse():
        return _build_parser()


def _build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default="config.yaml", type=Path, metavar="配置文件",
                        help="配置文件（默认为当前文件夹中的 config.yaml）")
    common.add_argument("--now", metavar="时间",
                        help='本次运行的时间，例如 "2026-12-03 08:30"（默认为当前时间）')
    changes = argparse.ArgumentParser(add_help=False)
    changes.add_argument("--dry-run", action="store_true", help="只显示计划，不修改任何文件")

    parser = _Parser(prog=RUN, description=DESCRIPTION, epilog=EPILOG)
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    p = sub.add_parser("init", parents=[common], help="创建工作区",
                       description="创建工作区：带中文注释的 config.yaml、格式化的空台账、inbox/、outbox/，"
                                   "以及双击即可运行每日处理的 每日运行.bat。已有的文件不会被覆盖。",
                       epilog=f"例子：{RUN} init 我的工作区")
    p.add_argument("folder", type=Path, metavar="文件夹", help="工作区文件夹")
    p = sub.add_parser("daily", parents=[common, changes], help="每日运行：编号、分类、交办、期限、汇总",
                       description="每日运行：读取台账，给新案件编号、建议类别、确定承办单位、"
                                   "计算办理期限，安全写回台账并生成每日汇总。",
                       epilog=f'例子：{RUN} daily --now "2026-12-03 08:30" --dry-run')
    p.add_argument("--accept-register", action="store_true",
                   help="上次运行写入的案件或反馈已不在台账中、且确是有意删除时使用：本次照常运行")
    p = sub.add_parser("letter", parents=[common, changes], help="补发某案件的交办单和反馈表",
                       description="补发丢失的交办单（文号不变）和一张新的反馈表，放在 outbox/当天日期/承办单位/ 下。",
                       epilog=f"例子：{RUN} letter AJ2026-0015")
    p.add_argument("case_id", metavar="案件编号", help="案件编号，例如 AJ2026-0015")
    sub.add_parser("liaison", parents=[common, changes], help="下发空白联络单，列出未报送的单位",
                   description="为每个承办单位在 outbox/当天日期/联络单/ 生成预填单位名称的空白联络单，"
                               "并列出尚未报送联络单的单位。",
                   epilog=f"例子：{RUN} liaison")
    p = sub.add_parser("report", parents=[common, changes], help="通报：某月、季度或年度的汇总分析",
                       description="从台账统计某一期间的受理处置情况，在 outbox/当天日期/ 生成 Word 通报和 Excel 附件。",
                       epilog=f"例子：{RUN} report --month 2026-11；{RUN} report --quarter 2026-Q4；"
                              f"{RUN} report --year 2026")
    period = p.add_mutually_exclusive_group(required=True)
    period.add_argument("--month", metavar="年-月", help="月度通报，例如 2026-11")
    period.add_argument("--quarter", metavar="年-季度", help="季度通报，例如 2026-Q4")
    period.add_argument("--year", metavar="年", help="年度通报，例如 2026")
    p = sub.add_parser("archive", parents=[common, changes], help="归档：把某年已办结的案件移入归档台账",
                       description="把某一年受理、已经办结（已办结、不予受理、已转办、已并案）的案件从台账移到台账旁边的"
                                   "归档台账（台账名-YYYY年归档.xlsx，列和格式与台账相同）。案件编号不变、不会再用；"
                                   "统计表、通报、letter 照常计入和查找归档的案件。该年还有未办结的案件时不归档，并列出这些案件。"
                                   "每年 1 月归档上一年。",
                       epilog=f"例子：{RUN} archive --year 2025 --dry-run；{RUN} archive --year 2025")
    p.add_argument("--year", required=True, type=int, metavar="年", help="要归档的年份，例如 2025")
    sub.add_parser("fetch", parents=[common], help="从指挥中心邮箱（mail.imap）取回单位回复，附件存入 inbox/",
                   description="登录 mail.imap 配置的邮箱，读取 folder 中的新邮件：附件中的表格存入 inbox/"
                               "（记下发件人、日期和 Message-ID），回复交办邮件的记为签收，退信把该地址标为有误；"
                               "取过的邮件移到 done_folder，从不删除；没有表格也不涉及案件的邮件留在原处。"
                               "每封邮件只取一次。daily 和 watch 每次运行时会先自动做这一步。",
                   epilog=f"例子：{RUN} fetch --config 我的工作区/config.yaml（密码在环境变量 TIPDESK_IMAP_PASSWORD 中）")
    sub.add_parser("watch", parents=[common], help="值守：工作日定时运行每日处理，每小时检查紧急、事故类期限",
                   description="常驻运行：工作日在 watch.daily_at（默认 08:30）运行每日处理，"
                               "每小时整点检查紧急类、事故类期限并发送提醒。按 Ctrl+C 停止。",
                   epilog=f"例子：{RUN} watch --config 我的工作区/config.yaml")
    p = sub.add_parser("calendar", parents=[common, changes], help="工作日历：查看各年份来源，导入节假日安排通知",
                       description="不带参数：列出去年、今年、明年（及已导入年份）的工作日历来源、放假日和调休上班日。\n"
                                   "import 文件：读取国务院办公厅关于某年部分节假日安排的通知（.txt 或 .docx），"
                                   "核对每个日期的星期，显示读到的安排并保存到工作区 calendar/ 文件夹；"
                                   "同一年份再次导入会替换原来的。",
                       epilog=f"例子：{RUN} calendar；{RUN} calendar import 国务院办公厅关于2027年部分节假日安排的通知.docx")
    p.add_argument("action", nargs="?", choices=["import"], metavar="import", help="导入通知")
    p.add_argument("file", nargs="?", type=Path, metavar="通知文件", help="通知文件（.txt 或 .docx）")
    sub.add_parser("check", parents=[common], help="检查配置和台账，不做修改",
                   description="检查配置文件、台账和模板，用中文指出有误的配置项、单元格或模板。",
                   epilog=f"例子：{RUN} check --config 我的工作区/config.yaml")
    p = sub.add_parser("demo", parents=[common, changes], help="生成示例工作区并运行一次",
                       description="在 demo/ 下生成一个示例工作区（几十件各类案件），并运行 daily。",
                       epilog=f"例子：{RUN} demo")
    p.add_argument("--folder", type=Path, default=Path("demo"), metavar="文件夹",
                   help="示例工作区文件夹（默认 demo/）")
    return parser


def _safe_output() -> None:
    """A character the console or log cannot show (a GBK console, output redirected to a file
    on Chinese Windows) becomes "?" instead of stopping the run after the register was written."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


def _log_folder(argv: list[str]) -> Path:
    """Where an unexpected error is logged: the workspace of --config (or of init's folder)."""
    for flag in ("--config",):
        for i, arg in enumerate(argv):
            if arg == flag and i + 1 < len(argv):
                return Path(argv[i + 1]).expanduser().resolve().parent
            if arg.startswith(flag + "="):
                return Path(arg.split("=", 1)[1]).expanduser().resolve().parent
    return Path.cwd()


def unexpected(argv: list[str]) -> int:
    """One Chinese line naming the log file with the traceback; exit status 1."""
    now = datetime.now()
    detail = (f"tipdesk 意外错误 {now:%Y-%m-%d %H:%M:%S}\n命令：{' '.join(argv)}\n"
              f"Python {sys.version}\n\n{traceback.format_exc()}")
    try:
        path = write_error_log(_log_folder(argv), now, detail)
    except OSError:
        sys.stderr.write(detail)
        path = None
    where = f"详细信息已保存到 {path}" if path else "详细信息见上"
    print(f"意外错误，本次运行已停止：{where}，请把该文件发给维护人员。台账只在完整校验后才会被替换，不会被写坏。",
          file=sys.stderr)
    return EXIT_UNEXPECTED


# What the file system says when the disk or the user's quota is full, or a file grew past
# what it allows: the clerk can act on these, so they get a Chinese line, not a log to send.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM, errno.EROFS}


def environment_error(exc: Exception) -> int | None:
    """A full disk or a place that cannot be written, met after the checks at the start
    (SQLite says so in words: "database or disk is full")."""
    filename, number = getattr(exc, "filename", None), getattr(exc, "errno", None)
    if isinstance(exc, sqlite3.OperationalError) and "disk is full" in str(exc):
        filename, number = "工作记录（journal）", errno.ENOSPC
    where = f"写入 {filename} 时" if filename else "写入文件时"
    if number in _FULL:
        what = "磁盘空间已满（或超出了配额）"
    elif number in _DENIED:
        what = "没有写入权限（文件或文件夹是只读的）"
    else:
        return None
    print(f"错误：{where}失败：{what}，本次运行已停止。台账只在完整校验后才会被替换，不会被写坏；"
          f"请清理磁盘空间或开放写入权限后重新运行，已做完的部分下次会识别出来。", file=sys.stderr)
    return EXIT_UNEXPECTED


def main(argv: list[str] | None = None) -> int:
    _safe_output()
    # Libraries' warnings (openpyxl about a WPS extension, say) are English and not the clerk's
    # to act on.
    warnings.simplefilter("ignore")
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    with chinese_argparse():
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return EXIT_USAGE
    try:
        return _dispatch(args)
    except TipdeskError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return EXIT_UNEXPECTED
    except BrokenPipeError:  # the output went to a program that stopped reading (| more)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_UNEXPECTED
    except (OSError, sqlite3.OperationalError) as exc:
        code = environment_error(exc)
        return unexpected(argv) if code is None else code
    except Exception:
        return unexpected(argv)


def _dispatch(args: argparse.Namespace) -> int:
    from tipdesk.config import load_config

    now = _now(args.now)
    if args.command == "init":
        from tipdesk.commands.init import init_workspace

        made = init_workspace(args.folder)
        print("已创建：\n  " + "\n  ".join(made) if made else "工作区已存在，没有需要创建的文件。")
        print(f"下一步：在台账中登记举报，然后双击工作区中的 每日运行.bat，"
              f"或运行 {RUN} daily --config \"{args.folder / 'config.yaml'}\"")
        return 0
    if args.command == "demo":
        from tipdesk.commands.demo import run_demo

        return run_demo(args.folder, now, dry_run=args.dry_run)
    config = load_config(args.config)
    if args.command == "daily":
        from tipdesk.commands.daily import run_daily

        run_daily(config, now, dry_run=args.dry_run, accept_register=args.accept_register)
        return 0
    if args.command == "letter":
        from tipdesk.commands.letter import reissue

        issued = reissue(config, args.case_id.strip(), now, dry_run=args.dry_run)
        if issued:
            print(f"已补发 {issued.case_id}（{issued.letter_no}）：\n  {issued.letter}\n  {issued.sheet}")
        return 0
    if args.command == "liaison":
        from tipdesk.commands.liaison import run_liaison

        return run_liaison(config, now, dry_run=args.dry_run)
    if args.command == "report":
        from tipdesk.commands.report import run_report

        run_report(config, args.month or args.quarter or args.year, now, dry_run=args.dry_run)
        return 0
    if args.command == "archive":
        from tipdesk.commands.archive import run_archive

        run_archive(config, args.year, now, dry_run=args.dry_run)
        return 0
    if args.command == "fetch":
        from tipdesk.commands.fetch import run_fetch

        return run_fetch(config, now)
    if args.command == "watch":
        from tipdesk.commands.daily import run_daily, run_hourly
        from tipdesk.commands.watch import watch

        quiet = lambda _text: None  # noqa: E731 - the watch logs one line per pass instead

        def daily(at: datetime) -> str:
            return run_daily(config, at, echo=quiet).summary.splitlines()[2]

        return watch(config, daily, lambda at: run_hourly(config, at, echo=quiet))
    if args.command == "calendar":
        from tipdesk.commands.calendar import run_calendar, run_calendar_import

        if args.action == "import":
            if args.file is None:
                raise TipdeskError("请写出要导入的通知文件，例如 ./run calendar import 通知.docx。", EXIT_USAGE)
            return run_calendar_import(config, args.file, now, dry_run=args.dry_run)
        if args.file is not None:
            raise TipdeskError(f"“{args.file}”：要导入通知请写 ./run calendar import {args.file}。", EXIT_USAGE)
        return run_calendar(config, now)
    if args.command == "check":
        from tipdesk.commands.check import run_check

        return run_check(config, now)
    raise AssertionError(args.command)
