"""The clerk's daily summary: short Chinese text, printed and saved in the day's outbox.

It names cases by number, unit and the reported company, never by reporter, so it may be
forwarded or printed like anything else in the outbox.
"""

from __future__ import annotations

from datetime import datetime

from tipdesk.rules.plan import Finding, Plan

SECTIONS = (
    ("warning", "重要提醒"),
    ("new", "新登记案件"),
    ("referred", "本次交办、改派"),
    ("corrected", "办理期限更正（工作日历更新）"),
    ("clerk", "需要指挥中心处理"),
    ("overdue", "已超期"),
    ("due_soon", "一个工作日内到期"),
)


def _lines(findings: list[Finding]) -> list[str]:
    return [f"  {f.case}：{f.text}" if f.case else f"  {f.text}" for f in findings]


def daily_summary(plan: Plan, now: datetime, extra: dict[str, list[str]] | None = None,
                  dry_run: bool = False) -> str:
    """The summary text; `extra` adds sections from other steps (inbox, letters, mail)."""
    title = f"安全生产举报每日汇总（{now:%Y年%m月%d日 %H:%M}）" + ("【试运行，未作任何修改】" if dry_run else "")
    counts = {kind: len(plan.of_kind(kind)) for kind, _ in SECTIONS}
    out = [title, "",
           f"新登记 {counts['new']} 件，交办/改派 {len(plan.referred)} 件，"
           f"待处理事项 {counts['clerk']} 项，超期 {counts['overdue']} 件，台账修改 {len(plan.changes)} 处。"]
    for kind, heading in SECTIONS:
        found = plan.of_kind(kind)
        if found:
            out += ["", f"【{heading}】（{len(found)}）", *_lines(found)]
    for heading, lines in (extra or {}).items():
        if lines:
            out += ["", f"【{heading}】（{len(lines)}）", *[f"  {line}" for line in lines]]
    if not plan.findings and not plan.changes:
        out += ["", "今天没有需要处理的事项。"]
    return "\n".join(out) + "\n"
