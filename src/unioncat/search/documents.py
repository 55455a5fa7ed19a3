"""Union record -> search document: the engine-neutral fields every adapter indexes.

Pure: takes a union record dict (shape in `backend.py`) and returns a plain dict. Every string is NFC; each
searchable text field also has a folded twin (lowercase, no marks, đ->d) so "nghe an" finds "Nghệ An" while an
exact-accent match still ranks first (the adapter boosts the accented field).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import orjson

from unioncat.normalize.identifiers import isbn13, isbn_candidate
from unioncat.normalize.vietnamese import fold, normalize_tone
from unioncat.search.collation import vietnamese_sort_key

__all__ = [
    "FACET_FIELDS",
    "STORED_FIELDS",
    "TEXT_FIELDS",
    "accented",
    "fold",
    "nfc",
    "normalize_isbn",
    "prefix_form",
    "to_document",
    "words",
]

# Searchable text fields of a search document; each has a "<name>_folded" twin.
TEXT_FIELDS = ("title", "authors", "subjects", "publisher", "series")
# What an engine stores of a union record: what a hit shows (`base.hit_from_record`), highlights
# (`highlight.FIELDS`), autocomplete and spelling suggestions read. Holdings and members stay in the database.
STORED_FIELDS = ("id", "title", "subtitle", "authors", "year", "publisher", "isbns", "libraries", "holdings_count",
                 "subjects", "series")  # fmt: skip
# Facet name (as in backend.FACETS, minus year) -> document field holding its raw values.
FACET_FIELDS = {
    "library": "library",
    "province": "province",
    "language": "language",
    "format": "format",
    "subject": "subject",
}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def accented(text: str) -> str:
    """The accented search form: NFC with one tone placement ("hòa" and "hoà" agree), case kept."""
    return normalize_tone(nfc(text))


# Authors, subjects, publishers and series repeat across records: cache their forms (titles mostly don't).
_accented_cached = lru_cache(maxsize=65_536)(accented)
_fold_cached = lru_cache(maxsize=65_536)(fold)


_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The words of a text as the engines' tokenizers split it (runs of letters and digits)."""
    return _WORD.findall(text)


def prefix_form(text: str) -> str:
    """Folded words joined by one space: what title autocomplete compares a typed prefix with."""
    return " ".join(words(fold(nfc(text))))


def normalize_isbn(value: str) -> str | None:
    """An ISBN as typed (hyphens, spaces, ISBN-10) -> ISBN-13 digits, or None when it is not a valid ISBN."""
    return isbn13(value)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = (value if type(value) is str else str(value)).strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text or None


def _texts(values: Any) -> list[str]:
    """Distinct non-empty NFC strings, in order, from a value or a list of values."""
    if values is None:
        return []
    if type(values) is not list and (isinstance(values, (str, bytes)) or not isinstance(values, Iterable)):
        values = [values]
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        text = _text(value)
        if text is not None and text not in seen:
            seen.add(text)
            out.append(text)
    return out


def _year(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        year = value
    else:
        match = re.search(r"\d{4}", str(value))
        if not match:
            return None
        year = int(match.group())
    return year if -9999 <= year <= 9999 else None


def _fast_isbn13(value: str) -> str | None:
    """The common case without isbnlib: already 13 digits with a correct check digit."""
    if len(value) == 13 and value.isdigit() and value[:3] in ("978", "979"):
        total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(value[:12]))
        if (10 - total % 10) % 10 == int(value[12]):
            return value
    return None


def _isbns(values: Any) -> list[str]:
    out: list[str] = []
    for value in _texts(values):
        # valid ones as ISBN-13; an invalid one stays findable as its digits
        isbn = _fast_isbn13(value) or isbn13(value) or isbn_candidate(value)
        if isbn and isbn not in out:
            out.append(isbn)
    return out


def to_document(union_record: dict | str | bytes) -> dict:
    """Prepare engine fields from a union record (a dict, or its JSON text as the database holds it).

    Returns a dict with: id; title (title and subtitle), authors, subjects, publisher, series as lists of NFC
    strings in one tone placement, each with a `<field>_folded` twin (`unioncat.normalize.vietnamese.fold`);
    isbns (ISBN-13 where valid); facet fields library, province, language, format, subject (lists of raw NFC
    values); year (int or None); title_sort (Vietnamese collation key of the title, unique by id: see
    `collation.py`); title_prefix (folded words of the title, for autocomplete);
    holdings_count; stored (JSON of the record's STORED_FIELDS, NFC: enough to render a hit without the database).
    """
    record = orjson.loads(union_record) if isinstance(union_record, (str, bytes)) else union_record
    if not isinstance(record, dict) or record.get("id") in (None, ""):
        raise ValueError("a union record needs an id")
    doc_id = nfc(str(record["id"]))
    year = _year(record.get("year"))

    title = _text(record.get("title")) or ""
    subtitle = _text(record.get("subtitle"))
    doc: dict[str, Any] = {
        "id": doc_id,
        "title": [t for t in (title, subtitle) if t],
        "authors": _texts(record.get("authors")),
        "subjects": _texts(record.get("subjects")),
        "publisher": _texts(record.get("publisher")),
        "series": _texts(record.get("series")),
    }
    for field in TEXT_FIELDS:
        if field == "title":
            doc["title_folded"] = [fold(v) for v in doc["title"]]
            doc["title"] = [accented(v) for v in doc["title"]]
        else:
            doc[f"{field}_folded"] = [_fold_cached(v) for v in doc[field]]
            doc[field] = [_accented_cached(v) for v in doc[field]]
    doc["isbns"] = _isbns(record.get("isbns"))
    doc["library"] = _texts(record.get("libraries"))
    doc["province"] = _texts(record.get("provinces"))
    doc["language"] = _texts(record.get("language"))
    doc["format"] = _texts(record.get("format"))
    doc["subject"] = list(doc["subjects"])
    doc["year"] = year
    doc["title_sort"] = vietnamese_sort_key(title, doc_id)
    doc["title_prefix"] = " ".join(words(doc["title_folded"][0])) if title else ""
    try:
        doc["holdings_count"] = int(record.get("holdings_count") or 0)
    except (TypeError, ValueError):
        doc["holdings_count"] = 0
    shown = {key: record[key] for key in STORED_FIELDS if record.get(key) is not None}
    shown["id"], shown["year"] = doc_id, year
    stored = orjson.dumps(shown, default=str).decode("utf-8")
    # NFC of the whole JSON text equals the JSON of NFC values: no JSON punctuation composes with a mark.
    doc["stored"] = stored if unicodedata.is_normalized("NFC", stored) else nfc(stored)
    return doc
