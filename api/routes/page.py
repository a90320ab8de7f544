"""The residents' page (static HTML + JS, served from api/static)."""

from __future__ import annotations

from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["residents"], include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return HTMLResponse(files("api").joinpath("static/index.html").read_text(encoding="utf-8"))
