"""One run at a time per register: a lock the OS frees when a run dies (power cut, kill)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import filelock
from tipdesk.config import Config
from tipdesk.domain.errors import EXIT_BUSY, TipdeskError


@contextmanager
def workspace_lock(config: Config) -> Iterator[None]:
    """One run at a time per register; the OS frees the lock if a run dies (power cut, kill)."""
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
