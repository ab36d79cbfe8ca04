"""The header FETCH of a pass, read fast: a first sync reads tens of thousands of headers
(bench/b_mail.py). With the adapter's internals (nudger.mail.imap.adapter) each batch's
FETCH is sent one batch ahead (`HeaderFetch.send`; the session reads that answer before any
other command) and its usual answer is taken apart by `parse_header_fetch` instead of
imapclient's byte-by-byte lexer, which still reads any answer of another shape. Without
them each batch is one public `client.fetch`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from nudger.mail.imap import adapter
from nudger.mail.imap.headers import FIELDS, MailHeader, parse_header, unreadable_header
from nudger.when.times import supported

HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(FIELDS) + ")]"
ITEMS = (HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE")
BATCH = 500  # UIDs per header FETCH


@dataclass
class Ahead:
    """A header FETCH sent before its batch is wanted (HeaderFetch.send)."""

    uids: list[int]
    tag: Any = None
    answer: dict[int, dict[bytes, Any]] | None = None
    error: BaseException | None = None


class HeaderFetch:
    """The header FETCHes of one session. `pending` is a FETCH sent ahead and not yet
    read: the session settles it before sending anything else."""

    def __init__(self, client: Any, private: bool) -> None:
        self.client = client
        self.private = private
        self.pending: Ahead | None = None

    def batches(self, uids: Sequence[int], folder: str, call: Callable[..., Any]
                ) -> Iterator[list[MailHeader]]:
        """Parsed headers of `uids`, in batches (ascending UID). Never a body. Every
        command goes through `call` (the session's, which classifies failures)."""
        ordered = sorted(uids)
        chunks = [ordered[start:start + BATCH] for start in range(0, len(ordered), BATCH)]
        for at, chunk in enumerate(chunks):
            ahead, self.pending = self.pending, None
            if ahead is not None and ahead.uids == chunk:
                data = call(self.answer, ahead)
            else:
                data = call(self.fetch, chunk)
            if at + 1 < len(chunks):
                # The next batch is asked for now: the server reads it while this one is
                # parsed and handled (IMAP pipelining). Any other command settles it first.
                self.pending = self.send(chunks[at + 1])
            yield headers_of(data, chunk, folder)

    def fetch(self, uids: Sequence[int]) -> dict[int, dict[bytes, Any]]:
        """`client.fetch(uids, ITEMS)`, the same command and the same answer, read faster:
        imapclient's response parser walks every byte of the echoed HEADER.FIELDS list in
        Python, which costs a first sync of 20,000 messages seconds. Answers of exactly the
        shape `parse_header_fetch` knows are taken apart by it; anything else (another
        item order, a quoted string instead of a literal, an unsolicited FETCH) goes to
        imapclient's own parser."""
        client = self.client
        if not uids or not self.private or not client.use_uid or client.normalise_times:
            return dict(client.fetch(uids, list(ITEMS)))
        return self.read(adapter.send_fetch(client, uids, ITEMS), uids)

    def read(self, tag: Any, uids: Sequence[int]) -> dict[int, dict[bytes, Any]]:
        """The answer to the header FETCH sent as `tag`, as client.fetch returns it."""
        from imapclient.response_parser import parse_fetch_response

        data = adapter.read_fetch(self.client, tag)
        parsed = parse_header_fetch(data)
        if parsed is None:
            parsed = parse_fetch_response(data, False, True)
        # As imapclient.fetch: unsolicited answers for other messages dropped.
        return {uid: parsed[uid] for uid in uids if uid in parsed}

    def send(self, uids: list[int]) -> Ahead | None:
        """Send the header FETCH of the next batch; a failure to send is kept and raised
        when that batch is wanted, after the current one was handled and recorded."""
        client = self.client
        if not self.private or not client.use_uid or client.normalise_times:
            return None
        ahead = Ahead(uids)
        try:
            ahead.tag = adapter.send_fetch(client, uids, ITEMS)
        except Exception as exc:  # raised (and classified) when the batch is wanted
            ahead.error = exc
        return ahead

    def answer(self, ahead: Ahead) -> dict[int, dict[bytes, Any]]:
        self.settle(ahead)
        if ahead.error is not None:
            raise ahead.error
        assert ahead.answer is not None
        return ahead.answer

    def settle(self, ahead: Ahead) -> None:
        """Read the answer of a header FETCH sent ahead (once), keeping it or its error:
        no other command may be sent before it is read."""
        if ahead.answer is None and ahead.error is None:
            try:
                ahead.answer = self.read(ahead.tag, ahead.uids)
            except Exception as exc:  # raised (and classified) when the batch is wanted
                ahead.error = exc


def headers_of(data: dict[int, dict[bytes, Any]], uids: Sequence[int], folder: str
               ) -> list[MailHeader]:
    """The MailHeader of each of `uids` in a header FETCH's answer (one expunged meanwhile
    is left out; one whose header cannot be read is kept, for the pass to skip)."""
    batch = []
    for uid in uids:
        item = data.get(uid)
        if item is None:
            continue  # expunged meanwhile
        raw = b""
        for key, value in item.items():
            if isinstance(key, bytes) and key.startswith(b"BODY[HEADER"):
                raw = value or b""
        internal = item.get(b"INTERNALDATE")
        # outside the supported range an INTERNALDATE is none (times.supported)
        when = supported(internal) if isinstance(internal, datetime) else None
        size = item.get(b"RFC822.SIZE", 0)
        size = size if isinstance(size, int) and size >= 0 else 0
        try:
            header = parse_header(raw, folder=folder, uid=uid, size=size,
                                  internal_date=when)
        except Exception as exc:  # kept, for the pass to skip with its reason
            header = unreadable_header(
                raw, folder=folder, uid=uid, size=size, internal_date=when,
                why=f"its header could not be read ({type(exc).__name__})")
        batch.append(header)
    return batch


_HEADER_FETCH = re.compile(
    rb"(\d+) \(UID (\d+) RFC822\.SIZE (\d+) INTERNALDATE (\"[^\"\\\r\n]*\") "
    rb"(BODY\[HEADER\.FIELDS \([A-Z0-9 -]*\)\]) \{(\d+)\}")
_INTERNALDATE = re.compile(
    rb"\"( ?\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\"")
_MONTHS = {m: i for i, m in enumerate(
    (b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
     b"dec"), start=1)}


def parse_header_fetch(data: Sequence[Any]) -> dict[int, dict[bytes, Any]] | None:
    """The answer to `UID FETCH (BODY.PEEK[HEADER.FIELDS (...)] RFC822.SIZE INTERNALDATE)`
    as imapclient's parse_fetch_response(data, normalise_times=False, uid_is_key=True)
    gives it, when every response has the one shape Dovecot (and most servers) send:
    `N (UID u RFC822.SIZE s INTERNALDATE "d" BODY[HEADER.FIELDS (...)] {n}` + literal +
    `)`. None for anything else: the caller then uses imapclient's parser."""
    out: dict[int, dict[bytes, Any]] = {}
    if not data or len(data) % 2:
        return None
    for at in range(0, len(data), 2):
        head, close = data[at], data[at + 1]
        if close != b")" or not isinstance(head, tuple) or len(head) != 2:
            return None
        prefix, literal = head
        if not isinstance(prefix, bytes) or not isinstance(literal, bytes):
            return None
        match = _HEADER_FETCH.fullmatch(prefix)
        if match is None or int(match.group(6)) != len(literal):
            return None
        seq, uid, size, when, section, _n = match.groups()
        if int(uid) in out:
            return None  # the same message twice: imapclient merges, let it
        out[int(uid)] = {b"SEQ": int(seq), b"RFC822.SIZE": int(size),
                         b"INTERNALDATE": _internaldate(when), section: literal}
    return out


def _internaldate(quoted: bytes) -> datetime | None:
    """An INTERNALDATE as imapclient gives it with normalise_times off: aware, in the
    zone the server said; None when it is not a date."""
    from imapclient.datetime_util import parse_to_datetime

    match = _INTERNALDATE.fullmatch(quoted)
    if match is not None:
        day, month, year, hour, minute, second, sign, oh, om = match.groups()
        number = _MONTHS.get(month.lower())
        # "-0000" is "no zone" to email.utils (imapclient's parser): a naive datetime.
        if number is not None and (sign == b"+" or oh != b"00" or om != b"00"):
            offset = timedelta(hours=int(oh), minutes=int(om))
            try:
                return datetime(int(year), number, int(day), int(hour), int(minute),
                                int(second),
                                tzinfo=timezone(-offset if sign == b"-" else offset))
            except ValueError:
                pass
    try:
        return parse_to_datetime(quoted[1:-1], normalise=False)
    except ValueError:
        return None
