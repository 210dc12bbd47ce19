"""Figures for managers and the bulletin (汇总分析和通报), computed from the register rows.

Input: register rows as dicts keyed by the Chinese headers, dates as datetime (what
`read_register` gives), and `now`, the moment the figures are taken. Everything is "as of
`now`", so a report made later for the same period may show more cases closed.

Which cases count
- A case belongs to a period by its 受理时间 (its 交办时间 when 受理时间 is empty); a row
  with neither belongs to no period.

Figures (the keys of `FIGURES`; `LABELS` gives the Chinese column headers)
- received 受理: the cases of the period. Grouped by unit, it is the unit's 交办 count.
- referred 交办: cases with a 承办单位 whose 状态 is not 待分派; unassigned 待分派 is the rest.
- closed 办结: 状态 已办结, unless its 反馈时间 is after `now` (then it was open at `now`).
- on_time 按时办结: closed with 反馈时间 <= 办理期限, or with no 办理期限; a closed case
  without 反馈时间 is on time unless its 是否超期 is 是.
- closed_late 超期办结: closed and not on time.
- open 在办: not closed (待分派, 已交办, 办理中, 申请延期, 申请退回).
- open_overdue 在办超期: open with 办理期限 before `now`.
- overdue 超期: closed_late + open_overdue.
- due 应办结: closed + open_overdue, the cases whose outcome is settled: an open case whose
  deadline has not come is not held against its unit.
- on_time_rate 按时办结率: on_time / due (NaN when due is 0).
- returned 退回 / extended 延期: 状态 申请退回 / 申请延期 now, or such a request made earlier
  and since decided, as the journal's `feedback` table records it (`requests`, case id ->
  states). Never from words in 备注 or 催办记录: a clerk's remark does not change a figure.
- verified 属实: closed with 是否属实 属实 or 部分属实; verified_rate 属实率 = verified / closed.
- awaiting_reply 待回复: closed whose 回复举报人 is not 是 (the reporter has no answer yet).
- without_referral 不予受理、转办、并案: closed by the clerk without a unit's answer; neither
  closed nor open, never due, counted apart.
- redone 退回重办: a closure the centre did not accept (the journal's 重新办理 notices), in
  `requests` as the state 退回重办.
- called_back 已回访: closed with 回访时间 or 回访结果; callback_rate 回访率 = called_back /
  closed. rated: 回访结果 满意/基本满意/不满意; satisfied: 满意 or 基本满意; satisfaction_rate
  满意率 = satisfied / rated (未联系上 is no answer).

Case lists (`CaseRef`, `Repeat`) carry text that has passed through `redact`: reporter names
and contacts never come out of this module, not even inside a 被举报单位 or 事发地址.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any, Collection, Iterable, Mapping

from tipdesk.domain import columns as col
from tipdesk.domain.columns import VAGUE_PLACES
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.redact import redact, split_names
from tipdesk.domain.textnorm import normalize_text
from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.domain.rows import clean_cell

COUNTS = ("received", "referred", "unassigned", "closed", "on_time", "closed_late", "due",
          "open", "open_overdue", "overdue", "returned", "extended", "verified", "awaiting_reply",
          "without_referral", "redone", "called_back", "rated", "satisfied")
RATES = {"on_time_rate": ("on_time", "due"), "verified_rate": ("verified", "closed"),
         "callback_rate": ("called_back", "closed"), "satisfaction_rate": ("satisfied", "rated")}
FIGURES = COUNTS + tuple(RATES)
LABELS = {
    "received": "受理", "referred": "交办", "unassigned": "待分派", "closed": "办结",
    "on_time": "按时办结", "closed_late": "超期办结", "due": "应办结", "open": "在办",
    "open_overdue": "在办超期", "overdue": "超期", "returned": "退回", "extended": "延期",
    "verified": "属实", "awaiting_reply": "待回复", "on_time_rate": "按时办结率",
    "verified_rate": "属实率", "without_referral": "不予受理、转办、并案", "redone": "退回重办",
    "called_back": "已回访", "rated": "回访有评价", "satisfied": "满意", "callback_rate": "回访率",
    "satisfaction_rate": "满意率",
}
SATISFIED = ("满意", "基本满意")
RATED = SATISFIED + ("不满意",)
# The label for a missing value in a grouping column (类别, 来源, 行业领域, 所属镇街).
BLANK = "未填写"
VERIFIED_TRUE = ("属实", "部分属实")


# --- periods --------------------------------------------------------------------------------

QUARTER_NAMES = ("一", "二", "三", "四")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(\d{1,2})|[Qq](\d)))?$")


@dataclass(frozen=True)
class Period:
    """[start, end) of a month, quarter or year, or of its first part (`upto`); `label` is
    how the bulletin names it."""

    kind: str            # month | quarter | year
    start: datetime
    end: datetime
    label: str

    @property
    def previous(self) -> Period:
        """Last month, quarter or year; for a part of a period, the same span of the last."""
        whole = period_of(self.start - timedelta(days=1), self.kind)
        if self.whole:
            return whole
        end = whole.start + (self.end - self.start)
        return dataclasses.replace(whole, end=end, label=_span_label(whole.start, end))

    @property
    def whole(self) -> bool:
        """False for the first part of a period (see `upto`)."""
        return self.end == period_of(self.start, self.kind).end

    @property
    def unit_word(self) -> str:
        """上月 / 上季度 / 上年 (同期): how the bulletin names the previous period."""
        word = {"month": "上月", "quarter": "上季度", "year": "上年"}[self.kind]
        return word if self.whole else word + "同期"

    def upto(self, when: datetime) -> Period:
        """The part of the period before `when`: to compare a period still under way with
        the same span of the previous one. The period itself once it is over."""
        if when >= self.end:
            return self
        end = max(when, self.start + timedelta(seconds=1))
        return dataclasses.replace(self, end=end, label=_span_label(self.start, end))


def _span_label(start: datetime, end: datetime) -> str:
    """2026年1月1日至11月2日: the days of [start, end)."""
    last = (end - timedelta(microseconds=1)).date()
    return f"{start.year}年{start.month}月{start.day}日至{last.month}月{last.day}日"


def _month(year: int, month: int) -> Period:
    end = datetime(year + month // 12, month % 12 + 1, 1)
    return Period("month", datetime(year, month, 1), end, f"{year}年{month}月")


def _quarter(year: int, quarter: int) -> Period:
    first = 3 * quarter - 2
    end = datetime(year + 1, 1, 1) if quarter == 4 else datetime(year, first + 3, 1)
    return Period("quarter", datetime(year, first, 1), end,
                  f"{year}年第{QUARTER_NAMES[quarter - 1]}季度")


def _year(year: int) -> Period:
    return Period("year", datetime(year, 1, 1), datetime(year + 1, 1, 1), f"{year}年")


def parse_period(text: str) -> Period:
    """"2026-11" (month), "2026-Q4" (quarter) or "2026" (year); TipdeskError (exit 2) else."""
    found = _PERIOD.match(str(text or "").strip())
    hint = "应写成 2026-11（月）、2026-Q4（季度）或 2026（年）"
    if not found:
        raise TipdeskError(f"统计期间“{text}”格式有误，{hint}。", EXIT_USAGE)
    year = int(found.group(1))
    if year < 2000:
        raise TipdeskError(f"统计期间“{text}”的年份有误，{hint}。", EXIT_USAGE)
    if found.group(2):
        month = int(found.group(2))
        if not 1 <= month <= 12:
            raise TipdeskError(f"统计期间“{text}”的月份应为 1 至 12，{hint}。", EXIT_USAGE)
        return _month(year, month)
    if found.group(3):
        quarter = int(found.group(3))
        if not 1 <= quarter <= 4:
            raise TipdeskError(f"统计期间“{text}”的季度应为 Q1 至 Q4，{hint}。", EXIT_USAGE)
        return _quarter(year, quarter)
    return _year(year)


def period_of(when: datetime, kind: str = "month") -> Period:
    """The month (or quarter, year) that holds `when`: the daily run's 统计 sheet uses this."""
    if kind == "year":
        return _year(when.year)
    if kind == "quarter":
        return _quarter(when.year, (when.month - 1) // 3 + 1)
    return _month(when.year, when.month)


# --- one row per case, with its flags -------------------------------------------------------

def _date(value: Any) -> datetime | None:
    return value if isinstance(value, datetime) else None


def _text(value: Any) -> str:
    return normalize_text(value)


@lru_cache(maxsize=4096)
def _choice(value: Any) -> str:
    """A cell with few distinct values (状态, 承办单位, 类别...), normalised once per value:
    50,000 rows hold only a few dozen of them."""
    return normalize_text(value)


def _key(value: Any) -> str:
    """Grouping key for names and addresses: spaces and full-width forms do not count."""
    return _text(value).replace(" ", "")


def _flags(row: dict, now: datetime, requested: Collection[str]) -> dict:
    status = _choice(row.get(col.STATUS))
    unit = _choice(row.get(col.UNIT))
    deadline = _date(row.get(col.DEADLINE))
    answered = _date(row.get(col.FEEDBACK_AT))
    closed = status == col.CLOSED and not (answered and answered > now)
    if not closed:
        on_time = False
    elif answered is None:
        on_time = _choice(row.get(col.OVERDUE)) != col.YES
    else:
        on_time = deadline is None or answered <= deadline
    apart = status in col.CLOSED_WITHOUT_REFERRAL
    open_overdue = not closed and not apart and deadline is not None and deadline < now
    referred = bool(unit) and status != col.UNASSIGNED and not apart
    call_result = _choice(row.get(col.CALL_BACK_RESULT))
    return {
        "received": True,
        "referred": referred,
        "unassigned": not referred and not apart,
        "closed": closed,
        "on_time": on_time,
        "closed_late": closed and not on_time,
        "due": closed or open_overdue,
        "open": not closed and not apart,
        "open_overdue": open_overdue,
        "overdue": (closed and not on_time) or open_overdue,
        "returned": status == col.RETURN_REQUESTED or col.RETURN_REQUESTED in requested,
        "extended": status == col.EXTENSION_REQUESTED or col.EXTENSION_REQUESTED in requested,
        "verified": closed and _choice(row.get(col.VERIFIED)) in VERIFIED_TRUE,
        "awaiting_reply": closed and _choice(row.get(col.REPLIED)) != col.YES,
        "without_referral": apart,
        "redone": col.REDO in requested,
        "called_back": closed and bool(row.get(col.CALLED_BACK_AT) or call_result),
        "rated": closed and call_result in RATED,
        "satisfied": closed and call_result in SATISFIED,
    }


# What case_records reads of a row.
_RECORD_COLUMNS = (col.RECEIVED_AT, col.REFERRED_AT, col.CASE_ID, col.STATUS, col.UNIT, col.DEADLINE,
                  col.FEEDBACK_AT, col.OVERDUE, col.VERIFIED, col.REPLIED, col.CALL_BACK_RESULT,
                  col.CALLED_BACK_AT, col.CATEGORY, col.SOURCE, col.INDUSTRY, col.AREA, col.SUBJECT,
                  col.ADDRESS)


def _cells(row: Any) -> dict:
    """The values case_records needs, read at once and cleaned as Row.get cleans them (20,000
    rows of this year and last on a large register); a row that is a dict already is itself."""
    if not hasattr(row, "raw_cells"):
        return row
    # clean_cell's own first test inlined: most cells are text.
    return {name: (value or None) if value.__class__ is str else clean_cell(value)
            for name, value in zip(_RECORD_COLUMNS, row.raw_cells(_RECORD_COLUMNS))}


def case_records(rows: Iterable[dict], now: datetime,
                 requests: Mapping[str, Collection[str]] | None = None) -> list[dict]:
    """One record per case that has a date: grouping keys, its date (`when`), and the
    boolean figures (COUNTS).

    `row` is the position in `rows`, to find the case again for listing it (redacted)."""
    records = []
    for index, source in enumerate(rows):
        row = _cells(source)
        when = _date(row.get(col.RECEIVED_AT)) or _date(row.get(col.REFERRED_AT))
        if when is None:
            continue
        flags = _flags(row, now, (requests or {}).get(_text(row.get(col.CASE_ID)), ()))
        records.append({
            "row": index,
            "when": when,
            "case_id": _text(row.get(col.CASE_ID)),
            "unit": _choice(row.get(col.UNIT)) if flags["referred"] else "",
            "category": _choice(row.get(col.CATEGORY)).removesuffix("类") or BLANK,
            "source": _choice(row.get(col.SOURCE)) or BLANK,
            "industry": _choice(row.get(col.INDUSTRY)) or BLANK,
            "area": _choice(row.get(col.AREA)) or BLANK,
            "subject": _key(row.get(col.SUBJECT)),
            "address": _key(row.get(col.ADDRESS)),
            **flags,
        })
    return records


_DATED = (col.RECEIVED_AT, col.REFERRED_AT)


def cases_since(rows: Iterable[Any], since: datetime) -> list[Any]:
    """The rows case_records would date on or after `since`: figures of periods from then on
    need no others (the 统计 sheet: this year and the same span of last year)."""
    out = []
    for row in rows:
        received, referred = (map(clean_cell, row.raw_cells(_DATED)) if hasattr(row, "raw_cells")
                              else (row.get(col.RECEIVED_AT), row.get(col.REFERRED_AT)))
        when = _date(received) or _date(referred)
        if when is not None and when >= since:
            out.append(row)
    return out


def _in(records: list[dict], period: Period) -> list[dict]:
    start, end = period.start, period.end
    return [case for case in records if start <= case["when"] < end]


# --- tables ---------------------------------------------------------------------------------
# A table is a dict, group -> {figure: value}, in the order it is shown: counts as int, rates
# as float (NaN when their denominator is 0). Plain sums over at most two years of cases: no
# data-frame library is needed, nor its second of importing on every run that shows them.

NAN = float("nan")


def _with_rates(counts: dict[str, float]) -> dict[str, float]:
    for rate, (num, den) in RATES.items():
        counts[rate] = counts[num] / counts[den] if counts[den] > 0 else NAN
    return counts


def _sums(cases: Iterable[dict]) -> dict[str, int]:
    sums = dict.fromkeys(COUNTS, 0)
    for case in cases:
        for name in COUNTS:
            if case[name]:
                sums[name] += 1
    return sums


def figures(records: list[dict], by: str, order: Iterable | None = None) -> dict[Any, dict[str, float]]:
    """The FIGURES of each value of key `by`.

    With `order`, exactly those groups in that order (missing ones as zeros); otherwise the
    groups found, most cases first, then by name, and BLANK last."""
    groups: dict[Any, list[dict]] = {}
    for case in records:
        groups.setdefault(case[by], []).append(case)
    if order is not None:
        keys = list(order)
    else:
        keys = sorted(groups, key=lambda k: (k == BLANK, -len(groups[k]), k))
    return {key: _with_rates(_sums(groups.get(key, ()))) for key in keys}


def totals(records: list[dict]) -> dict[str, float]:
    """The FIGURES over all of `records` as one dict (rates NaN when undefined)."""
    return _with_rates(_sums(records))


def ranked_units(records: list[dict]) -> dict[str, dict[str, float]]:
    """Units by on-time rate, best first (ties: more cases due first); `rank` shares places
    between equal rates (1, 2, 2, 4); units with nothing due come last, rank NaN."""
    table = figures([case for case in records if case["unit"] != ""], "unit")
    rated = sorted((u for u in table if not math.isnan(table[u]["on_time_rate"])),
                   key=lambda u: (-table[u]["on_time_rate"], -table[u]["due"], u))
    unrated = sorted((u for u in table if math.isnan(table[u]["on_time_rate"])),
                     key=lambda u: (-table[u]["due"], u))
    ranked, rate, rank = {}, None, NAN
    for place, unit in enumerate(rated, start=1):
        if table[unit]["on_time_rate"] != rate:  # an equal rate shares the place above
            rate, rank = table[unit]["on_time_rate"], float(place)
        ranked[unit] = {**table[unit], "rank": rank}
    for unit in unrated:
        ranked[unit] = {**table[unit], "rank": NAN}
    return ranked


def _ordered(found: Iterable[str], known: Iterable[str]) -> list[str]:
    """The values `known` lists first, in its order, then any others as they come."""
    found = list(dict.fromkeys(found))
    return [v for v in known if v in found] + [v for v in found if v not in known]


def monthly(records: list[dict], year: int, now: datetime) -> dict[int, dict[str, float]]:
    """FIGURES for each month of `year` (keys 1..12), as floats; every figure of a month not
    yet begun at `now` is NaN."""
    months = [{**case, "month": case["when"].month} for case in records if case["when"].year == year]
    table = figures(months, "month", order=range(1, 13))
    return {month: {name: NAN if datetime(year, month, 1) > now else float(value)
                    for name, value in values.items()}
            for month, values in table.items()}


# --- lists ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseRef:
    """One case as the bulletin names it: no reporter, text redacted."""

    case_id: str
    unit: str
    subject: str
    address: str
    category: str
    deadline: datetime | None
    answered: datetime | None    # 反馈时间 of a closed case; None while open
    late_by: timedelta | None    # past the deadline: at closing, or at `now` while open


@dataclass(frozen=True)
class Repeat:
    """A 被举报单位 or 事发地址 reported more than once."""

    text: str                    # as typed in the first case of the period, redacted
    count: int                   # reports in the period
    earlier: int                 # reports before the period
    case_ids: tuple[str, ...]    # the period's cases


def _safe(text: Any, rows: Iterable[dict]) -> str:
    """`text` with the reporters of `rows` (names, contacts) and any personal number hidden."""
    names, literals = {}, {}
    for row in rows:
        names.update(dict.fromkeys(split_names(row.get(col.REPORTER))))
        contact = row.get(col.REPORTER_CONTACT)
        if contact is not None:
            literals[str(int(contact)) if isinstance(contact, float) else str(contact)] = None
    # Shown as typed (full-width brackets stay), only line breaks and runs of spaces folded.
    shown = " ".join(str(text).split()) if text is not None else ""
    return redact(shown, names, literals=literals)


def _case_refs(cases: list[dict], rows: list[dict], now: datetime) -> list[CaseRef]:
    refs = []
    for case in sorted(cases, key=lambda c: (c["unit"], c["case_id"])):
        row = rows[case["row"]]
        deadline = _date(row.get(col.DEADLINE))
        answered = _date(row.get(col.FEEDBACK_AT)) if case["closed"] else None
        late_by = None
        if deadline is not None and case["overdue"]:
            late_by = (answered or now) - deadline
        refs.append(CaseRef(
            case_id=case["case_id"], unit=case["unit"] or col.UNASSIGNED,
            subject=_safe(row.get(col.SUBJECT), [row]), address=_safe(row.get(col.ADDRESS), [row]),
            category=case["category"], deadline=deadline, answered=answered, late_by=late_by))
    return refs


def _repeats(records: list[dict], period: Period, column: str, source: str,
             rows: list[dict]) -> list[Repeat]:
    """Keys of `column` reported twice or more in the period, or in it and before it."""
    def known(case: dict) -> bool:
        return case[column] != "" and case[column] not in VAGUE_PLACES   # "不详" is not a place

    current: dict[str, list[dict]] = {}
    for case in _in(records, period):
        if known(case):
            current.setdefault(case[column], []).append(case)
    earlier = Counter(case[column] for case in records if case["when"] < period.start and known(case))
    found = []
    for key, cases in current.items():
        before = earlier.get(key, 0)
        if len(cases) + before < 2:
            continue
        cases = sorted(cases, key=lambda c: c["when"])
        case_rows = [rows[c["row"]] for c in cases]
        found.append(Repeat(_safe(case_rows[0].get(source), case_rows), len(cases), before,
                            tuple(c["case_id"] for c in cases)))
    return sorted(found, key=lambda r: (-(r.count + r.earlier), -r.count, r.case_ids))


# --- the period -----------------------------------------------------------------------------

@dataclass
class PeriodStats:
    """Everything the bulletin and the 统计 sheet show for one period.

    The case lists are worked out, and redacted, when first asked for: the 统计 sheet the
    daily run builds from the whole register needs none of them."""

    period: Period
    now: datetime
    totals: dict[str, float]
    previous: dict[str, float]             # the same figures for period.previous
    by_unit: dict[str, dict[str, float]]      # ranked_units
    by_category: dict[str, dict[str, float]]
    by_source: dict[str, dict[str, float]]
    by_industry: dict[str, dict[str, float]]  # most cases first: the hot industries
    by_area: dict[str, dict[str, float]]      # most cases first: the hot areas
    monthly: dict[int, dict[str, float]]      # the period's year, month by month
    rows: list[dict] = field(repr=False)
    records: list[dict] = field(repr=False)     # case_records of all rows

    @property
    def cases(self) -> list[dict]:
        return _in(self.records, self.period)

    @cached_property
    def overdue(self) -> list[CaseRef]:
        """The period's cases closed late or open past their deadline, by unit."""
        return _case_refs([c for c in self.cases if c["overdue"]], self.rows, self.now)

    @cached_property
    def carried_overdue(self) -> list[CaseRef]:
        """Cases of earlier periods still open past their deadline at `now`."""
        start = self.period.start
        earlier = [c for c in self.records if c["when"] < start and c["open_overdue"]]
        return _case_refs(earlier, self.rows, self.now)

    @cached_property
    def awaiting_reply(self) -> list[CaseRef]:
        """The period's closed cases whose reporter has no answer yet."""
        return _case_refs([c for c in self.cases if c["awaiting_reply"]], self.rows, self.now)

    @cached_property
    def repeated_subjects(self) -> list[Repeat]:
        return _repeats(self.records, self.period, "subject", col.SUBJECT, self.rows)

    @cached_property
    def repeated_addresses(self) -> list[Repeat]:
        """Repeated addresses, but not those whose reports are exactly a repeated company's:
        that is one place, named once."""
        subject_sets = {r.case_ids for r in self.repeated_subjects}
        return [r for r in _repeats(self.records, self.period, "address", col.ADDRESS, self.rows)
                if r.case_ids not in subject_sets]


def period_stats(rows: list[dict], period: Period, now: datetime,
                 requests: Mapping[str, Collection[str]] | None = None) -> PeriodStats:
    """The figures of `period` as of `now`; `requests` is the journal's record of which cases
    asked for an extension or a return (Journal.requests)."""
    records = case_records(rows, now, requests)
    cases = _in(records, period)
    return PeriodStats(
        period=period, now=now,
        totals=totals(cases), previous=totals(_in(records, period.previous)),
        by_unit=ranked_units(cases),
        by_category=figures(cases, "category", _ordered((c["category"] for c in cases), col.CATEGORIES)),
        by_source=figures(cases, "source", _ordered((c["source"] for c in cases), col.SOURCES)),
        by_industry=figures(cases, "industry"),
        by_area=figures(cases, "area"),
        monthly=monthly(records, period.start.year, now),
        rows=rows, records=records,
    )


def requests_after(requests: Mapping[str, Collection[str]], events: Iterable[FeedbackEvent],
                   redone: Iterable[str] = ()) -> dict[str, frozenset[str]]:
    """The journal's requests with this run's (not yet journalled): feedback applied, and
    the cases sent back for 退回重办."""
    out = {case_id: set(states) for case_id, states in requests.items()}
    for event in events:
        if event.state in (col.EXTENSION_REQUESTED, col.RETURN_REQUESTED):
            out.setdefault(event.case_id, set()).add(event.state)
    for case_id in redone:
        out.setdefault(case_id, set()).add(col.REDO)
    return {case_id: frozenset(states) for case_id, states in out.items()}
