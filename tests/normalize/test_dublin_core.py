"""Dublin Core (oai_dc) → CanonicalRecord, on real OAI-PMH pages."""

from __future__ import annotations

import pytest
from conftest import TESTDATA
from lxml import etree

from unioncat.normalize import NormalizeError, normalize_source
from unioncat.normalize.dublin_core import language_code

OAI = TESTDATA / "oai"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
DC_PAGES = {
    "citebase_celestial/GetRecord_oai_dc_arxiv.xml": 1,
    "dspace_eur_2003/ListRecords_oai_dc_from2003-04-10.xml": 16,
    "dspace_eur_2004/ListRecords_oai_dc_from2004-01-01_with_deleted.xml": 79,
    "sickle/GetRecord_oai_dc_utf8_cjk.xml": 1,
    "sickle/ListRecords_page1.xml": 1,
    "sickle/ListRecords_page2.xml": 1,
    "sickle/ListRecords_page4_last.xml": 1,
}


def _dc_records(name):
    root = etree.parse(str(OAI / name)).getroot()
    return [etree.tostring(md[0]) for md in root.iter(f"{{{OAI_NS}}}metadata")]


@pytest.mark.parametrize(("name", "count"), sorted(DC_PAGES.items()))
def test_oai_dc_pages_normalize(name, count):
    recs = [normalize_source(raw, "oai_dc") for raw in _dc_records(name)]
    assert len(recs) == count
    assert all(r.title and r.source_format == "oai_dc" for r in recs)


def test_dspace_record_fields():
    recs = {r.links[0].url: r for r in map(lambda raw: normalize_source(raw, "oai_dc"),
            _dc_records("dspace_eur_2003/ListRecords_oai_dc_from2003-04-10.xml")) if r.links}  # fmt: skip
    rec = recs["http://hdl.handle.net/1765/308"]
    assert rec.isbns == ["9789058920362"]  # "90-5892-036-4" as ISBN-13
    assert rec.year == 2003
    assert rec.authors[0].name == "Smidts, A." and rec.authors[0].role == "contributor"
    assert len(rec.notes) >= 2
    assert {r.language for r in recs.values()} <= {"eng", "dut", None}


def test_cjk_creator_survives():
    (raw,) = _dc_records("sickle/GetRecord_oai_dc_utf8_cjk.xml")
    rec = normalize_source(raw, "oai_dc")
    assert any(not p.name.isascii() for p in rec.authors)
    assert rec.language == "eng"


VI_DC = """<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>Lịch sử Việt Nam</dc:title>
  <dc:creator>Trần Trọng Kim</dc:creator>
  <dc:publisher>NXB Văn học</dc:publisher>
  <dc:date>2015-06-01</dc:date>
  <dc:identifier>ISBN 978-604-1-23456-7</dc:identifier>
  <dc:identifier>urn:isbn:0851705774</dc:identifier>
  <dc:identifier>ISBN 978-604-77-9876-5</dc:identifier>
  <dc:identifier>http://thuvien.example.vn/record/12</dc:identifier>
  <dc:identifier>1765/1160</dc:identifier>
  <dc:language>Tiếng Việt</dc:language>
  <dc:type>Sách</dc:type>
  <dc:subject>Lịch sử</dc:subject>
  <dc:description>Kho¸ luËn tèt nghiÖp</dc:description>
</oai_dc:dc>"""


def test_vietnamese_dc_record():
    rec = normalize_source(VI_DC.encode(), "oai_dc")
    assert rec.title == "Lịch sử Việt Nam"
    assert rec.authors[0].name == "Trần Trọng Kim" and rec.authors[0].role is None
    assert rec.publisher == "Nxb. Văn học"
    assert rec.year == 2015
    assert rec.isbns == ["9786041234567", "9780851705774"]
    assert rec.invalid_isbns == ["9786047798765"]
    assert [link.url for link in rec.links] == ["http://thuvien.example.vn/record/12"]
    assert (rec.language, rec.format) == ("vie", "book")
    assert rec.notes == ["Khoá luận tốt nghiệp"]
    assert rec.repairs and "TCVN3" in rec.repairs[0]


@pytest.mark.parametrize(
    ("value", "code"),
    [("vi", "vie"), ("vie", "vie"), ("Vietnamese", "vie"), ("Tiếng Việt", "vie"), ("en", "eng"), ("en_US", "eng"),
     ("eng", "eng"), ("fr", "fre"), ("other", None), ("", None)],
)  # fmt: skip
def test_language_codes(value, code):
    assert language_code(value) == code


def test_dc_types_map_to_formats():
    def fmt(t):
        return normalize_source(VI_DC.replace("<dc:type>Sách</dc:type>", f"<dc:type>{t}</dc:type>").encode(), "oai_dc").format

    assert fmt("Text") == "book" and fmt("Thesis") == "book"
    assert fmt("Article") == "other" and fmt("Book chapter") == "other"
    assert fmt("MovingImage") == "video" and fmt("Sound") == "audio" and fmt("Tạp chí") == "serial"


@pytest.mark.parametrize(
    "raw",
    [
        b"<oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/'/>",  # no title
        b"<metadata/>",
        b"broken xml",
        (OAI / "broken/sickle_ListRecordsBroken.xml").read_bytes(),
        (OAI / "broken/citebase_GetRecord_invalid_utf8_and_control_chars.xml").read_bytes(),
        (OAI / "broken/pyoai_Identify_undefined_entity.xml").read_bytes(),
    ],
)
def test_unusable_dc_raises_normalize_error(raw):
    with pytest.raises(NormalizeError):
        normalize_source(raw, "oai_dc")
