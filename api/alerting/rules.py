"""Alert rules as the API accepts them (SPEC §11), and the webhook URL check against SSRF.

A webhook URL must be ``http(s)://`` with a host whose every address is public: loopback, private
(RFC 1918, fc00::/7), link-local (incl. cloud metadata 169.254.169.254), carrier-grade NAT, multicast,
reserved and unspecified addresses are refused unless ``NOISELAB_ALERT_ALLOW_PRIVATE_URLS=true``. The
check runs when a rule is created and again before every send (a name may resolve elsewhere later).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from noiselab.processing.alerting import QuietHours

RULE_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
EMAIL = r"^[^@\s,;<>]{1,64}@[A-Za-z0-9.-]{1,255}\.[A-Za-z]{2,}$"
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MASK = "********"


class UnsafeUrl(ValueError):
    """A webhook URL that may not be called (scheme, host or address)."""


def _blocked(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    cgnat = isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network("100.64.0.0/10")
    return bool(
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or cgnat
    )


def check_webhook_url(url: str, *, allow_private: bool) -> None:
    """Raise :class:`UnsafeUrl` unless ``url`` is an http(s) URL whose host resolves to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl(f"webhook URL must start with http:// or https://, got {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise UnsafeUrl("webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("webhook URL must not carry credentials; use the channel's secret")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl(f"webhook URL has a bad port: {exc}") from exc
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"webhook host {parts.hostname!r} does not resolve") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if _blocked(address):
            raise UnsafeUrl(
                f"webhook host {parts.hostname!r} resolves to {address}, a loopback, private or reserved "
                "address (refused against SSRF; NOISELAB_ALERT_ALLOW_PRIVATE_URLS=true allows it)"
            )


class WebhookChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["webhook"]
    url: str = Field(max_length=2000, examples=["https://example.org/hook"])
    secret: str = Field(min_length=8, max_length=200, description="HMAC-SHA256 key of the signature")


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["email"]
    to: list[Annotated[str, Field(pattern=EMAIL, max_length=320)]] = Field(min_length=1, max_length=20)


Channel = Annotated[WebhookChannel | EmailChannel, Field(discriminator="type")]


class QuietHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(pattern=HHMM, examples=["22:00"])
    end: str = Field(pattern=HHMM, examples=["07:00"])

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursIn:
        if self.start == self.end:
            raise ValueError("quiet_hours start and end must differ")
        return self


class AlertRuleIn(BaseModel):
    """One rule (SPEC §11). ``level``: energy mean over ``window_s`` ≥ ``above_db`` for ``for_s``,
    cleared below ``clear_below_db`` (default ``above_db`` − 3). ``health``: a sensor's health reaches
    ``min_status``. ``daily``: the last complete day's ``metric`` is over ``above_db`` (default: the
    sensor's target for that metric)."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str = Field(pattern=RULE_ID, examples=["loud-strandvej"])
    kind: Literal["level", "health", "daily"]
    sensor_ids: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]] = Field(
        min_length=1, max_length=500
    )
    window_s: int = Field(60, ge=1, le=86400)
    above_db: float | None = Field(None, ge=0, le=200)
    for_s: int = Field(0, ge=0, le=7 * 86400)
    clear_below_db: float | None = Field(None, ge=0, le=200)
    cooldown_s: int = Field(900, ge=0, le=7 * 86400)
    quiet_hours: QuietHoursIn | None = None
    min_status: Literal["warning", "fault"] = "warning"
    metric: Literal["lden", "lnight"] = "lden"
    channels: list[Channel] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _thresholds(self) -> AlertRuleIn:
        if self.kind == "level" and self.above_db is None:
            raise ValueError("a level rule needs above_db")
        if self.clear_below_db is not None:
            if self.above_db is None:
                raise ValueError("clear_below_db needs above_db")
            if self.clear_below_db >= self.above_db:
                raise ValueError(
                    f"clear_below_db ({self.clear_below_db:g}) must be below above_db ({self.above_db:g})"
                )
        if len(set(self.sensor_ids)) != len(self.sensor_ids):
            raise ValueError("sensor_ids has duplicates")
        return self

    def stored(self) -> dict[str, Any]:
        """The rule as stored: defaults filled in (``clear_below_db`` = ``above_db`` − 3 for level rules)."""
        body = self.model_dump()
        if self.kind == "level" and self.clear_below_db is None and self.above_db is not None:
            body["clear_below_db"] = self.above_db - 3.0
        return body


def public_rule(body: dict[str, Any]) -> dict[str, Any]:
    """A stored rule for listing: webhook secrets masked."""
    channels = [{**c, "secret": MASK} if c.get("type") == "webhook" else c for c in body.get("channels", [])]
    return {**body, "channels": channels}


def quiet_hours(body: dict[str, Any], tz: str) -> QuietHours | None:
    q = body.get("quiet_hours")
    return None if not q else QuietHours.parse(q["start"], q["end"], tz)
