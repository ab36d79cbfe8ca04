"""What the user asked of an import: `--dry-run`, `--date-format`, `--column`, `--stage-map`,
`--skip-bad` (checked against the columns by `transfer.columns.check_options`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nudger.errors import UsageError


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    date_format: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # header → field or "ignore"
    stage_map: Mapping[str, str] = field(default_factory=dict)  # word → stage
    skip_bad: bool = False


def parse_pairs(values: Sequence[str], option: str) -> dict[str, str]:
    """`--column 'Beworben am=applied'` → {'Beworben am': 'applied'}."""
    out: dict[str, str] = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise UsageError(f"{option} {value!r}: write it as FROM=TO, e.g. "
                             + ("--column 'Firma=company'" if option == "--column"
                                else "--stage-map 'Entretien=interviewing'"))
        out[left.strip()] = right.strip()
    return out
