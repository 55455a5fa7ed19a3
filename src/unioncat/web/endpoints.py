"""Reader pages: `/` (search) and `/records/{id}` (a union record), server-rendered, no JavaScript needed.

Query strings are read leniently (`params.SearchParams`): no URL a reader can type gives a 500 or a JSON
error; a missing record gets an HTML 404 page, an absorbed id a 301 to the record that absorbed it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from unioncat.errors import RecordNotFound
from unioncat.interop.exports import FORMATS
from unioncat.records import Moved, get_union_record
from unioncat.search.backend import FACETS, BadQuery, SearchError
from unioncat.web import service
from unioncat.web.i18n import translator
from unioncat.web.params import SearchParams
from unioncat.web.templating import error_page, lang_of, render

router = APIRouter(include_in_schema=False)

FACET_ORDER = ("library", "province", "format", "language", "year", "subject")
FACET_SHOWN = 8  # values shown before "more" (the rest sit in a <details>)
EXPORT_LABELS = (("marcxml", "MARCXML"), ("marc", "MARC (ISO 2709)"), ("json", "JSON"), ("ris", "RIS"),
                 ("bibtex", "BibTeX"))
assert {f for f, _ in EXPORT_LABELS} == set(FORMATS)


@router.get("/", response_class=HTMLResponse)
async def search_page(request: Request):
    params = SearchParams.parse(request.query_params.multi_items())
    _ = translator(lang_of(request))
    result, problem, status = None, None, 200
    try:
        result = await run_in_threadpool(request.app.state.backend.search, params.to_query())
    except BadQuery as exc:
        problem, status = f"{_('Truy vấn không hợp lệ')}: {exc}", 400
    except SearchError:
        problem, status = _("Tra cứu tạm thời không thực hiện được. Vui lòng thử lại sau."), 503
    async with request.app.state.sessions() as session:
        libraries = await service.library_directory(session)
    facets = []
    if result is not None:
        for name in FACET_ORDER:
            values = result.facets.get(name, []) if name in FACETS else []
            if name == "year":
                values = sorted(values, key=lambda v: v.value, reverse=True)
            if values:
                facets.append({"name": name, "values": values})
    pages = 0
    if result is not None and params.size:
        pages = min((result.total + params.size - 1) // params.size, 500)
    return render(request, "search.html", {
        "params": params, "result": result, "problem": problem, "facets": facets, "libraries": libraries,
        "pages": pages, "facet_shown": FACET_SHOWN,
    }, status_code=status)


@router.get("/records/{record_id}", response_class=HTMLResponse)
async def record_page(request: Request, record_id: str):
    _ = translator(lang_of(request))
    async with request.app.state.sessions() as session:
        try:
            record = await get_union_record(session, record_id[:64])
        except Moved as moved:
            return RedirectResponse(str(request.url.replace(path=f"/records/{moved.target}")), status_code=301)
        except RecordNotFound:
            return error_page(request, 404, _("Không tìm thấy biểu ghi"),
                              _("Biểu ghi này không tồn tại hoặc đã bị xóa."))
        libraries = await service.library_directory(session)
    versions = await run_in_threadpool(service.other_versions, request.app.state.backend, record)
    permalink = str(request.url.replace(path=f"/records/{record['id']}", query=""))
    back = request.query_params.get("back") or ""
    return render(request, "record.html", {
        "record": record, "groups": service.holdings_by_province(record, libraries), "versions": versions,
        "exports": EXPORT_LABELS, "permalink": permalink, "libraries": libraries,
        "back": back if back.startswith("/?") or back == "/" else "",
    })
