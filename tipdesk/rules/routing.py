"""Decide a case's category, industry, area and unit from its text and the config rules.

Pure functions: they take values and the config and return a decision with the reason, which
the daily run writes to the register, the journal and the clerk's summary. A decision that
could not be made names what it hesitated between (`candidates`), so the clerk decides in
one look.

Routing reads a case the way the clerk does (README, 承办单位):

1. 承办单位 typed by the clerk (a name or alias) wins; an unknown name leaves the case 待分派.
2. Industry (管行业必须管安全): 行业领域 as typed; when empty, the 被举报单位 when its words
   name exactly one industry (…加油站, …燃气公司, …建筑公司); else the 举报内容 when exactly
   one industry's words appear. The governing unit of that industry takes the case; several
   industries that one unit governs alone (危险化学品 and 工贸) go to that unit too.
3. Territory (属地): 所属镇街 as typed; when empty, the 事发地址, read in this order:
   a. a town's or subdistrict's own name or alias (南城街道, 南城街道办) wins outright; two
      different ones named is ambiguous;
   b. else the place words of the units' areas. Each word found points to the units that list
      it; for a road with house-number ranges, to the unit whose range holds the number (it
      beats the same road's bare name), and a road without a number points to every unit
      along it. Words that all point to one common unit decide (人民路与解放路交叉口: 解放路 is
      东城街道's alone, 人民路 partly so);
   c. else the most specific word: the longest (幸福小区 beats 东城), a house number in its
      range beating an equally long word without one;
   d. equally specific words of different units are ambiguous, and say which.
4. Otherwise 待分派, with the reasons and candidates of the steps that hesitated.

`routing.order` in config can reorder steps 1-3.
"""

from __future__ import annotations

from dataclasses import dataclass

from tipdesk.domain.columns import ACCIDENT, GENERAL, URGENT
from tipdesk.domain.places import house_numbers, squash
from tipdesk.config import Config, Unit

TERRITORY_TYPE = "镇街"


@dataclass(frozen=True)
class Decision:
    value: str | None
    why: str
    candidates: tuple[str, ...] = ()  # when value is None: what it hesitated between
    note: str = ""                    # route(): the short reason for 〔归口：…〕 in 备注


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


def given(value: str | None, column: str) -> Decision:
    """A value the register already holds in `column` (typed, or written by an earlier run)."""
    text = str(value or "").strip()
    return Decision(text or None, f"{column}已填" if text else f"{column}为空")


def _matches(text: str, table: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    hits: dict[str, list[str]] = {}
    for name, words in table.items():
        found = [w for w in words if w and w in text]
        if found:
            hits[name] = found
    return hits


def infer_industry(content: str, subject: str, config: Config) -> Decision:
    """The industry the 被举报单位 names, if exactly one; else the one whose words appear in
    the 举报内容. Several (and a 被举报单位 that does not settle them) mean no inference."""
    by_subject = _matches(_squash(subject), config.industries)
    by_content = _matches(_squash(content), config.industries)
    if len(by_subject) == 1:
        name, words = next(iter(by_subject.items()))
        return Decision(name, f"被举报单位含“{'、'.join(words[:3])}”")
    if by_subject:
        both = [name for name in by_subject if name in by_content]
        if len(both) == 1:
            name = both[0]
            return Decision(name, f"被举报单位含“{by_subject[name][0]}”，举报内容含“{by_content[name][0]}”")
        return Decision(None, f"被举报单位同时涉及{'、'.join(by_subject)}", tuple(by_subject))
    if len(by_content) == 1:
        name, words = next(iter(by_content.items()))
        return Decision(name, f"举报内容含“{'、'.join(words[:3])}”")
    if by_content:
        return Decision(None, f"内容同时涉及{'、'.join(by_content)}", tuple(by_content))
    return Decision(None, "未识别行业")


def territorial_units(config: Config) -> list[Unit]:
    """Towns and subdistricts: units with areas, or of type 镇街."""
    return [u for u in config.units if u.places or u.type == TERRITORY_TYPE]


@dataclass(frozen=True)
class _Match:
    strength: tuple[int, int]  # (length of the place word, 1 for a house number in its range)
    word: str                  # the place word found
    why: str


# A road found right after one of these is likely a longer name of another road (新人民路,
# 东人民路, 老街 in 北老街): the case waits for the clerk rather than go to the wrong town.
_ROAD_PREFIXES = set("新老旧东西南北中前后上下外内小大")
_ROAD_ENDINGS = ("路", "街", "道", "巷", "弄", "里")


def _inside_a_longer_road(text: str, word: str) -> str | None:
    """The longer road name `word` only ever appears inside (新人民路 for 人民路), if so."""
    if not word.endswith(_ROAD_ENDINGS):
        return None
    longer, start = None, text.find(word)
    while start >= 0:
        if start == 0 or text[start - 1] not in _ROAD_PREFIXES:
            return None
        longer = text[start - 1:start + len(word)]
        start = text.find(word, start + 1)
    return longer


def _place_matches(address: str, text: str, unit: Unit, missed: dict[str, list[str]]) -> list[_Match]:
    found = []
    for place in unit.places:
        if not place.word or place.word not in text:
            continue
        longer = _inside_a_longer_road(text, place.word)
        if longer:
            missed.setdefault(f"“{longer}”与配置的“{place.word}”", []).append(unit.name)
            continue
        if not place.ranged:
            found.append(_Match((len(place.word), 0), place.word, f"地址含“{place.word}”"))
            continue
        numbers = house_numbers(address, place.word)
        hit = next((n for n in numbers if place.holds(n)), None)
        if hit is not None:
            found.append(_Match((len(place.word), 1), place.word, f"{place.word}{hit}号属“{place.text}”"))
        elif not numbers:  # the road without a number: each unit along it is as likely
            found.append(_Match((len(place.word), 0), place.word, f"地址含“{place.word}”"))
        else:
            missed.setdefault(f"{place.word}{numbers[0]}号", []).append(unit.name)
    return found


def infer_area(address: str, config: Config) -> Decision:
    """The town or subdistrict of `address`: its own name first, then the most specific place
    word (module docstring, step 3); ties are ambiguous and name their candidates."""
    text = squash(address)
    units = territorial_units(config)
    named: dict[str, str] = {}
    for unit in units:
        words = [w for w in map(squash, (unit.name, *unit.aliases)) if w and w in text]
        if words:
            named[unit.name] = max(words, key=len)
    if len(named) == 1:
        name, word = next(iter(named.items()))
        return Decision(name, f"地址含“{word}”")
    if named:
        return Decision(None, f"地址同时写了{'、'.join(named)}", tuple(named))
    found: dict[str, dict[str, _Match]] = {}   # place word -> unit -> that unit's match of it
    missed: dict[str, list[str]] = {}
    for unit in units:
        for match in _place_matches(address, text, unit, missed):
            mine = found.setdefault(match.word, {})
            if unit.name not in mine or match.strength > mine[unit.name].strength:
                mine[unit.name] = match
    if not found:
        if missed:
            where, along = next(iter(missed.items()))
            why = (f"地址中{where}可能不是同一条路，请核对" if where.startswith("“")
                   else f"“{where}”不在配置的门牌号范围内")
            return Decision(None, why, tuple(dict.fromkeys(along)))
        return Decision(None, "事发地址未匹配到镇街")
    # Each word points to the units that match it best (for a road: the range holding the number).
    owners = {word: [u for u, m in by_unit.items() if m.strength == max(x.strength for x in by_unit.values())]
              for word, by_unit in found.items()}
    best: dict[str, _Match] = {}
    for word, names in owners.items():
        for name in names:
            if name not in best or found[word][name].strength > best[name].strength:
                best[name] = found[word][name]
    # Every word agrees on one unit (南环路与人民路交叉口: only 南城街道 has both): that unit,
    # named by the word that is its alone.
    common = set.intersection(*(set(names) for names in owners.values()))
    if len(common) == 1:
        name = common.pop()
        alone = [found[w][name] for w, names in owners.items() if names == [name]]
        return Decision(name, max(alone or [best[name]], key=lambda m: m.strength).why)
    top = max(m.strength for m in best.values())
    winners = [name for name, m in best.items() if m.strength == top]
    if len(winners) == 1:
        return Decision(winners[0], best[winners[0]].why)
    words = {best[name].word for name in winners}
    if len(words) == 1:
        return Decision(None, f"地址“{words.pop()}”同时属于 {'、'.join(winners)}", tuple(winners))
    return Decision(None, "地址含" + "、".join(f"“{best[n].word}”（{n}）" for n in winners), tuple(winners))


def governing_unit(industry: str | None, config: Config) -> Unit | None:
    for unit in config.units:
        if industry and industry in unit.industries:
            return unit
    return None


def route(unit_typed: str | None, industry: Decision, area: Decision, config: Config) -> Decision:
    """The responsible unit by the configured order: clerk's choice, industry, territory.

    `industry` and `area` are what the register holds (`given`) or what was inferred
    (`infer_industry`, `infer_area`). A unit found by industry or territory comes with its
    short reason in `note`; the clerk's own choice needs none. Without a unit, `why` says what
    was missing or ambiguous and `candidates` lists the units it hesitated between.
    """
    doubts: list[str] = []
    candidates: list[str] = []
    for step in config.routing_order:
        if step == "clerk" and _squash(unit_typed):
            unit = config.unit_named(unit_typed)
            if unit:
                return Decision(unit.name, "指挥中心指定")
            return Decision(None, f"承办单位“{unit_typed}”不在配置的单位名单中")
        if step == "industry" and industry.value:
            unit = governing_unit(industry.value, config)
            if unit:
                return Decision(unit.name, f"按行业领域“{industry.value}”归口（管行业必须管安全）：{industry.why}",
                                note=f"行业 {industry.value}（{industry.why}）")
            doubts.append(f"行业“{industry.value}”没有主管单位")
        elif step == "industry" and industry.candidates:
            governing = [u.name for i in industry.candidates if (u := governing_unit(i, config))]
            if len(governing) == len(industry.candidates) and len(set(governing)) == 1:
                return Decision(governing[0], f"{industry.why}，均由{governing[0]}主管",
                                note=f"行业 {'、'.join(industry.candidates)}（均由{governing[0]}主管）")
            doubts.append(industry.why)
            candidates += governing
        if step == "territory" and area.value:
            unit = config.unit_named(area.value)
            if unit:
                return Decision(unit.name, f"按属地“{area.value}”交办：{area.why}",
                                note=f"属地 {unit.name}（{area.why}）")
            doubts.append(f"镇街“{area.value}”不在单位名单中")
        elif step == "territory" and area.candidates:
            doubts.append(area.why)
            candidates += area.candidates
    return Decision(None, "；".join(doubts) or "无法确定行业和属地", tuple(dict.fromkeys(candidates)))
