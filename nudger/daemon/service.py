"""`nudger service install`: the systemd unit for this installation, and what it needs
(`--workers N`: the workers' template, nudger-worker@.service, and N instances of it).

A plan is computed first (files to write, commands to run, things to tell the user);
`--dry-run` prints it, otherwise `apply_plan` carries it out step by step and stops at the
first failure with the command and its output. The shipped units (systemd/) carry
placeholders that rendering replaces: `@NUDGER@` (this installation's `nudger`),
`@PROTECT_HOME@` (system unit: `read-only` when nudger itself lives under a home
directory, else `yes`) and `@STATE_DIR@` (user unit: the database's directory, the only
place it may write).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nudger.errors import ConfigError, NudgerError, UsageError
from nudger.resources import resource_path

Kind = Literal["system", "user"]

SERVICE_USER = "nudger"
SYSTEM_UNIT = Path("/etc/systemd/system/nudger.service")
WORKER_UNIT = Path("/etc/systemd/system/nudger-worker@.service")
WORKER_TEMPLATE = "nudger-worker@.service"  # the shipped template (systemd/)
MAX_WORKERS = 64  # instances `--workers` enables on one machine at most
SYSTEM_CONFIG_DIR = Path("/etc/nudger")
SYSTEM_STATE_DIR = Path("/var/lib/nudger")
PASSWORD_FILE = SYSTEM_CONFIG_DIR / "smtp-password"
HOME_TREES = (Path("/home"), Path("/root"), Path("/run/user"))


@dataclass(frozen=True)
class FileWrite:
    path: Path
    content: str
    mode: int
    owner: str | None = None  # "user:group" to chown to (system installs)
    why: str = ""


@dataclass
class Plan:
    kind: Kind
    unit: Path
    files: list[FileWrite] = field(default_factory=list)
    before: list[list[str]] = field(default_factory=list)  # run before writing the files
    after: list[list[str]] = field(default_factory=list)  # run after writing them
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Everything the install would do, as a reader (or a shell) would follow it."""
        out = [f"# nudger service install --{self.kind}: nothing below has been done", ""]
        for argv in self.before:
            out.append(shlex.join(argv))
        for item in self.files:
            owner = f", owner {item.owner}" if item.owner else ""
            why = f"  ({item.why})" if item.why else ""
            out += ["", f"# write {item.path} (mode {item.mode:04o}{owner}){why}"]
            if item.content:
                out += ["----- 8< -----", item.content.rstrip("\n"), "----- 8< -----"]
            else:
                out.append("# (an empty file)")
        if self.after:
            out.append("")
        for argv in self.after:
            out.append(shlex.join(argv))
        if self.notes:
            out += ["", *self.notes]
        return "\n".join(out)


# --- rendering -----------------------------------------------------------------------------

def nudger_executable() -> Path:
    """This installation's console script: beside sys.executable (a venv's bin/), else PATH.

    Not resolved through symlinks: a venv's python is a link to the system's, and the unit
    must name the venv's `nudger`.
    """
    candidate = Path(sys.executable).parent / "nudger"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate.absolute()
    found = shutil.which("nudger")
    if found:
        return Path(found).absolute()
    raise NudgerError(
        f"cannot find this installation's `nudger` script (looked beside {sys.executable} "
        "and on PATH); install nudger with pip into a virtual environment first"
    )


def systemd_word(text: str) -> str:
    """One argument of an Exec line: quoted when needed, `%` doubled (a unit specifier)."""
    escaped = text.replace("%", "%%")
    if re.fullmatch(r"[A-Za-z0-9/._+@=:,-]+", escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path_setting(path: Path) -> str:
    """A path in a *Paths= setting: quoted if it has spaces, missing ones tolerated."""
    text = str(path).replace("%", "%%")
    return f'"-{text}"' if " " in text else f"-{text}"


def under_home(path: Path) -> bool:
    return any(path == tree or tree in path.parents for tree in HOME_TREES)


def render_unit(kind: Kind, executable: Path, config: Path | None = None,
                writable: tuple[Path, ...] = (), *, unit: str | None = None) -> str:
    """The unit text for this installation (`unit`: another shipped unit of that kind,
    such as the workers' template nudger-worker@.service)."""
    name = unit or ("nudger.service" if kind == "system" else "nudger-user.service")
    text = (resource_path("systemd") / name).read_text(encoding="utf-8")
    exec_start = systemd_word(str(executable))
    if config is not None:
        exec_start += " --config " + systemd_word(str(config))
    text = text.replace("@NUDGER@", exec_start)
    text = text.replace("@PROTECT_HOME@", "read-only" if under_home(executable) else "yes")
    text = text.replace("@STATE_DIR@", " ".join(_path_setting(p) for p in writable))
    return text


# --- planning ------------------------------------------------------------------------------

def plan_install(kind: Kind, env: Mapping[str, str], config: Path | None = None,
                 executable: Path | None = None, workers: int | None = None) -> Plan:
    """What installing the unit means on this machine now (it reads, never changes).
    Refuses (NudgerError) an installation the unit could not start. `workers`: install
    the workers' template instead of the daemon's unit and enable that many instances
    (system only)."""
    exe = executable or nudger_executable()
    if workers is not None and kind != "system":
        raise UsageError("workers run as a system service (the template "
                         "nudger-worker@.service): `sudo nudger service install --system "
                         f"--workers {workers}`")
    if kind == "system":
        problem = unreachable(exe)
        if problem:
            raise NudgerError(problem)
        if workers is not None:
            return _plan_workers(exe, workers, SYSTEM_CONFIG_DIR / "config.toml")
        return _plan_system(exe)
    return _plan_user(exe, env, config)


# Where a unit with PrivateTmp=yes sees an empty directory of its own instead.
PRIVATE_TMP = (Path("/tmp"), Path("/var/tmp"))
SYSTEM_FIX = ("install nudger where the service can reach it, e.g. `sudo python3 -m venv "
              "/opt/nudger && sudo /opt/nudger/bin/pip install /path/to/nudger && sudo "
              "/opt/nudger/bin/nudger service install --system`")


def interpreter(exe: Path) -> Path | None:
    """The `#!` interpreter of a console script (a venv's python), if it names one."""
    try:
        with exe.open("rb") as handle:
            first = handle.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    words = first[2:].decode("utf-8", "replace").split()
    return Path(words[0]) if words and words[0].startswith("/") else None


def closed_directory(path: Path, top: Path = Path("/")) -> Path | None:
    """The first directory from `top` down to `path` that other users may not enter (no
    o+x): the system service runs as its own user, which is 'other' to them."""
    chain = [p for p in reversed(path.parents) if top in p.parents]
    for directory in chain:
        try:
            mode = directory.stat().st_mode
        except OSError:
            return None  # not there (yet): nothing to say about its permissions
        if not mode & 0o001:
            return directory
    return None


def unreachable(exe: Path, top: Path = Path("/")) -> str | None:
    """Why the system unit could not start `exe` (status 203/EXEC), or None: it has
    PrivateTmp=yes (/tmp and /var/tmp are empty for it) and runs as user `nudger`, so the
    script and its interpreter must lie outside those and in directories others may enter.
    `top` is where the permission walk starts (the root in use; tests use a folder)."""
    for path in (exe, interpreter(exe)):
        if path is None:
            continue
        for tmp in (top / t.relative_to("/") for t in PRIVATE_TMP):
            if tmp in path.parents:
                return (f"{path} is under {tmp}, which the service cannot see (its unit has "
                        f"PrivateTmp=yes: it gets an empty {tmp} of its own) and which is "
                        f"cleaned at boot; it would fail to start with status 203/EXEC. "
                        f"{SYSTEM_FIX[:1].upper()}{SYSTEM_FIX[1:]}")
        closed = closed_directory(path, top)
        if closed is not None:
            return (f"{path} is inside {closed} (mode {closed.stat().st_mode & 0o777:o}), "
                    f"which the service's user `{SERVICE_USER}` may not enter; it would fail "
                    f"to start with status 203/EXEC. {SYSTEM_FIX[:1].upper()}{SYSTEM_FIX[1:]} "
                    f"(or `chmod o+x {closed}`)")
    return None


def _exists(lookup: Callable[[str], object], name: str) -> bool:
    try:
        lookup(name)
    except KeyError:
        return False
    return True


def _system_account(plan: Plan) -> None:
    """The `nudger` user and group, /etc/nudger and /var/lib/nudger, when missing."""
    if not _exists(grp.getgrnam, SERVICE_USER):
        plan.before.append(["groupadd", "--system", SERVICE_USER])
    if not _exists(pwd.getpwnam, SERVICE_USER):
        plan.before.append([
            "useradd", "--system", "--gid", SERVICE_USER, "--home-dir", str(SYSTEM_STATE_DIR),
            "--no-create-home", "--shell", "/usr/sbin/nologin", "--comment", "nudger daemon",
            SERVICE_USER,
        ])
    # Created now (systemd would on first start) so CLI users can work straight away;
    # setgid: files created inside get the nudger group whoever creates them.
    plan.before.append(["install", "-d", "-m", "0750", "-o", "root", "-g", SERVICE_USER,
                        str(SYSTEM_CONFIG_DIR)])
    plan.before.append(["install", "-d", "-m", "2770", "-o", SERVICE_USER, "-g", SERVICE_USER,
                        str(SYSTEM_STATE_DIR)])


def _password_file(plan: Plan) -> None:
    if not PASSWORD_FILE.exists():
        # LoadCredential= fails the unit when its file is missing; an empty one means
        # "no password" (Maildir delivery, or a server without AUTH).
        plan.files.append(FileWrite(PASSWORD_FILE, "", 0o600, "root:root",
                                    "the SMTP password goes here, read only by systemd"))


def _plan_system(exe: Path) -> Plan:
    from nudger.starter import starter_config

    plan = Plan("system", SYSTEM_UNIT)
    _system_account(plan)
    config = SYSTEM_CONFIG_DIR / "config.toml"
    if not config.exists():
        plan.files.append(FileWrite(
            config, starter_config(database=str(SYSTEM_STATE_DIR / "nudger.db")), 0o640,
            f"root:{SERVICE_USER}", "a starter config: edit it, then `systemctl reload nudger`",
        ))
    _password_file(plan)
    plan.files.append(FileWrite(SYSTEM_UNIT, render_unit("system", exe), 0o644, "root:root"))
    plan.after.append(["systemctl", "daemon-reload"])
    plan.after.append(["systemctl", "enable", "--now", "nudger.service"])
    plan.notes += [
        "# then:",
        f"#   edit {config} (your name, email, delivery) and `sudo systemctl reload nudger`",
        f"#   put the SMTP password in {PASSWORD_FILE} (mode 0600, root) and",
        "#   `sudo systemctl restart nudger`",
        "#   let a user run the CLI on the same database: `sudo usermod -aG nudger USER`,",
        f"#   then (after logging in again) `export NUDGER_CONFIG={config}`",
        "#   watch it: `journalctl -u nudger -f`, `nudger status`",
    ]
    return plan


def _plan_workers(exe: Path, count: int, config: Path) -> Plan:
    """The workers' template and `count` instances of it. The workers share a PostgreSQL
    database, so the config must already name one: a unit started on the starter config's
    SQLite file would only fail (exit 78) at once."""
    from nudger.config import ConfigLocation, load_settings

    if not 1 <= count <= MAX_WORKERS:
        raise UsageError(f"--workers {count}: give how many workers this machine runs, "
                         f"from 1 to {MAX_WORKERS} (e.g. --workers 2, one per core)")
    if not config.exists():
        raise ConfigError(
            f"{config}: no config file; the workers need one naming the PostgreSQL "
            "database (`database = \"postgresql://USER@HOST/DBNAME\"`) and the relay. "
            "Write it first (README, \"Running for many seekers\"), then run "
            f"`sudo nudger service install --system --workers {count}` again")
    settings = load_settings(ConfigLocation(config, True))
    if not settings.is_postgres:
        raise ConfigError(
            f"{config}: database names an SQLite file, and the workers share one PostgreSQL "
            "database (an SQLite file cannot be shared between machines): set `database = "
            "\"postgresql://USER@HOST/DBNAME\"` there (README, \"Many seekers on "
            f"PostgreSQL\"), then run `sudo nudger service install --system --workers {count}`"
            " again; or install the single daemon, `sudo nudger service install --system`")
    plan = Plan("system", WORKER_UNIT)
    _system_account(plan)
    _password_file(plan)
    plan.files.append(FileWrite(WORKER_UNIT, render_unit("system", exe, unit=WORKER_TEMPLATE),
                                0o644, "root:root"))
    plan.after.append(["systemctl", "daemon-reload"])
    plan.after.append(["systemctl", "enable", "--now",
                       *(f"nudger-worker@{n}.service" for n in range(1, count + 1))])
    plan.notes += [
        "# then:",
        "#   how many digests each worker sends at once: NUDGER_WORKER_CONCURRENCY=8 in",
        f"#   {SYSTEM_CONFIG_DIR / 'worker.env'} (default 4), then",
        "#   `sudo systemctl restart 'nudger-worker@*'`",
        f"#   the relay's password goes in {PASSWORD_FILE} (mode 0600, root), the",
        "#   database's in database_password_file (owned by nudger, mode 0600)",
        "#   watch them: `journalctl -u 'nudger-worker@*' -f`, `nudger status --workers`",
    ]
    return plan


def _plan_user(exe: Path, env: Mapping[str, str], config: Path | None) -> Plan:
    from nudger.config import ConfigLocation, find_config_path, load_settings
    from nudger.store.db import database_path

    location = (ConfigLocation(config, True) if config is not None
                else find_config_path(None, env))
    if not location.path.exists():
        raise ConfigError(
            f"{location.path}: no config file, so the service would mail its digest to "
            "you@localhost; write yours first: `nudger init --name \"Your Name\" --email "
            "you@example.com`, then run `nudger service install --user` again")
    settings = load_settings(location)
    if not settings.profile.email:
        raise ConfigError(
            f"{location.path}: profile.email is not set, so the service would mail its "
            "digest to you@localhost; set it (email = \"you@example.com\" under [profile]) "
            "and run `nudger service install --user` again")
    # A user unit has PrivateTmp=yes too: say so (a system install refuses outright).
    tmp_warning = next((
        f"# WARNING: {exe} is under {tmp}, which the unit cannot see (PrivateTmp=yes) and "
        "which is cleaned at boot:\n# it would fail with status 203/EXEC. Install nudger "
        "where it stays, e.g. into ~/.local/share/nudger/venv, and run this from there."
        for tmp in PRIVATE_TMP if tmp in exe.parents), None)
    database_dir = database_path(settings, env).parent
    writable = [database_dir]
    if settings.delivery.maildir:
        writable.append(settings.resolve(settings.delivery.maildir))
    home = Path(env.get("HOME") or Path.home())
    config_home = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") \
        else home / ".config"
    unit = config_home / "systemd" / "user" / "nudger.service"
    plan = Plan("user", unit)
    plan.before.append(["mkdir", "-p", str(database_dir)])
    plan.files.append(FileWrite(
        unit, render_unit("user", exe, config.absolute() if config else None,
                          tuple(writable)), 0o644))
    plan.after.append(["systemctl", "--user", "daemon-reload"])
    plan.after.append(["systemctl", "--user", "enable", "--now", "nudger.service"])
    user = env.get("USER") or env.get("LOGNAME") or "$USER"
    if tmp_warning:
        plan.notes.append(tmp_warning)
    plan.notes += [
        "# A user service runs while you are logged in. To keep it running when you are",
        "# not (digest.time comes whether or not you have a session open):",
        f"#   sudo loginctl enable-linger {user}",
        f"# config: {location.path}; database: {database_dir}",
        "# watch it: `journalctl --user -u nudger -f`, `nudger status`",
    ]
    return plan


# --- applying ------------------------------------------------------------------------------

def apply_plan(plan: Plan, say: Callable[[str], None]) -> None:
    if plan.kind == "system" and os.geteuid() != 0:
        raise UsageError("a system install needs root: `sudo nudger service install --system`"
                         " (or `nudger service install --user` for your own user manager)")
    if shutil.which("systemctl") is None:
        raise NudgerError("systemctl not found: this machine does not run systemd. Run "
                          "`nudger run` under your own supervisor, or `nudger run --once` "
                          "from cron")
    for argv in plan.before:
        _run(argv, say)
    for item in plan.files:
        _write(item, say)
    for argv in plan.after:
        _run(argv, say)
    for note in plan.notes:
        say(note)


def _run(argv: list[str], say: Callable[[str], None]) -> None:
    say(f"$ {shlex.join(argv)}")
    try:
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NudgerError(f"`{shlex.join(argv)}` could not run: {exc}") from None
    if result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise NudgerError(f"`{shlex.join(argv)}` failed with status {result.returncode}: "
                          f"{output or '(no output)'}; nothing after it was done")


def _write(item: FileWrite, say: Callable[[str], None]) -> None:
    from nudger.files import atomic_write

    say(f"write {item.path}")
    try:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(item.path, item.content, perms=item.mode, owner=item.owner or None)
    except (OSError, LookupError) as exc:
        raise NudgerError(f"cannot write {item.path}: {exc}") from None
