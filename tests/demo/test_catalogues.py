"""The demo catalogues: deterministic, valid MARCXML, realistic overlap, every cataloguing variant present."""

from __future__ import annotations

import io
import re
import unicodedata
from collections import defaultdict

import isbnlib
import pymarc
import pytest

from unioncat.demo.catalogues import (
    DemoRecord,
    generate_catalogues,
    ground_truth,
    marcxml_collection,
    overlap_statistics,
    tcvn3_mojibake,
)

CODES = {"THA", "NAN", "HTI", "QBI", "QTR", "HUE", "DHV"}
VIETNAMESE_LETTERS = set("ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")
# Latin-1 characters that TCVN3 bytes turn into but that never occur in Vietnamese text.
TCVN3_SIGNATURE = {chr(b) for b in range(0xA1, 0x100)} - VIETNAMESE_LETTERS - {c.upper() for c in VIETNAMESE_LETTERS}


@pytest.fixture(scope="module")
def catalogues() -> dict[str, list[DemoRecord]]:
    return generate_catalogues()


@pytest.fixture(scope="module")
def parsed(catalogues) -> dict[str, list[tuple[DemoRecord, pymarc.Record]]]:
    result = {}
    for code, records in catalogues.items():
        marc = pymarc.parse_xml_to_array(io.BytesIO(marcxml_collection(records, include_deleted=True)))
        assert len(marc) == len(records)
        result[code] = list(zip(records, marc))
    return result


def _all(parsed):
    for code, pairs in parsed.items():
        for record, marc in pairs:
            yield code, record, marc


def _values(marc: pymarc.Record, tag: str, code: str) -> list[str]:
    return [v for f in marc.get_fields(tag) for v in f.get_subfields(code)]


# --- determinism and shape -------------------------------------------------------------------------


def test_same_seed_same_bytes():
    first = generate_catalogues(records_per_library=300, seed=7)
    second = generate_catalogues(records_per_library=300, seed=7)
    assert first.keys() == second.keys()
    for code in first:
        assert [(r.identifier, r.datestamp, r.deleted, r.marcxml) for r in first[code]] == \
               [(r.identifier, r.datestamp, r.deleted, r.marcxml) for r in second[code]]
    assert ground_truth(first) == ground_truth(second)
    other = generate_catalogues(records_per_library=300, seed=8)
    assert [r.marcxml for r in other["THA"]] != [r.marcxml for r in first["THA"]]


def test_sizes_identifiers_and_dates(catalogues, parsed):
    assert set(catalogues) == CODES
    for code, records in catalogues.items():
        assert len(records) == 2500
        identifiers = [r.identifier for r in records]
        assert len(set(identifiers)) == len(identifiers)
    for code, record, marc in _all(parsed):
        assert record.identifier == f"oai:{code.lower()}.lib.vn:{marc['001'].data}"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record.datestamp)
        assert marc["005"].data[:14] == re.sub(r"\D", "", record.datestamp)
        assert record.datestamp <= "2025-10-31T17:00:00Z"
        assert record.marcxml.startswith(b'<record xmlns="http://www.loc.gov/MARC21/slim">')
        record.marcxml.decode("utf-8")


def test_every_record_parses_with_a_title(parsed):
    for code, record, marc in _all(parsed):
        titles = _values(marc, "245", "a")
        assert len(titles) == 1 and titles[0].strip(), record.identifier


def test_control_fields_and_leader_are_consistent(parsed):
    for code, record, marc in _all(parsed):
        leader = str(marc.leader)
        f008 = marc["008"].data
        assert len(leader) == 24 and len(f008) == 40
        assert leader[6:8] in ("am", "as")
        assert (leader[7] == "s") == (f008[6] == "c")
        assert f008[35:38] == _values(marc, "041", "a")[0] if marc.get_fields("041") else True
        imprint = marc.get_fields("260", "264")[0]
        year = re.search(r"\d{4}", imprint.get_subfields("c")[0]).group()
        assert f008[7:11] == year, record.identifier
        assert marc["003"].data
    # The leader's length and base address are those of the ISO 2709 record.
    for code, pairs in parsed.items():
        for record, marc in pairs[::50]:
            ours = str(marc.leader)
            iso = marc.as_marc()
            assert int(ours[:5]) == len(iso), record.identifier
            assert ours[12:17] == iso[12:17].decode()


def test_deleted_records_are_about_one_percent(catalogues):
    for records in catalogues.values():
        deleted = sum(r.deleted for r in records)
        assert 5 <= deleted <= 50


# --- overlap and ground truth ----------------------------------------------------------------------


def test_overlap_is_like_real_provincial_collections(catalogues):
    stats = overlap_statistics(catalogues)
    for code, share in stats.items():
        assert 0.40 <= share <= 0.60, (code, share)
    holders = defaultdict(set)
    for code, records in catalogues.items():
        for r in records:
            holders[r.manifestation_id].add(code)
    counts = [len(v) for v in holders.values()]
    assert sum(1 for c in counts if c == len(CODES)) >= 30  # national bestsellers everywhere
    assert sum(1 for c in counts if c == 1) > len(holders) / 3  # and a long tail held once


def _folded(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower().rstrip(". ")


def test_local_history_stays_mostly_at_home(parsed):
    # Local-studies books ("Địa chí", Party histories) about a province: most copies are at home.
    home = {"thanh hoa": "THA", "quang binh": "QBI", "quang tri": "QTR", "ha tinh": "HTI"}
    holders = defaultdict(lambda: defaultdict(set))
    for code, record, marc in _all(parsed):
        places = {_folded(p) for p in _values(marc, "651", "a")}
        subjects = {_folded(s) for s in _values(marc, "650", "a")}
        if subjects & {"dia chi", "lich su dang"}:
            for place in places & set(home):
                holders[place][record.manifestation_id].add(code)
    assert set(holders) == set(home)
    for place, manifestations in holders.items():
        assert len(manifestations) > 50, place
        held_at_home = sum(1 for codes in manifestations.values() if home[place] in codes)
        assert held_at_home / len(manifestations) > 0.75, place
        held_elsewhere = sum(1 for codes in manifestations.values() if codes - {home[place]})
        assert held_elsewhere / len(manifestations) < 0.35, place


def test_ground_truth_covers_every_record_and_stays_out_of_the_marc(catalogues):
    truth = ground_truth(catalogues)
    works = ground_truth(catalogues, level="work")
    assert len(truth) == sum(len(r) for r in catalogues.values())
    for records in catalogues.values():
        for r in records:
            assert truth[r.identifier] == r.manifestation_id and works[r.identifier] == r.work_id
            assert r.manifestation_id.encode() not in r.marcxml and r.work_id.encode() not in r.marcxml


def test_volumes_and_editions_are_different_manifestations(parsed):
    by_title = defaultdict(set)
    volumes = defaultdict(set)
    editions = defaultdict(set)
    for code, record, marc in _all(parsed):
        f245 = marc["245"]
        key = unicodedata.normalize("NFC", f245.get_subfields("a")[0]).lower().rstrip(" :/.;")
        by_title[key].add(record.manifestation_id)
        for n in f245.get_subfields("n"):
            volumes[key].add((re.sub(r"\D", "", n), record.manifestation_id))
        if marc.get_fields("250"):
            editions[key].add(record.manifestation_id)
    # The same set title with different volume numbers never shares a manifestation.
    multi = {k: v for k, v in volumes.items() if len({n for n, _ in v}) > 1}
    assert len(multi) >= 5
    for key, pairs in multi.items():
        by_number = defaultdict(set)
        for number, mid in pairs:
            by_number[mid].add(number)
        assert all(len(numbers) == 1 for numbers in by_number.values()), key
    assert sum(1 for k, v in editions.items() if len(by_title[k]) > 1) >= 10


# --- the cataloguing variants ----------------------------------------------------------------------


def test_nfc_and_nfd_records(parsed):
    nfd = [r for _, r, m in _all(parsed) if unicodedata.normalize("NFC", r.marcxml.decode()) != r.marcxml.decode()]
    assert len(nfd) > 100
    assert any(unicodedata.is_normalized("NFD", r.marcxml.decode()) for r in nfd)


def test_tone_placements_both_present(parsed):
    text = "\n".join(unicodedata.normalize("NFC", r.marcxml.decode()) for _, r, _ in _all(parsed))
    for traditional, modern in (("Hóa", "Hoá"), ("hòa", "hoà"), ("khỏe", "khoẻ"), ("Thủy", "Thuỷ")):
        assert traditional in text and modern in text, (traditional, modern)


def test_name_orders(parsed):
    names = [unicodedata.normalize("NFC", a) for _, _, m in _all(parsed) for a in _values(m, "100", "a")]
    assert any(n.startswith("Nguyễn, ") for n in names)
    assert any(n.startswith("Nguyễn ") for n in names)


def test_publisher_place_pages_and_imprint_forms(parsed):
    publishers, places, extents, tags = set(), set(), [], set()
    for _, _, m in _all(parsed):
        for f in m.get_fields("260", "264"):
            tags.add(f.tag)
            publishers.update(unicodedata.normalize("NFC", b) for b in f.get_subfields("b"))
            places.update(unicodedata.normalize("NFC", a).rstrip(" :") for a in f.get_subfields("a"))
        extents += _values(m, "300", "a")
    assert tags == {"260", "264"}
    assert {"H.", "Hà Nội"} <= places
    for form in ("Nxb. Kim Đồng", "NXB Kim Đồng", "Nhà xuất bản Kim Đồng", "Kim Đồng"):
        assert any(p.rstrip(",") == form for p in publishers), form
    assert any(" tr." in e for e in extents) and any(" p." in e for e in extents)


def test_isbd_punctuation_with_and_without(parsed):
    with_isbd = without = 0
    for _, _, m in _all(parsed):
        a = m["245"].get_subfields("a")[0]
        if a.endswith((" :", " /", " .", " ;")) or a.endswith("."):
            with_isbd += 1
        elif m.get_fields("245")[0].get_subfields("c"):
            without += 1
    assert with_isbd > 1000 and without > 500


def test_some_all_caps_titles(parsed):
    caps = [m["245"]["a"] for _, _, m in _all(parsed)
            if any(c.isalpha() for c in m["245"]["a"]) and m["245"]["a"] == m["245"]["a"].upper()
            and len(m["245"]["a"]) > 8]
    assert len(caps) > 50


def test_tcvn3_legacy_titles(parsed):
    legacy = defaultdict(list)
    for code, record, marc in _all(parsed):
        title = " ".join(marc["245"].get_subfields("a", "b"))
        if len(set(title) & TCVN3_SIGNATURE) >= 2 and all(ord(c) < 0x100 for c in title):
            legacy[code].append(title)
    assert set(legacy) == {"THA", "NAN", "QBI"}
    assert all(5 <= len(titles) <= 20 for titles in legacy.values()), {k: len(v) for k, v in legacy.items()}


def test_tcvn3_table_matches_the_reference_examples():
    # vietnam.md §3.1, real strings seen in the wild.
    assert tcvn3_mojibake("Khoá luận tốt nghiệp") == "Kho¸ luËn tèt nghiÖp"
    assert tcvn3_mojibake("Ngô thị linh Tìm hiểu ddc việt hoá 14") == "Ng« thÞ linh T×m hiÓu ddc viÖt ho¸ 14"
    assert tcvn3_mojibake("Những nguyên tắc cần tuân thủ") == "Nh÷ng nguyªn t¾c cÇn tu©n thñ"
    assert tcvn3_mojibake("Khổ mẫu MARC 21 cho dữ liệu thư mục") == "Khæ mÉu MARC 21 cho d÷ liÖu th\xad môc"
    assert tcvn3_mojibake("Đảng") == "§¶ng"  # Đ has its own code, ả is lower case only
    assert tcvn3_mojibake("ĐẢNG") == "§¶NG"  # capitals with a tone mark reuse the lower-case code


def test_holdings_852_or_koha_952(parsed):
    for code, record, marc in _all(parsed):
        if code == "DHV":
            items = marc.get_fields("952")
            assert items and not marc.get_fields("852")
            for item in items:
                assert item.get_subfields("a") and item.get_subfields("b") and item.get_subfields("o")
                assert item.get_subfields("p") and item.get_subfields("y") and item.get_subfields("c")
        else:
            holdings = marc.get_fields("852")
            assert holdings and not marc.get_fields("952"), record.identifier
            for h in holdings:
                assert h.get_subfields("a") and h.get_subfields("b") and h.get_subfields("h") and h.get_subfields("p")


def test_isbns_are_valid_in_every_form(parsed):
    forms = defaultdict(int)
    with_isbn = defaultdict(set)
    without_isbn = defaultdict(set)
    for code, record, marc in _all(parsed):
        isbns = _values(marc, "020", "a")
        for isbn in isbns:
            digits = isbn.replace("-", "")
            if len(digits) == 13:
                assert isbnlib.is_isbn13(digits), isbn
                forms["13-hyphen" if "-" in isbn else "13-plain"] += 1
                if "-" in isbn:
                    assert isbnlib.mask(digits) == isbn
            else:
                assert len(digits) == 10 and isbnlib.is_isbn10(digits), isbn
                forms["10"] += 1
        (with_isbn if isbns else without_isbn)[record.manifestation_id].add(code)
    assert forms["13-hyphen"] > 500 and forms["13-plain"] > 500 and forms["10"] > 20
    # Deliberately missing: a book one library records with its ISBN, another without.
    assert sum(1 for mid in with_isbn if mid in without_isbn) > 100


def test_vietnamese_isbns_use_the_604_group(parsed):
    vie = [i.replace("-", "") for _, _, m in _all(parsed) for i in _values(m, "020", "a")
           if m["008"].data[35:38] == "vie"]
    assert vie and all(i.startswith("978604") or i.startswith("604") for i in vie)


def test_other_languages_present(parsed):
    languages = {m["008"].data[35:38] for _, _, m in _all(parsed)}
    assert {"vie", "eng", "fre"} <= languages
    assert any(m.get_fields("041") and m["041"].get_subfields("h") for _, _, m in _all(parsed))


def test_serials_have_their_own_leader(parsed):
    serials = [m for _, _, m in _all(parsed) if str(m.leader)[7] == "s"]
    assert serials and all(m.get_fields("022") for m in serials)
    for m in serials:
        issn = m["022"]["a"].replace("-", "")
        total = sum(int(d) * (8 - i) for i, d in enumerate(issn[:7]))
        assert issn[7] == ("X" if (11 - total % 11) % 11 == 10 else str((11 - total % 11) % 11))


# --- other sizes and libraries ---------------------------------------------------------------------


def test_other_library_lists_and_sizes():
    catalogues = generate_catalogues(records_per_library=120, seed=1, libraries=["THA", "XYZ"])
    assert set(catalogues) == {"THA", "XYZ"} and all(len(r) == 120 for r in catalogues.values())
    assert catalogues["XYZ"][0].identifier.startswith("oai:xyz.lib.vn:")
    with pytest.raises(ValueError):
        generate_catalogues(records_per_library=0)
    with pytest.raises(ValueError):
        generate_catalogues(records_per_library=10, libraries=["THA", "THA"])
