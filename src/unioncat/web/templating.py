"""Jinja2 rendering shared by the reader pages (web/) and the staff pages (staff/).

One environment, autoescaped, loading `web/templates` then `staff/templates`; every page gets the interface
language, the translator `_`, and `lang_url(code)` for the language switch.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from unioncat.web import i18n

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATE_DIRS = (HERE / "templates", HERE.parent / "staff" / "templates")
LANG_COOKIE_AGE = 365 * 24 * 3600

env = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(d)) for d in TEMPLATE_DIRS]),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def _thousands(value, lang: str = "vi") -> str:
    """12345 -> "12.345" (Vietnamese) or "12,345" (English)."""
    try:
        text = f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    return text.replace(",", ".") if lang == "vi" else text


def _short_time(value: str | None) -> str:
    """An ISO timestamp as "2025-01-31 01:02" (UTC, as stored)."""
    if not value:
        return ""
    return value.replace("T", " ")[:16]


env.filters["thousands"] = _thousands
env.filters["short_time"] = _short_time


def lang_of(request: Request) -> str:
    return i18n.pick_lang(request.query_params, request.cookies)


def lang_url(request: Request, code: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", code))
    return f"{request.url.path}?{urlencode(params)}"


def render(request: Request, template: str, context: dict, status_code: int = 200,
           headers: dict | None = None) -> HTMLResponse:
    lang = lang_of(request)
    page = env.get_template(template).render(
        request=request, lang=lang, _=i18n.translator(lang), lang_url=lambda code: lang_url(request, code),
        language_name=lambda v: i18n.label(i18n.LANGUAGE_NAMES, v, lang),
        format_name=lambda v: i18n.label(i18n.FORMAT_NAMES, v, lang),
        status_name=lambda v: i18n.label(i18n.STATUS_NAMES, v, lang),
        **context,
    )
    response = HTMLResponse(page, status_code=status_code, headers=headers)
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGS and request.cookies.get(i18n.COOKIE) != chosen:
        response.set_cookie(i18n.COOKIE, chosen, max_age=LANG_COOKIE_AGE, samesite="lax", httponly=True)
    return response


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message, "status": status_code},
                  status_code=status_code)
