"""A sensor's latest interval as a FIWARE ``NoiseLevelObserved`` entity (smartdatamodels.org
dataModel.Environment), in NGSI v2 key-values or NGSI-LD normalized form.

Attributes: ``dateObservedFrom``/``dateObservedTo`` (the interval), ``dateObserved`` (ISO 8601 interval),
``LAeq``, ``LAmax`` (reported LAFmax), ``LAmin`` (LAFmin), ``location`` (GeoJSON Point, lon/lat) when
the sensor is placed, ``refDevice`` and ``sonometerClass``. The entity can be fed back to
``POST /v1/ingest/ngsi``.
"""

from __future__ import annotations

from typing import Any

from noiselab.api.current import iso_utc
from noiselab.domain.readings import Reading
from noiselab.store.registry import Sensor

LD_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
SDM_CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld"
)


def _attributes(sensor: Sensor, r: Reading) -> dict[str, Any]:
    start = iso_utc(r.start_ms)
    end = iso_utc(r.start_ms + round(r.interval_s * 1000))
    attrs: dict[str, Any] = {
        "dateObservedFrom": start,
        "dateObservedTo": end,
        "dateObserved": f"{start}/{end}",
        "LAeq": r.laeq,
        "LAmax": r.lafmax,
        "LAmin": r.lafmin,
        "sonometerClass": sensor.sonometer_class,
        "name": sensor.name,
    }
    if sensor.lat is not None and sensor.lon is not None:
        attrs["location"] = {"type": "Point", "coordinates": [sensor.lon, sensor.lat]}
    return {k: v for k, v in attrs.items() if v is not None}


def entity_v2(sensor: Sensor, r: Reading) -> dict[str, Any]:
    """NGSI v2 key-values."""
    return {
        "id": f"NoiseLevelObserved-{sensor.sensor_id}",
        "type": "NoiseLevelObserved",
        **_attributes(sensor, r),
        "refDevice": f"urn:ngsi-ld:Device:{sensor.sensor_id}",
    }


def entity_ld(sensor: Sensor, r: Reading) -> dict[str, Any]:
    """NGSI-LD normalized: Properties, a GeoProperty and a Relationship; levels carry ``observedAt``."""
    observed_at = iso_utc(r.start_ms + round(r.interval_s * 1000))
    out: dict[str, Any] = {
        "id": f"urn:ngsi-ld:NoiseLevelObserved:{sensor.sensor_id}",
        "type": "NoiseLevelObserved",
    }
    for key, value in _attributes(sensor, r).items():
        if key == "location":
            out[key] = {"type": "GeoProperty", "value": value}
        elif key in ("dateObservedFrom", "dateObservedTo"):
            out[key] = {"type": "Property", "value": {"@type": "DateTime", "@value": value}}
        elif key.startswith("LA"):
            out[key] = {"type": "Property", "value": value, "observedAt": observed_at, "unitCode": "2N"}
        else:
            out[key] = {"type": "Property", "value": value}
    out["refDevice"] = {"type": "Relationship", "object": f"urn:ngsi-ld:Device:{sensor.sensor_id}"}
    out["@context"] = [SDM_CONTEXT, LD_CONTEXT]
    return out
