"""Every reporter identity the register knows, in every way it may be written, and where a
text holds one: what the egress gate (store/egress.py) checks each outgoing file and mail
against.

An identity is collected from a register row (live or archived): the 举报人 names with their
forms (full name, surname + 先生/老师/师傅/工…, the given name alone), the 联系方式 values,
and every phone, ID, e-mail or QQ/WeChat account redact.detect finds in the row's text. Each
belongs to its case, so a hit names the case, never the identity.

Matching runs on a canonical twin of the text (`canonical`): full-width folded, lower case,
Chinese numerals as digits, and spaces, dashes, dots, brackets, "+", "_" and "·" dropped, so
"１３８ 一二三四-5678", "+86 138.1234.5678" and "王 建 国" all meet their identity. The
identity forms are canonicalised the same way.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_right
from typing import Any, Iterable

from tipdesk.domain import columns as col
from tipdesk.domain.rows import Row
from tipdesk.domain.redact import (
    CHINESE_DIGITS, COMMON_WORDS, MARKER, contact_values, detect, name_forms,
    phone_variants, split_names, titled,
)

# Dropped from the canonical twin: what people put inside numbers, names and addresses.
_DROPPED = frozenset(" \t\r\n\u3000\u00a0\u200b-‐‑‒–—―−﹣.()[]+_·•/\\'\"")
# A digit-only form shorter than this is not kept (12345 is the hotline, 310000 a post code);
# up to _BOUNDED digits a form must stand alone, longer ones may sit inside longer runs (+86…).
_MIN_DIGITS, _BOUNDED = 6, 10
# What a text needs to hold a number or an account at all (a quick test before redact.detect).
_MAY_IDENTIFY = re.compile(r"[0-9０-９][0-9０-９ \-－]{4}|[@＠]|[幺〇零一二三四五六七八九]{5}|[A-Za-zＡ-Ｚａ-ｚ]{5}")
# Register columns with free text a reporter's number may have been typed into.
TEXT_COLUMNS = (col.SUBJECT, col.ADDRESS, col.CONTENT, col.RESULT, col.NOTES, col.CALL_BACK_RESULT,
                col.CHASE_LOG)


# What row_identities reads of each row, in this order.
_ROW_COLUMNS = (col.CASE_ID, col.REPORTER, col.REPORTER_CONTACT, *TEXT_COLUMNS)

# (case id, the reporter's names as (full name, surname, given name), numbers and accounts)
RowIdentities = tuple[str, list[tuple[str, str, str]], list[str]]


def row_identities(row: Any) -> RowIdentities:
    """What a row tells of its reporter, before the published texts are taken out: a function
    of its cells alone, so it can be kept with them (store/cache.py). A register Row is read
    raw, and once: a 50,000-row register is collected on every run."""
    if row.__class__ is Row:
        if row.identities is None:
            row.identities = _row_identities(row.raw_cells(_ROW_COLUMNS))
        return row.identities
    return _row_identities([row.get(c) for c in _ROW_COLUMNS])


def identity_key(row: Row) -> str:
    """What row_identities reads of a register row, as a digest of 32 hex digits: rows with
    the same key have the same identities (store/cache.py keeps them by it, so that a register
    edited since it was read has only its edited rows worked out again). repr tells 1, 1.0,
    "1" and True apart, as a cell does."""
    return hashlib.blake2b(repr(row.raw_cells(_ROW_COLUMNS)).encode(), digest_size=16).hexdigest()


def _row_identities(cells: list[Any]) -> RowIdentities:
    case_id, reporter, contact, *texts = cells
    case_id = str(case_id or "").strip() or "（无编号）"
    names = [name_forms(name) for name in split_names(reporter)]
    if isinstance(contact, (int, float)) and not isinstance(contact, bool):
        contact = str(int(contact))  # a phone typed into Excel as a number
    values = contact_values([contact]) if isinstance(contact, str) else []
    texts = [text for text in texts if isinstance(text, str) and text]
    # One quick test over the row's free text; most rows hold no number at all.
    if texts and _MAY_IDENTIFY.search("\n".join(texts)):
        for text in texts:
            if _MAY_IDENTIFY.search(text):
                values += [v for found in detect(text) for v in _identifier_variants(found)]
    return case_id, names, values


_GONE = "\x00"  # a dropped character, while positions still count one to one
_GONE_AT = re.compile(_GONE)


def _table() -> dict[int, str]:
    """One character to one (or to _GONE): full-width and other compatibility forms by
    NFKC where that gives one character, upper case to lower, Chinese numerals to digits."""
    table = {}
    for code in (*range(0x2460, 0x24FF), *range(0x3000, 0x3100), *range(0xFE30, 0xFFEF), 0x00A0, 0x2010,
                 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212, 0x200B, *range(0x41, 0x5B)):
        folded = unicodedata.normalize("NFKC", chr(code)).lower()
        if len(folded) == 1 and folded != chr(code):
            table[code] = folded
    table.update({ord(k): v for k, v in CHINESE_DIGITS.items()})
    for code, value in list(table.items()):
        if value in _DROPPED:
            table[code] = _GONE
    table.update({ord(c): _GONE for c in _DROPPED})
    return table


_TABLE = _table()


class _Positions:
    """For each character of the canonical twin, its position in the text. Kept as the
    dropped characters' offsets (fewer, and found in C), on first use: most texts hold no
    identity and never ask; a day's summary of 60,000 characters asks for a few."""

    def __init__(self, folded: str):
        self._folded, self._shifts = folded, None

    def __getitem__(self, i: int) -> int:
        if self._shifts is None:
            # The j-th dropped character comes after (its offset - j) kept ones: a kept
            # character i has as many dropped ones before it as those after at most i kept.
            self._shifts = [m.start() - j for j, m in enumerate(_GONE_AT.finditer(self._folded))]
        return i + bisect_right(self._shifts, i)


def canonical_map(text: str) -> tuple[str, _Positions]:
    """The canonical twin and, for each of its characters, its position in `text`."""
    folded = text.translate(_TABLE)
    return folded.replace(_GONE, ""), _Positions(folded)


def canonical(text: str) -> str:
    return text.translate(_TABLE).replace(_GONE, "")


class Identities:
    """Canonical identity forms -> the cases whose reporter they identify.

    Strong forms (a full name, a number, an e-mail address, an account) identify a reporter
    in any text. Weak forms (王先生, 王工, the given name 志远) only in the text of the
    reporter's own case: in another case's letter 王经理 is the manager complained about."""

    def __init__(self, published: Iterable[str] = ()):
        # The centre's, offices' and units' own names, numbers and addresses: a form found in
        # them is the unit's, not the reporter's (a reporter who shares a handler's name).
        texts = [v for v in published if isinstance(v, str) and v.strip()]
        values = {canonical(v) for v in texts}
        # A published number in each way it is written too: 0000-12345678 is also 12345678.
        values |= {canonical(v) for text in texts for found in detect(text) for v in _identifier_variants(found)}
        self._published, self._published_parts = values, _substrings(values)
        # A form's cases: one as its id, more as a set (50,000 one-element sets are 10 MB).
        self._strong: dict[str, str | set[str]] = {}
        self._weak: dict[str, str | set[str]] = {}
        self._surnames: dict[str, str | set[str]] = {}  # weak too: surname + any title
        self._index: dict[str, set[int]] = {}
        self._longest_first: dict[str, tuple[int, ...]] = {}  # _index's lengths sorted, as asked
        self._redacted: dict[str, str] = {}  # the same texts are cleaned for letters and each mail
        # Texts found to hold no strong form: a text we compose is redacted, then the same
        # text is checked on its way out (the day's summary: 60,000 characters, twice a run).
        self._clean: set[str] = set()

    def __len__(self) -> int:
        return len(self._strong) + len(self._weak) + len(self._surnames)

    def add_rows(self, rows: Iterable[Any]) -> "Identities":
        """Register rows (dicts or Rows with .get), live or archived."""
        for row in rows:
            self.add_row(row)
        return self

    def add_row(self, row: Any) -> None:
        case_id, names, values = row_identities(row)
        for bare, surname, given in names:
            # A name of two characters may be a word too (高峰): not kept when a unit's name holds it.
            self._add(self._strong, case_id, bare, loose=len(bare) < 3)
            if given:
                self._add(self._weak, case_id, given, loose=True)
            if surname:
                _put(self._surnames, canonical(surname), case_id)
        for value in values:
            self._add(self._strong, case_id, value, loose=False)

    def _add(self, forms: dict[str, str | set[str]], case_id: str, form: str, loose: bool) -> None:
        """`loose`: a form that is also an ordinary word, dropped when the published texts
        hold it; a number or a long name is kept unless it is itself a published value."""
        form = canonical(form)
        if len(form) < 2 or form in COMMON_WORDS or (form.isdigit() and len(form) < _MIN_DIGITS):
            return
        if form in (self._published_parts if loose else self._published):
            return
        _put(forms, form, case_id)
        self._index.setdefault(form[:2], set()).add(len(form))
        self._longest_first.pop(form[:2], None)
        if self._redacted or self._clean:  # what was found before this form no longer holds
            self._redacted.clear()
            self._clean.clear()

    def spans(self, text: str, own: Iterable[str] = ()) -> list[tuple[int, int, frozenset[str]]]:
        """(start, end, case ids) in `text` of every strong form, and of the weak forms of
        the cases in `own` (the cases the text is about)."""
        own = set(own)
        if not text or not len(self) or (not own and text in self._clean):
            return []
        twin, where = canonical_map(text)
        found = []
        for i in self._starts(twin, bool(own)):
            hit = self._match_at(twin, i, own, text, where)
            if hit:
                length, cases = hit
                found.append((where[i], where[i + length - 1] + 1, frozenset(cases)))
        if not found and not own:
            self._clean.add(text)
        return found

    def _starts(self, twin: str, surnames: bool) -> list[int]:
        """The positions where a form may start: its first two characters (or a surname)
        are there. Most texts hold none, and the pairs of a text are compared as one set."""
        pairs = {a + b for a, b in zip(twin, twin[1:])}
        index, names = self._index, self._surnames
        wanted = {pair for pair in pairs if pair in index}
        if surnames and names:
            wanted |= {piece for piece in pairs | set(twin[:-1]) if piece in names}
        starts = set()
        for piece in wanted:
            i = twin.find(piece)
            while 0 <= i < len(twin) - 1:
                starts.add(i)
                i = twin.find(piece, i + 1)
        return sorted(starts)

    def _match_at(self, twin: str, i: int, own: set[str], text: str,
                  where: _Positions) -> tuple[int, set[str]] | None:
        pair = twin[i:i + 2]
        lengths = self._longest_first.get(pair)
        if lengths is None:
            lengths = self._longest_first[pair] = tuple(sorted(self._index.get(pair, ()), reverse=True))
        for length in lengths:
            form = twin[i:i + length]
            if len(form) < length or _digits_run_on(twin, i, length, form):
                continue
            if _LATIN.fullmatch(form) and _inside_a_word(text, where[i], where[i + length - 1] + 1):
                continue
            cases = _cases(self._strong, form) | (_cases(self._weak, form) & own)
            if cases:
                return length, cases
        if own:
            for size in (2, 1):
                cases = _cases(self._surnames, twin[i:i + size]) & own
                form = next((f for f in titled(twin[i:i + size]) if twin.startswith(f, i)), "") if cases else ""
                if form and form not in self._published_parts:
                    return len(form), cases
        return None

    def cases_in(self, text: str, own: Iterable[str] = ()) -> set[str]:
        """The cases whose reporter `text` identifies (empty: the text is safe)."""
        return {case for _, _, cases in self.spans(text, own) for case in cases}

    def redact(self, text: str) -> str:
        """`text` with every strong identity form the register knows replaced by MARKER."""
        if text not in self._redacted:
            self._redacted[text] = self._redact(text)
        return self._redacted[text]

    def _redact(self, text: str) -> str:
        merged: list[list[int]] = []
        for start, end, _ in sorted(self.spans(text)):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(end, merged[-1][1])
            else:
                merged.append([start, end])
        for start, end in reversed(merged):
            text = text[:start] + MARKER + text[end:]
        return text


    def redact_row(self, row: Any) -> dict:
        """A copy of a register row whose free text holds no identity known to the register:
        a reporter named in another case's address or reported unit is hidden there too.
        举报人 and 联系方式 stay (redact_case drops them, using them first)."""
        values = dict(row.values if hasattr(row, "values") and not isinstance(row, dict) else row)
        for column in TEXT_COLUMNS:
            if isinstance(values.get(column), str):
                values[column] = self.redact(values[column])
        return values


def _put(forms: dict[str, str | set[str]], form: str, case_id: str) -> None:
    found = forms.get(form)
    if found is None:
        forms[form] = case_id
    elif found.__class__ is str:
        if found != case_id:
            forms[form] = {found, case_id}
    else:
        found.add(case_id)


def _cases(forms: dict[str, str | set[str]], form: str) -> set[str]:
    """The cases of `form` in `forms` (the set itself: not to be changed)."""
    found = forms.get(form)
    return set() if found is None else {found} if found.__class__ is str else found


def _substrings(texts: Iterable[str], longest: int = 12) -> set[str]:
    out = set()
    for text in texts:
        for i in range(len(text)):
            out.update(text[i:i + n] for n in range(2, longest + 1) if i + n <= len(text))
    return out


def _identifier_variants(found: str) -> list[str]:
    digits = canonical(found)
    return phone_variants(digits) if re.fullmatch(r"\d+", digits) else [found]


# A form in Latin letters (Wei, zs8848): only a whole word counts, judged in the text as
# written ("Wei" is in "weixin" and in any base64 block, "wzy_2026" is not in "xwzy_2026").
_LATIN = re.compile(r"[a-z0-9@]*[a-z][a-z0-9@]*")
_WORD_CHAR = re.compile(r"[A-Za-z0-9_\-.@Ａ-Ｚａ-ｚ０-９＿－]")


def _inside_a_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return bool(before and _WORD_CHAR.match(before)) or bool(after and _WORD_CHAR.match(after))


def _digits_run_on(twin: str, i: int, length: int, form: str) -> bool:
    """A short number inside a longer run of digits is another number (87654321 in
    2026087654321...), unless the form is long enough to be one on its own."""
    if not form.isdigit() or len(form) > _BOUNDED:
        return False
    before = twin[i - 1] if i else ""
    after = twin[i + length] if i + length < len(twin) else ""
    return before.isdigit() or after.isdigit()
