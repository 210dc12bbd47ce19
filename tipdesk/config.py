"""Read config.yaml once into typed settings for every section; every error names the key.

`load_config` is the only reader of the YAML (tests/test_layers.py holds that): `check` and
every command get the same `Config`, so a config `check` passes is one `daily` accepts.
Sections: centre, paths (register, inbox, outbox, journal, backups), case_number,
letter_number, deadlines, calendar, category_keywords, category_ignore, industries, routing,
liaison, forwarded, mail, reminders, watch, duplicates, documents, units. An absent section means its
defaults; an unknown key is refused (a typo would otherwise be silently ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import ACCIDENT, REGISTER_COLUMNS, URGENT
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.holidays import HolidaySchedule, config_dates, parse_notice
from tipdesk.domain.places import Place, parse_place
from tipdesk.domain.textnorm import is_email_address
from tipdesk.domain.launcher import RUN

# The package's own templates, copied into a workspace by `init`; used where a workspace has none.
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# Imported holiday notices live in the workspace, one text file a year: calendar/2027.txt.
NOTICE_FOLDER = "calendar"

ROUTING_STEPS = ("clerk", "industry", "territory")
MAIL_MODES = ("outbox", "smtp")
SECURITIES = ("ssl", "starttls", "none")
DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
DEFAULT_PASSWORD_ENV = "TIPDESK_SMTP_PASSWORD"
DEFAULT_IMAP_PASSWORD_ENV = "TIPDESK_IMAP_PASSWORD"
IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
DEFAULT_ESCALATION_NUMBER = "安举督〔{year}〕{n}号"
DEFAULT_NOTICE_NUMBER = "安举函〔{year}〕{n}号"
# The notice's own addressees, the bulletin's 主送机关 unless config says otherwise.
DEFAULT_RECIPIENTS = "机关各部门、四街一镇、直属事业单位"
FONT_KEYS = ("title", "body", "heading", "letterhead", "page_number")

# Every key config.yaml may hold, by section; a key not listed is a typo and is refused.
KNOWN_KEYS: dict[str, tuple[str, ...] | None] = {
    "centre": ("name", "short_name", "phone", "address", "email"),
    "register": None, "inbox": None, "outbox": None, "journal": None,
    "backups": ("folder", "keep"),
    "case_number": ("prefix", "digits"),
    "letter_number": ("prefix",),
    "deadlines": ("urgent_hours", "general_working_days", "accident_verify_hours",
                  "accident_followup_days", "upstream_margin_working_days"),
    "calendar": ("extra_holidays", "extra_workdays"),
    "category_keywords": None, "category_ignore": None, "industries": None,
    "routing": ("order",),
    "liaison": ("deadline",),
    "forwarded": ("columns",),
    "mail": ("mode", "from_address", "from_name", "smtp", "imap"),
    "reminders": ("warning_working_days", "warning_hours", "escalate_after_working_days",
                  "send_from", "escalation_number"),
    "watch": ("daily_at",),
    "notices": ("number",),
    "acknowledge": ("urgent_hours", "general_working_days"),
    "duplicates": ("window_days",),
    "documents": ("issuer", "letterhead", "bulletin_recipients", "fonts"),
    "units": None,
}
SMTP_KEYS = ("host", "port", "security", "user", "password_env", "ca_file", "timeout")
IMAP_KEYS = ("host", "port", "security", "user", "password_env", "folder", "done_folder", "sent_folder",
             "ca_file", "timeout")
UNIT_KEYS = ("name", "type", "aliases", "industries", "areas", "office")


@dataclass(frozen=True)
class Unit:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    office: dict[str, str] = field(default_factory=dict)
    places: tuple[Place, ...] = ()   # `areas` read: place words and roads with house-number ranges


@dataclass(frozen=True)
class Deadlines:
    urgent_hours: int = 24
    general_working_days: int = 7
    accident_verify_hours: int = 24
    accident_followup_days: int = 60
    upstream_margin_working_days: int = 1


@dataclass(frozen=True)
class Ladder:
    """`reminders:`: when 预警, 催办 and 督办 go out, and how 督办通知 are numbered."""

    warning_working_days: int = 1
    warning_hours: int = 4
    escalate_after_working_days: int = 2
    send_from: time = time(8, 0)
    escalation_number: str = DEFAULT_ESCALATION_NUMBER

    def number(self, year: int, n: int) -> str:
        return self.escalation_number.format(year=year, n=n)


@dataclass(frozen=True)
class Fonts:
    """`documents.fonts`: the fonts of letters, notices and bulletins, by role. The defaults are
    on every Chinese Windows (GB/T 9704's 方正小标宋简体 and 仿宋_GB2312 are not)."""

    title: str = "宋体"        # 标题 二号; bold unless a 小标宋 face (heavy by itself)
    body: str = "仿宋"         # 正文 三号, tables
    heading: str = "黑体"      # 一级标题 “一、”, table captions
    letterhead: str = "宋体"   # 版头: the issuing office in red
    page_number: str = "宋体"  # “— 1 —”


@dataclass(frozen=True)
class DocumentSettings:
    """`documents:`: what every Word document a person receives shares: the red 版头 (issuing
    office and red rule, GB/T 9704), the bulletin's addressees, the fonts, and where the Word
    templates are (the workspace's templates/ first, then the package's)."""

    issuer: str = ""
    letterhead: bool = True
    bulletin_recipients: str = DEFAULT_RECIPIENTS
    fonts: Fonts = Fonts()
    folders: tuple[Path, ...] = (PACKAGE_TEMPLATES,)

    def letterhead_for(self, centre_name: str) -> str:
        """The issuing office printed in the red 版头, or "" when the office prints on
        letterhead paper (`documents.letterhead: false`)."""
        return (self.issuer or centre_name) if self.letterhead else ""

    def template(self, name: str) -> Path:
        """The office's own copy of template `name` if it has one, else the built-in one."""
        for folder in self.folders:
            if (folder / name).is_file():
                return folder / name
        return self.folders[-1] / name


@dataclass(frozen=True)
class SmtpSettings:
    host: str = ""
    port: int = 465
    security: str = "ssl"
    user: str = ""
    password_env: str = DEFAULT_PASSWORD_ENV
    ca_file: Path | None = None
    timeout: int = 30


@dataclass(frozen=True)
class ImapSettings:
    """`mail.imap`: the centre's mailbox units reply to; no host means no mail intake."""

    host: str = ""
    port: int = 993
    security: str = "ssl"
    user: str = ""
    password_env: str = DEFAULT_IMAP_PASSWORD_ENV
    folder: str = "INBOX"
    done_folder: str = "tipdesk已处理"
    # Where the clerk's Outlook/Foxmail keeps what it sent: an .eml found there was really
    # sent (outbox mode). Empty: not looked for.
    sent_folder: str = ""
    ca_file: Path | None = None
    timeout: int = 60

    @property
    def enabled(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class MailSettings:
    """`mail:`: absent means .eml files in the outbox, from the centre's own address."""

    mode: str = "outbox"
    from_address: str = ""
    from_name: str = ""
    smtp: SmtpSettings = SmtpSettings()
    imap: ImapSettings = ImapSettings()
    centre: Mapping[str, str] = field(default_factory=dict)
    templates: tuple[Path, ...] = (PACKAGE_TEMPLATES / "mail",)
    # What mails and the 督办通知 they carry say about deadlines, and how documents look.
    deadlines: Deadlines = Deadlines()
    documents: DocumentSettings = DocumentSettings()


@dataclass(frozen=True)
class AcknowledgeSettings:
    """`acknowledge:`: how long a unit may leave a referral unacknowledged (签收)."""

    urgent_hours: int = 2
    general_working_days: int = 1


@dataclass(frozen=True)
class WatchSettings:
    daily_at: time = time(8, 30)


@dataclass(frozen=True)
class LiaisonSettings:
    """`liaison.deadline`: the yearly day liaison forms are due (default the notice's 1月24日)."""

    month: int = 1
    day: int = 24

    def due(self, year: int) -> date:
        return date(year, self.month, self.day)

    @property
    def text(self) -> str:
        return f"{self.month}月{self.day}日"

    def next_due(self, day: date) -> date:
        """The first deadline on or after `day`: what a form issued that day is due by."""
        due = self.due(day.year)
        return due if day <= due else self.due(day.year + 1)

    def governing(self, day: date, started: date | None = None) -> date:
        """The deadline whose passing, on `day`, makes a unit without a form its office's.

        This year's; but a desk that `started` (its first run) nearer to the next deadline than
        to the last one (a workspace made in December) waits for that next one: its units have
        not been asked yet."""
        due = self.due(day.year)
        if started is None:
            return due
        last, following = self.due(started.year), self.due(started.year + 1)
        if started < last:
            last, following = self.due(started.year - 1), last
        first = following if (following - started) < (started - last) else last
        return max(due, first)


@dataclass
class Config:
    path: Path
    root: Path
    centre: dict[str, str]
    register: Path
    inbox: Path
    outbox: Path
    journal: Path
    backup_folder: Path
    backup_keep: int
    case_prefix: str
    case_digits: int
    letter_prefix: str
    deadlines: Deadlines
    extra_holidays: tuple[date, ...]
    extra_workdays: tuple[date, ...]
    category_keywords: dict[str, tuple[str, ...]]
    category_ignore: tuple[str, ...]
    industries: dict[str, tuple[str, ...]]
    routing_order: tuple[str, ...]
    duplicate_window_days: int
    units: tuple[Unit, ...]
    liaison: LiaisonSettings = LiaisonSettings()
    forwarded_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    mail: MailSettings = MailSettings()
    reminders: Ladder = Ladder()
    watch: WatchSettings = WatchSettings()
    notices: dict[int, HolidaySchedule] = field(default_factory=dict)
    notice_number: str = DEFAULT_NOTICE_NUMBER  # 撤回, 批复, 重新办理: the centre's numbered letters
    acknowledge: AcknowledgeSettings = AcknowledgeSettings()
    documents: DocumentSettings = DocumentSettings()

    @property
    def notice_folder(self) -> Path:
        return self.root / NOTICE_FOLDER

    @property
    def cache(self) -> Path:
        """Derived data that may be deleted at any time (store/cache.py), beside the journal
        and named after it (tipdesk.sqlite3 -> tipdesk-cache.sqlite3)."""
        return self.journal.with_name(f"{self.journal.stem}-cache{self.journal.suffix or '.sqlite3'}")

    def day_folder(self, now: datetime) -> Path:
        """outbox/YYYY-MM-DD: the day's letters, mails and summary."""
        return self.outbox / f"{now:%Y-%m-%d}"

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(self.extra_holidays, self.extra_workdays, self.notices)

    def unit_named(self, name: str) -> Unit | None:
        """The unit whose name or alias is `name` (spaces ignored)."""
        return self._unit_index().get(_squash(name))

    def _unit_index(self) -> dict[str, Unit]:
        index = getattr(self, "_index", None)
        if index is None:
            index = {}
            for unit in self.units:
                for alias in (unit.name, *unit.aliases):
                    index[_squash(alias)] = unit
            self._index = index
        return index


def _squash(text: str) -> str:
    return "".join(str(text).split())


class _Reader:
    """Typed reads of the YAML mapping by full key ("mail.smtp.port"); each failure is a
    TipdeskError (exit 2) that starts with the file's name and names the key."""

    def __init__(self, path: Path, data: Mapping[str, Any]):
        self.path = path
        self.data = data

    def fail(self, key: str, what: str) -> TipdeskError:
        return TipdeskError(f"{self.path.name}：配置项 {key} {what}", EXIT_USAGE)

    def get(self, key: str, default: Any = None) -> Any:
        node: Any = self.data
        parts = key.split(".")
        for depth, part in enumerate(parts):
            if not isinstance(node, dict):
                raise self.fail(".".join(parts[:depth]), "应为“键: 值”形式的一组配置项。")
            if node.get(part) is None:
                return default
            node = node[part]
        return node

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def section(self, key: str, known: Iterable[str] | None) -> None:
        """`key` is absent or a mapping holding only `known` keys."""
        node = self.get(key)
        if node is None or known is None:
            return
        if not isinstance(node, dict):
            raise self.fail(key, "应为“键: 值”形式的一组配置项。")
        for name in node:
            if name not in known:
                raise self.fail(f"{key}.{name}", f"无法识别（可用的有：{'、'.join(known)}），请检查拼写。")

    def text(self, key: str, default: str | None = "") -> str:
        value = self.get(key, default)
        if value is None:
            raise self.fail(key, "缺失，请填写。")
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(key, f"应为文字，现为“{value}”。")
        return str(value).strip()

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.get(key, default)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"应为整数，现为“{value}”。")
        if value < minimum or (maximum is not None and value > maximum):
            upper = f"、不大于 {maximum} " if maximum is not None else " "
            raise self.fail(key, f"应为不小于 {minimum}{upper}的整数，现为“{value}”。")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """true / false (YAML), also written 是 / 否."""
        value = self.get(key, default)
        if isinstance(value, str) and value.strip() in ("是", "否"):
            return value.strip() == "是"
        if not isinstance(value, bool):
            raise self.fail(key, f"应为 true 或 false，现为“{value}”。")
        return value

    def choice(self, key: str, default: str, options: Iterable[str]) -> str:
        options = tuple(options)
        value = self.text(key, default).lower()
        if value not in options:
            raise self.fail(key, f"应为 {' 或 '.join(options)}，现为“{value}”。")
        return value

    def clock(self, key: str, default: str) -> time:
        """A time of day written "08:30". YAML 1.1 reads an unquoted 8:30 as the number 510
        (base 60), so such a number is turned back into the time it was written as."""
        value = self.get(key, default)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return time(value // 60, value % 60)
        try:
            hours, minutes = str(value).strip().replace("：", ":").split(":")
            return time(int(hours), int(minutes))
        except ValueError:
            raise self.fail(key, f"应为时间，例如 \"08:30\"，现为“{value}”。")

    def words(self, key: str, value: Any = None) -> tuple[str, ...]:
        value = self.get(key, []) if value is None else value
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise self.fail(key, "应为列表，例如 [甲, 乙]。")
        return tuple(str(v).strip() for v in value if str(v).strip())

    def dates(self, key: str) -> tuple[date, ...]:
        """A list of days: dates, "2027年1月1日", or ranges "2027-01-01..2027-01-03"."""
        out: list[date] = []
        values = self.get(key, []) or []
        if not isinstance(values, list):
            values = [values]
        for i, value in enumerate(values):
            try:
                out += config_dates(value)
            except ValueError:
                raise self.fail(f"{key}[{i + 1}]", f"“{value}”不是日期，请写成 2027-01-01、2027年1月1日 "
                                                   "或 2027-01-01..2027-01-03（一段日期）的形式。")
        return tuple(out)

    def path_of(self, key: str, default: str, root: Path) -> Path:
        return (root / self.text(key, default)).resolve()


_FULL_WIDTH_COLON = re.compile(r"^\s*[\w.\-]+\s*：")
_DATE_LIKE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def _yaml_problem(text: str, exc: yaml.YAMLError) -> str:
    """What is wrong, in Chinese, at the line a clerk has to look at (PyYAML's own words are
    English and often point at the line after the mistake)."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if "\t" in line[: len(line) - len(line.lstrip())]:
            return f"第 {number} 行用 Tab 键缩进了；config.yaml 只能用空格缩进，请把 Tab 换成空格。"
        if _FULL_WIDTH_COLON.match(line):
            return f"第 {number} 行用了中文冒号“：”，请改为英文冒号“:”并在后面加一个空格。"
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return "格式有误（注意冒号后要有空格、缩进要对齐、引号和括号要成对）。"
    shown = lines[mark.line].strip() if mark.line < len(lines) else ""
    return (f"第 {mark.line + 1} 行附近格式有误（注意冒号后要有空格、缩进要对齐、引号和括号要成对）"
            f"{f'：“{shown}”' if shown else ''}。")


def _bad_date(text: str) -> str:
    for number, line in enumerate(text.splitlines(), start=1):
        for found in _DATE_LIKE.finditer(line.split("#")[0]):
            try:
                date(*map(int, found.groups()))
            except ValueError:
                return f"第 {number} 行有无效的日期“{found.group(0)}”（没有这一天），"
    return "有无效的日期，"


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise TipdeskError(
            f"{path}：找不到配置文件。请先运行 {RUN} init 文件夹 创建工作区，"
            "或用 --config 指定配置文件。", EXIT_USAGE)
    try:
        text = path.read_text(encoding="utf-8-sig")
        # libyaml's loader when PyYAML has it: a tenth of the pure-Python one's time, every run.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except yaml.YAMLError as exc:
        raise TipdeskError(f"{path.name}：{_yaml_problem(text, exc)}", EXIT_USAGE)
    except UnicodeDecodeError:
        raise TipdeskError(f"{path.name}：不是 UTF-8 编码的文本，请用记事本另存为 UTF-8。", EXIT_USAGE)
    except ValueError:  # PyYAML builds dates itself: 2027-13-01 fails here, not as YAMLError
        raise TipdeskError(f"{path.name}：{_bad_date(text)}请按 2027-01-01 的形式填写。", EXIT_USAGE)
    if not isinstance(data, dict):
        raise TipdeskError(f"{path.name}：内容应为“键: 值”的配置项。", EXIT_USAGE)
    return data


def load_config(path: Path) -> Config:
    """Read and validate `path`; raises TipdeskError (exit 2) naming the key that is wrong."""
    path = Path(path)
    return config_from(_read_yaml(path), path)


def config_from(data: Mapping[str, Any], path: Path) -> Config:
    """The typed settings of an already parsed config.yaml at `path` (for its name and folder)."""
    path = Path(path)
    r = _Reader(path, data)
    for key in data:
        if key not in KNOWN_KEYS:
            raise r.fail(str(key), f"无法识别，请检查拼写（可用的配置项见 {RUN} init 生成的 config.yaml）。")
    for key, known in KNOWN_KEYS.items():
        r.section(key, known)
    root = path.resolve().parent

    centre = {k: r.text(f"centre.{k}", "") for k in KNOWN_KEYS["centre"]}
    if not centre["name"]:
        raise r.fail("centre.name", "缺失，请填写指挥中心名称。")
    if centre["email"] and not is_email_address(centre["email"]):
        raise r.fail("centre.email", f"“{centre['email']}”不是有效的电子邮箱地址。")

    deadlines = Deadlines(
        urgent_hours=r.integer("deadlines.urgent_hours", 24, 1),
        general_working_days=r.integer("deadlines.general_working_days", 7, 1),
        accident_verify_hours=r.integer("deadlines.accident_verify_hours", 24, 1),
        accident_followup_days=r.integer("deadlines.accident_followup_days", 60, 1),
        upstream_margin_working_days=r.integer("deadlines.upstream_margin_working_days", 1, 0),
    )

    keywords = r.get("category_keywords", {}) or {}
    if not isinstance(keywords, dict):
        raise r.fail("category_keywords", "应为“类别: [关键词…]”。")
    category_keywords = {}
    for category, words in keywords.items():
        if category not in (URGENT, ACCIDENT):
            raise r.fail(f"category_keywords.{category}", "只能是 紧急 或 事故（未命中的按一般类建议）。")
        category_keywords[category] = r.words(f"category_keywords.{category}", words)

    industries_raw = r.get("industries", {}) or {}
    if not isinstance(industries_raw, dict):
        raise r.fail("industries", "应为“行业: [关键词…]”。")
    industries = {str(k).strip(): r.words(f"industries.{k}", v or []) for k, v in industries_raw.items()}

    order = r.words("routing.order") or ROUTING_STEPS
    for step in order:
        if step not in ROUTING_STEPS:
            raise r.fail("routing.order", f"中的“{step}”无效，只能是 {', '.join(ROUTING_STEPS)}。")

    documents = _documents(r, root, centre)
    config = Config(
        path=path.resolve(), root=root, centre=centre,
        register=r.path_of("register", "安全生产举报台账.xlsx", root),
        inbox=r.path_of("inbox", "inbox", root),
        outbox=r.path_of("outbox", "outbox", root),
        journal=r.path_of("journal", "tipdesk.sqlite3", root),
        backup_folder=r.path_of("backups.folder", "backups", root),
        backup_keep=r.integer("backups.keep", 60, 1),
        case_prefix=r.text("case_number.prefix", "AJ"),
        case_digits=r.integer("case_number.digits", 4, 1),
        letter_prefix=r.text("letter_number.prefix", "安举交"),
        deadlines=deadlines,
        extra_holidays=r.dates("calendar.extra_holidays"),
        extra_workdays=r.dates("calendar.extra_workdays"),
        category_keywords=category_keywords,
        category_ignore=r.words("category_ignore"),
        industries=industries,
        routing_order=tuple(order),
        duplicate_window_days=r.integer("duplicates.window_days", 30, 0),
        units=_units(r, industries),
        liaison=_liaison(r),
        forwarded_columns=_forwarded_columns(r),
        mail=_mail(r, root, centre, deadlines, documents),
        reminders=_reminders(r),
        watch=WatchSettings(daily_at=r.clock("watch.daily_at", "08:30")),
        notices=load_notices(root / NOTICE_FOLDER),
        notice_number=_numbering(r, "notices.number", DEFAULT_NOTICE_NUMBER),
        acknowledge=AcknowledgeSettings(
            urgent_hours=r.integer("acknowledge.urgent_hours", 2, 1, 24),
            general_working_days=r.integer("acknowledge.general_working_days", 1, 1, 5)),
        documents=documents,
    )
    if config.register.suffix.lower() != ".xlsx":
        raise r.fail("register", f"应为 .xlsx 文件，现为“{config.register.name}”。"
                                 "旧版 .xls 请在 Excel/WPS 中另存为 .xlsx。")
    return config


def load_notices(folder: Path) -> dict[int, HolidaySchedule]:
    """The holiday notices `./run calendar import` stored: calendar/2027.txt, one a year."""
    notices: dict[int, HolidaySchedule] = {}
    if not folder.is_dir():
        return notices
    for path in sorted(folder.glob("*.txt")):
        where = f"{folder.name}/{path.name}"
        if not re.fullmatch(r"\d{4}", path.stem):
            continue  # the clerk's own notes beside the notices
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise TipdeskError(f"{where}：不是 UTF-8 编码的文本。请用 {RUN} calendar import 重新导入通知。", EXIT_USAGE)
        schedule = parse_notice(text, where, int(path.stem))
        notices[schedule.year] = schedule
    return notices


def _liaison(r: _Reader) -> LiaisonSettings:
    value = r.get("liaison.deadline", "01-24")
    if isinstance(value, date):
        return LiaisonSettings(value.month, value.day)
    text = str(value).strip().replace("月", "-").replace("日", "").replace("/", "-")
    try:
        month, day = (int(part) for part in text.split("-")[-2:])
        date(2027, month, day)  # a common year: the deadline must exist every year
    except ValueError:
        raise r.fail("liaison.deadline", f"应为月-日，例如 \"01-24\"，现为“{value}”。")
    return LiaisonSettings(month, day)


def _forwarded_columns(r: _Reader) -> dict[str, tuple[str, ...]]:
    """`forwarded.columns`: register column -> the header names an upstream system uses."""
    raw = r.get("forwarded.columns", {})
    if not isinstance(raw, dict):
        raise r.fail("forwarded.columns", "应为“台账列名: [上级系统的列名…]”，例如 上级编号: [工单编号]。")
    out = {}
    for column, names in raw.items():
        key = f"forwarded.columns.{column}"
        if str(column) not in REGISTER_COLUMNS:
            raise r.fail(key, f"中的“{column}”不是台账的列名，请写台账第 1 行中的列名，例如 上级编号。")
        out[str(column)] = r.words(key, names if names is not None else [])
    return out


def _numbering(r: _Reader, key: str, default: str) -> str:
    """A yearly number template such as "安举函〔{year}〕{n}号"."""
    template = r.text(key, default)
    try:
        template.format(year=2026, n=1)
    except (KeyError, IndexError, ValueError):
        raise r.fail(key, f"只能使用 {{year}}（年份）和 {{n}}（序号），例如 \"{default}\"。")
    if "{n}" not in template:
        raise r.fail(key, f"须包含序号 {{n}}，例如 \"{default}\"。")
    return template


def _reminders(r: _Reader) -> Ladder:
    ladder = Ladder(
        warning_working_days=r.integer("reminders.warning_working_days", 1, 0, 10),
        warning_hours=r.integer("reminders.warning_hours", 4, 0, 23),
        escalate_after_working_days=r.integer("reminders.escalate_after_working_days", 2, 1, 30),
        send_from=r.clock("reminders.send_from", "08:00"),
        escalation_number=r.text("reminders.escalation_number", DEFAULT_ESCALATION_NUMBER),
    )
    try:
        ladder.number(2026, 1)
    except (KeyError, IndexError, ValueError):
        raise r.fail("reminders.escalation_number", "只能使用 {year}（年份）和 {n}（序号），"
                                                    "例如 \"安举督〔{year}〕{n}号\"。")
    if "{n}" not in ladder.escalation_number:
        raise r.fail("reminders.escalation_number", "须包含序号 {n}，例如 \"安举督〔{year}〕{n}号\"。")
    return ladder


def _documents(r: _Reader, root: Path, centre: Mapping[str, str]) -> DocumentSettings:
    r.section("documents.fonts", FONT_KEYS)
    fonts = Fonts(**{key: r.text(f"documents.fonts.{key}", getattr(Fonts(), key)) or getattr(Fonts(), key)
                     for key in FONT_KEYS})
    return DocumentSettings(
        issuer=r.text("documents.issuer") or centre.get("name", ""),
        letterhead=r.flag("documents.letterhead", True),
        bulletin_recipients=r.text("documents.bulletin_recipients", DEFAULT_RECIPIENTS) or DEFAULT_RECIPIENTS,
        fonts=fonts, folders=(root / "templates", PACKAGE_TEMPLATES))


def _password_env(r: _Reader, section: str, known: tuple[str, ...], default: str, also: tuple[str, ...] = ()) -> str:
    """`section.password_env`, the variable holding a server's password; a password written
    into the file itself (`section.password`) is refused, naming the key."""
    r.section(section, known + ("password",))
    password_env = r.text(f"{section}.password_env", default)
    for key in (f"{section}.password", *also):
        if r.has(key):
            raise r.fail(key, f"不能写在配置文件中：请把密码放在环境变量 {password_env} 中，"
                              "或保存到系统密钥环（见 README）。")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        raise r.fail(f"{section}.password_env", f"应为环境变量名（英文字母、数字、下划线），现为“{password_env}”。")
    return password_env


def _mail(r: _Reader, root: Path, centre: Mapping[str, str], deadlines: Deadlines,
          documents: DocumentSettings) -> MailSettings:
    password_env = _password_env(r, "mail.smtp", SMTP_KEYS, DEFAULT_PASSWORD_ENV, ("mail.password",))
    mode = r.choice("mail.mode", "outbox", MAIL_MODES)
    security = r.choice("mail.smtp.security", "ssl", SECURITIES)
    ca_file = r.text("mail.smtp.ca_file")
    smtp = SmtpSettings(
        host=r.text("mail.smtp.host"),
        port=r.integer("mail.smtp.port", DEFAULT_PORTS[security], 1, 65535),
        security=security,
        user=r.text("mail.smtp.user"),
        password_env=password_env,
        ca_file=(root / ca_file).resolve() if ca_file else None,
        timeout=r.integer("mail.smtp.timeout", 30, 1, 600),
    )
    from_address = r.text("mail.from_address", centre.get("email", ""))
    if from_address and not is_email_address(from_address):
        raise r.fail("mail.from_address", f"“{from_address}”不是有效的电子邮箱地址。")
    if mode == "smtp":
        if not smtp.host:
            raise r.fail("mail.smtp.host", "缺失：mode 为 smtp 时须填写邮件服务器地址，例如 smtp.example.gov.cn。")
        if not from_address:
            raise r.fail("mail.from_address", "缺失：mode 为 smtp 时须填写发件邮箱（或填写 centre.email）。")
        if smtp.security == "none" and smtp.user:
            raise r.fail("mail.smtp.security", "为 none 时不能登录（密码会明文传输），请改为 ssl 或 starttls。")
        if smtp.ca_file and not smtp.ca_file.is_file():
            raise r.fail("mail.smtp.ca_file", f"指定的证书文件 {smtp.ca_file} 不存在。")
    return MailSettings(
        mode=mode, from_address=from_address,
        from_name=r.text("mail.from_name", centre.get("name", "")),
        smtp=smtp, imap=_imap(r, root), centre=dict(centre),
        templates=(root / "templates" / "mail", PACKAGE_TEMPLATES / "mail"),
        deadlines=deadlines, documents=documents)


def _imap(r: _Reader, root: Path) -> ImapSettings:
    """`mail.imap`: like mail.smtp, the password never in the file; plain-text login only to
    a server on this computer (a local relay or the tests' server)."""
    password_env = _password_env(r, "mail.imap", IMAP_KEYS, DEFAULT_IMAP_PASSWORD_ENV)
    security = r.choice("mail.imap.security", "ssl", SECURITIES)
    ca_file = r.text("mail.imap.ca_file")
    imap = ImapSettings(
        host=r.text("mail.imap.host"),
        port=r.integer("mail.imap.port", IMAP_PORTS[security], 1, 65535),
        security=security,
        user=r.text("mail.imap.user"),
        password_env=password_env,
        folder=r.text("mail.imap.folder", "INBOX") or "INBOX",
        done_folder=r.text("mail.imap.done_folder", "tipdesk已处理") or "tipdesk已处理",
        sent_folder=r.text("mail.imap.sent_folder"),
        ca_file=(root / ca_file).resolve() if ca_file else None,
        timeout=r.integer("mail.imap.timeout", 60, 1, 600),
    )
    if not imap.host:
        return imap
    if not imap.user:
        raise r.fail("mail.imap.user", "缺失：填写了 mail.imap.host 时须填写登录账号（一般为指挥中心的邮箱地址）。")
    if imap.security == "none" and imap.host.lower() not in LOCAL_HOSTS:
        raise r.fail("mail.imap.security", "为 none 时密码会明文传输，只能用于本机的邮件服务器；请改为 ssl 或 starttls。")
    if imap.done_folder == imap.folder:
        raise r.fail("mail.imap.done_folder", f"不能与 mail.imap.folder 相同（现均为“{imap.folder}”）。")
    if imap.ca_file and not imap.ca_file.is_file():
        raise r.fail("mail.imap.ca_file", f"指定的证书文件 {imap.ca_file} 不存在。")
    return imap


def _units(r: _Reader, industries: dict[str, tuple[str, ...]]) -> tuple[Unit, ...]:
    raw = r.get("units", [])
    if not isinstance(raw, list) or not raw:
        raise r.fail("units", "缺失或为空，请列出承办单位。")
    units, seen, governs = [], {}, {}
    for i, item in enumerate(raw, start=1):
        key = f"units[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "应为“name: 单位名称”等字段。")
        for field_name in item:
            if field_name not in UNIT_KEYS:
                raise r.fail(f"{key}.{field_name}", f"无法识别（可用的有：{'、'.join(UNIT_KEYS)}），请检查拼写。")
        name = str(item.get("name") or "").strip()
        if not name:
            raise r.fail(f"{key}.name", "缺失，请填写单位全称。")
        office = item.get("office") or {}
        if not isinstance(office, dict):
            raise r.fail(f"{key}.office", "应为 {name: 办公室, phone: 电话, email: 邮箱}。")
        areas = r.words(f"{key}.areas", item.get("areas") or [])
        unit = Unit(
            name=name,
            type=str(item.get("type") or "").strip(),
            aliases=r.words(f"{key}.aliases", item.get("aliases") or []),
            industries=r.words(f"{key}.industries", item.get("industries") or []),
            areas=areas,
            office={k: str(v or "").strip() for k, v in office.items()},
            places=_places(r, f"{key}.areas", areas),
        )
        for alias in (unit.name, *unit.aliases):
            other = seen.get(_squash(alias))
            if other and other != unit.name:
                raise r.fail(f"{key}.aliases", f"中的“{alias}”已用于 {other}，简称不能重复。")
            seen[_squash(alias)] = unit.name
        for industry in unit.industries:
            if industry not in industries:
                raise r.fail(f"{key}.industries", f"中的“{industry}”不在 industries 中，请先在 industries 里列出。")
            if industry in governs:
                raise r.fail(f"{key}.industries", f"“{industry}”已由 {governs[industry]} 主管，一个行业只能归一个单位。")
            governs[industry] = unit.name
        units.append(unit)
    _no_overlapping_ranges(r, units)
    return tuple(units)


def _places(r: _Reader, key: str, areas: tuple[str, ...]) -> tuple[Place, ...]:
    places = []
    for text in areas:
        try:
            places.append(parse_place(text))
        except ValueError as exc:
            raise r.fail(key, f"中的“{text}”{exc}。门牌号范围的写法：人民路1-99号、人民路100号起。")
    return tuple(places)


def _no_overlapping_ranges(r: _Reader, units: list[Unit]) -> None:
    """A house number belongs to one unit: ranges on the same road may not overlap, across
    units or within one (a typo there would hide which unit was meant)."""
    seen: list[tuple[str, Place]] = []
    for i, unit in enumerate(units, start=1):
        for place in unit.places:
            for key, other in seen:
                if place.overlaps(other):
                    raise r.fail(f"units[{i}].areas", f"中的“{place.text}”与 {key} 中的“{other.text}”重叠："
                                 "同一门牌号只能属于一个单位，请调整门牌号范围，"
                                 "例如 人民路1-99号 与 人民路100号起。")
            if place.ranged:
                seen.append((f"units[{i}].areas", place))
