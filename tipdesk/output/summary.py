"""The clerk's daily summary: short Chinese text, printed and saved in the day's outbox.

It names cases by number, unit and the reported company, never by reporter, so it may be
forwarded or printed like anything else in the outbox. Every run of a day keeps its own
file (每日汇总-0830.txt, by the run's time); 每日汇总.txt holds all of the day's runs, the
newest first, so the morning's to-do list survives a rerun, a watch pass or a backfill.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from tipdesk.store.egress import Gate

from tipdesk.rules.plan import Finding, Plan

SECTIONS = (
    ("warning", "重要提醒"),
    ("new", "新登记案件"),
    ("referred", "本次交办、改派"),
    ("corrected", "办理期限更正（工作日历更新）"),
    ("unassigned", "待分派，请填写承办单位"),
    ("clerk", "需要指挥中心处理"),
    ("overdue", "已超期"),
    ("due_soon", "一个工作日内到期"),
    ("upstream", "上级转件临近上级期限、尚无结果"),
    ("callback", "已办结、待回访举报人（请电话回访后填写回访时间和回访结果）"),
)


def _lines(findings: list[Finding], indent: str = "  ") -> list[str]:
    return [f"{indent}{f.case}：{f.text}" if f.case else f"{indent}{f.text}" for f in findings]


def _by_candidates(findings: list[Finding]) -> list[str]:
    """待分派 cases grouped by the units routing hesitated between, largest group first;
    cases with no candidate at all last."""
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.candidates, []).append(finding)
    out = []
    for candidates, group in sorted(groups.items(), key=lambda g: (not g[0], -len(g[1]))):
        heading = f"在 {'、'.join(candidates)} 之间" if len(candidates) > 1 else \
            f"候选 {candidates[0]}" if candidates else "无候选单位"
        out += [f"  {heading}（{len(group)}）：", *_lines(group, "    ")]
    return out


def daily_summary(plan: Plan, now: datetime, extra: dict[str, list[str]] | None = None,
                  dry_run: bool = False) -> str:
    """The summary text; `extra` adds sections from other steps (inbox, letters, mail)."""
    title = f"安全生产举报每日汇总（{now:%Y年%m月%d日 %H:%M}）" + ("【试运行，未作任何修改】" if dry_run else "")
    counts = {kind: len(plan.of_kind(kind)) for kind, _ in SECTIONS}
    out = [title, "",
           f"新登记 {counts['new']} 件，交办/改派 {len(plan.referred)} 件，待分派 {counts['unassigned']} 件，"
           f"待处理事项 {counts['clerk']} 项，超期 {counts['overdue']} 件，台账修改 {len(plan.changes)} 处。"]
    for kind, heading in SECTIONS:
        found = plan.of_kind(kind)
        if found:
            lines = _by_candidates(found) if kind == "unassigned" else _lines(found)
            out += ["", f"【{heading}】（{len(found)}）", *lines]
    for heading, lines in (extra or {}).items():
        if lines:
            out += ["", f"【{heading}】（{len(lines)}）", *[f"  {line}" for line in lines]]
    if not plan.findings and not plan.changes:
        out += ["", "今天没有需要处理的事项。"]
    return "\n".join(out) + "\n"


SUMMARY_NAME = "每日汇总.txt"
RUN_SUMMARY = re.compile(r"^每日汇总-(\d{4})(?:-(\d+))?\.txt$")
RUN_SEPARATOR = "\n" + "=" * 60 + "\n\n"


def _run_order(path: Path) -> tuple[str, int]:
    found = RUN_SUMMARY.match(path.name)
    return found.group(1), int(found.group(2) or 1)


def save_summary(folder: Path, now: datetime, text: str, gate: Gate) -> tuple[Path | None, Path | None]:
    """Save this run's summary as 每日汇总-HHMM.txt (never over an earlier run's) and rewrite
    每日汇总.txt with every run of the day, latest run time first. Returns (day file, run file).

    Both pass the gate, which first hides any identity the register knows (a unit's answer
    quoted in a line may name the reporter of another case)."""
    folder.mkdir(parents=True, exist_ok=True)
    own = gate.write_text(folder / f"每日汇总-{now:%H%M}.txt", text)
    runs = sorted((p for p in folder.iterdir() if RUN_SUMMARY.match(p.name)), key=_run_order, reverse=True)
    day = folder / SUMMARY_NAME
    return gate.write_text(day, RUN_SEPARATOR.join(p.read_text(encoding="utf-8") for p in runs),
                           overwrite=True), own
