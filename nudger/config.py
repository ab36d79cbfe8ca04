"""config.toml → one frozen, validated `Settings`: the tables, their checks, finding and
loading the file.

Every error names the file, the line (where the TOML text lets us find it), the key, the
value and what would be valid (nudger.configerrors words them), and is raised as
`ConfigError` (exit 78). Nothing here reads the process environment: callers pass it in
(`find_config_path(..., env=os.environ)`).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, Field, PlainValidator, ValidationError, model_validator

from nudger import configerrors
from nudger.errors import ConfigError
from nudger.schema import DurationField, OneLine, one_line
from nudger.schema import Table as _Table
from nudger.servers import Caldav, Imap, ServerTable, Smtp
from nudger.vocab import ActionName, OpenStageName, WeekdayName, is_email
from nudger.when.durations import Duration, parse_duration

CONFIG_NAME = "config.toml"


# --- value checks -----------------------------------------------------------------------

def _clock(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise ValueError("must be a 24-hour time like \"07:30\"")
    hour, minute = (int(part) for part in value.strip().split(":"))
    if hour > 23 or minute > 59:
        raise ValueError("must be a 24-hour time between \"00:00\" and \"23:59\"")
    return time(hour, minute)


def _email(value: str) -> str:
    one_line(value)
    if value and not is_email(value):
        raise ValueError("must be an email address like alex@example.com")
    return value


def _database(value: str | None) -> str | None:
    """A path (SQLite) as it was; a URL must be a PostgreSQL one without a password."""
    if value is None or "://" not in value:
        return value  # a path: nothing to import for it (every command passes here)
    from nudger.store import pgurl

    if pgurl.is_url(value):
        pgurl.parse(value)  # ValueError with what is wrong
    return value


def _timezone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        near = difflib.get_close_matches(value, sorted(available_timezones()), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ValueError(
            f"is not an IANA time zone name{hint}; write one like \"America/Chicago\""
        ) from None
    return value


def _country(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    from nudger.when import (
        holidays as holidaycache,  # the package itself only when the cache is cold
    )

    supported = holidaycache.default().supported()
    if value.upper() not in supported:
        near = difflib.get_close_matches(value.upper(), sorted(supported), n=3)
        hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
        raise ValueError(
            f"is not a country code the holidays package knows{hint}; "
            "use an ISO 3166 code like \"US\", \"GB\", \"DE\""
        )
    return value.upper()


ClockField = Annotated[time, PlainValidator(_clock)]
EmailField = Annotated[str, AfterValidator(_email)]
# TOML arrays arrive as lists; strict mode would refuse them for a tuple. Items stay strict.
Days = Annotated[tuple[WeekdayName, ...], Field(strict=False)]


# --- the tables -------------------------------------------------------------------------

class Profile(_Table):
    name: OneLine = ""
    email: EmailField = ""
    phone: OneLine = ""
    pitch: str = ""
    signature: str = ""
    social: OneLine = ""  # the user's own handle or profile URL, used in social drafts


class Digest(_Table):
    time: ClockField = time(7, 30)
    days: Days = ("mon", "tue", "wed", "thu", "fri")
    send_when_empty: bool = False
    catch_up: DurationField = Duration(12, "hours")
    effort_day: WeekdayName = "mon"  # the weekday whose digest carries the weekly effort chart

    @model_validator(mode="after")
    def _check(self) -> Digest:
        if not self.days:
            raise ValueError("digest.days is empty: list at least one day, e.g. [\"mon\"]")
        if self.catch_up.is_business:
            raise ValueError("digest.catch_up must be in hours or days, not business days")
        return self


class CalendarTable(_Table):
    holidays: Annotated[str | None, AfterValidator(_country)] = None
    region: OneLine | None = None  # a subdivision like "CA" or "BY"
    weekend: Days = ("sat", "sun")

    @model_validator(mode="after")
    def _check(self) -> CalendarTable:
        if self.region and not self.holidays:
            raise ValueError("calendar.region needs calendar.holidays (the country) too")
        if self.region and self.holidays:
            from nudger.when import holidays as holidaycache

            regions = holidaycache.default().supported()[self.holidays]
            if self.region.upper() not in regions:
                raise ValueError(
                    f"calendar.region {self.region!r} is not a region of {self.holidays}; "
                    f"valid: {', '.join(regions)}"
                )
        if len(set(self.weekend)) >= 7:
            raise ValueError("calendar.weekend cannot be every day of the week")
        return self


class Retry(_Table):
    first: DurationField = Duration(1, "minutes")
    max: DurationField = Duration(1, "hours")
    # Stop retrying a transient failure this long after the first attempt; by default a
    # digest is retried until the next day's digest supersedes it.
    give_up: DurationField | None = None


class Delivery(_Table):
    method: Literal["smtp", "sendmail", "maildir"] | None = None
    from_: OneLine = Field("", alias="from")
    maildir: str | None = None
    sendmail: str = "/usr/sbin/sendmail"
    retry: Retry = Retry()


# --- calendars (nudger/calendar/ics.py, nudger/calendar/caldav.py) --------------------------------

class Ics(_Table):
    """[ics]: the iCalendar file (`nudger calendar`, and `path` the daemon keeps current)."""

    path: str | None = None  # the daemon rewrites this file after each digest and pass
    alarm: DurationField | None = Duration(1, "hours")  # before each interview
    followups: bool = True  # follow-ups due in the next `days` days as all-day events
    days: int = 30
    invitations: bool = True  # a digest carries an invitation for a new or moved interview
    interview_length: DurationField = Duration(1, "hours")

    @model_validator(mode="after")
    def _check(self) -> Ics:
        if not 1 <= self.days <= 366:
            raise ValueError(f"ics.days {self.days} is out of range; give 1 to 366 days")
        for key in ("alarm", "interview_length"):
            value = getattr(self, key)
            if value is not None and (value.is_business or value.as_timedelta() <= timedelta(0)
                                      or value.as_timedelta() > timedelta(days=7)):
                raise ValueError(f"ics.{key} must be minutes, hours or days between 1 "
                                 "minute and 7 days, like \"1 hour\"")
        return self


# --- the mailbox (docs/mailbox.md): [mailbox]; [imap], like [smtp] and [caldav], is in servers.py

class Mailbox(_Table):
    replies: Literal["pause", "note"] = "pause"
    sent: Literal["log", "off"] = "log"
    drafts: bool = True
    commands: bool = True
    command_address: EmailField | None = None
    capture: Literal["suggest", "add", "off"] = "suggest"
    # The authserv-id your own server stamps Authentication-Results with (nudger.mail.
    # sender): set, command mail needs that header's pass for your domain.
    authserv_id: OneLine | None = None


class Step(_Table):
    action: ActionName
    wait: DurationField | None = None
    before: DurationField | None = None  # due this long before the application's deadline
    template: OneLine | None = None

    @model_validator(mode="after")
    def _check(self) -> Step:
        if (self.wait is None) == (self.before is None):
            raise ValueError("a step needs exactly one of wait = \"...\" or before = \"...\"")
        for label, value in (("wait", self.wait), ("before", self.before)):
            if value is not None and value.unit == "minutes":
                raise ValueError(
                    f"a step's {label} is counted in hours, days or weeks, not minutes")
        return self


class Cadence(_Table):
    stage: OpenStageName
    steps: Annotated[tuple[Step, ...], Field(strict=False)]
    repeat: DurationField | None = None
    give_up: DurationField | None = None
    auto_ghost: bool = False

    @model_validator(mode="after")
    def _check(self) -> Cadence:
        if not self.steps:
            raise ValueError(f"cadence for stage {self.stage!r} has no steps; add at least one")
        for label, value in (("repeat", self.repeat), ("give_up", self.give_up)):
            if value is not None and value.amount <= 0:
                raise ValueError(f"cadence {self.stage!r}: {label} must be longer than zero")
        # A zero wait makes sense for step 1 only (due the day the stage starts, e.g. a
        # thank-you on the interview day); on a later step it would fall due the very day
        # the step before it was done, which is the same step twice.
        for number, step in enumerate(self.steps[1:], start=2):
            if step.wait is not None and step.wait.amount == 0:
                raise ValueError(
                    f"cadence {self.stage!r}: step {number} has wait = \"{step.wait}\"; only "
                    "step 1 may wait zero. Give it a wait like \"1 business day\", or merge "
                    "it into the step before"
                )
        if self.auto_ghost and self.give_up is None:
            raise ValueError(f"cadence {self.stage!r}: auto_ghost needs give_up")
        return self


def _step(action: str, wait: str | None = None, before: str | None = None) -> Step:
    return Step(
        action=action,
        wait=parse_duration(wait) if wait else None,
        before=parse_duration(before) if before else None,
    )


# The cadence nudger ships with; config.example.toml carries the same rules (a test keeps
# the two equal).
DEFAULT_CADENCE: tuple[Cadence, ...] = (
    Cadence(stage="wishlist", steps=(_step("apply", before="3 days"),)),
    Cadence(
        stage="applied",
        steps=(
            _step("email", "3 business days"),
            _step("call", "2 business days"),
            _step("social", "3 business days"),
            _step("network", "3 business days"),
            _step("visit", "5 business days"),
        ),
        repeat=parse_duration("10 business days"),
        give_up=parse_duration("45 days"),
    ),
    Cadence(
        stage="interviewing",
        steps=(_step("thank-you", "1 business day"), _step("email", "5 business days"),
               _step("call", "3 business days")),
        repeat=parse_duration("7 business days"),
        give_up=parse_duration("30 days"),
    ),
    Cadence(stage="offer", steps=(_step("email", before="2 days"),)),
)


class Settings(_Table):
    timezone: Annotated[str | None, AfterValidator(_timezone)] = None
    database: Annotated[str | None, AfterValidator(_database)] = None
    # The PostgreSQL password, in a file (mode 0600); only with a postgresql:// database.
    database_password_file: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    profile: Profile = Profile()
    digest: Digest = Digest()
    calendar: CalendarTable = CalendarTable()
    delivery: Delivery = Delivery()
    smtp: Smtp | None = None
    ics: Ics = Ics()
    caldav: Caldav | None = None
    imap: Imap | None = None
    mailbox: Mailbox = Mailbox()
    cadence: Annotated[tuple[Cadence, ...], Field(strict=False)] = DEFAULT_CADENCE

    # Where this came from; not keys of the file (excluded from validation input).
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for section, info in cls.model_fields.items():
                table = configerrors.inner_model(info.annotation)
                if table is None or not issubclass(table, ServerTable):
                    continue
                block = data.get(section)
                if isinstance(block, dict) and "password" in block:
                    raise ValueError(
                        f"{section}.password is not allowed in config.toml: put the "
                        f"password{table.password_words} in an environment variable named "
                        f"by {section}.password_env, in a file named by "
                        f"{section}.password_file (mode 0600), or in the systemd credential "
                        f"'{section}-password'"
                    )
        return data

    @model_validator(mode="after")
    def _check(self) -> Settings:
        stages = [c.stage for c in self.cadence]
        dupes = sorted({s for s in stages if stages.count(s) > 1})
        if dupes:
            raise ValueError(f"cadence: stage {dupes[0]!r} has more than one [[cadence]] table")
        if self.database_password_file is not None and not self.is_postgres:
            raise ValueError("database_password_file is only for a PostgreSQL database "
                             "(database = \"postgresql://USER@HOST:PORT/DBNAME\"); an "
                             "SQLite file needs no password")
        if self.delivery.method == "smtp" and self.smtp is None:
            raise ValueError("delivery.method = \"smtp\" needs an [smtp] table with host")
        smtp = self.smtp
        if smtp is not None and smtp.security == "none" and not _is_loopback(smtp.host):
            raise ValueError(
                f"smtp.security = \"none\" sends the password and the digest in "
                f"plain text; it is allowed only to a loopback host, not "
                f"{smtp.host!r}. Use \"starttls\" (port 587) or \"tls\" (port 465)"
            )
        imap = self.imap
        if imap is not None and imap.security == "none" and not _is_loopback(imap.host):
            raise ValueError(
                f"imap.security = \"none\" sends the password and your mail in plain "
                f"text; it is allowed only to a loopback host, not {imap.host!r}. Use "
                "\"tls\" (port 993) or \"starttls\" (port 143)"
            )
        if self.method in ("smtp", "sendmail") and not self.profile.email:
            raise ValueError(
                f"profile.email is empty: delivery by {self.method} needs the address the "
                "digest goes to"
            )
        return self

    # --- derived values ---------------------------------------------------------------

    @property
    def method(self) -> str:
        """The delivery method in force: the explicit one, else smtp when [smtp] is set."""
        if self.delivery.method:
            return self.delivery.method
        return "smtp" if self.smtp is not None else "maildir"

    @property
    def is_postgres(self) -> bool:
        """`database` is a postgresql:// URL (else an SQLite path, or nothing)."""
        if not self.database or "://" not in self.database:
            return False
        from nudger.store.pgurl import is_postgres

        return is_postgres(self.database)

    @property
    def zone(self) -> ZoneInfo:
        if self.timezone:
            return ZoneInfo(self.timezone)
        return local_zone()

    @property
    def base_dir(self) -> Path | None:
        """The directory holding config.toml; relative paths in the file are relative to it."""
        return self.source.parent if self.source else None

    def resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    @property
    def templates_dir(self) -> Path | None:
        """User template overrides: `templates/` beside config.toml."""
        return self.base_dir / "templates" if self.base_dir else None

    def cadence_for(self, stage: str) -> Cadence | None:
        for cadence in self.cadence:
            if cadence.stage == stage:
                return cadence
        return None

    @property
    def recipient(self) -> str:
        return self.profile.email or "you@localhost"

    @property
    def sender(self) -> str:
        if self.delivery.from_:
            return self.delivery.from_
        return f"nudger <{self.recipient}>"


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_zone() -> ZoneInfo:
    """The machine's zone from /etc/localtime, UTC when it cannot be told."""
    try:
        target = Path("/etc/localtime").resolve()
        parts = target.parts
        if "zoneinfo" in parts:
            return ZoneInfo("/".join(parts[parts.index("zoneinfo") + 1:]))
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    return ZoneInfo("UTC")


# --- finding and loading ----------------------------------------------------------------

@dataclass(frozen=True)
class ConfigLocation:
    path: Path
    explicit: bool  # named by --config or $NUDGER_CONFIG: it must exist (except for init)


def find_config_path(cli_path: str | None, env: Mapping[str, str]) -> ConfigLocation:
    """The README's order: --config, $NUDGER_CONFIG, systemd's directory, XDG."""
    if cli_path:
        return ConfigLocation(Path(cli_path).expanduser(), True)
    if env.get("NUDGER_CONFIG"):
        return ConfigLocation(Path(env["NUDGER_CONFIG"]).expanduser(), True)
    if env.get("CONFIGURATION_DIRECTORY"):
        first = env["CONFIGURATION_DIRECTORY"].split(":")[0]
        return ConfigLocation(Path(first) / CONFIG_NAME, True)
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return ConfigLocation(Path(xdg) / "nudger" / CONFIG_NAME, False)


def load_settings(location: ConfigLocation) -> Settings:
    """Read and validate the file; a missing default-location file means embedded defaults."""
    path = location.path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if location.explicit:
            raise ConfigError(
                f"{path}: no such config file; create one with `nudger init --config {path}`"
            ) from None
        return Settings()
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror}") from None
    return parse_settings(text, path)


def parse_settings(text: str, path: Path) -> Settings:
    text = text.removeprefix("\ufeff")  # Notepad's UTF-8 BOM is not part of the TOML
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: tables or arrays nested too deeply "
                          "(hundreds of levels); nudger's config is at most three deep"
                          ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(configerrors.toml_problem(exc, path)) from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(configerrors.describe(exc, text, path, Settings)) from None
    except RecursionError:
        raise ConfigError(f"{path}: values nested too deeply; nudger's config is at most "
                          "three deep") from None
    return settings.model_copy(update={"source": path.resolve()})
