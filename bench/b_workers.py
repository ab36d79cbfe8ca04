"""The workers' SMTP sending (README, "Running for many seekers"): two hundred messages
through `nudger.send.pool.Relay`, the one connection a worker keeps for all its sends (the
lock its tasks queue on, the rate limiter, the reconnect check, nudger's SmtpTransport),
against bare aiosmtplib sending the same messages over one connection, to the same local
aiosmtpd server in its own process, in the same run. Target: <= 1.1x aiosmtplib's time.
The standard library's smtplib is reported as a reference only (aiosmtplib costs about
twice its CPU per message in any configuration; that is the library's, not nudger's).

The workers' throughput figures (10,000 seekers due at once, 1 and 2 workers, claim time
at 10,000 vs 1,000,000 outbox rows, a worker's memory) need the seekers and the tick's
query, which are not built yet.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
from email.message import EmailMessage
from pathlib import Path

from bench.b_delivery import MESSAGES, REPO, SERVER, _aiosmtplib, _messages, _smtplib
from bench.core import PYTHON, Figure, best_of, interleaved

ROUNDS = 31  # interleaved rounds; each ratio is the median of its per-round ratios


def _relay(port: int, work: Path, messages: list[EmailMessage]) -> None:
    from nudger.config import parse_settings
    from nudger.send.pool import Relay

    settings = parse_settings(
        '[profile]\nemail = "alex@example.com"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nhelo = "bench"\n',
        work / "config.toml")

    async def run() -> None:
        async with Relay(settings, {}, data_dir=work) as relay:
            for message in messages:
                await relay.send(message)

    asyncio.run(run())


def figures(work: Path) -> list[Figure]:
    proc = subprocess.Popen([PYTHON, "-c", SERVER.format(repo=str(REPO))],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        messages = _messages()
        _relay(port, work, messages[:5])  # warm up imports and the server
        _aiosmtplib(port, messages[:5])
        _smtplib(port, messages[:5])
        found = interleaved({
            "relay": lambda: best_of(lambda: _relay(port, work, messages), repeat=1),
            "aiosmtplib": lambda: best_of(lambda: _aiosmtplib(port, messages), repeat=1),
            "smtplib": lambda: best_of(lambda: _smtplib(port, messages), repeat=1),
        }, ROUNDS)
        mine = statistics.median(found["relay"])
        lib = statistics.median(found["aiosmtplib"])
        std = statistics.median(found["smtplib"])
        over_lib = statistics.median(n / b for n, b in zip(found["relay"], found["aiosmtplib"],
                                                           strict=True))
        over_std = statistics.median(n / b for n, b in zip(found["relay"], found["smtplib"],
                                                           strict=True))
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return [
        Figure(
            name=f"workers: {MESSAGES} messages over a worker's relay connection",
            value=MESSAGES / mine, unit="msg/s", target="time <= 1.1x aiosmtplib's",
            ok=over_lib <= 1.1, baseline=f"aiosmtplib {MESSAGES / lib:.0f} msg/s",
            ratio=over_lib,
        ),
        Figure(
            name="workers: the same against stdlib smtplib (reference only)",
            value=MESSAGES / mine, unit="msg/s", target="(reference, no target)",
            ok=True, baseline=f"smtplib {MESSAGES / std:.0f} msg/s", ratio=over_std,
        ),
    ]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for figure in figures(Path(tmp)):
            print(figure.row())
