"""`./run fetch`: take units' replies from the centre's mailbox into inbox/ (intake/fetch.py).

`daily` does the same first by itself, and so does each hourly pass of `watch`; this command
is for the clerk who wants the mails in now, or to see what the mailbox holds."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from tipdesk.config import Config
from tipdesk.domain.columns import CONTACTS_SHEET
from tipdesk.domain.errors import EXIT_USAGE, TipdeskError
from tipdesk.intake.fetch import fetch_mail
from tipdesk.rules.contacts import effective_contacts
from tipdesk.store.journal import open_journal
from tipdesk.store.lock import workspace_lock
from tipdesk.store.register import read_register


def register_contacts(config: Config, now: datetime) -> dict:
    """Who each unit is by address (the 联络人 sheet), to name the sender of a mail."""
    if not config.register.is_file():
        return {}
    register = read_register(config.register)
    sheet = register.sheets.get(CONTACTS_SHEET)
    return effective_contacts(sheet.grid if sheet else [], config, now.date())


def run_fetch(config: Config, now: datetime, echo: Callable[[str], None] = print) -> int:
    if not config.mail.imap.enabled:
        raise TipdeskError("未配置收件邮箱：请在 config.yaml 的 mail.imap.host、mail.imap.user 中填写"
                           "指挥中心邮箱的收件服务器和账号（见 README“邮件收件”）。", EXIT_USAGE)
    with workspace_lock(config):
        contacts = register_contacts(config, now)
        journal = open_journal(config.journal)
        try:
            report = fetch_mail(config, journal, now, contacts)
        finally:
            journal.close()
    lines = report.lines()
    for line in lines or ["邮箱中没有新邮件。"]:
        echo(line)
    if report.files:
        echo(f"共 {len(report.files)} 个文件存入 {config.inbox}，运行 ./run daily 登记。")
    return 0
