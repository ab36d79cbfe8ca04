"""The holiday cache gives exactly what the holidays package gives, and survives trouble."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import holidays
import pytest

from nudger.when.holidays import HolidayCache, cache_path


def test_same_dates_as_the_package(tmp_path: Path) -> None:
    cache = HolidayCache(tmp_path / "h.json")
    got = cache.year("US", None, 2026)
    expected = dict(holidays.country_holidays("US", years=[2026]).items())
    assert got == {d: str(n) for d, n in expected.items()}
    assert date(2026, 11, 26) in got  # Thanksgiving
    # Read back by a fresh process-like instance, from the file alone.
    again = HolidayCache(tmp_path / "h.json")
    assert again.year("US", None, 2026) == got
    assert "2026" in json.loads((tmp_path / "h.json").read_text())["years"]["US/"]


def test_regions_differ(tmp_path: Path) -> None:
    cache = HolidayCache(tmp_path / "h.json")
    bavaria = cache.year("DE", "BY", 2026)
    berlin = cache.year("DE", "BE", 2026)
    assert date(2026, 1, 6) in bavaria and date(2026, 1, 6) not in berlin  # Epiphany


def test_a_new_package_version_invalidates(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"version": "0.0-old", "supported": {"ZZ": []},
                                "years": {"US/": {"2026": {"2026-03-03": "Fake"}}}}))
    cache = HolidayCache(path)
    assert "ZZ" not in cache.supported()
    assert date(2026, 3, 3) not in cache.year("US", None, 2026)


def test_corrupt_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text("{not json")
    assert "US" in HolidayCache(path).supported()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory_only_costs_speed(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    cache = HolidayCache(locked / "sub" / "h.json")
    assert date(2026, 7, 3) in cache.year("US", None, 2026)  # observed July 4th


def test_read_only_file_system_path_only_costs_speed() -> None:
    cache = HolidayCache(Path("/proc/nudger-cannot-write/h.json"))
    assert date(2026, 12, 25) in cache.year("US", None, 2026)


def test_cache_path_order() -> None:
    assert cache_path({"CACHE_DIRECTORY": "/var/cache/nudger"}) == Path(
        "/var/cache/nudger/holidays.json")
    assert cache_path({"XDG_CACHE_HOME": "/x"}) == Path("/x/nudger/holidays.json")
    assert cache_path({"HOME": "/h"}) == Path("/h/.cache/nudger/holidays.json")


def test_the_cache_is_keyed_by_the_installed_holidays_version() -> None:
    """The package's version.py asks importlib.metadata at run time, so the key comes from
    its .dist-info: an upgrade changes it, and venvs with the same version share a cache."""
    from importlib.metadata import version

    from nudger.when.holidays import _package_version

    assert _package_version() == version("holidays")
