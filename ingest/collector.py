"""The MQTT collector: subscribe with QoS 1 on a persistent session, decode, batch, write, then acknowledge.

Delivery (SPEC §8): paho-mqtt 2.x with ``manual_ack=True``. A message is acknowledged only after every
reading it carried is committed to the store (or, for refused input, after it is committed to the
dead-letter store). Until then the broker keeps it in our session: a collector killed at any instant
loses nothing, the broker redelivers, idempotent writes absorb the duplicates.

Threads: paho's network loop calls ``_on_message``, which appends the message to an inbox (a deque: no
lock per message) and, when ``max_unacked`` messages are held, waits for room (back-pressure: the loop
stops reading). One writer thread drains the inbox in batches (by size and time), decodes, writes, then
acknowledges the whole batch in arrival order as one coalesced write. The MQTT client is
:class:`noiselab.ingest.client.CollectorClient` (paho with a lean receive path, see there).
Store unavailable: the writer retries with capped backoff and acknowledges nothing meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from prometheus_client import Counter

from noiselab.domain.errors import StoreUnavailable
from noiselab.ingest import metrics
from noiselab.ingest.client import CollectorClient
from noiselab.ingest.decoders import MQTT_FORMATS, Message, Route, route, subscriptions
from noiselab.ingest.pipeline import Outcome, Pipeline, decode_message
from noiselab.ingest.summary import IngestSummary
from noiselab.store.base import ReadingStore
from noiselab.store.registry import Registry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool

    @staticmethod
    def parse(url: str) -> MqttTarget:
        u = urlparse(url)
        if u.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
            raise ValueError(f"MQTT URL must start with mqtt:// or mqtts://, got {url!r}")
        tls = u.scheme in ("mqtts", "ssl")
        return MqttTarget(
            host=u.hostname or "127.0.0.1",
            port=u.port or (8883 if tls else 1883),
            username=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
            tls=tls,
        )


@dataclass
class CollectorConfig:
    url: str
    protocol: str = "5"  # "5" or "3.1.1"
    client_id: str = "noiselab-collector"
    session_expiry_s: int = 7 * 86400
    shared_group: str | None = None
    sources: tuple[str, ...] = MQTT_FORMATS  # formats subscribed to (their declared subscriptions)
    topic_prefixes: tuple[str, ...] = ("",)  # "" plus bridge prefixes ending in "/"
    max_unacked: int = 1000
    batch_size: int = 5000
    batch_wait_s: float = 0.25
    max_backoff_s: float = 30.0
    reconcile_every_s: float = 10.0  # stores without transactions: recompute dirty hours (ingest.reconciler)


@dataclass
class _Pending:
    mid: int
    qos: int
    topic: str
    raw: bytes
    received_s: float
    outcome: Outcome | None = None


def make_client(
    cfg: CollectorConfig,
    *,
    client_id: str | None = None,
    manual_ack: bool = True,
    client_class: type[mqtt.Client] = mqtt.Client,
) -> mqtt.Client:
    """A paho 2.x client for the configured broker and protocol (shared with the simulator and tests)."""
    target = MqttTarget.parse(cfg.url)
    v5 = cfg.protocol == "5"
    client = client_class(
        CallbackAPIVersion.VERSION2,
        client_id=client_id or cfg.client_id,
        protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
        clean_session=None if v5 else False,
        manual_ack=manual_ack,
    )
    if target.username:
        client.username_pw_set(target.username, target.password)
    if target.tls:
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=int(cfg.max_backoff_s))
    return client


class Collector:
    def __init__(
        self,
        cfg: CollectorConfig,
        store: ReadingStore,
        registry: Registry,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cfg = cfg
        self.pipeline = Pipeline(store, registry)
        self.clock = clock
        # (mid, qos, topic, payload, received_s) in arrival order; appended by paho's thread only
        self._inbox: deque[tuple[int, int, str, bytes, float]] = deque()
        self._arrived = threading.Event()  # set by the network thread when the writer may be waiting
        self._room = threading.Event()  # set by the writer after it took messages out of a full inbox
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._writer: threading.Thread | None = None
        self.client = cast(CollectorClient, make_client(cfg, client_class=CollectorClient))
        self.reconciler = self.pipeline.reconciler  # notes every commit; passes from the writer thread
        self.reconciler.every_s = cfg.reconcile_every_s
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message  # QoS 0/2 deliveries (paho's path)
        self.client.on_delivery = self._on_delivery  # QoS 1 deliveries (the lean path)
        self.client.on_subscribe = self._on_subscribe
        self.stored = 0
        self.duplicates = 0
        self.refused = 0
        self.acked = 0
        self.summary = IngestSummary(log)  # INFO once a minute; each batch at DEBUG
        self._message_counters: dict[str | None, Counter] = {}
        self._routes: dict[str, Route | None] = {}  # route() per topic: pure, and topics repeat

    # --- lifecycle ----------------------------------------------------------------------------------
    def start(self, *, wait_s: float = 15.0) -> None:
        target = MqttTarget.parse(self.cfg.url)
        props = None
        if self.cfg.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.cfg.session_expiry_s
            props.ReceiveMaximum = min(self.cfg.max_unacked, 65535)
            self.client.connect_async(
                target.host, target.port, keepalive=30, clean_start=False, properties=props
            )
        else:
            self.client.connect_async(target.host, target.port, keepalive=30)
        self._writer = threading.Thread(target=self._write_loop, name="collector-writer", daemon=True)
        self._writer.start()
        self.client.loop_start()
        if wait_s and not self._connected.wait(wait_s):
            log.warning(
                "collector not connected to %s:%d after %.0f s; still trying",
                target.host,
                target.port,
                wait_s,
            )

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def held(self) -> int:
        """Messages received and waiting for the writer (at most ``max_unacked``)."""
        return len(self._inbox)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Graceful shutdown: stop receiving, write and acknowledge what is queued, then disconnect."""
        self.client.on_message = None
        self.client.on_delivery = None
        self._stop.set()
        if self._writer:
            self._writer.join(timeout_s)
        self.client.disconnect()
        self.client.loop_stop()

    # --- paho callbacks (network thread) ------------------------------------------------------------
    def _subscriptions(self) -> list[tuple[str, int]]:
        group = self.cfg.shared_group if self.cfg.protocol == "5" else None
        return [(t, 1) for t in subscriptions(self.cfg.sources, self.cfg.topic_prefixes, group)]

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        if getattr(reason, "is_failure", False):
            log.error("MQTT connection refused: %s", reason)
            return
        metrics.RECONNECTS.inc()
        subs = self._subscriptions()
        client.subscribe(subs)
        log.info(
            "collector connected (session present: %s), subscribed to %s",
            getattr(flags, "session_present", "?"),
            [t for t, _ in subs],
        )

    def _on_subscribe(
        self, client: mqtt.Client, userdata: object, mid: int, reasons: list[ReasonCode], props: object
    ) -> None:
        failed = [r for r in reasons if getattr(r, "is_failure", False)]
        if failed:
            log.error("subscription refused by the broker: %s", failed)
        # "connected" means subscribed: the broker now queues our messages
        self._connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("collector disconnected (%s); paho reconnects with backoff", reason)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        topic = msg._topic.decode("utf-8", "replace")  # msg.topic raises on invalid UTF-8
        self._receive(msg.mid, msg.qos, topic, bytes(msg.payload))

    def _on_delivery(self, mid: int, topic: str, payload: bytes) -> None:
        self._receive(mid, 1, topic, payload)

    def _receive(self, mid: int, qos: int, topic: str, payload: bytes) -> None:
        inbox = self._inbox
        inbox.append((mid, qos, topic, payload, self.clock()))
        if not self._arrived.is_set():  # a plain read; the lock is taken only to wake an idle writer
            self._arrived.set()
        while len(inbox) >= self.cfg.max_unacked and not self._stop.is_set():
            # back-pressure: the network loop stops reading until the writer has taken messages
            self._room.clear()
            if len(inbox) >= self.cfg.max_unacked:
                self._room.wait(0.1)

    # --- writer thread ------------------------------------------------------------------------------
    def _decode(self, p: _Pending) -> Outcome:
        try:
            found = self._routes[p.topic]
        except KeyError:
            if len(self._routes) >= 100_000:  # bounded: a flood of made-up topics cannot grow it
                self._routes.clear()
            found = self._routes[p.topic] = route(p.topic, self.cfg.topic_prefixes, self.cfg.sources)
        fmt = found.format if found else None
        counter = self._message_counters.get(fmt)
        if counter is None:
            counter = self._message_counters[fmt] = metrics.MESSAGES.labels(fmt or "unknown")
        counter.inc()
        # decoders see the topic without its bridge prefix; a dead letter keeps the topic as received
        topic = found.topic if found else p.topic
        message = Message(topic=topic, headers={}, body=p.raw, received_s=p.received_s)
        out = decode_message(fmt, message, self.pipeline.rules())
        if topic != p.topic:
            out.message = replace(out.message, topic=p.topic)
        if fmt == "native" and found is not None and found.fields:
            out.vendor = found.fields["vendor"]
        return out

    def _wait_for_messages(self, timeout_s: float) -> bool:
        """Wait until the inbox is not empty (True) or ``timeout_s`` passed."""
        if self._inbox:
            return True
        self._arrived.clear()
        if self._inbox:  # arrived between the check and the clear
            return True
        self._arrived.wait(timeout_s)
        return bool(self._inbox)

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        n_readings = 0
        deadline: float | None = None
        inbox = self._inbox
        while n_readings < self.cfg.batch_size:
            if not inbox:
                self._room.set()
                timeout = 0.2 if deadline is None else deadline - time.monotonic()
                if timeout <= 0 or not self._wait_for_messages(timeout):
                    if batch or self._stop.is_set():
                        break
                    continue
            mid, qos, topic, raw, received_s = inbox.popleft()
            if deadline is None:
                deadline = time.monotonic() + self.cfg.batch_wait_s
            p = _Pending(mid=mid, qos=qos, topic=topic, raw=raw, received_s=received_s)
            p.outcome = self._decode(p)
            batch.append(p)
            n_readings += len(p.outcome.readings)
        self._room.set()
        return batch

    def _write_loop(self) -> None:
        while True:
            if self._stop.is_set() and not self._inbox:
                self.reconciler.maybe_run(force=True)
                return
            batch = self._take_batch()
            if batch:
                self._commit(batch)
            self.reconciler.maybe_run()
            self.summary.maybe_emit()

    def _commit(self, batch: list[_Pending]) -> None:
        outcomes = [p.outcome for p in batch if p.outcome is not None]
        backoff = 0.5
        while True:
            try:
                result = self.pipeline.commit(outcomes)
                break
            except StoreUnavailable as exc:
                metrics.STORE_ERRORS.inc()
                log.warning(
                    "store unavailable (%s); holding %d messages unacknowledged, retry in %.1f s",
                    exc,
                    len(batch),
                    backoff,
                )
                # back-pressure: nothing is acknowledged; a SIGTERM meanwhile leaves them to the broker
                if self._stop.wait(backoff):
                    return
                backoff = min(backoff * 2, self.cfg.max_backoff_s)
        self.client.ack_many([(p.mid, p.qos) for p in batch])  # one write, in arrival order
        self.stored += result.stored
        self.duplicates += result.duplicates
        self.refused += result.refused
        self.acked += len(batch)
        metrics.BATCHES.inc()
        metrics.UNACKED.set(len(self._inbox))
        self.summary.add(
            messages=len(batch),
            stored=result.stored,
            duplicates=result.duplicates,
            reasons=[e.reason for o in outcomes for e in o.refused],
            lag_s=max(0.0, self.clock() - min(p.received_s for p in batch)),
        )
