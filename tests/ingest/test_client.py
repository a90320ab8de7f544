"""CollectorClient against a real Mosquitto: every QoS 1 message arrives once, in order, with its topic and
payload (small and large, around the 64 KiB read chunk, with MQTT 5 properties), coalesced PUBACKs settle
exactly the messages they name, and malformed PUBLISH packets are refused."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from noiselab.ingest.client import READ_CHUNK, CollectorClient, MalformedPublish, puback_bytes
from noiselab.ingest.collector import CollectorConfig, make_client
from tests.services import Mosquitto, wait_until

pytestmark = pytest.mark.mqtt

TOPIC = "noise/acme/c-{}/levels"


def sizes(n: int) -> list[int]:
    """Payload sizes: mostly small, some just below/above the read chunk and a few spanning several."""
    special = [READ_CHUNK - 7, READ_CHUNK, READ_CHUNK + 1, 3 * READ_CHUNK + 5, 0, 1]
    return [special[i // 10 % len(special)] if i % 10 == 3 else 20 + i % 200 for i in range(n)]


def payload(i: int, size: int) -> bytes:
    head = f"{i}:".encode()
    return (head + bytes((i + k) % 251 for k in range(size)))[: max(size, len(head))]


class Received:
    def __init__(self) -> None:
        self.items: list[tuple[int, str, bytes]] = []
        self.subscribed = threading.Event()

    def on_delivery(self, mid: int, topic: str, body: bytes) -> None:
        self.items.append((mid, topic, body))


def connect(mosquitto: Mosquitto, protocol: str, client_id: str, got: Received) -> CollectorClient:
    cfg = CollectorConfig(url=mosquitto.url, protocol=protocol, client_id=client_id)
    client = make_client(cfg, client_class=CollectorClient)
    assert isinstance(client, CollectorClient)
    client.on_delivery = got.on_delivery
    client.on_subscribe = lambda *a: got.subscribed.set()
    client.on_connect = lambda c, *a: c.subscribe("noise/+/+/levels", qos=1)
    props = None
    if protocol == "5":
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 600
        client.connect("127.0.0.1", mosquitto.port, clean_start=False, properties=props)
    else:
        client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    wait_until(got.subscribed.is_set, what="subscription")
    return client


def publish_all(mosquitto: Mosquitto, bodies: list[bytes], *, with_properties: bool) -> None:
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="client-test-pub", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    infos = []
    for i, body in enumerate(bodies):
        props = None
        if with_properties and i % 2:
            props = Properties(PacketTypes.PUBLISH)
            props.ContentType = "application/json"
            props.UserProperty = [("vendor", "acme"), ("n", str(i))]
            props.MessageExpiryInterval = 3600
        infos.append(pub.publish(TOPIC.format(i % 3), body, qos=1, properties=props))
    for info in infos:
        info.wait_for_publish(30)
    pub.disconnect()
    pub.loop_stop()


def settle(client: mqtt.Client) -> None:
    """Wait until the broker has read everything queued before: it handles packets in order, so once it
    acknowledges a QoS 1 PUBLISH sent after them, the PUBACKs queued before have been processed."""
    client.publish("noise/sync", b"", qos=1).wait_for_publish(30)


def stop(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_every_message_arrives_once_in_order_and_acks_settle_it(mosquitto: Mosquitto, protocol: str) -> None:
    n = 600
    bodies = [payload(i, s) for i, s in enumerate(sizes(n))]
    got = Received()
    client = connect(mosquitto, protocol, f"client-{protocol}", got)
    publish_all(mosquitto, bodies, with_properties=True)
    wait_until(lambda: len(got.items) >= n, what="all deliveries")
    assert [(t, b) for _, t, b in got.items] == [(TOPIC.format(i % 3), b) for i, b in enumerate(bodies)]
    # acknowledge the first half only, as two coalesced writes; the rest must come back after reconnect
    half = got.items[: n // 2]
    client.ack_many([(mid, 1) for mid, _, _ in half[:100]])
    client.ack_many([(mid, 1) for mid, _, _ in half[100:]])
    settle(client)
    stop(client)

    again = Received()
    client = connect(mosquitto, protocol, f"client-{protocol}", again)
    wait_until(lambda: len(again.items) >= n - n // 2, what="redelivery of the unacknowledged half")
    assert [b for _, _, b in again.items] == bodies[n // 2 :]
    client.ack_many([(mid, 1) for mid, _, _ in again.items])
    settle(client)
    stop(client)

    last = Received()
    client = connect(mosquitto, protocol, f"client-{protocol}", last)
    publish_all(mosquitto, [b"after"], with_properties=False)
    wait_until(lambda: len(last.items) >= 1, what="a fresh message")
    stop(client)
    assert [b for _, _, b in last.items] == [b"after"]  # nothing acknowledged came back


def test_puback_bytes_are_the_protocols() -> None:
    assert puback_bytes([1, 258, 65535]) == bytes([0x40, 2, 0, 1, 0x40, 2, 1, 2, 0x40, 2, 0xFF, 0xFF])
    assert puback_bytes([]) == b""


@pytest.mark.parametrize(
    ("protocol", "packet"),
    [
        (mqtt.MQTTv5, b""),  # nothing at all
        (mqtt.MQTTv5, b"\x00\x09noise"),  # topic length past the end
        (mqtt.MQTTv5, b"\x00\x01t\x00"),  # packet id cut short
        (mqtt.MQTTv5, b"\x00\x01t\x00\x07"),  # no property length
        (mqtt.MQTTv5, b"\x00\x01t\x00\x07\x05ab"),  # properties longer than the packet
        (mqtt.MQTTv5, b"\x00\x01t\x00\x07\xff\xff\xff\xff\x01"),  # property length over four bytes
        (mqtt.MQTTv311, b"\x00\x05ab"),
    ],
)
def test_malformed_publish_is_refused(protocol: int, packet: bytes) -> None:
    client = CollectorClient(CallbackAPIVersion.VERSION2, protocol=protocol, manual_ack=True)
    got = Received()
    client.on_delivery = got.on_delivery
    client._in_packet = {"command": 0x32, "packet": bytearray(packet)}  # a QoS 1 PUBLISH
    with pytest.raises(MalformedPublish):
        client._handle_publish()
    assert got.items == []


def test_invalid_utf8_topic_is_passed_on_for_dead_lettering() -> None:
    client = CollectorClient(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5, manual_ack=True)
    got = Received()
    client.on_delivery = got.on_delivery
    client._in_packet = {"command": 0x32, "packet": bytearray(b"\x00\x02\xff\xfe\x00\x07\x00body")}
    client._handle_publish()
    assert got.items == [(7, "\ufffd\ufffd", b"body")]
