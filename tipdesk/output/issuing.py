"""Issuing referral documents: for each case a run refers, a Word letter and a feedback sheet.

They are rendered into a staging folder before the register is written (a template error
stops the run before anything changed), moved into outbox/YYYY-MM-DD/<承办单位>/ once the
register is saved, and recorded in the journal with the feedback sheet's id, so the intake
can tell our sheets from copies and `letter CASE_ID` can reissue a lost one.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tipdesk.domain.columns import CASE_ID, LETTER_NO, UNIT
from tipdesk.config import Config
from tipdesk.domain.textnorm import safe_name
from tipdesk.store.commit import MOVE, FileOp, IssuedRecord
from tipdesk.store.egress import Gate
from tipdesk.store.files import free_path
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.domain.launcher import RUN

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

LETTER_TEMPLATE = "交办单.docx"


@dataclass(frozen=True)
class IssuedDocuments:
    case_id: str
    letter_no: str
    unit: str
    sheet_id: str
    letter: Path
    sheet: Path


def letter_template(config: Config) -> Path:
    """The office's own template (workspace templates/) if present, else the built-in one."""
    return config.documents.template(LETTER_TEMPLATE)


def unit_folder(day_folder: Path, unit: str) -> Path:
    return day_folder / safe_name(unit, "未分派")


def render(case: dict, config: Config, issued_at: datetime, folder: Path) -> IssuedDocuments:
    """Write the letter and the feedback sheet of `case` into folder/<unit>/."""
    # openpyxl and docxtpl load only on a run that issues documents.
    from tipdesk.output.referral import feedback_sheet, file_names, referral_context, referral_letter

    try:
        context = referral_context(case, config.centre, issued_at, config.deadlines, config.documents)
    except ValueError as exc:
        raise TipdeskError(f"{config.register.name}：{exc}", EXIT_USAGE)
    sheet_id = secrets.token_hex(8)
    letter_name, sheet_name = file_names(context)
    target = unit_folder(folder, context["unit"])
    target.mkdir(parents=True, exist_ok=True)
    letter = target / letter_name
    sheet = target / sheet_name
    letter.write_bytes(referral_letter(context, letter_template(config), config.documents.fonts))
    sheet.write_bytes(feedback_sheet(context, sheet_id))
    return IssuedDocuments(context["case_id"], context["letter_no"], context["unit"], sheet_id,
                           letter, sheet)


# Below this many cases, starting worker processes costs more than it saves.
PARALLEL_FROM = 6


def _render_job(job: tuple) -> IssuedDocuments:
    return render(*job)


def _can_fork() -> bool:
    """Workers may start as copies of this process (multiprocessing loads only when asked:
    on a morning with letters enough to share out)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


class Rendering:
    """Documents being rendered while the run goes on (context manager).

    On a busy morning the cases render in worker processes while the main process builds the
    statistics and the new register file; `wait()` before the register replaces the old one
    then raises if any letter failed, so a broken template still changes nothing. With few
    cases they are rendered at once, in this process."""

    def __init__(self, cases: list[dict], config: Config, issued_at: datetime, folder: Path, gate: Gate):
        # Rendered from rows cleaned of every identity the register knows; `publish` checks.
        self.jobs = [(gate.clean(case), config, issued_at, folder) for case in cases]
        self.pool: ProcessPoolExecutor | None = None
        self.done: list[IssuedDocuments] | None = None

    def __enter__(self) -> "Rendering":
        workers = min(os.cpu_count() or 1, 4)
        if len(self.jobs) < PARALLEL_FROM or workers < 2 or not _can_fork():
            self.done = [_render_job(job) for job in self.jobs]
        else:
            from concurrent.futures import ProcessPoolExecutor
            import multiprocessing

            # fork: the workers start with everything imported and the template compiled.
            config = self.jobs[0][1]
            import tipdesk.output.referral  # noqa: F401 - imported once, before the fork
            from tipdesk.word.template import compiled

            compiled(letter_template(config), config.documents.fonts)
            self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            self.futures = [self.pool.submit(_render_job, job) for job in self.jobs]
        return self

    def wait(self) -> list[IssuedDocuments]:
        if self.done is None:
            self.done = [future.result() for future in self.futures]
        return self.done

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def publish_ops(issued: list[IssuedDocuments], staging: Path, day_folder: Path, gate: Gate
                ) -> tuple[list[IssuedRecord], list[FileOp]]:
    """Where each staged document goes in the day's outbox, and the journal's record of it
    there; the moves are done once the register is saved (store.commit). A letter or sheet
    that would carry a reporter's identity is held back with its pair by the egress gate:
    it is not issued (nor mailed) until the clerk mends the text and runs `letter`."""
    records, ops, taken = [], [], set()
    for doc in issued:
        sources = [doc.letter, doc.sheet]
        targets = [free_path(day_folder / path.relative_to(staging), taken) for path in sources]
        if gate.hold(sources, targets, [doc.case_id], fix=f"改好后运行 {RUN} letter {doc.case_id} 补发"):
            continue
        taken.update(targets)
        ops += [FileOp(MOVE, str(target), str(path)) for path, target in zip(sources, targets)]
        records.append(IssuedRecord(doc.sheet_id, doc.case_id, doc.letter_no, doc.unit, *map(str, targets)))
    return records, ops


def describe(issued: list[IssuedRecord], outbox: Path) -> list[str]:
    return [f"{d.case_id}（{d.letter_no}）→ {d.unit}：{Path(d.letter).relative_to(outbox)}、{Path(d.sheet).name}"
            for d in issued]


def planned_paths(cases: list[dict], day_folder: Path) -> list[str]:
    """What a dry run says it would write."""
    out = []
    for case in cases:
        folder = unit_folder(day_folder, str(case.get(UNIT)))
        cid = str(case.get(CASE_ID))
        out.append(f"{folder / f'{cid}-交办单.docx'}（{case.get(LETTER_NO)}）")
        out.append(str(folder / f"{cid}-反馈表.xlsx"))
    return out


