"""Work done aside (store/aside.py): the 统计 sheet worked out in a forked child while the
gate is built. The same sheet either way, the same error when it fails, no child left over."""

from __future__ import annotations

import os
import time

import pytest
from openpyxl import load_workbook

from tests.conftest import complaint
from tipdesk.store.aside import Aside

NOW = "2026-11-30 08:30"


def test_the_result_is_worked_out_in_another_process():
    assert Aside(os.getpid).result() != os.getpid()
    assert Aside(lambda: {"统计": [1, 2.5, "三"]}).result() == {"统计": [1, 2.5, "三"]}


def test_a_failure_in_the_child_is_the_same_failure_here():
    with pytest.raises(ZeroDivisionError):
        Aside(lambda: 1 / 0).result()


def test_a_child_that_dies_is_done_again_here():
    parent = os.getpid()
    assert Aside(lambda: os._exit(3) if os.getpid() != parent else "here").result() == "here"


def test_without_fork_it_is_done_here(monkeypatch):
    monkeypatch.delattr(os, "fork")
    assert Aside(os.getpid).result() == os.getpid()


def test_a_result_not_wanted_ends_its_child():
    start = time.monotonic()
    with Aside(lambda: time.sleep(60)):
        pass
    assert time.monotonic() - start < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # reaped: no child of this process left


def stats_cells(path) -> list[tuple]:
    ws = load_workbook(path)["统计"]
    return [tuple(cell.value for cell in row) for row in ws.iter_rows()]


def test_the_register_gets_the_same_statistics_with_or_without_a_fork(tmp_path, monkeypatch):
    from tests.conftest import Workspace

    sheets = []
    for name, fork in (("forked", True), ("here", False)):
        ws = Workspace(tmp_path / name)
        ws.add_rows([complaint(类别=category) for category in ("一般", "紧急", "一般", "事故")])
        if not fork:
            monkeypatch.delattr(os, "fork")
        assert ws.run("daily", now=NOW) == 0
        sheets.append(stats_cells(ws.register))
    assert sheets[0] == sheets[1]
    assert str(sheets[0][0][0]).startswith("安全生产举报受理处置统计（2026年1月1日至11月30日")
