"""The building blocks of config.toml's tables, shared by config.py and servers.py: the
strict, frozen table base (unknown keys refused, no type coercion) and the value types
more than one table uses (a one-line string, a duration)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator

from nudger.vocab import breaks_line
from nudger.when.durations import Duration, parse_duration


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


def one_line(value: str) -> str:
    if breaks_line(value):
        raise ValueError("must be one line: no line breaks or NUL characters")
    return value


def _duration(value: Any) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a string like '3 days' or '2 business days'")
    return parse_duration(value)


OneLine = Annotated[str, AfterValidator(one_line)]
DurationField = Annotated[Duration, PlainValidator(_duration)]
