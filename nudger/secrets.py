"""The SMTP, IMAP and CalDAV passwords: from a file, an environment variable, or a systemd
credential; `table_password` and `table_source` serve all three tables.

Never from config.toml (config.py refuses a `password` key). The value travels wrapped in
`Secret`, whose str() and repr() never show it, so a stray log line or f-string cannot leak
it; `reveal()` is called in exactly one place, when handing it to the SMTP client.
The environment is a parameter: only the CLI and the daemon read `os.environ`.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping
from pathlib import Path

from nudger.config import Settings
from nudger.errors import ConfigError
from nudger.servers import ServerTable

CREDENTIAL_NAME = "smtp-password"
IMAP_CREDENTIAL_NAME = "imap-password"


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the secret replaced by ***. A short secret
        (under 8 characters) only where it stands alone, not inside a longer word or
        name: a password "mail" must not turn imap.mail.example into imap.***.example.
        (In the rare case a short secret is the whole of such a word, it is replaced.)"""
        if not self._value:
            return text
        if len(self._value) >= 8:
            return text.replace(self._value, "***")
        import re

        edge = r"[A-Za-z0-9]"
        pattern = rf"(?<!{edge}|\.){re.escape(self._value)}(?!{edge}|\.{edge})"
        return re.sub(pattern, "***", text)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


def password_source(settings: Settings, env: Mapping[str, str]) -> str | None:
    """Where the password would come from, in words (for `check`), without reading it."""
    if settings.smtp is None:
        return None
    return table_source(settings, env, settings.smtp, CREDENTIAL_NAME)


def table_source(settings: Settings, env: Mapping[str, str], table: ServerTable,
                 credential: str) -> str | None:
    if table.password_file:
        return f"file {settings.resolve(table.password_file)}"
    if table.password_env:
        return f"environment variable {table.password_env}"
    if env.get("CREDENTIALS_DIRECTORY"):
        return f"systemd credential {Path(env['CREDENTIALS_DIRECTORY']) / credential}"
    return None


def smtp_password(settings: Settings, env: Mapping[str, str]) -> Secret | None:
    """The password for smtp.username, or None when no username is configured.

    Order: smtp.password_file, the variable named by smtp.password_env, then
    $CREDENTIALS_DIRECTORY/smtp-password (systemd's LoadCredential=). Raises ConfigError
    with what to do when a username is set and no password can be found.
    """
    smtp = settings.smtp
    if smtp is None or not smtp.username:
        return None
    return table_password(settings, env, smtp, "smtp", CREDENTIAL_NAME)


def table_password(settings: Settings, env: Mapping[str, str], table: ServerTable,
                   name: str, credential: str) -> Secret:
    """The password of the [smtp], [imap] or [caldav] `table`: its password_file, the variable its
    password_env names, then $CREDENTIALS_DIRECTORY/`credential`."""
    if table.password_file:
        return read_secret_file(settings.resolve(table.password_file), check_mode=True,
                          key=f"{name}.password_file")
    if table.password_env:
        value = env.get(table.password_env)
        if not value:
            raise ConfigError(
                f"{name}.password_env names {table.password_env}, but that environment "
                f"variable is not set or empty: export {table.password_env}=... in the "
                f"environment nudger runs in (or use {name}.password_file)"
            )
        return Secret(value)
    creds = env.get("CREDENTIALS_DIRECTORY")
    if creds:
        path = Path(creds) / credential
        if path.exists():
            # systemd made this file, private to the service: no mode check.
            return read_secret_file(path, check_mode=False, key="the systemd credential")
    raise ConfigError(
        f"{name}.username is {table.username!r} but no password is configured: set "
        f"{name}.password_env (an environment variable) or {name}.password_file (a file "
        f"with mode 0600), or pass the systemd credential '{credential}' "
        f"(LoadCredential={credential}:/etc/nudger/{credential}); never put it in "
        "config.toml"
    )


def read_secret_file(path: Path, *, check_mode: bool, key: str) -> Secret:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{key}: {path} does not exist; create it with the password "
                          f"as its only line and run `chmod 600 {path}`") from None
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None
    if check_mode and info.st_mode & (stat.S_IRGRP | stat.S_IROTH):
        raise ConfigError(
            f"{key}: {path} is readable by group or others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}); a password file must be private: "
            f"run `chmod 600 {path}`"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{key}: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None
    # `echo secret > file` leaves a newline that is not part of the password.
    value = text.rstrip("\r\n")
    if not value:
        raise ConfigError(f"{key}: {path} is empty; write the password into it")
    if "\n" in value or "\r" in value:
        raise ConfigError(f"{key}: {path} has more than one line; keep only the password")
    return Secret(value)


# --- the IMAP password ([imap], docs/mailbox.md): the same three places, its own credential ------

def imap_password_source(settings: Settings, env: Mapping[str, str]) -> str | None:
    """Where the IMAP password would come from, in words, without reading it."""
    if settings.imap is None:
        return None
    return table_source(settings, env, settings.imap, IMAP_CREDENTIAL_NAME)


def imap_password(settings: Settings, env: Mapping[str, str]) -> Secret:
    """The password for imap.username: imap.password_file, the variable named by
    imap.password_env, then $CREDENTIALS_DIRECTORY/imap-password. ConfigError with what to
    do when none is found (IMAP always logs in)."""
    if settings.imap is None:
        raise ConfigError("no [imap] table in the config")
    return table_password(settings, env, settings.imap, "imap", IMAP_CREDENTIAL_NAME)
