"""The refused rows of an import, in a CSV file beside the input (``FILE.csv.refused.csv`` by default).

Columns: ``line`` (the row's line number in the input, the header being line 1), ``reason`` (the short
reason, e.g. ``time_without_zone``), ``detail`` (the sentence), then the input's own columns with the row
as it was. ``noiselab import`` ignores the first three columns, so the file can be corrected in a
spreadsheet and imported as it is.

A fresh import replaces the file (and removes a stale one when nothing is refused); a resumed import adds
to it, since the rows before the checkpoint are not read again. The file is written after each block is
committed; the dead-letter store (source ``import``) holds every refused row as well.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from noiselab.cli.commands.readings_block import RowRefusal, read_header

SUFFIX = ".refused.csv"
LEAD = ("line", "reason", "detail")


def default_path(file: Path) -> Path:
    return file.with_name(file.name + SUFFIX)


class RefusedFile:
    """Writes refused rows as they come; the file is created on the first one."""

    def __init__(self, path: Path, source: Path, *, resume: bool) -> None:
        self.path = path
        self.source = source
        self.resume = resume
        self.count = 0
        self._fh: TextIO | None = None
        self._writer: Any = None  # a csv writer (its type is private to _csv)
        if not resume:
            path.unlink(missing_ok=True)

    def _open(self) -> Any:
        with self.source.open("rb") as fh:
            header, _raw = read_header(fh)
        existed = self.path.exists() and self.path.stat().st_size > 0
        self._fh = self.path.open("a" if self.resume else "w", newline="", encoding="utf-8")
        writer = csv.writer(self._fh)
        if not (self.resume and existed):
            writer.writerow([*LEAD, *header])
        return writer

    def write(self, refusals: Sequence[RowRefusal]) -> None:
        if not refusals:
            return
        if self._writer is None:
            self._writer = self._open()
        for r in refusals:
            self._writer.writerow([r.line, r.error.reason, r.error.detail, *r.row])
        self.count += len(refusals)
        assert self._fh is not None
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
