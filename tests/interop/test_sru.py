"""GET/POST /sru against a real catalogue (tantivy index built by the pipeline): explain, searchRetrieve in
SRU 1.2 and 2.0, CQL indexes and booleans, unaccented terms, ISBNs, paging and diagnostics; and the CQL
translation itself."""

from __future__ import annotations

import pytest
from lxml import etree

from interop.conftest import NS, UNION_RECORDS, parse
from unioncat.interop.cql import CQLError, to_search
from unioncat.normalize.marc import parse_marcxml

SRW = "http://www.loc.gov/zing/srw/"
SRU2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAG = {"1.2": "http://www.loc.gov/zing/srw/diagnostic/", "2.0": "http://docs.oasis-open.org/ns/search-ws/diagnostic"}
ZR = "http://explain.z3950.org/dtd/2.0/"
SRW_DC = "info:srw/schema/1/dc-schema"


def ns(version: str) -> str:
    return SRU2 if version == "2.0" else SRW


async def sru(client, method="GET", **params) -> etree._Element:
    response = await (client.post("/sru", data=params) if method == "POST" else client.get("/sru", params=params))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    return parse(response.content)


def diagnostics(root, version="1.2") -> list[str]:
    return [d.findtext(f"{{{DIAG[version]}}}uri") for d in root.iter(f"{{{DIAG[version]}}}diagnostic")]


def total(root, version="1.2") -> int:
    return int(root.findtext(f"{{{ns(version)}}}numberOfRecords"))


def dc_titles(root, version="1.2") -> list[str]:
    return [r.findtext(f".//{{{SRW_DC}}}dc/{{{NS['dc']}}}title") for r in root.iter(f"{{{ns(version)}}}record")]


@pytest.mark.parametrize("version", ["1.2", "2.0"])
async def test_explain(catalogue, version):
    async with catalogue.client() as client:
        params = {} if version == "1.2" else {"version": "2.0"}
        root = await sru(client, **params)
        assert root.tag == f"{{{ns(version)}}}explainResponse"
        explain = root.find(f".//{{{ns(version)}}}recordData/{{{ZR}}}explain")
        assert explain is not None
        assert explain.find(f"{{{ZR}}}serverInfo").get("protocol") == "SRU"
        indexes = {(n.get("set"), n.text) for n in explain.iter(f"{{{ZR}}}name")}
        assert {("dc", "title"), ("bath", "isbn"), ("dc", "date"), ("cql", "serverChoice")} <= indexes
        schemas = {s.get("name"): s.get("identifier") for s in explain.iter(f"{{{ZR}}}schema")}
        assert schemas == {"marcxml": "info:srw/schema/1/marcxml-v1.1", "dc": "info:srw/schema/1/dc-v1.1"}
        settings = {s.get("type"): s.text for s in explain.iter(f"{{{ZR}}}setting")}
        assert settings["maximumRecords"] == "100"
        assert "not" in explain.findtext(f".//{{{ZR}}}description")  # says what is supported
        assert diagnostics(root, version) == []
        assert (await sru(client, operation="explain", version=version)).tag == root.tag


@pytest.mark.parametrize("version", ["1.2", "2.0"])
async def test_search_by_title_unaccented_and_marcxml(catalogue, version):
    async with catalogue.client() as client:
        for query in ('dc.title = "lịch sử nghệ an"', 'dc.title = "lich su nghe an"', 'title adj "LICH SU"'):
            root = await sru(client, version=version, operation="searchRetrieve", query=query)
            assert root.tag == f"{{{ns(version)}}}searchRetrieveResponse"
            assert diagnostics(root, version) == [] and total(root, version) == 1, query
            record = root.find(f".//{{{ns(version)}}}record")
            assert record.findtext(f"{{{ns(version)}}}recordSchema") == "info:srw/schema/1/marcxml-v1.1"
            assert record.findtext(f"{{{ns(version)}}}recordPosition") == "1"
            marc = record.find(f"{{{ns(version)}}}recordData/{{{NS['marc']}}}record")
            parsed = parse_marcxml(etree.tostring(marc))
            assert "Lịch sử Nghệ An" in parsed.title
            assert {f.get("a") for f in parsed.get_fields("852")} == {"THA", "NAN"}
            assert root.find(f"{{{ns(version)}}}nextRecordPosition") is None
            echo = root.find(f"{{{ns(version)}}}echoedSearchRetrieveRequest")
            assert echo.findtext(f"{{{ns(version)}}}query") == query


async def test_indexes_isbn_creator_subject_dates_and_booleans(catalogue):
    async with catalogue.client() as client:
        async def titles(query, **extra):
            root = await sru(client, query=query, recordSchema="dc", maximumRecords="50", **extra)
            assert diagnostics(root) == [], (query, diagnostics(root))
            found = dc_titles(root)
            assert total(root) == len(found)
            return sorted(found)

        for query in ("bath.isbn = 978-604-958-012-3", "rec.identifier = 9786049580123", "isbn=9786049580123"):
            assert await titles(query) == ["Lịch sử Nghệ An"], query
        assert await titles('dc.creator = "nguyen du"') == ["Truyện Kiều"]
        assert await titles("hoa") == ["Hoa và đời sống"]  # unaccented finds the accented
        assert await titles('dc.title = "cố"') == ["Cố đô Huế xưa và nay"]  # marked: that syllable only
        assert await titles('dc.title = "CỐ ĐÔ"') == ["Cố đô Huế xưa và nay"]
        assert await titles('dc.publisher = "nghe an"') == ["Lịch sử Nghệ An"]
        assert await titles('dc.title = kieu or dc.title = "song huong"') == ["Sông Hương", "Truyện Kiều"]
        assert await titles('dc.subject = "lich su" not dc.title = hue') == ["Lịch sử Nghệ An"]
        assert await titles('dc.subject = "lịch sử" and (dc.title = hue or dc.title = "nghe an")') == [
            "Cố đô Huế xưa và nay", "Lịch sử Nghệ An"]
        assert await titles("dc.title any \"kieu huong\"") == ["Sông Hương", "Truyện Kiều"]
        in_range = await titles("cql.allRecords = 1 and dc.date >= 2010 and dc.date <= 2012")
        assert {"Địa chí Hà Tĩnh", "Đường lên Tây Bắc"} <= set(in_range)
        assert "Lịch sử Nghệ An" not in in_range and "Truyện Kiều" not in in_range
        assert await titles('dc.date within "2010 2012" and dc.subject = "du ky"') == ["Đường lên Tây Bắc"]
        assert await titles("unioncat.library = HUE and cql.allRecords = 1") == ["Cố đô Huế xưa và nay", "Sông Hương"]
        years = await sru(client, query="cql.allRecords = 1 sortby dc.date/sort.descending", recordSchema="dc",
                          maximumRecords="100")
        dates = [int(d.text) for d in years.iter(f"{{{NS['dc']}}}date")]
        assert dates == sorted(dates, reverse=True) and len(dates) >= 8


async def test_paging_covers_every_record_once(catalogue):
    async with catalogue.client() as client:
        query = "cql.allRecords = 1 sortby dc.title"
        whole = await sru(client, query=query, recordSchema="dc", maximumRecords="100")
        assert total(whole) == UNION_RECORDS
        everything = dc_titles(whole)
        seen, start = [], 1
        while True:
            root = await sru(client, query=query, recordSchema="dc", maximumRecords="4", startRecord=str(start))
            positions = [int(p.text) for p in root.iter(f"{{{SRW}}}recordPosition")]
            assert positions == list(range(start, start + len(positions)))
            seen += dc_titles(root)
            nxt = root.findtext(f"{{{SRW}}}nextRecordPosition")
            if nxt is None:
                break
            start = int(nxt)
        assert seen == everything
        unaligned = await sru(client, query=query, recordSchema="dc", maximumRecords="5", startRecord="3")
        assert dc_titles(unaligned) == everything[2:7]
        assert unaligned.findtext(f"{{{SRW}}}nextRecordPosition") == "8"
        capped = await sru(client, query=query, maximumRecords="500")
        assert capped.findtext(f".//{{{SRW}}}echoedSearchRetrieveRequest/{{{SRW}}}maximumRecords") == "100"
        count_only = await sru(client, query=query, maximumRecords="0")
        assert total(count_only) == UNION_RECORDS and count_only.find(f"{{{SRW}}}records") is None
        empty = await sru(client, query="dc.title = zzzqqq")
        assert total(empty) == 0 and diagnostics(empty) == []


async def test_record_packing_string_and_post(catalogue):
    async with catalogue.client() as client:
        root = await sru(client, "POST", query="dc.title = kieu", recordPacking="string")
        data = root.find(f".//{{{SRW}}}recordData")
        assert len(data) == 0 and data.text.startswith("<")
        assert "Truyện Kiều" in parse_marcxml(data.text.encode()).title
        root2 = await sru(client, version="2.0", query="dc.title = kieu", recordXMLEscaping="string")
        assert parse(root2.find(f".//{{{SRU2}}}recordData").text.encode()).tag == f"{{{NS['marc']}}}record"


DIAGNOSTIC_CASES = [  # (params, diagnostic number)
    ({"query": "(dc.title = kieu"}, 10),
    ({"query": 'dc.title = "unterminated'}, 10),
    ({"query": "dc.title = "}, 10),
    ({"query": "lich su"}, 10),  # two bare words are not CQL: quote them
    ({"query": "foo.bar = x"}, 16),
    ({"query": "dc.title <> kieu"}, 19),
    ({"query": "dc.title =/fuzzy kieu"}, 20),
    ({"query": "dc.date >= soon"}, 36),
    ({"query": "a prox b"}, 37),
    ({"query": "a not (b and c)"}, 48),
    ({"query": "kieu", "recordSchema": "mods"}, 66),
    ({"query": "kieu", "startRecord": "0"}, 6),
    ({"query": "kieu", "startRecord": "abc"}, 6),
    ({"query": "kieu", "maximumRecords": "-1"}, 6),
    ({"query": "kieu", "startRecord": "500"}, 61),
    ({"query": "cql.allRecords = 1", "startRecord": "10001", "maximumRecords": "100"}, 61),
    ({"operation": "searchRetrieve"}, 7),
    ({"operation": "searchRetrieve", "query": "  "}, 7),
    ({"query": "kieu", "recordPacking": "json"}, 71),
    ({"query": "kieu", "sortKeys": "title"}, 8),
    ({"query": "kieu", "version": "3.0"}, 5),
    ({"operation": "scan", "scanClause": "dc.title=k"}, 4),
    ({"query": "kieu", "stylesheet": "http://x/s.xsl"}, 110),
]


@pytest.mark.parametrize("version", ["1.2", "2.0"])
async def test_diagnostics_never_a_500(catalogue, version):
    async with catalogue.client() as client:
        for params, number in DIAGNOSTIC_CASES:
            params = {"version": version, **params}
            answered = params["version"] if params["version"] in DIAG else "1.2"  # unsupported: answered in 1.2
            root = await sru(client, **params)
            got = diagnostics(root, answered)
            assert got and got[0] == f"info:srw/diagnostic/1/{number}", (params, got)
            if root.tag.endswith("searchRetrieveResponse"):
                assert root.find(f"{{{ns(answered)}}}records") is None
        for junk in ['"', "((((", ")", "/", "=", "a and", "and", "sortby", "a sortby", "\x00", "ü" * 3000,
                     "dc.title = \"\\\"", "a =/ b", "> dc = x"]:
            response = await client.get("/sru", params={"version": version, "query": junk})
            assert response.status_code == 200, junk
            parse(response.content)
        assert (await sru(client, query="kieu", **{"x-unioncat-debug": "1"})) is not None  # x- params ignored


def test_cql_translation():
    assert to_search('dc.title = "lịch sử"').q == 'title:"lịch sử"'
    assert to_search("(a and b) or c").q == "a OR c b OR c"  # or distributes exactly
    assert to_search("a not (b or c)").q == "a -b -c"
    t = to_search("dc.date > 1999 and dc.date < 2011 and unioncat.province = \"Nghệ An\" and title all \"x y\"")
    assert (t.year_from, t.year_to, t.filters, t.q) == (2000, 2010, {"province": ["Nghệ An"]}, "title:x title:y")
    assert to_search("bath.isbn = 978-604-958-012-3").q == "isbn:9786049580123"
    assert to_search("dc.title = OR").q == 'title:"OR"'  # an operator word searched as a word
    assert to_search("kieu*").q == "kieu"  # masking dropped
    assert to_search("a sortby dc.title").sort == "title"
    for bad, number in (("dc.date >= 2000 or a", 48), ("not a", 10), ("a or not b", 10)):
        with pytest.raises(CQLError) as err:
            to_search(bad)
        assert err.value.number == number, bad
