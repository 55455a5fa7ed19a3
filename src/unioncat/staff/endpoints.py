"""Staff pages under /staff: dashboard, a library's harvests and both quarantines, clusters with merge and
split controls, statistics. Every page has a `.json` twin rendered from the same service call; `.json` twins
also accept `Authorization: Bearer <token>` so scripts can read them without a browser session.

Every POST form carries a CSRF token derived from the session; a missing or wrong one is refused (403).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat import libraries as library_service
from unioncat.errors import NotFound, UnioncatError
from unioncat.records import Moved
from unioncat.staff import auth, overrides, service
from unioncat.web.i18n import translator
from unioncat.web.templating import error_page, lang_of, render

router = APIRouter(prefix="/staff", include_in_schema=False)

MAX_FORM_BYTES = 64 * 1024


# ------------------------------------------------------------------------------------------------ plumbing


def _secret(request: Request) -> bytes:
    return auth.session_secret(request.app.state.settings)


async def _user(request: Request) -> tuple[str | None, dict | None]:
    """(staff name, session payload) from the session cookie or a bearer token; (None, None) if neither."""
    payload = auth.read_session(_secret(request), request.cookies.get(auth.SESSION_COOKIE))
    if payload:
        return str(payload.get("sub")), payload
    token = auth.bearer_token(request.headers.get("authorization"))
    if token:
        async with request.app.state.sessions() as session, session.begin():
            name = await auth.check_token(session, request.app.state.settings, token)
        if name:
            return name, None
    return None, None


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=50)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items() if v}


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/staff/login?next={quote(target, safe='')}", status_code=303)


def _unauthorized() -> JSONResponse:
    return JSONResponse({"error": "Unauthorized", "detail": "staff login or Authorization: Bearer <token> required"},
                        status_code=401)


def _error_json(exc: UnioncatError) -> JSONResponse:
    return JSONResponse({"error": type(exc).__name__, "detail": exc.detail}, status_code=exc.status_code)


def _page(request: Request, template: str, context: dict[str, Any], user: str, payload: dict | None,
          status_code: int = 200) -> HTMLResponse:
    csrf = auth.csrf_token(_secret(request), payload["nonce"]) if payload else ""
    return render(request, template, {"user": user, "csrf": csrf, "flash": request.query_params.get("done"),
                                      **context}, status_code=status_code)


def _staff_error(request: Request, exc: UnioncatError) -> HTMLResponse:
    _ = translator(lang_of(request))
    title = _("Không tìm thấy trang") if isinstance(exc, NotFound) else _("Yêu cầu không hợp lệ")
    return error_page(request, exc.status_code, title, exc.detail)


async def _guarded_post(request: Request) -> tuple[str, dict[str, str]] | Response:
    """The staff name and the form of a POST, or the response refusing it (no session: 303/401; bad CSRF: 403)."""
    user, payload = await _user(request)
    if not user or not payload:
        return _login_redirect(request)
    form = await _form(request)
    if not auth.csrf_ok(_secret(request), payload.get("nonce"), form.get("csrf")):
        _ = translator(lang_of(request))
        return error_page(request, 403, _("Yêu cầu không hợp lệ"), _("Phiên làm việc đã hết hạn, vui lòng thử lại."))
    return user, form


def _safe_next(value: str | None) -> str:
    value = value or ""
    if value.startswith("/staff") and not value.startswith("//") and "\\" not in value:
        return value
    return "/staff/"


# ------------------------------------------------------------------------------------------------ login


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request):
    nonce = request.cookies.get(auth.LOGIN_COOKIE) or ""
    if len(nonce) != 32:
        nonce = secrets.token_hex(16)
    response = render(request, "staff_login.html", {
        "csrf": auth.csrf_token(_secret(request), nonce), "next": _safe_next(request.query_params.get("next")),
        "failed": request.query_params.get("failed") == "1", "user": None,
    })
    response.set_cookie(auth.LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="strict", path="/staff")
    return response


@router.post("/login")
async def login(request: Request):
    form = await _form(request)
    nonce = request.cookies.get(auth.LOGIN_COOKIE)
    target = _safe_next(form.get("next"))
    if not auth.csrf_ok(_secret(request), nonce, form.get("csrf")):
        _ = translator(lang_of(request))
        return error_page(request, 403, _("Yêu cầu không hợp lệ"), _("Phiên làm việc đã hết hạn, vui lòng thử lại."))
    async with request.app.state.sessions() as session, session.begin():
        name = await auth.check_token(session, request.app.state.settings, form.get("token", ""))
    if not name:
        await asyncio.sleep(0.5)  # slow down guessing
        return RedirectResponse(f"/staff/login?failed=1&next={quote(target, safe='')}", status_code=303)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(auth.SESSION_COOKIE, auth.make_session(_secret(request), name),
                        max_age=auth.SESSION_SECONDS, httponly=True, samesite="lax", path="/staff",
                        secure=request.url.scheme == "https")
    response.delete_cookie(auth.LOGIN_COOKIE, path="/staff")
    return response


@router.post("/logout")
async def logout(request: Request):
    guarded = await _guarded_post(request)
    if isinstance(guarded, Response):
        return guarded
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/staff")
    return response


# ------------------------------------------------------------------------------------------------ dashboard


@router.get("/dashboard.json")
async def dashboard_json(request: Request):
    user, _payload = await _user(request)
    if not user:
        return _unauthorized()
    async with request.app.state.sessions() as session:
        return await service.dashboard(session)


@router.get("/", response_class=HTMLResponse)
@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request):
    user, payload = await _user(request)
    if not user:
        return _login_redirect(request)
    async with request.app.state.sessions() as session:
        data = await service.dashboard(session)
    return _page(request, "staff_dashboard.html", {"data": data}, user, payload)


# ------------------------------------------------------------------------------------------------ libraries


def _page_number(request: Request, name: str = "page") -> int:
    try:
        return max(1, min(int(request.query_params.get(name, "1")), 10_000))
    except ValueError:
        return 1


async def _library_page(request: Request, session: AsyncSession, code: str) -> dict:
    return await service.library_page(session, code, _page_number(request), _page_number(request, "qpage"))


@router.get("/libraries/{code}.json")
async def library_json(request: Request, code: str):
    user, _payload = await _user(request)
    if not user:
        return _unauthorized()
    async with request.app.state.sessions() as session:
        try:
            return await _library_page(request, session, code)
        except UnioncatError as exc:
            return _error_json(exc)


@router.get("/libraries/{code}", response_class=HTMLResponse)
async def library(request: Request, code: str):
    user, payload = await _user(request)
    if not user:
        return _login_redirect(request)
    async with request.app.state.sessions() as session:
        try:
            data = await _library_page(request, session, code)
        except UnioncatError as exc:
            return _staff_error(request, exc)
    running = request.app.state.harvest_lock.locked()
    return _page(request, "staff_library.html", {"data": data, "running": running}, user, payload)


# path segment -> service.raw_payload kind
RAW_KINDS = {"records": "record", "errors": "error", "quarantine": "quarantine"}


@router.get("/libraries/{code}/{kind}/{item_id}/raw")
async def raw_payload(request: Request, code: str, kind: str, item_id: str):
    """The stored bytes of a source record, a harvest error or a harvest quarantine entry, as a download
    (never rendered: they are whatever the member sent)."""
    user, _payload = await _user(request)
    if not user:
        return _login_redirect(request)
    if kind not in RAW_KINDS or not item_id.isdigit() or len(item_id) > 18:
        return _staff_error(request, NotFound("no such payload"))
    async with request.app.state.sessions() as session:
        try:
            raw, fmt = await service.raw_payload(session, code, RAW_KINDS[kind], int(item_id))
        except UnioncatError as exc:
            return _staff_error(request, exc)
    ext = "mrc" if fmt == "iso2709" else "xml" if fmt in ("marcxml", "oai_dc", "xml") else "bin"
    return Response(raw, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{code}-{kind}-{item_id}.{ext}"',
        "X-Content-Type-Options": "nosniff"})


@router.post("/libraries/{code}/harvest")
async def start_harvest(request: Request, code: str, background: BackgroundTasks):
    guarded = await _guarded_post(request)
    if isinstance(guarded, Response):
        return guarded
    _user_name, form = guarded
    async with request.app.state.sessions() as session:
        try:
            await library_service.get_library(session, code)
        except UnioncatError as exc:
            return _staff_error(request, exc)
    full = form.get("full") == "1"
    background.add_task(request.app.state.run_harvest, [code], full)
    return RedirectResponse(f"/staff/libraries/{quote(code)}?done=harvest", status_code=303)


# ------------------------------------------------------------------------------------------------ clusters


@router.get("/clusters/{cluster_id}.json")
async def cluster_json(request: Request, cluster_id: str):
    user, _payload = await _user(request)
    if not user:
        return _unauthorized()
    async with request.app.state.sessions() as session:
        try:
            return await service.cluster_page(session, cluster_id)
        except Moved as moved:
            return RedirectResponse(f"/staff/clusters/{moved.target}.json", status_code=301)
        except UnioncatError as exc:
            return _error_json(exc)


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
async def cluster(request: Request, cluster_id: str):
    user, payload = await _user(request)
    if not user:
        return _login_redirect(request)
    async with request.app.state.sessions() as session:
        try:
            data = await service.cluster_page(session, cluster_id)
        except Moved as moved:
            return RedirectResponse(f"/staff/clusters/{moved.target}", status_code=301)
        except UnioncatError as exc:
            return _staff_error(request, exc)
    moved = request.query_params.get("moved", "")
    return _page(request, "staff_cluster.html", {"data": data, "moved": moved if moved.isalnum() else ""},
                 user, payload)


def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


@router.post("/clusters/{cluster_id}/{action}")
async def cluster_action(request: Request, cluster_id: str, action: str):
    guarded = await _guarded_post(request)
    if isinstance(guarded, Response):
        return guarded
    user, form = guarded
    kind = {"split": "split", "never-merge": "never", "merge": "always"}.get(action)
    if kind is None:
        return _staff_error(request, NotFound(f"no action {action!r}"))
    sessions, backend = request.app.state.sessions, request.app.state.backend
    try:
        a, b = await overrides.validate(sessions, cluster_id[:24], kind, _int_or_none(form.get("record_a")),
                                        _int_or_none(form.get("record_b")), form.get("other"))
    except UnioncatError as exc:
        return _staff_error(request, exc)
    decision = overrides.Decision(kind, a, b, (form.get("note") or "").strip()[:1000] or None, user)
    try:
        result = await overrides.apply(sessions, backend, decision)  # the pipeline lock serializes processing
    except UnioncatError as exc:
        return _staff_error(request, exc)
    if kind == "always":
        return RedirectResponse(f"/staff/clusters/{quote(result['clusters'].get(a) or cluster_id)}?done={kind}",
                                status_code=303)
    moved = result["clusters"].get(b if kind == "never" else a) or ""
    return RedirectResponse(f"/staff/clusters/{quote(cluster_id)}?done={kind}&moved={quote(moved)}",
                            status_code=303)


# ------------------------------------------------------------------------------------------------ statistics


@router.get("/statistics.json")
async def statistics_json(request: Request):
    user, _payload = await _user(request)
    if not user:
        return _unauthorized()
    async with request.app.state.sessions() as session:
        return await service.statistics(session)


@router.get("/statistics.csv")
async def statistics_csv(request: Request):
    user, _payload = await _user(request)
    if not user:
        return _unauthorized()
    table = request.query_params.get("table", "libraries")
    if table not in service.STAT_TABLES:
        return _error_json(NotFound(f"no statistics table {table!r}; tables: {', '.join(service.STAT_TABLES)}"))
    async with request.app.state.sessions() as session:
        stats = await service.statistics(session)
    return Response(service.statistics_csv(stats, table).encode("utf-8-sig"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="unioncat-{table}.csv"'})


@router.get("/statistics", response_class=HTMLResponse)
async def statistics(request: Request):
    user, payload = await _user(request)
    if not user:
        return _login_redirect(request)
    async with request.app.state.sessions() as session:
        data = await service.statistics(session)
    return _page(request, "staff_statistics.html", {"data": data}, user, payload)

