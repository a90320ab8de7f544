"""Composition root helpers: build the store, registry, collector and app from Settings."""

from __future__ import annotations

from noiselab.domain.errors import ConfigError
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import Collector, CollectorConfig
from noiselab.ingest.decoders import MQTT_FORMATS, parse_prefixes, subscriptions
from noiselab.ingest.pipeline import DeadLetterBounds
from noiselab.store import registry as registries
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry


def configure_logging(settings: Settings) -> None:
    """Log lines on stderr (human on a terminal, JSON otherwise, or as NOISELAB_LOG_FORMAT says), with
    every secret of the settings scrubbed (see ``noiselab.cli.logs``)."""
    from noiselab.cli import logs

    logs.setup(settings.log_level, secrets=logs.settings_secrets(settings), fmt=settings.log_format)


def open_store(settings: Settings) -> ReadingStore:
    url = settings.effective_store_url
    if url.startswith("sqlite:///"):
        from noiselab.store.sqlite import SqliteStore

        return SqliteStore.from_settings(settings)
    if url.startswith(("influxdb://", "influxdbs://")):
        try:
            from noiselab.store.influx import InfluxStore
        except ImportError as exc:  # pragma: no cover - depends on the optional adapter being present
            raise ConfigError(f"InfluxDB store is not available: {exc}") from exc
        return InfluxStore.from_settings(settings)
    raise ConfigError(f"NOISELAB_STORE_URL must start with sqlite:/// or influxdb://, got {url!r}")


def open_registry(settings: Settings) -> Registry:
    """The registry named by NOISELAB_REGISTRY_URL (default: SQLite in the data dir), migrated to date."""
    try:
        return registries.open_registry(settings.effective_registry_url)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def collector_config(settings: Settings) -> CollectorConfig:
    """The collector's configuration; unknown MQTT sources or a bad bridge prefix are a ConfigError."""
    try:
        prefixes = parse_prefixes(settings.mqtt_topic_prefix)
        sources = tuple(settings.mqtt_sources) if settings.mqtt_sources is not None else MQTT_FORMATS
        subscriptions(sources, prefixes)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return CollectorConfig(
        url=settings.effective_mqtt_url,
        protocol=settings.effective_mqtt_protocol,
        client_id=settings.mqtt_client_id,
        session_expiry_s=settings.mqtt_session_expiry_s,
        shared_group=settings.mqtt_shared_group,
        sources=sources,
        topic_prefixes=prefixes,
        max_unacked=settings.max_unacked,
        batch_size=settings.batch_size,
        batch_wait_s=settings.batch_wait_s,
    )


def build_collector(settings: Settings, store: ReadingStore, registry: Registry) -> Collector:
    collector = Collector(collector_config(settings), store, registry)
    collector.pipeline.dead_letter_bounds = DeadLetterBounds.from_settings(settings)
    return collector
