"""Real third-party OAI-PMH pages (tests/data/oai, see SOURCES.md) served byte for byte over HTTP and harvested."""

from __future__ import annotations

from lxml import etree

from conftest import TESTDATA
from harvesters.harvest import harvest_library
from unioncat.demo.oai_server import Fault

from .harvest_helpers import add_library, get_library, get_run, harvest_errors, quarantine_entries, source_rows

OAI_DATA = TESTDATA / "oai"
MARC = "{http://www.loc.gov/MARC21/slim}"
DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"


def page(name: str) -> bytes:
    return (OAI_DATA / name).read_bytes()


async def replay_harvest(sessions, settings, oai_server, fake_sleep, code, files, *, prefix="marc21"):
    repo = oai_server.add_repository(code, metadata_prefix=prefix)
    repo.replay([page(f) for f in files], verb="ListRecords")
    await add_library(sessions, code, oai_server.base_url(code), metadata_prefix=prefix)
    summary = await harvest_library(sessions, settings, code, sleep=fake_sleep)
    return repo, summary


async def test_sickle_three_page_token_chain(sessions, settings, oai_server, fake_sleep):
    files = ["sickle/ListRecords_page1.xml", "sickle/ListRecords_page2.xml", "sickle/ListRecords_page4_last.xml"]
    repo, summary = await replay_harvest(sessions, settings, oai_server, fake_sleep, "SK", files, prefix="oai_dc")
    # the last page holds a deleted header without identifier or datestamp: skipped, counted, shown to staff
    assert summary.status == "succeeded_with_errors", summary.error
    assert (summary.pages, summary.records_failed) == (3, 1)
    assert any("completeListSize said 8" in w for w in summary.warnings)
    assert await harvest_errors(sessions, summary.run_id) == []
    [entry] = await quarantine_entries(sessions, "SK")
    assert (entry.error, entry.identifier, entry.status) == ("record header without identifier", None, "open")
    assert entry.position == "page 3, item 1" and b"Missing identifier" in entry.raw
    assert summary.quarantined == ["page 3, item 1"]
    # the server's real tokens were sent back verbatim, as the only argument besides the verb
    lists = [r for r in repo.requests if r["verb"] == "ListRecords"]
    assert [r.get("resumptionToken") for r in lists] == [None, "ListRecords2.xml", "ListRecords3.xml"]
    rows = await source_rows(sessions, "SK")
    assert set(rows) == {"oai:test.example.com:1585310", "oai:test.example.com:1585322"}  # one row each
    assert rows["oai:test.example.com:1585310"].deleted is True
    live = rows["oai:test.example.com:1585322"]
    assert live.raw_format == "oai_dc" and not live.deleted
    dc = etree.fromstring(live.raw)
    assert dc.tag == DC + "dc"
    assert dc.findtext("{http://purl.org/dc/elements/1.1/}title") == "Sample Title"
    assert (await get_library(sessions, "SK")).watermark is not None


async def test_dspace_81_records_with_deleted_headers(sessions, settings, oai_server, fake_sleep):
    _, summary = await replay_harvest(sessions, settings, oai_server, fake_sleep, "DS",
                                      ["dspace_eur_2004/ListRecords_oai_dc_from2004-01-01_with_deleted.xml"],
                                      prefix="oai_dc")
    assert summary.status == "succeeded", summary.error
    assert (summary.records_new, summary.records_deleted) == (79, 2)
    rows = await source_rows(sessions, "DS")
    assert len(rows) == 81
    deleted = [r for r in rows.values() if r.deleted]
    assert len(deleted) == 2 and all(r.status == "deleted" and r.raw is None for r in deleted)
    for row in rows.values():
        if not row.deleted:
            assert etree.fromstring(row.raw).tag == DC + "dc"
    assert rows["hdl:1765/9"].datestamp == "2004-02-03T10:58:05Z"


async def test_hathitrust_marc21_set(sessions, settings, oai_server, fake_sleep):
    _, summary = await replay_harvest(sessions, settings, oai_server, fake_sleep, "HT",
                                      ["hathitrust/ListRecords_marc21_set_hathitrust_umich.xml"])
    assert summary.status == "succeeded", summary.error
    rows = await source_rows(sessions, "HT")
    assert len(rows) == 11 and summary.records_new == 11
    record = etree.fromstring(rows["oai:quod.lib.umich.edu:MIU01-000053070"].raw)
    assert record.tag == MARC + "record"
    assert record.find(MARC + "leader") is not None
    assert all(r.raw_format == "marcxml" for r in rows.values())


async def test_voyager_initial_then_incremental_with_deleted_bib_and_holdings(sessions, settings, oai_server,
                                                                              fake_sleep):
    repo, first = await replay_harvest(
        sessions, settings, oai_server, fake_sleep, "UR",
        ["xc_oaitoolkit_voyager/ListRecords_marc21_initial_bib_hold_1.7MB.xml"])
    assert first.status == "succeeded", first.error
    assert first.records_new == 335
    before = await source_rows(sessions, "UR")
    assert not any(r.deleted for r in before.values())

    repo.replay([page("xc_oaitoolkit_voyager/ListRecords_marc21_incremental_with_deleted_bib_hold.xml")])
    second = await harvest_library(sessions, settings, "UR", sleep=fake_sleep)
    assert second.status == "succeeded", second.error
    assert second.records_deleted == 11
    assert second.records_new + second.records_updated + second.records_unchanged == 15
    rows = await source_rows(sessions, "UR")
    assert rows["oai:library.rochester.edu:URVoyager1/4"].deleted is True
    assert rows["oai:library.rochester.edu:URVoyager1/4"].raw == before["oai:library.rochester.edu:URVoyager1/4"].raw
    assert sum(r.deleted for r in rows.values()) == 11


async def test_carli_440_records_in_one_page(sessions, settings, oai_server, fake_sleep):
    _, summary = await replay_harvest(sessions, settings, oai_server, fake_sleep, "CA",
                                      ["carli_xc/ListRecords_marc21_carli_440recs_3.9MB.xml"])
    assert summary.status == "succeeded", summary.error
    rows = await source_rows(sessions, "CA")
    assert len(rows) == 440
    assert all(etree.fromstring(r.raw).tag == MARC + "record" for r in rows.values())


async def test_bad_resumption_token_fails_the_run_but_keeps_earlier_pages(sessions, settings, oai_server,
                                                                          fake_sleep):
    repo, summary = await replay_harvest(
        sessions, settings, oai_server, fake_sleep, "BT",
        ["sickle/ListRecords_page1.xml", "errors/badResumptionToken_oaicat_etdcat.xml"], prefix="oai_dc")
    assert summary.status == "failed"
    assert summary.error_type == "BadResumptionToken"
    assert "badResumptionToken" in summary.error and "invalid" in summary.error
    rows = await source_rows(sessions, "BT")
    assert len(rows) == 2  # page 1 kept
    library = await get_library(sessions, "BT")
    assert library.watermark is None  # not advanced
    # the dead token is not resumed: the next run restarts its window by date
    assert library.checkpoint["token"] is None and library.checkpoint["restart"] is True
    run = await get_run(sessions, summary.run_id)
    assert run.status == "failed" and "badResumptionToken" in run.error and run.pages == 1


async def test_broken_page_fails_clearly_and_loses_nothing(sessions, settings, oai_server, fake_sleep):
    repo, first = await replay_harvest(sessions, settings, oai_server, fake_sleep, "BR",
                                       ["hathitrust/ListRecords_marc21_set_hathitrust_umich.xml"])
    assert first.status == "succeeded"
    watermark = (await get_library(sessions, "BR")).watermark
    broken = page("broken/sickle_ListRecordsBroken.xml")
    repo.add_fault(Fault.raw(broken, verb="ListRecords", repeat=settings.harvest_max_retries + 1))

    summary = await harvest_library(sessions, settings, "BR", sleep=fake_sleep)

    assert summary.status == "failed"
    assert summary.error_type == "NotOAIResponse"
    assert "not XML" in summary.error
    assert summary.retries == settings.harvest_max_retries
    assert len(fake_sleep.waits) == settings.harvest_max_retries
    rows = await source_rows(sessions, "BR")
    assert len(rows) == 11 and not any(r.deleted for r in rows.values())
    assert (await get_library(sessions, "BR")).watermark == watermark
    errors = await harvest_errors(sessions, summary.run_id)
    assert errors and errors[-1].payload == broken  # the offending body kept for staff
