"""One run at a time per register: a lock the OS frees when a run dies (power cut, kill).

Taking the lock is also where a run first writes, so it first makes sure it can write every
place it will (a read-only share, a folder copied from a CD, a locked-down account): one
Chinese line naming the place instead of a traceback after half the work."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import filelock
from tipdesk.config import Config
from tipdesk.domain.errors import EXIT_BUSY, EXIT_USAGE, TipdeskError


def _places(config: Config) -> list[tuple[str, Path]]:
    """(config key, folder) of every folder a run writes into."""
    return [("register", config.register.parent), ("inbox", config.inbox), ("outbox", config.outbox),
            ("journal", config.journal.parent), ("backups.folder", config.backup_folder)]


def _unwritable(folder: Path) -> str | None:
    """Why nothing can be created in `folder`, or None. A folder not there yet is judged by
    the nearest one that is (the run makes it); nothing is created but a probe, at once gone."""
    if folder.exists() and not folder.is_dir():
        return "这里是一个同名文件，不是文件夹"
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"“{probe}”是一个文件，不是文件夹"
    try:
        with tempfile.TemporaryFile(dir=probe, prefix=".tipdesk-probe-"):
            return None
    except OSError as exc:
        return exc.strerror or str(exc)


def unwritable_places(config: Config) -> list[str]:
    """What a run could not write, one Chinese line each naming the place and the fix."""
    found = []
    for key, folder in _places(config):
        why = _unwritable(folder)
        if why:
            found.append(f"{folder}：无法在此文件夹中写入（{why}），本次没有做任何修改。请给当前用户开放该文件夹的"
                         f"写入权限（去掉“只读”），或在 config.yaml 中把 {key} 改到可写的位置，然后重新运行。")
    for path in (config.register, config.journal):
        if path.exists() and not os.access(path, os.W_OK):
            found.append(f"{path.name}：文件是只读的，本次没有做任何修改。请在文件属性中去掉“只读”"
                         f"（或给当前用户开放写入权限），然后重新运行。")
    return found


def refuse_unwritable(config: Config) -> None:
    """Exit 2 before anything changes when a folder or file the run writes is read-only."""
    found = unwritable_places(config)
    if found:
        raise TipdeskError(found[0], EXIT_USAGE)


@contextmanager
def workspace_lock(config: Config) -> Iterator[None]:
    """One run at a time per register; the OS frees the lock if a run dies (power cut, kill)."""
    refuse_unwritable(config)
    lock = filelock.FileLock(str(config.register.parent / f".{config.register.name}.tipdesk.lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise TipdeskError(f"{config.register.name}：另一个 tipdesk 正在处理此台账，本次没有做任何修改。"
                           f"请等它结束后再运行。", EXIT_BUSY)
    try:
        yield
    finally:
        lock.release()
