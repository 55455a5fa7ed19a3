"""create_app(): the FastAPI application (JSON API, health, metrics) wired to the database and search backend."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import func, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from unioncat.api.endpoints import router as api_router
from unioncat.api.overrides import overrides_router
from unioncat.interop.oai_provider import router as oai_router
from unioncat.interop.sru import router as sru_router
from unioncat.staff.endpoints import router as staff_router
from unioncat.web.endpoints import router as web_router
from unioncat.web.templating import STATIC_DIR
from unioncat.db import Cluster, Library, QuarantinedRecord, SourceRecord, create_engine, make_sessionmaker
from unioncat.errors import UnioncatError
from unioncat.search import open_backend
from unioncat.search.backend import SearchError
from unioncat.settings import Settings, get_settings

log = logging.getLogger("unioncat.app")


def _label(value: object) -> str:
    """A Prometheus label value, escaped (backslash, double quote, newline)."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _error(status: int, name: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": name, "detail": detail}, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = create_engine(settings)
        app.state.settings = settings
        app.state.sessions = make_sessionmaker(engine)
        app.state.backend = open_backend(settings)
        app.state.harvest_lock = asyncio.Lock()

        async def run_harvest(codes: list[str], full: bool = False) -> None:
            from unioncat.jobs import harvest_and_process  # the app factory may wire all stages

            async with app.state.harvest_lock:
                await harvest_and_process(app.state.sessions, settings, app.state.backend, codes, full=full)

        app.state.run_harvest = run_harvest
        try:
            yield
        finally:
            app.state.backend.close()
            await engine.dispose()

    app = FastAPI(title="unioncat", version="0.1.0", lifespan=lifespan)

    @app.exception_handler(UnioncatError)
    async def _unioncat_error(_request: Request, exc: UnioncatError):
        return _error(exc.status_code, type(exc).__name__, exc.detail)

    @app.exception_handler(SearchError)
    async def _search_error(_request: Request, exc: SearchError):
        return _error(exc.status_code, type(exc).__name__, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}" for e in exc.errors()
        )
        return _error(400, "BadRequest", detail)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "InternalError", "an unexpected error occurred; it has been logged")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException):
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
        return _error(exc.status_code, name, str(exc.detail))

    app.include_router(api_router)
    app.include_router(overrides_router)
    app.include_router(web_router)
    app.include_router(staff_router)
    app.include_router(oai_router)
    app.include_router(sru_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz")
    async def healthz():
        return {"status": "ok"}

    @app.get("/metrics", response_class=PlainTextResponse)
    async def metrics(request: Request):
        async with request.app.state.sessions() as session:
            clusters = (await session.execute(
                select(func.count()).select_from(Cluster).where(Cluster.status == "active"))).scalar_one()
            by_status = (await session.execute(
                select(SourceRecord.status, func.count()).group_by(SourceRecord.status))).all()
            codes = dict((await session.execute(
                select(Library.id, Library.code).order_by(Library.code))).all())
            by_entry_status = (await session.execute(
                select(QuarantinedRecord.library_id, QuarantinedRecord.status, func.count())
                .group_by(QuarantinedRecord.library_id, QuarantinedRecord.status))).all()
            normalize = dict((await session.execute(
                select(SourceRecord.library_id, func.count()).where(SourceRecord.status == "quarantined")
                .group_by(SourceRecord.library_id))).all())
        entries = {(lib, status): n for lib, status, n in by_entry_status}
        lines = [
            "# HELP unioncat_union_records Active union records.",
            "# TYPE unioncat_union_records gauge",
            f"unioncat_union_records {clusters}",
            "# HELP unioncat_source_records Source records by pipeline status.",
            "# TYPE unioncat_source_records gauge",
        ]
        lines += [f'unioncat_source_records{{status="{_label(s)}"}} {n}' for s, n in by_status]
        lines += [
            "# HELP unioncat_quarantined_records Quarantined records per library: open harvest quarantine "
            "entries (received but unreadable) and source records normalization could not interpret.",
            "# TYPE unioncat_quarantined_records gauge",
        ]
        for lib_id, code in codes.items():
            lines.append(f'unioncat_quarantined_records{{library="{_label(code)}",stage="harvest"}} '
                         f'{entries.get((lib_id, "open"), 0)}')
            lines.append(f'unioncat_quarantined_records{{library="{_label(code)}",stage="normalize"}} '
                         f'{normalize.get(lib_id, 0)}')
        lines += [
            "# HELP unioncat_quarantine_resolved_total Harvest quarantine entries resolved (a good copy or a "
            "deletion arrived), per library.",
            "# TYPE unioncat_quarantine_resolved_total gauge",
        ]
        lines += [f'unioncat_quarantine_resolved_total{{library="{_label(code)}"}} '
                  f'{entries.get((lib_id, "resolved"), 0)}' for lib_id, code in codes.items()]
        return "\n".join(lines) + "\n"

    return app
