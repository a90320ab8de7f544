"""FIWARE ``NoiseLevelObserved`` entities over HTTP: NGSI v2 key-values, NGSI v2 normalized, NGSI-LD
(normalized or concise).

Body: one entity, an array of entities, or a notification ``{"data": [entities...]}`` (v2 and LD).
With several entities, each bad one is refused on its own (``index`` = its position).

- sensor id: ``refDevice`` without a ``urn:ngsi-ld:Device:`` prefix; else the entity ``id`` without a
  ``urn:ngsi-ld:NoiseLevelObserved:`` prefix. Ids are not rewritten: one with characters outside
  letters, digits, ``.``, ``_``, ``-`` is refused with ``bad_sensor_id`` (add ``refDevice``);
- levels: attribute names mapped like LoRaWAN fields (``LAeq`` -> laeq, ``LAmax`` -> lafmax, ...);
  ``LAS`` and the period levels ``LAeq_d`` etc. are ignored;
- time: ``dateObservedFrom`` is the start and ``dateObservedTo - dateObservedFrom`` the interval.
  With only ``dateObservedFrom``: the sensor's interval (default 60 s). With only ``dateObservedTo``:
  it ends an interval of the sensor's length. With only ``dateObserved``: that instant ENDS the
  interval (sensor rule ``"start"`` flips that). Times need a zone.
"""

from __future__ import annotations

from noiselab.domain.errors import InvalidReading
from noiselab.domain.readings import Reading, make_reading, parse_time_s
from noiselab.ingest.decoders.body import check_items, json_type, load_json
from noiselab.ingest.decoders.fields import map_levels
from noiselab.ingest.decoders.message import Decoded, Message, SensorRules

ENTITY_TYPE = "NoiseLevelObserved"
DEVICE_PREFIX = "urn:ngsi-ld:Device:"
ENTITY_PREFIX = f"urn:ngsi-ld:{ENTITY_TYPE}:"
_META = frozenset(
    {"id", "type", "@context", "refDevice", "location", "dateObserved", "dateObservedFrom", "dateObservedTo"}
)


def decode(message: Message, rules: SensorRules) -> Decoded:
    data = load_json(message.body)
    if isinstance(data, dict) and "data" in data and "id" not in data:
        data = data["data"]
        if not isinstance(data, list):
            raise InvalidReading("bad_type", f"a notification's data must be an array, got {json_type(data)}")
    if isinstance(data, dict):
        return Decoded([_entity(data, message, rules)], [])
    if not isinstance(data, list):
        raise InvalidReading(
            "bad_shape",
            f"body must be an entity, an array of entities or a notification, got {json_type(data)}",
        )
    check_items(len(data))
    out = Decoded([], [])
    for i, item in enumerate(data):
        try:
            if not isinstance(item, dict):
                raise InvalidReading("bad_type", f"each entity must be a JSON object, got {json_type(item)}")
            out.readings.append(_entity(item, message, rules))
        except InvalidReading as err:
            err.index = i
            out.refused.append(err)
    return out


def value_of(attribute: object) -> object:
    """The plain value of an attribute in any of the NGSI shapes.

    key-values ``67.8``; v2 normalized ``{"type": "Number", "value": 67.8}``; LD ``{"type": "Property",
    "value": 66.1}``; LD relationship ``{"type": "Relationship", "object": "urn:..."}``; LD date
    ``{"@type": "DateTime", "@value": "..."}`` (also inside ``value``).
    """
    if isinstance(attribute, dict):
        if "@value" in attribute:
            return attribute["@value"]
        if attribute.get("type") == "Relationship" and "object" in attribute:
            return attribute["object"]
        if "value" in attribute:
            return (
                value_of(attribute["value"]) if isinstance(attribute["value"], dict) else attribute["value"]
            )
    return attribute


def _entity(entity: dict[str, object], message: Message, rules: SensorRules) -> Reading:
    entity_type = entity.get("type")
    if entity_type is not None and entity_type != ENTITY_TYPE:
        raise InvalidReading(
            "bad_entity_type", f"entity type must be {ENTITY_TYPE!r}, got {str(entity_type)[:80]!r}"
        )
    sensor_id = rules.sensor_for(_source_id(entity))
    levels = map_levels(
        {name: value_of(attr) for name, attr in entity.items() if name not in _META}, what="entity"
    )
    start_s, interval_s = _period(entity, sensor_id, rules)
    return make_reading(
        sensor_id=sensor_id,
        start_s=start_s,
        interval_s=interval_s,
        laeq=levels.get("laeq"),
        lafmax=levels.get("lafmax"),
        lafmin=levels.get("lafmin"),
        lcpeak=levels.get("lcpeak"),
        now_s=message.received_s,
        source="ngsi",
    )


def _source_id(entity: dict[str, object]) -> str:
    device = value_of(entity.get("refDevice"))
    if device is not None:
        if not isinstance(device, str):
            raise InvalidReading("bad_type", f"refDevice must name one device, got {json_type(device)}")
        return device.removeprefix(DEVICE_PREFIX)
    entity_id = entity.get("id")
    if entity_id is None:
        raise InvalidReading("missing_field", "the entity needs refDevice or id")
    if not isinstance(entity_id, str):
        raise InvalidReading("bad_type", f"id must be a string, got {json_type(entity_id)}")
    return entity_id.removeprefix(ENTITY_PREFIX)


def _period(entity: dict[str, object], sensor_id: str, rules: SensorRules) -> tuple[float, object]:
    start = value_of(entity.get("dateObservedFrom"))
    end = value_of(entity.get("dateObservedTo"))
    if start is not None and end is not None:
        start_s = parse_time_s(start, what="dateObservedFrom")
        end_s = parse_time_s(end, what="dateObservedTo")
        if end_s <= start_s:
            raise InvalidReading("bad_interval", "dateObservedTo must be later than dateObservedFrom")
        return start_s, end_s - start_s
    interval_s = rules.interval_for(sensor_id, "ngsi")
    if start is not None:
        return parse_time_s(start, what="dateObservedFrom"), interval_s
    if end is None:
        end = value_of(entity.get("dateObserved"))
        if end is None:
            raise InvalidReading(
                "missing_field", "dateObservedFrom (and dateObservedTo) or dateObserved is required"
            )
        return rules.start_for(sensor_id, parse_time_s(end, what="dateObserved"), interval_s), interval_s
    return parse_time_s(end, what="dateObservedTo") - interval_s, interval_s
