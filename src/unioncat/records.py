"""Union records as readers and other systems see them (shared by the API, web pages and exports)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from unioncat.db import Cluster
from unioncat.errors import RecordNotFound


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
