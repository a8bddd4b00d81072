"""Sending over STARTTLS with a login read from the environment, to a real local server."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
from pathlib import Path

import pytest

from tests.letters.conftest import EXAMPLE, Inbox, _free_port, rules_for


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def tls_server(tmp_path: Path):
    """A server that requires STARTTLS, and a login (hr / s3cret) only over TLS."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins: list[str] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"hr"
              and auth_data.password == b"s3cret")
        if ok:
            logins.append(auth_data.login.decode())
        return AuthResult(success=ok)

    inbox = Inbox(_free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, tls_context=context,
                            require_starttls=True, authenticator=authenticator,
                            auth_require_tls=True)
    controller.start()
    try:
        yield inbox, cert, logins
    finally:
        controller.stop()


def test_send_over_starttls_logs_in_from_the_environment(run, sqlite_url: str, tls_server,
                                                         tmp_path: Path) -> None:
    """STARTTLS first, then the login from TANDEM_SMTP_USER/PASSWORD; every letter arrives."""
    inbox, cert, logins = tls_server
    assert run("pair", EXAMPLE, "--commit", "--db", sqlite_url).exit_code == 0
    log = json.loads(run("audit", "log", "--db", sqlite_url, "--format", "json").stdout)
    run_id = next(e["entry"]["run"] for e in log if e["entry"]["kind"] == "run")
    rules = rules_for(tmp_path, inbox.port, starttls=True)
    env = {"TANDEM_SMTP_USER": "hr", "TANDEM_SMTP_PASSWORD": "s3cret",
           "TANDEM_SMTP_CAFILE": str(cert)}
    result = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send", env=env)
    assert result.exit_code == 0, result.output
    assert logins == ["hr"]
    assert len(inbox.received) == 44


def test_a_wrong_password_sends_nothing(run, sqlite_url: str, tls_server,
                                        tmp_path: Path) -> None:
    """A refused login: exit 1, no letter sent or recorded."""
    inbox, cert, _ = tls_server
    assert run("pair", EXAMPLE, "--commit", "--db", sqlite_url).exit_code == 0
    log = json.loads(run("audit", "log", "--db", sqlite_url, "--format", "json").stdout)
    run_id = next(e["entry"]["run"] for e in log if e["entry"]["kind"] == "run")
    rules = rules_for(tmp_path, inbox.port, starttls=True)
    env = {"TANDEM_SMTP_USER": "hr", "TANDEM_SMTP_PASSWORD": "wrong",
           "TANDEM_SMTP_CAFILE": str(cert)}
    result = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send", env=env)
    assert result.exit_code == 1
    assert "cannot use the SMTP server" in result.stderr
    assert inbox.received == []
    log = json.loads(run("audit", "log", "--db", sqlite_url, "--format", "json").stdout)
    assert not [e for e in log if e["entry"]["kind"] == "letter"]


def test_a_login_is_never_sent_without_starttls(run, sqlite_url: str, smtp: Inbox,
                                                tmp_path: Path) -> None:
    """starttls: false with a login in the environment is refused before connecting."""
    assert run("pair", EXAMPLE, "--commit", "--db", sqlite_url).exit_code == 0
    log = json.loads(run("audit", "log", "--db", sqlite_url, "--format", "json").stdout)
    run_id = next(e["entry"]["run"] for e in log if e["entry"]["kind"] == "run")
    rules = rules_for(tmp_path, smtp.port, starttls=False)
    result = run("letters", run_id, "--db", sqlite_url, "--rules", rules, "--send",
                 env={"TANDEM_SMTP_USER": "hr", "TANDEM_SMTP_PASSWORD": "s3cret"})
    assert result.exit_code == 1
    assert "a login is never sent in clear" in result.stderr
    assert smtp.received == []
