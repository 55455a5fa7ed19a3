"""Jobs that span stages: harvest then process. Used by the CLI, the staff API and the scheduler."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from harvesters.harvest import harvest_many
from unioncat.pipeline import ProcessStats, process
from unioncat.search.backend import SearchBackend
from unioncat.settings import Settings


async def harvest_and_process(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, backend: SearchBackend, codes: list[str],
    *, full: bool = False, run_process: bool = True, on_harvest_progress=None, on_process_progress=None,
) -> tuple[list, ProcessStats | None]:
    summaries = await harvest_many(sessions, settings, codes, full=full, on_progress=on_harvest_progress)
    stats = await process(sessions, backend, on_process_progress) if run_process else None
    return summaries, stats
