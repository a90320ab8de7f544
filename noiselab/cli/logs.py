"""Logging for people on a terminal, JSON for machines, with secrets scrubbed before anything is written.

``NOISELAB_LOG_FORMAT``: ``auto`` (default) writes human-readable lines when stderr is a terminal and JSON
lines otherwise (a pipe, a file, journald, docker logs); ``human`` and ``json`` force one of them.

A human line looks like::

    12:00:01  INFO  last 60 s: 3600 readings stored (60.0/s), 0 duplicates, 0 refused, lag 0.3 s

A JSON line looks like::

    {"ts": "2026-06-10T07:00:00.123Z", "level": "INFO", "logger": "noiselab.ingest.collector",
     "msg": "batch written: 12 messages, 900 readings stored, 0 duplicates, 0 refused", "stored": 900}

Fields passed with ``extra={...}`` appear as top-level keys. Secrets are removed twice: by shape (the
password part of any ``scheme://user:password@host`` URL, ``token=``/``password=`` pairs, ``Authorization``
header values) and by value (every secret found in the settings, wherever it appears, even alone).
The pipeline is small callables: :class:`Redactor`, then :class:`JsonFormatter` or :class:`HumanFormatter`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import unquote, urlparse

from pydantic import SecretStr

MASK = "***"

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*:)(?P<secret>[^\s@/]+)(?=@)")
_KEY_VALUE = re.compile(
    r"(?P<head>\b(?:password|passwd|token|api[_-]?key|secret)\b[\"']?\s*[=:]\s*[\"']?)"
    r"(?P<secret>[^\s\"'&,;}]+)",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"(?P<head>\b(?:Token|Bearer|Basic)\s+)(?P<secret>[A-Za-z0-9._~+/=-]{8,})")

# attributes every LogRecord has; anything else came from ``extra=`` and is logged as a field
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def url_password(url: str | None) -> str | None:
    """The password inside a URL such as ``mqtt://user:pass@host:1883``, or None."""
    if not url:
        return None
    try:
        password = urlparse(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


class Redactor:
    """Replace secrets in text: known values first, then anything shaped like a credential."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        # short strings would mask ordinary words; a real secret is longer than 3 characters
        self.secrets = sorted({s for s in secrets if s and len(s) > 3}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern in (_URL_PASSWORD, _KEY_VALUE, _AUTH_HEADER):
            text = pattern.sub(lambda m: m.group("head") + MASK, text)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record; message, exception and extra fields all pass through the redactor."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        ms = int(record.created * 1000) % 1000
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{ms:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": self.redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = self._field(value)
        if record.exc_info:
            entry["exc"] = self.redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)

    def _field(self, value: object) -> object:
        if isinstance(value, (bool, int, float)) or value is None:
            return value
        if isinstance(value, str):
            return self.redact(value)
        return json.loads(self.redact(json.dumps(value, ensure_ascii=False, default=str)))


class HumanFormatter(logging.Formatter):
    """``HH:MM:SS  LEVEL  message  key=value ...`` in local time; a multi-line message (the start-up block)
    is written as it is. Everything passes through the redactor."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redact = redactor or Redactor()

    def format(self, record: logging.LogRecord) -> str:
        text = self.redact(record.getMessage())
        if "\n" in text:
            return text
        extra = [
            f"{key}={self.redact(str(value))}"
            for key, value in vars(record).items()
            if key not in _STANDARD and not key.startswith("_") and key not in _QUIET_FIELDS
        ]
        line = f"{time.strftime('%H:%M:%S', time.localtime(record.created))}  {record.levelname:<7}{text}"
        if extra:
            line += "  (" + ", ".join(extra) + ")"
        if record.exc_info:
            line += "\n" + self.redact(self.formatException(record.exc_info))
        return line


# structured fields that the human line already says in words
_QUIET_FIELDS = {"stored", "duplicates", "refused", "rate_per_s", "lag_s", "window_s", "reasons", "messages"}
LOG_FORMATS = ("auto", "human", "json")


def choose_format(fmt: str, stream: TextIO) -> str:
    """``human`` or ``json`` for a setting of ``auto``/``human``/``json`` and the stream written to."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    if fmt != "auto":
        return fmt
    isatty = getattr(stream, "isatty", None)
    return "human" if isatty is not None and isatty() else "json"


def setup(
    level: str = "INFO",
    *,
    secrets: Iterable[str | None] = (),
    stream: TextIO | None = None,
    quiet: Iterable[str] = ("amqtt", "transitions"),
    fmt: str = "json",
) -> logging.Handler:
    """Send every log record of the process to ``stream`` (stderr) as JSON or human lines (``fmt``, see
    :func:`choose_format`); returns the handler.

    Replaces the root logger's handlers, so calling it twice does not duplicate lines.
    """
    out = stream or sys.stderr
    handler = logging.StreamHandler(out)
    redactor = Redactor(secrets)
    human = choose_format(fmt, out) == "human"
    handler.setFormatter(HumanFormatter(redactor) if human else JsonFormatter(redactor))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in quiet:  # the embedded broker logs every state change at INFO
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler


def settings_secrets(settings: Any) -> list[str]:
    """Every secret a Settings object holds: URL passwords and SecretStr values."""
    found: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            if value.get_secret_value():  # an unset secret ("") is nothing to scrub
                found.append(value.get_secret_value())
        elif isinstance(value, str) and "://" in value:
            password = url_password(value)
            if password:
                found.append(password)
    return found
