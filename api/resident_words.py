"""Plain words for residents: each sensor's target, the colour band of a level, and sentences in da/en.

The target of a sensor comes from the same lookup as the engineers' views
(:func:`noiselab.domain.targets.sensor_limits`: its ``target_profile`` among the presets and the custom
profiles, else its source type's default, and the rows for its ``area_category``); a small fallback table
applies only when no profile gives an Lden value. Words come from the language catalogs.

Bands compare a level with the location's own Lden target. A period level L_p is compared as its *rated*
level ``L_p + K_p`` (the period's Lden penalty: 0 day, +5 evening, +10 night): if every period sat exactly at
``limit − K_p``, Lden would equal the limit (Directive 2002/49/EC Annex I weights), so this is the share of
the target each period may use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from noiselab.api.catalog import by_lang, text
from noiselab.domain.targets import AREA_CATEGORIES, Limit, all_profiles, sensor_limits
from noiselab.processing.events import DEFAULT_EVENTS
from noiselab.store.registry.base import Sensor

WHO_2018 = "WHO Environmental Noise Guidelines for the European Region (2018)"


@dataclass(frozen=True)
class Target:
    profile: str
    lden_db: float
    label: dict[str, str]  # "for housing" / "for boliger"
    source: dict[str, str]
    night_db: float | None = None  # a night (Lnight) recommendation to compare last night with
    night_source: str | None = None

    def as_dict(self, lang: str) -> dict[str, Any]:
        d = asdict(self)
        d["label"] = self.label[lang]
        d["source"] = self.source[lang]
        return d


def _dk_road(profile: str, lden: float, area_key: str) -> Target:
    return Target(profile, lden, by_lang(f"area.{area_key}"), by_lang("source.mst_road"), 45.0, WHO_2018)


# Fallback presets (SPEC §6, reference/metrics.md §3). The night value is WHO 2018's road Lnight 45 dB:
# the Danish road guideline has no night value of its own.
FALLBACK_TARGETS: dict[str, Target] = {
    "dk-road-housing": _dk_road("dk-road-housing", 58.0, "housing"),
    "dk-road-recreation": _dk_road("dk-road-recreation", 53.0, "recreation"),
    "dk-road-office": _dk_road("dk-road-office", 63.0, "offices_hotels"),
    "who-road": Target(
        "who-road",
        53.0,
        by_lang("area.who_road"),
        dict.fromkeys(by_lang("area.who_road"), WHO_2018),
        45.0,
        WHO_2018,
    ),
}
AREA_PROFILES = {"housing": "dk-road-housing", "recreation": "dk-road-recreation", "office": "dk-road-office"}


AREA_WORDS = AREA_CATEGORIES  # every area category has its words in each catalog (server.area.*)
WHO_NIGHT_BY_SOURCE = {"road": 45.0, "rail": 44.0, "aircraft": 40.0}


def _from_limits(
    rows: list[Limit], profiles: dict[str, dict[str, Any]], area: str, source_type: str
) -> Target | None:
    """The residents' target from the sensor's limit rows (the same rows the engineers' views use)."""
    lden = [r for r in rows if r.metric == "lden" and r.kind in ("guideline", "recommendation", "limit")]
    if not lden:
        return None
    night = [r for r in rows if r.metric == "lnight"]
    limit = min(lden, key=lambda r: r.value_db)
    if limit.profile_id.startswith("dk-road-"):  # "dk-road-housing" = dk-road for housing
        suffix = limit.profile_id.removeprefix("dk-road-")
        area = suffix if suffix in AREA_WORDS else area
    label = by_lang(f"area.{area}") if area in AREA_WORDS else dict.fromkeys(by_lang("area.housing"), area)
    prof = profiles.get(limit.profile_id, {})
    title = " ".join(str(prof.get(k) or "") for k in ("name", "version")).strip() or limit.profile_id
    src = f"{title}; {limit.source_url}" if limit.source_url else title
    sources = (
        {lang: f"{mst}; {limit.source_url}" for lang, mst in by_lang("source.mst_road").items()}
        if limit.profile_id == "dk-road"
        else dict.fromkeys(label, src)
    )
    night_db = night[0].value_db if night else WHO_NIGHT_BY_SOURCE.get(source_type)
    return Target(
        limit.profile_id,
        limit.value_db,
        label,
        sources,
        night_db,
        (title if night else WHO_2018) if night_db is not None else None,
    )


def target_for(sensor: Sensor, custom_profiles: Iterable[dict[str, Any]] = ()) -> Target:
    """The sensor's target, from :func:`noiselab.domain.targets.sensor_limits` (presets and custom profiles,
    as the engineers' views see them); the fallback table only when no profile gives an Lden value."""
    area, source_type = sensor.area_category or "housing", sensor.source_type
    custom = list(custom_profiles)
    rows = sensor_limits(custom, sensor.target_profile, source_type, area)
    found = _from_limits(rows, all_profiles(custom), area, source_type)
    if found is not None:
        return found
    if sensor.target_profile in FALLBACK_TARGETS:
        return FALLBACK_TARGETS[sensor.target_profile]
    return FALLBACK_TARGETS[AREA_PROFILES.get(sensor.area_category or "", "dk-road-housing")]


# --- colour bands: (id, upper bound of margin in dB); the last band catches the rest
BANDS: tuple[tuple[str, float], ...] = (("under", -5.0), ("near", 0.0), ("over", 5.0), ("far-over", math.inf))
BAND_IDS = (*(name for name, _ in BANDS), "none")


def band(margin_db: float | None) -> str:
    """Band id of a margin (compared level − limit); ``none`` without a level."""
    if margin_db is None or not math.isfinite(margin_db):
        return "none"
    return next(name for name, upper in BANDS if margin_db <= upper)


def whole(x: float) -> int:
    """Round half up to a whole dB (what residents are shown; consistent between a level and a margin)."""
    return math.floor(x + 0.5)


def band_text(band_id: str, lang: str) -> str:
    return text(lang, f"band.{band_id}")


def _events(n: int, lang: str, threshold_db: float = DEFAULT_EVENTS.threshold_db) -> str:
    return text(lang, "events", n=n, threshold=whole(threshold_db))


def _compare(level_db: float, limit_db: float, lang: str) -> str:
    diff = whole(level_db) - whole(limit_db)
    if diff == 0:
        return text(lang, "compare.at")
    return text(lang, "compare.under" if diff < 0 else "compare.over", diff=abs(diff))


def _coverage_note(coverage: float | None, lang: str) -> str:
    if coverage is None or coverage >= 0.75:
        return ""
    return text(lang, "coverage_note", pct=whole(100 * coverage))


def night_sentence(night: dict[str, Any] | None, target: Target, lang: str) -> str:
    if not night or night.get("lnight_db") is None:
        return text(lang, "night.none")
    threshold = night.get("event_threshold_db", DEFAULT_EVENTS.threshold_db)  # the settings' (residents.py)
    lv, ev = night["lnight_db"], _events(int(night["events_70"]), lang, threshold)
    note = _coverage_note(night.get("coverage"), lang)
    if target.night_db is None:
        return text(lang, "night.plain", level=whole(lv), note=note, events=ev)
    cmp = _compare(lv, target.night_db, lang)
    return text(lang, "night.target", compare=cmp, limit=whole(target.night_db), note=note, events=ev)


def day_sentence(day: dict[str, Any] | None, target: Target, lang: str) -> str:
    if not day or day.get("lden_db") is None:
        return text(lang, "day.none")
    cmp = _compare(day["lden_db"], target.lden_db, lang)
    note = _coverage_note(day.get("coverage"), lang)
    return text(
        lang, "day.target", compare=cmp, label=target.label[lang], limit=whole(target.lden_db), note=note
    )


def summary(night: dict[str, Any] | None, day: dict[str, Any] | None, target: Target, lang: str) -> str:
    """Both sentences; a no-break space keeps each number with its unit (and "%") on one line."""
    text = f"{night_sentence(night, target, lang)} {day_sentence(day, target, lang)}"
    return text.replace(" dB", "\u00a0dB").replace(" %", "\u00a0%")
