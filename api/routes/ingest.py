"""HTTP ingest for vendors that cannot speak MQTT: ``POST /v1/readings`` and ``POST /v1/ingest/{format}``."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from noiselab.api.auth import VendorKey
from noiselab.api.deps import SettingsDep
from noiselab.api.openapi import refused_when_valid
from noiselab.api.problems import problem
from noiselab.ingest.check import report
from noiselab.ingest.decoders import FORMATS, Message
from noiselab.ingest.http import OVERSIZE_KEEP_BYTES, check_ownership, ingest, refuse_oversized
from noiselab.ingest.pipeline import Pipeline, decode_message

router = APIRouter(prefix="/v1", tags=["ingest"])


def _pipeline(request: Request) -> Pipeline:
    return request.app.state.pipeline  # type: ignore[no-any-return]


PipelineDep = Annotated[Pipeline, Depends(_pipeline)]

NATIVE_EXAMPLE = {
    "sensor_id": "vb-strandvej-1",
    "start": "2026-06-10T07:00:00Z",
    "interval_s": 1,
    "laeq": [58.2, 58.9, 61.0],
    "lafmax": [63.1, 64.0, 70.2],
}
ANSWER_DOC = {
    200: {
        "description": "Readings stored; `refused` lists items refused inside the body with their reason",
        "content": {"application/json": {"example": {"stored": 3, "duplicates": 0, "refused": []}}},
    },
    401: {"description": "No or unknown API key"},
    403: {"description": "Not a vendor key"},
    413: {"description": "Body larger than the limit (NOISELAB_MAX_BODY_BYTES)"},
    422: {"description": "The body cannot be read at all (reason and detail say why)"},
    503: {"description": "Store unavailable; nothing stored, retry later"},
}


def _unknown_format(fmt: str) -> JSONResponse:
    known = ", ".join(FORMATS)
    return problem(
        404, "Unknown format", f"unknown format {fmt[:40]!r}; known formats: {known}", reason="unknown_format"
    )


async def _read_body(request: Request, limit: int, timeout_s: float) -> tuple[bytes, bool]:
    """The body, and whether it is over ``limit`` (then only its head is read). A client that takes longer
    than ``timeout_s`` to send it gets 408, so slow senders do not hold a worker for ever."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        limit = 0  # refused already; read only the head that is kept for inspection
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                chunks.append(chunk)
                if size > limit and size >= min(
                    OVERSIZE_KEEP_BYTES, int(declared or 0) or OVERSIZE_KEEP_BYTES
                ):
                    return b"".join(chunks), True
    except TimeoutError as exc:
        raise HTTPException(408, f"the request body did not arrive within {timeout_s:g} s") from exc
    return b"".join(chunks), size > limit


async def _ingest(
    request: Request, fmt: str, vendor: str, pipeline: Pipeline, limit: int, timeout_s: float
) -> Any:
    body, too_big = await _read_body(request, limit, timeout_s)
    message = Message(
        topic=None,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        received_s=time.time(),
    )
    principal = request.scope.get("state", {}).get("principal")
    key_id = getattr(principal, "key_id", None)
    credential = f"key:{key_id}" if key_id is not None else "key"  # provenance: which key sent it
    if too_big:
        err = await run_in_threadpool(
            refuse_oversized, pipeline, fmt, message, limit, vendor=vendor, credential=credential
        )
        return problem(413, "Payload too large", err.detail, reason=err.reason)
    answer = await run_in_threadpool(ingest, pipeline, fmt, message, vendor=vendor, credential=credential)
    if answer.unreadable is not None:
        return problem(422, "Invalid payload", answer.unreadable.detail, reason=answer.unreadable.reason)
    counts: dict[str, Any] = {
        "stored": answer.stored,
        "duplicates": answer.duplicates,
        "refused": answer.refused,
    }
    if answer.expired:
        counts["expired"] = answer.expired  # older than the raw-data retention: not stored
    return JSONResponse(counts)


READING_REFUSED = (
    "a single reading refused for its content (a time in the future, a level out of range); in an array or a "
    "batch such items are listed in `refused` of a 200 instead"
)


@router.post(
    "/readings",
    summary="Push native readings (single, batch or array; `sensor_id` in the body)",
    responses=ANSWER_DOC,  # type: ignore[arg-type]
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"example": NATIVE_EXAMPLE}}},
        **refused_when_valid(READING_REFUSED),
    },
)
async def post_readings(
    request: Request, vendor: VendorKey, pipeline: PipelineDep, settings: SettingsDep
) -> Any:
    return await _ingest(
        request, "native", vendor, pipeline, settings.max_body_bytes, settings.body_read_timeout_s
    )


@router.post(
    "/ingest/{fmt}",
    summary="Push readings in another format: " + ", ".join(FORMATS),
    responses=ANSWER_DOC,  # type: ignore[arg-type]
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {}}},
        **refused_when_valid(READING_REFUSED),
    },
)
async def post_ingest(
    request: Request,
    vendor: VendorKey,
    pipeline: PipelineDep,
    settings: SettingsDep,
    fmt: str = Path(description="Format name", examples=list(FORMATS)),
) -> Any:
    if fmt not in FORMATS:
        return _unknown_format(fmt)
    return await _ingest(
        request, fmt, vendor, pipeline, settings.max_body_bytes, settings.body_read_timeout_s
    )


@router.post(
    "/ingest/{fmt}/check",
    summary="Conformance check: decode a sample, store nothing, say what would be stored and what is wrong",
    description="The same decoders, validation and ownership rules as ingest; nothing is written, counted or "
    "dead-lettered. `ignored_fields` lists native keys we do not know (often a typo).",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "format": "native",
                        "would_store": 1,
                        "ignored_fields": ["laeq_db"],
                        "refused": [
                            {"index": 1, "reason": "out_of_range", "detail": "laeq = 200.0 dB is outside ..."}
                        ],
                        "readings": [
                            {
                                "sensor_id": "vb-1",
                                "start": "2026-06-10T07:00:00Z",
                                "interval_s": 1.0,
                                "laeq": 58.2,
                                "lafmax": None,
                                "lafmin": None,
                                "lcpeak": None,
                                "source": "native",
                            }
                        ],
                    }
                }
            }
        }
    },
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
)
async def check_ingest(
    request: Request,
    vendor: VendorKey,
    pipeline: PipelineDep,
    settings: SettingsDep,
    fmt: str = Path(description="Format name", examples=list(FORMATS)),
) -> Any:
    if fmt not in FORMATS:
        return _unknown_format(fmt)
    body, too_big = await _read_body(request, settings.max_body_bytes, settings.body_read_timeout_s)
    if too_big:
        return problem(
            413,
            "Payload too large",
            f"body is larger than the limit of {settings.max_body_bytes} bytes",
            reason="too_large",
        )
    message = Message(
        topic=None,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        received_s=time.time(),
    )

    def run() -> dict[str, Any]:
        out = decode_message(fmt, message, pipeline.rules())
        check_ownership(out, vendor, pipeline)
        return report(fmt, out, body)

    return JSONResponse(await run_in_threadpool(run))
