"""LoRaWAN applications mapped to vendors (#13) in the registry, on SQLite and PostgreSQL."""

from __future__ import annotations

from noiselab.store.registry import SqlRegistry


def test_set_replace_list_and_delete(reg: SqlRegistry) -> None:
    apps = reg.lorawan_applications
    assert apps.set("acme-noise", "acme", now_ms=1_000) is None
    assert apps.set("2c4f0b8e-5d1a-4c7e-9f10-8d7f3a6b1e22", "rival", now_ms=2_000) is None
    previous = apps.set("acme-noise", "acme-dk", now_ms=3_000)
    assert previous is not None and (previous["vendor"], previous["updated_ms"]) == ("acme", 1_000)
    assert apps.get("acme-noise") == {
        "application_id": "acme-noise",
        "vendor": "acme-dk",
        "created_ms": 1_000,
        "updated_ms": 3_000,
    }
    assert [a["application_id"] for a in apps.list()] == [
        "2c4f0b8e-5d1a-4c7e-9f10-8d7f3a6b1e22",
        "acme-noise",
    ]
    assert apps.vendors(["acme-noise", "unmapped", "acme-noise"]) == {"acme-noise": "acme-dk"}
    assert apps.vendors([]) == {}
    assert apps.delete("acme-noise") is True
    assert apps.delete("acme-noise") is False
    assert apps.get("acme-noise") is None and apps.vendors(["acme-noise"]) == {}


def test_many_ids_are_looked_up_in_parts(reg: SqlRegistry) -> None:
    for i in range(0, 1200, 3):
        reg.lorawan_applications.set(f"app-{i:04d}", f"v{i % 7}", now_ms=1)
    found = reg.lorawan_applications.vendors(f"app-{i:04d}" for i in range(1200))
    assert found == {f"app-{i:04d}": f"v{i % 7}" for i in range(0, 1200, 3)}
