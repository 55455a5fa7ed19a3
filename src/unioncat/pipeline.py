"""normalize → cluster → rebuild union records → index: everything after harvest, restartable at any point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unioncat.db.locks import exclusive
from unioncat.dedup.service import ClusterStats, cluster_pending, rebuild_dirty
from unioncat.normalize.service import NormalizeStats, normalize_pending
from unioncat.search.backend import SearchBackend
from unioncat.search.indexer import index_dirty

StageProgress = Callable[[str, int, int], None]


@dataclass
class ProcessStats:
    normalize: NormalizeStats
    cluster: ClusterStats
    rebuilt: int
    indexed: int


async def process(
    sessions: async_sessionmaker[AsyncSession], backend: SearchBackend, on_progress: StageProgress | None = None
) -> ProcessStats:
    def stage(name: str):
        return (lambda done, total: on_progress(name, done, total)) if on_progress else None

    # one pipeline at a time across processes (web app, scheduler, cron job, staff overrides): two runs would
    # race on cluster ids and on the dirty/index_dirty flags
    async with exclusive(sessions.kw["bind"], "pipeline"):
        normalized = await normalize_pending(sessions, on_progress=stage("normalize"))
        clustered = await cluster_pending(sessions, on_progress=stage("cluster"))
        rebuilt = await rebuild_dirty(sessions, on_progress=stage("merge"))
        indexed = await index_dirty(sessions, backend, on_progress=stage("index"))
    return ProcessStats(normalized, clustered, rebuilt, indexed)
