"""config.toml: search order, strict validation, and messages that name file, line, key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from nudger.config import (
    DEFAULT_CADENCE,
    Settings,
    find_config_path,
    load_settings,
    parse_settings,
)
from nudger.errors import ConfigError
from nudger.resources import resource_path
from nudger.when.durations import Duration
from tests.conftest import Home

P = Path("/tmp/cfg/config.toml")


def error_of(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_settings(text, P)
    return str(info.value)


def test_example_config_loads_and_matches_the_embedded_defaults() -> None:
    example = resource_path("config.example.toml")
    settings = parse_settings(example.read_text(), example)
    assert settings.cadence == DEFAULT_CADENCE
    assert settings.digest == Settings().digest
    assert settings.profile.email == "alex@example.com"
    assert settings.method == "maildir"


def test_example_config_documents_every_key() -> None:
    text = resource_path("config.example.toml").read_text()
    for table, model in (("profile", Settings.model_fields["profile"].default),
                         ("digest", Settings.model_fields["digest"].default),
                         ("calendar", Settings.model_fields["calendar"].default),
                         ("delivery", Settings.model_fields["delivery"].default)):
        for name, info in type(model).model_fields.items():
            key = info.alias or name
            assert f"{key} =" in text or f"{key}=" in text, f"[{table}] {key} undocumented"
    from nudger.config import Smtp
    for name in Smtp.model_fields:
        assert f"# {name} =" in text, f"[smtp] {name} undocumented"
    from nudger.config import Caldav, Ics
    for name in Ics.model_fields:
        assert f"{name} =" in text, f"[ics] {name} undocumented"
    for name in Caldav.model_fields:
        assert f"# {name} =" in text, f"[caldav] {name} undocumented"
    from nudger.config import Imap, Mailbox
    for table, fields in (("imap", Imap.model_fields), ("mailbox", Mailbox.model_fields)):
        for name in fields:
            assert f"# {name} =" in text, f"[{table}] {name} undocumented"
    assert "# [imap]" in text and "# [mailbox]" in text
    for name in ("timezone", "database", "log_level"):
        assert f"{name} =" in text


def test_search_order() -> None:
    env = {"NUDGER_CONFIG": "/a/c.toml", "CONFIGURATION_DIRECTORY": "/etc/nudger",
           "XDG_CONFIG_HOME": "/x", "HOME": "/h"}
    assert find_config_path("/cli.toml", env).path == Path("/cli.toml")
    assert find_config_path(None, env).path == Path("/a/c.toml")
    del env["NUDGER_CONFIG"]
    assert find_config_path(None, env).path == Path("/etc/nudger/config.toml")
    del env["CONFIGURATION_DIRECTORY"]
    assert find_config_path(None, env) .path == Path("/x/nudger/config.toml")
    del env["XDG_CONFIG_HOME"]
    location = find_config_path(None, env)
    assert location.path == Path("/h/.config/nudger/config.toml") and not location.explicit


def test_missing_default_file_means_defaults(tmp_path: Path) -> None:
    location = find_config_path(None, {"HOME": str(tmp_path)})
    assert load_settings(location) == Settings()


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(find_config_path(str(tmp_path / "nope.toml"), {}))


def test_string_port_is_refused_with_line_and_hint() -> None:
    message = error_of('[profile]\nemail = "a@b.c"\n\n[smtp]\nhost = "mail.example.com"\n'
                       'port = "587"\n')
    assert message.startswith(f"{P}:6: smtp.port = \"587\"")
    assert "whole number" in message


def test_unknown_key_suggests_the_near_one() -> None:
    message = error_of('[digest]\ntme = "07:30"\n')
    assert f"{P}:2:" in message
    assert "unknown key 'digest.tme'" in message and "did you mean 'time'" in message


def test_unknown_table() -> None:
    message = error_of('[smpt]\nhost = "x"\n')
    assert "unknown key 'smpt'" in message and "did you mean 'smtp'" in message


def test_bad_choice_lists_the_valid_ones() -> None:
    message = error_of('[smtp]\nhost = "mail.example.com"\nsecurity = "ssl"\n')
    assert f"{P}:3:" in message
    assert "'starttls', 'tls' or 'none'" in message


def test_bad_duration_names_key_and_value() -> None:
    message = error_of('[[cadence]]\nstage = "applied"\nsteps = [\n'
                       '  { wait = "3 business days", action = "email" },\n'
                       '  { wait = "2 fortnights", action = "call" },\n]\n')
    assert f"{P}:5: cadence[0].steps[1].wait = \"2 fortnights\"" in message
    assert "'3 days'" in message


def test_unknown_action_and_stage() -> None:
    message = error_of('[[cadence]]\nstage = "applyed"\nsteps = [{ wait = "1 day", '
                       'action = "fax" }]\n')
    assert "cadence[0].stage = \"applyed\"" in message
    assert "cadence[0].steps[0].action = \"fax\"" in message and "'email'" in message


def test_syntax_error_has_line_and_column() -> None:
    message = error_of('[digest\ntime = "07:30"\n')
    assert message.startswith(f"{P}:1:")
    assert "not valid TOML" in message


def test_password_in_config_is_refused() -> None:
    message = error_of('[smtp]\nhost = "mail.example.com"\npassword = "hunter2"\n')
    assert "password_env" in message and "hunter2" not in message


def test_plaintext_smtp_only_to_loopback() -> None:
    message = error_of('[profile]\nemail = "a@b.c"\n[smtp]\nhost = "mail.example.com"\n'
                       'security = "none"\n')
    assert "loopback" in message
    settings = parse_settings('[profile]\nemail = "a@b.c"\n[smtp]\nhost = "127.0.0.1"\n'
                              'security = "none"\nport = 2525\n', P)
    assert settings.smtp is not None and settings.smtp.effective_port == 2525


def test_timezone_and_time_and_days() -> None:
    assert "did you mean 'America/Chicago'" in error_of('timezone = "America/Chicag"\n')
    assert "24-hour time" in error_of('[digest]\ntime = "25:00"\n')
    assert "'mon'" in error_of('[digest]\ndays = ["monday"]\n')
    settings = parse_settings('[digest]\ntime = 08:15:00\ncatch_up = "2 hours"\n', P)
    assert settings.digest.time.hour == 8 and settings.digest.catch_up == Duration(2, "hours")


def test_holiday_country_is_checked() -> None:
    assert "did you mean" in error_of('[calendar]\nholidays = "UX"\n')
    assert "not a region of US" in error_of('[calendar]\nholidays = "US"\nregion = "XX"\n')


def test_one_line_profile_fields() -> None:
    assert "one line" in error_of('[profile]\nname = "Alex\\r\\nBcc: x@y.z"\n')


def test_several_problems_are_all_reported() -> None:
    message = error_of('[digest]\ntme = "07:30"\n[smtp]\nhost = "h"\nport = "25"\n')
    assert "2 problems" in message


def test_relative_paths_resolve_beside_the_config() -> None:
    settings = parse_settings('database = "data/nudger.db"\n', P)
    assert settings.resolve(settings.database or "") == P.parent / "data/nudger.db"
    assert settings.templates_dir == P.parent / "templates"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError):
        settings.timezone = "UTC"  # type: ignore[misc]


def test_cli_exits_78_and_touches_nothing(home: Home) -> None:
    home.db_path.unlink()
    home.write_config('database = "nudger.db"\n[digest]\ntme = "07:30"\n')
    result = home.run("list")
    assert result.code == 78
    assert "unknown key 'digest.tme'" in result.err
    assert "Traceback" not in result.err
    assert not home.db_path.exists()


def test_example_is_valid_toml_for_other_tools() -> None:
    tomllib.loads(resource_path("config.example.toml").read_text())


def test_deep_nesting_and_a_bom(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_settings("x = " + "[" * 500 + "]" * 500 + "\n", P)
    assert parse_settings('\ufefftimezone = "UTC"\n', P).timezone == "UTC"


def test_imap_and_mailbox_tables() -> None:
    from nudger.config import parse_settings as parse

    base = '[imap]\nhost = "imap.example.com"\nusername = "alex@example.com"\n'
    settings = parse(base + "[mailbox]\nreplies = \"note\"\n", P)
    assert settings.imap is not None and settings.imap.effective_port == 993
    assert settings.imap.poll.as_timedelta().total_seconds() == 600
    assert settings.mailbox.replies == "note" and settings.mailbox.capture == "suggest"
    assert parse(base + 'security = "starttls"\n', P).imap.effective_port == 143  # type: ignore[union-attr]
    assert "imap.password is not allowed" in error_of(base + 'password = "x"\n')
    assert "only to a loopback host" in error_of(base + 'security = "none"\n')
    assert parse(base.replace("imap.example.com", "127.0.0.1") + 'security = "none"\n', P)
    assert "imap.poll" in error_of(base + 'poll = "2 business days"\n')
    assert "imap.lookback" in error_of(base + 'lookback = "3 hours"\n')
    assert "not both" in error_of(base + 'password_env = "A"\npassword_file = "b"\n')
    assert "replies" in error_of('[mailbox]\nreplies = "ignore"\n')
    assert "username" in error_of('[imap]\nhost = "imap.example.com"\n')
