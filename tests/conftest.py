"""Shared fixtures: real workspaces in tmp_path, real .xlsx registers, the real CLI entry,
and real SMTP servers on localhost (aiosmtpd)."""

from __future__ import annotations

import email
import itertools
import os
import shutil
import signal
import socket
import subprocess
import warnings
from email import policy
from datetime import datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from openpyxl import load_workbook

from tipdesk.cli import main
from tipdesk.domain.columns import REGISTER_SHEET
from tipdesk.config import load_config
from tipdesk.store.register import read_register
from tipdesk.commands.init import init_workspace


class Workspace:
    """A workspace made by `init`, with helpers that act as the clerk does in Excel."""

    def __init__(self, root: Path):
        self.root = root
        init_workspace(root)
        self.config_path = root / "config.yaml"

    @property
    def config(self):
        return load_config(self.config_path)

    @property
    def register(self) -> Path:
        return self.config.register

    def add(self, **values) -> int:
        """Type a row at the bottom of the register (keys are the Chinese headers); returns its row."""
        return self.add_rows([values])[0]

    def add_rows(self, rows: list[dict]) -> list[int]:
        """Type (or paste) rows at the bottom of the register, one save; returns their rows."""
        wb = load_workbook(self.register)
        ws = wb[REGISTER_SHEET]
        headers = [c.value for c in ws[1]]
        numbers = []
        for values in rows:
            row = ws.max_row + 1
            for name, value in values.items():
                cell = ws.cell(row=row, column=headers.index(name) + 1, value=value)
                if isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
            numbers.append(row)
        wb.save(self.register)
        return numbers

    def edit(self, row: int, **values) -> None:
        wb = load_workbook(self.register)
        ws = wb[REGISTER_SHEET]
        headers = [c.value for c in ws[1]]
        for name, value in values.items():
            cell = ws.cell(row=row, column=headers.index(name) + 1, value=value)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
        wb.save(self.register)

    def rows(self) -> list[dict]:
        return [r.values for r in read_register(self.register).rows]

    def row(self, number: int) -> dict:
        return next(r.values for r in read_register(self.register).rows if r.number == number)

    def run(self, *args: str, now: str = "2026-11-30 08:30") -> int:
        argv = list(args) + ["--config", str(self.config_path)]
        if now:
            argv += ["--now", now]
        return main(argv)

    def set_config(self, text_old: str, text_new: str) -> None:
        text = self.config_path.read_text(encoding="utf-8")
        assert text_old in text
        self.config_path.write_text(text.replace(text_old, text_new), encoding="utf-8")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "ws")


_serial = itertools.count(1)


def complaint(**overrides) -> dict:
    """A typical hotline complaint as the clerk types it (each about a different company)."""
    n = next(_serial)
    values = {"受理时间": datetime(2026, 11, 30, 8, 0), "来源": "12350热线", "举报人": "王建国",
              "联系方式": "13812345678", "被举报单位": f"宏达建设第{n}工程有限公司",
              "事发地址": f"东城街道人民路{n}号", "举报内容": "工地脚手架没有连墙件，工人高空作业不系安全带。"}
    values.update(overrides)
    return values


# ---- a real SMTP server ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every message; refuses the addresses in `refuse` with 550;
    kills the process `kill_pid` on DATA (a client that dies after the server took the mail)."""

    def __init__(self):
        self.messages, self.refuse, self.logins, self.kill_pid = [], set(), [], None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        if self.kill_pid:
            os.kill(self.kill_pid, signal.SIGKILL)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=auth_data.password == b"s3cret-pass")
        return AuthResult(success=False)

    def parsed(self):
        return [email.message_from_bytes(raw, policy=policy.default) for _, _, raw in self.messages]


@pytest.fixture
def smtp_server():
    """Start servers on demand; all are stopped at the end."""
    started = []

    def start(port=None, **options):
        recorder = options.pop("recorder", None) or Recorder()
        if "authenticator" in options:
            options["authenticator"] = recorder.authenticate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # aiosmtpd warns about AUTH over implicit TLS
            controller = Controller(recorder, hostname="127.0.0.1", port=port or free_port(), **options)
            controller.start()
        started.append(controller)
        return controller, recorder

    yield start
    for controller in started:
        try:
            controller.stop()
        except AssertionError:  # already stopped by the test
            pass


# ---- a real IMAP server (Dovecot) ----------------------------------------------------------

IMAP_USER, IMAP_PASSWORD = "zhihui@example.gov.cn", "imap-s3cret"


class Dovecot:
    """A Dovecot of its own in tmp_path on a high port of 127.0.0.1: one user (the centre's
    mailbox), maildir owned by nobody; `deliver` APPENDs a mail as a unit's client sent it."""

    def __init__(self, root: Path, passdb: str = ""):
        """`passdb`: the passdb section's body in place of the password file's."""
        import shutil
        import subprocess
        import time

        self.root, self.port = root, free_port()
        for name in ("run", "state", "home"):
            (root / name).mkdir(parents=True, exist_ok=True)
        (root / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n", encoding="utf-8")
        for path in (root, root / "home", root / "passwd", *root.parents):
            if path == Path("/"):
                break
            os.chmod(path, os.stat(path).st_mode | 0o005 if path.is_dir() else 0o644)
        shutil.chown(root / "home", "nobody", "nogroup")
        (root / "dovecot.conf").write_text(f"""
listen = 127.0.0.1
protocols = imap
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A test server answers a failed login at once (the default waits 2 s, against guessing).
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  {passdb or f"driver = passwd-file{chr(10)}  args = scheme=PLAIN username_format=%u {root}/passwd"}
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""", encoding="utf-8")
        self.process = subprocess.Popen(["dovecot", "-F", "-c", str(root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Ready once a login succeeds: the listener opens before the auth process answers, and
        # on a loaded machine the first logins get "Temporary authentication failure".
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self.client().logout()
                return
            except Exception:
                if self.process.poll() is not None:
                    raise RuntimeError(f"dovecot failed: {self.process.stderr.read().decode()}")
                time.sleep(0.2)
        raise RuntimeError("dovecot did not start")

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=30)
        client.login(IMAP_USER, IMAP_PASSWORD)
        return client

    def deliver(self, message, folder: str = "INBOX", when: datetime | None = None) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes()
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw, msg_time=when)

    def subjects(self, folder: str = "INBOX") -> list[str]:
        """Subjects of the mails in `folder`, decoded, in order."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return []
            data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
            out = []
            for uid in sorted(data):
                head = email.message_from_bytes(data[uid][b"BODY[HEADER.FIELDS (SUBJECT)]"], policy=policy.default)
                out.append(str(head["Subject"] or ""))
            return out

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except Exception:
            self.process.kill()


@pytest.fixture
def dovecot(tmp_path: Path):
    import shutil

    if shutil.which("dovecot") is None:
        pytest.skip("dovecot 未安装（apt-get install dovecot-imapd）：跳过真实 IMAP 服务器的测试")
    server = Dovecot(tmp_path / "dovecot")
    yield server
    server.stop()


def imap_to(ws, server: "Dovecot", monkeypatch) -> None:
    """Point the workspace's mail intake at the test server, password in the environment."""
    ws.set_config("host: ''", "host: 127.0.0.1")
    ws.set_config("port: 993", f"port: {server.port}")
    ws.set_config('security: "ssl"', "security: none")
    ws.set_config("user: ''", f"user: {IMAP_USER}")
    ws.set_config("timeout: 60", "timeout: 10")
    monkeypatch.setenv("TIPDESK_IMAP_PASSWORD", IMAP_PASSWORD)


def saved_by_libreoffice(path, tmp_path) -> None:
    """Open `path` in LibreOffice and save it as .xlsx again, as a clerk's LibreOffice does."""
    out = tmp_path / "saved"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=180)
    shutil.copy(out / path.name, path)
