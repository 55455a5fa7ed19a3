"""Index stage: push changed union records to the search backend (incremental), or rebuild it all."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db import Cluster, transaction
from unioncat.search.backend import SearchBackend

Progress = Callable[[int, int], None]


async def index_dirty(
    sessions: async_sessionmaker[AsyncSession], backend: SearchBackend, batch_size: int = 2000,
    on_progress: Progress | None = None,
) -> int:
    async with sessions() as session:
        ids = (await session.execute(select(Cluster.id).where(Cluster.index_dirty.is_(True)))).scalars().all()
    ids = sorted(ids)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        async with transaction(sessions) as session:
            rows = (await session.execute(select(Cluster.id, Cluster.status, Cluster.data).where(Cluster.id.in_(chunk)))).all()
            docs = [data for _, status, data in rows if status == "active" and data]
            gone = [cid for cid, status, data in rows if status != "active" or not data]
            if docs:
                backend.upsert(docs)
            if gone:
                backend.delete(gone)
            await session.execute(update(Cluster).where(Cluster.id.in_(chunk)).values(index_dirty=False))
        if on_progress:
            on_progress(min(start + batch_size, len(ids)), len(ids))
    return len(ids)


async def reindex_all(sessions: async_sessionmaker[AsyncSession], backend: SearchBackend) -> int:
    """Full rebuild into a new index with an atomic switch; searches keep working meanwhile."""
    async with sessions() as session:
        result = await session.stream(select(Cluster.data).where(Cluster.status == "active").execution_options(yield_per=2000))
        docs = [data async for (data,) in result if data]
    count = backend.rebuild(iter(docs))
    async with transaction(sessions) as session:
        await session.execute(update(Cluster).values(index_dirty=False))
    return count


