"""The search stage: union records in a search engine, queried by the API.

`open_backend(settings)` is the one place that chooses the engine: tantivy in the data dir when
`UNIONCAT_OPENSEARCH_URL` is unset, OpenSearch otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from unioncat.search.backend import (
    FACETS,
    BadQuery,
    FacetValue,
    Hit,
    SearchBackend,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
)

if TYPE_CHECKING:
    from unioncat.settings import Settings

__all__ = [
    "FACETS",
    "BadQuery",
    "FacetValue",
    "Hit",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "SearchUnavailable",
    "open_backend",
]


def open_backend(settings: Settings) -> SearchBackend:
    """The configured search backend: TantivyBackend(settings.index_dir) unless an OpenSearch URL is set."""
    if settings.opensearch_url:
        raise NotImplementedError(
            "the OpenSearch backend is not implemented yet; unset UNIONCAT_OPENSEARCH_URL "
            f"(now {settings.opensearch_url!r}) to use the embedded tantivy index in the data dir"
        )
    from unioncat.search.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)
