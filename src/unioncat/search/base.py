"""What every adapter shares above its engine: one `search` pipeline, cursors, "did you mean", autocomplete.

An adapter subclasses `EngineBackend` and answers a few narrow engine questions (`_execute`, `_known_words`,
`_fuzzy_records`, `_prefix_records`, `_phrase_prefix_records`); everything a reader can observe (parsing,
paging and cursors, highlights, spelling suggestions, suggestion ranking) is decided here, once, so the two
engines behave alike.

Cursors are opaque to clients (URL-safe base64 of a small JSON): the position, a fingerprint of the query they
belong to (a cursor used with another query is a BadQuery) and the engine's own "after" state for sorts that
page by key (year, title), which keeps deep pages as fast as the first one. Relevance-sorted results page by
position, within MAX_RESULT_WINDOW, like page numbers (nobody reads 10,000 hits in relevance order).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from unioncat.search.backend import FACETS, BadQuery, FacetValue, Hit, SearchQuery, SearchResult
from unioncat.search.documents import FACET_FIELDS, accented, fold, nfc, prefix_form, words
from unioncat.search.highlight import Highlighter
from unioncat.search.input_methods import interpret
from unioncat.search.query import ParsedQuery, clean_query_text, parse_query


# --- the relevance model, one for both engines (the contract suite checks they agree) -----------------------
MAX_TOKEN_BYTES = 100  # tantivy's remove_long filter drops longer tokens; OpenSearch queries drop them alike
YEAR_FACET_SIZE = 100  # years are many and evenly spread: return enough for a histogram
# Query field (query.QUERY_FIELDS) -> document text field.
QUERY_FIELD_MAP = {
    "title": "title",
    "author": "authors",
    "subject": "subjects",
    "publisher": "publisher",
    "series": "series",
}
# Weight per text field; the accented twin weighs ACCENT_BOOST times the folded one.
FIELD_WEIGHTS = {"title": 5.0, "authors": 3.0, "series": 2.0, "subjects": 1.5, "publisher": 1.0}
ACCENT_BOOST = 2.0
TOGETHER_BOOST = 6.0  # the query's words in a row (a phrase), in a field's weight times this
# where the words stand together: in order in titles; in either order in names ("Du Nguyễn")
TOGETHER_FIELDS = {"title": False, "authors": True}  # field -> either order too


def together_phrases(words: list[str]) -> list[tuple[str, str]]:
    """(field, folded phrase) pairs of the "words together" boost (one list for both engines)."""
    phrase = fold(" ".join(words))
    out = []
    for name, either_order in TOGETHER_FIELDS.items():
        out.append((name, phrase))
        if either_order and len(words) <= 4:
            out.append((name, fold(" ".join(reversed(words)))))
    return out
ISBN_BOOST = 20.0

MAX_RESULT_WINDOW = 10_000  # position + size beyond this is refused for page numbers and relevance cursors
CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 2_000
SUGGEST_MIN_CHARS = 2
SUGGEST_MAX = 20
SPELL_MIN_CHARS = 3
SPELL_CANDIDATE_DOCS = 30
SPELL_FIELDS = (None, "title", "author", "subject", "publisher", "series")


YEAR_MIN, YEAR_MAX = -9999, 9999  # documents carry years in this range (documents.py); filters are clamped


@dataclass(frozen=True)
class TermsFilter:
    field: str  # document field
    values: list  # str, or int for "year"; OR within


@dataclass(frozen=True)
class RangeFilter:
    field: str
    low: int | None  # inclusive
    high: int | None  # inclusive


def filter_specs(query: SearchQuery) -> list[TermsFilter | RangeFilter]:
    """The query's filters, validated and normalized (NFC values, years clamped); AND across the list."""
    specs: list[TermsFilter | RangeFilter] = []
    for name, values in query.filters.items():
        if name not in FACETS:
            raise BadQuery(f"unknown filter {name!r}; filters are {', '.join(FACETS)}")
        cleaned = [nfc(str(v)).strip() for v in values if v is not None and str(v).strip()]
        if not cleaned:
            continue
        if name == "year":
            try:
                years = sorted({int(v) for v in cleaned})
            except ValueError as exc:
                raise BadQuery(f"year filter values must be integers, got {cleaned[:5]!r}") from exc
            years = [y for y in years if YEAR_MIN <= y <= YEAR_MAX] or [YEAR_MAX + 1]  # out of range: none
            specs.append(TermsFilter("year", years))
        else:
            specs.append(TermsFilter(FACET_FIELDS[name], sorted(set(cleaned))))
    if query.year_from is not None or query.year_to is not None:
        low = None if query.year_from is None else max(min(query.year_from, YEAR_MAX + 1), YEAR_MIN - 1)
        high = None if query.year_to is None else max(min(query.year_to, YEAR_MAX + 1), YEAR_MIN - 1)
        specs.append(RangeFilter("year", low, high))
    return specs


@dataclass
class EnginePage:
    """What an engine returns for one page of a search."""

    total: int
    records: list[dict]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    after: Any = None  # engine state just after the last record (key-sorted pages), JSON-serializable
    # An engine that computes facets concurrently (tantivy: aggregation in another thread while the hits are
    # fetched and highlighted) leaves `facets` empty and puts a callable returning them here.
    pending_facets: Callable[[], dict[str, list[FacetValue]]] | None = None

    def resolved_facets(self) -> dict[str, list[FacetValue]]:
        if self.pending_facets is not None:
            self.facets, self.pending_facets = self.pending_facets(), None
        return self.facets


# --------------------------------------------------------------------------- cursors


def query_fingerprint(query: SearchQuery) -> str:
    """What a cursor is bound to: the query text, filters, year range and sort (not page, size or facets)."""
    filters = {k: sorted(nfc(str(v)) for v in vs if v is not None) for k, vs in sorted(query.filters.items())}
    basis = json.dumps([clean_query_text(query.q)[0], filters, query.year_from, query.year_to, query.sort],
                       ensure_ascii=False, sort_keys=True)  # fmt: skip
    return hashlib.blake2b(basis.encode(), digest_size=8).hexdigest()


def encode_cursor(query: SearchQuery, position: int, after: Any) -> str:
    payload = {"v": CURSOR_VERSION, "f": query_fingerprint(query), "n": position, "a": after}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> tuple[int, Any]:
    """(position, engine after-state) from `query.cursor`; BadQuery if it is malformed or for another query."""
    text = query.cursor or ""
    if len(text) > MAX_CURSOR_CHARS:
        raise BadQuery("invalid cursor")
    try:
        payload = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadQuery("invalid cursor") from exc
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
        raise BadQuery("invalid cursor")
    position = payload.get("n")
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise BadQuery("invalid cursor")
    if payload.get("f") != query_fingerprint(query):
        raise BadQuery("this cursor belongs to another search; start again from the first page")
    return position, payload.get("a")


# --------------------------------------------------------------------------- spelling


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a transposition costs 1), or limit + 1 when it exceeds `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1] if previous[-1] <= limit else limit + 1


def max_edits(word: str) -> int:
    return 1 if len(word) <= 5 else 2


def best_correction(word: str, records: list[dict], context: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The closest word to `word` in the titles and authors of `records`, in the reader's style: accented when
    the reader typed marks, folded when not. Ranked by edits, then by how many of those records also hold
    the other words of the query (`context`, folded), then by how many records hold it, then A-Z."""
    folded_word = fold(word)
    limit = max_edits(folded_word)
    found: Counter[tuple[int, str, str]] = Counter()
    together: Counter[tuple[int, str, str]] = Counter()
    for record in records:
        texts: list[Any] = [record.get("title"), record.get("subtitle")]
        for key in ("authors", "subjects"):
            value = record.get(key)
            texts += value if isinstance(value, list) else [value]
        tokens = [token for text in texts if text for token in words(nfc(str(text)))]
        folded_tokens = {fold(token) for token in tokens}
        has_context = context <= folded_tokens
        seen: set[str] = set()
        for token in tokens:
            folded = fold(token)
            if folded in seen or folded == folded_word or not folded.isalpha():
                continue
            seen.add(folded)
            distance = edit_distance(folded, folded_word, limit)
            if distance <= limit:
                key = (distance, folded, token.lower())
                found[key] += 1
                together[key] += has_context
    if not found:
        return None
    distance, folded, accented_form = min(found, key=lambda k: (k[0], -together[k], -found[k], k[1]))
    return accented_form if word != fold(word) else folded


def _marks_agree(title: str, typed: list[str], complete: bool) -> bool:
    """Every marked word typed is in the title as typed (the last one, still being typed, as a prefix)."""
    title_words = [accented(w).lower() for w in words(title)]
    for i, word in enumerate(typed):
        if fold(word) == word:
            continue
        partial = i == len(typed) - 1 and not complete
        if not any(t.startswith(word) if partial else t == word for t in title_words):
            return False
    return True


# --------------------------------------------------------------------------- the shared pipeline


def hit_from_record(record: dict, highlights: dict[str, list[str]] | None = None) -> Hit:
    authors = record.get("authors") or []
    year = record.get("year")
    # model_construct: every value is coerced to its field type right here, validation would only repeat it
    return Hit.model_construct(
        id=str(record["id"]),
        title=str(record.get("title") or ""),
        authors=[str(a) for a in authors] if isinstance(authors, list) else [str(authors)],
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        publisher=str(record["publisher"]) if record.get("publisher") else None,
        isbns=[str(i) for i in record.get("isbns") or []],
        libraries=[str(lib) for lib in record.get("libraries") or []],
        holdings_count=int(record.get("holdings_count") or 0),
        highlights=highlights,
    )


def sort_facet_values(values: list[FacetValue]) -> list[FacetValue]:
    values.sort(key=lambda v: (-v.count, v.value))
    return values


class EngineBackend:
    """The reader-facing behaviour of a search backend; subclasses supply the engine calls."""

    # -- engine hooks ------------------------------------------------------------------------

    def _execute(
        self, parsed: ParsedQuery, query: SearchQuery, *, offset: int, after: Any, size: int, facets: bool
    ) -> EnginePage:  # pragma: no cover - abstract
        raise NotImplementedError

    def _known_words(self, folded_words: list[str]) -> set[str]:  # pragma: no cover - abstract
        """The folded words that occur in some searchable folded field."""
        raise NotImplementedError

    def _fuzzy_records(self, folded_word: str, distance: int, limit: int) -> list[dict]:  # pragma: no cover
        """Stored records whose title or authors have a word within `distance` edits of `folded_word`."""
        raise NotImplementedError

    def _prefix_records(self, prefix: str, limit: int) -> list[dict]:  # pragma: no cover - abstract
        """Stored records whose title_prefix starts with `prefix`, most held first."""
        raise NotImplementedError

    def _phrase_prefix_records(
        self, folded_words: list[str], last_is_prefix: bool, limit: int
    ) -> list[dict]:  # pragma: no cover - abstract
        """Stored records whose folded title has these words in a row (the last one as a prefix when
        `last_is_prefix`); most held first."""
        raise NotImplementedError

    # -- search ------------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResult:
        typed = clean_query_text(query.q)[0]
        searched = interpret(typed, self._known_words_of) if typed else typed
        parsed = parse_query(searched)
        after: Any = None
        if query.cursor:
            offset, after = decode_cursor(query)
            if (after is None) != (query.sort == "relevance"):
                raise BadQuery("invalid cursor")
        else:
            offset = (query.page - 1) * query.size
        if after is None and offset + query.size > MAX_RESULT_WINDOW:
            raise BadQuery(
                f"position + size may not exceed {MAX_RESULT_WINDOW} in relevance order or by page number; "
                "sort by year or title and follow next_cursor to go deeper"
            )
        page = self._execute(parsed, query, offset=offset, after=after, size=query.size, facets=query.facets)
        if page.total == 0 and searched != typed:  # the reading finds nothing: search what was typed
            searched, parsed = typed, parse_query(typed)
            page = self._execute(parsed, query, offset=offset, after=after, size=query.size, facets=query.facets)
        accent_fallback = False
        if page.total == 0 and parsed.has_marked_terms:  # a mark error: find what the words fold to
            folded = replace(parsed, fold_marks=True)
            retry = self._execute(folded, query, offset=offset, after=after, size=query.size, facets=query.facets)
            if retry.total:
                page, parsed, accent_fallback = retry, folded, True
        marks = Highlighter(parsed) if query.highlight and not parsed.is_empty else None
        hits = [hit_from_record(record, marks(record) if marks else None) for record in page.records[: query.size]]
        position = offset + len(hits)
        next_cursor = None
        if hits and position < page.total:
            if query.sort != "relevance" and page.after is not None:
                next_cursor = encode_cursor(query, position, page.after)
            elif query.sort == "relevance" and position + query.size <= MAX_RESULT_WINDOW:
                next_cursor = encode_cursor(query, position, None)
        did_you_mean = None
        if page.total == 0 and query.spellcheck and not query.cursor and not parsed.is_empty:
            did_you_mean = self.did_you_mean(parsed, query)
        return SearchResult(
            total=page.total,
            page=(offset // query.size + 1) if query.size else query.page,
            size=query.size,
            hits=hits,
            facets=page.resolved_facets() if query.facets else {},
            next_cursor=next_cursor,
            did_you_mean=did_you_mean,
            interpreted_query=searched if searched != typed else None,
            accent_fallback=accent_fallback,
        )

    def _known_words_of(self, folded_words) -> set[str]:
        return self._known_words(sorted(set(folded_words)))

    # -- did you mean ------------------------------------------------------------------------

    def did_you_mean(self, parsed: ParsedQuery, query: SearchQuery) -> str | None:
        """A corrected query that finds something with the same filters, or None."""
        typed: dict[str, str] = {}  # folded -> as typed (first occurrence)
        for clause in parsed.must:
            for term in clause:
                if term.isbn or term.field not in SPELL_FIELDS:
                    continue
                for word in words(term.text):
                    folded = fold(word)
                    if len(folded) >= SPELL_MIN_CHARS and folded.isalpha():
                        typed.setdefault(folded, word)
        if not typed:
            return None
        known = self._known_words(list(typed))
        unknown = [f for f in typed if f not in known]
        if not unknown:
            return None
        text = parsed.text
        changed = False
        for folded in unknown:
            candidates = self._fuzzy_records(folded, max_edits(folded), SPELL_CANDIDATE_DOCS)
            correction = best_correction(typed[folded], candidates, known)
            if correction is None:
                continue
            pattern = re.compile(rf"(?<![^\W_]){re.escape(typed[folded])}(?![^\W_])", re.IGNORECASE)
            text, n = pattern.subn(lambda _m, c=correction: c, text)
            changed = changed or n > 0
        if not changed:
            return None
        check = query.model_copy(update={"q": text, "cursor": None, "page": 1})
        page = self._execute(parse_query(text), check, offset=0, after=None, size=0, facets=False)
        return text if page.total > 0 else None

    # -- autocomplete ------------------------------------------------------------------------

    def suggest(self, text: str, size: int = 10) -> list[str]:
        """Up to `size` distinct titles that start with what was typed (folded: "lich s" -> "Lịch sử …"),
        then titles with those words in a row anywhere; most held first."""
        cleaned, _ = clean_query_text((text or "")[:200])
        size = max(1, min(size, SUGGEST_MAX))
        prefix = prefix_form(cleaned)
        if len(prefix.replace(" ", "")) < SUGGEST_MIN_CHARS:
            return []
        complete = bool(text) and text[-1:].isspace()  # "lich su " means the word su is finished
        out: list[str] = []
        seen: set[str] = set()

        def take(records: list[dict]) -> None:
            for record in records:
                title = nfc(str(record.get("title") or "")).strip()
                key = prefix_form(title)
                if title and key not in seen:
                    seen.add(key)
                    out.append(title)

        take(self._prefix_records(prefix + (" " if complete else ""), size * 3))
        if len(out) < size:
            take(self._phrase_prefix_records(prefix.split(), not complete, size * 3))
        typed = [accented(w).lower() for w in words(cleaned)]
        if any(fold(w) != w for w in typed):  # marked words typed: titles with those syllables first
            agree = [t for t in out if _marks_agree(t, typed, complete)]
            out = agree + [t for t in out if t not in agree]
        return out[:size]
