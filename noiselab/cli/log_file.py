"""Logs of a command that owns the terminal (a progress bar): every record goes to a file as JSON lines
(:mod:`noiselab.cli.logs`, secrets scrubbed), and warnings and errors are also held in memory, to be shown
once the terminal is free again. Nothing is written to stderr while the file is in use.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from noiselab.cli.logs import HumanFormatter, JsonFormatter, Redactor


class HeldRecords(logging.Handler):
    """Keeps up to ``limit`` records at ``level`` or above; counts the ones beyond."""

    def __init__(self, level: int = logging.WARNING, limit: int = 50) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []
        self.limit = limit
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self.limit:
            self.records.append(record)
        else:
            self.dropped += 1

    def lines(self) -> list[str]:
        """The held records as human lines (secrets already scrubbed by the formatter)."""
        formatter = self.formatter or HumanFormatter()
        out = [formatter.format(r) for r in self.records]
        if self.dropped:
            out.append(f"... and {self.dropped} more warnings (see the log file)")
        return out


@contextmanager
def logging_to_file(
    path: Path, *, level: str = "INFO", secrets: Iterable[str | None] = (), held: HeldRecords | None = None
) -> Iterator[HeldRecords]:
    """Send the process's log records to ``path`` (appended) for the duration, then restore the handlers
    that were there before. Warnings are kept in ``held`` (made here unless given: a caller that gives its
    own can show them even when the block ends with an exception)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    redactor = Redactor(secrets)
    root = logging.getLogger()
    before, before_level = list(root.handlers), root.level
    file_handler = logging.FileHandler(path, encoding="utf-8")
    file_handler.setFormatter(JsonFormatter(redactor))
    held = held or HeldRecords()
    held.setFormatter(HumanFormatter(redactor))
    for old in before:
        root.removeHandler(old)
    root.addHandler(file_handler)
    root.addHandler(held)
    root.setLevel(level.upper())
    try:
        yield held
    finally:
        root.removeHandler(file_handler)
        root.removeHandler(held)
        file_handler.close()
        for old in before:
            root.addHandler(old)
        root.setLevel(before_level)
