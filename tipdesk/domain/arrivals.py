"""What arrives through the inbox, as data: one file (Arrival) and the answers read from it;
and what one pass over the centre's mailbox gave (FetchReport, intake/fetch.py).

The form readers in intake.forms build these; rules.apply applies them to the register.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


PROCESSED, REJECTED = "processed", "rejected"
# The kind of file a feedback-sheet reader claims (intake.forms.feedback.KIND).
FEEDBACK_KIND = "反馈表"
REASON_SUFFIX = ".原因.txt"


@dataclass
class Arrival:
    """One file found in the inbox, and what became of it."""

    path: Path
    digest: str
    received_at: datetime           # when it was saved into the inbox (file time, never after now)
    kind: str = ""
    items: list[Any] = field(default_factory=list)
    error: str | None = None        # why it is rejected, for the sender or the clerk
    held: bool = False              # rejected only until the clerk decides (e.g. case closed)
    done: list[str] = field(default_factory=list)   # what it changed, for the summary
    previous: str | None = None     # when the same bytes were processed before
    marker: dict[str, str] | None = None  # a feedback sheet's hidden marker: whom to tell of a rejection
    content: bytes = b""            # the file, to carry back to its unit (only when free of personal data)

    @property
    def outcome(self) -> str:
        return REJECTED if self.error else PROCESSED

    def reject(self, reason: str, held: bool = False) -> None:
        self.error = reason if reason.startswith(self.path.name) else f"{self.path.name}：{reason}"
        self.held = held


@dataclass
class FeedbackAnswer:
    """One returned feedback sheet. Text fields are "" when left empty; dates None."""

    file: Path
    sheet: str
    case_id: str
    unit: str
    findings: str
    verified: str
    result: str
    state: str
    extend_to: datetime | None
    reason: str
    handler: str
    phone: str
    closed_on: datetime | None
    marker: dict[str, str] | None  # the hidden `_tipdesk` sheet of an issued sheet
    cells: dict[str, str]  # label -> the answer's cell ("B13"), for messages


@dataclass
class ForwardedCase:
    """One row of an upstream export; values are keyed by register column, empty cells
    left out, dates as datetime, 来源 always set."""

    file: Path
    sheet: str
    row: int  # 1-based, as Excel shows it
    values: dict[str, Any]


@dataclass
class LiaisonForm:
    """One returned liaison form. Fields are "" when not filled; several phone numbers for
    one person are joined with "、"."""

    file: Path
    sheet: str
    unit: str
    leader: str
    leader_phone: str
    chief: str
    chief_phone: str
    handler: str
    handler_phone: str
    email: str
    cells: dict[str, str] = field(default_factory=dict)  # 联络人 column -> answer cell


@dataclass(frozen=True)
class FeedbackEvent:
    """One feedback sheet applied to a case: the journal's record of an answer."""

    case_id: str
    state: str
    at: datetime
    file: str = ""
    digest: str = ""


LISTED = 20  # FetchReport: mails with nothing for us named in the summary; the rest counted


@dataclass
class FetchReport:
    saved: list[str] = field(default_factory=list)      # "file（sender，date）"
    replies: list[str] = field(default_factory=list)
    bounces: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)  # outbox .eml found in the Sent folder
    files: list[Path] = field(default_factory=list)

    @property
    def anything(self) -> bool:
        return bool(self.files or self.replies or self.bounces)

    def sections(self) -> dict[str, list[str]]:
        ignored = self.ignored[:LISTED] + ([f"另有{len(self.ignored) - LISTED}封"] if len(self.ignored) > LISTED else [])
        return {"邮箱收件：附件已存入 inbox": self.saved,
                "邮箱收件：回复邮件": self.replies,
                "邮箱收件：退信（地址有误，改为纸质送达）": self.bounces,
                "邮箱收件：没有表格也不涉及案件，留在邮箱原处": ignored,
                "邮箱收件：已发送核对": self.confirmed,
                "邮箱收件：问题": self.problems}

    def lines(self) -> list[str]:
        return [f"{heading}：{line}" for heading, items in self.sections().items() for line in items]
