"""Scenario 2: SMTP faults in sequence, then recovery; a permanent failure is reported.

Refused connection, a 421 greeting, 451 on DATA, a connection dropped after DATA (before
the server accepted), a stall past the timeout: each leaves the day waiting to retry and
nothing at the server; the recovery delivers it exactly once. A 550 the next day is
recorded as failed, shown by `nudger status`, and told in the next digest that gets through.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from tests.e2e.conftest import World

DAY = date(2027, 3, 1)


@contextmanager
def greeting_421(port: int) -> Iterator[None]:
    """A server that answers every connection with '421' and hangs up."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.sendall(b"421 4.3.2 mx.test closing, try again later\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        listener.close()


def at(day: date, hh: int, mm: int) -> str:
    return f"@{day.isoformat()} {hh:02d}:{mm:02d}:00"  # UTC; New York is 5 hours behind


def attempt(world: World, day: date, hh: int, mm: int) -> None:
    world.run("run", "--once", faketime=at(day, hh, mm))


def state(world: World, day: date) -> str:
    return world.digests()[day.isoformat()][0]


def test_faults_then_recovery_then_a_permanent_failure(world: World) -> None:
    server = world.server
    handler = server.handler
    world.write_config(timeout=2)
    key = DAY.isoformat()

    server.stop()  # 1. nothing listens: connection refused
    attempt(world, DAY, 13, 0)
    assert state(world, DAY) == "retry"

    with greeting_421(server.port):  # 2. a 421 greeting
        attempt(world, DAY, 13, 15)
    assert state(world, DAY) == "retry"
    server.start()

    handler.replies["DATA"] = ["451 4.3.0 temporary failure, try later"]  # 3.
    attempt(world, DAY, 13, 30)
    assert state(world, DAY) == "retry"

    handler.drop_before_accept = True  # 4. connection lost after DATA, nothing accepted
    attempt(world, DAY, 13, 45)
    handler.drop_before_accept = False
    assert state(world, DAY) == "retry"

    handler.hold_data = 6.0  # 5. the server stalls past the 2 s timeout
    attempt(world, DAY, 14, 0)
    handler.hold_data = 0.0
    assert state(world, DAY) == "retry"
    assert server.messages == []

    attempt(world, DAY, 14, 15)  # 6. recovery
    assert state(world, DAY) == "sent"
    assert len(server.messages) == 1
    first_id = server.messages[0].message_id
    assert first_id == world.digests()[key][1]
    attempt(world, DAY, 14, 30)  # and nothing more
    assert len(server.messages) == 1

    # The next day: a permanent refusal.
    nxt = date(2027, 3, 2)
    handler.replies["DATA"] = "550 5.1.1 mailbox unavailable"
    attempt(world, nxt, 13, 0)
    assert state(world, nxt) == "failed"
    attempt(world, nxt, 13, 30)  # permanent: not retried
    assert len(server.messages) == 1
    status = world.run("status", faketime=at(nxt, 13, 40))
    assert "550" in status.stdout + status.stderr
    assert nxt.isoformat() in status.stdout + status.stderr

    # The day after, the digest that gets through says what happened.
    del handler.replies["DATA"]
    third = date(2027, 3, 3)
    attempt(world, third, 13, 0)
    assert state(world, third) == "sent"
    assert len(server.messages) == 2
    body = server.messages[-1].message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "2 March" in text and "550" in text
