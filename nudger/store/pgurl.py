"""The `database` key's PostgreSQL form: `postgresql://USER@HOST:PORT/DBNAME?sslmode=...`.

Light on purpose (config.py validates with it): no SQLAlchemy, no psycopg. The password never
sits in config.toml: a URL that carries one is refused without echoing it; libpq's own
PGPASSWORD / ~/.pgpass, or `database_password_file`, supply it (README, "Many seekers on
PostgreSQL").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

SCHEMES = ("postgresql", "postgres")
# The URL parameters passed on to libpq: TLS and a few harmless ones. Anything else (a
# password, host lists, service files) is refused with this list.
PARAMS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "connect_timeout",
          "application_name", "target_session_attrs")
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
PASSWORD_FIX = ("a password does not belong in config.toml: remove it from the URL and "
                "give it through PGPASSWORD, ~/.pgpass, or database_password_file (a file "
                "with mode 0600)")


def is_url(value: str) -> bool:
    """True when `database` is a URL (any scheme), not an SQLite path."""
    head, sep, _ = value.partition("://")
    return bool(sep) and head.replace("+", "").replace("-", "").isalnum() and "/" not in head


def is_postgres(value: str | None) -> bool:
    return bool(value) and is_url(value or "") and \
        (value or "").split("://", 1)[0].split("+", 1)[0].lower() in SCHEMES


def redact(value: str) -> str:
    """`value` with the password of a URL (if any) replaced by ***: what error messages show."""
    if not is_url(value):
        return value
    scheme, rest = value.split("://", 1)
    netloc, slash, tail = rest.partition("/")
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        netloc = f"{userinfo}@{host}"
    # and a `password=` parameter in the query
    tail = re.sub(r"(?i)((?:^|[?&;])password=)[^&#]*", r"\1***", tail)
    return f"{scheme}://{netloc}{slash}{tail}"


@dataclass(frozen=True)
class PgTarget:
    """A parsed PostgreSQL URL: where to connect, as whom, with which libpq parameters."""

    user: str | None
    host: str | None
    port: int | None
    dbname: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def display(self) -> str:
        """The URL as messages show it (it never holds a password)."""
        who = f"{self.user}@" if self.user else ""
        where = self.host or ""
        if self.port is not None:
            where += f":{self.port}"
        query = "&".join(f"{k}={v}" for k, v in self.params)
        return f"postgresql://{who}{where}/{self.dbname}" + (f"?{query}" if query else "")


def parse(value: str) -> PgTarget:
    """The PostgreSQL URL `value`, or ValueError saying what is wrong (never echoing a
    password)."""
    scheme = value.split("://", 1)[0]
    if scheme.split("+", 1)[0].lower() not in SCHEMES or scheme.lower() not in (
            "postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError(f"a database URL must start with postgresql:// (not {scheme}://); "
                         "for SQLite give a file path instead")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"not a valid PostgreSQL URL ({exc}); write it like "
                         "postgresql://nudger@db.example:5432/nudger") from None
    if parts.password is not None:
        raise ValueError(f"the URL holds a password; {PASSWORD_FIX}")
    if parts.fragment:
        raise ValueError("a PostgreSQL URL has no #fragment")
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or "/" in dbname:
        raise ValueError("the URL names no database: write it like "
                         "postgresql://nudger@db.example:5432/nudger")
    params: list[tuple[str, str]] = []
    for key, val in parse_qsl(parts.query, keep_blank_values=True):
        if key == "password":
            raise ValueError(f"the URL holds a password parameter; {PASSWORD_FIX}")
        if key not in PARAMS:
            raise ValueError(f"unknown URL parameter {key!r}; valid: {', '.join(PARAMS)}")
        if key == "sslmode" and val not in SSLMODES:
            raise ValueError(f"sslmode={val!r} is not one of {', '.join(SSLMODES)}")
        params.append((key, val))
    return PgTarget(user=unquote(parts.username) if parts.username else None,
                    host=unquote(parts.hostname) if parts.hostname else None,
                    port=port, dbname=dbname, params=tuple(params))
