"""What the reader pages and the record exports read from the database and the search backend.

Thin adapters around `records.get_union_record`, the libraries table and `interop.exports`; the pages'
logic (grouping holdings, naming facets) is pure and lives here as plain functions too.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

import pymarc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db import Library
from unioncat.interop import exports
from unioncat.normalize.vietnamese import fold
from unioncat.records import base_marc_records
from unioncat.search.backend import SearchBackend, SearchQuery

log = logging.getLogger(__name__)


async def library_directory(session: AsyncSession) -> dict[str, dict]:
    """code -> {code, name, province, former_provinces, opac_url}, for naming facets and holdings."""
    rows = (await session.execute(
        select(Library.code, Library.name, Library.province, Library.former_provinces, Library.opac_url)
    )).all()
    return {
        code: {"code": code, "name": name, "province": province, "former_provinces": former or [],
               "opac_url": opac}
        for code, name, province, former, opac in rows
    }


def holdings_by_province(record: dict, libraries: dict[str, dict]) -> list[dict]:
    """Holdings grouped by province, then library: [{province, libraries: [{code, name, holdings: [...]}]}].

    Provinces and libraries in Vietnamese alphabetical order (folded), an unknown province last.
    """
    grouped: dict[str | None, OrderedDict[str, dict]] = {}
    for holding in record.get("holdings", []):
        code = holding.get("library") or "?"
        info = libraries.get(code, {})
        province = info.get("province")
        libs = grouped.setdefault(province, OrderedDict())
        entry = libs.setdefault(code, {
            "code": code, "name": holding.get("library_name") or info.get("name") or code, "holdings": [],
        })
        entry["holdings"].append(holding)
    out = []
    for province in sorted(grouped, key=lambda p: (p is None, fold(p or ""))):
        libs = sorted(grouped[province].values(), key=lambda lib: fold(lib["name"]))
        out.append({"province": province, "libraries": libs})
    return out


def other_versions(backend: SearchBackend, record: dict, limit: int = 8) -> list:
    """Other union records with the same title (folded) — other editions, volumes, translations. Best effort:
    one search, and any search problem just means no list."""
    title = (record.get("title") or "").strip()
    if not title:
        return []
    key = fold(title).strip(" ./:;,")
    try:
        result = backend.search(SearchQuery(q=f'title:"{title}"', size=30, facets=False))
    except Exception:  # noqa: BLE001 - an optional panel must never break the record page
        log.exception("other versions lookup failed for %s", record.get("id"))
        return []
    return [h for h in result.hits if h.id != record["id"] and fold(h.title).strip(" ./:;,") == key][:limit]


async def base_marc(session: AsyncSession, record: dict) -> pymarc.Record | None:
    """The base member's raw MARC, when it is MARC and was read without text repairs (else None)."""
    return (await base_marc_records(session, [record])).get(record["id"])


async def export_record(session: AsyncSession, record: dict, fmt: str, permalink: str | None) -> tuple[bytes, str, str]:
    """(body, media type, file name) of one export format of a union record."""
    base = await base_marc(session, record) if fmt in ("marc", "marcxml") else None
    body = exports.export(record, fmt, base=base, permalink=permalink)
    return body, exports.FORMATS[fmt][0], exports.filename(record, fmt)
