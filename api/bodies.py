"""Request bodies of ingest in the OpenAPI document: a JSON Schema and an example per format.

``POST /v1/ingest/{fmt}`` is one route, but each format has its own body, so the document lists one path per
format (``/v1/ingest/native``, ``/v1/ingest/chirpstack``, ...) with that format's schema, and
``POST /v1/readings`` has the native one. The schemas state what the decoders refuse for the whole body
(422): its shape and the fields it cannot do without. What they refuse per item of an array or a batch
(a level out of range, a time in the future) is refused inside a 200 answer (``refused``), so it is
described, not constrained. The examples are the payloads of ``tests/fixtures/payloads`` (a test keeps
them equal), with what HTTP adds (``sensor_id`` for native, ``Datastream`` for SensorThings).
"""

from __future__ import annotations

import copy
from typing import Any

from noiselab.ingest.decoders import FORMATS

SENSOR_ID = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
TIME = {
    "description": "Start of the interval: ISO 8601 with a zone, or seconds since the epoch",
    "anyOf": [{"type": "string", "format": "date-time"}, {"type": "number"}],
}
_LEVEL = {"type": "number", "description": "dB; 15-145 dB is plausible, anything else is refused"}
_COLUMN = {"type": "array", "description": "One value per reading (checked per item)"}

NATIVE_SINGLE = {
    "type": "object",
    "description": "One reading. Keys are case-insensitive (`LAeq` works); `ts` or `start`, not both",
    "required": ["sensor_id", "laeq"],
    "properties": {
        "sensor_id": SENSOR_ID,
        "ts": TIME,
        "start": TIME,
        "interval_s": {"type": "number", "minimum": 0.1, "maximum": 86400},
        "laeq": _LEVEL,
        "lafmax": {"anyOf": [_LEVEL, {"type": "null"}]},
        "lafmin": {"anyOf": [_LEVEL, {"type": "null"}]},
        "lcpeak": {"anyOf": [_LEVEL, {"type": "null"}]},
    },
    "anyOf": [{"required": ["ts"]}, {"required": ["start"]}],
    "not": {"required": ["ts", "start"]},
}
NATIVE_BATCH = {
    "type": "object",
    "description": "A batch: reading i starts at start + i * interval_s",
    "required": ["sensor_id", "laeq"],
    "properties": {
        "sensor_id": SENSOR_ID,
        "ts": TIME,
        "start": TIME,
        "interval_s": {"type": "number", "minimum": 0.1, "maximum": 86400},
        "laeq": {**_COLUMN, "maxItems": 100_000},
        "lafmax": _COLUMN,
        "lafmin": _COLUMN,
        "lcpeak": _COLUMN,
    },
    "anyOf": [{"required": ["ts"]}, {"required": ["start"]}],
    "not": {"required": ["ts", "start"]},
}
ARRAY = {
    "type": "array",
    "minItems": 1,  # an empty array holds no readings: 422
    "description": "Each item is checked on its own: an item that is not a valid reading (not even an "
    "object) is listed in `refused` of a 200, the others are stored",
}
OBJECT = {"type": "object"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "native": {"anyOf": [NATIVE_SINGLE, NATIVE_BATCH, ARRAY]},
    "chirpstack": {
        "type": "object",
        "description": "ChirpStack v4 uplink event; levels in `object` (decoded by the device profile)",
        "required": ["deviceInfo", "object"],
        "properties": {
            "deviceInfo": {
                "type": "object",
                "required": ["devEui"],
                "properties": {"devEui": {"type": "string", "pattern": "^[0-9A-Fa-f]{16}$"}},
            },
            "object": OBJECT,
            "deduplicationId": {"type": "string"},
        },
    },
    "tts": {
        "type": "object",
        "description": "The Things Stack v3 uplink; levels in `uplink_message.decoded_payload`",
        "required": ["end_device_ids", "uplink_message"],
        "properties": {
            "end_device_ids": {
                "type": "object",
                "required": ["device_id"],
                "properties": {"device_id": SENSOR_ID},
            },
            "uplink_message": {
                "type": "object",
                "required": ["decoded_payload"],
                "properties": {"decoded_payload": OBJECT},
            },
        },
    },
    "sensor-community": {
        "type": "object",
        "description": "sensor.community DNMS; values are decimal strings; the sensor is the X-Sensor header",
        "required": ["sensordatavalues"],
        "properties": {
            "sensordatavalues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["value_type", "value"],
                    "properties": {"value_type": {"type": "string"}, "value": {"type": "string"}},
                },
            }
        },
    },
    "ngsi": {
        "description": "FIWARE NoiseLevelObserved: NGSI v2, NGSI-LD, or a notification",
        "anyOf": [OBJECT, ARRAY],
    },
    "sensorthings": {
        "description": "OGC SensorThings Observation(s); over HTTP the Datastream is named in the body",
        "anyOf": [
            {
                "type": "object",
                "required": ["phenomenonTime", "result", "Datastream"],
                "properties": {
                    "phenomenonTime": {"type": "string"},
                    "result": {"type": "number"},
                    "Datastream": {
                        "type": "object",
                        "required": ["@iot.id"],
                        "properties": {"@iot.id": {"anyOf": [{"type": "integer"}, {"type": "string"}]}},
                    },
                },
            },
            ARRAY,
        ],
    },
}

EXAMPLES: dict[str, dict[str, Any]] = {
    "native": {
        "single": {
            "sensor_id": "vb-strandvej-1",
            "ts": "2026-06-10T07:00:00Z",
            "interval_s": 1,
            "laeq": 58.2,
            "lafmax": 66.0,
            "lafmin": 49.1,
            "lcpeak": 88.0,
        },
        "batch": {
            "sensor_id": "vb-strandvej-1",
            "start": "2026-06-10T07:00:00+02:00",
            "interval_s": 1,
            "laeq": [58.2, 58.9, 61.0, 63.4, 59.7],
            "lafmax": [63.1, 64.0, 70.2, 71.9, 62.5],
        },
    },
    "chirpstack": {
        "ws302": {
            "deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
            "time": "2026-06-10T09:34:15.775023242+00:00",
            "deviceInfo": {"deviceProfileName": "Milesight WS302", "devEui": "24e124743c210001"},
            "fPort": 85,
            "object": {"battery": 100, "LAF": 57.5, "LAeq": 47.4, "LAFmax": 61.8},
        }
    },
    "tts": {
        "ws302": {
            "end_device_ids": {"device_id": "ws302-ishoj-2", "dev_eui": "24E124743C210002"},
            "received_at": "2026-06-10T21:15:00.5Z",
            "uplink_message": {
                "f_port": 85,
                "decoded_payload": {"battery": 98, "LAF": 52.1, "LAeq": 50.3, "LAFmax": 58.6},
            },
        }
    },
    "sensor-community": {
        "dnms": {
            "esp8266id": "13597771",
            "software_version": "NRZ-2020-133",
            "sensordatavalues": [
                {"value_type": "noise_LAeq", "value": "52.30"},
                {"value_type": "noise_LA_min", "value": "45.98"},
                {"value_type": "noise_LA_max", "value": "69.28"},
            ],
        }
    },
    "ngsi": {
        "v2-keyvalues": {
            "id": "NoiseLevelObserved-vb-007-2026-06-10T11:00:00Z",
            "type": "NoiseLevelObserved",
            "LAeq": 67.8,
            "LAmax": 84.5,
            "LAS": 71.6,
            "dateObservedFrom": "2026-06-10T11:00:00Z",
            "dateObservedTo": "2026-06-10T11:01:00Z",
            "refDevice": "vb-007",
            "location": {"type": "Point", "coordinates": [12.3812, 55.6232]},
        }
    },
    "sensorthings": {
        "observation": {
            "phenomenonTime": "2026-06-10T11:00:00Z/2026-06-10T11:01:00Z",
            "resultTime": "2026-06-10T11:01:00.2Z",
            "result": 61.4,
            "Datastream": {"@iot.id": 17},
        }
    },
}
HEADERS: dict[str, list[dict[str, Any]]] = {
    "sensor-community": [
        {
            "name": "X-Sensor",
            "in": "header",
            "required": True,
            "description": "The device, e.g. esp8266-13597771 (the sensor id)",
            "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
        }
    ]
}


def request_body(fmt: str) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of format ``fmt`` (required: an empty body is a 422)."""
    examples = {name: {"value": value} for name, value in EXAMPLES[fmt].items()}
    content = {"schema": copy.deepcopy(SCHEMAS[fmt]), "examples": examples}
    return {"required": True, "content": {"application/json": content}}


def expand_ingest(doc: dict[str, Any]) -> None:
    """Replace the ``{fmt}`` ingest paths by one path per format, each with its body; type /v1/readings."""
    paths: dict[str, Any] = doc.get("paths", {})
    readings = paths.get("/v1/readings", {}).get("post")
    if readings is not None:
        readings["requestBody"] = request_body("native")
    for template in ("/v1/ingest/{fmt}", "/v1/ingest/{fmt}/check"):
        item = paths.pop(template, None)
        if item is None:
            continue
        for fmt in FORMATS:
            path = template.replace("{fmt}", fmt)
            if path in paths:  # a route of its own (with its own declarations) wins
                continue
            concrete = copy.deepcopy(item)
            for method, op in concrete.items():
                params = [p for p in op.get("parameters", []) if p.get("name") != "fmt"]
                check = template.endswith("/check")  # reports on any body in a 200, refuses none
                headers = copy.deepcopy(HEADERS.get(fmt, []))
                for header in headers if check else []:
                    header["required"] = False
                    header["schema"] = {
                        "type": "string",
                        "description": "Any value: the answer says if it is wrong",
                    }
                op["parameters"] = params + headers
                if not op["parameters"]:
                    del op["parameters"]
                op["requestBody"] = request_body(fmt)
                if check:
                    op["requestBody"]["required"] = False
                    op["requestBody"]["content"]["application/json"]["schema"] = {
                        "description": "Any body: what is wrong with it is the answer"
                    }
                op["operationId"] = f"{op.get('operationId', method)}_{fmt.replace('-', '_')}"
                op.setdefault("responses", {}).pop("404", None)  # the format exists
            paths[path] = concrete
