"""The query parser: pure, engine-neutral, and total (every input gives a ParsedQuery)."""

from __future__ import annotations

import unicodedata

import pytest

from unioncat.search.query import MAX_QUERY_CHARS, MAX_TERMS, Term, clean_query_text, parse_query


def words(q: str) -> list[list[str]]:
    return [[t.text for t in clause] for clause in parse_query(q).must]


def test_free_words_and_phrases():
    p = parse_query('"Truyện Kiều" Nguyễn Du')
    assert p.must == (
        (Term("Truyện Kiều", phrase=True),),
        (Term("Nguyễn"),),
        (Term("Du"),),
    )
    assert p.must_not == ()


def test_smart_quotes_are_phrases():
    assert parse_query("“Đường Kách mệnh”").must == ((Term("Đường Kách mệnh", phrase=True),),)


def test_a_one_word_phrase_is_a_word():
    assert parse_query('"Kiều"').must == ((Term("Kiều"),),)


@pytest.mark.parametrize(
    "q, field",
    [("title:Kiều", "title"), ("ti:Kiều", "title"), ("author:Kiều", "author"), ("AU:Kiều", "author"),
     ("subject:Kiều", "subject"), ("publisher:Kiều", "publisher"), ("series:Kiều", "series")],
)  # fmt: skip
def test_field_prefixes(q, field):
    assert parse_query(q).must == ((Term("Kiều", field=field),),)


def test_field_prefix_applies_to_the_next_word_or_phrase():
    assert parse_query('author: "Nguyễn Du" Kiều').must == (
        (Term("Nguyễn Du", field="author", phrase=True),),
        (Term("Kiều"),),
    )
    assert parse_query("title: Kiều").must == ((Term("Kiều", field="title"),),)


def test_unknown_prefix_is_text():
    assert words("foo:bar") == [["foo:bar"]]


def test_exclusion_or_and():
    p = parse_query("a -b NOT c +d AND e OR f")
    assert words("a -b NOT c +d AND e OR f") == [["a"], ["d"], ["e", "f"]]
    assert [t.text for t in p.must_not] == ["b", "c"]
    assert parse_query('-title:"a b"').must_not == (Term("a b", field="title", phrase=True),)


def test_a_lone_hyphen_between_words_is_not_an_operator():
    assert words("Hà Nội - Huế") == [["Hà"], ["Nội"], ["Huế"]]
    assert parse_query("Hà Nội - Huế").must_not == ()


@pytest.mark.parametrize(
    "q", ["978-604-00-0001-9", "9786040000019", "ISBN 978-604-00-0001-9", "isbn:9786040000019"]
)
def test_isbn_13(q):
    isbn = "9786040000019"
    [[term]] = parse_query(q).must
    assert term.isbn == isbn


@pytest.mark.parametrize("q", ["0-306-40615-2", "0306406152", "isbn:0-306-40615-2"])
def test_isbn_10_becomes_13(q):
    [[term]] = parse_query(q).must
    assert term.isbn == "9780306406157"


def test_invalid_check_digit_is_not_an_isbn_but_isbn_prefix_still_searches_isbns():
    [[term]] = parse_query("978-604-00-0001-3").must
    assert term.isbn is None
    [[term]] = parse_query("isbn:978-604-00-0001-3").must
    assert term.isbn == "9786040000013" and term.field == "isbn"


def test_number_that_is_not_an_isbn_stays_a_word():
    [[term]] = parse_query("1234567890").must
    assert term.isbn is None and term.text == "1234567890"
    assert words("ISBN") == [["ISBN"]]  # only a label when an ISBN follows


@pytest.mark.parametrize(
    "q",
    ["", "   ", "-", "--", "+", "*", "?", ":", "(", ")", "(((", '"', '""', "AND", "OR", "NOT", "title:",
     "isbn:", "isbn:abc", "\x00", "\u200b", "\\", "&&", "||", "\u0301"],
)  # fmt: skip
def test_empty_and_operator_only_queries_are_empty(q):
    p = parse_query(q)
    assert p.is_empty
    assert p.must_not == ()


def test_unbalanced_quote_reads_plain_words():
    assert words('"Truyện Kiều') == [["Truyện"], ["Kiều"]]
    assert words('Truyện "Kiều" "Nguyễn') == [["Truyện"], ["Kiều"], ["Nguyễn"]]


def test_control_characters_are_removed():
    assert words("Truyện\x00Kiều\x1b") == [["Truyện"], ["Kiều"]]
    assert "\x00" not in clean_query_text("a\x00b")[0]


def test_long_input_is_truncated():
    p = parse_query("kiều " * 5_000)
    assert p.truncated
    assert len(p.text) <= MAX_QUERY_CHARS
    assert len(p.terms()) == MAX_TERMS
    assert len(parse_query("a" * 10_000).text) == MAX_QUERY_CHARS


def test_nfc():
    nfd = unicodedata.normalize("NFD", "Lịch sử Nghệ An")
    assert parse_query(nfd) == parse_query("Lịch sử Nghệ An")
    assert words(nfd) == [["Lịch"], ["sử"], ["Nghệ"], ["An"]]


def test_edge_punctuation_is_stripped_inner_kept():
    assert words("(Kiều) kách-mệnh* title:Kiều^5 kiều~2") == [["Kiều"], ["kách-mệnh"], ["Kiều"], ["kiều"]]


def test_words_the_catalogue_holds_are_never_read_as_telex():
    from unioncat.search.input_methods import interpret

    catalogue = {"introduction", "to", "law", "la", "down", "don", "co2", "co", "truyen", "kieu", "du", "nguyen"}

    def known(words):
        return set(words) & catalogue

    assert interpret("introduction to law", known) == "introduction to law"
    assert interpret("down and out", known) == "down and out"
    assert interpret("khí co2", known) == "khí co2"
    assert interpret("truyeenj kieeuf, nguyeenx du", known) == "truyện kiều, nguyễn du"
    assert interpret("(truyeenj kieeuf)", known) == "(truyện kiều)"
    assert interpret("title:kieeuf -truyeenj", known) == "title:kiều -truyện"
