"""`unioncat schedule`: cron arithmetic in Asia/Ho_Chi_Minh, and a loop that survives failures (real harvests of
loopback OAI-PMH endpoints, on both databases)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from harvesters.harvest import harvest_many
from unioncat.db import create_engine, make_sessionmaker, transaction
from unioncat.db.tables import Library
from unioncat.demo.oai_server import Fault, OAIServer
from unioncat.scheduler import TIMEZONE, due_libraries, next_run, run_scheduler

HCM = TIMEZONE


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, day, hour, minute, tzinfo=HCM)


def test_next_run_default_is_one_in_the_morning_in_ho_chi_minh_city():
    assert next_run(None, at(1, 0, 30)) == at(1, 1)
    assert next_run(None, at(1, 1)) == at(2, 1)  # strictly after
    # 18:30 UTC is 01:30 the next day in Hồ Chí Minh City (UTC+7): the next 01:00 is a day later
    assert next_run(None, datetime(2024, 4, 30, 18, 30, tzinfo=timezone.utc)) == at(2, 1)
    assert next_run(None, datetime(2024, 5, 1, 0, 30)) == at(1, 1)  # naive: local time
    assert next_run("20 1 * * *", at(1, 1)) == at(1, 1, 20)
    assert next_run("0 3 * * 0", at(1, 0)) == at(5, 3)  # 2024-05-05 is a Sunday


def test_due_libraries_between_two_checks():
    schedules = {"HTI": "20 1 * * *", "NAN": None, "SUN": "0 3 * * 0", "BAD": "every night", "DHV": "0 2 * * *"}
    assert due_libraries(schedules, at(1, 0, 59), at(1, 1, 25)) == ["HTI", "NAN"]
    assert due_libraries(schedules, at(1, 1, 25), at(1, 1, 55)) == []
    assert due_libraries(schedules, at(1, 0), at(2, 0)) == ["DHV", "HTI", "NAN"]  # a long gap: each due once
    assert due_libraries(schedules, at(5, 2, 59), at(5, 3)) == ["SUN"]
    assert due_libraries({}, at(1, 0), at(2, 0)) == []


async def test_scheduler_survives_a_crashed_round_and_a_failing_library(db_settings, caplog):
    settings = db_settings.model_copy(update={"harvest_timeout": 2.0, "harvest_max_retries": 0})
    engine = create_engine(settings)
    sessions = make_sessionmaker(engine)
    with OAIServer() as server:
        for code in ("GOOD", "DENY"):
            repo = server.add_repository(code, [(f"oai:{code}:{i}", "2024-04-01T00:00:00Z", False,
                                                 b'<record xmlns="http://www.loc.gov/MARC21/slim"/>', [])
                                                for i in range(30)], page_size=20)
            repo.response_date = "2024-05-01T00:00:00Z"
        server.repositories["DENY"].add_fault(Fault.http_status(403, verb="ListRecords"))
        async with transaction(sessions) as s:
            s.add(Library(code="GOOD", name="Good", oai_url=server.base_url("GOOD")))
            s.add(Library(code="DENY", name="Deny", oai_url=server.base_url("DENY"), schedule="30 1 * * *"))
            s.add(Library(code="FILE", name="Uploads MARC files", oai_url=None))  # nothing to harvest
            s.add(Library(code="OFF", name="Disabled", oai_url=server.base_url("GOOD"), enabled=False))

        times = iter([at(1, 0, 50), at(1, 1, 40), at(1, 23), at(2, 1, 40)])
        calls: list[list[str]] = []

        async def run(codes):
            calls.append(codes)
            if len(calls) == 1:
                raise RuntimeError("index unavailable")  # e.g. processing crashed after the harvest
            return await harvest_many(sessions, settings, codes, sleep=no_wait)

        async def no_wait(_seconds):
            return None

        with caplog.at_level(logging.INFO, logger="unioncat.scheduler"):
            await run_scheduler(settings, run=run, clock=lambda: next(times), sleep=no_wait, rounds=3)

    async with sessions() as s:
        libraries = {lib.code: lib for lib in (await s.execute(Library.__table__.select())).all()}
    await engine.dispose()
    assert calls == [["DENY", "GOOD"], ["DENY", "GOOD"]]  # nothing at 23:00; both again the next night
    assert libraries["GOOD"].watermark == "2024-05-01T00:00:00Z"
    assert libraries["DENY"].watermark is None
    messages = [r.getMessage() for r in caplog.records if r.name == "unioncat.scheduler"]
    assert any("failed; the scheduler goes on" in m for m in messages)
    assert any(m.startswith("harvest of DENY failed: HTTP 403") for m in messages)
    assert any(m.startswith("harvest of GOOD: succeeded (new 30") for m in messages)


def test_a_long_gap_never_runs_a_library_twice():
    last = at(1, 0)
    runs = []
    now = last
    for _ in range(48):  # half-hourly ticks over a day
        now = now + timedelta(minutes=30)
        runs += due_libraries({"A": None}, last, now)
        last = now
    assert runs == ["A"]
