"""`unioncat schedule`: harvest each library on its own cron (default nightly 01:00 Asia/Ho_Chi_Minh).

The systemd-timer alternative lives in deploy/. Runs never overlap: due libraries are harvested together,
one round at a time.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import select

from unioncat.settings import Settings

DEFAULT_SCHEDULE = "0 1 * * *"
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
log = logging.getLogger("unioncat.scheduler")


def next_run(schedule: str | None, after: datetime) -> datetime:
    return croniter(schedule or DEFAULT_SCHEDULE, after.astimezone(TIMEZONE)).get_next(datetime)


def due_libraries(schedules: dict[str, str | None], last_check: datetime, now: datetime) -> list[str]:
    """Libraries whose next run after `last_check` is at or before `now` (pure)."""
    return sorted(code for code, cron in schedules.items() if next_run(cron, last_check) <= now)


async def run_scheduler(settings: Settings, *, tick: float = 30.0) -> None:
    from unioncat.db import Library, create_engine, make_sessionmaker
    from unioncat.jobs import harvest_and_process
    from unioncat.search import open_backend

    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    backend = open_backend(settings)
    last = datetime.now(TIMEZONE)
    log.warning("scheduler started; default schedule %r in %s", DEFAULT_SCHEDULE, TIMEZONE)
    try:
        while True:
            await asyncio.sleep(tick)
            now = datetime.now(TIMEZONE)
            async with sessions() as s:
                schedules = dict((await s.execute(
                    select(Library.code, Library.schedule).where(Library.enabled.is_(True)))).all())
            due = due_libraries(schedules, last, now)
            last = now
            if due:
                log.warning("harvesting %s", ", ".join(due))
                await harvest_and_process(sessions, settings, backend, due)
    finally:
        backend.close()
        await engine.dispose()
