"""noiselab's functional core: acoustic metrics over numpy arrays (no I/O, no settings, no clock).

Modules, from the bottom up:

- :mod:`processing.decibel`     energy sum / mean of levels (logsumexp-stable, NaN-aware, weighted)
- :mod:`processing.localtime`   UTC epoch seconds -> local clock time in any IANA zone, vectorised
- :mod:`processing.periods`     ``Period``/``PeriodScheme`` (dk, eu, ldn, custom) and date/period lengths
- :mod:`processing.workspace`   reused chunk buffers: energies with 0.1 dB classes, local hours
- :mod:`processing.rollups`     mergeable per-sensor bucket rollups (energy, seconds, maxima, histogram)
- :mod:`processing.percentiles` LA_N on 0.1 dB classes, inverted-CDF rule
- :mod:`processing.daysums`     per (sensor, local date, period) sums from raw readings or rollups
- :mod:`processing.daily`       daily records (Lden, Lday, ..., LA90, coverage, valid)
- :mod:`processing.annual`      annual period levels and Lden with coverage and ``indicative``
- :mod:`processing.events`      events above thresholds, intermittency ratio, emergence, façade correction
- :mod:`processing.bootstrap`   day-block bootstrap: day counts, percentile intervals, seeds from the data
- :mod:`processing.weather`     weather per hour from 10-min/hourly series; wind, sector, dry filters
- :mod:`processing.trials`      living-lab trials: BACI / control-impact / before-after insertion loss

Errors: invalid arguments raise ``ValueError``; nothing else is raised on purpose.
"""

from noiselab.processing.decibel import energy, energy_mean, energy_sum, level
from noiselab.processing.periods import SCHEMES, Period, PeriodScheme
from noiselab.processing.rollups import Rollups, merge, rollup

__all__ = [
    "SCHEMES",
    "Period",
    "PeriodScheme",
    "Rollups",
    "energy",
    "energy_mean",
    "energy_sum",
    "level",
    "merge",
    "rollup",
]
