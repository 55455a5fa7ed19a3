"""Vietnamese sort keys: order titles the way a Vietnamese dictionary does, with a plain byte comparison.

Pure. Both engines sort a keyword / fast text field by its bytes, so the order is encoded into the key:

    primary    the base letters of the Vietnamese alphabet, a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y
               (f j w z slotted in where the Latin alphabet has them), case-insensitive; digits before letters;
               words compared one after the other ("an" < "an khang" < "anh")
    secondary  the tones, compared only when the letters are the same: ngang, huyền, hỏi, ngã, sắc, nặng
               (a à ả ã á ạ), as in CLDR's Vietnamese collation
    last       the document id, so every key is unique and a page can start right after any key (cursors)

`sort_rank(key)` is a 63-bit integer that never decreases along the key order (its first characters packed):
an engine without range queries on text can still jump close to a cursor with an integer range.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_CODE = {letter: chr(0x41 + rank) for rank, letter in enumerate(_ALPHABET)}  # 'A' .. 'a'
_MODIFIERS = {"\u0306", "\u0302", "\u031b"}  # breve (ă), circumflex (â ê ô), horn (ơ ư)
_TONES = {"\u0300": "1", "\u0309": "2", "\u0303": "3", "\u0301": "4", "\u0323": "5"}

END = " "  # after the primary part: below every word separator and every letter
WORD_SEP = "!"
EMPTY_PRIMARY = "\U0010fffd"  # a record without a title sorts after every titled one, any script
MAX_PRIMARY = 96
RANK_CHARS = 9  # 9 x 7 bits = 63 bits


def _char_weights(ch: str) -> tuple[str, str] | None:
    """One lowercase NFC character -> (primary code, tone digit); None when it separates words."""
    if ch in _LETTER_CODE:
        return _LETTER_CODE[ch], "0"
    if ch.isdigit():
        return (ch if ch.isascii() else str(unicodedata.digit(ch, 0))), "0"
    if not ch.isalnum():
        return None
    decomposed = unicodedata.normalize("NFD", ch)
    base = decomposed[0]
    marks = decomposed[1:]
    tone = "0"
    kept = ""
    for mark in marks:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _MODIFIERS:
            kept += mark
    letter = unicodedata.normalize("NFC", base + kept)
    if letter in _LETTER_CODE:
        return _LETTER_CODE[letter], tone
    if base in _LETTER_CODE:  # ç, ñ, ö ...: the base letter
        return _LETTER_CODE[base], tone
    if ch in ("ø", "ł", "ð"):
        return _LETTER_CODE[{"ø": "o", "ł": "l", "ð": "đ"}[ch]], "0"
    return ch, "0"  # other scripts: after the Latin letters, in code point order


@lru_cache(maxsize=200_000)
def _word_weights(word: str) -> tuple[str, str]:
    """(primary codes, tone digit) of one lowercase word of letters and digits; cached (syllables repeat)."""
    codes: list[str] = []
    tone = "0"
    for ch in word:
        weights = _char_weights(ch)
        if weights is None:  # pragma: no cover - words hold letters and digits only
            continue
        codes.append(weights[0])
        if weights[1] != "0":
            tone = weights[1]
    return "".join(codes), tone


_WORD = re.compile(r"[^\W_]+")


def collation_parts(text: str | None) -> tuple[str, str]:
    """(primary, secondary) weights of a text; the secondary part is one tone digit per word (a syllable
    carries one tone wherever it is written: "hoà" and "hòa" are equal)."""
    if not text:
        return EMPTY_PRIMARY, ""
    found = [_word_weights(w) for w in _WORD.findall(unicodedata.normalize("NFC", text).lower())]
    primary = WORD_SEP.join(codes for codes, _ in found if codes)[:MAX_PRIMARY]
    if not primary:
        return EMPTY_PRIMARY, ""
    return primary, "".join(tone for codes, tone in found if codes)[:MAX_PRIMARY]


def vietnamese_sort_key(text: str | None, doc_id: str = "") -> str:
    """A key whose byte order is Vietnamese dictionary order of `text`, unique per `doc_id`."""
    primary, secondary = collation_parts(text)
    return f"{primary}{END}{secondary}{END}{doc_id}"


def sort_rank(key: str) -> int:
    """A non-negative int that never decreases as `key` increases (bytewise): its first characters, packed
    7 bits each; from the first character outside ASCII on, every position counts as the maximum."""
    rank = 0
    saturated = False
    for k in range(RANK_CHARS):
        if saturated:
            code = 0x7F
        elif k < len(key):
            code = min(ord(key[k]), 0x7F)
            saturated = code == 0x7F
        else:
            code = 0
        rank = (rank << 7) | code
    return rank
