"""Where the SMTP password comes from, and the refusals that keep it private."""

from __future__ import annotations

from pathlib import Path

import pytest

from nudger.config import Settings, parse_settings
from nudger.errors import ConfigError
from nudger.secrets import Secret, password_source, smtp_password

BASE = '[profile]\nemail = "alex@example.com"\n[smtp]\nhost = "smtp.example.com"\n'


def settings(tmp_path: Path, extra: str) -> Settings:
    return parse_settings(BASE + extra, tmp_path / "config.toml")


def test_no_username_needs_no_password(tmp_path: Path) -> None:
    assert smtp_password(settings(tmp_path, ""), {}) is None


def test_from_the_named_environment_variable(tmp_path: Path) -> None:
    s = settings(tmp_path, 'username = "alex"\npassword_env = "MY_PW"\n')
    secret = smtp_password(s, {"MY_PW": "hunter2"})
    assert secret is not None and secret.reveal() == "hunter2"
    assert password_source(s, {}) == "environment variable MY_PW"


def test_missing_environment_variable_says_what_to_do(tmp_path: Path) -> None:
    s = settings(tmp_path, 'username = "alex"\npassword_env = "MY_PW"\n')
    with pytest.raises(ConfigError, match=r"MY_PW.*not set"):
        smtp_password(s, {})


def test_from_a_private_file_relative_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    (tmp_path / "pw").chmod(0o600)
    s = settings(tmp_path, 'username = "alex"\npassword_file = "pw"\n')
    secret = smtp_password(s, {})
    assert secret is not None and secret.reveal() == "s3cret"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_a_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "pw"
    path.write_text("s3cret\n")
    path.chmod(mode)
    s = settings(tmp_path, 'username = "alex"\npassword_file = "pw"\n')
    with pytest.raises(ConfigError) as info:
        smtp_password(s, {})
    assert f"chmod 600 {path}" in str(info.value)
    assert "s3cret" not in str(info.value)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    s = settings(tmp_path, 'username = "alex"\npassword_file = "pw"\n')
    with pytest.raises(ConfigError, match="does not exist"):
        smtp_password(s, {})
    (tmp_path / "pw").write_text("\n")
    (tmp_path / "pw").chmod(0o600)
    with pytest.raises(ConfigError, match="is empty"):
        smtp_password(s, {})


def test_systemd_credential(tmp_path: Path) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smtp-password").write_text("from-systemd")
    s = settings(tmp_path, 'username = "alex"\n')
    secret = smtp_password(s, {"CREDENTIALS_DIRECTORY": str(creds)})
    assert secret is not None and secret.reveal() == "from-systemd"


def test_username_without_any_password_source(tmp_path: Path) -> None:
    s = settings(tmp_path, 'username = "alex"\n')
    with pytest.raises(ConfigError, match=r"no password is configured.*never put it in"):
        smtp_password(s, {})


def test_password_in_config_is_refused_with_where_to_put_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        settings(tmp_path, 'username = "alex"\npassword = "oops-canary"\n')
    assert "password_env" in str(info.value) and "password_file" in str(info.value)
    assert "oops-canary" not in str(info.value)


def test_secret_never_prints_itself() -> None:
    secret = Secret("canary-xyz")
    assert "canary" not in repr(secret) and "canary" not in str(secret)
    assert "canary" not in f"{secret} {secret!r}"
    assert secret.redact("said canary-xyz twice: canary-xyz") == "said *** twice: ***"
