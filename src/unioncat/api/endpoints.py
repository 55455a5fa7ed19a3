"""JSON API, /api/v1 (contract in DESIGN.md)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from unioncat import libraries as library_service
from unioncat.db import transaction
from unioncat.errors import BadRequest, Unauthorized
from unioncat.records import Moved, get_union_record
from unioncat.search.backend import SearchQuery
from unioncat.staff.auth import bearer_token, check_token

router = APIRouter(prefix="/api/v1")

RECORD_FORMATS = ("json", "marcxml", "marc", "ris", "bibtex")  # unioncat.interop.exports.FORMATS


def search_query_from(
    q: str, library: list[str], province: list[str], language: list[str], format: list[str], subject: list[str],
    year_from: int | None, year_to: int | None, sort: str, page: int, size: int,
) -> SearchQuery:
    filters = {
        name: [v for v in values if v]
        for name, values in (("library", library), ("province", province), ("language", language),
                             ("format", format), ("subject", subject))
        if any(values)
    }
    return SearchQuery(q=q, filters=filters, year_from=year_from, year_to=year_to, sort=sort, page=page, size=size)


@router.get("/search")
async def search(
    request: Request,
    q: Annotated[str, Query(max_length=10_000)] = "",
    library: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI reads the default, never mutates it
    province: Annotated[list[str], Query()] = [],  # noqa: B006
    language: Annotated[list[str], Query()] = [],  # noqa: B006
    format: Annotated[list[str], Query()] = [],  # noqa: B006, A002
    subject: Annotated[list[str], Query()] = [],  # noqa: B006
    year_from: Annotated[int | None, Query(ge=0, le=9999)] = None,
    year_to: Annotated[int | None, Query(ge=0, le=9999)] = None,
    sort: Annotated[str, Query(pattern="^(relevance|year_desc|year_asc|title)$")] = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=0, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2_000)] = None,
    highlight: bool = True,
):
    """Search; `next_cursor` of a result, passed back as `cursor` (same q, filters and sort), gives the next page
    without a depth limit for year/title sorts. Hits carry `highlights`; an empty result may carry
    `did_you_mean`."""
    query = search_query_from(q, library, province, language, format, subject, year_from, year_to, sort, page, size)
    query = query.model_copy(update={"cursor": cursor or None, "highlight": highlight})
    result = await run_in_threadpool(request.app.state.backend.search, query)
    # pydantic's own JSON encoder, not jsonable_encoder over a model_dump: the same JSON, several times faster
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/suggest")
async def suggest(
    request: Request,
    q: Annotated[str, Query(max_length=10_000)] = "",
    size: Annotated[int, Query(ge=1, le=20)] = 10,
):
    """Autocomplete: titles starting with what was typed, accents optional ("lich s" -> "Lịch sử …")."""
    suggestions = await run_in_threadpool(request.app.state.backend.suggest, q, size)
    return {"q": q, "suggestions": suggestions}


@router.get("/records/{record_id}")
async def record(request: Request, record_id: str, format: str = "json"):  # noqa: A002
    if format not in RECORD_FORMATS:
        raise BadRequest(f"unsupported format {format!r}; supported: {', '.join(RECORD_FORMATS)}")
    async with request.app.state.sessions() as session:
        try:
            data = await get_union_record(session, record_id)
        except Moved as moved:
            url = request.url.replace(path=f"/api/v1/records/{moved.target}")
            return RedirectResponse(str(url), status_code=301)
        if format == "json" and "download" not in request.query_params:
            return data
        from unioncat.web.service import export_record  # exports read the base member's raw MARC

        permalink = str(request.url.replace(path=f"/records/{data['id']}", query=""))
        body, media_type, filename = await export_record(session, data, format, permalink)
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/libraries")
async def libraries(request: Request):
    async with request.app.state.sessions() as session:
        return {"libraries": await library_service.library_status(session)}


@router.get("/libraries/{code}")
async def library(request: Request, code: str):
    async with request.app.state.sessions() as session:
        await library_service.get_library(session, code)
        return next(s for s in await library_service.library_status(session) if s["code"] == code)


@router.get("/libraries/{code}/harvests")
async def harvests(request: Request, code: str, limit: Annotated[int, Query(ge=1, le=500)] = 50):
    from harvesters.store import run_problems

    async with request.app.state.sessions() as session:
        history = await library_service.harvest_history(session, code, limit)
        problems = await run_problems(session, [run["id"] for run in history])
    # each run with its per-record errors and the records it brought in that were quarantined
    return {"library": code, "harvests": [run | problems[run["id"]] for run in history]}


async def require_staff(request: Request, authorization: str | None) -> str:
    """The staff member's name for a valid bearer token (the settings token or a hashed one in the database)."""
    given = bearer_token(authorization)
    if given:
        async with transaction(request.app.state.sessions) as session:
            name = await check_token(session, request.app.state.settings, given)
        if name:
            return name
    raise Unauthorized("staff token required (Authorization: Bearer <staff token>)")


@router.post("/libraries/{code}/harvests", status_code=202)
async def start_harvest(
    request: Request, code: str, background: BackgroundTasks, full: bool = False,
    authorization: Annotated[str | None, Header()] = None,
):
    await require_staff(request, authorization)
    async with request.app.state.sessions() as session:
        await library_service.get_library(session, code)
    background.add_task(request.app.state.run_harvest, [code], full)
    await asyncio.sleep(0)
    return {"library": code, "status": "started", "full": full}
