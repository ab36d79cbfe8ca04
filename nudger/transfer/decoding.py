"""Decoding a CSV file on purpose (UTF-8 with or without BOM, UTF-16, cp1252 as the declared
fallback) and sniffing its delimiter."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from nudger.errors import DataError


@dataclass(frozen=True)
class Encoding:
    codec: str  # what Python opens the file with
    label: str  # what the report says


_CHUNK = 1 << 20


def detect_encoding(path: Path) -> Encoding:
    """UTF-8 (BOM or not), UTF-16 with BOM, else cp1252 — checked over the whole file in
    chunks, so a bad byte is reported with its line before anything is imported."""
    try:
        with path.open("rb") as f:
            head = f.read(256)
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None
    if head.startswith(codecs.BOM_UTF8):
        candidates = [Encoding("utf-8-sig", "UTF-8 (with BOM)")]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [Encoding("utf-16", "UTF-16 (with BOM)")]
    elif _utf16_without_bom(head):
        codec = _utf16_without_bom(head)
        candidates = [Encoding(codec, f"UTF-16 {codec[-2:].upper()} (no BOM)")]
    else:
        candidates = [Encoding("utf-8", "UTF-8"),
                      Encoding("cp1252", "Windows-1252 (cp1252), the fallback for a file "
                               "that is not UTF-8")]
    problem = ""
    for candidate in candidates:
        problem = _decodes(path, candidate.codec)
        if not problem:
            return candidate
    raise DataError(f"{path}:{problem}; save the file as UTF-8 (in a spreadsheet: "
                    "Save As > CSV UTF-8) and import it again")


def _utf16_without_bom(head: bytes) -> str:
    """'utf-16-le' or 'utf-16-be' when text of mostly ASCII letters has a NUL in every
    other byte (a header row saved as UTF-16 without a BOM), else ''."""
    even, odd = head[0:len(head) - len(head) % 2:2], head[1:len(head) - len(head) % 2:2]
    if len(even) < 4:
        return ""
    if odd.count(0) == len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) == len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return ""


def _decodes(path: Path, codec: str) -> str:
    """'' when the whole file decodes, else 'LINE: what is wrong'."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = 0
    lines = 1
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                position = max(0, exc.start)
                lines_before = lines + chunk[:position].count(b"\n")
                bad = chunk[position:position + 1].hex() if position < len(chunk) else "end"
                name = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                        "utf-16-le": "UTF-16", "utf-16-be": "UTF-16"}.get(codec, codec)
                return (f"{lines_before}: byte 0x{bad} at offset {offset + position} is not "
                        f"valid {name}")
            if not chunk:
                return ""
            lines += chunk.count(b"\n")
            offset += len(chunk)


def sniff_delimiter(first_line: str) -> str:
    """The most frequent of , ; tab outside quotes in the header line (`,` on a tie)."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in first_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts.values())
    if best == 0 or counts[","] == best:
        return ","
    return ";" if counts[";"] == best else "\t"


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
