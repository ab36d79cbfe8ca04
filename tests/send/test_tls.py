"""The server tables ([smtp], [imap], [caldav]) and their one TLS context (nudger.tls).

What the three share is validated once (servers.ServerTable): a port in range, a positive
timeout, one password source, never a password in config.toml. And `ca_file` means one
thing for all three: trust this CA *in addition* to the system's store. Against real
servers (aiosmtpd, Dovecot, Radicale) with certificates from throwaway trustme CAs, one CA
plays the private CA in ca_file and another plays the system store ($SSL_CERT_FILE, which
OpenSSL reads in place of the distribution's bundle): a server signed by either is
accepted, and one signed by neither is refused.
"""

from __future__ import annotations

import re
import shutil
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from nudger.config import Settings, parse_settings
from nudger.errors import ConfigError
from nudger.servers import Caldav, Imap, ServerTable, Smtp
from nudger.tls import ca_bundle, tls_context
from tests.conftest import BASE_CONFIG, Home, imap_config
from tests.smtpserver import SmtpServer, shared_ca

P = Path("/tmp/cfg/config.toml")
PROFILE = '[profile]\nemail = "alex@example.com"\n'

# Each table with only its required keys; line 3 is the table's header.
TABLES = {
    "smtp": '[smtp]\nhost = "mail.example.com"\n',
    "imap": '[imap]\nhost = "mail.example.com"\nusername = "alex@example.com"\n',
    "caldav": '[caldav]\nurl = "https://dav.example.com/"\nusername = "alex"\n',
}


def settings_with(table: str, extra: str = "", path: Path = P) -> Settings:
    return parse_settings(PROFILE + TABLES[table] + extra, path)


def error_of(table: str, extra: str) -> str:
    with pytest.raises(ConfigError) as info:
        settings_with(table, extra)
    return str(info.value)


def server_table(settings: Settings, name: str) -> ServerTable:
    table = getattr(settings, name)
    assert isinstance(table, ServerTable)
    return table


# --- the shared validation, per table ---------------------------------------------------

def test_the_three_tables_share_one_base() -> None:
    for model in (Smtp, Imap, Caldav):
        assert issubclass(model, ServerTable)
        for key in ("username", "password_env", "password_file", "ca_file", "timeout"):
            assert model.model_fields[key] is not None
    assert Smtp.model_fields["timeout"].default == Imap.model_fields["timeout"].default == \
        Caldav.model_fields["timeout"].default == 30


@pytest.mark.parametrize("table", ["smtp", "imap"])
def test_port_range(table: str) -> None:
    for port in (0, -1, 65536):
        assert error_of(table, f"port = {port}\n") == \
            f"{P}:3: {table}.port {port} is not a TCP port (1-65535)"
    for port in (1, 2525, 65535):
        assert server_table(settings_with(table, f"port = {port}\n"), table) \
            .effective_port == port  # type: ignore[attr-defined]
    line = (PROFILE + TABLES[table]).count("\n") + 1  # the key's own line
    assert error_of(table, 'port = "587"\n') == \
        f'{P}:{line}: {table}.port = "587": must be a whole number (no quotes), e.g. 587'


def test_default_ports_follow_security() -> None:
    loopback = {"smtp": '[smtp]\nhost = "127.0.0.1"\n',
                "imap": '[imap]\nhost = "127.0.0.1"\nusername = "alex@example.com"\n'}
    for table, ports in (("smtp", {"starttls": 587, "tls": 465, "none": 25}),
                         ("imap", {"tls": 993, "starttls": 143, "none": 143})):
        for security, port in ports.items():
            settings = parse_settings(f'{PROFILE}{loopback[table]}security = "{security}"\n', P)
            assert server_table(settings, table).effective_port == port  # type: ignore[attr-defined]


@pytest.mark.parametrize("table", ["smtp", "imap", "caldav"])
def test_timeout_must_be_positive(table: str) -> None:
    for value in ("0", "-1.5"):
        assert error_of(table, f"timeout = {value}\n") == \
            f"{P}:3: {table}.timeout must be a positive number of seconds"
    assert server_table(settings_with(table, "timeout = 0.5\n"), table).timeout == 0.5
    assert server_table(settings_with(table), table).timeout == 30


@pytest.mark.parametrize("table", ["smtp", "imap", "caldav"])
def test_password_sources_are_exclusive(table: str) -> None:
    assert error_of(table, 'password_env = "PW"\npassword_file = "pw.txt"\n') == \
        f"{P}:3: {table}: set password_env or password_file, not both"
    assert server_table(settings_with(table, 'password_env = "PW"\n'), table) \
        .password_env == "PW"
    assert server_table(settings_with(table, 'password_file = "pw.txt"\n'), table) \
        .password_file == "pw.txt"


@pytest.mark.parametrize("table", ["smtp", "imap", "caldav"])
def test_a_password_is_never_taken_from_config(table: str) -> None:
    message = error_of(table, 'password = "hunter2"\n')
    what = " (an app password)" if table == "caldav" else ""
    assert message == (
        f"{P}: {table}.password is not allowed in config.toml: put the password{what} in "
        f"an environment variable named by {table}.password_env, in a file named by "
        f"{table}.password_file (mode 0600), or in the systemd credential "
        f"'{table}-password'")
    assert "hunter2" not in message


# --- the context ------------------------------------------------------------------------

def write_ca(path: Path) -> tuple[trustme.CA, bytes]:
    """A new CA, its certificate written to `path`; returns it and its DER bytes."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(path))
    return ca, ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode("ascii"))


def ca_certs(context: ssl.SSLContext) -> set[bytes]:
    return set(context.get_ca_certs(binary_form=True))


def pem_certs(data: bytes) -> set[bytes]:
    """The DER of every certificate in PEM `data`."""
    return {ssl.PEM_cert_to_DER_cert(block.decode("ascii")) for block in re.findall(
        rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", data, re.DOTALL)}


@pytest.mark.parametrize("table", ["smtp", "imap", "caldav"])
def test_the_context_holds_the_system_store_and_the_ca_file(table: str, tmp_path: Path
                                                            ) -> None:
    system = ca_certs(ssl.create_default_context())
    assert system, "this machine's system store is empty: install ca-certificates"
    _ca, der = write_ca(tmp_path / "private-ca.pem")
    settings = settings_with(table, 'ca_file = "private-ca.pem"\n', tmp_path / "config.toml")
    context = tls_context(settings, server_table(settings, table))
    assert ca_certs(context) == system | {der}  # in addition, not instead
    assert context.cert_store_stats()["x509_ca"] == len(system) + 1
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    plain = tls_context(settings_with(table), server_table(settings_with(table), table))
    assert ca_certs(plain) == system and plain.verify_mode == ssl.CERT_REQUIRED
    # The bundle for CalDAV's HTTP client holds the same trust, and ca_file as written.
    data = ca_bundle(settings, server_table(settings, table)).read_bytes()
    assert pem_certs(data) >= system | {der}
    assert (tmp_path / "private-ca.pem").read_bytes() in data


def test_the_system_store_is_what_openssl_reads(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """$SSL_CERT_FILE stands in for the system store: the context takes it, plus ca_file."""
    _system_ca, system_der = write_ca(tmp_path / "system-ca.pem")
    _private_ca, private_der = write_ca(tmp_path / "private-ca.pem")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "system-ca.pem"))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))
    settings = settings_with("caldav", 'ca_file = "private-ca.pem"\n',
                             tmp_path / "config.toml")
    context = tls_context(settings, server_table(settings, "caldav"))
    assert ca_certs(context) == {system_der, private_der}
    # CalDAV's client reads the same trust from a file in a folder private to the process,
    # named by its content: the same trust is the same path (the client reuses its context).
    path = ca_bundle(settings, server_table(settings, "caldav"))
    assert pem_certs(path.read_bytes()) == {system_der, private_der}
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    assert ca_bundle(settings, server_table(settings, "caldav")) == path
    write_ca(tmp_path / "private-ca.pem")  # another CA in ca_file: another file
    assert ca_bundle(settings, server_table(settings, "caldav")) != path
    shutil.rmtree(path.parent)  # a /tmp cleaner took the folder: a new one is made
    again = ca_bundle(settings, server_table(settings, "caldav"))
    assert again.parent != path.parent and again.parent.stat().st_mode & 0o777 == 0o700


@pytest.mark.parametrize("table", ["smtp", "imap", "caldav"])
def test_a_bad_ca_file_names_the_key(table: str, tmp_path: Path) -> None:
    give = "give the PEM file of the CA that signed the server's certificate"
    (tmp_path / "notes.pem").write_text("not a certificate\n")
    (tmp_path / "folder.pem").mkdir()
    for name, says in (("missing.pem", "does not exist"),
                       ("notes.pem", "is not a PEM certificate file"),
                       ("folder.pem", "cannot be read (Is a directory)")):
        settings = settings_with(table, f'ca_file = "{name}"\n', tmp_path / "config.toml")
        for build in (tls_context, ca_bundle):
            with pytest.raises(ConfigError) as info:
                build(settings, server_table(settings, table))
            message = str(info.value)
            assert message.startswith(f"{table}.ca_file: {tmp_path / name} {says}")
            assert message.endswith(give) and "\n" not in message


# --- real servers: a private CA in ca_file, and the system store still --------------------

@pytest.fixture
def cas(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """"server": the CA that signed the test servers (Dovecot and aiosmtpd share it);
    "other": a CA that signed nothing here."""
    server = tmp_path / "server-ca.pem"
    shared_ca().cert_pem.write_to_path(str(server))
    other = tmp_path / "other-ca.pem"
    write_ca(other)
    yield {"server": server, "other": other}


def as_system_store(monkeypatch: pytest.MonkeyPatch, ca: Path, tmp_path: Path) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path / "no-such-dir"))


def smtp_config(server: SmtpServer, ca_file: Path) -> str:
    return BASE_CONFIG + (f'\n[smtp]\nhost = "{server.host}"\nport = {server.port}\n'
                          f'security = "tls"\ntimeout = 5\nca_file = "{ca_file}"\n')


def test_smtp_trusts_ca_file_and_the_system_store(home: Home, cas: dict[str, Path],
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with SmtpServer("tls") as server:
        home.write_config(smtp_config(server, cas["server"]))
        assert "certificate verified for 127.0.0.1" in home.ok("check", "--smtp")
        home.write_config(smtp_config(server, cas["other"]))
        refused = home.run("check", "--smtp")
        assert refused.code == 1 and "certificate" in refused.err
        assert "Traceback" not in refused.err
        as_system_store(monkeypatch, cas["server"], tmp_path)
        assert "certificate verified for 127.0.0.1" in home.ok("check", "--smtp")
    assert server.messages == []


def test_imap_trusts_ca_file_and_the_system_store(home: Home, dovecot: Any,
                                                  cas: dict[str, Path], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, imap.ca_file replaced the system store: the last check failed."""
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", dovecot.password)
    config = imap_config(dovecot)
    assert f'ca_file = "{dovecot.ca_file}"' in config
    home.write_config(config)
    assert "TLS verified" in home.ok("check", "--imap")
    home.write_config(config.replace(str(dovecot.ca_file), str(cas["other"])))
    refused = home.run("check", "--imap")
    assert refused.code == 1 and "bad certificate" in refused.err
    as_system_store(monkeypatch, cas["server"], tmp_path)
    out = home.ok("check", "--imap")
    assert "TLS verified" in out and "logged in as alex@example.com" in out


def test_a_bad_imap_ca_file_is_one_line(home: Home, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NUDGER_IMAP_PASSWORD", "secret")
    missing = tmp_path / "missing.pem"
    home.write_config(BASE_CONFIG + f'\n[imap]\nhost = "127.0.0.1"\nport = 1\n'
                      f'username = "alex@example.com"\npassword_env = "NUDGER_IMAP_PASSWORD"\n'
                      f'ca_file = "{missing}"\n')
    result = home.run("check", "--imap")
    assert result.code == 1 and "Traceback" not in result.err
    assert f"imap.ca_file: {missing} does not exist" in result.err


def caldav_config(home: Home, url: str, ca_file: Path) -> None:
    from tests.caldavserver import USERS

    secret = home.root / "caldav-password"
    secret.write_text(USERS["alex"] + "\n")
    secret.chmod(0o600)
    home.write_config(BASE_CONFIG + f'\n[caldav]\nurl = "{url}"\nusername = "alex"\n'
                      f'password_file = "{secret}"\ntimeout = 5\nca_file = "{ca_file}"\n')


def test_caldav_trusts_ca_file_and_the_system_store(home: Home, tmp_path: Path,
                                                    cas: dict[str, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, caldav.ca_file replaced the system store (the HTTP client's bundle): the
    last check failed."""
    from tests.caldavserver import radicale

    with radicale(tmp_path / "radicale", tls=True) as server:
        assert server.ca_file is not None
        caldav_config(home, server.calendar_url, server.ca_file)
        assert "takes events (VEVENT)" in home.ok("check", "--caldav")
        caldav_config(home, server.calendar_url, cas["other"])
        refused = home.run("check", "--caldav")
        assert refused.code == 1 and "not trusted" in refused.err
        assert "Traceback" not in refused.err
        as_system_store(monkeypatch, server.ca_file, tmp_path)
        out = home.ok("check", "--caldav")
        assert "logged in as alex" in out and "takes events (VEVENT)" in out
