"""Target profiles (limit values): the versioned presets of SPEC §6 plus custom profiles, and comparisons.

A profile is a list of limit rows ``{metric, value_db, area_categories, label, kind, source_url}``; a sensor
gets the rows of its profile whose ``area_categories`` contain its area category (or ``"*"``). A sensor
without a profile gets the preset for its noise source (road -> ``dk-road``, rail -> ``dk-rail``, aircraft
and wind -> WHO 2018); a sensor without an area category is treated as ``housing``.

Comparison (free-field limits): ``value = L + correction`` for a façade-mounted sensor (correction -3 dB by
default, Directive 2002/49/EC Annex I), ``margin_db = limit_db - value_db`` (positive: headroom below the
limit, negative: by how much it is exceeded), ``exceeded = value_db > limit_db``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from noiselab.processing.events import facade_correction

AREA_CATEGORIES = (
    "housing",
    "school",
    "institution",
    "hospital",
    "park",
    "recreation",
    "summer_house",
    "campsite",
    "hotel",
    "office",
    "mixed",
    "industry",
)
DEFAULT_AREA = "housing"
DEFAULT_BY_SOURCE = {
    "road": "dk-road",
    "rail": "dk-rail",
    "aircraft": "who-2018-aircraft",
    "wind": "who-2018-wind",
}


@dataclass(frozen=True)
class Limit:
    profile_id: str
    profile_version: str
    metric: str
    value_db: float
    label: str
    kind: str
    source_url: str | None


@cache
def presets() -> dict[str, Any]:
    """The shipped presets document (``noiselab/data/targets.json``)."""
    text = resources.files("noiselab.domain").joinpath("data/targets.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def all_profiles(custom: Iterable[dict[str, Any]] = ()) -> dict[str, dict[str, Any]]:
    """Presets and custom profiles by id (a custom profile may not shadow a preset)."""
    out = {p["id"]: {**p, "preset": True} for p in presets()["profiles"]}
    for p in custom:
        out.setdefault(p["id"], {**p, "preset": False})
    return out


def profile_id_for(sensor_profile: str | None, source_type: str | None) -> str | None:
    return sensor_profile or DEFAULT_BY_SOURCE.get(source_type or "")


def limits_for(profile: dict[str, Any] | None, area_category: str | None) -> list[Limit]:
    """The rows of ``profile`` that apply to a sensor in ``area_category``."""
    if profile is None:
        return []
    area = area_category or DEFAULT_AREA
    return [
        Limit(
            profile["id"],
            str(profile.get("version", "")),
            row["metric"],
            float(row["value_db"]),
            row.get("label", ""),
            row.get("kind", "guideline"),
            row.get("source_url"),
        )
        for row in profile.get("limits", [])
        if "*" in row.get("area_categories", ["*"]) or area in row.get("area_categories", [])
    ]


def sensor_limits(
    custom: Iterable[dict[str, Any]],
    target_profile: str | None,
    source_type: str | None,
    area_category: str | None,
) -> list[Limit]:
    """The limits that apply to one sensor: its profile (or its source type's default) among the presets and
    the custom profiles, the rows for its area. The one lookup behind the engineers' views and the page."""
    profile = all_profiles(custom).get(profile_id_for(target_profile, source_type) or "")
    return limits_for(profile, area_category)


def compare(
    value_db: float | None, limit: Limit, *, facade: bool, correction_db: float, indicative: bool
) -> dict[str, Any]:
    """One comparison of a measured level with a limit (see module docstring)."""
    corrected = None
    if value_db is not None and not math.isnan(value_db):
        corrected = round(float(facade_correction(value_db, facade=facade, correction_db=-correction_db)), 2)
    return {
        "metric": limit.metric,
        "limit_db": limit.value_db,
        "value_db": corrected,
        "facade_correction_db": -correction_db if facade else 0.0,
        "margin_db": None if corrected is None else round(limit.value_db - corrected, 2),
        "exceeded": None if corrected is None else corrected > limit.value_db,
        "indicative": indicative,
        "profile": limit.profile_id,
        "profile_version": limit.profile_version,
        "label": limit.label,
        "kind": limit.kind,
        "source_url": limit.source_url,
    }
