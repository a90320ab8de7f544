"""Plain words for residents: each sensor's target, the colour band of a level, and sentences in da/en.

The target of a sensor comes from its ``target_profile`` (else its ``area_category``). Until the engineers'
target presets (``noiselab/targets.py``) exist, a small fallback table with the source of each value is used
here; ``target_for`` is the one place to reconcile with them.

Bands compare a level with the location's own Lden target. A period level L_p is compared as its *rated*
level ``L_p + K_p`` (the period's Lden penalty: 0 day, +5 evening, +10 night): if every period sat exactly at
``limit − K_p``, Lden would equal the limit (Directive 2002/49/EC Annex I weights), so this is the share of
the target each period may use.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

MST_ROAD = (
    "Miljøstyrelsen, vejledning nr. 4/2007 «Støj fra veje»: vejledende grænseværdier for vejtrafikstøj, "
    "Lden udendørs i frit felt"
)
MST_ROAD_EN = (
    "Danish Environmental Protection Agency, guideline 4/2007 'Noise from roads': guideline values for "
    "road traffic noise, Lden outdoors in free field"
)
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


def _dk_road(profile: str, lden: float, da: str, en: str) -> Target:
    return Target(profile, lden, {"da": da, "en": en}, {"da": MST_ROAD, "en": MST_ROAD_EN}, 45.0, WHO_2018)


# Fallback presets (SPEC §6, reference/metrics.md §3). The night value is WHO 2018's road Lnight 45 dB:
# the Danish road guideline has no night value of its own.
FALLBACK_TARGETS: dict[str, Target] = {
    "dk-road-housing": _dk_road("dk-road-housing", 58.0, "boliger", "housing"),
    "dk-road-recreation": _dk_road("dk-road-recreation", 53.0, "rekreative områder", "recreational areas"),
    "dk-road-office": _dk_road("dk-road-office", 63.0, "kontorer og hoteller", "offices and hotels"),
    "who-road": Target(
        "who-road",
        53.0,
        {"da": "WHO's anbefaling for vejstøj", "en": "WHO's recommendation for road noise"},
        {"da": WHO_2018, "en": WHO_2018},
        45.0,
        WHO_2018,
    ),
}
AREA_PROFILES = {"housing": "dk-road-housing", "recreation": "dk-road-recreation", "office": "dk-road-office"}


AREA_WORDS = {
    "housing": ("boliger", "housing"),
    "school": ("skoler", "schools"),
    "institution": ("institutioner", "institutions"),
    "hospital": ("hospitaler", "hospitals"),
    "park": ("parker", "parks"),
    "recreation": ("rekreative områder", "recreational areas"),
    "summer_house": ("sommerhuse", "summer houses"),
    "campsite": ("campingpladser", "campsites"),
    "hotel": ("hoteller", "hotels"),
    "office": ("kontorer", "offices"),
    "mixed": ("blandede områder", "mixed areas"),
    "industry": ("erhverv", "industry"),
}
WHO_NIGHT_BY_SOURCE = {"road": 45.0, "rail": 44.0, "aircraft": 40.0}


def _from_presets(profile: str | None, area: str, source_type: str) -> Target | None:
    """The target from the engineers' presets (``noiselab.domain.targets``), when they are there and apply."""
    try:
        from noiselab.domain import targets as presets
    except ImportError:  # the presets module is not part of this build
        return None
    profiles = presets.all_profiles()
    pid = presets.profile_id_for(profile, source_type)
    if pid not in profiles and pid and pid.startswith("dk-road-"):  # "dk-road-housing" = dk-road for housing
        suffix = pid[len("dk-road-") :]
        pid, area = "dk-road", suffix if suffix in AREA_WORDS else area
    rows = presets.limits_for(profiles.get(pid or ""), area)
    lden = [r for r in rows if r.metric == "lden" and r.kind in ("guideline", "recommendation", "limit")]
    if not lden:
        return None
    night = [r for r in rows if r.metric == "lnight"]
    limit = min(lden, key=lambda r: r.value_db)
    da, en = AREA_WORDS.get(area, (area, area))
    prof = profiles[limit.profile_id]
    title = " ".join(str(prof.get(k) or "") for k in ("name", "version")).strip() or limit.profile_id
    src = f"{title}; {limit.source_url}" if limit.source_url else title
    src_da = f"{MST_ROAD}; {limit.source_url}" if limit.profile_id == "dk-road" else src
    src_en = f"{MST_ROAD_EN}; {limit.source_url}" if limit.profile_id == "dk-road" else src
    night_db = night[0].value_db if night else WHO_NIGHT_BY_SOURCE.get(source_type)
    return Target(
        limit.profile_id,
        limit.value_db,
        {"da": da, "en": en},
        {"da": src_da, "en": src_en},
        night_db,
        (title if night else WHO_2018) if night_db is not None else None,
    )


def target_for(profile: str | None, area_category: str | None, source_type: str = "road") -> Target:
    """The sensor's target: from the presets when available, else the fallback table (housing by default)."""
    found = _from_presets(profile, area_category or "housing", source_type)
    if found is not None:
        return found
    if profile in FALLBACK_TARGETS:
        return FALLBACK_TARGETS[profile]  # type: ignore[index]
    return FALLBACK_TARGETS[AREA_PROFILES.get(area_category or "", "dk-road-housing")]


# --- colour bands: (id, upper bound of margin in dB); the last band catches the rest
BANDS: tuple[tuple[str, float], ...] = (("under", -5.0), ("near", 0.0), ("over", 5.0), ("far-over", math.inf))
BAND_TEXT = {
    "da": {
        "under": "Et godt stykke under målet",
        "near": "Under målet, men tæt på",
        "over": "Over målet",
        "far-over": "Langt over målet",
        "none": "Ingen aktuelle målinger",
    },
    "en": {
        "under": "Well under the target",
        "near": "Under the target, but close",
        "over": "Above the target",
        "far-over": "Far above the target",
        "none": "No current readings",
    },
}


def band(margin_db: float | None) -> str:
    """Band id of a margin (compared level − limit); ``none`` without a level."""
    if margin_db is None or not math.isfinite(margin_db):
        return "none"
    return next(name for name, upper in BANDS if margin_db <= upper)


def whole(x: float) -> int:
    """Round half up to a whole dB (what residents are shown; consistent between a level and a margin)."""
    return math.floor(x + 0.5)


def _events(n: int, lang: str) -> str:
    if lang == "da":
        return {0: "ingen høje hændelser over 70 dB", 1: "1 høj hændelse over 70 dB"}.get(
            n, f"{n} høje hændelser over 70 dB"
        )
    return {0: "no loud events above 70 dB", 1: "1 loud event above 70 dB"}.get(
        n, f"{n} loud events above 70 dB"
    )


def _compare(level_db: float, limit_db: float, lang: str) -> str:
    diff = whole(level_db) - whole(limit_db)
    if diff == 0:
        return "lige på" if lang == "da" else "right at"
    word = ("under" if diff < 0 else "over") if lang == "da" else ("under" if diff < 0 else "above")
    return f"{abs(diff)} dB {word}"


def _coverage_note(coverage: float | None, lang: str) -> str:
    if coverage is None or coverage >= 0.75:
        return ""
    pct = whole(100 * coverage)
    return f" (målt i kun {pct} % af tiden)" if lang == "da" else f" (measured only {pct} % of the time)"


def night_sentence(night: dict[str, Any] | None, target: Target, lang: str) -> str:
    if not night or night.get("lnight_db") is None:
        return "Ingen målinger fra sidste nat." if lang == "da" else "No readings from last night."
    lv, ev = night["lnight_db"], _events(int(night["events_70"]), lang)
    note = _coverage_note(night.get("coverage"), lang)
    if target.night_db is None:
        return (
            f"Sidste nat var gennemsnittet {whole(lv)} dB{note}; {ev}."
            if lang == "da"
            else f"Last night averaged {whole(lv)} dB{note}; {ev}."
        )
    cmp = _compare(lv, target.night_db, lang)
    if lang == "da":
        return f"Sidste nat var {cmp} WHO's anbefaling for natten ({whole(target.night_db)} dB){note}; {ev}."
    return f"Last night was {cmp} WHO's night recommendation ({whole(target.night_db)} dB){note}; {ev}."


def day_sentence(day: dict[str, Any] | None, target: Target, lang: str) -> str:
    if not day or day.get("lden_db") is None:
        return (
            "Der er ikke målinger nok fra i går til en døgnværdi."
            if lang == "da"
            else "Not enough readings from yesterday for a day value."
        )
    cmp = _compare(day["lden_db"], target.lden_db, lang)
    note = _coverage_note(day.get("coverage"), lang)
    limit, label = whole(target.lden_db), target.label[lang]
    if lang == "da":
        return f"I går var døgnets støj (Lden) {cmp} målet for {label} ({limit} dB){note}."
    return f"Yesterday's day-evening-night level (Lden) was {cmp} the target for {label} ({limit} dB){note}."


def summary(night: dict[str, Any] | None, day: dict[str, Any] | None, target: Target, lang: str) -> str:
    """Both sentences; a no-break space keeps each number with its unit (and "%") on one line."""
    text = f"{night_sentence(night, target, lang)} {day_sentence(day, target, lang)}"
    return text.replace(" dB", "\u00a0dB").replace(" %", "\u00a0%")
