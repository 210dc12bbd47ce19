"""The Windows launchers, read as cmd.exe will read them (Windows cannot run here).

run.bat and 每日运行.bat must have CRLF line endings (cmd.exe misreads labels in LF files),
check for Python 3.11+ and say in Chinese how to install it, wait for a key only when
double-clicked, install offline from a wheels folder, and every label they jump to exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tipdesk.commands.init import DAILY_BAT, TIPDESK_HOME, daily_bat

ROOT = Path(__file__).resolve().parent.parent
BATCH_FILES = (ROOT / "run.bat", ROOT / DAILY_BAT)


def lines_of(path: Path) -> list[str]:
    data = path.read_bytes()
    assert b"\n" in data and data.count(b"\n") == data.count(b"\r\n"), f"{path.name}: not CRLF throughout"
    assert data.endswith(b"\r\n") and not data.startswith(b"\xef\xbb\xbf")  # a BOM breaks @echo off
    return data.decode("utf-8").split("\r\n")


@pytest.mark.parametrize("path", BATCH_FILES, ids=lambda p: p.name)
def test_batch_files_are_crlf_utf8_and_switch_the_console(path):
    lines = lines_of(path)
    assert lines[0] == "@echo off"
    chcp = next(i for i, line in enumerate(lines) if line.startswith("chcp 65001"))
    # Nothing Chinese is read before the console is UTF-8 (cmd.exe reads line by line).
    assert all(line.isascii() for line in lines[:chcp])
    assert any(line.startswith("if defined TIPDESK_CP chcp %TIPDESK_CP%") for line in lines)


@pytest.mark.parametrize("path", BATCH_FILES, ids=lambda p: p.name)
def test_every_label_jumped_to_exists_and_blocks_hold_no_stray_parenthesis(path):
    lines = lines_of(path)
    labels = {line[1:].strip().lower() for line in lines if line.startswith(":")}
    for line in lines:
        for target in re.findall(r"(?:goto|call) :?([A-Za-z_]+)\b", line, re.I):
            if not line.lower().lstrip().startswith("rem") and target.lower() != "eof":
                assert target.lower() in labels, f"{path.name}: {line}"
    depth = 0
    for line in lines:
        stripped = line.strip()
        if depth and stripped.lower().startswith("echo"):
            # An ASCII ")" in an echo inside ( … ) ends the block early.
            assert ")" not in stripped, f"{path.name}: {line}"
        if not stripped.lower().startswith(("rem", "echo")):
            depth += stripped.count("(") - stripped.count(")")


def test_gitattributes_keeps_crlf_for_batch_files():
    assert "*.bat text eol=crlf" in (ROOT / ".gitattributes").read_text(encoding="utf-8")
    if shutil.which("git") and (ROOT / ".git").exists():
        out = subprocess.run(["git", "check-attr", "eol", "--", "run.bat", DAILY_BAT], cwd=ROOT,
                             capture_output=True, text=True).stdout
        assert out.count("eol: crlf") == 2, out


def test_run_bat_checks_python_and_says_how_to_install_it():
    text = "\n".join(lines_of(ROOT / "run.bat"))
    assert 'py -3 -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"' in text
    assert 'python -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)"' in text
    assert "没有找到 Python 3.11 或更高版本" in text and "https://www.python.org/downloads/windows/" in text
    assert "Add python.exe to PATH" in text
    # Offline: the wheels folder, never the network, when it is there.
    assert '--no-index --find-links "%HERE%wheels"' in text
    # Waits for a key only when double-clicked with no command (a scheduled run never waits).
    assert "!cmdcmdline:%~nx0=!" in text and 'if not "%~1"=="" set "STANDALONE="' in text
    pause = text.index("pause")
    assert "if defined STANDALONE (" in text[pause - 40:pause]
    assert text.count("pause") == 1
    assert '"%VENV%\\Scripts\\python.exe" -m tipdesk %*' in text and "exit /b %RC%" in text


def test_daily_bat_runs_daily_on_its_workspace_and_nopause_is_for_the_scheduler():
    assert (ROOT / DAILY_BAT).read_bytes() == daily_bat("%~dp0run.bat")
    text = "\n".join(lines_of(ROOT / DAILY_BAT))
    assert 'call "%TIPDESK%" daily --config "%CONFIG%"' in text
    assert 'set "CONFIG=%~dp0config.yaml"' in text
    assert 'if /i "%~1"=="/nopause" set "WAIT="' in text and "if defined WAIT pause" in text
    for code in "0123":
        assert f'if "%RC%"=="{code}" echo ' in text


def test_init_writes_a_daily_bat_pointing_at_this_checkout(tmp_path):
    from tipdesk.commands.init import init_workspace

    init_workspace(tmp_path / "举报台账")
    made = (tmp_path / "举报台账" / DAILY_BAT).read_bytes()
    assert made == daily_bat(str(TIPDESK_HOME / "run.bat"))
    assert f'set "TIPDESK={TIPDESK_HOME / "run.bat"}"'.encode() in made


def test_readme_quotes_for_cmd_and_schedules_the_daily_bat():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if re.search(r"(?:\./run|run\.bat) ", line)]
    assert commands and not [line for line in commands if re.search(r" '[^']*'", line)]
    assert 'schtasks /create /tn "tipdesk 每日处理" /sc daily /st 08:30 /tr "\\"D:\\举报台账\\每日运行.bat\\" /nopause"' in readme
    assert "py -m pip download -r requirements.txt -d wheels" in readme
