"""The shipped units, rendered for this installation, pass systemd-analyze verify and its
offline security review (system unit ≤ 1.2, user unit ≤ 2.5)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nudger.daemon.service import nudger_executable, render_unit
from nudger.resources import resource_path

ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)")


def analyze(*args: str, user: bool, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    assert ANALYZE is not None
    env = {**os.environ, "SYSTEMD_LOG_COLOR": "0", "SYSTEMD_COLORS": "0"}
    if user:
        # The user-manager mode wants a runtime directory even offline.
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
    argv = [ANALYZE, *(["--user"] if user else []), *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60,
                          check=False)


def rendered(tmp_path: Path, kind: str) -> Path:
    directory = tmp_path / kind
    directory.mkdir()
    path = directory / "nudger.service"
    text = render_unit("system" if kind == "system" else "user", nudger_executable(),
                       writable=(tmp_path / "state",))
    path.write_text(text)
    return path


def exposure(output: str) -> float:
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d)", output)
    assert found, output
    return float(found.group(1))


def test_the_units_carry_the_placeholders_and_rendering_fills_them(tmp_path: Path) -> None:
    for name in ("nudger.service", "nudger-user.service"):
        assert "ExecStart=@NUDGER@ run" in (resource_path("systemd") / name).read_text()
    text = render_unit("system", Path("/opt/nudger/bin/nudger"))
    assert "ExecStart=/opt/nudger/bin/nudger run\n" in text and "@" not in re.sub(
        r"SystemCallFilter=.*", "", text)
    assert "ProtectHome=yes" in text
    # nudger installed under /home: the unit must still be able to run it.
    assert "ProtectHome=read-only" in render_unit("system", Path("/home/alex/venv/bin/nudger"))
    spaced = render_unit("user", Path("/opt/my tools/bin/nudger"), Path("/etc/n%s.toml"),
                         (Path("/var/lib/my data"),))
    assert 'ExecStart="/opt/my tools/bin/nudger" --config "/etc/n%%s.toml" run' in spaced
    assert 'ReadWritePaths="-/var/lib/my data"' in spaced


def test_the_system_unit_has_what_the_design_asks() -> None:
    text = render_unit("system", Path("/opt/nudger/bin/nudger"))
    settings = dict(line.split("=", 1) for line in text.splitlines()
                    if "=" in line and not line.startswith("#")
                    and not line.startswith("SystemCallFilter"))
    assert settings["Type"] == "notify"
    assert settings["User"] == settings["Group"] == "nudger"
    assert settings["StateDirectory"] == "nudger" and settings["ConfigurationDirectory"] == "nudger"
    assert settings["LoadCredential"] == "smtp-password:/etc/nudger/smtp-password"
    assert settings["ExecReload"] == "kill -HUP $MAINPID"
    assert settings["Restart"] == "on-failure" and settings["RestartPreventExitStatus"] == "78"
    assert settings["WatchdogSec"] and settings["UMask"] == "0007"
    assert "DynamicUser" not in settings


@needs_analyze
@pytest.mark.parametrize("kind", ["system", "user"])
def test_verify_passes(tmp_path: Path, kind: str) -> None:
    unit = rendered(tmp_path, kind)
    result = analyze("verify", str(unit), user=kind == "user", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "nudger.service" not in result.stderr, result.stderr  # no warnings about it


@needs_analyze
def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    # The check above can fail: an unrendered placeholder is not an executable path.
    unit = tmp_path / "nudger.service"
    unit.write_text((resource_path("systemd") / "nudger.service").read_text())
    result = analyze("verify", str(unit), user=False, tmp_path=tmp_path)
    assert result.returncode != 0 or "@NUDGER@" in result.stderr


@needs_analyze
@pytest.mark.parametrize(("kind", "ceiling"), [("system", 1.2), ("user", 2.5)])
def test_security_exposure(tmp_path: Path, kind: str, ceiling: float) -> None:
    unit = rendered(tmp_path, kind)
    result = analyze("security", "--offline=true", str(unit), user=kind == "user",
                     tmp_path=tmp_path)
    level = exposure(result.stdout)
    assert level <= ceiling, result.stdout


@needs_analyze
def test_security_of_a_home_installation_still_within_target(tmp_path: Path) -> None:
    unit = tmp_path / "nudger.service"
    text = render_unit("system", nudger_executable())
    unit.write_text(text.replace("ProtectHome=yes", "ProtectHome=read-only"))
    result = analyze("security", "--offline=true", str(unit), user=False, tmp_path=tmp_path)
    assert exposure(result.stdout) <= 1.2, result.stdout


# --- the workers' template (nudger-worker@.service) ----------------------------------------

WORKER_UNIT = "nudger-worker@.service"


def rendered_worker(tmp_path: Path) -> Path:
    path = tmp_path / WORKER_UNIT
    path.write_text(render_unit("system", nudger_executable(), unit=WORKER_UNIT))
    return path


def test_the_worker_template_runs_nudger_worker_like_the_daemon() -> None:
    shipped = (resource_path("systemd") / WORKER_UNIT).read_text()
    assert "ExecStart=@NUDGER@ worker --concurrency ${NUDGER_WORKER_CONCURRENCY}" in shipped
    text = render_unit("system", Path("/opt/nudger/bin/nudger"), unit=WORKER_UNIT)
    settings = dict(line.split("=", 1) for line in text.splitlines()
                    if "=" in line and not line.startswith("#")
                    and not line.startswith(("SystemCallFilter", "Environment")))
    assert settings["ExecStart"].startswith("/opt/nudger/bin/nudger worker --concurrency")
    assert settings["Type"] == "notify" and settings["WatchdogSec"]
    assert settings["User"] == settings["Group"] == "nudger"
    assert settings["Restart"] == "on-failure" and settings["RestartPreventExitStatus"] == "78"
    assert settings["LoadCredential"] == "smtp-password:/etc/nudger/smtp-password"
    # A stop finishes within 10 s (workers/run.py): systemd waits longer than that.
    assert int(settings["TimeoutStopSec"].rstrip("s")) > 10
    assert "ExecReload" not in settings and "DynamicUser" not in settings
    # As hardened as the daemon's unit: every hardening line of nudger.service is here.
    daemon = render_unit("system", Path("/opt/nudger/bin/nudger"))
    hardening = daemon[daemon.index("# Hardening"):]
    for line in hardening.splitlines():
        if line and not line.startswith(("#", "[", "WantedBy")):
            assert line in text.splitlines(), line


@needs_analyze
def test_the_worker_template_verifies(tmp_path: Path) -> None:
    unit = rendered_worker(tmp_path)
    instance = tmp_path / "nudger-worker@1.service"
    instance.symlink_to(unit)
    result = analyze("verify", str(instance), user=False, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "nudger-worker" not in result.stderr, result.stderr


@needs_analyze
def test_the_worker_template_is_as_hardened_as_the_daemon(tmp_path: Path) -> None:
    unit = rendered_worker(tmp_path)
    instance = tmp_path / "nudger-worker@1.service"
    instance.symlink_to(unit)
    result = analyze("security", "--offline=true", str(instance), user=False,
                     tmp_path=tmp_path)
    assert exposure(result.stdout) <= 1.2, result.stdout
