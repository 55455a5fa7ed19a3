"""GET/POST /oai against a real catalogue: the openarchives.org validator's checks (reference/oai-pmh.md §2.2 A),
OVAL's and the hathitrust/oai_solr suite's (B, D), keyset resumption on both databases, windows, sets and
persistent deletions after a member library deletes its record."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from interop.conftest import BOOKS, NS, OAI, UNION_RECORDS, parse
from unioncat.interop.oai_provider import (
    ListArgs,
    Position,
    dc_elements,
    decode_token,
    encode_token,
    oai_dc_element,
)
from unioncat.normalize.marc import parse_marcxml

XSI = "http://www.w3.org/2001/XMLSchema-instance"
RESPONSE_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
BASE = "http://unioncat.test/oai"


def check_envelope(response) -> etree._Element:
    """What every response must be: HTTP 200, text/xml UTF-8, well-formed, OAI root, schemaLocation, responseDate."""
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = parse(response.content)
    assert root.tag == f"{{{OAI}}}OAI-PMH"
    assert root.get(f"{{{XSI}}}schemaLocation") == f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    assert RESPONSE_DATE.match(root.findtext("oai:responseDate", namespaces=NS))
    assert root.findtext("oai:request", namespaces=NS) == BASE
    return root


async def oai(client, method="GET", **params) -> etree._Element:
    params = {k.rstrip("_"): v for k, v in params.items()}
    if method == "POST":
        response = await client.post("/oai", data=params)
    else:
        response = await client.get("/oai", params=params)
    return check_envelope(response)


def errors(root) -> list[str]:
    return [e.get("code") for e in root.iterfind("oai:error", NS)]


def identifiers(root) -> list[str]:
    return [e.text for e in root.iterfind(".//oai:header/oai:identifier", NS)]


async def harvest_all(client, verb="ListIdentifiers", **params) -> tuple[list[etree._Element], list[etree._Element]]:
    """Every response of a list (first request, then tokens) and every header."""
    pages = [await oai(client, verb=verb, **params)]
    while True:
        token = pages[-1].find(f".//oai:{verb}/oai:resumptionToken", NS)
        if token is None or not (token.text or "").strip():
            break
        pages.append(await oai(client, verb=verb, resumptionToken=token.text))
        assert len(pages) < 50, "token loop"
    headers = [h for page in pages for h in page.iterfind(".//oai:header", NS)]
    return pages, headers


# ------------------------------------------------------------------------------------------------ verbs


async def test_identify_get_and_post(catalogue):
    async with catalogue.client() as client:
        for method in ("GET", "POST"):
            root = await oai(client, method, verb="Identify")
            assert root.find("oai:request", NS).attrib == {"verb": "Identify"}
            ident = root.find("oai:Identify", NS)
            assert ident.findtext("oai:baseURL", namespaces=NS) == BASE  # exactly the URL used
            assert ident.findtext("oai:protocolVersion", namespaces=NS) == "2.0"
            assert ident.findtext("oai:repositoryName", namespaces=NS).startswith("Mục lục liên hợp")
            assert "@" in ident.findtext("oai:adminEmail", namespaces=NS)
            assert ident.findtext("oai:deletedRecord", namespaces=NS) == "persistent"
            assert ident.findtext("oai:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
            earliest = ident.findtext("oai:earliestDatestamp", namespaces=NS)
            assert RESPONSE_DATE.match(earliest)
        _, headers = await harvest_all(client, metadataPrefix="oai_dc")
        assert min(h.findtext("oai:datestamp", namespaces=NS) for h in headers) == earliest


async def test_list_metadata_formats_and_sets(catalogue):
    async with catalogue.client() as client:
        root = await oai(client, verb="ListMetadataFormats")
        formats = {f.findtext("oai:metadataPrefix", namespaces=NS): f.findtext("oai:metadataNamespace", namespaces=NS)
                   for f in root.iterfind(".//oai:metadataFormat", NS)}
        assert formats == {"oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
                           "marc21": "http://www.loc.gov/MARC21/slim"}
        example = identifiers(await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc"))[0]
        root = await oai(client, verb="ListMetadataFormats", identifier=example)
        assert len(root.findall(".//oai:metadataFormat", NS)) == 2
        assert root.find("oai:request", NS).get("identifier") == example
        root = await oai(client, verb="ListMetadataFormats", identifier="oai:unioncat:nope")
        assert errors(root) == ["idDoesNotExist"]

        root = await oai(client, verb="ListSets")
        sets = {s.findtext("oai:setSpec", namespaces=NS): s.findtext("oai:setName", namespaces=NS)
                for s in root.iterfind(".//oai:set", NS)}
        assert sets["library:NAN"] == "Thư viện tỉnh Nghệ An"
        assert set(sets) == {"library", "library:THA", "library:NAN", "library:HUE"}
        assert errors(await oai(client, verb="ListSets", resumptionToken="abc")) == ["badResumptionToken"]


async def test_validator_walkthrough(catalogue):
    """Validator.pm run_complete_validation: an example identifier, its formats, GetRecord (GET and POST), and
    ListRecords with from=until=<its datestamp> returning it (inclusive bounds)."""
    async with catalogue.client() as client:
        root = await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set_="library:NAN")
        header = root.find(".//oai:header", NS)
        example = header.findtext("oai:identifier", namespaces=NS)
        assert example.startswith("oai:unioncat:")
        for method in ("GET", "POST"):
            got = await oai(client, method, verb="GetRecord", identifier=example, metadataPrefix="oai_dc")
            assert errors(got) == []
            assert got.find("oai:request", NS).attrib == {"verb": "GetRecord", "identifier": example,
                                                           "metadataPrefix": "oai_dc"}
            record_header = got.find(".//oai:record/oai:header", NS)
            datestamp = record_header.findtext("oai:datestamp", namespaces=NS)
            assert RESPONSE_DATE.match(datestamp)
            assert "library:NAN" in [s.text for s in record_header.iterfind("oai:setSpec", NS)]
            dc = got.find(".//oai:metadata/oai_dc:dc", NS)
            assert dc is not None and dc.get(f"{{{XSI}}}schemaLocation").endswith("oai_dc.xsd")
        window = await oai(client, verb="ListRecords", metadataPrefix="oai_dc", from_=datestamp, until=datestamp)
        assert example in identifiers(window)
        day = datestamp[:10]
        assert example in identifiers(await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                                                from_=day, until=day))


BAD_REQUESTS = [  # (arguments, acceptable error codes): Validator.pm test_expected_errors and v2 checks, and more
    ({"junk": "x"}, {"badVerb"}),
    ({"verb": "junk"}, {"badVerb"}),
    ({"verb": ["Identify", "Identify"]}, {"badVerb"}),
    ({"verb": "GetRecord", "metadataPrefix": "oai_dc"}, {"badArgument"}),
    ({"verb": "GetRecord", "identifier": "oai:unioncat:x"}, {"badArgument"}),
    ({"verb": "GetRecord", "identifier": 'invalid"id', "metadataPrefix": "oai_dc"}, {"badArgument", "idDoesNotExist"}),
    ({"verb": "GetRecord", "identifier": "oai:unioncat:x", "metadataPrefix": "mods"},
     {"cannotDisseminateFormat", "idDoesNotExist"}),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "junk"}, {"badArgument"}),
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "from": "junk"}, {"badArgument"}),
    ({"verb": "ListIdentifiers", "resumptionToken": "junk", "until": "2002-01-01"},
     {"badArgument", "badResumptionToken"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "junk"}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "until": "junk"}, {"badArgument"}),
    ({"verb": "ListRecords", "resumptionToken": "junk"}, {"badResumptionToken"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "resumptionToken": "junk", "until": "2002-01-01"},
     {"badArgument", "badResumptionToken"}),
    ({"verb": "ListRecords"}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2002-02-05", "until": "2002-02-06T05:35:00Z"},
     {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2002-02-05T05:35:00+01:00"}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2002-02-30"}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2010-01-02", "until": "2010-01-01"},
     {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "mods"}, {"cannotDisseminateFormat"}),
    ({"verb": "ListRecords", "metadataPrefix": ""}, {"badArgument"}),  # not a prefix: the request is wrong
    ({"verb": "GetRecord", "identifier": "oai:unioncat:x", "metadataPrefix": ""}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "a b"}, {"badArgument"}),  # not a setSpec
    ({"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "set": "library:"}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": ["oai_dc", "oai_dc"]}, {"badArgument"}),
    ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "colour": "red"}, {"badArgument"}),
    ({"verb": "Identify", "metadataPrefix": "oai_dc"}, {"badArgument"}),
    ({"verb": "ListSets", "set": "library"}, {"badArgument"}),
    ({"verb": "ListMetadataFormats", "identifier": "oai:other:1"}, {"idDoesNotExist"}),
    ({"verb": "GetRecord", "identifier": "oai:unioncat:\x01\ufffe<&>", "metadataPrefix": "oai_dc"},
     {"idDoesNotExist"}),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_bad_requests_give_the_right_error_and_a_well_formed_response(catalogue, method):
    async with catalogue.client() as client:
        for args, expected in BAD_REQUESTS:
            pairs = [(k, v) for k, vs in args.items() for v in (vs if isinstance(vs, list) else [vs])]
            if method == "GET":
                response = await client.get("/oai", params=pairs)
            else:
                response = await client.post("/oai", content="&".join(
                    f"{k}={quote(v, safe='')}" for k, v in pairs),
                    headers={"content-type": "application/x-www-form-urlencoded"})
            root = check_envelope(response)
            codes = set(errors(root))
            assert codes and codes <= expected, (args, codes)
            assert root.find("oai:ListRecords", NS) is None and root.find("oai:GetRecord", NS) is None
            if codes & {"badVerb", "badArgument"}:
                assert root.find("oai:request", NS).attrib == {}, args  # no echo of invalid arguments


async def test_no_records_match(catalogue):
    async with catalogue.client() as client:
        root = await oai(client, verb="Identify")
        earliest = datetime.strptime(root.findtext(".//oai:earliestDatestamp", namespaces=NS), "%Y-%m-%dT%H:%M:%SZ")
        year_before = (earliest - timedelta(days=366)).strftime("%Y-%m-%d")
        for params in ({"until": year_before}, {"from": "2999-01-01"}, {"set": "library:XYZ"}, {"set": "colour:red"}):
            got = await oai(client, verb="ListRecords", metadataPrefix="oai_dc", **params)
            assert errors(got) == ["noRecordsMatch"], params
            assert got.find("oai:request", NS).get("metadataPrefix") == "oai_dc"  # valid arguments echoed


# ------------------------------------------------------------------------------------------------ lists


@pytest.mark.parametrize("verb,prefix", [("ListIdentifiers", "oai_dc"), ("ListRecords", "oai_dc"),
                                         ("ListRecords", "marc21")])
async def test_resumption_returns_every_record_exactly_once(catalogue, verb, prefix):
    async with catalogue.client(oai_page_size=4) as client:
        pages, headers = await harvest_all(client, verb, metadataPrefix=prefix)
        ids = [h.findtext("oai:identifier", namespaces=NS) for h in headers]
        assert len(ids) == len(set(ids)) == UNION_RECORDS
        assert len(pages) == -(-UNION_RECORDS // 4)
        tokens = [p.find(f".//oai:{verb}/oai:resumptionToken", NS) for p in pages]
        assert [int(t.get("cursor")) for t in tokens] == [4 * i for i in range(len(pages))]  # first cursor is 0
        assert {t.get("completeListSize") for t in tokens} == {str(UNION_RECORDS)}
        assert all(t.text for t in tokens[:-1]) and not tokens[-1].text  # the last page closes with an empty token
        assert len({t.text for t in tokens[:-1]}) == len(tokens) - 1
        for token in tokens[:-1]:
            expires = datetime.strptime(token.get("expirationDate"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            assert expires - datetime.now(timezone.utc) > timedelta(hours=23)
        # a token is idempotent: re-issuing it gives the same page
        again = await oai(client, verb=verb, resumptionToken=tokens[1].text)
        assert identifiers(again) == identifiers(pages[2])
        if verb == "ListRecords":
            assert all(len(r.findall("oai:metadata", NS)) == 1 for p in pages for r in p.iterfind(".//oai:record", NS))
        # the token is exclusive, bound to its verb, and tamper-evident
        mixed = await oai(client, verb=verb, resumptionToken=tokens[0].text, metadataPrefix=prefix)
        assert errors(mixed) == ["badArgument"]
        other = "ListRecords" if verb == "ListIdentifiers" else "ListIdentifiers"
        assert errors(await oai(client, verb=other, resumptionToken=tokens[0].text)) == ["badResumptionToken"]
        body, sig = tokens[0].text.split(".")
        forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + sig
        assert errors(await oai(client, verb=verb, resumptionToken=forged)) == ["badResumptionToken"]


async def test_single_page_has_no_token_and_a_full_last_page_has_an_empty_one(catalogue):
    async with catalogue.client() as client:
        root = await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
        assert len(identifiers(root)) == UNION_RECORDS
        assert root.find(".//oai:resumptionToken", NS) is None
    async with catalogue.client(oai_page_size=UNION_RECORDS // 2) as client:
        pages, headers = await harvest_all(client, metadataPrefix="oai_dc")
        assert len(pages) == 2 and len(headers) == UNION_RECORDS  # never an empty third page
        last = pages[-1].find(".//oai:resumptionToken", NS)
        assert last is not None and not last.text and last.get("cursor") == str(UNION_RECORDS // 2)


async def test_sets_restrict_lists(catalogue):
    async with catalogue.client(oai_page_size=2) as client:
        expected = {"NAN": 3, "HUE": 2, "THA": 7 + 3}
        seen: dict[str, set[str]] = {}
        for code, count in expected.items():
            _, headers = await harvest_all(client, "ListIdentifiers", metadataPrefix="marc21", set_=f"library:{code}")
            assert len(headers) == count, code
            for h in headers:
                assert f"library:{code}" in [s.text for s in h.iterfind("oai:setSpec", NS)]
            seen[code] = {h.findtext("oai:identifier", namespaces=NS) for h in headers}
        assert len(seen["NAN"] & seen["THA"]) == 1  # the book both libraries hold
        _, everything = await harvest_all(client, "ListIdentifiers", metadataPrefix="marc21", set_="library")
        assert len(everything) == UNION_RECORDS


async def test_metadata_oai_dc_and_marc21(catalogue):
    async with catalogue.client() as client:
        root = await oai(client, verb="ListRecords", metadataPrefix="oai_dc", set_="library:NAN")
        merged = [r for r in root.iterfind(".//oai:record", NS)
                  if {s.text for s in r.iterfind(".//oai:setSpec", NS)} == {"library:NAN", "library:THA"}]
        assert len(merged) == 1
        dc = merged[0].find(".//oai_dc:dc", NS)
        assert len(dc.nsmap) >= 2 and dc.nsmap["dc"] == NS["dc"]  # namespaces declared on the metadata root
        values = {}
        for el in dc:
            values.setdefault(etree.QName(el).localname, []).append(el.text)
        assert values["title"] == ["Lịch sử Nghệ An"]
        assert values["date"] == ["2015"] and values["language"] == ["vie"] and values["type"] == ["Text"]
        assert "urn:isbn:9786049580123" in values["identifier"]
        cluster_id = merged[0].findtext(".//oai:identifier", namespaces=NS).removeprefix("oai:unioncat:")
        assert f"http://unioncat.test/records/{cluster_id}" in values["identifier"]
        assert values["creator"] and values["subject"] == ["Lịch sử"]

        got = await oai(client, verb="GetRecord", metadataPrefix="marc21", identifier=f"oai:unioncat:{cluster_id}")
        marc_el = got.find(".//oai:metadata/marc:record", NS)
        assert marc_el is not None and marc_el.nsmap[None] == NS["marc"]
        record = parse_marcxml(etree.tostring(marc_el))  # self-contained: re-parses alone
        assert record["001"].data == cluster_id
        assert {f.get("a") for f in record.get_fields("852")} == {"THA", "NAN"}
        assert {f.get("a") for f in record.get_fields("035")} >= {"(THA)oai:tha.lib.vn:T1", "(NAN)oai:nan.lib.vn:N7"}
        assert "Lịch sử Nghệ An" in record.title


def test_text_outside_xml_is_dropped_and_tokens_round_trip():
    record = {"id": "u1", "title": "Bad\x0b title\x1a", "authors": ["A\x00B"], "isbns": ["9786049580123"],
              "year": 99, "language": "vie", "format": "map"}
    pairs = dc_elements(record, "http://x/records/u1")
    assert ("title", "Bad title") in pairs and ("creator", "AB") in pairs and ("date", "0099") in pairs
    assert ("type", "Image") in pairs
    etree.tostring(oai_dc_element(record, None))  # lxml accepts every string we give it
    now = datetime.now(timezone.utc)
    args = ListArgs("ListRecords", "marc21", "2024-01-01", "2024-02-01", "library:THA")
    pos = Position(now, "u1", 200, 1000, now.replace(microsecond=0) + timedelta(days=1))
    assert decode_token(encode_token(args, pos), "ListRecords", now) == (args, pos)
    from unioncat.interop.oai_provider import OAIError

    with pytest.raises(OAIError):  # expired
        decode_token(encode_token(args, pos), "ListRecords", now + timedelta(days=2))


# ------------------------------------------------------------------------------------------------ changes


async def test_windows_keyset_and_persistent_deletion(own_catalogue):
    """On SQLite and PostgreSQL: a changed record moves to the end of the (updated_at, id) order and is the only
    one in a window after the change; a member's deletion that empties a union record leaves a deleted header
    (GetRecord, lists, set-restricted lists, windows), and a list interrupted by the change loses nothing."""
    cat = own_catalogue
    async with cat.client(oai_page_size=3) as client:
        first_page = await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
        before = {h.findtext("oai:identifier", namespaces=NS): h.findtext("oai:datestamp", namespaces=NS)
                  for h in (await harvest_all(client, metadataPrefix="oai_dc"))[1]}
        assert len(before) == UNION_RECORDS
        hue_ids = {h.findtext("oai:identifier", namespaces=NS)
                   for h in (await harvest_all(client, metadataPrefix="oai_dc", set_="library:HUE"))[1]}

    await asyncio.sleep(1.1)  # datestamps have seconds granularity
    changed_at = datetime.now(timezone.utc).replace(microsecond=0)
    hue = cat.oai.repositories["HUE"]
    hue.delete(BOOKS["HUE"][1][0])  # Sông Hương leaves HUE, its only library: the union record empties
    await cat.reharvest("HUE")

    async with cat.client(oai_page_size=3) as client:
        # the list started before the change still yields every record once, the changed one included
        pages = [first_page]
        while (t := pages[-1].find(".//oai:resumptionToken", NS)) is not None and t.text:
            pages.append(await oai(client, verb="ListIdentifiers", resumptionToken=t.text))
        resumed = [i for p in pages for i in identifiers(p)]
        assert set(resumed) == set(before) and len(resumed) == len(set(resumed))

        window = await oai(client, verb="ListRecords", metadataPrefix="marc21",
                           from_=changed_at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        records = window.findall(".//oai:record", NS)
        assert len(records) == 1
        header = records[0].find("oai:header", NS)
        gone = header.findtext("oai:identifier", namespaces=NS)
        assert header.get("status") == "deleted" and gone in hue_ids
        assert records[0].find("oai:metadata", NS) is None and header.find("oai:setSpec", NS) is None
        assert header.findtext("oai:datestamp", namespaces=NS) >= changed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert gone not in identifiers(await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc",
                                                 until=before[gone]))
        got = await oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=gone)
        assert got.find(".//oai:header", NS).get("status") == "deleted"
        assert got.find(".//oai:metadata", NS) is None
        # persistent: still listed, as deleted, in full and set-restricted lists
        _, headers = await harvest_all(client, metadataPrefix="oai_dc")
        status = {h.findtext("oai:identifier", namespaces=NS): h.get("status") for h in headers}
        assert len(status) == UNION_RECORDS and status[gone] == "deleted"
        assert sum(1 for s in status.values() if s == "deleted") == 1
        _, hue_headers = await harvest_all(client, metadataPrefix="oai_dc", set_="library:HUE")
        assert {h.findtext("oai:identifier", namespaces=NS): h.get("status") for h in hue_headers} == {
            **{i: None for i in hue_ids - {gone}}, gone: "deleted"}
        # Identify's earliest datestamp is still the oldest record
        ident = await oai(client, verb="Identify")
        assert ident.findtext(".//oai:earliestDatestamp", namespaces=NS) == min(before.values())


async def test_dates_at_the_end_of_the_calendar_are_no_upper_bound(catalogue):
    """until=9999-12-31 (day or seconds) overflowed into a 500; it simply lists everything."""
    async with catalogue.client() as client:
        everything = identifiers(await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc"))
        for until in ("9999-12-31", "9999-12-31T23:59:59Z"):
            root = await oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", until=until)
            assert errors(root) == [] and identifiers(root) == everything
