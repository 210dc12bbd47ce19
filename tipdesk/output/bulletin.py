"""The periodic bulletin (通报) for leaders and units: `./run report --month 2026-10`.

The notice asks the command centre to analyse the complaints, report to the district's
leaders and criticise publicly (通报批评) units that miss deadlines; the figures count in the
safety assessment (考核). `build_bulletin` writes the Word bulletin from templates/通报.docx
and its Excel annex (the 统计 sheet and the cases behind it) from the same `PeriodStats`, so
the two always agree. The reporter appears nowhere: stats.py only hands out redacted case
text, and neither 举报人, 联系方式 nor 举报内容 is ever read here.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

from tipdesk.domain import columns as col
from tipdesk.config import Config
from tipdesk.word.template import compiled
from tipdesk.domain.textnorm import chinese_date
from tipdesk.rules.stats import BLANK, CaseRef, Period, PeriodStats, Repeat, period_stats
from tipdesk.output.statsheet import annex_workbook, as_of, day_text, deadline_text, late_text
from tipdesk.config import DocumentSettings, Deadlines
from typing import Collection, Mapping

BULLETIN_TEMPLATE = "通报.docx"
NOTICE = "《关于进一步加强安全生产举报受理处置工作的通知》"
RATE_NOTE = ("注：应办结＝已办结＋在办已超期，尚未到期的在办件不计；按时办结率＝按时办结÷应办结；"
             "超期＝超期办结＋在办已超期。")
HOT_SPOTS = 3  # industries and areas named in the text; the annex lists them all


def bulletin_template(config: Config) -> Path:
    """The office's own template (workspace templates/) if present, else the built-in one."""
    return config.documents.template(BULLETIN_TEMPLATE)


def file_names(period: Period) -> tuple[str, str]:
    return f"通报-{period.label}.docx", f"通报附件-{period.label}.xlsx"


# --- wording --------------------------------------------------------------------------------

def _n(value: float) -> int:
    return int(value)


def percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{value * 100:.1f}%"


def _count_change(now: float, before: float, word: str) -> str:
    """较上月增加14件（增长350.0%）/ 减少 / 与上月持平."""
    diff = _n(now) - _n(before)
    if diff == 0:
        return f"与{word}持平"
    verb, grow = ("增加", "增长") if diff > 0 else ("减少", "下降")
    tail = f"（{grow}{abs(diff) / before * 100:.1f}%）" if before else ""
    return f"较{word}{verb}{abs(diff)}件{tail}"


def _rate_change(now: float, before: float, word: str) -> str:
    """，较上月（75.0%）下降16.7个百分点; nothing when either rate is undefined."""
    if math.isnan(now) or math.isnan(before):
        return ""
    points = round((now - before) * 100, 1)
    if points == 0:
        return f"，与{word}（{percent(before)}）持平"
    verb = "上升" if points > 0 else "下降"
    return f"，较{word}（{percent(before)}）{verb}{abs(points):.1f}个百分点"


def _counts(table, suffix: str = "") -> str:
    """紧急类4件、一般类13件 from a grouped table, groups with cases only."""
    return "、".join(f"{name}{suffix}{_n(row['received'])}件" for name, row in table.items() if row["received"])


def _overview(stats: PeriodStats) -> list[str]:
    t, p, word = stats.totals, stats.previous, stats.period.unit_word
    received = _n(t["received"])
    first = (f"{stats.period.label}，全区共受理安全生产举报{received}件，"
             f"{_count_change(t['received'], p['received'], word)}。")
    if received:
        first += (f"按类别分，{_counts(stats.by_category, '类')}；"
                  f"按来源分，{_counts(stats.by_source)}。")
    if not received:
        return [first]
    second = f"已交办{_n(t['referred'])}件"
    second += f"，待分派{_n(t['unassigned'])}件。" if t["unassigned"] else "。"
    second += (f"截至{as_of(stats.now)}，已办结{_n(t['closed'])}件，其中按时办结{_n(t['on_time'])}件、"
               f"超期办结{_n(t['closed_late'])}件；在办{_n(t['open'])}件，"
               f"其中已超期{_n(t['open_overdue'])}件。")
    if t["due"]:
        second += (f"应办结{_n(t['due'])}件，按时办结率{percent(t['on_time_rate'])}"
                   f"{_rate_change(t['on_time_rate'], p['on_time_rate'], word)}。")
    requests = [f"{label}{_n(t[key])}件" for key, label in (("returned", "申请退回"),
                                                           ("extended", "申请延期")) if t[key]]
    if requests:
        second += f"办理过程中{'、'.join(requests)}。"
    return [first, second]


def _ranking_text(stats: PeriodStats) -> str:
    ranked = {name: row for name, row in stats.by_unit.items() if not math.isnan(row["on_time_rate"])}
    if not stats.by_unit:
        return "本期没有交办案件。"
    if not ranked:
        return "本期交办案件均未到办理期限，暂不排名。"
    best, worst = next(iter(ranked)), list(ranked)[-1]
    rates = {name: row["on_time_rate"] for name, row in ranked.items()}
    if rates[best] == rates[worst]:
        text = f"各单位按时办结率均为{percent(rates[best])}"
    else:
        text = (f"按按时办结率排名，{best}居首（{percent(rates[best])}），{worst}居末"
                f"（{percent(rates[worst])}，超期{_n(ranked[worst]['overdue'])}件）")
    return text + "。各单位办理情况见表1。"


def _by_unit_counts(cases: list[CaseRef]) -> str:
    """东城街道2件、区住房和城乡建设局1件: most first, then by name."""
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.unit] = counts.get(case.unit, 0) + 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return "、".join(f"{unit}{n}件" for unit, n in ordered)


def _criticism_text(stats: PeriodStats) -> str:
    late, carried = stats.overdue, stats.carried_overdue
    if not late and not carried:
        return "本期没有超期案件。"
    parts = []
    if late:
        t = stats.totals
        parts.append(f"本期超期案件{len(late)}件（超期办结{_n(t['closed_late'])}件、"
                     f"超期未办结{_n(t['open_overdue'])}件），涉及{_by_unit_counts(late)}")
    else:
        parts.append("本期没有超期案件")
    if carried:
        parts.append(f"往期案件至今仍超期未办结{len(carried)}件，涉及{_by_unit_counts(carried)}")
    units = sorted({c.unit for c in late + carried} - {col.UNASSIGNED})
    return "；".join(parts) + f"。现对{'、'.join(units)}予以通报批评，超期案件见表2。"


def _late_rows(stats: PeriodStats) -> list[dict]:
    year = stats.period.start.year
    cases = [(c, late_text(c, year)) for c in stats.overdue]
    cases += [(c, f"{late_text(c, year)}（往期）") for c in stats.carried_overdue]
    return [{"unit": c.unit, "case_id": c.case_id, "subject": c.subject,
             "deadline": deadline_text(c.deadline, year), "status": status} for c, status in cases]


def _top(table, total: float) -> str:
    named = [(name, row["received"]) for name, row in table.items() if name != BLANK and row["received"]][:HOT_SPOTS]
    return "、".join(f"{name}（{_n(n)}件，占{percent(n / total)}）" for name, n in named)


def _repeat_text(repeat: Repeat, kind: str) -> str:
    """Without case numbers: long Latin runs wreck a justified Chinese line; the annex has them."""
    earlier = f"，此前另有{repeat.earlier}件" if repeat.earlier else ""
    return f"{kind}{repeat.text}本期被举报{repeat.count}件{earlier}"


def _hotspots(stats: PeriodStats) -> list[str]:
    total = stats.totals["received"]
    if not total:
        return ["本期没有受理举报。"]
    texts = []
    industries, areas = _top(stats.by_industry, total), _top(stats.by_area, total)
    if industries:
        texts.append(f"（一）从行业领域看，举报主要集中在{industries}。")
    if areas:
        texts.append(f"（二）从所属镇街看，举报较多的是{areas}。")
    repeats = [_repeat_text(r, "") for r in stats.repeated_subjects]
    repeats += [_repeat_text(r, "事发地址") for r in stats.repeated_addresses]
    if repeats:
        texts.append(f"（三）重复举报。{'；'.join(repeats)}（案件编号见附件）。"
                     f"反复被举报说明问题可能整改不彻底，请属地和行业主管部门开展重点检查。")
    else:
        texts.append("（三）本期未发现重复举报的单位或地址。")
    return texts


def _replies(stats: PeriodStats, centre_name: str) -> list[str]:
    t = stats.totals
    if not t["closed"]:
        return ["本期受理的举报尚无办结案件。"]
    texts = [f"本期受理的举报已办结{_n(t['closed'])}件，经核查属实（含部分属实）{_n(t['verified'])}件，"
             f"属实率{percent(t['verified_rate'])}。"]
    waiting = stats.awaiting_reply
    if waiting:
        texts.append(f"已办结案件中尚有{len(waiting)}件未回复举报人，涉及{_by_unit_counts(waiting)}"
                     f"（见表3）。请相关单位尽快回复举报人，并将回复情况反馈{centre_name}。")
    else:
        texts.append("已办结案件均已回复举报人。")
    texts.append(_callback_text(stats))
    return texts


def _callback_text(stats: PeriodStats) -> str:
    """回访: how many reporters were called back, how satisfied, and the units lagging."""
    t = stats.totals
    if not t["called_back"]:
        return f"已办结的{_n(t['closed'])}件均未记录回访，回访率0.0%。请指挥中心对已办结案件逐件回访举报人。"
    text = f"回访举报人{_n(t['called_back'])}件，回访率{percent(t['callback_rate'])}"
    if t["rated"]:
        text += (f"；有评价的{_n(t['rated'])}件中满意（含基本满意）{_n(t['satisfied'])}件，"
                 f"满意率{percent(t['satisfaction_rate'])}")
    units = stats.by_unit
    unhappy = [name for name, row in units.items() if row["rated"] and row["satisfied"] < row["rated"]]
    if unhappy:
        text += f"。有不满意评价的单位：{'、'.join(unhappy)}"
    text += "。"
    if t["without_referral"]:
        text += f"另有不予受理、转办、并案{_n(t['without_referral'])}件，不计入办结和在办。"
    if t["redone"]:
        text += f"办结后经审核不予认可、退回重办{_n(t['redone'])}件。"
    return text


def _waiting_rows(stats: PeriodStats) -> list[dict]:
    year = stats.period.start.year
    return [{"unit": c.unit, "case_id": c.case_id, "subject": c.subject,
             "closed": day_text(c.answered, year)} for c in stats.awaiting_reply]


def _requirements(stats: PeriodStats, rules: Deadlines) -> list[str]:
    texts = []
    if stats.overdue or stats.carried_overdue:
        texts.append("被通报批评的单位要立即查明超期原因，加快办理，尽快办结并反馈，"
                     "同时举一反三，完善本单位举报承办工作程序。")
    texts.append(f"严格落实办理时限。紧急类举报{rules.urgent_hours}小时内、一般类举报"
                 f"{rules.general_working_days}个工作日内完成调查处理并反馈；"
                 "事故类举报迅速核实，依法依规调查处理。确需延期或退回的，应在办理期限前提出申请并说明理由。")
    if stats.repeated_subjects or stats.repeated_addresses:
        texts.append("对反复被举报的单位和地点，属地和行业主管部门要加大执法检查力度，"
                     "依法依规严肃查处，确保隐患整改到位。")
    texts.append("及时回复举报人，严格为举报人保密，严禁泄露举报人信息。")
    texts.append("举报受理处置情况纳入安全生产考核体系，区应急管理局将定期通报。")
    numbers = "一二三四五六七八九"
    return [f"（{numbers[i]}）{text}" for i, text in enumerate(texts)]


def bulletin_context(stats: PeriodStats, centre: dict, rules: Deadlines = Deadlines(),
                     documents: DocumentSettings = DocumentSettings()) -> dict:
    """The template context: strings, lists of strings (paragraphs), and the table rows."""
    label = stats.period.label
    sender = centre.get("name", "")
    requirements = _requirements(stats, rules)
    return {
        "title": f"关于{label}安全生产举报受理处置情况的通报",
        "period": label,
        "recipients": documents.bulletin_recipients,
        "letterhead": documents.letterhead_for(sender),
        "intro": (f"为贯彻落实{NOTICE}要求，现将{label}全区安全生产举报受理处置情况通报如下"
                  f"（数据截至{as_of(stats.now)}）："),
        "overview": _overview(stats),
        "ranking_text": _ranking_text(stats),
        "units": [{"rank": "—" if math.isnan(row["rank"]) else _n(row["rank"]), "name": name,
                   "received": _n(row["received"]), "closed": _n(row["closed"]),
                   "on_time": _n(row["on_time"]), "due": _n(row["due"]),
                   "rate": percent(row["on_time_rate"]), "overdue": _n(row["overdue"])}
                  for name, row in stats.by_unit.items()],
        "rate_note": RATE_NOTE,
        "criticism_text": _criticism_text(stats),
        "late": _late_rows(stats),
        "hotspots": _hotspots(stats),
        "replies": _replies(stats, centre.get("name", "")),
        "waiting": _waiting_rows(stats),
        "requirements": requirements[:-1],
        "closing": requirements[-1],
        "annex": f"{label}安全生产举报受理处置统计表",
        "sender": sender,
        "issued_date": chinese_date(stats.now),
    }


def render_bulletin(stats: PeriodStats, centre: dict, template: Path, rules: Deadlines = Deadlines(),
                    documents: DocumentSettings = DocumentSettings()) -> bytes:
    context = bulletin_context(stats, centre, rules, documents)
    return compiled(template, documents.fonts).render(
        context, author=context["sender"], title=context["title"], subject="", when=stats.now)


def build_bulletin(rows: list[dict], period: Period, now: datetime, config: Config,
                   requests: Mapping[str, Collection[str]] | None = None) -> tuple[bytes, bytes]:
    """(bulletin .docx, annex .xlsx) for `period` as of `now`; a period still under way is
    reported up to `now` and compared with the same span of the previous one."""
    stats = period_stats(rows, period.upto(now), now, requests)
    return (render_bulletin(stats, config.centre, bulletin_template(config), config.deadlines, config.documents),
            annex_workbook(stats))


