"""A run pays only for what it does: the daily command's modules load without the heavy
libraries, which come in only where they are used (openpyxl with the 统计 sheet, the feedback
sheets, the upward report and the drop-down lists; docxtpl with the letters; jinja2 with a
mail or a document; the process pool with letters enough to share out). The figures
are plain sums (rules/stats.py): no data-frame library, nor numpy, loads at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "numpy", "openpyxl", "docxtpl", "docx", "jinja2", "concurrent.futures.process")


def test_the_daily_command_loads_without_pandas_openpyxl_docxtpl_jinja2_or_a_process_pool():
    code = ("import sys, tipdesk.cli, tipdesk.commands.daily; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_statistics_and_the_bulletin_load_no_data_frame_library():
    code = ("import sys, tipdesk.rules.stats, tipdesk.output.statsheet, tipdesk.output.bulletin; "
            "print([m for m in ('pandas', 'polars', 'pyarrow') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
