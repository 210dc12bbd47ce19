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
# What a run that writes nothing, reads no inbox file and sends no mail has no use for: the
# xlsx patcher and lxml, the inbox readers and olefile, the mail stack, the mailbox reader,
# the statistics.
IDLE_UNUSED = HEAVY + ("lxml.etree", "olefile", "email.message", "email.policy", "smtplib", "ssl", "uuid",
                       "tipdesk.xlsx.patch", "tipdesk.intake.forms", "tipdesk.intake.imap", "tipdesk.rules.stats",
                       "tipdesk.word.template")


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


def test_a_rerun_with_nothing_to_do_loads_only_what_it_uses(ws):
    # The day's second run: the cases are referred and their letters out, nothing is due. It
    # composes no mail, writes no document and leaves the register as it is, so jinja2,
    # docxtpl, openpyxl, lxml, the mail stack and the inbox readers stay unloaded.
    from tests.conftest import complaint

    ws.add_rows([complaint(), complaint(举报内容="储罐泄漏有异味"), complaint(举报内容="车间有工人受伤")])
    assert ws.run("daily") == 0
    code = ("import sys; from tipdesk.cli import main; "
            f"code = main(['daily', '--config', {str(ws.config_path)!r}, '--now', '2026-11-30 08:30']); "
            f"print(code, [m for m in {IDLE_UNUSED!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "0 []"
