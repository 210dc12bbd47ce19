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


# Digits as people read a number out ("幺三八…", "〇五七一"): the twin the number patterns
# scan. Names keep their own twin, or 张三 would become "张3".
CHINESE_DIGITS = {"幺": "1", "〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4",
                  "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_NUMERIC_FOLD = {**_FOLD, **{ord(k): v for k, v in CHINESE_DIGITS.items()}}


def _fold_numbers(text: str) -> str:
    return text.translate(_NUMERIC_FOLD)


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

# QQ numbers and WeChat accounts after those words, however they are spelled to dodge
# filters: 加V, V信, vx, 薇信, 扣扣, 企鹅号, Q号 ...
_IM_WORDS = (r"(?:(?<![A-Za-z])(?i:qq|vx|wx|wechat|weixin|v信|v|q)(?![A-Za-z])"
             r"|扣扣|企鹅|微信|薇信|威信|维信|加微|微号|微)")
_IM_GAP = r"\s*(?:号码?|账号|帐号|ID|id)?\s*(?:是|为)?\s*[:：]?\s*"
_IM_ACCOUNT = rf"{_IM_WORDS}{_IM_GAP}(\d{{5,12}}|[A-Za-z][A-Za-z0-9_\-]{{5,19}})(?![A-Za-z0-9_\-])"

# Whole-match patterns, then patterns whose group 1 is the part to hide.
_WHOLE = [re.compile(p) for p in (_EMAIL, _ID18, _ID15, _LONG_DIGITS, _MOBILE, _LANDLINE)]
_GROUPED = [re.compile(p) for p in (_LOCAL_AFTER_WORD, _TAIL, _IM_ACCOUNT)]

# --- names ----------------------------------------------------------------------------------

# Forms of address that, after a surname, point at one person: 王先生, 王女士, 王师傅 ...
TITLES = ("先生", "女士", "师傅", "师父", "小姐", "同志", "阿姨", "大爷", "大妈", "大姐", "大哥",
          "大叔", "叔叔", "阿婆", "老师", "经理", "老板", "老总", "主任", "书记", "科长", "局长",
          "所长", "站长", "厂长", "队长", "组长", "班长", "会计", "医生", "律师", "警官", "总", "工")
# Words of ordinary text that a surname + title or a given name alone can spell: 施工 is not
# 施先生, 建设 is not 张建设, 国庆 is a holiday. These forms are never hidden or blocked
# (the full name still is).
COMMON_WORDS = frozenset("""
施工 化工 加工 高工 员工 职工 开工 复工 用工 务工 竣工 完工 分工 电工 焊工 木工 钳工 童工 民工
矿工 监工 做工 上工 罢工 旷工 招工 打工 技工 女工 男工 手工 人工 动工 停工 赶工 返工 总工 全工
汇总 老总 总总 副总 班主任 副主任 老师傅
建国 建设 建华 建军 建平 建新 建业 国庆 国强 国华 国平 国家 国际 志强 志明 文明 文化 和平 平安
安全 永安 长安 新华 中华 振华 振兴 爱国 光明 胜利 解放 前进 卫国 卫东 卫生 向阳 东方 红旗 朝阳
发展 富强 民主 自由 幸福 长江 黄河 海洋 森林 春风 阳光 金山 银河 天河 东风 永康 兴业 宏伟 伟大
强大 消防 生产 工作 经营 小区 工地 公司 企业 工厂 车间 仓库 市场 应急 管理 执法 检查 整改 隐患
事故 举报 投诉 核查 属实 处理 办理 反馈 期限 交办 单位 街道 社区 人民 群众 政府 城乡 交通 运输
建筑 危险 化学 燃气 电梯 特种 设备 天然 液化 加油 烟花 爆竹 矿山 煤矿 非法 违法 违规 存在 严重
立即 及时 依法 调查 情况 结果 说明 要求 内容 地址 时间 日期 编号 电话 手机 微信 邮箱 联系 中心
指挥 领导 分管 经办 联络 通知 通报 统计 汇总 明天 今天 上午 下午 晚上 夜间 周末 春节 元旦 清明
端午 中秋 劳动 海燕 春华 秋实 明亮 晓明 红梅 丽华 美丽 美华 永平 永强 永红 金华 金星 明星 新民
新生 新春 兴旺 兴华 德胜 得胜 宏达 宏大 鸿运 顺利 顺发 利民 为民 安民 惠民 华东 华南 江南 海东
""".split())
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
_PLAIN_NAME = re.compile(r"[\u4e00-\u9fff]+\Z")
_NAME_GAP = r"[ \t·•]*"  # what may sit between the characters of a name: "王 建 国"


def split_names(value: object) -> list[str]:
    """Reporter names from a 举报人 cell: several names are split on 、，,;； and spaces.

    A name typed with spaces between its characters ("王 建 国") is one name, not three.
    Digits, brackets and other punctuation also separate ("王建国（退休）13812345678").
    Placeholders such as 匿名 are dropped.
    """
    if not isinstance(value, str):
        return []
    if _PLAIN_NAME.match(value):  # the common cell, one name in Chinese characters: no splitting
        return [] if value in _NOT_NAMES else [value]
    names: list[str] = []
    for chunk in _NAME_CHUNK.split(_fold(value)):
        parts = chunk.split()
        if len(parts) > 1 and all(len(p) == 1 and _CJK.match(p) for p in parts):
            parts = ["".join(parts)]
        names.extend(p for p in parts if p not in _NOT_NAMES and p not in names)
    return names


def _strip_title(name: str) -> tuple[str, bool]:
    """"刘先生" -> ("刘", True). A one-character title only ends a surname ("李总"), never a
    longer name (王建工 is a name)."""
    if not name.endswith(TITLES):
        return name, False
    for title in TITLES:
        bare = name[: -len(title)]
        if len(name) > len(title) and name.endswith(title) and (len(title) > 1 or len(bare) == 1
                                                                 or bare in _COMPOUND_SURNAMES):
            return bare, True
    return name, False


def _surname(name: str) -> str:
    if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def name_forms(name: str) -> tuple[str, str, str]:
    """(name without title and spaces, its surname, the given name alone or "").

    Surname and given name only for a Chinese name. The given name counts from two
    characters (王建国 -> 建国), and not when it is an ordinary word (建设, 国庆)."""
    bare, _ = _strip_title(re.sub(r"\s+", "", _fold(name)))
    if not bare or not _CJK.match(bare):
        return bare, "", ""
    surname = _surname(bare) if len(bare) >= 2 else bare
    given = bare[len(surname):]
    return bare, surname, given if len(given) >= 2 and given not in COMMON_WORDS else ""


def titled(surname: str) -> list[str]:
    """Surname + each form of address, longest first (王总经理 whole, not 王总 + 经理), except
    those that spell an ordinary word (施工, 化工)."""
    forms = [surname + t for t in TITLES if surname + t not in COMMON_WORDS] if surname else []
    return sorted(forms, key=len, reverse=True)


def _spelled(word: str) -> str:
    return _NAME_GAP.join(re.escape(ch) for ch in word)


def _name_patterns(name: str) -> list[re.Pattern[str]]:
    """Patterns for one reporter name: the name itself, surname + form of address, and the
    given name alone."""
    bare, surname, given = name_forms(name)
    if not bare:
        return []
    patterns: list[re.Pattern[str]] = []
    if len(bare) >= 2:
        # Latin names are matched case-insensitively and only as whole words.
        if _CJK.match(bare):
            patterns.append(re.compile(_spelled(bare)))
        else:
            patterns.append(re.compile(rf"(?i)(?<![A-Za-z]){_spelled(bare)}(?![A-Za-z])"))
    for form in titled(surname) + ([given] if given else []):
        patterns.append(re.compile(_spelled(form)))
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
        body = "[ \\-.]{0,2}".join(digits)
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
    folded, numeric = _fold(text), _fold_numbers(text)
    name_patterns = [p for name in names for p in _name_patterns(name)]
    literal_patterns = [p for p in map(_literal_pattern, contact_values(literals)) if p]
    spans = _spans(folded, name_patterns, 0) + _number_spans(numeric, literal_patterns)
    out = text
    for start, end in reversed(_merge(spans)):
        out = out[:start] + MARKER + out[end:]
    return out


def _number_spans(numeric: str, extra: Iterable[re.Pattern[str]] = ()) -> list[tuple[int, int]]:
    return _spans(numeric, [*_WHOLE, *extra], 0) + _spans(numeric, _GROUPED, 1)


def detect(text: str) -> list[str]:
    """The phone numbers, ID numbers, e-mail addresses and QQ/WeChat accounts written in
    `text`, as written: whoever they belong to, they identify a person."""
    if not text:
        return []
    return [text[start:end] for start, end in _merge(_number_spans(_fold_numbers(text)))]


# Compiled once: contact_values runs for every row of the register, every run (the gate).
_EMAIL_ADDRESS = re.compile(_EMAIL)
_CONTACT_WORDS = re.compile(rf"(?i){_PHONE_WORDS}|{_IM_WORDS}")
_DIGIT_RUN = re.compile(r"\d[\d \-]*\d")
_ACCOUNT = re.compile(r"[A-Za-z][A-Za-z0-9_.@\-]{4,}")
_PLUS86 = re.compile(r"^(?:0086|\+?86)(?=1[3-9]\d{9}$)")
_LANDLINE_DIGITS = re.compile(r"0\d{9,11}")


def contact_values(values: Iterable[str]) -> list[str]:
    """Values to hide from contact cells such as "手机 138 1234 5678；微信 zs_8848"."""
    tokens: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        if value.isascii() and value.isdigit():  # the common cell, "13812345678": no regex needed
            tokens.extend(phone_variants(value))
            continue
        text = _fold_numbers(value)
        # Addresses first, whole: "qq" in "chen.gd@qq.com" is not a QQ label.
        tokens.extend(_EMAIL_ADDRESS.findall(text))
        text = _CONTACT_WORDS.sub(" ", _EMAIL_ADDRESS.sub(" ", text))
        for run in _DIGIT_RUN.findall(text):
            tokens.extend(n for group in _digit_groups(run) for n in phone_variants(group))
        tokens.extend(_ACCOUNT.findall(text))
    return tokens


def phone_variants(digits: str) -> list[str]:
    """A number and the shorter ways it is also written: without +86/0086, and a landline
    without its area code (0571-87654321 is also dialled, and written, as 87654321)."""
    out = [digits]
    bare = _PLUS86.sub("", digits)
    if bare != digits:
        out.append(bare)
    if _LANDLINE_DIGITS.fullmatch(bare):
        local = bare[3:] if bare[1] in "12" else bare[4:]
        out += [bare[1:], local] if len(local) >= 7 else [bare[1:]]
    return out


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
