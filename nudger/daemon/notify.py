"""Talking to systemd (sd_notify) with the standard library alone.

systemd passes `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace) to a
`Type=notify` service and `WATCHDOG_USEC` when `WatchdogSec=` is set. Outside systemd
there is no socket and every call is a no-op that returns False. A failure to send is
reported through the return value, never raised: the daemon logs it once and goes on,
because a missing READY=1 is systemd's to time out on, not ours to crash over.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping


class Notifier:
    def __init__(self, env: Mapping[str, str]) -> None:
        raw = env.get("NOTIFY_SOCKET", "")
        # An abstract socket is written `@name`; the kernel wants a leading NUL byte.
        self.address: str | None = ("\0" + raw[1:]) if raw.startswith("@") else (raw or None)
        self._watchdog_usec = _watchdog_usec(env)
        self.last_error: str | None = None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    @property
    def watchdog_interval(self) -> float | None:
        """Seconds between WATCHDOG=1 pings (half of WatchdogSec=), None when not asked."""
        if self._watchdog_usec is None:
            return None
        return self._watchdog_usec / 2 / 1_000_000

    def send(self, *fields: str) -> bool:
        """Send `KEY=value` lines in one datagram; False (and `last_error`) on failure."""
        if self.address is None:
            return False
        payload = "\n".join(fields).encode("utf-8")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall(payload)
        except OSError as exc:
            self.last_error = f"cannot notify systemd at {self.address!r}: {exc.strerror or exc}"
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", status_field(status))

    def reloading(self) -> bool:
        # systemd ≥ 253 wants the monotonic time with RELOADING=1; older ones ignore it.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}", status_field("reloading"))

    def stopping(self) -> bool:
        return self.send("STOPPING=1", status_field("stopping"))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(status_field(text))


def status_field(text: str) -> str:
    # One datagram carries newline-separated fields: a status must stay on one line.
    return "STATUS=" + " ".join(text.split())


def _watchdog_usec(env: Mapping[str, str]) -> int | None:
    raw = env.get("WATCHDOG_USEC", "")
    if not raw.isdigit() or int(raw) == 0:
        return None
    # WATCHDOG_PID, when set, names the process the watchdog is meant for: a child that
    # inherited the environment must not ping on its parent's behalf.
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    return int(raw)
