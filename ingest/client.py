"""The collector's MQTT client: paho-mqtt 2.x with a lean receive path and coalesced acknowledgements.

For single-reading messages the collector's cost is per message, and most of it was paho's, not ours
(profiled with 20 000 queued QoS 1 messages; docs/ingest.md has the figures):

- **Receiving.** paho reads each packet with three ``recv`` calls (command byte, length, body) after one
  ``select``, builds an ``MQTTMessage`` and, on MQTT 5, a ``Properties`` object that it parses and we never
  read, then matches topic callbacks under two locks. :class:`CollectorClient` reads the socket in 64 KiB
  chunks and serves paho's packet reader from that buffer (``_sock_recv``), keeps reading while buffered
  bytes remain (``loop_read``: otherwise ``select`` would wait on bytes we already hold), and hands a QoS 1
  PUBLISH straight to :attr:`CollectorClient.on_delivery` as ``(mid, topic, payload)``, skipping the
  MQTT 5 properties by their length instead of decoding them (SPEC §8 uses none on PUBLISH).
- **Acknowledging.** ``Client.ack(mid, qos)`` queues one packet per message (a dict, a wake-up byte on
  paho's socket pair, one ``send`` later), all from the writer thread under the interpreter lock the
  network thread needs. :meth:`CollectorClient.ack_many` queues the PUBACKs of a whole committed batch as
  one buffer; paho's network thread writes it with one ``send`` (resuming after a partial write as for
  any packet). The bytes are exactly paho's (``0x40 0x02 <mid>``: MQTT 5 lets a PUBACK omit reason code 0)
  and in arrival order, as MQTT requires for PUBACKs.

Everything else (connect, subscribe, keep-alive, QoS 0/2 deliveries, reconnects) is paho's own code. The
overrides use paho 2.x internals (``_sock_recv``, ``_handle_publish``, ``_in_packet``, ``_packet_queue``);
``tests/ingest/test_client.py`` runs them against Mosquitto on MQTT 5 and 3.1.1.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.exception import MalformedPacket
from paho.mqtt.packettypes import PacketTypes

PUBACK = PacketTypes.PUBACK << 4  # 0x40: control packet type 4, no flags
READ_CHUNK = 65536
_PUBACK = struct.Struct("!BBH")

# (mid, topic, payload) of a QoS 1 PUBLISH; called on paho's network thread
DeliveryHandler = Callable[[int, str, bytes], None]


def puback_bytes(mids: Sequence[int]) -> bytes:
    """The PUBACK packets of ``mids`` (1..65535), concatenated in order."""
    pack = _PUBACK.pack
    return b"".join([pack(PUBACK, 2, mid) for mid in mids])


class MalformedPublish(MalformedPacket):
    """A PUBLISH whose variable header runs past its end (paho closes the connection, as for its own)."""


class CollectorClient(mqtt.Client):
    """``paho.mqtt.client.Client`` with buffered reads, a lean QoS 1 delivery hook and batched PUBACKs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_delivery: DeliveryHandler | None = None
        self._rbuf = b""
        self._rpos = 0
        self._rsock: object = None

    # --- buffered reads (network thread) ------------------------------------------------------------
    def _sock_recv(self, bufsize: int) -> bytes:
        if self._rpos >= len(self._rbuf) or self._rsock is not self._sock:
            data = super()._sock_recv(max(bufsize, READ_CHUNK))  # BlockingIOError when nothing is there
            self._rbuf, self._rpos, self._rsock = data, 0, self._sock
            if not data:
                return data  # connection closed
        start = self._rpos
        self._rpos = min(start + bufsize, len(self._rbuf))
        return self._rbuf[start : self._rpos]

    def _buffered(self) -> bool:
        return self._rpos < len(self._rbuf) and self._rsock is self._sock and self._sock is not None

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while rc == MQTTErrorCode.MQTT_ERR_SUCCESS and self._buffered():
            rc = super().loop_read(max_packets)
        return rc

    # --- lean QoS 1 deliveries (network thread) -----------------------------------------------------
    def _handle_publish(self) -> MQTTErrorCode:
        handler = self.on_delivery
        header = self._in_packet["command"]
        if handler is None or (header & 0x06) >> 1 != 1:
            return super()._handle_publish()  # QoS 0/2, or no hook: paho's path (and its on_message)
        packet = self._in_packet["packet"]
        end = len(packet)
        pos = 2 + ((packet[0] << 8) | packet[1]) if end >= 2 else end + 1
        if pos + 2 > end:
            raise MalformedPublish("PUBLISH shorter than its topic and packet id")
        topic = bytes(packet[2:pos]).decode("utf-8", "replace")  # a bad topic becomes a dead letter
        mid = (packet[pos] << 8) | packet[pos + 1]
        pos += 2
        if self._protocol == MQTTProtocolVersion.MQTTv5:  # skip the properties by their varint length
            length, shift = 0, 0
            while True:
                if pos >= end or shift > 21:
                    raise MalformedPublish("bad MQTT 5 property length")
                byte = packet[pos]
                pos += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            pos += length
            if pos > end:
                raise MalformedPublish("MQTT 5 properties run past the packet")
        handler(mid, topic, bytes(packet[pos:]))
        return MQTTErrorCode.MQTT_ERR_SUCCESS

    # --- acknowledgements (any thread) --------------------------------------------------------------
    def ack_many(self, acks: Sequence[tuple[int, int]]) -> None:
        """Acknowledge ``(mid, qos)`` pairs in order: all-QoS-1 as one write, otherwise one by one."""
        if any(qos != 1 for _, qos in acks):
            for mid, qos in acks:
                self.ack(mid, qos)
        elif acks and self._manual_ack:
            self._packet_queue(PUBACK, puback_bytes([mid for mid, _ in acks]), 0, 0)
