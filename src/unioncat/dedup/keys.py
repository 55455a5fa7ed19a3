"""Blocking keys and the compact view of a record that matching compares (pure)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from functools import lru_cache
from operator import attrgetter

from unioncat.dedup.statements import edition_key, split_volume, strip_article, volume_key
from unioncat.dedup.weights import SCORER_VERSION
from unioncat.normalize import vietnamese
from unioncat.normalize.record import CanonicalRecord

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


@lru_cache(maxsize=200_000)
def title_core(title: str, language: str | None = None) -> tuple[str, tuple[int, ...]]:
    """A folded title as matching compares it: no leading article of its language, no volume written at its
    end; and that volume's numbers ("the history of hue vol 2", "eng" -> ("history of hue", (2,)))."""
    core, volume = split_volume(title)
    return strip_article(core, language), volume


_TRANSLATOR = re.compile(r"\b(?:dich|nguoi dich|trl|translator|translated|tr|traduction|ubers)\b")


@lru_cache(maxsize=2_000)
def _translator(role: str | None) -> bool:
    """A relator term or code that says translator ("dịch", "người dịch", "trl", "translator")."""
    return bool(role) and bool(_TRANSLATOR.search(fast_fold(role)))


@lru_cache(maxsize=200_000)
def marked_key(title: str | None) -> str:
    """The title lowercased with its marks kept, in one tone placement, punctuation as spaces."""
    if not title:
        return ""
    return _NON_WORD.sub(" ", vietnamese.normalize_tone(title).lower()).strip()


# 035 numbers worth matching on: "(source)number" with a source; bare local numbers say nothing across libraries
_SYSTEM_NUMBER = re.compile(r"^\([^)]+\)\S+$")
MAX_KEY = 200


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
    titles: frozenset[str] = frozenset()  # comparable forms: title, title + subtitle, variant titles (cores)
    title_text: str = ""  # the title as catalogued: its marks (marked_key) tell "đề" from "dê"
    responsibility: str = ""  # 245 $c folded: an author named only there still counts
    translators: frozenset[str] = frozenset()  # author keys of translators: another translation is another book

    @classmethod
    def of(cls, record_id: int, library: str, rec: CanonicalRecord) -> "MatchView":
        return cls.from_data(record_id, library, rec.model_dump())

    @classmethod
    def from_data(cls, record_id: int, library: str, data: dict) -> "MatchView":
        """From the stored canonical record (a dict as `CanonicalRecord.model_dump()` leaves it): no validation."""
        authors = data.get("authors") or ()
        translators = frozenset(author_key(p.get("name")) for p in authors if _translator(p.get("role")))
        first = next((p.get("name") for p in authors if not _translator(p.get("role"))), None)
        edition = data.get("edition")
        part = data.get("part")
        title = title_key(data.get("title"))
        language = data.get("language")
        core, title_volume = title_core(title, language)
        subtitle = title_key(data.get("subtitle"))
        titles = {core}
        if subtitle:
            titles.add(title_core(f"{title} {subtitle}", language)[0])
        titles.update(title_core(title_key(v), language)[0] for v in data.get("variant_titles") or ())
        titles.discard("")
        # positional, in field order, through the slots' own setters: a frozen dataclass's __init__ is ~10x slower
        return _new_view((
            record_id,
            library,
            title,
            author_key(first),
            data.get("year"),
            frozenset(data.get("isbns") or ()),
            frozenset(data.get("issns") or ()),
            data.get("format") or "book",
            edition_key(edition),
            volume_key(part) or title_volume,
            title_key(part or ""),
            volume_key(data.get("series_number")),
            data.get("pages"),
            data.get("lccn"),
            frozenset(s for s in data.get("system_numbers") or () if _SYSTEM_NUMBER.match(s)),
            data.get("language"),
            publisher_key(data.get("publisher")),
            title_key(edition or ""),
            frozenset(titles),
            data.get("title") or "",
            title_key(data.get("statement_of_responsibility")),
            translators - {""},
        ))

    def fingerprint(self) -> str:
        """Hash of everything matching looks at, and of the scorer's version: an unchanged fingerprint means
        no need to match again; a new scorer (weights.SCORER_VERSION) matches every record again."""
        parts = [SCORER_VERSION] + [repr(sorted(v)) if type(v) is frozenset else repr(v) for v in _fingerprinted(self)]
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
    """Keys under which candidates are looked up, several per record so that one typing error, a dropped
    article, a missing author or a missing year still leaves a key in common.

    Identifiers: each valid ISBN-13, LCCN, 035 number with a source, and (serials only) ISSN.
    Descriptions, on each comparable title form (no article, no volume): title|year; the first three and the
    last three words of a longer title with the year, for records without an author (a typing error in the
    other half); author|year|first
    word (a subtitle written into 245 $a by one library); author|first two words (a missing, bracketed or
    printing year).
    """
    keys = [f"isbn:{isbn}" for isbn in sorted(view.isbns)]
    if view.lccn:
        keys.append(f"lccn:{view.lccn}")
    keys += [f"035:{s[:MAX_KEY]}" for s in sorted(view.system_numbers)]
    if view.format == "serial":
        keys += [f"issn:{s}" for s in sorted(view.issns)]
    for title in sorted(view.titles):
        words = title.split()
        if view.year:
            keys.append(f"ty:{title[:MAX_KEY]}|{view.year}")
            if len(words) >= 4 and not view.author:  # a typing error in the last or the first words (with an
                # author, "ay" and "aw" find it; with an author on one side only a typing error cannot match)
                keys.append(f"tf:{' '.join(words[:3])[:MAX_KEY]}|{view.year}")
                keys.append(f"tl:{' '.join(words[-3:])[:MAX_KEY]}|{view.year}")
        if view.author:
            if view.year:
                keys.append(f"ay:{view.author[:100]}|{view.year}|{words[0][:50]}")
                keys.append(f"ay:{view.author[:100]}|{view.year}|{words[-1][:50]}")  # typing error in word one
            keys.append(f"aw:{view.author[:100]}|{' '.join(words[:2])[:100]}")
    return list(dict.fromkeys(keys))
