"""The readings CSV of SPEC §5 parsed in bulk: blocks of lines -> validated numpy columns.

This is the one parser of the readings CSV, used by ``noiselab import`` and ``noiselab compute``. The rules
are those of :func:`readings_csv.parse_row` (itself :func:`domain.readings.make_reading`); this module only
makes the common case fast:

- the file is read in blocks of ``block_rows`` physical lines (bounded memory whatever the file size);
- a block is one ``bytes`` object; newline and comma positions are found with numpy, and the lines with
  exactly as many fields as the header (no quotes) are parsed column by column on the raw bytes:
  decimal numbers ``[-]digits[.digits]`` with at most 15 digits as ``mantissa / 10**k`` (one correctly
  rounded division, bit-identical to ``float(text)``), times ``YYYY-MM-DDTHH:MM:SSZ`` or ``...±HH:MM`` by
  the days-from-civil formula, sensor ids once per run of equal ids;
- every other line, and every row that any vectorised check does not accept (empty laeq, text, exponent,
  out of range, fractional ISO seconds, a sensor id with spaces, a time in the future ...) goes through
  ``parse_row``, which accepts it or refuses it with the reason and detail it always gave.

So the fast path never decides a refusal: it only proves rows valid. Output order is file order.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from noiselab.cli.commands.readings_csv import column_index, parse_row
from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import (
    MAX_DB,
    MAX_FUTURE_S,
    MAX_INTERVAL_S,
    MIN_DB,
    MIN_INTERVAL_S,
    OLDEST_START_S,
    Reading,
    valid_sensor_id,
)

READ_BYTES = 1 << 22
_POW10_INT = 10 ** np.arange(19, dtype=np.int64)
_POW10 = 10.0 ** np.arange(23)
_MAX_DIGITS = 15  # mantissa < 2**53: mantissa / 10**k is correctly rounded, as float(text) is
_MAX_NUMBER_LEN = 24
_EPOCH_MAX_S = 4102444800.0  # parse_time_s refuses epoch numbers after 2100-01-01
LEVELS = ("laeq", "lafmax", "lafmin", "lcpeak")

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Mask = NDArray[np.bool_]


@dataclass(frozen=True)
class RowRefusal:
    line: int
    row: list[str]
    error: InvalidReading


@dataclass
class ReadingBlock:
    """Validated readings of one block of lines, in file order; NaN = not reported."""

    sensor_ids: list[str]  # distinct ids of this block; ``sensor`` indexes into it
    sensor: Ints
    start_ms: Ints
    interval_s: Floats
    laeq: Floats
    lafmax: Floats
    lafmin: Floats
    lcpeak: Floats
    line: Ints  # line number of each reading (the header is line 1)
    refused: list[RowRefusal]
    rows: int  # non-blank rows in the block
    last_line: int  # the block's last line number
    n_bytes: int  # bytes of the file consumed by the block
    digest: bytes = b""  # blake2b of the header line and the block's text
    known: bool = False  # skipped unparsed: ``known(digest)`` said all its ``rows`` are stored already
    end_offset: int = 0  # bytes of the file up to the end of this block (header and skipped lines included)

    def __len__(self) -> int:
        return int(self.start_ms.shape[0])


# --- columns from raw bytes --------------------------------------------------------------------------
def _gather(buf: NDArray[np.uint8], start: Ints, length: Ints, width: int) -> NDArray[np.uint8]:
    """(width, n) bytes of each field from ``start`` (one row per position), zero after ``length``."""
    out = np.zeros((width, start.size), dtype=np.uint8)
    last = buf.size - 1
    for j in range(width):
        present = length > j
        np.copyto(out[j], buf[np.minimum(start + j, last)], where=present)
    return out


def parse_decimals(buf: NDArray[np.uint8], start: Ints, length: Ints) -> tuple[Floats, Mask]:
    """Values of fields ``[-]d*[.d*]`` (≤ 15 digits) and which fields were of that form."""
    n = start.size
    if n == 0 or int(length.max()) == 0:
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    width = min(int(length.max()), _MAX_NUMBER_LEN)
    ch = _gather(buf, start, length, width)
    minus = ch[0] == 45
    ok = (length <= width) & (length > minus)
    mantissa = np.zeros(n, dtype=np.int64)
    n_digits = np.zeros(n, dtype=np.int8)
    frac = np.zeros(n, dtype=np.int8)
    seen_dot = np.zeros(n, dtype=bool)
    for j in range(width):
        c = ch[j]
        value = c - np.uint8(48)
        digit = value < 10
        dot = c == 46
        if j == 0:
            ok &= digit | dot | minus
        else:
            ok &= digit | dot | (c == 0)
        ok &= ~(dot & seen_dot)
        seen_dot |= dot
        np.add(mantissa * 10, value, out=mantissa, where=digit)
        n_digits += digit
        frac += digit & seen_dot
    ok &= (n_digits >= 1) & (n_digits <= _MAX_DIGITS)
    result = mantissa / _POW10[np.minimum(frac, 22)]
    np.negative(result, out=result, where=minus)
    return result, ok


def parse_iso_times(buf: NDArray[np.uint8], start: Ints, length: Ints) -> tuple[Ints, Mask]:
    """Epoch seconds of ``YYYY-MM-DDTHH:MM:SSZ`` / ``YYYY-MM-DDTHH:MM:SS±HH:MM``, and which fields were so."""
    n = start.size
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    ch = _gather(buf, start, length, 25)
    d = ch - np.uint8(48)  # digits 0..9, anything else wraps to >= 10
    zulu = (length == 20) & (ch[19] == 90)
    offset = (length == 25) & ((ch[19] == 43) | (ch[19] == 45)) & (ch[22] == 58)
    ok = zulu | offset
    for j in (0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18):
        ok &= d[j] < 10
    for j, sep in ((4, 45), (7, 45), (10, 84), (13, 58), (16, 58)):
        ok &= ch[j] == sep
    for j in (20, 21, 23, 24):
        ok &= (d[j] < 10) | zulu

    def num(*cols: int) -> Ints:
        out = np.zeros(n, dtype=np.int64)
        for c in cols:
            out *= 10
            out += d[c]
        return out

    year, month, day = num(0, 1, 2, 3), num(5, 6), num(8, 9)
    hour, minute, second = num(11, 12), num(14, 15), num(17, 18)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
    dim = month_days[np.clip(month - 1, 0, 11)] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= dim)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    # days from civil (H. Hinnant), proleptic Gregorian
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    seconds = days * 86400 + hour * 3600 + minute * 60 + second
    if offset.any():
        off_h, off_m = num(20, 21), num(23, 24)
        ok &= ~offset | ((off_h <= 23) & (off_m <= 59))
        sign = np.where(ch[19] == 45, -1, 1)
        seconds -= np.where(offset, sign * (off_h * 3600 + off_m * 60), 0)
    return seconds, ok


# --- one block ---------------------------------------------------------------------------------------
class BlockParser:
    """Parses blocks of one file with this header (raises ``HeaderError`` when it lacks a required column)."""

    def __init__(
        self,
        header: list[str],
        *,
        now_s: float,
        default_interval: Callable[[str], float] = lambda _sensor: 1.0,
        strict_width: bool = False,
        source: str = "import",
    ) -> None:
        self.index, self.ignored_columns = column_index(header)
        self.width = len(header)
        self.now_s = now_s
        self.default_interval = default_interval
        self.strict_width = strict_width
        self.source = source

    def parse(self, data: bytes, first_line: int) -> ReadingBlock:
        """``data``: whole lines, each ending in a newline; ``first_line``: the line number of the first."""
        n_bytes = len(data)
        if not data.endswith(b"\n"):
            data += b"\n"  # a file's unterminated last line
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        buf = np.frombuffer(data, dtype=np.uint8)
        nl = np.flatnonzero(buf == 10)
        starts = np.concatenate([[0], nl[:-1] + 1]).astype(np.int64)
        length = nl - starts
        commas = np.flatnonzero(buf == 44)
        per_line = np.diff(np.searchsorted(commas, nl), prepend=0)
        comma_line = np.repeat(np.arange(nl.size), per_line)
        regular = (per_line == self.width - 1) & (length > 0)
        if b'"' in data:
            regular[:] = False
        fast = np.flatnonzero(regular)
        cols, good = self._fast_columns(buf, commas[regular[comma_line]], starts[fast], nl[fast])
        slow = np.union1d(np.flatnonzero(~regular & (length > 0)), fast[~good])
        readings, refused, blank = self._slow_rows(data, starts, nl, slow, first_line)
        keep = fast[good]
        block = self._assemble(cols, good, keep, readings, first_line)
        block.refused = refused
        block.rows = int((length > 0).sum()) - blank
        block.last_line = first_line + nl.size - 1
        block.n_bytes = n_bytes
        return block

    def _fast_columns(
        self, buf: NDArray[np.uint8], commas: Ints, line_start: Ints, line_end: Ints
    ) -> tuple[dict[str, object], Mask]:
        n = line_start.size
        seps = commas.reshape(n, self.width - 1) if n else np.zeros((0, self.width - 1), dtype=np.int64)
        bounds = np.concatenate([line_start[:, None] - 1, seps, line_end[:, None]], axis=1)

        def field(name: str) -> tuple[Ints, Ints]:
            k = self.index[name]
            s = bounds[:, k] + 1
            return s, bounds[:, k + 1] - s

        good = np.ones(n, dtype=bool)
        cols: dict[str, object] = {}
        for name in LEVELS:
            if name not in self.index:
                cols[name] = np.full(n, np.nan)
                continue
            s, ln = field(name)
            value, ok = parse_decimals(buf, s, ln)
            empty = ln == 0
            in_range = (value >= MIN_DB) & (value <= MAX_DB)
            good &= (ok & in_range) | (empty & (name != "laeq"))
            cols[name] = np.where(empty, np.nan, value)
        s, ln = field("ts")
        iso_s, iso_ok = parse_iso_times(buf, s, ln)
        start_ms = iso_s * 1000
        start_s = iso_s.astype(np.float64)
        num_ok = np.zeros(n, dtype=bool)
        if not iso_ok.all():
            other = np.flatnonzero(~iso_ok)
            epoch, ok = parse_decimals(buf, s[other], ln[other])
            ok &= (epoch >= 0) & (epoch <= _EPOCH_MAX_S)
            num_ok[other] = ok
            start_s[other] = epoch
            start_ms[other] = np.rint(np.where(ok, epoch, 0) * 1000).astype(np.int64)
        good &= (iso_ok | num_ok) & (start_s >= OLDEST_START_S) & (start_s <= self.now_s + MAX_FUTURE_S)
        cols["start_ms"] = start_ms
        sensor_ids, sensor, id_ok = self._sensors(buf, *field("sensor_id"))
        good &= id_ok
        cols["sensor_ids"], cols["sensor"] = sensor_ids, sensor
        defaults = np.array([self.default_interval(s) for s in sensor_ids], dtype=np.float64)
        if "interval_s" in self.index:
            s, ln = field("interval_s")
            value, ok = parse_decimals(buf, s, ln)
            empty = ln == 0
            good &= (ok & (value >= MIN_INTERVAL_S) & (value <= MAX_INTERVAL_S)) | empty
            cols["interval_s"] = np.where(empty, defaults[sensor] if defaults.size else 1.0, value)
        else:
            cols["interval_s"] = defaults[sensor] if defaults.size else np.zeros(0)
        return cols, good

    def _sensors(self, buf: NDArray[np.uint8], s: Ints, ln: Ints) -> tuple[list[str], Ints, Mask]:
        """Distinct ids (decoded once per run of equal ids) and each row's index; rows with a bad id."""
        n = s.size
        if n == 0:
            return [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
        width = int(min(max(int(ln.max()), 1), 65))
        ch = _gather(buf, s, ln, width)
        change = np.ones(n, dtype=bool)
        change[1:] = (ch[:, 1:] != ch[:, :-1]).any(axis=0) | (ln[1:] != ln[:-1])
        run_start = np.flatnonzero(change)
        ids: dict[str, int] = {}
        run_index = np.empty(run_start.size, dtype=np.int64)
        run_ok = np.empty(run_start.size, dtype=bool)
        for j, i in enumerate(run_start.tolist()):
            text = bytes(ch[: ln[i], i]).decode("utf-8", "replace")
            run_ok[j] = valid_sensor_id(text)
            run_index[j] = ids.setdefault(text, len(ids))
        runs = np.cumsum(change) - 1
        return list(ids), run_index[runs], run_ok[runs]

    def _slow_rows(
        self, data: bytes, starts: Ints, ends: Ints, lines: Ints, first_line: int
    ) -> tuple[list[tuple[int, Reading]], list[RowRefusal], int]:
        readings: list[tuple[int, Reading]] = []
        refused: list[RowRefusal] = []
        blank = 0
        for i in lines.tolist():
            text = data[starts[i] : ends[i]].decode("utf-8", "replace")
            row = next(csv.reader([text]), [])
            if not row or (len(row) == 1 and not row[0].strip()):
                blank += 1
                continue
            line = first_line + i
            try:
                if self.strict_width and len(row) != self.width:
                    raise InvalidReading(
                        "bad_row", f"expected {self.width} fields as in the header, got {len(row)}"
                    )
                reading = parse_row(
                    row, self.index, now_s=self.now_s, default_interval=self.default_interval,
                    source=self.source,
                )  # fmt: skip
            except InvalidReading as err:
                refused.append(RowRefusal(line, row, err))
                continue
            readings.append((line, reading))
        return readings, refused, blank

    def _assemble(
        self,
        cols: dict[str, object],
        good: Mask,
        keep: Ints,
        readings: list[tuple[int, Reading]],
        first_line: int,
    ) -> ReadingBlock:
        sensor_ids = list(cols["sensor_ids"])  # type: ignore[call-overload]
        arrays = {k: np.asarray(cols[k])[good] for k in ("sensor", "start_ms", "interval_s", *LEVELS)}
        line = keep.astype(np.int64) + first_line
        if readings:
            known = {s: i for i, s in enumerate(sensor_ids)}
            extra = {
                "sensor": np.array([known.setdefault(r.sensor_id, len(known)) for _, r in readings]),
                "start_ms": np.array([r.start_ms for _, r in readings], dtype=np.int64),
                "interval_s": np.array([r.interval_s for _, r in readings], dtype=np.float64),
                **{
                    k: np.array([math.nan if getattr(r, k) is None else getattr(r, k) for _, r in readings])
                    for k in LEVELS
                },
            }
            sensor_ids = list(known)
            line = np.concatenate([line, np.array([n for n, _ in readings], dtype=np.int64)])
            order = np.argsort(line, kind="stable")
            line = line[order]
            arrays = {k: np.concatenate([arrays[k], extra[k].astype(arrays[k].dtype)])[order] for k in arrays}
        return ReadingBlock(
            sensor_ids=sensor_ids,
            sensor=arrays["sensor"].astype(np.int64),
            start_ms=arrays["start_ms"].astype(np.int64),
            interval_s=arrays["interval_s"].astype(np.float64),
            laeq=arrays["laeq"],
            lafmax=arrays["lafmax"],
            lafmin=arrays["lafmin"],
            lcpeak=arrays["lcpeak"],
            line=line,
            refused=[],
            rows=0,
            last_line=first_line - 1,
            n_bytes=0,
        )


# --- a whole file ------------------------------------------------------------------------------------
def read_header(fh: BinaryIO) -> tuple[list[str], bytes]:
    """The header row's cells and its raw line (a UTF-8 byte order mark is dropped from the cells)."""
    raw = fh.readline()
    text = raw.decode("utf-8-sig", "replace").rstrip("\r\n")
    return (next(csv.reader([text]), []) if text.strip() else []), raw


def block_digest(header: bytes, data: bytes) -> bytes:
    """What identifies a block's readings: its text under its header (16-byte blake2b)."""
    return hashlib.blake2b(header + b"\0" + data, digest_size=16).digest()


def line_blocks(fh: BinaryIO, block_rows: int, *, read_bytes: int = READ_BYTES) -> Iterator[bytes]:
    """Blocks of ``block_rows`` whole lines (the last one may be shorter and lack its newline)."""
    pending = b""
    while True:
        data = fh.read(read_bytes)
        if data:
            pending += data
        while pending.count(b"\n") >= block_rows:
            at = int(np.flatnonzero(np.frombuffer(pending, dtype=np.uint8) == 10)[block_rows - 1])
            yield pending[: at + 1]
            pending = pending[at + 1 :]
        if not data:
            break
    if pending:
        yield pending


def read_blocks(
    fh: BinaryIO,
    parser_for: Callable[[list[str]], BlockParser],
    *,
    block_rows: int,
    skip_to_line: int = 0,
    progress: Callable[[int], None] = lambda _n: None,
    known: Callable[[bytes], int | None] | None = None,
) -> Iterator[ReadingBlock]:
    """Parse the file after its header block by block; lines up to ``skip_to_line`` are skipped unparsed.

    ``parser_for(header)`` makes the parser once the header is known (raises ``HeaderError``).
    ``progress(n)`` is called with the bytes consumed, header and skipped lines included. ``known(digest)``
    (optional) returns the row count of a block already imported whole, which is then not parsed: it is
    yielded empty with ``known=True`` (hashing costs a small fraction of parsing).
    """
    header, header_raw = read_header(fh)
    parser = parser_for(header)
    progress(len(header_raw))
    offset = len(header_raw)
    line = 2
    for data in line_blocks(fh, block_rows):
        n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
        if line + n_lines - 1 <= skip_to_line:
            line += n_lines
            progress(len(data))
            offset += len(data)
            continue
        if line <= skip_to_line:  # resume inside this block
            cut = int(np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)[skip_to_line - line])
            progress(cut + 1)
            offset += cut + 1
            data, line = data[cut + 1 :], skip_to_line + 1
            n_lines = data.count(b"\n") + (not data.endswith(b"\n"))
        digest = block_digest(header_raw, data)
        rows = known(digest) if known is not None else None
        if rows is not None:
            block = ReadingBlock(
                [], *(np.zeros(0, dtype=np.int64),) * 2, *(np.zeros(0),) * 5, np.zeros(0, dtype=np.int64),
                refused=[], rows=rows, last_line=line + n_lines - 1, n_bytes=len(data), known=True,
            )  # fmt: skip
        else:
            block = parser.parse(data, line)
        block.digest = digest
        offset += block.n_bytes
        block.end_offset = offset
        line += n_lines
        progress(block.n_bytes)
        yield block
