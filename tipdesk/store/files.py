"""Small file-system helpers shared by the steps that write into the outbox and inbox."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path


# File systems limit a name to 255 bytes; a long Chinese name (3 bytes a character) is near it.
NAME_BYTES = 255


def fit_name(stem: str, tail: str, limit: int = NAME_BYTES) -> str:
    """stem + tail, the stem shortened as needed so the name fits in `limit` bytes."""
    while stem and len((stem + tail).encode("utf-8")) > limit:
        stem = stem[:-1]
    return stem + tail


def free_path(path: Path, taken: set[Path] | frozenset = frozenset()) -> Path:
    """`path`, or path-2, path-3 … when that name is taken (on disk, or in `taken`: names a
    plan has already given out): nothing already there is overwritten, and the added number
    never makes the name too long."""
    n, candidate = 1, path
    while candidate.exists() or candidate in taken:
        n += 1
        candidate = path.with_name(fit_name(path.stem, f"-{n}{path.suffix}"))
    return candidate


LOG_FOLDER = "logs"


def write_error_log(folder: Path, when: datetime, detail: str) -> Path:
    """Save the technical detail of an unexpected error as logs/错误-YYYYMMDD-HHMMSS.log in
    `folder` (the workspace), or in the system's temporary folder when that cannot be written;
    the screen then shows one Chinese line naming this file instead of a traceback."""
    for base in (Path(folder) / LOG_FOLDER, Path(tempfile.gettempdir()) / "tipdesk-logs"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = free_path(base / f"错误-{when:%Y%m%d-%H%M%S}.log")
            path.write_text(detail, encoding="utf-8")
            return path
        except OSError:
            continue
    raise OSError("no folder to write the error log into")
