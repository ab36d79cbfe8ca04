"""`nudger worker`'s door: SQLite refused with one clear line (exit 78), a bad --concurrency
named (exit 2), never a traceback. The worker itself: tests/workers/."""

from __future__ import annotations

import pytest

from tests.conftest import Home


def test_the_worker_refuses_sqlite(home: Home) -> None:
    result = home.run("worker")
    assert result.code == 78
    assert "`nudger worker` needs PostgreSQL" in result.err and "nudger run" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(("value", "words"), [
    ("0", "0 is not between 1 and 1000"),
    ("many", "'many' is not a whole number"),
])
def test_a_bad_concurrency_is_named(home: Home, value: str, words: str) -> None:
    result = home.run("worker", "--concurrency", value)
    assert result.code == 2 and words in result.err and "Traceback" not in result.err
