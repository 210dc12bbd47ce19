"""Place words of a unit's territory, and house numbers in an address: pure text reading.

An entry of a unit's `areas:` in config.yaml is either a place word (东城, 石桥村, 幸福小区,
人民路) or a road with a house-number range, for roads that cross a boundary:

    人民路1-99号      numbers 1 to 99          人民路100号起 / 人民路100-号   100 and above
    人民路88号        number 88 only           人民路1-99号单号 / 人民路2-98号双号   one side

Full-width digits and the separators - － ~ ～ — – 至 到 are accepted. An address's house
number is the number right after the road: 人民路88号, 人民路８８号, 人民路88-2号 (88),
人民路88号院, 人民路北段88号, 人民路一百二十号 (120), or a bare 人民路88 (not 人民路3公里处).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tipdesk.domain.textnorm import normalize_text

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = f"[{''.join(_CN_DIGITS)}{''.join(_CN_UNITS)}]+"
_SEPARATORS = "-~—–―‐‑−〜至到"
_PARITY = {"单号": 1, "单数": 1, "单": 1, "双号": 0, "双数": 0, "双": 0}
_PARITY_WORD = r"(?:\(?(?P<{name}>单号|双号|单数|双数|单|双)\)?)"  # brackets are ASCII after NFKC

_RANGE = re.compile(
    r"^(?P<road>.*?)" + _PARITY_WORD.format(name="before") + r"?"
    r"(?P<low>\d+)(?P<mark>号)?"
    r"(?:(?P<sep>[" + _SEPARATORS + r"]+)(?P<high>\d+)?号?)?"
    r"(?P<open>起|以上|及以上|以后|往后)?" + _PARITY_WORD.format(name="after") + r"?$")

# After the road: an optional segment (北段), then the number, a sub-number (88-2, 88之1), 号.
_HOUSE = re.compile(
    r"\s*(?:[东西南北中]段?\s*)?第?\s*(?:(?P<arabic>\d+)|(?P<chinese>" + _CN_NUMBER + r"))"
    r"\s*(?:[-之]\s*(?:\d+|" + _CN_NUMBER + r"))?\s*(?P<mark>号|號|#)?")
# A bare number is a house number unless a unit says it is something else (3公里, 8栋, 2单元).
_NOT_A_HOUSE = re.compile(r"[\d.米公里栋幢楼层室组路街巷弄单元mMkK]")


@dataclass(frozen=True)
class Place:
    """One `areas:` entry: a place word, or a road with a house-number range."""

    text: str                   # as written in config.yaml
    word: str                   # the place word or road, as matched (NFKC, no spaces)
    low: int | None = None      # the first house number; None for a plain place word
    high: float = math.inf      # the last house number (inf: open-ended, 100号起)
    parity: int | None = None   # 1 单号 (odd), 0 双号 (even), None both sides

    @property
    def ranged(self) -> bool:
        return self.low is not None

    def holds(self, number: int) -> bool:
        return (self.low is not None and self.low <= number <= self.high
                and (self.parity is None or number % 2 == self.parity))

    def overlaps(self, other: Place) -> bool:
        """Some house number of the same road lies in both ranges."""
        if not (self.ranged and other.ranged) or self.word != other.word:
            return False
        low, high = max(self.low, other.low), min(self.high, other.high)
        if low > high:
            return False
        sides = {p for p in (self.parity, other.parity) if p is not None}
        if len(sides) > 1:
            return False
        return not sides or high > low or low % 2 in sides


def squash(text: object) -> str:
    """Text as place words are matched: NFKC (full-width digits folded) and no spaces."""
    return "".join(normalize_text(text).split())


def parse_place(text: str) -> Place:
    """The entry `text` of a unit's areas; ValueError (a Chinese sentence) if a range is malformed."""
    word = squash(text)
    found = _RANGE.match(word)
    if not found or not (found["mark"] or found["sep"] or found["open"]):
        return Place(text, word)  # 石桥村, 幸福小区, 西关村5组: a plain place word
    road = found["road"]
    low = int(found["low"])
    high: float = math.inf if found["open"] or (found["sep"] and not found["high"]) else \
        int(found["high"]) if found["high"] else low
    parity_word = found["before"] or found["after"]
    parity = _PARITY[parity_word] if parity_word else None
    if not road:
        raise ValueError(f"缺少路名，请写成“人民路{word}”这样的形式")
    if high < low:
        raise ValueError(f"门牌号起止颠倒，请写成“{road}{int(high)}-{low}号”")
    return Place(text, road, low, high, parity)


def chinese_number(text: str) -> int:
    """一百二十 -> 120, 十五 -> 15, 一二〇 -> 120."""
    if all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total = current = 0
    for c in text:
        if c in _CN_DIGITS:
            current = _CN_DIGITS[c]
        else:
            total += (current or 1) * _CN_UNITS[c]
            current = 0
    return total + current


def house_numbers(address: str, road: str) -> list[int]:
    """The house numbers written right after `road` (a squashed place word) in `address`, in
    order; an empty list when the road is named without a number."""
    text = squash(address)
    numbers = []
    start = text.find(road)
    while start >= 0:
        after = start + len(road)
        found = _HOUSE.match(text, after)
        if found and (found["mark"] or (found["arabic"] and not _NOT_A_HOUSE.match(text, found.end()))):
            numbers.append(int(found["arabic"]) if found["arabic"] else chinese_number(found["chinese"]))
        start = text.find(road, after)
    return numbers
