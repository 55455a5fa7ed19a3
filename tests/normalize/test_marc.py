"""MARC 21 (MARCXML, ISO 2709; UTF-8 and MARC-8) → CanonicalRecord, on real third-party files."""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings

import pytest
from conftest import TESTDATA

from unioncat.normalize import NormalizeError, normalize_source
from unioncat.normalize.marc import (
    iter_marcxml_records,
    parse_iso2709,
    parse_marcxml,
    record_to_canonical,
    split_iso2709,
)

MARC = TESTDATA / "marc"

# file → (records that normalize, records that must raise NormalizeError)
EXPECTED = {
    "hathitrust/hathi_marcxml_record.xml": (1, 0),
    "hbz_alma/990001412590206441.xml": (1, 0),
    "hbz_alma/99370673692206441.xml": (1, 0),
    "marc4j/1474920681_KOHA_LFL_5.xml": (1, 0),
    "marc4j/bad_hathi_records.mrc": (4, 1),
    "marc4j/bad_leaders_10_11.mrc": (1, 0),
    "marc4j/bad_oversize_field_bad_directory.mrc": (4, 1),
    "marc4j/bad_too_long_plus_2.mrc": (3, 0),
    "marc4j/brkrtest.mrc": (8, 0),
    "marc4j/brkrtest_UTF8.mrc": (8, 0),
    "marc4j/chinese_mangled_multibyte.mrc": (4, 0),
    "marc4j/datos-20161010-slice.mrc": (0, 1),  # 6-byte directory offsets
    "marc4j/loongboonmee.mrc": (2, 0),
    "marc4j/pride-and-prejudice-fixed.mrc": (366, 17),  # the 17 are UNIMARC records (200, no 245)
    "marc4j/pride-and-prejudice-with-many-errors.mrc": (350, 33),
    "marc4j/unordered-directory-entries.mrc": (1, 0),
    "pod4lib/1297245.marc": (1, 0),
    "pod4lib/bad_marc8.mrc": (0, 1),
    "pod4lib/deleted.marc": (1, 0),
    "pod4lib/long-record.xml": (1, 0),
    "pymarc/1251.dat": (0, 6),  # cp1251 bytes under a MARC-8 leader
    "pymarc/bad_indicator.dat": (1, 0),
    "pymarc/bad_marc8_escape.dat": (1, 0),
    "pymarc/bad_records.mrc": (2, 7),
    "pymarc/bad_subfield_code.dat": (1, 0),
    "pymarc/bad_tag.xml": (0, 1),  # 17-character leader
    "pymarc/batch.xml": (2, 0),
    "pymarc/diacritic.dat": (1, 0),
    "pymarc/marc.dat": (20, 0),
    "pymarc/marc8.dat": (1, 0),
    "pymarc/testunimarc.dat": (0, 1),
    "pymarc/utf8_invalid.mrc": (1, 0),
    "pymarc/utf8_with_leader_flag.dat": (1, 0),
    "pymarc/utf8_without_leader_flag.dat": (1, 0),
    "ruby-marc/cp866_multirecord.marc": (0, 2),
    "ruby-marc/marc_with_bad_utf8.utf8.marc": (0, 1),
    "ruby-marc/messed_up_leader.xml": (1, 0),
    "ruby-marc/three-records-second-bad.xml": (2, 1),
}


def _chunks(path):
    data = path.read_bytes()
    if path.suffix != ".xml":
        return split_iso2709(data), "iso2709"
    try:
        return list(iter_marcxml_records(data)), "marcxml"
    except NormalizeError:
        # the document as a whole is broken (as a harvester may meet it): cut it into records by text
        return [m.group(0) for m in re.finditer(rb"<record>.*?</record>", data, re.S)], "marcxml"


def _all_text(rec) -> list[str]:
    out = [rec.title, rec.subtitle, rec.statement_of_responsibility, rec.publisher, rec.place, rec.extent]
    out += rec.notes + rec.subjects + [p.name for p in rec.authors]
    return [t for t in out if t]


@pytest.fixture(autouse=True)
def _quiet_pymarc():
    # pymarc logs and warns about every malformed indicator; the assertions below are what matters
    logging.disable(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
    logging.disable(logging.NOTSET)


def test_every_marc_test_file_is_listed():
    files = {str(p.relative_to(MARC)) for p in MARC.rglob("*") if p.is_file()}
    assert files == set(EXPECTED)


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED.items()))
def test_marc_file_good_records_normalize_bad_ones_raise(name, expected):
    chunks, fmt = _chunks(MARC / name)
    ok, bad = 0, 0
    for chunk in chunks:
        try:
            rec = normalize_source(chunk, fmt)
        except NormalizeError as exc:
            assert str(exc)  # a message staff can read
            bad += 1
            continue
        ok += 1
        assert rec.title or rec.record_kind != "bibliographic"
        for text in _all_text(rec):
            assert unicodedata.is_normalized("NFC", text), text
    assert (ok, bad) == expected


def test_bad_records_stream_keeps_the_good_ones_around_the_bad():
    chunks = split_iso2709((MARC / "pymarc/bad_records.mrc").read_bytes())
    titles, errors = [], []
    for chunk in chunks:
        try:
            titles.append(normalize_source(chunk, "iso2709").title)
        except NormalizeError as exc:
            errors.append(str(exc))
    assert titles == ["The pragmatic programmer", "The pragmatic programmer"]
    assert len(errors) == 7
    assert any("truncated" in e for e in errors)
    assert any("base address" in e for e in errors)


def test_marc8_and_utf8_with_and_without_leader_flag_agree():
    recs = [
        normalize_source((MARC / f"pymarc/{name}").read_bytes(), "iso2709")
        for name in ("marc8.dat", "utf8_with_leader_flag.dat", "utf8_without_leader_flag.dat")
    ]
    assert {r.title for r in recs} == {"Escape from loneliness"}
    assert len({tuple(_all_text(r)) for r in recs}) == 1
    assert any("UTF-8" in r for r in recs[2].repairs)  # the mislabelled one says so
    assert recs[1].repairs == []


def test_marc8_vietnamese_hooks_match_utf8_twin():
    def notes(name):
        out = []
        for chunk in split_iso2709((MARC / name).read_bytes()):
            out += normalize_source(chunk, "iso2709").notes
        return out

    # (the long character-set note differs only in ligature halves: U+FE20/FE21 from MARC-8, U+0361 in UTF-8)
    marc8 = [n for n in notes("marc4j/brkrtest.mrc") if n.startswith("the lowercase u-hook")]
    utf8 = [n for n in notes("marc4j/brkrtest_UTF8.mrc") if n.startswith("the lowercase u-hook")]
    assert marc8 == utf8 == ["the lowercase u-hook in Tư Dưc"] * 2


def test_decomposed_utf8_comes_out_nfc():
    raw = (MARC / "pymarc/diacritic.dat").read_bytes()
    assert "Wirte\u0301n".encode() in raw  # the file really is NFD
    rec = normalize_source(raw, "iso2709")
    contents = next(n for n in rec.notes if "Wirt" in n)
    assert "Wirtén" in contents and "\u0301" not in contents
    assert rec.title == "Amateur media"
    assert rec.subtitle == "social, cultural and legal perspectives"
    assert rec.authors[0].name == "Hunter, Dan" and rec.authors[0].dates == "1966-"
    assert rec.year == 2012 and rec.place == "Abingdon, Oxon" and rec.publisher == "Routledge"
    assert "Social media -- Law and legislation" in rec.subjects


def test_koha_record_fields():
    rec = normalize_source((MARC / "marc4j/1474920681_KOHA_LFL_5.xml").read_bytes(), "marcxml", profile="koha")
    assert rec.control_number == "121564"
    assert rec.title == "Cinema and architecture : from historical to digital"
    assert rec.statement_of_responsibility == "edited by Francois Penz and Maureen Thomas"
    assert rec.isbns == ["9780851705774"]
    assert rec.lccn == "97112390"
    assert (rec.place, rec.publisher, rec.year, rec.pages) == ("London", "BFI (British Film Institute) Publishing", 1996, 192)
    assert [link.label for link in rec.links] == ["Publisher description", "Table of contents only"]
    assert rec.holdings == []  # this real Koha export carries no 952 items


KOHA_VI = """<record xmlns="http://www.loc.gov/MARC21/slim">
  <leader>00000nam a2200000 a 4500</leader>
  <controlfield tag="001">TVNA-12</controlfield>
  <controlfield tag="008">200315s2019    vm            000 0 vie d</controlfield>
  <datafield tag="020" ind1=" " ind2=" "><subfield code="a">978-604-2-12345-7 (bìa mềm)</subfield>
    <subfield code="c">85000đ</subfield></datafield>
  <datafield tag="020" ind1=" " ind2=" "><subfield code="a">978-604-77-9876-5</subfield></datafield>
  <datafield tag="082" ind1="0" ind2="4"><subfield code="a">895.9223/34</subfield></datafield>
  <datafield tag="100" ind1="0" ind2=" "><subfield code="a">Nguye\u0302\u0303n Nhâ\u0323t Ánh</subfield>
    <subfield code="e">tác giả</subfield></datafield>
  <datafield tag="245" ind1="1" ind2="0"><subfield code="a">Tôi thấy hoa vàng trên cỏ xanh :</subfield>
    <subfield code="b">truyện dài /</subfield><subfield code="c">Nguyễn Nhật Ánh.</subfield></datafield>
  <datafield tag="250" ind1=" " ind2=" "><subfield code="a">Tái bản lần thứ 30.</subfield></datafield>
  <datafield tag="260" ind1=" " ind2=" "><subfield code="a">Tp. HCM :</subfield>
    <subfield code="b">Nxb.Trẻ,</subfield><subfield code="c">2019.</subfield></datafield>
  <datafield tag="300" ind1=" " ind2=" "><subfield code="a">378 tr. ;</subfield><subfield code="c">20 cm.</subfield></datafield>
  <datafield tag="490" ind1="0" ind2=" "><subfield code="a">Tủ sách tuổi mới lớn ;</subfield><subfield code="v">t. 3</subfield></datafield>
  <datafield tag="650" ind1=" " ind2="7"><subfield code="a">Văn học hiện đại</subfield>
    <subfield code="z">Việt Nam</subfield><subfield code="v">Truyện dài.</subfield><subfield code="2">Bộ TK TVQG</subfield></datafield>
  <datafield tag="952" ind1=" " ind2=" "><subfield code="a">TVKH</subfield><subfield code="c">KM</subfield>
    <subfield code="o">895.92234 NG-A</subfield><subfield code="p">VN.012345</subfield><subfield code="7">0</subfield></datafield>
  <datafield tag="952" ind1=" " ind2=" "><subfield code="a">TVKH</subfield><subfield code="c">KD</subfield>
    <subfield code="o">895.92234 NG-A</subfield><subfield code="p">VN.012346</subfield><subfield code="1">1</subfield></datafield>
</record>"""


def test_koha_952_items_become_holdings_and_vietnamese_fields_are_tidied():
    rec = normalize_source(KOHA_VI.encode(), "marcxml", profile="koha")
    assert rec.authors[0].name == "Nguyễn Nhật Ánh" and rec.authors[0].role == "tác giả"
    assert rec.title == "Tôi thấy hoa vàng trên cỏ xanh" and rec.subtitle == "truyện dài"
    assert rec.isbns == ["9786042123457"] and rec.invalid_isbns == ["9786047798765"]
    assert (rec.place, rec.publisher, rec.year) == ("TP. Hồ Chí Minh", "Nxb. Trẻ", 2019)
    assert rec.pages == 378 and rec.language == "vie" and rec.edition == "Tái bản lần thứ 30"
    assert (rec.series, rec.series_number) == ("Tủ sách tuổi mới lớn", "t. 3")
    assert rec.subjects == ["Văn học hiện đại -- Việt Nam -- Truyện dài"]
    assert rec.classification == ["895.922334"]
    assert [(h.location, h.call_number, h.barcode, h.status) for h in rec.holdings] == [
        ("TVKH / KM", "895.92234 NG-A", "VN.012345", "available"),
        ("TVKH / KD", "895.92234 NG-A", "VN.012346", "lost"),
    ]
    # the generic profile does not read Koha's local 952
    assert normalize_source(KOHA_VI.encode(), "marcxml").holdings == []


def test_legacy_encoded_and_detached_marks_are_repaired_and_reported():
    xml = KOHA_VI.replace("Tôi thấy hoa vàng trên cỏ xanh :", "T«i thÊy hoa vµng tr\u00aan cá xanh :").replace(
        "Tái bản lần thứ 30.", "Ta\u0301i ba\u0309n la\u0302\u0300n th\u01b0\u0301 30."
    )
    xml = xml.replace("Nxb.Trẻ,", "Nha \u0300xuất bản Trẻ,")
    rec = normalize_source(xml.encode(), "marcxml", profile="koha")
    assert rec.title == "Tôi thấy hoa vàng trên cỏ xanh"
    assert rec.publisher == "Nxb. Trẻ"
    assert rec.edition == "Tái bản lần thứ 30"
    assert any(r.startswith("245$a: decoded TCVN3") for r in rec.repairs)
    assert any(r.startswith("260$b: reattached") for r in rec.repairs)


def test_852_holdings():
    rec = normalize_source((MARC / "pod4lib/long-record.xml").read_bytes(), "marcxml")
    assert rec.holdings and all(h.location and h.location.startswith("LAW") for h in rec.holdings)
    assert rec.lccn == "54004905"
    assert rec.format == "book"


def test_deleted_flag_and_record_kinds():
    assert normalize_source((MARC / "pod4lib/deleted.marc").read_bytes(), "iso2709").deleted is True
    assert normalize_source((MARC / "pod4lib/1297245.marc").read_bytes(), "iso2709").deleted is False
    sound = list(iter_marcxml_records((MARC / "pymarc/batch.xml").read_bytes()))
    assert normalize_source(sound[0], "marcxml").format in ("music", "audio", "video")
    serial = normalize_source((MARC / "hbz_alma/99370673692206441.xml").read_bytes(), "marcxml")
    assert serial.format == "serial"  # leader with '-' for blanks


def test_unimarc_is_refused_with_a_reason():
    with pytest.raises(NormalizeError, match="UNIMARC"):
        normalize_source((MARC / "pymarc/testunimarc.dat").read_bytes(), "iso2709")


def test_marcxml_parse_variants():
    plain = b'<record><leader>00000nam a2200000 a 4500</leader><datafield tag="245" ind1="0" ind2="0"><subfield code="a">X</subfield></datafield></record>'
    ns = plain.replace(b"<record>", b'<record xmlns="http://www.loc.gov/MARC21/slim">')
    prefixed = (
        plain.replace(b"<", b"<marc:").replace(b"<marc:/", b"</marc:")
        .replace(b"<marc:record>", b'<marc:record xmlns:marc="http://www.loc.gov/MARC21/slim">')
    )  # fmt: skip
    for raw in (plain, ns, prefixed):
        rec = parse_marcxml(raw)
        assert rec["245"]["a"] == "X"
        assert record_to_canonical(rec).title == "X"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not xml",
        b"<record><leader>00000nam a2200000 a 4500</leader></record>",  # no title
        b'<record><datafield tag="245"><subfield code="a">X</subfield></datafield></record>',  # no leader
        b"<collection/>",
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<record><leader>00000nam a2200000 a 4500</leader><datafield tag="245" ind1=" " ind2=" ">'
        b'<subfield code="a">&x;</subfield></datafield></record>',
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<record><leader>00000nam a2200000 a 4500</leader><datafield tag="245" ind1=" " ind2=" ">'
        b'<subfield code="a">&b;</subfield></datafield></record>',
    ],
)
def test_unusable_marcxml_raises_normalize_error(raw):
    with pytest.raises(NormalizeError):
        normalize_source(raw, "marcxml")


def test_unusable_iso2709_and_unknown_format():
    with pytest.raises(NormalizeError):
        normalize_source(b"00042nam", "iso2709")
    with pytest.raises(NormalizeError):
        parse_iso2709(b"x" * 40)
    with pytest.raises(NormalizeError, match="unknown raw format"):
        normalize_source(b"<x/>", "mods")


OAI = TESTDATA / "oai"
MARC_PAGES = {
    "carli_xc/ListRecords_marc21_carli_440recs_3.9MB.xml": 440,
    "gpo_catalog/record_marc21_gpo.xml": 1,
    "hathitrust/ListRecords_marc21_set_hathitrust_umich.xml": 11,
    "xc_oaitoolkit_voyager/ListRecords_boundwith_no_metadataPrefix_in_request.xml": 4,
    "xc_oaitoolkit_voyager/ListRecords_marc21_diacritics.xml": 59,
    "xc_oaitoolkit_voyager/ListRecords_marc21_incremental_with_deleted_bib_hold.xml": 15,
    "xc_oaitoolkit_voyager/ListRecords_marc21_initial_bib_hold_1.7MB.xml": 335,
}


@pytest.mark.parametrize(("name", "count"), sorted(MARC_PAGES.items()))
def test_oai_marc21_pages_normalize(name, count):
    kinds = []
    for raw in iter_marcxml_records((OAI / name).read_bytes()):
        rec = normalize_source(raw, "marcxml")
        kinds.append(rec.record_kind)
        if rec.record_kind == "bibliographic":
            assert rec.title
    assert len(kinds) == count


def test_oai_voyager_holdings_records_are_kept_out_of_bibliographic():
    recs = [
        normalize_source(raw, "marcxml")
        for raw in iter_marcxml_records((OAI / "xc_oaitoolkit_voyager/ListRecords_marc21_initial_bib_hold_1.7MB.xml").read_bytes())
    ]
    assert sum(r.record_kind == "holdings" for r in recs) == 243
    assert all(r.holdings for r in recs if r.record_kind == "holdings" and r.holdings) is True
    padded = [
        normalize_source(raw, "marcxml")
        for raw in iter_marcxml_records((OAI / "xc_oaitoolkit_voyager/ListRecords_boundwith_no_metadataPrefix_in_request.xml").read_bytes())
    ]
    assert all(any("leader" in r for r in p.repairs) for p in padded)


def test_no_false_repairs_on_real_western_records():
    # 59 records chosen by their cataloguers for diacritics: Latin-1 symbols must not be "decoded"
    for raw in iter_marcxml_records((OAI / "xc_oaitoolkit_voyager/ListRecords_marc21_diacritics.xml").read_bytes()):
        rec = normalize_source(raw, "marcxml")
        assert not [r for r in rec.repairs if "decoded" in r], rec.repairs
    for raw in iter_marcxml_records((OAI / "carli_xc/ListRecords_marc21_carli_440recs_3.9MB.xml").read_bytes()):
        assert normalize_source(raw, "marcxml").repairs == []
