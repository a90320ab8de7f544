"""Issue #13: every string going into InfluxDB line protocol is escaped for it (or refused when line
protocol has no escape for it), so one bad string cannot split a line and lose a batch."""

from __future__ import annotations

import pytest

from noiselab.domain.readings import Reading
from noiselab.store.influx import _fields, _reading_line, _tag


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("a b", "a\\ b"), ("a,b", "a\\,b"), ("a=b", "a\\=b"), ("a\\b", "a\\\\b"), ("vb-1.x_2", "vb-1.x_2")],
)
def test_tag_values_are_escaped(raw: str, escaped: str) -> None:
    assert _tag(raw) == escaped


@pytest.mark.parametrize("raw", ["acme\n", "a\rb", "\n"])
def test_a_line_break_never_reaches_a_tag(raw: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        _tag(raw)


def test_string_fields_stay_on_one_line_and_quoted() -> None:
    text = _fields(source='na"ti\\ve\nx=1 2\r')
    assert "\n" not in text and "\r" not in text
    assert text.startswith('source="') and text.endswith('"')
    assert '\\"' in text and "\\\\" in text


def test_a_reading_is_one_line() -> None:
    r = Reading("s 1,x=y", 946684800000, 1.0, 55.0, source="na\nme")
    line = _reading_line(r)
    assert line.count("\n") == 0
    assert line.startswith("readings,sensor_id=s\\ 1\\,x\\=y ")
