"""The commit protocol of a run that changes the register: intent, replace, follow-ups.

A run plans everything first. Then, in this order:
1. the intent: one journal row holding everything the run will record (numbers used, cells
   changed, feedback applied, notices owed, letters issued, inbox outcomes) and every file it
   will move (letters from staging into the outbox, returned files out of the inbox), with the
   register's digest before and the digest of the verified new file;
2. the register is replaced (store.register.save_changes);
3. the intent is applied to the journal in one transaction (the run is then `replaced`);
4. the follow-ups: the file operations, each of which can be done again without harm;
   then the mails, which the journal's tables owe (letters not yet mailed, notices not yet
   delivered) and the mail ledger sends once.
A run that dies anywhere is finished by the next (`pending` runs): an intent whose register
was never replaced is dropped, one whose register was replaced is applied and followed up.
Nothing leaves the centre before the register holds what caused it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from tipdesk.config import Config
from tipdesk.domain.arrivals import FeedbackEvent
from tipdesk.domain.columns import CASE_ID, REGISTER_SHEET
from tipdesk.domain.notices import Notice
from tipdesk.domain.rows import CellChange
from tipdesk.domain.errors import EXIT_BUSY, TipdeskError
from tipdesk.domain.launcher import RUN
from tipdesk.domain.textnorm import as_text
from tipdesk.rules.continuity import reversal
from tipdesk.store.register import digest_of, read_register

# runs.outcome of a run that changes the register, in the order it passes through them.
INTENT, REPLACED, OK, DROPPED = "intent", "replaced", "ok", "dropped"
FILES_PENDING = "files"  # done but for staged files the outbox would not take (a full disk)
MOVE, TEXT = "move", "text"


@dataclass(frozen=True)
class FileOp:
    """One file operation a run performs after its register is saved: move `source` to
    `target` (a staged letter into the outbox, a returned file out of the inbox), or write
    `text` as the file `target` (a rejected file's .原因.txt)."""

    kind: str
    target: str
    source: str = ""
    text: str = ""


@dataclass(frozen=True)
class IssuedRecord:
    """A letter and feedback sheet as the journal's `letters` table records them."""

    sheet_id: str
    case_id: str
    letter_no: str
    unit: str
    letter: str
    sheet: str


@dataclass(frozen=True)
class InboxRecord:
    digest: str
    name: str
    kind: str
    outcome: str
    error: str


@dataclass
class Intent:
    """Everything a run records in the journal once its register is replaced."""

    run_now: str
    numbers: dict[str, dict[int, int]]
    marks: dict[str, str]
    changes: list[CellChange]
    feedback: list[FeedbackEvent]
    notices: list[Notice]
    states: dict[str, dict[str, Any]]
    letters: list[IssuedRecord]
    inbox: list[InboxRecord]
    files: list[FileOp]
    staging: str = ""

    def encode(self) -> str:
        return json.dumps({
            "run_now": self.run_now,
            "numbers": {name: {str(y): n for y, n in years.items()} for name, years in self.numbers.items()},
            "marks": self.marks,
            "changes": [[c.row, c.case_id, c.column, as_text(c.old), as_text(c.new), c.why, c.sheet]
                        for c in self.changes],
            "feedback": [[e.case_id, e.state, as_text(e.at), e.file, e.digest] for e in self.feedback],
            "notices": [{**asdict(n), "attachment": base64.b64encode(n.attachment).decode()} for n in self.notices],
            "states": {cid: {k: as_text(v) if not isinstance(v, str) and v is not None else v
                             for k, v in s.items()} for cid, s in self.states.items()},
            "letters": [asdict(r) for r in self.letters],
            "inbox": [asdict(r) for r in self.inbox],
            "files": [asdict(f) for f in self.files],
            "staging": self.staging,
        }, ensure_ascii=False)

    @classmethod
    def decode(cls, text: str) -> "Intent":
        data = json.loads(text)
        return cls(
            run_now=data["run_now"],
            numbers={name: {int(y): n for y, n in years.items()} for name, years in data["numbers"].items()},
            marks=data["marks"],
            changes=[CellChange(row, cid, column, old, new, why, sheet)
                     for row, cid, column, old, new, why, sheet in data["changes"]],
            feedback=[FeedbackEvent(cid, state, datetime.fromisoformat(at), file, digest)
                      for cid, state, at, file, digest in data["feedback"]],
            notices=[Notice(**{**n, "attachment": base64.b64decode(n["attachment"])}) for n in data["notices"]],
            states=data["states"],
            letters=[IssuedRecord(**r) for r in data["letters"]],
            inbox=[InboxRecord(**r) for r in data["inbox"]],
            files=[FileOp(**f) for f in data["files"]],
            staging=data.get("staging", ""))


NOTICE_SEQUENCE = "notice"


def notice_numbering(journal, config: Config) -> Callable[[int], str]:
    """The next number of the centre's letters to units (撤回, 批复, 重新办理), yearly."""
    def number(year: int) -> str:
        n = journal.last_number(NOTICE_SEQUENCE, year) + 1
        journal.set_last_number(NOTICE_SEQUENCE, year, n)
        return config.notice_number.format(year=year, n=n)
    return number


def apply_intent(journal, run_id: int, intent: Intent, number_notice: Callable[[int], str]) -> None:
    """Record what the run did, in one transaction; the run becomes `replaced`."""
    at = datetime.fromisoformat(intent.run_now)
    with journal.transaction():
        for name, years in intent.numbers.items():
            for year, last in years.items():
                journal.set_last_number(name, year, last)
        for key, value in intent.marks.items():
            journal.set_mark(key, value)
        journal.record_changes(run_id, at, intent.changes)
        journal.record_feedback(run_id, intent.feedback)
        journal.record_notices(run_id, at, intent.notices, number_notice)
        journal.save_case_states(intent.states)
        journal.record_letters(intent.letters, at)
        journal.record_inbox(intent.inbox, at)
        journal.finish_run(run_id, REPLACED)


def _write_text(path: Path, text: str) -> None:
    temp = path.with_name(path.name + ".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, path)


def apply_file_ops(ops: Iterable[FileOp]) -> list[tuple[FileOp, str]]:
    """Do each operation not yet done; returns the ones that failed, with why (in Chinese).

    Done again after a crash, each finds its own work already done: a move whose source is
    gone and whose target exists is complete. One that fails (a file held open on Windows)
    does not stop the others."""
    failed = []
    for op in ops:
        target = Path(op.target)
        try:
            if op.kind == TEXT:
                if not target.exists():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _write_text(target, op.text)
                continue
            source = Path(op.source)
            if not source.exists():
                if not target.exists():
                    failed.append((op, "文件已不在原处，也不在目标位置"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                # A crash between a copy and its delete (moves across drives): the copy is whole
                # only if it has the source's size; the source is the one kept otherwise.
                if target.stat().st_size == source.stat().st_size:
                    source.unlink()
                    continue
                target.unlink()
            shutil.move(str(source), str(target))
        except OSError as exc:
            failed.append((op, exc.strerror or str(exc)))
    return failed


# --- the next run: finish what a dead run started ----------------------------------------------

def _was_replaced(register_path: Path, run: dict[str, Any], intent: Intent) -> bool:
    """Did the dead run's new register replace the old one? By digest; and when the clerk has
    saved since, by whether the cells it changed hold its new values or their old ones."""
    now = digest_of(register_path)
    if now == run["register_after"]:
        return True
    if now == run["register_before"]:
        return False
    rows = {str(r.get(CASE_ID) or "").strip(): r for r in read_register(register_path).rows}
    new = old = 0
    for change in intent.changes:
        row = rows.get(change.case_id)
        if change.sheet != REGISTER_SHEET or row is None:
            continue
        value = as_text(row.get(change.column)) or ""
        new += value == (change.new or "")
        old += value == (change.old or "")
    # Nothing to tell by (only 统计 or 联络人 edits): dropped and redone, which is safe, as
    # no 台账 change means no letter or number was in it.
    return new >= old and new + old > 0


def _remove_staging(intent: Intent) -> None:
    if intent.staging:
        shutil.rmtree(intent.staging, ignore_errors=True)


def finish_pending(journal, config: Config) -> list[str]:
    """Finish every run that recorded an intent and died: drop it if its register was never
    replaced, else record it and do its file operations. Returns lines for the summary."""
    register_path, lines = config.register, []
    for run in journal.pending_runs():
        intent = Intent.decode(run["intent"])
        when = run["run_now"][:16]
        if run["outcome"] == INTENT:
            if not _was_replaced(register_path, run, intent):
                journal.finish_run(run["id"], DROPPED)
                _remove_staging(intent)
                lines.append(f"上次运行（{when}）在写入台账之前中断，台账未改动，收件仍在 inbox 中；本次重新处理。")
                continue
            apply_intent(journal, run["id"], intent, notice_numbering(journal, config))
        failed = finish_files(journal, run["id"], intent)
        staged = [f"{Path(op.target).name}（{why}）" for op, why in failed if _staged(op, intent)]
        if run["outcome"] == FILES_PENDING:
            done = [Path(op.target).name for op in intent.files if _staged(op, intent)]
            head = f"上次运行（{when}）未能放入发件箱的文件" + ("仍未能放入" if staged else f"已放入：{'、'.join(done)}")
        else:
            head = f"上次运行（{when}）在写入台账后中断，本次已补完：{_what(intent)}"
        lines.append(head + (f"；{'、'.join(staged)} 未能放入发件箱，下次运行再试" if staged else "") + "。")
    return lines


def _what(intent: Intent) -> str:
    """What a dead run had done, for the clerk: the cases it referred and answered, the
    files it took; its mails go out with this run's."""
    parts = []
    if intent.letters:
        parts.append("交办 " + "、".join(dict.fromkeys(r.case_id for r in intent.letters)))
    if intent.feedback:
        parts.append("反馈 " + "、".join(dict.fromkeys(e.case_id for e in intent.feedback)))
    if intent.notices:
        parts.append(f"通知 {len(intent.notices)} 份")
    if intent.inbox:
        parts.append(f"收件 {len(intent.inbox)} 个")
    return "，".join(parts or ["台账的修改"]) + f"（台账修改 {len(intent.changes)} 处，已记入日志）"


def _staged(op: FileOp, intent: Intent) -> bool:
    return bool(intent.staging) and op.kind == MOVE and op.source.startswith(intent.staging)


def finish_files(journal, run_id: int, intent: Intent) -> list[tuple[FileOp, str]]:
    """The run's file operations; it is done (`ok`) unless a staged file could not be moved
    (a full disk), which the next run tries again. Returns the operations that failed."""
    failed = apply_file_ops(intent.files)
    if any(_staged(op, intent) for op, _ in failed):
        journal.finish_run(run_id, FILES_PENDING)
    else:
        _remove_staging(intent)
        journal.finish_run(run_id, OK)
    return failed


# How many of the latest writes are compared with the register (an older copy is rarely older).
WRITES_CHECKED = 5


def refuse_if_went_back(register, journal, now: datetime, accept: bool = False, tell: bool = True) -> list[str]:
    """Exit 3, before anything changes, when an older copy of the register was saved over the
    one tipdesk wrote: most of what one of its latest runs wrote is gone (its new cases, its
    answers back to the old values). The clerk is told which cases and answers are missing
    and which copy holds them. Otherwise, cases tipdesk handled that the clerk deleted are
    returned as summary lines, once (their numbers are never given again).
    `accept` (daily --accept-register): the clerk removed them on purpose. `tell=False` (the
    hourly pass, which writes no summary): deleted cases are left for the daily run to tell."""
    writes = journal.last_writes(WRITES_CHECKED)
    if not writes or register.digest == writes[0]["register_after"]:
        return []
    present = {str(r.get(CASE_ID) or "").strip() for r in register.rows}
    missing = sorted(journal.tracked_cases() - present)
    gone = journal.moved_out()
    found, newer = None, set()
    for write in writes:  # newest first: a cell is held to what the latest run wrote in it
        changes = [c for c in journal.run_changes(write["id"]) if (c[1], c[2]) not in newer]
        newer.update((c[1], c[2]) for c in changes)
        result = reversal(register.rows, changes, gone)
        if result.went_back:
            found = (write, result)
            break
    if found and not accept:
        raise TipdeskError(_went_back_message(register, *found), EXIT_BUSY)
    if not tell:
        return []
    journal.set_absent(missing, now, "已从台账删除" + ("（daily --accept-register）" if accept else ""))
    return [f"{case_id} 已不在台账中（编号不再使用）；如是误删，可从 backups 文件夹中的备份恢复该行" for case_id in missing]


def _went_back_message(register, write: dict[str, Any], found) -> str:
    lines = []
    if found.missing:
        gone = list(found.missing)
        lines.append(f"不在台账中的案件：{'、'.join(gone[:30])}" + ("等" if len(gone) > 30 else ""))
    for case_id, columns in list(found.reverted.items())[:30]:
        lines.append(f"{case_id} 的“{'、'.join(dict.fromkeys(columns))}”已回到运行前的内容")
    copy = Path(write.get("backup_after") or "")
    where = (f"运行（{write['run_now'][:16]}）写入后的台账保存在 backups 文件夹中的 {copy.name}"
             if copy.name and copy.exists() else "较早的台账在 backups 文件夹中，运行写入的内容见日志")
    return (f"{register.path.name}：台账似乎被一份较早的副本覆盖了——tipdesk 写入的以下内容已不在台账中，"
            f"本次没有做任何修改。\n  " + "\n  ".join(lines) + f"\n{where}。"
            f"请关闭台账，用该文件替换台账（或把缺少的行和内容复制回台账）后重新运行；"
            f"如这些内容是您有意删除的，请运行 {RUN} daily --accept-register。")
