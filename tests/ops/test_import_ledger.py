"""The import ledger: a re-import skips blocks it committed before, and only those, on a real SqliteStore."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from noiselab.cli.commands.importer import Importer
from noiselab.cli.commands.readings_block import BlockParser, read_blocks
from noiselab.domain.errors import StoreUnavailable
from noiselab.store.registry import Registry
from noiselab.store.sqlite import SqliteStore
from tests.ops.conftest import diurnal_rows, write_csv

HEADER = ("sensor_id", "ts", "laeq", "lafmax", "lafmin", "lcpeak", "interval_s")
CHUNK = 200


def _blocks(src: Path, store: SqliteStore) -> list[tuple[bool, int, int]]:
    """(known, readings parsed, rows) of each block, with the store's ledger."""
    with src.open("rb") as fh:
        return [
            (b.known, len(b), b.rows)
            for b in read_blocks(
                fh,
                lambda header: BlockParser(header, now_s=time.time()),
                block_rows=CHUNK,
                known=store.known_block,
            )
        ]


def test_a_reimport_skips_every_block_unparsed(
    tmp_path: Path, store: SqliteStore, registry: Registry
) -> None:
    rows = diurnal_rows("s1", "2026-06-01", 1, step_s=60)  # 1440 rows: 8 blocks
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    imp = Importer(store, registry, store_url="sqlite:///l", chunk_rows=CHUNK)
    assert imp.run(src).stored == 1440
    blocks = _blocks(src, store)
    assert [k for k, _, _ in blocks] == [True] * 8 and sum(r for _, _, r in blocks) == 1440
    assert all(n == 0 for _, n, _ in blocks)  # nothing parsed
    again = imp.run(src)
    assert (again.rows, again.stored, again.duplicates, again.refused) == (1440, 0, 1440, 0)


def test_a_changed_block_is_parsed_again_and_first_version_wins(
    tmp_path: Path, store: SqliteStore, registry: Registry
) -> None:
    rows = diurnal_rows("s1", "2026-06-01", 1, step_s=60)
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    imp = Importer(store, registry, store_url="sqlite:///l", chunk_rows=CHUNK)
    imp.run(src)
    rows[450][2] = 99.9  # block 3 (lines 402..601)
    write_csv(src, rows, HEADER)
    assert [k for k, _, _ in _blocks(src, store)] == [True, True, False, True, True, True, True, True]
    again = imp.run(src)
    assert (again.stored, again.duplicates) == (0, 1440)
    assert 99.9 not in store.read("s1", 0, 2**62).laeq.tolist()


def test_blocks_with_refused_rows_are_not_in_the_ledger(
    tmp_path: Path, store: SqliteStore, registry: Registry
) -> None:
    rows: list[list[object]] = list(diurnal_rows("s1", "2026-06-01", 1, step_s=120))  # 720 rows
    rows[300][2] = "loud"
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    imp = Importer(store, registry, store_url="sqlite:///l", chunk_rows=CHUNK)
    first = imp.run(src)
    assert (first.stored, first.refused) == (719, 1)
    assert [k for k, _, _ in _blocks(src, store)] == [True, False, True, True]
    again = imp.run(src)
    assert (again.stored, again.duplicates, again.refused) == (0, 719, 1)  # the refusal is reported again
    assert [r.line for r in again.refusals] == [302]


def test_retention_voids_the_ledger_entries_of_deleted_readings(tmp_path: Path, registry: Registry) -> None:
    store = SqliteStore(tmp_path / "noise.db", raw_retention_days=30)
    rows = diurnal_rows("s1", "2026-06-01", 1, step_s=120)
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    imp = Importer(store, registry, store_url="sqlite:///l", chunk_rows=CHUNK)
    imp.run(src)
    store.apply_retention(float(np.max([r[1] for r in rows])) + 30 * 86400 + 3600)  # every reading is older
    assert not any(k for k, _, _ in _blocks(src, store))
    again = imp.run(src)
    assert (again.stored, again.duplicates, again.expired) == (0, 0, 720)
    store.close()


def test_a_failed_write_leaves_no_ledger_entry(tmp_path: Path, registry: Registry) -> None:
    from tests.ops.test_import_export import _FailingStore

    rows = diurnal_rows("s1", "2026-06-01", 1, step_s=120)
    src = write_csv(tmp_path / "in.csv", rows, HEADER)
    failing = _FailingStore(tmp_path / "noise.db")
    with pytest.raises(StoreUnavailable):
        Importer(failing, registry, store_url="sqlite:///l", chunk_rows=CHUNK).run(src)
    assert [k for k, _, _ in _blocks(src, failing)] == [True, True, False, False]
    failing.close()
