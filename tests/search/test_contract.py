"""The search backend contract: every adapter (see conftest.BACKENDS) must pass these, against a real engine.

Assertions are on result sets and on the relative order the design promises (exact accents first, title above
subject), never on raw scores.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import pytest

from unioncat.normalize.vietnamese import fold
from unioncat.search.backend import FACETS, BadQuery, SearchQuery, SearchResult
from unioncat.search.base import encode_cursor
from unioncat.search.collation import vietnamese_sort_key

from .records import (
    DN,
    HCM,
    HN,
    HUE,
    ISBN10_HISTORY,
    ISBN13_HISTORY,
    ISBN_KIEU,
    ISBN_KIEU_HYPHENATED,
    NA,
    records,
)

ALL = records()
ROOT = Path(__file__).resolve().parents[2]


def run(backend, q: str = "", **kw) -> SearchResult:
    kw.setdefault("size", 100)
    return backend.search(SearchQuery(q=q, **kw))


def ids(result: SearchResult) -> list[str]:
    return [h.id for h in result.hits]


def expected(pred) -> set[str]:
    return {r["id"] for r in ALL if pred(r)}


def facet(result: SearchResult, name: str) -> dict[str, int]:
    return {v.value: v.count for v in result.facets[name]}


# --------------------------------------------------------------------------- basics


def test_empty_query_matches_all_and_count(backend):
    result = run(backend)
    assert result.total == 30
    assert len(result.hits) == 30
    assert backend.count() == 30


def test_empty_backend(empty_backend):
    result = run(empty_backend, "truyện kiều")
    assert result.total == 0 and result.hits == []
    assert empty_backend.count() == 0
    assert all(result.facets[name] == [] for name in FACETS)


def test_hit_is_rendered_from_the_stored_record(backend):
    [hit] = run(backend, "title:kiều").hits
    assert hit.id == "u-002"
    assert hit.title == "Truyện Kiều"
    assert hit.authors == ["Nguyễn Du"]
    assert hit.year == 2015
    assert hit.publisher == "Nxb. Văn học"
    assert hit.isbns == [ISBN_KIEU]
    assert hit.libraries == [NA, HN, HCM]
    assert hit.holdings_count == 3


# --------------------------------------------------------------------------- Vietnamese text


def test_unaccented_query_finds_accented_records(backend):
    result = run(backend, "nghe an")
    assert set(ids(result)[:2]) == {"u-001", "u-016"}
    assert "u-002" in ids(run(backend, "truyen kieu"))
    assert "u-007" in ids(run(backend, "duong kach menh"))


@pytest.mark.parametrize("q", ["Lịch sử Nghệ An", "Đường Kách mệnh", "hòa", "Nguyễn Du", '"Truyện Kiều"'])
def test_nfd_query_equals_nfc_query(backend, q):
    nfc = run(backend, unicodedata.normalize("NFC", q))
    nfd = run(backend, unicodedata.normalize("NFD", q))
    assert nfc.total > 0
    assert ids(nfd) == ids(nfc)
    assert nfd.facets == nfc.facets


def test_nfd_documents_are_found_by_nfc_queries(empty_backend):
    record = records()[1]
    record["title"] = unicodedata.normalize("NFD", record["title"])
    record["authors"] = [unicodedata.normalize("NFD", a) for a in record["authors"]]
    empty_backend.upsert([record])
    assert ids(run(empty_backend, "Truyện Kiều")) == ["u-002"]
    assert ids(run(empty_backend, "author:nguyễn")) == ["u-002"]
    assert run(empty_backend, "kieu").hits[0].title == "Truyện Kiều"  # stored and returned as NFC


def test_a_marked_word_matches_its_own_syllable_only(backend):
    exact = {"u-003", "u-021", "u-025"}  # Hòa bình, Hoà giải (other tone placement), Chiến tranh và hòa bình
    others = {"u-004", "u-005", "u-006", "u-030"}  # hóa, hoa, họa, hóa: other words that fold to "hoa"
    result = run(backend, "hòa")
    assert ids(result)[0] == "u-003"  # hòa in title and author
    assert set(ids(result)) == exact and not (others & set(ids(result))) and not result.accent_fallback
    assert set(ids(run(backend, "HOÀ"))) == exact  # either tone placement, any case
    assert set(ids(run(backend, "ho\u0300a"))) == exact  # NFD as typed on some keyboards


def test_a_mark_error_falls_back_to_folded_matching_and_says_so(backend):
    result = run(backend, "tắt đen")  # "đen" (black) for "đèn" (lamp): nothing has both as typed
    assert ids(result) == ["u-028"] and result.accent_fallback
    assert not run(backend, "tắt đèn").accent_fallback
    assert not run(backend, "tat den").accent_fallback  # unmarked words are matched folded anyway


@pytest.mark.parametrize("typed", ["tawts ddenf", "ta8t1 d9e2n", "ta('t dde`n", "TAWTS DDENF"])
def test_words_typed_without_an_input_method_are_read_as_vietnamese(backend, typed):
    # Telex, VNI and VIQR leftovers: searched as what they stand for, and the result says what was searched
    result = run(backend, typed)
    assert ids(result) == ["u-028"]
    assert result.interpreted_query.lower() == "tắt đèn"
    assert run(backend, "tat den").interpreted_query is None  # plain unmarked words are not rewritten


def test_a_phrase_keeps_its_marked_words_as_typed_and_the_others_folded(backend):
    assert set(ids(run(backend, '"hồ chi minh"'))) == {"u-007", "u-008"}  # "Hồ" as typed, "chi" folded
    wrong = run(backend, '"hổ chí minh"')  # "hổ" (tiger) matches nothing as typed: the folded fallback
    assert set(ids(wrong)) == {"u-007", "u-008"} and wrong.accent_fallback


def test_unaccented_query_finds_every_accent_variant(backend):
    result = run(backend, "hoa")
    assert {"u-003", "u-004", "u-005", "u-006", "u-021", "u-025", "u-030"} <= set(ids(result))
    assert ids(result)[0] == "u-005"  # the only literal "hoa"
    assert set(ids(run(backend, "hóa"))[:2]) == {"u-004", "u-030"}
    assert ids(run(backend, "họa"))[0] == "u-006"


def test_duong_with_and_without_accents(backend):
    accented = run(backend, "đường")
    assert set(ids(accented)) == {"u-007", "u-013", "u-014"}  # not Dương Quảng Hàm: "dương" is another word
    assert {"u-007", "u-013", "u-014", "u-015"} == set(ids(run(backend, "duong")))
    assert {"u-007", "u-013", "u-014"} == set(ids(run(backend, "ĐƯỜNG")))  # upper case: still marked


def test_title_matches_rank_above_subject_matches(backend):
    result = run(backend, "kiều")
    assert ids(result) == ["u-002", "u-010"]  # title "Truyện Kiều" first, subject "Truyện Kiều" second


# --------------------------------------------------------------------------- query syntax


def test_phrase_and_field_prefixes(backend):
    assert ids(run(backend, '"duong kach menh"')) == ["u-007"]
    assert ids(run(backend, '"kách đường"')) == []  # order matters in a phrase
    assert set(ids(run(backend, 'author:"Nguyễn Du"'))) == {"u-002", "u-009"}
    assert set(ids(run(backend, "author: nguyen du"))) == {"u-002", "u-009"}
    assert ids(run(backend, "title:kiều")) == ["u-002"]
    assert ids(run(backend, "subject:kiều")) == ["u-010"]
    assert set(ids(run(backend, 'publisher:"giáo dục"'))) == {"u-004", "u-017"}
    assert ids(run(backend, "series:nước ngoài")) == ["u-025"]


def test_subtitle_is_searched_as_title(backend):
    assert ids(run(backend, "khởi thủy")) == ["u-029"]  # subtitle "từ khởi thuỷ đến nay", other tone placement


def test_exclusion_and_or(backend):
    assert set(ids(run(backend, '"hồ chí minh"'))) == {"u-007", "u-008"}
    assert ids(run(backend, '"hồ chí minh" -tù')) == ["u-007"]
    assert ids(run(backend, '"hồ chí minh" NOT tù')) == ["u-007"]
    assert set(ids(run(backend, "tắt OR mèn"))) == {"u-027", "u-028"}
    assert set(ids(run(backend, "\"tắt đèn\" OR \"số đỏ\""))) == {"u-026", "u-028"}
    assert run(backend, "-kiều").total == 28


@pytest.mark.parametrize(
    "q, expected_ids",
    [
        (ISBN_KIEU, ["u-002"]),
        (ISBN_KIEU_HYPHENATED, ["u-002"]),
        (f"ISBN {ISBN_KIEU_HYPHENATED}", ["u-002"]),
        (f"isbn:{ISBN_KIEU}", ["u-002"]),
        (ISBN10_HISTORY, ["u-011"]),
        (ISBN10_HISTORY.replace("-", ""), ["u-011"]),
        (ISBN13_HISTORY, ["u-011"]),
        ("isbn:0306406152", ["u-011"]),
    ],
)
def test_isbn_queries(backend, q, expected_ids):
    assert ids(run(backend, q)) == expected_ids


BAD_QUERIES = [
    '"Truyện Kiều',
    'Truyện Kiều"',
    '"',
    '""',
    "-",
    "--",
    "+",
    "+-",
    "*",
    "?",
    ":",
    "title:",
    "title:(",
    'author:"',
    "isbn:",
    "isbn:abc",
    "AND",
    "OR OR",
    "NOT",
    "(((",
    ")",
    "[2000 TO 2010]",
    "year:[2000 TO 2010]",
    "title:Kiều^5",
    "kiều~2",
    "a* b?",
    "\\",
    "\x00",
    "Truyện\x00Kiều",
    "\u202eKiều",
    "🙂",
    "a" * 10_000,
    "kiều " * 2_000,
    "x" * 600 + " kiều",
    "\u0301\u0300",  # combining marks alone
    "đ" * 300,
]


@pytest.mark.parametrize("q", BAD_QUERIES, ids=lambda q: repr(q[:20]))
def test_hostile_queries_never_raise_anything_but_bad_query(backend, q):
    try:
        result = run(backend, q)
    except BadQuery:
        return
    assert isinstance(result, SearchResult)
    assert result.total >= 0


def test_hostile_queries_give_sensible_results(backend):
    assert "u-002" in ids(run(backend, '"Truyện Kiều'))
    assert "u-002" in ids(run(backend, "Truyện\x00Kiều"))
    assert "u-002" in ids(run(backend, "kiều " * 2_000))
    assert run(backend, "-").total == 30
    assert run(backend, "title:").total == 30
    assert run(backend, "(((").total == 30
    assert ids(run(backend, "title:Kiều^5")) == ["u-002"]
    assert ids(run(backend, "kiều~2")) == ["u-002", "u-010"]


# --------------------------------------------------------------------------- filters and facets


def test_filter_or_within_a_facet(backend):
    assert set(ids(run(backend, filters={"library": [HUE]}))) == expected(lambda r: HUE in r["libraries"])
    both = run(backend, filters={"library": [HUE, DN]})
    assert set(ids(both)) == expected(lambda r: {HUE, DN} & set(r["libraries"]))
    assert both.total == len(expected(lambda r: {HUE, DN} & set(r["libraries"])))


def test_filter_and_across_facets(backend):
    result = run(backend, filters={"library": [HN], "language": ["vie"], "format": ["book"]})
    assert set(ids(result)) == expected(
        lambda r: HN in r["libraries"] and r["language"] == "vie" and r["format"] == "book"
    )
    assert ids(run(backend, filters={"format": ["map"]})) == ["u-019"]
    assert set(ids(run(backend, "truyện", filters={"library": [HN]}))) == {"u-002", "u-010"}
    assert ids(run(backend, "truyện", filters={"library": [HUE]})) == []


def test_filter_by_former_province_subject_and_year(backend):
    assert set(ids(run(backend, filters={"province": ["Quảng Nam"]}))) == expected(lambda r: DN in r["libraries"])
    nfd_subject = unicodedata.normalize("NFD", "Văn học Việt Nam")
    assert set(ids(run(backend, filters={"subject": [nfd_subject]}))) == {"u-002", "u-009", "u-015", "u-018"}
    assert set(ids(run(backend, filters={"year": ["2012"]}))) == {"u-004", "u-007"}
    assert set(ids(run(backend, filters={"year": ["2012", "2005"]}))) == {"u-001", "u-004", "u-007"}


def test_facet_counts_count_union_records(backend):
    result = run(backend, "kiều")
    assert result.total == 2  # Truyện Kiều is held by three libraries and still counts once
    assert facet(result, "library") == {NA: 1, HN: 2, HCM: 1}
    assert facet(result, "province") == {"Nghệ An": 1, "Hà Nội": 2, "Hồ Chí Minh": 1}


def test_facets_over_everything(backend):
    result = run(backend, size=0)
    assert result.hits == [] and result.total == 30
    assert set(result.facets) == set(FACETS)
    assert facet(result, "library") == dict(Counter(lib for r in ALL for lib in r["libraries"]))
    assert facet(result, "language") == {"vie": 28, "eng": 1, "fre": 1}
    assert facet(result, "format") == {"book": 27, "serial": 1, "map": 1, "score": 1}
    assert facet(result, "year") == {str(y): n for y, n in Counter(r["year"] for r in ALL if r["year"]).items()}
    assert facet(result, "subject")["Văn học Việt Nam"] == 4
    counts = [v.count for v in result.facets["library"]]
    assert counts == sorted(counts, reverse=True)


def test_facets_follow_the_filters(backend):
    result = run(backend, filters={"library": [NA]})
    assert result.total == len(expected(lambda r: NA in r["libraries"]))
    library = facet(result, "library")
    assert library[NA] == result.total
    assert library[HN] == len(expected(lambda r: NA in r["libraries"] and HN in r["libraries"]))


def test_facets_can_be_skipped(backend):
    assert run(backend, "kiều", facets=False).facets == {}


def test_year_range(backend):
    def years(**kw):
        return set(ids(run(backend, **kw)))

    assert years(year_from=2000, year_to=2010) == expected(lambda r: r["year"] and 2000 <= r["year"] <= 2010)
    assert years(year_from=2018) == expected(lambda r: r["year"] and r["year"] >= 2018)
    assert years(year_to=1970) == {"u-015"}
    assert years(year_from=2012, year_to=2012) == {"u-004", "u-007"}
    assert years(year_from=2010, year_to=2000) == set()
    assert years(year_from=-(10**12), year_to=10**12) == expected(lambda r: r["year"] is not None)


def test_bad_filters_are_bad_queries(backend):
    with pytest.raises(BadQuery):
        run(backend, filters={"colour": ["red"]})
    with pytest.raises(BadQuery):
        run(backend, filters={"year": ["nineteen-ninety"]})
    with pytest.raises(BadQuery):
        backend.search(SearchQuery(page=10**6, size=100))


def test_unknown_filter_values_match_nothing(backend):
    assert run(backend, filters={"library": ["NO-SUCH"]}).total == 0
    assert run(backend, filters={"library": []}).total == 30  # an empty list is no filter


# --------------------------------------------------------------------------- sorting and paging


def test_sort_by_year(backend):
    desc = [h.year for h in run(backend, sort="year_desc").hits]
    asc = [h.year for h in run(backend, sort="year_asc").hits]
    known = [y for y in desc if y is not None]
    assert known == sorted(known, reverse=True) and len(known) == 29
    assert [y for y in asc if y is not None] == sorted(known)
    assert desc[-1] is None and asc[-1] is None  # records without a year come last either way
    # the same year: by id, on every engine (OpenSearch sorts [year, id]; tantivy packs both into one integer)
    for sort, sign in (("year_asc", 1), ("year_desc", -1)):
        order = sorted(ALL, key=lambda r: (r["year"] is None, sign * (r["year"] or 0), r["id"]))
        assert ids(run(backend, sort=sort)) == [r["id"] for r in order]


def test_sort_by_title(backend):
    result = run(backend, sort="title")
    titles = [h.title for h in result.hits]
    assert ids(result) == [r["id"] for r in sorted(ALL, key=lambda r: vietnamese_sort_key(r["title"], r["id"]))]
    assert titles[0] == "A history of Vietnam"
    # Vietnamese collation: d before đ whatever follows; the letters of the whole title before any tone
    d_titles = [t for t in titles if fold(t[0]) == "d"]
    assert d_titles == ["Dế mèn phiêu lưu ký", "Địa chí Nghệ An", "Đường Kách mệnh", "Đường sắt Việt Nam"]
    h_titles = [t for t in titles if t.startswith("H")]
    assert h_titles == ["Hòa bình", "Hoà giải ở cơ sở", "Hóa học đại cương", "Họa sĩ Việt Nam thế kỷ XX",
                        "Hoa và cây cảnh"]


def test_sort_applies_to_a_query(backend):
    result = run(backend, "hoa", sort="year_asc")
    assert [h.year for h in result.hits] == sorted(h.year for h in result.hits)
    assert result.total == run(backend, "hoa").total


def test_paging(backend):
    everything = ids(run(backend, sort="title"))
    pages = [ids(backend.search(SearchQuery(sort="title", page=p, size=7))) for p in range(1, 6)]
    assert [len(p) for p in pages] == [7, 7, 7, 7, 2]
    assert sum(pages, []) == everything
    result = backend.search(SearchQuery(q="việt nam", page=2, size=3))
    assert result.page == 2 and result.size == 3
    assert ids(result) == ids(backend.search(SearchQuery(q="việt nam", size=6)))[3:]
    beyond = backend.search(SearchQuery(page=50, size=10))
    assert beyond.hits == [] and beyond.total == 30


# --------------------------------------------------------------------------- writes


def test_upsert_replaces_by_id(writable):
    changed = records()[1]
    changed["title"] = "Truyện Kiều (tái bản)"
    changed["libraries"] = [HUE]
    assert writable.upsert([changed]) == 1
    assert writable.count() == 30
    assert ids(run(writable, "tái bản")) == ["u-002"]
    assert run(writable, "title:kiều").hits[0].title == "Truyện Kiều (tái bản)"
    assert facet(run(writable, "title:kiều"), "library") == {HUE: 1}
    assert writable.upsert([changed, changed]) == 2  # the same id twice in one batch: still one document
    assert writable.count() == 30
    assert ids(run(writable, "title:kiều")) == ["u-002"]


def test_upsert_is_visible_on_return_and_new_records_are_added(writable):
    new = records()[0]
    new.update(id="u-100", title="Nghệ An xưa và nay", year=2022)
    writable.upsert([new])
    assert writable.count() == 31
    assert "u-100" in ids(run(writable, "nghe an xua"))
    assert writable.upsert([]) == 0


def test_delete(writable):
    writable.delete(["u-002", "no-such-id"])
    assert writable.count() == 29
    assert ids(run(writable, "kiều")) == ["u-010"]
    writable.delete([])
    assert writable.count() == 29


def test_rebuild_replaces_everything(writable):
    subset = records()[:5]
    assert writable.rebuild(subset) == 5
    assert writable.count() == 5
    assert set(ids(run(writable))) == {r["id"] for r in subset}
    assert run(writable, "kiều").total == 1
    writable.upsert([records()[5]])  # writes go to the new index
    assert writable.count() == 6


def _copies(n: int, *, fail_after: int | None = None):
    """n copies of the fixture records with ids c-00000...; raises after `fail_after` of them when given."""
    base = records()
    for i in range(n):
        if i == fail_after:
            raise RuntimeError("the database went away")
        record = dict(base[i % len(base)])
        record["id"] = f"c-{i:05d}"
        yield record


def test_a_rebuild_of_many_chunks_indexes_every_record_once(writable):
    kieu = set(ids(run(writable, "kiều")))
    # more records than a tantivy inline preparation or an OpenSearch bulk request holds; half as JSON text
    n = 6_500
    source = (json.dumps(r, ensure_ascii=False) if i % 2 else r for i, r in enumerate(_copies(n)))
    assert writable.rebuild(source) == n
    assert writable.count() == n
    assert run(writable, "kiều", size=0).total == sum(ALL[i % len(ALL)]["id"] in kieu for i in range(n))
    last = run(writable, sort="year_desc", size=100, page=65)
    assert [h.id for h in last.hits][-1] == max(
        (r["id"] for r in _copies(n) if r["year"] is None), default=None
    )


def test_a_rebuild_whose_source_fails_keeps_the_old_index(writable):
    with pytest.raises(RuntimeError, match="went away"):
        writable.rebuild(_copies(6_500, fail_after=6_200))
    assert writable.count() == 30
    assert set(ids(run(writable))) == {r["id"] for r in ALL}
    writable.upsert([records()[0]])  # and the old index still takes writes
    assert writable.count() == 30


def test_searches_while_writing(writable):
    errors: list[BaseException] = []

    def reader(i: int) -> int:
        try:
            return run(writable, ["kiều", "hoa", "nghe an", ""][i % 4], filters={"language": ["vie"]}).total
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
            raise

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(reader, i) for i in range(200)]
        for n in range(10):
            extra = records()[n]
            extra["id"] = f"u-2{n:02d}"
            writable.upsert([extra])
        for f in futures:
            f.result()
    assert errors == []
    assert writable.count() == 40


# --------------------------------------------------------------------------- highlights


def hit(result: SearchResult, doc_id: str):
    return next(h for h in result.hits if h.id == doc_id)


def test_highlights_mark_the_matched_words_in_the_catalogued_text(backend):
    kieu = hit(run(backend, "kieu"), "u-002")
    assert kieu.highlights == {"title": ["Truyện <mark>Kiều</mark>"]}
    assert hit(run(backend, "kieu"), "u-010").highlights == {"subjects": ["Truyện <mark>Kiều</mark>"]}
    # the folded match marks every accent variant, the text keeps its own tone placement
    assert hit(run(backend, "hoa"), "u-021").highlights["title"] == ["<mark>Hoà</mark> giải ở cơ sở"]
    # a phrase marks the run of words; other fields with the same words are marked too
    hcm = hit(run(backend, '"ho chi minh"'), "u-007").highlights
    assert hcm == {"authors": ["<mark>Hồ Chí Minh</mark>"]}
    assert hit(run(backend, 'title:"nghe an"'), "u-001").highlights == {"title": ["Lịch sử <mark>Nghệ An</mark>"]}
    assert hit(run(backend, "title:nghe an"), "u-001").highlights == {
        "title": ["Lịch sử <mark>Nghệ An</mark>"], "subjects": ["Nghệ <mark>An</mark>"],
        "publisher": ["Nxb. Nghệ <mark>An</mark>"],
    }
    assert all(h.highlights is None for h in run(backend).hits)  # nothing asked, nothing marked
    assert all(h.highlights is None for h in run(backend, "kieu", highlight=False).hits)


def test_highlights_are_html_escaped(empty_backend):
    record = records()[1]
    record["title"] = 'Kiều <script>alert("x")</script> & co'
    empty_backend.upsert([record])
    [found] = run(empty_backend, "kiều script").hits
    assert found.highlights["title"] == [
        '<mark>Kiều</mark> &lt;<mark>script</mark>&gt;alert(&quot;x&quot;)&lt;/<mark>script</mark>&gt; &amp; co'
    ]


# --------------------------------------------------------------------------- cursors (deep paging)


def follow(backend, **kw) -> tuple[list[str], int]:
    """Every hit id by following next_cursor from the first page; and how many pages that took."""
    seen: list[str] = []
    query = SearchQuery(**kw)
    pages = 0
    while True:
        result = backend.search(query)
        pages += 1
        seen += ids(result)
        assert result.total == kw.get("expected_total", result.total)
        if result.next_cursor is None:
            return seen, pages
        query = query.model_copy(update={"cursor": result.next_cursor})


@pytest.mark.parametrize("sort", ["title", "year_desc", "year_asc", "relevance"])
@pytest.mark.parametrize("size", [1, 4, 7])
def test_cursor_pages_through_everything_once_in_order(backend, sort, size):
    everything = ids(run(backend, sort=sort))
    seen, pages = follow(backend, sort=sort, size=size)
    assert len(seen) == len(set(seen)) == 30
    if sort == "relevance":
        assert set(seen) == set(everything)  # all scores are equal: any order, but each once
    else:
        assert seen == everything
    assert pages == -(-30 // size)


def test_cursor_with_query_filters_and_facets(backend):
    query = SearchQuery(q="việt nam", sort="year_desc", size=2, filters={"language": ["vie"]})
    first = backend.search(query)
    everything = ids(backend.search(query.model_copy(update={"size": 100})))
    seen = ids(first)
    cursor = first.next_cursor
    while cursor:
        page = backend.search(query.model_copy(update={"cursor": cursor}))
        assert page.total == first.total and page.facets == first.facets  # totals and facets stay whole
        seen += ids(page)
        cursor = page.next_cursor
    assert seen == everything


def test_cursor_from_a_numbered_page_continues_after_it(backend):
    everything = ids(run(backend, sort="year_asc"))
    third = backend.search(SearchQuery(sort="year_asc", size=4, page=3))
    assert ids(third) == everything[8:12]
    after = backend.search(SearchQuery(sort="year_asc", size=4, cursor=third.next_cursor))
    assert ids(after) == everything[12:16]
    assert after.page == 4


def test_cursor_of_another_search_or_garbage_is_a_bad_query(backend):
    cursor = backend.search(SearchQuery(q="hoa", sort="title", size=2)).next_cursor
    assert cursor
    for bad in (SearchQuery(q="kiều", sort="title", size=2, cursor=cursor),  # another query
                SearchQuery(q="hoa", sort="year_asc", size=2, cursor=cursor),  # another sort
                SearchQuery(q="hoa", sort="title", cursor="not-a-cursor"),
                SearchQuery(q="hoa", sort="title", cursor="x" * 5000),
                SearchQuery(q="hoa", sort="title", cursor="eyJ2IjoxfQ")):  # {"v":1}
        with pytest.raises(BadQuery):
            backend.search(bad)
    # the same search with another page size or without facets may use it
    assert backend.search(SearchQuery(q="hoa", sort="title", size=3, facets=False, cursor=cursor)).hits


@pytest.mark.parametrize("after", [[2**70, 0], [-(2**70), 0], [1, -1], ["x", 0], [None, None], [1.5, 0], {}])
def test_a_forged_cursor_state_is_never_an_engine_error(backend, after):
    """A client may send any cursor: a page or a 400, never a 503 or an engine exception."""
    query = SearchQuery(q="hoa", sort="year_asc", size=2)
    try:
        result = backend.search(query.model_copy(update={"cursor": encode_cursor(query, 2, after)}))
    except BadQuery:
        return
    assert result.total == run(backend, "hoa").total


def test_no_cursor_on_the_last_page(backend):
    assert run(backend).next_cursor is None
    assert run(backend, "kiều").next_cursor is None
    assert backend.search(SearchQuery(size=0)).next_cursor is None


# --------------------------------------------------------------------------- autocomplete and did you mean


def test_autocomplete_title_prefix_folded(backend):
    assert backend.suggest("lich s") == ["Lịch sử Nghệ An"]
    assert backend.suggest("Lịch sử") == ["Lịch sử Nghệ An"]
    assert backend.suggest("duong") == ["Đường Kách mệnh", "Đường sắt Việt Nam", "Con đường xưa em đi"]
    assert set(backend.suggest("nghe")) == {"Lịch sử Nghệ An", "Địa chí Nghệ An", "Ca dao Nghệ Tĩnh"}
    assert backend.suggest("tu dien anh v") == ["Từ điển Anh - Việt"]  # punctuation is not a word
    hoa = {"Hòa bình", "Hoà giải ở cơ sở", "Hóa học đại cương", "Họa sĩ Việt Nam thế kỷ XX", "Hoa và cây cảnh"}
    got = backend.suggest("hoa ")  # a finished word: every accent variant of hoa, not "hoàng"
    assert set(got[:5]) == hoa  # titles starting with it first, then titles with it anywhere
    assert set(got[5:]) == {"Chiến tranh và hòa bình", "Giáo trình hóa sinh"}
    assert backend.suggest("hoa v") == ["Hoa và cây cảnh"]
    marked = backend.suggest("hòa ")  # marked: its own syllable first, either tone placement
    assert set(marked[:3]) == {"Hòa bình", "Hoà giải ở cơ sở", "Chiến tranh và hòa bình"}
    assert backend.suggest("đường s")[0] == "Đường sắt Việt Nam"
    assert len(backend.suggest("h", size=10)) == 0  # too short to be useful
    assert len(backend.suggest("viet", size=2)) == 2


@pytest.mark.parametrize("q", ["", " ", "\x00", '"', "*", "a" * 10_000, "(((", "🙂"])
def test_autocomplete_never_fails(backend, q):
    assert isinstance(backend.suggest(q), list)


def test_did_you_mean_for_typos(backend):
    result = run(backend, "truyen kieuu")
    assert result.total == 0 and result.did_you_mean == "truyen kieu"
    assert run(backend, "Truyện Kiềuu").did_you_mean == "Truyện kiều"  # accents typed: accents suggested
    assert run(backend, "duong kach mehn").did_you_mean == "duong kach menh"
    assert run(backend, "nguyen duu").did_you_mean == "nguyen du"
    assert run(backend, "xqzwvk").did_you_mean is None
    assert run(backend, "kiều").did_you_mean is None  # found something: no suggestion
    # the suggestion must find something under the same filters
    assert run(backend, "truyen kieuu", filters={"library": [HUE]}).did_you_mean is None
    assert run(backend, "truyen kieuu", spellcheck=False).did_you_mean is None


# --------------------------------------------------------------------------- provinces before 2025


def test_former_province_names_find_the_holdings(empty_backend):
    """QBI (Quảng Bình library) is in Quảng Trị since 2025-07-01: both names find its holdings."""
    from harvesters.definitions import load_definitions
    from unioncat.dedup.merge import LibraryInfo, Member, build_union_record
    from unioncat.normalize.record import CanonicalRecord, Holding

    defs = {d.code: d for d in load_definitions(ROOT / "harvesters" / "libraries" / "bac-mien-trung")}
    qbi = defs["QBI"]
    libraries = {"QBI": LibraryInfo(qbi.code, qbi.name, qbi.province, tuple(qbi.former_provinces))}
    canonical = CanonicalRecord(source_format="marc21", title="Địa chí Quảng Bình", year=2005,
                                holdings=[Holding(call_number="915.97 Đ301")])
    union = build_union_record("u-qbi", [Member(1, "QBI", "oai:qbi:1", canonical)], libraries)
    assert empty_backend.upsert([union]) == 1
    for province in ("Quảng Bình", "Quảng Trị"):
        assert ids(run(empty_backend, filters={"province": [province]})) == ["u-qbi"]
    assert facet(run(empty_backend), "province") == {"Quảng Bình": 1, "Quảng Trị": 1}
