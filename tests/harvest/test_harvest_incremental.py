"""Full and incremental harvests against the project's OAI-PMH provider on loopback, on both databases."""

from __future__ import annotations

from lxml import etree
from sqlalchemy import update

from harvesters.harvest import harvest_library
from unioncat.db import transaction
from unioncat.db.tables import SourceRecord
from unioncat.demo.oai_server import DAY

from .harvest_helpers import add_library, get_library, get_run, make_records, marc_record, source_rows

MARC = "{http://www.loc.gov/MARC21/slim}"


async def test_three_pages_store_every_record_once(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("HN", make_records(250), page_size=100)
    repo.response_date = "2024-02-01T00:00:00Z"
    await add_library(sessions, "HN", oai_server.base_url("HN"))

    summary = await harvest_library(sessions, settings, "HN", sleep=fake_sleep)

    assert summary.status == "succeeded", summary.error
    assert (summary.pages, summary.records_new, summary.records_deleted) == (3, 250, 0)
    rows = await source_rows(sessions, "HN")
    assert len(rows) == 250
    row = rows["oai:lib:42"]
    assert (row.status, row.deleted, row.raw_format, row.datestamp) == ("new", False, "marcxml", "2024-01-10T08:00:00Z")
    record = etree.fromstring(row.raw)  # self-contained: re-parses alone, MARC namespace on the root
    assert record.tag == MARC + "record"
    assert record.findtext(f"{MARC}controlfield[@tag='001']") == "42"
    assert "Sách số 42" in row.raw.decode("utf-8")
    library = await get_library(sessions, "HN")
    assert library.watermark == "2024-02-01T00:00:00Z"
    assert library.checkpoint is None
    assert library.granularity == "YYYY-MM-DDThh:mm:ssZ" and library.deleted_record == "persistent"
    run = await get_run(sessions, summary.run_id)
    assert (run.status, run.pages, run.records_new, run.requests) == ("succeeded", 3, 250, 5)
    # Identify, the formats, then the first ListRecords (no from: first run, records within one date window),
    # then token-only resumption requests
    verbs = [r["verb"] for r in repo.requests]
    assert verbs == ["Identify", "ListMetadataFormats", "ListRecords", "ListRecords", "ListRecords"]
    assert repo.requests[2] == {"verb": "ListRecords", "metadataPrefix": "marc21"}
    assert set(repo.requests[3]) == {"verb", "resumptionToken"}
    assert fake_sleep.waits == []


async def test_incremental_harvest_picks_up_changes_and_deletions_only(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("HP", make_records(120), page_size=50)
    repo.response_date = "2024-02-01T00:00:00Z"
    await add_library(sessions, "HP", oai_server.base_url("HP"))
    first = await harvest_library(sessions, settings, "HP", sleep=fake_sleep)
    assert first.records_new == 120
    async with transaction(sessions) as session:  # what normalize would do; untouched rows must keep it
        await session.execute(update(SourceRecord).values(status="normalized"))
    before = await source_rows(sessions, "HP")

    repo.put("oai:lib:5", "2024-02-02T09:00:00Z", metadata=marc_record("5", "Tên sách đã sửa"))
    repo.delete("oai:lib:7", "2024-02-02T09:30:00Z")
    repo.put("oai:lib:8", "2024-02-02T10:00:00Z", metadata=marc_record("8", "Sách số 8"))  # same content
    repo.put("oai:lib:500", "2024-02-02T11:00:00Z", metadata=marc_record("500", "Sách mới"))
    repo.response_date = "2024-02-03T00:00:00Z"
    requests_before = len(repo.requests)

    second = await harvest_library(sessions, settings, "HP", sleep=fake_sleep)

    assert second.status == "succeeded", second.error
    assert (second.records_new, second.records_updated, second.records_deleted, second.records_unchanged) == (1, 1, 1, 1)
    list_request = [r for r in repo.requests[requests_before:] if r["verb"] == "ListRecords"][0]
    assert list_request["from"] == "2024-01-31T23:59:59Z"  # watermark minus one second of overlap
    rows = await source_rows(sessions, "HP")
    assert len(rows) == 121
    assert rows["oai:lib:5"].status == "new" and b"T\xc3\xaan s\xc3\xa1ch \xc4\x91\xc3\xa3 s\xe1\xbb\xada" in rows["oai:lib:5"].raw
    assert rows["oai:lib:5"].content_hash != before["oai:lib:5"].content_hash
    assert rows["oai:lib:7"].deleted is True and rows["oai:lib:7"].status == "deleted"
    assert rows["oai:lib:7"].raw == before["oai:lib:7"].raw  # the raw record is kept on deletion
    assert rows["oai:lib:8"].status == "normalized"  # unchanged content: row untouched
    assert rows["oai:lib:8"].updated_at == before["oai:lib:8"].updated_at
    assert rows["oai:lib:8"].datestamp == before["oai:lib:8"].datestamp
    assert rows["oai:lib:500"].status == "new"
    assert rows["oai:lib:9"].status == "normalized"
    assert (await get_library(sessions, "HP")).watermark == "2024-02-03T00:00:00Z"

    # a re-added record comes back to life; deleting an already deleted one changes nothing
    repo.put("oai:lib:7", "2024-02-04T00:00:00Z", metadata=marc_record("7", "Sách số 7 trở lại"))
    repo.response_date = "2024-02-05T00:00:00Z"
    third = await harvest_library(sessions, settings, "HP", sleep=fake_sleep)
    assert (third.records_updated, third.records_new) == (1, 0)
    rows = await source_rows(sessions, "HP")
    assert rows["oai:lib:7"].deleted is False and rows["oai:lib:7"].status == "new"


async def test_day_granularity_sends_dates_only(sessions, settings, oai_server, fake_sleep):
    records = [(f"oai:d:{i}", "2024-03-0%d" % (1 + i % 5), False, marc_record(str(i), "x"), []) for i in range(30)]
    repo = oai_server.add_repository("HD", records, granularity=DAY, page_size=10)
    repo.response_date = "2024-03-06T12:00:00Z"
    await add_library(sessions, "HD", oai_server.base_url("HD"))
    first = await harvest_library(sessions, settings, "HD", sleep=fake_sleep)
    assert first.status == "succeeded" and first.records_new == 30
    assert (await get_library(sessions, "HD")).granularity == "YYYY-MM-DD"

    repo.put("oai:d:3", "2024-03-07", metadata=marc_record("3", "changed"))
    repo.response_date = "2024-03-08T01:00:00Z"
    second = await harvest_library(sessions, settings, "HD", sleep=fake_sleep)
    assert second.status == "succeeded", second.error
    list_request = [r for r in repo.requests if r["verb"] == "ListRecords" and "from" in r][0]
    assert list_request["from"] == "2024-03-05"  # date part of the watermark minus one day, no time
    assert second.records_updated == 1 and second.records_new == 0


async def test_full_harvest_ignores_the_watermark(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("HF", make_records(15), page_size=10)
    repo.response_date = "2024-02-01T00:00:00Z"  # less than a year after the records: one date window
    await add_library(sessions, "HF", oai_server.base_url("HF"))
    await harvest_library(sessions, settings, "HF", sleep=fake_sleep)
    n = len(repo.requests)
    summary = await harvest_library(sessions, settings, "HF", full=True, sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_unchanged == 15
    assert all("from" not in r for r in repo.requests[n:])


async def test_a_second_harvest_of_the_same_library_is_refused_while_one_runs(sessions, settings, oai_server):
    """The scheduler and a staff button may start the same library at once: the second one waits its turn."""
    from unioncat.db.locks import exclusive

    repo = oai_server.add_repository("DUP", make_records(20), page_size=10)
    await add_library(sessions, "DUP", oai_server.base_url("DUP"))
    async with exclusive(sessions.kw["bind"], "harvest:DUP", wait=False):  # as another process would hold it
        refused = await harvest_library(sessions, settings, "DUP")
    assert refused.status == "failed" and "already running" in refused.error
    assert await source_rows(sessions, "DUP") == {}
    done = await harvest_library(sessions, settings, "DUP")
    assert done.status == "succeeded" and len(await source_rows(sessions, "DUP")) == 20
    assert len(repo.requests) > 0


async def test_a_server_that_ignores_from_is_noticed_and_nothing_is_dropped(sessions, settings, oai_server):
    """Checklist item 42: an incremental request answered with old records stores them and says so."""
    import httpx

    from unioncat.demo.oai_server import Fault

    repo = oai_server.add_repository("OLD", make_records(12), page_size=50)  # datestamps in 2024
    await add_library(sessions, "OLD", oai_server.base_url("OLD"))
    first = await harvest_library(sessions, settings, "OLD")
    assert first.status == "succeeded" and first.records_out_of_window == 0
    whole_list = httpx.get(oai_server.base_url("OLD"), params={"verb": "ListRecords", "metadataPrefix": "marc21"})
    repo.add_fault(Fault.raw(whole_list.content, verb="ListRecords"))  # the next answer ignores from=
    second = await harvest_library(sessions, settings, "OLD")
    assert second.from_date is not None  # an incremental request was made
    assert second.status == "succeeded" and second.records_out_of_window == 12
    assert any("ignore `from`" in w for w in second.warnings)
    assert len(await source_rows(sessions, "OLD")) == 12 and second.records_unchanged == 12
