"""Many rows into one table fast, still through the model's table: the INSERT is compiled
by SQLAlchemy from the table, and each value is converted by its column's own type (so a
datetime is stored exactly as the ORM stores it). What is skipped is SQLAlchemy's per-row
work for executemany (a dict per row, defaults, processors called again for equal values):
an import of 100,000 rows spends most of its time there otherwise (bench/b_import.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from nudger.store.models import table_of
from nudger.store.scope import next_numbers, writing_seeker


class BulkInsert:
    """`add(row)` a tuple of values in `columns` order; `flush()` writes what was added.

    On a scoped session's connection every row is the session's seeker's (its `seeker_id`
    is added), and new applications get that seeker's next numbers
    (nudger/store/scope.py)."""

    def __init__(self, connection: Connection, model: Any, columns: Sequence[str]) -> None:
        table = table_of(model)
        self.seeker: int | None = None
        self.numbered = False
        if "seeker_id" in table.c and "seeker_id" not in columns:
            self.seeker = writing_seeker(connection)
            columns = (*columns, "seeker_id")
            if "number" in table.c and "number" not in columns:
                self.numbered = True
                columns = (*columns, "number")
        dialect = connection.dialect
        if not dialect.positional:
            # psycopg's named style (%(name)s): compile for its positional one (%s), which
            # the same driver takes, so that rows stay plain tuples.
            dialect = type(dialect)(paramstyle="format")  # type: ignore[call-arg]
        compiled = table.insert().compile(dialect=dialect, column_keys=list(columns))
        order = list(compiled.positiontup or ())
        # A column the caller does not name but the model gives a constant default (a
        # column added later, such as contact.bounce_detail = "") gets that constant; any
        # other missing column would be filled per row by SQLAlchemy, which is refused.
        self.constants: dict[str, Any] = {}
        for name in sorted(set(order) - set(columns)):
            default = table.c[name].default
            if default is None or not getattr(default, "is_scalar", False):
                raise ValueError(f"{table.name}: give column {name!r} a value (it has no "
                                 "constant default)")
            self.constants[name] = getattr(default, "arg", None)
        self.connection = connection
        self.sql = str(compiled)
        self.pick = [list(columns).index(name) if name in columns else -1 for name in order]
        self.order = order
        self.convert: list[tuple[int, Callable[[Any], Any]]] = []
        for at, name in enumerate(order):
            column_type = table.c[name].type.dialect_impl(connection.dialect)
            process = column_type.bind_processor(connection.dialect)
            if process is not None:
                self.convert.append((at, process))
        self.rows: list[tuple[Any, ...]] = []

    def add(self, row: tuple[Any, ...]) -> None:
        if self.seeker is not None:
            row = (*row, self.seeker) if not self.numbered else (*row, self.seeker, 0)
        self.rows.append(row)

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self) -> None:
        if not self.rows:
            return
        if self.numbered:
            numbers = next_numbers(self.connection, self.seeker or 0, len(self.rows))
            self.rows = [(*row[:-1], n) for row, n in zip(self.rows, numbers, strict=True)]
        given = list(zip(*self.rows, strict=True))
        count = len(self.rows)
        columns = [given[i] if i >= 0 else (self.constants[name],) * count
                   for i, name in zip(self.pick, self.order, strict=True)]
        for at, process in self.convert:
            # Column by column, each distinct value converted once: a file's rows share a
            # few hundred dates and one import time.
            values = columns[at]
            done = {v: None if v is None else process(v) for v in set(values)}
            columns[at] = tuple(map(done.__getitem__, values))
        self.connection.exec_driver_sql(self.sql, list(zip(*columns, strict=True)))
        self.rows = []
