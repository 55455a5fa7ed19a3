"""Export formats of a union record (pure functions, no server)."""

from __future__ import annotations

import io

import pymarc

from unioncat.interop import exports

RECORD = {
    "id": "uabc123def45", "title": "Truyện Kiều", "subtitle": "bản khảo dị", "part": None,
    "statement_of_responsibility": "Nguyễn Du", "authors": ["Nguyễn Du", "Đào, Duy Anh"], "edition": "Tái bản lần 2",
    "publisher": "Nxb. Văn học", "place": "H.", "year": 2019, "date_text": "2019", "language": "vie",
    "format": "book", "extent": "320 tr. ; 21 cm", "pages": 320, "series": "Tủ sách 50% & {cổ điển}",
    "series_number": "3", "isbns": ["9786049690228"], "issns": [], "lccn": None, "subjects": ["Văn học", "Thơ"],
    "classification": ["895.9221"], "notes": ["Có chú thích"], "links": [{"url": "https://example.vn/k", "label": None}],
    "libraries": ["NAN", "THA"],
    "holdings": [
        {"library": "NAN", "library_name": "Thư viện tỉnh Nghệ An", "identifier": "oai:nan:1",
         "call_number": "895.9221 TR527K", "items": [{"call_number": "895.9221 TR527K", "barcode": "VV1"}],
         "opac_url": None},
        {"library": "THA", "library_name": "Thư viện tỉnh Thanh Hóa", "identifier": "oai:tha:9",
         "call_number": "V 123", "items": [], "opac_url": "https://opac.tha.example.vn/9"},
    ],
    "members": [
        {"library": "NAN", "identifier": "oai:nan:1", "source_record_id": 1, "rule": "founder", "evidence": {},
         "base": True},
        {"library": "THA", "identifier": "oai:tha:9", "source_record_id": 2, "rule": "isbn", "evidence": {},
         "base": False},
    ],
}


def _read_iso(data: bytes) -> pymarc.Record:
    return next(pymarc.MARCReader(io.BytesIO(data), to_unicode=True, force_utf8=True))


def test_marc_from_union_fields_round_trips():
    rec = _read_iso(exports.to_iso2709(RECORD))
    assert rec["001"].data == "uabc123def45" and rec.leader[6:8] == "am" and rec.leader[9] == "a"
    assert rec["008"].data[7:11] == "2019" and rec["008"].data[35:38] == "vie" and len(rec["008"].data) == 40
    assert rec["245"]["a"] == "Truyện Kiều" and rec["245"]["b"] == "bản khảo dị"
    assert rec["100"]["a"] == "Nguyễn Du" and rec["100"].indicator1 == "0"
    assert rec["700"]["a"] == "Đào, Duy Anh" and rec["700"].indicator1 == "1"
    assert [f["a"] for f in rec.get_fields("852")] == ["NAN", "THA"]
    assert {f["a"] for f in rec.get_fields("035")} == {"(NAN)oai:nan:1", "(THA)oai:tha:9"}
    xml = pymarc.parse_xml_to_array(io.BytesIO(exports.to_marcxml(RECORD)))[0]
    assert xml["245"]["a"] == "Truyện Kiều" and xml["020"]["a"] == "9786049690228"


def test_marc_from_base_record_keeps_its_fields_and_adds_the_union():
    base = pymarc.Record(force_utf8=True)
    base.leader = pymarc.Leader("00000nam  2200000   4500")
    base.add_field(pymarc.Field("001", data="LOCAL-1"))
    base.add_field(pymarc.Field("245", pymarc.Indicators("1", "0"), [pymarc.Subfield("a", "Truyê\u0323n Kiều /")]))
    base.add_field(pymarc.Field("520", pymarc.Indicators(" ", " "), [pymarc.Subfield("a", "Tóm tắt riêng")]))
    base.add_field(pymarc.Field("650", pymarc.Indicators(" ", "7"), [pymarc.Subfield("a", "Văn học.")]))
    base.add_field(pymarc.Field("852", pymarc.Indicators(" ", " "), [pymarc.Subfield("h", "local")]))
    rec = _read_iso(exports.to_iso2709(RECORD, base))
    assert rec["001"].data == "uabc123def45" and rec.leader[9] == "a"
    assert rec["245"]["a"] == "Truyện Kiều /"  # NFC on the way out
    assert rec["520"]["a"] == "Tóm tắt riêng"  # the base's own description is kept
    assert [f["a"] for f in rec.get_fields("650")] == ["Văn học.", "Thơ"]  # unioned, no duplicate
    assert [f["a"] for f in rec.get_fields("852")] == ["NAN", "THA"]  # the library's local 852 replaced
    assert rec["020"]["a"] == "9786049690228"
    assert base["001"].data == "LOCAL-1"  # the caller's record is not modified


def test_ris_and_bibtex():
    ris = exports.to_ris(RECORD, permalink="https://u.example/records/uabc123def45")
    lines = ris.split("\r\n")
    assert lines[0] == "TY  - BOOK" and "AU  - Đào, Duy Anh" in lines and lines[-2] == "ER  - "
    assert "TI  - Truyện Kiều: bản khảo dị" in lines and "SN  - 9786049690228" in lines
    assert "UR  - https://u.example/records/uabc123def45" in lines
    bib = exports.to_bibtex(RECORD)
    assert bib.startswith("@book{nguyen2019_uabc123def45,")
    assert "author = {Nguyễn Du and Đào, Duy Anh}" in bib
    assert r"series = {Tủ sách 50\% \& \{cổ điển\}}" in bib
    assert bib.count("{") == bib.count("}") + bib.count(r"\{") - bib.count(r"\}")


def test_json_and_unknown_format():
    import json

    import pytest

    assert json.loads(exports.export(RECORD, "json")) == RECORD
    with pytest.raises(ValueError):
        exports.export(RECORD, "pdf")
    assert exports.filename(RECORD, "marc") == "uabc123def45.mrc"


def test_iso2709_of_a_record_with_thousands_of_items_stays_readable():
    many = [{"call_number": "895.9221 TR527K", "barcode": f"VV{i:06d}", "location": "Kho mở", "status": "Sẵn sàng"}
            for i in range(3000)]
    big = RECORD | {"holdings": [RECORD["holdings"][0] | {"items": many}, RECORD["holdings"][1]]}
    rec = _read_iso(exports.to_iso2709(big))  # one 852 per library, not 3,000 (would overflow the leader)
    assert [(f["a"], f["z"]) for f in rec.get_fields("852")] == [("NAN", "3000 bản"), ("THA", "1 bản")]
    xml = pymarc.parse_xml_to_array(io.BytesIO(exports.to_marcxml(big)))[0]
    assert len(xml.get_fields("852")) == 3001  # MARCXML has no length limit: every item stays


def test_marcxml_leader_says_the_length_and_base_address_of_the_exported_record():
    base = pymarc.Record(force_utf8=True)
    base.leader = pymarc.Leader("01234nam a2200289 a 4500")  # the member's own, stale once fields change
    base.add_field(pymarc.Field("001", data="LOCAL-1"))
    base.add_field(pymarc.Field("245", pymarc.Indicators("1", "0"), [pymarc.Subfield("a", "Truyện Kiều")]))
    for make in (lambda: exports.marc_record(RECORD, base), lambda: exports.marc_record(RECORD)):
        rec = make()
        data = rec.as_marc()
        assert str(rec.leader)[:5] == f"{len(data):05d}"
        base_address = data.index(b"\x1e") + 1  # where the directory ends
        assert str(rec.leader)[12:17] == f"{base_address:05d}"
    xml = pymarc.parse_xml_to_array(io.BytesIO(exports.to_marcxml(RECORD, base)))[0]
    assert str(xml.leader)[:5] == f"{len(exports.to_iso2709(RECORD, base)):05d}"
