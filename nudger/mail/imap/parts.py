"""The parts of a message nudger reads, found in the BODYSTRUCTURE the server returns: the
first text part (text/plain, else text/html; a delivery status report's machine-readable
part first when asked), with its transfer encoding and charset (nudger.text's
`decode_transfer` decodes it; an HTML part is then read by `mail/htmltext.py`)."""

from __future__ import annotations

from typing import Any


def first_text_part(body: Any, prefix: str = "", report: bool = False
                     ) -> tuple[str, str, str, str] | None:
    """(section, transfer encoding, charset, subtype) of the first text/plain part, else the
    first text/html part, from a BODYSTRUCTURE; with `report`, a delivery status report's
    machine-readable part first."""
    if report:
        found = find_part(body, prefix, b"delivery-status", b"message") or \
            find_part(body, prefix, b"delivery-status", b"text")
        if found:
            return found
    plain = find_part(body, prefix, b"plain")
    return plain or find_part(body, prefix, b"html")


def find_part(body: Any, prefix: str, want: bytes, major: bytes = b"text"
               ) -> tuple[str, str, str, str] | None:
    try:
        multipart = getattr(body, "is_multipart", False)
        if multipart:
            parts = body[0]
            for index, part in enumerate(parts, start=1):
                section = f"{prefix}{index}"
                if getattr(part, "is_multipart", False):
                    found = find_part(part, section + ".", want, major)
                else:
                    found = leaf(part, section, want, major)
                if found:
                    return found
            return None
        return leaf(body, prefix + "1" if prefix else "1", want, major)
    except (IndexError, TypeError, AttributeError):
        return None


def leaf(part: Any, section: str, want: bytes, major: bytes = b"text"
          ) -> tuple[str, str, str, str] | None:
    mtype = (part[0] or b"").lower() if isinstance(part[0], bytes) else b""
    subtype = (part[1] or b"").lower() if isinstance(part[1], bytes) else b""
    if mtype != major or subtype != want:
        return None
    charset = "utf-8"
    params = part[2]
    if isinstance(params, tuple | list):
        for key, value in zip(params[::2], params[1::2], strict=False):
            if isinstance(key, bytes) and key.lower() == b"charset" and isinstance(value,
                                                                                  bytes):
                charset = value.decode("ascii", "replace")
    encoding = part[5].decode("ascii", "replace").lower() if isinstance(part[5], bytes) \
        else "7bit"
    return section, encoding, charset, subtype.decode()
