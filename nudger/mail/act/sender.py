"""Who sent a message, as strictly as a command needs it; and what the receiving server's
Authentication-Results say about it.

The From of a command must be exactly one plain address, the owner's. The email package
reads much that is not: `alex@example.com <evil@x.test>` (unquoted), `alex@example.com)
<evil@x.test>`, a source route `<@x.test:evil@x.test>`, `alex@example.com;evil@x.test` or a
From made of one encoded word all come out as *some* address. So a From is refused when
the parser reports any defect for it, when its raw text holds more than one distinct
address candidate, or when the address it yields is not spelled out in the raw text.

Authentication-Results (RFC 8601) are headers anyone can add; only the ones the user's
own server stamps mean anything, and those are recognised by its authserv-id (the first
word of the header: `mx.example.com; dmarc=pass ...`), set as `mailbox.authserv_id`.
With it set, a command needs that header and a pass aligned with the owner's domain
(dmarc=pass for the From domain, or dkim/spf pass for it); `compauth=fail`, `softfail`,
`none` are not a pass. Without it (a server that stamps nothing) the rule is the token
and the strict From, and any header saying fail still refuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nudger.config import Settings

# Parser defects that say nothing about which address is meant (`Alex R. Rivera
# <alex@example.com>`: a period in an unquoted display name is obsolete syntax).
_HARMLESS_DEFECTS = ("period in 'phrase'",)
_CANDIDATE = re.compile(r"[^\s<>\"'(),;:@\[\]\\]+@[^\s<>\"'(),;:@\[\]\\]+")
MAX_FROM = 998  # one header line (RFC 5322); a longer From is no owner's
# Of any header a command check reads: the email package's own parser takes minutes over a
# Subject folded into a million lines (a stranger's message, before any check).
MAX_HEADER_CHARS = 4000
MAX_HEADER_VALUES = 20


def header_values(msg: Message, name: str) -> list[str]:
    """The raw values of header `name` (at most MAX_HEADER_VALUES, each unfolded and capped
    at MAX_HEADER_CHARS), never through the email package's header parser."""
    from nudger.text import decode_words

    wanted = name.lower()
    out: list[str] = []
    for key, value in msg.raw_items():
        if key.lower() != wanted:
            continue
        raw = str(value)[:MAX_HEADER_CHARS * 2]
        out.append(decode_words(" ".join(raw.split())[:MAX_HEADER_CHARS]))
        if len(out) >= MAX_HEADER_VALUES:
            break
    return out


def header_text(msg: Message, name: str) -> str:
    """The first value of header `name` ("" when there is none), as `header_values`."""
    found = header_values(msg, name)
    return found[0] if found else ""


def strict_from(msg: Message) -> tuple[str, str]:
    """(the one From address, lower-cased, "") or ("", why it is refused)."""
    from email.policy import default

    raw_values = [value for name, value in msg.raw_items() if name.lower() == "from"]
    if len(raw_values) != 1:
        return "", f"{len(raw_values)} From fields (exactly one, the owner's, is needed)"
    raw = " ".join(str(raw_values[0]).split())
    if len(raw) > MAX_FROM:
        return "", "a From longer than one header line"
    candidates = {c.lower().rstrip(".") for c in _CANDIDATE.findall(raw)}
    if len(candidates) > 1:
        return "", (f"{len(candidates)} From addresses (exactly one, the owner's, is "
                    "needed)")
    try:
        header = default.header_factory("from", raw)
        defects = [str(d) for d in getattr(header, "defects", ())]
        addresses = list(getattr(header, "addresses", ()))
    except Exception:  # a From the parser cannot take apart is no owner's
        return "", "a From the parser cannot read"
    defects = [d for d in defects if d not in _HARMLESS_DEFECTS]
    if defects:
        return "", f"a malformed From ({defects[0][:60]})"
    if len(addresses) != 1:
        return "", f"{len(addresses)} From addresses (exactly one, the owner's, is needed)"
    addr = str(addresses[0].addr_spec).lower()
    if not candidates or addr not in candidates:
        # the address came out of an encoded word or a comment, not the address itself
        return "", "a From whose address is not written out as an address"
    return addr, ""


# --- Authentication-Results ---------------------------------------------------------------

_RESULT = re.compile(r"(?:^|;)\s*([a-z][a-z0-9-]*)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.from|header\.d|header\.i|smtp\.mailfrom|smtp\.from)"
                       r"\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    why: str  # one line: what the server said, or why it does not count


def authserv_id(value: str) -> str:
    """The authserv-id of one Authentication-Results value ("" when there is none)."""
    head = value.split(";", 1)[0].strip()
    word = head.split()[0] if head.split() else ""
    return word.lower() if "=" not in word else ""


def _aligned(domain: str, owner: str) -> bool:
    domain = domain.lower().strip(".").rsplit("@", 1)[-1]
    return bool(domain) and (domain == owner or domain.endswith("." + owner)
                             or owner.endswith("." + domain))


def server_results(msg: Message, server_id: str) -> list[str]:
    """The Authentication-Results values the user's own server (`server_id`) stamped."""
    found = []
    for value in header_values(msg, "Authentication-Results"):
        text = " ".join(value.split())
        if authserv_id(text) == server_id.lower():
            found.append(text)
    return found


def verdict(settings: Settings, msg: Message, owner: str) -> Verdict:
    """Does the user's server vouch for this message's From (mailbox.authserv_id set)?"""
    server_id = (settings.mailbox.authserv_id or "").strip()
    if not server_id:
        return Verdict(True, "no authserv_id: token and strict From")
    results = server_results(msg, server_id)
    if not results:
        return Verdict(False, f"no Authentication-Results from your server ({server_id})")
    domain = owner.rsplit("@", 1)[-1].lower()
    passed = ""
    for text in results[:1]:  # the topmost: the one stamped on arrival
        body = text.split(";", 1)[1] if ";" in text else ""
        for method, result, rest in _RESULT.findall(body):
            method, result = method.lower(), result.lower()
            props = {k.lower(): v for k, v in _PROPERTY.findall(rest)}
            if result in ("fail", "permerror") or (
                    method in ("dmarc", "compauth") and result == "softfail"):
                return Verdict(False, f"your server says {method}={result}")
            if result != "pass" or passed:
                continue
            if method == "dmarc" and _aligned(props.get("header.from", domain), domain):
                passed = "dmarc=pass"
            elif method == "dkim" and _aligned(props.get("header.d", "")
                                               or props.get("header.i", ""), domain):
                passed = "dkim=pass"
            elif method == "spf" and _aligned(props.get("smtp.mailfrom", "")
                                              or props.get("smtp.from", ""), domain):
                passed = "spf=pass"
    if passed:
        return Verdict(True, f"your server says {passed} for {domain}")
    return Verdict(False, f"your server ({server_id}) reports no pass aligned with {domain}")


def rule_words(settings: Settings) -> str:
    """Which rule a command must meet, for `nudger check --imap`."""
    server_id = (settings.mailbox.authserv_id or "").strip()
    if server_id:
        return (f"command mail: your server's Authentication-Results ({server_id}) must "
                "pass for your domain, plus a reply to a recent digest (its Message-ID) "
                "or a button, and exactly your From")
    return ("command mail: a reply to a recent digest (its Message-ID) or a button, and "
            "exactly your From (no mailbox.authserv_id: Authentication-Results are only "
            "checked for a fail)")


def stamping_servers(headers: list[str]) -> dict[str, int]:
    """authserv-id → on how many of these messages it is the topmost Authentication-Results
    (`headers`: each message's first Authentication-Results value)."""
    counts: dict[str, int] = {}
    for value in headers:
        name = authserv_id(value) if value else ""
        if name:
            counts[name] = counts.get(name, 0) + 1
    return counts
