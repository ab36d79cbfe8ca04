"""`nudger worker` as real subprocesses against the real PostgreSQL the tests start and the
project's SMTP server: two workers send today's digest once; SIGTERM in the middle of a
send gives the claim back within 10 s and the next worker resends it with the same
Message-ID; a worker killed after the relay's 250 and before the mark is taken over once
its lease has run out, again with the same Message-ID."""

from __future__ import annotations

import logging
import re
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nudger.store.pgurl import parse
from tests import pgserver
from tests.conftest import Home
from tests.daemon_helpers import DaemonProcess, config_text, noon_zone, wait_until
from tests.smtpserver import SmtpServer

WORKER_ID = re.compile(r"^[^:]+:(\d+):[0-9a-f]{8}$")


def _config(home: Home, server: SmtpServer, pg_url: str, timeout: float = 5) -> Path:
    zone = noon_zone()
    local = datetime.now(UTC).astimezone(ZoneInfo(zone))
    at = (local - timedelta(hours=1)).strftime("%H:%M")  # due an hour ago, today
    text = config_text(server.smtp_config(home.root, timeout=timeout), zone=zone, at=at)
    text = text.replace('database = "nudger.db"', f'database = "{pg_url}"')
    path = home.root / "worker-config.toml"
    path.write_text(text)
    return path


def _rows(pg_cluster: Any, pg_url: str) -> list[tuple[Any, ...]]:
    return pg_cluster.admin(
        "SELECT state, message_id, claimed_by, lease_until, uncertain, attempts FROM digest",
        dbname=parse(pg_url).dbname)


def _worker(home: Home, config: Path, *args: str) -> DaemonProcess:
    return DaemonProcess(home.root / "home", config, "worker", *args,
                         env={"PGPASSWORD": pgserver.PASSWORD})


@pytest.mark.slow
def test_two_workers_send_todays_digest_once(home: Home, pg_cluster: Any, pg_url: str) -> None:
    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url)
        workers = [_worker(home, config, "--concurrency", "2") for _ in range(2)]
        try:
            for worker in workers:
                worker.wait_log(r"info: worker \S+ started on ")
                worker.wait_ready()
            server.wait_for_messages(1, timeout=30)
            time.sleep(3)  # both had their chance at it
            assert len(server.messages) == 1
            wait_until(lambda: _rows(pg_cluster, pg_url)[0][0] == "sent", 10, "the mark")
            [(state, message_id, claimed_by, lease, _, attempts)] = _rows(pg_cluster, pg_url)
            assert (state, lease, attempts) == ("sent", None, 1)
            assert server.messages[0].message_id == message_id
            found = WORKER_ID.match(claimed_by)
            assert found is not None and int(found[1]) in {w.pid for w in workers}
            started = time.monotonic()
            codes = [w.stop(signal.SIGTERM, timeout=10) for w in workers]
            assert codes == [0, 0] and time.monotonic() - started < 10
            for worker in workers:
                assert worker.log_matches(r"info: worker \S+ stopped")
                assert "Traceback" not in worker.log
        finally:
            for worker in workers:
                worker.close()


@pytest.mark.slow
def test_sigterm_mid_send_gives_the_claim_back_and_the_resend_keeps_the_message_id(
        home: Home, pg_cluster: Any, pg_url: str) -> None:
    with SmtpServer("plain") as server:
        server.handler.hold_data = 60  # the relay sits on the message...
        config = _config(home, server, pg_url, timeout=30)  # ... longer than the grace
        worker = _worker(home, config)
        try:
            wait_until(lambda: server.handler.holding, 30, "the message in DATA")
            started = time.monotonic()
            assert worker.stop(signal.SIGTERM, timeout=10) == 0
            assert time.monotonic() - started < 10
        finally:
            worker.close()
        assert server.messages == []
        [(state, message_id, claimed_by, lease, uncertain, _)] = _rows(pg_cluster, pg_url)
        assert (state, lease, uncertain) == ("retry", None, True)
        assert WORKER_ID.match(claimed_by) and int(WORKER_ID.match(claimed_by)[1]) == \
            worker.pid  # type: ignore[index]
        assert "released for a resend with the same Message-ID" in worker.log, worker.log
        server.handler.hold_data = 0
        again = _worker(home, config)
        try:
            server.wait_for_messages(1, timeout=30)
            wait_until(lambda: _rows(pg_cluster, pg_url)[0][0] == "sent", 10, "the mark")
            assert again.stop() == 0
        finally:
            again.close()
        assert [m.message_id for m in server.messages] == [message_id]
        assert _rows(pg_cluster, pg_url)[0][1] == message_id


@pytest.mark.slow
def test_a_worker_killed_after_the_250_is_taken_over_once_its_lease_ran_out(
        home: Home, pg_cluster: Any, pg_url: str) -> None:
    with SmtpServer("plain") as server:
        config = _config(home, server, pg_url)
        holder: list[DaemonProcess] = []

        def kill_it() -> None:  # the instant the relay accepts, before nudger marks it
            holder[0].send_signal(signal.SIGKILL)

        server.handler.on_accept = kill_it
        holder.append(_worker(home, config))
        try:
            assert holder[0].proc.wait(timeout=30) == -signal.SIGKILL
        finally:
            holder[0].close()
        server.handler.on_accept = None
        [(state, message_id, claimed_by, lease, _, _)] = _rows(pg_cluster, pg_url)
        assert state == "sending" and lease is not None
        # Its lease runs out (as it would after smtp.timeout × 15, at least 5 minutes).
        pg_cluster.admin("UPDATE digest SET lease_until = now() - interval '1 second'",
                         dbname=parse(pg_url).dbname)
        again = _worker(home, config)
        try:
            server.wait_for_messages(2, timeout=30)
            wait_until(lambda: _rows(pg_cluster, pg_url)[0][0] == "sent", 10, "the mark")
            again.wait_log(r"warning: digest of \S+: the lease of " + re.escape(claimed_by))
            assert again.stop() == 0
        finally:
            again.close()
        # The only duplicate possible, and it carries the same Message-ID.
        assert [m.message_id for m in server.messages] == [message_id, message_id]
        [(state, kept, by, _, _, attempts)] = _rows(pg_cluster, pg_url)
        assert (state, kept, attempts) == ("sent", message_id, 2) and by != claimed_by


def test_an_exception_nobody_awaited_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    # What procrastinate leaves when a worker frozen past the stalled timeout comes back:
    # the task recording its job's end fails (the others retried the job meanwhile), and
    # nobody awaits it.
    import asyncio
    import gc

    from procrastinate.exceptions import ConnectorException

    from nudger.workers.run import stray_error_logger

    gone = 'Job was not found or not in "doing" or "todo" status (job id: 1)'

    async def record_the_end() -> None:
        try:
            raise RuntimeError(gone)
        except RuntimeError as exc:
            raise ConnectorException("\n    Database error.\n    ") from exc

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(stray_error_logger("vm:1:abcd"))
        task = asyncio.create_task(record_the_end(), name="process job nudger.send_digest[1]")
        await asyncio.sleep(0.01)
        del task
        gc.collect()

    with caplog.at_level(logging.WARNING, logger="nudger.worker"):
        asyncio.run(main())
    assert [r.getMessage() for r in caplog.records if r.name == "nudger.worker"] == [
        f"worker vm:1:abcd: process job nudger.send_digest[1] failed: {gone}"]
