"""Text made safe for a terminal: now part of `nudger.text` (`visible`, `json_safe`,
`VisibleStream`). These names stay importable from here for code written before the move;
new code imports `nudger.text`."""

from __future__ import annotations

from nudger.text import VisibleStream, json_safe, visible

__all__ = ["VisibleStream", "json_safe", "visible"]
