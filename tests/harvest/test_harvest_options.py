"""Per-library harvest options, metadata prefix discovery, date windows, granularity fallback, redirects, empty
pages and the page size cap, against the loopback provider (reference/oai-pmh.md §5 items 7, 9, 10, 14, 27, 30,
34, 35, 41, 43, 45; Q5, Q11, Q19, Q27).

HTTP-level behaviour does not depend on the database: those tests run on SQLite only (``http_sessions``);
what touches storage (windows and their checkpoints, which version of a record wins) runs on both.
"""

from __future__ import annotations

import ssl
import subprocess

import pytest

from harvesters.dates import DAY, SECONDS, date_windows, from_date_for, is_older
from harvesters.errors import Misconfigured
from harvesters.harvest import choose_metadata_prefix, harvest_library, leader05
from harvesters.oai import DC_NS, MARC_NS, transcode
from unioncat.demo.oai_server import Fault, OAIServer

from .harvest_helpers import (
    add_library,
    get_library,
    get_run,
    make_records,
    marc_record,
    oai_page,
    source_rows,
)

T0 = "2024-02-01T00:00:00Z"


async def setup(sessions, server, code, n=120, page_size=50, options=None, prefix="marc21", **repo_options):
    repo = server.add_repository(code, make_records(n), page_size=page_size, **repo_options)
    repo.response_date = T0
    await add_library(sessions, code, server.base_url(code), options=options, metadata_prefix=prefix)
    return repo


def lists(repo, verb="ListRecords"):
    return [r for r in repo.requests if r.get("verb") == verb]


# --- pure logic -------------------------------------------------------------------------------------------------


def test_choose_metadata_prefix_by_namespace():
    koha = {"marc21": MARC_NS, "oai_dc": DC_NS}
    invenio = {"oai_dc": DC_NS, "marcxml": MARC_NS}
    assert choose_metadata_prefix(koha, "marc21") == ("marc21", None)
    prefix, warning = choose_metadata_prefix(invenio, "marc21")
    assert prefix == "marcxml" and "not offered" in warning
    assert choose_metadata_prefix(invenio, "oai_dc") == ("oai_dc", None)
    assert choose_metadata_prefix({"mods": "http://www.loc.gov/mods/v3"}, "mods") == ("mods", None)
    assert choose_metadata_prefix(koha, "oai_dc", MARC_NS)[0] == "marc21"  # metadata_namespace option
    with pytest.raises(Misconfigured, match="misconfigured"):
        choose_metadata_prefix({"oai_dc": DC_NS}, "marc21")


def test_date_windows_cover_everything_without_gaps():
    assert date_windows("2024-01-10T08:00:00Z", T0, SECONDS, 365) == [(None, None)]  # shorter than one window
    assert date_windows("aaaa-bb-cc", T0, SECONDS, 365) == [(None, None)]  # unreadable earliestDatestamp
    assert date_windows("2021-01-01", T0, DAY, None) == [(None, None)]  # windows off
    assert date_windows("2021-01-01", "2023-06-01T10:00:00Z", DAY, 365) == [
        (None, "2022-01-01"), ("2022-01-02", "2023-01-01"), ("2023-01-02", None)]
    windows = date_windows("2021-01-01T00:00:00.5Z", "2023-06-01T10:00:00Z", SECONDS, 365)
    assert windows == [(None, "2022-01-01T00:00:00Z"), ("2022-01-01T00:00:01Z", "2023-01-01T00:00:00Z"),
                       ("2023-01-01T00:00:01Z", None)]
    many = date_windows("0001-01-01", T0, DAY, 1)  # a bogus earliestDatestamp: bounded, still contiguous
    assert 2 < len(many) <= 401 and many[0][0] is None and many[-1][1] is None


def test_from_date_with_an_overlap_option():
    assert from_date_for(T0, SECONDS, 3600) == "2024-01-31T23:00:00Z"
    assert from_date_for(T0, SECONDS, 0) == T0
    assert from_date_for("2024-02-01T12:00:00Z", DAY, 3600) == "2024-02-01"


def test_newer_datestamp_comparison():
    assert is_older("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    assert not is_older("2024-01-02", "2024-01-01T23:00:00Z")
    assert is_older("2024-01-02T01:00:00+02:00", "2024-01-01T23:30:00Z")  # offsets compared as instants
    assert not is_older(None, "2024-01-01") and not is_older("garbage", "2024-01-01")


def test_leader05_and_transcoding():
    assert leader05(marc_record("1", "x")) == "n"
    assert leader05(marc_record("1", "x").replace(b"00000nam", b"00000dam")) == "d"
    assert leader05(b"<record/>") is None
    body = '<?xml version="1.0" encoding="UTF-8"?><a>Café à Paris</a>'.encode("latin-1")
    assert transcode(body, "latin-1") == '<?xml version="1.0" encoding="UTF-8"?><a>Café à Paris</a>'.encode()


# --- prefix discovery (item 7) ----------------------------------------------------------------------------------


async def test_prefix_discovered_by_namespace(http_sessions, http_settings, oai_server, fake_sleep):
    invenio = await setup(http_sessions, oai_server, "PX", metadata_prefix="marcxml", other_prefixes=["oai_dc"])
    koha = await setup(http_sessions, oai_server, "PK", other_prefixes=["oai_dc"])
    dc_only = await setup(http_sessions, oai_server, "PD", metadata_prefix="oai_dc")

    summary = await harvest_library(http_sessions, http_settings, "PX", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.metadata_prefix == "marcxml" and summary.records_new == 120
    assert {r.get("metadataPrefix") for r in lists(invenio)} == {"marcxml", None}
    assert any("'marc21' is not offered" in w for w in summary.warnings)
    assert (await get_library(http_sessions, "PX")).metadata_prefix == "marcxml"  # stored for the library

    summary = await harvest_library(http_sessions, http_settings, "PK", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.metadata_prefix == "marc21" and summary.warnings == []
    assert lists(koha)[0]["metadataPrefix"] == "marc21"

    summary = await harvest_library(http_sessions, http_settings, "PD", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "Misconfigured"
    assert "library misconfigured" in summary.error and lists(dc_only) == []


# --- date windows (Q5) on both databases --------------------------------------------------------------------------


def spread_records(n: int):
    """Records stamped over three years (2021-2023)."""
    return [(f"oai:w:{i}", f"{2021 + i % 3}-{1 + i % 12:02d}-15T10:00:00Z", False, marc_record(str(i), f"Sách {i}"),
             []) for i in range(n)]


async def test_first_harvest_in_date_windows_then_resume_inside_a_window(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("WN", spread_records(300), page_size=40)
    repo.response_date = T0
    await add_library(sessions, "WN", oai_server.base_url("WN"))
    # the window of 2022 fails on its second page: the run fails, the checkpoint holds that window's token
    repo.add_fault(Fault.ok(verb="ListRecords", repeat=4), Fault.http_status(500, verb="ListRecords", repeat=4))
    failed = await harvest_library(sessions, settings, "WN", sleep=fake_sleep)
    assert failed.status == "failed"
    checkpoint = (await get_library(sessions, "WN")).checkpoint
    assert checkpoint["from"] == "2022-01-15T10:00:01Z" and checkpoint["until"] == "2023-01-15T10:00:00Z"
    assert checkpoint["token"] and checkpoint["windows"] == [["2023-01-15T10:00:01Z", "2024-01-15T10:00:00Z"],
                                                              ["2024-01-15T10:00:01Z", None]]
    stored_before = len(await source_rows(sessions, "WN"))

    n = len(repo.requests)
    resumed = await harvest_library(sessions, settings, "WN", sleep=fake_sleep)
    assert resumed.status == "succeeded", resumed.error
    assert resumed.resumed and resumed.records_unchanged == 0  # nothing listed twice
    assert resumed.records_new == 300 - stored_before
    rows = await source_rows(sessions, "WN")
    assert len(rows) == 300
    later = [r for r in repo.requests[n:] if r["verb"] == "ListRecords"]
    assert later[0] == {"verb": "ListRecords", "resumptionToken": checkpoint["token"]}  # resumed at the token
    windows = [(r.get("from"), r.get("until")) for r in lists(repo) if "resumptionToken" not in r]
    assert windows == [(None, "2022-01-15T10:00:00Z"), ("2022-01-15T10:00:01Z", "2023-01-15T10:00:00Z"),
                       ("2023-01-15T10:00:01Z", "2024-01-15T10:00:00Z"), ("2024-01-15T10:00:01Z", None)]
    assert resumed.windows == 3
    library = await get_library(sessions, "WN")
    assert library.watermark == T0 and library.checkpoint is None


async def test_windows_option_off_lists_everything_at_once(http_sessions, http_settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("WO", spread_records(60), page_size=40)
    repo.response_date = T0
    await add_library(http_sessions, "WO", oai_server.base_url("WO"), options={"window_days": 0})
    summary = await harvest_library(http_sessions, http_settings, "WO", full=True, sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.windows == 1 and summary.records_new == 60
    assert all("from" not in r and "until" not in r for r in lists(repo))


# --- granularity fallback (Q11), overlap (item 41) --------------------------------------------------------------


async def test_bad_argument_for_seconds_is_retried_once_at_day_granularity(http_sessions, http_settings, oai_server,
                                                                          fake_sleep):
    repo = await setup(http_sessions, oai_server, "BA")
    assert (await harvest_library(http_sessions, http_settings, "BA", sleep=fake_sleep)).status == "succeeded"
    repo.response_date = "2024-03-01T00:00:00Z"
    repo.put("oai:lib:1", "2024-02-15T00:00:00Z", metadata=marc_record("1", "changed"))
    repo.add_fault(Fault.oai_error("badArgument", "finer granularity than supported", verb="ListRecords"))
    n = len(repo.requests)
    summary = await harvest_library(http_sessions, http_settings, "BA", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_updated == 1
    dated = [r["from"] for r in repo.requests[n:] if "from" in r]
    assert dated == ["2024-01-31T23:59:59Z", "2024-01-31"]  # the same window again, at day granularity
    assert any("retried at day granularity" in w for w in summary.warnings)

    repo.response_date = "2024-04-01T00:00:00Z"
    repo.add_fault(Fault.oai_error("badArgument", verb="ListRecords", repeat=2))
    summary = await harvest_library(http_sessions, http_settings, "BA", sleep=fake_sleep)
    assert summary.status == "failed" and "badArgument" in summary.error  # once only
    assert (await get_library(http_sessions, "BA")).watermark == "2024-03-01T00:00:00Z"


async def test_overlap_option_moves_from_back(http_sessions, http_settings, oai_server, fake_sleep):
    repo = await setup(http_sessions, oai_server, "OV", n=10, options={"overlap": 7200})
    await harvest_library(http_sessions, http_settings, "OV", sleep=fake_sleep)
    await harvest_library(http_sessions, http_settings, "OV", sleep=fake_sleep)
    assert lists(repo)[-1]["from"] == "2024-01-31T22:00:00Z"


# --- politeness and identity (item 10) -------------------------------------------------------------------------


async def test_delay_between_requests_and_contact_headers(http_sessions, http_settings, oai_server, fake_sleep):
    repo = await setup(http_sessions, oai_server, "PO", n=120, page_size=50,
                       options={"delay": 30, "contact": "ops@thuvien.example.vn"})
    summary = await harvest_library(http_sessions, http_settings, "PO", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    # Identify, ListMetadataFormats and 3 pages: a wait before each request but the first
    assert len(fake_sleep.waits) == summary.requests - 1 == 4
    assert all(25 < w <= 30 for w in fake_sleep.waits)
    for headers in repo.headers:
        assert headers["From"] == "ops@thuvien.example.vn"
        assert "mailto:ops@thuvien.example.vn" in headers["User-Agent"]
        assert "gzip" in headers["Accept-Encoding"]


async def test_invalid_or_unknown_options(http_sessions, http_settings, oai_server, fake_sleep):
    await setup(http_sessions, oai_server, "IO", n=5, options={"token_encoding": "rot13"})
    summary = await harvest_library(http_sessions, http_settings, "IO", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "Misconfigured" and "token_encoding" in summary.error
    await setup(http_sessions, oai_server, "UO", n=5, options={"dealy": 3})
    summary = await harvest_library(http_sessions, http_settings, "UO", sleep=fake_sleep)
    assert summary.status == "succeeded" and any("unknown harvest option 'dealy'" in w for w in summary.warnings)


# --- encodings (items 9, 34, 35) ---------------------------------------------------------------------------------


async def test_force_encoding_reads_latin1_declared_as_utf8(http_sessions, http_settings, oai_server, fake_sleep):
    record = marc_record("1", "Café à Paris").decode().encode("latin-1")
    page = oai_page([("oai:l1:1", "2024-01-10", b"@@")]).replace(b"@@", record)  # declared UTF-8
    plain = oai_server.add_repository("L0")
    plain.replay([page])
    await add_library(http_sessions, "L0", oai_server.base_url("L0"))
    forced = oai_server.add_repository("L1")
    forced.replay([page])
    await add_library(http_sessions, "L1", oai_server.base_url("L1"), options={"force_encoding": "iso-8859-1"})

    lossy = await harvest_library(http_sessions, http_settings, "L0", sleep=fake_sleep)
    assert lossy.status == "succeeded" and any("invalid-utf8" in w for w in lossy.warnings)
    assert "Caf\ufffd" in (await source_rows(http_sessions, "L0"))["oai:l1:1"].raw.decode()

    summary = await harvest_library(http_sessions, http_settings, "L1", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.warnings == []
    assert "Café à Paris" in (await source_rows(http_sessions, "L1"))["oai:l1:1"].raw.decode("utf-8")


@pytest.mark.parametrize("mode,sent", [("standard", "resumptionToken=a%2Bb%2Fc%3D%3D"),
                                       ("verbatim", "resumptionToken=a+b/c==")])
async def test_token_encoding_option(http_sessions, http_settings, oai_server, fake_sleep, mode, sent):
    code = "TE" + mode[0].upper()
    repo = oai_server.add_repository(code)
    repo.replay([oai_page([("oai:t:1", "2024-01-10", marc_record("1", "a"))], token="a+b/c=="),
                 oai_page([("oai:t:2", "2024-01-10", marc_record("2", "b"))])])
    await add_library(http_sessions, code, oai_server.base_url(code), options={"token_encoding": mode})
    summary = await harvest_library(http_sessions, http_settings, code, sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_new == 2
    assert [q for q in repo.raw_queries if "resumptionToken" in q] == [f"verb=ListRecords&{sent}"]


# --- Leader/05 (item 45), duplicates and older versions (item 43) on both databases ----------------------------


async def test_leader05_d_is_a_deletion_only_when_configured(sessions, settings, oai_server, fake_sleep):
    deleted = marc_record("9", "gone").replace(b"00000nam", b"00000dam")
    for code, options in (("LD", {"leader05_delete": True}), ("LK", {})):
        repo = await setup(sessions, oai_server, code, n=3, options=options)
        repo.put("oai:lib:9", "2024-01-10T08:00:00Z", metadata=deleted)
    on = await harvest_library(sessions, settings, "LD", sleep=fake_sleep)
    off = await harvest_library(sessions, settings, "LK", sleep=fake_sleep)
    assert on.status == off.status == "succeeded"
    assert (on.records_new, on.records_deleted) == (3, 1)
    assert (await source_rows(sessions, "LD"))["oai:lib:9"].deleted is True
    assert (off.records_new, off.records_deleted) == (4, 0)
    assert (await source_rows(sessions, "LK"))["oai:lib:9"].deleted is False
    assert any("Leader/05 = 'd' stored as live records, e.g. oai:lib:9" in w for w in off.warnings)


async def test_same_identifier_twice_newer_datestamp_wins(sessions, settings, oai_server, fake_sleep):
    repo = oai_server.add_repository("DU")
    new, old = marc_record("1", "phiên bản mới"), marc_record("1", "phiên bản cũ")
    repo.replay([
        # in one page, the newer version first; across pages, an older one after the newer one
        oai_page([("oai:d:1", "2024-01-12T00:00:00Z", new), ("oai:d:1", "2024-01-10T00:00:00Z", old),
                  ("oai:d:2", "2024-01-12T00:00:00Z", new)], token="p2"),
        oai_page([("oai:d:2", "2024-01-11T00:00:00Z", None), ("oai:d:3", "2024-01-11T00:00:00Z", None),
                  ("oai:d:3", "2024-01-11T00:00:00Z", old)]),
    ])
    await add_library(sessions, "DU", oai_server.base_url("DU"))
    summary = await harvest_library(sessions, settings, "DU", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    rows = await source_rows(sessions, "DU")
    assert len(rows) == 3
    assert rows["oai:d:1"].raw == new and rows["oai:d:1"].datestamp == "2024-01-12T00:00:00Z"
    assert rows["oai:d:2"].deleted is False and rows["oai:d:2"].raw == new  # the older deletion is ignored
    assert rows["oai:d:3"].deleted is False and rows["oai:d:3"].raw == old  # a tie: the later one (re-added) wins
    assert summary.records_older == 1 and summary.duplicates == 3
    assert any("older than the stored version" in w for w in summary.warnings)
    assert any("more than once" in w for w in (await get_run(sessions, summary.run_id)).warnings)

    # a later run serving an older version than the stored one changes nothing
    repo.replay([oai_page([("oai:d:1", "2024-01-05T00:00:00Z", old)])])
    again = await harvest_library(sessions, settings, "DU", sleep=fake_sleep)
    assert again.records_older == 1 and again.records_updated == 0
    assert (await source_rows(sessions, "DU"))["oai:d:1"].raw == new


# --- empty pages with a token (item 14), page size cap (item 30) ---------------------------------------------


async def test_empty_pages_with_a_token_are_followed(http_sessions, http_settings, oai_server, fake_sleep):
    repo = await setup(http_sessions, oai_server, "EP", n=120, page_size=50)
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.empty_page(verb="ListRecords", repeat=3))
    summary = await harvest_library(http_sessions, http_settings, "EP", sleep=fake_sleep)
    assert summary.status == "succeeded", summary.error
    assert summary.records_new == 120 and summary.pages == 6


async def test_too_many_empty_pages_stop_the_list_as_incomplete(http_sessions, http_settings, oai_server,
                                                               fake_sleep):
    repo = await setup(http_sessions, oai_server, "EQ", n=120, page_size=50, options={"max_empty_pages": 3})
    repo.add_fault(Fault.ok(verb="ListRecords"), Fault.empty_page(verb="ListRecords", repeat=20))
    summary = await harvest_library(http_sessions, http_settings, "EQ", sleep=fake_sleep)
    assert summary.status == "failed" and "3 consecutive empty pages after 50 of 120" in summary.error
    assert len(lists(repo)) == 4  # no endless loop
    assert len(await source_rows(http_sessions, "EQ")) == 50  # what came is kept
    assert (await get_library(http_sessions, "EQ")).watermark is None


async def test_page_above_the_size_cap_fails_clearly(http_sessions, http_settings, oai_server, fake_sleep):
    await setup(http_sessions, oai_server, "PS", n=120, page_size=50, options={"max_page_bytes": 8192})
    summary = await harvest_library(http_sessions, http_settings, "PS", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "PageTooLarge"
    assert "maximum of 8192 bytes" in summary.error and "max_page_bytes" in summary.error
    assert fake_sleep.waits == []  # not retried: the same page would be as large again


# --- redirects (item 27, Q19) ---------------------------------------------------------------------------------


async def test_redirects_followed_under_the_rules(http_sessions, http_settings, oai_server, fake_sleep):
    target = oai_server.add_repository("RT", make_records(60), page_size=50)
    target.response_date = T0
    port = oai_server.port
    # 302 to another host name (load balancing): followed, nothing to report
    lb = await setup(http_sessions, oai_server, "RL", n=0)
    lb.add_fault(Fault.redirect(f"http://localhost:{port}/RT/oai?{{query}}", repeat=20))
    summary = await harvest_library(http_sessions, http_settings, "RL", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_new == 60
    assert not any("update the library's base URL" in w for w in summary.warnings)
    assert any(h["Host"].startswith("localhost") for h in target.headers)
    # 301: followed, and staff are told to update the base URL
    moved = await setup(http_sessions, oai_server, "RM", n=0)
    moved.add_fault(Fault.redirect("/RT/oai?{query}", status=301, repeat=20))
    summary = await harvest_library(http_sessions, http_settings, "RM", sleep=fake_sleep)
    assert summary.status == "succeeded" and summary.records_new == 60
    assert [w for w in summary.warnings if "update the library's base URL" in w] == [
        f"permanent redirect (HTTP 301) from http://127.0.0.1:{port}/RM/oai to http://127.0.0.1:{port}/RT/oai: "
        "update the library's base URL"]
    # a redirect loop: at most 5 hops, then the run fails without retrying
    loop = await setup(http_sessions, oai_server, "RX", n=0)
    loop.add_fault(Fault.redirect("/RX/oai?{query}", repeat=50))
    summary = await harvest_library(http_sessions, http_settings, "RX", sleep=fake_sleep)
    assert summary.status == "failed" and summary.error_type == "RedirectRefused"
    assert "more than 5 redirects" in summary.error and len(loop.requests) == 6


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


async def test_https_with_a_library_ca_bundle_and_no_downgrade(http_sessions, http_settings, oai_server, fake_sleep,
                                                              tls_files):
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with OAIServer(ssl_context=context) as tls:
        good = tls.add_repository("HS", make_records(30), page_size=20)
        good.response_date = T0
        await add_library(http_sessions, "HS", tls.base_url("HS"), options={"tls_ca_bundle": str(cert)})
        summary = await harvest_library(http_sessions, http_settings, "HS", sleep=fake_sleep)
        assert summary.status == "succeeded" and summary.records_new == 30

        plain = oai_server.add_repository("HP", make_records(30))
        down = tls.add_repository("HD")
        down.add_fault(Fault.redirect(oai_server.base_url("HP") + "?{query}"))
        await add_library(http_sessions, "HD", tls.base_url("HD"), options={"tls_ca_bundle": str(cert)})
        summary = await harvest_library(http_sessions, http_settings, "HD", sleep=fake_sleep)
        assert summary.status == "failed" and summary.error_type == "RedirectRefused"
        assert "from https to http refused" in summary.error and plain.requests == []

        await add_library(http_sessions, "HN", tls.base_url("HS"))  # no CA bundle: verification fails
        summary = await harvest_library(http_sessions, http_settings, "HN", sleep=fake_sleep)
        assert summary.status == "failed" and "CERTIFICATE_VERIFY_FAILED" in summary.error
