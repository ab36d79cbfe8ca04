"""The SMTP sink of the workers' throughput runs (bench/b_workers.py), run in its own process:
`python bench/sink.py` prints the port it listens on (loopback, a free one), accepts every
message until its standard input closes, then prints how many it accepted.

It stands for the organisation's relay, which runs on another machine: its CPU on this
two-core machine is taken from the workers being measured, so it does as little as an SMTP
server can — one asyncio protocol that answers each command line with a fixed reply and
finds the end of DATA, nothing parsed, nothing kept. aiosmtpd (the tests' server, and the
sink of the relay figures) spent about 1.2 ms of CPU a message here, a quarter of what a
worker spends on a digest; this one a small fraction of that (the topic reports it).
Enough SMTP for aiosmtplib: the greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT;
commands pipelined in one segment are answered in order.
"""

from __future__ import annotations

import asyncio
import sys
import threading

GREETING = b"220 sink.localhost ESMTP bench sink\r\n"
EHLO = (b"250-sink.localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-PIPELINING\r\n"
        b"250 SIZE 33554432\r\n")
REPLIES = {b"HELO": b"250 sink.localhost\r\n", b"MAIL": b"250 2.1.0 OK\r\n",
           b"RCPT": b"250 2.1.5 OK\r\n", b"DATA": b"354 end with <CR><LF>.<CR><LF>\r\n",
           b"RSET": b"250 2.0.0 OK\r\n", b"NOOP": b"250 2.0.0 OK\r\n",
           b"QUIT": b"221 2.0.0 bye\r\n"}
END = b"\r\n.\r\n"


class Sink(asyncio.Protocol):
    accepted = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(GREETING)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        out = []
        while True:
            if self.in_data:
                # The message ends at CRLF.CRLF (the DATA line's own CRLF, put back in
                # front of it below, counts for an empty message).
                end = buffer.find(END)
                if end < 0:
                    self.buffer = buffer[-4:]  # what the end marker may still start with
                    break
                buffer = buffer[end + len(END):]
                self.in_data = False
                Sink.accepted += 1
                out.append(b"250 2.0.0 OK queued\r\n")
                continue
            line, sep, rest = buffer.partition(b"\r\n")
            if not sep:
                self.buffer = buffer
                break
            buffer = rest
            verb = line[:4].upper()
            if verb == b"EHLO":
                out.append(EHLO)
            else:
                out.append(REPLIES.get(verb, b"500 5.5.2 unknown command\r\n"))
            if verb == b"DATA":
                self.in_data = True
                buffer = b"\r\n" + buffer
            elif verb == b"QUIT":
                self.transport.write(b"".join(out))
                self.transport.close()
                return
        if out:
            self.transport.write(b"".join(out))


async def serve(ready: threading.Event, port: list[int], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", 0)
    port.append(server.sockets[0].getsockname()[1])
    ready.set()
    async with server:
        await stop.wait()


def main() -> None:
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    port: list[int] = []

    def wait_for_stdin() -> None:
        ready.wait()
        print(port[0], flush=True)
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=wait_for_stdin, daemon=True).start()
    loop.run_until_complete(serve(ready, port, stop))
    print(Sink.accepted, flush=True)


if __name__ == "__main__":
    main()
