"""Issue 13, class 9: inputs that ended in a traceback (or a hang, or a silent death)
now get one clear message and the right exit status, through the installed program."""

from __future__ import annotations

import json
import os
import signal

from tests.e2e.conftest import Tail, World, wait_for
from tests.e2e.test_reload import NOW

HUGE = str(2**63)
ID_COMMANDS = [
    ("show", HUGE), ("edit", HUGE, "--role", "X"), ("rm", HUGE), ("log", HUGE, "email"),
    ("stage", HUGE, "rejected"), ("snooze", HUGE, "3 days"), ("contact", HUGE, "Dana"),
    ("done", HUGE), ("skip", HUGE), ("contact", "1", "--rm", str(2**64)),
    ("show", "99999999999999999999999999999999"),
]


def _no_traceback(result: object) -> None:
    text = getattr(result, "stdout", "") + getattr(result, "stderr", "")
    assert "Traceback" not in text and "Error:" not in text.replace("nudger:", ""), text


def test_ids_beyond_64_bits_are_refused_as_usage(world: World) -> None:
    for args in ID_COMMANDS:
        result = world.run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert "ID (IDs are whole numbers from 1 to 9223372036854775807" in result.stderr
        _no_traceback(result)


def test_a_non_utf8_argument_is_refused_and_nothing_is_stored(world: World) -> None:
    before = world.rows("SELECT count(*) FROM application")
    result = world.run("add", "Bad\udcffCo", "Seller")  # the bytes b"Bad\xffCo" in argv
    assert result.returncode == 2, result.stderr
    assert "argument 2 ('Bad\\\\xffCo') is not UTF-8 text (byte 0xff at 3)" in result.stderr
    _no_traceback(result)
    assert world.rows("SELECT count(*) FROM application") == before


def _import(world: World, app: dict[str, object]) -> tuple[str, int]:
    base = {"id": 7, "company": "Initech", "role": "Seller", "stage": "applied",
            "applied_on": "2026-11-20", "stage_since": "2026-11-20"}
    path = world.root / "in.json"
    path.write_text(json.dumps({"format": "nudger", "version": 1,
                                "applications": [{**base, **app}]}), encoding="utf-8")
    result = world.run("import", str(path))
    _no_traceback(result)
    return result.stderr, result.returncode


def test_hostile_json_imports_get_a_message(world: World) -> None:
    before = world.rows("SELECT count(*) FROM application")
    err, code = _import(world, {"company": "Bad\ud800Co"})
    assert code == 1 and "applications[0].company): holds a lone surrogate (\\ud800" in err
    err, code = _import(world, {"created_at": "0001-01-01T00:00:00+05:00"})
    assert code == 1 and "applications[0].created_at): '0001-01-01T00:00:00+05:00' is out " \
        "of range" in err
    err, code = _import(world, {"touches": [{"action": "email", "touched_on": "2026-11-21",
                                             "stage": "applied", "step": 2**70}]})
    assert code == 1 and "touches[0].step): 1180591620717411303424 is not a step" in err
    assert world.rows("SELECT count(*) FROM application") == before
    # An ID beyond 64 bits is renumbered, not stored (and not a crash).
    err, code = _import(world, {"id": 2**70})
    assert code == 0, err
    assert world.rows("SELECT count(*) FROM application WHERE company = 'Initech'") == [(1,)]


def test_digest_date_at_the_ends_of_the_range(world: World) -> None:
    for day, ok in (("1900-01-01", True), ("9000-12-31", True), ("0001-01-01", False),
                    ("9999-12-31", False)):
        result = world.run("digest", "--date", day)
        _no_traceback(result)
        if ok:
            assert result.returncode == 0, (day, result.stderr)
        else:
            assert result.returncode == 2, (day, result.stderr)
            assert "is out of range; nudger accepts dates from 1900-01-01 to 9000-12-31" \
                in result.stderr


def test_config_nested_500_deep_is_a_config_error_and_a_bom_is_accepted(
        world: World) -> None:
    good = world.config.read_bytes()
    world.config.write_text("x = " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    result = world.run("check")
    assert result.returncode == 78, result.stderr
    assert "nested too deeply" in result.stderr
    _no_traceback(result)
    world.config.write_bytes(b"\xef\xbb\xbf" + good)  # as Notepad saves UTF-8
    assert "Acme" in world.ok("list")


def test_thousands_of_unknown_keys_give_a_bounded_message(world: World) -> None:
    keys = "".join(f"unknown_{i} = {i}\n" for i in range(16_000))
    world.config.write_text(keys + world.config.read_text(), encoding="utf-8")
    result = world.run("check", timeout=120)
    assert result.returncode == 78, result.stderr[-500:]
    assert "invalid config (16000 problems)" in result.stderr
    assert "... and 15980 more" in result.stderr
    assert len(result.stderr.splitlines()) < 40


def test_a_fifo_among_the_templates_does_not_hang_check(world: World) -> None:
    templates = world.root / "templates"
    templates.mkdir()
    os.mkfifo(templates / "digest.txt.j2")
    result = world.run("check", timeout=60)
    assert result.returncode == 78, result.stderr
    assert f"{templates / 'digest.txt.j2'}: not a regular file (a FIFO)" in result.stderr


def test_sigusr1_is_logged_and_the_daemon_goes_on(world: World) -> None:
    proc = world.spawn("run", faketime=NOW)
    log = Tail(proc)
    try:
        assert wait_for(lambda: len(world.server.messages) == 1, timeout=30), log.text()
        for signum in (signal.SIGUSR1, signal.SIGUSR2):
            proc.send_signal(signum)
            assert log.has(f"{signal.Signals(signum).name} received: ignored"), log.text()
        assert log.still_serving(), log.text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert proc.returncode == 0, log.text()
