"""The project's OAI-PMH provider (src/unioncat/demo/oai_server.py): protocol answers and errors over HTTP."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from unioncat.demo.broken_records import BREAKS, break_record
from unioncat.demo.oai_server import DAY, Fault, OAIServer

from .harvest_helpers import make_records, marc_record

OAI = "{http://www.openarchives.org/OAI/2.0/}"


@pytest.fixture(scope="module")
def served():
    with OAIServer() as server:
        records = make_records(25)
        records += [("oai:lib:set1", "2024-02-01T00:00:00Z", False, b'<r xmlns="urn:x"/>', ["hn:a"]),
                    ("oai:lib:gone", "2024-02-02T00:00:00Z", True, b"", ["hn"])]
        server.add_repository("HN", records, page_size=10)
        server.add_repository("DAYS", [("d:1", "2024-03-01", False, b'<r xmlns="urn:x"/>', [])], granularity=DAY)
        with httpx.Client() as client:
            yield server, client


def get(served, code="HN", **params):
    server, client = served
    response = client.get(server.base_url(code), params=params)
    return response, etree.fromstring(response.content)


def error_code(root):
    el = root.find(OAI + "error")
    return el.get("code") if el is not None else None


@pytest.mark.parametrize("params, code", [
    ({}, "badVerb"),
    ({"verb": "junk"}, "badVerb"),
    ({"verb": "GetRecord", "identifier": "oai:lib:1"}, "badArgument"),
    ({"verb": "GetRecord", "metadataPrefix": "marc21"}, "badArgument"),
    ({"verb": "GetRecord", "identifier": 'invalid"id', "metadataPrefix": "marc21"}, "idDoesNotExist"),
    ({"verb": "ListRecords"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "junk"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "until": "junk"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2002-02-05", "until": "2002-02-06T05:35:00Z"},
     "badArgument"),
    ({"verb": "ListRecords", "resumptionToken": "junk"}, "badResumptionToken"),
    ({"verb": "ListRecords", "resumptionToken": "junk", "until": "2024-01-01"}, "badArgument"),
    ({"verb": "ListRecords", "metadataPrefix": "oai_marc"}, "cannotDisseminateFormat"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "set": "nope"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2030-01-01"}, "noRecordsMatch"),
    ({"verb": "ListRecords", "metadataPrefix": "marc21", "from": "2024-02-01", "until": "2024-01-01"},
     "noRecordsMatch"),
    ({"verb": "ListMetadataFormats", "identifier": "oai:lib:missing"}, "idDoesNotExist"),
    ({"verb": "Identify", "extra": "1"}, "badArgument"),
])
def test_protocol_errors(served, params, code):
    response, root = get(served, **params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    assert error_code(root) == code
    if code in ("badVerb", "badArgument"):
        assert root.find(OAI + "request").attrib == {}


def test_seconds_sent_to_a_day_repository_is_bad_argument(served):
    _, root = get(served, "DAYS", verb="ListRecords", metadataPrefix="marc21", **{"from": "2024-03-01T00:00:00Z"})
    assert error_code(root) == "badArgument"
    _, root = get(served, "DAYS", verb="ListRecords", metadataPrefix="marc21", **{"from": "2024-03-01"})
    assert error_code(root) is None


def test_identify(served):
    server, _ = served
    _, root = get(served, verb="Identify")
    ident = root.find(OAI + "Identify")
    assert ident.findtext(OAI + "baseURL") == server.base_url("HN")
    assert ident.findtext(OAI + "granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert ident.findtext(OAI + "deletedRecord") == "persistent"
    assert ident.findtext(OAI + "earliestDatestamp") == "2024-01-10T08:00:00Z"


def test_list_pages_with_tokens_cursor_and_final_empty_token(served):
    _, root = get(served, verb="ListIdentifiers", metadataPrefix="marc21")
    seen, cursors = [], []
    while True:
        container = root.find(OAI + "ListIdentifiers")
        seen += [h.findtext(OAI + "identifier") for h in container.findall(OAI + "header")]
        token = container.find(OAI + "resumptionToken")
        if token is None:
            break
        cursors.append(token.get("cursor"))
        assert token.get("completeListSize") == "27"
        if not token.text:
            break
        _, root = get(served, verb="ListIdentifiers", resumptionToken=token.text)
    assert len(seen) == len(set(seen)) == 27
    assert cursors == ["0", "10", "20"]


def test_inclusive_date_window_and_sets(served):
    _, root = get(served, verb="ListRecords", metadataPrefix="marc21",
                  **{"from": "2024-02-01T00:00:00Z", "until": "2024-02-01T00:00:00Z"})
    assert [h.text for h in root.iter(OAI + "identifier")] == ["oai:lib:set1"]
    _, root = get(served, verb="ListRecords", metadataPrefix="marc21", set="hn")  # includes the subset hn:a
    assert sorted(h.text for h in root.iter(OAI + "identifier")) == ["oai:lib:gone", "oai:lib:set1"]
    deleted = [h for h in root.iter(OAI + "header") if h.get("status") == "deleted"]
    assert len(deleted) == 1 and deleted[0].getparent().find(OAI + "metadata") is None


def test_get_record_list_sets_and_formats(served):
    _, root = get(served, verb="GetRecord", identifier="oai:lib:3", metadataPrefix="marc21")
    assert root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata")[0].tag == "{http://www.loc.gov/MARC21/slim}record"
    _, root = get(served, verb="ListSets")
    assert sorted(s.text for s in root.iter(OAI + "setSpec")) == ["hn", "hn:a"]
    _, root = get(served, verb="ListMetadataFormats")
    assert root.findtext(f".//{OAI}metadataNamespace") == "http://www.loc.gov/MARC21/slim"


def test_post_is_accepted(served):
    server, client = served
    root = etree.fromstring(client.post(server.base_url("HN"), data={"verb": "Identify"}).content)
    assert root.find(OAI + "Identify") is not None


def test_faults_apply_in_order_and_only_to_their_verb(served):
    server, client = served
    repo = server.repositories["HN"]
    repo.add_fault(Fault.http_status(503, retry_after=5, verb="ListRecords"), Fault.html(verb="ListRecords"))
    assert client.get(server.base_url("HN"), params={"verb": "Identify"}).status_code == 200  # passes them by
    first = client.get(server.base_url("HN"), params={"verb": "ListRecords", "metadataPrefix": "marc21"})
    assert first.status_code == 503 and first.headers["retry-after"] == "5"
    second = client.get(server.base_url("HN"), params={"verb": "ListRecords", "metadataPrefix": "marc21"})
    assert second.headers["content-type"].startswith("text/html")
    assert repo.pending_faults == 0


# -- broken records ------------------------------------------------------------------------------------------

STRICT = etree.XMLParser(recover=False, resolve_entities=False)
BROKEN = "oai:lib:4"
OLD_STAMP = "2024-01-10T08:00:00Z"  # make_records' datestamp


def fetch(server, client, **params) -> bytes:
    response = client.get(server.base_url("BR"), params=params)
    assert response.status_code == 200
    return response.content


def identifiers(page: bytes) -> list[str | None]:
    return [h.findtext(OAI + "identifier") for h in etree.fromstring(page, STRICT).iter(OAI + "header")]


@pytest.mark.parametrize("kind", BREAKS)
def test_a_broken_record_is_served_broken_in_lists_until_fixed(oai_server, kind):
    repo = oai_server.add_repository("BR", make_records(10))
    repo.break_record(BROKEN, kind)
    assert repo.broken_identifiers == [BROKEN]
    with httpx.Client() as client:
        page = fetch(oai_server, client, verb="ListRecords", metadataPrefix="marc21")
        assert fetch(oai_server, client, verb="ListRecords", metadataPrefix="marc21") == page  # persistently
        for i in range(10):  # the other records intact
            if f"oai:lib:{i}" != BROKEN:
                assert page.count(f"<identifier>oai:lib:{i}</identifier>".encode()) == 1
                assert page.count(marc_record(str(i), f"Sách số {i}")) == 1
        if kind == "no-identifier":
            assert identifiers(page).count(None) == 1 and BROKEN not in identifiers(page)
        else:
            assert page.count(f"<identifier>{BROKEN}</identifier>".encode()) == 1
            with pytest.raises(etree.XMLSyntaxError):
                etree.fromstring(page, STRICT)
        one = fetch(oai_server, client, verb="GetRecord", identifier=BROKEN, metadataPrefix="marc21")
        assert identifiers(one) == [BROKEN]  # the good copy
        listed = fetch(oai_server, client, verb="ListIdentifiers", metadataPrefix="marc21")
        if kind == "broken-header":
            assert b"</datestmp>" in listed
            with pytest.raises(etree.XMLSyntaxError):
                etree.fromstring(listed, STRICT)
        else:
            assert (BROKEN in identifiers(listed)) == (kind != "no-identifier")
        repo.fix_record(BROKEN)
        assert repo.broken_identifiers == []
        page = fetch(oai_server, client, verb="ListRecords", metadataPrefix="marc21")
    headers = etree.fromstring(page, STRICT).iter(OAI + "header")
    stamps = {h.findtext(OAI + "identifier"): h.findtext(OAI + "datestamp") for h in headers}
    assert len(stamps) == 10 and stamps[BROKEN] != OLD_STAMP == stamps["oai:lib:0"]


def test_broken_in_get_record_and_cleared_by_put_delete_remove(oai_server):
    repo = oai_server.add_repository("BR", make_records(10))
    repo.break_record(BROKEN, "bare-lt", in_get_record=True)
    with httpx.Client() as client:
        one = fetch(oai_server, client, verb="GetRecord", identifier=BROKEN, metadataPrefix="marc21")
        assert b" a < b " in one
        repo.put(BROKEN, "2025-01-01T00:00:00Z", metadata=marc_record("4", "Mới"))
        assert repo.broken_identifiers == []
        one = fetch(oai_server, client, verb="GetRecord", identifier=BROKEN, metadataPrefix="marc21")
        assert identifiers(one) == [BROKEN]
    for ident, undo in [("oai:lib:1", repo.delete), ("oai:lib:2", repo.remove)]:
        repo.break_record(ident, "broken-header")
        undo(ident)
    assert repo.broken_identifiers == []
    with pytest.raises(ValueError):
        repo.break_record("oai:lib:1", "cut-off")  # deleted: no metadata to cut
    with pytest.raises(ValueError):
        repo.break_record(BROKEN, "misspelt")


def test_break_record_on_oai_dc():
    dc = ('<record><header><identifier>oai:x:1</identifier><datestamp>2024-01-01</datestamp></header>'
          "<metadata>"
          '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Văn hóa xã hội</dc:title></oai_dc:dc>'
          "</metadata></record>").encode()
    assert b"</dc:titel>" in break_record(dc, "mismatched-end-tag")
    assert "xã hội & </dc:title>".encode() in break_record(dc, "unescaped-ampersand")
    cut = break_record(dc, "cut-off")
    assert cut.startswith(dc[: dc.index(b"<metadata>") + 10]) and len(cut) < dc.index(b"</metadata>")
    cut.decode()  # not inside a UTF-8 sequence
    for kind in BREAKS:
        if kind == "no-identifier":
            header = etree.fromstring(break_record(dc, kind), STRICT).find("header")  # standalone: no ns
            assert header.find("identifier") is None and header.findtext("datestamp") == "2024-01-01"
        else:
            with pytest.raises(etree.XMLSyntaxError):
                etree.fromstring(break_record(dc, kind), STRICT)
