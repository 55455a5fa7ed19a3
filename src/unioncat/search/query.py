"""The reader's query string -> a safe, engine-neutral structure.

Pure. Adapters never hand user text to an engine's query-string parser; they build term and phrase queries
from a `ParsedQuery` programmatically, so no input can produce an engine syntax error.

Supported syntax (everything else is read as plain words):
    words                    every word must match (AND), in any searchable field
    "a phrase"               the words in this order (“smart quotes” too); an unbalanced quote is ignored
    title: author: subject: publisher: series: isbn:
                             restrict the next word or phrase to a field ("title: Kiều" works too)
    -word  NOT word          exclude
    a OR b                   either
    AND, +word               accepted, AND is the default anyway
    ISBNs                    with or without hyphens, ISBN-10 or ISBN-13: matched as ISBN-13
Stray operators and punctuation (`*`, `:`, `(`, a lone `-`) are dropped; control characters are removed; input
is cut to `MAX_QUERY_CHARS` characters and `MAX_TERMS` terms.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from unioncat.search.documents import fold, normalize_isbn

MAX_QUERY_CHARS = 512
MAX_TERMS = 32

# Field prefix as typed -> engine-neutral field name.
FIELD_ALIASES = {
    "title": "title",
    "ti": "title",
    "author": "author",
    "authors": "author",
    "au": "author",
    "subject": "subject",
    "subjects": "subject",
    "su": "subject",
    "publisher": "publisher",
    "pub": "publisher",
    "series": "series",
    "isbn": "isbn",
}
QUERY_FIELDS = ("title", "author", "subject", "publisher", "series", "isbn")

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_CHUNK = re.compile(r'(?P<pre>[^\s"]*)"(?P<phrase>[^"]*)"|(?P<word>[^\s"]+)')
_FIELD_PREFIX = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_ISBN_LIKE = re.compile(r"^(?:isbn)?[0-9][0-9\-‐‑–]{8,16}[0-9Xx]$", re.IGNORECASE)
_EDGE_PUNCT = "*?~^()[]{}:;,\\/!+|&<>='`"
_SIGNS = "+-!"
_LUCENE_SUFFIX = re.compile(r"[~^][0-9.]*$")


@dataclass(frozen=True)
class Term:
    """One word or phrase the reader typed, cleaned (NFC, no operators). The adapter tokenizes it."""

    text: str
    field: str | None = None  # None = every searchable field; else one of QUERY_FIELDS
    phrase: bool = False
    isbn: str | None = None  # ISBN-13 when the term is an ISBN (or, under isbn:, the compact digits)

    @property
    def marked_words(self) -> list[str]:
        """The words typed with a mark or đ ("đề", in "Hồ Chí Minh": "Hồ", "Chí"). Each matches its own syllable
        only (whatever the tone placement or case), not every word it folds to; the others match folded."""
        return [w for w in self.text.split() if fold(w) != w.lower()]

    @property
    def marked(self) -> bool:
        return bool(self.marked_words)


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the cleaned query string
    must: tuple[tuple[Term, ...], ...] = ()  # every clause must match; a clause matches if any of its terms do
    must_not: tuple[Term, ...] = ()
    truncated: bool = False
    fold_marks: bool = False  # match marked terms folded too (the fallback when they find nothing as typed)

    @property
    def has_marked_terms(self) -> bool:
        return any(t.marked for clause in self.must for t in clause)

    def together(self) -> list[str]:
        """The words of a query of several plain words ("lịch sử nghệ an"), for ranking hits where they stand
        together, in order, above hits where they are scattered; [] when there are not two such words."""
        plain = [c[0] for c in self.must if len(c) == 1 and not c[0].field and not c[0].phrase and not c[0].isbn]
        if len(plain) != len(self.must) or len(plain) < 2:
            return []
        return [t.text for t in plain]

    @property
    def is_empty(self) -> bool:
        """True when nothing positive is asked for: the adapter matches everything (minus `must_not`)."""
        return not self.must

    def terms(self) -> list[Term]:
        return [t for clause in self.must for t in clause] + list(self.must_not)


def clean_query_text(raw: str | None) -> tuple[str, bool]:
    """NFC, no control/format characters, curly quotes as ", collapsed whitespace, at most MAX_QUERY_CHARS."""
    if not raw:
        return "", False
    text = unicodedata.normalize("NFC", str(raw))
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in text)
    text = text.translate(_QUOTES)
    text = " ".join(text.split())
    truncated = len(text) > MAX_QUERY_CHARS
    if truncated:
        text = text[:MAX_QUERY_CHARS].rstrip()
    return text, truncated


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _split_prefix(token: str) -> tuple[bool, str | None, str, bool]:
    """Leading signs and a known field prefix -> (negate, field, rest, had_field_prefix)."""
    stripped = token.lstrip(_SIGNS)
    signs = token[: len(token) - len(stripped)]
    negate = "-" in signs or "!" in signs
    match = _FIELD_PREFIX.match(stripped)
    if match and match.group(1).lower() in FIELD_ALIASES:
        return negate, FIELD_ALIASES[match.group(1).lower()], match.group(2), True
    return negate, None, stripped, False


def _isbn_for(text: str, field_name: str | None) -> str | None:
    if field_name not in (None, "isbn"):
        return None
    if field_name == "isbn" or _ISBN_LIKE.match(text):
        candidate = re.sub(r"^isbn", "", text, flags=re.IGNORECASE)
        isbn = normalize_isbn(candidate)
        if isbn:
            return isbn
        if field_name == "isbn":
            compact = re.sub(r"[^0-9Xx]", "", candidate).upper()
            return compact or None
    return None


def parse_query(raw: str | None) -> ParsedQuery:
    text, truncated = clean_query_text(raw)
    if text.count('"') % 2:
        # Unbalanced: drop the last quote, so the words after it are read as plain words.
        cut = text.rfind('"')
        text_for_parse = text[:cut] + " " + text[cut + 1 :]
    else:
        text_for_parse = text

    must: list[tuple[Term, ...]] = []
    must_not: list[Term] = []
    pending_field: str | None = None
    pending_negate = False
    pending_or = False
    count = 0

    def emit(term_text: str, field_name: str | None, negate: bool, phrase: bool) -> None:
        nonlocal pending_field, pending_negate, pending_or, count
        field_name = field_name or pending_field
        negate = negate or pending_negate
        join_or = pending_or
        pending_field, pending_negate, pending_or = None, False, False
        if phrase:
            term_text = " ".join(term_text.split())
        else:  # "kiều~2", "Kiều^5": Lucene fuzzy/boost suffixes mean nothing here
            term_text = _LUCENE_SUFFIX.sub("", term_text).strip(_EDGE_PUNCT + _SIGNS + '"')
        if not term_text or not _has_alnum(term_text) or count >= MAX_TERMS:
            return
        isbn = None if phrase else _isbn_for(term_text, field_name)
        if field_name == "isbn" and isbn is None:
            return
        term = Term(text=term_text, field=field_name, phrase=phrase and len(term_text.split()) > 1, isbn=isbn)
        count += 1
        if negate:
            must_not.append(term)
        elif join_or and must:
            must[-1] = must[-1] + (term,)
        else:
            must.append((term,))

    for match in _CHUNK.finditer(text_for_parse):
        word = match.group("word")
        if word is not None:
            if word in ("AND", "&&"):
                continue
            if word in ("OR", "||"):
                pending_or = bool(must)
                continue
            if word == "NOT":
                pending_negate = True
                continue
            negate, field_name, rest, had_prefix = _split_prefix(word)
            if had_prefix and not rest.strip(_EDGE_PUNCT):
                pending_field, pending_negate = field_name, negate or pending_negate
                continue
            if not _has_alnum(rest):
                continue  # a lone "-", "*", ":" ...
            emit(rest, field_name, negate, phrase=False)
        else:
            pre, phrase = match.group("pre"), match.group("phrase")
            negate, field_name, rest, _ = _split_prefix(pre)
            if rest and _has_alnum(rest):
                # 'abc"def"': the text glued before the quote is a word of its own.
                emit(rest, field_name, negate, phrase=False)
                negate, field_name = False, None
            emit(phrase, field_name, negate, phrase=True)

    if any(t.isbn for clause in must for t in clause):
        # "ISBN 978-604-..." : the bare word "ISBN" is a label, not something to find.
        must = [c for c in must if not (len(c) == 1 and c[0].field is None and c[0].text.lower() == "isbn")]
    return ParsedQuery(text=text, must=tuple(must), must_not=tuple(must_not), truncated=truncated)
