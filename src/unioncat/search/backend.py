"""The search backend protocol: what the pipeline and the API need from a search engine.

Two adapters implement it: `tantivy_backend.TantivyBackend` (embedded default, index in the data dir) and
`opensearch_backend.OpenSearchBackend` (production). Both take and return plain values; engine exceptions
are translated into `SearchUnavailable` / `BadQuery` at the adapter edge.

A document is the union record as built by `unioncat.dedup.merge.build_union_record` (a dict):
    id, title, subtitle, authors [str], publisher, place, year (int|None), edition, isbns [ISBN-13],
    language (ISO 639-2), format, subjects [str], series, extent, pages,
    libraries [library codes], provinces [province names, current and former],
    holdings_count (int), holdings [...], members [...]  (the last two are stored, not searched)
"""

from __future__ import annotations

from typing import Literal, Protocol
from collections.abc import Iterable

from pydantic import BaseModel, Field

FACETS = ("library", "province", "year", "language", "format", "subject")
Sort = Literal["relevance", "year_desc", "year_asc", "title"]


class SearchQuery(BaseModel):
    q: str = ""
    filters: dict[str, list[str]] = Field(default_factory=dict)  # facet name -> values (OR within, AND across)
    year_from: int | None = None
    year_to: int | None = None
    sort: Sort = "relevance"
    page: int = Field(1, ge=1)
    size: int = Field(20, ge=0, le=100)
    facets: bool = True
    cursor: str | None = None  # SearchResult.next_cursor of the previous page; wins over `page`
    highlight: bool = True  # Hit.highlights
    spellcheck: bool = True  # SearchResult.did_you_mean when nothing is found


class Hit(BaseModel):
    id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    year: int | None = None
    publisher: str | None = None
    isbns: list[str] = Field(default_factory=list)
    libraries: list[str] = Field(default_factory=list)
    holdings_count: int = 0
    # field -> the matching values, HTML-escaped, matched words in <mark>; None when nothing matched
    highlights: dict[str, list[str]] | None = None


class FacetValue(BaseModel):
    value: str
    count: int


class SearchResult(BaseModel):
    total: int
    page: int
    size: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    next_cursor: str | None = None  # pass as SearchQuery.cursor for the page after this one; None at the end
    did_you_mean: str | None = None  # a corrected query that finds something, when this one found nothing
    interpreted_query: str | None = None  # what was searched, when it differs from what was typed (Telex, VNI)
    accent_fallback: bool = False  # the marked words found nothing as typed: matched without their marks


class SearchError(Exception):
    status_code = 503


class SearchUnavailable(SearchError):
    status_code = 503


class BadQuery(SearchError):
    status_code = 400


class SearchBackend(Protocol):
    def upsert(self, documents: Iterable[dict]) -> int:
        """Add or replace documents by id; visible to searches when this returns. Returns the count."""

    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id (absorbed or emptied union records)."""

    def rebuild(self, documents: Iterable[dict | str]) -> int:
        """Build a fresh index from all documents and switch to it atomically; searches never see a gap.
        A document may also be given as its JSON text (as the database stores it): it is decoded where it is
        prepared, which spares a large rebuild a decode and a re-encode in the reading process."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def suggest(self, text: str, size: int = 10) -> list[str]:
        """Autocomplete: distinct titles starting with the typed text (folded), most held first."""

    def count(self) -> int: ...

    def close(self) -> None: ...
