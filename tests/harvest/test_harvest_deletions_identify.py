"""Deletion reconciliation (deletedRecord=no), Identify quirks, and concurrent harvests."""

from __future__ import annotations

import pytest

from conftest import TESTDATA
from harvesters.harvest import from_date_for, harvest_library, harvest_many, normalize_granularity
from harvesters.reconcile import ReconcileRefused, plan_deletions
from unioncat.demo.oai_server import DAY, SECONDS, Fault

from .harvest_helpers import add_library, get_library, harvest_errors, make_records, source_rows

OAI_DATA = TESTDATA / "oai"


def test_plan_deletions_refuses_empty_or_implausible_lists():
    stored = {f"id{i}" for i in range(10)}
    assert plan_deletions(stored, stored - {"id3"}) == {"id3"}
    with pytest.raises(ReconcileRefused, match="empty"):
        plan_deletions(stored, set())
    with pytest.raises(ReconcileRefused, match="more than 50%"):
        plan_deletions(stored, {"id1", "id2"})
    assert plan_deletions(set(), set()) == set()


def test_from_date_overlaps_one_unit_in_the_declared_granularity():
    assert from_date_for("2024-02-01T00:00:00Z", SECONDS) == "2024-01-31T23:59:59Z"
    assert from_date_for("2024-02-01T00:00:00Z", DAY) == "2024-01-31"
    assert from_date_for(None, SECONDS) is None
    assert normalize_granularity("YYYY-MM-DDThh:mm:ssZ") == (SECONDS, None)
    assert normalize_granularity("yyyy-mm-dd")[0] == DAY
    granularity, warning = normalize_granularity(None)
    assert granularity == DAY and "missing or invalid" in warning
    assert normalize_granularity("YYYY-MM-DD hh:mm")[0] == DAY


async def test_deleted_record_no_reconciles_with_a_complete_identifier_list(sessions, settings, oai_server,
                                                                            fake_sleep):
    repo = oai_server.add_repository("DN", make_records(120), page_size=50, deleted_record="no")
    await add_library(sessions, "DN", oai_server.base_url("DN"))
    first = await harvest_library(sessions, settings, "DN", sleep=fake_sleep)
    assert first.status == "succeeded" and first.records_new == 120
    assert (await get_library(sessions, "DN")).deleted_record == "no"

    repo.remove("oai:lib:4")  # gone without a trace, as deletedRecord=no repositories do
    repo.remove("oai:lib:77")
    incremental = await harvest_library(sessions, settings, "DN", sleep=fake_sleep)
    assert incremental.records_deleted == 0  # an incremental run cannot see them go

    full = await harvest_library(sessions, settings, "DN", full=True, sleep=fake_sleep)
    assert full.status == "succeeded", full.error
    assert full.records_deleted == 2
    rows = await source_rows(sessions, "DN")
    assert rows["oai:lib:4"].deleted and rows["oai:lib:4"].status == "deleted"
    assert rows["oai:lib:77"].deleted and not rows["oai:lib:5"].deleted
    assert any(r["verb"] == "ListIdentifiers" for r in repo.requests)


async def test_reconciliation_refuses_an_incomplete_identifier_list(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("DI", make_records(120), page_size=50, deleted_record="no")
    await add_library(sessions, "DI", oai_server.base_url("DI"))
    await harvest_library(sessions, settings, "DI", sleep=fake_sleep)
    repo.remove("oai:lib:4")
    repo.add_fault(Fault.ok(verb="ListIdentifiers"),
                   Fault.oai_error("badResumptionToken", verb="ListIdentifiers"))
    summary = await harvest_library(sessions, settings, "DI", full=True, sleep=fake_sleep)
    assert summary.status == "succeeded_with_errors"
    assert summary.records_deleted == 0
    assert not (await source_rows(sessions, "DI"))["oai:lib:4"].deleted
    errors = await harvest_errors(sessions, summary.run_id)
    assert any("reconciliation not applied" in e.message and "badResumptionToken" in e.message for e in errors)


async def test_reconciliation_refuses_an_empty_identifier_list(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("DE", make_records(30), page_size=50, deleted_record="no")
    await add_library(sessions, "DE", oai_server.base_url("DE"))
    await harvest_library(sessions, settings, "DE", sleep=fake_sleep)
    repo.add_fault(Fault.oai_error("noRecordsMatch", verb="ListIdentifiers"))
    summary = await harvest_library(sessions, settings, "DE", full=True, sleep=fake_sleep)
    assert summary.status == "succeeded_with_errors" and summary.records_deleted == 0
    assert any("empty" in w for w in summary.warnings)
    assert not any(r.deleted for r in (await source_rows(sessions, "DE")).values())


async def test_identify_with_bad_earliest_datestamp_still_harvests(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("ID", make_records(10))
    repo.add_fault(Fault.raw((OAI_DATA / "broken/pyoai_Identify_bad_earliestDatestamp.xml").read_bytes(),
                             verb="Identify"))
    await add_library(sessions, "ID", oai_server.base_url("ID"))
    summary = await harvest_library(sessions, settings, "ID", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_new == 10
    assert summary.response_date == "2006-02-10T13:21:17Z"  # the watermark comes from Identify's responseDate
    assert any("baseURL" in w for w in summary.warnings)  # differs from the configured URL: warning only


async def test_harvest_many_runs_libraries_concurrently_with_progress(sessions, settings, oai_server, fake_sleep):
    codes = ["M1", "M2", "M3"]
    for i, code in enumerate(codes):
        repo = oai_server.add_repository(code, make_records(100 + 50 * i, prefix=f"oai:{code}:"), page_size=40)
        repo.response_date = "2024-02-01T00:00:00Z"  # within a year of the records: one date window
        await add_library(sessions, code, oai_server.base_url(code))
    oai_server.repositories["M2"].add_fault(Fault.http_status(403, verb="ListRecords"))
    progress: list[tuple[str, int, int | None]] = []
    summaries = await harvest_many(sessions, settings, codes + ["NOPE"], concurrency=2, sleep=fake_sleep,
                                   on_progress=lambda code, done, total: progress.append((code, done, total)))
    assert [s.code for s in summaries] == codes + ["NOPE"]
    assert [s.status for s in summaries] == ["succeeded", "failed", "succeeded", "failed"]
    assert summaries[0].records_new == 100 and summaries[2].records_new == 200
    assert summaries[3].error_type == "UnknownLibrary"
    m3 = [p for p in progress if p[0] == "M3"]
    assert m3[-1] == ("M3", 200, 200) and len(m3) == 5
