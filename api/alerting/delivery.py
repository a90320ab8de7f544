"""Delivering alert notifications: webhook (signed JSON POST) and email (SMTP), from the registry's outbox.

Webhook (SPEC §11): ``POST`` of the JSON body with ``Content-Type: application/json``,
``X-Noiselab-Signature: sha256=<hex HMAC-SHA256 of the raw body keyed with the channel's secret>`` and
``Idempotency-Key: <alert_id>:<state>``. Any 2xx is delivered; anything else (an error status, a refused
or timed-out connection, a URL that now resolves to a private address) is retried with capped
exponential backoff: ``min(retry_base_s · 2^attempts, retry_max_s)``, for as long as it takes.

Email: a plain-text message in Danish and English (strings in the language catalogs, ``server.alertEmail*``)
over SMTP with optional STARTTLS and login, from the ``smtp_*`` settings.

Each attempt is recorded (``alert_attempts``); a delivery leaves the outbox only when a send succeeded,
so a process that dies mid-send sends again after restart, with the same Idempotency-Key: at least once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol

from noiselab.api.alerting.rules import UnsafeUrl, check_webhook_url
from noiselab.api.catalog import catalogs
from noiselab.domain.settings import Settings
from noiselab.store.registry.alerts import PendingDelivery
from noiselab.store.registry.base import AlertRegistry

log = logging.getLogger(__name__)


def signature(secret: str, body: bytes) -> str:
    """The ``X-Noiselab-Signature`` value of ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class Sender(Protocol):
    def __call__(self, delivery: PendingDelivery) -> tuple[bool, str]:
        """Send once; (delivered, what happened)."""
        ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # a redirect could lead inside
        return None


@dataclass
class WebhookSender:
    allow_private: bool
    timeout_s: float = 10.0

    def __call__(self, delivery: PendingDelivery) -> tuple[bool, str]:
        url = str(delivery.channel_config.get("url", ""))
        try:
            check_webhook_url(url, allow_private=self.allow_private)
        except UnsafeUrl as exc:
            return False, f"refused: {exc}"
        body = delivery.payload.encode("utf-8")
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Noiselab-Signature": signature(str(delivery.channel_config.get("secret", "")), body),
                "Idempotency-Key": f"{delivery.alert_id}:{delivery.state}",
                "User-Agent": "noiselab-alerts",
            },
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout_s) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            status = int(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return False, f"unreachable: {reason}"
        return 200 <= status < 300, f"HTTP {status}"


def email_text(payload: dict[str, Any]) -> tuple[str, str]:
    """Subject and plain body in Danish and English, from the catalogs."""
    parts, subjects = [], []
    values = {
        "sensor": payload["sensor_id"],
        "rule": payload["rule_id"],
        "value": "–" if payload.get("value_db") is None else f"{payload['value_db']:.1f}",
        "threshold": "–" if payload.get("threshold_db") is None else f"{payload['threshold_db']:.1f}",
        "started": payload["started_at"],
        "ended": payload.get("ended_at") or "–",
        "detail": payload.get("detail") or "",
    }
    for code in ("da", "en"):
        server = catalogs().get(code, {}).get("server", {})
        texts = server.get("alertEmail", {})
        state = payload["state"]
        subjects.append(texts.get(f"subject_{state}", state).format(**values))
        parts.append(texts.get(f"body_{state}", "").format(**values).strip())
    return " / ".join(subjects), "\n\n---\n\n".join(parts) + "\n"


@dataclass
class EmailSender:
    host: str | None
    port: int
    starttls: bool
    user: str | None
    password: str
    sender: str
    timeout_s: float = 10.0

    @staticmethod
    def from_settings(s: Settings) -> EmailSender:
        return EmailSender(
            s.smtp_host,
            s.smtp_port,
            s.smtp_starttls,
            s.smtp_user,
            s.smtp_password.get_secret_value(),
            s.smtp_sender,
            s.alert_send_timeout_s,
        )

    def __call__(self, delivery: PendingDelivery) -> tuple[bool, str]:
        if not self.host:
            return False, "no SMTP host configured (NOISELAB_SMTP_HOST)"
        payload = json.loads(delivery.payload)
        subject, text = email_text(payload)
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(delivery.channel_config.get("to", []))
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{delivery.alert_id}.{delivery.state}@noiselab>"
        msg.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            return False, f"SMTP: {exc}"
        return True, "sent"


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Delay before the next attempt after ``attempts`` failed ones: capped exponential."""
    return float(min(base_s * 2 ** min(attempts, 30), max_s))


def deliver_due(
    alerts: AlertRegistry,
    senders: dict[str, Sender],
    *,
    now_s: float,
    retry_base_s: float,
    retry_max_s: float,
    limit: int = 100,
) -> tuple[int, int]:
    """Try every due delivery once; returns (delivered, failed)."""
    now_ms = int(now_s * 1000)
    done = failed = 0
    for d in alerts.due(now_ms, limit=limit):
        sender = senders.get(d.channel_type)
        ok, outcome = sender(d) if sender else (False, f"no sender for {d.channel_type!r}")
        wait_s = backoff_s(d.attempts, base_s=retry_base_s, max_s=retry_max_s)
        alerts.record_attempt(
            d,
            now_ms=now_ms,
            ok=ok,
            outcome=outcome,
            next_attempt_ms=None if ok else now_ms + int(wait_s * 1000),
        )
        if ok:
            done += 1
        else:
            failed += 1
            log.warning(
                "alert delivery failed: %s %s channel %d: %s", d.alert_id, d.state, d.channel, outcome
            )
    return done, failed
