"""config.toml's errors in the user's words: pydantic's validation errors and tomllib's
syntax errors turned into one message that names the file, the line (found in the TOML
text in one pass, `LineIndex`), the key, the value shown as TOML would write it, and what
would be valid (the keys a table knows, with the nearest one to a misspelling).

Used by nudger.config (`parse_settings`); nothing here knows the tables themselves: the
model whose keys are listed is passed in.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

# At most this many problems are listed in one config error (a file of thousands of
# unknown keys gets a bounded message, built in linear time).
MAX_PROBLEMS = 20


def toml_problem(exc: tomllib.TOMLDecodeError, path: Path) -> str:
    """tomllib's error as `file:line:column: not valid TOML: reason`."""
    message = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    where = f"{path}:{found.group(1)}:{found.group(2)}" if found else str(path)
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
    return f"{where}: not valid TOML: {reason}"


def describe(exc: ValidationError, text: str, path: Path, model: type[BaseModel]) -> str:
    """pydantic's errors for config.toml's `text` as one message: each problem on its own
    line with file:line, at most MAX_PROBLEMS of them."""
    lines: list[str] = []
    seen: set[str] = set()
    index = LineIndex(text)  # one pass over the text for all the errors
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
        message = _message(error, loc, model)
        line = index.locate(loc)
        where = f"{path}:{line}" if line else str(path)
        rendered = f"{where}: {message}"
        if rendered not in seen:
            seen.add(rendered)
            lines.append(rendered)
    header = "invalid config" if len(lines) == 1 else f"invalid config ({len(lines)} problems)"
    if len(lines) > MAX_PROBLEMS:
        lines = [*lines[:MAX_PROBLEMS], f"... and {len(lines) - MAX_PROBLEMS} more"]
    return f"{header}:\n  " + "\n  ".join(lines) if len(lines) > 1 else lines[0]


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any, loc: tuple[Any, ...], model: type[BaseModel]) -> str:
    kind = error["type"]
    key = _dotted(loc) or "(top level)"
    value = error.get("input")
    if loc == ("database",) and isinstance(value, str):
        from nudger.store.pgurl import redact

        value = redact(value)  # a URL's password is never echoed
    shown = _show(value)
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        name = str(loc[-1])
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        table = _dotted(loc[:-1]) or "the top level"
        return (f"unknown key {key!r}{hint}; valid keys in {table}: {', '.join(known)}")
    if kind == "missing":
        return f"{key} is required"
    reason = str(error.get("msg", "is invalid"))
    reason = reason.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in ("int_type", "int_parsing"):
        reason = "must be a whole number (no quotes), e.g. 587"
    elif kind in ("bool_type", "bool_parsing"):
        reason = "must be true or false (no quotes)"
    elif kind == "string_type":
        reason = "must be a string in double quotes"
    elif kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        reason = f"must be one of {expected}"
    elif kind in ("tuple_type", "list_type"):
        reason = "must be a list in square brackets"
    elif kind == "model_type" or kind == "model_attributes_type":
        reason = "must be a table"
    elif kind == "float_type":
        reason = "must be a number"
    if not loc or (kind == "value_error" and isinstance(value, dict)):
        return reason
    return f"{key} = {shown}: {reason}"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{...}"
    return repr(value)


def _known_keys(settings: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    model: Any = settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = None
        for name, info in model.model_fields.items():
            if part in (name, info.alias):
                field = info
        if field is None:
            return []
        model = inner_model(field.annotation)
        if model is None:
            return []
    return [info.alias or name for name, info in model.model_fields.items() if not info.exclude]


def inner_model(annotation: Any) -> Any:
    """The pydantic model inside a field's annotation (`Smtp | None` → Smtp), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation) if get_origin(annotation) is not None else ():
        found = inner_model(arg)
        if found is not None:
            return found
    return None


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")


class LineIndex:
    """Where each table header and key first appears in the TOML text, read in one pass,
    so that locating N errors costs O(lines + N), not O(lines × N) (a scan per error
    took 113 s for 16,000 unknown keys)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.first: dict[tuple[Any, ...], int] = {}  # a header or a key: its first line
        self.keys: dict[tuple[Any, ...], int] = {}  # a key: its first line
        self.scans = 0  # lines read (a test counts them)
        table: list[Any] = []
        counts: dict[str, int] = {}
        for number, raw in enumerate(self.lines, start=1):
            self.scans += 1
            header = _HEADER.match(raw)
            if header:
                name = header.group(2).replace('"', "").strip()
                if header.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                    table = [*name.split("."), counts[name]]
                else:
                    table = name.split(".")
                self.first.setdefault(tuple(table), number)
                continue
            stripped = raw.split("#", 1)[0]
            match = _KEY.match(stripped)
            if not match:
                continue
            path = (*table, match.group(1).strip('"'))
            self.first.setdefault(path, number)
            self.keys.setdefault(path, number)

    def locate(self, loc: tuple[Any, ...]) -> int | None:
        if not loc:
            return None
        exact = self.first.get(tuple(loc))
        # The first key line whose path is a proper prefix of loc (an inline table or
        # array holding the key), as a scan from the top would meet it.
        prefix_lines = [(line, k) for k in range(1, len(loc))
                        if (line := self.keys.get(tuple(loc[:k]))) is not None]
        if prefix_lines:
            line, k = min(prefix_lines)
            if exact is None or line < exact:
                rest = loc[k:]
                if len(rest) >= 2 and isinstance(rest[0], int) and isinstance(rest[-1], str):
                    found = _find_in_array(self.lines, line - 1, rest[0], str(rest[-1]))
                    if found:
                        return found
                return line
        if exact is not None:
            return exact
        return self.keys.get(tuple(loc[:-1]))


_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"]+)\s*=")


def _find_in_array(lines: list[str], start: int, index: int, key: str) -> int | None:
    """The line of the index-th inline table of an array value that starts at `start`."""
    seen = -1
    depth = 0
    for offset, raw in enumerate(lines[start:], start=start + 1):
        body = raw.split("#", 1)[0] if offset > start + 1 else raw.split("=", 1)[-1]
        for ch in body.split("#", 1)[0]:
            if ch == "{":
                if depth == 0:
                    seen += 1
                    if seen == index:
                        return offset
                depth += 1
            elif ch == "}":
                depth -= 1
        if body.rstrip().endswith("]") and depth == 0 and seen >= index:
            return None
    return None
