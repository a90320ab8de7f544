"""Settings: one pydantic-settings model, loaded once at start-up and passed down.

Precedence, highest first: command-line flags, ``NOISELAB_*`` environment variables, the optional TOML
config file (``--config`` or ``NOISELAB_CONFIG``), the defaults below. Nothing reads configuration at
import time.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from noiselab.domain.errors import ConfigError
from noiselab.processing.events import EventParams

_EVENTS = EventParams()  # the one source of the event defaults


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOISELAB_", extra="forbid", env_ignore_empty=True)

    # --- where things live
    data_dir: Path = Field(
        Path("noiselab-data"), description="Embedded store and registry (sensors, keys, dead letters)."
    )
    store_url: str | None = Field(
        None, description="sqlite:///path.db (default: <data_dir>/noise.db) or influxdb://host:port"
    )
    registry_url: str | None = Field(
        None,
        description="sqlite:///path.db (default: <data_dir>/registry.db) or postgresql://user:pass@host:5432/db",
    )
    influx_org: str = "noiselab"
    influx_bucket: str = "noise"
    influx_token: SecretStr = SecretStr("")
    raw_retention_days: int = Field(0, ge=0, description="Delete raw readings older than this (0 = keep).")

    # --- MQTT
    mqtt_url: str | None = Field(None, description="mqtt://user:pass@host:port; unset = embedded broker")
    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    mqtt_client_id: str = "noiselab-collector"
    mqtt_session_expiry_s: int = Field(7 * 86400, ge=1)
    mqtt_shared_group: str | None = Field(
        None, description="MQTT 5 shared subscription group, e.g. 'noiselab' -> $share/noiselab/..."
    )
    mqtt_sources: list[str] | None = Field(
        None,
        description='MQTT formats to subscribe to, e.g. ["native", "tts"]; unset = every MQTT format '
        "declared in noiselab.ingest.decoders.",
    )
    mqtt_topic_prefix: str = Field(
        "",
        description="Bridge prefixes, comma-separated (e.g. 'bridge/tts,ingest/os2iot'): every MQTT format "
        "is also subscribed to under each of them.",
    )
    embedded_broker_host: str = "127.0.0.1"
    embedded_broker_port: int = 1883
    max_unacked: int = Field(1000, ge=1, description="Messages received but not yet acknowledged.")
    batch_size: int = Field(5000, ge=1, description="Readings per store write.")
    batch_wait_s: float = Field(0.25, gt=0, description="Longest a reading waits for its batch.")

    # --- HTTP
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    max_body_bytes: int = 1_000_000
    body_read_timeout_s: float = Field(
        30.0, gt=0, description="A client slower than this sending a body gets 408."
    )
    rate_limit_enabled: bool = True
    rate_limit_public_per_s: float = Field(10.0, gt=0, description="Requests/s per address without a key.")
    rate_limit_public_burst: int = Field(120, ge=1)
    rate_limit_ingest_per_s: float = Field(100.0, gt=0, description="Ingest requests/s per key.")
    rate_limit_ingest_burst: int = Field(500, ge=1)
    rate_limit_max_clients: int = Field(10_000, ge=1, description="Buckets kept; the oldest are forgotten.")

    # --- acoustics
    tz: str = "Europe/Copenhagen"
    scheme: str = "dk"
    coverage_threshold: float = Field(0.75, ge=0, le=1)
    day_start: str | None = Field(
        None,
        pattern=r"^([01][0-9]|2[0-3]):00$",
        description="Start of the daily record, HH:00 local time; unset = the scheme's day start (07:00); "
        "'00:00' gives calendar days.",
    )
    event_threshold_db: float = Field(_EVENTS.threshold_db, ge=30, le=140)
    event_merge_gap_s: float = Field(_EVENTS.merge_gap_s, ge=0, le=3600)
    event_min_duration_s: float = Field(_EVENTS.min_duration_s, ge=0, le=3600)
    facade_correction_db: float = 3.0
    stale_after_s: float = Field(300.0, gt=0, description="No reading for longer: stale (health warning).")

    # --- sensor health (SPEC §11; docs/alerts.md): thresholds of processing.health and processing.drift
    health_stale_fault_s: float = Field(3600.0, gt=0, description="No reading for longer: stale fault.")
    health_window_s: float = Field(3600.0, gt=0, description="Recent readings judged by frozen/clipped.")
    health_frozen_run_s: float = Field(600.0, gt=0, description="Identical values this long: frozen.")
    health_frozen_fault_s: float = Field(3600.0, gt=0, description="Identical values this long: fault.")
    health_frozen_std_db: float = Field(0.05, ge=0, description="Window std below this: frozen.")
    health_min_readings: int = Field(10, ge=2, description="Fewer recent readings: frozen/clipped unknown.")
    health_clip_fraction: float = Field(0.2, gt=0, le=1, description="Share of readings at floor/ceiling.")
    health_clip_tolerance_db: float = Field(0.05, ge=0)
    health_clock_future_s: float = Field(60.0, ge=0, description="Stamped this far after arrival: fault.")
    health_clock_behind_s: float = Field(900.0, ge=0, description="Arriving this late: warning.")
    health_gaps_warning: float = Field(0.9, ge=0, le=1, description="24-h coverage below: warning.")
    health_gaps_fault: float = Field(0.5, ge=0, le=1, description="24-h coverage below: fault.")
    health_battery_warning_pct: float = Field(20.0, ge=0, le=100)
    health_battery_fault_pct: float = Field(10.0, ge=0, le=100)
    health_drift_db: float = Field(1.5, gt=0, description="Pair difference moved this much: drift warning.")
    health_drift_fault_db: float = Field(3.0, gt=0)
    health_drift_recent_h: int = Field(24, ge=1, description="Recent window compared with the baseline.")
    health_drift_baseline_days: int = Field(30, ge=2)
    calibration_interval_days: float = Field(365.0, gt=0, description="Field calibration check interval.")
    calibration_due_days: float = Field(30.0, ge=0, description="Warn this long before it is due.")

    # --- alerts (SPEC §11; docs/alerts.md)
    alert_allow_private_urls: bool = Field(
        False, description="Allow webhook URLs on loopback/private addresses (refused by default: SSRF)."
    )
    alert_eval_interval_s: float = Field(15.0, gt=0, le=60, description="Evaluator period (≤ 60 s behind).")
    alert_lease_ttl_s: float = Field(45.0, gt=0, description="Evaluator lease; then another host.")
    alert_retry_base_s: float = Field(5.0, gt=0, description="First retry delay; doubles per attempt.")
    alert_retry_max_s: float = Field(600.0, gt=0, description="Longest delay between delivery attempts.")
    alert_send_timeout_s: float = Field(10.0, gt=0)
    smtp_host: str | None = Field(None, description="SMTP relay for alert email; unset = no email.")
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password: SecretStr = SecretStr("")
    smtp_sender: str = "noiselab@localhost"

    # --- simulation
    simulate: int = Field(0, ge=0, le=500)
    simulate_vendor: str = "simlab"
    simulate_backfill_days: float = Field(
        7.0,
        ge=0,
        le=400,
        description="With simulated sensors, first publish this many days of history at full speed "
        "(through MQTT and the collector), then go live; 0 = live only.",
    )

    # --- residents' map (the page's CSP allows this tile server and nothing else outside this origin)
    map_tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        pattern=r"^(https?://[A-Za-z0-9.{}-]+(:[0-9]+)?)?/([^/\s'\";,][^\s'\";,]*)?$",
        description="Tile URL template ({z}/{x}/{y}, optional {s}); http(s):// or a path on this origin, "
        "e.g. a municipality's own tiles or Dataforsyningen's.",
    )
    map_tile_attribution: str = Field(
        "© OpenStreetMap contributors", max_length=300, description="Shown on the map, as plain text."
    )
    map_max_zoom: int = Field(18, ge=1, le=22)

    # --- live streams (server-sent events on the residents' page)
    live_streams_max: int = Field(200, ge=1, description="Live streams open at once, in total.")
    live_streams_per_client: int = Field(4, ge=1, description="Live streams open at once per client address.")

    # --- dead letters (refused input kept for inspection; bounded so bad input cannot fill the disk)
    dead_letter_retention_days: float = Field(
        30.0, gt=0, description="Dead letters older than this are deleted (oldest first)."
    )
    dead_letter_vendor_quota_bytes: int = Field(
        20_000_000, ge=10_000, description="Raw bytes kept per vendor (per source without a vendor)."
    )

    log_level: str = "INFO"
    log_format: Literal["auto", "human", "json"] = Field(
        "auto", description="auto: human-readable on a terminal, JSON lines otherwise."
    )

    @property
    def event_params(self) -> EventParams:
        return EventParams(
            threshold_db=self.event_threshold_db,
            merge_gap_s=self.event_merge_gap_s,
            min_duration_s=self.event_min_duration_s,
        )

    @property
    def effective_store_url(self) -> str:
        return self.store_url or f"sqlite:///{self.data_dir / 'noise.db'}"

    @property
    def registry_path(self) -> Path:
        return self.data_dir / "registry.db"

    @property
    def effective_registry_url(self) -> str:
        return self.registry_url or f"sqlite:///{self.registry_path}"

    @property
    def embedded_broker(self) -> bool:
        return not self.mqtt_url

    @property
    def effective_mqtt_url(self) -> str:
        return self.mqtt_url or f"mqtt://{self.embedded_broker_host}:{self.embedded_broker_port}"

    @property
    def effective_mqtt_protocol(self) -> str:
        # the embedded broker (amqtt) speaks MQTT 3.1.1 only
        return "3.1.1" if self.embedded_broker else self.mqtt_protocol


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings once: flags (``overrides``) > environment > config file > defaults."""
    path = config_file or os.environ.get("NOISELAB_CONFIG")
    file_values: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                file_values = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        file_values = {k.lower().removeprefix("noiselab_"): v for k, v in file_values.items()}

    class _FromFile(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, InitSettingsSource(settings_cls, init_kwargs=file_values))

    loaded = _FromFile(**overrides)
    return Settings.model_construct(**{name: getattr(loaded, name) for name in Settings.model_fields})
