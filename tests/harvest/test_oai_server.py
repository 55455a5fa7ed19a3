"""The project's OAI-PMH provider (src/unioncat/demo/oai_server.py): protocol answers and errors over HTTP."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from unioncat.demo.oai_server import DAY, Fault, OAIServer

from .harvest_helpers import make_records

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
