"""``noiselab import FILE.csv``: backfill readings into the store, streaming, idempotent and resumable.

The file is read in blocks of ``chunk_rows`` lines, parsed and validated in bulk by
:mod:`noiselab.cli.commands.readings_block` (the same parser as ``noiselab compute``; refused rows get the
reasons of :func:`readings_csv.parse_row`), and each block is written as columns in one store transaction
(:func:`store.base.write_batch`: the SQLite store inserts the new rows, skips a block it already holds with
one range scan per sensor, and updates its hourly and minute rollups from the block). A block imported whole
before (no refused row) is recognised by a digest of its text in the store's import ledger, written in the
same transaction as its readings, and counted as duplicates without being parsed: a re-import of the same
file costs reading and hashing it. After each block is committed to the store (and its refused rows to the
dead-letter store, source ``import``), a checkpoint file
``FILE.csv.noiselab-import`` records the last committed line. An interrupted import run again resumes
after that line; ``--restart`` ignores the checkpoint. Because store writes are idempotent, a crash between
a write and its checkpoint only means some readings are written twice and counted as duplicates.

The checkpoint is bound to the file (size and a hash of its first 64 KiB) and the store URL; if either
changed, the import starts over from the top. It is deleted when the import completes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from noiselab.cli.commands.readings_block import BlockParser, ReadingBlock, RowRefusal, read_blocks
from noiselab.store.base import ReadingBatch, ReadingStore, known_block, write_batch
from noiselab.store.registry import DeadLetter, Registry

log = logging.getLogger(__name__)

CHECKPOINT_SUFFIX = ".noiselab-import"
MAX_LISTED = 20  # refused rows listed one by one in the summary; all of them go to the dead-letter store


@dataclass
class Refusal:
    line: int
    reason: str
    detail: str


@dataclass
class ImportSummary:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    expired: int = 0
    resumed_after_line: int = 0
    last_line: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    refusals: list[Refusal] = field(default_factory=list)  # the first MAX_LISTED
    ignored_columns: list[str] = field(default_factory=list)
    sensors: set[str] = field(default_factory=set)  # ids of the readings stored or found stored this run

    def lines(self, file: Path) -> list[str]:
        """Human summary, one statement per line."""
        out = []
        if self.resumed_after_line:
            out.append(f"resumed after line {self.resumed_after_line} (checkpoint)")
        out.append(
            f"{file.name}: {self.rows} rows read, {self.stored} readings stored, "
            f"{self.duplicates} duplicates (already stored), {self.refused} refused"
            + (f", {self.expired} older than the retention cut-off" if self.expired else "")
        )
        if self.ignored_columns:
            out.append(f"ignored columns: {', '.join(self.ignored_columns)}")
        for reason, n in self.reasons.most_common():
            out.append(f"refused ({reason}): {n}")
        for r in self.refusals:
            out.append(f"  line {r.line}: {r.reason}: {r.detail}")
        if self.refused > len(self.refusals):
            out.append(f"  ... and {self.refused - len(self.refusals)} more")
        if self.refused:
            out.append("every refused row is kept in the dead-letter store (source 'import') with its line")
        return out


def checkpoint_path(file: Path) -> Path:
    return file.with_name(file.name + CHECKPOINT_SUFFIX)


def file_identity(file: Path) -> dict[str, object]:
    with file.open("rb") as fh:
        head = hashlib.sha256(fh.read(65536)).hexdigest()
    return {"size": file.stat().st_size, "head_sha256": head}


def _load_checkpoint(file: Path, identity: dict[str, object], store_url: str) -> dict[str, Any] | None:
    path = checkpoint_path(file)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("file") != identity or data.get("store_url") != store_url:
        log.warning("checkpoint %s belongs to another file or store; starting over", path)
        return None
    return data if isinstance(data, dict) else None


def _save_checkpoint(file: Path, state: dict[str, object]) -> None:
    path = checkpoint_path(file)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


class Importer:
    """Streams one CSV file into a store; ``run`` returns the summary (see module docstring)."""

    def __init__(
        self,
        store: ReadingStore,
        registry: Registry,
        *,
        store_url: str,
        chunk_rows: int = 5000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.registry = registry
        self.store_url = store_url
        self.chunk_rows = chunk_rows
        self.clock = clock
        self._intervals: dict[str, float] = {}

    def _default_interval(self, sensor_id: str) -> float:
        if sensor_id not in self._intervals:
            sensor = self.registry.get_sensor(sensor_id) if sensor_id else None
            self._intervals[sensor_id] = (sensor.interval_s if sensor and sensor.interval_s else None) or 1.0
        return self._intervals[sensor_id]

    def run(
        self,
        file: Path,
        *,
        restart: bool = False,
        progress: Callable[[int], None] = lambda _n: None,
        refused: Callable[[list[RowRefusal]], None] = lambda _r: None,
    ) -> ImportSummary:
        """Import ``file``; ``progress(n)`` gets the bytes of each committed block and ``refused(rows)`` its
        refused rows, once the block is committed."""
        identity = file_identity(file)
        summary = ImportSummary()
        checkpoint = None if restart else _load_checkpoint(file, identity, self.store_url)
        skip_to = int(checkpoint["line"]) if checkpoint else 0
        if checkpoint:
            summary.resumed_after_line = skip_to
            for key in ("rows", "stored", "duplicates", "refused", "expired"):
                setattr(summary, key, int(checkpoint.get("totals", {}).get(key, 0)))
            summary.reasons.update(checkpoint.get("reasons", {}))
        reported = 0
        with file.open("rb") as fh, ThreadPoolExecutor(max_workers=1) as reader:
            blocks = read_blocks(
                fh, lambda header: self._parser(header, summary), block_rows=self.chunk_rows,
                skip_to_line=skip_to, known=lambda digest: known_block(self.store, digest),
            )  # fmt: skip
            # the next block is read and parsed in a thread while this one is written (SQLite and most of
            # numpy release the GIL); progress counts the bytes of committed blocks only
            ahead = reader.submit(next, blocks, None)
            while (block := ahead.result()) is not None:
                ahead = reader.submit(next, blocks, None)
                summary.rows += block.rows
                letters = [self._refuse(summary, file, refusal) for refusal in block.refused]
                self._commit(file, identity, summary, block, letters)
                refused(block.refused)
                progress(block.end_offset - reported)
                reported = block.end_offset
        if reported < int(identity["size"]):  # type: ignore[call-overload]
            progress(int(identity["size"]) - reported)  # type: ignore[call-overload]
        checkpoint_path(file).unlink(missing_ok=True)
        log.info(
            "import finished",
            extra={
                "file": str(file),
                "rows": summary.rows,
                "stored": summary.stored,
                "duplicates": summary.duplicates,
                "refused": summary.refused,
            },
        )
        return summary

    def _parser(self, header: list[str], summary: ImportSummary) -> BlockParser:
        parser = BlockParser(header, now_s=self.clock(), default_interval=self._default_interval)
        summary.ignored_columns = parser.ignored_columns
        return parser

    def _refuse(self, summary: ImportSummary, file: Path, refusal: RowRefusal) -> DeadLetter:
        line, row, err = refusal.line, refusal.row, refusal.error
        summary.refused += 1
        summary.reasons[err.reason] += 1
        if len(summary.refusals) < MAX_LISTED:
            summary.refusals.append(Refusal(line, err.reason, err.detail))
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(row)
        sensor = row[0].strip()[:64] if row else None
        return DeadLetter(
            source="import",
            reason=err.reason,
            detail=f"{file.name} line {line}: {err.detail}",
            raw=buf.getvalue().encode(),
            topic=f"{file.name}:{line}",
            sensor_id=sensor or None,
        )

    def _commit(
        self,
        file: Path,
        identity: dict[str, object],
        summary: ImportSummary,
        block: ReadingBlock,
        letters: list[DeadLetter],
    ) -> None:
        line = block.last_line
        if block.known:  # the very same block was imported whole before and is still stored
            summary.duplicates += block.rows
        if len(block):
            batch = ReadingBatch(
                block.sensor_ids, block.sensor, block.start_ms, block.interval_s, block.laeq, block.lafmax,
                block.lafmin, block.lcpeak, source="import",
            )  # fmt: skip
            result = write_batch(self.store, batch, block_digest=None if block.refused else block.digest)
            summary.stored += result.stored
            summary.duplicates += result.duplicates
            summary.expired += getattr(result, "expired", 0)
            stored_ids = {block.sensor_ids[i] for i in set(block.sensor.tolist())}  # not refused rows' ids
            self.registry.ensure_sensors(stored_ids)
            summary.sensors.update(stored_ids)
        self.registry.add_dead_letters(letters)
        summary.last_line = max(summary.last_line, line)
        totals = {k: getattr(summary, k) for k in ("rows", "stored", "duplicates", "refused", "expired")}
        _save_checkpoint(
            file,
            {
                "file": identity,
                "store_url": self.store_url,
                "line": summary.last_line,
                "totals": totals,
                "reasons": dict(summary.reasons),
            },
        )
        if len(block) or letters:
            log.debug(  # one line per block: the terminal shows a progress bar instead
                "import chunk committed",
                extra={"file": file.name, "line": summary.last_line, **totals},
            )
