"""`nudger service install`: --dry-run shows every file and command; the real --user path
runs against a recording `systemctl` placed first on PATH, never the machine's systemd."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from nudger.daemon.service import SYSTEM_UNIT, nudger_executable, plan_install, unreachable
from nudger.errors import NudgerError
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
    problem = unreachable(nudger_executable())
    if problem:  # this checkout is somewhere the service could not run it (under /tmp...)
        result = home.run("service", "install", "--system", "--dry-run")
        assert result.code == 1 and problem in result.err and result.out == ""
        return
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


def write_config(tmp_path: Path) -> None:
    """The config `nudger init` writes: a user service needs one (with profile.email)."""
    config = tmp_path / "home/.config/nudger/config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[profile]\nname = "Alex Rivera"\nemail = "alex@example.com"\n')


def test_user_install_writes_the_unit_and_runs_systemctl(tmp_path: Path) -> None:
    env, log = fake_path(tmp_path)
    write_config(tmp_path)
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
    write_config(tmp_path)
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


def test_a_user_install_without_a_config_says_so_and_stops(tmp_path: Path) -> None:
    env, log = fake_path(tmp_path)
    for args in (["--dry-run"], []):
        result = run_installed("service", "install", "--user", *args, env=env)
        assert result.returncode == 78, result.stderr
        config = tmp_path / "home/.config/nudger/config.toml"
        assert f"{config}: no config file, so the service would mail its digest to " \
            "you@localhost" in result.stderr
        assert "nudger init --name" in result.stderr and "Traceback" not in result.stderr
    assert not log.exists() and not (tmp_path / "home/.config/systemd").exists()
    # A config without profile.email would do the same.
    config.parent.mkdir(parents=True)
    config.write_text('[profile]\nname = "Alex Rivera"\n')
    result = run_installed("service", "install", "--user", "--dry-run", env=env)
    assert result.returncode == 78 and "profile.email is not set" in result.stderr


def fake_venv(root: Path) -> Path:
    """bin/python and a bin/nudger whose #! names it, as pip writes them."""
    bin_dir = root / "venv/bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.symlink_to(sys.executable)
    exe = bin_dir / "nudger"
    exe.write_text(f"#!{python}\nimport sys\nfrom nudger.cli import main\nsys.exit(main())\n")
    exe.chmod(0o755)
    return exe


def test_a_system_install_from_tmp_is_refused() -> None:
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(dir="/tmp", prefix="nudger-venv-"))
    try:
        exe = fake_venv(root)
        with pytest.raises(NudgerError) as info:
            plan_install("system", {}, executable=exe)
        message = str(info.value)
        assert f"{exe} is under /tmp" in message and "PrivateTmp=yes" in message
        assert "203/EXEC" in message and "/opt/nudger/bin/pip install" in message
        # A user unit has PrivateTmp=yes too: the plan warns.
        write = tempfile.mkdtemp(prefix="nudger-home-")
        (Path(write) / ".config/nudger").mkdir(parents=True)
        (Path(write) / ".config/nudger/config.toml").write_text(
            '[profile]\nemail = "a@example.com"\n')
        plan = plan_install("user", {"HOME": write}, executable=exe)
        assert any("WARNING" in note and "PrivateTmp=yes" in note for note in plan.notes)
        shutil.rmtree(write)
    finally:
        shutil.rmtree(root)


def test_a_system_install_from_a_closed_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home/sam"
    exe = fake_venv(home)
    home.chmod(0o700)  # as `useradd -m` makes it on many systems
    try:
        problem = unreachable(exe, top=tmp_path)
        assert problem is not None
        assert f"{exe} is inside {home} (mode 700)" in problem
        assert "`nudger` may not enter" in problem and f"chmod o+x {home}" in problem
        home.chmod(0o711)
        assert unreachable(exe, top=tmp_path) is None
    finally:
        home.chmod(0o755)


def test_an_open_path_is_not_refused(tmp_path: Path) -> None:
    exe = fake_venv(tmp_path / "opt")
    assert unreachable(exe, top=tmp_path) is None


# --- the workers' template (`--workers N`) -------------------------------------------------

def _system_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database: str) -> Path:
    from nudger.daemon import service

    etc = tmp_path / "etc-nudger"
    etc.mkdir()
    config = etc / "config.toml"
    config.write_text(f'database = "{database}"\n[profile]\nname = "Career centre"\n'
                      'email = "careers@example.edu"\n')
    monkeypatch.setattr(service, "SYSTEM_CONFIG_DIR", etc)
    return config


def test_workers_install_the_template_and_enable_n_instances(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nudger.daemon.service import WORKER_UNIT

    _system_config(tmp_path, monkeypatch, "postgresql://nudger@db.example.edu/nudger")
    exe = Path("/opt/nudger/bin/nudger")
    plan = plan_install("system", {}, executable=exe, workers=3)
    [unit] = [f for f in plan.files if f.path == WORKER_UNIT]
    assert (unit.mode, unit.owner) == (0o644, "root:root")
    assert f"ExecStart={exe} worker --concurrency ${{NUDGER_WORKER_CONCURRENCY}}" \
        in unit.content
    assert "@NUDGER@" not in unit.content and "@PROTECT_HOME@" not in unit.content
    assert "ProtectHome=yes" in unit.content and "User=nudger" in unit.content
    assert SYSTEM_UNIT not in [f.path for f in plan.files]  # the daemon's unit is not touched
    assert plan.after == [["systemctl", "daemon-reload"],
                          ["systemctl", "enable", "--now", "nudger-worker@1.service",
                           "nudger-worker@2.service", "nudger-worker@3.service"]]
    described = plan.describe()
    assert f"# write {WORKER_UNIT} (mode 0644, owner root:root)" in described
    assert "nudger status --workers" in described


def test_workers_on_an_sqlite_config_are_refused_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nudger.errors import ConfigError

    config = _system_config(tmp_path, monkeypatch, "/var/lib/nudger/nudger.db")
    with pytest.raises(ConfigError) as refused:
        plan_install("system", {}, executable=Path("/opt/nudger/bin/nudger"), workers=2)
    assert str(refused.value).startswith(f"{config}: database names an SQLite file")
    assert 'database = "postgresql://USER@HOST/DBNAME"' in str(refused.value)
    config.unlink()
    with pytest.raises(ConfigError, match="no config file; the workers need one"):
        plan_install("system", {}, executable=Path("/opt/nudger/bin/nudger"), workers=2)


def test_workers_are_a_system_service_and_a_count_from_1(
        home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nudger.errors import UsageError

    result = home.run("service", "install", "--user", "--workers", "2", "--dry-run")
    assert result.code == 2 and "sudo nudger service install --system --workers 2" \
        in result.err and "Traceback" not in result.err
    _system_config(tmp_path, monkeypatch, "postgresql://nudger@db.example.edu/nudger")
    for count in (0, 65):
        with pytest.raises(UsageError, match=f"--workers {count}: .* from 1 to 64"):
            plan_install("system", {}, executable=Path("/opt/nudger/bin/nudger"),
                         workers=count)
