"""The scored matcher on the variations real cataloguing produces, and the vetoes that keep other
manifestations apart (issue 17). Each pair is two libraries' records of one book, or of two books."""

import pytest

from unioncat.dedup import weights
from unioncat.dedup.keys import MatchView, blocking_keys
from unioncat.dedup.matching import decide
from unioncat.dedup.statements import edition_key, volume_key
from unioncat.normalize.record import CanonicalRecord, Person


def rec(**kw) -> CanonicalRecord:
    base = dict(source_format="marc21", title="Lịch sử Đảng bộ tỉnh Nghệ An", authors=[Person(name="Trần Văn Hùng")],
                year=2015, publisher="Nxb. Nghệ An", pages=320, language="vie")
    return CanonicalRecord(**(base | kw))


def pair(a: dict, b: dict):
    va, vb = MatchView.of(1, "THA", rec(**a)), MatchView.of(2, "NAN", rec(**b))
    return va, vb, decide(va, vb)


SAME = {
    "typing error in the title": ({}, {"title": "Lịch sử Đảng bộ tỉnh Nghệ Ah"}),
    "a wrong tone mark": ({}, {"title": "Lịch sử Đảng bộ tỉnh Nghê An"}),
    "OCR error and a doubled letter": ({}, {"title": "Lịch sử Đảng bộ tỉnnh Nghệ Ạn"}),
    "a dropped diacritic": ({}, {"title": "Lich sử Đảng bộ tỉnh Nghệ An"}),
    "leading article kept by one library": (
        {"title": "The history of Vietnam", "language": "eng", "authors": [Person(name="Smith, John")]},
        {"title": "History of Vietnam", "language": "eng", "authors": [Person(name="John Smith")]}),
    "Vietnamese article dropped": ({"title": "Những người con xứ Nghệ"}, {"title": "Người con xứ Nghệ"}),
    "volume in the title vs in $n": ({"title": "Lịch sử Nghệ An. Tập 2"}, {"title": "Lịch sử Nghệ An", "part": "T. 2"}),
    "Vol. II vs quyển 2": ({"title": "Lịch sử Nghệ An", "part": "Vol. II"}, {"title": "Lịch sử Nghệ An", "part": "quyển 2"}),
    "title from the variant title": ({"title": "Lịch sử Đảng bộ Nghệ An (1930-2015)"},
                                     {"variant_titles": ["Lịch sử Đảng bộ Nghệ An (1930-2015)"]}),
    "author only in the statement of responsibility": (
        {}, {"authors": [], "statement_of_responsibility": "Trần Văn Hùng chủ biên"}),
    "year of the printing": ({}, {"year": 2016}),
    "another binding's ISBN": ({"isbns": ["9786049580123"]}, {"isbns": ["9786041234567"]}),
    "subtitle on one side only": ({"subtitle": "1930-2015"}, {}),
    "subtitle written into $a": ({"subtitle": "1930-2015"}, {"title": "Lịch sử Đảng bộ tỉnh Nghệ An 1930-2015"}),
    "ALL CAPS and ISBD punctuation": ({}, {"title": "LỊCH SỬ ĐẢNG BỘ TỈNH NGHỆ AN /", "publisher": "NXB Nghệ An"}),
    "a new printing is not an edition": ({"edition": "In lần thứ 2"}, {}),
    "the name inverted": ({}, {"authors": [Person(name="Trần, Văn Hùng")]}),
    "an edition written in words and in digits": ({"edition": "Twentieth edition"}, {"edition": "20th ed."}),
    "a year edition either way": ({"edition": "Ed. 2010"}, {"edition": "2010 ed."}),
    "a volume in the title as 'phần'": ({"title": "Kinh tế vĩ mô phần 2"}, {"title": "Kinh tế vĩ mô", "part": "Phần 2"}),
    "the translator listed first on one side": (
        {"authors": [Person(name="Lê Văn Ba", role="dịch")], "statement_of_responsibility": "Trần Văn Hùng"},
        {"authors": [Person(name="Trần Văn Hùng"), Person(name="Lê Văn Ba", role="dịch")]}),
}

DIFFERENT = {
    "another edition": ({"edition": "Tái bản lần thứ 1"}, {"edition": "Xuất bản lần 3, có sửa chữa bổ sung"}),
    "the third edition against the second": ({"edition": "Tái bản lần thứ 2"}, {"edition": "2nd ed."}),
    "a revised edition against the first": ({"edition": "Rev. ed."}, {}),
    "a new edition stated only on one side": ({"edition": "Ấn bản mới"}, {"edition": "Xuất bản lần thứ nhất"}),
    "another volume": ({"part": "Tập 1"}, {"part": "Tập 2"}),
    "a volume in the title against another in $n": ({"title": "Lịch sử Nghệ An. Tập 1"},
                                                   {"title": "Lịch sử Nghệ An", "part": "Quyển 2"}),
    "a translation": ({"language": "vie"}, {"language": "eng"}),
    "volumes 1-2 bound together against volume 1": ({"part": "Tập 1-2"}, {"part": "Tập 1"}),
    "volume 2A against the set": ({"part": "Tập 2A"}, {}),
    "a named part against the whole": ({"part": "Quyển thượng"}, {}),
    "two periods of one history": ({"part": "1945-1954"}, {"part": "1945-1975"}),
    "an edition abbreviated 'Tb.'": ({"edition": "Tb. lần 1"}, {}),
    "another translation": ({"authors": [Person(name="Trần Văn Hùng"), Person(name="Lê Văn Ba", role="dịch")]},
                            {"authors": [Person(name="Trần Văn Hùng"), Person(name="Phạm Thị Mai", role="người dịch")]}),
    "an audio book by its 007": ({}, {"format": "audio"}),
    "an e-book": ({}, {"format": "electronic"}),
    "a recycled ISBN": ({"isbns": ["9786049580123"]}, {"title": "Truyện Kiều", "isbns": ["9786049580123"]}),
    "the same author's other book": ({}, {"title": "Lịch sử Đảng bộ tỉnh Hà Tĩnh"}),
    "another author": ({}, {"authors": [Person(name="Nguyễn Thị Lan")]}),
    "a reprint years later": ({}, {"year": 2021}),
    "a short title and a year only": ({"title": "Thơ", "authors": [], "publisher": None, "pages": None},
                                      {"title": "Thơ", "authors": [], "publisher": "Nxb. Văn học", "pages": None}),
    "a tone mark that makes another word": (
        {"title": "Vấn đề", "authors": [], "pages": None}, {"title": "Vấn dê", "authors": [], "pages": None}),
}


@pytest.mark.parametrize("variation", SAME)
def test_the_same_book_catalogued_another_way_matches(variation):
    a, b, d = pair(*SAME[variation])
    assert d.match, (variation, d.reasons, d.comparisons)
    assert set(blocking_keys(a)) & set(blocking_keys(b)), "the pair must meet as candidates"


@pytest.mark.parametrize("variation", DIFFERENT)
def test_other_manifestations_never_match(variation):
    _, _, d = pair(*DIFFERENT[variation])
    assert not d.match, (variation, d.reasons, d.comparisons)


def test_the_evidence_shows_every_comparison_and_adds_up():
    _, _, d = pair({}, {"title": "Lịch sử Đảng bộ tỉnh Nghệ Ah", "pages": 322})
    evidence = d.evidence()
    assert evidence["rule"] == "score" and evidence["threshold"] == weights.THRESHOLD
    fields = {f: (level, w) for f, level, w in evidence["comparisons"]}
    assert fields["title"] == ("similar", weights.TITLE["similar"])
    assert fields["author"] == ("same", weights.AUTHOR["same"]) and fields["pages"][0] == "same"
    assert evidence["score"] == pytest.approx(sum(w for _, w in fields.values()))


def test_edition_and_volume_statements_however_written():
    # "Tái bản lần thứ N" is the N-th re-edition: edition N + 1
    assert edition_key("Tái bản lần thứ 1") == edition_key("2nd ed.") == edition_key("Second edition") == (2,)
    assert edition_key("Tái bản lần thứ hai") == edition_key("Xuất bản lần 3, có sửa chữa bổ sung") == (3,)
    assert edition_key("In lần thứ 2, có sửa chữa và bổ sung") == ("rev",)  # a revised printing is an edition
    assert edition_key("Rev. ed.") == edition_key("Ấn bản mới") == edition_key("Tái bản có bổ sung") == ("rev",)
    assert edition_key("In lần thứ 3") == edition_key("Reprinted 2001") == edition_key("1st ed.") == ()
    assert edition_key("Xuất bản năm 2015") == ()  # "năm" is the year here, not the number five
    assert volume_key("Tập 2") == volume_key("T. 2") == volume_key("Vol. II") == volume_key("quyển hai") == (2,)
    assert volume_key("Q. 3, Ph. 1") == (3, 1) and volume_key("Ngữ pháp") == ()


def test_the_english_article_is_not_stripped_from_vietnamese():
    # "Thế kỷ XX" folds to "the ky xx": "the" is an article only in English
    a = MatchView.of(1, "A", rec(title="Thế kỷ XX", language="vie"))
    b = MatchView.of(2, "B", rec(title="Kỷ XX", language="vie"))
    assert not (a.titles & b.titles)


def test_a_new_scorer_version_changes_every_fingerprint(monkeypatch):
    view = MatchView.of(1, "THA", rec())
    before = view.fingerprint()
    monkeypatch.setattr("unioncat.dedup.keys.SCORER_VERSION", "test")
    assert view.fingerprint() != before
