"""Blocking keys and the compact view of a record that matching compares (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from unioncat.normalize.record import CanonicalRecord
from unioncat.normalize.vietnamese import author_key, fold, title_key

_NUMBER = re.compile(r"\d+")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10}
_ORDINAL_WORDS = {
    "nhat": 1, "mot": 1, "first": 1, "hai": 2, "second": 2, "ba": 3, "third": 3, "bon": 4, "tu": 4,
    "nam": 5, "sau": 6, "bay": 7, "tam": 8, "chin": 9, "muoi": 10,
}


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

    @classmethod
    def of(cls, record_id: int, library: str, rec: CanonicalRecord) -> "MatchView":
        return cls(
            record_id=record_id,
            library=library,
            title=title_key(rec.title),
            author=author_key(rec.authors[0].name) if rec.authors else "",
            year=rec.year,
            isbns=frozenset(rec.isbns),
            issns=frozenset(rec.issns),
            format=rec.format,
            edition=_numbers(rec.edition),
            part=_numbers(rec.part),
            part_text=title_key(rec.part or ""),
            series_number=_numbers(rec.series_number),
            pages=rec.pages,
        )


def blocking_keys(view: MatchView) -> list[str]:
    """Keys under which candidates are looked up: each valid ISBN-13, and title|author|year."""
    keys = [f"isbn:{isbn}" for isbn in sorted(view.isbns)]
    if view.title and view.year:
        keys.append(f"tay:{view.title[:200]}|{view.author[:100]}|{view.year}")
    return keys
