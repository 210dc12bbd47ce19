"""`./run liaison`: blank liaison forms for every unit, and who has not returned one."""

from __future__ import annotations

from datetime import datetime
from tipdesk.config import Config
from tipdesk.domain.columns import CONTACTS_SHEET
from tipdesk.output.liaison import write_blank_forms
from tipdesk.rules.contacts import missing_units
from tipdesk.domain.textnorm import chinese_date
from tipdesk.store.egress import register_gate
from tipdesk.store.journal import open_journal


def run_liaison(config: Config, now: datetime, dry_run: bool = False) -> int:
    """`./run liaison`: a blank form per unit in the outbox, and who has not returned one."""
    from tipdesk.store.register import read_register

    register = read_register(config.register)
    sheet = register.sheets.get(CONTACTS_SHEET)
    grid, columns = (sheet.grid, sheet.columns) if sheet else ([], {})
    missing = missing_units(config, grid, columns) if sheet else [u.name for u in config.units]
    folder = config.outbox / f"{now:%Y-%m-%d}" / "联络单"
    units = [u.name for u in config.units]
    due = config.liaison.next_due(now.date())
    if dry_run:
        print(f"将在 {folder} 生成 {len(units)} 份空白联络单（{chinese_date(due)}前报送）。")
    else:
        gate = register_gate(config, register, f"{now:%Y-%m-%d}")
        write_blank_forms(config, units, folder, now.date(), gate)
        for line in gate.lines:
            print("出口拦截：" + line)
        print(f"已在 {folder} 生成 {len(units)} 份空白联络单（已预填单位名称，{chinese_date(due)}前报送）。")
    journal = open_journal(config.journal, readonly=True)
    try:
        started = journal.first_run()
    finally:
        journal.close()
    deadline = config.liaison.governing(now.date(), started or now.date())
    if missing:
        print(f"尚未报送联络单的单位（{len(missing)} 个，截止 {chinese_date(deadline)}）：")
        for name in missing:
            print(f"  - {name}")
        if now.date() > deadline:
            print("已过截止日期：每日运行会把这些单位标为“默认由单位办公室负责”，使用配置中的办公室联系人。")
    else:
        print("所有单位均已报送联络单。")
    return 0
