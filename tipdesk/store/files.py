"""Small file-system helpers shared by the steps that write into the outbox and inbox."""

from __future__ import annotations

from pathlib import Path


def free_path(path: Path) -> Path:
    """`path`, or path-2, path-3 … when that name is taken: nothing already there is overwritten."""
    n, candidate = 1, path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate
