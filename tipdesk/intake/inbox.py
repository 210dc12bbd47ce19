"""The inbox: recognise each file, extract it, and after the register is saved move it.

Every file ends in inbox/processed/YYYY-MM-DD/ or inbox/rejected/YYYY-MM-DD/ byte for byte
(a rejection with `<name>.原因.txt` beside it), or stays where it was if the run failed.
Each file is read inside its own guard, so one bad file never stops the run; the same bytes
dropped again are recognised by their SHA-256 in the journal and never applied twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from tipdesk.domain.columns import CASE_ID, REFERRED_AT, REGISTER_SHEET, UNIT
from tipdesk.config import Config
from tipdesk.store.commit import MOVE, TEXT, FileOp
from tipdesk.store.files import fit_name, free_path
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.arrivals import Arrival, REASON_SUFFIX
from tipdesk.domain.redact import redact
from tipdesk.store.egress import Gate

PROCESSED, REJECTED = "processed", "rejected"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Files that Windows and macOS put in any folder they show; nobody sends them.
_SYSTEM_FILES = {"thumbs.db", "ehthumbs.db", "desktop.ini", ".ds_store"}
# A download or a save still under way (browsers, mail clients, Office's ~WRL….tmp): the
# finished file gets its real name, and is read then.
_UNFINISHED = (".tmp", ".part", ".partial", ".crdownload", ".download", ".filepart")


def _dropped(path: Path) -> bool:
    name = path.name.lower()
    # "." and "~" start lock files (~$x.xlsx, .~lock.x#), macOS's ._x copies and Office temps.
    return (path.is_file() and not name.startswith((".", "~")) and name not in _SYSTEM_FILES
            and not name.endswith(_UNFINISHED) and not path.name.endswith(REASON_SUFFIX))


def inbox_files(config: Config) -> list[Path]:
    """Files dropped directly into the inbox (not its processed/rejected folders, not lock,
    system or unfinished files, which stay where they are)."""
    if not config.inbox.is_dir():
        return []
    return sorted(p for p in config.inbox.iterdir() if _dropped(p))


def stray_folders(config: Config) -> list[str]:
    """Folders someone put into the inbox (an unpacked attachment): not read, and said so."""
    if not config.inbox.is_dir():
        return []
    return [f"inbox 中的文件夹“{p.name}”不会被读取：请把其中的表格直接放入 inbox（不要放在文件夹里）"
            for p in sorted(config.inbox.iterdir())
            if p.is_dir() and p.name not in (PROCESSED, REJECTED) and not p.name.startswith(".")]


def _is_a_register(book) -> bool:
    """A copy of the register itself (saved into the inbox by mistake): it would look like a
    list of forwarded cases, and every row of it would come in again."""
    grid = book.sheets.get(REGISTER_SHEET)
    header = {"".join(str(v or "").split()) for v in (grid.rows[0] if grid and grid.rows else [])}
    return {CASE_ID, UNIT, REFERRED_AT} <= header


def read_arrival(path: Path, config: Config, now: datetime, seen: dict[str, tuple[str, str]]) -> Arrival:
    """Read one file; whatever goes wrong becomes a rejection reason, never an exception."""
    try:
        saved_at = datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0)
        arrival = Arrival(path, _digest(path), min(saved_at, now))
    except OSError as exc:  # no read permission, or taken away while the run looked
        arrival = Arrival(path, "", now)
        arrival.reject(f"无法读取文件（{exc.strerror or exc}）。请确认文件没有被其他程序占用、当前用户有权读取，"
                       "然后重新放入 inbox。")
        return arrival
    before = seen.get(arrival.digest)
    if before and before[0] == PROCESSED:
        arrival.previous = before[1]
        arrival.done.append(f"与 {before[1][:10]} 已处理的文件内容相同，未重复登记")
        return arrival
    # The readers (and olefile, for old .xls) load with the first file: most runs find none.
    from tipdesk.intake.forms import classify, feedback
    from tipdesk.intake.forms.common import ReadContext
    from tipdesk.xlsx.sheetfile import read_workbook

    try:
        book = read_workbook(path)
        if _is_a_register(book):
            raise TipdeskError(f"{path.name}：这是案件台账（有“{REGISTER_SHEET}”工作表），不是收件。"
                               f"台账不要放进 inbox；如是上级转件清单，请删去“{REGISTER_SHEET}”工作表后再放入。")
        context = ReadContext(today=now.date(), forwarded_columns=config.forwarded_columns)
        module = classify(book, context)
        arrival.kind = module.KIND
        if module is feedback:
            arrival.marker = feedback.read_marker(book)
        arrival.items = module.extract(book, context)
        arrival.done += book.notes()
    except TipdeskError as exc:
        arrival.reject(exc.message)
        if arrival.kind == feedback.KIND and _free_of_personal_data(book, config):
            arrival.content = path.read_bytes()  # the unit gets its sheet back with the faults
    except Exception as exc:  # a file we cannot understand must not stop the morning run
        arrival.reject(f"无法读取（{type(exc).__name__}：{exc}）。请在 Excel 或 WPS 中打开，另存为 .xlsx 后重新放入 inbox。")
    return arrival


def _free_of_personal_data(book, config: Config) -> bool:
    """No text in the file that redaction would change, beyond the unit's own handler and
    phone and the centre's and offices' published numbers: only such a sheet goes back out."""
    from tipdesk.intake.forms import feedback

    published = [v for v in (config.centre.get("phone"), config.centre.get("email")) if v]
    published += [v for u in config.units for v in (u.office.get("phone"), u.office.get("email")) if v]
    for text in feedback.written_texts(book):
        for value in published:
            text = text.replace(value, "")
        if redact(text) != text:
            return False
    return True


def collect(config: Config, now: datetime, seen: dict[str, tuple[str, str]]) -> list[Arrival]:
    """Every dropped file read; the same bytes under a second name in one run (saved twice
    from a mail, copied as "(1)") count once, as a file seen on an earlier day does."""
    arrivals, first = [], {}
    for path in inbox_files(config):
        arrival = read_arrival(path, config, now, seen)
        twin = first.setdefault(arrival.digest, path.name) if arrival.digest else path.name
        if twin != path.name and not arrival.previous:
            arrival = Arrival(path, arrival.digest, arrival.received_at, kind=arrival.kind, previous=twin,
                              done=[f"与同时放入的 {twin} 内容相同，未重复登记"])
        arrivals.append(arrival)
    return arrivals


def settle_ops(arrivals: list[Arrival], config: Config, now: datetime, gate: Gate) -> list[FileOp]:
    """Where each file goes once the register is saved: processed/ or rejected/ (dated), with
    its reason beside a rejected one. Done by store.commit, again by the next run if this
    one dies; a target name is taken now, so a repeat never makes a second copy. A reason
    may quote a unit's words: it is redacted, and passes the gate like what leaves."""
    ops, taken = [], set()
    for arrival in arrivals:
        folder = config.inbox / arrival.outcome / f"{now:%Y-%m-%d}"
        target = free_path(folder / arrival.path.name, taken)
        taken.add(target)
        if arrival.error:
            reason = reason_file(target)
            text = gate.passing_text(reason, redact(reason_text(arrival)))
            if text is not None:
                ops.append(FileOp(TEXT, str(reason), text=text))
        ops.append(FileOp(MOVE, str(target), str(arrival.path)))
    return ops


def not_settled(failed: list[tuple[FileOp, str]], config: Config) -> list[str]:
    """Summary lines for the inbox files that could not be moved (open in Excel on Windows):
    they stay in the inbox, and the next run recognises them as already handled."""
    return [f"{Path(op.source).name}：未能移出收件箱（{why}），文件仍在 inbox 中，下次运行会识别为重复文件"
            for op, why in failed if op.kind == MOVE and Path(op.source).parent == config.inbox]


# File names are limited to 255 bytes; a long Chinese name (3 bytes a character) plus the
# suffix would not fit, and the reason must never fail to be written.
_NAME_BYTES = 240


def reason_file(target: Path) -> Path:
    """<name>.原因.txt beside the rejected file, the name shortened to fit when it is long."""
    return target.with_name(fit_name(target.name, REASON_SUFFIX, _NAME_BYTES))


def reason_text(arrival: Arrival) -> str:
    lines = [arrival.error or ""]
    if arrival.held:
        lines.append("（此文件暂缓处理，等待指挥中心决定；承办单位无需重新发送。）")
    else:
        lines.append("处理办法：按上面的说明改正后，把文件重新放入 inbox（单位可改正后重新发送）。")
    return "\n".join(lines) + "\n"


def summary_lines(arrivals: list[Arrival]) -> dict[str, list[str]]:
    applied, held, rejected = [], [], []
    for a in arrivals:
        if a.error:  # and what went wrong moving it; a reason may quote a unit's answer
            (held if a.held else rejected).append(redact("；".join([a.error.rstrip("。"), *a.done])))
        else:
            applied.append(f"{a.path.name}（{a.kind or '重复文件'}）：{'；'.join(a.done) or '无需修改'}")
    return {"收件箱：已处理": applied, "收件箱：暂缓，待指挥中心决定": held, "收件箱：已退回": rejected}
