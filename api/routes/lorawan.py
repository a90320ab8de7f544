"""LoRaWAN applications mapped to vendors (admin), SPEC §12: uplinks of a mapped ChirpStack or The Things
Stack application are checked for ownership as that vendor's (docs/vendors.md "LoRaWAN applications")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from noiselab.api.auth import RequireAdmin
from noiselab.api.deps import RegistryDep
from noiselab.api.openapi import problems
from noiselab.api.routes.audit import actor_of

router = APIRouter(tags=["admin"])

# ChirpStack v4: a UUID; The Things Stack: an application id, ``app@tenant`` in multi-tenant topics
APPLICATION_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(@[A-Za-z0-9][A-Za-z0-9._-]{0,99})?$"
ApplicationId = Annotated[
    str,
    Path(
        pattern=APPLICATION_ID,
        description="ChirpStack application id (UUID) or The Things Stack application id (`app` or "
        "`app@tenant` as in its topics)",
        examples=["2c4f0b8e-5d1a-4c7e-9f10-8d7f3a6b1e22", "acme-noise"],
    ),
]


class ApplicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vendor: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["acme"])


def _view(row: dict[str, Any]) -> dict[str, Any]:
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).isoformat().replace("+00:00", "Z")

    return {
        "application_id": row["application_id"],
        "vendor": row["vendor"],
        "created_at": iso(row["created_ms"]),
        "updated_at": iso(row["updated_ms"]),
    }


@router.get("/v1/lorawan-applications", summary="LoRaWAN applications mapped to vendors (admin)")
def list_applications(_: RequireAdmin, registry: RegistryDep) -> list[dict[str, Any]]:
    return [_view(r) for r in registry.lorawan_applications.list()]


@router.put(
    "/v1/lorawan-applications/{application_id}",
    summary="Map a LoRaWAN application to a vendor (admin)",
    description="Uplinks of this application then count as the vendor's: they claim new sensors for it and "
    "are refused (`not_your_sensor`) on sensors of another vendor or of none. 201 when created, 200 when "
    "replaced. Takes effect in every collector within 30 s.",
    responses={201: {"description": "Created"}},
)
def put_application(
    application_id: ApplicationId,
    body: ApplicationIn,
    caller: RequireAdmin,
    registry: RegistryDep,
    response: Response,
) -> dict[str, Any]:
    previous = registry.lorawan_applications.set(application_id, body.vendor)
    response.status_code = 201 if previous is None else 200
    detail = {"vendor": body.vendor, "previous_vendor": None if previous is None else previous["vendor"]}
    registry.audit.record(
        actor_of(caller), "lorawan_application.set", f"lorawan_application:{application_id}", detail
    )
    row = registry.lorawan_applications.get(application_id)
    assert row is not None
    return _view(row)


@router.get(
    "/v1/lorawan-applications/{application_id}",
    summary="One LoRaWAN application's vendor (admin)",
    responses=problems(404),
)
def get_application(application_id: ApplicationId, _: RequireAdmin, registry: RegistryDep) -> dict[str, Any]:
    row = registry.lorawan_applications.get(application_id)
    if row is None:
        raise HTTPException(404, f"LoRaWAN application {application_id!r} is not mapped to a vendor")
    return _view(row)


@router.delete(
    "/v1/lorawan-applications/{application_id}",
    status_code=204,
    summary="Unmap a LoRaWAN application (admin); its uplinks are no longer checked for ownership",
    responses=problems(404),
)
def delete_application(
    application_id: ApplicationId, caller: RequireAdmin, registry: RegistryDep
) -> Response:
    row = registry.lorawan_applications.get(application_id)
    if row is None or not registry.lorawan_applications.delete(application_id):
        raise HTTPException(404, f"LoRaWAN application {application_id!r} is not mapped to a vendor")
    registry.audit.record(
        actor_of(caller),
        "lorawan_application.delete",
        f"lorawan_application:{application_id}",
        {"vendor": row["vendor"]},
    )
    return Response(status_code=204)
