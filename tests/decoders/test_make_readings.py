"""``make_readings`` (the batch builder in noiselab.domain.readings) agrees with ``make_reading``, item by
item."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import make_reading, make_readings

LEVELS = st.one_of(
    st.floats(min_value=10, max_value=150),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=0, max_value=200),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
)


@settings(deadline=None)
@given(
    laeq=st.lists(LEVELS, min_size=1, max_size=20),
    lafmax=st.one_of(st.none(), st.lists(LEVELS, min_size=20, max_size=20)),
    interval_s=st.sampled_from([1, 0.5, 60.0, 600]),
    now_offset_s=st.floats(min_value=-100, max_value=2000),
)
def test_batch_builder_equals_one_by_one(
    laeq: list[object], lafmax: list[object] | None, interval_s: float, now_offset_s: float
) -> None:
    start_s = 1_781_074_800.0
    now_s = start_s + now_offset_s
    readings, refused = make_readings(
        sensor_id="s-1", start_s=start_s, interval_s=interval_s, laeq=laeq, lafmax=lafmax, now_s=now_s
    )
    expected, expected_refused = [], []
    for i, level in enumerate(laeq):
        try:
            expected.append(
                make_reading(
                    sensor_id="s-1",
                    start_s=start_s + i * interval_s,
                    interval_s=interval_s,
                    laeq=level,
                    lafmax=None if lafmax is None else lafmax[i],
                    now_s=now_s,
                )
            )
        except InvalidReading as err:
            expected_refused.append((i, err.reason))
    assert readings == expected
    assert [(e.index, e.reason) for e in refused] == expected_refused
