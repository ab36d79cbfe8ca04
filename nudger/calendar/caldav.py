"""Push the calendar's events to a CalDAV server ([caldav]): create, update, remove.

nudger touches only what it created: each event it pushes lives at
`<calendar URL>/<UID>.ics` (UIDs carry nudger's own domain, see nudger.calendar.ics.uid_domain),
and the `calendar_event` table records the href, the version pushed and the ETag the
server gave back. An update is a PUT with If-Match on that ETag: when the user edited the
event meanwhile the server answers 412, the conflict is logged, and the next pass
overwrites the copy with nudger's version (the database is the source of the events).
A removal (a follow-up done, an interview over or cleared) is a DELETE of that href.

Failures are classified once (`CaldavError.kind`: down, auth, forbidden, conflict, tls,
notfound, server, config), logged, recorded in `calendar_sync` for `nudger status`, and
retried at the next pass; they never stop the digest. The password travels as a
`Secret` and is redacted from every message.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from nudger.config import Settings
from nudger.errors import ConfigError
from nudger.secrets import Secret, table_password, table_source
from nudger.tls import ca_bundle
from nudger.when.times import as_utc

log = logging.getLogger("nudger.caldav")

CREDENTIAL_NAME = "caldav-password"


class CaldavError(Exception):
    """A failure talking to the CalDAV server, classified once."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    def __reduce__(self) -> tuple[type[CaldavError], tuple[str, str]]:
        # pickled whole: the push's network half runs in a child (bounded.run_limited)
        return CaldavError, (self.kind, str(self))


# --- the password ----------------------------------------------------------------------

def password_source(settings: Settings, env: Mapping[str, str]) -> str | None:
    if settings.caldav is None:
        return None
    return table_source(settings, env, settings.caldav, CREDENTIAL_NAME)


def caldav_password(settings: Settings, env: Mapping[str, str]) -> Secret:
    """caldav.password_file, the variable caldav.password_env names, or the systemd
    credential 'caldav-password'; ConfigError saying what to do otherwise."""
    assert settings.caldav is not None
    return table_password(settings, env, settings.caldav, "caldav", CREDENTIAL_NAME)


# --- classifying failures --------------------------------------------------------------

def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


# What a refusing status means to the user: (kind, message with {where}).
_BY_STATUS = {
    401: ("auth", "{where} refused the login (401 Unauthorized): check caldav.username and "
          "the password (an app password for Nextcloud, Fastmail and iCloud)"),
    403: ("forbidden", "{where} forbids this (403 Forbidden): the account may not write to "
          "that calendar; choose another with caldav.calendar"),
    412: ("conflict", "{where}: the event was changed on the server since nudger wrote it "
          "(412 Precondition Failed); the next pass writes nudger's version"),
    404: ("notfound", "{where} has no such resource (404): check caldav.url and "
          "caldav.calendar"),
}


def classify(exc: BaseException, where: str, secret: Secret | None) -> CaldavError:
    """One CaldavError in the user's words for whatever the client raised."""
    if isinstance(exc, CaldavError):
        return exc
    chain = _chain(exc)
    text = " ".join(f"{type(e).__name__}: {e}" for e in chain)
    if secret is not None:
        text = secret.redact(text)
    if any(isinstance(e, MemoryError) for e in chain):
        # The push runs in a child under bounded.MEMORY: an answer that does not fit is
        # a server flooding it (a gigabyte for a PROPFIND), never read whole.
        return CaldavError("server", f"{where}: the answer needed more than the memory "
                           f"nudger allows a calendar pass ({_cap_mb()} MB) and was not "
                           "read")
    status = _status(chain)
    if status in _BY_STATUS:
        kind, words = _BY_STATUS[status]
        return CaldavError(kind, words.format(where=where))
    if any(isinstance(e, ssl.SSLError) for e in chain) or "CERTIFICATE_VERIFY_FAILED" in \
            text or "SSLError" in text or "certificate" in text.lower():
        return CaldavError("tls", f"{where}: the server's TLS certificate is not trusted "
                           f"({_short(text)}); for a private CA set caldav.ca_file to its "
                           "certificate (PEM)")
    if status is not None:
        return CaldavError("server", f"{where} answered {status}: {_short(text)}")
    lowered = text.lower()
    if any(word in lowered for word in ("connection refused", "connectionerror",
                                        "timed out", "timeout", "name or service",
                                        "failed to resolve", "unreachable",
                                        "connection reset", "remote end closed",
                                        "max retries", "newconnectionerror")):
        return CaldavError("down", f"cannot reach {where} ({_short(text)}); nudger tries "
                           "again at the next pass")
    return CaldavError("server", f"{where}: {_short(text)}")


def _cap_mb() -> int:
    from nudger.digest import bounded

    return bounded.MEMORY // (1024 * 1024)


def _status(chain: list[BaseException]) -> int | None:
    import re

    for exc in chain:
        for attr in ("status", "status_code"):
            value = getattr(exc, attr, None)
            if isinstance(value, int) and 100 <= value < 600:
                return value
            if isinstance(value, str) and value.isdigit():
                return int(value)
        response = getattr(exc, "response", None)
        code = getattr(response, "status_code", None) or getattr(response, "status", None)
        if isinstance(code, int):
            return code
        match = re.search(r"\b(401|403|404|409|412|5\d\d)\b", str(exc))
        if match and type(exc).__module__.startswith("caldav"):
            return int(match.group(1))
    return None


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


# --- the connection --------------------------------------------------------------------

@dataclass
class Connection:
    client: Any
    calendar: Any
    url: str  # the calendar collection's URL, ending in /
    name: str
    secret: Secret
    where: str
    found: list[str] = field(default_factory=list)


def connect(settings: Settings, env: Mapping[str, str]) -> Connection:
    """Log in and find the calendar ([caldav] calendar: a name or a URL; default the
    first one the account has). CaldavError or ConfigError on failure."""
    dav = settings.caldav
    assert dav is not None
    secret = caldav_password(settings, env)
    where = f"the CalDAV server {dav.url}"
    # The HTTP client takes a CA bundle's path, not a context: the same trust as SMTP's and
    # IMAP's (the system's CAs plus caldav.ca_file), written out as one file.
    try:
        bundle = ca_bundle(settings, dav)
    except OSError as exc:
        raise CaldavError("tls", f"{where}: cannot write the CA bundle for checking its "
                          f"certificate to the temporary folder: {exc.strerror or exc}") from None
    try:
        from caldav.davclient import DAVClient

        client = DAVClient(url=dav.url, username=dav.username, password=secret.reveal(),
                           ssl_verify_cert=str(bundle), timeout=int(max(1, dav.timeout)),
                           enable_rfc6764=False, require_tls=False)
        found: list[str] = [f"logged in as {dav.username}"]
        if dav.calendar and dav.calendar.lower().startswith(("http://", "https://")):
            calendar = client.calendar(url=dav.calendar)
            name = str(calendar.get_display_name() or dav.calendar)
            found.append(f"calendar {name!r} at {dav.calendar}")
        else:
            principal = client.principal()
            calendars = list(principal.calendars())
            if not calendars:
                raise CaldavError("notfound", f"{where}: the account {dav.username!r} has "
                                  "no calendar; create one in its web interface")
            names = [(str(c.get_display_name() or ""), c) for c in calendars]
            if dav.calendar:
                match = [c for n, c in names if n == dav.calendar]
                if not match:
                    known = ", ".join(repr(n) for n, _c in names if n) or "none with a name"
                    raise CaldavError("notfound", f"{where}: no calendar named "
                                      f"{dav.calendar!r}; the account has {known}")
                calendar = match[0]
            else:
                # caldav.url may be a calendar's own URL: then that one, else the first.
                wanted = dav.url.rstrip("/")
                same = [c for c in calendars if str(c.url).rstrip("/") == wanted]
                calendar = same[0] if same else calendars[0]
            name = str(calendar.get_display_name() or calendar.url)
            found.append(f"found {len(calendars)} calendar(s); using {name!r} at "
                         f"{calendar.url}")
    except CaldavError:
        raise
    except ConfigError:
        raise
    except Exception as exc:
        raise classify(exc, where, secret) from None
    url = str(calendar.url)
    if not url.endswith("/"):
        url += "/"
    return Connection(client, calendar, url, name, secret, where, found)


def verify(settings: Settings, env: Mapping[str, str]) -> list[str]:
    """`nudger check --caldav`: what was verified, one line each; writes nothing."""
    conn = connect(settings, env)
    lines = list(conn.found)
    try:
        components = conn.calendar.get_supported_components()
    except Exception as exc:
        raise classify(exc, conn.where, conn.secret) from None
    if components and "VEVENT" not in components:
        raise CaldavError("config", f"{conn.where}: calendar {conn.name!r} does not take "
                          f"events (it holds {', '.join(components)}); choose another with "
                          "caldav.calendar")
    lines.append("the calendar takes events (VEVENT)")
    source = password_source(settings, env)
    if source:
        lines.append(f"password from {source}")
    return lines


def _put(conn: Connection, href: str, data: bytes, etag: str | None) -> str | None:
    headers = {"Content-Type": "text/calendar; charset=utf-8"}
    if etag:
        headers["If-Match"] = etag
    response = conn.client.put(href, data.decode("utf-8"), headers)
    _check(response, conn, href)
    return _etag(response)


def _delete(conn: Connection, href: str, etag: str | None) -> None:
    headers = {"If-Match": etag} if etag else {}
    response = conn.client.delete(href, headers)
    if response.status == 404:
        return  # gone already: the user deleted it
    _check(response, conn, href)


def _check(response: Any, conn: Connection, href: str) -> None:
    status = int(response.status)
    if 200 <= status < 300:
        return
    error = _HTTPStatus(status, str(getattr(response, "reason", "")))
    raise classify(error, f"{conn.where} ({href})", conn.secret)


def _etag(response: Any) -> str | None:
    headers = getattr(response, "headers", None) or {}
    value = headers.get("ETag") or headers.get("etag")
    return str(value) if value else None


class _HTTPStatus(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}".strip())
        self.status = status


# --- the push --------------------------------------------------------------------------

@dataclass
class PushResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    errors: list[CaldavError] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.created} created, {self.updated} updated, {self.removed} removed, "
                f"{self.unchanged} unchanged")


def push(settings: Settings, db: Any, snapshot: Any, env: Mapping[str, str],
         now: datetime) -> PushResult:
    """Bring the server's copies in line with `snapshot` (nudger.calendar.sync.Snapshot):
    create and update what is current, delete what ended or left. The database is
    written after the network work, in one short transaction; raises CaldavError when
    the server cannot be used at all (down, login refused, TLS)."""
    from sqlmodel import select

    from nudger.digest import bounded
    from nudger.store.models import CalendarEvent

    assert settings.caldav is not None
    with db.read_session() as session:
        rows = {r.uid: (r.caldav_href, r.caldav_sequence, r.caldav_etag, r.gone_at,
                        as_utc(r.ends_at), r.kind)
                for r in session.exec(select(CalendarEvent)).all()}

    def work() -> tuple[Any, ...]:
        try:
            return ("ok", *_exchange(settings, env, rows, snapshot, now))
        except CaldavError as exc:
            return ("caldav", exc.kind, str(exc))
        except ConfigError as exc:
            return ("config", str(exc))

    # The network half in a child with an overall deadline and a memory cap: a server
    # that trickles a byte every 2 s, or answers a PROPFIND with a gigabyte, costs at
    # most caldav.deadline seconds and bounded.MEMORY; a stop kills it at once.
    where = f"the CalDAV server {settings.caldav.url}"
    try:
        answer = bounded.run_limited(work, where, seconds=float(settings.caldav.deadline))
    except bounded.Overrun as exc:
        raise CaldavError("down", f"{exc} (caldav.deadline); retried at the next pass") \
            from None
    if answer[0] == "caldav":
        raise CaldavError(answer[1], answer[2])
    if answer[0] == "config":
        raise ConfigError(answer[1])
    _ok, result, updates, forget = answer
    _save(db, updates, forget)
    return result


def _exchange(settings: Settings, env: Mapping[str, str], rows: dict[str, Any],
              snapshot: Any, now: datetime
              ) -> tuple[PushResult, dict[str, tuple[str | None, int | None, str | None]],
                         list[str]]:
    """The push's network work: (what happened, the rows to update, the rows to forget).
    Reads and writes no database (it runs in a child)."""
    from nudger.calendar import ics

    conn = connect(settings, env)
    result = PushResult()
    updates: dict[str, tuple[str | None, int | None, str | None]] = {}
    forget: list[str] = []
    moment = as_utc(now)
    # What the snapshot holds is current: refresh leaves out interviews that ended, and a
    # follow-up's all-day event lasts the user's whole local day.
    current = {spec.uid for spec, _v in snapshot.events}
    for spec, version in snapshot.events:
        if spec.uid not in current or spec.uid not in rows:
            continue
        href, sequence, etag, _gone, _ends, _kind = rows[spec.uid]
        if href and sequence == version.sequence and href.startswith(conn.url):
            result.unchanged += 1
            continue
        target = href if href and href.startswith(conn.url) else \
            conn.url + quote(spec.uid, safe="@.-_") + ".ics"
        data = ics.build_calendar([(spec, version)], snapshot.zone, snapshot.domain, now)
        try:
            new_etag = _put(conn, target, data, etag if target == href else None)
        except CaldavError as exc:
            result.errors.append(exc)
            if exc.kind == "conflict":
                updates[spec.uid] = (href, None, None)  # next pass overwrites
                continue
            if exc.kind in ("down", "auth", "tls", "forbidden"):
                break
            continue
        except Exception as exc:
            error = classify(exc, conn.where, conn.secret)
            result.errors.append(error)
            if error.kind in ("down", "auth", "tls"):
                break
            continue
        updates[spec.uid] = (target, version.sequence, new_etag)
        if href:
            result.updated += 1
        else:
            result.created += 1
    else:
        for uid, (href, _seq, etag, gone, ends, _kind) in rows.items():
            if not href or uid in current:
                continue
            if gone is None and ends > moment:
                continue  # still current, just not in this snapshot (e.g. interviews only)
            try:
                _delete(conn, href, etag)
            except CaldavError as exc:
                result.errors.append(exc)
                if exc.kind == "conflict":
                    updates[uid] = (href, None, None)
                    continue
                if exc.kind in ("down", "auth", "tls", "forbidden"):
                    break
                continue
            except Exception as exc:
                result.errors.append(classify(exc, conn.where, conn.secret))
                break
            forget.append(uid)
            result.removed += 1
    return result, updates, forget


def _save(db: Any, updates: Mapping[str, tuple[str | None, int | None, str | None]],
          forget: list[str]) -> None:
    from nudger.store.models import CalendarEvent

    if not updates and not forget:
        return
    with db.session() as session:
        for uid, (href, sequence, etag) in updates.items():
            row = session.get(CalendarEvent, uid)
            if row is not None:
                row.caldav_href, row.caldav_sequence, row.caldav_etag = href, sequence, etag
                session.add(row)
        for uid in forget:
            row = session.get(CalendarEvent, uid)
            if row is None:
                continue
            if row.kind == "followup" and row.gone_at is not None:
                session.delete(row)
            else:
                row.caldav_href = row.caldav_sequence = row.caldav_etag = None
                session.add(row)
