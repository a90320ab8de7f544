"""Prometheus counters for ingestion (exposed by the API's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

MESSAGES = Counter("noiselab_messages_total", "Messages received", ["source"])
READINGS_STORED = Counter("noiselab_readings_stored_total", "New readings written to the store", ["source"])
READINGS_DUPLICATE = Counter(
    "noiselab_readings_duplicate_total", "Readings already stored (re-sends)", ["source"]
)
REFUSED = Counter("noiselab_refused_total", "Refused payloads or readings", ["source", "reason"])
BATCHES = Counter("noiselab_batches_total", "Store writes by the collector")
STORE_ERRORS = Counter("noiselab_store_errors_total", "Failed store writes (retried)")
RECONNECTS = Counter("noiselab_mqtt_reconnects_total", "MQTT (re)connections")
UNACKED = Gauge("noiselab_unacked_messages", "Messages received but not yet acknowledged")
DEAD_LETTERS_DROPPED = Counter(
    "noiselab_dead_letters_dropped_total",
    "Dead-letter messages deleted to keep the store bounded (cause: retention or quota)",
    ["cause"],
)
