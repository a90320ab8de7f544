"""Synthetic living-lab trials with a known insertion loss (shared by the core, store and API tests).

Model, per local hour h of day d (dB):

    source   S(d, h) = base + diurnal(h) + traffic_d + shift·[after]          traffic_d ~ N(0, traffic_sd)
    reference        = S + noise                                               noise ~ N(0, hour_sd) per hour
    treated          = S − offset + site_d − il·[after] + noise                site_d ~ N(0, site_sd) per day

``site_d`` (propagation that varies from day to day: wind, temperature) is what the day-block interval must
account for; hourly noise alone would make hours look independent. Days are independent draws, so the true
IL of the BACI estimand is exactly ``il``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
from numpy.typing import NDArray

from noiselab.processing.trials import TrialInputs, local_hours
from noiselab.processing.weather import HourlyWeather

DIURNAL_DB = np.array(
    [-12, -13, -14, -14, -12, -6, 0, 3, 3, 2, 1, 1, 1, 1, 2, 3, 3, 2, 0, -2, -4, -6, -8, -10]
)


@dataclass(frozen=True)
class Synthetic:
    hour_s: NDArray[np.int64]
    treated_db: NDArray[np.float64]
    reference_db: NDArray[np.float64]
    before: tuple[int, int]
    after: tuple[int, int]
    tz: str

    def inputs(self, weather: HourlyWeather | None = None) -> TrialInputs:
        return TrialInputs(
            hour_s=self.hour_s,
            local=local_hours(self.hour_s, self.tz),
            treated_db=self.treated_db,
            treated_coverage=np.where(np.isfinite(self.treated_db), 1.0, 0.0),
            reference_db=self.reference_db,
            reference_coverage=np.where(np.isfinite(self.reference_db), 1.0, 0.0),
            weather=weather,
        )


def synthetic(
    seed: int,
    *,
    il_db: float = 4.0,
    shift_db: float = 0.0,
    start: date = date(2027, 3, 1),
    days_before: int = 30,
    gap_days: int = 10,
    days_after: int = 30,
    n_treated: int = 1,
    n_reference: int = 1,
    traffic_sd: float = 1.5,
    site_sd: float = 1.0,
    hour_sd: float = 1.5,
    tz: str = "UTC",
) -> Synthetic:
    """A before period, a gap (installation), an after period; levels on a UTC hour grid in zone ``tz``."""
    rng = np.random.default_rng(seed)
    n_days = days_before + gap_days + days_after
    t0 = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp()) - 6 * 3600
    hour_s = t0 + 3600 * np.arange(n_days * 24 + 36, dtype=np.int64)  # margin both sides of the local dates
    local = local_hours(hour_s, tz)
    day = local.date_ordinal - start.toordinal()
    inside = (day >= 0) & (day < n_days)
    day_c = np.clip(day, 0, n_days - 1)
    after = day >= days_before + gap_days
    traffic = rng.normal(0.0, traffic_sd, n_days)[day_c]
    source = 68.0 + DIURNAL_DB[local.hour] + traffic + shift_db * after
    site = rng.normal(0.0, site_sd, (n_treated, n_days))[:, day_c]
    ref = source + rng.normal(0.0, hour_sd, (n_reference, hour_s.size))
    treated = source - 10.0 + site - il_db * after + rng.normal(0.0, hour_sd, (n_treated, hour_s.size))
    ref[:, ~inside] = np.nan
    treated[:, ~inside] = np.nan
    o = start.toordinal()
    return Synthetic(
        hour_s=hour_s,
        treated_db=treated,
        reference_db=ref,
        before=(o, o + days_before - 1),
        after=(o + days_before + gap_days, o + n_days - 1),
        tz=tz,
    )
