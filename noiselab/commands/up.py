"""``noiselab up`` / ``collect`` / ``serve``: wire settings -> broker -> store -> collector -> API."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading

import uvicorn

from ingest.broker import EmbeddedBroker
from ingest.collector import make_client
from ingest.simulator import Simulator, sim_sensors
from noiselab.settings import Settings
from noiselab.wiring import build_collector, collector_config, configure_logging, open_registry, open_store
from store.registry import Registry, Sensor

log = logging.getLogger("noiselab")


def register_simulated(registry: Registry, settings: Settings) -> list:  # type: ignore[type-arg]
    sensors = sim_sensors(settings.simulate)
    for s in sensors:
        existing = registry.get_sensor(s.sensor_id)
        if existing is None or not existing.placed:
            registry.upsert_sensor(
                Sensor(
                    sensor_id=s.sensor_id,
                    name=s.name,
                    vendor=settings.simulate_vendor,
                    lat=s.lat,
                    lon=s.lon,
                    area_category="housing",
                    source_type="road",
                    interval_s=1.0,
                    target_profile="dk-road",
                    public=True,
                    placed=True,
                )
            )
    return sensors


def run(settings: Settings, *, collector: bool, api: bool) -> None:
    configure_logging(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    broker = None
    if (collector or settings.simulate) and settings.embedded_broker:
        broker = EmbeddedBroker(settings.embedded_broker_host, settings.embedded_broker_port)
        broker.start()
    store = open_store(settings)
    registry = open_registry(settings)
    coll = None
    if collector:
        coll = build_collector(settings, store, registry)
        coll.start()
    sim = None
    if settings.simulate:
        sensors = register_simulated(registry, settings)
        client = make_client(collector_config(settings), client_id="noiselab-simulator", manual_ack=False)
        target_url = settings.effective_mqtt_url
        from ingest.collector import MqttTarget

        t = MqttTarget.parse(target_url)
        client.connect(t.host, t.port)
        client.loop_start()
        sim = Simulator(client, sensors, vendor=settings.simulate_vendor, tz=settings.tz)
        sim.start()
        log.info("simulating %d sensors", len(sensors))
    try:
        if api:
            from api.app import create_app

            app = create_app(settings, store, registry, collector=coll)
            server = uvicorn.Server(
                uvicorn.Config(
                    app,
                    host=settings.http_host,
                    port=settings.http_port,
                    log_level="warning",
                    timeout_graceful_shutdown=10,
                )
            )
            # our own handlers, so that the collector's flush below runs before the process exits
            server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]

            def _exit(*_: object) -> None:
                server.should_exit = True

            signal.signal(signal.SIGTERM, _exit)
            signal.signal(signal.SIGINT, _exit)
            log.info("API and resident page on http://%s:%d/", settings.http_host, settings.http_port)
            server.run()
        else:
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            stop.wait()
    finally:
        if sim:
            sim.stop()
        if coll:
            coll.stop()  # flush: write and acknowledge what is queued
        if broker:
            broker.stop()
        log.info("stopped")
