"""What the tests of `nudger run` as a real process share (test_daemon_process.py,
test_daemon_seekers_process.py): a World (a home, a config beside its database, a real SMTP
server, the daemons to reap), its fixtures, and libfaketime's environment for a daemon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_installed
from tests.daemon_helpers import (
    DaemonProcess,
    config_text,
    faketime_library,
    records,
    wait_until,
)
from tests.smtpserver import Received, SmtpServer

FAKETIME = faketime_library()
needs_faketime = pytest.mark.skipif(
    FAKETIME is None, reason="libfaketime is not installed (apt-get install faketime)")


class World:
    """A home directory, a config beside its database, an SMTP server, daemons to reap."""

    def __init__(self, root: Path, server: SmtpServer) -> None:
        self.root = root
        self.home = root / "home"
        self.config = root / "etc" / "config.toml"
        self.config.parent.mkdir(parents=True)
        self.db = self.config.parent / "nudger.db"
        self.server = server
        self.daemons: list[DaemonProcess] = []

    def write(self, *, zone: str, at: str, smtp_timeout: float = 5,
              catch_up: str = "12 hours") -> None:
        smtp = self.server.smtp_config(self.root, timeout=smtp_timeout)
        self.config.write_text(config_text(smtp, zone=zone, at=at, catch_up=catch_up))

    def start(self, *args: str, env: dict[str, str] | None = None) -> DaemonProcess:
        daemon = DaemonProcess(self.home, self.config, *(args or ("run",)), env=env)
        self.daemons.append(daemon)
        return daemon

    def run_once(self) -> tuple[int, str]:
        result = run_installed("--config", str(self.config), "run", "--once",
                               env={"HOME": str(self.home), "NOTIFY_SOCKET": ""})
        return result.returncode, result.stderr

    def wait_state(self, day: str, state: str, timeout: float = 10) -> None:
        """The outbox marks a send after logging it: wait for the database, not the log."""
        wait_until(lambda: records(self.db).get(day) == state, timeout, f"{day} {state}")

    @property
    def messages(self) -> list[Received]:
        return list(self.server.messages)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with SmtpServer() as server:
        w = World(tmp_path, server)
        yield w
        for daemon in w.daemons:
            daemon.close()


@pytest.fixture
def slow_world(tmp_path: Path) -> Iterator[World]:
    with SmtpServer(stall=("DATA", 3.0)) as server:
        w = World(tmp_path, server)
        yield w
        for daemon in w.daemons:
            daemon.close()


def faked(start: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    assert FAKETIME is not None
    return {"LD_PRELOAD": FAKETIME, "FAKETIME": start, "TZ": "UTC", "FAKETIME_NO_CACHE": "1",
            **(extra or {})}
