"""Mailbox passwords: from the environment variable named in config, else the system keyring.

Never read from config, never logged. One lookup for the SMTP login (sending) and the IMAP
login (mail intake)."""

from __future__ import annotations

import os

from tipdesk.domain.errors import TipdeskError

# yagmail.register(user, password) stores the password under this keyring service name.
KEYRING_SERVICE = "yagmail"


def login_password(user: str, env_name: str) -> str:
    """The password of `user`: `$env_name`, else the keyring entry yagmail.register wrote."""
    password = os.environ.get(env_name, "")
    if password:
        return password
    try:
        import keyring  # optional: only offices that keep the password in the keyring install it

        password = keyring.get_password(KEYRING_SERVICE, user) or ""
    except Exception:  # no keyring package or no usable backend: fall through to the message
        password = ""
    if password:
        return password
    raise TipdeskError(
        f"未找到邮箱 {user} 的密码：请设置环境变量 {env_name}，或安装 keyring 后运行 "
        f"python -c \"import yagmail; yagmail.register('{user}', '密码')\" 保存到系统密钥环。")
