"""`./run letter CASE_ID`: reissue a lost referral letter (same 交办文号) and a fresh feedback sheet."""

from __future__ import annotations

import shutil
from datetime import datetime
from tipdesk.config import Config
from tipdesk.domain.columns import CASE_ID, LETTER_NO, UNIT
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.output.issuing import planned_paths, publish_ops, render
from tipdesk.store.archive import archived_by_year, archived_rows, find_archived
from tipdesk.store.cache import WorkbookCache
from tipdesk.store.commit import IssuedRecord, apply_file_ops
from tipdesk.store.egress import register_gate
from tipdesk.store.journal import open_journal
from tipdesk.store.lock import workspace_lock
from tipdesk.store.register import read_register


def reissue(config: Config, case_id: str, now: datetime, dry_run: bool = False) -> IssuedRecord | None:
    """`letter CASE_ID`: the same letter (same 交办文号) and a fresh feedback sheet, for one lost.

    The pair passes the egress gate; held back, nothing is recorded and the clerk is told why
    (TipdeskError), so the letter can be issued again once the text is mended."""
    cache = WorkbookCache(config.cache, readonly=dry_run)
    with workspace_lock(config):
        register = read_register(config.register, cache)
        row = next((r for r in register.rows if str(r.get(CASE_ID) or "").strip() == case_id), None)
        where = config.register.name
        # Read once: for a case of an archived year, and for the gate.
        archives = archived_by_year(config.register, cache=cache)
        if row is None:
            found = find_archived(archives, case_id)  # a case of an archived year
            if found is None:
                raise TipdeskError(f"{config.register.name}：找不到案件编号“{case_id}”（归档台账中也没有），"
                                   f"请核对编号。", EXIT_USAGE)
            where, row = found[0].name, found[1]
        case = row.values
        if not case.get(LETTER_NO) or not case.get(UNIT):
            raise TipdeskError(f"{where} 第{row.number}行：案件{case_id}尚未交办（没有交办文号或"
                               f"承办单位），无需补发；交办后 daily 会自动生成交办单。", EXIT_USAGE)
        folder = config.day_folder(now)
        if dry_run:
            print("将补发：\n  " + "\n  ".join(planned_paths([case], folder)))
            return None
        staging = config.outbox / f".staging-letter-{now:%Y%m%d-%H%M%S}"
        try:
            gate = register_gate(config, register, f"{now:%Y-%m-%d}", archived_rows(archives))
            staged = render(gate.clean(case), config, now, staging)
            records, ops = publish_ops([staged], staging, folder, gate)
            if not records:
                raise TipdeskError("出口拦截：" + "；".join(gate.lines), EXIT_USAGE)
            (issued,) = records
            failed = apply_file_ops(ops)
            if failed:
                raise TipdeskError(f"{failed[0][0].target}：无法写入发件箱（{failed[0][1]}），未补发。"
                                   f"请检查磁盘空间和文件夹权限后重试。")
            journal = open_journal(config.journal)
            try:
                journal.record_letters([issued], now)
            finally:
                journal.close()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return issued
