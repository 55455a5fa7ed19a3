"""Per-record recovery: one broken record never stalls a harvest (issue 12), end to end through real harvests
against the fault-injecting provider on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import update

from harvesters.harvest import harvest_library
from harvesters.salvage import salvage_page
from unioncat.demo.broken_records import BREAKS
from unioncat.db import Library, transaction
from unioncat.demo.oai_server import Fault

from .harvest_helpers import add_library, get_library, make_records, marc_record, quarantine_entries, source_rows

MARC = "{http://www.loc.gov/MARC21/slim}"
UNREADABLE = [k for k in BREAKS if k != "no-identifier"]  # not well-formed XML


async def setup(sessions, oai_server, code, n=250, page_size=50, **options):
    repo = oai_server.add_repository(code, make_records(n), page_size=page_size, **options)
    repo.response_date = "2024-02-01T00:00:00Z"
    await add_library(sessions, code, oai_server.base_url(code))
    return repo


def served_order(n: int) -> list[str]:
    """Identifiers in the order the provider lists them (same datestamp: by identifier, as text)."""
    return sorted(f"oai:lib:{i}" for i in range(n))


def title(row) -> str:
    return etree.fromstring(row.raw).findtext(f".//{MARC}subfield")


def assert_every_other_record_once(rows, n, broken):
    expected = {f"oai:lib:{i}" for i in range(n)} - set(broken)
    assert set(rows) == expected  # one row per identifier: each record arrived exactly once
    assert all(title(rows[i]) == f"Sách số {i.rsplit(':', 1)[1]}" for i in expected)


@pytest.mark.parametrize("kind", UNREADABLE)
async def test_one_broken_record_is_quarantined_and_the_page_kept(sessions, settings, oai_server, fake_sleep,
                                                                 kind):
    repo = await setup(sessions, oai_server, "B1")
    repo.break_record("oai:lib:77", kind, in_get_record=True)  # broken everywhere: GetRecord cannot help
    summary = await harvest_library(sessions, settings, "B1", sleep=fake_sleep)
    assert summary.status == "succeeded_with_errors", summary.error
    assert summary.retries == 0 and fake_sleep.waits == []  # a broken record is not retried as a broken page
    assert (summary.records_new, summary.records_failed, summary.quarantined) == (249, 1, ["oai:lib:77"])
    assert_every_other_record_once(await source_rows(sessions, "B1"), 250, ["oai:lib:77"])
    [entry] = await quarantine_entries(sessions, "B1")
    assert (entry.status, entry.identifier, entry.datestamp) == ("open", "oai:lib:77", "2024-01-10T08:00:00Z")
    at = served_order(250).index("oai:lib:77")
    assert entry.position.startswith(f"page {at // 50 + 1}, record {at % 50 + 1} (byte ")
    assert "of the record)" in entry.error and "line 1, column " in entry.error
    assert entry.raw.startswith(b"<record><header><identifier>oai:lib:77</identifier>")
    assert b"oai:lib:78" not in entry.raw  # the record's own bytes, not its neighbour's
    assert "verb=ListRecords" in entry.url and entry.run_id == summary.run_id
    assert entry.attempts == 1 and entry.last_attempt_error  # tried once more alone with GetRecord
    assert (await get_library(sessions, "B1")).watermark == "2024-02-01T00:00:00Z"  # recorded, so it advances
    assert any("1 unreadable records quarantined (e.g. oai:lib:77)" in w for w in summary.warnings)


async def test_a_record_broken_only_in_lists_is_recovered_with_getrecord(sessions, settings, oai_server,
                                                                        fake_sleep):
    repo = await setup(sessions, oai_server, "B2")
    repo.break_record("oai:lib:10", "mismatched-end-tag")  # GetRecord serves the good copy
    summary = await harvest_library(sessions, settings, "B2", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error  # read after all: not a failure
    assert (summary.records_new, summary.records_failed, summary.recovered) == (250, 0, 1)
    assert_every_other_record_once(await source_rows(sessions, "B2"), 250, [])
    [entry] = await quarantine_entries(sessions, "B2")
    assert entry.status == "resolved" and entry.resolution == f"recovered with GetRecord (run {summary.run_id})"
    assert [r["verb"] for r in repo.requests].count("GetRecord") == 1


async def test_every_fault_on_one_page_and_one_on_the_last_page(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "B3", n=230)
    order = served_order(230)
    broken = dict(zip(order[100:], BREAKS))  # all on page 3
    broken[order[-1]] = "cut-off"  # the last page: no token, the envelope closes properly
    for identifier, kind in broken.items():
        repo.break_record(identifier, kind, in_get_record=True)
    summary = await harvest_library(sessions, settings, "B3", sleep=fake_sleep)
    assert summary.status == "succeeded_with_errors", summary.error
    assert summary.pages == 5 and summary.records_failed == len(broken)
    # the header without identifier is well-formed: its record is unusable; the broken header keeps its id
    assert_every_other_record_once(await source_rows(sessions, "B3"), 230, broken)
    entries = await quarantine_entries(sessions, "B3")
    assert len(entries) == len(broken) and all(e.status == "open" for e in entries)
    by_id = {e.identifier: e for e in entries}
    assert None in by_id and by_id[None].error == "record header without identifier"
    assert by_id[None].position.startswith("page 3, item ")
    assert set(by_id) - {None} == set(broken) - {order[104]}  # order[104] lost its identifier element
    assert by_id[order[-1]].position.startswith("page 5, record 30 ")
    assert by_id[order[105]].datestamp == "2024-01-10T08:00:00Z"  # read despite its misspelt end tag
    lists = [r for r in repo.requests if r["verb"] == "ListRecords"]
    assert len(lists) == 5  # no page was requested twice


async def test_a_page_cut_off_in_the_middle_is_retried_not_split(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "B4")
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.truncate(verb="ListRecords"), Fault.drop_mid_body(
        verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "B4", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.retries == 2 and summary.records_new == 250
    assert await quarantine_entries(sessions, "B4") == []

    repo.response_date = "2024-03-01T00:00:00Z"
    repo.add_fault(Fault.truncate(verb="ListRecords", repeat=10))
    failed = await harvest_library(sessions, settings, "B4", full=True, sleep=fake_sleep)
    assert failed.status == "failed" and failed.error_type == "MalformedXML"
    assert "no record salvaged: the page does not end with </ListRecords></OAI-PMH>" in failed.error
    assert "verb=ListRecords" in failed.error  # with the URL, as before
    assert await quarantine_entries(sessions, "B4") == []


async def test_a_broken_token_is_never_guessed(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "B5")
    repo.break_record("oai:lib:3", "bare-lt", in_get_record=True)
    first_page = first_list_page(repo)
    bad_token = first_page.replace(b"</resumptionToken>", b"</resumptionTokn>")
    repo.replay([bad_token] * 10)
    summary = await harvest_library(sessions, settings, "B5", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "MalformedXML"
    assert "the resumptionToken element cannot be read" in summary.error
    assert summary.retries == settings.harvest_max_retries
    assert await source_rows(sessions, "B5") == {} and await quarantine_entries(sessions, "B5") == []


def first_list_page(repo) -> bytes:
    """The first ListRecords page as the provider serves it."""
    import httpx

    return httpx.get(repo.base_url, params={"verb": "ListRecords", "metadataPrefix": "marc21"}).content


async def test_quarantine_is_not_a_deletion_and_a_fixed_record_resolves_it(sessions, settings, oai_server,
                                                                          fake_sleep):
    repo = await setup(sessions, oai_server, "B6", n=120)
    assert (await harvest_library(sessions, settings, "B6", sleep=fake_sleep)).status == "succeeded"
    good = (await source_rows(sessions, "B6"))["oai:lib:5"]

    # the library edits record 5 and its OAI script breaks it: the good copy stays live and unchanged
    repo.put("oai:lib:5", "2024-02-15T08:00:00Z", metadata=marc_record("5", "Sách số 5, tái bản"))
    repo.break_record("oai:lib:5", "unescaped-ampersand", in_get_record=True)
    repo.response_date = "2024-03-01T00:00:00Z"
    second = await harvest_library(sessions, settings, "B6", sleep=fake_sleep)
    assert second.status == "succeeded_with_errors" and second.quarantined == ["oai:lib:5"]
    row = (await source_rows(sessions, "B6"))["oai:lib:5"]
    assert (row.raw, row.deleted, row.content_hash, row.status) == (good.raw, False, good.content_hash, good.status)
    [entry] = await quarantine_entries(sessions, "B6")
    assert entry.status == "open" and entry.datestamp == "2024-02-15T08:00:00Z"

    # the next night it is still broken: the same entry, seen again, tried again
    repo.response_date = "2024-03-02T00:00:00Z"
    repo.put("oai:lib:5", "2024-03-01T12:00:00Z", metadata=marc_record("5", "Sách số 5, tái bản"))
    repo.break_record("oai:lib:5", "unescaped-ampersand", in_get_record=True)
    third = await harvest_library(sessions, settings, "B6", sleep=fake_sleep)
    [entry] = await quarantine_entries(sessions, "B6")
    assert entry.status == "open" and entry.run_id == third.run_id and entry.attempts == 2

    # the provider fixes it: the incremental harvest takes the new copy and resolves the entry
    repo.fix_record("oai:lib:5", "2024-03-05T08:00:00Z")
    repo.response_date = "2024-03-06T00:00:00Z"
    fourth = await harvest_library(sessions, settings, "B6", sleep=fake_sleep)
    assert fourth.status == "succeeded" and fourth.records_updated == 1
    assert title((await source_rows(sessions, "B6"))["oai:lib:5"]) == "Sách số 5, tái bản"
    [entry] = await quarantine_entries(sessions, "B6")
    assert entry.status == "resolved" and entry.resolution == f"harvested again (run {fourth.run_id})"
    assert entry.resolved_at is not None


async def test_a_deleted_record_resolves_its_entry(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "B7", n=60)
    repo.break_record("oai:lib:1", "cut-off", in_get_record=True)
    await harvest_library(sessions, settings, "B7", sleep=fake_sleep)
    repo.delete("oai:lib:1", "2024-02-10T08:00:00Z")
    repo.response_date = "2024-03-01T00:00:00Z"
    second = await harvest_library(sessions, settings, "B7", sleep=fake_sleep)
    assert second.status == "succeeded" and second.records_deleted == 1
    [entry] = await quarantine_entries(sessions, "B7")
    assert entry.status == "resolved" and entry.resolution.startswith("deleted by the library")


async def test_a_broken_header_in_listidentifiers_never_deletes_by_reconciliation(sessions, settings,
                                                                                  oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "B8", n=120, deleted_record="no")
    first = await harvest_library(sessions, settings, "B8", full=True, sleep=fake_sleep)
    assert first.status == "succeeded"
    repo.remove("oai:lib:3")  # gone without a trace: only reconciliation can tell
    repo.break_record("oai:lib:50", "no-identifier")  # and one header the listing cannot name
    repo.response_date = "2024-03-01T00:00:00Z"
    second = await harvest_library(sessions, settings, "B8", full=True, sleep=fake_sleep)
    assert second.status == "succeeded_with_errors"
    assert any("deletion reconciliation not applied" in w and "incomplete" in w for w in second.warnings)
    rows = await source_rows(sessions, "B8")
    assert not rows["oai:lib:3"].deleted and not rows["oai:lib:50"].deleted  # nothing deleted on a doubt

    repo.fix_record("oai:lib:50")
    repo.break_record("oai:lib:60", "broken-header")  # unreadable, but its identifier can still be read
    repo.response_date = "2024-04-01T00:00:00Z"
    third = await harvest_library(sessions, settings, "B8", full=True, sleep=fake_sleep)
    rows = await source_rows(sessions, "B8")
    assert rows["oai:lib:3"].deleted and not rows["oai:lib:60"].deleted and not rows["oai:lib:50"].deleted
    assert any("1 records absent" in w for w in third.warnings)


def test_salvage_keeps_the_records_around_a_broken_one_on_a_prefixed_page():
    # a provider that writes the OAI namespace with a prefix and MARC records inline
    page = (
        b'<?xml version="1.0" encoding="UTF-8"?><oai:OAI-PMH xmlns:oai="http://www.openarchives.org/OAI/2.0/" '
        b'xmlns:marc="http://www.loc.gov/MARC21/slim"><oai:responseDate>2024-01-01T00:00:00Z</oai:responseDate>'
        b'<oai:request verb="ListRecords">http://x/oai</oai:request><oai:ListRecords>'
        + b"".join(
            b'<oai:record><oai:header><oai:identifier>id:%d</oai:identifier><oai:datestamp>2024-01-01'
            b'</oai:datestamp></oai:header><oai:metadata><marc:record><marc:leader>x</marc:leader>'
            b'<marc:datafield tag="245"><marc:subfield code="a">%s</marc:subfield></marc:datafield>'
            b'</marc:record></oai:metadata></oai:record>\n' % (i, b"R&D" if i == 2 else b"ok") for i in range(4))
        + b'<oai:resumptionToken cursor="0">next&amp;page</oai:resumptionToken></oai:ListRecords></oai:OAI-PMH>')
    salvaged = salvage_page(page, "ListRecords")
    container = salvaged.root.find("{http://www.openarchives.org/OAI/2.0/}ListRecords")
    ids = [r.findtext(".//{http://www.openarchives.org/OAI/2.0/}identifier") for r in container
           if r.tag.endswith("record")]
    assert ids == ["id:0", "id:1", "id:3"]
    assert container.findtext("{http://www.openarchives.org/OAI/2.0/}resumptionToken") == "next&page"
    [broken] = salvaged.broken
    assert broken.identifier == "id:2" and "EntityRef" in broken.error
    assert broken.raw.startswith(b"<oai:record>") and broken.raw.endswith(b"</oai:record>")


async def test_a_bounded_retry_budget_reaches_every_entry_in_turn(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "B9", n=60, deleted_record="no")
    for identifier in ("oai:lib:1", "oai:lib:2", "oai:lib:3"):
        repo.break_record(identifier, "bare-lt", in_get_record=True)
    async with transaction(sessions) as session:
        await session.execute(update(Library).where(Library.code == "B9").values(options={"quarantine_retries": 2}))
    for day in range(3):
        repo.response_date = f"2024-0{day + 2}-01T00:00:00Z"
        await harvest_library(sessions, settings, "B9", sleep=fake_sleep)
    assert sorted(e.attempts for e in await quarantine_entries(sessions, "B9")) == [2, 2, 2]

    # the library removes one record for good: GetRecord says idDoesNotExist, the entry is resolved
    repo.remove("oai:lib:2")
    repo.response_date = "2024-06-01T00:00:00Z"
    await harvest_library(sessions, settings, "B9", sleep=fake_sleep)
    repo.response_date = "2024-07-01T00:00:00Z"
    await harvest_library(sessions, settings, "B9", sleep=fake_sleep)
    entry = next(e for e in await quarantine_entries(sessions, "B9") if e.identifier == "oai:lib:2")
    assert entry.status == "resolved" and entry.resolution.startswith("no longer in the repository")


def test_salvage_reads_a_page_declared_in_another_encoding_and_drops_stray_text():
    def rec(i: int, text: str) -> str:
        return (f'<record><header><identifier>oai:x:{i}</identifier><datestamp>2024-01-01</datestamp></header>'
                f'<metadata><r xmlns="urn:x">{text}</r></metadata></record>')

    page = ('<?xml version="1.0" encoding="ISO-8859-1"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
            '<responseDate>2024-01-01T00:00:00Z</responseDate><request>http://x/oai</request><ListRecords>'
            + rec(1, "Café") + "\nNotice: Undefined index & more in oai.php\n" + rec(2, "a < b") + rec(3, "Noël")
            + "</ListRecords></OAI-PMH>").encode("latin-1")
    salvaged = salvage_page(page, "ListRecords")
    kept = {r.findtext(".//{urn:x}r") for r in salvaged.root.iter("{http://www.openarchives.org/OAI/2.0/}record")}
    assert kept == {"Café", "Noël"}  # not "Caf\ufffd", and record 1 is not blamed for the notice after it
    assert [b.identifier for b in salvaged.broken] == ["oai:x:2"] and salvaged.stray == 1


def test_a_broken_record_keeps_its_identifier_as_the_provider_meant_it():
    page = (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-01</responseDate>'
            b"<request>x</request><ListRecords><record><header><identifier>oai:x:caf&#233;&#xE9;&amp;1</identifier>"
            b'<datestamp>2024-01-01</datestamp></header><metadata><r xmlns="urn:x">a & b</r></metadata></record>'
            b"</ListRecords></OAI-PMH>")
    [broken] = salvage_page(page, "ListRecords").broken
    assert broken.identifier == "oai:x:caf\u00e9\u00e9&1"  # what GetRecord and a good copy will carry
