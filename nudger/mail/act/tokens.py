"""Command tokens: an HMAC-SHA256 over exactly what a button (or a digest) authorises.

A token is `nk1-` and 24 URL-safe base64 characters: two bytes of issue day (days since
2020-01-01) and the first 16 bytes (128 bits) of HMAC-SHA256(key, grant, issue day). The
grant is what the token allows:

- a button: one command, its verb, its target (`12` or `S7`) and its arguments
  (`snooze 12 3 days` → verb `snooze`, target `12`, args `3 days`); editing any of these
  (`done 12` into `stage 9 rejected`, or into `done 9`) makes the MAC fail;
- a digest: any safe verb, for a reply to that digest (`Grant.digest()`).

A button under a nudge (Done, Skip, Snooze) is also *pinned* to the step it was shown
for: `nk2-` and 32 characters carry, besides the issue day, the stage, the step number and
that step's due day, all inside the MAC. The command runs only while that very step is
the one next (`commands.py`); after it was done any other way the button answers "already
done". Every button is good for one use (`mailcommand_button`).

The day is inside the MAC, so it cannot be moved forward; a token older than
`MAX_AGE_DAYS` is refused. The key is 32 random bytes in `command.key` beside the database
(mode 0600), generated at `nudger init` or on first need, never in config.toml, a log, an
error or the database. Comparison is `hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from nudger.errors import NudgerError

log = logging.getLogger(__name__)

KEY_NAME = "command.key"
KEY_BYTES = 32
MAX_AGE_DAYS = 14
PREFIX = "nk1-"
_EPOCH = date(2020, 1, 1)
_MAC_BYTES = 16
_DOMAIN = b"nudger-command-token-v1"
PINNED_PREFIX = "nk2-"
_PINNED_DOMAIN = b"nudger-command-token-v2-pinned"
# A token anywhere in a text (quoted digest, a mailto body, an HTML part).
TOKEN_PATTERN = re.compile(
    r"nk(?:1-([A-Za-z0-9_-]{24})|2-([A-Za-z0-9_-]{32}))(?![A-Za-z0-9_-])")
MARKERS = (PREFIX, PINNED_PREFIX)  # what tells a token is there, for a quick `in` test
MAX_TOKENS = 200  # a message quoting a digest carries a few dozen; more is not a reply


@dataclass(frozen=True, slots=True)
class Grant:
    """What a token authorises. `verb` "*" with target "digest": any safe verb."""

    verb: str
    target: str
    args: tuple[str, ...] = ()

    @classmethod
    def digest(cls) -> Grant:
        return cls("*", "digest")

    @classmethod
    def command(cls, verb: str, target: str, args: Sequence[str] = ()) -> Grant:
        return cls(verb.lower(), _norm(target), tuple(_norm(a) for a in args if _norm(a)))

    def canonical(self) -> bytes:
        parts = [self.verb, self.target, *self.args]
        if any("\x00" in p for p in parts):
            raise ValueError("a grant part contains NUL")
        return "\x00".join(parts).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Pin:
    """The step a nudge button was shown for: the application's stage then, the step's
    number (1-based) and its due day."""

    stage: str
    step: int
    due: date

    def encode(self) -> bytes:
        from nudger.vocab import STAGES

        if self.stage not in STAGES:
            raise ValueError(f"cannot pin a step of stage {self.stage!r}")
        # A step number or due day out of range is saturated: it then never matches a
        # real step, so the button refuses rather than doing another step.
        step = min(max(self.step, 1), (1 << 16) - 1)
        due = min(max((self.due - _EPOCH).days, 0), (1 << 16) - 1)
        return (bytes([STAGES.index(self.stage)]) + step.to_bytes(2, "big")
                + due.to_bytes(2, "big") + b"\x00")

    @classmethod
    def decode(cls, raw: bytes) -> Pin | None:
        from nudger.vocab import STAGES

        if raw[0] >= len(STAGES) or raw[5] != 0:
            return None
        step = int.from_bytes(raw[1:3], "big")
        if step == 0:
            return None
        return cls(STAGES[raw[0]], step, _EPOCH + timedelta(days=int.from_bytes(raw[3:5], "big")))

    def describe(self) -> str:
        return f"step {self.step} of {self.stage} (due {self.due:%a} {self.due.isoformat()})"


def _norm(value: str) -> str:
    return " ".join(value.lower().split()).lstrip("#")


class CommandKeyError(NudgerError):
    """The key file cannot be read or written (names the path, never the key)."""


def key_path(data_dir: Path) -> Path:
    return data_dir / KEY_NAME


def load_or_create_key(data_dir: Path) -> bytes:
    """The command key beside the database; created (0600, atomically) when missing. A key
    file readable by group or others is tightened to 0600 with a warning."""
    path = key_path(data_dir)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = data_dir / f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, secrets.token_hex(KEY_BYTES).encode("ascii") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # fails when another process won the race: use theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise CommandKeyError(
            f"cannot create the command key {path}: {exc.strerror}; check that "
            "the database folder is writable") from None
    log.info("created the command key %s (mode 0600)", path)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        mode = os.fstat(fd).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.fchmod(fd, 0o600)
            log.warning("the command key %s was readable by others; set its mode to 0600",
                        path)
        raw = os.read(fd, 1024).strip()
    finally:
        os.close(fd)
    try:
        key = binascii.unhexlify(raw)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < KEY_BYTES:
        raise CommandKeyError(
            f"the command key {path} is damaged; delete it and run `nudger init` "
            "(buttons in older digests then stop working)")
    return key


def _day_number(day: date) -> int:
    number = (day - _EPOCH).days
    if not 0 <= number < 1 << 16:
        raise ValueError(f"{day} is outside the token's date range")
    return number


def _mac(key: bytes, grant: Grant, day_number: int, pin: bytes | None = None) -> bytes:
    if pin is None:
        message = (_DOMAIN + b"\x00" + day_number.to_bytes(2, "big") + b"\x00"
                   + grant.canonical())
    else:
        message = (_PINNED_DOMAIN + b"\x00" + day_number.to_bytes(2, "big") + b"\x00" + pin
                   + b"\x00" + grant.canonical())
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def issue(key: bytes, grant: Grant, issued: date, pin: Pin | None = None) -> str:
    """The token for `grant`, issued on the user's local date `issued`; with `pin`, good
    only for that step (`nk2-`)."""
    number = _day_number(issued)
    if pin is None:
        raw = number.to_bytes(2, "big") + _mac(key, grant, number)
        return PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")
    pinned = pin.encode()
    raw = number.to_bytes(2, "big") + pinned + _mac(key, grant, number, pinned)
    return PINNED_PREFIX + base64.urlsafe_b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class Token:
    issued: date
    mac: bytes
    pin_raw: bytes | None = None  # the pinned step, as signed (nk2- tokens only)

    @property
    def pin(self) -> Pin | None:
        return Pin.decode(self.pin_raw) if self.pin_raw is not None else None

    @property
    def use_key(self) -> str:
        """What identifies this one button for its one use (never the token itself: the
        MAC cannot be turned back into a working token without the issue day and pin,
        and it is hashed once more)."""
        return hashlib.sha256(self.mac).hexdigest()[:32]


def find_tokens(text: str) -> list[Token]:
    """Every well-formed token in `text`, at most MAX_TOKENS, duplicates dropped."""
    found: list[Token] = []
    seen: set[str] = set()
    for match in TOKEN_PATTERN.finditer(text):
        body = match.group(1) or match.group(2)
        if body in seen:
            continue
        seen.add(body)
        raw = base64.urlsafe_b64decode(body)
        issued = _EPOCH + timedelta(days=int.from_bytes(raw[:2], "big"))
        if match.group(1):
            found.append(Token(issued, raw[2:]))
        else:
            found.append(Token(issued, raw[8:], raw[2:8]))
        if len(found) >= MAX_TOKENS:
            break
    return found


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    reason: str  # "" when ok; else why, for the log (never the token)
    grant: Grant | None = None
    token: Token | None = None  # the token that authorised it


def check(key: bytes, tokens: Iterable[Token], grants: Sequence[Grant],
          today: date) -> Verdict:
    """Does any token authorise any of `grants` (best first) as of `today`? Every MAC is
    compared in constant time; an expired token is reported as such only when its MAC is
    right (a forged old token is just invalid)."""
    expired = False
    any_token = False
    for token in tokens:
        any_token = True
        number = (token.issued - _EPOCH).days
        for grant in grants:
            if hmac.compare_digest(token.mac, _mac(key, grant, number, token.pin_raw)):
                age = (today - token.issued).days
                if age > MAX_AGE_DAYS:
                    expired = True
                elif age < -1:  # a day of clock skew between digest and reader at most
                    continue
                else:
                    return Verdict(True, "", grant, token)
    if expired:
        return Verdict(False, f"the token expired (tokens last {MAX_AGE_DAYS} days)")
    if not any_token:
        return Verdict(False, "no token")
    return Verdict(False, "no token authorises this command")
