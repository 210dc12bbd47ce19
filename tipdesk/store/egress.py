"""The egress gate: the one door every outgoing file and mail passes (DESIGN.md, "The
whistleblower").

Each thing on its way out of the centre (a letter, a feedback sheet, the summary, a bulletin,
a .原因.txt, an .eml, a mail about to be sent) is read back from its bytes — every zip part of
a .docx/.xlsx with entities decoded, every MIME part decoded, headers, attachment names and
the file name — and checked against every identity the register knows (domain/identities).
What holds one does not leave: a file goes to 拦截/<date>/ in the workspace instead of the
outbox, a mail is not sent (it stays owed), and the clerk gets a line naming the file and the
case, never the identity. Redaction makes texts safe; this gate is what makes 0 leaks sure.
"""

from __future__ import annotations

import html
import io
import os
import re
import zipfile
from pathlib import Path
from typing import Any, Iterable

from tipdesk.config import Config
from tipdesk.domain.columns import CONTACTS_SHEET
from tipdesk.domain.identities import Identities
from tipdesk.store.files import free_path

BLOCKED_FOLDER = "拦截"
# Tags that end a paragraph, a cell or a line: what is on either side is not one word.
_BREAK_NAMES = r"</?(?:w:p|w:tc|w:tr|w:br|w:tab|a:p|a:br|p|c|row|si|br)\b"
_BREAK_START = re.compile(_BREAK_NAMES)
_BREAK_ELEMENT = re.compile(_BREAK_NAMES + r"[^>]*>")
_TAG = re.compile(r"<[^>]*>")
_ATTRIBUTE = re.compile(r"""=\s*(?:"([^"]*)"|'([^']*)')""")


def _xml_texts(xml: str, attributes: bool) -> str:
    """The text of an XML part, runs joined, paragraphs apart; with `attributes`, their
    values too (a hyperlink's target, a custom property)."""
    if not attributes:
        # Two passes in C: a letter's parts hold tens of thousands of tags.
        return html.unescape(_TAG.sub("", _BREAK_ELEMENT.sub("|", xml)))

    def tag(match: re.Match) -> str:
        sep = "|" if _BREAK_START.match(match.group(0)) else ""
        values = [a or b for a, b in _ATTRIBUTE.findall(match.group(0)) if a or b]
        return sep + "".join(f"|{v}|" for v in values)
    return html.unescape(_TAG.sub(tag, xml))


# Parts whose attribute values are content: relationships (link targets), document
# properties, a workbook's sheet and defined names. Elsewhere attributes are layout (styles,
# sizes, ids), and a letter has many.
_ATTRIBUTE_PARTS = re.compile(r"(?:^|/)(?:_rels/|docProps/)|\.rels$|(?:^|/)workbook\.xml$")


def _zip_texts(data: bytes) -> list[str]:
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for info in package.infolist():
            out.append(info.filename)
            xml = package.read(info).decode("utf-8", errors="replace")
            out.append(_xml_texts(xml, bool(_ATTRIBUTE_PARTS.search(info.filename))))
    return out


def _mail_texts(data: bytes) -> list[str]:
    from email import message_from_bytes, policy  # with the first mail: most reruns send none

    message = message_from_bytes(data, policy=policy.default)
    out = []
    for part in message.walk():
        out += [f"{key}: {value}" for key, value in part.items()]
        if part.get_filename():
            out.append(part.get_filename())
        if part.is_multipart():
            continue
        out += texts_of(part.get_filename() or "", part.get_payload(decode=True) or b"")
    return out


def texts_of(name: str, data: bytes) -> list[str]:
    """Everything a reader of this file could see: its name, and its content decoded."""
    out = [name]
    if data[:4] == b"PK\x03\x04":
        try:
            return out + _zip_texts(data)
        except (zipfile.BadZipFile, OSError):
            pass
    text = data.decode("utf-8", errors="replace")
    out.append(text)
    if name.lower().endswith(".eml") or re.match(r"(?i)^[\w-]+: ", text[:200]):
        out += _mail_texts(data)
    return out


def published_texts(config: Config, contacts: Iterable[Iterable[Any]] = ()) -> list[str]:
    """What the centre and the units publish about themselves: never a reporter's identity."""
    out = list(config.centre.values())
    for unit in config.units:
        out += [unit.name, *unit.aliases, *(v for v in unit.office.values() if isinstance(v, str))]
    out += [v for row in contacts for v in row if isinstance(v, str)]
    return out


class Gate:
    """Checks what leaves; `lines` tell the clerk what was held back (for the summary)."""

    def __init__(self, identities: Identities, root: Path, blocked: Path):
        self.identities, self.root, self.blocked = identities, root, blocked
        self.lines: list[str] = []

    def leaks(self, name: str, data: bytes, about: Iterable[str] = ()) -> set[str]:
        """The cases whose reporter the file identifies (`about`: the cases it concerns)."""
        about = set(about)
        return {case for text in texts_of(name, data) for case in self.identities.cases_in(text, about)}

    def write(self, target: Path, data: bytes, about: Iterable[str] = (), fix: str = "",
              overwrite: bool = False) -> Path | None:
        """Write `data` at `target` (atomically; beside a file already there, unless
        `overwrite`) if it passes; else into the blocked folder. Returns where it went out,
        or None when it was held. `fix`: how to issue it again once the text is mended."""
        if self._held(target, data, about, fix):
            return None
        target = target if overwrite else free_path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(target.name + ".tmp")
        temp.write_bytes(data)
        os.replace(temp, target)
        return target

    def write_text(self, target: Path, text: str, overwrite: bool = False) -> Path | None:
        """A text we compose (summary, reasons): identities known to the register are hidden
        first, then it passes the gate like any file."""
        return self.write(target, self.identities.redact(text).encode("utf-8"), overwrite=overwrite)

    def hold(self, sources: list[Path], targets: list[Path], about: Iterable[str] = (),
             fix: str = "") -> bool:
        """Staged files that go together (a letter and its sheet): True, and all of them in
        the blocked folder, when one would leak; False when all may go to their `targets`
        (moved there by the run's commit, store/commit.py)."""
        if not any(self._held(t, s.read_bytes(), about, fix, s) for s, t in zip(sources, targets)):
            return False
        for source in sources:
            if source.exists():
                os.replace(source, free_path(self.blocked / source.name))
        return True

    def passing_text(self, target: Path, text: str, about: Iterable[str] = ()) -> str | None:
        """A text we compose for `target` (a .原因.txt) with known identities hidden, or None
        when it still leaks (it is then kept in the blocked folder and the clerk told)."""
        text = self.identities.redact(text)
        return None if self._held(target, text.encode("utf-8"), about, "") else text

    def passes_mail(self, data: bytes, label: str, about: Iterable[str] = ()) -> bool:
        """A mail about to be sent or written as .eml: False (and a line) when it leaks."""
        found = self.leaks(label + ".eml", data, about)
        if found:
            self.lines.append(f"邮件“{self.safe(label)}”：{_whose(found)}，未发出。"
                              f"{_fix(about, found, '改好后下次运行会发出')}")
        return not found

    def safe(self, text: str) -> str:
        return self.identities.redact(text)

    def clean(self, row: Any) -> dict:
        """A register row with every known identity hidden in its free text, to build what
        leaves from (redaction first; the gate still checks the result)."""
        return self.identities.redact_row(row)

    def _held(self, target: Path, data: bytes, about: Iterable[str], fix: str,
              source: Path | None = None) -> bool:
        about = set(about)
        found = self.leaks(target.name, data, about)
        if not found:
            return False
        kept = free_path(self.blocked / target.name)
        kept.parent.mkdir(parents=True, exist_ok=True)
        if source is not None:
            os.replace(source, kept)
        else:
            kept.write_bytes(data)
        self.lines.append(f"{self.safe(self._shown(target))}：{_whose(found)}，未放入发件箱，"
                          f"已存 {self.safe(self._shown(kept))} 供核查。{_fix(about, found, fix)}")
        return True

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def _cases(cases: Iterable[str]) -> str:
    ordered = sorted(cases)
    return "、".join(ordered[:5]) + (f"等{len(ordered)}件" if len(ordered) > 5 else "")


def _whose(found: set[str]) -> str:
    return f"含案件 {_cases(found)} 举报人的身份信息"


def _fix(about: Iterable[str], found: set[str], then: str = "") -> str:
    where = set(about) or found
    return f"请在台账中删改案件 {_cases(where)} 文字里的举报人信息，{then or '下次运行时会重新生成'}。"


def open_gate(config: Config, rows: Iterable[Any], contacts: Iterable[Iterable[Any]], day: str) -> Gate:
    """The gate of one run: every identity in `rows` (the register as this run leaves it,
    archives added), the units' published contacts (`contacts`: the 联络人 grid) exempt."""
    return Gate(Identities(published_texts(config, contacts)).add_rows(rows), config.root,
                config.root / BLOCKED_FOLDER / day)


def register_gate(config: Config, register, day: str, archived: Iterable[Any] = ()) -> Gate:
    """The gate for a command that reads the register as it is (report, letter, liaison,
    hourly), with the archived rows' identities too (store.archive.archived_rows)."""
    sheet = register.sheets.get(CONTACTS_SHEET)
    return open_gate(config, [*register.rows, *archived], sheet.grid if sheet else [], day)
