"""Server and mail text made safe: now part of `nudger.text` (one notion of an unsafe
character for every cleaner). These names stay importable from here for code written
before the move; new code imports `nudger.text`."""

from __future__ import annotations

from nudger.text import decode_bytes, decode_charset, server_text

__all__ = ["decode_bytes", "decode_charset", "server_text"]
