"""A run pays only for what it does: the daily command's modules load without the heavy
libraries, which come in only where they are used (pandas and openpyxl with the 统计 sheet,
docxtpl with the letters, openpyxl with the upward report and the drop-down lists)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "openpyxl", "docxtpl", "docx")


def test_the_daily_command_loads_without_pandas_openpyxl_or_docxtpl():
    code = ("import sys, tipdesk.cli, tipdesk.commands.daily; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
