"""Mail intake: take units' replies from the centre's mailbox (IMAP, `mail.imap`) into inbox/.

This is the step as the commands call it; what it gave is a domain.arrivals.FetchReport. How
the mailbox is read, and what makes each mail go once however a run ends, is in
intake/imap.py, which loads (with the email package, ssl and imapclient) only when
`mail.imap.host` is set: a workspace without mail intake never pays for them.
"""

from __future__ import annotations

from datetime import datetime

from tipdesk.config import Config
from tipdesk.domain.arrivals import FetchReport
from tipdesk.store.journal import Journal


def fetch_mail(config: Config, journal: Journal, now: datetime, contacts: dict | None = None) -> FetchReport:
    """Take what units sent to the centre's mailbox; nothing when `mail.imap.host` is empty.
    Never raises for the server's sake: what went wrong is a line of the report. Call it
    outside a journal transaction (each step is on disk before the next)."""
    if not config.mail.imap.enabled:
        return FetchReport()
    from tipdesk.intake.imap import read_mailbox

    return read_mailbox(config, journal, now, contacts or {})
