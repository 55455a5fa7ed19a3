"""Union record -> search document (pure)."""

from __future__ import annotations

import json
import unicodedata

import pytest

from unioncat.search.collation import vietnamese_sort_key
from unioncat.search.documents import STORED_FIELDS, fold, prefix_form, to_document

from .records import ISBN13_HISTORY, records


def test_fields_of_a_document():
    doc = to_document(records()[1])  # Truyện Kiều
    assert doc["id"] == "u-002"
    assert doc["title"] == ["Truyện Kiều"]
    assert doc["title_folded"] == ["truyen kieu"]
    assert doc["authors_folded"] == ["nguyen du"]
    assert doc["library"] == ["NA-TV", "HN-TV", "HCM-TV"]
    assert doc["province"] == ["Nghệ An", "Hà Nội", "Hồ Chí Minh"]
    assert doc["language"] == ["vie"] and doc["format"] == ["book"]
    assert doc["subject"] == ["Văn học Việt Nam", "Truyện thơ"]
    assert doc["year"] == 2015 and doc["title_sort"] == vietnamese_sort_key("Truyện Kiều", "u-002")
    assert doc["title_prefix"] == "truyen kieu"
    assert doc["publisher"] == ["Nxb. Văn học"] and doc["series"] == []
    # stored: what a hit shows and highlights; holdings and members stay in the database
    record = records()[1]
    assert json.loads(doc["stored"]) == {k: v for k, v in record.items() if k in STORED_FIELDS and v is not None}
    assert "holdings" in record and "members" in record


def test_everything_is_nfc_and_folded():
    record = records()[6]  # Đường Kách mệnh
    nfd = {k: unicodedata.normalize("NFD", v) if isinstance(v, str) else v for k, v in record.items()}
    nfd["subjects"] = [unicodedata.normalize("NFD", s) for s in record["subjects"]]
    doc = to_document(nfd)
    assert doc == to_document(record)
    assert doc["title_folded"] == ["duong kach menh"]
    assert json.loads(doc["stored"])["title"] == "Đường Kách mệnh"


def test_accented_form_uses_one_tone_placement():
    a, b = records()[2], records()[2]
    a["title"], b["title"] = "Hòa bình", "Hoà bình"
    assert to_document(a)["title"] == to_document(b)["title"]
    assert json.loads(to_document(a)["stored"])["title"] == "Hòa bình"  # stored as catalogued


@pytest.mark.parametrize("value, year", [(1990, 1990), ("1990", 1990), ("c2005.", 2005), ("[199-?]", None),
                                         (None, None), ("", None), (123456, None), (True, None)])
def test_year_is_an_int(value, year):
    record = records()[0]
    record["year"] = value
    assert to_document(record)["year"] == year
    assert json.loads(to_document(record)["stored"])["year"] == year


def test_isbns_are_isbn13():
    record = records()[10]
    record["isbns"] = ["0-306-40615-2", "978-0-306-40615-7", "978-604-77-9876-9 (bìa mềm)", "bad"]
    # valid ones as ISBN-13, deduplicated; an invalid one kept as its digits (still findable as typed)
    assert to_document(record)["isbns"] == [ISBN13_HISTORY, "9786047798769"]


def test_subtitle_is_title_text_but_not_sort_key():
    doc = to_document(records()[28])
    assert doc["title"] == ["Lược sử Việt Nam", "từ khởi thuỷ đến nay"]
    assert doc["title_sort"] == vietnamese_sort_key("Lược sử Việt Nam", "u-029")
    assert doc["title_prefix"] == "luoc su viet nam"


def test_prefix_form():
    assert prefix_form("Từ điển Anh - Việt") == "tu dien anh viet"
    assert prefix_form("  L'Indochine   française ") == "l indochine francaise"


def test_missing_optional_fields():
    doc = to_document({"id": 7, "title": None})
    assert doc["id"] == "7" and doc["title"] == [] and doc["library"] == [] and doc["year"] is None
    with pytest.raises(ValueError):
        to_document({"title": "no id"})


def test_fold():
    assert fold("Đường Kách mệnh") == "duong kach menh"
    assert fold(unicodedata.normalize("NFD", "Nghệ An")) == "nghe an"
    assert fold("hoà") == fold("hòa") == "hoa"


def test_json_text_as_the_database_holds_it_gives_the_same_document():
    for record in records():
        text = json.dumps(record, ensure_ascii=False)
        assert to_document(text) == to_document(text.encode("utf-8")) == to_document(record)
    for bad in ("null", "[]", '{"title": "no id"}'):
        with pytest.raises(ValueError):
            to_document(bad)
