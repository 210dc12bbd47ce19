"""Load and validate config.yaml into typed objects; every error names the key to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from tipdesk.domain.calendar import WorkCalendar
from tipdesk.domain.columns import ACCIDENT, URGENT
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError

# The package's own templates, copied into a workspace by `init`; used where a workspace has none.
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

ROUTING_STEPS = ("clerk", "industry", "territory")


@dataclass(frozen=True)
class Unit:
    name: str
    type: str
    aliases: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    office: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Deadlines:
    urgent_hours: int = 24
    general_working_days: int = 7
    accident_verify_hours: int = 24
    accident_followup_days: int = 60
    upstream_margin_working_days: int = 1


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
    raw: dict[str, Any]

    def day_folder(self, now: datetime) -> Path:
        """outbox/YYYY-MM-DD: the day's letters, mails and summary."""
        return self.outbox / f"{now:%Y-%m-%d}"

    def calendar(self) -> WorkCalendar:
        return WorkCalendar(self.extra_holidays, self.extra_workdays)

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
    """Walks the YAML mapping, collecting typed values; raises naming the key on bad input."""

    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = path
        self.data = data

    def fail(self, key: str, what: str) -> TipdeskError:
        return TipdeskError(f"{self.path.name}：配置项 {key} {what}", EXIT_USAGE)

    def get(self, key: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node or node[part] is None:
                return default
            node = node[part]
        return node

    def text(self, key: str, default: str | None = None) -> str:
        value = self.get(key, default)
        if value is None:
            raise self.fail(key, "缺失，请填写。")
        if not isinstance(value, (str, int)):
            raise self.fail(key, f"应为文字，现为“{value}”。")
        return str(value).strip()

    def integer(self, key: str, default: int, minimum: int = 0) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"应为不小于 {minimum} 的整数，现为“{value}”。")
        return value

    def words(self, key: str, value: Any = None) -> tuple[str, ...]:
        value = self.get(key, []) if value is None else value
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise self.fail(key, "应为列表，例如 [甲, 乙]。")
        return tuple(str(v).strip() for v in value if str(v).strip())

    def dates(self, key: str) -> tuple[date, ...]:
        out = []
        for i, value in enumerate(self.get(key, []) or []):
            if isinstance(value, date):
                out.append(value)
                continue
            try:
                out.append(date.fromisoformat(str(value).strip()))
            except ValueError:
                raise self.fail(f"{key}[{i + 1}]", f"“{value}”不是日期，请写成 2027-01-01 的形式。")
        return tuple(out)

    def path_of(self, key: str, default: str, root: Path) -> Path:
        return (root / self.text(key, default)).resolve()


def load_config(path: Path) -> Config:
    """Read and validate `path`; raises TipdeskError (exit 2) naming the key that is wrong."""
    path = Path(path)
    if not path.is_file():
        raise TipdeskError(
            f"{path}：找不到配置文件。请先运行 ./run init 文件夹 创建工作区，"
            "或用 --config 指定配置文件。", EXIT_USAGE)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise TipdeskError(f"{path.name}：{where}格式有误（注意冒号后要有空格、缩进要对齐）：{exc}",
                           EXIT_USAGE)
    except UnicodeDecodeError:
        raise TipdeskError(f"{path.name}：不是 UTF-8 编码的文本，请用记事本另存为 UTF-8。", EXIT_USAGE)
    except ValueError as exc:  # PyYAML builds dates itself: 2027-13-01 fails here, not as YAMLError
        raise TipdeskError(f"{path.name}：有无效的日期（{exc}），请按 2027-01-01 的形式填写。", EXIT_USAGE)
    if not isinstance(data, dict):
        raise TipdeskError(f"{path.name}：内容应为“键: 值”的配置项。", EXIT_USAGE)
    r = _Reader(path, data)
    root = path.resolve().parent

    centre = {k: r.text(f"centre.{k}", "") for k in ("name", "short_name", "phone", "address", "email")}
    if not centre["name"]:
        raise r.fail("centre.name", "缺失，请填写指挥中心名称。")

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

    units = _units(r, industries)

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
        units=units,
        raw=data,
    )
    if config.register.suffix.lower() != ".xlsx":
        raise r.fail("register", f"应为 .xlsx 文件，现为“{config.register.name}”。"
                                 "旧版 .xls 请在 Excel/WPS 中另存为 .xlsx。")
    return config


def _units(r: _Reader, industries: dict[str, tuple[str, ...]]) -> tuple[Unit, ...]:
    raw = r.get("units", [])
    if not isinstance(raw, list) or not raw:
        raise r.fail("units", "缺失或为空，请列出承办单位。")
    units, seen, governs = [], {}, {}
    for i, item in enumerate(raw, start=1):
        key = f"units[{i}]"
        if not isinstance(item, dict):
            raise r.fail(key, "应为“name: 单位名称”等字段。")
        name = str(item.get("name") or "").strip()
        if not name:
            raise r.fail(f"{key}.name", "缺失，请填写单位全称。")
        office = item.get("office") or {}
        if not isinstance(office, dict):
            raise r.fail(f"{key}.office", "应为 {name: 办公室, phone: 电话, email: 邮箱}。")
        unit = Unit(
            name=name,
            type=str(item.get("type") or "").strip(),
            aliases=r.words(f"{key}.aliases", item.get("aliases") or []),
            industries=r.words(f"{key}.industries", item.get("industries") or []),
            areas=r.words(f"{key}.areas", item.get("areas") or []),
            office={k: str(v or "").strip() for k, v in office.items()},
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
    return tuple(units)
