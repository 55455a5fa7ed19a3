"""Union records as readers and other systems see them (shared by the API, web pages and exports)."""

from __future__ import annotations

import pymarc
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db import Cluster, NormalizedRecord, SourceRecord
from unioncat.errors import RecordNotFound
from unioncat.normalize.errors import NormalizeError
from unioncat.normalize.marc import parse_iso2709, parse_marcxml


class Moved(Exception):
    """The id was absorbed by a merge: the record lives on under `target`."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


async def get_union_record(session: AsyncSession, record_id: str) -> dict:
    cluster = await session.get(Cluster, record_id[:24])
    hops = 0
    while cluster is not None and cluster.status == "absorbed" and cluster.redirect_to and hops < 10:
        target = cluster.redirect_to
        cluster = await session.get(Cluster, target)
        hops += 1
        if cluster is not None and cluster.status == "active":
            raise Moved(target)
    if cluster is None or cluster.status != "active" or not cluster.data:
        raise RecordNotFound(f"no union record with id {record_id!r}")
    return cluster.data


async def iter_union_records(session: AsyncSession, batch: int = 1000):
    result = await session.stream(
        select(Cluster.data).where(Cluster.status == "active").order_by(Cluster.id).execution_options(yield_per=batch)
    )
    async for (data,) in result:
        if data:
            yield data


def export_dict(record: dict) -> dict:
    """The JSONL export shape (DESIGN.md): at least id, title, authors, year, isbns, libraries, members."""
    return {
        "id": record["id"],
        "title": record.get("title"),
        "subtitle": record.get("subtitle"),
        "authors": record.get("authors", []),
        "publisher": record.get("publisher"),
        "place": record.get("place"),
        "year": record.get("year"),
        "edition": record.get("edition"),
        "isbns": record.get("isbns", []),
        "language": record.get("language"),
        "format": record.get("format"),
        "subjects": record.get("subjects", []),
        "libraries": record.get("libraries", []),
        "holdings": [
            {"library": h["library"], "call_number": h.get("call_number"), "items": h.get("items", [])}
            for h in record.get("holdings", [])
        ],
        "members": [
            {"library": m["library"], "identifier": m["identifier"], "rule": m.get("rule")}
            for m in record.get("members", [])
        ],
    }


async def base_marc_records(session: AsyncSession, records: list[dict]) -> dict[str, pymarc.Record]:
    """The base member's MARC of each union record, in one query, keyed by union id:
    only records that are MARC and were read without text repairs; others are built from the union fields."""
    wanted: dict[int, str] = {}
    for record in records:
        base = next((m for m in record.get("members", []) if m.get("base")), None)
        if base and base.get("source_record_id"):
            wanted[int(base["source_record_id"])] = record["id"]
    out: dict[str, pymarc.Record] = {}
    if not wanted:
        return out
    rows = (await session.execute(
        select(SourceRecord.id, SourceRecord.raw, SourceRecord.raw_format, NormalizedRecord.data)
        .join(NormalizedRecord, NormalizedRecord.source_record_id == SourceRecord.id, isouter=True)
        .where(SourceRecord.id.in_(list(wanted)))
    )).all()
    for rid, raw, raw_format, normalized in rows:
        normalized = normalized or {}
        if not raw or normalized.get("source_format") not in (None, "marc21") or normalized.get("repairs"):
            continue
        try:
            if raw_format == "iso2709":
                out[wanted[rid]] = parse_iso2709(raw)
            elif raw_format == "marcxml":
                out[wanted[rid]] = parse_marcxml(raw)
        except (NormalizeError, ValueError):
            continue
    return out
