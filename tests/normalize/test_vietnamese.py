"""Vietnamese text: repairs (and the text they must leave alone), folding, tone placement, keys."""

from __future__ import annotations

import unicodedata

import pytest

from unioncat.normalize.vietnamese import (
    author_key,
    fold,
    is_vietnamese_syllable,
    nfc,
    normalize_place,
    normalize_publisher,
    normalize_tone,
    parse_pages,
    publisher_key,
    repair_text,
    title_key,
)


@pytest.mark.parametrize(
    ("damaged", "expected", "what"),
    [
        ("Nha \u0300xuất bản", "Nhà xuất bản", "diacritics"),  # mark detached after a space
        ("Ch" + "e\u0301\u0302" + " Lan Viên", "Chế Lan Viên", "diacritics"),  # tone before circumflex
        ("Nh\u0300a xuất bản", "Nhà xuất bản", "diacritics"),  # MARC-8 order: mark before its base
        ("Kho¸ luËn tèt nghiÖp", "Khoá luận tốt nghiệp", "TCVN3"),
        ("Ng« thÞ linh T×m hiÓu ddc viÖt ho¸ 14", "Ngô thị linh Tìm hiểu ddc việt hoá 14", "TCVN3"),
        ("Nh÷ng nguyªn t¾c cÇn tu©n thñ", "Những nguyên tắc cần tuân thủ", "TCVN3"),
        ("Khæ mÉu MARC 21 cho d÷ liÖu th− môc", "Khổ mẫu MARC 21 cho dữ liệu thư mục", "TCVN3"),
        ("Vieät Nam", "Việt Nam", "VNI"),
        ("Nguyeãn Vaên", "Nguyễn Văn", "VNI"),
        ("Xin chaøo caùc baïn", "Xin chào các bạn", "VNI"),
        ("PHAÀN MEÀM QUAÛN TRÒ THÖ VIEÄN", "PHẦN MỀM QUẢN TRỊ THƯ VIỆN", "VNI"),
        ("Viêòt Nam", "Việt Nam", "1258"),
        ("NguyêÞn", "Nguyễn", "1258"),
        ("ÐýõÌng", "Đường", "1258"),
    ],
)
def test_repairs_damaged_vietnamese(damaged, expected, what):
    text, repairs = repair_text(damaged)
    assert text == expected
    assert unicodedata.is_normalized("NFC", text)
    assert len(repairs) == 1 and what in repairs[0]


@pytest.mark.parametrize(
    "good",
    [
        "Müller",
        "café",
        "Đà Nẵng",
        "São Paulo",
        "Ñandú",
        "España",
        "año",
        "não",
        "Les Misérables",
        "Hôtel de la Plage",
        "François",
        "Über die Straße",
        "Größe schön für Mädchen",
        "Kraków",
        "Tên là gì",  # Vietnamese that happens to fit in Latin-1
        "Handwörterbuch des Volksschulwesens",
        "Bulletin de la Société linnéenne de Bordeaux",
        "Nguyễn Việt Hoàng",
        "Lịch sử Việt Nam",
        "ćevapi",
        "Ṛgveda",
        "1 sound disc : analog, 78 rpm ; 10 in.",
    ],
)
def test_leaves_good_text_alone(good):
    text, repairs = repair_text(good)
    assert text == good
    assert repairs == []


def test_decomposed_input_comes_back_nfc_without_a_repair_note():
    nfd = unicodedata.normalize("NFD", "Nguyễn Du — Truyện Kiều")
    text, repairs = repair_text(nfd)
    assert text == "Nguyễn Du — Truyện Kiều"
    assert repairs == []
    assert nfc(nfd) == text


def test_combining_garbage_from_a_wrong_charset_is_not_rearranged():
    garbage = "\u0328\u030b\u0301\ufe23\u0315 \u0327\u0328\u0326\u0302\u0308\u0303\u0309\u0301\u0302"
    text, repairs = repair_text(garbage)
    assert repairs == []
    assert text == unicodedata.normalize("NFC", garbage)


@pytest.mark.parametrize(
    ("word", "ok"),
    [("nghiêng", True), ("người", True), ("khuỷu", True), ("tốt", True), ("Quốc", True), ("già", True),
     ("tèt", False), ("cafộ", False), ("sẫo", False), ("Müller", False), ("hoà", True), ("hòa", True)],
)  # fmt: skip
def test_syllable_check(word, ok):
    assert is_vietnamese_syllable(word) is ok


@pytest.mark.parametrize(
    ("old", "new"),
    [("hòa", "hoà"), ("thủy", "thuỷ"), ("Hóa", "Hoá"), ("khỏe", "khoẻ"), ("Khánh Hòa", "Khánh Hoà"),
     ("quả", "quả"), ("già", "già"), ("người", "người"), ("hoàn", "hoàn"), ("Thanh Hóa", "Thanh Hoá")],
)  # fmt: skip
def test_tone_placement_is_one_style(old, new):
    assert normalize_tone(old) == new
    assert normalize_tone(new) == new


def test_tone_placement_leaves_foreign_words():
    assert normalize_tone("où est Müller") == "où est Müller"


def test_fold():
    assert fold("Đường Nguyễn Đình Chiểu") == "duong nguyen dinh chieu"
    assert fold("hoà") == fold("hòa") == fold("hoa") == "hoa"
    assert fold("Thủy") == fold("Thuỷ") == "thuy"
    assert fold(unicodedata.normalize("NFD", "Việt Nam")) == "viet nam"
    assert fold("Müller Straße Øresund") == "muller strasse oresund"
    # folding is lossy by design, and that is exactly what search relies on
    assert fold("Dương") == fold("Đương") == fold("Đường") == "duong"


def test_title_key():
    assert title_key("Truyện Kiều : thơ /") == title_key("TRUYỆN KIỀU - THƠ") == "truyen kieu tho"
    assert title_key("Khánh Hòa xưa") == title_key("Khánh Hoà  xưa.")
    assert title_key("Lịch sử") != title_key("Lịch sử Việt Nam")
    assert title_key(None) == ""


def test_author_key_ignores_order_case_and_punctuation():
    forms = ["Nguyễn Văn A", "Nguyễn, Văn A", "NGUYỄN VĂN A", "Nguyễn Văn A,", "nguyen van a"]
    assert {author_key(f) for f in forms} == {"a nguyen van"}
    assert author_key("Smith, John") == author_key("John Smith") == author_key("Smith, John, 1890-1969.")
    assert author_key("Hồ, Chí Minh, 1890-1969") == author_key("Hồ Chí Minh")
    assert author_key("Nguyễn Văn A") != author_key("Nguyễn Văn B")


@pytest.mark.parametrize(
    "raw", ["Nxb. Kim Đồng", "Nhà xuất bản Kim Đồng", "NXB Kim Đồng", "Nxb.Kim Đồng :", "NXB. Kim Đồng,"]
)
def test_publisher_forms(raw):
    assert normalize_publisher(raw) == ("Nxb. Kim Đồng", "kim dong")
    assert publisher_key(raw) == "kim dong"


def test_publisher_without_prefix_and_renamed_forms():
    assert normalize_publisher("Kim Đồng,").key == "kim dong"
    assert normalize_publisher("BFI (British Film Institute) Publishing,").display == (
        "BFI (British Film Institute) Publishing"
    )
    a = normalize_publisher("Nxb. Chính trị quốc gia – Sự thật").key
    b = normalize_publisher("NXB. Chính trị Quốc gia Sự thật").key
    assert a == b == "chinh tri quoc gia su that"
    assert normalize_publisher("") == ("", "")


@pytest.mark.parametrize(
    ("raw", "place"),
    [("H. :", "Hà Nội"), ("H", "Hà Nội"), ("Hà Nội", "Hà Nội"), ("[H.]", "Hà Nội"), ("Tp. HCM", "TP. Hồ Chí Minh"),
     ("TP. Hồ Chí Minh :", "TP. Hồ Chí Minh"), ("Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh"), ("Huế ;", "Huế"),
     ("London :", "London"), ("[S.l.] :", None), ("", None)],
)  # fmt: skip
def test_place(raw, place):
    assert normalize_place(raw) == place


@pytest.mark.parametrize(
    ("extent", "pages"),
    [("245 tr. ; 21 cm", 245), ("xii, 320 p.", 320), ("320 trang", 320), ("xii, 320, [8] p. :", 320),
     ("2 v. (xii, 845 p.) ;", 845), ("192 p.", 192), ("1 sound disc :", None), ("v. ;", None), (None, None),
     ("24 cm", None)],
)  # fmt: skip
def test_parse_pages(extent, pages):
    assert parse_pages(extent) == pages
