"""Living-lab trials (SPEC §10): admin CRUD, and the result (engineers; the public when the trial is public).

Refusals: 409 when the id exists; 422 (problem+json, precise ``detail``) for unknown sensors, a sensor in both
groups, a period that ends before it starts, an after period before or overlapping the before period, a method
without the periods or groups it needs, a weather filter without weather data (at result time). A trial
whose data cannot answer (no matched hours, few days) gets a result with ``warnings``, never a 500.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field

from noiselab.api.auth import Caller, RequireAdmin
from noiselab.api.csv import AsCsv, respond
from noiselab.api.deps import RegistryDep, SettingsDep, StoreDep
from noiselab.api.openapi import problems
from noiselab.api.views import trials as view
from noiselab.store.registry.sql import Conflict

router = APIRouter(tags=["trials"])

ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
SensorId = Annotated[str, Field(pattern=ID)]
TRIAL_ID = Path(pattern=ID, description="Trial id", examples=["barrier-a"])


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date = Field(description="First local date", examples=["2027-03-01"])
    end: date = Field(description="Last local date (included)", examples=["2027-03-31"])


class Conditions(BaseModel):
    """Weather filters on matched hours (imported weather, `noiselab import-weather`)."""

    model_config = ConfigDict(extra="forbid")
    max_wind_ms: float | None = Field(
        None, ge=0, le=60, description="Hours with a mean wind speed at most this"
    )
    wind_sector_deg: tuple[float, float] | None = Field(
        None, description="Wind from this clockwise sector [from, to] in degrees (may wrap north: [300, 60])"
    )
    dry_only: bool = Field(False, description="Only hours without precipitation")


class TrialFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, max_length=200)
    vendor: str | None = Field(None, max_length=64)
    product: str | None = Field(None, max_length=200)
    kind: Literal["barrier", "surface", "facade", "guardrail", "other"] | None = None
    method: Literal["baci", "control_impact", "before_after"] | None = None
    treated: list[SensorId] | None = Field(None, min_length=1, max_length=20)
    reference: list[SensorId] | None = Field(None, max_length=20)
    before: Period | None = None
    after: Period | None = None
    hours: list[Annotated[int, Field(ge=0, le=23)]] | None = Field(None, min_length=1, max_length=24)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(None, min_length=1, max_length=7)
    conditions: Conditions | None = None
    scheme: Literal["dk", "eu", "ldn"] | None = Field(None, description="Period scheme; default: the setting")
    coverage_threshold: float | None = Field(None, ge=0, le=1)
    public: bool | None = None


class TrialIn(TrialFields):
    trial_id: str = Field(pattern=ID, examples=["barrier-a"])
    kind: Literal["barrier", "surface", "facade", "guardrail", "other"]
    method: Literal["baci", "control_impact", "before_after"]
    treated: list[SensorId] = Field(min_length=1, max_length=20)
    reference: list[SensorId] = Field(default_factory=list, max_length=20)
    after: Period
    public: bool = False


def _check(body: dict[str, Any], registry: Any, store: Any) -> None:
    """Cross-field rules and sensors; raises a 422 naming the problem."""
    method, before, after = body["method"], body.get("before"), body["after"]
    for name, p in (("before", before), ("after", after)):
        if p is not None and p["end"] < p["start"]:
            raise HTTPException(422, f"{name}.end ({p['end']}) is before {name}.start ({p['start']})")
    if method in ("baci", "before_after") and before is None:
        raise HTTPException(422, f"method {method} needs a before period")
    if method in ("baci", "control_impact") and not body.get("reference"):
        raise HTTPException(422, f"method {method} needs at least one reference sensor")
    if before is not None and method != "control_impact":
        if after["end"] < before["start"]:
            raise HTTPException(422, "the after period lies before the before period")
        if after["start"] <= before["end"]:
            raise HTTPException(422, f"the periods overlap: after.start ({after['start']}) must be after "
                                f"before.end ({before['end']})")  # fmt: skip
    first = before["start"] if before is not None else after["start"]
    if (date.fromisoformat(after["end"]) - date.fromisoformat(first)).days + 1 > view.MAX_TRIAL_DAYS:
        raise HTTPException(422, f"a trial spans at most {view.MAX_TRIAL_DAYS} days")
    both = sorted(set(body["treated"]) & set(body.get("reference") or []))
    if both:
        raise HTTPException(422, f"sensors both treated and reference: {', '.join(both)}")
    unknown = [s for s in dict.fromkeys(body["treated"] + (body.get("reference") or []))
               if registry.get_sensor(s) is None and store.latest(s) is None]  # fmt: skip
    if unknown:
        raise HTTPException(422, f"unknown sensors: {', '.join(unknown)}")


def _visible(registry: Any, caller: Any, trial_id: str) -> dict[str, Any]:
    body = registry.trials.get(trial_id)
    if body is None or not (caller.engineer or body.get("public")):
        raise HTTPException(404, f"no trial {trial_id!r}")
    return body  # type: ignore[no-any-return]


def _audit(
    registry: Any, caller: Any, action: str, trial_id: str, detail: dict[str, Any] | None = None
) -> None:
    """The admin audit log (#13): ``actor`` is ``key:<id>``."""
    registry.audit.record(f"key:{caller.key_id}", action, f"trial:{trial_id}", detail)


@router.post("/v1/trials", status_code=201, summary="Create a trial (admin)", responses=problems(409, 422))
def create_trial(
    body: TrialIn, caller: RequireAdmin, registry: RegistryDep, store: StoreDep
) -> dict[str, Any]:
    doc = body.model_dump(mode="json")
    _check(doc, registry, store)
    try:
        registry.trials.create(doc)
    except Conflict as exc:
        raise HTTPException(409, f"trial {body.trial_id!r} exists; use PATCH to change it") from exc
    _audit(registry, caller, "trial.create", body.trial_id, doc)
    return doc


@router.get("/v1/trials", summary="Trials (the public sees public trials only)")
def list_trials(caller: Caller, registry: RegistryDep) -> list[dict[str, Any]]:
    return registry.trials.list(public_only=not caller.engineer)


@router.get("/v1/trials/{trial_id}", summary="One trial", responses=problems(404))
def get_trial(caller: Caller, registry: RegistryDep, trial_id: str = TRIAL_ID) -> dict[str, Any]:
    return _visible(registry, caller, trial_id)


@router.patch("/v1/trials/{trial_id}", summary="Change a trial (admin)", responses=problems(404, 422))
def patch_trial(
    fields: TrialFields,
    caller: RequireAdmin,
    registry: RegistryDep,
    store: StoreDep,
    trial_id: str = TRIAL_ID,
) -> dict[str, Any]:
    doc = registry.trials.get(trial_id)
    if doc is None:
        raise HTTPException(404, f"no trial {trial_id!r}")
    changes = fields.model_dump(mode="json", exclude_unset=True)
    nulls = [
        k for k in ("kind", "method", "treated", "after", "public") if k in changes and changes[k] is None
    ]
    if nulls:
        raise HTTPException(422, f"{', '.join(nulls)} cannot be null; leave a field out to keep its value")
    merged = TrialIn.model_validate({**doc, **changes}).model_dump(mode="json")
    _check(merged, registry, store)
    registry.trials.replace(merged)
    _audit(registry, caller, "trial.update", trial_id, changes)
    return merged


@router.delete(
    "/v1/trials/{trial_id}", status_code=204, summary="Delete a trial (admin)", responses=problems(404)
)
def delete_trial(caller: RequireAdmin, registry: RegistryDep, trial_id: str = TRIAL_ID) -> None:
    if not registry.trials.delete(trial_id):
        raise HTTPException(404, f"no trial {trial_id!r}")
    _audit(registry, caller, "trial.delete", trial_id)


@router.get(
    "/v1/trials/{trial_id}/result",
    summary="Insertion loss of a trial with its 95 % interval, per period, and warnings",
    description="Engineers; the public for public trials. CSV columns: "
    + ",".join(h for _, h in view.CSV_COLUMNS),
    responses=problems(404, 422),
)
def trial_result(
    caller: Caller,
    registry: RegistryDep,
    store: StoreDep,
    settings: SettingsDep,
    as_csv: AsCsv,
    trial_id: str = TRIAL_ID,
) -> Any:
    body = _visible(registry, caller, trial_id)
    doc = view.result_json(body, view.compute(store, registry, settings, body))
    if as_csv:
        return respond(view.result_rows(doc), as_csv, view.CSV_COLUMNS, f"trial-{trial_id}")
    return doc
