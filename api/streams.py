"""Slots for live streams (server-sent events): at most ``max_total`` open at once, and at most
``per_client`` from one client address, so one client (with or without a key) cannot lock residents out
of the live page. A slot is taken when the request is accepted, not when its body starts, so a burst of
requests cannot all pass the check; it is given back exactly once, however the stream ends.

The event loop is single-threaded and every call here is synchronous, so no lock is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Slot:
    _slots: StreamSlots
    client: str
    _released: bool = False

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._slots.release(self.client)


@dataclass
class StreamSlots:
    max_total: int
    per_client: int
    open_total: int = 0
    by_client: dict[str, int] = field(default_factory=dict)

    def acquire(self, client: str) -> Slot | str:
        """A slot, or why not: ``"total"`` (every slot taken) or ``"client"`` (this client's are)."""
        if self.open_total >= self.max_total:
            return "total"
        if self.by_client.get(client, 0) >= self.per_client:
            return "client"
        self.open_total += 1
        self.by_client[client] = self.by_client.get(client, 0) + 1
        return Slot(self, client)

    def release(self, client: str) -> None:
        self.open_total -= 1
        left = self.by_client.get(client, 0) - 1
        if left > 0:
            self.by_client[client] = left
        else:
            self.by_client.pop(client, None)
