"""Reading the centre's mailbox (IMAP, `mail.imap`) for `fetch_mail` (intake/fetch.py).

Each mail of `mail.imap.folder` is looked at once: the journal keeps the folder's UIDVALIDITY
and, per UID, what became of the mail (table `fetched`). Only headers are read first, so a
mailbox of thousands of old mails costs one small request per few hundred; a mail that may be
for us (attachments, a reply to a referral, a case number or a referral's subject in its
subject, a delivery status notification) is then read whole, one at a time.

A mail with spreadsheets attached goes through three steps, each recorded before the next:
`saving` (the target names chosen, in the journal), the files written atomically into inbox/
(their time is the mail's date, which becomes 反馈时间), `saved`, then the mail is moved to
`mail.imap.done_folder` and is `moved`. A run killed anywhere is finished by the next one:
`saving` writes the same names again (a file already there, or already processed, is not
written twice), `saved` only moves. A mail is never deleted; one with nothing for us stays
where it is and is listed once. The same Message-ID is never taken twice, also after the
server renumbered the folder (a new UIDVALIDITY).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import ssl
import time
from datetime import datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from tipdesk.config import Config, ImapSettings
from tipdesk.domain.arrivals import FetchReport
from tipdesk.domain.errors import TipdeskError
from tipdesk.domain.textnorm import safe_name
from tipdesk.rules.acknowledge import answered_cases
from tipdesk.rules.contacts import unit_by_address
from tipdesk.store.files import free_path
from tipdesk.store.journal import Journal
from tipdesk.store.secrets import login_password

SAVING, SAVED, MOVED, IGNORED, DUPLICATE = "saving", "saved", "moved", "ignored", "duplicate"
# What a mail brought: spreadsheets, a reply without files (签收), a bounce, nothing for us.
FILES, REPLY, BOUNCE, NOTHING = "files", "reply", "bounce", "nothing"
# The files the inbox reads (or refuses with a reason the unit can act on).
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".csv")
HEADER_BATCH = 200
MAX_MAIL_BYTES = 100 * 1024 * 1024

_BYTES_PARSER = BytesParser(policy=policy.default)


# How far back written .eml files are looked for in the Sent folder.
SENT_LOOKBACK = timedelta(days=30)


# --- reading one mail -------------------------------------------------------------------------

def _text(value: Any) -> str:
    """A header as text, whatever the sender's client did: RFC 2047 words in GBK or UTF-8,
    or raw 8-bit GBK bytes (which the parser keeps as surrogates)."""
    text = str(value or "")
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", "surrogateescape")
        for charset in ("utf-8", "gb18030"):
            try:
                text = raw.decode(charset)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = raw.decode("gb18030", "replace")
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (ValueError, LookupError, UnicodeDecodeError):
            pass
    return " ".join(text.split())


def _header(message: Message, name: str) -> str:
    try:
        return _text(message.get(name, ""))
    except Exception:  # a header too broken for the parser's own classes
        raw = message.get_all(name) or [""]
        return _text(getattr(raw[0], "_parse_tree", raw[0]))


def _filename(part: Message) -> str:
    """The attachment's name: RFC 2231 (`filename*=gbk''…`), RFC 2047 in `filename` or in
    Content-Type `name` (old Outlook, Foxmail), or raw GBK."""
    name = ""
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    if not name:
        name = part.get_param("name", header="content-type") or ""
        if isinstance(name, tuple):  # RFC 2231 on Content-Type
            name = str(name[2].encode("latin-1", "surrogateescape").decode(name[0] or "utf-8", "replace"))
    return _text(name)


def _sender(message: Message) -> str:
    return parseaddr(_header(message, "From"))[1].strip().lower()


def _sent_at(message: Message, fallback: datetime) -> datetime:
    """The mail's Date in local time, never after `fallback` (the run's clock)."""
    try:
        when = parsedate_to_datetime(_header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        return fallback
    if when is None:
        return fallback
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return min(when.replace(microsecond=0), fallback)


def _refs(message: Message) -> list[str]:
    return re.findall(r"<[^<>\s]+>", " ".join(_header(message, h) for h in ("In-Reply-To", "References")))


def _spreadsheets(message: Message) -> list[tuple[str, bytes]]:
    out = []
    for part in message.walk():
        if part.is_multipart():
            continue
        name = _filename(part)
        if not name or Path(name).suffix.lower() not in SHEET_SUFFIXES:
            continue
        data = part.get_payload(decode=True)
        if data:
            out.append((safe_name(name, "附件.xlsx"), data))
    return out


def _is_bounce(message: Message) -> bool:
    content_type = message.get_content_type()
    report = str(message.get_param("report-type", "") or "").lower()
    return content_type == "multipart/report" and report == "delivery-status"


def _bounce(message: Message) -> tuple[list[tuple[str, str]], str]:
    """([(failed address, diagnostic)], Message-ID of the mail that bounced)."""
    failed, original = [], ""
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/delivery-status":
            for block in part.get_payload():
                action = str(block.get("Action", "")).strip().lower()
                recipient = str(block.get("Final-Recipient", "") or block.get("Original-Recipient", ""))
                address = recipient.rpartition(";")[2].strip().strip("<>").lower()
                if address and action == "failed":
                    failed.append((address, _text(block.get("Diagnostic-Code", "") or block.get("Status", ""))))
        elif content_type in ("message/rfc822", "text/rfc822-headers") and not original:
            if content_type == "message/rfc822":
                inner = part.get_payload()[0]
            else:
                inner = _BYTES_PARSER.parsebytes(part.get_payload(decode=True) or b"", headersonly=True)
            original = _header(inner, "Message-ID")
    return failed, original


# --- the IMAP conversation ----------------------------------------------------------------

def _where(imap: ImapSettings) -> str:
    return f"{imap.host}:{imap.port}"


def _connect(imap: ImapSettings):
    # Imported here: a workspace without mail intake never needs it.
    from imapclient import IMAPClient

    password = login_password(imap.user, imap.password_env)  # before the network: a missing one is told first
    context = ssl.create_default_context(cafile=str(imap.ca_file) if imap.ca_file else None)
    client = IMAPClient(imap.host, port=imap.port, ssl=imap.security == "ssl",
                        ssl_context=context if imap.security == "ssl" else None, timeout=imap.timeout)
    if imap.security == "starttls":
        client.starttls(context)
    for pause in (*_LOGIN_PAUSES, None):
        try:
            client.login(imap.user, password)
            return client
        except Exception as exc:  # imapclient's LoginError
            if pause is None or not _temporary(exc):
                raise
            time.sleep(pause)


# A server whose own password lookup is slow or down answers a login NO [UNAVAILABLE] (RFC
# 5530; Dovecot: "Temporary authentication failure"): the password may well be right, so the
# login is tried again after these pauses (seconds) before the run gives up on the mailbox.
_LOGIN_PAUSES = (1, 3)


def _temporary(exc: BaseException) -> bool:
    return "[UNAVAILABLE]" in str(exc)


def _connection_error(exc: BaseException, imap: ImapSettings) -> str:
    from imapclient.exceptions import LoginError

    where = _where(imap)
    if isinstance(exc, LoginError) and _temporary(exc):
        return f"收件服务器 {where} 暂时无法验证登录（服务器答复“暂时不可用”，不是密码错误），重试后仍未成功"
    if isinstance(exc, LoginError):
        return f"收件邮箱 {imap.user} 登录失败，请核对 mail.imap.user 和环境变量 {imap.password_env} 中的密码"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"无法验证收件服务器 {where} 的证书（{exc.verify_message}）；自签名证书请在 mail.imap.ca_file 中指定"
    if isinstance(exc, ssl.SSLError):
        return f"与收件服务器 {where} 建立加密连接失败（{exc}），请核对 mail.imap.security 和端口"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"收件服务器 {where} 无响应（超过 {imap.timeout} 秒）"
    if isinstance(exc, OSError):
        return f"无法连接收件服务器 {where}（{exc.__class__.__name__}：{exc}）"
    return f"收件服务器 {where} 出错（{exc.__class__.__name__}：{exc}）"


def _move(client, uid: int, folder: str) -> None:
    """MOVE, or COPY and then expunge only this UID (UIDPLUS); never EXPUNGE others' deletions."""
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    if client.has_capability("UIDPLUS"):
        client.delete_messages([uid])
        client.uid_expunge([uid])


def _write(path: Path, data: bytes, when: datetime) -> None:
    temp = path.with_name(f".{path.name}.fetching")
    temp.write_bytes(data)
    os.utime(temp, (when.timestamp(), when.timestamp()))
    os.replace(temp, path)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Fetch:
    def __init__(self, config: Config, journal: Journal, now: datetime, contacts: dict):
        self.config, self.journal, self.now, self.contacts = config, journal, now, contacts
        self.imap = config.mail.imap
        self.report = FetchReport()
        self.sent_ids, self.sent_subjects = journal.sent_references()
        self.taken = journal.taken_message_ids()
        self.inbox_digests = set(journal.inbox_seen())

    def run(self) -> FetchReport:
        try:
            client = _connect(self.imap)
        except TipdeskError as exc:
            self.report.problems.append(f"{exc.message}；本次没有从邮箱收件")
            return self.report
        except Exception as exc:  # unreachable, refused, wrong password: the run goes on
            self.report.problems.append(f"{_connection_error(exc, self.imap)}；本次没有从邮箱收件，"
                                        "下次运行自动重试")
            return self.report
        try:
            self._folder(client)
            if self.imap.sent_folder:
                self._sent(client)
        except TipdeskError as exc:
            self.report.problems.append(f"{exc.message}；本次没有从邮箱收件")
        except Exception as exc:
            self.report.problems.append(f"{_connection_error(exc, self.imap)}；已取的邮件已记录，"
                                        "其余下次运行继续")
        finally:
            try:
                client.logout()
            except Exception:
                pass
        return self.report

    def _folder(self, client) -> None:
        imap = self.imap
        if not client.folder_exists(imap.done_folder):
            try:
                client.create_folder(imap.done_folder)
            except Exception as exc:
                raise TipdeskError(f"无法在邮箱中建立文件夹“{imap.done_folder}”（mail.imap.done_folder）：{exc}。"
                                   "请在邮箱网页版中建好这个文件夹，或改填一个已有的文件夹（有的邮箱要写成"
                                   f"“INBOX.{imap.done_folder}”）") from exc
        try:
            selected = client.select_folder(imap.folder)
        except Exception as exc:
            raise TipdeskError(f"找不到邮箱文件夹“{imap.folder}”（mail.imap.folder）：{exc}") from exc
        uidvalidity = int(selected[b"UIDVALIDITY"])
        self.journal.set_imap_uidvalidity(imap.folder, uidvalidity)
        known = self.journal.fetched_in(imap.folder, uidvalidity)
        uids = sorted(client.search("ALL"))
        for uid in uids:
            row = known.get(uid)
            if row and row["status"] in (SAVING, SAVED):
                self._finish(client, uidvalidity, uid, row)  # a run died between the steps
        new = [uid for uid in uids if uid not in known]
        for start in range(0, len(new), HEADER_BATCH):
            batch = new[start:start + HEADER_BATCH]
            heads = client.fetch(batch, ["BODY.PEEK[HEADER]", "RFC822.SIZE"])
            with self.journal.transaction():  # the many with nothing for us: one commit a batch
                for uid in batch:
                    if uid in heads and self._nothing_for_us(uidvalidity, uid, heads[uid]):
                        del heads[uid]
            for uid in batch:
                data = heads.get(uid)
                if data is None:
                    continue  # passed over above, or expunged meanwhile by someone else
                try:
                    self._one(client, uidvalidity, uid, data)
                except (OSError, TipdeskError):
                    raise
                except Exception as exc:  # one strange mail never stops the others
                    head = _BYTES_PARSER.parsebytes(data.get(b"BODY[HEADER]", b""), headersonly=True)
                    self.report.problems.append(
                        f"{self._describe(head)}：无法处理（{exc.__class__.__name__}：{exc}），已留在邮箱中，"
                        "下次运行再试；可请单位重新发送或手工存入 inbox")

    def _sent(self, client) -> None:
        """Outbox mode: the .eml files the clerk opened and sent from Outlook/Foxmail are in
        the Sent folder with our Message-ID; those mails are confirmed sent, so 催办记录 stops
        saying 发件箱待发. The folder is only read."""
        pending = self.journal.written_unconfirmed(self.now - SENT_LOOKBACK)
        if not pending:
            return
        if not client.folder_exists(self.imap.sent_folder):
            self.report.problems.append(f"邮箱中没有文件夹“{self.imap.sent_folder}”（mail.imap.sent_folder），"
                                        "无法核对发件箱中的邮件是否已发出；请改填邮件客户端“已发送”文件夹的名称")
            return
        client.select_folder(self.imap.sent_folder, readonly=True)
        found = 0
        for message_id, attempts in pending.items():
            if client.search(["HEADER", "Message-ID", message_id]):
                self.journal.confirm_sent(attempts, f"{self.now:%Y-%m-%d %H:%M} 已在“{self.imap.sent_folder}”中找到")
                found += 1
        if found:
            self.report.confirmed.append(f"发件箱中的邮件已确认发出：{found}封（在“{self.imap.sent_folder}”中找到）")

    def _describe(self, message: Message) -> str:
        subject = _header(message, "Subject") or "（无主题）"
        return f"{_sender(message) or '（无发件人）'}“{subject[:60]}”"

    def _head(self, data: dict) -> tuple[Message, dict[str, Any]]:
        head = _BYTES_PARSER.parsebytes(data.get(b"BODY[HEADER]", b""), headersonly=True)
        return head, dict(message_id=_header(head, "Message-ID"), sender=_sender(head),
                          sent_at=_sent_at(head, self.now), subject=_header(head, "Subject"),
                          refs=" ".join(_refs(head)))

    def _nothing_for_us(self, uidvalidity: int, uid: int, data: dict) -> bool:
        """A mail whose headers show it is not for us (not multipart, no reference, neither a
        case number nor the subject of a mail we sent): recorded and listed, never downloaded."""
        try:
            head, record = self._head(data)
        except Exception:
            return False  # looked at alone, inside its own guard
        if (head.get_content_maintype() == "multipart" or record["refs"]
                or answered_cases((), record["subject"], self.config.case_prefix, {}, self.sent_subjects)):
            return False
        self._ignore(uidvalidity, uid, head, record)
        return True

    def _one(self, client, uidvalidity: int, uid: int, data: dict) -> None:
        head, record = self._head(data)
        subject, sender, message_id = record["subject"], record["sender"], record["message_id"]
        refs, sent_at = record["refs"].split(), record["sent_at"]
        if message_id and message_id in self.taken:
            self.journal.record_fetched(self.imap.folder, uidvalidity, uid, self.now, status=DUPLICATE,
                                        kind=NOTHING, detail="同一邮件已取过", **record)
            self.report.problems.append(f"{self._describe(head)}：与已取过的邮件相同（Message-ID 一致），未重复收取，"
                                        "留在邮箱原处")
            return
        size = int(data.get(b"RFC822.SIZE", 0) or 0)
        if size > MAX_MAIL_BYTES:
            self.report.problems.append(f"{self._describe(head)}：邮件过大（{size // 1024 // 1024} MB），未自动收取，"
                                        "请手工保存附件到 inbox")
            return
        raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
        message = _BYTES_PARSER.parsebytes(raw)
        sheets = _spreadsheets(message)
        answers = answered_cases(refs, subject, self.config.case_prefix, self.sent_ids, self.sent_subjects)
        who = self._who(sender)
        if sheets:
            names = []
            for name, _ in sheets:
                target = free_path(self.config.inbox / name)
                while target in names:
                    target = free_path(target.with_name(f"{target.stem}-{len(names) + 1}{target.suffix}"))
                names.append(target)
            row_id = self.journal.record_fetched(self.imap.folder, uidvalidity, uid, self.now, status=SAVING,
                                                 kind=FILES, files=[str(p) for p in names], **record)
            self._save(names, [data for _, data in sheets], sent_at)
            self.journal.set_fetched_status(row_id, SAVED)
            self.taken.add(message_id)
            self.report.files += names
            self.report.saved += [f"{p.name}（{who}，{sent_at:%Y-%m-%d %H:%M}）" for p in names]
            if answers:
                self.report.replies.append(f"{who} {sent_at:%Y-%m-%d %H:%M} 回复：{'、'.join(answers)}")
        elif answers:
            row_id = self.journal.record_fetched(self.imap.folder, uidvalidity, uid, self.now, status=SAVED,
                                                 kind=REPLY, **record)
            self.taken.add(message_id)
            self.report.replies.append(f"{who} {sent_at:%Y-%m-%d %H:%M} 回复：{'、'.join(answers)}（无附件表格）")
        elif _is_bounce(message):
            failed, original = _bounce(message)
            addresses = "、".join(a for a, _ in failed)
            with self.journal.transaction():
                for address, why in failed:
                    self.journal.record_bounce(address, sent_at, original, why)
                mails = self.journal.mail_bounced(original, f"退信：{addresses}") if original and failed else []
                row_id = self.journal.record_fetched(self.imap.folder, uidvalidity, uid, self.now, status=SAVED,
                                                     kind=BOUNCE, detail=addresses, **record)
            self.report.bounces += [f"{address}" + (f"：{why}" if why else "") + "；今后发往该地址的邮件改为需纸质送达，"
                                    "请在联络人表中更正邮箱" for address, why in failed]
            self.report.bounces += [f"{unit} {kind}（{cases}）未送达，需纸质送达" for unit, kind, cases in mails]
            if not failed:
                self.report.bounces.append(f"{self._describe(head)}：退信中没有写明失败的地址，请查看该邮件")
        else:
            self._ignore(uidvalidity, uid, head, record)
            return
        _move(client, uid, self.imap.done_folder)
        self.journal.set_fetched_status(row_id, MOVED)

    def _ignore(self, uidvalidity: int, uid: int, head: Message, record: dict) -> None:
        self.journal.record_fetched(self.imap.folder, uidvalidity, uid, self.now, status=IGNORED,
                                    kind=NOTHING, **record)
        self.report.ignored.append(f"{self._describe(head)}（{record['sent_at']:%Y-%m-%d %H:%M}）")

    def _who(self, sender: str) -> str:
        unit = unit_by_address(self.contacts, sender)
        return f"{sender}（{unit}）" if unit else sender or "（无发件人）"

    def _save(self, names: list[Path], contents: list[bytes], when: datetime) -> None:
        self.config.inbox.mkdir(parents=True, exist_ok=True)
        for path, data in zip(names, contents):
            if path.exists() or _digest(data) in self.inbox_digests:
                continue  # written by the run that died, or already taken through the inbox
            _write(path, data, when)

    def _finish(self, client, uidvalidity: int, uid: int, row: dict) -> None:
        """Complete what a killed run began with this mail: write what is missing, then move."""
        if row["status"] == SAVING and row["files"]:
            raw = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
            message = _BYTES_PARSER.parsebytes(raw)
            names = [Path(p) for p in row["files"].split("\n")]
            self._save(names, [data for _, data in _spreadsheets(message)], _sent_at(message, self.now))
            self.report.files += names
            self.report.saved += [f"{p.name}（上次运行中断，已补存）" for p in names]
        self.journal.set_fetched_status(row["id"], SAVED)
        _move(client, uid, self.imap.done_folder)
        self.journal.set_fetched_status(row["id"], MOVED)


def read_mailbox(config: Config, journal: Journal, now: datetime, contacts: dict) -> FetchReport:
    """fetch_mail's work, once `mail.imap` is set (see there)."""
    return _Fetch(config, journal, now, contacts).run()
