"""Blocking keys and the compact view of a record that matching compares (pure)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter

from unioncat.normalize.record import CanonicalRecord
from unioncat.normalize import vietnamese

fold = vietnamese.fold


def _fold_table() -> dict[int, str]:
    """Each Latin letter (any case, any diacritics, đ) and combining mark whose fold is ASCII -> that fold."""
    table = {}
    for cp in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00)]:
        c = chr(cp)
        if len(c.lower()) == 1 and fold(c).isascii():
            table[cp] = fold(c)
    return table


_FOLD = _fold_table()
_NON_WORD = re.compile(r"[\W_]+")


def fast_fold(s: str) -> str:
    """`vietnamese.fold`, a character at a time when every character folds on its own to ASCII.

    For such text fold's steps (lower, đ, NFD, drop marks, NFC) act on each character alone, so the table gives
    the same result three times faster; anything else (other scripts, symbols) goes through fold itself.
    """
    t = s.translate(_FOLD)
    return t if t.isascii() else fold(s)


def _title_key(title: str | None) -> str:
    """`vietnamese.title_key` with `fast_fold` (tests hold them equal)."""
    if not title:
        return ""
    return _NON_WORD.sub(" ", fast_fold(title)).strip()


# the same titles, names and publishers recur across libraries: fold each once
title_key = lru_cache(maxsize=200_000)(_title_key)
author_key = lru_cache(maxsize=200_000)(vietnamese.author_key)
publisher_key = lru_cache(maxsize=50_000)(vietnamese.publisher_key)

_NUMBER = re.compile(r"\d+")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_ORDINAL_WORDS = {
    "nhat": 1, "mot": 1, "first": 1, "hai": 2, "second": 2, "ba": 3, "third": 3, "bon": 4, "tu": 4,
    "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10,
}
# 035 numbers worth matching on: "(source)number" with a source; bare local numbers say nothing across libraries
_SYSTEM_NUMBER = re.compile(r"^\([^)]+\)\S+$")
MAX_KEY = 200


@lru_cache(maxsize=20_000)
def _numbers(text: str | None) -> tuple[int, ...]:
    """The numbers in an edition, volume or series statement: "Tập 2" -> (2,), "Tái bản lần thứ hai" -> (2,)."""
    if not text:
        return ()
    folded = fold(text)
    found = [int(n) for n in _NUMBER.findall(folded)]
    if not found:
        for word in re.findall(r"[a-z]+", folded):
            if word in _ROMAN and word != "v":  # a lone "v" is usually "v." = volume
                found.append(_ROMAN[word])
            elif word in _ORDINAL_WORDS and ("lan" in folded or "edition" in folded or "ed" in folded):
                found.append(_ORDINAL_WORDS[word])
    return tuple(found)


@dataclass(frozen=True, slots=True)
class MatchView:
    """What matching needs of one record, derived once from its canonical form."""

    record_id: int
    library: str
    title: str  # title key (folded)
    author: str  # first author key (folded, order-free)
    year: int | None
    isbns: frozenset[str]
    issns: frozenset[str]
    format: str
    edition: tuple[int, ...]
    part: tuple[int, ...]
    part_text: str
    series_number: tuple[int, ...]
    pages: int | None
    lccn: str | None = None
    system_numbers: frozenset[str] = frozenset()
    language: str | None = None
    publisher: str = ""
    edition_text: str = ""

    @classmethod
    def of(cls, record_id: int, library: str, rec: CanonicalRecord) -> "MatchView":
        return cls.from_data(record_id, library, rec.model_dump())

    @classmethod
    def from_data(cls, record_id: int, library: str, data: dict) -> "MatchView":
        """From the stored canonical record (a dict as `CanonicalRecord.model_dump()` leaves it): no validation."""
        authors = data.get("authors") or ()
        first = authors[0].get("name") if authors else None
        edition = data.get("edition")
        part = data.get("part")
        # positional, in field order, through the slots' own setters: a frozen dataclass's __init__ is ~10x slower
        return _new_view((
            record_id,
            library,
            title_key(data.get("title")),
            author_key(first),
            data.get("year"),
            frozenset(data.get("isbns") or ()),
            frozenset(data.get("issns") or ()),
            data.get("format") or "book",
            _numbers(edition),
            _numbers(part),
            title_key(part or ""),
            _numbers(data.get("series_number")),
            data.get("pages"),
            data.get("lccn"),
            frozenset(s for s in data.get("system_numbers") or () if _SYSTEM_NUMBER.match(s)),
            data.get("language"),
            publisher_key(data.get("publisher")),
            title_key(edition or ""),
        ))

    def fingerprint(self) -> str:
        """Hash of everything matching looks at: an unchanged fingerprint means no need to match again."""
        parts = [repr(sorted(v)) if type(v) is frozenset else repr(v) for v in _fingerprinted(self)]
        return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()[:16]


_FINGERPRINTED = tuple(f.name for f in fields(MatchView) if f.name != "record_id")
_SETTERS = tuple(MatchView.__dict__[f.name].__set__ for f in fields(MatchView))


def _new_view(values: tuple) -> MatchView:
    """A MatchView from every field's value, in field order (what __init__ does, without frozen's overhead)."""
    view = object.__new__(MatchView)
    for set_, value in zip(_SETTERS, values):
        set_(view, value)
    return view
_fingerprinted = attrgetter(*_FINGERPRINTED)


def blocking_keys(view: MatchView) -> list[str]:
    """Keys under which candidates are looked up.

    Identifiers: each valid ISBN-13, LCCN, 035 number with a source, and (serials only) ISSN.
    Descriptions: title|year (catches a missing or differently written author), and author|year|first
    title word (catches a subtitle written into 245 $a by one library and not the other).
    """
    keys = [f"isbn:{isbn}" for isbn in sorted(view.isbns)]
    if view.lccn:
        keys.append(f"lccn:{view.lccn}")
    keys += [f"035:{s[:MAX_KEY]}" for s in sorted(view.system_numbers)]
    if view.format == "serial":
        keys += [f"issn:{s}" for s in sorted(view.issns)]
    if view.title and view.year:
        keys.append(f"ty:{view.title[:MAX_KEY]}|{view.year}")
        if view.author:
            first_word = view.title.split(" ", 1)[0]
            keys.append(f"ay:{view.author[:100]}|{view.year}|{first_word[:50]}")
    return keys
