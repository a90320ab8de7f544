"""What an import tells about the sensors it brought: which are new, which are not placed or not public
(the residents' page shows only placed public sensors), and the exact commands that fix it.

Sensors that readings register on their own are unplaced and private until someone says where they are.
After an import, :func:`advice_lines` names them and prints two ways to place them and make them public: a
sensor sheet (:mod:`noiselab.cli.commands.sensor_sheet`; :func:`write_template` writes one with their ids,
to be filled in) applied with ``noiselab sensors apply``, or one admin API call per sensor.
"""

from __future__ import annotations

import csv
import shlex
from collections.abc import Collection, Sequence
from pathlib import Path

from noiselab.cli.commands.sensor_sheet import COLUMNS
from noiselab.store.registry import Registry, Sensor

SHEET_SUFFIX = ".sensors.csv"
MAX_NAMED = 20  # sensors named one by one; the rest are counted
MAX_CALLS = 3  # API calls printed; the rest are "the same for ..."


def template_path(file: Path) -> Path:
    return file.with_name(file.name + SHEET_SUFFIX)


def not_on_page(registry: Registry, sensor_ids: Collection[str]) -> list[Sensor]:
    """Registered, current sensors among ``sensor_ids`` that are not placed or not public."""
    found = (registry.get_sensor(s) for s in sorted(sensor_ids))
    return [s for s in found if s is not None and not s.retired and not (s.placed and s.public)]


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:MAX_NAMED])
    return shown + (f" and {len(ids) - MAX_NAMED} more" if len(ids) > MAX_NAMED else "")


def write_template(path: Path, sensors: Sequence[Sensor]) -> bool:
    """A sheet with one row per sensor (what the registry knows filled in); False if ``path`` exists (a
    sheet being filled in is never overwritten)."""
    if path.exists():
        return False
    yes_no = {True: "yes", False: "no"}
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for s in sensors:
            writer.writerow(
                [s.sensor_id, s.name or "", "" if s.lat is None else s.lat, "" if s.lon is None else s.lon,
                 s.area_category or "", yes_no[s.facade], yes_no[s.public]]
            )  # fmt: skip
    return True


def advice_lines(
    sensors: Sequence[Sensor],
    new_ids: Collection[str],
    *,
    sheet: Path | None,
    sheet_written: bool,
    cli_flags: Sequence[str],
    api_url: str,
) -> list[str]:
    """The summary's lines about new and hidden sensors, with commands to copy."""
    out: list[str] = []
    new = sorted(new_ids)
    if new:
        out.append(f"new sensors ({len(new)}), registered by this import: {_names(new)}")
    if not sensors:
        return out
    ids = [s.sensor_id for s in sensors]
    unplaced = sum(not s.placed for s in sensors)
    private = sum(not s.public for s in sensors)
    out.append(
        f"not on the residents' page: {len(ids)} sensor(s) ({unplaced} not placed, {private} not public): "
        f"{_names(ids)}"
    )
    admin = "with an admin key (noiselab keys create --role admin)"
    if sheet is not None:
        how = "written to" if sheet_written else "already at (not overwritten)"
        command = shlex.join(["noiselab", "sensors", "apply", str(sheet), *cli_flags])
        out.append(
            f"to place them and make them public, fill in the sensor sheet {how} {sheet} "
            f"(columns {','.join(COLUMNS)}; public = yes) and run:"
        )
        out.append(f"  {command}")
        out.append(f"or, {admin}, one API call per sensor:")
    else:
        out.append(f"to place them and make them public, {admin}:")
    for sensor_id in ids[:MAX_CALLS]:
        out.append(
            f"  curl -X PATCH {api_url}/v1/sensors/{sensor_id}"
            ' -H "Authorization: Bearer $NOISELAB_ADMIN_KEY" -H "Content-Type: application/json"'
            """ -d '{"lat": <lat>, "lon": <lon>, "public": true}'"""
        )
    others = len(ids) - MAX_CALLS
    out.append(
        f"  (the same for the other {others}, with each sensor's coordinates in place of <lat> and <lon>)"
        if others > 0
        else "  (with the sensor's coordinates in place of <lat> and <lon>)"
    )
    return out
