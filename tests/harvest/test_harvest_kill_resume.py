"""Kill -9 in the middle of a real harvest, then harvest again: nothing lost, nothing twice (DESIGN.md: "a crash
anywhere loses nothing"; reference/oai-pmh.md §5 item 17).

The harvest runs as ``unioncat harvest CODE --no-process`` in its own process against the loopback provider,
slowed by a per-request delay so the kill lands mid-run; the test polls the database until some pages are
checkpointed, SIGKILLs the process, and runs the harvest again. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from harvesters.harvest import harvest_library
from unioncat.db.tables import HarvestRun, SourceRecord

from .harvest_helpers import add_library, get_library, get_run, marc_record, source_rows

T0 = "2024-02-01T00:00:00Z"
N = 1200


def records():
    """Stamped over three years, so the first harvest is listed in date windows (the kill lands in one)."""
    return [(f"oai:k:{i}", f"{2021 + i % 3}-{1 + i % 12:02d}-15T10:00:00Z", False, marc_record(str(i), f"Sách {i}"),
             []) for i in range(N)]


async def last_run(sessions) -> HarvestRun | None:
    async with sessions() as session:
        return (await session.execute(select(HarvestRun).order_by(HarvestRun.id.desc()).limit(1))).scalar_one_or_none()


async def test_sigkill_mid_harvest_then_resume_stores_every_record_once(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("KR", records(), page_size=40, request_delay=0.05)
    repo.response_date = T0
    await add_library(sessions, "KR", oai_server.base_url("KR"))
    env = dict(os.environ, UNIONCAT_DATA_DIR=str(settings.data_dir), UNIONCAT_DATABASE_URL=settings.database_url)
    proc = subprocess.Popen([sys.executable, "-m", "unioncat.cli", "harvest", "KR", "--no-process"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            run = await last_run(sessions)
            if run is not None and run.pages >= 5:
                break
            assert proc.poll() is None, f"the harvest ended before the kill: {proc.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "no pages checkpointed in 90 s"
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    killed = await last_run(sessions)
    assert killed.status == "running" and killed.finished_at is None  # it never got to say anything
    library = await get_library(sessions, "KR")
    assert library.watermark is None and library.checkpoint and library.checkpoint["run_id"] == killed.id
    stored = len(await source_rows(sessions, "KR"))
    assert 5 * 40 <= stored < N

    repo.request_delay = 0
    summary = await harvest_library(sessions, settings, "KR", sleep=fake_sleep)

    assert summary.status == "succeeded", summary.error
    assert summary.resumed
    assert summary.records_unchanged == 0 and summary.records_new == N - stored  # continued, not restarted
    async with sessions() as session:
        count = (await session.execute(select(func.count()).select_from(SourceRecord))).scalar_one()
        distinct = (await session.execute(select(func.count(func.distinct(SourceRecord.identifier))))).scalar_one()
    assert count == distinct == N  # every record exactly once
    assert set(await source_rows(sessions, "KR")) == {f"oai:k:{i}" for i in range(N)}
    library = await get_library(sessions, "KR")
    assert library.watermark == T0 and library.checkpoint is None  # the watermark advanced
    killed = await get_run(sessions, killed.id)
    assert killed.status == "failed" and "interrupted" in killed.error  # the dead run is closed, not left running
