"""The residents' page and the engineers' views look a sensor's target up the same way, so a custom profile
assigned to a sensor applies on the page too (it used to fall back to the presets there)."""

from __future__ import annotations

from tests.api.conftest import Api


def test_a_custom_profile_sets_the_target_on_the_residents_page(api: Api) -> None:
    custom = {
        "id": "quiet-street",
        "name": "Quiet street trial",
        "limits": [{"metric": "lden", "value_db": 50, "kind": "limit", "area_categories": ["*"]}],
    }
    assert api.send("POST", "/v1/targets", "admin", json=custom).status_code in (200, 201)
    patched = api.send("PATCH", "/v1/sensors/pub-1", "admin", json={"target_profile": "quiet-street"})
    assert patched.status_code == 200, patched.text
    card = next(
        c for c in api.get("/v1/public/overview?lang=en").json()["sensors"] if c["sensor_id"] == "pub-1"
    )
    assert card["target"]["profile"] == "quiet-street"
    assert card["target"]["lden_db"] == 50.0
    assert "Quiet street trial" in card["target"]["source"]
