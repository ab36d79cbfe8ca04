"""`nudger service install`: --dry-run shows every file and command; the real --user path
runs against a recording `systemctl` placed first on PATH, never the machine's systemd."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from nudger.service import SYSTEM_UNIT, nudger_executable, plan_install
from tests.conftest import Home, run_installed


def test_user_dry_run_prints_the_unit_and_commands(home: Home) -> None:
    out = home.ok("service", "install", "--user", "--dry-run")
    unit = home.root / "home/.config/systemd/user/nudger.service"
    assert f"# write {unit} (mode 0644)" in out
    assert f"ExecStart={nudger_executable()} run" in out
    # The database directory the CLI uses is the one place the sandbox lets it write.
    assert f"ReadWritePaths=-{home.config.parent}" in out
    assert "systemctl --user daemon-reload\n" in out
    assert "systemctl --user enable --now nudger.service" in out
    assert "loginctl enable-linger" in out
    assert not unit.exists()  # nothing was done


def test_user_dry_run_with_an_explicit_config_passes_it_on(home: Home, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text(home.config.read_text())
    out = home.ok("--config", str(other), "service", "install", "--user", "--dry-run")
    assert f"ExecStart={nudger_executable()} --config {other} run" in out


def test_system_dry_run(home: Home) -> None:
    out = home.ok("service", "install", "--system", "--dry-run")
    assert f"# write {SYSTEM_UNIT} (mode 0644, owner root:root)" in out
    assert "User=nudger" in out and "LoadCredential=smtp-password:" in out
    assert "install -d -m 2770 -o nudger -g nudger /var/lib/nudger" in out
    assert "systemctl daemon-reload\nsystemctl enable --now nudger.service" in out
    assert "usermod -aG nudger" in out
    if not Path("/etc/nudger/config.toml").exists():
        assert 'database = "/var/lib/nudger/nudger.db"' in out  # the starter config


def test_system_plan_creates_the_account_only_when_missing() -> None:
    import grp
    import pwd

    plan = plan_install("system", {}, executable=Path("/opt/nudger/bin/nudger"))
    commands = [argv[0] for argv in plan.before]
    try:
        pwd.getpwnam("nudger")
        assert "useradd" not in commands
    except KeyError:
        assert "useradd" in commands
    try:
        grp.getgrnam("nudger")
        assert "groupadd" not in commands
    except KeyError:
        assert "groupadd" in commands


def test_service_without_an_action_is_a_usage_error(home: Home) -> None:
    result = home.run("service")
    assert result.code == 2 and "service install" in result.err


def test_a_broken_config_stops_a_user_install(home: Home) -> None:
    home.write_config('[digest]\ntime = "25:00"\n')
    result = home.run("service", "install", "--user", "--dry-run")
    assert result.code == 78 and "digest.time" in result.err


FAKE_SYSTEMCTL = """#!/bin/sh
echo "$@" >> "{log}"
{fail}
"""


def fake_path(tmp_path: Path, fail: bool = False) -> tuple[dict[str, str], Path]:
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir()
    log = tmp_path / "systemctl.log"
    script = bin_dir / "systemctl"
    script.write_text(FAKE_SYSTEMCTL.format(
        log=log, fail='echo "Failed to connect to bus" >&2; exit 1' if fail else "exit 0"))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home/.config"),
        "XDG_DATA_HOME": str(tmp_path / "home/.local/share"),
        "USER": "alex",
    }
    return env, log


def test_user_install_writes_the_unit_and_runs_systemctl(tmp_path: Path) -> None:
    env, log = fake_path(tmp_path)
    result = run_installed("service", "install", "--user", env=env)
    assert result.returncode == 0, result.stderr
    unit = tmp_path / "home/.config/systemd/user/nudger.service"
    text = unit.read_text()
    assert f"ExecStart={nudger_executable()} run" in text
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644
    assert log.read_text().splitlines() == ["--user daemon-reload",
                                            "--user enable --now nudger.service"]
    assert (tmp_path / "home/.local/share/nudger").is_dir()
    assert "sudo loginctl enable-linger alex" in result.stdout


def test_a_failing_systemctl_is_reported_with_its_output(tmp_path: Path) -> None:
    env, _log = fake_path(tmp_path, fail=True)
    result = run_installed("service", "install", "--user", env=env)
    assert result.returncode == 1
    assert "systemctl --user daemon-reload` failed with status 1: Failed to connect to bus" \
        in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="as root a system install would be real")
def test_a_system_install_needs_root(tmp_path: Path) -> None:
    env, log = fake_path(tmp_path)
    result = run_installed("service", "install", "--system", env=env)
    assert result.returncode == 2 and "sudo nudger service install --system" in result.stderr
    assert not log.exists()
