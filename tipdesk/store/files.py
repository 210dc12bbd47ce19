"""Small file-system helpers shared by the steps that write into the outbox and inbox."""

from __future__ import annotations

import re
from pathlib import Path

# Characters Windows does not allow in file names (and whitespace, which confuses mail clients).
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def free_path(path: Path) -> Path:
    """`path`, or path-2, path-3 … when that name is taken: nothing already there is overwritten."""
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def safe_name(text: str, fallback: str = "未命名") -> str:
    """A file or folder name made from a unit or case name."""
    return _UNSAFE.sub("_", text).strip("._") or fallback
