"""Staff match overrides over the JSON API (staff only): /api/v1/overrides.

    POST   /api/v1/overrides        {"kind": "never"|"always"|"split", "record_a": REF, "record_b": REF, "note": "..."}
    GET    /api/v1/overrides[?record=ID]
    DELETE /api/v1/overrides/{id}

REF names a source record: its id, "LIBRARY:oai-identifier", or {"library": ..., "identifier": ...}.
Each change re-clusters the records concerned (with the other members of their union records), re-indexes
what changed, and answers with every affected record's union record before and after.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field

from unioncat.api.endpoints import require_staff
from unioncat.dedup import overrides as service

overrides_router = APIRouter(prefix="/api/v1/overrides", tags=["overrides"])

Ref = int | str | dict[str, str]


class OverrideIn(BaseModel):
    kind: Literal["never", "always", "split"]
    record_a: Ref
    record_b: Ref | None = None
    note: Annotated[str | None, Field(max_length=2000)] = None


def _process(request: Request):
    async def run():
        from unioncat.pipeline import process  # the full chain, so the search index follows at once

        return await process(request.app.state.sessions, request.app.state.backend)

    return run


@overrides_router.post("", status_code=201)
async def create_override(request: Request, body: OverrideIn, authorization: Annotated[str | None, Header()] = None):
    staff = await require_staff(request, authorization)
    return await service.add_override(
        request.app.state.sessions, body.kind, body.record_a, body.record_b, body.note, created_by=staff,
        process=_process(request),
    )


@overrides_router.get("")
async def get_overrides(request: Request, record: Annotated[int | None, Query(ge=1)] = None,
                        authorization: Annotated[str | None, Header()] = None):
    await require_staff(request, authorization)
    async with request.app.state.sessions() as session:
        return {"overrides": await service.list_overrides(session, record)}


@overrides_router.delete("/{override_id}")
async def remove_override(request: Request, override_id: int, authorization: Annotated[str | None, Header()] = None):
    await require_staff(request, authorization)
    return await service.delete_override(request.app.state.sessions, override_id, process=_process(request))
