"""`unioncat schedule`: harvest each library on its own cron (default nightly 01:00 Asia/Ho_Chi_Minh).

The systemd-timer alternative lives in deploy/. Runs never overlap: due libraries are harvested together,
one round at a time. The loop survives everything a round can throw: a library that fails is logged and
retried at its next scheduled time; a crash in processing, or the database being away, is logged and the
loop goes on (a failed read of the schedules is retried at the next tick, so no night is skipped).
Everything is logged to stderr (journald under systemd).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter
from sqlalchemy import select

from unioncat.settings import Settings

DEFAULT_SCHEDULE = "0 1 * * *"
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
log = logging.getLogger("unioncat.scheduler")

RunDue = Callable[[list[str]], Awaitable[list]]


def next_run(schedule: str | None, after: datetime) -> datetime:
    """The first time strictly after ``after`` that ``schedule`` fires, in Asia/Ho_Chi_Minh.

    A naive ``after`` is read as Asia/Ho_Chi_Minh time. Raises ValueError for an invalid cron expression.
    """
    if after.tzinfo is None:
        after = after.replace(tzinfo=TIMEZONE)
    cron = schedule or DEFAULT_SCHEDULE
    if not croniter.is_valid(cron):
        raise ValueError(f"invalid cron expression {cron!r}")
    return croniter(cron, after.astimezone(TIMEZONE)).get_next(datetime)


def due_libraries(schedules: dict[str, str | None], last_check: datetime, now: datetime) -> list[str]:
    """Libraries whose next run after ``last_check`` is at or before ``now`` (pure).

    A library with an invalid schedule is left out (and logged); it never stops the others.
    """
    due = []
    for code, cron in schedules.items():
        try:
            if next_run(cron, last_check) <= now:
                due.append(code)
        except ValueError as exc:
            log.error("library %s: %s; not scheduled", code, exc)
    return sorted(due)


async def read_schedules(sessions) -> dict[str, str | None]:
    """Enabled libraries that can be harvested (an OAI-PMH URL) and their cron expressions."""
    from unioncat.db import Library

    async with sessions() as s:
        rows = await s.execute(select(Library.code, Library.schedule)
                               .where(Library.enabled.is_(True), Library.oai_url.isnot(None)))
        return dict(rows.all())


def log_to_stderr() -> None:
    """Send the scheduler's and the harvest's logs to stderr, unless logging is already configured."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)


def report(summaries) -> None:
    for s in summaries:
        if getattr(s, "status", None) == "failed":
            log.error("harvest of %s failed: %s", s.code, s.error)
        else:
            log.info("harvest of %s: %s (new %d, updated %d, deleted %d, failed %d)", s.code, s.status,
                     s.records_new, s.records_updated, s.records_deleted, s.records_failed)


async def run_scheduler(settings: Settings, *, tick: float = 30.0, run: RunDue | None = None,
                        clock: Callable[[], datetime] | None = None,
                        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                        rounds: int | None = None) -> None:
    """Check every ``tick`` seconds which libraries are due and harvest them (then process what changed).

    ``run`` harvests a list of codes (default: harvest then process); ``clock``, ``sleep`` and ``rounds``
    (stop after that many ticks) are for tests.
    """
    from unioncat.db import create_engine, make_sessionmaker

    log_to_stderr()
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    backend = None
    clock = clock or (lambda: datetime.now(TIMEZONE))
    if run is None:
        from unioncat.jobs import harvest_and_process
        from unioncat.search import open_backend

        backend = open_backend(settings)

        async def run(codes: list[str]) -> list:
            summaries, _stats = await harvest_and_process(sessions, settings, backend, codes)
            return summaries

    last = clock()
    log.info("scheduler started; default schedule %r in %s", DEFAULT_SCHEDULE, TIMEZONE)
    done = 0
    try:
        while rounds is None or done < rounds:
            done += 1
            await sleep(tick)
            now = clock()
            try:
                schedules = await read_schedules(sessions)
            except Exception:  # noqa: BLE001 - the database may come back: try again at the next tick
                log.exception("cannot read the library schedules; retrying at the next tick")
                continue
            due = due_libraries(schedules, last, now)
            last = now
            if not due:
                continue
            log.info("harvesting %s", ", ".join(due))
            try:
                report(await run(due))
            except Exception:  # noqa: BLE001 - one bad round must not end the scheduler
                log.exception("harvest round for %s failed; the scheduler goes on", ", ".join(due))
    finally:
        if backend is not None:
            backend.close()
        await engine.dispose()
