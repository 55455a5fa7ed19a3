"""Matching decisions on canonical records a cataloguer would recognise."""

from unioncat.dedup.keys import MatchView, blocking_keys
from unioncat.dedup.matching import decide
from unioncat.dedup.merge import LibraryInfo, Member, build_union_record
from unioncat.normalize.record import CanonicalRecord, Holding, Person


def rec(**kw) -> CanonicalRecord:
    base = dict(source_format="marc21", title="Lịch sử Nghệ An", authors=[Person(name="Nguyễn Văn A")], year=2015,
                publisher="Nxb. Nghệ An", isbns=["9786049580123"], pages=320)
    return CanonicalRecord(**(base | kw))


def view(rid, lib, r):
    return MatchView.of(rid, lib, r)


def test_same_isbn_and_title_match_across_cataloguing_styles():
    a = view(1, "THA", rec())
    b = view(2, "NAN", rec(title="LỊCH SỬ NGHỆ AN", authors=[Person(name="Nguyễn, Văn A")], publisher="Nhà xuất bản Nghệ An"))
    d = decide(a, b)
    assert d.match and d.rule == "isbn"


def test_title_author_year_match_without_isbn_and_with_other_tone_placement():
    a = view(1, "THA", rec(title="Lịch sử Thanh Hóa", isbns=[]))
    b = view(2, "HTI", rec(title="Lịch sử Thanh Hoá", isbns=[], authors=[Person(name="Nguyễn, Văn A")]))
    assert set(blocking_keys(a)) & set(blocking_keys(b))
    assert decide(a, b).match


def test_volumes_never_merge_even_with_a_shared_set_isbn():
    a = view(1, "THA", rec(part="Tập 1"))
    b = view(2, "NAN", rec(part="Tập 2"))
    d = decide(a, b)
    assert not d.match and "volume or part differs" in d.reasons


def test_editions_and_distant_years_veto():
    assert not decide(view(1, "A", rec(edition="Tái bản lần thứ 2")), view(2, "B", rec(edition="Tái bản lần thứ 3"))).match
    assert not decide(view(1, "A", rec(isbns=[], year=2001)), view(2, "B", rec(isbns=[], year=2009))).match


def test_shared_isbn_with_disagreeing_titles_is_a_veto():
    d = decide(view(1, "A", rec()), view(2, "B", rec(title="Truyện Kiều")))
    assert not d.match and any("titles disagree" in r for r in d.reasons)


def test_union_record_prefers_complete_member_and_keeps_every_holding():
    caps = rec(title="LỊCH SỬ NGHỆ AN", holdings=[Holding(call_number="959.742 L302S")])
    good = rec(subjects=["Lịch sử", "Nghệ An"], holdings=[Holding(call_number="9(V)2 L302S", barcode="VV1")])
    libs = {"THA": LibraryInfo("THA", "Thư viện tỉnh Thanh Hóa", "Thanh Hóa"),
            "QBI": LibraryInfo("QBI", "Thư viện tỉnh Quảng Bình", "Quảng Trị", ("Quảng Bình",))}
    u = build_union_record("u1", [Member(1, "THA", "oai:tha:1", caps), Member(2, "QBI", "oai:qbi:9", good)], libs)
    assert u["title"] == "Lịch sử Nghệ An"
    assert u["libraries"] == ["QBI", "THA"]
    assert u["provinces"] == ["Quảng Bình", "Quảng Trị", "Thanh Hóa"]
    assert {h["call_number"] for h in u["holdings"]} == {"959.742 L302S", "9(V)2 L302S"}
    assert [m["identifier"] for m in u["members"]] == ["oai:qbi:9", "oai:tha:1"]
    assert u["provenance"]["title"] == "QBI:oai:qbi:9"


def test_fast_title_key_and_cluster_ids_equal_their_definitions():
    import random

    from unioncat.dedup.cluster import _cluster_id_b32, cluster_id_for
    from unioncat.dedup.keys import _title_key
    from unioncat.normalize import vietnamese

    rng = random.Random(5)
    alphabet = ("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữự"
                "ýỳỷỹỵÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
                "çñøßæœþłıİĳǅ \u0300\u0301\u0303\u0309\u0323\u0306\u0302\u031b :;,./-_()[]'\"0123456789"
                "αβγЖжחא漢字한국ﬁ①ℌ\u0338\u093c\u3099")
    for _ in range(20000):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert _title_key(s) == vietnamese.title_key(s), repr(s)
        for form in ("NFC", "NFD"):
            t = __import__("unicodedata").normalize(form, s)
            assert _title_key(t) == vietnamese.title_key(t), repr(t)
    for i in range(5000):
        lib, ident = rng.choice(("THA", "NAN", "Q" * rng.randint(1, 9))), f"oai:x:{rng.random()}:{i}"
        for attempt in (0, 1, 7):
            assert cluster_id_for(lib, ident, attempt) == _cluster_id_b32(lib, ident, attempt)


def test_fingerprint_covers_every_field_and_the_scorer_version():
    # stored fingerprints decide which records need matching again: a new scorer version matches everything again
    v = MatchView.from_data(1, "THA", {"title": "Lịch sử Nghệ An", "authors": [{"name": "Nguyễn Văn A"}], "year": 2015,
                                        "isbns": ["9786049580123", "9786041234567"], "publisher": "Nxb. Nghệ An",
                                        "pages": 200, "part": "Tập 2"})
    import hashlib

    from unioncat.dedup.weights import SCORER_VERSION

    parts = [SCORER_VERSION]
    for name in ("library", "title", "author", "year", "isbns", "issns", "format", "edition", "part", "part_text",
                 "series_number", "pages", "lccn", "system_numbers", "language", "publisher", "edition_text",
                 "titles", "title_text", "responsibility", "translators"):
        value = getattr(v, name)
        parts.append(repr(sorted(value) if isinstance(value, frozenset) else value))
    assert v.fingerprint() == hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


def test_from_data_builds_the_view_its_constructor_would():
    from dataclasses import fields

    data = {"title": "Lịch sử Nghệ An", "authors": [{"name": "Nguyễn, Văn A"}], "year": 2015, "isbns": ["9786049580123"],
            "issns": ["1234-5679"], "format": "serial", "edition": "Tái bản lần thứ hai", "part": "Tập 2",
            "series_number": "số 3", "pages": 200, "lccn": "2015123456", "system_numbers": ["(OCoLC)123", "456"],
            "language": "vie", "publisher": "Nxb. Nghệ An"}
    for d in (data, {"title": "x"}, {}):
        v = MatchView.from_data(7, "THA", d)
        again = MatchView(**{f.name: getattr(v, f.name) for f in fields(MatchView)})
        assert v == again and hash(v) == hash(again) and repr(v) == repr(again)
    v = MatchView.from_data(7, "THA", data)
    assert (v.record_id, v.library, v.title, v.author, v.edition, v.part, v.system_numbers) == (
        7, "THA", "lich su nghe an", "a nguyen van", (3,), (2,), frozenset({"(OCoLC)123"}))  # tái bản 2 = ed. 3
