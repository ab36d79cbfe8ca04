"""Run untrusted work (the user's own templates) in a forked child with hard limits.

Jinja's sandbox decides what a template may touch, not how long it runs or how much it
allocates: `'x'|center(10**10)`, `'{:>9999999999}'|format(1)`, a string doubled with `~`
in a loop, or two nested `range(100000)` loops are all allowed. Intercepting each
construct would be a list that is never complete, so the limits are the kernel's instead:
the child gets RLIMIT_AS (its address space may grow by `memory` bytes), RLIMIT_CPU, and
the parent kills it after `seconds` of wall-clock time. Whatever the template does, the
parent gets an answer within the budget: the result, or a ConfigError that names the
template the child was working on.

The child is forked, so it already holds the data to render (nothing is serialized but
the result). It never touches the database or the terminal and leaves with `os._exit`.
A daemon that is asked to stop kills a child in progress at once (`abort_all`), so a
slow template never delays SIGTERM.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import time
from collections.abc import Callable
from typing import Any, TypeVar

from nudger.errors import ConfigError, NudgerError

T = TypeVar("T")

# The budget of one bounded call (a whole digest, or a whole `check` of every template).
# The shipped templates render a digest of 800 nudges in well under a second; a busy
# machine may be several times slower. A stop never waits for it (`abort_on_signal`), and
# the event loop is back long before systemd's watchdog (WatchdogSec=120s) would notice.
SECONDS = 10.0
MEMORY = 512 * 1024 * 1024

_CHILDREN: set[int] = set()
_ABORTED = [False]
_IN_CHILD = [False]
_PIPE: list[int] = []  # in a child: the write end of its pipe to the parent
_HEADER = struct.Struct("!cI")  # kind (b"p" progress, b"r" result), payload length


def in_child() -> bool:
    return _IN_CHILD[0]


def progress(where: str) -> None:
    """In a child: tell the parent which template is being worked on (named in a timeout
    message). Elsewhere: nothing."""
    if _IN_CHILD[0] and _PIPE:
        _send(b"p", where.encode("utf-8", "replace")[:4096])


def abort_on_signal(signum: int) -> None:
    """Also kill a child in progress the moment `signum` arrives, even while this thread
    waits for it. Call after `loop.add_signal_handler(signum, ...)`: asyncio learns of the
    signal through its wake-up fd, which the C-level handler writes whatever the
    Python-level handler is, so the event loop still runs its own handler afterwards."""
    signal.signal(signum, _abort_handler)


def _abort_handler(signum: int, frame: object) -> None:
    abort_all()


def abort_all() -> None:
    """Kill every child in progress (the daemon is stopping): its call raises at once."""
    _ABORTED[0] = True
    for pid in list(_CHILDREN):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run(fn: Callable[[], T], what: str, *, seconds: float | None = None,
        memory: int | None = None) -> T:
    """`fn()` computed in a child process within `seconds` and `memory`; its result (which
    must pickle) is returned, a ConfigError it raises is raised here. `what` names the
    work in messages ("the templates in /home/alex/.config/nudger/templates")."""
    if _IN_CHILD[0]:
        return fn()
    seconds = SECONDS if seconds is None else seconds
    memory = MEMORY if memory is None else memory
    at, result, timed_out, status = _spawn(fn, seconds, memory)
    where = at or what
    if result is not None:
        kind, value = result
        if kind == "ok":
            return value  # type: ignore[no-any-return,unused-ignore]
        if kind == "config":
            raise ConfigError(value)
        if kind == "memory":
            raise ConfigError(_memory_message(where, memory))
        raise NudgerError(f"{where}: rendering failed: {value}")
    if timed_out:
        raise ConfigError(
            f"{where}: rendering took longer than {seconds:g} s and was stopped; a loop in "
            "the template runs away (nested loops over range()?)")
    if _ABORTED[0]:
        raise ConfigError(f"{where}: rendering was stopped: nudger is stopping")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        raise ConfigError(
            f"{where}: rendering used more than {seconds:g} s of CPU time and was stopped; "
            "a loop in the template runs away (nested loops over range()?)")
    # Out of memory before anything could be reported (the result itself did not fit).
    raise ConfigError(_memory_message(where, memory))


class Overrun(NudgerError):
    """Bounded network work that did not finish within its budget (`run_limited`)."""


def run_limited(fn: Callable[[], T], what: str, *, seconds: float,
                memory: int = MEMORY) -> T:
    """`fn()` (network work that catches its own failures and returns a picklable
    answer) in a child process, stopped after `seconds` of wall-clock time or `memory`
    bytes: a server that trickles a byte at a time, or answers with a gigabyte, costs
    at most that. Overrun says which. A stop (SIGTERM) kills the child at once."""
    if _IN_CHILD[0]:
        return fn()
    at, result, timed_out, _status = _spawn(fn, seconds, memory)
    where = at or what
    if result is not None:
        kind, value = result
        if kind == "ok":
            return value  # type: ignore[no-any-return,unused-ignore]
        if kind == "memory":
            raise Overrun(f"{where}: the answer needed more than "
                          f"{memory // (1024 * 1024)} MB and was not read")
        raise Overrun(f"{where}: failed: {value}")
    if timed_out:
        raise Overrun(f"{where}: no complete answer within {seconds:g} s; stopped")
    if _ABORTED[0]:
        raise Overrun(f"{where}: stopped: nudger is stopping")
    raise Overrun(f"{where}: the answer needed more than {memory // (1024 * 1024)} MB "
                  "(or the CPU time ran out) and was not read")


def _spawn(fn: Callable[[], Any], seconds: float, memory: int
           ) -> tuple[str | None, tuple[str, Any] | None, bool, int]:
    """Fork, run `fn` in the child under the limits, collect its frames: (the last
    progress note, the result frame, whether the wall clock ran out, the exit status)."""
    _ABORTED[0] = False
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; covered through its results
        _child(fn, read_end, write_end, seconds, memory)
    _CHILDREN.add(pid)
    os.close(write_end)
    started = time.monotonic()
    buffer = bytearray()
    timed_out = False
    try:
        while True:
            if _ABORTED[0]:
                # A stop that came before `abort_all` knew the child (just after the
                # fork): kill it here, within one wait of 0.5 s at most.
                break
            left = seconds - (time.monotonic() - started)
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_end], [], [], min(left, 0.5))
            if not ready:
                continue
            chunk = os.read(read_end, 1 << 16)
            if not chunk:
                break
            buffer += chunk
    finally:
        os.close(read_end)
        if timed_out or _ABORTED[0]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _, status = os.waitpid(pid, 0)
        _CHILDREN.discard(pid)
    at, result = _frames(bytes(buffer))
    return at, result, timed_out, status


def _memory_message(where: str, memory: int) -> str:
    return (f"{where}: rendering needs more than {memory // (1024 * 1024)} MB of memory and "
            "was stopped; a filter or a loop builds a huge value (center, format, ~ or * "
            "with a large number?)")


def _frames(data: bytes) -> tuple[str | None, tuple[str, Any] | None]:
    """The last progress note and the result, from what the child wrote."""
    at: str | None = None
    result: tuple[str, Any] | None = None
    offset = 0
    while offset + _HEADER.size <= len(data):
        kind, size = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        payload = data[offset:offset + size]
        if len(payload) < size:
            break
        offset += size
        if kind == b"p":
            at = payload.decode("utf-8", "replace")
        elif kind == b"r":
            try:
                result = pickle.loads(payload)
            except Exception:
                result = None
    return at, result


def _send(kind: bytes, payload: bytes) -> None:
    fd = _PIPE[0]
    data = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _child(fn: Callable[[], Any], read_end: int, write_end: int, seconds: float,
           memory: int) -> None:  # pragma: no cover - runs in the child
    code = 0
    try:
        os.close(read_end)
        _IN_CHILD[0] = True
        _PIPE.append(write_end)
        _limit(seconds, memory)
        try:
            outcome: tuple[str, Any] = ("ok", fn())
        except MemoryError:
            outcome = ("memory", None)
        except ConfigError as exc:
            outcome = ("config", str(exc))
        except BaseException as exc:
            outcome = ("error", f"{type(exc).__name__}: {exc}"[:2000])
        try:
            payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", None))
        except Exception as exc:
            payload = pickle.dumps(("error", f"result not transferable: {exc}"[:2000]))
        _send(b"r", payload)
    except BaseException:
        code = 70
    finally:
        os._exit(code)


def _limit(seconds: float, memory: int) -> None:  # pragma: no cover - runs in the child
    import resource

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1,
                   signal.SIGPIPE):
        try:
            signal.signal(signum, signal.SIG_DFL)
        except (ValueError, OSError):
            pass
    try:
        signal.set_wakeup_fd(-1)  # never wake the parent's event loop
    except (ValueError, OSError):
        pass
    _die_with_parent()
    cpu = int(seconds) + 1
    _lower(resource, resource.RLIMIT_CORE, 0)
    _lower(resource, resource.RLIMIT_CPU, cpu, hard=cpu + 1)
    _lower(resource, resource.RLIMIT_AS, _address_space() + memory)


def _lower(resource: Any, which: int, soft: int, hard: int | None = None) -> None:
    """Lower a limit (never raise one above what the parent had)."""
    try:
        old_soft, old_hard = resource.getrlimit(which)
        hard = soft if hard is None else hard
        if old_hard != resource.RLIM_INFINITY:
            hard = min(hard, old_hard)
            soft = min(soft, hard)
        if old_soft != resource.RLIM_INFINITY:
            soft = min(soft, old_soft)
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


def _address_space() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            pages = int(handle.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 2 * 1024 * 1024 * 1024


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """PR_SET_PDEATHSIG: a parent that dies (SIGKILL) takes its child along."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass
