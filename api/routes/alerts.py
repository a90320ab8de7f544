"""Alert rules (admin CRUD) and the alerts they raised with their deliveries (engineer), SPEC §11."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response

from noiselab.api.alerting.rules import RULE_ID, AlertRuleIn, UnsafeUrl, check_webhook_url, public_rule
from noiselab.api.auth import RequireAdmin, RequireEngineer
from noiselab.api.csv import AsCsv, key_columns, respond
from noiselab.api.deps import RegistryDep, SettingsDep
from noiselab.api.routes.audit import actor_of
from noiselab.api.sensor_health import iso
from noiselab.api.views.query import ZonedDatetime
from noiselab.api.views.targets import daily_target
from noiselab.store.registry.sql import Conflict

router = APIRouter(tags=["alerts"])

RuleId = Annotated[str, Path(pattern=RULE_ID)]

ALERT_COLUMNS = key_columns(
    "alert_id",
    "rule_id",
    "sensor_id",
    "state",
    "value_db",
    "threshold_db",
    "started_at",
    "ended_at",
    "notification",
    "channel",
    "channel_type",
    "release_at",
    "attempts",
    "delivered_at",
    "last_error",
)


def now_s(request: Request) -> float:
    """The app's clock (``app.state.clock`` when a test sets one)."""
    clock = getattr(request.app.state, "clock", None) or time.time
    return float(clock())


Now = Annotated[float, Depends(now_s)]


def _ms_iso(ms: int | None) -> str | None:
    return None if ms is None else iso(ms / 1000)


@router.post("/v1/alert-rules", status_code=201, summary="Create an alert rule (admin)")
def create_rule(
    rule: AlertRuleIn, registry: RegistryDep, settings: SettingsDep, caller: RequireAdmin, now: Now
) -> dict[str, Any]:
    sensors = {s: registry.get_sensor(s) for s in rule.sensor_ids}
    unknown = [s for s, sensor in sensors.items() if sensor is None]
    if unknown:
        raise HTTPException(422, f"sensor_ids: unknown sensor(s) {', '.join(map(repr, unknown))}")
    if rule.kind == "daily" and rule.above_db is None:  # over each sensor's own target: it needs one
        untargeted = [
            s
            for s, sensor in sensors.items()
            if sensor is not None and daily_target(registry.profiles, sensor, rule.metric) is None
        ]
        if untargeted:
            raise HTTPException(
                422,
                f"sensor_ids: no {rule.metric} target for {', '.join(map(repr, untargeted))} "
                "(set the sensor's target_profile or area, or give above_db)",
            )
    for i, channel in enumerate(rule.channels):
        if channel.type == "webhook":
            try:
                check_webhook_url(channel.url, allow_private=settings.alert_allow_private_urls)
            except UnsafeUrl as exc:
                raise HTTPException(422, f"channels[{i}].url: {exc}") from exc
    body = rule.stored()
    try:
        registry.alerts.create_rule(rule.rule_id, body, now_ms=int(now * 1000))
    except Conflict as exc:
        raise HTTPException(409, f"alert rule {rule.rule_id!r} exists; delete it first") from exc
    shown = public_rule(body)  # secrets masked: the audit log never holds one
    registry.audit.record(actor_of(caller), "alert_rule.create", f"alert_rule:{rule.rule_id}", shown)
    return shown


@router.get("/v1/alert-rules", summary="Alert rules (admin; webhook secrets masked)")
def list_rules(registry: RegistryDep, _: RequireAdmin) -> list[dict[str, Any]]:
    return [public_rule(r) for r in registry.alerts.rules()]


@router.get("/v1/alert-rules/{rule_id}", summary="One alert rule (admin)")
def get_rule(rule_id: RuleId, registry: RegistryDep, _: RequireAdmin) -> dict[str, Any]:
    body = registry.alerts.rule(rule_id)
    if body is None:
        raise HTTPException(404, f"no alert rule {rule_id!r}")
    return public_rule(body)


@router.delete("/v1/alert-rules/{rule_id}", status_code=204, summary="Delete an alert rule (admin)")
def delete_rule(rule_id: RuleId, registry: RegistryDep, caller: RequireAdmin) -> Response:
    if not registry.alerts.delete_rule(rule_id):
        raise HTTPException(404, f"no alert rule {rule_id!r}")
    registry.audit.record(actor_of(caller), "alert_rule.delete", f"alert_rule:{rule_id}")
    return Response(status_code=204)


@router.get("/v1/alerts", summary="Alerts with their states and delivery attempts (engineer); CSV too")
def list_alerts(
    registry: RegistryDep,
    _: RequireEngineer,
    as_csv: AsCsv,
    since: Annotated[
        ZonedDatetime | None, Query(description="Alerts started at or after (ISO 8601 with zone)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Any:
    since_ms = 0 if since is None else int(since.timestamp() * 1000)
    alerts = [_alert_view(a) for a in registry.alerts.alerts(since_ms=since_ms, limit=limit)]
    if not as_csv:
        return alerts
    rows = [
        {
            **{k: v for k, v in a.items() if k != "deliveries"},
            **d,
            "notification": d["state"],
            "state": a["state"],
        }
        for a in alerts
        for d in a["deliveries"] or [{}]
    ]
    return respond(rows, as_csv, ALERT_COLUMNS, "alerts")


def _alert_view(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "alert_id": a["alert_id"],
        "rule_id": a["rule_id"],
        "sensor_id": a["sensor_id"],
        "state": a["state"],
        "value_db": a["value_db"],
        "threshold_db": a["threshold_db"],
        "started_at": _ms_iso(a["started_ms"]),
        "ended_at": _ms_iso(a["ended_ms"]),
        "deliveries": [
            {
                "state": d["state"],
                "channel": d["channel"],
                "channel_type": d["type"],
                "release_at": _ms_iso(d["release_ms"]),
                "attempts": d["attempts"],
                "delivered_at": _ms_iso(d["delivered_ms"]),
                "last_error": d["last_error"],
                "attempt_log": [
                    {"at": _ms_iso(x["at_ms"]), "ok": x["ok"], "outcome": x["outcome"]}
                    for x in d["attempt_log"]
                ],
            }
            for d in a["deliveries"]
        ],
    }
