"""Alert email over STARTTLS with login (#15), end to end: rule -> evaluator -> a real aiosmtpd server that
offers STARTTLS with a throwaway self-signed certificate (made by ``openssl req`` here), refuses mail before
TLS and accepts AUTH only after it. Also: an untrusted certificate, a wrong password and a sender that skips
STARTTLS are failed attempts (recorded, retried later), never a mail in clear text."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from tests.alerts.conftest import T0, Lab
from tests.alerts.receivers import free_port
from tests.services import require_binary

USER, PASSWORD = "noiselab", "relay-pw-9"


@dataclass
class Received:
    message: EmailMessage
    tls: bool
    login: bytes | None


@dataclass
class _Relay:
    received: list[Received] = field(default_factory=list)
    logins: list[tuple[bytes, bool]] = field(default_factory=list)  # (user, accepted)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        login = session.auth_data if session.authenticated else None
        self.received.append(Received(message, session.ssl is not None, login))  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.logins.append((data.login if isinstance(data, LoginPassword) else b"", ok))
        return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


@dataclass
class TlsRelay:
    relay: _Relay
    controller: Controller
    cert: Path

    @property
    def port(self) -> int:
        return int(self.controller.port)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 (and localhost), valid for a day."""
    openssl = require_binary("openssl", "/usr/bin/openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_relay(tmp_path: Path) -> Iterator[TlsRelay]:
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = _Relay()
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,  # no MAIL before STARTTLS
        authenticator=relay.authenticate,
        auth_require_tls=True,  # AUTH only over TLS
        auth_required=True,
    )
    controller.start()
    yield TlsRelay(relay, controller, cert)
    controller.stop()


def _configure(lab: Lab, relay: TlsRelay, *, password: str = PASSWORD, starttls: bool = True) -> None:
    lab.settings = lab.settings.model_copy(
        update={
            "smtp_port": relay.port,
            "smtp_starttls": starttls,
            "smtp_user": USER,
            "smtp_password": SecretStr(password),
        }
    )


def _loud_quarter(lab: Lab) -> None:
    email_only = lab.rule(channels=[{"type": "email", "to": ["miljo@example.dk"]}])
    assert lab.send("POST", "/v1/alert-rules", json=email_only).status_code == 201
    lab.write_levels("vb-01", T0, [60.0] * 120 + [78.0] * 600 + [55.0] * 300)


def _attempts(lab: Lab) -> list[tuple[bool, str]]:
    [alert] = lab.registry.alerts.alerts()
    return [(a["ok"], a["outcome"]) for d in alert["deliveries"] for a in d["attempt_log"]]


def test_email_goes_over_starttls_with_login(
    lab: Lab, tls_relay: TlsRelay, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_relay.cert))  # trust the throwaway certificate (OpenSSL)
    _configure(lab, tls_relay)
    _loud_quarter(lab)
    lab.run(lab.evaluator(), T0 + 1100)
    received = tls_relay.relay.received
    assert [r.message["Subject"].split(":")[0] for r in received] == ["Støjalarm", "Ophørt"]
    assert all(r.tls and r.login == USER.encode() for r in received)
    assert tls_relay.relay.logins == [(USER.encode(), True)] * 2
    assert received[0].message["To"] == "miljo@example.dk"
    assert received[0].message["From"] == "noiselab@example.dk"
    body = received[0].message.get_content()
    assert "vb-01" in body and "Measured" in body
    assert _attempts(lab) == [(True, "sent"), (True, "sent")]
    assert lab.smtp.messages == []  # nothing went to the plain test server


def test_an_untrusted_certificate_is_a_failed_attempt(
    lab: Lab, tls_relay: TlsRelay, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")
    monkeypatch.setenv("SSL_CERT_FILE", str(other))  # trusts a different certificate only
    _configure(lab, tls_relay)
    _loud_quarter(lab)
    lab.run(lab.evaluator(), T0 + 400)
    assert tls_relay.relay.received == [] and tls_relay.relay.logins == []  # no password sent either
    attempts = _attempts(lab)
    assert attempts and all(not ok and "certificate verify failed" in out for ok, out in attempts)


@pytest.mark.parametrize(
    ("password", "starttls", "expected"),
    # without STARTTLS the relay offers no AUTH, so the password is never sent in clear
    [("wrong-pw", True, "535"), (PASSWORD, False, "AUTH extension not supported")],
)
def test_a_wrong_password_or_no_starttls_is_refused_and_retried(
    lab: Lab,
    tls_relay: TlsRelay,
    monkeypatch: pytest.MonkeyPatch,
    password: str,
    starttls: bool,
    expected: str,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_relay.cert))
    _configure(lab, tls_relay, password=password, starttls=starttls)
    _loud_quarter(lab)
    lab.run(lab.evaluator(), T0 + 400)
    assert tls_relay.relay.received == []
    attempts = _attempts(lab)
    assert len(attempts) >= 2  # retried with backoff, still pending
    assert all(not ok and expected in out for ok, out in attempts), attempts
    assert all(not accepted for _, accepted in tls_relay.relay.logins)
    assert tls_relay.relay.logins if starttls else tls_relay.relay.logins == []
    [alert] = lab.registry.alerts.alerts()
    assert all(d["delivered_ms"] is None for d in alert["deliveries"])
