"""What the clerk sees on the console: Chinese only, on any console, and no traceback.

The Windows-facing pieces that can run here: help and usage errors free of English, output
under a GBK console or a log redirected on Chinese Windows (PYTHONIOENCODING=gbk), and an
unexpected error ending in one line that names the log file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import complaint
from tipdesk.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("init", "daily", "letter", "liaison", "report", "archive", "fetch", "watch", "calendar", "check", "demo")

# What may stay Latin in a help text: what the clerk types (option names, commands, file and
# folder names, config keys, examples), and names of programs.
ALLOWED = re.compile(
    r"--?[a-z][a-z-]*"                      # option names
    r"|\S*\.(?:yaml|docx|txt|xlsx|bat)\b"  # file names and kinds
    r"|\b(?:outbox|inbox|calendar|demo|templates)/"  # folder names
    r"|\./run|run\.bat|tipdesk|Ctrl\+C|Word|Excel|WPS"
    r"|\b[a-z_]+(?:\.[a-z_]+)+\b|\b[a-z]+_[a-z_]+\b|\bfolder\b"  # config keys (watch.daily_at, done_folder)
    r"|Message-ID|\bTIPDESK_[A-Z_]+\b"    # a mail header, an environment variable's name
    r"|\bAJ\d{4}-\d+|\d{4}-Q\d"
    r"|\b(?:" + "|".join(COMMANDS) + r"|import)\b")


def english_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", ALLOWED.sub(" ", text))


@pytest.mark.parametrize("command", (None, *COMMANDS))
def test_every_help_text_is_chinese(command, capsys):
    argv = ["--help"] if command is None else [command, "--help"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：") and "选项：" in out and "显示本说明并退出" in out
    assert english_words(out) == [], out


@pytest.mark.parametrize("argv, words", [
    (["dance"], "“dance”无效"),
    (["report"], "须指定 --month --quarter --year 之一"),
    (["report", "--month", "2026-11", "--year", "2026"], "不能与 --month 同时使用"),
    (["daily", "--now"], "--now：后面要写一个值"),
    (["daily", "--wrong"], "无法识别 --wrong"),
    (["letter"], "缺少 案件编号"),
])
def test_usage_errors_are_chinese_and_exit_2(argv, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert words in err and err.startswith("用法：") and "参数有误" in err
    assert english_words(err.replace("dance", "").replace("wrong", "")) == [], err


def test_argparse_is_left_as_it_was():
    # The Chinese words are ours only while tipdesk parses: pytest and others keep theirs.
    import argparse

    build_parser()
    assert argparse._("usage: ") == "usage: "


def test_a_gbk_console_or_log_never_stops_the_run(ws, tmp_path):
    """Redirected output on Chinese Windows is GBK: characters it lacks (an emoji typed into
    a complaint, a symbol) become "?", the run finishes, and the register is saved."""
    ws.add(**complaint(被举报单位="笑脸😀五金厂", 受理时间=datetime(2026, 12, 1, 8, 0)))
    log = tmp_path / "log.txt"
    env = {**os.environ, "PYTHONIOENCODING": "gbk", "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        done = subprocess.run([sys.executable, "-m", "tipdesk", "daily", "--config", str(ws.config_path),
                               "--now", "2026-12-01 08:30"], stdout=out, stderr=subprocess.STDOUT,
                              env=env, timeout=300)
    text = log.read_bytes().decode("gbk")
    assert done.returncode == 0, text
    # December: next year's holidays are not in yet, the warning every run carries.
    assert "【重要提醒】" in text and "2027年的放假安排尚未导入" in text
    assert "笑脸?五金厂" in text and "Traceback" not in text
    assert ws.rows()[0]["案件编号"] == "AJ2026-0001"


def test_an_unexpected_error_is_one_chinese_line_and_a_log_file(ws, capsys, monkeypatch):
    import tipdesk.commands.daily as daily

    def broken(*args, **kwargs):
        raise KeyError("something internal")

    monkeypatch.setattr(daily, "run_daily", broken)
    assert ws.run("daily") == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("意外错误，本次运行已停止：详细信息已保存到 ")
    logs = list((ws.root / "logs").glob("错误-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    detail = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in detail and "something internal" in detail and "daily" in detail
