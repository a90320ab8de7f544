"""The domain's one exception tree.

    NoiselabError
    ├── InvalidReading        a payload or reading was refused; ``reason`` is a short machine code,
    │                         ``detail`` the human explanation (both go to vendors)
    ├── UnknownFormat         no decoder registered under that name
    ├── UnknownSensor         the sensor id is not in the registry / has no data
    ├── NotAllowed            a key may not do this (e.g. a vendor writing another vendor's sensor)
    ├── StoreUnavailable      the time-series store cannot be reached; callers back off and retry
    └── ConfigError           settings are inconsistent

The API maps these to problem+json, the collector to counters and the dead-letter store. Library
errors (sqlite3, urllib3, paho) are translated at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations


class NoiselabError(Exception):
    """Base of every error noiselab raises on purpose."""


class InvalidReading(NoiselabError):
    """Refused input. ``reason`` is a stable code for counters, ``detail`` says what to fix."""

    def __init__(self, reason: str, detail: str, *, index: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.index = index


class UnknownFormat(NoiselabError):
    pass


class UnknownSensor(NoiselabError):
    pass


class NotAllowed(NoiselabError):
    pass


class StoreUnavailable(NoiselabError):
    pass


class ConfigError(NoiselabError):
    pass
