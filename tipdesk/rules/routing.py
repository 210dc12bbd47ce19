"""Decide a case's category, industry, area and unit from its text and the config rules.

Pure functions: they take values and the config and return a decision with the reason, which
the daily run writes to the register, the journal and the clerk's summary.
"""

from __future__ import annotations

from dataclasses import dataclass

from tipdesk.domain.columns import ACCIDENT, GENERAL, URGENT
from tipdesk.config import Config, Unit


@dataclass(frozen=True)
class Decision:
    value: str | None
    why: str


def _squash(text: str | None) -> str:
    return "".join(str(text or "").split())


def propose_category(content: str, config: Config) -> Decision:
    """事故 before 紧急 (an accident has already happened); no keyword means 一般, to be confirmed."""
    text = _squash(content)
    for ignored in config.category_ignore:
        text = text.replace(ignored, "")
    for category in (ACCIDENT, URGENT):
        hits = [w for w in config.category_keywords.get(category, ()) if w and w in text]
        if hits:
            return Decision(category, f"举报内容含“{'、'.join(hits[:3])}”")
    return Decision(GENERAL, "未发现紧急或事故关键词")


def _matches(text: str, table: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for name, words in table.items():
        found = [w for w in words if w and w in text]
        if found:
            hits[name] = found
    return hits


def infer_industry(content: str, subject: str, config: Config) -> Decision:
    """The one industry whose keywords appear; none or several means no inference."""
    hits = _matches(_squash(subject) + " " + _squash(content), config.industries)
    if len(hits) == 1:
        name, words = next(iter(hits.items()))
        return Decision(name, f"举报内容含“{'、'.join(words[:3])}”")
    if len(hits) > 1:
        return Decision(None, f"内容同时涉及{'、'.join(hits)}，未自动判断行业")
    return Decision(None, "未识别行业")


def infer_area(address: str, config: Config) -> Decision:
    """The one town or subdistrict whose place words appear in the address."""
    areas = {u.name: (u.name, *u.aliases, *u.areas) for u in config.units if u.areas}
    hits = _matches(_squash(address), areas)
    if len(hits) == 1:
        name, words = next(iter(hits.items()))
        return Decision(name, f"事发地址含“{words[0]}”")
    if len(hits) > 1:
        return Decision(None, f"事发地址同时匹配{'、'.join(hits)}")
    return Decision(None, "事发地址未匹配到镇街")


def governing_unit(industry: str | None, config: Config) -> Unit | None:
    for unit in config.units:
        if industry and industry in unit.industries:
            return unit
    return None


def route(unit_typed: str | None, industry: str | None, area: str | None, config: Config) -> Decision:
    """The responsible unit by the configured order: clerk's choice, industry, territory."""
    reasons = []
    for step in config.routing_order:
        if step == "clerk" and _squash(unit_typed):
            unit = config.unit_named(unit_typed)
            if unit:
                return Decision(unit.name, "指挥中心指定")
            return Decision(None, f"承办单位“{unit_typed}”不在配置的单位名单中")
        if step == "industry" and industry:
            unit = governing_unit(industry, config)
            if unit:
                return Decision(unit.name, f"按行业领域“{industry}”归口（管行业必须管安全）")
            reasons.append(f"行业“{industry}”没有主管单位")
        if step == "territory" and area:
            unit = config.unit_named(area)
            if unit:
                return Decision(unit.name, f"按属地“{area}”交办")
            reasons.append(f"镇街“{area}”不在单位名单中")
    return Decision(None, "；".join(reasons) or "无法确定行业和属地")
