"""Normalize stage: source records marked "new" become canonical records, or are quarantined with their error.

The raw record is never touched; a record that cannot be parsed keeps its raw bytes and carries its error,
visible to staff, and never stops the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import Library, NormalizedRecord, SourceRecord, transaction
from unioncat.db.tables import utcnow
from unioncat.normalize import NormalizeError, normalize_source

Progress = Callable[[int, int], None]


@dataclass
class NormalizeStats:
    normalized: int = 0
    quarantined: int = 0
    excluded: int = 0


def normalize_one(raw: bytes | None, raw_format: str, profile: str) -> tuple[str, dict | None, str | None]:
    """(status, canonical data, error) for one raw record (pure)."""
    if not raw:
        return "quarantined", None, "empty record: nothing was harvested for this identifier"
    try:
        record = normalize_source(raw, raw_format, profile)
    except NormalizeError as exc:
        return "quarantined", None, str(exc)
    if record.record_kind != "bibliographic":
        return "excluded", record.model_dump(mode="json"), f"not a bibliographic record ({record.record_kind})"
    return "normalized", record.model_dump(mode="json"), None


async def _normalize_batch(session: AsyncSession, ids: list[int], profiles: dict[int, str], stats: NormalizeStats):
    rows = (
        await session.execute(
            select(SourceRecord.id, SourceRecord.library_id, SourceRecord.raw, SourceRecord.raw_format)
            .where(SourceRecord.id.in_(ids))
        )
    ).all()
    now = utcnow()
    normalized, outcome = [], {"normalized": [], "excluded": []}
    errors: list[tuple[int, str, str]] = []
    for rid, lib_id, raw, raw_format in rows:
        status, data, error = normalize_one(raw, raw_format, profiles.get(lib_id, "generic"))
        if status == "quarantined":
            errors.append((rid, status, error))
            stats.quarantined += 1
            continue
        normalized.append({"source_record_id": rid, "data": data, "updated_at": now})
        if status == "excluded":
            errors.append((rid, status, error))
            stats.excluded += 1
        else:
            outcome["normalized"].append(rid)
            stats.normalized += 1
    await session.execute(delete(NormalizedRecord).where(NormalizedRecord.source_record_id.in_(ids)))
    if normalized:
        await session.execute(insert(NormalizedRecord), normalized)
    if outcome["normalized"]:
        await session.execute(
            update(SourceRecord).where(SourceRecord.id.in_(outcome["normalized"])).values(status="normalized", error=None)
        )
    if errors:  # one executemany by primary key
        await session.execute(
            update(SourceRecord).execution_options(synchronize_session=False),
            [{"id": rid, "status": status, "error": error} for rid, status, error in errors],
        )


async def normalize_pending(
    sessions: async_sessionmaker[AsyncSession], batch_size: int = 500, on_progress: Progress | None = None
) -> NormalizeStats:
    stats = NormalizeStats()
    async with sessions() as session:
        profiles = dict((await session.execute(select(Library.id, Library.profile))).all())
        pending = (
            await session.execute(
                select(SourceRecord.id).where(SourceRecord.status == "new").order_by(SourceRecord.id)
            )
        ).scalars().all()
    for start in range(0, len(pending), batch_size):
        ids = pending[start : start + batch_size]
        async with transaction(sessions) as session:
            await _normalize_batch(session, ids, profiles, stats)
        if on_progress:
            on_progress(min(start + batch_size, len(pending)), len(pending))
    return stats
