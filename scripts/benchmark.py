"""Benchmark the daily run in the steady state a clerk lives in (not a test; prints figures).

For each size (default 5,000 and 50,000 cases on file, mostly closed) it builds a workspace,
runs `daily` once to settle it, types 20 new complaints, then times in fresh processes:
  - `daily` on that register (what the clerk waits for every morning),
  - `daily` once more on the same register, the same morning: a run with nothing to do,
  - `daily` on a copy whose inbox also holds 200 feedback sheets units sent back,
  - `daily`, and once more with nothing to do, on a copy whose past years were archived
    (`archive --year` for each, as the README asks every January): the live register then
    holds this year's cases only,
  - a plain openpyxl load_workbook + save of the same register (the naive alternative),
  - `import tipdesk.commands.daily` alone.
Each figure is wall time of the whole process (started as `./run` starts it, running nothing
but the step) and its peak resident memory, the median of --repeat runs (3 by default, each
on a fresh copy), printed beside the openpyxl round trip's as a ratio.

    .venv/bin/python scripts/benchmark.py
    .venv/bin/python scripts/benchmark.py --sizes 5000 --repeat 5 --keep /tmp/bench

With --keep the settled workspaces are kept (ws5000-settled, …) and reused by the next run
with the same --keep: building 50,000 cases takes minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-11-30 08:30"


# What a measured process runs: the step alone, as `./run` would start it (the daily run
# through `python -m tipdesk`), then its own peak memory, printed as JSON on the last line.
# Only this runs in it: this script's own imports would be counted too (about 40 ms).
_CHILD = """
import os, sys
kind, target, now = sys.argv[1:]


def peak() -> None:
    # The process's own high-water mark (ru_maxrss can carry the parent's over a fork).
    try:
        with open("/proc/self/status") as status:
            mb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except OSError:
        import resource
        mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('{"peak_mb": %f}' % mb, flush=True)


if kind == "daily":
    import runpy
    # python -m tipdesk leaves with os._exit (tipdesk/__main__.py): the peak is told just before.
    me, leave = os.getpid(), os._exit

    def told(code):
        if os.getpid() == me:
            assert code == 0, code
            peak()
        leave(code)

    os._exit = told
    sys.argv = ["tipdesk", "daily", "--config", target, "--now", now]
    runpy.run_module("tipdesk", run_name="__main__", alter_sys=True)
    raise SystemExit("tipdesk did not leave through os._exit")
elif kind == "imports":
    import tipdesk.commands.daily
else:
    from openpyxl import load_workbook
    load_workbook(target).save(target + ".openpyxl.xlsx")
peak()
"""


def measure(kind: str, target: Path) -> dict:
    """Wall time of the whole process (interpreter start included), as the clerk waits for it."""
    # As ./run starts it: tipdesk from this checkout, compiled modules cached (./run unsets
    # PYTHONDONTWRITEBYTECODE).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(target), NOW],
                         capture_output=True, text=True, check=True, env=env)
    figures = {"seconds": time.perf_counter() - start}
    figures.update(json.loads(out.stdout.strip().splitlines()[-1]))
    return figures


def build(folder: Path, cases: int) -> Path:
    """A workspace whose register holds `cases` cases, mostly closed, settled by one daily run."""
    from openpyxl import load_workbook

    from tipdesk.domain.columns import REGISTER_COLUMNS, REGISTER_SHEET
    from tipdesk.config import load_config
    from tipdesk.commands.daily import run_daily
    from tipdesk.commands.init import init_workspace

    init_workspace(folder)
    config = load_config(folder / "config.yaml")
    rng = random.Random(cases)
    units = [u.name for u in config.units]
    wb = load_workbook(config.register)
    ws = wb[REGISTER_SHEET]
    start = datetime(2022, 1, 1, 9, 0)
    step = (datetime(2026, 11, 20) - start) / cases
    for i in range(cases):
        received = start + step * i
        referred = received + timedelta(hours=2)
        # Old cases are closed; the newest 3% are open (at least 250, for the 200 returned
        # sheets, but no more than half of a small register).
        closed = i < cases - min(max(250, cases * 0.03), cases // 2)
        deadline = referred + timedelta(days=9)
        row = {
            "案件编号": f"AJ{received.year}-{i + 1:05d}", "受理时间": received, "来源": "12350热线",
            "举报人": f"举报人{i}", "联系方式": f"138{i:08d}", "被举报单位": f"某某有限公司{i % 700}",
            "事发地址": f"东城街道人民路{i % 300}号", "所属镇街": "东城街道", "行业领域": "建筑施工",
            "举报内容": "工地脚手架没有连墙件，工人高空作业不系安全带，存在严重安全隐患，请尽快查处。" * 2,
            "类别": "一般", "承办单位": rng.choice(units), "交办时间": referred, "办理期限": deadline,
            "交办文号": f"安举交〔{referred.year}〕{i + 1}号",
            "状态": "已办结" if closed else "已交办", "反馈时间": referred + timedelta(days=5) if closed else None,
            "是否属实": "属实" if closed else None, "处理结果": "已责令整改并复查。" if closed else None,
            "是否超期": "否" if closed else None, "回复举报人": "是" if closed else None,
        }
        ws.append([row.get(c) for c in REGISTER_COLUMNS])
    wb.save(config.register)
    # The last working morning before the measured one: its reminders are already out.
    run_daily(config, datetime(2026, 11, 27, 8, 30), echo=lambda _t: None)
    wb = load_workbook(config.register)
    ws = wb[REGISTER_SHEET]
    for i in range(20):
        row = {"受理时间": datetime(2026, 11, 30, 7, i), "来源": "12350热线", "举报人": f"新{i}",
               "联系方式": "13900000000", "被举报单位": f"新公司{i}", "事发地址": "西城街道建设路",
               "举报内容": ["工地塔吊螺栓松动", "储罐泄漏有异味", "车间有工人受伤"][i % 3]}
        ws.append([row.get(c) for c in REGISTER_COLUMNS])
    wb.save(config.register)
    return folder / "config.yaml"


def returned_sheets(config_path: Path, count: int) -> int:
    """Up to `count` feedback sheets for open cases, issued (journaled) and filled in as units
    do; how many."""
    from openpyxl import load_workbook

    from tipdesk.config import load_config
    from tipdesk.store.journal import Journal
    from tipdesk.output.issuing import IssuedDocuments
    from tipdesk.output.referral import feedback_sheet, referral_context
    from tipdesk.store.register import read_register

    config = load_config(config_path)
    open_cases = [r.values for r in read_register(config.register).rows if r.get("状态") == "已交办"][:count]
    count = len(open_cases)  # a small register has fewer open cases than sheets asked for
    journal = Journal(config.journal)
    issued = []
    for i, case in enumerate(open_cases):
        sheet_id = f"bench{i:05d}"
        path = config.inbox / f"{case['案件编号']}-回复.xlsx"
        path.write_bytes(feedback_sheet(referral_context(case, config.centre, datetime(2026, 11, 1)), sheet_id))
        wb = load_workbook(path)
        ws = wb["反馈表"]
        labels = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
        for label, value in {"核查情况": "经现场核查属实", "是否属实": "属实", "处理结果": "已整改",
                             "办理状态": "已办结", "办结日期": "2026年11月28日", "经办人": "张三"}.items():
            ws.cell(labels[label].row, labels[label].column + 1).value = value
        wb.save(path)
        issued.append(IssuedDocuments(case["案件编号"], case["交办文号"], case["承办单位"], sheet_id, path, path))
    with journal.transaction():
        journal.record_letters(issued, datetime(2026, 11, 1))
    journal.close()
    return count


def _line(label: str, figures: dict, naive: dict) -> str:
    return (f"  {label:<30} {figures['seconds']:>7.2f} s {figures['seconds'] / naive['seconds']:>6.2f}×   "
            f"{figures['peak_mb']:>6.0f} MB {figures['peak_mb'] / naive['peak_mb']:>6.2f}×")


def settled(base: Path, size: int) -> Path:
    """The settled workspace of `size` cases: built once, kept under `base` for later runs."""
    folder = base / f"ws{size}-settled"
    if not (folder / ".built").exists():
        shutil.rmtree(folder, ignore_errors=True)
        build(folder, size)
        (folder / ".built").write_text("ok")
    return folder


def archived(base: Path, size: int, pristine: Path) -> tuple[Path, int]:
    """The settled workspace with every past year archived that can be, its archives already
    read once (in the cache, as after the first run of the year), and how many years that is:
    built once, kept under `base`."""
    from tipdesk.cli import main as tipdesk
    from tipdesk.config import load_config
    from tipdesk.rules.archive import archivable_years
    from tipdesk.store.archive import archived_by_year
    from tipdesk.store.cache import WorkbookCache
    from tipdesk.store.register import read_register

    folder = base / f"ws{size}-archived"
    config = folder / "config.yaml"
    if not (folder / ".built").exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(pristine, folder)
        # Each past year whose cases are all closed (a small register's open cases reach back
        # further): `archive` refuses the others, as it would the clerk.
        rows = read_register(load_config(config).register).rows
        for year in [y for y, (_, still_open) in archivable_years(rows, datetime.fromisoformat(NOW)).items()
                     if not still_open]:
            with contextlib.redirect_stdout(io.StringIO()):
                code = tipdesk(["archive", "--config", str(config), "--now", NOW, "--year", str(year)])
            assert code == 0, (year, code)
        (folder / ".built").write_text("ok")
    settings = load_config(config)
    years = archived_by_year(settings.register, cache=WorkbookCache(settings.cache))  # as this version keeps it
    return folder, len(years)


def median_of(runs: list[dict]) -> dict:
    """The median wall time and the median peak of repeated runs: this machine's neighbours
    make single runs vary by a fifth."""
    return {key: statistics.median(run[key] for run in runs) for key in ("seconds", "peak_mb")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each figure (the median is shown)")
    parser.add_argument("--keep", type=Path, help="build workspaces here and keep them (reused next time)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    base = args.keep or Path(tempfile.mkdtemp(prefix="tipdesk-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"  {'':<30} {'wall':>9} {'÷openpyxl':>7}   {'peak':>9} {'÷openpyxl':>7}   (median of {args.repeat})")
    try:
        for size in args.sizes:
            pristine = settled(base, size)
            from tipdesk.config import load_config

            register = load_config(pristine / "config.yaml").register.relative_to(pristine)
            inbox_pristine = base / f"ws{size}-inbox-pristine"
            shutil.rmtree(inbox_pristine, ignore_errors=True)
            shutil.copytree(pristine, inbox_pristine)
            sheets = returned_sheets(inbox_pristine / "config.yaml", 200)
            archived_pristine, years = archived(base, size, pristine)
            runs: dict[str, list[dict]] = {"daily": [], "idle": [], "inbox": [], "naive": [], "imports": [],
                                           "archived": [], "archived idle": []}
            folder = base / f"ws{size}"
            for _ in range(args.repeat):
                for source, target in ((pristine, folder), (inbox_pristine, base / f"ws{size}-inbox"),
                                       (archived_pristine, base / f"ws{size}-live")):
                    shutil.rmtree(target, ignore_errors=True)
                    shutil.copytree(source, target)
                config = folder / "config.yaml"
                plain = folder / "plain.xlsx"
                shutil.copy(folder / register, plain)
                measure("imports", config)   # compiles and caches tipdesk's modules, as any earlier run did
                runs["imports"].append(measure("imports", config))
                runs["daily"].append(measure("daily", config))
                runs["idle"].append(measure("daily", config))  # the same register, the same morning: nothing to do
                runs["inbox"].append(measure("daily", base / f"ws{size}-inbox" / "config.yaml"))
                runs["archived"].append(measure("daily", base / f"ws{size}-live" / "config.yaml"))
                runs["archived idle"].append(measure("daily", base / f"ws{size}-live" / "config.yaml"))
                runs["naive"].append(measure("openpyxl", plain))
            figures = {kind: median_of(found) for kind, found in runs.items()}
            naive = figures["naive"]
            print(f"{size:,} cases ({(pristine / register).stat().st_size / 1e6:.1f} MB)")
            print(_line("daily, 20 new", figures["daily"], naive))
            print(_line("daily, nothing to do", figures["idle"], naive))
            print(_line(f"daily + {sheets} sheets", figures["inbox"], naive))
            print(_line(f"{years} past years archived, 20 new", figures["archived"], naive))
            print(_line("  then nothing to do", figures["archived idle"], naive))
            print(_line("import commands.daily", figures["imports"], naive))
            print(_line("openpyxl load+save", naive, naive), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
