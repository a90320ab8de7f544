"""Mosquitto ACL with real credentials: a vendor writes only under noise/{its name}/#, reads nothing of
others', anonymous clients are refused; the collector user reads everything."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.services import Mosquitto, start_mosquitto_with_acl, wait_until

pytestmark = pytest.mark.mqtt

USERS = {"acme": "acme-pw-1", "other": "other-pw-2", "collector": "collector-pw-3"}
MARKER = "acl-test/marker"  # outside noise/: other writes it, acme may read it (the end of a sequence)
ACL = f"""\
user acme
topic write noise/acme/#
topic read {MARKER}

user other
topic write noise/other/#
topic write {MARKER}

user collector
topic read #
"""


@pytest.fixture
def broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    b = start_mosquitto_with_acl(tmp_path, USERS, ACL)
    assert "acme-pw-1" not in (b.dir / "passwd").read_text()  # hashed by mosquitto_passwd
    yield b
    b.stop()


class Client:
    def __init__(self, port: int, user: str | None, password: str | None, name: str) -> None:
        self.received: list[str] = []
        self.connect_rc: int | None = None
        self.granted: list[int] = []
        self.subscribed = threading.Event()
        self.c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
        if user:
            self.c.username_pw_set(user, password)
        self.c.on_connect = lambda c, u, f, rc, p: setattr(self, "connect_rc", rc.value)
        self.c.on_message = lambda c, u, m: self.received.append(m.topic)
        self.c.on_subscribe = self._on_subscribe
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        wait_until(lambda: self.connect_rc is not None, what=f"{name}'s CONNACK")

    def _on_subscribe(self, client, userdata, mid, reasons, props) -> None:  # type: ignore[no-untyped-def]
        self.granted = [r.value for r in reasons]
        self.subscribed.set()

    def subscribe(self, topic: str) -> list[int]:
        self.subscribed.clear()
        self.c.subscribe(topic, qos=1)
        assert self.subscribed.wait(10)
        return self.granted

    def publish(self, topic: str) -> None:
        self.c.publish(topic, b'{"ts": 1780000000, "laeq": 50}', qos=1).wait_for_publish(10)

    def publish_denied(self, topic: str) -> None:
        """Mosquitto 2 refuses it (PUBACK 135 or a disconnect, depending on the version)."""
        info = self.c.publish(topic, b'{"ts": 1780000000, "laeq": 50}', qos=1)
        with contextlib.suppress(RuntimeError):  # disconnected by the broker for it
            info.wait_for_publish(5)

    def close(self) -> None:
        self.c.loop_stop()
        self.c.disconnect()


def test_vendor_writes_only_its_own_topics(broker: Mosquitto) -> None:
    collector = Client(broker.port, "collector", USERS["collector"], "collector")
    intruder = Client(broker.port, "acme", USERS["acme"], "acme-1")
    assert collector.connect_rc == intruder.connect_rc == 0
    assert collector.subscribe("noise/#") == [1]
    intruder.publish_denied("noise/other/o-1/levels")  # under another vendor: the broker drops it
    intruder.publish_denied("noise/other/o-1/levels")
    intruder.close()
    acme = Client(broker.port, "acme", USERS["acme"], "acme-2")
    acme.publish("noise/acme/a-1/levels")  # its own; also the end marker
    wait_until(lambda: "noise/acme/a-1/levels" in collector.received, what="acme's own message")
    acme.publish("noise/acme/a-2/levels")
    wait_until(lambda: len(collector.received) >= 2, what="a second own message")
    assert collector.received == ["noise/acme/a-1/levels", "noise/acme/a-2/levels"]
    acme.close()
    collector.close()


def test_vendor_cannot_read_others_topics(broker: Mosquitto) -> None:
    """Deterministic, not a race: after other's three messages it publishes a marker that acme may read.
    Mosquitto handles one client's PUBLISHes in order and queues them to each subscriber in that order
    (one thread, one FIFO queue per client), so once acme has the marker it would already hold any of the
    three it had been given."""
    acme = Client(broker.port, "acme", USERS["acme"], "acme-reader")
    other = Client(broker.port, "other", USERS["other"], "other")
    collector = Client(broker.port, "collector", USERS["collector"], "collector")
    assert acme.subscribe("noise/other/#") == [1]  # MQTT 5 grants the subscription but delivers nothing
    assert acme.subscribe("#") == [1]
    assert collector.subscribe("noise/other/#") == [1]
    for n in (1, 2, 3):
        other.publish(f"noise/other/o-{n}/levels")
    other.publish(MARKER)
    wait_until(lambda: MARKER in acme.received, what="the marker acme may read")
    assert acme.received == [MARKER]
    wait_until(lambda: len(collector.received) >= 3, what="the collector to receive all three")
    assert collector.received == [f"noise/other/o-{n}/levels" for n in (1, 2, 3)]
    for c in (acme, other, collector):
        c.close()


@pytest.mark.parametrize(("user", "password"), [(None, None), ("acme", "wrong"), ("nobody", "x")])
def test_anonymous_and_wrong_credentials_are_refused(
    broker: Mosquitto, user: str | None, password: str | None
) -> None:
    c = Client(broker.port, user, password, f"intruder-{user}")
    assert c.connect_rc in (134, 135)  # bad user name or password / not authorized
    c.close()
