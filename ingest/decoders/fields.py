"""Map vendor field names to our four levels by pattern, not by a fixed list (SPEC §4).

Acoustic glossary names are ``L`` + frequency weighting (``A``, ``C``, ``Z``) + optional time weighting
(``F`` fast, ``S`` slow, ``I`` impulse) + statistic (``eq``, ``max``, ``min``, ``peak``), optionally with
``_`` between the parts (``LA_max`` as sensor.community writes it). The ``L`` and the weighting letters
are upper case; the statistic may be written in any case (``LCPeak``, ``LAFMax``).

Only these become readings:

==========  ===============================================  =====================================
ours        accepted names, best first                        why
==========  ===============================================  =====================================
``laeq``    ``LAeq``; ``LAFeq``/``LASeq``/``LAIeq``; Elsys      an A-weighted equivalent level; Leq does
            ``soundAvg``                                      not depend on the time weighting
``lafmax``  ``LAFmax``; ``LAmax``; Elsys ``soundPeak``        A-weighted maximum, fast (or unstated)
``lafmin``  ``LAFmin``; ``LAmin``                             A-weighted minimum, fast (or unstated)
``lcpeak``  ``LCpeak`` / ``LCPeak``                           C-weighted peak
==========  ===============================================  =====================================

Everything else (``LAF``/``LAS`` spot values, ``LASmax``, ``LAImax``, C- and Z-weighted levels,
band levels such as ``LAeq1000``, ``LAeq_d``) is ignored. A payload without an A-weighted
equivalent level is refused with ``no_laeq``, naming the fields it did carry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from noiselab.domain.errors import InvalidReading
from noiselab.ingest.decoders.body import preview

GLOSSARY_RE = re.compile(r"^L(?P<freq>[AZC])_?(?P<time>[FSI]?)_?(?P<stat>(?i:eq|max|min|peak))$")

# (frequency weighting, time weighting, statistic) -> (our level, rank); lower rank wins
_RANKS: dict[tuple[str, str, str], tuple[str, int]] = {
    ("A", "", "eq"): ("laeq", 0),
    ("A", "F", "eq"): ("laeq", 1),
    ("A", "S", "eq"): ("laeq", 1),
    ("A", "I", "eq"): ("laeq", 1),
    ("A", "F", "max"): ("lafmax", 0),
    ("A", "", "max"): ("lafmax", 1),
    ("A", "F", "min"): ("lafmin", 0),
    ("A", "", "min"): ("lafmin", 1),
    ("C", "", "peak"): ("lcpeak", 0),
}

# vendor names outside the glossary, -> (our level, rank)
ALIASES: Mapping[str, tuple[str, int]] = {
    # Elsys ERS Sound: whole dB, weighting and averaging undocumented (see docs/vendors.md)
    "soundAvg": ("laeq", 5),
    "soundPeak": ("lafmax", 5),
}


def classify(name: str) -> tuple[str, str, str] | None:
    """``(frequency weighting, time weighting, statistic)`` of a glossary name, or None."""
    m = GLOSSARY_RE.match(name)
    if m is None:
        return None
    return m.group("freq"), m.group("time"), m.group("stat").lower()


def level_of(name: str) -> tuple[str, int] | None:
    """Which of our levels a field name maps to, and its rank (lower is preferred)."""
    parts = classify(name)
    if parts is not None:
        return _RANKS.get(parts)
    return ALIASES.get(name)


def map_levels(fields: Mapping[str, object], *, what: str = "decoded payload") -> dict[str, object]:
    """``{"laeq": value, "lafmax": value, ...}`` picked from ``fields`` by name; values are not validated
    here (``make_reading`` does that). Refuses with ``no_laeq`` when nothing maps to ``laeq``."""
    best: dict[str, tuple[int, object]] = {}
    for name, value in fields.items():
        target = level_of(name)
        if target is None:
            continue
        level, rank = target
        if level not in best or rank < best[level][0]:
            best[level] = (rank, value)
    if "laeq" not in best:
        raise no_laeq(fields.keys(), what=what)
    return {level: value for level, (_, value) in best.items()}


def no_laeq(names: Iterable[object], *, what: str) -> InvalidReading:
    """The refusal for a payload that carries no A-weighted equivalent level."""
    listed = [str(n) for n in names]
    hint = ""
    if any((p := classify(n)) is not None and p[0] != "A" and p[2] == "eq" for n in listed):
        hint = " (the sensor seems set to C or Z weighting; set it to A)"
    return InvalidReading(
        "no_laeq",
        f"no A-weighted equivalent level (LAeq) in the {what}{hint}; fields present: {preview(listed)}",
    )
