"""Keep the whistleblower out of everything that leaves the register.

`redact` hides, inside free complaint text, the reporter's name (as given), and anything that
identifies a person whoever it belongs to: phone numbers, ID-card numbers, e-mail addresses,
QQ and WeChat accounts. Every hit becomes MARKER. It errs on the side of hiding: a stray long
number lost from a letter costs nothing, a leaked phone number is an offence (notice, 四(四)).

How it works: the text is first mapped character by character to a "normalised" twin
(full-width digits, letters and punctuation become ASCII, dashes become "-"). The mapping is
one character to one character, so a match found in the twin has the same position in the
original, and we replace the original's characters. That keeps all the patterns ASCII-only.
"""

from __future__ import annotations

import re
from typing import Iterable

from tipdesk.domain import columns as col

MARKER = "【已隐去】"

# --- normalisation -------------------------------------------------------------------------

def _build_fold_table() -> dict[int, str]:
    """Full-width ASCII (U+FF01..U+FF5E) to ASCII, plus look-alike spaces and dashes."""
    table = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table[0x3000] = " "  # ideographic space
    table[0x00A0] = " "  # no-break space
    for dash in "‐‑‒–—―－﹣−":
        table[ord(dash)] = "-"
    table[ord("。")] = "."  # only used inside e-mail domains ("163。com")
    return table


_FOLD = _build_fold_table()


def _fold(text: str) -> str:
    folded = text.translate(_FOLD)
    assert len(folded) == len(text)  # the whole scheme relies on 1:1 positions
    return folded


# --- patterns (applied to the folded text) ------------------------------------------------

# Separators people put inside numbers: space, hyphen, dot. At most two in a row.
_SEP = r"[ \t.\-]{0,2}"

# Mobile: 1[3-9]x xxxx xxxx, optionally +86 / 0086 / (+86) in front.
_MOBILE = (
    r"(?:(?:\(\s*(?:\+|00)?86\s*\)|(?<![\d+])(?:\+|00)?86)[ \-]{0,2}|(?<!\d))"
    rf"1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}(?!\d)"
)

# Landline with area code: 010-12345678, 0755 1234567, (021)12345678, 021-1234-5678,
# optionally an extension ("转123" or "-123" after a hyphenated number).
_LANDLINE = (
    r"(?:\(\s*0\d{2,3}\s*\)\s{0,2}|(?<!\d)0\d{2,3}[ \-]{0,2})"
    r"\d{3,4}[ \-]?\d{4}(?!\d)(?:\s*(?:转|ext\.?|-)\s*\d{1,5}(?!\d))?"
)

# 18-digit ID (last character may be X) and 15-digit old ID, optionally grouped 6-8-4 / 6-6-3.
_ID18 = (
    r"(?<![\dA-Za-z])[1-9]\d{5}[ \-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01])[ \-]?\d{3}[\dXx](?![\dA-Za-z])"
)
_ID15 = (
    r"(?<![\dA-Za-z])[1-9]\d{5}[ \-]?\d{2}(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01])[ \-]?\d{3}(?![\dA-Za-z])"
)
# Any other bare run of 15 to 19 digits (bank cards, IDs with a wrong date, ...). Nothing
# ordinary in a complaint is that long, so it is safer hidden.
_LONG_DIGITS = r"(?<![\dA-Za-z])\d{15,19}[Xx]?(?![\dA-Za-z])"

# E-mail, also with spaces around "@" and "." ("li_si @ qq.com").
_EMAIL = (
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s?@\s?"
    r"[A-Za-z0-9\-]+(?:\s?\.\s?[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)

# Words that announce a phone number; a 7-8 digit local number only counts after one of them,
# so dates like 20261203 and plain counts stay.
_PHONE_WORDS = r"(?:电话|手机|联系|座机|固话|来电|致电|电联|号码|tel|phone|mobile)"
# Between the word and the number: "号码", "是", "为", ":", spaces, "方式" etc., but no digits.
_GAP = r"(?:方式|电话|号码?|号)?\s*(?:是|为)?\s*[:：]?\s*"
_LOCAL_AFTER_WORD = rf"(?i:{_PHONE_WORDS}){_GAP}(\d{{3,4}}[ \-]?\d{{4}})(?!\d)"
# "手机尾号5678": a tail is still a clue.
_TAIL = r"尾号\s*(?:是|为)?\s*[:：]?\s*(\d{3,4})(?!\d)"

# QQ numbers and WeChat accounts after those words.
_IM_WORDS = r"(?:(?<![A-Za-z])(?i:qq|vx|wx|wechat|weixin)|扣扣|微信)"
_IM_GAP = r"\s*(?:号码?|账号|帐号|ID|id)?\s*(?:是|为)?\s*[:：]?\s*"
_IM_ACCOUNT = rf"{_IM_WORDS}{_IM_GAP}(\d{{5,12}}|[A-Za-z][A-Za-z0-9_\-]{{5,19}})(?![A-Za-z0-9_\-])"

# Whole-match patterns, then patterns whose group 1 is the part to hide.
_WHOLE = [re.compile(p) for p in (_EMAIL, _ID18, _ID15, _LONG_DIGITS, _MOBILE, _LANDLINE)]
_GROUPED = [re.compile(p) for p in (_LOCAL_AFTER_WORD, _TAIL, _IM_ACCOUNT)]

# --- names ----------------------------------------------------------------------------------

# Forms of address that, after a surname, point at one person: 王先生, 王女士, 王师傅 ...
_TITLES = ("先生", "女士", "师傅", "小姐", "同志", "阿姨", "大爷", "大妈", "大姐", "大哥")
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 夏侯 轩辕 令狐 端木 "
    "独孤 南宫 西门 百里 呼延 澹台 公冶 太史 申屠 闻人 赫连 钟离 宗政 濮阳 淳于 单于 太叔 "
    "仲孙 万俟 左丘 东郭 拓跋 第五 乐正 漆雕 壤驷 公良 梁丘 谷梁 巫马 颛孙 段干".split()
)
# What people type into 举报人 when there is no name; never treat these as names.
_NOT_NAMES = frozenset(
    "匿名 无 无名 不详 未知 未留 未提供 不愿透露 保密 群众 市民 网友 村民 居民 职工 员工 "
    "工人 来电人 举报人 某某 略 电话 手机 联系 联系人 微信 邮箱 先生 女士 本人".split()
)
# Anything but CJK, "·", Latin letters and spaces separates names.
_NAME_CHUNK = re.compile(r"[^\u4e00-\u9fff·A-Za-z ]+")
_CJK = re.compile(r"^[\u4e00-\u9fff·]+$")
_NAME_GAP = r"[ \t·•]*"  # what may sit between the characters of a name: "王 建 国"


def split_names(value: object) -> list[str]:
    """Reporter names from a 举报人 cell: several names are split on 、，,;； and spaces.

    A name typed with spaces between its characters ("王 建 国") is one name, not three.
    Digits, brackets and other punctuation also separate ("王建国（退休）13812345678").
    Placeholders such as 匿名 are dropped.
    """
    if not isinstance(value, str):
        return []
    names: list[str] = []
    for chunk in _NAME_CHUNK.split(_fold(value)):
        parts = chunk.split()
        if len(parts) > 1 and all(len(p) == 1 and _CJK.match(p) for p in parts):
            parts = ["".join(parts)]
        names.extend(p for p in parts if p not in _NOT_NAMES and p not in names)
    return names


def _strip_title(name: str) -> tuple[str, bool]:
    for title in _TITLES:
        if len(name) > len(title) and name.endswith(title):
            return name[: -len(title)], True
    return name, False


def _surname(name: str) -> str:
    if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def _name_patterns(name: str) -> list[re.Pattern[str]]:
    """Patterns for one reporter name: the name itself and surname + form of address."""
    name = re.sub(r"\s+", "", _fold(name))
    if not name:
        return []
    bare, _ = _strip_title(name)
    patterns: list[re.Pattern[str]] = []
    spelled = _NAME_GAP.join(re.escape(ch) for ch in bare)
    is_chinese = bool(_CJK.match(bare))
    if len(bare) >= 2:
        # Latin names are matched case-insensitively and only as whole words.
        if is_chinese:
            patterns.append(re.compile(spelled))
        else:
            patterns.append(re.compile(rf"(?i)(?<![A-Za-z]){spelled}(?![A-Za-z])"))
    if is_chinese:
        surname = _surname(bare) if len(bare) >= 2 else bare
        titles = "|".join(_TITLES)
        patterns.append(re.compile(rf"{re.escape(surname)}{_NAME_GAP}(?:{titles})"))
    return patterns


def _literal_pattern(token: str) -> re.Pattern[str] | None:
    """A contact value (phone, WeChat id, ...) to hide wherever it appears verbatim.

    Digits may be written with separators in the complaint, so "87654321" also finds
    "8765 4321"; shorter tokens are ignored because they would hit ordinary numbers.
    """
    token = _fold(token).strip()
    digits = re.sub(r"\D", "", token)
    if token and digits == re.sub(r"[ \t.\-+()]", "", token):
        if len(digits) < 5:
            return None
        body = "[ \\-]{0,2}".join(digits)
        return re.compile(rf"(?<!\d){body}(?!\d)")
    if len(token) < 5:
        return None
    return re.compile(rf"(?i)(?<![A-Za-z0-9_]){re.escape(token)}(?![A-Za-z0-9_])")


# --- the work -------------------------------------------------------------------------------

def _spans(folded: str, patterns: Iterable[re.Pattern[str]], group: int) -> list[tuple[int, int]]:
    found = []
    for pattern in patterns:
        for match in pattern.finditer(folded):
            start, end = match.span(group)
            if end > start:
                found.append((start, end))
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def redact(text: str, names: Iterable[str] = (), *, literals: Iterable[str] = ()) -> str:
    """`text` with every reporter name and personal number replaced by MARKER.

    `names`: the reporter's name(s), matched also with spaces between the characters and as
    surname + 先生/女士/师傅 (王建国 hides 王先生). `literals`: further exact values to hide
    (the 联系方式 cell), on top of the general phone / ID / e-mail / QQ / WeChat patterns.
    """
    if not text:
        return text
    folded = _fold(text)
    name_patterns = [p for name in names for p in _name_patterns(name)]
    literal_patterns = [p for p in map(_literal_pattern, _literal_tokens(literals)) if p]
    spans = _spans(folded, _WHOLE + name_patterns + literal_patterns, 0)
    spans += _spans(folded, _GROUPED, 1)
    out = text
    for start, end in reversed(_merge(spans)):
        out = out[:start] + MARKER + out[end:]
    return out


def _literal_tokens(values: Iterable[str]) -> list[str]:
    """Values to hide from contact cells such as "手机 138 1234 5678；微信 zs_8848"."""
    tokens: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        text = re.sub(rf"(?i){_PHONE_WORDS}|{_IM_WORDS}", " ", _fold(value))
        for run in re.findall(r"\d[\d \-]*\d", text):
            tokens.extend(_digit_groups(run))
        tokens.extend(re.findall(r"[A-Za-z][A-Za-z0-9_.@\-]{4,}", text))
    return tokens


def _digit_groups(run: str) -> list[str]:
    """Split "138 1234 5678 0755-1234567" into numbers: short pieces belong to their
    neighbours (138 + 1234 + 5678), a long piece after a complete number starts a new one."""
    groups: list[str] = []
    for piece in re.split(r"[ \-]+", run):
        if groups and (len(groups[-1]) < 7 or len(piece) < 5):
            groups[-1] += piece
        else:
            groups.append(piece)
    return groups


# Register columns that are identifiers, not free text: never rewritten.
_IDENTIFIER_COLUMNS = frozenset({col.CASE_ID, col.UPSTREAM_NO, col.LETTER_NO})


def redact_case(case: dict) -> dict:
    """A copy of a register row that is safe to send: 举报人 and 联系方式 are gone, and every
    free-text cell (举报内容 first of all) is redacted with the reporter's names and contact.
    """
    names = split_names(case.get(col.REPORTER))
    contact = case.get(col.REPORTER_CONTACT)
    literals = [contact] if isinstance(contact, str) else []
    if isinstance(contact, (int, float)) and not isinstance(contact, bool):
        literals = [str(int(contact))]  # a phone typed into Excel as a number
    safe = {}
    for key, value in case.items():
        if key in col.REPORTER_COLUMNS:
            continue
        if isinstance(value, str) and key not in _IDENTIFIER_COLUMNS:
            value = redact(value, names, literals=literals)
        safe[key] = value
    return safe
