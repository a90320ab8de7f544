"""``noiselab simulate``: simulated sensors against any broker (the configured one, else the embedded one
of a running ``noiselab up``)."""

from __future__ import annotations

import signal
import time

from noiselab.cli.wiring import collector_config, configure_logging
from noiselab.domain.readings import parse_time_s
from noiselab.domain.settings import Settings
from noiselab.ingest.collector import MqttTarget, make_client
from noiselab.ingest.simulator import Simulator, sim_sensors


def run(
    settings: Settings,
    *,
    count: int,
    vendor: str,
    speed: float,
    start_iso: str | None,
    duration_s: float | None,
    formats: list[str],
) -> None:
    configure_logging(settings)
    start_s = parse_time_s(start_iso, what="--start") if start_iso else None
    if start_s is None and speed > 1:
        # a fast replay ends at the present: start far enough back
        start_s = time.time() - (duration_s or 86400)
    client = make_client(collector_config(settings), client_id=f"noiselab-sim-{vendor}", manual_ack=False)
    target = MqttTarget.parse(settings.effective_mqtt_url)
    client.connect(target.host, target.port)
    client.loop_start()
    sim = Simulator(
        client,
        sim_sensors(count),
        vendor=vendor,
        speed=speed,
        start_s=start_s,
        duration_s=duration_s,
        formats=formats,
        tz=settings.tz,
    )
    signal.signal(signal.SIGTERM, lambda *_: sim.stop())
    try:
        sim.run()
    except KeyboardInterrupt:
        pass
    finally:
        sim.flush()
        client.loop_stop()
        client.disconnect()
        print(f"published {sim.published} readings")
