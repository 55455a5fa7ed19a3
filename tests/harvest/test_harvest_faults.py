"""The harvester checklist (reference/oai-pmh.md §5) against the fault-injecting provider on loopback."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from lxml import etree

from conftest import TESTDATA
from harvesters.harvest import harvest_library
from unioncat.demo.oai_server import Fault

from .harvest_helpers import add_library, get_library, get_run, harvest_errors, make_records, marc_record, source_rows

OAI_DATA = TESTDATA / "oai"


async def setup(sessions, oai_server, code, n=250, page_size=100, **options):
    repo = oai_server.add_repository(code, make_records(n), page_size=page_size, **options)
    repo.response_date = "2024-02-01T00:00:00Z"
    await add_library(sessions, code, oai_server.base_url(code))
    return repo


def list_requests(repo):
    return [r for r in repo.requests if r.get("verb") == "ListRecords"]


# --- D. HTTP and flow control -----------------------------------------------------------------------------


async def test_503_retry_after_seconds_waits_and_retries_the_same_url(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "R1")
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.http_status(503, retry_after=120, verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "R1", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert fake_sleep.waits == [120]
    assert summary.retries == 1 and summary.records_new == 250
    lists = list_requests(repo)
    assert len(lists) == 4 and lists[1] == lists[2]  # the same token request, repeated
    assert (await get_run(sessions, summary.run_id)).retries == 1


async def test_503_retry_after_http_date(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "R2")
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=90), usegmt=True)
    repo.add_fault(Fault.http_status(503, retry_after=when, verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "R2", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert len(fake_sleep.waits) == 1 and 80 <= fake_sleep.waits[0] <= 91


async def test_retry_after_is_clamped(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "R3")
    repo.add_fault(Fault.http_status(503, retry_after=86400, verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "R3", sleep=fake_sleep)
    assert summary.status == "succeeded"
    assert fake_sleep.waits == [settings.harvest_max_retry_wait]


async def test_persistent_503_backs_off_then_fails_without_moving_the_watermark(sessions, settings, oai_server,
                                                                               fake_sleep):
    repo = await setup(sessions, oai_server, "R4")
    first = await harvest_library(sessions, settings, "R4", sleep=fake_sleep)
    assert first.status == "succeeded"
    repo.response_date = "2024-03-01T00:00:00Z"
    repo.add_fault(Fault.http_status(503, verb="ListRecords", repeat=10))
    summary = await harvest_library(sessions, settings, "R4", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "HTTPStatusFailure"
    assert "503" in summary.error and "after 3 retries" in summary.error
    assert fake_sleep.waits == [2.0, 4.0, 8.0]  # exponential backoff, bounded: no tight loop
    assert (await get_library(sessions, "R4")).watermark == "2024-02-01T00:00:00Z"


async def test_429_500_502_are_retried(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "R5")
    repo.add_fault(Fault.http_status(429, retry_after=7, verb="ListRecords"),
                   Fault.http_status(500, verb="ListRecords"), Fault.http_status(502, verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "R5", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.retries == 3 and fake_sleep.waits == [7, 4.0, 8.0]


@pytest.mark.parametrize("status", [401, 403])
async def test_access_denied_is_not_retried(sessions, settings, oai_server, fake_sleep, status):
    repo = await setup(sessions, oai_server, f"A{status}")
    repo.add_fault(Fault.http_status(status, verb="ListRecords"))
    summary = await harvest_library(sessions, settings, f"A{status}", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "AccessDenied"
    assert "manual intervention" in summary.error
    assert fake_sleep.waits == [] and len(list_requests(repo)) == 1


async def test_read_timeout_is_retried(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "T1")
    quick = settings.model_copy(update={"harvest_timeout": 0.3})
    repo.add_fault(Fault.delay_response(3, verb="ListRecords"))
    summary = await harvest_library(sessions, quick, "T1", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.retries == 1 and summary.records_new == 250


async def test_stall_mid_body_hits_the_read_timeout(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "T2")
    quick = settings.model_copy(update={"harvest_timeout": 0.3})
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.stall_mid_body(3, verb="ListRecords"))
    summary = await harvest_library(sessions, quick, "T2", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.retries == 1


async def test_connection_dropped_mid_body_is_retried(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "T3")
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.drop_mid_body(verb="ListRecords", repeat=2))
    summary = await harvest_library(sessions, settings, "T3", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.retries == 2 and len(await source_rows(sessions, "T3")) == 250


async def test_gzip_bodies_with_and_without_content_encoding(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("GZ", metadata_prefix="marc21")
    body = gzip.compress((OAI_DATA / "hathitrust/ListRecords_marc21_set_hathitrust_umich.xml").read_bytes())
    repo.add_fault(Fault.raw(body, headers={"Content-Encoding": "gzip"}, verb="ListRecords"))
    await add_library(sessions, "GZ", oai_server.base_url("GZ"))
    assert (await harvest_library(sessions, settings, "GZ", sleep=fake_sleep)).records_new == 11
    repo.add_fault(Fault.raw(body, verb="ListRecords"))  # gzip magic, no header (metha's maybeCompressed)
    summary = await harvest_library(sessions, settings, "GZ", full=True, sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_unchanged == 11


async def test_a_gzip_bomb_without_content_encoding_fails_the_page_not_the_machine(sessions, settings, oai_server,
                                                                                    fake_sleep):
    repo = oai_server.add_repository("GB", metadata_prefix="marc21")
    bomb = gzip.compress(b"<" + b" " * 50_000_000)  # ~50 KB on the wire, 50 MB inflated
    repo.add_fault(Fault.raw(bomb, verb="ListRecords", repeat=10))
    await add_library(sessions, "GB", oai_server.base_url("GB"))
    summary = await harvest_library(sessions, settings, "GB", sleep=fake_sleep, max_page_bytes=1_000_000)
    assert summary.status == "failed" and "expands beyond" in summary.error


# --- C. Paging and resumption tokens ----------------------------------------------------------------------


async def test_token_repeated_fails_the_run_and_keeps_stored_pages(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "L1", n=500)
    repo.add_fault(Fault.ok(verb="ListRecords", repeat=2), Fault.repeat_token(verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "L1", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "TokenLoop"
    assert len(await source_rows(sessions, "L1")) == 300  # pages 1-3 kept
    library = await get_library(sessions, "L1")
    assert library.watermark is None
    assert library.checkpoint["token"] is None and library.checkpoint["from"] is None  # its window, again
    again = await harvest_library(sessions, settings, "L1", sleep=fake_sleep)
    assert again.status == "succeeded" and (again.records_new, again.records_unchanged) == (200, 300)


async def test_token_cycle_a_b_a_is_a_loop(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("L2", metadata_prefix="oai_dc")
    pages = ["sickle/ListRecords_page1.xml", "sickle/ListRecords_page2.xml", "sickle/ListRecords_page1.xml"]
    repo.replay([(OAI_DATA / p).read_bytes() for p in pages])
    await add_library(sessions, "L2", oai_server.base_url("L2"), metadata_prefix="oai_dc")
    summary = await harvest_library(sessions, settings, "L2", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "TokenLoop"


async def test_token_is_percent_encoded_exactly_once(sessions, settings, oai_server, fake_sleep):
    token = "a+b/c=d %25e&f=="
    page1 = (OAI_DATA / "sickle/ListRecords_page1.xml").read_bytes().replace(
        b">ListRecords2.xml<", b">" + token.replace("&", "&amp;").encode() + b"<")
    repo = oai_server.add_repository("L3", metadata_prefix="oai_dc")
    repo.replay([page1, (OAI_DATA / "sickle/ListRecords_page4_last.xml").read_bytes()])
    await add_library(sessions, "L3", oai_server.base_url("L3"), metadata_prefix="oai_dc")
    await harvest_library(sessions, settings, "L3", sleep=fake_sleep)
    assert list_requests(repo)[1] == {"verb": "ListRecords", "resumptionToken": token}


async def test_bad_resumption_token_in_a_422_body(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "Z1")
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.oai_error("badResumptionToken", "expired", status=422,
                                                                 verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "Z1", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "BadResumptionToken"
    assert fake_sleep.waits == []  # an OAI error, not a transport failure: no retry
    assert len(await source_rows(sessions, "Z1")) == 100


async def test_no_records_match_on_the_first_request_is_success(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "N1")
    await harvest_library(sessions, settings, "N1", sleep=fake_sleep)
    repo.response_date = "2024-05-01T00:00:00Z"  # nothing changed since: the provider answers noRecordsMatch
    summary = await harvest_library(sessions, settings, "N1", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_seen == 0
    assert (await get_library(sessions, "N1")).watermark == "2024-05-01T00:00:00Z"


async def test_no_records_match_in_422_first_request(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "N2")
    repo.add_fault(Fault.oai_error("noRecordsMatch", status=422, verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "N2", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_seen == 0


async def test_no_records_match_after_a_token_ends_the_list_with_a_warning(sessions, settings, oai_server,
                                                                          fake_sleep):
    repo = await setup(sessions, oai_server, "N3")
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.oai_error("noRecordsMatch", verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "N3", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_new == 100
    assert any("noRecordsMatch answered a resumption token" in w for w in summary.warnings)


async def test_unknown_error_code_fails_with_the_code(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("U1")
    repo.replay([(OAI_DATA / "errors/undefinedError_nonstandard_code.xml").read_bytes()])
    await add_library(sessions, "U1", oai_server.base_url("U1"))
    summary = await harvest_library(sessions, settings, "U1", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "OAIError"
    assert "undefinedError" in summary.error
    assert "undefinedError" in (await get_run(sessions, summary.run_id)).error


async def test_interrupted_run_resumes_from_its_checkpoint(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "C1", n=450)
    repo.add_fault(Fault.ok(verb="ListRecords", repeat=2), Fault.http_status(500, verb="ListRecords", repeat=4))
    failed = await harvest_library(sessions, settings, "C1", sleep=fake_sleep)
    assert failed.status == "failed" and failed.records_new == 200
    library = await get_library(sessions, "C1")
    assert library.checkpoint["page"] == 2 and library.checkpoint["token"]
    assert library.checkpoint["response_date"] == "2024-02-01T00:00:00Z"
    token = library.checkpoint["token"]

    repo.response_date = "2024-02-02T00:00:00Z"
    n = len(repo.requests)
    resumed = await harvest_library(sessions, settings, "C1", sleep=fake_sleep)
    assert resumed.status == "succeeded", resumed.error
    assert resumed.resumed and resumed.records_new == 250 and resumed.pages == 3
    first_list = [r for r in repo.requests[n:] if r["verb"] == "ListRecords"][0]
    assert first_list == {"verb": "ListRecords", "resumptionToken": token}
    assert len(await source_rows(sessions, "C1")) == 450
    library = await get_library(sessions, "C1")
    assert library.checkpoint is None
    assert library.watermark == "2024-02-01T00:00:00Z"  # T0 of the interrupted run, not of the resume


async def test_expired_checkpoint_token_restarts_the_window_by_date(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "C2", n=300)
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.http_status(500, verb="ListRecords", repeat=4))
    assert (await harvest_library(sessions, settings, "C2", sleep=fake_sleep)).status == "failed"
    repo.add_fault(Fault.oai_error("badResumptionToken", "expired", verb="ListRecords"))
    summary = await harvest_library(sessions, settings, "C2", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert any("restarted by date" in w for w in summary.warnings)
    assert summary.records_unchanged == 100 and summary.records_new == 200


# --- E. XML well-formedness and encoding ---------------------------------------------------------------------


async def test_html_instead_of_xml_fails_and_writes_nothing(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "H1")
    repo.add_fault(Fault.html(verb="ListRecords", repeat=settings.harvest_max_retries + 1))
    summary = await harvest_library(sessions, settings, "H1", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "NotOAIResponse"
    assert "HTML" in summary.error
    assert await source_rows(sessions, "H1") == {}
    errors = await harvest_errors(sessions, summary.run_id)
    assert b"Please log in" in errors[-1].payload


async def test_html_once_then_xml_succeeds(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "H2")
    repo.add_fault(Fault.html(verb="Identify"))
    summary = await harvest_library(sessions, settings, "H2", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.retries == 1


async def test_truncated_xml_is_retried_then_fails_keeping_earlier_pages(sessions, settings, oai_server,
                                                                        fake_sleep):
    repo = await setup(sessions, oai_server, "X1")
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.truncate(verb="ListRecords", repeat=10))
    summary = await harvest_library(sessions, settings, "X1", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "MalformedXML"
    assert summary.retries == settings.harvest_max_retries
    assert len(await source_rows(sessions, "X1")) == 100


async def test_control_characters_are_stripped_and_the_repair_recorded(sessions, settings, oai_server,
                                                                      fake_sleep):
    repo = await setup(sessions, oai_server, "X2", n=50)
    repo.put("oai:lib:7", "2024-01-10T08:00:00Z",
             metadata=marc_record("7", "Tab\tkept,\x0bcomma, kept\x1a"))  # served as given: invalid XML
    summary = await harvest_library(sessions, settings, "X2", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_new == 50
    row = (await source_rows(sessions, "X2"))["oai:lib:7"]
    title = etree.fromstring(row.raw).findtext(".//{http://www.loc.gov/MARC21/slim}subfield")
    assert title == "Tab\tkept,comma, kept"  # exactly the forbidden characters went; tab and commas stay
    errors = await harvest_errors(sessions, summary.run_id)
    assert [(e.stage, e.identifier) for e in errors] == [("repair", "oai:lib:7")]
    assert "invalid-xml-chars: 2 repaired" in errors[0].message and b"\x0b" in errors[0].payload
    assert any("invalid-xml-chars" in w for w in summary.warnings)


async def test_invalid_utf8_is_replaced_and_flagged(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "X3", n=20)
    repo.put("oai:lib:3", "2024-01-10T08:00:00Z", metadata=marc_record("3", "Ha N\xf4i").replace(b"N\xc3\xb4", b"N\xc2"))
    summary = await harvest_library(sessions, settings, "X3", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert "\ufffd" in (await source_rows(sessions, "X3"))["oai:lib:3"].raw.decode("utf-8")
    errors = await harvest_errors(sessions, summary.run_id)
    assert [(e.identifier, e.message.split(":")[0]) for e in errors] == [("oai:lib:3", "invalid-utf8")]


async def test_real_page_with_invalid_utf8_and_control_chars(sessions, settings, oai_server, fake_sleep):
    # Citebase GetRecord with a lone 0xC2 and a 0x06: rewrapped as a one-record ListRecords page
    raw = (OAI_DATA / "broken/citebase_GetRecord_invalid_utf8_and_control_chars.xml").read_bytes()
    page = raw.replace(b"<GetRecord>", b"<ListRecords>").replace(b"</GetRecord>", b"</ListRecords>")
    repo = oai_server.add_repository("X4", metadata_prefix="oai_dc")
    repo.replay([page])
    await add_library(sessions, "X4", oai_server.base_url("X4"), metadata_prefix="oai_dc")
    summary = await harvest_library(sessions, settings, "X4", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_new == 1
    kinds = sorted(e.message.split(":")[0] for e in await harvest_errors(sessions, summary.run_id))
    assert kinds == ["invalid-utf8", "invalid-xml-chars"]


async def test_undefined_entity_is_not_repaired(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "X5")
    body = (OAI_DATA / "broken/pyoai_Identify_undefined_entity.xml").read_bytes()
    repo.add_fault(Fault.raw(body, verb="Identify", repeat=10))
    summary = await harvest_library(sessions, settings, "X5", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "MalformedXML"
    assert "bogus" in summary.error


async def test_external_entities_are_never_resolved(sessions, settings, oai_server, fake_sleep, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    page = (OAI_DATA / "hathitrust/ListRecords_marc21_set_hathitrust_umich.xml").read_bytes()
    page = page.replace(b'<?xml version="1.0" encoding="UTF-8"?>',
                        b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file://'
                        + str(secret).encode() + b'">]>', 1)
    page = page.replace(b"<leader>", b"<leader>&xxe;", 1)
    repo = oai_server.add_repository("X6")
    repo.replay([page])
    await add_library(sessions, "X6", oai_server.base_url("X6"))
    summary = await harvest_library(sessions, settings, "X6", sleep=fake_sleep)
    rows = await source_rows(sessions, "X6")
    assert all(b"TOP-SECRET" not in (r.raw or b"") for r in rows.values())
    assert summary.records_new == 11


async def test_xml_declaration_inside_records_is_stripped(sessions, settings, oai_server, fake_sleep):
    repo = await setup(sessions, oai_server, "X7", n=5)
    for i in range(5):
        repo.put(f"oai:lib:{i}", "2024-01-10T08:00:00Z", metadata=b"")
        repo._records[f"oai:lib:{i}"] = (repo.get(f"oai:lib:{i}"),
                                         b"<record><header><identifier>oai:lib:%d</identifier><datestamp>"
                                         b"2024-01-10T08:00:00Z</datestamp></header><metadata>"
                                         b'<?xml version="1.0" encoding="UTF-8"?>' % i + marc_record(str(i), "t")
                                         + b"</metadata></record>", b"")
    summary = await harvest_library(sessions, settings, "X7", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_new == 5
