"""What edition, volume and title statements say, however a cataloguer wrote them (pure; folded text in).

    edition_key("Xuất bản lần 2") == edition_key("Tái bản lần thứ 1") == edition_key("2nd ed.") == (2,)
    edition_key("Rev. ed.") == edition_key("Ấn bản mới") == ("rev",)    "Tái bản lần thứ N" is edition N + 1
    edition_key("In lần thứ 3") == edition_key("Reprinted 2001") == ()    a new printing is not a new edition
    edition_key("Xuất bản lần 1") == ()                                    a first edition says nothing
    volume_key("Tập 2") == volume_key("T. 2") == volume_key("Vol. II") == volume_key("quyển hai") == (2,)
    split_volume("lich su nghe an tap 2") == ("lich su nghe an", (2,))     the volume written into the title
    strip_article("the history of hue", "eng") == "history of hue"        "Les", "Những", "Các" likewise

Every function takes text already folded by ``keys.title_key`` (lowercase, no marks, punctuation as spaces) or
folds it itself where said, and returns plain values.
"""

from __future__ import annotations

import re
from functools import lru_cache

from unioncat.normalize import vietnamese

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10,
          "xi": 11, "xii": 12, "xiii": 13, "xiv": 14, "xv": 15, "xvi": 16, "xvii": 17, "xviii": 18, "xix": 19,
          "xx": 20}
_WORDS = {
    "mot": 1, "nhat": 1, "first": 1, "one": 1, "premiere": 1, "erste": 1,
    "hai": 2, "second": 2, "two": 2, "deuxieme": 2, "zweite": 2,
    "ba": 3, "third": 3, "three": 3, "troisieme": 3, "dritte": 3,
    "bon": 4, "tu": 4, "fourth": 4, "four": 4, "nam": 5, "fifth": 5, "five": 5,
    "sau": 6, "sixth": 6, "six": 6, "bay": 7, "seventh": 7, "seven": 7, "tam": 8, "eighth": 8, "eight": 8,
    "chin": 9, "ninth": 9, "nine": 9, "muoi": 10, "tenth": 10, "ten": 10,
}
_ORDINAL_SUFFIX = re.compile(r"^(\d+)(?:st|nd|rd|th|e|er|eme|re|a|o)?$")

# a new printing of the same edition: the same manifestation for a reader (and usually the same ISBN)
_PRINTING = re.compile(r"\b(?:in lan|lan in|in lai|tai in|reprint(?:ed)?|printing|impression|nachdruck|tirage)\b")
# revised / new / enlarged editions without a number
_REVISED = re.compile(r"\b(?:rev|revised|new|enl|enlarged|expanded|updated|moi|bo sung|sua chua|chinh ly|"
                      r"cap nhat|nouvelle|neue)\b")
# a named edition ("Large print ed.", "Student edition", "Ấn bản đặc biệt"): apart from any other
_EDITION_WORD = re.compile(r"\b(?:an ban|ed|edn|edition|aufl|auflage)\b")

# a volume designation: the word, then a number (digits, roman, or a number word)
_VOLUME_WORD = (r"(?:tap|t|quyen|q|cuon|phan|ph|vol|vols|volume|v|book|bk|part|pt|no|so|tome|tom|band|bd|"
                r"chapter|ch|chuong)")
_NUMBER = r"(?:\d+|[ivxl]+|" + "|".join(sorted(_WORDS, key=len, reverse=True)) + ")"
_VOLUME = re.compile(rf"\b{_VOLUME_WORD}\s*({_NUMBER})\b")
# in a title only the unambiguous words, and digits or roman numerals ("hai", "ba", "tư" are common words)
_TRAILING_VOLUME = re.compile(r"\s+(?:(?:tap|t|quyen|q|phan|ph|vol|v|volume|book|part|pt|tome|band)\s*(\d+|[ivx]+)|"
                              r"(?:tap|quyen|cuon)\s+(mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi))$")
_ARTICLES = {  # by MARC language code: "the" is an article in English only ("thế" folds to "the" too)
    "eng": ("the ", "a ", "an "), "fre": ("les ", "le ", "la ", "l ", "un ", "une "), "ger": ("der ", "die ", "das "),
    "spa": ("el ", "los ", "las ", "la "), "ita": ("il ", "lo ", "la ", "gli ", "le ", "l "), "vie": ("nhung ", "cac "),
}


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    m = _ORDINAL_SUFFIX.match(token)
    if m:
        return int(m.group(1))
    if token in _ROMAN:
        return _ROMAN[token]
    return _WORDS.get(token)


_ENGLISH_ORDINALS = {w: n for n, w in enumerate(
    ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth "
     "fifteenth sixteenth seventeenth eighteenth nineteenth twentieth").split(), start=1)}


def _edition_numbers(tokens: list[str]) -> list[int]:
    """Numbers of an edition statement: digits and ordinals anywhere ("2nd", "3e"), English ordinal words,
    and number words or roman numerals only after "lần" / "thứ" ("năm", "ba" are common words)."""
    out = []
    for i, tok in enumerate(tokens):
        m = _ORDINAL_SUFFIX.match(tok)
        if m:
            out.append(int(m.group(1)))
        elif tok in _ENGLISH_ORDINALS:
            out.append(_ENGLISH_ORDINALS[tok])
        elif i and tokens[i - 1] in ("lan", "thu", "ed", "edition") and (tok in _WORDS or tok in _ROMAN):
            out.append(_WORDS.get(tok) or _ROMAN[tok])
    return out


@lru_cache(maxsize=20_000)
def edition_key(text: str | None) -> tuple:
    """The edition an edition statement names: ``(n,)`` for a numbered edition above the first, ``("rev",)``
    for a revised / new one without a number, ``()`` for none, a first edition, or a mere new printing."""
    if not text:
        return ()
    folded = re.sub(r"\btb\b", "tai ban", re.sub(r"\bxb\b", "xuat ban", vietnamese.title_key(text)))  # "Tb. lần 1"
    if not folded:
        return ()
    year = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", folded)
    if year and not _edition_numbers([t for t in folded.split() if t != year.group(1)]):
        return ("year", int(year.group(1))) if _EDITION_WORD.search(folded) else ()  # "2010 ed." = "Ed. 2010"
    if _PRINTING.search(folded) and not re.search(r"\b(?:tai ban|ed|edition|xuat ban)\b", folded):
        # a new printing; "In lần thứ 2, có sửa chữa và bổ sung" is revised all the same: a new edition
        return ("rev",) if re.search(r"\b(?:sua chua|bo sung|rev|revised)\b", folded) else ()
    numbers = [n for n in _edition_numbers(folded.split()) if n < 200]
    if numbers:
        n = numbers[0]
        if re.search(r"\btai ban\b", folded):
            n += 1  # "Tái bản lần thứ 1" is the first re-edition: the second edition
        return () if n <= 1 else (n,)
    if "tai ban" in folded:
        return ("rev",)  # "Tái bản", "Tái bản có bổ sung": a new edition
    if _REVISED.search(folded):
        return ("rev",)
    return () if not _EDITION_WORD.search(folded) else (folded[:40],)


_RANGE = re.compile(r"\b(\d+|[ivxl]+)\s*(?:-|&|,|\bden\b|\bto\b|\bva\b|\band\b)\s*(\d+|[ivxl]+)\b")
_SUFFIXED = re.compile(rf"\b{_VOLUME_WORD}\s*(\d+)([a-z])\b")


@lru_cache(maxsize=20_000)
def volume_key(text: str | None) -> tuple:
    """The volume or part numbers a statement names: "Tập 2" -> (2,), "Q. 3, Ph. 1" -> (3, 1), "Tập 1-2" ->
    (1, 2), "Tập 2A" -> ("2a",), a bare number or roman numeral -> that number; () when it names none (a
    period such as "1945-1954" is a part's name, not its number)."""
    if not text:
        return ()
    folded = vietnamese.title_key(text)
    suffixed = _SUFFIXED.search(folded)
    if suffixed:
        return (suffixed.group(1) + suffixed.group(2),)
    marked = re.sub(r"\s+", " ", re.sub(r"[^\w,\-–&]+", " ", vietnamese.fold(text))).replace("–", "-")
    ranged = _RANGE.search(marked)
    if ranged and _VOLUME.search(vietnamese.title_key(marked[:ranged.start()]) + " " + ranged.group(1)):
        low, high = _number(ranged.group(1)), _number(ranged.group(2))
        if low is not None and high is not None and low < high < 1000:
            return tuple(range(low, high + 1)) if high - low < 50 else (low, high)
    found = [_number(m.group(1)) for m in _VOLUME.finditer(folded)]
    numbers = tuple(n for n in found if n is not None and n < 1000)
    if numbers:
        return numbers
    tokens = folded.split()
    if len(tokens) <= 2:  # "2", "II", "hai", "2 Ngữ pháp"
        n = _number(tokens[0]) if tokens else None
        if n is not None and n < 1000 and (tokens[0] != "v" or len(tokens) == 1):
            return (n,)
    return ()


def split_volume(title: str) -> tuple[str, tuple[int, ...]]:
    """A folded title without the volume designation written at its end, and that volume's numbers."""
    m = _TRAILING_VOLUME.search(title)
    if not m or m.start() < 4:
        return title, ()
    n = _number(m.group(1) or m.group(2))
    return (title[:m.start()].strip(), (n,)) if n is not None else (title, ())


def strip_article(title: str, language: str | None) -> str:
    """A folded title without the leading article of its language ("the", "les", "những", "các"...)."""
    for article in _ARTICLES.get(language or "", ()):
        if title.startswith(article) and len(title) > len(article) + 3:
            return title[len(article):]
    return title
