"""One relay connection per worker: many messages over one SMTP session, paced.

`nudger worker` sends thousands of digests; opening a connection (TCP, TLS, EHLO, AUTH)
for each costs about as much as the message itself and looks like abuse to a relay. A
`Relay` keeps the configured transport (send/delivery.py) open for the worker's life and
lets one message at a time through it (a session carries one transaction at a time, so the
worker's concurrent tasks queue for it). A connection that has died while idle (relays drop
idle sessions after a few minutes) is noticed on the next send: when the failure came before
the message was transferred (a transient failure, the session gone) the message goes again
once over a new connection; an uncertain failure (the session died during DATA) is never
resent here: the outbox resends it later with the same Message-ID.

`[smtp] max_per_minute` paces the sends: at most that many a minute through this relay
connection, evenly spaced (no bursts). Each worker paces its own connection, so N workers
send at most N × max_per_minute a minute in all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from email.message import EmailMessage
from pathlib import Path

from nudger.config import Settings
from nudger.send.delivery import Delivered, DeliveryError, Transport, open_transport

log = logging.getLogger("nudger.delivery")

CLOSE_WAIT_S = 2.0  # for the relay's answer to QUIT when the worker stops


class Relay:
    """The worker's one connection to the configured transport. `async with Relay(...)`,
    then `await relay.send(message)` from any number of tasks."""

    def __init__(self, settings: Settings, env: Mapping[str, str], *, data_dir: Path,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.transport: Transport = open_transport(settings, env, data_dir=data_dir)
        per_minute = settings.smtp.max_per_minute if settings.smtp is not None else None
        # `[smtp] max_per_minute` is the relay's limit, shared by every worker sending
        # through it: each paces at its share (`share`, told how many workers are alive).
        self.per_minute = per_minute or 0
        self.sharers = 1
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._lock = asyncio.Lock()
        self.sent = 0  # messages the transport took
        self.reconnects = 0  # sends that found the connection gone and opened a new one

    @property
    def where(self) -> str:
        return self.transport.where

    def share(self, workers: int) -> bool:
        """Pace at this worker's share of the relay's limit when `workers` (this one
        included) send through it: one message every 60 × workers / max_per_minute
        seconds. Whether the pace changed."""
        workers = max(1, workers)
        if not self.per_minute or workers == self.sharers:
            return False
        self.sharers = workers
        self.interval = 60.0 * workers / self.per_minute
        return True

    async def send(self, message: EmailMessage) -> Delivered:
        """Deliver `message` over the shared connection (opened or reopened as needed),
        no sooner than the rate limit allows; DeliveryError as `Transport.send`."""
        async with self._lock:
            await self._pace()
            reused = self._connected()
            try:
                delivered = await self.transport.send(message)
            except asyncio.CancelledError:
                # Stopped mid-dialogue: the session's state is unknown; hang up.
                self.abort()
                raise
            except DeliveryError as exc:
                if not (reused and exc.kind == "transient" and not self._connected()):
                    raise
                # The session we had was gone before the message went (an idle timeout
                # on the relay's side): once more over a fresh one.
                self.reconnects += 1
                log.info("the connection to %s was gone (%s); sending over a new one",
                         self.where, exc.reason)
                delivered = await self.transport.send(message)
            self.sent += 1
            return delivered

    async def _pace(self) -> None:
        if not self.interval:
            return
        now = self._clock()
        if self._next_slot > now:
            await self._sleep(self._next_slot - now)
            now = self._clock()
        self._next_slot = max(now, self._next_slot) + self.interval

    def _connected(self) -> bool:
        return bool(getattr(self.transport, "connected", False))

    def abort(self) -> None:
        """Drop the connection at once (a stop in the middle of a send)."""
        abort = getattr(self.transport, "abort", None)
        if abort is not None:
            abort()

    async def close(self) -> None:
        """QUIT politely, but never hold a stopping worker up for it."""
        try:
            await asyncio.wait_for(self.transport.close(), CLOSE_WAIT_S)
        except TimeoutError:
            self.abort()

    async def __aenter__(self) -> Relay:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
