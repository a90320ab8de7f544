"""``noiselab up`` / ``collect`` / ``serve``: wire settings -> broker -> store -> collector -> API."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time

import uvicorn

from noiselab.api.alerting.evaluator import Evaluator
from noiselab.cli.startup import StartupBlock, startup_block
from noiselab.cli.wiring import (
    build_collector,
    collector_config,
    configure_logging,
    open_registry,
    open_store,
)
from noiselab.domain.errors import StoreUnavailable
from noiselab.domain.settings import Settings
from noiselab.ingest.backfill import Backfill
from noiselab.ingest.broker import EmbeddedBroker
from noiselab.ingest.collector import Collector, MqttTarget, make_client
from noiselab.ingest.simulator import Simulator, sim_sensors
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry, Sensor

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
    # signals first: a SIGTERM at any moment from here on ends in the graceful flush below
    stop = threading.Event()
    servers: list[uvicorn.Server] = []

    def _exit(*_: object) -> None:
        stop.set()
        for server in servers:
            server.should_exit = True

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    evaluators: list[Evaluator] = []  # the alert evaluator of an API process (a registry lease picks one)
    broker = coll = sim = backfill = None
    try:
        if (collector or settings.simulate) and settings.embedded_broker:
            broker = EmbeddedBroker(settings.embedded_broker_host, settings.embedded_broker_port)
            broker.start()
        store = open_store(settings)
        registry = open_registry(settings)
        if collector:
            coll = build_collector(settings, store, registry)
            coll.start()
            if settings.raw_retention_days:
                retention = threading.Thread(target=retention_loop, args=(store, stop), daemon=True)
                retention.start()
        if settings.simulate:
            sim, backfill = start_simulator(settings, registry, coll)
        from noiselab.api.app import create_app, create_ops_app

        # the API, or for `collect` alone only /health, /ready and /metrics on the same host and port
        app = (
            create_app(settings, store, registry, collector=coll)
            if api
            else create_ops_app(settings, store, collector=coll)
        )
        if api:
            evaluators.append(Evaluator(store, registry, settings))
            evaluators[0].start()
            # HTTP ingest into InfluxDB from several API processes: recompute the hours they left dirty
            reconciler = app.state.pipeline.reconciler
            threading.Thread(target=reconciler.run, args=(stop,), name="reconciler", daemon=True).start()
        config = uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        # our own handlers (above), so that the collector's flush below runs before the process exits
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign, assignment]
        servers.append(server)
        if not stop.is_set():
            block = startup_block(
                settings,
                api=api,
                collector=collector,
                simulated=len(sim.sensors) if sim else 0,
                backfill_days=settings.simulate_backfill_days,
            )
            threading.Thread(target=announce, args=(server, block, stop), daemon=True).start()
            try:
                server.run()
            except SystemExit:  # uvicorn exits when it cannot bind the port
                if api:
                    raise
                # a busy health port must not stop the collector: it goes on without HTTP
                log.error(
                    "collector health port %d unavailable; collecting without /ready and /metrics",
                    settings.http_port,
                )
                stop.wait()
    finally:
        for evaluator in evaluators:
            evaluator.stop()
        if backfill:
            backfill.stop()
        if sim:
            sim.stop()
        if coll:
            coll.stop()  # flush: write and acknowledge what is queued
        if broker:
            broker.stop()
        log.info("stopped")


def announce(server: uvicorn.Server, block: StartupBlock, stop: threading.Event) -> None:
    """Show the start-up block once the HTTP server listens (not before: the port may be taken)."""
    while not server.started:
        if stop.wait(0.05) or server.should_exit:
            return
    log.info(block.text, extra=block.fields)


def retention_loop(store: ReadingStore, stop: threading.Event, every_s: float = 3600.0) -> None:
    """Delete raw readings past the retention time once an hour (rollups are kept)."""
    while not stop.is_set():
        try:
            store.apply_retention(time.time())
        except StoreUnavailable as exc:
            log.warning("retention skipped, store unavailable: %s", exc)
        stop.wait(every_s)


def start_simulator(
    settings: Settings, registry: Registry, collector: Collector | None = None
) -> tuple[Simulator, Backfill | None]:
    """Live simulated sensors, after (and beside) a backfill of recent history at full speed."""
    sensors = register_simulated(registry, settings)
    now_s = int(time.time())
    client = make_client(collector_config(settings), client_id="noiselab-simulator", manual_ack=False)
    client.max_queued_messages_set(0)
    target = MqttTarget.parse(settings.effective_mqtt_url)
    client.connect(target.host, target.port)
    client.loop_start()
    sim = Simulator(client, sensors, vendor=settings.simulate_vendor, tz=settings.tz, start_s=now_s)
    backfill = None
    if settings.simulate_backfill_days > 0:
        backfill = Backfill(
            client,
            sensors,
            vendor=settings.simulate_vendor,
            days=settings.simulate_backfill_days,
            state_file=settings.data_dir / "simulator-history.json",
            now_s=now_s,
            tz=settings.tz,
            acked=(lambda: collector.acked) if collector is not None else None,
        )
        backfill.start()
    sim.start()
    log.debug("simulating %d sensors", len(sensors))
    return sim, backfill
