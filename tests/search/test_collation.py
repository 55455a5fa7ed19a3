"""Vietnamese collation keys (pure): dictionary order by base letters, then tones, then id."""

from __future__ import annotations

import random
import unicodedata

import pytest

from unioncat.search.collation import sort_rank, vietnamese_sort_key


def ordered(titles: list[str]) -> list[str]:
    return sorted(titles, key=lambda t: vietnamese_sort_key(t, "x"))


def test_alphabet_order_of_base_letters():
    letters = ["a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "g", "h", "i", "k", "l", "m", "n", "o", "ô", "ơ",
               "p", "q", "r", "s", "t", "u", "ư", "v", "x", "y"]  # fmt: skip
    shuffled = letters[:]
    random.Random(1).shuffle(shuffled)
    assert ordered(shuffled) == letters
    assert ordered(["Đà Lạt", "Dương", "Dế mèn", "Đường"]) == ["Dế mèn", "Dương", "Đà Lạt", "Đường"]
    assert ordered(["Ơn", "Ông", "Ong"]) == ["Ong", "Ông", "Ơn"]
    assert ordered(["Ưu", "Uống", "Vâng"]) == ["Uống", "Ưu", "Vâng"]


def test_tones_only_break_ties_after_the_letters():
    tones = ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert ordered(tones[::-1]) == tones
    # the letters decide first: "mạ" before "mai" although ạ is the last tone
    assert ordered(["mai", "mạ"]) == ["mạ", "mai"]
    assert ordered(["Hòa bình", "Hoa bình", "Hóa bình"]) == ["Hoa bình", "Hòa bình", "Hóa bình"]


def test_words_digits_case_and_forms():
    assert ordered(["anh", "an khang", "an"]) == ["an", "an khang", "anh"]
    assert ordered(["Bài 2", "Bài 10", "Bài 1"]) == ["Bài 1", "Bài 10", "Bài 2"]  # digits are text, before letters
    assert vietnamese_sort_key("TRUYỆN KIỀU", "x") == vietnamese_sort_key("truyện kiều", "x")
    assert vietnamese_sort_key(unicodedata.normalize("NFD", "Đường"), "x") == vietnamese_sort_key("Đường", "x")
    assert vietnamese_sort_key("Hoà", "x") == vietnamese_sort_key("Hòa", "x")  # tone placement does not matter
    assert ordered(["[Bản đồ] Hà Nội", "Bản đồ Huế"]) == ["[Bản đồ] Hà Nội", "Bản đồ Huế"]  # punctuation ignored
    assert ordered(["", "Z", "Советский", "A"]) == ["A", "Z", "Советский", ""]  # other scripts, then no title


def test_keys_are_unique_by_id():
    assert vietnamese_sort_key("Số đỏ", "u-1") < vietnamese_sort_key("Số đỏ", "u-2")
    assert vietnamese_sort_key("Số đỏ", "u-9") < vietnamese_sort_key("Số đỏ x", "u-1")


@pytest.mark.parametrize("seed", range(5))
def test_rank_never_decreases_along_the_keys(seed):
    rng = random.Random(seed)
    alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxy àảãáạ0123456789Жé-"
    keys = sorted(
        vietnamese_sort_key("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))), f"id{i}")
        for i in range(2_000)
    )
    ranks = [sort_rank(k) for k in keys]
    assert ranks == sorted(ranks)
    assert all(0 <= r < 2**63 for r in ranks)

