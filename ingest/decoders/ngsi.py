"""FIWARE ``NoiseLevelObserved`` entities over HTTP: NGSI v2 key-values, NGSI v2 normalized, NGSI-LD
(normalized or concise).

Body: one entity, an array of entities, or a notification, as a context broker's subscription sends it:
NGSI v2 ``{"subscriptionId": "...", "data": [entities...]}`` and NGSI-LD
``{"id": "urn:ngsi-ld:Notification:...", "type": "Notification", "subscriptionId": "...",
"notifiedAt": "...", "data": [entities...]}``. With several
entities, each bad one is refused on its own (``index`` = its position in ``data`` or the array).

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
from noiselab.ingest.decoders.body import json_type, load_json
from noiselab.ingest.decoders.fields import map_levels
from noiselab.ingest.decoders.message import Decoded, Format, Message, SensorRules, decode_items

ENTITY_TYPE = "NoiseLevelObserved"
DEVICE_PREFIX = "urn:ngsi-ld:Device:"
ENTITY_PREFIX = f"urn:ngsi-ld:{ENTITY_TYPE}:"
_META = frozenset(
    {"id", "type", "@context", "refDevice", "location", "dateObserved", "dateObservedFrom", "dateObservedTo"}
)


def decode(message: Message, rules: SensorRules) -> Decoded:
    data = load_json(message.body)
    if _is_notification(data):
        assert isinstance(data, dict)
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
    return decode_items(data, lambda item: _entity(item, message, rules), "entity")


def _is_notification(data: object) -> bool:
    """An NGSI-LD notification (``"type": "Notification"``) or an NGSI v2 one (``subscriptionId`` and
    ``data``, no entity ``id``); an entity with a ``data`` attribute is not one."""
    if not isinstance(data, dict) or "data" not in data:
        return False
    if data.get("type") == "Notification":
        return True
    return "id" not in data and ("subscriptionId" in data or "type" not in data)


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
    interval_s = rules.interval_for(sensor_id, FORMAT)
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


FORMAT = Format(
    name="ngsi",
    title="FIWARE NoiseLevelObserved (NGSI v2, NGSI-LD)",
    decode=decode,
    default_interval_s=60.0,  # only for an instant dateObserved
)
