"""A readings CSV as engineers bring them: 1-s data of a few sensors, written fast with numpy.

``write_file(path, sensors=2, days=35)`` writes ``sensor_id,ts,laeq,lafmax`` rows (``ts`` ISO 8601 UTC with
``Z``, levels with one decimal), sensor by sensor in time order, 86 400 rows per sensor and day. Levels
follow a diurnal pattern with noise and pass-bys (about 8 s, +20 dB, one every ~7 minutes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

START_S = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp())
HEADER = b"sensor_id,ts,laeq,lafmax\n"
_BLOCK = 1 << 20


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as (n, width) ASCII digits, zero-padded."""
    out = np.empty((values.size, width), dtype=np.uint8)
    v = values.astype(np.int64)
    for j in range(width - 1, -1, -1):
        out[:, j] = 48 + v % 10
        v //= 10
    return out


def _rows(sensor: str, t: np.ndarray, tenths_laeq: np.ndarray, tenths_fmax: np.ndarray) -> bytes:
    n = t.size
    dt = np.asarray(t, dtype="datetime64[s]")
    iso = np.char.encode(np.datetime_as_string(dt, unit="s")).view(np.uint8).reshape(n, 19)
    sid = np.frombuffer(sensor.encode() + b",", dtype=np.uint8)
    parts = [
        np.broadcast_to(sid, (n, sid.size)),
        iso,
        np.broadcast_to(np.frombuffer(b"Z,", dtype=np.uint8), (n, 2)),
        _digits(tenths_laeq // 10, 2),
        np.full((n, 1), 46, dtype=np.uint8),
        _digits(tenths_laeq % 10, 1),
        np.full((n, 1), 44, dtype=np.uint8),
        _digits(tenths_fmax // 10, 2),
        np.full((n, 1), 46, dtype=np.uint8),
        _digits(tenths_fmax % 10, 1),
        np.full((n, 1), 10, dtype=np.uint8),
    ]
    return np.concatenate(parts, axis=1).tobytes()


def write_file(
    path: Path, *, sensors: int = 2, days: float = 35.0, seed: int = 1, start_s: int = START_S
) -> int:
    """Write the file (readings from ``start_s`` on); returns the number of data rows."""
    rng = np.random.default_rng(seed)
    n = int(days * 86400)
    with path.open("wb") as fh:
        fh.write(HEADER)
        for k in range(sensors):
            for lo in range(0, n, _BLOCK):
                t = np.arange(lo, min(lo + _BLOCK, n), dtype=np.int64) + start_s
                hour = (t % 86400) / 3600.0
                level = 55 + 8 * np.sin((hour - 8) / 24 * 2 * np.pi) + rng.normal(0, 3, t.size)
                passby = np.convolve(rng.random(t.size) < 1 / 400, np.ones(8), mode="same") > 0
                level += np.where(passby, 20.0, 0.0)  # pass-bys of about 8 s, one every ~7 minutes
                tenths = np.clip(np.rint(level * 10), 300, 990).astype(np.int64)
                fmax = np.minimum(tenths + 45, 999)
                fh.write(_rows(f"vb-{k + 1:02d}", t, tenths, fmax))
    return sensors * n
