"""Unqualified Dublin Core (`<oai_dc:dc>`) → CanonicalRecord."""

from __future__ import annotations

import re

from unioncat.normalize.errors import NormalizeError
from unioncat.normalize.identifiers import isbn13, isbn_candidate, issn
from unioncat.normalize.record import CanonicalRecord, Link, Person
from unioncat.normalize.vietnamese import fold, normalize_publisher, repair_text
from unioncat.normalize.xml import element_text, local_name, parse_xml

__all__ = ["dc_to_canonical", "language_code"]

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"

_LANGUAGES = {
    "vi": "vie", "vie": "vie", "vietnamese": "vie", "tieng viet": "vie", "viet": "vie",
    "en": "eng", "eng": "eng", "english": "eng", "tieng anh": "eng",
    "fr": "fre", "fre": "fre", "fra": "fre", "french": "fre", "francais": "fre", "tieng phap": "fre",
    "zh": "chi", "chi": "chi", "zho": "chi", "chinese": "chi", "tieng trung": "chi", "han": "chi",
    "ru": "rus", "rus": "rus", "russian": "rus", "tieng nga": "rus",
    "de": "ger", "ger": "ger", "deu": "ger", "german": "ger", "deutsch": "ger", "tieng duc": "ger",
    "ja": "jpn", "jpn": "jpn", "japanese": "jpn", "tieng nhat": "jpn",
    "ko": "kor", "kor": "kor", "korean": "kor", "tieng han": "kor",
    "nl": "dut", "dut": "dut", "nld": "dut", "dutch": "dut",
    "es": "spa", "spa": "spa", "spanish": "spa",
    "lo": "lao", "lao": "lao", "km": "khm", "khm": "khm", "th": "tha", "tha": "tha",
}  # fmt: skip

# (substring of the folded dc:type, format); first match wins
_TYPES = (
    ("chapter", "other"), ("article", "other"), ("preprint", "other"), ("conference", "other"),
    ("journal", "serial"), ("periodical", "serial"), ("serial", "serial"), ("newspaper", "serial"),
    ("tap chi", "serial"), ("bao", "serial"),
    ("moving", "video"), ("video", "video"), ("film", "video"),
    ("sound", "audio"), ("audio", "audio"), ("music", "music"), ("score", "score"),
    ("map", "map"), ("cartographic", "map"), ("ban do", "map"),
    ("dataset", "electronic"), ("software", "electronic"), ("interactive", "electronic"),
    ("collection", "mixed"),
    ("book", "book"), ("sach", "book"), ("text", "book"), ("thesis", "book"), ("dissertation", "book"),
    ("luan van", "book"), ("luan an", "book"), ("report", "book"), ("working paper", "book"),
    ("monograph", "book"),
)  # fmt: skip
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_URL = re.compile(r"^(?:https?|ftp)://\S+$", re.IGNORECASE)
_ISBN_HINT = re.compile(r"^\s*(?:urn:isbn:|isbn)", re.IGNORECASE)
_ISSN_HINT = re.compile(r"^\s*(?:urn:issn:|issn)", re.IGNORECASE)
_BARE_ISBN = re.compile(r"^\s*(?:97[89])?[0-9][0-9\s\-]{7,}[0-9Xx]\s*$")


def language_code(value: str | None) -> str | None:
    """ISO 639-2/B code for a DC language value ("vi", "Tiếng Việt", "en_US" → "vie", "vie", "eng")."""
    if not value:
        return None
    key = re.sub(r"[\W_]+", " ", fold(value)).strip()
    if key in _LANGUAGES:
        return _LANGUAGES[key]
    head = key.split(" ", 1)[0]
    if head in _LANGUAGES and len(head) <= 3:
        return _LANGUAGES[head]  # "en us", "vi vn"
    return key if re.fullmatch(r"[a-z]{3}", key) and key not in ("und", "oth") else None


def _format(types: list[str]) -> str | None:
    for t in types:
        key = fold(t)
        for needle, fmt in _TYPES:
            if re.search(rf"\b{needle}", key):
                return fmt
    return "other" if types else None


def dc_to_canonical(raw: bytes) -> CanonicalRecord:
    """Map one `<oai_dc:dc>` element (or a wrapper holding exactly one) to the canonical model."""
    root = parse_xml(raw, "Dublin Core record")
    if local_name(root) == "dc":
        dc = root
    else:
        found = list(root.iter(f"{{{OAI_DC_NS}}}dc"))
        if len(found) != 1:
            raise NormalizeError(
                f"expected one <oai_dc:dc> element, found {len(found)} (root is <{local_name(root)}>)"
            )
        dc = found[0]

    values: dict[str, list[str]] = {}
    repairs: list[str] = []
    for el in dc:
        name = local_name(el)
        if not name:
            continue
        text, fixes = repair_text(element_text(el))
        repairs.extend(f"dc:{name}: {r}" for r in fixes)
        text = re.sub(r"\s+", " ", text).strip()
        if text:
            values.setdefault(name, []).append(text)

    titles = values.get("title", [])
    if not titles:
        raise NormalizeError("Dublin Core record has no dc:title")

    authors = [Person(name=n) for n in values.get("creator", [])]
    authors += [Person(name=n, role="contributor") for n in values.get("contributor", [])]

    isbns: list[str] = []
    invalid: list[str] = []
    issns: list[str] = []
    links: list[Link] = []
    for ident in values.get("identifier", []):
        if _URL.match(ident):
            links.append(Link(url=ident))
        elif _ISSN_HINT.match(ident):
            n = issn(ident)
            if n and n not in issns:
                issns.append(n)
        elif _ISBN_HINT.match(ident) or _BARE_ISBN.match(ident):
            good = isbn13(ident)
            if good:
                if good not in isbns:
                    isbns.append(good)
            elif _ISBN_HINT.match(ident):
                bad = isbn_candidate(ident)
                if bad and bad not in invalid:
                    invalid.append(bad)

    year = None
    date_text = None
    for d in values.get("date", []):
        m = _YEAR.search(d)
        if m:
            year, date_text = int(m.group(1)), d
            break

    language = None
    for lang in values.get("language", []):
        language = language_code(lang)
        if language:
            break

    publishers = values.get("publisher", [])
    publisher = normalize_publisher(publishers[0]).display or None if publishers else None
    subjects = list(dict.fromkeys(values.get("subject", [])))
    fmt = _format(values.get("type", [])) or "book"

    return CanonicalRecord(
        source_format="oai_dc",
        title=titles[0],
        authors=authors,
        publisher=publisher,
        year=year,
        date_text=date_text,
        isbns=isbns,
        invalid_isbns=invalid,
        issns=issns,
        language=language,
        format=fmt,
        subjects=subjects,
        notes=values.get("description", []),
        links=links,
        repairs=list(dict.fromkeys(repairs)),
    )
