"""Public holidays from the `holidays` package, cached on disk.

Importing `holidays` and building one country's calendar costs ~150 ms, more than the rest
of `nudger list` together. The dates only change when the package does, so they are kept
in a small JSON file keyed by the installed package's version (read from its version.py
without importing it). The package stays the only source of holiday dates; a missing or
unwritable cache only means the package is asked again.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

FILE_NAME = "holidays.json"


def _package_version() -> str:
    """The installed holidays package's version, read without importing it (importing
    holidays costs more than the cache saves): from its .dist-info folder's name, or from
    version.py where that still spells it out; else a key that changes with the package's
    files, so that an upgrade in place never serves the old package's dates."""
    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return "missing"
    package = Path(spec.origin).parent
    for info in sorted(package.parent.glob("holidays-*.dist-info")):
        version = info.name[len("holidays-"):-len(".dist-info")]
        if version:
            return version
    try:
        found = re.search(r"__version__\s*=\s*[\"']([^\"']+)",
                          package.joinpath("version.py").read_text())
    except OSError:
        found = None
    if found:
        return found.group(1)
    try:
        stamp = Path(spec.origin).stat().st_mtime_ns
    except OSError:
        stamp = 0
    return f"unknown-{spec.origin}-{stamp}"


class HolidayCache:
    """Holiday dates per (country, region, year), and the supported countries."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None
        self._dirty = False

    # --- storage -----------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        if self._data is not None:
            return self._data
        version = _package_version()
        data: dict[str, Any] = {}
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError):
                data = json.loads(self.path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != version:
            data = {"version": version, "supported": None, "years": {}}
        self._data = data
        return data

    def _save(self) -> None:
        if self.path is None or not self._dirty or self._data is None:
            return
        self._dirty = False
        from nudger.files import atomic_open

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_open(self.path, perms=0o600) as handle:
                json.dump(self._data, handle)
        except OSError:
            pass  # a cache we cannot write (read-only home, full disk) only costs speed

    # --- queries -----------------------------------------------------------------------

    def supported(self) -> dict[str, list[str]]:
        """Country code → its subdivision codes, as the installed package knows them."""
        data = self._load()
        if data.get("supported") is None:
            import holidays

            data["supported"] = {
                code: list(subdivs)
                for code, subdivs in holidays.list_supported_countries().items()
            }
            self._dirty = True
            self._save()
        return dict(data["supported"])

    def year(self, country: str, region: str | None, year: int) -> dict[date, str]:
        """The holidays of one country (and region) in one year: date → name."""
        data = self._load()
        key = f"{country}/{region or ''}"
        years = data["years"].setdefault(key, {})
        cached = years.get(str(year))
        if cached is None:
            import holidays

            table = holidays.country_holidays(country, subdiv=region, years=[year])
            cached = {day.isoformat(): str(name) for day, name in sorted(table.items())}
            years[str(year)] = cached
            self._dirty = True
            self._save()
        return {date.fromisoformat(day): name for day, name in cached.items()}


_default = HolidayCache()


def configure(path: Path | None) -> None:
    """Where the process keeps the cache (the CLI and the daemon call this at start)."""
    global _default
    _default = HolidayCache(path)


def default() -> HolidayCache:
    return _default


def cache_path(env: dict[str, str] | Any) -> Path:
    """$CACHE_DIRECTORY (systemd), else $XDG_CACHE_HOME/nudger, else ~/.cache/nudger."""
    if env.get("CACHE_DIRECTORY"):
        return Path(env["CACHE_DIRECTORY"].split(":")[0]) / FILE_NAME
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "nudger" / FILE_NAME
    home = Path(env.get("HOME") or Path.home())
    return home / ".cache" / "nudger" / FILE_NAME
